# Shared by the bench scripts: build jaga, make a fresh database, start and
# stop a server. Source it; it sets $work, $jaga, $db and $url.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "${bench_schema:-}" ]; then psql -q "$JAGA_DB" -c "DROP SCHEMA $bench_schema CASCADE" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/jaga" ./cmd/jaga
jaga="$work/jaga"

# A fresh database: a new SQLite file, or a new schema in JAGA_DB's PostgreSQL.
if [ -n "${JAGA_DB:-}" ]; then
  bench_schema="bench_$$_$(date +%s)"
  psql -q "$JAGA_DB" -c "CREATE SCHEMA $bench_schema" >/dev/null
  case "$JAGA_DB" in *\?*) db="$JAGA_DB&search_path=$bench_schema" ;; *) db="$JAGA_DB?search_path=$bench_schema" ;; esac
  engine=postgres
else
  db="$work/bench.db"
  engine=sqlite
fi
"$jaga" migrate --db "$db" >/dev/null

# start_server starts jaga serve on a free port and sets $url.
start_server() {
  "$jaga" serve --db "$db" --addr 127.0.0.1:0 --log-level warn --checkpoint-every 1m >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  for _ in $(seq 1 100); do
    url=$(sed -n 's/^jaga listening on \(http:[^ ]*\).*/\1/p' "$work/serve.out" | head -n 1)
    [ -n "$url" ] && curl -sf "$url/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "jaga serve did not start:" >&2; cat "$work/serve.err" >&2; exit 1
}

# field NAME LINE prints the value of NAME=value in LINE.
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# server_cpu_ticks prints the CPU time the server has used, in clock ticks.
server_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
