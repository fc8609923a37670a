package sqlstore

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// pendingFixture is a batch of two cases: two check-in statuses at one
// premises and a household status.
func pendingFixture() *pendingBatch {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	from := now.Add(-20 * time.Hour)
	cases := []*caseRec{{id: "case-a", personID: "person-a", traceRef: "ref-a"}, {id: "case-b", personID: "person-b", traceRef: "ref-b"}}
	given := []givenStatus{
		{caseID: "case-a", personSeq: 11, st: jaga.RiskStatus{Status: jaga.RiskCasual, Rule: jaga.RuleCheckIn, CaseRef: "ref-a",
			PremisesID: "prem-1", PremisesName: "Restoran Sri Mawar", Exposure: &jaga.Interval{From: from, To: from.Add(40 * time.Minute)},
			StartsAt: now, EndsAt: from.Add(40*time.Minute + 10*24*time.Hour)}},
		{caseID: "case-b", personSeq: 12, st: jaga.RiskStatus{Status: jaga.RiskCasual, Rule: jaga.RuleCheckIn, CaseRef: "ref-b",
			PremisesID: "prem-1", PremisesName: "Restoran Sri Mawar", Exposure: &jaga.Interval{From: from.Add(time.Hour), To: from.Add(2 * time.Hour)},
			StartsAt: now, EndsAt: from.Add(2*time.Hour + 10*24*time.Hour)}},
		{caseID: "case-b", personSeq: 1 << 40, st: jaga.RiskStatus{Status: jaga.RiskClose, Rule: jaga.RuleHousehold, CaseRef: "ref-b",
			Link: jaga.LinkSameAddress, StartsAt: now, EndsAt: now.Add(10 * 24 * time.Hour)}},
	}
	return newPendingBatch(cases, given, now, jaga.DefaultRiskRules())
}

func TestPendingBodyRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		batch func() *pendingBatch
	}{
		{"statuses of two cases", pendingFixture},
		{"a batch with no statuses", func() *pendingBatch {
			b := pendingFixture()
			b.given = nil
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.batch()
			body, err := b.encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodePending(body, jaga.DefaultRiskRules())
			if err != nil {
				t.Fatal(err)
			}
			if len(b.given) == 0 {
				b.given = []givenStatus{}
			}
			if !reflect.DeepEqual(got, b) {
				t.Fatalf("decoded %+v\nwant %+v", got, b)
			}
			if len(b.given) > 0 && (b.given[0].st.ID >= b.given[1].st.ID || b.given[0].st.ID[:24] != b.id[:24] || b.given[2].st.Precedence != 3) {
				t.Fatalf("ids %q, %q; precedence %d", b.given[0].st.ID, b.given[1].st.ID, b.given[2].st.Precedence)
			}
		})
	}
}

func TestPendingBodyRefuses(t *testing.T) {
	good, err := pendingFixture().encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(b *pendingBatch)
	}{
		{"a declared status", func(b *pendingBatch) { b.given[2].st.Rule, b.given[2].st.DeclaredBy = jaga.RuleDeclared, "KKM" }},
		{"an unknown status", func(b *pendingBatch) { b.given[0].st.Status = "purple" }},
		{"a status of no one's number", func(b *pendingBatch) { b.given[1].personSeq = 0 }},
		{"a status of a case outside the batch", func(b *pendingBatch) { b.given[0].caseID = "case-z" }},
		{"statuses that start apart", func(b *pendingBatch) { b.given[1].st.StartsAt = b.given[1].st.StartsAt.Add(time.Second) }},
		{"a check-in status with no exposure", func(b *pendingBatch) { b.given[0].st.Exposure = nil }},
		{"an id not the batch's", func(b *pendingBatch) { b.given[1].st.ID = b.given[0].st.ID }},
	} {
		t.Run("encode: "+tc.name, func(t *testing.T) {
			b := pendingFixture()
			tc.change(b)
			if _, err := b.encode(); err == nil {
				t.Fatal("encoded")
			}
		})
	}
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"another format", append([]byte("jtp1"), good[4:]...)},
		{"cut short", good[:len(good)-1]},
		{"a byte too many", append(append([]byte{}, good...), 0)},
		{"a huge count", append([]byte(pendingMagic), 0xff, 0xff, 0xff, 0xff, 0x0f)},
	} {
		t.Run("decode: "+tc.name, func(t *testing.T) {
			if _, err := decodePending(tc.body, jaga.DefaultRiskRules()); !errors.Is(err, errPendingBody) {
				t.Fatalf("decodePending = %v, want %v", err, errPendingBody)
			}
		})
	}
}

// FuzzDecodePending checks that any body either decodes to a batch that
// encodes back to the same body, or is refused; never a panic.
func FuzzDecodePending(f *testing.F) {
	good, err := pendingFixture().encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(pendingMagic))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := decodePending(body, jaga.DefaultRiskRules())
		if err != nil {
			return
		}
		again, err := b.encode()
		if err != nil {
			return // e.g. a check-in status a body gave no premises
		}
		b2, err := decodePending(again, jaga.DefaultRiskRules())
		if err != nil || !reflect.DeepEqual(b, b2) {
			t.Fatalf("a decoded body does not survive encoding: %v", err)
		}
	})
}

func TestStatusID(t *testing.T) {
	for _, tc := range []struct {
		i    int
		want string
	}{
		{0, "0123456789abcdef0123456700000000"},
		{0x1f, "0123456789abcdef012345670000001f"},
		{0xffffffff, "0123456789abcdef01234567ffffffff"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := statusID("0123456789abcdef01234567", tc.i); got != tc.want {
				t.Fatalf("statusID = %q", got)
			}
		})
	}
}
