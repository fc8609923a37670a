package loadgen_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jaga-health/jaga/loadgen"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		cfg     loadgen.Config
		minReq  int64
		maxReq  int64
		failing bool
		behind  bool // the server cannot keep pace: latency counts from the schedule
	}{
		{"open loop at 500/s for 1s", loadgen.Config{Rate: 500, Duration: time.Second, Workers: 8}, 400, 560, false, false},
		{"curve of two segments", loadgen.Config{Curve: []float64{200, 600}, SegmentDuration: 500 * time.Millisecond, Workers: 8}, 330, 470, false, false},
		{"a curve faster than the server is sent whole", loadgen.Config{Curve: []float64{5000}, SegmentDuration: 100 * time.Millisecond, Workers: 1, Backlog: 4}, 499, 501, false, true},
		{"closed loop", loadgen.Config{Duration: 300 * time.Millisecond, Workers: 4}, 100, 1 << 40, false, false},
		{"errors are counted", loadgen.Config{Rate: 100, Duration: 500 * time.Millisecond}, 30, 70, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := loadgen.Run(context.Background(), tt.cfg, func(ctx context.Context, w int, n int64) error {
				time.Sleep(time.Millisecond)
				if tt.failing && n%2 == 0 {
					return errors.New("boom")
				}
				return nil
			})
			if res.Requests < tt.minReq || res.Requests > tt.maxReq {
				t.Fatalf("%d requests, want %d to %d (%s)", res.Requests, tt.minReq, tt.maxReq, res)
			}
			if tt.failing != (res.Errors > 0) {
				t.Fatalf("errors %d (%s)", res.Errors, res.FirstErr)
			}
			if p := res.Percentile(50); p < time.Millisecond || (p > 200*time.Millisecond && !tt.behind) {
				t.Fatalf("p50 %v", p)
			}
		})
	}
}

func TestCheckInCurve(t *testing.T) {
	c, err := loadgen.CheckInCurve(loadgen.PeakDay)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range c {
		sum += v
	}
	if len(c) != 48 || sum != 34546300 {
		t.Fatalf("peak day: %d slots adding to %.0f, want 48 adding to 34546300", len(c), sum)
	}
	if _, err := loadgen.CheckInCurve("2019-01-01"); err == nil {
		t.Fatal("a day outside the data gave a curve")
	}
}
