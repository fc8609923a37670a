package jaga

import (
	"testing"
	"time"
)

func TestCheckClocks(t *testing.T) {
	// Monday 2 March 2026, 08:00 in Malaysia.
	monday := time.Date(2026, 3, 2, 8, 0, 0, 0, Malaysia)
	activated := func(metric string, target time.Duration, cal string) SLAEvent {
		return SLAEvent{Metric: metric, Kind: SLAActivated, At: monday, Target: target, Calendar: cal}
	}
	at := func(kind string, d time.Duration) SLAEvent {
		return SLAEvent{Metric: MetricFirstResponse, Kind: kind, At: monday.Add(d)}
	}
	tests := []struct {
		name   string
		events []SLAEvent
		now    time.Duration // since monday
		want   string        // the kind added, or ""
		next   time.Duration // since monday; -1 for none
	}{
		{"far from the target", []SLAEvent{activated(MetricFirstResponse, 4*time.Hour, Calendar24x7)}, time.Hour, "", 3*time.Hour + 12*time.Minute},
		{"within the lead", []SLAEvent{activated(MetricFirstResponse, 4*time.Hour, Calendar24x7)}, 3*time.Hour + 15*time.Minute, SLAWarned, 3*time.Hour + 15*time.Minute},
		{"warned already", []SLAEvent{activated(MetricFirstResponse, 4*time.Hour, Calendar24x7), at(SLAWarned, 3*time.Hour+15*time.Minute)},
			3*time.Hour + 30*time.Minute, "", 4 * time.Hour},
		{"past the target", []SLAEvent{activated(MetricFirstResponse, 4*time.Hour, Calendar24x7)}, 5 * time.Hour, SLABreached, 5 * time.Hour},
		{"breach recorded", []SLAEvent{activated(MetricFirstResponse, 4*time.Hour, Calendar24x7), at(SLABreached, 4*time.Hour+time.Minute)},
			6 * time.Hour, "", -1},
		{"paused", []SLAEvent{activated(MetricFirstResponse, 4*time.Hour, Calendar24x7), at(SLAPaused, time.Hour)}, 30 * time.Hour, "", -1},
		{"fulfilled", []SLAEvent{activated(MetricFirstResponse, 4*time.Hour, Calendar24x7), at(SLAFulfilled, time.Hour)}, 30 * time.Hour, "", -1},
		// Business hours: a 9-hour target from Monday 08:00 is spent at
		// 17:00, and nothing more counts until Tuesday 08:00.
		{"business hours wait for the morning", []SLAEvent{activated(MetricFirstResponse, 9*time.Hour, CalendarBusinessMY)},
			10 * time.Hour, SLAWarned, 10 * time.Hour},
		{"business hours next check", []SLAEvent{activated(MetricFirstResponse, 9*time.Hour, CalendarBusinessMY)},
			time.Hour, "", 7*time.Hour + 12*time.Minute},
		{"a new activation forgets the warning", []SLAEvent{activated(MetricFirstResponse, 4*time.Hour, Calendar24x7),
			at(SLAWarned, 3*time.Hour+15*time.Minute), {Metric: MetricFirstResponse, Kind: SLAActivated, At: monday.Add(4 * time.Hour),
				Target: time.Hour, Calendar: Calendar24x7}}, 4*time.Hour + 50*time.Minute, SLAWarned, 4*time.Hour + 50*time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := monday.Add(tc.now)
			got := CheckClocks(ComputeClocks(tc.events, now), now)
			switch {
			case tc.want == "" && len(got) != 0:
				t.Fatalf("events = %+v, want none", got)
			case tc.want != "" && (len(got) != 1 || got[0].Kind != tc.want || !got[0].At.Equal(now)):
				t.Fatalf("events = %+v, want one %s", got, tc.want)
			}
			next := NextSLACheck(tc.events, now)
			switch {
			case tc.next < 0 && next != nil:
				t.Fatalf("next check %s, want none", next)
			case tc.next >= 0 && (next == nil || !next.Equal(monday.Add(tc.next))):
				t.Fatalf("next check %v, want %s", next, monday.Add(tc.next))
			}
		})
	}
}

func TestOnBreach(t *testing.T) {
	tests := []struct {
		metric, queue, priority string
		toQueue, toPriority     string
	}{
		{MetricFirstResponse, QueueContractorTier1, PriorityNormal, "", PriorityHigh},
		{MetricPeriodicUpdate, QueueMinistryTier2, PriorityHigh, "", PriorityUrgent},
		{MetricFirstResponse, QueueAirlineLiaison, PriorityUrgent, "", PriorityUrgent},
		{MetricResolution, QueueContractorTier1, PriorityNormal, QueueMinistryTier2, PriorityNormal},
		{MetricResolution, QueueMinistryTier2, PriorityLow, "", PriorityNormal},
		{MetricResolution, QueueImmigration, PriorityUrgent, "", PriorityUrgent},
	}
	for _, tc := range tests {
		t.Run(tc.metric+" in "+tc.queue+" at "+tc.priority, func(t *testing.T) {
			q, p := OnBreach(tc.metric, tc.queue, tc.priority)
			if q != tc.toQueue || p != tc.toPriority {
				t.Fatalf("OnBreach = %q, %q; want %q, %q", q, p, tc.toQueue, tc.toPriority)
			}
		})
	}
}
