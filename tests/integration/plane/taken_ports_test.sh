#!/usr/bin/env bash
# hack/control-plane.sh when the ports it meant to use are taken by the time
# etcd and kube-apiserver bind them (another process got them first): it
# starts each again on another port, and the plane it reports ready serves.
# The ports asked for (CONTROL_PLANE_ETCD_PORT, CONTROL_PLANE_APISERVER_PORT)
# are held by listeners of this test, as a racing process would hold them.
set -euo pipefail
src=${ST_SOURCE_DIR:?}
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/st-ports-XXXXXX")
holder=
cleanup() {
  [ -z "$holder" ] || kill "$holder" 2>/dev/null || true
  bash "$src/hack/control-plane.sh" down --dir "$work/plane" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

eval "$(bash "$src/hack/build-binaries.sh" env)"
# Two listening sockets on ports the kernel picks; their numbers go to a file
# once both listen, and they stay bound until the test ends.
python3 - "$work/held" <<'PY' &
import os, socket, sys, time
socks = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    socks.append(s)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(" ".join(str(s.getsockname()[1]) for s in socks) + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
PY
holder=$!
deadline=$((SECONDS + 30))
until [ -s "$work/held" ]; do
  [ $SECONDS -lt $deadline ] || fail "the port holder did not start"
  sleep 0.05
done
read -r etcd_held apiserver_held <"$work/held"

out=$(CONTROL_PLANE_NO_KCM=1 CONTROL_PLANE_ETCD_PORT=$etcd_held \
  CONTROL_PLANE_APISERVER_PORT=$apiserver_held \
  bash "$src/hack/control-plane.sh" up --dir "$work/plane" 2>/dev/null) ||
  fail "the plane did not come up: $(cat "$work/plane.log" 2>/dev/null | grep -v '^[IWE][0-9]')"
eval "$out"
server=$("$TEST_ASSET_KUBECTL" config view --minify -o jsonpath='{.clusters[0].cluster.server}')
etcd_url=$(cat "$work/plane/etcd-url")
echo "asked for etcd :$etcd_held and kube-apiserver :$apiserver_held; got $etcd_url and $server"
[[ $etcd_url != *":$etcd_held" ]] || fail "etcd reported on the taken port $etcd_held"
[[ $server != *":$apiserver_held" ]] || fail "kube-apiserver reported on the taken port $apiserver_held"
grep -q "etcd did not start on port $etcd_held" "$work/plane.log" || fail "no retry of etcd logged"
grep -q "port $apiserver_held was taken" "$work/plane.log" || fail "no retry of kube-apiserver logged"
"$TEST_ASSET_KUBECTL" create namespace ports-ok >/dev/null || fail "the plane does not serve"
"$TEST_ASSET_KUBECTL" get namespace ports-ok -o name | grep -qx "namespace/ports-ok" ||
  fail "the namespace just created is not there"
echo "ok: both taken ports were replaced and the plane serves"
