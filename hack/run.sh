#!/usr/bin/env bash
# `make run`: the main job. Uses the cluster in $KUBECONFIG when one is set,
# otherwise starts the local control plane (hack/control-plane.sh up).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
eval "$("$here/build-binaries.sh" env)"
kubectl=$TEST_ASSET_KUBECTL

if [ -n "${KUBECONFIG:-}" ]; then
  echo "Using the cluster in KUBECONFIG=$KUBECONFIG"
else
  eval "$("$here/control-plane.sh" up)"
  echo "Started a local control plane (kube-apiserver $("$kubectl" version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1))."
fi

"$kubectl" get --raw /readyz >/dev/null
echo
"$kubectl" get namespaces
cat <<MSG

Reach it with:
  export KUBECONFIG=$KUBECONFIG
  $kubectl get namespaces
Stop the local control plane with: make down
MSG
