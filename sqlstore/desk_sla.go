package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jaga-health/jaga"
)

// slaBatch bounds the tickets one run of CheckSLAs looks at; the next run
// takes the rest.
const slaBatch = 500

// slaActor is jaga's breach job as it appears in a ticket's history.
var slaActor = &jaga.Actor{Kind: jaga.ActorSystem, ID: "sla"}

// CheckSLAs is the breach and pre-breach job: for every open ticket whose
// clocks need attention it records the warnings and breaches as clock
// events, acts on each breach as jaga.OnBreach says (raise the priority,
// or move the ticket to the next tier) and tells the staff who work the
// ticket through the outbox. Each ticket is one transaction.
func (s *DeskService) CheckSLAs(ctx context.Context) (jaga.SLAReport, error) {
	var r jaga.SLAReport
	now := s.db.now()
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT id FROM tickets WHERE sla_check_at IS NOT NULL AND sla_check_at <= $1
		ORDER BY sla_check_at, id LIMIT $2`, now, slaBatch)
	if err != nil {
		return r, fmt.Errorf("sla check: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return r, fmt.Errorf("sla check: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("sla check: %w", err)
	}
	var errs []error
	for _, id := range ids {
		if err := s.checkTicketSLA(ctx, id, &r); err != nil {
			errs = append(errs, err)
		}
		r.Checked++
	}
	return r, errors.Join(errs...)
}

// checkTicketSLA records and acts on one ticket's warnings and breaches.
func (s *DeskService) checkTicketSLA(ctx context.Context, id string, r *jaga.SLAReport) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t, err := scanTicket(tx.QueryRowContext(ctx, ticketSelect+` WHERE t.id = $1`+tx.ticketLock(), id))
	if err != nil {
		return fmt.Errorf("sla ticket: %w", err)
	}
	events, err := tx.slaEvents(ctx, t.ID)
	if err != nil {
		return err
	}
	found := jaga.CheckClocks(jaga.ComputeClocks(events, tx.now), tx.now)
	if err := tx.addSLAEvents(ctx, t.ID, found); err != nil {
		return err
	}
	events = append(events, found...)
	var warned, breached []string
	queue, priority := t.Queue, t.Priority
	for _, e := range found {
		if e.Kind == jaga.SLAWarned {
			warned = append(warned, e.Metric)
			r.Warned++
			continue
		}
		breached = append(breached, e.Metric)
		r.Breached++
		toQueue, toPriority := jaga.OnBreach(e.Metric, queue, priority)
		if toQueue != "" {
			org, err := tx.queueOrg(ctx, toQueue)
			if err != nil {
				return err
			}
			if org == "" { // no one works the next tier yet
				toPriority, _ = jaga.RaisePriority(priority)
			} else {
				queue = toQueue
			}
		}
		priority = toPriority
	}
	if priority != t.Priority {
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET priority = $1 WHERE id = $2`, priority, t.ID); err != nil {
			return fmt.Errorf("raise priority: %w", err)
		}
		t.Priority = priority
		r.Raised++
	}
	if queue != t.Queue {
		assignee := t.AssigneeID
		if from, err := tx.queueOrg(ctx, t.Queue); err != nil {
			return err
		} else if to, err := tx.queueOrg(ctx, queue); err != nil {
			return err
		} else if from != to {
			assignee = "" // the next tier assigns its own
		}
		if err := tx.setTicketState(ctx, slaActor, t, t.State, queue, assignee); err != nil {
			return err
		}
		r.Escalated++
	}
	if err := tx.setDue(ctx, t.ID, events); err != nil {
		return err
	}
	for _, m := range warned {
		if err := tx.notifyDeskStaff(ctx, t, jaga.SLANotice(t.Reference, t.Queue, m, jaga.SLAWarned), false); err != nil {
			return err
		}
	}
	for _, m := range breached {
		if err := tx.notifyDeskStaff(ctx, t, jaga.SLANotice(t.Reference, t.Queue, m, jaga.SLABreached), true); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// notifyDeskStaff emails a notice about a ticket to its assignee, or when
// it has none, or when supervisors is set, to the supervisors of the
// organisation that works its queue. Staff notices are in English.
func (tx *Tx) notifyDeskStaff(ctx context.Context, t *ticketRow, n jaga.Notice, supervisors bool) error {
	org, err := tx.queueOrg(ctx, t.Queue)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT email FROM staff
		WHERE disabled = $1 AND (id = $2 OR (org_id = $3 AND role = $4 AND ($5 OR $2 = '')))
		ORDER BY email`,
		false, t.AssigneeID, org, jaga.RoleSupervisor, supervisors)
	if err != nil {
		return fmt.Errorf("desk staff: %w", err)
	}
	var emails []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			rows.Close()
			return fmt.Errorf("desk staff: %w", err)
		}
		emails = append(emails, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("desk staff: %w", err)
	}
	subject, body := n.In("en")
	for _, e := range emails {
		if err := tx.enqueue(ctx, jaga.ContactEmail, e, subject, body); err != nil {
			return err
		}
	}
	return nil
}
