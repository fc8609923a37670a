package sqlstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

func TestStartSignIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		valid := []struct {
			name, input, kind, destination string
		}{
			{"local phone", "012-345 6789", jaga.ContactPhone, "+60123456789"},
			{"international phone", "+60 11-2345 6789", jaga.ContactPhone, "+601123456789"},
			{"phone without plus", "60198765432", jaga.ContactPhone, "+60198765432"},
			{"foreign phone", "+65 9123 4567", jaga.ContactPhone, "+6591234567"},
			{"email", "Siti.Aminah@Example.COM", jaga.ContactEmail, "siti.aminah@example.com"},
		}
		for _, tc := range valid {
			t.Run(tc.name, func(t *testing.T) {
				ch, err := e.Accounts.StartSignIn(anonymous(), tc.input)
				wantCode(t, err, "")
				if ch.ID == "" || ch.Purpose != jaga.ChallengeSignIn {
					t.Errorf("challenge = %+v, want an id and purpose %q", ch, jaga.ChallengeSignIn)
				}
				if ch.Contact.Kind != tc.kind || ch.Contact.Value != tc.destination {
					t.Errorf("contact = %+v, want %s %s", ch.Contact, tc.kind, tc.destination)
				}
				if want := start.Add(jaga.CodeTTL); !ch.ExpiresAt.Equal(want) {
					t.Errorf("ExpiresAt = %v, want %v", ch.ExpiresAt, want)
				}
				msgs, err := e.Accounts.RecentMessages(context.Background(), 1)
				wantCode(t, err, "")
				if len(msgs) != 1 || msgs[0].Destination != tc.destination || msgs[0].Channel != tc.kind {
					t.Fatalf("newest outbox message = %+v, want one to %s by %s", msgs, tc.destination, tc.kind)
				}
				if e.code(t, tc.destination) == "" {
					t.Fatal("no code")
				}
			})
		}

		invalid := []struct{ name, input string }{
			{"empty", "   "},
			{"letters in phone", "012-ABC 6789"},
			{"no leading zero or plus", "12345678"},
			{"too short", "012-345"},
			{"too long", "+60 12345 67890 12345"},
			{"country code zero", "+0123456789"},
			{"malaysian landline", "03-2345 6789"},
			{"email without domain", "siti.aminah@"},
			{"email without dot in domain", "siti.aminah@localhost"},
			{"email with display name", "Siti <siti.aminah@example.com>"},
			{"two at signs", "siti@aminah@example.com"},
			{"email with trailing dot", "siti.aminah@example.com."},
		}
		for _, tc := range invalid {
			t.Run(tc.name, func(t *testing.T) {
				before, _ := e.Accounts.RecentMessages(context.Background(), 200)
				_, err := e.Accounts.StartSignIn(anonymous(), tc.input)
				wantCode(t, err, jaga.EINVALID)
				if strings.TrimSpace(tc.input) != "" {
					wantNotLeaked(t, err, strings.TrimSpace(tc.input))
				}
				after, _ := e.Accounts.RecentMessages(context.Background(), 200)
				if len(after) != len(before) {
					t.Errorf("an invalid contact queued a message")
				}
			})
		}
	})
}

func TestVerifySignIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		t.Run("creates the person once", func(t *testing.T) {
			first := e.signIn(t, "012-345 6789")
			people := countRows(t, e, `people`)
			e.Clock.Advance(jaga.CodeResendGap + time.Second)
			second := e.signIn(t, "+60123456789")
			if second.ID != first.ID {
				t.Errorf("second sign-in with the same phone: person %s, want %s", second.ID, first.ID)
			}
			if n := countRows(t, e, `people`); n != people {
				t.Errorf("people = %d after the second sign-in, want %d", n, people)
			}
			p, err := e.People.Person(as(first), first.ID)
			wantCode(t, err, "")
			if p.Phone != "+60123456789" || p.Email != "" || p.Language != jaga.DefaultLanguage {
				t.Errorf("new person = %+v, want phone +60123456789, no email, default language", p)
			}

			byEmail := e.signIn(t, "Farid@Example.com")
			e.Clock.Advance(jaga.CodeResendGap + time.Second)
			again := e.signIn(t, "farid@example.com")
			if byEmail.ID != again.ID || byEmail.ID == first.ID {
				t.Errorf("email sign-ins gave %s and %s (phone person %s), want one new person", byEmail.ID, again.ID, first.ID)
			}
		})

		t.Run("wrong code counts an attempt", func(t *testing.T) {
			ch, err := e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
			code := e.code(t, ch.Contact.Value)
			for i := 1; i <= 2; i++ {
				_, err := e.Accounts.VerifySignIn(anonymous(), ch.ID, wrongCode(code))
				wantCode(t, err, jaga.EUNAUTHORIZED)
				if got := challengeAttempts(t, e, ch.ID); got != i {
					t.Fatalf("attempts = %d after %d wrong codes", got, i)
				}
			}
			a, err := e.Accounts.VerifySignIn(anonymous(), ch.ID, code)
			wantCode(t, err, "")
			if !a.IsCitizen() {
				t.Errorf("actor = %+v, want a citizen", a)
			}
		})

		t.Run("too many wrong codes spend the challenge", func(t *testing.T) {
			ch, err := e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
			code := e.code(t, ch.Contact.Value)
			for i := 1; i <= jaga.CodeMaxAttempts; i++ {
				_, err := e.Accounts.VerifySignIn(anonymous(), ch.ID, wrongCode(code))
				want := jaga.EUNAUTHORIZED
				if i == jaga.CodeMaxAttempts {
					want = jaga.ERATELIMIT // the last wrong code spends the challenge
				}
				wantCode(t, err, want)
			}
			_, err = e.Accounts.VerifySignIn(anonymous(), ch.ID, code)
			wantCode(t, err, jaga.ERATELIMIT)
			if got := challengeAttempts(t, e, ch.ID); got != jaga.CodeMaxAttempts {
				t.Errorf("attempts = %d, want %d", got, jaga.CodeMaxAttempts)
			}
		})

		t.Run("concurrent wrong codes", func(t *testing.T) {
			ch, err := e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
			wrong := wrongCode(e.code(t, ch.Contact.Value))
			const n = 2 * jaga.CodeMaxAttempts
			codes := make(chan string, n)
			var ready sync.WaitGroup
			ready.Add(n)
			for range n {
				go func() {
					ready.Done()
					ready.Wait()
					_, err := e.Accounts.VerifySignIn(anonymous(), ch.ID, wrong)
					codes <- jaga.ErrorCode(err)
				}()
			}
			count := map[string]int{}
			for range n {
				count[<-codes]++
			}
			want := map[string]int{jaga.EUNAUTHORIZED: jaga.CodeMaxAttempts - 1, jaga.ERATELIMIT: n - jaga.CodeMaxAttempts + 1}
			if len(count) != len(want) || count[jaga.EUNAUTHORIZED] != want[jaga.EUNAUTHORIZED] || count[jaga.ERATELIMIT] != want[jaga.ERATELIMIT] {
				t.Errorf("answers = %v, want %v", count, want)
			}
			if got := challengeAttempts(t, e, ch.ID); got != jaga.CodeMaxAttempts {
				t.Errorf("attempts = %d, want %d", got, jaga.CodeMaxAttempts)
			}
		})

		t.Run("expired code", func(t *testing.T) {
			ch, err := e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
			code := e.code(t, ch.Contact.Value)
			e.Clock.Advance(jaga.CodeTTL)
			_, err = e.Accounts.VerifySignIn(anonymous(), ch.ID, code)
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})

		t.Run("code just before expiry", func(t *testing.T) {
			ch, err := e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
			code := e.code(t, ch.Contact.Value)
			e.Clock.Advance(jaga.CodeTTL - time.Second)
			_, err = e.Accounts.VerifySignIn(anonymous(), ch.ID, code)
			wantCode(t, err, "")
		})

		t.Run("reused code", func(t *testing.T) {
			ch, err := e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
			code := e.code(t, ch.Contact.Value)
			_, err = e.Accounts.VerifySignIn(anonymous(), ch.ID, code)
			wantCode(t, err, "")
			_, err = e.Accounts.VerifySignIn(anonymous(), ch.ID, code)
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})

		t.Run("code of another challenge", func(t *testing.T) {
			a, err := e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
			b, err := e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
			codeA, codeB := e.code(t, a.Contact.Value), e.code(t, b.Contact.Value)
			if codeA == codeB {
				t.Skip("both challenges drew the same code")
			}
			_, err = e.Accounts.VerifySignIn(anonymous(), b.ID, codeA)
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})

		t.Run("unknown challenge", func(t *testing.T) {
			_, err := e.Accounts.VerifySignIn(anonymous(), "no-such-challenge", "123456")
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})

		for _, code := range []string{"", "12345", "1234567", "12345a", "１２３４５６"} {
			t.Run("malformed code "+code, func(t *testing.T) {
				ch, err := e.Accounts.StartSignIn(anonymous(), e.phone())
				wantCode(t, err, "")
				_, err = e.Accounts.VerifySignIn(anonymous(), ch.ID, code)
				wantField(t, err, "code")
				if got := challengeAttempts(t, e, ch.ID); got != 0 {
					t.Errorf("a malformed code counted an attempt: %d", got)
				}
			})
		}

		t.Run("change-contact challenge does not sign in", func(t *testing.T) {
			a := e.signIn(t, e.phone())
			ch, err := e.Accounts.StartContactChange(as(a), e.email("change"))
			wantCode(t, err, "")
			_, err = e.Accounts.VerifySignIn(anonymous(), ch.ID, e.code(t, ch.Contact.Value))
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})
	})
}

func TestSignInRateLimits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		t.Run("resend within the gap", func(t *testing.T) {
			phone := e.phone()
			_, err := e.Accounts.StartSignIn(anonymous(), phone)
			wantCode(t, err, "")
			e.Clock.Advance(jaga.CodeResendGap - time.Second)
			_, err = e.Accounts.StartSignIn(anonymous(), phone)
			wantCode(t, err, jaga.ERATELIMIT)
			e.Clock.Advance(time.Second)
			_, err = e.Accounts.StartSignIn(anonymous(), phone)
			wantCode(t, err, "")
		})

		t.Run("another destination is not limited", func(t *testing.T) {
			_, err := e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
			_, err = e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
		})

		t.Run("concurrent requests share the limit", func(t *testing.T) {
			phone := e.phone()
			const n = 8
			errs := make(chan error, n)
			var ready sync.WaitGroup
			ready.Add(n)
			for range n {
				go func() {
					ready.Done()
					ready.Wait()
					_, err := e.Accounts.StartSignIn(anonymous(), phone)
					errs <- err
				}()
			}
			sent := 0
			for range n {
				err := <-errs
				switch jaga.ErrorCode(err) {
				case "":
					sent++
				case jaga.ERATELIMIT:
				default:
					t.Errorf("concurrent StartSignIn: %v", err)
				}
			}
			if sent != 1 {
				t.Errorf("%d of %d concurrent requests sent a code, want 1", sent, n)
			}
		})

		t.Run("too many sends in the window", func(t *testing.T) {
			email := e.email("many")
			first := e.Clock.Now()
			for i := 0; i < jaga.CodeMaxSends; i++ {
				_, err := e.Accounts.StartSignIn(anonymous(), email)
				wantCode(t, err, "")
				e.Clock.Advance(jaga.CodeResendGap + time.Second)
			}
			_, err := e.Accounts.StartSignIn(anonymous(), email)
			wantCode(t, err, jaga.ERATELIMIT)
			// The same address written differently is the same destination.
			_, err = e.Accounts.StartSignIn(anonymous(), strings.ToUpper(email))
			wantCode(t, err, jaga.ERATELIMIT)

			// Once the first send leaves the window, one more code may go.
			e.Clock.Advance(first.Add(jaga.CodeSendWindow + time.Second).Sub(e.Clock.Now()))
			_, err = e.Accounts.StartSignIn(anonymous(), email)
			wantCode(t, err, "")
		})
	})
}

func TestCodesStoredHashed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		var codes []string
		for range 5 {
			ch, err := e.Accounts.StartSignIn(anonymous(), e.phone())
			wantCode(t, err, "")
			codes = append(codes, e.code(t, ch.Contact.Value))
		}
		a := e.signIn(t, e.email("hashed"))
		ch, err := e.Accounts.StartContactChange(as(a), e.phone())
		wantCode(t, err, "")
		codes = append(codes, e.code(t, ch.Contact.Value))

		if n := countRows(t, e, `challenges`); n != len(codes)+1 {
			t.Fatalf("challenges = %d, want %d", n, len(codes)+1)
		}
		text := e.tableText(t, `challenges`)
		for _, code := range codes {
			if strings.Contains(text, code) {
				t.Errorf("the challenges table holds the code %s in clear", code)
			}
		}
	})
}

func TestSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ministry := e.org(t, jaga.OrgMinistry)
		officer, _ := e.staff(t, ministry, jaga.RoleHealthOfficer)
		citizen := e.signIn(t, e.phone())

		t.Run("create, read and delete", func(t *testing.T) {
			for _, a := range []*jaga.Actor{citizen, officer} {
				token, s, err := e.Accounts.CreateSession(context.Background(), a)
				wantCode(t, err, "")
				if len(token) != 64 || s.CSRFToken == "" || s.CSRFToken == token {
					t.Fatalf("token %q, session %+v: want a 64-character token and a distinct CSRF token", token, s)
				}
				got, err := e.Accounts.Session(context.Background(), token)
				wantCode(t, err, "")
				if got.Actor.Kind != a.Kind || got.Actor.ID != a.ID || got.CSRFToken != s.CSRFToken {
					t.Errorf("Session() = %+v actor %+v, want %+v actor %+v", got, got.Actor, s, a)
				}
				if a.IsStaff() && (got.Actor.Role != a.Role || got.Actor.OrgID != ministry.ID || got.Actor.OrgKind != jaga.OrgMinistry) {
					t.Errorf("staff session actor = %+v, want role and organisation", got.Actor)
				}
				wantCode(t, e.Accounts.DeleteSession(context.Background(), token), "")
				_, err = e.Accounts.Session(context.Background(), token)
				wantCode(t, err, jaga.EUNAUTHORIZED)
			}
		})

		t.Run("unknown tokens", func(t *testing.T) {
			for _, token := range []string{"", "short", strings.Repeat("a", 64), strings.Repeat("a", 65)} {
				_, err := e.Accounts.Session(context.Background(), token)
				wantCode(t, err, jaga.EUNAUTHORIZED)
			}
		})

		t.Run("only citizens and staff", func(t *testing.T) {
			for _, a := range []*jaga.Actor{nil, {Kind: jaga.ActorSystem, ID: "system"}, {Kind: jaga.ActorAPIClient, ID: "x"}} {
				_, _, err := e.Accounts.CreateSession(context.Background(), a)
				wantCode(t, err, jaga.EUNAUTHORIZED)
			}
		})

		t.Run("citizen session expires", func(t *testing.T) {
			token, _, err := e.Accounts.CreateSession(context.Background(), citizen)
			wantCode(t, err, "")
			e.Clock.Advance(jaga.CitizenSessionTTL - time.Second)
			_, err = e.Accounts.Session(context.Background(), token)
			wantCode(t, err, "")
			e.Clock.Advance(time.Second)
			_, err = e.Accounts.Session(context.Background(), token)
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})

		t.Run("staff idle timeout", func(t *testing.T) {
			staffToken, _, err := e.Accounts.CreateSession(context.Background(), officer)
			wantCode(t, err, "")
			citizenToken, _, err := e.Accounts.CreateSession(context.Background(), citizen)
			wantCode(t, err, "")
			e.Clock.Advance(jaga.StaffIdleTimeout + time.Minute)
			_, err = e.Accounts.Session(context.Background(), staffToken)
			wantCode(t, err, jaga.EUNAUTHORIZED)
			_, err = e.Accounts.Session(context.Background(), citizenToken)
			wantCode(t, err, "")
			// Ended for good, not only while idle.
			_, err = e.Accounts.Session(context.Background(), staffToken)
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})

		t.Run("staff activity keeps the session", func(t *testing.T) {
			token, _, err := e.Accounts.CreateSession(context.Background(), officer)
			wantCode(t, err, "")
			for range 4 { // 40 minutes in all, never idle for more than 10
				e.Clock.Advance(10 * time.Minute)
				_, err = e.Accounts.Session(context.Background(), token)
				wantCode(t, err, "")
			}
		})
	})
}

func TestContactChange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		t.Run("new phone gets the code", func(t *testing.T) {
			oldPhone := e.phone()
			a := e.signIn(t, oldPhone)
			newPhone := e.phone()
			ch, err := e.Accounts.StartContactChange(as(a), newPhone)
			wantCode(t, err, "")
			if ch.Purpose != jaga.ChallengeChangeContact || ch.Contact.Value != newPhone {
				t.Fatalf("challenge = %+v, want a change to %s", ch, newPhone)
			}
			msgs, err := e.Accounts.RecentMessages(context.Background(), 1)
			wantCode(t, err, "")
			if msgs[0].Destination != newPhone {
				t.Fatalf("code went to %s, want the new contact %s", msgs[0].Destination, newPhone)
			}
			code := e.code(t, newPhone)

			_, err = e.Accounts.VerifyContactChange(as(a), ch.ID, wrongCode(code))
			wantCode(t, err, jaga.EUNAUTHORIZED)
			p, err := e.Accounts.VerifyContactChange(as(a), ch.ID, code)
			wantCode(t, err, "")
			if p.ID != a.ID || p.Phone != newPhone {
				t.Fatalf("person = %+v, want %s with phone %s", p, a.ID, newPhone)
			}
			e.Clock.Advance(jaga.CodeResendGap + time.Second)
			if again := e.signIn(t, newPhone); again.ID != a.ID {
				t.Errorf("sign-in with the new phone gave %s, want %s", again.ID, a.ID)
			}
			// The old phone is free again: it makes a new account.
			if other := e.signIn(t, oldPhone); other.ID == a.ID {
				t.Errorf("sign-in with the replaced phone still reaches %s", a.ID)
			}
		})

		t.Run("add an email", func(t *testing.T) {
			phone := e.phone()
			a := e.signIn(t, phone)
			email := e.email("added")
			ch, err := e.Accounts.StartContactChange(as(a), strings.ToUpper(email))
			wantCode(t, err, "")
			p, err := e.Accounts.VerifyContactChange(as(a), ch.ID, e.code(t, email))
			wantCode(t, err, "")
			if p.Email != email || p.Phone != phone {
				t.Errorf("person = %+v, want phone %s and email %s", p, phone, email)
			}
		})

		t.Run("someone else's contact", func(t *testing.T) {
			a := e.signIn(t, e.phone())
			otherPhone := e.phone()
			e.signIn(t, otherPhone)
			e.Clock.Advance(jaga.CodeResendGap + time.Second)
			_, err := e.Accounts.StartContactChange(as(a), otherPhone)
			wantCode(t, err, jaga.ECONFLICT)
		})

		t.Run("contact taken while the code was out", func(t *testing.T) {
			a := e.signIn(t, e.phone())
			email := e.email("race")
			ch, err := e.Accounts.StartContactChange(as(a), email)
			wantCode(t, err, "")
			code := e.code(t, email)
			e.Clock.Advance(jaga.CodeResendGap + time.Second)
			b := e.signIn(t, email)
			_, err = e.Accounts.VerifyContactChange(as(a), ch.ID, code)
			wantCode(t, err, jaga.ECONFLICT)
			p, err := e.People.Person(as(a), a.ID)
			wantCode(t, err, "")
			if p.Email != "" {
				t.Errorf("email = %q after a conflict, want none", p.Email)
			}
			if q, _ := e.People.Person(as(b), b.ID); q == nil || q.Email != email {
				t.Errorf("the other account lost its email: %+v", q)
			}
		})

		t.Run("another citizen's challenge", func(t *testing.T) {
			a := e.signIn(t, e.phone())
			b := e.signIn(t, e.phone())
			email := e.email("stolen")
			ch, err := e.Accounts.StartContactChange(as(a), email)
			wantCode(t, err, "")
			_, err = e.Accounts.VerifyContactChange(as(b), ch.ID, e.code(t, email))
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})

		t.Run("signed out", func(t *testing.T) {
			_, err := e.Accounts.StartContactChange(anonymous(), e.phone())
			wantCode(t, err, jaga.EUNAUTHORIZED)
			_, err = e.Accounts.VerifyContactChange(anonymous(), "x", "123456")
			wantCode(t, err, jaga.EUNAUTHORIZED)
		})

		t.Run("malformed contact", func(t *testing.T) {
			a := e.signIn(t, e.phone())
			_, err := e.Accounts.StartContactChange(as(a), "not-a-contact")
			wantField(t, err, "contact")
			wantNotLeaked(t, err, "not-a-contact")
		})
	})
}

func countRows(t *testing.T, e *env, table string) int {
	t.Helper()
	var n int
	if err := e.Raw.QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func challengeAttempts(t *testing.T, e *env, id string) int {
	t.Helper()
	var n int
	if err := e.Raw.QueryRowContext(context.Background(), `SELECT attempts FROM challenges WHERE id = $1`, id).Scan(&n); err != nil {
		t.Fatalf("challenge attempts: %v", err)
	}
	return n
}

// TestSessionsAcrossServers checks that on PostgreSQL a citizen's session
// is used from memory while the server hears of ended sessions, and that a
// session ended elsewhere ends here at once.
func TestSessionsAcrossServers(t *testing.T) {
	db, raw := openPostgres(t)
	e := newEnv(t, db, raw)
	citizen := e.signIn(t, e.phone())
	ctx := context.Background()
	newSession := func(t *testing.T) string {
		t.Helper()
		token, _, err := e.Accounts.CreateSession(ctx, citizen)
		wantCode(t, err, "")
		_, err = e.Accounts.Session(ctx, token)
		wantCode(t, err, "")
		return token
	}
	// unheard ends every session without the notice, as if the trigger
	// were not there.
	unheard := func(t *testing.T) {
		t.Helper()
		mustExec(t, e, `ALTER TABLE sessions DISABLE TRIGGER session_ended`)
		defer mustExec(t, e, `ALTER TABLE sessions ENABLE TRIGGER session_ended`)
		mustExec(t, e, `DELETE FROM sessions`)
	}
	stop := listenForPeopleChanges(t, e)

	t.Run("a session ended elsewhere ends here", func(t *testing.T) {
		token := newSession(t)
		mustExec(t, e, `DELETE FROM sessions WHERE actor_id = $1`, citizen.ID)
		waitFor(t, "unauthorized", func() bool {
			_, err := e.Accounts.Session(ctx, token)
			return jaga.ErrorCode(err) == jaga.EUNAUTHORIZED
		})
	})
	t.Run("while listening, a cached session outlives the TTL", func(t *testing.T) {
		token := newSession(t)
		unheard(t)
		e.Clock.Advance(time.Minute)
		_, err := e.Accounts.Session(ctx, token)
		wantCode(t, err, "")
	})
	t.Run("not listening: sessions are read again", func(t *testing.T) {
		token := newSession(t)
		stop()
		unheard(t)
		_, err := e.Accounts.Session(ctx, token)
		wantCode(t, err, jaga.EUNAUTHORIZED)
	})
}
