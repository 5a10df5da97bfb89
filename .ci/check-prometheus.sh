#!/usr/bin/env bash
# Validates what deploy/ ships for monitoring: the Prometheus configuration, recording rules and alerts (promtool:
# check config, check rules, the unit tests of deploy/prometheus/tests.yml), a runbook entry in docs/operations.md for
# every alert, and the Grafana dashboards and provisioning (parsed, with structural checks; every panel's PromQL parsed
# by promtool). Without promtool (Debian 12's `prometheus` package ships /usr/bin/promtool; installed here when missing
# and running as root) the rules and alerts get parse and schema checks instead. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

PROM=deploy/prometheus
GRAFANA=deploy/grafana
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS $*"; }
ko() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check "what" command...: runs the command, its output indented
  local what=$1; shift
  local out
  if out=$("$@" 2>&1); then ok "$what"; else ko "$what"; fi
  [ -n "$out" ] && sed 's/^/    /' <<<"$out"
}

if ! command -v promtool >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "promtool missing: installing Debian's prometheus package (promtool only is used; its service is not started)"
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 || true
fi

tmp=$(mktemp -d /tmp/apex-check-prometheus.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if command -v promtool >/dev/null 2>&1; then
  echo "== promtool: $(promtool --version 2>&1 | head -n 1)"
  check "prometheus.yml is a valid configuration (with its rule files)" promtool check config "$PROM/prometheus.yml"
  check "rules.yml and alerts.yml are valid rule files" promtool check rules "$PROM/rules.yml" "$PROM/alerts.yml"
  check "alert and recording rule unit tests (tests.yml)" promtool test rules "$PROM/tests.yml"
else
  echo "== promtool not found (not root, or no apt): parse and schema checks of the rules and alerts instead"
  check "rules.yml and alerts.yml parse, and each rule has its fields" python3 - "$PROM/rules.yml" "$PROM/alerts.yml" <<'PY'
import sys
try:
    import yaml
except ImportError:
    sys.exit("neither promtool nor python3-yaml is installed: install the prometheus or python3-yaml package")
errors = []
for path in sys.argv[1:]:
    doc = yaml.safe_load(open(path))
    for group in doc.get("groups") or errors.append(f"{path}: no groups") or []:
        for rule in group.get("rules") or errors.append(f"{path}: group {group.get('name')} has no rules") or []:
            name = rule.get("record") or rule.get("alert")
            if not name or not str(rule.get("expr", "")).strip():
                errors.append(f"{path}: a rule without a name or an expr: {rule}")
            if "alert" in rule and not (rule.get("labels", {}).get("severity") and rule.get("annotations", {}).get("summary")):
                errors.append(f"{path}: alert {name} has no severity label or no summary")
            expr = str(rule.get("expr", ""))
            if expr.count("(") != expr.count(")") or expr.count("[") != expr.count("]"):
                errors.append(f"{path}: {name}: unbalanced brackets")
sys.exit("\n".join(errors) if errors else 0)
PY
fi

echo "== runbooks and Grafana"
check "every alert has a runbook in docs/operations.md" python3 - "$PROM/alerts.yml" docs/operations.md <<'PY'
import re, sys
alerts = re.findall(r"^\s*- alert:\s*(\S+)", open(sys.argv[1]).read(), re.M)
doc = open(sys.argv[2]).read() if __import__("os").path.exists(sys.argv[2]) else ""
missing = [a for a in alerts if not re.search(rf"^#+\s+{re.escape(a)}\b", doc, re.M)]
if not alerts:
    sys.exit("no alerts found")
sys.exit(f"no runbook heading for: {', '.join(missing)}" if missing else 0)
PY

check "Grafana datasource provisioning defines uid apex-prometheus" \
  grep -Eq '^\s*uid:\s*apex-prometheus\s*$' "$GRAFANA/provisioning/datasources/prometheus.yml"
check "Grafana dashboard provisioning loads /var/lib/grafana/dashboards" \
  grep -Eq '^\s*path:\s*/var/lib/grafana/dashboards\s*$' "$GRAFANA/provisioning/dashboards/apex.yml"

# Also writes the dashboards' expressions as recording rules, so that promtool can parse them as PromQL below.
check "Grafana dashboards: structure, datasource references, seed panels" python3 - "$GRAFANA/dashboards" "$tmp/dashboard-rules.yml" <<'PY'
import glob, json, os, sys
folder, rules_out = sys.argv[1], sys.argv[2]
DATASOURCE = "apex-prometheus"
SEED = {"Request Latency (P95)", "Throughput", "Error Rate", "Active Connections", "Task Queue Depth", "Worker Pool Utilization"}
REQUIRED = {"Apex Performance Overview", "Apex Tasks", "Apex Agents", "Apex Costs"}
errors, uids, titles, exprs = [], set(), set(), []
files = sorted(glob.glob(os.path.join(folder, "*.json")))
if not files:
    errors.append(f"no dashboards in {folder}")
for path in files:
    name = os.path.basename(path)
    try:
        d = json.load(open(path))
    except json.JSONDecodeError as e:
        errors.append(f"{name}: not JSON: {e}")
        continue
    for key in ("uid", "title", "panels"):
        if not d.get(key):
            errors.append(f"{name}: no {key}")
    if d.get("uid") in uids:
        errors.append(f"{name}: uid {d.get('uid')} used twice")
    uids.add(d.get("uid"))
    titles.add(d.get("title"))
    ids = set()
    for p in d.get("panels", []):
        where = f"{name}: panel {p.get('id')} '{p.get('title')}'"
        if not p.get("title") or not p.get("type") or "gridPos" not in p:
            errors.append(f"{where}: needs title, type and gridPos")
        if p.get("id") in ids:
            errors.append(f"{where}: duplicate panel id")
        ids.add(p.get("id"))
        if (p.get("datasource") or {}).get("uid") != DATASOURCE:
            errors.append(f"{where}: datasource is not the provisioned '{DATASOURCE}'")
        targets = p.get("targets") or []
        if not targets:
            errors.append(f"{where}: no targets")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs):
            errors.append(f"{where}: duplicate refIds")
        for t in targets:
            if not str(t.get("expr", "")).strip():
                errors.append(f"{where}: a target without expr")
            if (t.get("datasource") or {}).get("uid", DATASOURCE) != DATASOURCE:
                errors.append(f"{where}: a target's datasource is not '{DATASOURCE}'")
            exprs.append((f"{name} panel {p.get('id')} {t.get('refId')}", t.get("expr", "")))
    if d.get("title") == "Apex Performance Overview":
        missing = SEED - {p.get("title") for p in d.get("panels", [])}
        if missing:
            errors.append(f"{name}: the seed's panels missing: {sorted(missing)}")
for title in sorted(REQUIRED - titles):
    errors.append(f"no dashboard titled '{title}'")
with open(rules_out, "w") as f:
    f.write("groups:\n  - name: dashboards\n    rules:\n")
    for i, (where, expr) in enumerate(exprs):
        f.write(f"      - record: dashboard:expr_{i}\n        expr: {json.dumps(expr)}\n")
print(f"{len(files)} dashboards, {len(exprs)} expressions")
sys.exit("\n".join(errors) if errors else 0)
PY

if command -v promtool >/dev/null 2>&1 && [ -s "$tmp/dashboard-rules.yml" ]; then
  check "every dashboard expression is valid PromQL" promtool check rules "$tmp/dashboard-rules.yml"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
