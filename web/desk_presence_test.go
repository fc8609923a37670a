package web

import (
	"testing"
	"time"
)

func TestDeskPresence(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		steps func(p *deskPresence)
		at    time.Duration // when "me" looks
		want  []presenceEntry
	}{
		{"alone", func(p *deskPresence) {}, 0, nil},
		{"a colleague viewing", func(p *deskPresence) { p.mark("t1", "b", "Bee", false, t0) }, 30 * time.Second,
			[]presenceEntry{{Name: "Bee"}}},
		{"a colleague replying", func(p *deskPresence) { p.mark("t1", "b", "Bee", true, t0) }, 59 * time.Second,
			[]presenceEntry{{Name: "Bee", Replying: true}}},
		{"still replying when they look again", func(p *deskPresence) {
			p.mark("t1", "b", "Bee", true, t0)
			p.mark("t1", "b", "Bee", false, t0.Add(10*time.Second))
		}, 20 * time.Second, []presenceEntry{{Name: "Bee", Replying: true}}},
		{"done replying", func(p *deskPresence) {
			p.mark("t1", "b", "Bee", true, t0)
			p.done("t1", "b")
		}, 20 * time.Second, []presenceEntry{{Name: "Bee"}}},
		{"expired after a minute", func(p *deskPresence) { p.mark("t1", "b", "Bee", true, t0) }, 61 * time.Second, nil},
		{"another ticket", func(p *deskPresence) { p.mark("t2", "b", "Bee", false, t0) }, 0, nil},
		{"oneself is not another", func(p *deskPresence) { p.mark("t1", "me", "Me", false, t0) }, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p deskPresence
			tc.steps(&p)
			now := t0.Add(tc.at)
			got := p.others("t1", "me", now)
			if len(got) != len(tc.want) {
				t.Fatalf("others = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i].Name != tc.want[i].Name || got[i].Replying != tc.want[i].Replying {
					t.Errorf("others[%d] = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}
