#!/usr/bin/env bash
# Contact tracing of the worst day against one plain SQL query on the same
# data and engine. Builds a synthetic population and DAYS days of check-ins
# shaped by Malaysia's published half-hourly curves, loaded straight into
# the tables (jaga tracebench), confirms the peak day's cases at the real
# peak ratio of cases to check-ins, traces them with jaga's batch path
# (TraceDay), runs the baseline query, and checks that both find the same
# (person, case) pairs.
#
#   bench/trace.sh 0.01                  # SQLite, a hundredth of the peak
#   SCALE=1 bench/trace.sh               # 34.5M check-ins a day, 33,406 cases
#   JAGA_DB=postgres://... bench/trace.sh 0.01
#
# Argument or environment: SCALE (0.001; 1 is the peak day). Environment:
# DAYS (14), SAMPLE (200 cases traced again one by one), SEED (1).
# Before the last line: find_s (jaga's reading half alone), record_s (the
# recording half of the timed trace: what was found, in force from then on),
# the longest record transaction, and apply_s (writing it out after:
# histories, door statuses, messages).
# Last line: cases=N contacts=N trace_s=N baseline_s=N speedup=N p99_case_ms=N
SCALE=${1:-${SCALE:-0.001}}
source "$(dirname "$0")/lib.sh"
DAYS=${DAYS:-14} SAMPLE=${SAMPLE:-200} SEED=${SEED:-1}
echo "engine=$engine scale=$SCALE days=$DAYS cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
"$jaga" tracebench --db "$db" --scale "$SCALE" --days "$DAYS" --sample "$SAMPLE" --seed "$SEED" --log-level warn 2>"$work/tracebench.err" |
  tee "$work/tracebench.out" || { cat "$work/tracebench.err" >&2; exit 1; }
if [ "$engine" = sqlite ]; then
  echo "database_bytes=$(du -b "$db" | cut -f1) checkins=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM checkins').fetchone()[0])" "$db")"
else
  echo "database_bytes=$(psql -qtA "$JAGA_DB" -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$bench_schema' AND c.relkind IN ('r', 'm')")"
fi
grep '^find_s=' "$work/tracebench.out"
tail -n 1 "$work/tracebench.out"
