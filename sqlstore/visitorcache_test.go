package sqlstore

import "testing"

func TestChangesPeople(t *testing.T) {
	for _, tc := range []struct {
		query string
		exec  bool
		want  bool
	}{
		{`UPDATE people SET full_name = $1 WHERE id = $2`, true, true},
		{`INSERT INTO outbox (body) SELECT full_name FROM people`, true, true},
		{`INSERT INTO checkins (id) VALUES ($1)`, true, false},
		{`SELECT id, updated_at FROM people WHERE id = $1`, false, false},
		{`SELECT c.id FROM checkins c JOIN people pe ON pe.id = c.person_id`, false, false},
		{"update\n\t\tpeople set risk_status = 'low' RETURNING id", false, true},
		{`DELETE FROM people WHERE id = $1 RETURNING id`, false, true},
		{`INSERT INTO people (id) VALUES ($1) RETURNING id`, false, true},
		{`WITH x AS (UPDATE PEOPLE SET a = 1 RETURNING id) SELECT id FROM x`, false, true},
	} {
		if got := changesPeople(tc.query, tc.exec); got != tc.want {
			t.Errorf("changesPeople(%q, %v) = %v, want %v", tc.query, tc.exec, got, tc.want)
		}
	}
}
