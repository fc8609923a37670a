package sqlstore

import (
	"context"
	"fmt"

	"github.com/jaga-health/jaga"
)

// notify queues n for the person in tx: by email and by SMS, whichever
// contacts they have, in their language. A dependant with no contact of
// their own is told through their guardian. It reports whether any
// message was queued.
func (tx *Tx) notify(ctx context.Context, personID string, n jaga.Notice) (bool, error) {
	id := personID
	for hop := 0; hop < 2 && id != ""; hop++ {
		var phone, email, lang, guardian string
		err := tx.QueryRowContext(ctx, `
			SELECT COALESCE(phone, ''), COALESCE(email, ''), language, COALESCE(guardian_id, '')
			FROM people WHERE id = $1`, id).Scan(&phone, &email, &lang, &guardian)
		if err != nil {
			return false, fmt.Errorf("notify: %w", err)
		}
		if phone == "" && email == "" {
			id = guardian
			continue
		}
		subject, body := n.In(lang)
		if email != "" {
			if err := tx.enqueue(ctx, jaga.ContactEmail, email, subject, body); err != nil {
				return false, err
			}
		}
		if phone != "" {
			if err := tx.enqueue(ctx, jaga.ContactPhone, phone, subject, body); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	return false, nil
}
