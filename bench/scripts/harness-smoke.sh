#!/usr/bin/env bash
# CI smoke of the load harness (issue 8): every embedded scenario of `Apex.Bench load` at tiny counts against a server it
# starts itself on loopback (SQLite), in well under a minute. Fails (non-zero) if the harness breaks: a scenario that
# cannot run, a request scenario with no success, tasks that do not all finish, a Markdown table or JSON file missing.
# It proves the harness works; its figures are not measurements (one second per phase on a busy CI box).
#
#   bash bench/scripts/harness-smoke.sh                # builds bench/Apex.Bench and src/Apex.Server (Release) first
#   SKIP_BUILD=1 bash bench/scripts/harness-smoke.sh   # after `dotnet build Apex.slnx -c Release` (as .ci/run does)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
if [ -z "${SKIP_BUILD:-}" ]; then
  dotnet build src/Apex.Server -c Release -v q -nologo -p:ApexSkipDashboard=true >/dev/null
  dotnet build bench/Apex.Bench -c Release -v q -nologo >/dev/null
fi
OUT=$(mktemp -d /tmp/apex-harness-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
cd "$OUT"
rc=0
timeout 100 dotnet "$ROOT/bench/Apex.Bench/bin/Release/net10.0/Apex.Bench.dll" load all --mode embedded \
  --duration 1 --warmup 0.5 --rate 50 --stress-rates 50,100 --flow-rates 50 --tasks 200 --sleep-tasks 16 --concurrency 16 \
  --agents 100 --agent-latency-ms 500 --agents-duration 3 --ws-clients 5 --ws-rate 5 --run-timeout 90 --json smoke.json >smoke.md 2>smoke.err || rc=$?
cat smoke.md
if [ "$rc" -ne 0 ]; then
  echo "harness-smoke: Apex.Bench load exited $rc"; cat smoke.err; exit 1
fi
for heading in "### Baseline Performance" "### Stress Test Results" "### DAG execution and edge overhead" \
  "### Fixed-rate submission" "### End-to-end throughput" "### Concurrent agents" "### Concurrent agents, sustained" "### WebSocket event delivery"; do
  grep -qF "$heading" smoke.md || { echo "harness-smoke: '$heading' missing from the report"; exit 1; }
done
for row in "| Health Check |" "| Create Task |" "| Get Task |" "| List Tasks |" "| WebSocket Connection |" \
  "| DAG Execution (3 tasks) |" "| DAG Execution (10 tasks) |" "| Throughput |" "| DB Connections |"; do
  grep -qF "$row" smoke.md || { echo "harness-smoke: row '$row' missing from the report"; exit 1; }
done
python3 -c 'import json,sys; d=json.load(open("smoke.json")); sys.exit(0 if d["baseline"] and d["stress"] and d["submit_flows"] and d["throughput"] and d["agents"] and d["sustained_agents"] else 1)' \
  || { echo "harness-smoke: smoke.json incomplete"; exit 1; }
echo "harness-smoke: ok"
