package jaga

import (
	"fmt"
	"slices"
	"time"
)

// PreBreachLead returns how much counted time before its target a running
// clock is warned about: a fifth of the target.
func PreBreachLead(target time.Duration) time.Duration { return target / 5 }

// CheckClocks returns the events the breach job adds at now for a
// ticket's clocks: a breach for each running clock past its target whose
// breach is not recorded yet, and a warning for each running clock within
// PreBreachLead of its target that was not warned about yet.
func CheckClocks(clocks []Clock, now time.Time) []SLAEvent {
	var out []SLAEvent
	for _, c := range clocks {
		if c.State != ClockRunning {
			continue
		}
		switch {
		case c.Breached && !c.BreachRecorded:
			out = append(out, SLAEvent{Metric: c.Metric, Kind: SLABreached, At: now})
		case !c.Breached && !c.Warned && c.Target-c.Elapsed <= PreBreachLead(c.Target):
			out = append(out, SLAEvent{Metric: c.Metric, Kind: SLAWarned, At: now})
		}
	}
	return out
}

// NextSLACheck returns when the breach job next has something to do for a
// ticket with these events, as computed at now: the soonest warning or
// breach of a running clock not yet recorded; nil when there is none.
func NextSLACheck(events []SLAEvent, now time.Time) *time.Time {
	var next *time.Time
	consider := func(t time.Time) {
		if next == nil || t.Before(*next) {
			next = &t
		}
	}
	for _, c := range ComputeClocks(events, now) {
		if c.State != ClockRunning || c.BreachRecorded {
			continue
		}
		if c.Breached {
			consider(now)
			continue
		}
		cal := Calendars[c.Calendar]
		if cal.Location == nil {
			cal = Calendars[Calendar24x7]
		}
		remaining := c.Target - c.Elapsed
		if !c.Warned {
			consider(cal.Add(now, max(remaining-PreBreachLead(c.Target), 0)))
		}
		consider(cal.Add(now, remaining))
	}
	return next
}

// Escalations names the queue a ticket moves to when its resolution clock
// breaches: the next tier. A queue not named here keeps its tickets and
// raises their priority instead.
var Escalations = map[string]string{
	QueueContractorTier1: QueueMinistryTier2,
}

// RaisePriority returns the priority above p, and false when p is the
// highest.
func RaisePriority(p string) (string, bool) {
	i := slices.Index(Priorities, p)
	if i < 0 || i == len(Priorities)-1 {
		return p, false
	}
	return Priorities[i+1], true
}

// OnBreach returns what the desk does when a ticket's clock for metric
// breaches: a missed resolution goes to the next tier (toQueue, "" to
// stay); anything else, or a resolution with no higher tier, raises the
// priority one step (toPriority, the same at the top).
func OnBreach(metric, queue, priority string) (toQueue, toPriority string) {
	if metric == MetricResolution {
		if q, ok := Escalations[queue]; ok {
			return q, priority
		}
	}
	p, _ := RaisePriority(priority)
	return "", p
}

// metricNames are the SLA metrics in words, Malay and English.
var metricNames = map[string][2]string{
	MetricFirstResponse:  {"jawapan pertama", "first response"},
	MetricPeriodicUpdate: {"kemas kini berkala", "periodic update"},
	MetricResolution:     {"penyelesaian", "resolution"},
}

// SLANotice returns the notice that tells desk staff a ticket's clock for
// metric breached (kind SLABreached) or nears its target (SLAWarned). It
// names the ticket and its queue only, never the person.
func SLANotice(reference, queue, metric, kind string) Notice {
	q, _ := QueueByCode(queue)
	m := metricNames[metric]
	n := Notice{Subject: map[string]string{}, Body: map[string]string{}}
	if kind == SLABreached {
		n.Subject["ms"] = fmt.Sprintf("jaga: tiket %s melepasi sasaran %s", reference, m[0])
		n.Subject["en"] = fmt.Sprintf("jaga: ticket %s missed its %s target", reference, m[1])
		n.Body["ms"] = fmt.Sprintf("Tiket %s dalam baris %s telah melepasi sasaran %s. Sila ambil tindakan dalam konsol meja bantuan jaga.", reference, q.Name("ms"), m[0])
		n.Body["en"] = fmt.Sprintf("Ticket %s in the %s queue missed its %s target. Please act on it in the jaga desk console.", reference, q.Name("en"), m[1])
	} else {
		n.Subject["ms"] = fmt.Sprintf("jaga: tiket %s hampir melepasi sasaran %s", reference, m[0])
		n.Subject["en"] = fmt.Sprintf("jaga: ticket %s nears its %s target", reference, m[1])
		n.Body["ms"] = fmt.Sprintf("Tiket %s dalam baris %s hampir melepasi sasaran %s. Sila ambil tindakan dalam konsol meja bantuan jaga.", reference, q.Name("ms"), m[0])
		n.Body["en"] = fmt.Sprintf("Ticket %s in the %s queue nears its %s target. Please act on it in the jaga desk console.", reference, q.Name("en"), m[1])
	}
	return n
}

// SLAReport is what one run of the breach job did.
type SLAReport struct {
	Checked   int `json:"checked"`   // tickets looked at
	Warned    int `json:"warned"`    // pre-breach warnings recorded
	Breached  int `json:"breached"`  // breaches recorded
	Raised    int `json:"raised"`    // priorities raised
	Escalated int `json:"escalated"` // tickets moved to the next tier
}
