package sqlstore

import (
	"context"

	"github.com/jaga-health/jaga"
)

// RecordVisitsTogether records visits at p in one group-commit write, as
// when check-ins meet in one batch.
func RecordVisitsTogether(ctx context.Context, db *DB, premises []*jaga.Premises, visits []*jaga.Visit) error {
	return db.writer().do(ctx, db.now(), func(ctx context.Context, tx *Tx) error {
		for i, v := range visits {
			vs, err := tx.visitors(ctx, v.PersonID, true, nil, v.CheckedInAt)
			if err != nil {
				return err
			}
			if err := tx.recordVisit(ctx, v, vs[0].seq, premises[i], v.PersonID); err != nil {
				return err
			}
		}
		return nil
	})
}

// CardsLive reports whether check-ins on PostgreSQL read people from memory.
func CardsLive(db *DB) bool { return db.cardsLive.Load() }
