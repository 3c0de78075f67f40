#!/usr/bin/env bash
# `make run` (hack/run.sh) and a KUBECONFIG it did not start. On a real
# control plane started apart from it (the "foreign" cluster):
#  1. no terminal, no ASSUME_YES: it refuses, names the cluster, and the
#     cluster has no CRD, no operator namespace, and no operator was started;
#  2. a terminal (script(1) gives it one) answered "n": the same;
#  3. ASSUME_YES=1 EXAMPLES=0: it installs the CRDs and starts the operator,
#     and applies no example.
# Then on the plane it starts itself: a first run mints the example token, and
# a second run with KUBECONFIG pointing at that plane goes ahead without asking.
set -euo pipefail
src=${ST_SOURCE_DIR:?}
bin=${ST_BINARY_DIR:?}
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/st-run-XXXXXX")
export RUN_DIR=$work/run CONTROL_PLANE_DIR=$work/ours BUILD_DIR=$bin CONTROL_PLANE_NO_KCM=1
unset ASSUME_YES EXAMPLES
cleanup() {
  env -u KUBECONFIG bash "$src/hack/run.sh" down >/dev/null 2>&1 || true
  bash "$src/hack/control-plane.sh" down --dir "$work/foreign" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

eval "$(bash "$src/hack/build-binaries.sh" env)"
kubectl=$TEST_ASSET_KUBECTL
[ -x "$bin/bin/servicetoken-operator" ] || fail "build the operator first"

eval "$(env -u KUBECONFIG bash "$src/hack/control-plane.sh" up --dir "$work/foreign" 2>/dev/null)"
foreign=$KUBECONFIG
server=$("$kubectl" config view --minify -o jsonpath='{.clusters[0].cluster.server}')

untouched() {
  local what=$1
  [ -z "$("$kubectl" get crd -o name)" ] || fail "$what: CRDs were installed"
  if "$kubectl" get namespace servicetoken-system >/dev/null 2>&1; then
    fail "$what: namespace servicetoken-system was created"
  fi
  [ ! -e "$RUN_DIR/pid" ] || fail "$what: an operator was started"
}

# 1. No terminal to ask on.
if KUBECONFIG=$foreign bash "$src/hack/run.sh" </dev/null >"$work/out1" 2>&1; then
  cat "$work/out1" >&2; fail "run.sh went ahead on a foreign cluster without asking"
fi
grep -q "refusing to change a cluster this script did not start" "$work/out1" ||
  { cat "$work/out1" >&2; fail "no refusal message"; }
grep -qF "$server" "$work/out1" || fail "the message does not name the cluster's server"
untouched "no terminal"
echo "refused without a terminal: $(grep -m1 refusing "$work/out1")"

# 2. A terminal, answered "n".
if printf 'n\n' | KUBECONFIG=$foreign script -qec "bash '$src/hack/run.sh'" /dev/null \
     >"$work/out2" 2>&1; then
  cat "$work/out2" >&2; fail "run.sh went ahead after 'n'"
fi
grep -q "Go ahead?" "$work/out2" || { cat "$work/out2" >&2; fail "no prompt on a terminal"; }
grep -q "Stopped; nothing was changed" "$work/out2" || { cat "$work/out2" >&2; fail "no stop message"; }
untouched "answered n"
echo "asked on a terminal and stopped on 'n'"

# 3. Consent given, CRDs and operator only.
KUBECONFIG=$foreign ASSUME_YES=1 EXAMPLES=0 bash "$src/hack/run.sh" </dev/null >"$work/out3" 2>&1 ||
  { cat "$work/out3" >&2; fail "run.sh failed with ASSUME_YES=1 EXAMPLES=0"; }
"$kubectl" get crd servicetokens.servicetoken.dev >/dev/null || fail "ASSUME_YES=1: no CRD"
kill -0 "$(cat "$RUN_DIR/pid")" || fail "ASSUME_YES=1: the operator is not running"
[ -z "$("$kubectl" get servicetokens,serviceusers -A -o name)" ] || fail "EXAMPLES=0 applied examples"
env -u KUBECONFIG bash "$src/hack/run.sh" down >/dev/null 2>&1
echo "ASSUME_YES=1 EXAMPLES=0 installed the CRDs and started the operator, no examples"
bash "$src/hack/control-plane.sh" down --dir "$work/foreign" >/dev/null 2>&1

# 4. Its own plane: started, used, and recognised on the next run.
env -u KUBECONFIG bash "$src/hack/run.sh" </dev/null >"$work/out4" 2>&1 ||
  { cat "$work/out4" >&2; fail "make run on its own plane failed"; }
grep -q "Started a local control plane" "$work/out4" || fail "no local plane was started"
KUBECONFIG=$CONTROL_PLANE_DIR/kubeconfig bash "$src/hack/run.sh" </dev/null >"$work/out5" 2>&1 ||
  { cat "$work/out5" >&2; fail "a second run against its own plane failed"; }
grep -q "Using the local control plane this script started" "$work/out5" ||
  { cat "$work/out5" >&2; fail "its own plane was not recognised"; }
grep -q "servicetoken-operator is already running" "$work/out5" ||
  fail "the second run started a second operator"
echo "its own plane: the example became Active, and a second run went ahead without asking"
