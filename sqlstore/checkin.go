package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// CheckInService implements jaga.CheckInService. Its writes go through
// group commit.
type CheckInService struct{ db *DB }

// NewCheckInService returns the check-in service of db.
func NewCheckInService(db *DB) *CheckInService { return &CheckInService{db: db} }

// resolvePremises finds the premises of a scanned token or typed code. A
// token of an older version is refused once the code has been rotated.
func (s *CheckInService) resolvePremises(ctx context.Context, token, shortCode string) (*jaga.Premises, string, error) {
	switch {
	case token != "" && shortCode != "":
		return nil, "", jaga.Invalid(map[string]string{"token": "Send a scanned token or a short code, not both."})
	case token != "":
		t, err := jaga.ParsePremisesToken(s.db.TokenKey, token)
		if err != nil {
			return nil, "", &jaga.Error{Code: jaga.EINVALID, Message: jaga.ErrorMessage(err), Fields: map[string]string{"token": jaga.ErrorMessage(err)}}
		}
		p, err := s.db.premisesByID(ctx, t.PremisesID)
		if err != nil {
			return nil, "", err
		}
		if t.Version != p.TokenVersion {
			return nil, "", jaga.Invalid(map[string]string{"token": "This QR code has been replaced by the premises. Scan the code on its current poster."})
		}
		return p, jaga.SourceScan, nil
	case shortCode != "":
		code := jaga.NormalizeShortCode(shortCode)
		if code == "" {
			return nil, "", jaga.Invalid(map[string]string{"shortCode": "A premises code has 8 letters and digits, such as K7QX-M4PD."})
		}
		p, err := s.db.premisesByCode(ctx, code)
		return p, jaga.SourceCode, err
	}
	return nil, "", jaga.Invalid(map[string]string{"token": "Scan the premises' QR code or type its short code."})
}

// visitor is a person being checked in, with what the door shows.
type visitor struct {
	door       jaga.DoorStatus
	guardianID string
	seq        int64 // people.seq
}

// visitors loads the caller and the chosen dependants with their door
// statuses at now (recorded traces included), and refuses anyone who is
// not the caller's dependant.
func (db *DB) visitors(ctx context.Context, callerID string, self bool, dependants []string, now time.Time) ([]visitor, error) {
	vs, err := loadVisitors(ctx, func(query string, args ...any) (*sql.Rows, error) {
		st, err := db.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		return st.QueryContext(ctx, args...)
	}, db.sharedCards(), db.now(), callerID, self, dependants, now)
	if err != nil {
		return nil, err
	}
	return db.showTraces(ctx, vs, now), nil
}

// visitors is DB.visitors inside tx: the writer reads through its own
// connection, whose page cache its own writes keep warm, and on SQLite
// first asks the visitor cards.
func (tx *Tx) visitors(ctx context.Context, callerID string, self bool, dependants []string, now time.Time) ([]visitor, error) {
	vs, err := loadVisitors(ctx, func(query string, args ...any) (*sql.Rows, error) {
		if st := tx.txStmt(ctx, query); st != nil {
			return st.QueryContext(ctx, args...)
		}
		return tx.QueryContext(ctx, query, args...)
	}, tx.db.sharedCards(), tx.db.now(), callerID, self, dependants, now)
	if err != nil {
		return nil, err
	}
	return tx.db.showTraces(ctx, vs, now), nil
}

// loadVisitors reads the visitors through query, or from cards (if not
// nil) when all of them are there; clock is the time cards are fetched at.
func loadVisitors(ctx context.Context, query func(q string, args ...any) (*sql.Rows, error), cards *visitorCards, clock time.Time,
	callerID string, self bool, dependants []string, now time.Time) ([]visitor, error) {
	ids := []string{}
	seen := map[string]bool{}
	if self {
		ids, seen[callerID] = append(ids, callerID), true
	}
	for _, d := range dependants {
		if !seen[d] {
			seen[d] = true
			ids = append(ids, d)
		}
	}
	if len(ids) == 0 {
		return nil, jaga.Invalid(map[string]string{"dependants": "Choose at least one person to check in."})
	}
	if len(ids) > jaga.MaxCheckInPeople {
		return nil, jaga.Invalid(map[string]string{"dependants": fmt.Sprintf("At most %d dependants check in together.", jaga.MaxDependantsPerCheckIn)})
	}
	found := make(map[string]*visitorCard, len(ids))
	var gen uint64
	if cards != nil {
		gen = cards.generation()
		for _, id := range ids {
			if c := cards.get(id, clock); c != nil {
				found[id] = c
			}
		}
	}
	if len(found) < len(ids) {
		if err := readVisitorCards(query, ids, found, cards, gen, clock); err != nil {
			return nil, err
		}
	}
	out := make([]visitor, 0, len(ids))
	for _, id := range ids {
		c, ok := found[id]
		if !ok || (id != callerID && c.guardianID != callerID) {
			return nil, jaga.Invalid(map[string]string{"dependants": "You can check in only yourself and your own dependants."})
		}
		v := visitor{guardianID: c.guardianID, seq: c.seq, door: jaga.DoorStatus{PersonID: id, Name: c.name, Language: c.language,
			Risk: c.risk, Vaccination: c.vaccination}}
		if v.door.Risk != jaga.RiskLow && (!c.riskUntil.Valid || !now.Before(c.riskUntil.Time)) {
			v.door.Risk = jaga.RiskLow // the status has ended
		}
		out = append(out, v)
	}
	return out, nil
}

// readVisitorCards reads the people ids into found, and into cards if not
// nil and not forgotten since generation gen.
func readVisitorCards(query func(q string, args ...any) (*sql.Rows, error), ids []string, found map[string]*visitorCard,
	cards *visitorCards, gen uint64, clock time.Time) error {
	args := make([]any, 0, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	rows, err := query(`
		SELECT id, COALESCE(guardian_id, ''), full_name, language, risk_status, risk_until, vaccination_status, seq
		FROM people WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("visitors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		c := &visitorCard{fetched: clock}
		if err := rows.Scan(&id, &c.guardianID, &c.name, &c.language, &c.risk, &c.riskUntil, &c.vaccination, &c.seq); err != nil {
			return fmt.Errorf("visitors: %w", err)
		}
		if c.riskUntil.Valid {
			c.riskUntil.Time = c.riskUntil.Time.UTC()
		}
		found[id] = c
		if cards != nil {
			cards.put(id, c, gen)
		}
	}
	return rows.Err()
}

// recordVisit writes one person's check-in inside the batch transaction:
// a check-in within SameVisitWindow at the premises of the person's latest
// visit, still open, is that visit. Other visits are not updated: a visit
// ends at the earliest of its check-out, its automatic check-out and the
// person's next check-in.
func (tx *Tx) recordVisit(ctx context.Context, v *jaga.Visit, personSeq int64, p *jaga.Premises, actorID string) error {
	if err := tx.ensureCheckinPartition(ctx, v.CheckedInAt); err != nil {
		return err
	}
	if tx.db.dialect == Postgres {
		// Written with the rest of the batch at commit, in one round trip.
		tx.queueVisitPostgres(v, personSeq, p, actorID)
		return nil
	}
	last, err := tx.lastVisit(ctx, v.PersonID, personSeq, v.CheckedInAt)
	if err != nil {
		return err
	}
	if last != nil && last.premisesID == p.ID {
		v.ID, v.CheckedInAt, v.LeavesAt, v.SameVisit = last.id, last.at, last.leaves, true
		return nil
	}
	id := newVisitID(v.CheckedInAt)
	v.ID = formatVisitID(id)
	v.LeavesAt = v.CheckedInAt.Add(p.DefaultStay())
	if _, err := tx.execHot(ctx, `
		INSERT INTO checkins (id, person, premises, checked_in_at, leaves_at, source, actor_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, personSeq, p.Seq, micros(v.CheckedInAt), micros(v.LeavesAt), v.Source, otherActor(actorID, v.PersonID),
		writtenLater(tx.now, v.CheckedInAt)); err != nil {
		return fmt.Errorf("insert check-in: %w", err)
	}
	if err := tx.noteChange(ctx, id, v.CheckedInAt); err != nil {
		return err
	}
	tx.noteVisit(v.PersonID, &recentVisit{id: v.ID, premisesID: p.ID, at: v.CheckedInAt, leaves: v.LeavesAt})
	return nil
}

// otherActor is the actor_id of a check-in row: NULL when the person
// checked in themselves.
func otherActor(actorID, personID string) any {
	if actorID == personID {
		return nil
	}
	return actorID
}

// writtenLater is the created_at of a check-in row: NULL when the row was
// written at the check-in time.
func writtenLater(written, checkedIn time.Time) any {
	if us := micros(written); us != micros(checkedIn) {
		return us
	}
	return nil
}

// lastVisit returns the person's latest visit that started within
// SameVisitWindow before at and is still open, or nil.
func (tx *Tx) lastVisit(ctx context.Context, personID string, personSeq int64, at time.Time) (*recentVisit, error) {
	since := at.Add(-jaga.SameVisitWindow)
	if r, known := tx.recentVisit(personID, since); known {
		if r != nil && r.at.After(since) && !r.at.After(at) && !r.closed {
			return r, nil
		}
		return nil, nil
	}
	r := &recentVisit{}
	row, err := tx.queryRowHot(ctx, `
		SELECT c.id, pr.id, c.checked_in_at, c.leaves_at FROM checkins c JOIN premises pr ON pr.seq = c.premises
		WHERE c.person = $1 AND c.checked_in_at > $2 AND c.checked_in_at <= $3 AND c.checked_out_at IS NULL
		ORDER BY c.checked_in_at DESC LIMIT 1`, personSeq, micros(since), micros(at))
	if err != nil {
		return nil, err
	}
	var id, atUs, leavesUs int64
	switch err := row.Scan(&id, &r.premisesID, &atUs, &leavesUs); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("same visit: %w", err)
	}
	r.id, r.at, r.leaves = formatVisitID(id), fromMicros(atUs), fromMicros(leavesUs)
	return r, nil
}

// CheckIn checks in the caller and chosen dependants.
func (s *CheckInService) CheckIn(ctx context.Context, req jaga.CheckInRequest) (*jaga.CheckInResult, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to check in.")
	}
	if len(req.Dependants) > jaga.MaxDependantsPerCheckIn {
		return nil, jaga.Invalid(map[string]string{"dependants": fmt.Sprintf("At most %d dependants check in together.", jaga.MaxDependantsPerCheckIn)})
	}
	p, source, err := s.resolvePremises(ctx, req.Token, req.ShortCode)
	if err != nil {
		return nil, err
	}
	now := req.At
	if now.IsZero() {
		now = s.db.now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	self := req.Self == nil || *req.Self
	// On SQLite the writer reads the visitors in the batch's transaction:
	// one read transaction fewer a request, on a connection whose cache its
	// own writes keep warm. On PostgreSQL each statement is a round trip,
	// so the visitors are read before, in parallel with other requests. A
	// refusal is this request's answer, not a failure of the batch.
	var early []visitor
	if s.db.dialect == Postgres {
		if early, err = s.db.visitors(ctx, a.ID, self, req.Dependants, now); err != nil {
			return nil, err
		}
	}
	var res *jaga.CheckInResult
	var refusal error
	err = s.db.writer().do(ctx, now, func(ctx context.Context, tx *Tx) error {
		vs := early
		if vs == nil {
			var err error
			vs, err = tx.visitors(ctx, a.ID, self, req.Dependants, now)
			if jaga.ErrorCode(err) == jaga.EINVALID {
				refusal = err
				return nil
			} else if err != nil {
				return err
			}
		}
		r := &jaga.CheckInResult{Premises: p, Visits: make([]jaga.Visit, len(vs)), Door: make([]jaga.DoorStatus, len(vs))}
		for i, v := range vs {
			r.Visits[i] = jaga.Visit{PersonID: v.door.PersonID, PremisesID: p.ID, PremisesName: p.Name, CheckedInAt: now, Source: source}
			r.Door[i] = v.door
			if err := tx.recordVisit(ctx, &r.Visits[i], v.seq, p, a.ID); err != nil {
				return err
			}
		}
		res = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return res, nil
}

// visitSelect reads visits with their person (pe) and premises.
const visitSelect = `
	SELECT c.id, pe.id, COALESCE(pr.id, ''), COALESCE(pr.name, ''), c.checked_in_at, c.leaves_at, c.checked_out_at, c.source
	FROM checkins c JOIN people pe ON pe.seq = c.person LEFT JOIN premises pr ON pr.seq = c.premises`

func scanVisit(r rowScanner) (*jaga.Visit, error) {
	v := &jaga.Visit{}
	var id, at, leaves int64
	var out sql.NullInt64
	if err := r.Scan(&id, &v.PersonID, &v.PremisesID, &v.PremisesName, &at, &leaves, &out, &v.Source); err != nil {
		return nil, err
	}
	v.ID = formatVisitID(id)
	v.CheckedInAt, v.LeavesAt, v.CheckedOutAt = visitTimes(at, leaves, out)
	return v, nil
}

// CheckOut ends a visit of the caller or one of their dependants now.
func (s *CheckInService) CheckOut(ctx context.Context, visitID string) (*jaga.Visit, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to check out.")
	}
	notFound := jaga.Errorf(jaga.ENOTFOUND, "No such visit.")
	id, ok := parseVisitID(visitID)
	if !ok {
		return nil, notFound
	}
	now := s.db.now()
	var v *jaga.Visit
	err := s.db.writer().do(ctx, now, func(ctx context.Context, tx *Tx) error {
		var err error
		v, err = scanVisit(tx.QueryRowContext(ctx, visitSelect+`
			WHERE c.id = $1 AND c.checked_in_at > $2 AND (pe.id = $3 OR pe.guardian_id = $3)`,
			id, micros(now.Add(-jaga.MaxStayBeforeAuto)), a.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound
		} else if err != nil {
			return fmt.Errorf("check out: %w", err)
		}
		if v.CheckedOutAt != nil || !v.LeavesAt.After(now) {
			return jaga.Errorf(jaga.ECONFLICT, "This visit has already ended.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE checkins SET checked_out_at = $1 WHERE id = $2 AND checked_in_at = $3`,
			micros(now), id, micros(v.CheckedInAt)); err != nil {
			return fmt.Errorf("check out: %w", err)
		}
		if err := tx.noteChange(ctx, id, v.CheckedInAt); err != nil {
			return err
		}
		out := fromMicros(micros(now))
		v.CheckedOutAt = &out
		tx.noteVisit(v.PersonID, &recentVisit{id: v.ID, premisesID: v.PremisesID, at: v.CheckedInAt, leaves: v.LeavesAt, closed: true})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// UploadOffline records check-ins made offline.
func (s *CheckInService) UploadOffline(ctx context.Context, batch []jaga.OfflineCheckIn) ([]jaga.OfflineResult, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to upload check-ins.")
	}
	if len(batch) == 0 {
		return nil, jaga.Invalid(map[string]string{"checkIns": "The batch is empty."})
	}
	if len(batch) > jaga.OfflineMaxBatch {
		return nil, jaga.Invalid(map[string]string{"checkIns": fmt.Sprintf("A batch holds at most %d check-ins.", jaga.OfflineMaxBatch)})
	}
	now := s.db.now()
	results := make([]jaga.OfflineResult, len(batch))
	type accepted struct {
		i        int
		premises *jaga.Premises
		visits   []jaga.Visit
		seqs     []int64 // people.seq of each visit's person
	}
	var ok []accepted
	seen := map[string]bool{}
	for i, c := range batch {
		results[i].ClientID = c.ClientID
		fail := func(msg string) { results[i].Error = msg }
		switch {
		case !clientIDPattern.MatchString(c.ClientID):
			fail("A client id has 8 to 64 letters, digits, dashes or underscores.")
			continue
		case seen[c.ClientID]:
			fail("This client id appears twice in the batch.")
			continue
		case c.ScannedAt.IsZero():
			fail("The scan time is missing.")
			continue
		case c.ScannedAt.After(now.Add(jaga.OfflineMaxAhead)):
			fail("The scan time is in the future; check the phone's clock.")
			continue
		case c.ScannedAt.Before(now.Add(-jaga.OfflineMaxAge)):
			fail(fmt.Sprintf("The scan is older than %d days and can no longer be uploaded.", int(jaga.OfflineMaxAge.Hours()/24)))
			continue
		case len(c.Dependants) > jaga.MaxDependantsPerCheckIn:
			fail(fmt.Sprintf("At most %d dependants check in together.", jaga.MaxDependantsPerCheckIn))
			continue
		}
		seen[c.ClientID] = true
		t, err := jaga.ParsePremisesToken(s.db.TokenKey, c.Token)
		if err != nil {
			fail(jaga.ErrorMessage(err))
			continue
		}
		p, err := s.db.premisesByID(ctx, t.PremisesID)
		if err != nil {
			fail(jaga.ErrorMessage(err))
			continue
		}
		at := c.ScannedAt.UTC().Truncate(time.Microsecond)
		// A code replaced after the scan was still genuine when scanned.
		if t.Version > p.TokenVersion || (t.Version < p.TokenVersion && !at.Before(p.UpdatedAt)) {
			fail("This QR code had been replaced by the premises when it was scanned.")
			continue
		}
		if at.Before(p.CreatedAt) {
			fail("The scan time is before the premises was registered.")
			continue
		}
		vs, err := s.db.visitors(ctx, a.ID, c.Self == nil || *c.Self, c.Dependants, at)
		if err != nil {
			fail(jaga.ErrorMessage(err))
			continue
		}
		acc := accepted{i: i, premises: p}
		for _, v := range vs {
			acc.visits = append(acc.visits, jaga.Visit{PersonID: v.door.PersonID, PremisesID: p.ID, PremisesName: p.Name,
				CheckedInAt: at, LeavesAt: at.Add(p.DefaultStay()), Source: jaga.SourceOffline})
			acc.seqs = append(acc.seqs, v.seq)
		}
		ok = append(ok, acc)
	}
	if len(ok) == 0 {
		return results, nil
	}
	err := s.db.writer().do(ctx, now, func(ctx context.Context, tx *Tx) error {
		for _, acc := range ok {
			c := batch[acc.i]
			for j := range acc.visits {
				v := &acc.visits[j]
				if err := tx.ensureCheckinPartition(ctx, v.CheckedInAt); err != nil {
					return err
				}
				clientID := c.ClientID
				if v.PersonID != a.ID {
					clientID = c.ClientID + ":" + v.PersonID[:8]
				}
				seq := acc.seqs[j]
				if _, err := tx.ExecContext(ctx, `
					INSERT INTO checkins (id, person, premises, checked_in_at, leaves_at, source, client_id, actor_id, created_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
					ON CONFLICT (person, client_id, checked_in_at) WHERE client_id IS NOT NULL DO NOTHING`,
					newVisitID(v.CheckedInAt), seq, acc.premises.Seq, micros(v.CheckedInAt), micros(v.LeavesAt), v.Source, clientID,
					otherActor(a.ID, v.PersonID), writtenLater(tx.now, v.CheckedInAt)); err != nil {
					return fmt.Errorf("offline check-in: %w", err)
				}
				// A repeated upload answers with the visit stored the first time.
				var id int64
				if err := tx.QueryRowContext(ctx, `SELECT id FROM checkins WHERE person = $1 AND client_id = $2 AND checked_in_at = $3`,
					seq, clientID, micros(v.CheckedInAt)).Scan(&id); err != nil {
					return fmt.Errorf("offline check-in: %w", err)
				}
				if err := tx.noteChange(ctx, id, v.CheckedInAt); err != nil {
					return err
				}
				v.ID = formatVisitID(id)
				tx.noteVisit(v.PersonID, &recentVisit{id: v.ID, premisesID: acc.premises.ID, at: v.CheckedInAt, leaves: v.LeavesAt})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, acc := range ok {
		results[acc.i].Visits = acc.visits
	}
	return results, nil
}

// Visits lists the caller's and their dependants' visits of the last two weeks.
func (s *CheckInService) Visits(ctx context.Context, limit int) ([]jaga.Visit, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see your visits.")
	}
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.db.db.QueryContext(ctx, visitSelect+`
		WHERE (pe.id = $1 OR pe.guardian_id = $1) AND c.checked_in_at > $2
		ORDER BY c.checked_in_at DESC LIMIT $3`, a.ID, micros(s.db.now().Add(-jaga.OfflineMaxAge)), limit)
	if err != nil {
		return nil, fmt.Errorf("visits: %w", err)
	}
	defer rows.Close()
	out := []jaga.Visit{}
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, fmt.Errorf("visits: %w", err)
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// AssistedCheckIn checks in a visitor without a phone, found by identity
// number and name, for staff of the premises, through the gate.
func (s *CheckInService) AssistedCheckIn(ctx context.Context, premisesID, idNumber, fullName string) (*jaga.CheckInResult, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsStaff() {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only premises staff check in visitors.")
	}
	p, err := s.db.premisesByID(ctx, premisesID)
	if err != nil || !canManagePremises(a, p.OrgID) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such premises.")
	}
	prof := jaga.Profile{FullName: fullName, IDType: jaga.IDTypeNRIC, IDNumber: idNumber}
	prof.Normalize()
	if prof.IDNumber == "" || prof.FullName == "" {
		return nil, jaga.Invalid(map[string]string{"idNumber": "Type the visitor's identity number and full name as on their card."})
	}
	noMatch := jaga.Errorf(jaga.ENOTFOUND, "No one with this identity number and name is registered. Check both against the card.")
	now := s.db.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var personID, name string
	err = tx.QueryRowContext(ctx, `SELECT id, full_name FROM people WHERE id_number = $1 ORDER BY created_at LIMIT 1`, prof.IDNumber).Scan(&personID, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noMatch
	} else if err != nil {
		return nil, fmt.Errorf("assisted check-in: %w", err)
	}
	d, err := tx.guard(ctx, jaga.AccessRequest{
		Actor: *a, Action: jaga.ActionRead, PersonID: personID,
		Categories: []string{jaga.CategoryIdentity, jaga.CategoryCheckin}, Fields: []string{"fullName", "idNumber"},
		Purpose: jaga.PurposeAssistedCheckIn, Relationship: "premises", Reference: p.ID,
	})
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if !d.Allow {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", d.Reason)
	}
	if !strings.EqualFold(strings.Join(strings.Fields(name), " "), prof.FullName) {
		return nil, noMatch
	}
	vs, err := s.db.visitors(ctx, personID, true, nil, now)
	if err != nil {
		return nil, err
	}
	res := &jaga.CheckInResult{Premises: p, Visits: []jaga.Visit{{PersonID: personID, PremisesID: p.ID, PremisesName: p.Name,
		CheckedInAt: now, Source: jaga.SourceAssisted}}, Door: []jaga.DoorStatus{vs[0].door}}
	err = s.db.writer().do(ctx, now, func(ctx context.Context, tx *Tx) error {
		return tx.recordVisit(ctx, &res.Visits[0], vs[0].seq, p, a.ID)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ensureCheckinPartition creates the day's partition of checkins on
// PostgreSQL if this process has not seen it yet.
func (tx *Tx) ensureCheckinPartition(ctx context.Context, at time.Time) error {
	if tx.db.dialect != Postgres {
		return nil
	}
	day := at.UTC().Truncate(24 * time.Hour)
	key := day.Format("20060102")
	if _, ok := tx.db.partitions.Load(key); ok {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT partition`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS checkins_%s PARTITION OF checkins FOR VALUES FROM (%d) TO (%d)`,
		day.Format("20060102"), micros(day), micros(day.Add(24*time.Hour))))
	if err != nil {
		// Another replica may have created it meanwhile; the insert will tell.
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT partition`); rerr != nil {
			return rerr
		}
	} else {
		tx.db.partitions.Store(key, true)
	}
	_, err = tx.ExecContext(ctx, `RELEASE SAVEPOINT partition`)
	return err
}

// PurgeCheckIns removes check-ins older than the retention period: on
// PostgreSQL by dropping whole days' partitions, on SQLite by deleting rows
// in chunks. It returns the rows (SQLite) or partitions (PostgreSQL) removed.
func (s *CheckInService) PurgeCheckIns(ctx context.Context, retention time.Duration) (int64, error) {
	if a := jaga.ActorFromContext(ctx); a == nil || a.Kind != jaga.ActorSystem {
		return 0, jaga.Errorf(jaga.EFORBIDDEN, "Only jaga's retention job purges check-ins.")
	}
	if retention <= 0 {
		retention = jaga.DefaultRetention
	}
	cutoff := s.db.now().Add(-retention)
	// Segments and changes go first: none may outlive the rows they copy.
	if _, err := s.db.db.ExecContext(ctx, `DELETE FROM checkin_segments WHERE starts_at < $1`, micros(cutoff)); err != nil {
		return 0, fmt.Errorf("purge check-in segments: %w", err)
	}
	if _, err := s.db.db.ExecContext(ctx, `DELETE FROM checkin_changes WHERE checkin_id < $1`, visitIDBefore(cutoff)); err != nil {
		return 0, fmt.Errorf("purge check-in changes: %w", err)
	}
	if s.db.dialect == Postgres {
		return s.dropOldPartitions(ctx, cutoff)
	}
	var total int64
	// Ids begin with the check-in time, so the old rows are a range of the key.
	before := visitIDBefore(cutoff)
	for {
		res, err := s.db.db.ExecContext(ctx, `DELETE FROM checkins WHERE id IN (SELECT id FROM checkins WHERE id < $1 LIMIT 10000)`, before)
		if err != nil {
			return total, fmt.Errorf("purge check-ins: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 10000 {
			return total, nil
		}
	}
}

// dropOldPartitions drops the partitions of days wholly before cutoff.
func (s *CheckInService) dropOldPartitions(ctx context.Context, cutoff time.Time) (int64, error) {
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent
		JOIN pg_namespace n ON n.oid = p.relnamespace
		WHERE p.relname = 'checkins' AND n.nspname = current_schema()`)
	if err != nil {
		return 0, fmt.Errorf("list partitions: %w", err)
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return 0, err
		}
		names = append(names, name)
	}
	rows.Close()
	cutDay := cutoff.UTC().Truncate(24 * time.Hour)
	var dropped int64
	for _, name := range names {
		day, err := time.Parse("20060102", strings.TrimPrefix(name, "checkins_"))
		if err != nil || !day.Before(cutDay) {
			continue
		}
		if _, err := s.db.db.ExecContext(ctx, `DROP TABLE `+name); err != nil {
			return dropped, fmt.Errorf("drop partition %s: %w", name, err)
		}
		s.db.partitions.Delete(day.Format("20060102"))
		dropped++
	}
	return dropped, nil
}

// RefreshDoorStatus recomputes a person's current risk and vaccination
// status from risk_statuses and doses, in tx. The risk shown is the status
// in force of highest precedence (the latest start breaks a tie), so the
// door, the app and the desk show one and the same. Whoever writes those
// tables calls it in the same transaction.
func (tx *Tx) RefreshDoorStatus(ctx context.Context, personID string) error {
	risk, until := jaga.RiskLow, sql.NullTime{}
	var status string
	var ends time.Time
	err := tx.QueryRowContext(ctx, `
		SELECT status, ends_at FROM risk_statuses WHERE person_id = $1 AND starts_at <= $2 AND ends_at > $2
		ORDER BY precedence DESC, starts_at DESC LIMIT 1`, personID, tx.now).Scan(&status, &ends)
	switch {
	case err == nil:
		risk, until = status, sql.NullTime{Time: ends.UTC(), Valid: true}
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("refresh door status: %w", err)
	}
	var anyDose, complete, booster bool
	if err := tx.QueryRowContext(ctx, `
		SELECT EXISTS (SELECT 1 FROM doses WHERE person_id = $1),
			EXISTS (SELECT 1 FROM doses WHERE person_id = $1 AND dose_number >= total_doses),
			EXISTS (SELECT 1 FROM doses WHERE person_id = $1 AND booster)`, personID).Scan(&anyDose, &complete, &booster); err != nil {
		return fmt.Errorf("refresh door status: %w", err)
	}
	vax := jaga.VaxNotRecorded
	switch {
	case booster:
		vax = jaga.VaxBooster
	case complete:
		vax = jaga.VaxComplete
	case anyDose:
		vax = jaga.VaxPartial
	}
	// One person changed: forget that card alone, not all of them.
	if err := tx.begin(ctx); err != nil {
		return err
	}
	if _, err := tx.Tx.ExecContext(ctx, `UPDATE people SET risk_status = $1, risk_until = $2, vaccination_status = $3 WHERE id = $4`,
		risk, until, vax, personID); err != nil {
		return fmt.Errorf("refresh door status: %w", err)
	}
	tx.forgetCard(personID)
	return nil
}
