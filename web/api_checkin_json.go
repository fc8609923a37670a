package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// checkInBufs recycles the buffers check-in answers are encoded into.
var checkInBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// writeCheckIn writes a check-in answer as writeJSON would, encoded by
// hand: it is the busiest answer jaga gives.
func writeCheckIn(w http.ResponseWriter, status int, r *checkInResponse) {
	bp := checkInBufs.Get().(*[]byte)
	b := appendCheckInResponse((*bp)[:0], r)
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	*bp = b
	checkInBufs.Put(bp)
}

// appendCheckInResponse appends r as encoding/json (escaping HTML) would.
func appendCheckInResponse(b []byte, r *checkInResponse) []byte {
	b = append(b, `{"premises":{"id":`...)
	b = appendJSONString(b, r.Premises.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, r.Premises.Name)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, r.Premises.Type)
	b = append(b, `},"visits":`...)
	if r.Visits == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, v := range r.Visits {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendJSONString(b, v.ID)
			b = append(b, `,"personId":`...)
			b = appendJSONString(b, v.PersonID)
			b = append(b, `,"premisesId":`...)
			b = appendJSONString(b, v.PremisesID)
			if v.PremisesName != "" {
				b = append(b, `,"premisesName":`...)
				b = appendJSONString(b, v.PremisesName)
			}
			b = append(b, `,"checkedInAt":`...)
			b = appendJSONTime(b, v.CheckedInAt)
			b = append(b, `,"leavesAt":`...)
			b = appendJSONTime(b, v.LeavesAt)
			if v.CheckedOutAt != nil {
				b = append(b, `,"checkedOutAt":`...)
				b = appendJSONTime(b, *v.CheckedOutAt)
			}
			b = append(b, `,"source":`...)
			b = appendJSONString(b, v.Source)
			if v.SameVisit {
				b = append(b, `,"sameVisit":true`...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"door":`...)
	if r.Door == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, d := range r.Door {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"personId":`...)
			b = appendJSONString(b, d.PersonID)
			b = append(b, `,"name":`...)
			b = appendJSONString(b, d.Name)
			b = append(b, `,"language":`...)
			b = appendJSONString(b, d.Language)
			b = append(b, `,"risk":`...)
			b = appendJSONString(b, d.Risk)
			b = append(b, `,"vaccination":`...)
			b = appendJSONString(b, d.Vaccination)
			b = append(b, `,"riskLabel":`...)
			b = appendJSONString(b, d.RiskLabel)
			b = append(b, `,"vaccinationLabel":`...)
			b = appendJSONString(b, d.VaccinationLabel)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// plainJSON marks the bytes a JSON string holds as they are when HTML is
// escaped: printable ASCII but for " \\ < > &.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s quoted as encoding/json would, escaping HTML.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			q, _ := json.Marshal(s) // rare: leave escaping to encoding/json
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONTime appends t as time.Time.MarshalJSON would.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
