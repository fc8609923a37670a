#!/usr/bin/env bash
# Replays the shape of Malaysia's busiest check-in day (2021-12-04, 34,546,300
# check-ins in 48 half hours) through the HTTP path, scaled and compressed in
# time, and checks that every acknowledged check-in is stored.
#
#   SCALE=1 COMPRESS=45 bench/peakday.sh    # the full day, each half hour in 40 s
#   SCALE=0.01 COMPRESS=360 bench/peakday.sh # a hundredth of it, each half hour in 5 s
#
# Last line: checkins=N acknowledged=N stored=N wall_s=N p99_ms=N errors=N
source "$(dirname "$0")/lib.sh"
SCALE=${SCALE:-0.01} COMPRESS=${COMPRESS:-360} USERS=${USERS:-20000} PREMISES=${PREMISES:-2000} WORKERS=${WORKERS:-128}
DAY=${DAY:-2021-12-04}
"$jaga" loadgen seed --db "$db" --users "$USERS" --premises "$PREMISES" --out "$work/pop.json" 2>/dev/null
start_server
echo "engine=$engine day=$DAY scale=$SCALE compress=$COMPRESS users=$USERS premises=$PREMISES"
start=$(date +%s.%N)
out=$("$jaga" loadgen run --url "$url" --population "$work/pop.json" --target checkin --curve "$DAY" --scale "$SCALE" \
  --compress "$COMPRESS" --workers "$WORKERS" --with-dependants 0 --acked "$work/acked.txt")
end=$(date +%s.%N)
echo "replay: $out"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
acked=$(sort -u "$work/acked.txt" | wc -l)
if [ "$engine" = sqlite ]; then
  stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM checkins').fetchone()[0])" "$db")
else
  stored=$(psql -qtA "$JAGA_DB" -c "SELECT count(*) FROM $bench_schema.checkins")
fi
line=$(echo "$out" | head -n 1)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
echo "checkins=$(field requests "$line") acknowledged=$acked stored=$stored wall_s=$wall p99_ms=$(field p99_ms "$line") errors=$(field errors "$line")"
[ "$stored" -ge "$acked" ] || { echo "LOST CHECK-INS" >&2; exit 1; }
