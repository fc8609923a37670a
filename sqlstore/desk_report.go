package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jaga-health/jaga"
)

// DeskReport recomputes the desk's figures from the stored clock events of
// the tickets opened in the filter's period. A report names queues and
// staff, never a person, so it is not an access to anyone's data.
func (s *DeskService) DeskReport(ctx context.Context, f jaga.ReportFilter) (*jaga.DeskReport, error) {
	a := jaga.ActorFromContext(ctx)
	all, ok := jaga.CanReadDeskReports(a)
	if !ok {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only supervisors and the ministry read the desk's reports.")
	}
	if problems := f.Valid(); problems != nil {
		return nil, jaga.Invalid(problems)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.db.dialect == Postgres})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	q := `
		SELECT t.id, t.queue, t.state, t.created_at, COALESCE(t.rating, 0),
			COALESCE(t.assignee_id, (SELECT p.author_id FROM ticket_posts p
				WHERE p.ticket_id = t.id AND p.author_kind = $1 AND p.internal = $2 ORDER BY p.created_at, p.id LIMIT 1), '')
		FROM tickets t
		WHERE t.created_at >= $3 AND t.created_at < $4`
	args := []any{jaga.ActorStaff, false, f.From, f.To}
	if !all {
		args = append(args, a.OrgID)
		q += fmt.Sprintf(` AND t.queue IN (SELECT code FROM desk_queues WHERE org_id = $%d)`, len(args))
	}
	if f.Queue != "" {
		args = append(args, f.Queue)
		q += fmt.Sprintf(` AND t.queue = $%d`, len(args))
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY t.created_at, t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("desk report: %w", err)
	}
	var ids []string
	var tickets []jaga.ReportTicket
	for rows.Next() {
		var id string
		var t jaga.ReportTicket
		if err := rows.Scan(&id, &t.Queue, &t.State, &t.CreatedAt, &t.Rating, &t.Agent); err != nil {
			rows.Close()
			return nil, fmt.Errorf("desk report: %w", err)
		}
		t.CreatedAt = t.CreatedAt.UTC()
		ids, tickets = append(ids, id), append(tickets, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("desk report: %w", err)
	}
	names := map[string]string{}
	for i := range tickets {
		if tickets[i].Events, err = tx.slaEvents(ctx, ids[i]); err != nil {
			return nil, err
		}
		if id := tickets[i].Agent; id != "" {
			if _, ok := names[id]; !ok {
				var name string
				if err := tx.QueryRowContext(ctx, `SELECT display_name FROM staff WHERE id = $1`, id).Scan(&name); err != nil && !errors.Is(err, sql.ErrNoRows) {
					return nil, fmt.Errorf("desk report: %w", err)
				}
				names[id] = name
			}
			tickets[i].AgentName = names[id]
		}
	}
	return jaga.ComputeDeskReport(f, tickets, tx.now), nil
}
