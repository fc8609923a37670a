package sqlstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHotspotQueriesStartFromCases checks SQLite's plans for the hotspot
// job's queries: check-ins are searched by person from each case, never
// scanned, since the job runs every ten minutes over a table of hundreds
// of millions of rows.
func TestHotspotQueriesStartFromCases(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"premises with cases", db.premisesCases(), []any{int64(0), int64(1), now, now, 3}},
		{"places of active cases", db.activePlaces(), []any{now, int64(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := db.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+tt.query, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			all := strings.Join(plan, "\n")
			if strings.Contains(all, "SCAN v") || !strings.Contains(all, "SEARCH v USING INDEX checkins_person") {
				t.Fatalf("check-ins are not searched by person:\n%s", all)
			}
		})
	}
}
