#!/usr/bin/env bash
# `make run`: the main job, end to end.
#  1. uses the cluster in $KUBECONFIG, or starts the local control plane
#     (hack/control-plane.sh up) when none is set;
#  2. installs the CRDs from crds/;
#  3. starts build/bin/servicetoken-operator in the background (logs and pid
#     under $RUN_DIR), unless one started by this script is still running;
#  4. applies examples/ and waits for the example ServiceToken to be Active;
#  5. shows `kubectl get servicetokens`.
# `make down` (hack/run.sh down) stops the operator and the local plane.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build}
RUN_DIR=${RUN_DIR:-${XDG_RUNTIME_DIR:-/tmp}/servicetoken-operator-run}
OPERATOR_NAMESPACE=${OPERATOR_NAMESPACE:-servicetoken-system}

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
  "$here/control-plane.sh" down
  exit 0
fi

eval "$("$here/build-binaries.sh" env)"
kubectl=$TEST_ASSET_KUBECTL
operator=$BUILD_DIR/bin/servicetoken-operator
[ -x "$operator" ] || { echo "run: $operator is not built (run make build)" >&2; exit 1; }

if [ -n "${KUBECONFIG:-}" ]; then
  echo "Using the cluster in KUBECONFIG=$KUBECONFIG"
else
  eval "$("$here/control-plane.sh" up)"
  echo "Started a local control plane; KUBECONFIG=$KUBECONFIG"
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
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  echo "servicetoken-operator is already running (pid $pid)"
else
  setsid nohup "$operator" --kubeconfig "$KUBECONFIG" --namespace "$OPERATOR_NAMESPACE" \
    --log-format text --metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 \
    >"$RUN_DIR/operator.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/pid"
  echo "Started servicetoken-operator (pid $!, log $RUN_DIR/operator.log)"
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
