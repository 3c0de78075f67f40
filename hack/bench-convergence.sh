#!/usr/bin/env bash
# Convergence benchmark (docs/performance.md): a backlog of N new ServiceTokens
# on a fresh local control plane, worked off first by the floor and then by the
# operator, in the same run on the same plane, each in its own namespace. Each
# phase's backlog is created just before it, and the objects of the phase
# before are deleted first, so no phase works beside another's tokens and
# Secrets (but the floor again, after the operator, whose namespace the
# restart and the storm still need).
#   warm-up:  one floor first, not compared: a new plane's first phase runs
#             faster than any later one;
#   floor:    build/bin/st-bench floor — exactly the operator's writes for a
#             first mint (one Secret create, one status merge patch per token)
#             from FLOOR_WRITERS threads, no watches, no signing;
#   floor with the operator's watches: st-bench floor-watched — the same, with
#             the two watches the operator keeps (its tokens, its Secrets)
#             open and read all along: what the API server's watch fan-out
#             alone costs the floor on the same cores;
#   the operator's I/O alone: st-bench floor-io — floor-watched plus the
#             Minted Event per token the operator records: all its I/O
#             through the same client, none of its logic, no signing. Only
#             its CPU is compared: what that I/O alone costs on these cores;
#   the operator's I/O alone without JSON trees: st-bench floor-io-raw —
#             the same writes, Events and watches, each body written straight
#             into text from a template and sent through the Transport, the
#             answers never parsed, each watch event parsed by simdjson for
#             its resourceVersion only. Only its CPU is compared, with
#             floor-io's: what the client's JSON trees and its own work cost
#             that I/O;
#   operator: the release build, defaults, --watch-namespace bench, started
#             after the backlog exists;
#   floor again: the floor once more after the operator, since a plane runs
#             slower as its history grows: the operator is set against the
#             mean of the two floors too.
# Prints figures, never pass/fail:
#   - seconds to all Active, for each, and the operator's ratio to the floor,
#     to the floor with its watches, and to the mean of the two floors;
#   - start to the first token Active;
#   - writes per token by verb and resource, counted by the API server;
#   - Events written (at convergence, 20 s later, at the end) and their lag;
#   - writes during a quiet period and after a restart;
#   - peak and steady RSS, CPU seconds, and the CPU seconds of each floor
#     client (st-bench), the operator's I/O alone among them;
#   - tokens Active over time, for both, as CSV (and a PNG when gnuplot is
#     installed: hack/install-deps.sh bench) under BENCH_OUT (default: bench/
#     beside the binary's bin/, e.g. build/bench).
#   - a rotation storm: how the jitter spread the renewal times of the N
#     tokens minted together, then the operator restarted with its wall
#     clock past all of them (the hidden --clock-skew, for benchmarks only)
#     and a client-side limit of STORM_QPS: time to renew all N, writes per
#     token, and the highest request rate the API server saw;
#   - alternating rounds, last: ROUNDS times the operator (a new backlog, a
#     new process) and then the floor, after one more floor first, so each
#     operator run has a floor right before and right after it on the same
#     plane: its ratio to the mean of those two neighbours, its CPU, and the
#     ratios' range. The plane's drift between neighbours is small, so these
#     ratios say more about the operator than the single one above.
# Usage: hack/bench-convergence.sh [N]   (default 1000)
# Environment: OPERATOR, ST_BENCH (the binaries), FLOOR_WRITERS (16),
#   QUIET_SECONDS (30), STORM_QPS (200), ROUNDS (3; 0 leaves them out),
#   BENCH_OUT (where the timelines and the plot are kept).
set -euo pipefail
n=${1:-1000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
operator=${OPERATOR:-$root/build/bin/servicetoken-operator}
stbench=${ST_BENCH:-$(dirname "$operator")/st-bench}
writers=${FLOOR_WRITERS:-16}
quiet=${QUIET_SECONDS:-30}
storm_qps=${STORM_QPS:-200}
rounds=${ROUNDS:-3}
for b in "$operator" "$stbench"; do
  [ -x "$b" ] || { echo "bench: $b missing: build first (make build)" >&2; exit 1; }
done
eval "$("$here/build-binaries.sh" env)"
kubectl=$TEST_ASSET_KUBECTL
dir=$(mktemp -d /tmp/st-bench-XXXXXX)
out=${BENCH_OUT:-$(dirname "$operator")/../bench}
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$here/control-plane.sh" down --dir "$dir/plane" >/dev/null 2>&1 || true
  rm -rf "$dir"  # metrics snapshots (hundreds of MiB in a storm); the figures are in $out
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v s="$1" -v e="${2:-$(now)}" 'BEGIN { printf "%.1f", e - s }'; }
snapshot() { "$kubectl" get --raw /metrics >"$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
cpu_s() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"; }

eval "$("$here/control-plane.sh" up --dir "$dir/plane" 2>/dev/null)"
export KUBECONFIG
"$kubectl" apply -f "$root/crds/" >/dev/null
"$kubectl" wait --for=condition=Established --timeout=60s crd --all >/dev/null
for ns in servicetoken-system warmup floor floorwatch floorio floorioraw bench floor-again; do "$kubectl" create namespace "$ns" >/dev/null; done
# backlog NS: a ServiceUser and N new ServiceTokens in NS.
backlog() {
  printf 'apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceUser\nmetadata: {name: bench, namespace: %s}\nspec: {displayName: Bench User}\n' "$1" |
    "$kubectl" apply -f - >/dev/null
  "$stbench" create "$1" "$n" 16 >/dev/null
}
# clear NS: deletes the ServiceTokens, ServiceUsers and Secrets in NS (one
# deletecollection each) and waits until the API server lists none.
clear_namespace() {
  local r
  for r in /apis/servicetoken.dev/v1alpha1/namespaces/$1/servicetokens \
      /apis/servicetoken.dev/v1alpha1/namespaces/$1/serviceusers /api/v1/namespaces/$1/secrets \
      /api/v1/namespaces/$1/events; do
    "$kubectl" delete --raw "$r" >/dev/null
  done
  local deadline=$((SECONDS + 300))
  until [ -z "$("$kubectl" get servicetokens,secrets -n "$1" -o name --chunk-size 10 2>/dev/null | head -1)" ]; do
    [ $SECONDS -lt $deadline ] || { echo "bench: namespace $1 not cleared in time" >&2; exit 1; }
    sleep 0.5
  done
}

# observe NS CSV: starts the observer, waits until it watches; sets $obs.
observe() {
  : >"$2"
  coproc OBS { "$stbench" observe "$1" "$n" "$2"; }
  obs=$OBS_PID
  pids+=("$obs")
  local line
  read -r line <&"${OBS[0]}"
  [ "$line" = ready ] || { echo "bench: observer failed" >&2; exit 1; }
}
# wait_observer: until the observer saw all N Active (bounded).
wait_observer() {
  local deadline=$((SECONDS + 900))
  while kill -0 "$obs" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "bench: not all Active in time" >&2; exit 1; }
    sleep 0.1
  done
}
# client_cpu LOG: the CPU seconds an st-bench floor printed in LOG.
client_cpu() { sed -n 's/^cpu: \([0-9.]*\) s.*/\1/p' "$1"; }
last_active() { sort -t, -k1,1n "$1" | tail -1 | cut -d, -f1; }
first_active() { sort -t, -k1,1n "$1" | head -1 | cut -d, -f1; }

echo "convergence of $n new ServiceTokens ($(nproc) cores, Kubernetes $("$kubectl" version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')):"
# CPU-seconds depend on the machine's cores as much as on the operator: the
# speed of one core, measured the same way on every machine, lets runs on
# different machines be compared (docs/performance.md).
echo "  this machine: $(openssl speed -seconds 2 ed25519 2>/dev/null | awk '/Ed25519/ { print $(NF-1) }')" \
  "Ed25519 signatures per second on one core (openssl speed), load average $(cut -d' ' -f1 /proc/loadavg)"

# --- a warm-up floor, not compared: on a new plane the first phase ran
# faster than every later one (34.4 s, then 40-41 s for the floor with
# watches and for a floor without them after the operator), so every
# measured phase runs on a plane that has already worked off a backlog.
backlog warmup
warm_start=$(now)
"$stbench" floor warmup "$n" "$writers" >"$dir/warmup.log" || { cat "$dir/warmup.log" >&2; exit 1; }
echo "warm-up floor (not compared): its writes took $(since "$warm_start") s"
clear_namespace warmup

# --- the floor
backlog floor
snapshot "$dir/m0"
observe floor "$out/floor.csv"
floor_start=$(now)
"$stbench" floor floor "$n" "$writers" >"$dir/floor.log" || { cat "$dir/floor.log" >&2; exit 1; }
wait_observer
snapshot "$dir/m1"
floor_s=$(since "$floor_start" "$(last_active "$out/floor.csv")")
echo "floor ($writers writers, no watches, no signing): all Active after $floor_s s;" \
  "the client's CPU: $(client_cpu "$dir/floor.log") s"
python3 "$here/bench_metrics.py" writes "$dir/m0" "$dir/m1" "$n" "    "

# --- the floor with the operator's two watches
clear_namespace floor
backlog floorwatch
observe floorwatch "$out/floor-watched.csv"
fw_start=$(now)
"$stbench" floor-watched floorwatch "$n" "$writers" >"$dir/floor-watched.log" ||
  { cat "$dir/floor-watched.log" >&2; exit 1; }
wait_observer
fw_s=$(since "$fw_start" "$(last_active "$out/floor-watched.csv")")
echo "floor with the operator's two watches open: all Active after $fw_s s," \
  "$(awk -v a="$fw_s" -v b="$floor_s" 'BEGIN { printf "%.2f", a / b }')x the floor" \
  "($(grep -o '[0-9]* token and [0-9]* Secret watch events' "$dir/floor-watched.log" || echo '? events'));" \
  "the client's CPU: $(client_cpu "$dir/floor-watched.log") s"

# cpu_phase MODE NS: st-bench MODE over a new backlog in NS, measured for its
# CPU only (no observer); sets $phase_cpu and $phase_s (what its writes took).
cpu_phase() {
  backlog "$2"
  local start
  start=$(now)
  "$stbench" "$1" "$2" "$n" "$writers" >"$dir/$1.log" || { cat "$dir/$1.log" >&2; exit 1; }
  phase_s=$(since "$start")
  phase_cpu=$(client_cpu "$dir/$1.log")
}

# --- the operator's I/O alone: its writes, its Events and its watches
# through the same client, without its logic or signing. Its CPU is the
# part of the operator's that the client, TLS, HTTP and JSON cost.
clear_namespace floorwatch
cpu_phase floor-io floorio
io_cpu=$phase_cpu
echo "the operator's I/O alone (floor-watched plus one Event per token; no logic, no signing):" \
  "its writes took $phase_s s; the client's CPU: $io_cpu s"

# --- the same I/O without JSON trees: bodies as text, answers unparsed,
# watch events read by simdjson for their resourceVersion only
clear_namespace floorio
cpu_phase floor-io-raw floorioraw
echo "the operator's I/O alone without JSON trees (bodies as text, answers not parsed, watch" \
  "events read by simdjson only): its writes took $phase_s s; the client's CPU: $phase_cpu s" \
  "($(awk -v a="$phase_cpu" -v b="$io_cpu" 'BEGIN { printf "%.2f", a / b }')x the I/O alone" \
  "through the client)"

# --- the operator
clear_namespace floorioraw
backlog bench
port=$(free_port)
# Starts the operator in the background over namespace $watch_ns; sets $pid
# (no subshell, so this script stays its parent and can wait for it).
watch_ns=bench
start_operator() {
  local log=$1
  shift
  # Plain HTTP on loopback: the benchmark reads /metrics with curl, without a token.
  "$operator" --kubeconfig "$KUBECONFIG" --namespace servicetoken-system --log-level error \
    --watch-namespace "$watch_ns" \
    --metrics-bind-address "127.0.0.1:$port" --metrics-secure=false \
    --health-probe-bind-address 0 "$@" >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
}
# metric SERIES: the operator's value of the series (exact name and labels), 0 if absent.
metric() {
  curl -fs "127.0.0.1:$port/metrics" 2>/dev/null |
    awk -v s="$1" 'index($0, s " ") == 1 { v = $NF } END { print v + 0 }'
}
# sample_rss PID FILE: the peak RSS (MiB) of PID, sampled every 100 ms, into FILE.
sample_rss() {
  local peak=0 r
  while r=$(awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null) && [ -n "$r" ]; do
    [ "$r" -gt "$peak" ] && { peak=$r; echo "$peak" >"$2"; }
    sleep 0.1
  done
}
events_since() { snapshot "$dir/mev"; python3 "$here/bench_metrics.py" count "$1" "$dir/mev" POST events; }

snapshot "$dir/m2"
observe bench "$out/operator.csv"
op_start=$(now)
start_operator "$dir/operator.log"
sample_rss "$pid" "$dir/peak" &
pids+=("$!")
wait_observer
op_end=$(last_active "$out/operator.csv")
events_at_end=$(events_since "$dir/m2")
op_cpu=$(cpu_s "$pid")
op_s=$(since "$op_start" "$op_end")
echo "operator (release build, defaults): all Active after $op_s s," \
  "$(awk -v a="$op_s" -v b="$floor_s" 'BEGIN { printf "%.2f", a / b }')x the floor," \
  "$(awk -v a="$op_s" -v b="$fw_s" 'BEGIN { printf "%.2f", a / b }')x the floor with the watches"
echo "  start to the first token Active: $(since "$op_start" "$(first_active "$out/operator.csv")") s"
# To convergence, set against the floor with the watches: the operator holds
# its Events back while it reconciles, so by then it has written few of them.
echo "  CPU: $op_cpu s (user+system) to convergence" \
  "($(awk -v a="$op_cpu" -v b="$(client_cpu "$dir/floor-watched.log")" 'BEGIN { printf "%.2f", a / b }')x" \
  "the CPU of the floor with the watches: the same I/O but the Events, most of which come later)"
# The Events still being written: until all N are, or none for 10 s.
ev=$events_at_end ev20="" last_change=$(now) ev_deadline=$((SECONDS + 300))
while [ "$ev" -lt "$n" ] && [ $SECONDS -lt $ev_deadline ] &&
    awk -v c="$last_change" -v t="$(now)" 'BEGIN { exit !(t - c < 10) }'; do
  sleep 0.5
  e=$(events_since "$dir/m2")
  [ "$e" != "$ev" ] && { ev=$e; last_change=$(now); }
  [ -z "$ev20" ] && awk -v s="$op_end" -v t="$(now)" 'BEGIN { exit !(t - s >= 20) }' && ev20=$ev
done
echo "  Events (POST events): $events_at_end at convergence, ${ev20:-all $ev before} 20 s later," \
  "$ev in all, the last one $(since "$op_end" "$last_change") s after convergence"
echo "  Events the operator dropped: $(metric event_recorder_dropped_total)"
snapshot "$dir/m3"
python3 "$here/bench_metrics.py" writes "$dir/m2" "$dir/m3" "$n" "    "
echo "  peak RSS to here (convergence and its Events): $(awk '{printf "%.1f", $1/1024}' "$dir/peak") MiB"

# --- a quiet period: nothing changes, nothing may be written
sleep "$quiet"
snapshot "$dir/m4"
echo "  quiet period ($quiet s):"
python3 "$here/bench_metrics.py" writes "$dir/m3" "$dir/m4" 0 "    "
all_cpu=$(cpu_s "$pid")
echo "  steady RSS: $(rss_mib "$pid") MiB; CPU: $all_cpu s in all" \
  "($(awk -v a="$all_cpu" -v b="$io_cpu" 'BEGIN { printf "%.2f", a / b }')x the CPU of its I/O alone)"
echo "  peak RSS over the whole run (with the quiet period): $(awk '{printf "%.1f", $1/1024}' "$dir/peak") MiB"
kill "$pid"; wait "$pid" 2>/dev/null || true

# --- the floor again: the same plane runs slower as its history grows (a
# floor at the end of a run of floors took 1.27x the first), so the floor is
# measured after the operator too, and the operator is set against both.
backlog floor-again  # the operator's namespace stays: the restart and the storm need it
observe floor-again "$out/floor-again.csv"
again_start=$(now)
"$stbench" floor floor-again "$n" "$writers" >"$dir/floor-again.log" ||
  { cat "$dir/floor-again.log" >&2; exit 1; }
wait_observer
again_s=$(since "$again_start" "$(last_active "$out/floor-again.csv")")
mean_s=$(awk -v a="$floor_s" -v b="$again_s" 'BEGIN { printf "%.1f", (a + b) / 2 }')
echo "floor again, after the operator: all Active after $again_s s" \
  "($(awk -v a="$again_s" -v b="$floor_s" 'BEGIN { printf "%.2f", a / b }')x the first floor);" \
  "the operator took $(awk -v a="$op_s" -v b="$mean_s" 'BEGIN { printf "%.2f", a / b }')x" \
  "the mean of the two floors ($mean_s s); the client's CPU: $(client_cpu "$dir/floor-again.log") s"

# --- a restart over the converged state
snapshot "$dir/m5"
restart_start=$(now)
start_operator "$dir/operator-restart.log"
deadline=$((SECONDS + 300))
until [ "$(metric 'controller_runtime_reconcile_total{controller="servicetoken",result="requeue_after"}')" -ge 1 ] 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || { echo "bench: no reconcile after the restart" >&2; exit 1; }
  sleep 0.05
done
first_reconcile=$(since "$restart_start")
until [ "$(metric 'controller_runtime_reconcile_total{controller="servicetoken",result="requeue_after"}')" -ge "$n" ] 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || { echo "bench: not every token reconciled after the restart" >&2; exit 1; }
  sleep 0.2
done
echo "after a restart: first reconcile after $first_reconcile s, all $n reconciled after $(since "$restart_start") s"
sleep 5
snapshot "$dir/m6"
python3 "$here/bench_metrics.py" writes "$dir/m5" "$dir/m6" "$n" "    "
echo "  RSS: $(rss_mib "$pid") MiB; CPU: $(cpu_s "$pid") s"

# --- a rotation storm
"$kubectl" get st -n bench -o jsonpath='{range .items[*]}{.status.renewalTime}{"\n"}{end}' >"$dir/renewals"
# Prints how the jitter spread the renewal times (to stderr) and the skew
# that puts the wall clock 2 minutes past the last one.
skew=$(python3 - "$dir/renewals" <<'EOF'
import datetime, sys, time
ts = sorted(datetime.datetime.fromisoformat(l.strip().replace("Z", "+00:00")).timestamp()
            for l in open(sys.argv[1]) if l.strip())
per_minute = {}
for t in ts:
    per_minute[int(t // 60)] = per_minute.get(int(t // 60), 0) + 1
print(f"rotation storm: the jitter spread the {len(ts)} renewal times over "
      f"{(ts[-1] - ts[0]) / 3600:.1f} h, at most {max(per_minute.values())} in one minute",
      file=sys.stderr)
s = int(ts[-1] - time.time()) + 120
print(f"{s // 86400}d{s % 86400}s")
EOF
)
kill "$pid"; wait "$pid" 2>/dev/null || true
snapshot "$dir/m7"
storm_start=$(now)
# A small burst, so that the limit holds over any few seconds.
start_operator "$dir/operator-storm.log" --clock-skew "$skew" \
  --kube-api-qps "$storm_qps" --kube-api-burst "$((storm_qps / 10 + 1))"
samples=()
deadline=$((SECONDS + 900))
i=0
until [ "$(metric 'servicetoken_mint_total{reason="RenewalDue"}')" -ge "$n" ] 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || { echo "bench: the storm did not end in time" >&2; exit 1; }
  i=$((i + 1))
  snapshot "$dir/s$i"
  samples+=("$(now):$dir/s$i")
  sleep 1
done
echo "  with the wall clock $skew ahead and --kube-api-qps $storm_qps: all $n renewed after" \
  "$(since "$storm_start") s; the highest rate the API server saw (all clients):" \
  "$(python3 "$here/bench_metrics.py" rates "${samples[@]}" 2>/dev/null || echo "not sampled")"
sleep 5
snapshot "$dir/m8"
python3 "$here/bench_metrics.py" writes "$dir/m7" "$dir/m8" "$n" "    "
echo "  RSS: $(rss_mib "$pid") MiB; CPU: $(cpu_s "$pid") s"

# --- alternating rounds: floor, then ROUNDS times operator and floor, each
# phase in a namespace of its own with the one before cleared; every
# operator run is set against the floors right before and after it.
kill "$pid"; wait "$pid" 2>/dev/null || true
# floor_round NS: one floor over a new backlog in NS; prints its seconds.
floor_round() {
  "$kubectl" create namespace "$1" >/dev/null
  backlog "$1"
  observe "$1" "$dir/$1.csv"
  local start
  start=$(now)
  "$stbench" floor "$1" "$n" "$writers" >"$dir/$1.log" || { cat "$dir/$1.log" >&2; exit 1; }
  wait_observer
  since "$start" "$(last_active "$dir/$1.csv")"
}
if [ "$rounds" -gt 0 ]; then
  clear_namespace bench
  clear_namespace floor-again
  echo "alternating rounds (floor, then operator and floor $rounds times, on this plane):"
  before_s=$(floor_round round-floor-0)
  echo "  floor: $before_s s"
  clear_namespace round-floor-0
  ratios=()
  for r in $(seq 1 "$rounds"); do
    watch_ns=round-operator-$r
    "$kubectl" create namespace "$watch_ns" >/dev/null
    backlog "$watch_ns"
    observe "$watch_ns" "$dir/$watch_ns.csv"
    start=$(now)
    start_operator "$dir/$watch_ns.log"
    wait_observer
    round_s=$(since "$start" "$(last_active "$dir/$watch_ns.csv")")
    round_cpu=$(cpu_s "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    clear_namespace "$watch_ns"
    after_s=$(floor_round "round-floor-$r")
    clear_namespace "round-floor-$r"
    ratio=$(awk -v o="$round_s" -v a="$before_s" -v b="$after_s" 'BEGIN { printf "%.2f", 2 * o / (a + b) }')
    ratios+=("$ratio")
    echo "  operator: $round_s s, CPU $round_cpu s; floor: $after_s s;" \
      "the operator ${ratio}x the mean of the floors before and after it"
    before_s=$after_s
  done
  echo "  the operator against its neighbouring floors: $(printf '%s\n' "${ratios[@]}" | sort -n |
    awk '{ v[NR] = $1; s += $1 } END { printf "%.2fx to %.2fx, mean %.2fx over %d rounds", v[1], v[NR], s / NR, NR }')"
fi

# --- tokens Active over time
awk -F, -v s="$floor_start" '{ print $1 - s }' "$out/floor.csv" | sort -n | awk '{ print $1, NR }' >"$out/floor.dat"
awk -F, -v s="$fw_start" '{ print $1 - s }' "$out/floor-watched.csv" | sort -n | awk '{ print $1, NR }' >"$out/floor-watched.dat"
awk -F, -v s="$op_start" '{ print $1 - s }' "$out/operator.csv" | sort -n | awk '{ print $1, NR }' >"$out/operator.dat"
awk -F, -v s="$again_start" '{ print $1 - s }' "$out/floor-again.csv" | sort -n | awk '{ print $1, NR }' >"$out/floor-again.dat"
if command -v gnuplot >/dev/null; then
  gnuplot <<EOF
set terminal pngcairo size 800,450
set output "$out/convergence.png"
set title "$n new ServiceTokens: tokens Active over time"
set xlabel "seconds since start"
set ylabel "tokens Active"
set key bottom right
set grid
plot "$out/floor.dat" with lines lw 2 title "floor ($writers writers)", \
     "$out/floor-watched.dat" with lines lw 2 title "floor with the operator's two watches", \
     "$out/operator.dat" with lines lw 2 title "servicetoken-operator", \
     "$out/floor-again.dat" with lines lw 1 dt 2 title "floor again, after the operator"
EOF
  echo "plot: $out/convergence.png"
fi
echo "timelines: $out/floor.dat, $out/floor-watched.dat, $out/operator.dat, $out/floor-again.dat"
