#!/usr/bin/env bash
# Distributed end-to-end throughput on one machine: a throwaway PostgreSQL (synchronous_commit=on) and Redis, one
# Apex.Server in distributed mode, one Apex.Worker, a zero-latency Simulated agent, and the load client
# (`Apex.Bench distributed`), all on loopback. Runs the per-request and the batch mode, then stops everything.
#
#   bash bench/scripts/distributed.sh                 # both modes, 50,000 tasks each after 50,000 warm-up (the JIT is still busy after 10,000)
#   TASKS=20000 WARMUP=5000 MODES=batch bash bench/scripts/distributed.sh
#
# Settings (environment): TASKS, WARMUP, MODES ("request batch"), CLIENTS (per-request clients, 128),
# BATCH_CLIENTS (8), WORKER_CONCURRENCY (256), APEX_PG_PORT / APEX_REDIS_PORT (first ports tried).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
TASKS=${TASKS:-50000}
WARMUP=${WARMUP:-50000}
MODES=${MODES:-"request batch"}
CLIENTS=${CLIENTS:-128}
BATCH_CLIENTS=${BATCH_CLIENTS:-8}
WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-256}

for bin in postgresql redis-server; do
  if ! dpkg -s "$bin" >/dev/null 2>&1; then
    apt-get install -y -q "$bin" >/dev/null
  fi
done

dotnet build src/Apex.Server -c Release -v q -nologo >/dev/null
dotnet build src/Apex.Worker -c Release -v q -nologo >/dev/null
dotnet build bench/Apex.Bench -c Release -v q -nologo >/dev/null

# shellcheck source=../../.ci/services.sh
source .ci/services.sh
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break; sleep 0.1; done
  done
  svc_stop
}
trap cleanup EXIT
svc_start
"$PGBIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE apex_bench" >/dev/null
PG="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=apex_bench"
SERVER_PORT=$(free_port 5193)
LOGS="$SVC_DIR/logs"
mkdir -p "$LOGS"

export ConnectionStrings__Postgres="$PG" ConnectionStrings__Redis="$APEX_TEST_REDIS"
export Apex__Simulated__LatencyMs=0 Logging__LogLevel__Default=Warning
dotnet src/Apex.Server/bin/Release/net10.0/Apex.Server.dll --urls "http://127.0.0.1:$SERVER_PORT" >"$LOGS/server.log" 2>&1 &
PIDS+=($!)
Apex__Worker__Concurrency=$WORKER_CONCURRENCY dotnet src/Apex.Worker/bin/Release/net10.0/Apex.Worker.dll >"$LOGS/worker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$SERVER_PORT/health/ready" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$SERVER_PORT/health/ready" >/dev/null || { cat "$LOGS/server.log"; exit 1; }

# CPU seconds (user + system, from /proc) each part of the pipeline spent, for the per-task profile.
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_snapshot() {
  local pg=0 pid
  for pid in $(pgrep -f "postgres: postgres apex_bench" || true); do pg=$((pg + $(cpu_of "$pid"))); done
  echo "$(cpu_of "${PIDS[0]}") $(cpu_of "${PIDS[1]}") $(cpu_of "$(cat "$SVC_DIR/redis/redis.pid")") $pg"
}
TICK=$(getconf CLK_TCK)

status=0
for mode in $MODES; do
  clients=$CLIENTS
  [ "$mode" = batch ] && clients=$BATCH_CLIENTS
  echo
  bench() { dotnet bench/Apex.Bench/bin/Release/net10.0/Apex.Bench.dll distributed --url "http://127.0.0.1:$SERVER_PORT" --pg "$PG" \
    --mode "$mode" --clients "$clients" --warmup 0 --tasks "$1"; }
  # Warm-up in a run of its own, so the CPU figures below are the steady state's.
  if [ "$WARMUP" -gt 0 ]; then bench "$WARMUP" >/dev/null || status=1; fi
  read -r s0 w0 r0 p0 <<<"$(cpu_snapshot)"
  bench "$TASKS" | sed "s/(after 0 warm-up)/(after $WARMUP warm-up)/" || status=1
  read -r s1 w1 r1 p1 <<<"$(cpu_snapshot)"
  per=$((TASKS * TICK))
  echo "| CPU per task: server / worker / Redis / PostgreSQL | $(( (s1 - s0) * 1000000 / per )) / $(( (w1 - w0) * 1000000 / per )) / $(( (r1 - r0) * 1000000 / per )) / $(( (p1 - p0) * 1000000 / per )) µs |"
done
if grep -q "re-queued\|fail" "$LOGS/server.log"; then
  echo; echo "Server log warnings:"; grep -i "re-queued\|fail" "$LOGS/server.log" | sort | uniq -c | head -20
fi
exit $status
