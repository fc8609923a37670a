#!/usr/bin/env bash
# Check-in throughput over HTTP, against the machine's ceiling measured with
# the same load generator on /healthz in the same run.
#
#   bench/checkin.sh                      # SQLite, closed loop, 60 s
#   RATE=9080 bench/checkin.sh            # open loop at 9,080 check-ins a second
#   JAGA_DB=postgres://... bench/checkin.sh
#
# Environment: USERS (20000), PREMISES (2000), DURATION (60s), WORKERS (64),
# CEILING_DURATION (10s, before and after the check-ins), RATE (0: closed
# loop).
# Last line: checkins_per_s=N p99_ms=N ceiling_per_s=N ratio=N errors=N
source "$(dirname "$0")/lib.sh"
USERS=${USERS:-20000} PREMISES=${PREMISES:-2000} DURATION=${DURATION:-60s} WORKERS=${WORKERS:-64}
CEILING_DURATION=${CEILING_DURATION:-10s} RATE=${RATE:-0}

"$jaga" loadgen seed --db "$db" --users "$USERS" --premises "$PREMISES" --out "$work/pop.json" 2>/dev/null
start_server
echo "engine=$engine users=$USERS premises=$PREMISES workers=$WORKERS duration=$DURATION rate=$RATE"
# ceiling runs the generator against /healthz for CEILING_DURATION and
# prints its report with the server's CPU ticks appended.
ceiling() {
  local before report
  before=$(server_cpu_ticks)
  report=$("$jaga" loadgen run --url "$url" --target healthz --workers "$WORKERS" --duration "$CEILING_DURATION" | head -n 1)
  echo "$report cpu_ticks=$(( $(server_cpu_ticks) - before ))"
}
# The ceiling is measured before and after the check-ins and averaged, so
# that a machine whose speed drifts during the run moves both sides.
ceiling1=$(ceiling)
echo "ceiling before: $ceiling1"
cpu_before=$(server_cpu_ticks)
checkin=$("$jaga" loadgen run --url "$url" --population "$work/pop.json" --target checkin --workers "$WORKERS" \
  --duration "$DURATION" --rate "$RATE" --acked "$work/acked.txt")
cpu_ticks=$(( $(server_cpu_ticks) - cpu_before ))
echo "checkin: $checkin"
ceiling2=$(ceiling)
echo "ceiling after: $ceiling2"

# Every acknowledged check-in must be stored.
acked=$(sort -u "$work/acked.txt" | wc -l)
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
if [ "$engine" = sqlite ]; then
  stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM checkins').fetchone()[0])" "$db")
else
  stored=$(psql -qtA "$JAGA_DB" -c "SELECT count(*) FROM $bench_schema.checkins")
fi
echo "acknowledged_visits=$acked stored_visits=$stored"
if [ "$stored" != "?" ] && [ "$stored" -lt "$acked" ]; then echo "LOST CHECK-INS: $acked acknowledged, $stored stored" >&2; exit 1; fi

line=$(echo "$checkin" | head -n 1)
per_s=$(field per_s "$line"); p99=$(field p99_ms "$line"); errors=$(field errors "$line")
ceil=$(awk -v a="$(field per_s "$ceiling1")" -v b="$(field per_s "$ceiling2")" 'BEGIN { printf "%d", (a + b) / 2 }')
ratio=$(awk -v a="$per_s" -v b="$ceil" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
# The server's CPU time a request: a busy machine disturbs it less than
# the rates.
cpu_us() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }'; }
echo "server_cpu_us_per_request: healthz=$(cpu_us "$(( $(field cpu_ticks "$ceiling1") + $(field cpu_ticks "$ceiling2") ))" \
  "$(( $(field requests "$ceiling1") + $(field requests "$ceiling2") ))") checkin=$(cpu_us "$cpu_ticks" "$(field requests "$line")")"
echo "checkins_per_s=$per_s p99_ms=$p99 ceiling_per_s=$ceil ratio=$ratio errors=$errors"
