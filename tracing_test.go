package jaga_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

var t0 = time.Date(2026, time.March, 2, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func visit(person, premises string, in, leaves int, out ...int) jaga.Visit {
	v := jaga.Visit{PersonID: person, PremisesID: premises, CheckedInAt: at(in), LeavesAt: at(leaves)}
	if len(out) > 0 {
		o := at(out[0])
		v.CheckedOutAt = &o
	}
	return v
}

func TestIntervalOverlap(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b jaga.Interval
		want time.Duration
	}{
		{"touching", jaga.Interval{at(0), at(60)}, jaga.Interval{at(60), at(90)}, 0},
		{"disjoint", jaga.Interval{at(0), at(30)}, jaga.Interval{at(40), at(90)}, 0},
		{"inside", jaga.Interval{at(0), at(60)}, jaga.Interval{at(10), at(20)}, 10 * time.Minute},
		{"partial", jaga.Interval{at(0), at(60)}, jaga.Interval{at(50), at(90)}, 10 * time.Minute},
		{"same", jaga.Interval{at(0), at(60)}, jaga.Interval{at(0), at(60)}, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Overlap(tc.b); got != tc.want {
				t.Errorf("a.Overlap(b) = %v, want %v", got, tc.want)
			}
			if got := tc.b.Overlap(tc.a); got != tc.want {
				t.Errorf("b.Overlap(a) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVisitInterval(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    jaga.Visit
		want jaga.Interval
	}{
		{"checked out", visit("p", "x", 0, 90, 30), jaga.Interval{at(0), at(30)}},
		{"no check-out: automatic check-out", visit("p", "x", 0, 90), jaga.Interval{at(0), at(90)}},
		{"no end at all: default stay", jaga.Visit{CheckedInAt: at(0)}, jaga.Interval{at(0), at(120)}},
		{"check-out after automatic check-out", visit("p", "x", 0, 90, 200), jaga.Interval{at(0), at(90)}},
		{"check-out before check-in ignored", visit("p", "x", 0, 90, -5), jaga.Interval{at(0), at(90)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := jaga.VisitInterval(&tc.v, 2*time.Hour); got != tc.want {
				t.Errorf("VisitInterval = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestContacts(t *testing.T) {
	cfg := jaga.DefaultTracing()
	cfg.Buffer = 0
	cfg.MinOverlap = 10 * time.Minute
	wide := jaga.Interval{at(-10000), at(10000)}
	stays := func(window jaga.Interval, vs ...jaga.Visit) []jaga.CaseStay {
		return cfg.CaseStays("case1", "c", vs, window, func(string) time.Duration { return time.Hour })
	}
	for _, tc := range []struct {
		name   string
		buffer time.Duration
		stays  []jaga.CaseStay
		visits []jaga.Visit
		want   map[string]time.Duration // person → overlap
	}{
		{"touching intervals are no contact",
			0, stays(wide, visit("c", "x", 0, 60, 60)),
			[]jaga.Visit{visit("a", "x", 60, 120), visit("b", "x", -60, 0)}, map[string]time.Duration{}},
		{"overlap below the minimum",
			0, stays(wide, visit("c", "x", 0, 60, 60)),
			[]jaga.Visit{visit("a", "x", 55, 120)}, map[string]time.Duration{}},
		{"overlap at the minimum",
			0, stays(wide, visit("c", "x", 0, 60, 60)),
			[]jaga.Visit{visit("a", "x", 50, 120)}, map[string]time.Duration{"a": 10 * time.Minute}},
		{"buffer after the case leaves",
			30 * time.Minute, nil,
			[]jaga.Visit{visit("a", "x", 70, 120)}, map[string]time.Duration{"a": 20 * time.Minute}},
		{"no check-out: automatic check-out (default stay)",
			0, stays(wide, visit("c", "x", 0, 60)),
			[]jaga.Visit{visit("a", "x", 30, 90)}, map[string]time.Duration{"a": 30 * time.Minute}},
		{"contact never checked out: default stay",
			0, stays(wide, visit("c", "x", 0, 60, 60)),
			[]jaga.Visit{{PersonID: "a", PremisesID: "x", CheckedInAt: at(-50)}}, map[string]time.Duration{"a": 10 * time.Minute}},
		{"window start clips the case's visit",
			0, stays(jaga.Interval{at(45), at(10000)}, visit("c", "x", 0, 60, 60)),
			[]jaga.Visit{visit("a", "x", 0, 40, 40), visit("b", "x", 0, 60, 60)}, map[string]time.Duration{"b": 15 * time.Minute}},
		{"window end clips the case's visit",
			0, stays(jaga.Interval{at(-100), at(15)}, visit("c", "x", 0, 60, 60)),
			[]jaga.Visit{visit("a", "x", 20, 60), visit("b", "x", 0, 60)}, map[string]time.Duration{"b": 15 * time.Minute}},
		{"visit outside the window",
			0, stays(jaga.Interval{at(100), at(200)}, visit("c", "x", 0, 60, 60)),
			[]jaga.Visit{visit("a", "x", 0, 60)}, map[string]time.Duration{}},
		{"dependants checked in with their guardian are each a contact",
			0, stays(wide, visit("c", "x", 0, 60, 60)),
			[]jaga.Visit{visit("guardian", "x", 10, 70), visit("child", "x", 10, 70)},
			map[string]time.Duration{"guardian": 50 * time.Minute, "child": 50 * time.Minute}},
		{"a case's dependant is a contact, the case is not",
			0, stays(wide, visit("c", "x", 0, 60, 60)),
			[]jaga.Visit{visit("c", "x", 0, 60, 60), visit("child", "x", 0, 60, 60)}, map[string]time.Duration{"child": time.Hour}},
		{"repeated short visits add up",
			0, stays(wide, visit("c", "x", 0, 60, 60)),
			[]jaga.Visit{visit("a", "x", 0, 6, 6), visit("a", "x", 30, 36, 36)}, map[string]time.Duration{"a": 12 * time.Minute}},
		{"repeated case visits merge and count once",
			0, stays(wide, visit("c", "x", 0, 60, 40), visit("c", "x", 30, 90, 60)),
			[]jaga.Visit{visit("a", "x", 0, 60, 60)}, map[string]time.Duration{"a": time.Hour}},
		{"the case's next check-in elsewhere ends the visit",
			0, stays(wide, visit("c", "x", 0, 60), visit("c", "y", 20, 80)),
			[]jaga.Visit{visit("a", "x", 30, 60)}, map[string]time.Duration{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.Buffer = tc.buffer
			ss := tc.stays
			if tc.buffer > 0 {
				ss = c.CaseStays("case1", "c", []jaga.Visit{visit("c", "x", 0, 60, 60)}, wide, nil)
			}
			var atX []jaga.CaseStay
			for _, s := range ss {
				if s.PremisesID == "x" {
					atX = append(atX, s)
				}
			}
			got := c.Contacts(atX, tc.visits, time.Hour, jaga.MaxStayBeforeAuto)
			if len(got) != len(tc.want) {
				t.Fatalf("Contacts = %+v, want %v", got, tc.want)
			}
			for _, e := range got {
				if want, ok := tc.want[e.PersonID]; !ok || e.Overlap != want {
					t.Errorf("exposure of %s = %v, want %v (present %v)", e.PersonID, e.Overlap, want, ok)
				}
				if e.CaseID != "case1" || e.PremisesID != "x" || !e.To.After(e.From) {
					t.Errorf("exposure %+v: wrong case, premises or span", e)
				}
			}
		})
	}
}

func TestMergeIntervals(t *testing.T) {
	got := jaga.MergeIntervals([]jaga.Interval{{at(50), at(60)}, {at(0), at(10)}, {at(10), at(20)}, {at(55), at(70)}})
	want := []jaga.Interval{{at(0), at(20)}, {at(50), at(70)}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("MergeIntervals = %v, want %v", got, want)
	}
}

func TestRiskPrecedenceAndExpiry(t *testing.T) {
	rules := jaga.DefaultRiskRules()
	st := func(status string, from, to int) jaga.RiskStatus {
		return jaga.RiskStatus{Status: status, StartsAt: at(from), EndsAt: at(to)}
	}
	for _, tc := range []struct {
		name     string
		statuses []jaga.RiskStatus
		now      int
		want     string // "" for low risk
	}{
		{"none is low risk", nil, 0, ""},
		{"close outranks casual", []jaga.RiskStatus{st(jaga.RiskCasual, 0, 100), st(jaga.RiskClose, 0, 50)}, 10, jaga.RiskClose},
		{"confirmed outranks everything", []jaga.RiskStatus{st(jaga.RiskConfirmed, 0, 100), st(jaga.RiskSurveillance, 0, 100), st(jaga.RiskClose, 5, 100)}, 10, jaga.RiskConfirmed},
		{"expired higher status gives way to lower", []jaga.RiskStatus{st(jaga.RiskCasual, 0, 100), st(jaga.RiskClose, 0, 50)}, 50, jaga.RiskCasual},
		{"all expired is low risk", []jaga.RiskStatus{st(jaga.RiskCasual, 0, 100), st(jaga.RiskClose, 0, 50)}, 100, ""},
		{"not started yet", []jaga.RiskStatus{st(jaga.RiskRecovered, 100, 200)}, 50, ""},
		{"starts exactly now", []jaga.RiskStatus{st(jaga.RiskRecovered, 100, 200)}, 100, jaga.RiskRecovered},
		{"casual outranks recovered", []jaga.RiskStatus{st(jaga.RiskRecovered, 0, 200), st(jaga.RiskCasual, 10, 20)}, 15, jaga.RiskCasual},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rules.Current(tc.statuses, at(tc.now))
			switch {
			case tc.want == "" && got != nil:
				t.Fatalf("Current = %s, want low risk", got.Status)
			case tc.want != "" && (got == nil || got.Status != tc.want):
				t.Fatalf("Current = %v, want %s", got, tc.want)
			}
		})
	}
	t.Run("a configured table reorders", func(t *testing.T) {
		r := jaga.DefaultRiskRules()
		r[jaga.RiskRecovered], r[jaga.RiskCasual] = jaga.RiskRule{Status: jaga.RiskRecovered, Precedence: 2, Duration: time.Hour},
			jaga.RiskRule{Status: jaga.RiskCasual, Precedence: 1, Duration: time.Hour}
		if p := r.Valid(); p != nil {
			t.Fatalf("Valid = %v", p)
		}
		got := r.Current([]jaga.RiskStatus{st(jaga.RiskRecovered, 0, 200), st(jaga.RiskCasual, 10, 20)}, at(15))
		if got.Status != jaga.RiskRecovered {
			t.Fatalf("Current = %s, want recovered", got.Status)
		}
	})
}

func TestRiskRulesValid(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(jaga.RiskRules)
		field string
	}{
		{"missing status", func(r jaga.RiskRules) { delete(r, jaga.RiskClose) }, jaga.RiskClose},
		{"same precedence", func(r jaga.RiskRules) { r[jaga.RiskClose] = jaga.RiskRule{jaga.RiskClose, 2, time.Hour} }, jaga.RiskClose},
		{"no duration", func(r jaga.RiskRules) { r[jaga.RiskCasual] = jaga.RiskRule{jaga.RiskCasual, 2, 0} }, jaga.RiskCasual},
		{"unknown status", func(r jaga.RiskRules) { r["red"] = jaga.RiskRule{"red", 9, time.Hour} }, "rules"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := jaga.DefaultRiskRules()
			tc.edit(r)
			if _, ok := r.Valid()[tc.field]; !ok {
				t.Fatalf("Valid = %v, want a problem with %q", r.Valid(), tc.field)
			}
		})
	}
	if p := jaga.DefaultRiskRules().Valid(); p != nil {
		t.Fatalf("default rules: %v", p)
	}
	cfg := jaga.DefaultTracing()
	if p := cfg.Valid(); p != nil {
		t.Fatalf("default tracing: %v", p)
	}
}

func TestCaseRecordValid(t *testing.T) {
	cfg := jaga.DefaultTracing()
	now := time.Date(2026, time.March, 10, 4, 0, 0, 0, time.UTC) // 12:00 in Malaysia
	ok := jaga.CaseRecord{IDNumber: "900101-14-5001", DateOfBirth: "1990-01-01", TestedOn: "2026-03-09", OnsetOn: "2026-03-08", Reference: "LAB-1"}
	for _, tc := range []struct {
		name  string
		edit  func(*jaga.CaseRecord)
		field string // "" for valid
	}{
		{"valid", func(*jaga.CaseRecord) {}, ""},
		{"valid by person id", func(r *jaga.CaseRecord) {
			r.PersonID, r.IDNumber, r.DateOfBirth = "0123456789abcdef0123456789abcdef", "", ""
		}, ""},
		{"no onset", func(r *jaga.CaseRecord) { r.OnsetOn = "" }, ""},
		{"onset after test refused", func(r *jaga.CaseRecord) { r.OnsetOn = "2026-03-10" }, "onsetOn"},
		{"onset long before test", func(r *jaga.CaseRecord) { r.OnsetOn = "2026-02-01" }, "onsetOn"},
		{"test in the future", func(r *jaga.CaseRecord) { r.TestedOn, r.OnsetOn = "2026-03-11", "" }, "testedOn"},
		{"test older than isolation", func(r *jaga.CaseRecord) { r.TestedOn, r.OnsetOn = "2026-02-20", "" }, "testedOn"},
		{"malformed test date", func(r *jaga.CaseRecord) { r.TestedOn = "9/3/2026" }, "testedOn"},
		{"no reference", func(r *jaga.CaseRecord) { r.Reference = "" }, "reference"},
		{"bad person id", func(r *jaga.CaseRecord) { r.PersonID = "nope" }, "personId"},
		{"no identity", func(r *jaga.CaseRecord) { r.IDNumber = "" }, "idNumber"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			r.Normalize()
			p := r.Valid(now, &cfg)
			if tc.field == "" && p != nil {
				t.Fatalf("Valid = %v, want nil", p)
			}
			if _, has := p[tc.field]; tc.field != "" && !has {
				t.Fatalf("Valid = %v, want a problem with %q", p, tc.field)
			}
		})
	}
}

func TestInfectiousWindow(t *testing.T) {
	cfg := jaga.DefaultTracing()
	myt := func(d string) time.Time {
		t, _ := time.ParseInLocation(time.DateOnly, d, jaga.MalaysiaTime)
		return t.UTC()
	}
	for _, tc := range []struct {
		name, test, onset string
		from, to          time.Time
		fails             bool
	}{
		{"from the test", "2026-03-09", "", myt("2026-03-07"), myt("2026-03-19"), false},
		{"from the onset", "2026-03-09", "2026-03-05", myt("2026-03-03"), myt("2026-03-19"), false},
		{"onset after test", "2026-03-09", "2026-03-10", time.Time{}, time.Time{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := cfg.InfectiousWindow(tc.test, tc.onset)
			if tc.fails {
				if jaga.ErrorCode(err) != jaga.EINVALID {
					t.Fatalf("err = %v, want EINVALID", err)
				}
				return
			}
			if err != nil || !w.From.Equal(tc.from) || !w.To.Equal(tc.to) {
				t.Fatalf("InfectiousWindow = %v, %v; want %v to %v", w, err, tc.from, tc.to)
			}
		})
	}
}

func TestReasonTextNeverNamesTheCase(t *testing.T) {
	ex := jaga.Interval{From: at(0), To: at(90)}
	for _, s := range []jaga.RiskStatus{
		{Rule: jaga.RuleCheckIn, PremisesName: "Kedai Makan Ali", Exposure: &ex},
		{Rule: jaga.RuleHousehold, Link: jaga.LinkSameAddress},
		{Rule: jaga.RuleHousehold, Link: jaga.LinkGuardian},
		{Rule: jaga.RuleDeclared, DeclaredBy: "Ministry of Health"},
	} {
		for _, lang := range jaga.Languages {
			got := jaga.ReasonText(lang, &s)
			if got == "" || got == s.Rule {
				t.Errorf("ReasonText(%s, %s) = %q", lang, s.Rule, got)
			}
		}
	}
	s := jaga.RiskStatus{Rule: jaga.RuleCheckIn, PremisesName: "Kedai Makan Ali", Exposure: &ex}
	if got := jaga.ReasonText("en", &s); got != "You were at Kedai Makan Ali from 2026-03-02 18:00 to 19:30 at the same time as a positive case." {
		t.Errorf("ReasonText = %q", got)
	}
}

func TestRiskNotice(t *testing.T) {
	ex := jaga.Interval{From: at(0), To: at(90)}
	for _, tc := range []struct {
		name, lang, dependant string
		s                     jaga.RiskStatus
		want, notWant         string
	}{
		{"casual in Malay", "ms", "", jaga.RiskStatus{Status: jaga.RiskCasual, Rule: jaga.RuleCheckIn, PremisesName: "Kedai", Exposure: &ex, EndsAt: at(600)},
			"Status risiko jaga anda kini Kontak kasual, sehingga 2026-03-03 04:00. Sebab: Anda berada di Kedai | Pantau gejala", ""},
		{"close in English for a dependant", "en", "Adam", jaga.RiskStatus{Status: jaga.RiskClose, Rule: jaga.RuleHousehold, Link: jaga.LinkGuardian, EndsAt: at(600)},
			"For Adam: Your jaga risk status is now Close contact | Quarantine at home", ""},
		{"low risk has no end", "en", "", jaga.RiskStatus{Status: jaga.RiskLow}, "now Low risk: your earlier status has ended", "0001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, body := jaga.RiskNotice(tc.lang, &tc.s, tc.dependant)
			for _, w := range strings.Split(tc.want, " | ") {
				if !strings.Contains(body, w) {
					t.Errorf("body %q lacks %q", body, w)
				}
			}
			if tc.notWant != "" && strings.Contains(body, tc.notWant) {
				t.Errorf("body %q holds %q", body, tc.notWant)
			}
		})
	}
}
