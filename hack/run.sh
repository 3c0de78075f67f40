#!/usr/bin/env bash
# `make run`: the main job, end to end.
#  1. uses the cluster in $KUBECONFIG, or starts the local control plane
#     (hack/control-plane.sh up) when none is set. A cluster this script did
#     not start is changed only with consent: it says what it would do there
#     and asks (stdin a terminal), or goes ahead only with ASSUME_YES=1;
#     without either it stops before contacting the cluster at all;
#  2. installs the CRDs from crds/;
#  3. starts build/bin/servicetoken-operator in the background (logs and pid
#     under $RUN_DIR), unless one started by this script is still running;
#  4. applies examples/ and waits for the example ServiceToken to be Active
#     (EXAMPLES=0, or answering "c" at the prompt, skips this step);
#  5. shows `kubectl get servicetokens`.
# `make down` (hack/run.sh down) stops the operator and the local plane.
#
# Environment: KUBECONFIG, ASSUME_YES=1, EXAMPLES=0, BUILD_DIR, RUN_DIR,
# OPERATOR_NAMESPACE, CONTROL_PLANE_DIR (the local plane's directory).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build}
RUN_DIR=${RUN_DIR:-${XDG_RUNTIME_DIR:-/tmp}/servicetoken-operator-run}
OPERATOR_NAMESPACE=${OPERATOR_NAMESPACE:-servicetoken-system}
CONTROL_PLANE_DIR=${CONTROL_PLANE_DIR:-${XDG_RUNTIME_DIR:-/tmp}/servicetoken-control-plane}
EXAMPLES=${EXAMPLES:-1}

stop_operator() {
  local pid
  pid=$(cat "$RUN_DIR/pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "Stopped servicetoken-operator (pid $pid)"
  fi
  rm -f "$RUN_DIR/pid"
}

if [ "${1:-}" = down ]; then
  stop_operator
  "$here/control-plane.sh" down --dir "$CONTROL_PLANE_DIR"
  exit 0
fi

eval "$("$here/build-binaries.sh" env)"
kubectl=$TEST_ASSET_KUBECTL
operator=$BUILD_DIR/bin/servicetoken-operator
[ -x "$operator" ] || { echo "run: $operator is not built (run make build)" >&2; exit 1; }

# True when KUBECONFIG is the admin kubeconfig of the local plane this script
# starts, and that plane is running.
is_local_plane() {
  [ -f "$CONTROL_PLANE_DIR/ready" ] && [ -f "$CONTROL_PLANE_DIR/kubeconfig" ] &&
    [ "$(readlink -f "$KUBECONFIG")" = "$(readlink -f "$CONTROL_PLANE_DIR/kubeconfig")" ] &&
    kill -0 "$(cat "$CONTROL_PLANE_DIR/pid" 2>/dev/null)" 2>/dev/null
}

# Asks before changing a cluster this script did not start. Reads only the
# kubeconfig file: nothing reaches the cluster before the answer.
confirm_foreign_cluster() {
  local context server answer
  context=$("$kubectl" config current-context 2>/dev/null || echo "(none)")
  server=$("$kubectl" config view --minify -o jsonpath='{.clusters[0].cluster.server}' 2>/dev/null || echo "(unknown)")
  cat >&2 <<MSG
KUBECONFIG=$KUBECONFIG is a cluster this script did not start:
  context: $context
  server:  $server
Going ahead would, in that cluster:
  - apply the CustomResourceDefinitions in crds/ (cluster-wide);
  - create namespace $OPERATOR_NAMESPACE;
  - run $operator on this machine with your credentials
    (it writes Secrets for ServiceTokens, a signing-key Secret and a JWKS ConfigMap);
MSG
  [ "$EXAMPLES" = 0 ] || echo "  - apply examples/ (a ServiceUser and a ServiceToken) into namespace default." >&2
  if [ "${ASSUME_YES:-}" = 1 ]; then
    echo "ASSUME_YES=1: going ahead" >&2
    return
  fi
  if [ ! -t 0 ]; then
    cat >&2 <<MSG
run: refusing to change a cluster this script did not start without asking, and there is
no terminal to ask on; nothing was changed. Set ASSUME_YES=1 to go ahead (EXAMPLES=0 to
leave out examples/), or unset KUBECONFIG to run against a local control plane.
MSG
    exit 1
  fi
  read -r -p "Go ahead? [y] everything, [c] CRDs and operator only (no examples), [N] stop: " answer
  case "$answer" in
    y | Y | yes) ;;
    c | C) EXAMPLES=0 ;;
    *) echo "Stopped; nothing was changed" >&2; exit 1 ;;
  esac
}

if [ -z "${KUBECONFIG:-}" ]; then
  eval "$("$here/control-plane.sh" up --dir "$CONTROL_PLANE_DIR")"
  echo "Started a local control plane; KUBECONFIG=$KUBECONFIG"
elif is_local_plane; then
  echo "Using the local control plane this script started; KUBECONFIG=$KUBECONFIG"
else
  confirm_foreign_cluster
  echo "Using the cluster in KUBECONFIG=$KUBECONFIG"
fi
export KUBECONFIG

echo "Installing the CRDs"
"$kubectl" apply -f "$root/crds/"
"$kubectl" wait --for=condition=Established --timeout=60s \
  crd/servicetokens.servicetoken.dev crd/serviceusers.servicetoken.dev >/dev/null
"$kubectl" get namespace "$OPERATOR_NAMESPACE" >/dev/null 2>&1 ||
  "$kubectl" create namespace "$OPERATOR_NAMESPACE"

mkdir -p "$RUN_DIR"
pid=$(cat "$RUN_DIR/pid" 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
   [ "$(cat "$RUN_DIR/kubeconfig" 2>/dev/null)" = "$KUBECONFIG" ]; then
  echo "servicetoken-operator is already running (pid $pid)"
else
  stop_operator  # one started earlier for another cluster
  echo "$KUBECONFIG" >"$RUN_DIR/kubeconfig"
  setsid nohup "$operator" --kubeconfig "$KUBECONFIG" --namespace "$OPERATOR_NAMESPACE" \
    --log-format text --metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 \
    >"$RUN_DIR/operator.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/pid"
  echo "Started servicetoken-operator (pid $!, log $RUN_DIR/operator.log)"
fi

if [ "$EXAMPLES" = 0 ]; then
  echo
  "$kubectl" get servicetokens -A
  cat <<MSG

The CRDs are installed and the operator is running (examples/ were not applied).
Operator log: $RUN_DIR/operator.log
Stop the operator with: make down
MSG
  exit 0
fi

echo "Applying examples/"
"$kubectl" apply -f "$root/examples/"
if ! "$kubectl" wait servicetoken/airflow -n default --for=jsonpath='{.status.phase}'=Active \
     --timeout=120s >/dev/null; then
  echo "run: the example did not become Active; operator log:" >&2
  tail -30 "$RUN_DIR/operator.log" >&2
  exit 1
fi
echo
"$kubectl" get servicetokens -A
echo
"$kubectl" get serviceusers -A
cat <<MSG

The example token is minted into Secret default/airflow (the value is never printed).
Reach the cluster with:
  export KUBECONFIG=$KUBECONFIG
  $kubectl get servicetokens -A
  $kubectl describe servicetoken airflow
Operator log: $RUN_DIR/operator.log
Stop everything with: make down
MSG
