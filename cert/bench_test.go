package cert

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"sort"
	"testing"
	"time"
)

// The throughput target: verifying a whole HC1 payload runs at no less
// than 0.8 of bare ECDSA P-256 verification, and issuing at no less than
// 0.8 of bare signing, measured in the same process.

func BenchmarkVerifyHC1(b *testing.B) {
	s, _ := issueTest(b)
	opts := VerifyOptions{Trust: getPKI(b).trust, At: testNow}
	b.ReportAllocs()
	for b.Loop() {
		if r := Verify(s, opts); !r.Valid {
			b.Fatal(r.Reason)
		}
	}
}

func BenchmarkECDSAVerify(b *testing.B) {
	key := getPKI(b).dsc.Key
	digest := sha256.Sum256([]byte("jaga"))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &key.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkIssueHC1(b *testing.B) {
	p := getPKI(b)
	d := testDCC("URN:UVCI:01:MY:ABCDEFGHJKLMNPQRSTUVWXYZ23#H")
	iat, exp := testNow, testNow.AddDate(1, 0, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.issuer.Issue(d, iat, exp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkECDSASign(b *testing.B) {
	key := getPKI(b).dsc.Key
	digest := sha256.Sum256([]byte("jaga"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ecdsa.SignASN1(rand.Reader, key, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThroughputRatio runs, in each iteration, one full HC1 verify,
// one bare ECDSA P-256 verify, one issue and one bare ECDSA sign, timing
// each, and reports verify_per_s and issue_per_s with verify_ratio (full
// verify / bare verify, in operations per second) and issue_ratio (issue /
// bare sign). Interleaving them measures both sides under the same load.
// The ratios are the median of the ratios of rounds of ratioRound
// iterations, so that a round in which the machine's other work or a
// garbage collection stole the processor does not decide them; the rates
// are over the whole run. (testing.Benchmark cannot be called from inside
// a benchmark: it would wait on the lock that the running benchmark holds.)
func BenchmarkThroughputRatio(b *testing.B) {
	p := getPKI(b)
	s, _ := issueTest(b)
	opts := VerifyOptions{Trust: p.trust, At: testNow}
	key := p.dsc.Key
	digest := sha256.Sum256([]byte("jaga"))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	d := testDCC("URN:UVCI:01:MY:ABCDEFGHJKLMNPQRSTUVWXYZ23#H")
	iat, exp := testNow, testNow.AddDate(1, 0, 0)
	const ratioRound = 25
	var full, bare, issue, sign time.Duration     // the whole run
	var rFull, rBare, rIssue, rSign time.Duration // the current round
	var verifyRatios, issueRatios []float64       // one a round
	n := 0
	for b.Loop() {
		t0 := time.Now()
		if r := Verify(s, opts); !r.Valid {
			b.Fatal(r.Reason)
		}
		t1 := time.Now()
		if !ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) {
			b.Fatal("verify failed")
		}
		t2 := time.Now()
		if _, err := p.issuer.Issue(d, iat, exp); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		if _, err := ecdsa.SignASN1(rand.Reader, key, digest[:]); err != nil {
			b.Fatal(err)
		}
		t4 := time.Now()
		rFull += t1.Sub(t0)
		rBare += t2.Sub(t1)
		rIssue += t3.Sub(t2)
		rSign += t4.Sub(t3)
		n++
		if n%ratioRound == 0 {
			verifyRatios = append(verifyRatios, rBare.Seconds()/rFull.Seconds())
			issueRatios = append(issueRatios, rSign.Seconds()/rIssue.Seconds())
			full, bare, issue, sign = full+rFull, bare+rBare, issue+rIssue, sign+rSign
			rFull, rBare, rIssue, rSign = 0, 0, 0, 0
		}
	}
	full, bare, issue, sign = full+rFull, bare+rBare, issue+rIssue, sign+rSign
	if len(verifyRatios) == 0 { // fewer iterations than a round
		verifyRatios = append(verifyRatios, bare.Seconds()/full.Seconds())
		issueRatios = append(issueRatios, sign.Seconds()/issue.Seconds())
	}
	b.ReportMetric(float64(n)/full.Seconds(), "verify_per_s")
	b.ReportMetric(median(verifyRatios), "verify_ratio")
	b.ReportMetric(float64(n)/issue.Seconds(), "issue_per_s")
	b.ReportMetric(median(issueRatios), "issue_ratio")
}

// median returns the median of xs, which it sorts.
func median(xs []float64) float64 {
	sort.Float64s(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}
