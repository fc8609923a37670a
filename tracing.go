package jaga

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Case sources: how a case reached jaga.
const (
	CaseSourceOfficer = "officer" // a health officer's entry
	CaseSourceLab     = "lab"     // a laboratory's feed through the API
	CaseSourceCSV     = "csv"     // a CSV file an officer imported
)

// Risk rules: why a status was given. Each status change stores one.
const (
	RuleConfirmed    = "confirmed_case"       // the person is a confirmed case
	RuleRecovered    = "isolation_ended"      // the person's isolation ended
	RuleCheckIn      = "checkin_overlap"      // at a premises at the same time as a case
	RuleHousehold    = "household"            // lives with a case, or is their guardian or dependant
	RuleDeclared     = "declared_contact"     // an officer declared the person a contact
	RuleSurveillance = "officer_surveillance" // an officer put the person under surveillance
)

// Household links between a close contact and a case. The link names the
// relation only, never the case.
const (
	LinkSameAddress  = "same_address"  // the same registered address
	LinkGuardian     = "guardian"      // the case is the person's guardian
	LinkDependant    = "dependant"     // the case is the person's dependant
	LinkSameGuardian = "same_guardian" // both are dependants of one guardian
)

// MalaysiaTime is the zone of test dates and the tracing day.
var MalaysiaTime = time.FixedZone("MYT", 8*3600)

// RiskRule is one row of the risk table: a status, its precedence (the
// highest in force is the person's status) and how long it lasts from the
// event that gave it.
type RiskRule struct {
	Status     string        `json:"status"`
	Precedence int           `json:"precedence"`
	Duration   time.Duration `json:"duration"` // 0 for low risk, which never ends
}

// RiskRules is the one table of risk statuses, keyed by status.
type RiskRules map[string]RiskRule

// RiskStatuses lists every risk status, lowest default precedence first.
var RiskStatuses = []string{RiskLow, RiskRecovered, RiskCasual, RiskClose, RiskSurveillance, RiskConfirmed}

// DefaultRiskRules returns jaga's default risk table. The confirmed
// status lasts for the isolation, counted from the test date; recovered
// follows it.
func DefaultRiskRules() RiskRules {
	return RiskRules{
		RiskLow:          {RiskLow, 0, 0},
		RiskRecovered:    {RiskRecovered, 1, 90 * 24 * time.Hour},
		RiskCasual:       {RiskCasual, 2, 10 * 24 * time.Hour},
		RiskClose:        {RiskClose, 3, 10 * 24 * time.Hour},
		RiskSurveillance: {RiskSurveillance, 4, 14 * 24 * time.Hour},
		RiskConfirmed:    {RiskConfirmed, 5, 10 * 24 * time.Hour},
	}
}

// Valid returns the table's problems, or nil: every status once, distinct
// precedences, and a positive duration for every status but low risk,
// which has the lowest precedence.
func (rr RiskRules) Valid() map[string]string {
	problems := map[string]string{}
	seen := map[int]string{}
	for _, s := range RiskStatuses {
		r, ok := rr[s]
		switch {
		case !ok:
			problems[s] = "The risk table has no row for this status."
			continue
		case r.Status != s:
			problems[s] = "The row names another status."
		case s != RiskLow && r.Duration <= 0:
			problems[s] = "The duration must be positive."
		case s != RiskLow && r.Precedence <= rr[RiskLow].Precedence:
			problems[s] = "The precedence must be above low risk's."
		}
		if other, dup := seen[r.Precedence]; dup {
			problems[s] = "The precedence is the same as " + other + "'s."
		}
		seen[r.Precedence] = s
	}
	if len(rr) != len(RiskStatuses) {
		problems["rules"] = "The risk table has a row for an unknown status."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// TracingConfig is how jaga traces a case.
type TracingConfig struct {
	// BeforeOnset is how long before symptom onset (or the test, without
	// symptoms) a case is infectious; default 2 days. The window ends with
	// the isolation: the confirmed status's duration from the test date.
	BeforeOnset time.Duration
	// MinOverlap is the least time, summed over a contact's visits to one
	// premises, spent there with a case; default 10 minutes. Touching
	// visits never count.
	MinOverlap time.Duration
	// Buffer extends a case's visit past its end, for the air it leaves
	// behind; default 30 minutes.
	Buffer time.Duration
	// Rules is the risk table.
	Rules RiskRules
}

// DefaultTracing returns jaga's default tracing configuration.
func DefaultTracing() TracingConfig {
	return TracingConfig{BeforeOnset: 48 * time.Hour, MinOverlap: 10 * time.Minute, Buffer: 30 * time.Minute, Rules: DefaultRiskRules()}
}

// Valid returns the configuration's problems, or nil.
func (c *TracingConfig) Valid() map[string]string {
	problems := map[string]string{}
	if c.BeforeOnset < 0 || c.BeforeOnset > 14*24*time.Hour {
		problems["beforeOnset"] = "The time before onset must be 0 to 14 days."
	}
	if c.MinOverlap < 0 || c.MinOverlap > MaxStayBeforeAuto {
		problems["minOverlap"] = "The minimum overlap must be 0 to 24 hours."
	}
	if c.Buffer < 0 || c.Buffer > 24*time.Hour {
		problems["buffer"] = "The buffer must be 0 to 24 hours."
	}
	for k, v := range c.Rules.Valid() {
		problems["rules."+k] = v
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// Interval is a span of time, From inclusive, To exclusive.
type Interval struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Overlap returns how long i and j share; touching intervals share 0.
func (i Interval) Overlap(j Interval) time.Duration {
	from, to := i.From, i.To
	if j.From.After(from) {
		from = j.From
	}
	if j.To.Before(to) {
		to = j.To
	}
	if !to.After(from) {
		return 0
	}
	return to.Sub(from)
}

// VisitInterval returns the span of a visit: from check-in to check-out,
// or, with no check-out, to the automatic check-out (LeavesAt), or, with
// neither, for the premises' default stay.
func VisitInterval(v *Visit, defaultStay time.Duration) Interval {
	in := Interval{From: v.CheckedInAt, To: v.LeavesAt}
	if v.CheckedOutAt != nil && v.CheckedOutAt.After(v.CheckedInAt) && (in.To.IsZero() || v.CheckedOutAt.Before(in.To)) {
		in.To = *v.CheckedOutAt
	}
	if in.To.IsZero() || !in.To.After(in.From) {
		in.To = in.From.Add(defaultStay)
	}
	return in
}

// CaseStay is a case's infectious time at one premises: their visits
// clipped to the infectious window, each ended by the next check-in
// elsewhere, widened by the buffer and merged.
type CaseStay struct {
	CaseID     string
	PersonID   string // the case's person, who is no contact of their own stay
	PremisesID string
	Interval
}

// CaseStays returns a case's stays from their visits (any order; two at
// one moment are taken in premises id order). A visit with no end uses
// defaultStay of its premises.
func (c *TracingConfig) CaseStays(caseID, personID string, visits []Visit, window Interval, defaultStay func(premisesID string) time.Duration) []CaseStay {
	vs := append([]Visit(nil), visits...)
	sort.Slice(vs, func(i, j int) bool {
		if !vs[i].CheckedInAt.Equal(vs[j].CheckedInAt) {
			return vs[i].CheckedInAt.Before(vs[j].CheckedInAt)
		}
		return vs[i].PremisesID < vs[j].PremisesID
	})
	byPremises := map[string][]Interval{}
	var order []string
	for i := range vs {
		stay := time.Duration(0)
		if defaultStay != nil {
			stay = defaultStay(vs[i].PremisesID)
		}
		in := VisitInterval(&vs[i], stay)
		if i+1 < len(vs) && vs[i+1].PremisesID != vs[i].PremisesID && vs[i+1].CheckedInAt.Before(in.To) {
			in.To = vs[i+1].CheckedInAt // the case left for elsewhere
		}
		in.To = in.To.Add(c.Buffer)
		if in.From.Before(window.From) {
			in.From = window.From
		}
		if in.To.After(window.To) {
			in.To = window.To
		}
		if !in.To.After(in.From) {
			continue
		}
		if _, ok := byPremises[vs[i].PremisesID]; !ok {
			order = append(order, vs[i].PremisesID)
		}
		byPremises[vs[i].PremisesID] = append(byPremises[vs[i].PremisesID], in)
	}
	var out []CaseStay
	for _, p := range order {
		for _, in := range MergeIntervals(byPremises[p]) {
			out = append(out, CaseStay{CaseID: caseID, PersonID: personID, PremisesID: p, Interval: in})
		}
	}
	return out
}

// MergeIntervals returns the union of intervals as disjoint intervals in
// order; touching intervals merge.
func MergeIntervals(in []Interval) []Interval {
	s := append([]Interval(nil), in...)
	sort.Slice(s, func(i, j int) bool { return s[i].From.Before(s[j].From) })
	var out []Interval
	for _, i := range s {
		if n := len(out); n > 0 && !i.From.After(out[n-1].To) {
			if i.To.After(out[n-1].To) {
				out[n-1].To = i.To
			}
			continue
		}
		out = append(out, i)
	}
	return out
}

// Exposure is a contact's time with one case at one premises: the span
// from the first to the last moment shared, and the time shared in all.
type Exposure struct {
	CaseID     string
	PersonID   string
	PremisesID string
	Interval
	Overlap time.Duration
}

// Contacts finds the exposures of visits at one premises to the case stays
// at that premises, by a sweep: stays and visits are each sorted once, and
// each stay looks only at the visits that began within maxStay before it.
// A person's overlaps with one case's stays add up; an exposure counts
// when the sum is positive and at least MinOverlap. maxStay bounds any
// visit's length (MaxStayBeforeAuto); defaultStay is the premises'.
func (c *TracingConfig) Contacts(stays []CaseStay, visits []Visit, defaultStay, maxStay time.Duration) []Exposure {
	vs := append([]Visit(nil), visits...)
	sort.Slice(vs, func(i, j int) bool { return vs[i].CheckedInAt.Before(vs[j].CheckedInAt) })
	ivs := make([]Interval, len(vs))
	for i := range vs {
		ivs[i] = VisitInterval(&vs[i], defaultStay)
	}
	type key struct{ caseID, personID string }
	found := map[key]*Exposure{}
	var order []key
	for _, s := range stays {
		first := sort.Search(len(vs), func(i int) bool { return !vs[i].CheckedInAt.Before(s.From.Add(-maxStay)) })
		for i := first; i < len(vs) && vs[i].CheckedInAt.Before(s.To); i++ {
			if vs[i].PersonID == s.PersonID {
				continue
			}
			d := s.Interval.Overlap(ivs[i])
			if d <= 0 {
				continue
			}
			from, to := ivs[i].From, ivs[i].To
			if s.From.After(from) {
				from = s.From
			}
			if s.To.Before(to) {
				to = s.To
			}
			k := key{s.CaseID, vs[i].PersonID}
			e := found[k]
			if e == nil {
				e = &Exposure{CaseID: s.CaseID, PersonID: vs[i].PersonID, PremisesID: s.PremisesID, Interval: Interval{from, to}}
				found[k] = e
				order = append(order, k)
			} else {
				if from.Before(e.From) {
					e.From = from
				}
				if to.After(e.To) {
					e.To = to
				}
			}
			e.Overlap += d
		}
	}
	out := make([]Exposure, 0, len(order))
	for _, k := range order {
		if e := found[k]; e.Overlap >= c.MinOverlap {
			out = append(out, *e)
		}
	}
	return out
}

// InfectiousWindow returns a case's infectious window: from BeforeOnset
// before the onset (or the test, without one), at the start of that day
// in Malaysia, to the end of isolation, the confirmed status's duration
// after the start of the test date. Dates are YYYY-MM-DD.
func (c *TracingConfig) InfectiousWindow(testedOn, onsetOn string) (Interval, error) {
	test, err := time.ParseInLocation(time.DateOnly, testedOn, MalaysiaTime)
	if err != nil {
		return Interval{}, Invalid(map[string]string{"testedOn": "The test date must be a date as YYYY-MM-DD."})
	}
	anchor := test
	if onsetOn != "" {
		onset, err := time.ParseInLocation(time.DateOnly, onsetOn, MalaysiaTime)
		if err != nil {
			return Interval{}, Invalid(map[string]string{"onsetOn": "The onset date must be a date as YYYY-MM-DD."})
		}
		if onset.After(test) {
			return Interval{}, Invalid(map[string]string{"onsetOn": "Symptom onset cannot be after the test date."})
		}
		anchor = onset
	}
	return Interval{From: anchor.Add(-c.BeforeOnset).UTC(), To: test.Add(c.Rules[RiskConfirmed].Duration).UTC()}, nil
}

// MaxOnsetBeforeTest bounds how long before the test symptoms may have begun.
const MaxOnsetBeforeTest = 14 * 24 * time.Hour

// CaseRecord is what an officer, a laboratory's feed or a CSV row sends to
// confirm a case: the person (by id, or by identity number and date of
// birth as on their document), the test date, the onset if any, and the
// sender's reference, unique across jaga.
type CaseRecord struct {
	PersonID    string `json:"personId,omitempty"`
	IDNumber    string `json:"idNumber,omitempty"`
	DateOfBirth string `json:"dateOfBirth,omitempty"`
	TestedOn    string `json:"testedOn"`          // YYYY-MM-DD, Malaysia time
	OnsetOn     string `json:"onsetOn,omitempty"` // YYYY-MM-DD; empty without symptoms
	Reference   string `json:"reference"`         // the lab report or the officer's case number
}

// CaseFields names a CaseRecord's fields as the API and reports name them.
var CaseFields = []string{"personId", "idNumber", "dateOfBirth", "testedOn", "onsetOn", "reference"}

// Normalize trims the record and brings its identity number to its
// stored form.
func (r *CaseRecord) Normalize() {
	r.PersonID = strings.TrimSpace(r.PersonID)
	r.IDNumber = NormalizeIDNumber(r.IDNumber)
	r.DateOfBirth = strings.TrimSpace(r.DateOfBirth)
	r.TestedOn = strings.TrimSpace(r.TestedOn)
	r.OnsetOn = strings.TrimSpace(r.OnsetOn)
	r.Reference = strings.TrimSpace(r.Reference)
}

// Valid returns each field's problem at now, or nil. A test is no older
// than the isolation (a case confirmed after it would never be
// infectious), and never in the future. Messages never repeat the value.
func (r *CaseRecord) Valid(now time.Time, c *TracingConfig) map[string]string {
	problems := map[string]string{}
	if r.PersonID == "" {
		if !idNumberPattern.MatchString(r.IDNumber) {
			problems["idNumber"] = "Give the person's id, or their identity number of 5 to 20 letters and digits."
		}
		if _, err := time.Parse(time.DateOnly, r.DateOfBirth); err != nil {
			problems["dateOfBirth"] = "Date of birth must be a date as YYYY-MM-DD."
		}
	} else if len(r.PersonID) != 32 || strings.Trim(r.PersonID, "0123456789abcdef") != "" {
		problems["personId"] = "A person id has 32 hexadecimal characters."
	}
	today := now.In(MalaysiaTime).Format(time.DateOnly)
	test, err := time.ParseInLocation(time.DateOnly, r.TestedOn, MalaysiaTime)
	switch {
	case err != nil:
		problems["testedOn"] = "The test date must be a date as YYYY-MM-DD."
	case r.TestedOn > today:
		problems["testedOn"] = "The test date cannot be in the future."
	case !test.Add(c.Rules[RiskConfirmed].Duration).After(now):
		problems["testedOn"] = "The test is older than the isolation period; the case can no longer be traced."
	}
	if r.OnsetOn != "" {
		onset, err := time.ParseInLocation(time.DateOnly, r.OnsetOn, MalaysiaTime)
		switch {
		case err != nil:
			problems["onsetOn"] = "The onset date must be a date as YYYY-MM-DD."
		case problems["testedOn"] == "" && onset.After(test):
			problems["onsetOn"] = "Symptom onset cannot be after the test date."
		case problems["testedOn"] == "" && test.Sub(onset) > MaxOnsetBeforeTest:
			problems["onsetOn"] = "Symptom onset is more than 14 days before the test."
		}
	}
	switch n := utf8.RuneCountInString(r.Reference); {
	case n == 0:
		problems["reference"] = "A reference (lab report or case number) is required."
	case n > 64 || !printable(r.Reference):
		problems["reference"] = "A reference has at most 64 printable characters."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// Case is a confirmed case. Reference is the sender's; TraceRef is the
// opaque reference that the case's contacts see, which does not lead to
// the case for anyone but an officer.
type Case struct {
	ID          string     `json:"id"`
	PersonID    string     `json:"personId"`
	Reference   string     `json:"reference"`
	TraceRef    string     `json:"traceRef"`
	Source      string     `json:"source"`
	TestedOn    string     `json:"testedOn"`
	OnsetOn     string     `json:"onsetOn,omitempty"`
	Infectious  Interval   `json:"infectious"`
	ConfirmedAt time.Time  `json:"confirmedAt"`
	TracedAt    *time.Time `json:"tracedAt,omitempty"`
	Contacts    int        `json:"contacts"` // people given a status by this case
}

// CaseRow is one case of a lab feed or CSV file.
type CaseRow struct {
	Line     int // CSV: the line, the header being 1; lab feed: the entry's index, from 0
	Record   CaseRecord
	Problems map[string]string // fields the parser could not read
}

// CaseImport is a parsed lab feed or CSV file of cases.
type CaseImport struct {
	Source   string // CaseSourceLab or CaseSourceCSV
	Hash     string // FileHash of the body
	Rows     []CaseRow
	Problems []RowError // problems outside any one row
}

// MaxCaseImportRows bounds the cases of one feed or file; a day's cases
// arrive in several.
const MaxCaseImportRows = 5000

// CaseReport is the outcome of a lab feed or CSV import. With any error
// nothing is written.
type CaseReport struct {
	Source    string     `json:"source"`
	FileHash  string     `json:"fileHash"`
	Rows      int        `json:"rows"`
	Created   int        `json:"created"`
	Unchanged int        `json:"unchanged"` // cases already recorded exactly so
	Contacts  int        `json:"contacts"`  // statuses given by tracing the new cases
	Cases     []*Case    `json:"cases,omitempty"`
	Errors    []RowError `json:"errors"`
}

// Accepted reports whether the cases were recorded: there was no error.
func (r *CaseReport) Accepted() bool { return len(r.Errors) == 0 }

// CaseParser reads a file of cases.
type CaseParser func(data []byte) (*CaseImport, error)

// RiskStatus is one status change of a person: what, by which rule, why,
// from which case (by its opaque reference) and for how long.
type RiskStatus struct {
	ID           string    `json:"id"`
	PersonID     string    `json:"personId"`
	Status       string    `json:"status"`
	Rule         string    `json:"rule"`
	Reason       string    `json:"reason"` // in the reader's language
	CaseRef      string    `json:"caseRef,omitempty"`
	PremisesID   string    `json:"-"`
	PremisesName string    `json:"premisesName,omitempty"`
	Exposure     *Interval `json:"exposure,omitempty"`
	Link         string    `json:"link,omitempty"`       // household rule: one of Link*
	DeclaredBy   string    `json:"declaredBy,omitempty"` // declared rules: the officer's organisation
	StartsAt     time.Time `json:"startsAt"`
	EndsAt       time.Time `json:"endsAt"`
	Precedence   int       `json:"-"`
}

// InForce reports whether the status holds at now.
func (s *RiskStatus) InForce(now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// Current returns the status in force at now of highest precedence (the
// later start, then the later end, breaks a tie), or nil for low risk.
func (rr RiskRules) Current(statuses []RiskStatus, now time.Time) *RiskStatus {
	var best *RiskStatus
	for i := range statuses {
		s := &statuses[i]
		if !s.InForce(now) {
			continue
		}
		if best == nil {
			best = s
			continue
		}
		p, bp := rr[s.Status].Precedence, rr[best.Status].Precedence
		if p > bp || (p == bp && (s.StartsAt.After(best.StartsAt) || (s.StartsAt.Equal(best.StartsAt) && s.EndsAt.After(best.EndsAt)))) {
			best = s
		}
	}
	return best
}

// RiskView is a person's risk as they (or their guardian) see it: the
// status now, with its reason, rule, window and end, and its history.
type RiskView struct {
	PersonID   string       `json:"personId"`
	PersonName string       `json:"personName"`
	Status     string       `json:"status"`
	Current    *RiskStatus  `json:"current,omitempty"` // nil for low risk
	History    []RiskStatus `json:"history"`           // newest first
}

// ContactDeclaration is an officer's declaration that a person is a close
// contact of a case, or under surveillance because of it.
type ContactDeclaration struct {
	PersonID  string     `json:"personId"`
	Status    string     `json:"status"`              // RiskClose or RiskSurveillance
	LastSeen  *time.Time `json:"lastSeen,omitempty"`  // last contact; if nil, now
	Reference string     `json:"reference,omitempty"` // the officer's own note reference
}

// Valid returns the declaration's problems, or nil.
func (d *ContactDeclaration) Valid(now time.Time) map[string]string {
	problems := map[string]string{}
	if len(d.PersonID) != 32 || strings.Trim(d.PersonID, "0123456789abcdef") != "" {
		problems["personId"] = "A person id has 32 hexadecimal characters."
	}
	if d.Status != RiskClose && d.Status != RiskSurveillance {
		problems["status"] = "A declared contact is a close contact or a person under surveillance."
	}
	if d.LastSeen != nil && (d.LastSeen.After(now) || d.LastSeen.Before(now.Add(-OfflineMaxAge))) {
		problems["lastSeen"] = "The last contact must be within the last 14 days."
	}
	if len(d.Reference) > 64 || !printable(d.Reference) {
		problems["reference"] = "A reference has at most 64 printable characters."
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// CaseContact is a contact of a case as an officer sees it.
type CaseContact struct {
	PersonID     string    `json:"personId"`
	FullName     string    `json:"fullName"`
	Phone        string    `json:"phone,omitempty"`
	Status       string    `json:"status"`
	Rule         string    `json:"rule"`
	PremisesName string    `json:"premisesName,omitempty"`
	Exposure     *Interval `json:"exposure,omitempty"`
	Link         string    `json:"link,omitempty"`
	EndsAt       time.Time `json:"endsAt"`
}

// TraceReport is the outcome of tracing a day's cases.
type TraceReport struct {
	Day      string `json:"day"`
	Cases    int    `json:"cases"`
	Contacts int    `json:"contacts"` // statuses found and in force, new or not
	// FindTime and WriteTime are how long finding the contacts and
	// recording what they are given took; LongestWrite is the longest of
	// the recording transactions, each of which holds SQLite's write lock.
	FindTime, WriteTime, LongestWrite time.Duration `json:"-"`
}

// TracingService confirms cases, traces their contacts and shows risk
// statuses. Confirming and tracing are for ministry health officers,
// through the gate (purpose CONTACT_TRACING, the case as relationship);
// the citizen reads their own and their dependants' statuses.
type TracingService interface {
	// ConfirmCase records one case from an officer's entry and traces it
	// at once. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID with fields,
	// ENOTFOUND (no such person), ECONFLICT (the reference is taken, or
	// the person has a case in isolation).
	ConfirmCase(ctx context.Context, r CaseRecord) (*Case, error)

	// ImportCases records a lab feed or CSV file of cases, all or nothing,
	// and traces the new ones. With any problem nothing is written and the
	// report names each. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
	ImportCases(ctx context.Context, f *CaseImport) (*CaseReport, error)

	// TraceDay traces again every case confirmed on day (YYYY-MM-DD,
	// Malaysia time); a contact already given a status keeps it. What it
	// finds is recorded and in force when it returns; ApplyTraces writes
	// it out.
	TraceDay(ctx context.Context, day string) (*TraceReport, error)

	// ApplyTraces writes out what TraceDay recorded: each status into the
	// person's history, each changed door status, and one message a
	// person whose shown status changed; for jaga's own job. It returns
	// the new statuses.
	ApplyTraces(ctx context.Context) (int, error)

	// DeclareContact makes a person a contact of a case, for officers.
	DeclareContact(ctx context.Context, caseID string, d ContactDeclaration) (*RiskStatus, error)

	// CaseContacts lists a case's contacts for an officer, each read
	// through the gate and logged in that person's access log.
	CaseContacts(ctx context.Context, caseID string) ([]*CaseContact, error)

	// MyRisk returns the calling citizen's and their dependants' risk.
	MyRisk(ctx context.Context) ([]*RiskView, error)

	// ExpireStatuses refreshes the status of everyone whose status ended,
	// gives recovered to cases whose isolation ended and notifies them;
	// for jaga's own job. It returns how many people it refreshed.
	ExpireStatuses(ctx context.Context) (int, error)
}

// Status names, rule names, reasons and next steps are worded here, in
// Malay and English, and nowhere else: the door, the app, the desk and
// the messages all use these.

// StatusName returns a status's name in lang ("ms" or "en").
func StatusName(lang, status string) string {
	if n, ok := statusNames[status]; ok {
		if lang == "en" {
			return n[1]
		}
		return n[0]
	}
	return status
}

var statusNames = map[string][2]string{
	RiskLow:          {"Risiko rendah", "Low risk"},
	RiskRecovered:    {"Pulih", "Recovered"},
	RiskCasual:       {"Kontak kasual", "Casual contact"},
	RiskClose:        {"Kontak rapat", "Close contact"},
	RiskSurveillance: {"Orang di bawah pengawasan", "Person under surveillance"},
	RiskConfirmed:    {"Kes disahkan", "Confirmed case"},
}

// RuleName returns what a rule means, in lang.
func RuleName(lang, rule string) string {
	if n, ok := ruleNames[rule]; ok {
		if lang == "en" {
			return n[1]
		}
		return n[0]
	}
	return rule
}

var ruleNames = map[string][2]string{
	RuleConfirmed:    {"Kes positif", "Positive case"},
	RuleRecovered:    {"Tamat pengasingan", "Isolation ended"},
	RuleCheckIn:      {"Di premis yang sama dengan kes", "At a premises with a case"},
	RuleHousehold:    {"Isi rumah kes", "A case's household"},
	RuleDeclared:     {"Diisytiharkan oleh pegawai", "Declared by an officer"},
	RuleSurveillance: {"Pemerhatian oleh pegawai", "Surveillance by an officer"},
}

// nextSteps is what to do next under each status, in Malay and English.
var nextSteps = map[string][2]string{
	RiskLow:          {"Tiada tindakan diperlukan.", "Nothing to do."},
	RiskRecovered:    {"Anda telah tamat pengasingan. Teruskan amalan biasa.", "Your isolation has ended. Carry on as usual."},
	RiskCasual:       {"Pantau gejala anda. Jika bergejala, buat ujian dan kekal di rumah.", "Watch for symptoms. If you have any, take a test and stay at home."},
	RiskClose:        {"Kuarantin di rumah dan buat ujian segera. Jangan ke premis awam.", "Quarantine at home and take a test now. Do not visit public premises."},
	RiskSurveillance: {"Kekal di rumah dan ikut arahan pegawai kesihatan.", "Stay at home and follow the health officer's instructions."},
	RiskConfirmed:    {"Asingkan diri di rumah sehingga tarikh tamat. Hubungi klinik jika gejala bertambah teruk.", "Isolate at home until the end date. Call a clinic if your symptoms get worse."},
}

// NextSteps returns what to do next under a status, in lang.
func NextSteps(lang, status string) string {
	n := nextSteps[status]
	if lang == "en" {
		return n[1]
	}
	return n[0]
}

// ReasonText words why a status was given, in lang, from its rule and
// details; it never names the case.
func ReasonText(lang string, s *RiskStatus) string {
	en := lang == "en"
	pick := func(ms, en2 string) string {
		if en {
			return en2
		}
		return ms
	}
	when := func(t time.Time) string { return t.In(MalaysiaTime).Format("2006-01-02 15:04") }
	switch s.Rule {
	case RuleConfirmed:
		return pick("Anda disahkan positif.", "You tested positive.")
	case RuleRecovered:
		return pick("Tempoh pengasingan anda telah tamat.", "Your isolation period has ended.")
	case RuleCheckIn:
		if s.Exposure == nil {
			return pick("Anda berada di premis yang sama dengan kes positif.", "You were at a premises with a positive case.")
		}
		return fmt.Sprintf(pick("Anda berada di %s dari %s hingga %s pada masa yang sama dengan kes positif.",
			"You were at %s from %s to %s at the same time as a positive case."),
			s.PremisesName, when(s.Exposure.From), s.Exposure.To.In(MalaysiaTime).Format("15:04"))
	case RuleHousehold:
		switch s.Link {
		case LinkGuardian:
			return pick("Penjaga anda ialah kes positif.", "Your guardian is a positive case.")
		case LinkDependant:
			return pick("Seorang tanggungan anda ialah kes positif.", "One of your dependants is a positive case.")
		case LinkSameGuardian:
			return pick("Seorang ahli keluarga di bawah penjaga yang sama ialah kes positif.", "A family member under the same guardian is a positive case.")
		}
		return pick("Seseorang yang berdaftar di alamat anda ialah kes positif.", "Someone registered at your address is a positive case.")
	case RuleDeclared, RuleSurveillance:
		return fmt.Sprintf(pick("Pegawai kesihatan (%s) mengisytiharkan anda sebagai kontak kes positif.",
			"A health officer (%s) declared you a contact of a positive case."), s.DeclaredBy)
	}
	return s.Rule
}

// RiskNotice returns the subject and body of the message that tells a
// person, or for a dependant their guardian, of a new status.
func RiskNotice(lang string, s *RiskStatus, dependantName string) (subject, body string) {
	subject = "jaga: status risiko anda"
	if lang == "en" {
		subject = "jaga: your risk status"
	}
	who := ""
	if dependantName != "" {
		if lang == "en" {
			who = "For " + dependantName + ": "
		} else {
			who = "Untuk " + dependantName + ": "
		}
	}
	if s.Status == RiskLow {
		if lang == "en" {
			return subject, who + "Your jaga risk status is now Low risk: your earlier status has ended. " + NextSteps(lang, RiskLow)
		}
		return subject, who + "Status risiko jaga anda kini Risiko rendah: status terdahulu telah tamat. " + NextSteps(lang, RiskLow)
	}
	until := s.EndsAt.In(MalaysiaTime).Format("2006-01-02 15:04")
	if lang == "en" {
		body = fmt.Sprintf("%sYour jaga risk status is now %s, until %s. Why: %s What to do: %s",
			who, StatusName(lang, s.Status), until, ReasonText(lang, s), NextSteps(lang, s.Status))
	} else {
		body = fmt.Sprintf("%sStatus risiko jaga anda kini %s, sehingga %s. Sebab: %s Tindakan: %s",
			who, StatusName(lang, s.Status), until, ReasonText(lang, s), NextSteps(lang, s.Status))
	}
	return subject, body
}

// SortCaseRowErrors orders problems by line, then field in the order of
// CaseFields.
func SortCaseRowErrors(errs []RowError) {
	rank := func(field string) int {
		for i, f := range CaseFields {
			if f == field {
				return i
			}
		}
		return -1
	}
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return rank(errs[i].Field) < rank(errs[j].Field)
	})
}
