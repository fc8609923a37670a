package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"sort"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/loadgen"
	"github.com/jaga-health/jaga/sqlstore"
)

const tracebenchUsage = `Usage:
  jaga tracebench --db DSN [--scale S] [--days N] [--sample N] [--seed N]
                  [--cpuprofile FILE] [--reuse] [--no-segments] [--load-only]
                  [--find-only]
      Fill an empty database with a synthetic population and --days days of
      check-ins shaped by Malaysia's published half-hourly curves (the days
      up to the peak day, 2021-12-04), --scale times the peak day's volume
      (1: 34,546,300 check-ins a day; 11,512,700 people; 766,580 premises),
      and confirm the peak day's cases at the real peak ratio of cases to
      check-ins (33,406 cases at scale 1). Then trace them with jaga
      (TraceDay), trace --sample of them again one by one for the per-case
      time, run the same tracing as one SQL query (once before jaga, to warm
      the cache, and once after, timed), and check that both find the same
      contacts. --reuse traces a database that an earlier run with the same
      --scale, --days and --seed loaded, after undoing that run's tracing.
      The check-in segments of the hours the day's tracing reaches are built
      first (timed); --no-segments then traces from the checkins table only.
      --load-only stops there, for a later --reuse: at the national scale
      the load takes over an hour. --find-only times jaga's reading half
      alone (FindDay) once, with no baseline and no writes, its last line
      cases=N find_s=N: for measuring it with the page cache emptied.
      The last line is
      cases=N contacts=N trace_s=N baseline_s=N speedup=N p99_case_ms=N
`

// Malaysia's published figures at the peak (data/moh-covid19-public).
const (
	peakCheckIns    = 34546300 // 2021-12-04, the busiest day of check-ins
	peakIndividuals = 11512700 // distinct people who checked in that day
	peakLocations   = 766580   // distinct premises that day
	peakCases       = 33406    // 2022-03-05, the most new cases in a day
)

func runTracebench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := defaultConfig()
	if err := c.fromEnv(getenv); err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	fs := flag.NewFlagSet("jaga tracebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tracebenchUsage) }
	c.flags(fs, false)
	scale := fs.Float64("scale", 0.001, "volume as a share of the peak day")
	days := fs.Int("days", 14, "days of check-ins, ending on the peak day")
	sample := fs.Int("sample", 200, "cases traced again one by one for the per-case time")
	seed := fs.Uint64("seed", 1, "random seed")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the tracing to this file")
	reuse := fs.Bool("reuse", false, "trace the data an earlier run loaded into --db, undoing its tracing first")
	noSegments := fs.Bool("no-segments", false, "trace from the checkins table only, not from check-in segments")
	loadOnly := fs.Bool("load-only", false, "load the data and build the segments, then stop")
	findOnly := fs.Bool("find-only", false, "time jaga's reading half alone (FindDay) once, with no baseline and no writes")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if *scale <= 0 || *scale > 1 || *days < 1 || *days > 28 || *sample < 0 {
		return exitError{code: 2, msg: "tracebench: --scale 0 to 1, --days 1 to 28, --sample 0 or more"}
	}
	db, err := openStore(ctx, c, c.logger(stderr), true)
	if err != nil {
		return err
	}
	defer db.Close()
	b := &traceBench{db: db, out: stdout, rng: rand.New(rand.NewPCG(*seed, 2021)), scale: *scale, days: *days, profile: *profile, reuse: *reuse, noSegments: *noSegments,
		loadOnly: *loadOnly, findOnly: *findOnly}
	return b.run(ctx, *sample)
}

// traceBench is one run of the tracing benchmark.
type traceBench struct {
	db    *sqlstore.DB
	out   io.Writer
	rng   *rand.Rand
	scale float64
	days  int
	// profile is a file for a CPU profile of TraceDay (of FindDay with
	// findOnly); "" for none.
	profile     string
	profileFile *os.File
	// reuse traces the cases already in the database, if any, instead of
	// loading: for measuring changes to tracing without reloading.
	reuse bool
	// noSegments traces from the checkins table only.
	noSegments bool
	// loadOnly stops once the data are loaded and the segments built.
	loadOnly bool
	// findOnly times FindDay once and stops: for measuring the reading
	// half, cold or warm, without the baseline's quarter of an hour.
	findOnly bool

	people, premises int
	premisesStay     []time.Duration
	day              time.Time // the peak day's start, Malaysia time
}

func (b *traceBench) logf(format string, args ...any) {
	fmt.Fprintf(b.out, format+"\n", args...)
}

func (b *traceBench) run(ctx context.Context, sample int) error {
	var err error
	if b.day, err = time.ParseInLocation(time.DateOnly, loadgen.PeakDay, jaga.MalaysiaTime); err != nil {
		return err
	}
	now := b.day.Add(24*time.Hour - time.Minute) // the evening of the peak day
	b.db.Now = func() time.Time { return now }
	b.people = max(100, int(math.Round(peakIndividuals*b.scale)))
	b.premises = max(10, int(math.Round(peakLocations*b.scale)))
	perDay := int(math.Round(peakCheckIns * b.scale))
	nCases := max(1, int(math.Round(float64(perDay)*peakCases/peakCheckIns)))
	b.logf("engine=%s scale=%g days=%d people=%d premises=%d checkins_per_day=%d cases=%d",
		b.db.Dialect(), b.scale, b.days, b.people, b.premises, perDay, nCases)

	start := time.Now()
	var cases []string
	if b.reuse {
		if cases, err = b.db.BenchCases(ctx, b.day.Format(time.DateOnly)); err != nil {
			return err
		}
	}
	if len(cases) > 0 {
		if err := b.db.ResetTracing(ctx); err != nil {
			return err
		}
		b.logf("reused the loaded database: %d cases, tracing's writes undone in %.1fs", len(cases), time.Since(start).Seconds())
	} else if cases, err = b.load(ctx, perDay, nCases); err != nil {
		return err
	}

	// The hours the day's tracing reaches: its cases' infectious windows
	// begin two days before an onset the day before, and a visit may run
	// a day into them. A running server builds every hour's as it passes.
	segStart := time.Now()
	built, err := b.db.BuildCheckinSegmentsSince(ctx, b.day.AddDate(0, 0, -5))
	if err != nil {
		return err
	}
	b.logf("check-in segments: %d built in %.2fs", built, time.Since(segStart).Seconds())
	if b.loadOnly {
		b.logf("loaded: trace it with --reuse")
		return nil
	}

	day := b.day.Format(time.DateOnly)
	tracing := sqlstore.NewTracingService(b.db, jaga.DefaultTracing())
	if b.noSegments {
		tracing.ReadCheckinsOnly()
	}
	sys := jaga.SystemContext(ctx)
	if b.findOnly {
		if err := b.startProfile(); err != nil {
			return err
		}
		t0 := time.Now()
		found, err := tracing.FindDay(sys, day)
		b.stopProfile()
		if err != nil {
			return fmt.Errorf("find day: %w", err)
		}
		b.logf("jaga's reading half alone (FindDay, no writes): %d statuses", found)
		b.logf("cases=%d find_s=%.2f", len(cases), time.Since(t0).Seconds())
		return nil
	}
	// The baseline runs once first, so that both are timed on a warm
	// cache; its second run is the one compared.
	t0 := time.Now()
	if _, err := b.db.BaselineContacts(ctx, day, jaga.DefaultTracing(), now); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	b.logf("baseline, cold: %.2fs", time.Since(t0).Seconds())
	if err := b.startProfile(); err != nil {
		return err
	}
	t0 = time.Now()
	rep, err := tracing.TraceDay(sys, day)
	if err != nil {
		return fmt.Errorf("trace day: %w", err)
	}
	traceS := time.Since(t0).Seconds()
	b.stopProfile()
	b.logf("jaga traced %d cases in %.2fs: %d statuses in force; finding %.2fs, recording %.2fs, the longest record transaction %.0fms",
		rep.Cases, traceS, rep.Contacts, rep.FindTime.Seconds(), rep.WriteTime.Seconds(), float64(rep.LongestWrite)/float64(time.Millisecond))
	// Then written out as serve's job would: histories, door statuses,
	// messages.
	t0 = time.Now()
	applied, err := tracing.ApplyTraces(sys)
	if err != nil {
		return fmt.Errorf("apply traces: %w", err)
	}
	applyS := time.Since(t0).Seconds()
	b.logf("jaga applied them in %.2fs: %d new statuses", applyS, applied)

	t0 = time.Now()
	found, err := tracing.FindDay(sys, day)
	if err != nil {
		return fmt.Errorf("find day: %w", err)
	}
	findS := time.Since(t0).Seconds()
	b.logf("jaga's reading half alone (FindDay, no writes): %d statuses in %.2fs", found, findS)

	var perCase []time.Duration
	for _, i := range b.rng.Perm(len(cases))[:min(sample, len(cases))] {
		t := time.Now()
		if _, err := tracing.TraceCase(sys, cases[i]); err != nil {
			return fmt.Errorf("trace case: %w", err)
		}
		perCase = append(perCase, time.Since(t))
	}
	p99 := 0.0
	if len(perCase) > 0 {
		sort.Slice(perCase, func(i, j int) bool { return perCase[i] < perCase[j] })
		p99 = float64(perCase[int(math.Ceil(0.99*float64(len(perCase))))-1]) / float64(time.Millisecond)
	}

	t0 = time.Now()
	base, err := b.db.BaselineContacts(ctx, day, jaga.DefaultTracing(), now)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	baseS := time.Since(t0).Seconds()
	traced, err := b.db.TracedContacts(ctx, day)
	if err != nil {
		return err
	}
	missing, extra := 0, 0
	for p := range base {
		if !traced[p] {
			missing++
		}
	}
	for p := range traced {
		if !base[p] {
			extra++
		}
	}
	b.logf("baseline found %d contacts in %.2fs; jaga %d: %d missing from jaga, %d not in the baseline", len(base), baseS, len(traced), missing, extra)
	speedup := 0.0
	if traceS > 0 {
		speedup = baseS / traceS
	}
	// find_s is jaga's reading half alone (FindDay), record_s the
	// recording half of the timed TraceDay, apply_s the writing out that
	// follows it (ApplyTraces); speedup sets the whole of TraceDay, which
	// also records, beside the baseline query, which only reads.
	b.logf("find_s=%.2f record_s=%.2f longest_record_ms=%.0f apply_s=%.2f find_speedup=%.1f",
		findS, rep.WriteTime.Seconds(), float64(rep.LongestWrite)/float64(time.Millisecond), applyS, baseS/max(findS, 1e-9))
	b.logf("cases=%d contacts=%d trace_s=%.2f baseline_s=%.2f speedup=%.1f p99_case_ms=%.1f",
		len(cases), len(traced), traceS, baseS, speedup, p99)
	if missing+extra > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("tracebench: jaga and the baseline differ (%d missing, %d extra)", missing, extra)}
	}
	return nil
}

// startProfile starts the CPU profile asked for, if any.
func (b *traceBench) startProfile() error {
	if b.profile == "" {
		return nil
	}
	f, err := os.Create(b.profile)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	b.profileFile = f
	return nil
}

// stopProfile ends the CPU profile started, if any.
func (b *traceBench) stopProfile() {
	if b.profileFile != nil {
		pprof.StopCPUProfile()
		b.profileFile.Close()
		b.profileFile = nil
	}
}

// load fills the database and returns the cases' ids.
func (b *traceBench) load(ctx context.Context, perDay, nCases int) ([]string, error) {
	start := time.Now()
	ministry, premisesOrg, err := b.orgs(ctx)
	if err != nil {
		return nil, err
	}
	if err := b.loadPeople(ctx); err != nil {
		return nil, err
	}
	if err := b.loadPremises(ctx, premisesOrg); err != nil {
		return nil, err
	}
	n, err := b.loadCheckIns(ctx, perDay)
	if err != nil {
		return nil, err
	}
	cases, err := b.loadCases(ctx, ministry, nCases)
	if err != nil {
		return nil, err
	}
	if err := b.db.Analyze(ctx); err != nil {
		return nil, err
	}
	b.logf("loaded %d check-ins and %d cases in %.1fs", n, len(cases), time.Since(start).Seconds())
	return cases, nil
}

// orgs creates the ministry that confirms the cases and the organisation
// that owns the premises.
func (b *traceBench) orgs(ctx context.Context) (ministry, owner string, err error) {
	orgs := sqlstore.NewOrganisationService(b.db)
	sys := jaga.SystemContext(ctx)
	suffix := time.Now().UnixNano()
	m := &jaga.Organisation{Name: fmt.Sprintf("Synthetic ministry %d", suffix), Kind: jaga.OrgMinistry}
	o := &jaga.Organisation{Name: fmt.Sprintf("Synthetic premises owner %d", suffix), Kind: jaga.OrgPremisesOwner}
	for _, org := range []*jaga.Organisation{m, o} {
		if err := orgs.CreateOrganisation(sys, org); err != nil {
			return "", "", err
		}
	}
	return m.ID, o.ID, nil
}

func personID(i int) string   { return fmt.Sprintf("%032x", i+1) }
func premisesID(i int) string { return fmt.Sprintf("f%031x", i+1) }

// personSeq and premisesSeq are the numbers (seq) that check-ins name
// person i and premises i by.
func personSeq(i int) int64   { return int64(i + 1) }
func premisesSeq(i int) int64 { return int64(i + 1) }

func (b *traceBench) loadPeople(ctx context.Context) error {
	at := b.day.AddDate(0, 0, -b.days).UTC()
	i := 0
	_, err := b.db.LoadRows(ctx, "people", []string{"id", "seq", "phone", "full_name", "language", "pseudonym", "created_at", "updated_at"},
		func() ([]any, bool) {
			if i == b.people {
				return nil, false
			}
			r := []any{personID(i), personSeq(i), fmt.Sprintf("+601%09d", i), fmt.Sprintf("Orang Sintetik %d", i), jaga.Languages[i%2],
				fmt.Sprintf("s%031x", i+1), at, at}
			i++
			return r, true
		})
	return err
}

func (b *traceBench) loadPremises(ctx context.Context, org string) error {
	var types []string
	for t := range jaga.PremisesTypes {
		types = append(types, t)
	}
	sort.Strings(types)
	at := b.day.AddDate(0, 0, -b.days).UTC()
	b.premisesStay = make([]time.Duration, b.premises)
	i := 0
	_, err := b.db.LoadRows(ctx, "premises", []string{"id", "seq", "org_id", "name", "type", "address", "state", "latitude", "longitude",
		"capacity", "short_code", "token_version", "created_at", "updated_at"},
		func() ([]any, bool) {
			if i == b.premises {
				return nil, false
			}
			typ := types[b.rng.IntN(len(types))]
			b.premisesStay[i] = jaga.PremisesTypes[typ]
			r := []any{premisesID(i), premisesSeq(i), org, fmt.Sprintf("Premis Sintetik %d", i), typ, fmt.Sprintf("%d Jalan Sintetik", i),
				jaga.States[i%len(jaga.States)], 1.5 + b.rng.Float64()*5, 100.5 + b.rng.Float64()*18, 100,
				fmt.Sprintf("S%09d", i), 1, at, at}
			i++
			return r, true
		})
	return err
}

// loadCheckIns writes perDay check-ins on each of the days up to the peak
// day, spread over the half hours as that day's published curve: a person
// and a premises at random (no distribution of visits over premises is
// published); four in ten check out, the rest leave at the premises'
// default stay. Rows are as check-ins by the person themselves: no actor,
// and written when they checked in.
func (b *traceBench) loadCheckIns(ctx context.Context, perDay int) (int, error) {
	first := b.day.AddDate(0, 0, -(b.days - 1))
	if err := b.db.CheckinDays(ctx, first.UTC(), b.day.Add(24*time.Hour).UTC()); err != nil {
		return 0, err
	}
	// The slots of every day, in order: (slot start, check-ins in it).
	type slot struct {
		at time.Time
		n  int
	}
	var slots []slot
	for d := 0; d < b.days; d++ {
		day := first.AddDate(0, 0, d)
		curve, err := loadgen.CheckInCurve(day.Format(time.DateOnly))
		if err != nil {
			return 0, err
		}
		sum := 0.0
		for _, v := range curve {
			sum += v
		}
		for i, v := range curve {
			slots = append(slots, slot{day.Add(time.Duration(i) * 30 * time.Minute).UTC(), int(math.Round(v / sum * float64(perDay)))})
		}
	}
	si, left := 0, 0
	if len(slots) > 0 {
		left = slots[0].n
	}
	// Visit ids as the migration to compact rows numbers check-ins at one
	// moment: the time in microseconds shifted left by 10 bits, plus how
	// many came before at that moment.
	var lastIn time.Time
	same := int64(0)
	return b.db.LoadRows(ctx, "checkins", []string{"id", "person", "premises", "checked_in_at", "leaves_at", "checked_out_at", "source"},
		func() ([]any, bool) {
			for left == 0 {
				si++
				if si >= len(slots) {
					return nil, false
				}
				left = slots[si].n
			}
			left--
			// Check-ins in a slot are written in time order, as they arrive.
			s := slots[si]
			in := s.at.Add(time.Duration((s.n-left-1)*1800/max(1, s.n)) * time.Second)
			p := b.rng.IntN(b.premises)
			person := b.rng.IntN(b.people)
			stay := b.premisesStay[p]
			var out any
			if b.rng.IntN(10) < 4 {
				out = in.Add(time.Duration(10+b.rng.IntN(80)) * time.Minute).UnixMicro()
			}
			if in.Equal(lastIn) {
				same++
			} else {
				lastIn, same = in, 0
			}
			return []any{in.UnixMicro()<<10 + same, personSeq(person), premisesSeq(p), in.UnixMicro(), in.Add(stay).UnixMicro(), out,
				"scan"}, true
		})
}

// loadCases confirms nCases people at random as cases tested on the peak
// day, half with symptoms from the day before, each with their confirmed
// status, as an officer's entries would.
func (b *traceBench) loadCases(ctx context.Context, ministry string, nCases int) ([]string, error) {
	cfg := jaga.DefaultTracing()
	tested := b.day.Format(time.DateOnly)
	onset := b.day.AddDate(0, 0, -1).Format(time.DateOnly)
	confirmed := b.day.Add(12 * time.Hour).UTC()
	chosen := map[int]bool{}
	var who []int
	for len(who) < min(nCases, b.people) {
		p := b.rng.IntN(b.people)
		if !chosen[p] {
			chosen[p] = true
			who = append(who, p)
		}
	}
	type rec struct {
		id, person, ref, onset string
		window                 jaga.Interval
	}
	recs := make([]rec, len(who))
	for i, p := range who {
		r := rec{id: fmt.Sprintf("%032x", 1<<40+i), person: personID(p), ref: fmt.Sprintf("BENCH-%06d", i)}
		if i%2 == 0 {
			r.onset = onset
		}
		w, err := cfg.InfectiousWindow(tested, r.onset)
		if err != nil {
			return nil, err
		}
		r.window = w
		recs[i] = r
	}
	i := 0
	if _, err := b.db.LoadRows(ctx, "cases", []string{"id", "person_id", "reference", "trace_ref", "source", "tested_on", "onset_on",
		"infectious_from", "infectious_to", "org_id", "confirmed_by", "confirmed_at"},
		func() ([]any, bool) {
			if i == len(recs) {
				return nil, false
			}
			r := recs[i]
			i++
			return []any{r.id, r.person, r.ref, fmt.Sprintf("TB%010X", i), jaga.CaseSourceOfficer, tested, r.onset,
				r.window.From, r.window.To, ministry, "bench", confirmed}, true
		}); err != nil {
		return nil, err
	}
	i = 0
	prec := cfg.Rules[jaga.RiskConfirmed].Precedence
	if _, err := b.db.LoadRows(ctx, "risk_statuses", []string{"id", "person_id", "status", "rule", "reason", "starts_at", "ends_at",
		"created_at", "precedence", "case_ref"},
		func() ([]any, bool) {
			if i == len(recs) {
				return nil, false
			}
			r := recs[i]
			i++
			return []any{fmt.Sprintf("%032x", 1<<41+i), r.person, jaga.RiskConfirmed, jaga.RuleConfirmed, "You tested positive.",
				confirmed, r.window.To, confirmed, prec, fmt.Sprintf("TB%010X", i)}, true
		}); err != nil {
		return nil, err
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.id
	}
	return ids, nil
}
