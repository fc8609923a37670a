package sqlstore_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// loadRows loads rows into a table as the tracing benchmark does.
func loadRows(t *testing.T, e *env, table string, columns []string, rows ...[]any) {
	t.Helper()
	i := 0
	n, err := e.DB.LoadRows(context.Background(), table, columns, func() ([]any, bool) {
		if i == len(rows) {
			return nil, false
		}
		i++
		return rows[i-1], true
	})
	if err != nil || n != len(rows) {
		t.Fatalf("load %s: %d rows, %v", table, n, err)
	}
}

// applyAndCompare writes out what tracing recorded for day and returns
// the contacts it wrote and those the baseline query finds.
func applyAndCompare(t *testing.T, e *env, tracing *sqlstore.TracingService, cfg jaga.TracingConfig, day string) (traced, base map[sqlstore.ContactPair]bool) {
	t.Helper()
	if _, err := tracing.ApplyTraces(system()); err != nil {
		t.Fatalf("apply traces: %v", err)
	}
	traced, err := e.DB.TracedContacts(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	if base, err = e.DB.BaselineContacts(context.Background(), day, cfg, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	return traced, base
}

// seqOf returns the number (seq) of a person or a premises.
func seqOf(t *testing.T, e *env, table, id string) int64 {
	t.Helper()
	var seq int64
	if err := e.Raw.QueryRow(`SELECT seq FROM `+table+` WHERE id = $1`, id).Scan(&seq); err != nil {
		t.Fatalf("seq of %s: %v", table, err)
	}
	return seq
}

// A day of loaded rows, traced by jaga and by the baseline query: a case
// checks in at two shops at one moment (the one whose id sorts first is
// left at once, though its number is the higher), then at a mall; people
// are numbered out of order, and one check-in names no one.
func TestTracebenchLoadAndBaseline(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cfg := jaga.DefaultTracing()
		owner := e.org(t, jaga.OrgPremisesOwner)
		ministry := e.org(t, jaga.OrgMinistry)
		person := func(n int64) string { return fmt.Sprintf("%032x", n) }
		// The case, and contacts P1 to P5, by number.
		const c, p1, p2, p3, p4, p5, nobody = 7, 3, 4, 5, 6, 1000, 999
		created := start.AddDate(0, -1, 0)
		var people [][]any
		for _, n := range []int64{c, p1, p2, p3, p4, p5} {
			people = append(people, []any{person(n), n, fmt.Sprintf("Orang %d", n), "en", fmt.Sprintf("s%031x", n), created, created})
		}
		peopleCols := []string{"id", "seq", "full_name", "language", "pseudonym", "created_at", "updated_at"}
		loadRows(t, e, "people", peopleCols, people...)
		// x's id sorts before y's; y's number is lower.
		x, y, z := "a"+person(1)[1:], "b"+person(1)[1:], "c"+person(1)[1:]
		premises := func(id string, seq int64, typ string) []any {
			return []any{id, seq, owner.ID, "Premis " + id[:1], typ, "1 Jalan Ujian", "Selangor", 3.0, 101.5, 50, "T" + id[:1], 1, created, created}
		}
		loadRows(t, e, "premises", []string{"id", "seq", "org_id", "name", "type", "address", "state", "latitude", "longitude",
			"capacity", "short_code", "token_version", "created_at", "updated_at"},
			premises(x, 20, "retail"), premises(y, 10, "retail"), premises(z, 30, "mall"))

		at := start.Add(-6 * time.Hour)
		if err := e.DB.CheckinDays(ctx, at.Add(-24*time.Hour), at.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		us := func(d time.Duration) int64 { return at.Add(d).UnixMicro() }
		visit := func(id int64, who, where int64, in, leaves time.Duration, out any) []any {
			return []any{us(in)<<10 + id, who, where, us(in), us(leaves), out, "scan"}
		}
		h, m := time.Hour, time.Minute
		loadRows(t, e, "checkins", []string{"id", "person", "premises", "checked_in_at", "leaves_at", "checked_out_at", "source"},
			visit(0, p3, 30, -30*m, 150*m, us(135*m)),
			visit(0, c, 20, 0, h, nil),
			visit(1, c, 10, 0, h, nil),
			visit(0, nobody, 10, 10*m, 70*m, nil),
			visit(0, p5, 10, 20*m, 80*m, us(40*m)),
			visit(0, p1, 10, 40*m, 100*m, nil),
			visit(1, p2, 20, 40*m, 100*m, nil),
			visit(0, c, 30, 2*h, 5*h, us(140*m)),
			visit(0, p4, 30, 165*m, 345*m, nil))

		day := start.In(jaga.MalaysiaTime).Format(time.DateOnly)
		w, err := cfg.InfectiousWindow(day, "")
		if err != nil {
			t.Fatal(err)
		}
		loadRows(t, e, "cases", []string{"id", "person_id", "reference", "trace_ref", "source", "tested_on", "onset_on",
			"infectious_from", "infectious_to", "org_id", "confirmed_by", "confirmed_at"},
			[]any{person(1 << 40), person(c), "BENCH-1", "TB1", jaga.CaseSourceOfficer, day, "", w.From, w.To, ministry.ID, "bench", start.Add(-time.Hour)})

		tracing := sqlstore.NewTracingService(e.DB, cfg)
		if _, err := tracing.TraceDay(system(), day); err != nil {
			t.Fatalf("trace day: %v", err)
		}
		traced, base := applyAndCompare(t, e, tracing, cfg, day)
		want := map[sqlstore.ContactPair]bool{}
		for _, n := range []int64{p1, p3, p5} {
			want[sqlstore.ContactPair{PersonID: person(n), CaseID: person(1 << 40)}] = true
		}
		if fmt.Sprint(traced) != fmt.Sprint(want) || fmt.Sprint(base) != fmt.Sprint(want) {
			t.Fatalf("contacts: jaga %v, baseline %v, want %v", traced, base, want)
		}

		t.Run("the statuses name the premises by id", func(t *testing.T) {
			for n, want := range map[int64]string{p1: y, p3: z, p5: y} {
				var got string
				var from, to time.Time
				if err := e.Raw.QueryRow(`SELECT premises_id, exposed_from, exposed_to FROM risk_statuses WHERE person_id = $1 AND rule = $2`,
					person(n), jaga.RuleCheckIn).Scan(&got, &from, &to); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("person %d: premises %q, want %q", n, got, want)
				}
				if n == p5 && (!from.Equal(at.Add(20*m)) || !to.Equal(at.Add(40*m))) {
					t.Errorf("person %d: exposed %v to %v", n, from, to)
				}
			}
		})

		t.Run("numbers go on from the highest loaded", func(t *testing.T) {
			_, first := e.citizen(t)
			if got := seqOf(t, e, "people", first.ID); got != p5+1 {
				t.Fatalf("a new person's number is %d, want %d", got, p5+1)
			}
			loadRows(t, e, "people", peopleCols, []any{person(1), int64(1), "Orang 1", "en", fmt.Sprintf("s%031x", 1), created, created})
			_, second := e.citizen(t)
			if got := seqOf(t, e, "people", second.ID); got != p5+2 {
				t.Fatalf("after loading a lower number, a new person's number is %d, want %d", got, p5+2)
			}
			p, _, _ := e.premises(t, "retail")
			if got := seqOf(t, e, "premises", p.ID); got != 31 {
				t.Fatalf("a new premises' number is %d, want 31", got)
			}
		})
	})
}

// A day of many cases traced in many small batches, by two finders when
// there are two cores: the same contacts as the baseline query's, and as
// FindDay finds.
func TestTraceDayInBatches(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cfg := jaga.DefaultTracing()
		owner := e.org(t, jaga.OrgPremisesOwner)
		ministry := e.org(t, jaga.OrgMinistry)
		person := func(n int) string { return fmt.Sprintf("%032x", n) }
		const cases, contactsEach, places = 120, 3, 15
		created := start.AddDate(0, -1, 0)
		var people [][]any
		for n := 1; n <= cases*(1+contactsEach); n++ {
			people = append(people, []any{person(n), n, fmt.Sprintf("Orang %d", n), "en", fmt.Sprintf("s%031x", n), created, created})
		}
		loadRows(t, e, "people", []string{"id", "seq", "full_name", "language", "pseudonym", "created_at", "updated_at"}, people...)
		var premises [][]any
		for p := 1; p <= places; p++ {
			id := fmt.Sprintf("f%031x", p)
			premises = append(premises, []any{id, p, owner.ID, fmt.Sprintf("Premis %d", p), "retail", "1 Jalan Ujian", "Selangor", 3.0, 101.5,
				50, fmt.Sprintf("T%03d", p), 1, created, created})
		}
		loadRows(t, e, "premises", []string{"id", "seq", "org_id", "name", "type", "address", "state", "latitude", "longitude",
			"capacity", "short_code", "token_version", "created_at", "updated_at"}, premises...)
		at := start.Add(-30 * time.Hour)
		if err := e.DB.CheckinDays(ctx, at.Add(-24*time.Hour), start.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		// Case c at premises c%places for an hour, c×7 minutes after at;
		// its contacts there from 20 minutes in, for 30 minutes; another
		// case's visits often overlap.
		var visits [][]any
		for c := 1; c <= cases; c++ {
			in := at.Add(time.Duration(c*7) * time.Minute)
			visits = append(visits, []any{in.UnixMicro() << 10, c, c%places + 1, in.UnixMicro(), in.Add(time.Hour).UnixMicro(), nil, "scan"})
			for k := 1; k <= contactsEach; k++ {
				who := cases + (c-1)*contactsEach + k
				cin := in.Add(20 * time.Minute)
				visits = append(visits, []any{cin.UnixMicro()<<10 + int64(k), who, c%places + 1, cin.UnixMicro(), cin.Add(time.Hour).UnixMicro(),
					cin.Add(30 * time.Minute).UnixMicro(), "scan"})
			}
		}
		sort.Slice(visits, func(i, j int) bool { return visits[i][0].(int64) < visits[j][0].(int64) })
		loadRows(t, e, "checkins", []string{"id", "person", "premises", "checked_in_at", "leaves_at", "checked_out_at", "source"}, visits...)
		day := start.In(jaga.MalaysiaTime).Format(time.DateOnly)
		w, err := cfg.InfectiousWindow(day, "")
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]any
		for c := 1; c <= cases; c++ {
			rows = append(rows, []any{fmt.Sprintf("case%028x", c), person(c), fmt.Sprintf("BATCH-%d", c), fmt.Sprintf("TB%d", c), jaga.CaseSourceOfficer,
				day, "", w.From, w.To, ministry.ID, "bench", start.Add(-time.Hour)})
		}
		loadRows(t, e, "cases", []string{"id", "person_id", "reference", "trace_ref", "source", "tested_on", "onset_on",
			"infectious_from", "infectious_to", "org_id", "confirmed_by", "confirmed_at"}, rows...)
		if _, err := e.DB.BuildCheckinSegments(ctx); err != nil {
			t.Fatal(err)
		}

		tracing := sqlstore.NewTracingService(e.DB, cfg)
		sqlstore.SetTraceBatch(tracing, 7) // 18 batches
		rep, err := tracing.TraceDay(system(), day)
		if err != nil {
			t.Fatalf("trace day: %v", err)
		}
		found, err := tracing.FindDay(system(), day)
		if err != nil {
			t.Fatalf("find day: %v", err)
		}
		traced, base := applyAndCompare(t, e, tracing, cfg, day)
		for _, tc := range []struct {
			name string
			ok   bool
		}{
			{"every case traced", rep.Cases == cases},
			{"each case's contacts at least", len(traced) >= cases*contactsEach},
			{"the same contacts as the baseline", fmt.Sprint(traced) == fmt.Sprint(base)},
			{"FindDay finds what TraceDay recorded", found == rep.Contacts},
			{"every found status written out", e.count(t, `SELECT count(*) FROM risk_statuses WHERE rule = $1`, jaga.RuleCheckIn) == rep.Contacts},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if !tc.ok {
					t.Fatalf("not so: %d cases, %d contacts traced, %d in the baseline, %d found, %d recorded", rep.Cases, len(traced), len(base), found, rep.Contacts)
				}
			})
		}
	})
}
