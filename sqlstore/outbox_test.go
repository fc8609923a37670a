package sqlstore_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/sqlstore"
)

// queue adds a message to the outbox directly and returns its id.
func queue(t *testing.T, e *env, channel, destination string) int64 {
	t.Helper()
	_, err := e.Raw.Exec(`INSERT INTO outbox (channel, destination, subject, body, created_at, attempts) VALUES ($1, $2, 'subject', 'body', $3, 0)`,
		channel, destination, e.Clock.Now())
	if err != nil {
		t.Fatalf("queue: %v", err)
	}
	var id int64
	if err := e.Raw.QueryRow(`SELECT max(id) FROM outbox`).Scan(&id); err != nil {
		t.Fatalf("queue: %v", err)
	}
	return id
}

func ids(msgs []*jaga.Message) []int64 {
	out := []int64{}
	for _, m := range msgs {
		out = append(out, m.ID)
	}
	return out
}

func claim(t *testing.T, o *sqlstore.OutboxService, limit int, channels ...string) []int64 {
	t.Helper()
	msgs, err := o.ClaimMessages(context.Background(), limit, channels...)
	wantCode(t, err, "")
	return ids(msgs)
}

func wantIDs(t *testing.T, got []int64, want ...int64) {
	t.Helper()
	if want == nil {
		want = []int64{}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("claimed %v, want %v", got, want)
	}
}

func TestOutboxClaim(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := sqlstore.NewOutboxService(e.DB)

		t.Run("a sign-in code is claimed once, with its content", func(t *testing.T) {
			if _, err := e.Accounts.StartSignIn(anonymous(), "siti@example.com"); err != nil {
				t.Fatal(err)
			}
			msgs, err := o.ClaimMessages(ctx, 10)
			wantCode(t, err, "")
			if len(msgs) != 1 {
				t.Fatalf("claimed %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.Channel != jaga.ContactEmail || m.Destination != "siti@example.com" || m.Subject == "" || m.Body == "" || !m.CreatedAt.Equal(start) {
				t.Errorf("claimed %+v", m)
			}
			wantIDs(t, claim(t, o, 10)) // reserved
			wantCode(t, o.MarkSent(ctx, m.ID), "")
			e.Clock.Advance(sqlstore.OutboxClaimLease + time.Second)
			wantIDs(t, claim(t, o, 10)) // sent
			recent, err := e.Accounts.RecentMessages(ctx, 1)
			wantCode(t, err, "")
			if recent[0].SentAt == nil {
				t.Errorf("RecentMessages shows the sent message unsent")
			}
		})

		t.Run("limit, order and channels", func(t *testing.T) {
			a := queue(t, e, jaga.ContactPhone, "+60123456789")
			b := queue(t, e, jaga.ContactEmail, "a@example.com")
			c := queue(t, e, jaga.ContactEmail, "b@example.com")
			d := queue(t, e, jaga.ContactPhone, "+60123456780")
			wantIDs(t, claim(t, o, 1, jaga.ContactEmail), b)
			wantIDs(t, claim(t, o, 10, jaga.ContactEmail), c)
			wantIDs(t, claim(t, o, 0))
			wantIDs(t, claim(t, o, 10), a, d)
			for _, id := range []int64{a, b, c, d} {
				wantCode(t, o.MarkSent(ctx, id), "")
			}
		})

		t.Run("a lapsed claim is claimed again", func(t *testing.T) {
			id := queue(t, e, jaga.ContactEmail, "lapsed@example.com")
			wantIDs(t, claim(t, o, 10), id)
			e.Clock.Advance(sqlstore.OutboxClaimLease - time.Second)
			wantIDs(t, claim(t, o, 10))
			e.Clock.Advance(time.Second)
			wantIDs(t, claim(t, o, 10), id)
			wantCode(t, o.MarkSent(ctx, id), "")
		})

		t.Run("failures back off, then give up", func(t *testing.T) {
			id := queue(t, e, jaga.ContactEmail, "bounce@example.com")
			for i := 0; i < sqlstore.OutboxMaxAttempts; i++ {
				wantIDs(t, claim(t, o, 10), id)
				next, err := o.MarkFailed(ctx, id, "smtp: 451 try later")
				wantCode(t, err, "")
				backoff := sqlstore.OutboxBackoff << i
				if i == sqlstore.OutboxMaxAttempts-1 {
					if !next.IsZero() {
						t.Fatalf("attempt %d: next = %v, want the zero time (given up)", i+1, next)
					}
				} else if want := e.Clock.Now().Add(backoff); !next.Equal(want) {
					t.Fatalf("attempt %d: next = %v, want %v", i+1, next, want)
				}
				e.Clock.Advance(backoff - time.Second)
				wantIDs(t, claim(t, o, 10))
				e.Clock.Advance(time.Second)
			}
			wantIDs(t, claim(t, o, 10)) // given up
			e.Clock.Advance(24 * time.Hour)
			wantIDs(t, claim(t, o, 10))
			var attempts int
			var lastError string
			if err := e.Raw.QueryRow(`SELECT attempts, last_error FROM outbox WHERE id = $1`, id).Scan(&attempts, &lastError); err != nil {
				t.Fatal(err)
			}
			if attempts != sqlstore.OutboxMaxAttempts || lastError != "smtp: 451 try later" {
				t.Errorf("attempts, last_error = %d, %q", attempts, lastError)
			}
		})

		t.Run("unknown message", func(t *testing.T) {
			wantCode(t, o.MarkSent(ctx, 999999), jaga.ENOTFOUND)
			_, err := o.MarkFailed(ctx, 999999, "x")
			wantCode(t, err, jaga.ENOTFOUND)
		})

		t.Run("concurrent claims never share a message", func(t *testing.T) {
			var want []int64
			for i := range 40 {
				want = append(want, queue(t, e, jaga.ContactEmail, fmt.Sprintf("c%d@example.com", i)))
			}
			var mu sync.Mutex
			var got []int64
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						msgs, err := o.ClaimMessages(ctx, 3)
						if err != nil {
							t.Error(err)
							return
						}
						if len(msgs) == 0 {
							return
						}
						mu.Lock()
						got = append(got, ids(msgs)...)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
			wantIDs(t, got, want...)
		})
	})
}
