// Package loadgen drives load at a server: open loop at a fixed or varying
// rate (requests are scheduled in advance and latency counts from the
// scheduled time, so a slow server cannot hide its queue), or closed loop
// with a fixed number of workers. It reports throughput, latency
// percentiles and errors.
package loadgen

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Request performs one request; worker is the worker's index and seq the
// request's number. It returns an error for a failed request.
type Request func(ctx context.Context, worker int, seq int64) error

// Config shapes a run.
type Config struct {
	// Rate is requests a second for an open-loop run; if 0, the run is
	// closed loop: Workers send as fast as answers come.
	Rate float64
	// Curve, if set, replaces Rate with a rate per segment of
	// SegmentDuration, in order; every request of the curve is sent, the
	// late ones as soon as a worker is free, so the run lasts len(Curve)
	// segments or until the server has caught up.
	Curve           []float64
	SegmentDuration time.Duration
	Workers         int // if 0, 64
	// Backlog bounds the requests scheduled and not yet sent; if 0, 1<<20.
	Backlog  int
	Duration time.Duration // ignored when Curve is set
}

// Result is what a run measured.
type Result struct {
	Requests  int64
	Errors    int64
	Elapsed   time.Duration
	latencies []time.Duration // successful requests only, sorted
	FirstErr  string
	Late      int64 // open loop: requests that started more than 1 s after their scheduled time
}

// Throughput is successful requests a second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// Percentile returns the latency at p (0 to 100) of successful requests.
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(r.latencies)))) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(r.latencies) {
		i = len(r.latencies) - 1
	}
	return r.latencies[i]
}

// String summarizes the result in one line.
func (r *Result) String() string {
	return fmt.Sprintf("requests=%d errors=%d elapsed_s=%.1f per_s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f late=%d",
		r.Requests, r.Errors, r.Elapsed.Seconds(), r.Throughput(), ms(r.Percentile(50)), ms(r.Percentile(90)),
		ms(r.Percentile(99)), ms(r.Percentile(100)), r.Late)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Run drives load until the run's time is up or ctx ends.
func Run(ctx context.Context, c Config, do Request) *Result {
	if c.Workers <= 0 {
		c.Workers = 64
	}
	var (
		seq     atomic.Int64
		errs    atomic.Int64
		late    atomic.Int64
		mu      sync.Mutex // guards lats and firstErr
		lats    = make([]time.Duration, 0, 1<<16)
		firstEr string
	)
	record := func(start time.Time, err error) {
		d := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs.Add(1)
			if firstEr == "" {
				firstEr = err.Error()
			}
			return
		}
		lats = append(lats, d)
	}
	total := c.Duration
	if len(c.Curve) > 0 {
		total = time.Duration(len(c.Curve)) * c.SegmentDuration
	}
	runCtx, cancel := context.WithTimeout(ctx, total)
	defer cancel()
	begin := time.Now()
	var wg sync.WaitGroup
	if c.Rate == 0 && len(c.Curve) == 0 {
		for w := 0; w < c.Workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for runCtx.Err() == nil {
					n := seq.Add(1)
					start := time.Now()
					record(start, do(ctx, w, n))
				}
			}(w)
		}
		wg.Wait()
	} else {
		if c.Backlog <= 0 {
			c.Backlog = 1 << 20
		}
		tickets := make(chan time.Time, c.Backlog)
		for w := 0; w < c.Workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for at := range tickets {
					if d := time.Until(at); d > 0 {
						time.Sleep(d)
					} else if d < -time.Second {
						late.Add(1)
					}
					n := seq.Add(1)
					record(at, do(ctx, w, n))
				}
			}(w)
		}
		// A curve is sent whole, however late: a replay of a day that
		// stopped when its time was up would leave out what the server
		// could not keep pace with. A fixed rate stops on time.
		scheduleCtx := runCtx
		if len(c.Curve) > 0 {
			scheduleCtx = ctx
		}
		schedule(scheduleCtx, c, begin, tickets)
		close(tickets)
		wg.Wait()
	}
	res := &Result{Requests: seq.Load(), Errors: errs.Load(), Elapsed: time.Since(begin), FirstErr: firstEr, Late: late.Load()}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	res.latencies = lats
	return res
}

// schedule emits the scheduled start time of every request of an
// open-loop run, a few milliseconds ahead of time.
func schedule(ctx context.Context, c Config, begin time.Time, tickets chan<- time.Time) {
	rateAt := func(elapsed time.Duration) float64 {
		if len(c.Curve) == 0 {
			return c.Rate
		}
		i := int(elapsed / c.SegmentDuration)
		if i >= len(c.Curve) {
			return 0
		}
		return c.Curve[i]
	}
	next := begin
	const ahead = 20 * time.Millisecond
	for {
		if ctx.Err() != nil {
			return
		}
		rate := rateAt(next.Sub(begin))
		if rate <= 0 {
			next = next.Add(10 * time.Millisecond)
			if len(c.Curve) > 0 && next.Sub(begin) >= time.Duration(len(c.Curve))*c.SegmentDuration {
				return
			}
			continue
		}
		if d := time.Until(next) - ahead; d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return
			}
		}
		select {
		case tickets <- next:
		case <-ctx.Done():
			return
		}
		next = next.Add(time.Duration(float64(time.Second) / rate))
	}
}
