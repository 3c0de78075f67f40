#!/usr/bin/env bash
# Convergence benchmark (ARCHITECTURE.md §5): N new ServiceTokens against a
# fresh local control plane, with the release build of the operator.
# Prints figures, never pass/fail:
#   - seconds from `kubectl apply` until all N are Active;
#   - the operator's RSS and CPU seconds with N tokens and their Secrets cached;
#   - API requests per token by method (a first mint is one Secret create,
#     one status patch and one Event);
#   - after a restart: requests made (steady state writes nothing) and RSS.
# Usage: hack/bench-convergence.sh [N]   (default 1000)
set -euo pipefail
n=${1:-1000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
operator=${OPERATOR:-$root/build/bin/servicetoken-operator}
[ -x "$operator" ] || { echo "bench: build first (make build)" >&2; exit 1; }
eval "$("$here/build-binaries.sh" env)"
kubectl=$TEST_ASSET_KUBECTL
dir=$(mktemp -d /tmp/st-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$here/control-plane.sh" down --dir "$dir/plane" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

eval "$("$here/control-plane.sh" up --dir "$dir/plane" 2>/dev/null)"
export KUBECONFIG
"$kubectl" apply -f "$root/crds/" >/dev/null
"$kubectl" wait --for=condition=Established --timeout=60s crd --all >/dev/null
"$kubectl" create namespace servicetoken-system >/dev/null
"$kubectl" create namespace bench >/dev/null
{
  printf 'apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceUser\nmetadata: {name: bench, namespace: bench}\nspec: {displayName: Bench User}\n'
  for i in $(seq -w 1 "$n"); do
    printf -- '---\napiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\nmetadata: {name: t%s, namespace: bench}\nspec: {displayName: Token %s, type: Service, serviceUserRef: {name: bench}, expiration: 90d}\n' "$i" "$i"
  done
} >"$dir/tokens.yaml"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Starts the operator in the background; sets $pid (no subshell, so this
# script stays its parent and can wait for it).
start_operator() {
  local port=$1 log=$2
  # Plain HTTP on loopback: the benchmark reads /metrics with curl, without a token.
  "$operator" --kubeconfig "$KUBECONFIG" --namespace servicetoken-system --log-level error \
    --metrics-bind-address "127.0.0.1:$port" --metrics-secure=false \
    --health-probe-bind-address 0 >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
}
# wait_metric PORT SERIES MIN SECONDS: until the series (exact name and
# labels) has a value >= MIN, or fail after SECONDS.
wait_metric() {
  local deadline=$((SECONDS + $4))
  until curl -fs "127.0.0.1:$1/metrics" 2>/dev/null |
      awk -v s="$2" -v min="$3" 'index($0, s " ") == 1 && $NF + 0 >= min { found = 1 } END { exit !found }'; do
    [ $SECONDS -lt $deadline ] || { echo "bench: timed out waiting for $2 >= $3" >&2; exit 1; }
    sleep 0.2
  done
}
report() {  # pid, port
  awk '/VmRSS/ {printf "  RSS: %.1f MiB\n", $2/1024}' "/proc/$1/status"
  awk '{printf "  CPU: %.2f s (user+system)\n", ($14+$15)/100}' "/proc/$1/stat"
  curl -fs "127.0.0.1:$2/metrics" | awk -v n="$n" '/^rest_client_requests_total/ {
    match($0, /method="[A-Z]+"/); m = substr($0, RSTART + 8, RLENGTH - 9);
    match($0, /code="[^"]+"/); c = substr($0, RSTART + 6, RLENGTH - 7);
    printf "  %-6s %s: %d (%.2f per token)\n", m, c, $NF, $NF / n }'
}

port=$(free_port)
start_operator "$port" "$dir/operator.log"
wait_metric "$port" 'controller_runtime_max_concurrent_reconciles{controller="servicetoken"}' 1 60
start=$(date +%s.%N)
"$kubectl" apply -f "$dir/tokens.yaml" >/dev/null
wait_metric "$port" 'servicetoken_mint_total{reason="Initial"}' "$n" 600
deadline=$((SECONDS + 600))
until [ "$("$kubectl" get st -n bench -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c Active || true)" = "$n" ]; do
  [ $SECONDS -lt $deadline ] || { echo "bench: not all Active in time" >&2; exit 1; }
  sleep 0.2
done
end=$(date +%s.%N)
echo "servicetoken-operator convergence, $n tokens ($(nproc) cores):"
awk -v s="$start" -v e="$end" 'BEGIN { printf "  all Active after: %.1f s\n", e - s }'
report "$pid" "$port"
kill "$pid"; wait "$pid" 2>/dev/null || true

port=$(free_port)
start_operator "$port" "$dir/operator-restart.log"
wait_metric "$port" 'controller_runtime_reconcile_total{controller="servicetoken",result="requeue_after"}' "$n" 300
echo "after a restart (every token reconciled once):"
report "$pid" "$port"
