#!/usr/bin/env bash
# PostgreSQL's share of a task, measured without Apex: pgbench replays the SQL a task needs (set-based, in batches,
# like the group commits of Apex.Postgres) on Apex's own schema, on a throwaway PostgreSQL with
# synchronous_commit=on. It prints, per variant, tasks/s with PostgreSQL alone on the box and PostgreSQL's CPU per
# task (box CPU minus pgbench's own). See docs/performance.md, "What bounds the distributed pipeline".
#
#   bash bench/scripts/pg_floor.sh                       # every variant in pg_floor/, 40,000 tasks each after a warm-up
#   TASKS=100000 BATCH=1000 bash bench/scripts/pg_floor.sh design
#
# Settings (environment): TASKS (per variant), BATCH (tasks per group commit, 500), CLIENTS (2),
# APEX_PG_PORT / APEX_REDIS_PORT (first ports tried).
set -euo pipefail
cd "$(dirname "$0")/../.."
TASKS=${TASKS:-40000}
BATCH=${BATCH:-500}
CLIENTS=${CLIENTS:-2}
VARIANTS=("$@")
[ ${#VARIANTS[@]} -gt 0 ] || VARIANTS=(design no_events two_versions bare)

for bin in postgresql redis-server; do
  dpkg -s "$bin" >/dev/null 2>&1 || apt-get install -y -q "$bin" >/dev/null
done
dotnet build src/Apex.Server -c Release -v q -nologo >/dev/null

# shellcheck source=../../.ci/services.sh
source .ci/services.sh
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; svc_stop; }
trap cleanup EXIT
svc_start
PSQL=("$PGBIN/psql" -q -X -h 127.0.0.1 -p "$PG_PORT" -U postgres)

busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }

for variant in "${VARIANTS[@]}"; do
  db="floor_$variant"
  "${PSQL[@]}" -c "CREATE DATABASE $db" >/dev/null
  # Apex's own migrations: start a server on the database until it is ready.
  port=$(free_port 5293)
  ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=$db" \
    ConnectionStrings__Redis="$APEX_TEST_REDIS" Logging__LogLevel__Default=Warning \
    dotnet src/Apex.Server/bin/Release/net10.0/Apex.Server.dll --urls "http://127.0.0.1:$port" >/dev/null 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
  script="bench/scripts/pg_floor/$variant.sql"
  setup="bench/scripts/pg_floor/$variant.setup.sql"
  [ -f "$setup" ] && "${PSQL[@]}" -d "$db" -f "$setup" >/dev/null
  cycles=$(( TASKS / BATCH / CLIENTS ))
  bench=("$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "$CLIENTS" -j "$CLIENTS" -D "b=$BATCH" -f "$script" "$db")
  "${bench[@]}" -t "$(( cycles / 4 + 1 ))" >/dev/null           # warm-up: caches, statistics
  "${PSQL[@]}" -d "$db" -c "VACUUM ANALYZE" >/dev/null
  before=$(busy_ticks)
  start=$(date +%s.%N)
  bench_cpu=$( { TIMEFORMAT='%U %S'; time "${bench[@]}" -t "$cycles" >/dev/null; } 2>&1 )
  end=$(date +%s.%N)
  after=$(busy_ticks)
  tasks=$(( cycles * BATCH * CLIENTS ))
  awk -v v="$variant" -v n="$tasks" -v s="$start" -v e="$end" -v b="$before" -v a="$after" -v c="$bench_cpu" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN {
      split(c, p, " "); wall = e - s; cpu = (a - b) / hz - p[1] - p[2];
      printf "%-13s %7d tasks  %6.2f s  %8.0f tasks/s  PostgreSQL %5.1f µs CPU/task  (pgbench %.2f s CPU)\n",
        v, n, wall, n / wall, cpu / n * 1e6, p[1] + p[2] }'
done
