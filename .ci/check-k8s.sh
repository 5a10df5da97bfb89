#!/usr/bin/env bash
# Checks deploy/ without a cluster or a Docker engine: the Kubernetes manifests (every kustomization rendered, each
# object validated against the Kubernetes, KEDA and VPA schemas, strictly, plus cross-references), the compose file's
# structure and a lint of the Dockerfiles. What each check does: deploy/k8s/validate/validate.mjs.
# Prints one line per check and a final "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
  echo "Node.js >= 20.19 with npm is required (found: $(node --version 2>/dev/null || echo none))"
  echo "0 passed, 1 failed"
  exit 1
fi

# The validator's schemas and YAML parser, pinned by deploy/k8s/validate/package-lock.json.
(cd deploy/k8s/validate && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# Render with the real kustomize (kubectl's) where it exists; elsewhere validate.mjs renders the subset this layout uses
# (resources, namespace, images) itself, and says so. APEX_KUSTOMIZE=local forces that fallback.
args=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "${APEX_KUSTOMIZE:-}" != local ] && command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  for dir in deploy/k8s/base deploy/k8s/overlays/*/; do
    dir=${dir%/}
    [ -f "$dir/kustomization.yaml" ] || continue
    out="$tmp/$(echo "$dir" | tr '/' '_').yaml"
    if kubectl kustomize "$dir" >"$out" 2>"$out.err"; then
      args+=(--rendered "$root/$dir=$out")
    else
      echo "FAIL kubectl kustomize $dir"; sed 's/^/       /' "$out.err"
      echo "0 passed, 1 failed"
      exit 1
    fi
  done
  echo "rendering with $(kubectl version --client 2>/dev/null | grep -i kustomize || echo 'kubectl kustomize')"
else
  echo "kubectl kustomize not used (not installed, or APEX_KUSTOMIZE=local): kustomizations rendered by validate.mjs (resources, namespace, images)"
fi

node deploy/k8s/validate/validate.mjs "$root" "${args[@]}"
