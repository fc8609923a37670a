package jaga_test

import (
	"testing"

	"github.com/jaga-health/jaga"
)

func TestDeskMacros(t *testing.T) {
	for _, tt := range jaga.TicketTypes {
		t.Run(tt.Code, func(t *testing.T) {
			ms := jaga.MacrosFor(tt.Code)
			own := 0
			for _, m := range ms {
				if m.Type == tt.Code {
					own++
				}
				if m.NameMS == "" || m.NameEN == "" || m.Body("ms") == "" || m.Body("en") == "" || m.Body("ms") == m.Body("en") {
					t.Errorf("macro %s lacks a language", m.Code)
				}
				if m.State != "" && !jaga.TicketFinal(m.State) && jaga.CheckTransition(jaga.StateReceived, m.State, jaga.ByAgent) != nil &&
					jaga.CheckTransition(jaga.StateInReview, m.State, jaga.ByAgent) != nil {
					t.Errorf("macro %s moves to %s, which agents cannot reach", m.Code, m.State)
				}
				if got, ok := jaga.MacroByCode(tt.Code, m.Code); !ok || got.Code != m.Code {
					t.Errorf("MacroByCode(%s, %s) = %v", tt.Code, m.Code, ok)
				}
			}
			if own == 0 {
				t.Errorf("no macro of its own")
			}
		})
	}
	if _, ok := jaga.MacroByCode(jaga.TicketDataRequest, "dose_batch_needed"); ok {
		t.Error("a macro of another type is offered")
	}
}

func TestDeskFixRequestValid(t *testing.T) {
	tests := []struct {
		name  string
		req   jaga.FixRequest
		field string
	}{
		{"refresh", jaga.FixRequest{Fix: jaga.FixRefreshRecord}, ""},
		{"explain for a type", jaga.FixRequest{Fix: jaga.FixExplainStatus, Type: jaga.TicketRiskDispute}, ""},
		{"a flow of its own", jaga.FixRequest{Fix: jaga.FixUpdateContact}, "fix"},
		{"unknown fix", jaga.FixRequest{Fix: "reboot"}, "fix"},
		{"unknown type", jaga.FixRequest{Fix: jaga.FixResendCert, Type: "complaint"}, "type"},
		{"verify a certificate", jaga.FixRequest{Fix: jaga.FixVerifyOverseas, Payload: " HC1:6BFOXN "}, ""},
		{"verify nothing", jaga.FixRequest{Fix: jaga.FixVerifyOverseas, Payload: "  "}, "payload"},
		{"a certificate for another fix", jaga.FixRequest{Fix: jaga.FixResendCert, Payload: "HC1:6BFOXN"}, "payload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.req.Valid()
			if _, ok := p[tc.field]; (tc.field == "" && p != nil) || (tc.field != "" && !ok) {
				t.Errorf("problems = %v, want one on %q", p, tc.field)
			}
		})
	}
}
