package sqlstore

import (
	"context"

	"github.com/jaga-health/jaga"
)

// RecordVisitsTogether records visits at p in one group-commit write, as
// when check-ins meet in one batch.
func RecordVisitsTogether(ctx context.Context, db *DB, premises []*jaga.Premises, visits []*jaga.Visit) error {
	return db.writer().do(ctx, db.now(), func(tx *Tx) error {
		for i, v := range visits {
			if err := tx.recordVisit(ctx, v, premises[i], v.PersonID); err != nil {
				return err
			}
		}
		return nil
	})
}
