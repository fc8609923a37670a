package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jaga-health/jaga"
)

// RecordVisitsTogether records visits at p in one group-commit write, as
// when check-ins meet in one batch.
func RecordVisitsTogether(ctx context.Context, db *DB, premises []*jaga.Premises, visits []*jaga.Visit) error {
	return db.writer().do(ctx, db.now(), func(ctx context.Context, tx *Tx) error {
		for i, v := range visits {
			vs, err := tx.visitors(ctx, v.PersonID, true, nil, v.CheckedInAt)
			if err != nil {
				return err
			}
			if err := tx.recordVisit(ctx, v, vs[0].seq, premises[i], v.PersonID); err != nil {
				return err
			}
		}
		return nil
	})
}

// CardsLive reports whether check-ins on PostgreSQL read people from memory.
func CardsLive(db *DB) bool { return db.cardsLive.Load() }

// CollectDay runs tracing's reading half for the cases confirmed on day,
// through check-in segments or from checkins only, and returns what it
// found, one line a status, sorted.
func CollectDay(ctx context.Context, s *TracingService, day string, segments bool) ([]string, error) {
	start, err := time.ParseInLocation(time.DateOnly, day, jaga.MalaysiaTime)
	if err != nil {
		return nil, err
	}
	cases, err := s.casesOfDay(ctx, start)
	if err != nil {
		return nil, err
	}
	readers, _, release, err := s.db.tracingReaders(ctx, len(cases))
	if err != nil {
		return nil, err
	}
	defer release()
	// Through segments, the cases' visits are read at once, as a day's
	// batches read them.
	var view *segmentView
	var known *caseVisits
	if segments {
		view = &segmentView{now: s.db.now()}
		if known, err = s.db.visitsOfCases(ctx, readers, view, cases); err != nil {
			return nil, err
		}
	}
	given, err := s.db.collect(ctx, readers, view, known, cases, &s.cfg, s.db.now(), false)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range given {
		line := fmt.Sprintf("%s %s %s %s", g.caseID, g.st.PersonID, g.st.Rule, g.st.PremisesID)
		if g.st.Exposure != nil {
			line += " " + g.st.Exposure.From.Format(time.RFC3339) + "/" + g.st.Exposure.To.Format(time.RFC3339)
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out, nil
}

// SegmentsBuilt returns the start times of the check-in segments stored.
func SegmentsBuilt(ctx context.Context, db *DB) ([]time.Time, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT starts_at FROM checkin_segments ORDER BY starts_at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var us int64
		if err := rows.Scan(&us); err != nil {
			return nil, err
		}
		out = append(out, fromMicros(us))
	}
	return out, rows.Err()
}

// WriterDo runs fn through db's group-commit writer.
func WriterDo(db *DB, fn func(ctx context.Context, tx *Tx) error) error {
	return db.writer().do(context.Background(), db.now(), fn)
}

// ForgetRecordedTraces empties what db keeps of recorded traces, as a
// server that has just started has it.
func ForgetRecordedTraces(db *DB) {
	if p := db.pending.Load(); p != nil {
		for id := range p.ids() {
			p.drop(id)
		}
	}
}

// SetTraceBatch makes TraceDay and FindDay find n cases at a time.
func SetTraceBatch(s *TracingService, n int) { s.batch = n }

// CaseVisitsBothWays reads the visits of the cases confirmed on day
// once through segments (as a day's batches do) and once person by
// person from checkins, one line a visit, sorted.
func CaseVisitsBothWays(ctx context.Context, s *TracingService, day string) (scanned, probed []string, err error) {
	start, err := time.ParseInLocation(time.DateOnly, day, jaga.MalaysiaTime)
	if err != nil {
		return nil, nil, err
	}
	cases, err := s.casesOfDay(ctx, start)
	if err != nil {
		return nil, nil, err
	}
	lines := func(seqs map[string]int64, visits map[int64][]caseVisit) []string {
		var out []string
		for _, c := range cases {
			for _, v := range visits[seqs[c.personID]] {
				line := fmt.Sprintf("%s %d %s/%s", c.personID, v.premises, v.CheckedInAt.Format(time.RFC3339), v.LeavesAt.Format(time.RFC3339))
				if v.CheckedOutAt != nil {
					line += " out " + v.CheckedOutAt.Format(time.RFC3339)
				}
				out = append(out, line)
			}
		}
		sort.Strings(out)
		return out
	}
	known, err := s.db.visitsOfCases(ctx, []reader{s.db.db}, &segmentView{now: s.db.now()}, cases)
	if err != nil {
		return nil, nil, err
	}
	seqs, visits, err := s.db.visitsOfPeople(ctx, s.db.db, cases)
	if err != nil {
		return nil, nil, err
	}
	return lines(known.seqs, known.visits), lines(seqs, visits), nil
}
