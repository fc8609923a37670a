package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/jaga-health/jaga"
)

// AccountService implements jaga.AccountService and jaga.Outbox.
type AccountService struct{ db *DB }

// NewAccountService returns the account service of db.
func NewAccountService(db *DB) *AccountService { return &AccountService{db: db} }

func hashSecret(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// StartSignIn sends a sign-in code to a phone number or email.
func (s *AccountService) StartSignIn(ctx context.Context, contact string) (*jaga.Challenge, error) {
	c, err := jaga.ParseContact(contact)
	if err != nil {
		return nil, &jaga.Error{Code: jaga.EINVALID, Message: jaga.ErrorMessage(err), Fields: map[string]string{"contact": jaga.ErrorMessage(err)}}
	}
	return s.startChallenge(ctx, jaga.ChallengeSignIn, c, "")
}

// StartContactChange sends a code to the caller's new phone or email.
func (s *AccountService) StartContactChange(ctx context.Context, contact string) (*jaga.Challenge, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to change your phone number or email.")
	}
	c, err := jaga.ParseContact(contact)
	if err != nil {
		return nil, &jaga.Error{Code: jaga.EINVALID, Message: jaga.ErrorMessage(err), Fields: map[string]string{"contact": jaga.ErrorMessage(err)}}
	}
	return s.startChallenge(ctx, jaga.ChallengeChangeContact, c, a.ID)
}

// challengeLockClass is the first key of the PostgreSQL advisory lock that
// startChallenge takes per destination.
const challengeLockClass = 0x6a61 // "ja"

func (s *AccountService) startChallenge(ctx context.Context, purpose string, c jaga.Contact, personID string) (*jaga.Challenge, error) {
	// Sign-ups come in bursts (700,000 in one minute in June 2020): each
	// code request is one write of the group-commit writer, answered once
	// durable. A refusal is this request's answer, not a failure of the batch.
	var ch *jaga.Challenge
	var refusal error
	if s.db.dialect == Postgres && purpose == jaga.ChallengeSignIn {
		// On PostgreSQL each statement is a round trip: a batch's sign-in
		// codes are checked and written together at commit
		// (flushChallenges), a few statements a batch instead of five a
		// request.
		q := &pgChallenge{purpose: purpose, contact: c}
		if err := s.db.writer().do(ctx, s.db.now(), func(ctx context.Context, tx *Tx) error {
			tx.pgChallenges = append(tx.pgChallenges, q)
			return nil
		}); err != nil {
			return nil, err
		}
		if q.refusal != nil {
			return nil, q.refusal
		}
		return q.ch, nil
	}
	err := s.db.writer().do(ctx, s.db.now(), func(ctx context.Context, tx *Tx) error {
		var err error
		ch, refusal, err = tx.startChallenge(ctx, purpose, c, personID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return ch, nil
}

// startChallenge checks the send limits and, within them, records a
// challenge and queues its code in tx. It returns the refusal, if any,
// apart from database errors.
func (tx *Tx) startChallenge(ctx context.Context, purpose string, c jaga.Contact, personID string) (*jaga.Challenge, error, error) {
	if tx.db.dialect == Postgres {
		// Serialize the sends to one destination, so that concurrent
		// requests on other servers cannot all pass the limits below.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, challengeLockClass, c.Value); err != nil {
			return nil, nil, fmt.Errorf("start challenge: %w", err)
		}
	}
	var sent int
	var last sql.NullTime
	row, err := tx.queryRowHot(ctx, `SELECT count(*) FROM challenges WHERE destination = $1 AND created_at > $2`,
		c.Value, tx.now.Add(-jaga.CodeSendWindow))
	if err != nil {
		return nil, nil, err
	}
	if err := row.Scan(&sent); err != nil {
		return nil, nil, fmt.Errorf("start challenge: %w", err)
	}
	if sent > 0 {
		// SQLite gives an aggregate no column type, so the latest time is read by ordering.
		if err := tx.QueryRowContext(ctx, `SELECT created_at FROM challenges WHERE destination = $1 ORDER BY created_at DESC LIMIT 1`,
			c.Value).Scan(&last); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fmt.Errorf("start challenge: %w", err)
		}
	}
	if err := sendLimit(sent, last, tx.now); err != nil {
		return nil, err, nil
	}
	if purpose == jaga.ChallengeChangeContact {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM people WHERE phone = $1 OR email = $1`, c.Value).Scan(&n); err != nil {
			return nil, nil, fmt.Errorf("start challenge: %w", err)
		} else if n > 0 {
			return nil, jaga.Errorf(jaga.ECONFLICT, "That phone number or email is already in use."), nil
		}
	}
	code := newCode()
	ch := &jaga.Challenge{ID: newTimeID(tx.now), Purpose: purpose, Contact: c, ExpiresAt: tx.now.Add(jaga.CodeTTL)}
	if _, err := tx.execHot(ctx, `
		INSERT INTO challenges (id, purpose, contact_kind, destination, person_id, code_hash, attempts, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)`,
		ch.ID, purpose, c.Kind, c.Value, nullString(personID), hashSecret(ch.ID, code), ch.ExpiresAt, tx.now); err != nil {
		return nil, nil, fmt.Errorf("start challenge: %w", err)
	}
	if err := tx.enqueue(ctx, c.Kind, c.Value, codeSubject, codeMessage(code)); err != nil {
		return nil, nil, err
	}
	return ch, nil, nil
}

// codeSubject is the subject of a one-time code's message.
const codeSubject = "Kod jaga / jaga code"

// codeMessage is the text of a one-time code's message, in Malay and
// English (the person's language is not known before they sign in).
func codeMessage(code string) string {
	return fmt.Sprintf("Kod jaga anda: %s. Tamat dalam %d minit. Jangan kongsi kod ini.\nYour jaga code: %s. It expires in %d minutes. Never share this code.",
		code, int(jaga.CodeTTL.Minutes()), code, int(jaga.CodeTTL.Minutes()))
}

// sendLimit refuses a code to a destination that was sent sent codes in
// the last CodeSendWindow, the latest at last, when it is asked at now.
func sendLimit(sent int, last sql.NullTime, now time.Time) error {
	if sent >= jaga.CodeMaxSends {
		return jaga.Errorf(jaga.ERATELIMIT, "Too many codes were sent. Try again in %d minutes.", int(jaga.CodeSendWindow.Minutes()))
	}
	if last.Valid && now.Sub(last.Time) < jaga.CodeResendGap {
		wait := jaga.CodeResendGap - now.Sub(last.Time)
		return jaga.Errorf(jaga.ERATELIMIT, "Wait %d seconds before asking for another code.", int(wait.Seconds())+1)
	}
	return nil
}

// errWrongCode is the answer for every code that does not sign in, so
// that a guesser learns nothing from the difference.
func errWrongCode(left int) error {
	if left <= 0 {
		return jaga.Errorf(jaga.ERATELIMIT, "Too many wrong codes. Ask for a new code.")
	}
	return jaga.Errorf(jaga.EUNAUTHORIZED, "The code is wrong. %d attempts left.", left)
}

// checkCode verifies a code against a challenge of the purpose and marks it
// used. A wrong code counts an attempt and is committed.
func (s *AccountService) checkCode(ctx context.Context, purpose, challengeID, code string, use func(*Tx, jaga.Contact, string) error) error {
	if len(code) != jaga.CodeDigits {
		return jaga.Invalid(map[string]string{"code": "The code has 6 digits."})
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return jaga.Invalid(map[string]string{"code": "The code has 6 digits."})
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var c jaga.Contact
	var codeHash, personID string
	var attempts int
	var expires time.Time
	var consumed sql.NullTime
	err = tx.QueryRowContext(ctx, `
		SELECT contact_kind, destination, COALESCE(person_id, ''), code_hash, attempts, expires_at, consumed_at
		FROM challenges WHERE id = $1 AND purpose = $2`+tx.forUpdate(), challengeID, purpose).
		Scan(&c.Kind, &c.Value, &personID, &codeHash, &attempts, &expires, &consumed)
	if errors.Is(err, sql.ErrNoRows) {
		return jaga.Errorf(jaga.EUNAUTHORIZED, "This code request is unknown. Ask for a new code.")
	} else if err != nil {
		return fmt.Errorf("check code: %w", err)
	}
	switch {
	case consumed.Valid:
		return jaga.Errorf(jaga.EUNAUTHORIZED, "This code was already used. Ask for a new code.")
	case attempts >= jaga.CodeMaxAttempts:
		return errWrongCode(0)
	case !tx.now.Before(expires):
		return jaga.Errorf(jaga.EUNAUTHORIZED, "The code has expired. Ask for a new code.")
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(challengeID, code)), []byte(codeHash)) != 1 {
		attempts++
		if _, err := tx.ExecContext(ctx, `UPDATE challenges SET attempts = $1 WHERE id = $2`, attempts, challengeID); err != nil {
			return fmt.Errorf("check code: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		return errWrongCode(jaga.CodeMaxAttempts - attempts)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE challenges SET consumed_at = $1 WHERE id = $2`, tx.now, challengeID); err != nil {
		return fmt.Errorf("check code: %w", err)
	}
	if err := use(tx, c, personID); err != nil {
		return err
	}
	return tx.Commit()
}

// VerifySignIn checks a sign-in code and returns the citizen.
func (s *AccountService) VerifySignIn(ctx context.Context, challengeID, code string) (*jaga.Actor, error) {
	var actor *jaga.Actor
	err := s.checkCode(ctx, jaga.ChallengeSignIn, challengeID, code, func(tx *Tx, c jaga.Contact, _ string) error {
		column := "phone"
		if c.Kind == jaga.ContactEmail {
			column = "email"
		}
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM people WHERE `+column+` = $1`, c.Value).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			p := &jaga.Person{ID: newID(), CreatedAt: tx.now, UpdatedAt: tx.now}
			if c.Kind == jaga.ContactEmail {
				p.Email = c.Value
			} else {
				p.Phone = c.Value
			}
			if err := tx.insertPerson(ctx, p); err != nil {
				return err
			}
			id = p.ID
		} else if err != nil {
			return fmt.Errorf("sign in: %w", err)
		}
		actor = &jaga.Actor{Kind: jaga.ActorCitizen, ID: id}
		return nil
	})
	return actor, err
}

// VerifyContactChange replaces the caller's phone or email.
func (s *AccountService) VerifyContactChange(ctx context.Context, challengeID, code string) (*jaga.Person, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to change your phone number or email.")
	}
	var p *jaga.Person
	err := s.checkCode(ctx, jaga.ChallengeChangeContact, challengeID, code, func(tx *Tx, c jaga.Contact, personID string) error {
		if personID != a.ID {
			return jaga.Errorf(jaga.EUNAUTHORIZED, "This code request is unknown. Ask for a new code.")
		}
		column := "phone"
		if c.Kind == jaga.ContactEmail {
			column = "email"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE people SET `+column+` = $1, updated_at = $2 WHERE id = $3`, c.Value, tx.now, a.ID); err != nil {
			if isUniqueViolation(err) {
				return jaga.Errorf(jaga.ECONFLICT, "That phone number or email is already in use.")
			}
			return fmt.Errorf("change contact: %w", err)
		}
		// A change of contact is the desk's self-service fix too: a
		// ticket about the account opened soon after carries it.
		if err := tx.recordContactFix(ctx, a.ID, c.Kind); err != nil {
			return err
		}
		var err error
		p, err = tx.person(ctx, a.ID)
		return err
	})
	return p, err
}

// CreateSession returns a new session token for the actor.
func (s *AccountService) CreateSession(ctx context.Context, a *jaga.Actor) (string, *jaga.Session, error) {
	if a == nil || (a.Kind != jaga.ActorCitizen && a.Kind != jaga.ActorStaff) {
		return "", nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Only citizens and staff have sessions.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", nil, err
	}
	defer tx.Rollback()
	ttl := jaga.CitizenSessionTTL
	if a.Kind == jaga.ActorStaff {
		ttl = jaga.StaffSessionTTL
	}
	token := randomHex(32)
	sess := &jaga.Session{Actor: a, CSRFToken: randomHex(32), CreatedAt: tx.now, ExpiresAt: tx.now.Add(ttl)}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO sessions (token_hash, actor_kind, actor_id, csrf_token, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $5, $6)`,
		hashSecret(token), a.Kind, a.ID, sess.CSRFToken, tx.now, sess.ExpiresAt); err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return token, sess, tx.Commit()
}

// sessionTouchEvery is how stale a staff session's last_seen_at may get
// before a request writes it again; it bounds writes on the read path.
const sessionTouchEvery = 30 * time.Second

// citizenTouchEvery is the same for citizens, who have no idle timeout:
// their last_seen_at is a record only, and each touch is a write queued
// behind check-ins.
const citizenTouchEvery = 10 * time.Minute

// Session returns the live session for a token.
func (s *AccountService) Session(ctx context.Context, token string) (*jaga.Session, error) {
	// Built only when needed: most calls succeed from the cache.
	unauthorized := func() error { return jaga.Errorf(jaga.EUNAUTHORIZED, "Your session has ended. Sign in again.") }
	if len(token) != 64 {
		return nil, unauthorized()
	}
	now := s.db.now()
	th := hashSecret(token)
	if c := s.db.sessions.get(th, now, s.db.sessionCacheTTL()); c != nil {
		if now.Sub(c.lastSeen) > citizenTouchEvery {
			s.touch(th, now)
			s.db.sessions.touched(th, now)
		}
		return &jaga.Session{Actor: c.actor, CSRFToken: c.csrf, CreatedAt: c.created, ExpiresAt: c.expires}, nil
	}
	var kind, id string
	var lastSeen time.Time
	var personExists bool
	sess := &jaga.Session{}
	gen := s.db.sessions.generation()
	row, err := s.db.queryRowHot(ctx, `
		SELECT s.actor_kind, s.actor_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at,
			EXISTS (SELECT 1 FROM people p WHERE p.id = s.actor_id)
		FROM sessions s WHERE s.token_hash = $1`, th)
	if err != nil {
		return nil, err
	}
	err = row.Scan(&kind, &id, &sess.CSRFToken, &sess.CreatedAt, &lastSeen, &sess.ExpiresAt, &personExists)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, unauthorized()
	} else if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	idle := kind == jaga.ActorStaff && now.Sub(lastSeen) > jaga.StaffIdleTimeout
	if !now.Before(sess.ExpiresAt) || idle {
		_, _ = s.db.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, th)
		return nil, unauthorized()
	}
	switch kind {
	case jaga.ActorCitizen:
		if !personExists {
			return nil, unauthorized()
		}
		sess.Actor = &jaga.Actor{Kind: jaga.ActorCitizen, ID: id}
		s.db.sessions.put(th, &cachedSession{actor: sess.Actor, csrf: sess.CSRFToken, created: sess.CreatedAt,
			expires: sess.ExpiresAt, lastSeen: lastSeen, fetched: now}, gen)
	case jaga.ActorStaff:
		a, err := staffActor(ctx, s.db.db, id)
		if err != nil {
			return nil, unauthorized()
		}
		sess.Actor = a
	default:
		return nil, unauthorized()
	}
	if (kind == jaga.ActorStaff && now.Sub(lastSeen) > sessionTouchEvery) || now.Sub(lastSeen) > citizenTouchEvery {
		if kind == jaga.ActorStaff {
			// A staff session's idle clock must hold: wait for the write.
			if err := s.db.writer().do(ctx, now, func(ctx context.Context, tx *Tx) error {
				_, err := tx.execHot(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, now, th)
				return err
			}); err != nil {
				return nil, fmt.Errorf("session touch: %w", err)
			}
		} else {
			s.touch(th, now)
			s.db.sessions.touched(th, now)
		}
	}
	return sess, nil
}

// touch records a citizen session's use with the next group commit,
// without waiting: citizens have no idle timeout, so a lost touch costs
// nothing but the record.
func (s *AccountService) touch(tokenHash string, now time.Time) {
	s.db.writer().doAsync(now, func(ctx context.Context, tx *Tx) error {
		_, err := tx.execHot(context.Background(), `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, now, tokenHash)
		return err
	})
}

// sessionCacheTTL is how long a citizen's session is trusted from memory
// on PostgreSQL while this server does not hear of ended sessions
// (ListenPeopleChanges); a session ended by another replica stays usable
// here for at most this long. While it hears of them, and on SQLite, a
// cached session is used until it ends.
const sessionCacheTTL = 30 * time.Second

// sessionCacheTTL returns how long a cached citizen session is trusted, 0
// for until it expires. On SQLite this process is the only one serving the
// file, and every way a citizen session ends here (sign-out, expiry)
// forgets it at once, so it is never read again.
func (db *DB) sessionCacheTTL() time.Duration {
	if db.dialect == SQLite || db.cardsLive.Load() {
		return 0
	}
	return sessionCacheTTL
}

// cachedSession is a citizen session read from the database.
type cachedSession struct {
	actor                      *jaga.Actor
	csrf                       string
	created, expires, lastSeen time.Time
	fetched                    time.Time
}

// sessionCache keeps citizens' sessions, by token hash, for the check-in
// path; staff sessions are always read, for their idle timeout.
//
// A session read before a forget is not kept (generations): a read that
// raced with a notice of the session's end must not outlive the notice.
type sessionCache struct {
	mu  sync.Mutex // guards m and gen
	m   map[string]*cachedSession
	gen uint64 // raised by every forget and clear
}

// generation returns the current generation, to pass to put.
func (c *sessionCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// get returns the cached session, or nil when it is unknown, expired or
// was fetched more than ttl ago (ttl 0: any time).
func (c *sessionCache) get(tokenHash string, now time.Time, ttl time.Duration) *cachedSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[tokenHash]
	if !ok || (ttl > 0 && now.Sub(e.fetched) > ttl) || !now.Before(e.expires) {
		return nil
	}
	cp := *e
	return &cp
}

// put keeps e unless a forget or clear has happened since generation
// returned gen.
func (c *sessionCache) put(tokenHash string, e *cachedSession, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) > 1_000_000 {
		c.m = map[string]*cachedSession{}
	}
	c.m[tokenHash] = e
}

func (c *sessionCache) touched(tokenHash string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[tokenHash]; ok {
		e.lastSeen = now
	}
}

// clear forgets every session.
func (c *sessionCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
	c.gen++
}

func (c *sessionCache) forget(tokenHash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, tokenHash)
	c.gen++
}

// DeleteSession signs out.
func (s *AccountService) DeleteSession(ctx context.Context, token string) error {
	th := hashSecret(token)
	s.db.sessions.forget(th)
	if _, err := s.db.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, th); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// enqueue adds a message to the outbox inside tx.
func (tx *Tx) enqueue(ctx context.Context, channel, destination, subject, body string) error {
	if _, err := tx.execHot(ctx, `
		INSERT INTO outbox (channel, destination, subject, body, created_at, attempts) VALUES ($1, $2, $3, $4, $5, 0)`,
		channel, destination, subject, body, tx.now); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

// RecentMessages lists the newest outbox messages, for the demo outbox page.
func (s *AccountService) RecentMessages(ctx context.Context, limit int) ([]*jaga.Message, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT id, channel, destination, subject, body, created_at, sent_at FROM outbox ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent messages: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Message{}
	for rows.Next() {
		m := &jaga.Message{}
		var sent sql.NullTime
		if err := rows.Scan(&m.ID, &m.Channel, &m.Destination, &m.Subject, &m.Body, &m.CreatedAt, &sent); err != nil {
			return nil, fmt.Errorf("recent messages: %w", err)
		}
		if sent.Valid {
			t := sent.Time.UTC()
			m.SentAt = &t
		}
		m.CreatedAt = m.CreatedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// RegisterCitizen creates a citizen with a contact verified elsewhere.
func (s *AccountService) RegisterCitizen(ctx context.Context, c jaga.Contact, prof jaga.Profile) (*jaga.Person, error) {
	if a := jaga.ActorFromContext(ctx); a == nil || a.Kind != jaga.ActorSystem {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only jaga itself registers citizens directly.")
	}
	parsed, err := jaga.ParseContact(c.Value)
	if err != nil {
		return nil, err
	}
	prof.Normalize()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if problems := prof.Valid(tx.now); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	p := &jaga.Person{ID: newID(), CreatedAt: tx.now, UpdatedAt: tx.now}
	if parsed.Kind == jaga.ContactEmail {
		p.Email = parsed.Value
	} else {
		p.Phone = parsed.Value
	}
	prof.Apply(p)
	if err := tx.insertPerson(ctx, p); err != nil {
		return nil, err
	}
	return p, tx.Commit()
}
