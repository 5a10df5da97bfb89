#!/usr/bin/env bash
# Distributed Apex on one machine from Debian packages (no Docker): throwaway PostgreSQL and Redis, two API
# servers, N .NET workers and, with PY_WORKERS=1, the Python reference worker. Ctrl+C stops everything.
#
#   bash deploy/local/cluster.sh            # 2 API servers on 127.0.0.1:5101 and :5102, 2 workers
#   WORKERS=4 PY_WORKERS=1 bash deploy/local/cluster.sh
#
# As root it apt-installs postgresql and redis-server when missing (like .ci/run).
set -euo pipefail
cd "$(dirname "$0")/../.."
WORKERS=${WORKERS:-2}
PY_WORKERS=${PY_WORKERS:-0}
API_PORT=${API_PORT:-5101}
CONFIG=${CONFIG:-Release}

need=()
for p in postgresql redis-server; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

dotnet build src/Apex.Server -c "$CONFIG" -v q -nologo
dotnet build src/Apex.Worker -c "$CONFIG" -v q -nologo

source .ci/services.sh
pids=()
LOGS=$(mktemp -d /tmp/apex-cluster.XXXXXX)
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  svc_stop
  echo "logs kept in $LOGS"
}
trap cleanup EXIT INT TERM
svc_start
export ConnectionStrings__Postgres="$APEX_TEST_PG" ConnectionStrings__Redis="$APEX_TEST_REDIS"

for i in 1 2; do
  port=$((API_PORT + i - 1))
  dotnet "src/Apex.Server/bin/$CONFIG/net10.0/Apex.Server.dll" --urls "http://127.0.0.1:$port" \
    --Apex:Sqlite:Path="$LOGS/api-$i.db" --Apex:Distributed:ServerId="api-$i" >"$LOGS/api-$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 "$WORKERS"); do
  dotnet "src/Apex.Worker/bin/$CONFIG/net10.0/Apex.Worker.dll" --Apex:Worker:WorkerId="worker-$i" >"$LOGS/worker-$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 "$PY_WORKERS"); do
  python3 workers/python/apex_worker.py --redis "$APEX_TEST_REDIS" --worker-id "py-worker-$i" >"$LOGS/py-worker-$i.log" 2>&1 &
  pids+=($!)
done

for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$API_PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "PostgreSQL: $APEX_TEST_PG"
echo "Redis:      $APEX_TEST_REDIS"
echo "API:        http://127.0.0.1:$API_PORT and http://127.0.0.1:$((API_PORT + 1))"
echo "Workers:    $WORKERS .NET, $PY_WORKERS Python; logs in $LOGS"
echo "Ctrl+C to stop."
wait
