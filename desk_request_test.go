package jaga_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/jaga-health/jaga"
)

func TestDeskChangeRequestValid(t *testing.T) {
	const why = "the centre confirms the dose"
	tests := []struct {
		name       string
		req        jaga.ChangeRequest
		field      string
		categories []string
	}{
		{"refresh", jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Reason: why}, "", []string{jaga.CategoryVaccination}},
		{"a name", jaga.ChangeRequest{Kind: jaga.ChangeCorrection, Field: " FULL_NAME ", NewValue: "Tan  Wei Meng", Reason: why}, "",
			[]string{jaga.CategoryIdentity}},
		{"a dose's batch", jaga.ChangeRequest{Kind: jaga.ChangeCorrection, Field: jaga.CorrectDoseBatch, DoseID: "d1", NewValue: "AB12", Reason: why}, "",
			[]string{jaga.CategoryVaccination}},
		{"unknown kind", jaga.ChangeRequest{Kind: "delete", Reason: why}, "kind", nil},
		{"a refresh with a field", jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Field: jaga.CorrectFullName, Reason: why}, "field", nil},
		{"no field", jaga.ChangeRequest{Kind: jaga.ChangeCorrection, NewValue: "x", Reason: why}, "field", nil},
		{"a contact is no record field", jaga.ChangeRequest{Kind: jaga.ChangeCorrection, Field: "phone", NewValue: "x", Reason: why}, "field", nil},
		{"a dose's field without the dose", jaga.ChangeRequest{Kind: jaga.ChangeCorrection, Field: jaga.CorrectDoseBatch, NewValue: "AB12", Reason: why}, "doseId", nil},
		{"a dose for a name", jaga.ChangeRequest{Kind: jaga.ChangeCorrection, Field: jaga.CorrectFullName, DoseID: "d1", NewValue: "Tan", Reason: why}, "doseId", nil},
		{"no value", jaga.ChangeRequest{Kind: jaga.ChangeCorrection, Field: jaga.CorrectFullName, Reason: why}, "newValue", nil},
		{"a short reason", jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Reason: " too short "}, "reason", nil},
		{"a long reason", jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Reason: strings.Repeat("a", 501)}, "reason", nil},
		{"a reason with control characters", jaga.ChangeRequest{Kind: jaga.ChangeRefresh, Reason: why + "\x00"}, "reason", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.req.Valid()
			if _, ok := p[tc.field]; (tc.field == "" && p != nil) || (tc.field != "" && !ok) {
				t.Fatalf("problems = %v, want one on %q", p, tc.field)
			}
			if tc.categories != nil && !slices.Equal(tc.req.Categories(), tc.categories) {
				t.Errorf("categories = %v, want %v", tc.req.Categories(), tc.categories)
			}
		})
	}
}

func TestCanDecideChanges(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    *jaga.Actor
		want bool
	}{
		{"ministry supervisor", &jaga.Actor{Kind: jaga.ActorStaff, OrgKind: jaga.OrgMinistry, Role: jaga.RoleSupervisor}, true},
		{"ministry health officer", &jaga.Actor{Kind: jaga.ActorStaff, OrgKind: jaga.OrgMinistry, Role: jaga.RoleHealthOfficer}, true},
		{"ministry support agent", &jaga.Actor{Kind: jaga.ActorStaff, OrgKind: jaga.OrgMinistry, Role: jaga.RoleSupportAgent}, false},
		{"contractor supervisor", &jaga.Actor{Kind: jaga.ActorStaff, OrgKind: jaga.OrgContractor, Role: jaga.RoleSupervisor}, false},
		{"citizen", &jaga.Actor{Kind: jaga.ActorCitizen}, false},
		{"anonymous", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := jaga.CanDecideChanges(tc.a); got != tc.want {
				t.Errorf("CanDecideChanges = %v, want %v", got, tc.want)
			}
		})
	}
}
