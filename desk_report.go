package jaga

import (
	"slices"
	"sort"
	"time"
)

// MaxReportDays bounds the period of one desk report.
const MaxReportDays = 366

// ReportFilter chooses the tickets of a desk report: those opened in
// [From, To).
type ReportFilter struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Queue string    `json:"queue,omitempty"` // if empty, every queue the reader may see
}

// Valid returns the filter's problems, or nil.
func (f *ReportFilter) Valid() map[string]string {
	problems := map[string]string{}
	switch {
	case f.From.IsZero() || f.To.IsZero():
		problems["from"] = "Give the period as from and to dates, YYYY-MM-DD."
	case !f.To.After(f.From):
		problems["to"] = "The end of the period must come after its start."
	case f.To.Sub(f.From) > MaxReportDays*24*time.Hour:
		problems["to"] = "A report covers at most a year."
	}
	if f.Queue != "" {
		if _, ok := QueueByCode(f.Queue); !ok {
			problems["queue"] = "No such queue."
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// ReportTicket is what a desk report reads of one ticket: nothing personal.
type ReportTicket struct {
	Queue     string
	Agent     string // the assignee, else the staff member who answered first; "" if neither
	AgentName string
	State     string
	CreatedAt time.Time
	Rating    int
	Events    []SLAEvent // oldest first
}

// ReportRow is one queue's or agent's figures. Durations are counted time
// in the clock's calendar (working hours for business-hours queues), in
// seconds.
type ReportRow struct {
	Kind  string `json:"kind"` // "queue" or "agent"
	Key   string `json:"key"`  // the queue code or the staff id
	Name  string `json:"name"`
	Count int    `json:"tickets"`
	// FirstResponses counts answered tickets; FirstResponseMean is the
	// mean counted time to the first answer.
	FirstResponses    int     `json:"firstResponses"`
	FirstResponseMean float64 `json:"firstResponseMeanSeconds"`
	Resolutions       int     `json:"resolutions"`
	ResolutionMean    float64 `json:"resolutionMeanSeconds"`
	// WithinSLA is the share of finished or breached first-response and
	// resolution clocks that met their target; -1 when there is none.
	WithinSLA float64 `json:"withinSla"`
	// Backlog counts tickets still open at the report's time;
	// BacklogAgeMean and BacklogAgeMax are their ages in seconds.
	Backlog        int     `json:"backlog"`
	BacklogAgeMean float64 `json:"backlogAgeMeanSeconds"`
	BacklogAgeMax  float64 `json:"backlogAgeMaxSeconds"`
	// ReopenRate is the share of resolved tickets reopened by the
	// citizen; -1 when none was resolved.
	ReopenRate float64 `json:"reopenRate"`
	// Ratings counts rated tickets; Satisfaction is their mean score
	// (1 to 5), 0 when none.
	Ratings      int     `json:"ratings"`
	Satisfaction float64 `json:"satisfaction"`
}

// DeskReport is a desk report: one row per queue, then one per agent.
type DeskReport struct {
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	GeneratedAt time.Time   `json:"generatedAt"`
	Queues      []ReportRow `json:"queues"`
	Agents      []ReportRow `json:"agents"`
}

// reportAcc gathers one row's figures.
type reportAcc struct {
	row                     ReportRow
	first, resolution, age  time.Duration
	met, judged             int
	resolved, reopened, sum int
}

// ComputeDeskReport recomputes the desk's figures at now from the tickets'
// stored clock events.
func ComputeDeskReport(f ReportFilter, tickets []ReportTicket, now time.Time) *DeskReport {
	queues, agents := map[string]*reportAcc{}, map[string]*reportAcc{}
	acc := func(m map[string]*reportAcc, kind, key, name string) *reportAcc {
		a := m[key]
		if a == nil {
			a = &reportAcc{row: ReportRow{Kind: kind, Key: key, Name: name}}
			m[key] = a
		}
		return a
	}
	for _, t := range tickets {
		targets := []*reportAcc{acc(queues, "queue", t.Queue, queueName(t.Queue))}
		if t.Agent != "" {
			targets = append(targets, acc(agents, "agent", t.Agent, t.AgentName))
		}
		clocks := map[string]Clock{}
		for _, c := range ComputeClocks(t.Events, now) {
			clocks[c.Metric] = c
		}
		activations := 0
		for _, e := range t.Events {
			if e.Metric == MetricResolution && e.Kind == SLAActivated {
				activations++
			}
		}
		for _, a := range targets {
			a.row.Count++
			if c, ok := clocks[MetricFirstResponse]; ok && c.State == ClockFulfilled {
				a.row.FirstResponses++
				a.first += c.Elapsed
			}
			if c, ok := clocks[MetricResolution]; ok && c.State == ClockFulfilled && t.State != StateMerged && t.State != StateRejected {
				a.row.Resolutions++
				a.resolution += c.Elapsed
			}
			for _, m := range []string{MetricFirstResponse, MetricResolution} {
				c, ok := clocks[m]
				if !ok || c.State == ClockCancelled {
					continue
				}
				if c.State == ClockFulfilled || c.Breached {
					a.judged++
					if !c.Breached {
						a.met++
					}
				}
			}
			if !TicketFinal(t.State) && t.State != StateResolved {
				a.row.Backlog++
				age := now.Sub(t.CreatedAt)
				a.age += age
				a.row.BacklogAgeMax = max(a.row.BacklogAgeMax, age.Seconds())
			}
			if activations > 0 && (t.State == StateResolved || t.State == StateClosed || activations > 1) {
				a.resolved++
				if activations > 1 {
					a.reopened++
				}
			}
			if t.Rating > 0 {
				a.row.Ratings++
				a.sum += t.Rating
			}
		}
	}
	finish := func(m map[string]*reportAcc) []ReportRow {
		out := []ReportRow{}
		for _, a := range m {
			r := a.row
			r.FirstResponseMean = meanSeconds(a.first, r.FirstResponses)
			r.ResolutionMean = meanSeconds(a.resolution, r.Resolutions)
			r.BacklogAgeMean = meanSeconds(a.age, r.Backlog)
			r.WithinSLA, r.ReopenRate = share(a.met, a.judged), share(a.reopened, a.resolved)
			if r.Ratings > 0 {
				r.Satisfaction = float64(a.sum) / float64(r.Ratings)
			}
			out = append(out, r)
		}
		sort.Slice(out, func(i, j int) bool {
			qi, qj := queueIndex(out[i].Key), queueIndex(out[j].Key)
			if qi != qj {
				return qi < qj
			}
			return out[i].Name+out[i].Key < out[j].Name+out[j].Key
		})
		return out
	}
	return &DeskReport{From: f.From, To: f.To, GeneratedAt: now, Queues: finish(queues), Agents: finish(agents)}
}

func meanSeconds(total time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return total.Seconds() / float64(n)
}

func share(part, whole int) float64 {
	if whole == 0 {
		return -1
	}
	return float64(part) / float64(whole)
}

func queueName(code string) string {
	if q, ok := QueueByCode(code); ok {
		return q.NameEN
	}
	return code
}

// queueIndex orders queues as Queues lists them; agents after.
func queueIndex(code string) int {
	i := slices.IndexFunc(Queues, func(q Queue) bool { return q.Code == code })
	if i < 0 {
		return len(Queues)
	}
	return i
}

// CanReadDeskReports reports whether a may read desk reports: supervisors
// (of the queues their organisation works) and the ministry's
// administrators, auditors and data protection officers (of every queue).
func CanReadDeskReports(a *Actor) (all bool, ok bool) {
	switch {
	case a == nil || !a.IsStaff():
		return false, false
	case a.OrgKind == OrgMinistry && a.HasRole(RoleSupervisor, RoleAdmin, RoleAuditor, RoleDPO):
		return true, true
	case a.Role == RoleSupervisor:
		return false, true
	}
	return false, false
}
