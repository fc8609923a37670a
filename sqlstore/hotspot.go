package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/jaga-health/jaga"
)

// HotspotService implements jaga.HotspotService. Hotspots hold no personal
// data, so reading and deciding them passes no gate and writes no access
// log: only ministry health officers decide, and anyone reads areas.
type HotspotService struct {
	db  *DB
	cfg jaga.HotspotConfig
}

// NewHotspotService returns the hotspot service of db with cfg; a zero
// cfg means jaga.DefaultHotspots.
func NewHotspotService(db *DB, cfg jaga.HotspotConfig) *HotspotService {
	if cfg == (jaga.HotspotConfig{}) {
		cfg = jaga.DefaultHotspots()
	}
	return &HotspotService{db: db, cfg: cfg}
}

// premisesCases counts, by premises, the distinct cases that checked in
// there while infectious in [$1, $2) (Unix microseconds, as check-in rows
// keep times; $3 and $4 the same as timestamps), keeping those with at
// least $5. Cases meet their check-ins through their person's number; the
// premises that count are looked up by theirs. The joins are CROSS JOINs so
// that SQLite reads from the cases outwards: left to choose, it read every
// check-in in premises order (to group without sorting) and asked each for
// its case, a scan of the whole table every time the job ran.
func (db *DB) premisesCases() string {
	return `
	SELECT p.id, h.cases FROM (
		SELECT v.premises, count(DISTINCT k.id) AS cases FROM cases k
		CROSS JOIN people pe
		CROSS JOIN checkins v
		WHERE k.infectious_to > $3 AND k.infectious_from < $4
			AND pe.id = k.person_id AND v.person = pe.seq
			AND v.checked_in_at >= ` + db.sqlMicros("k.infectious_from") + ` AND v.checked_in_at < ` + db.sqlMicros("k.infectious_to") + `
			AND v.checked_in_at >= $1 AND v.checked_in_at < $2
		GROUP BY v.premises HAVING count(DISTINCT k.id) >= $5
	) h JOIN premises p ON p.seq = h.premises`
}

// activePlaces lists the premises where cases confirmed since $1 checked
// in while infectious, up to $2 (Unix microseconds).
func (db *DB) activePlaces() string {
	return `
	SELECT DISTINCT k.id, p.id, p.latitude, p.longitude FROM cases k
	JOIN people pe ON pe.id = k.person_id
	JOIN checkins v ON v.person = pe.seq
		AND v.checked_in_at >= ` + db.sqlMicros("k.infectious_from") + ` AND v.checked_in_at < ` + db.sqlMicros("k.infectious_to") + `
		AND v.checked_in_at < $2
	JOIN premises p ON p.seq = v.premises
	WHERE k.confirmed_at >= $1`
}

// sqlMicros is the SQL of a timestamp expression's value in Unix
// microseconds, as check-in rows keep times; SQLite's date functions
// read a time to the millisecond.
func (db *DB) sqlMicros(x string) string {
	if db.dialect == Postgres {
		return "CAST(EXTRACT(EPOCH FROM " + x + ") * 1000000 AS BIGINT)"
	}
	return "CAST(round(unixepoch(" + x + ", 'subsec') * 1000000) AS INTEGER)"
}

// RecomputeHotspots finds the premises and area hotspots now and stores
// them in one transaction; an officer's decision stays with a hotspot
// while it stays active, and a dismissed one opens again with more cases.
func (s *HotspotService) RecomputeHotspots(ctx context.Context) (int, error) {
	if a := jaga.ActorFromContext(ctx); a == nil || a.Kind != jaga.ActorSystem {
		return 0, jaga.Errorf(jaga.EFORBIDDEN, "Only jaga's own job computes hotspots.")
	}
	now := s.db.now()
	var found []jaga.Hotspot
	pWindow := jaga.Interval{From: now.Add(-s.cfg.PremisesWindow), To: now}
	rows, err := s.db.db.QueryContext(ctx, s.db.premisesCases(), micros(pWindow.From), micros(pWindow.To),
		pWindow.From, pWindow.To, s.cfg.PremisesCases)
	if err != nil {
		return 0, fmt.Errorf("premises hotspots: %w", err)
	}
	for rows.Next() {
		h := jaga.Hotspot{Kind: jaga.HotspotPremises, Window: pWindow}
		if err := rows.Scan(&h.PremisesID, &h.Cases); err != nil {
			rows.Close()
			return 0, fmt.Errorf("premises hotspots: %w", err)
		}
		found = append(found, h)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("premises hotspots: %w", err)
	}
	aWindow := jaga.Interval{From: now.Add(-s.cfg.AreaWindow), To: now}
	rows, err = s.db.db.QueryContext(ctx, s.db.activePlaces(), aWindow.From, micros(aWindow.To))
	if err != nil {
		return 0, fmt.Errorf("area hotspots: %w", err)
	}
	var places []jaga.CasePlace
	for rows.Next() {
		var p jaga.CasePlace
		if err := rows.Scan(&p.CaseID, &p.PremisesID, &p.Latitude, &p.Longitude); err != nil {
			rows.Close()
			return 0, fmt.Errorf("area hotspots: %w", err)
		}
		places = append(places, p)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("area hotspots: %w", err)
	}
	for _, h := range s.cfg.Areas(places) {
		h.Window = aWindow
		found = append(found, h)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for _, h := range found {
		var name string
		err := tx.QueryRowContext(ctx, `SELECT name, latitude, longitude FROM premises WHERE id = $1`, h.PremisesID).Scan(&name, &h.Latitude, &h.Longitude)
		if errors.Is(err, sql.ErrNoRows) {
			continue // removed meanwhile
		} else if err != nil {
			return 0, fmt.Errorf("hotspots: %w", err)
		}
		if h.Kind == jaga.HotspotPremises {
			h.PremisesName = name
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO hotspots (id, kind, premises_id, premises_name, latitude, longitude, radius_m, cases,
				window_from, window_to, active, state, first_seen_at, computed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $12)
			ON CONFLICT (kind, premises_id) DO UPDATE SET
				premises_name = excluded.premises_name, latitude = excluded.latitude, longitude = excluded.longitude,
				radius_m = excluded.radius_m, cases = excluded.cases, window_from = excluded.window_from,
				window_to = excluded.window_to, computed_at = excluded.computed_at,
				state = CASE
					WHEN hotspots.active = 0 THEN excluded.state
					WHEN hotspots.state = $13 AND excluded.cases > hotspots.decided_cases THEN excluded.state
					ELSE hotspots.state END,
				first_seen_at = CASE WHEN hotspots.active = 0 THEN excluded.first_seen_at ELSE hotspots.first_seen_at END,
				active = 1`,
			newID(), h.Kind, h.PremisesID, h.PremisesName, h.Latitude, h.Longitude, h.RadiusM, h.Cases,
			h.Window.From, h.Window.To, jaga.HotspotOpen, tx.now, jaga.HotspotDismissed); err != nil {
			return 0, fmt.Errorf("hotspots: %w", err)
		}
	}
	areas := 0
	for _, h := range found {
		if h.Kind == jaga.HotspotArea {
			areas++
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO hotspot_runs (computed_at, premises, areas) VALUES ($1, $2, $3)
		ON CONFLICT (computed_at) DO NOTHING`, tx.now, len(found)-areas, areas); err != nil {
		return 0, fmt.Errorf("hotspots: %w", err)
	}
	// What was not found now has ended.
	if _, err := tx.ExecContext(ctx, `UPDATE hotspots SET active = 0 WHERE active = 1 AND computed_at < $1`, tx.now); err != nil {
		return 0, fmt.Errorf("hotspots: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return len(found), nil
}

const hotspotSelect = `
	SELECT id, kind, premises_id, premises_name, latitude, longitude, radius_m, cases, window_from, window_to,
		state, decided_at, first_seen_at, computed_at
	FROM hotspots`

func scanHotspot(r rowScanner) (*jaga.Hotspot, error) {
	h := &jaga.Hotspot{}
	var decided sql.NullTime
	if err := r.Scan(&h.ID, &h.Kind, &h.PremisesID, &h.PremisesName, &h.Latitude, &h.Longitude, &h.RadiusM, &h.Cases,
		&h.Window.From, &h.Window.To, &h.State, &decided, &h.FirstSeenAt, &h.ComputedAt); err != nil {
		return nil, err
	}
	h.Window.From, h.Window.To = h.Window.From.UTC(), h.Window.To.UTC()
	h.FirstSeenAt, h.ComputedAt = h.FirstSeenAt.UTC(), h.ComputedAt.UTC()
	if decided.Valid {
		t := decided.Time.UTC()
		h.DecidedAt = &t
	}
	return h, nil
}

// hotspotOfficer returns the caller if they are a ministry health officer.
func hotspotOfficer(ctx context.Context) (*jaga.Actor, error) {
	a := jaga.ActorFromContext(ctx)
	switch {
	case a == nil:
		return nil, jaga.Errorf(jaga.EUNAUTHORIZED, "Sign in to see hotspots.")
	case a.Kind != jaga.ActorStaff || !tracer(a):
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only ministry health officers see and decide premises hotspots.")
	}
	return a, nil
}

// PremisesHotspots lists the active premises hotspots, most cases first.
func (s *HotspotService) PremisesHotspots(ctx context.Context) ([]*jaga.Hotspot, error) {
	if _, err := hotspotOfficer(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.db.QueryContext(ctx, hotspotSelect+` WHERE kind = $1 AND active = 1 ORDER BY cases DESC, premises_name, id`, jaga.HotspotPremises)
	if err != nil {
		return nil, fmt.Errorf("premises hotspots: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Hotspot{}
	for rows.Next() {
		h, err := scanHotspot(rows)
		if err != nil {
			return nil, fmt.Errorf("premises hotspots: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// DecideHotspot confirms or dismisses an active premises hotspot.
func (s *HotspotService) DecideHotspot(ctx context.Context, id string, d jaga.HotspotDecision) (*jaga.Hotspot, error) {
	a, err := hotspotOfficer(ctx)
	if err != nil {
		return nil, err
	}
	if p := d.Valid(); p != nil {
		return nil, jaga.Invalid(p)
	}
	state := jaga.HotspotConfirmed
	if d.Decision == "dismiss" {
		state = jaga.HotspotDismissed
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE hotspots SET state = $1, decided_by = $2, decided_at = $3, decided_cases = cases
		WHERE id = $4 AND kind = $5 AND active = 1`, state, a.ID, tx.now, id, jaga.HotspotPremises)
	if err != nil {
		return nil, fmt.Errorf("decide hotspot: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("decide hotspot: %w", err)
	} else if n == 0 {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such active premises hotspot.")
	}
	h, err := scanHotspot(tx.QueryRowContext(ctx, hotspotSelect+` WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("decide hotspot: %w", err)
	}
	return h, tx.Commit()
}

// AreaHotspotsNear lists the active areas whose circle comes within
// withinM of a place, nearest first, with the criteria and when they were
// computed. Area centres are not named: a circle is all a citizen sees.
func (s *HotspotService) AreaHotspotsNear(ctx context.Context, lat, lon, withinM float64) (*jaga.AreaHotspots, error) {
	problems := map[string]string{}
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		problems["lat"] = "The latitude must be -90 to 90."
	}
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		problems["lon"] = "The longitude must be -180 to 180."
	}
	if math.IsNaN(withinM) || withinM < 0 || withinM > jaga.MaxHotspotSearch {
		problems["within"] = fmt.Sprintf("The distance must be 0 to %d metres.", jaga.MaxHotspotSearch)
	}
	if len(problems) > 0 {
		return nil, jaga.Invalid(problems)
	}
	out := &jaga.AreaHotspots{Items: []*jaga.Hotspot{}, Criteria: jaga.HotspotCriteria{
		RadiusM: int(math.Round(s.cfg.AreaRadius)), MinCases: s.cfg.AreaCases, WindowDays: int(s.cfg.AreaWindow / (24 * time.Hour))}}
	var asOf time.Time
	err := s.db.db.QueryRowContext(ctx, `SELECT computed_at FROM hotspot_runs ORDER BY computed_at DESC LIMIT 1`).Scan(&asOf)
	switch {
	case err == nil:
		asOf = asOf.UTC()
		out.AsOf = &asOf
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("area hotspots: %w", err)
	}
	// A bounding box narrows the rows; the distance decides.
	reach := withinM + 50000
	dLat := reach / 111000
	dLon := dLat / math.Max(0.01, math.Cos(math.Min(89, math.Abs(lat)+dLat)*math.Pi/180))
	rows, err := s.db.db.QueryContext(ctx, hotspotSelect+` WHERE kind = $1 AND active = 1
		AND latitude BETWEEN $2 AND $3 AND longitude BETWEEN $4 AND $5`, jaga.HotspotArea, lat-dLat, lat+dLat, lon-dLon, lon+dLon)
	if err != nil {
		return nil, fmt.Errorf("area hotspots: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		h, err := scanHotspot(rows)
		if err != nil {
			return nil, fmt.Errorf("area hotspots: %w", err)
		}
		d := jaga.DistanceM(lat, lon, h.Latitude, h.Longitude)
		if d > withinM+float64(h.RadiusM) {
			continue
		}
		h.DistanceM = int(math.Round(d))
		// The centre is a premises; about a hundred metres is all anyone needs.
		h.Latitude, h.Longitude = math.Round(h.Latitude*1000)/1000, math.Round(h.Longitude*1000)/1000
		h.ID, h.PremisesID, h.PremisesName, h.State = "", "", "", ""
		out.Items = append(out.Items, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("area hotspots: %w", err)
	}
	sort.Slice(out.Items, func(i, j int) bool { return out.Items[i].DistanceM < out.Items[j].DistanceM })
	return out, nil
}

var _ jaga.HotspotService = (*HotspotService)(nil)
