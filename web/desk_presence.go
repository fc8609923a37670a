package web

import (
	"sort"
	"sync"
	"time"
)

// presenceTTL is how long a staff member counts as viewing or replying to
// a ticket after they last said so.
const presenceTTL = time.Minute

// deskPresence is the advisory "someone else is viewing / replying" of the
// agent console: in memory, per ticket, on this server only. It never
// blocks anyone; it tells agents not to answer twice.
type deskPresence struct {
	mu      sync.Mutex                          // guards tickets
	tickets map[string]map[string]presenceEntry // ticket → staff id → entry
}

// presenceEntry is one staff member on a ticket.
type presenceEntry struct {
	Name     string
	Replying bool
	at       time.Time
}

// mark records that staffID views (or replies to) ticket at now, and drops
// entries that have expired.
func (p *deskPresence) mark(ticket, staffID, name string, replying bool, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tickets == nil {
		p.tickets = map[string]map[string]presenceEntry{}
	}
	for id, staff := range p.tickets {
		for sid, e := range staff {
			if now.Sub(e.at) > presenceTTL {
				delete(staff, sid)
			}
		}
		if len(staff) == 0 {
			delete(p.tickets, id)
		}
	}
	staff := p.tickets[ticket]
	if staff == nil {
		staff = map[string]presenceEntry{}
		p.tickets[ticket] = staff
	}
	if prev, ok := staff[staffID]; ok && prev.Replying && !replying && now.Sub(prev.at) <= presenceTTL {
		replying = true // viewing again while a reply is being written
	}
	staff[staffID] = presenceEntry{Name: name, Replying: replying, at: now}
}

// done records that staffID finished replying to ticket.
func (p *deskPresence) done(ticket, staffID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.tickets[ticket][staffID]; ok {
		e.Replying = false
		p.tickets[ticket][staffID] = e
	}
}

// others returns who else viewed or replied to ticket in the last
// presenceTTL before now, by name.
func (p *deskPresence) others(ticket, staffID string, now time.Time) []presenceEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []presenceEntry
	for sid, e := range p.tickets[ticket] {
		if sid != staffID && now.Sub(e.at) <= presenceTTL {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
