package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jaga-health/jaga"
)

// DeskService implements jaga.DeskService.
type DeskService struct {
	db *DB
	// Tracing explains risk statuses for the self-service fix; if nil,
	// that fix answers EUNAVAILABLE.
	Tracing jaga.TracingService
	// Verifier checks foreign certificates for the self-service fix; if
	// nil, that fix answers EUNAVAILABLE.
	Verifier jaga.CertificateVerifier
}

// NewDeskService returns the support desk of db.
func NewDeskService(db *DB) *DeskService { return &DeskService{db: db} }

var _ jaga.DeskService = (*DeskService)(nil)

// Desk errors that are the same wherever they arise.
var (
	errNoTicket     = jaga.Errorf(jaga.ENOTFOUND, "No such ticket.")
	errTicketClosed = jaga.Errorf(jaga.ECONFLICT, "This ticket is closed; open a new ticket if you still need help.")
)

// referenceAlphabet spells ticket references without letters that read as
// digits (I, L, O, U).
const referenceAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newReference returns a ticket reference such as JG-7K2M9Q4D.
func newReference() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = referenceAlphabet[int(b[i])%len(referenceAlphabet)]
	}
	return "JG-" + string(b)
}

// ticketRow is a ticket as stored, with what the views derive from.
type ticketRow struct {
	jaga.Ticket
	calendar   string
	language   string
	rated      bool
	resolvedAt sql.NullTime
}

// tickets returns the tickets that ticketSelect followed by rest finds,
// all read before it returns; what names the read in errors.
func (tx *Tx) tickets(ctx context.Context, what, rest string, args ...any) ([]*ticketRow, error) {
	rows, err := tx.QueryContext(ctx, ticketSelect+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var found []*ticketRow
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		found = append(found, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return found, nil
}

const ticketSelect = `
	SELECT t.id, t.reference, t.type, t.person_id, t.requester_id, t.state, t.priority, t.queue, t.calendar,
		COALESCE(t.assignee_id, ''), COALESCE(m.reference, ''), t.form, t.description, t.tried, t.language,
		COALESCE(t.rating, 0), t.created_at, t.updated_at, t.resolved_at
	FROM tickets t
	LEFT JOIN tickets m ON m.id = t.merged_into`

func scanTicket(r rowScanner) (*ticketRow, error) {
	t := &ticketRow{}
	var form, tried string
	if err := r.Scan(&t.ID, &t.Reference, &t.Type, &t.PersonID, &t.RequesterID, &t.State, &t.Priority, &t.Queue,
		&t.calendar, &t.AssigneeID, &t.MergedInto, &form, &t.Description, &tried, &t.language,
		&t.Rating, &t.CreatedAt, &t.UpdatedAt, &t.resolvedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(form), &t.Form); err != nil {
		return nil, fmt.Errorf("ticket form: %w", err)
	}
	t.Tried = splitList(tried)
	t.rated = t.Rating > 0
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	if t.resolvedAt.Valid {
		at := t.resolvedAt.Time.UTC()
		t.ResolvedAt = &at
	}
	return t, nil
}

// ticketLock locks the selected ticket for the transaction's writes, not
// the ticket it was merged into.
func (tx *Tx) ticketLock() string {
	if tx.db.dialect == Postgres {
		return " FOR UPDATE OF t"
	}
	return ""
}

// ownTicket returns a ticket the calling citizen opened; anyone else gets
// ENOTFOUND.
func (tx *Tx) ownTicket(ctx context.Context, id string) (*ticketRow, *jaga.Actor, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see your tickets.")
	}
	t, err := scanTicket(tx.QueryRowContext(ctx, ticketSelect+` WHERE t.id = $1 AND t.requester_id = $2`+tx.ticketLock(), id, a.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errNoTicket
	} else if err != nil {
		return nil, nil, fmt.Errorf("ticket: %w", err)
	}
	return t, a, nil
}

// agentTicket returns a ticket in a queue that the calling staff member's
// organisation works, or assigned to them; anyone else gets ENOTFOUND.
func (tx *Tx) agentTicket(ctx context.Context, id string) (*ticketRow, *jaga.Actor, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.HasRole(jaga.DeskRoles...) {
		return nil, nil, errNoTicket
	}
	t, err := scanTicket(tx.QueryRowContext(ctx, ticketSelect+`
		WHERE t.id = $1 AND (t.assignee_id = $2 OR t.queue IN (SELECT code FROM desk_queues WHERE org_id = $3))`+tx.ticketLock(),
		id, a.ID, a.OrgID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errNoTicket
	} else if err != nil {
		return nil, nil, fmt.Errorf("ticket: %w", err)
	}
	return t, a, nil
}

// guardTicket asks the gate whether the agent may act on the ticket's
// person data in categories, logging the decision in tx. On a denial it
// commits the log entry and returns EFORBIDDEN.
func (tx *Tx) guardTicket(ctx context.Context, a *jaga.Actor, t *ticketRow, action string, categories, fields []string, reason string) (jaga.Decision, error) {
	d, err := tx.guard(ctx, jaga.AccessRequest{
		Actor: *a, Action: action, PersonID: t.PersonID, Categories: categories, Fields: fields,
		Purpose: jaga.PurposeSupportTicket, Relationship: jaga.RelationshipCase, Reference: t.Reference, Reason: reason,
	})
	if err != nil {
		return d, err
	}
	if !d.Allow {
		if err := tx.Commit(); err != nil {
			return d, fmt.Errorf("log denial: %w", err)
		}
		return d, jaga.Errorf(jaga.EFORBIDDEN, "Access denied: %s.", d.Reason)
	}
	return d, nil
}

// guardWork guards an agent's action on a ticket's thread, state or
// assignment: it touches the ticket (the support category) only.
func (tx *Tx) guardWork(ctx context.Context, a *jaga.Actor, t *ticketRow, what string) error {
	_, err := tx.guardTicket(ctx, a, t, jaga.ActionRead, []string{jaga.CategorySupport}, []string{what}, "")
	return err
}

// slaEvents returns a ticket's clock events in order.
func (tx *Tx) slaEvents(ctx context.Context, ticketID string) ([]jaga.SLAEvent, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT metric, kind, at, target_seconds, calendar FROM ticket_sla_events WHERE ticket_id = $1 ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("sla events: %w", err)
	}
	defer rows.Close()
	var out []jaga.SLAEvent
	for rows.Next() {
		var e jaga.SLAEvent
		var secs int64
		if err := rows.Scan(&e.Metric, &e.Kind, &e.At, &secs, &e.Calendar); err != nil {
			return nil, fmt.Errorf("sla events: %w", err)
		}
		e.At, e.Target = e.At.UTC(), time.Duration(secs)*time.Second
		out = append(out, e)
	}
	return out, rows.Err()
}

// ticketClock applies a desk action to the ticket's clocks: it stores the
// events the action adds and the ticket's next due time.
func (tx *Tx) ticketClock(ctx context.Context, t *ticketRow, actions ...string) error {
	events, err := tx.slaEvents(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, action := range actions {
		add := jaga.ClockEvents(action, jaga.ComputeClocks(events, tx.now), t.Type, t.Priority, t.calendar, tx.now)
		if err := tx.addSLAEvents(ctx, t.ID, add); err != nil {
			return err
		}
		events = append(events, add...)
	}
	return tx.setDue(ctx, t.ID, events)
}

func (tx *Tx) addSLAEvents(ctx context.Context, ticketID string, events []jaga.SLAEvent) error {
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO ticket_sla_events (ticket_id, metric, kind, at, target_seconds, calendar) VALUES ($1, $2, $3, $4, $5, $6)`,
			ticketID, e.Metric, e.Kind, e.At, int64(e.Target/time.Second), e.Calendar); err != nil {
			return fmt.Errorf("add sla event: %w", err)
		}
	}
	return nil
}

// setDue stores the earliest due time of the ticket's running clocks, by
// which queues are ordered, and when the breach job next has something to
// record for it.
func (tx *Tx) setDue(ctx context.Context, ticketID string, events []jaga.SLAEvent) error {
	var due, check any
	for _, c := range jaga.ComputeClocks(events, tx.now) {
		if c.DueAt != nil && (due == nil || c.DueAt.Before(due.(time.Time))) {
			due = *c.DueAt
		}
	}
	if next := jaga.NextSLACheck(events, tx.now); next != nil {
		check = next.UTC().Truncate(time.Microsecond)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET due_at = $1, sla_check_at = $2 WHERE id = $3`, due, check, ticketID); err != nil {
		return fmt.Errorf("set due: %w", err)
	}
	return nil
}

// ticketView fills in what a reader sees of a ticket: its label in lang, its
// clocks and the next expected update.
func (tx *Tx) ticketView(ctx context.Context, t *ticketRow, lang string, staff bool) (*jaga.Ticket, error) {
	events, err := tx.slaEvents(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	v := t.Ticket
	v.StateLabel = jaga.StateLabel(t.State, lang, t.Queue)
	clocks := jaga.ComputeClocks(events, tx.now)
	if t.State != jaga.StateWaitingCitizen {
		v.NextUpdateBy = jaga.NextUpdateBy(clocks)
	}
	if staff {
		v.Clocks = clocks
	} else {
		v.AssigneeID = ""
	}
	return &v, nil
}

// setTicketState writes the ticket's state, queue and assignee and records the
// change in its history.
func (tx *Tx) setTicketState(ctx context.Context, a *jaga.Actor, t *ticketRow, state, queue, assignee string) error {
	var resolved, closed any
	if state == jaga.StateResolved {
		resolved = tx.now
		t.ResolvedAt = &tx.now
	}
	if state == jaga.StateClosed {
		closed = tx.now
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE tickets SET state = $1, queue = $2, assignee_id = $3, updated_at = $4,
			resolved_at = COALESCE($5, resolved_at), closed_at = COALESCE($6, closed_at)
		WHERE id = $7`,
		state, queue, nullString(assignee), tx.now, resolved, closed, t.ID); err != nil {
		return fmt.Errorf("set ticket state: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO ticket_history (ticket_id, at, actor_kind, actor_id, from_state, to_state, from_queue, to_queue, assignee_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, tx.now, a.Kind, a.ID, t.State, state, t.Queue, queue, assignee); err != nil {
		return fmt.Errorf("ticket history: %w", err)
	}
	t.State, t.Queue, t.AssigneeID, t.UpdatedAt = state, queue, assignee, tx.now
	return nil
}

// addTicketPost writes a post to the ticket's thread.
func (tx *Tx) addTicketPost(ctx context.Context, a *jaga.Actor, t *ticketRow, body string, internal bool) (*jaga.Post, error) {
	p := &jaga.Post{ID: newTimeID(tx.now), TicketID: t.ID, AuthorKind: a.Kind, Internal: internal, Body: body, CreatedAt: tx.now}
	if a.IsStaff() {
		var org string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, a.OrgID).Scan(&org); err != nil {
			return nil, fmt.Errorf("post author: %w", err)
		}
		p.AuthorName = a.Name + " (" + org + ")"
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO ticket_posts (id, ticket_id, author_kind, author_id, author_name, internal, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		p.ID, t.ID, a.Kind, a.ID, p.AuthorName, internal, body, tx.now); err != nil {
		return nil, fmt.Errorf("add post: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET updated_at = $1 WHERE id = $2`, tx.now, t.ID); err != nil {
		return nil, fmt.Errorf("add post: %w", err)
	}
	return p, nil
}

// ticketPosts returns a ticket's thread, oldest first; internal notes only for
// staff.
func (tx *Tx) ticketPosts(ctx context.Context, ticketID string, staff bool) ([]*jaga.Post, error) {
	q := `SELECT id, ticket_id, author_kind, author_name, internal, body, created_at FROM ticket_posts WHERE ticket_id = $1`
	if !staff {
		q += ` AND internal = $2`
	}
	args := []any{ticketID}
	if !staff {
		args = append(args, false)
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("posts: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Post{}
	for rows.Next() {
		p := &jaga.Post{}
		if err := rows.Scan(&p.ID, &p.TicketID, &p.AuthorKind, &p.AuthorName, &p.Internal, &p.Body, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("posts: %w", err)
		}
		p.CreatedAt = p.CreatedAt.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// notifyTicket tells the requester, in their language, that their ticket
// changed; the message names the ticket and its state only.
func (tx *Tx) notifyTicket(ctx context.Context, t *ticketRow, reply bool) error {
	_, err := tx.notify(ctx, t.RequesterID, jaga.TicketNotice(&t.Ticket, reply))
	return err
}

// queueOrg returns the organisation that works a queue, or "".
func (tx *Tx) queueOrg(ctx context.Context, queue string) (string, error) {
	var org string
	err := tx.QueryRowContext(ctx, `SELECT org_id FROM desk_queues WHERE code = $1`, queue).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("queue organisation: %w", err)
	}
	return org, nil
}

// routeTicket returns the queue a new ticket goes to: its type's, or the
// ministry's when no organisation works that queue yet.
func (tx *Tx) routeTicket(ctx context.Context, queue string) (string, error) {
	org, err := tx.queueOrg(ctx, queue)
	if err != nil || org != "" {
		return queue, err
	}
	return jaga.QueueMinistryTier2, nil
}

// OpenTicket opens a ticket for the calling citizen or a dependant.
func (s *DeskService) OpenTicket(ctx context.Context, n jaga.NewTicket) (*jaga.TicketThread, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in as a citizen to open a ticket.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if problems := n.Valid(tx.now); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	if n.PersonID == "" {
		n.PersonID = a.ID
	}
	if _, err := tx.ownPerson(ctx, n.PersonID); err != nil {
		return nil, jaga.Invalid(map[string]string{"personId": "Choose yourself or one of your dependants."})
	}
	requester, err := tx.person(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	t, err := tx.insertTicket(ctx, a, requester, n)
	if err != nil {
		return nil, err
	}
	v, err := tx.ticketView(ctx, t, t.language, false)
	if err != nil {
		return nil, err
	}
	return &jaga.TicketThread{Ticket: v, Posts: []*jaga.Post{}, Attachments: []*jaga.Attachment{}}, tx.Commit()
}

// insertTicket writes a new, validated ticket opened by a (the requester,
// or jaga itself for the partner channel), routes it, starts its clocks
// and tells the requester.
func (tx *Tx) insertTicket(ctx context.Context, a *jaga.Actor, requester *jaga.Person, n jaga.NewTicket) (*ticketRow, error) {
	tt, _ := jaga.TicketTypeByCode(n.Type)
	queue, err := tx.routeTicket(ctx, tt.Queue)
	if err != nil {
		return nil, err
	}
	q, _ := jaga.QueueByCode(queue)
	form, err := json.Marshal(n.Form)
	if err != nil {
		return nil, fmt.Errorf("open ticket: %w", err)
	}
	t := &ticketRow{Ticket: jaga.Ticket{ID: newID(), Reference: newReference(), Type: tt.Code, PersonID: n.PersonID,
		RequesterID: requester.ID, State: jaga.StateReceived, Priority: jaga.OpeningPriority(tt, n.Form, tx.now), Queue: queue,
		Form: n.Form, Description: n.Description, Tried: n.Tried, CreatedAt: tx.now, UpdatedAt: tx.now},
		calendar: q.Calendar, language: requester.Language}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO tickets (id, reference, type, person_id, requester_id, state, priority, queue, calendar, form,
			description, tried, language, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		t.ID, t.Reference, t.Type, t.PersonID, t.RequesterID, t.State, t.Priority, t.Queue, t.calendar, string(form),
		t.Description, joinList(t.Tried), t.language, tx.now, tx.now); err != nil {
		return nil, fmt.Errorf("open ticket: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO ticket_history (ticket_id, at, actor_kind, actor_id, from_state, to_state, from_queue, to_queue)
		VALUES ($1, $2, $3, $4, '', $5, '', $6)`, t.ID, tx.now, a.Kind, a.ID, t.State, t.Queue); err != nil {
		return nil, fmt.Errorf("ticket history: %w", err)
	}
	tried, err := tx.carryAttempts(ctx, t, tt)
	if err != nil {
		return nil, err
	}
	if merged := mergeTried(t.Tried, tried); len(merged) != len(t.Tried) {
		t.Tried = merged
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET tried = $1 WHERE id = $2`, joinList(t.Tried), t.ID); err != nil {
			return nil, fmt.Errorf("open ticket: %w", err)
		}
	}
	events := jaga.OpeningEvents(tt, t.Priority, t.calendar, n.Form, tx.now)
	if err := tx.addSLAEvents(ctx, t.ID, events); err != nil {
		return nil, err
	}
	if err := tx.setDue(ctx, t.ID, events); err != nil {
		return nil, err
	}
	if err := tx.notifyTicket(ctx, t, false); err != nil {
		return nil, err
	}
	return t, nil
}

// MyTickets lists the calling citizen's tickets, newest first.
func (s *DeskService) MyTickets(ctx context.Context) ([]*jaga.Ticket, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.IsCitizen() {
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see your tickets.")
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.db.dialect == Postgres})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	found, err := tx.tickets(ctx, "my tickets", ` WHERE t.requester_id = $1 ORDER BY t.created_at DESC, t.id LIMIT 200`, a.ID)
	if err != nil {
		return nil, err
	}
	out := []*jaga.Ticket{}
	for _, t := range found {
		v, err := tx.ticketView(ctx, t, t.language, false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// MyTicket returns a citizen's ticket and its public thread.
func (s *DeskService) MyTicket(ctx context.Context, id string) (*jaga.TicketThread, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, _, err := tx.ownTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	return tx.ticketThread(ctx, t, false)
}

func (tx *Tx) ticketThread(ctx context.Context, t *ticketRow, staff bool) (*jaga.TicketThread, error) {
	v, err := tx.ticketView(ctx, t, t.language, staff)
	if err != nil {
		return nil, err
	}
	posts, err := tx.ticketPosts(ctx, t.ID, staff)
	if err != nil {
		return nil, err
	}
	attachments, err := tx.ticketAttachments(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	return &jaga.TicketThread{Ticket: v, Posts: posts, Attachments: attachments}, nil
}

// Reply adds a citizen's or staff member's post.
func (s *DeskService) Reply(ctx context.Context, id string, r jaga.Reply) (*jaga.Post, error) {
	a := jaga.ActorFromContext(ctx)
	if problems := r.Valid(); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var p *jaga.Post
	if a.IsCitizen() {
		p, err = tx.citizenReply(ctx, id, r)
	} else {
		p, err = tx.staffReply(ctx, id, r)
	}
	if err != nil {
		return nil, err
	}
	return p, tx.Commit()
}

func (tx *Tx) citizenReply(ctx context.Context, id string, r jaga.Reply) (*jaga.Post, error) {
	if r.Internal {
		return nil, jaga.Invalid(map[string]string{"internal": "Only staff write internal notes."})
	}
	t, a, err := tx.ownTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	action := ""
	switch {
	case jaga.TicketFinal(t.State):
		return nil, errTicketClosed
	case t.State == jaga.StateResolved:
		if t.ResolvedAt != nil && tx.now.Sub(*t.ResolvedAt) > jaga.ReopenWindow {
			return nil, jaga.Errorf(jaga.ECONFLICT, "This ticket was resolved more than %d days ago; open a new ticket if you still need help.",
				int(jaga.ReopenWindow.Hours()/24))
		}
		action = jaga.ActReopen
	case t.State == jaga.StateWaitingCitizen:
		action = jaga.ActCitizenReply
	}
	if action != "" {
		if err := jaga.CheckTransition(t.State, jaga.StateInReview, jaga.ByCitizen); err != nil {
			return nil, err
		}
		if err := tx.setTicketState(ctx, a, t, jaga.StateInReview, t.Queue, t.AssigneeID); err != nil {
			return nil, err
		}
		if err := tx.ticketClock(ctx, t, action); err != nil {
			return nil, err
		}
	}
	return tx.addTicketPost(ctx, a, t, r.Body, false)
}

func (tx *Tx) staffReply(ctx context.Context, id string, r jaga.Reply) (*jaga.Post, error) {
	t, a, err := tx.agentTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	what := "reply"
	if r.Internal {
		what = "note"
	}
	if err := tx.guardWork(ctx, a, t, what); err != nil {
		return nil, err
	}
	if jaga.TicketFinal(t.State) {
		return nil, errTicketClosed
	}
	if r.Internal {
		return tx.addTicketPost(ctx, a, t, r.Body, true)
	}
	if t.State == jaga.StateReceived {
		if err := tx.setTicketState(ctx, a, t, jaga.StateInReview, t.Queue, t.AssigneeID); err != nil {
			return nil, err
		}
	}
	p, err := tx.addTicketPost(ctx, a, t, r.Body, false)
	if err != nil {
		return nil, err
	}
	if err := tx.ticketClock(ctx, t, jaga.ActPublicReply); err != nil {
		return nil, err
	}
	return p, tx.notifyTicket(ctx, t, true)
}

// QueueTickets lists the tickets of the agent's queues and those assigned
// to them, the soonest due first. Nothing personal is listed.
func (s *DeskService) QueueTickets(ctx context.Context, f jaga.QueueFilter) ([]*jaga.Ticket, error) {
	a := jaga.ActorFromContext(ctx)
	if !a.HasRole(jaga.DeskRoles...) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only support staff work the desk's queues.")
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	where := []string{`(t.assignee_id = $1 OR t.queue IN (SELECT code FROM desk_queues WHERE org_id = $2))`}
	args := []any{a.ID, a.OrgID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Queue != "" {
		if _, ok := jaga.QueueByCode(f.Queue); !ok {
			return nil, jaga.Invalid(map[string]string{"queue": "No such queue."})
		}
		where = append(where, `t.queue = `+arg(f.Queue))
	}
	switch {
	case f.State == "":
		where = append(where, `t.state NOT IN ('resolved', 'closed', 'merged', 'rejected')`)
	case slices.Contains(jaga.TicketStates, f.State):
		where = append(where, `t.state = `+arg(f.State))
	default:
		return nil, jaga.Invalid(map[string]string{"state": "State must be one of " + strings.Join(jaga.TicketStates, ", ") + "."})
	}
	switch f.Assigned {
	case "":
	case "me":
		where = append(where, `t.assignee_id = `+arg(a.ID))
	case "none":
		where = append(where, `t.assignee_id IS NULL`)
	default:
		return nil, jaga.Invalid(map[string]string{"assigned": "Assigned must be me or none."})
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.db.dialect == Postgres})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	found, err := tx.tickets(ctx, "queue tickets", ` WHERE `+strings.Join(where, " AND ")+`
		ORDER BY CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END, t.due_at, t.created_at, t.id LIMIT `+arg(f.Limit), args...)
	if err != nil {
		return nil, err
	}
	out := []*jaga.Ticket{}
	for _, t := range found {
		v, err := tx.ticketView(ctx, t, "en", true)
		if err != nil {
			return nil, err
		}
		// A listing names no one: the person's data is read through
		// AgentTicket, by the gate.
		v.PersonID, v.RequesterID, v.Form, v.Description = "", "", nil, ""
		out = append(out, v)
	}
	return out, nil
}

// AgentTicket returns a ticket to an agent with the person's data its type
// needs, through the gate.
func (s *DeskService) AgentTicket(ctx context.Context, id string, why jaga.AccessReason) (*jaga.AgentTicketView, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, a, err := tx.agentTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	why.Purpose, why.Relationship, why.Reference = jaga.PurposeSupportTicket, jaga.RelationshipCase, t.Reference
	if problems := why.Valid(); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	tt, _ := jaga.TicketTypeByCode(t.Type)
	action := jaga.ActionRead
	if why.Unmask {
		action = jaga.ActionUnmask
	}
	fields := describeFields(tt.Categories)
	if slices.Contains(tt.Categories, jaga.CategoryVaccination) {
		fields = append(fields, "doses")
	}
	fields = append(fields, "ticket")
	d, err := tx.guardTicket(ctx, a, t, action, tt.Categories, fields, why.Reason)
	if err != nil {
		return nil, err
	}
	th, err := tx.ticketThread(ctx, t, true)
	if err != nil {
		return nil, err
	}
	p, err := tx.person(ctx, t.PersonID)
	if err != nil {
		return nil, err
	}
	if d.Masked {
		m := p.MaskedCopy()
		p = &m
	}
	v := &jaga.AgentTicketView{Ticket: th.Ticket, Posts: th.Posts, Attachments: th.Attachments, Person: projectPerson(p, tt.Categories),
		Categories: tt.Categories, Masked: d.Masked, ContractID: d.ContractID}
	if v.Attempts, err = tx.ticketAttempts(ctx, t.ID); err != nil {
		return nil, err
	}
	if v.Changes, err = tx.ticketChanges(ctx, t.ID); err != nil {
		return nil, err
	}
	if slices.Contains(tt.Categories, jaga.CategoryVaccination) {
		if v.Doses, err = tx.personDoses(ctx, t.PersonID); err != nil {
			return nil, err
		}
		for _, dose := range v.Doses {
			dose.PersonID, dose.PersonName = "", ""
		}
	}
	return v, tx.Commit()
}

// projectPerson keeps only the person's fields of the categories.
func projectPerson(p *jaga.Person, categories []string) *jaga.Person {
	out := &jaga.Person{ID: p.ID, Language: p.Language, Masked: p.Masked}
	if slices.Contains(categories, jaga.CategoryIdentity) {
		out.FullName, out.IDType, out.IDNumber, out.DateOfBirth, out.Nationality = p.FullName, p.IDType, p.IDNumber, p.DateOfBirth, p.Nationality
		if p.Masked {
			out.FullName = jaga.MaskName(p.FullName)
		}
	}
	if slices.Contains(categories, jaga.CategoryContact) {
		out.Phone, out.Email, out.Address = p.Phone, p.Email, p.Address
	}
	return out
}

// TransitionTicket moves a ticket to another state, queue or both.
func (s *DeskService) TransitionTicket(ctx context.Context, id string, r jaga.TransitionRequest) (*jaga.Ticket, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, a, err := tx.agentTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	if problems := r.Valid(t.State); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	if r.State == jaga.StateMerged {
		return nil, jaga.Invalid(map[string]string{"state": "Merge a duplicate with the merge action, naming the ticket it duplicates."})
	}
	if err := tx.guardWork(ctx, a, t, "state"); err != nil {
		return nil, err
	}
	to, queue, assignee := t.State, t.Queue, t.AssigneeID
	if r.State != "" && (r.State != t.State || r.Queue == "") {
		if err := jaga.CheckTransition(t.State, r.State, jaga.ByAgent); err != nil {
			return nil, err
		}
		to = r.State
	} else if jaga.TicketFinal(t.State) {
		return nil, jaga.CheckTransition(t.State, jaga.StateInReview, jaga.ByAgent)
	}
	if r.Queue != "" && r.Queue != t.Queue {
		org, err := tx.queueOrg(ctx, r.Queue)
		if err != nil {
			return nil, err
		}
		if org == "" {
			return nil, jaga.Invalid(map[string]string{"queue": "No organisation works that queue yet."})
		}
		if org != a.OrgID {
			assignee = "" // the other organisation assigns its own
		}
		queue = r.Queue
	}
	if to == jaga.StateWithAuthority && t.State == jaga.StateWithAuthority && queue == t.Queue {
		return nil, jaga.Errorf(jaga.ECONFLICT, "This ticket is already with that authority.")
	}
	var actions []string
	if r.Message != "" {
		if _, err := tx.addTicketPost(ctx, a, t, r.Message, false); err != nil {
			return nil, err
		}
		actions = append(actions, jaga.ActPublicReply)
	}
	switch {
	case to == jaga.StateWaitingCitizen && t.State != to:
		actions = append(actions, jaga.ActWaitCitizen)
	case t.State == jaga.StateWaitingCitizen && to != t.State && to != jaga.StateResolved && to != jaga.StateRejected:
		actions = append(actions, jaga.ActCitizenReply)
	case to == jaga.StateResolved:
		actions = append(actions, jaga.ActResolve)
	case to == jaga.StateRejected:
		actions = append(actions, jaga.ActEnd)
	}
	changed := to != t.State
	if err := tx.setTicketState(ctx, a, t, to, queue, assignee); err != nil {
		return nil, err
	}
	if err := tx.ticketClock(ctx, t, actions...); err != nil {
		return nil, err
	}
	if changed || r.Message != "" {
		if err := tx.notifyTicket(ctx, t, r.Message != ""); err != nil {
			return nil, err
		}
	}
	v, err := tx.ticketView(ctx, t, "en", true)
	if err != nil {
		return nil, err
	}
	return v, tx.Commit()
}

// AssignTicket gives a ticket to a staff member of the organisation that
// works its queue.
func (s *DeskService) AssignTicket(ctx context.Context, id, staffID string) (*jaga.Ticket, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, a, err := tx.agentTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	if staffID != "" && staffID != a.ID && a.Role != jaga.RoleSupervisor {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Agents take tickets for themselves; a supervisor assigns them to others.")
	}
	if jaga.TicketFinal(t.State) {
		return nil, errTicketClosed
	}
	if staffID != "" {
		org, err := tx.queueOrg(ctx, t.Queue)
		if err != nil {
			return nil, err
		}
		var role string
		var disabled bool
		err = tx.QueryRowContext(ctx, `SELECT role, disabled FROM staff WHERE id = $1 AND org_id = $2`, staffID, org).Scan(&role, &disabled)
		switch {
		case errors.Is(err, sql.ErrNoRows) || (err == nil && (disabled || !slices.Contains(jaga.DeskRoles, role))):
			return nil, jaga.Invalid(map[string]string{"staffId": "Assign the ticket to a support agent of the organisation that works its queue."})
		case err != nil:
			return nil, fmt.Errorf("assign ticket: %w", err)
		}
	}
	if err := tx.guardWork(ctx, a, t, "assignee"); err != nil {
		return nil, err
	}
	if err := tx.setTicketState(ctx, a, t, t.State, t.Queue, staffID); err != nil {
		return nil, err
	}
	v, err := tx.ticketView(ctx, t, "en", true)
	if err != nil {
		return nil, err
	}
	return v, tx.Commit()
}

// MergeTicket merges a duplicate into another open ticket about the same
// person.
func (s *DeskService) MergeTicket(ctx context.Context, id, intoID string) (*jaga.Ticket, error) {
	if id == intoID {
		return nil, jaga.Invalid(map[string]string{"into": "A ticket cannot be merged into itself."})
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, a, err := tx.agentTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	into, _, err := tx.agentTicket(ctx, intoID)
	if errors.Is(err, errNoTicket) {
		return nil, jaga.Invalid(map[string]string{"into": "No such ticket in your queues."})
	} else if err != nil {
		return nil, err
	}
	if err := tx.guardWork(ctx, a, t, "state"); err != nil {
		return nil, err
	}
	if err := jaga.CheckTransition(t.State, jaga.StateMerged, jaga.ByAgent); err != nil {
		return nil, err
	}
	switch {
	case into.PersonID != t.PersonID:
		return nil, jaga.Invalid(map[string]string{"into": "Only tickets about the same person can be merged."})
	case jaga.TicketFinal(into.State) || into.State == jaga.StateResolved:
		return nil, jaga.Invalid(map[string]string{"into": "Merge into a ticket that is still open."})
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET merged_into = $1 WHERE id = $2`, into.ID, t.ID); err != nil {
		return nil, fmt.Errorf("merge ticket: %w", err)
	}
	if err := tx.setTicketState(ctx, a, t, jaga.StateMerged, t.Queue, t.AssigneeID); err != nil {
		return nil, err
	}
	if err := tx.ticketClock(ctx, t, jaga.ActEnd); err != nil {
		return nil, err
	}
	if _, err := tx.addTicketPost(ctx, a, into, "Merged "+t.Reference+" into this ticket.", true); err != nil {
		return nil, err
	}
	t.MergedInto = into.Reference
	if err := tx.notifyTicket(ctx, t, false); err != nil {
		return nil, err
	}
	v, err := tx.ticketView(ctx, t, "en", true)
	if err != nil {
		return nil, err
	}
	return v, tx.Commit()
}

// CloseTicket lets the citizen close a resolved ticket.
func (s *DeskService) CloseTicket(ctx context.Context, id string) (*jaga.Ticket, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, a, err := tx.ownTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := jaga.CheckTransition(t.State, jaga.StateClosed, jaga.ByCitizen); err != nil {
		return nil, err
	}
	if err := tx.setTicketState(ctx, a, t, jaga.StateClosed, t.Queue, t.AssigneeID); err != nil {
		return nil, err
	}
	v, err := tx.ticketView(ctx, t, t.language, false)
	if err != nil {
		return nil, err
	}
	return v, tx.Commit()
}

// RateTicket records the citizen's rating of a resolved ticket and closes
// it.
func (s *DeskService) RateTicket(ctx context.Context, id string, r jaga.Rating) (*jaga.Ticket, error) {
	if problems := r.Valid(); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, a, err := tx.ownTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case t.rated:
		return nil, jaga.Errorf(jaga.ECONFLICT, "This ticket is rated already.")
	case t.State != jaga.StateResolved && !(t.State == jaga.StateClosed && t.ResolvedAt != nil):
		return nil, jaga.Errorf(jaga.ECONFLICT, "Rate a ticket once it is resolved.")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET rating = $1, rating_comment = $2 WHERE id = $3`, r.Score, r.Comment, t.ID); err != nil {
		return nil, fmt.Errorf("rate ticket: %w", err)
	}
	t.Rating = r.Score
	if t.State == jaga.StateResolved {
		if err := tx.setTicketState(ctx, a, t, jaga.StateClosed, t.Queue, t.AssigneeID); err != nil {
			return nil, err
		}
	}
	v, err := tx.ticketView(ctx, t, t.language, false)
	if err != nil {
		return nil, err
	}
	return v, tx.Commit()
}

// SLAEvents returns a ticket's stored clock events to an agent.
func (s *DeskService) SLAEvents(ctx context.Context, id string) ([]jaga.SLAEvent, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, _, err := tx.agentTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	return tx.slaEvents(ctx, t.ID)
}

// SetQueueOrganisation names the organisation that works a queue.
func (s *DeskService) SetQueueOrganisation(ctx context.Context, queue, orgID string) error {
	a := jaga.ActorFromContext(ctx)
	if a == nil || (a.Kind != jaga.ActorSystem && !(a.HasRole(jaga.RoleAdmin) && a.OrgKind == jaga.OrgMinistry)) {
		return jaga.Errorf(jaga.EFORBIDDEN, "Only the ministry's administrators name the organisation that works a queue.")
	}
	q, ok := jaga.QueueByCode(queue)
	if !ok {
		return jaga.Invalid(map[string]string{"queue": "No such queue."})
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var kind string
	err = tx.QueryRowContext(ctx, `SELECT kind FROM organisations WHERE id = $1`, orgID).Scan(&kind)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return jaga.Invalid(map[string]string{"orgId": "No such organisation."})
	case err != nil:
		return fmt.Errorf("set queue organisation: %w", err)
	case !slices.Contains(q.OrgKinds, kind):
		return jaga.Invalid(map[string]string{"orgId": "This queue is worked by an organisation of kind " + strings.Join(q.OrgKinds, " or ") + "."})
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO desk_queues (code, org_id, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (code) DO UPDATE SET org_id = excluded.org_id, updated_at = excluded.updated_at`,
		queue, orgID, tx.now); err != nil {
		return fmt.Errorf("set queue organisation: %w", err)
	}
	return tx.Commit()
}
