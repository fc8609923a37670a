package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jaga-health/jaga"
)

// PremisesService implements jaga.PremisesService.
type PremisesService struct{ db *DB }

// NewPremisesService returns the premises service of db.
func NewPremisesService(db *DB) *PremisesService { return &PremisesService{db: db} }

const premisesSelect = `
	SELECT id, org_id, name, type, address, state, latitude, longitude, capacity, short_code, token_version, created_at, updated_at, seq
	FROM premises`

func scanPremises(r rowScanner) (*jaga.Premises, error) {
	p := &jaga.Premises{}
	if err := r.Scan(&p.ID, &p.OrgID, &p.Name, &p.Type, &p.Address, &p.State, &p.Latitude, &p.Longitude, &p.Capacity,
		&p.ShortCode, &p.TokenVersion, &p.CreatedAt, &p.UpdatedAt, &p.Seq); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, nil
}

// premisesCacheTTL bounds how stale a cached premises may be on
// PostgreSQL while this server does not hear of changes to premises
// (ListenPeopleChanges) made by other servers. A server that hears of
// them, and SQLite's, whose file has this one server (as for visitor
// cards and sessions), keeps a premises until it changes; this process
// forgets one it changes at once.
const premisesCacheTTL = 10 * time.Second

// premisesCache keeps the premises the check-in path looks up, by id and
// by short code. When an entry expires, the first caller to see it reads
// the premises again while the others keep using the old copy: a busy
// premises is read once a TTL, not once by every check-in that arrives
// while it is being read (3.6 % of the server's CPU in a check-in run).
// A premises read before a forget is not kept (generations).
type premisesCache struct {
	mu     sync.RWMutex // guards byID, byCode, their entries and gen
	byID   map[string]*cachedPremises
	byCode map[string]*cachedPremises
	gen    uint64 // raised by every forget
}

type cachedPremises struct {
	p         *jaga.Premises
	at        time.Time
	reloading bool // a caller is reading it again
}

// premisesReloadGrace is how long the old copy of an expired entry is
// served while one caller reads it again; a caller that sees it older
// than the TTL and the grace reads it too.
const premisesReloadGrace = 2 * time.Second

// get returns the cached premises under key, or nil when the caller is to
// read it; ttl 0 is no expiry.
func (c *premisesCache) get(m func(*premisesCache) map[string]*cachedPremises, key string, now time.Time, ttl time.Duration) *jaga.Premises {
	c.mu.RLock()
	e, ok := m(c)[key]
	fresh := ok && (ttl == 0 || now.Sub(e.at) < ttl)
	var p *jaga.Premises
	if ok {
		p = e.p
	}
	c.mu.RUnlock()
	switch {
	case !ok:
		return nil
	case fresh:
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.reloading && now.Sub(e.at) < ttl+premisesReloadGrace {
		return e.p
	}
	e.reloading = true
	return nil
}

// generation returns the current generation, to pass to put.
func (c *premisesCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put keeps p unless a forget has happened since generation returned gen.
func (c *premisesCache) put(p *jaga.Premises, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.byID == nil || len(c.byID) > 1_000_000 {
		c.byID, c.byCode = map[string]*cachedPremises{}, map[string]*cachedPremises{}
	}
	e := &cachedPremises{p: p, at: now}
	c.byID[p.ID] = e
	c.byCode[p.ShortCode] = e
}

// forget drops the premises with id, under its id and its short code; an
// empty id drops them all.
func (c *premisesCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if id == "" {
		c.byID, c.byCode = nil, nil
		return
	}
	if e, ok := c.byID[id]; ok {
		delete(c.byCode, e.p.ShortCode)
	}
	delete(c.byID, id)
}

// premisesTTL is the premises cache's TTL (premisesCacheTTL).
func (db *DB) premisesTTL() time.Duration {
	if db.dialect == SQLite || db.cardsLive.Load() {
		return 0
	}
	return premisesCacheTTL
}

// premisesByID returns a premises through the cache.
func (db *DB) premisesByID(ctx context.Context, id string) (*jaga.Premises, error) {
	return db.premisesThroughCache(ctx, func(c *premisesCache) map[string]*cachedPremises { return c.byID },
		id, premisesSelect+` WHERE id = $1`, "No such premises.")
}

// premisesByCode returns a premises by its normalized short code.
func (db *DB) premisesByCode(ctx context.Context, code string) (*jaga.Premises, error) {
	return db.premisesThroughCache(ctx, func(c *premisesCache) map[string]*cachedPremises { return c.byCode },
		code, premisesSelect+` WHERE short_code = $1`, "No premises has this code. Check the code on the poster.")
}

// premisesThroughCache returns the premises under key in the cache's map
// m, or reads it with query, answering notFound when there is none.
func (db *DB) premisesThroughCache(ctx context.Context, m func(*premisesCache) map[string]*cachedPremises, key, query, notFound string) (*jaga.Premises, error) {
	now := time.Now()
	if p := db.premises.get(m, key, now, db.premisesTTL()); p != nil {
		return p, nil
	}
	gen := db.premises.generation()
	st, err := db.stmt(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("premises: %w", err)
	}
	p, err := scanPremises(st.QueryRowContext(ctx, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "%s", notFound)
	} else if err != nil {
		return nil, fmt.Errorf("premises: %w", err)
	}
	db.premises.put(p, now, gen)
	return p, nil
}

// canManagePremises reports whether the actor may register and manage the
// premises of orgID: jaga itself, or that organisation's premises staff or
// admins.
func canManagePremises(a *jaga.Actor, orgID string) bool {
	if a != nil && a.Kind == jaga.ActorSystem {
		return true
	}
	return a.IsStaff() && a.OrgID == orgID && a.OrgKind == jaga.OrgPremisesOwner && a.HasRole(jaga.RolePremisesStaff, jaga.RoleAdmin)
}

// canSeePremises reports whether the actor may see a premises and its
// visitor counts: its managers and the ministry's staff.
func canSeePremises(a *jaga.Actor, p *jaga.Premises) bool {
	return canManagePremises(a, p.OrgID) || (a.IsStaff() && a.OrgKind == jaga.OrgMinistry)
}

// CreatePremises registers a premises with a new code.
func (s *PremisesService) CreatePremises(ctx context.Context, p *jaga.Premises) error {
	a := jaga.ActorFromContext(ctx)
	if a.IsStaff() && p.OrgID == "" {
		p.OrgID = a.OrgID
	}
	if !canManagePremises(a, p.OrgID) {
		return jaga.Errorf(jaga.EFORBIDDEN, "Only staff of a premises owner register its premises.")
	}
	if problems := p.Valid(); problems != nil {
		return jaga.Invalid(problems)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var kind string
	if err := tx.QueryRowContext(ctx, `SELECT kind FROM organisations WHERE id = $1`, p.OrgID).Scan(&kind); errors.Is(err, sql.ErrNoRows) || kind != jaga.OrgPremisesOwner {
		return jaga.Invalid(map[string]string{"orgId": "The owner must be a premises-owner organisation."})
	} else if err != nil {
		return fmt.Errorf("create premises: %w", err)
	}
	p.ID, p.ShortCode, p.TokenVersion, p.CreatedAt, p.UpdatedAt = newID(), jaga.NewShortCode(), 1, tx.now, tx.now
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO premises (id, org_id, name, type, address, state, latitude, longitude, capacity, short_code, token_version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		p.ID, p.OrgID, p.Name, p.Type, p.Address, p.State, p.Latitude, p.Longitude, p.Capacity, p.ShortCode, p.TokenVersion, p.CreatedAt, p.UpdatedAt); err != nil {
		return fmt.Errorf("create premises: %w", err)
	}
	return tx.Commit()
}

// Premises returns one premises to those who may see it.
func (s *PremisesService) Premises(ctx context.Context, id string) (*jaga.Premises, error) {
	p, err := scanPremises(s.db.db.QueryRowContext(ctx, premisesSelect+` WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !canSeePremises(jaga.ActorFromContext(ctx), p)) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such premises.")
	} else if err != nil {
		return nil, fmt.Errorf("premises: %w", err)
	}
	return p, nil
}

// OrganisationPremises lists an organisation's premises.
func (s *PremisesService) OrganisationPremises(ctx context.Context, orgID string) ([]*jaga.Premises, error) {
	a := jaga.ActorFromContext(ctx)
	if !canManagePremises(a, orgID) && !(a.IsStaff() && a.OrgKind == jaga.OrgMinistry) {
		return nil, jaga.Errorf(jaga.EFORBIDDEN, "Only the organisation's staff list its premises.")
	}
	rows, err := s.db.db.QueryContext(ctx, premisesSelect+` WHERE org_id = $1 ORDER BY name`, orgID)
	if err != nil {
		return nil, fmt.Errorf("organisation premises: %w", err)
	}
	defer rows.Close()
	out := []*jaga.Premises{}
	for rows.Next() {
		p, err := scanPremises(rows)
		if err != nil {
			return nil, fmt.Errorf("organisation premises: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// RotateCode gives the premises a new token version and short code.
func (s *PremisesService) RotateCode(ctx context.Context, id string) (*jaga.Premises, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	p, err := scanPremises(tx.QueryRowContext(ctx, premisesSelect+` WHERE id = $1`+tx.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !canManagePremises(jaga.ActorFromContext(ctx), p.OrgID)) {
		return nil, jaga.Errorf(jaga.ENOTFOUND, "No such premises.")
	} else if err != nil {
		return nil, fmt.Errorf("rotate code: %w", err)
	}
	old := *p
	p.TokenVersion++
	p.ShortCode = jaga.NewShortCode()
	p.UpdatedAt = tx.now
	if _, err := tx.ExecContext(ctx, `UPDATE premises SET token_version = $1, short_code = $2, updated_at = $3 WHERE id = $4`,
		p.TokenVersion, p.ShortCode, p.UpdatedAt, p.ID); err != nil {
		return nil, fmt.Errorf("rotate code: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	s.db.premises.forget(old.ID)
	return p, nil
}

// Token returns the premises' current signed QR text.
func (s *PremisesService) Token(ctx context.Context, id string) (string, error) {
	p, err := s.Premises(ctx, id)
	if err != nil {
		return "", err
	}
	if !canManagePremises(jaga.ActorFromContext(ctx), p.OrgID) {
		return "", jaga.Errorf(jaga.ENOTFOUND, "No such premises.")
	}
	return jaga.SignPremisesToken(s.db.TokenKey, jaga.PremisesToken{PremisesID: p.ID, Version: p.TokenVersion})
}

// malaysiaTime is Malaysia's time zone (UTC+8, no daylight saving), in
// which visit counts are grouped.
var malaysiaTime = time.FixedZone("MYT", 8*3600)

// VisitCounts returns visits per hour or day in [from, to).
func (s *PremisesService) VisitCounts(ctx context.Context, id, unit string, from, to time.Time) ([]jaga.VisitCount, error) {
	p, err := s.Premises(ctx, id)
	if err != nil {
		return nil, err
	}
	var step time.Duration
	var maxRange time.Duration
	switch unit {
	case "hour":
		step, maxRange = time.Hour, 31*24*time.Hour
	case "day":
		step, maxRange = 24*time.Hour, 92*24*time.Hour
	default:
		return nil, jaga.Invalid(map[string]string{"unit": "Unit must be hour or day."})
	}
	if !to.After(from) || to.Sub(from) > maxRange {
		return nil, jaga.Invalid(map[string]string{"to": fmt.Sprintf("The range must be positive and at most %d days for unit %s.", int(maxRange.Hours()/24), unit)})
	}
	start := truncateLocal(from.In(malaysiaTime), unit)
	var out []jaga.VisitCount
	index := map[int64]int{}
	for t := start; t.Before(to); t = nextLocal(t, unit, step) {
		index[t.Unix()] = len(out)
		out = append(out, jaga.VisitCount{Start: t, Visits: 0})
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT checked_in_at FROM checkins WHERE premises = $1 AND checked_in_at >= $2 AND checked_in_at < $3`,
		p.Seq, micros(start), micros(to))
	if err != nil {
		return nil, fmt.Errorf("visit counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("visit counts: %w", err)
		}
		if i, ok := index[truncateLocal(fromMicros(at).In(malaysiaTime), unit).Unix()]; ok {
			out[i].Visits++
		}
	}
	return out, rows.Err()
}

func truncateLocal(t time.Time, unit string) time.Time {
	y, m, d := t.Date()
	if unit == "day" {
		return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
	}
	return time.Date(y, m, d, t.Hour(), 0, 0, 0, t.Location())
}

func nextLocal(t time.Time, unit string, step time.Duration) time.Time {
	if unit == "day" {
		return t.AddDate(0, 0, 1)
	}
	return t.Add(step)
}
