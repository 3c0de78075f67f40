#!/usr/bin/env bash
# Verifier benchmark (issue 13): servicetoken-verifier with N ServiceTokens
# watched (default 10000, minted by the real operator on a fresh local control
# plane), loaded with wrk against /v1/authorize over keep-alive connections.
# Prints figures, never pass/fail:
#   - RSS of the verifier with N tokens watched (after sync, and after load);
#   - decisions/s and latency percentiles for known tokens (verified-token
#     cache warm), `wrk -t2 -c64`;
#   - the same with the cache disabled (every request verifies the Ed25519
#     signature: the first-seen cost);
#   - latency at a paced rate near 20,000/s (wrk's Lua delay(); wrk cannot
#     hold an exact rate, so the achieved rate is printed with it);
#   - for scale: a static GET on the verifier's Beast server and on
#     cpprestsdk's listener (the operator's /healthz), same wrk settings.
# wrk shares the machine's CPUs with the verifier, as in the figures it is
# compared with. Usage: hack/bench-verifier.sh [N]
set -euo pipefail
n=${1:-10000}
duration=${BENCH_DURATION:-10s}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${BIN_DIR:-$root/build/bin}
operator=$bin/servicetoken-operator
verifier=$bin/servicetoken-verifier
for b in "$operator" "$verifier"; do
  [ -x "$b" ] || { echo "bench: build first (make build): $b" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "bench: wrk is missing (hack/install-deps.sh)" >&2; exit 1; }
eval "$("$here/build-binaries.sh" env)"
kubectl=$TEST_ASSET_KUBECTL
dir=$(mktemp -d /tmp/st-bench-verifier-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$here/control-plane.sh" down --dir "$dir/plane" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
wait_http() {  # URL: until it answers 200 (at most 5 minutes)
  local deadline=$((SECONDS + 300))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "bench: $1 did not answer" >&2; return 1; }
    sleep 0.5
  done
}

echo "bench-verifier: starting a local control plane and minting $n tokens with the operator" >&2
eval "$("$here/control-plane.sh" up --dir "$dir/plane" 2>/dev/null)"
export KUBECONFIG
"$kubectl" apply -f "$root/crds/" >/dev/null
"$kubectl" wait --for=condition=Established --timeout=60s crd --all >/dev/null
"$kubectl" create namespace servicetoken-system >/dev/null
"$kubectl" create namespace bench >/dev/null
{
  printf 'apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceUser\nmetadata: {name: bench, namespace: bench}\nspec: {displayName: Bench User, role: Admin, teams: [data, platform]}\n'
  for i in $(seq -w 1 "$n"); do
    printf -- '---\napiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\nmetadata: {name: t%s, namespace: bench}\nspec: {displayName: Token %s, type: Service, serviceUserRef: {name: bench}, expiration: 90d}\n' "$i" "$i"
  done
} >"$dir/tokens.yaml"

op_probe=$(free_port)
"$operator" --kubeconfig "$KUBECONFIG" --namespace servicetoken-system --log-level error \
  --metrics-bind-address 0 --health-probe-bind-address "127.0.0.1:$op_probe" >"$dir/operator.log" 2>&1 &
op_pid=$!
pids+=("$op_pid")
"$kubectl" apply -f "$dir/tokens.yaml" >/dev/null
start=$SECONDS
until [ "$("$kubectl" get servicetokens -n bench -o jsonpath='{range .items[?(@.status.phase=="Active")]}x{end}' | wc -c)" -ge "$n" ]; do
  [ $((SECONDS - start)) -lt 900 ] || { echo "bench: tokens not Active after 15 minutes" >&2; exit 1; }
  sleep 2
done
echo "bench-verifier: $n tokens Active after $((SECONDS - start)) s" >&2

# The tokens, one per line, for wrk's Lua script (read from the Secrets).
"$kubectl" get secrets -n bench -l servicetoken.dev/servicetoken -o jsonpath='{range .items[*]}{.data.token}{"\n"}{end}' |
  while read -r b64; do [ -n "$b64" ] && printf '%s\n' "$b64" | base64 -d && echo; done >"$dir/tokens.txt"
chmod 600 "$dir/tokens.txt"
echo "bench-verifier: $(wc -l <"$dir/tokens.txt") tokens read" >&2

cat >"$dir/authorize.lua" <<LUA
-- Cycles through the minted tokens; each thread starts at its own offset.
local tokens = {}
for line in io.lines("$dir/tokens.txt") do tokens[#tokens + 1] = line end
local i = 0
local pace = tonumber(os.getenv("WRK_DELAY_MS") or "0")
function setup(thread) i = i + 1; thread:set("offset", i * 977) end
function init(args) i = offset or 0 end
function request()
  i = (i % #tokens) + 1
  return wrk.format("GET", "/v1/authorize", {
    ["Authorization"] = "Bearer " .. tokens[i],
    ["X-Original-URI"] = "/api/v1/things",
    ["X-Original-Method"] = "GET"})
end
if pace > 0 then function delay() return pace end end
LUA

# Starts the verifier with extra flags; sets $v_pid, $v_port, $v_probe.
start_verifier() {
  v_port=$(free_port)
  v_probe=$(free_port)
  "$verifier" --kubeconfig "$KUBECONFIG" --namespace servicetoken-system --log-level error \
    --bind-address "127.0.0.1:$v_port" --metrics-bind-address 0 \
    --health-probe-bind-address "127.0.0.1:$v_probe" --record-last-used=false "$@" \
    >>"$dir/verifier.log" 2>&1 &
  v_pid=$!
  pids+=("$v_pid")
  wait_http "http://127.0.0.1:$v_probe/readyz"
}
stop_verifier() { kill "$v_pid"; wait "$v_pid" 2>/dev/null || true; }

# wrk's summary: "<req/s> req/s, p50 <..>, p99 <..>, non-2xx <..>".
run_wrk() {  # label, url, [delay ms]
  local label=$1 url=$2 pace=${3:-0} out
  out=$(WRK_DELAY_MS=$pace wrk -t2 -c64 -d"$duration" --latency -s "$dir/authorize.lua" "$url" 2>&1)
  printf '%-58s %10s req/s   p50 %-9s p90 %-9s p99 %-9s non-2xx %s\n' "$label" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="90%" {print $2}' <<<"$out")" \
    "$(awk '$1=="99%" {print $2}' <<<"$out")" \
    "$(awk '/Non-2xx/ {print $5}' <<<"$out" | grep . || echo 0)"
}
run_static() {  # label, url
  local out
  out=$(wrk -t2 -c64 -d"$duration" --latency "$2" 2>&1)
  printf '%-58s %10s req/s   p50 %-9s p99 %s\n' "$1" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
}

echo "== servicetoken-verifier, $n ServiceTokens watched, wrk -t2 -c64 -d$duration keep-alive, $(nproc) CPUs shared with wrk"
start_verifier
echo "verifier RSS after sync:                                   $(rss_mib "$v_pid") MiB"
# Warm the verified-token cache: every token once.
WRK_DELAY_MS=0 wrk -t2 -c64 -d5s -s "$dir/authorize.lua" "http://127.0.0.1:$v_port/v1/authorize" >/dev/null 2>&1
run_wrk "known tokens (verified-token cache warm)" "http://127.0.0.1:$v_port/v1/authorize"
run_wrk "paced near 20,000/s (64 connections, 3 ms delay each)" "http://127.0.0.1:$v_port/v1/authorize" 3
echo "verifier RSS after load:                                   $(rss_mib "$v_pid") MiB"
run_static "static GET on the verifier (Beast): discovery document" \
  "http://127.0.0.1:$v_port/.well-known/openid-configuration"
stop_verifier

start_verifier --verified-cache-size=0
run_wrk "first-seen cost: cache disabled, every request verifies" "http://127.0.0.1:$v_port/v1/authorize"
echo "verifier RSS after load (no cache):                        $(rss_mib "$v_pid") MiB"
stop_verifier

run_static "static GET on cpprestsdk's listener: the operator's /healthz" \
  "http://127.0.0.1:$op_probe/healthz"
