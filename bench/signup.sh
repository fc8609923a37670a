#!/usr/bin/env bash
# A sign-up burst at the rate that broke the national app in June 2020:
# 700,000 people in one minute, about 11,700 a second. Each sign-up asks
# for a one-time code; the code goes to the outbox, drained by jobs.
#
#   bench/signup.sh                 # SQLite, 11,700 a second for 30 s
#   RATE=0 bench/signup.sh          # closed loop: as fast as it answers
#   JAGA_DB=postgres://... bench/signup.sh
#
# Last line: signups_per_s=N p99_ms=N errors=N
source "$(dirname "$0")/lib.sh"
RATE=${RATE:-11700} DURATION=${DURATION:-30s} WORKERS=${WORKERS:-256}
start_server
echo "engine=$engine rate=$RATE duration=$DURATION workers=$WORKERS"
out=$("$jaga" loadgen run --url "$url" --target signup --rate "$RATE" --workers "$WORKERS" --duration "$DURATION")
echo "signup: $out"
line=$(echo "$out" | head -n 1)
echo "signups_per_s=$(field per_s "$line") p99_ms=$(field p99_ms "$line") errors=$(field errors "$line")"
