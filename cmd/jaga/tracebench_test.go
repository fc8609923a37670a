package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// A small tracing benchmark on each engine, loaded alone and then traced
// with --reuse: jaga and the baseline query find the same contacts, and
// some.
func TestTracebenchSmall(t *testing.T) {
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			dsn := d.dsn(t)
			if _, stderr, err := runJaga(t, dsn, "migrate"); err != nil {
				t.Fatalf("migrate: %v\n%s", err, stderr)
			}
			args := []string{"tracebench", "--scale", "0.0003", "--days", "2", "--sample", "5", "--log-level", "warn"}
			out, stderr, err := runJaga(t, dsn, append(args, "--load-only")...)
			if err != nil || !strings.Contains(out, "loaded: trace it with --reuse") || strings.Contains(out, "contacts=") {
				t.Fatalf("tracebench --load-only: %v\n%s\n%s", err, out, stderr)
			}
			out, stderr, err = runJaga(t, dsn, append(args, "--reuse", "--find-only")...)
			if m := regexp.MustCompile(`(\d+) statuses\ncases=\d+ find_s=[0-9.]+\n$`).FindStringSubmatch(out); err != nil || m == nil || m[1] == "0" {
				t.Fatalf("tracebench --find-only: %v\n%s\n%s", err, out, stderr)
			}
			out, stderr, err = runJaga(t, dsn, append(args, "--reuse")...)
			if err != nil {
				t.Fatalf("tracebench --reuse: %v\n%s\n%s", err, out, stderr)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			last := lines[len(lines)-1]
			m := regexp.MustCompile(`^cases=(\d+) contacts=(\d+) `).FindStringSubmatch(last)
			if m == nil {
				t.Fatalf("last line %q", last)
			}
			if n, _ := strconv.Atoi(m[2]); n == 0 {
				t.Fatalf("no contacts: %s", out)
			}
			if !strings.Contains(out, " 0 missing from jaga, 0 not in the baseline") {
				t.Fatalf("jaga and the baseline differ: %s", out)
			}
		})
	}
}
