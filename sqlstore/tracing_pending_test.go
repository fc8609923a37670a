package sqlstore_test

import (
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// TestTracingInForceBeforeApplied checks that what TraceDay finds is in
// force at the door, in the app and on the officer's list as soon as it
// returns, that ApplyTraces then writes the same statuses out with their
// messages, and that a batch recorded before a restart is still in force
// and written out after it.
func TestTracingInForceBeforeApplied(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newTraceWorld(t, e)
		stop := listenForPeopleChanges(t, e)
		defer stop()
		c, start := w.recordLateContact(t, e)
		door := func() string { return w.door(t, w.priya, w.shop) }
		shown := func() *jaga.RiskStatus { return w.myRisk(t, w.priya)[w.priya.ID].Current }
		listed := func() bool {
			cs, err := w.tracing.CaseContacts(as(w.officer), c.ID)
			return err == nil && len(cs) == 1 && cs[0].PersonID == w.priya.ID && cs[0].Status == jaga.RiskCasual
		}
		before := shown()
		for _, tc := range []struct {
			name string
			ok   func() bool
		}{
			{"the door shows casual contact", func() bool { return door() == jaga.RiskCasual }},
			{"the app shows it with its reason", func() bool {
				return before != nil && before.Status == jaga.RiskCasual && before.Rule == jaga.RuleCheckIn && before.CaseRef == c.TraceRef &&
					before.PremisesName == w.restaurant.Name && before.Exposure != nil && before.Exposure.From.Equal(start.Add(10*time.Minute)) &&
					before.Reason != "" && before.ID != ""
			}},
			{"the officer's list has her", listed},
			{"nothing is written out yet", func() bool {
				return e.count(t, `SELECT count(*) FROM risk_statuses WHERE person_id = $1`, w.priya.ID) == 0 &&
					e.riskStatus(t, w.priya.ID) == jaga.RiskLow && len(e.outboxTo(t, w.priya.Email)) == 0 &&
					e.count(t, `SELECT count(*) FROM trace_pending`) == 1
			}},
		} {
			t.Run("recorded: "+tc.name, func(t *testing.T) {
				if !tc.ok() {
					t.Fatal("not so")
				}
			})
		}

		// As if the server stopped here: a new one knows nothing of the
		// batch until its first ApplyTraces, which takes it up.
		sqlstore.ForgetRecordedTraces(e.DB)
		if got := door(); got != jaga.RiskLow {
			t.Fatalf("door after a restart, before applying: %s", got)
		}
		added, err := w.tracing.ApplyTraces(as(w.officer))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			ok   func() bool
		}{
			{"one new status", func() bool { return added == 1 }},
			{"the same status, stored", func() bool {
				after := shown()
				return after != nil && after.ID == before.ID && after.EndsAt.Equal(before.EndsAt) && after.Exposure.To.Equal(before.Exposure.To) &&
					e.count(t, `SELECT count(*) FROM risk_statuses WHERE id = $1`, before.ID) == 1
			}},
			{"her row shows it", func() bool { return e.riskStatus(t, w.priya.ID) == jaga.RiskCasual }},
			{"the door still shows it", func() bool { return door() == jaga.RiskCasual }},
			{"she is told once", func() bool { return len(e.outboxTo(t, w.priya.Email)) == 1 }},
			{"the officer's list has her once", listed},
			{"the batch is gone", func() bool { return e.count(t, `SELECT count(*) FROM trace_pending`) == 0 }},
			{"the case counts her", func() bool {
				return e.count(t, `SELECT contacts FROM cases WHERE id = $1`, c.ID) == 1
			}},
			{"applying again does nothing", func() bool {
				n, err := w.tracing.ApplyTraces(as(w.officer))
				return err == nil && n == 0 && len(e.outboxTo(t, w.priya.Email)) == 1
			}},
		} {
			t.Run("applied: "+tc.name, func(t *testing.T) {
				if !tc.ok() {
					t.Fatal("not so")
				}
			})
		}
	})
}

// TestRecordedTracesAcrossServers checks that on PostgreSQL a server
// hears of batches that other servers record and apply, and reads them
// again after a second while it does not listen.
func TestRecordedTracesAcrossServers(t *testing.T) {
	db, raw := openPostgres(t)
	e := newEnv(t, db, raw)
	w := newTraceWorld(t, e)
	stop := listenForPeopleChanges(t, e)
	w.recordLateContact(t, e)
	var id string
	var body []byte
	if err := raw.QueryRow(`SELECT id, body FROM trace_pending`).Scan(&id, &body); err != nil {
		t.Fatal(err)
	}
	door := func() string { return w.door(t, w.priya, w.shop) }
	// Rows as another server leaves them: applied (gone) or recorded.
	gone := func(t *testing.T) { mustExec(t, e, `DELETE FROM trace_pending`) }
	recorded := func(t *testing.T) {
		mustExec(t, e, `INSERT INTO trace_pending (id, cases, statuses, body, created_at) VALUES ($1, 1, 1, $2, now())`, id, body)
	}
	t.Run("a batch applied elsewhere is dropped here", func(t *testing.T) {
		gone(t)
		waitFor(t, "low risk", func() bool { return door() == jaga.RiskLow })
	})
	t.Run("a batch recorded elsewhere is in force here", func(t *testing.T) {
		recorded(t)
		waitFor(t, "casual contact", func() bool { return door() == jaga.RiskCasual })
	})
	t.Run("not listening: read again after a second", func(t *testing.T) {
		stop()
		gone(t)
		time.Sleep(1100 * time.Millisecond)
		if got := door(); got != jaga.RiskLow {
			t.Fatalf("door %s", got)
		}
		recorded(t)
		time.Sleep(1100 * time.Millisecond)
		if got := door(); got != jaga.RiskCasual {
			t.Fatalf("door %s", got)
		}
	})
}

// recordLateContact makes Priya a contact of Tan that only a day's tracing
// finds: Tan checks in at the restaurant at start and is confirmed three
// hours later with no contact; then Priya's phone uploads a check-in it
// took there offline at start+10m, and TraceDay records her. It returns
// Tan's case and start.
func (w *traceWorld) recordLateContact(t *testing.T, e *env) (*jaga.Case, time.Time) {
	t.Helper()
	start := e.Clock.Now()
	day := start.In(jaga.MalaysiaTime).Format(time.DateOnly)
	w.checkIn(t, w.tan, w.restaurant)
	e.Clock.Advance(3 * time.Hour)
	c, err := w.tracing.ConfirmCase(as(w.officer), jaga.CaseRecord{PersonID: w.tan.ID, TestedOn: day, Reference: "KKM-21"})
	if err != nil || c.Contacts != 0 {
		t.Fatalf("ConfirmCase = %+v, %v", c, err)
	}
	out, err := w.checkins.UploadOffline(as(citizenOf(w.priya)), []jaga.OfflineCheckIn{{ClientID: "offline-0021",
		Token: w.tokens[w.restaurant.ID], ScannedAt: start.Add(10 * time.Minute)}})
	if err != nil || out[0].Error != "" {
		t.Fatalf("UploadOffline = %+v, %v", out, err)
	}
	rep, err := w.tracing.TraceDay(as(w.officer), day)
	if err != nil || rep.Contacts != 1 {
		t.Fatalf("TraceDay = %+v, %v", rep, err)
	}
	return c, start
}
