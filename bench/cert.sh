#!/usr/bin/env bash
# Certificate throughput, as Go benchmarks:
#   - verify of a full HC1 payload against bare ECDSA P-256 verification,
#     and issue against bare ECDSA P-256 signing, interleaved in one run
#     (cert: BenchmarkThroughputRatio);
#   - the re-issue job after a key rotation over REISSUE certificates
#     (default 1,000,000) on a SQLite file (sqlstore: BenchmarkReissue).
#
#   bench/cert.sh                  # both
#   REISSUE=0 bench/cert.sh        # throughput only
#   BENCHTIME=10s bench/cert.sh    # longer throughput run (default 3s)
#
# Last line: verify_per_s=N verify_ratio=N issue_per_s=N issue_ratio=N
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
REISSUE=${REISSUE:-1000000} BENCHTIME=${BENCHTIME:-3s}

# metric NAME LINE prints the value reported for the unit NAME in a
# benchmark's result line.
metric() { echo "$2" | awk -v name="$1" '{ for (i = 2; i <= NF; i++) if ($i == name) { print $(i-1); exit } }'; }

if [ "$REISSUE" -gt 0 ]; then
  echo "re-issue: $REISSUE certificates after a key rotation (SQLite)"
  out=$(JAGA_BENCH_REISSUE=$REISSUE go test -run '^$' -bench '^BenchmarkReissue$' -benchtime 1x -timeout 120m ./sqlstore)
  echo "$out" | grep -E '^(Benchmark|    )' || true
  line=$(echo "$out" | grep '^BenchmarkReissue')
  echo "reissued=$(metric certificates "$line") seconds=$(metric s_per_run "$line") reissued_per_s=$(metric reissued_per_s "$line")"
fi

out=$(go test -run '^$' -bench '^BenchmarkThroughputRatio$' -benchtime "$BENCHTIME" ./cert)
line=$(echo "$out" | grep '^BenchmarkThroughputRatio')
echo "$line"
echo "verify_per_s=$(metric verify_per_s "$line") verify_ratio=$(metric verify_ratio "$line") issue_per_s=$(metric issue_per_s "$line") issue_ratio=$(metric issue_ratio "$line")"
