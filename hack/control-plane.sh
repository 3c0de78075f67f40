#!/usr/bin/env bash
# A real local Kubernetes control plane on loopback: etcd + kube-apiserver
# (+ kube-controller-manager running only the garbage-collector, namespace,
# ClusterRole-aggregation and ValidatingAdmissionPolicy-status controllers),
# with generated CAs, RBAC, a service-account issuer and an admin kubeconfig.
# The binaries come from hack/build-binaries.sh.
#
#   control-plane.sh up   [--dir DIR]   start in the background, wait until ready
#   control-plane.sh down [--dir DIR]   stop what `up` started, remove DIR
#   control-plane.sh env  [--dir DIR]   print `export KUBECONFIG=...`
#   control-plane.sh run  --dir DIR     foreground; used by `up` and by the test
#                                       fixture. Writes DIR/ready when usable;
#                                       SIGTERM/SIGINT stop everything and remove
#                                       DIR; SIGUSR1 stops kube-apiserver and
#                                       SIGUSR2 starts it again (DIR/apiserver-state).
#
#                                       SIGHUP kills etcd with SIGKILL and starts it
#                                       again on its data (DIR/etcd-state).
#
# Options (environment): CONTROL_PLANE_NO_KCM=1 skips kube-controller-manager;
# CONTROL_PLANE_APISERVER_ARGS adds kube-apiserver flags (e.g. --watch-cache=false);
# CONTROL_PLANE_AUDIT=1 writes an audit log of every write to Secrets and to
# ServiceTokens (status included), Metadata level, to DIR/logs/audit.log.
# CONTROL_PLANE_TOKEN_WEBHOOK_URL makes kube-apiserver authenticate bearer tokens
# through that TokenReview webhook (authentication.k8s.io/v1, answers cached for
# CONTROL_PLANE_TOKEN_WEBHOOK_CACHE_TTL, default 0s), trusting the CA file
# CONTROL_PLANE_TOKEN_WEBHOOK_CA when set; CONTROL_PLANE_API_AUDIENCES (comma-
# separated) adds audiences to --api-audiences. CONTROL_PLANE_ETCD_PORT and
# CONTROL_PLANE_APISERVER_PORT ask for those client ports; by default, and when
# the port is taken, a free one below the ephemeral range is chosen.
# The default DIR for up/down/env is ${XDG_RUNTIME_DIR:-/tmp}/servicetoken-control-plane.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmd=${1:-}
shift || true
dir=${XDG_RUNTIME_DIR:-/tmp}/servicetoken-control-plane
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --dir=*) dir=${1#--dir=}; shift ;;
    *) echo "control-plane: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { echo "control-plane: $*" >&2; }

# publish FILE VALUE: FILE appears with VALUE in one step (written aside, then
# renamed), so a reader polling for FILE never reads it empty or half written.
publish() { printf '%s\n' "$2" >"$1.tmp" && mv -f "$1.tmp" "$1"; }

# free_port: a port nothing listens on now, chosen below the kernel's
# ephemeral range: a port the kernel handed out (bind to 0) can be handed out
# again, to any outgoing connection, before etcd or kube-apiserver binds it.
free_port() {
  python3 - <<'PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randint(10000, low - 1) if low > 11000 else 0
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        print(s.getsockname()[1])
        break
    except OSError:
        pass
    finally:
        s.close()
PY
}

# ---------------------------------------------------------------- certificates
gen_certs() {
  local p=$dir/pki
  mkdir -p "$p"
  local ossl="openssl"
  # Serving CA and the apiserver's serving certificate (127.0.0.1, localhost).
  $ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3 \
    -subj "/CN=servicetoken-test-serving-ca" -keyout "$p/ca.key" -out "$p/ca.crt" 2>/dev/null
  $ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=kube-apiserver" -keyout "$p/apiserver.key" -out "$p/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$p/apiserver.ext"
  $ossl x509 -req -in "$p/apiserver.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
    -days 3 -extfile "$p/apiserver.ext" -out "$p/apiserver.crt" 2>/dev/null
  # Client CA and an admin client certificate in system:masters.
  $ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3 \
    -subj "/CN=servicetoken-test-client-ca" -keyout "$p/client-ca.key" -out "$p/client-ca.crt" 2>/dev/null
  $ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/O=system:masters/CN=admin" -keyout "$p/admin.key" -out "$p/admin.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$p/admin.ext"
  $ossl x509 -req -in "$p/admin.csr" -CA "$p/client-ca.crt" -CAkey "$p/client-ca.key" -CAcreateserial \
    -days 3 -extfile "$p/admin.ext" -out "$p/admin.crt" 2>/dev/null
  # Service-account token signer.
  $ossl genrsa -out "$p/sa.key" 2048 2>/dev/null
  $ossl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
  chmod 600 "$p"/*.key
}

write_kubeconfig() {
  local b64="base64 -w0"
  cat >"$dir/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$apiserver_port
    certificate-authority-data: $($b64 <"$dir/pki/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $($b64 <"$dir/pki/admin.crt")
    client-key-data: $($b64 <"$dir/pki/admin.key")
contexts:
- name: local
  context:
    cluster: local
    user: admin
current-context: local
KC
  chmod 600 "$dir/kubeconfig"
}

# The kubeconfig-format file kube-apiserver reads the token webhook from.
write_token_webhook_config() {
  [ -n "${CONTROL_PLANE_TOKEN_WEBHOOK_URL:-}" ] || return 0
  local ca=""
  if [ -n "${CONTROL_PLANE_TOKEN_WEBHOOK_CA:-}" ]; then
    ca="    certificate-authority: ${CONTROL_PLANE_TOKEN_WEBHOOK_CA}"
  fi
  cat >"$dir/token-webhook.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: token-webhook
  cluster:
    server: ${CONTROL_PLANE_TOKEN_WEBHOOK_URL}
$ca
users:
- name: kube-apiserver
  user: {}
contexts:
- name: token-webhook
  context: {cluster: token-webhook, user: kube-apiserver}
current-context: token-webhook
KC
}

token_webhook_flags() {
  [ -n "${CONTROL_PLANE_TOKEN_WEBHOOK_URL:-}" ] || return 0
  echo "--authentication-token-webhook-config-file $dir/token-webhook.kubeconfig" \
    "--authentication-token-webhook-version v1" \
    "--authentication-token-webhook-cache-ttl ${CONTROL_PLANE_TOKEN_WEBHOOK_CACHE_TTL:-0s}"
}

# ------------------------------------------------------------------- processes
etcd_pid= apiserver_pid= kcm_pid=

# Children get SIGKILL when this script dies, however it dies.
spawn() { setpriv --pdeathsig KILL -- "$@" & }

# The audit policy: every write to Secrets and ServiceTokens (status
# included) at Metadata level (never the request body: tokens stay out of
# the log), nothing else.
write_audit_policy() {
  cat >"$dir/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
  resources:
  - group: ""
    resources: [secrets]
  - group: servicetoken.dev
    resources: [servicetokens, servicetokens/status]
- level: None
POLICY
}

audit_args() {
  [ -n "${CONTROL_PLANE_AUDIT:-}" ] || return 0
  echo "--audit-policy-file $dir/audit-policy.yaml --audit-log-path $dir/logs/audit.log" \
    "--audit-log-format json --audit-log-mode blocking --audit-log-maxsize 0"
}

start_etcd() {
  local peer
  # A restart keeps the ports, so kube-apiserver finds it again.
  etcd_port=${etcd_port:-${CONTROL_PLANE_ETCD_PORT:-$(free_port)}}
  peer=${etcd_peer_port:-$(free_port)}
  etcd_peer_port=$peer
  spawn "$ETCD" --name test --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "test=http://127.0.0.1:$peer" \
    --unsafe-no-fsync --log-level error --logger zap --log-outputs "$dir/logs/etcd.log" 2>>"$dir/logs/etcd.log"
  etcd_pid=$!
  echo "http://127.0.0.1:$etcd_port" >"$dir/etcd-url"
}

# wait_etcd_ready [SECONDS]: until etcd answers /health (1 when it exited or
# took longer than SECONDS, default 30).
wait_etcd_ready() {
  local deadline=$((SECONDS + ${1:-30}))
  until curl -fsS --max-time 1 "http://127.0.0.1:$etcd_port/health" >/dev/null 2>&1; do
    kill -0 "$etcd_pid" 2>/dev/null || return 1
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# start_etcd_checked: start etcd on new ports until it serves (3 tries): a
# port taken between free_port and etcd's bind makes etcd exit at once.
start_etcd_checked() {
  local attempt
  for attempt in 1 2 3; do
    start_etcd
    wait_etcd_ready && return 0
    log "etcd did not start on port $etcd_port (try $attempt); see $dir/logs/etcd.log"
    stop_pid "$etcd_pid"
    etcd_pid= etcd_port= etcd_peer_port= CONTROL_PLANE_ETCD_PORT=
    rm -rf "$dir/etcd"
  done
  return 1
}

# start_apiserver_checked: start kube-apiserver and wait until it is ready;
# when it exits because its port was taken, again on a new port (3 tries).
start_apiserver_checked() {
  local attempt
  for attempt in 1 2 3; do
    start_apiserver
    wait_apiserver_ready && return 0
    kill -0 "$apiserver_pid" 2>/dev/null && return 1
    grep -q "address already in use" "$dir/logs/kube-apiserver.log" || return 1
    log "port $apiserver_port was taken (try $attempt); choosing another"
    apiserver_pid=
    apiserver_port=$(free_port)
    write_kubeconfig
  done
  return 1
}

start_apiserver() {
  local p=$dir/pki
  # shellcheck disable=SC2086
  spawn "$KUBE_APISERVER" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$apiserver_port" \
    --tls-cert-file "$p/apiserver.crt" --tls-private-key-file "$p/apiserver.key" \
    --client-ca-file "$p/client-ca.crt" \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
    --api-audiences "https://kubernetes.default.svc.cluster.local${CONTROL_PLANE_API_AUDIENCES:+,$CONTROL_PLANE_API_AUDIENCES}" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --disable-admission-plugins ServiceAccount \
    --allow-privileged=true --endpoint-reconciler-type none \
    --cert-dir "$dir/apiserver-certs" \
    $(token_webhook_flags) \
    ${CONTROL_PLANE_APISERVER_ARGS:-} $(audit_args) \
    >>"$dir/logs/kube-apiserver.log" 2>&1
  apiserver_pid=$!
}

start_kcm() {
  spawn "$KUBE_CONTROLLER_MANAGER" --kubeconfig "$dir/kubeconfig" \
    --controllers garbage-collector-controller,namespace-controller,clusterrole-aggregation-controller,validatingadmissionpolicy-status-controller \
    --leader-elect=false --secure-port 0 --use-service-account-credentials=false \
    >>"$dir/logs/kube-controller-manager.log" 2>&1
  kcm_pid=$!
}

kube() { "$KUBECTL" --kubeconfig "$dir/kubeconfig" "$@"; }

# wait_ready PID: until /readyz answers ok and the default namespace exists.
wait_apiserver_ready() {
  local deadline=$((SECONDS + ${CONTROL_PLANE_TIMEOUT:-90}))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$apiserver_pid" 2>/dev/null || { log "kube-apiserver exited; see $dir/logs/kube-apiserver.log"; tail -20 "$dir/logs/kube-apiserver.log" >&2; return 1; }
    if curl -fsS --max-time 2 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
         "https://127.0.0.1:$apiserver_port/readyz" >/dev/null 2>&1 &&
       kube get namespace default >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  log "kube-apiserver not ready in time; see $dir/logs/kube-apiserver.log"
  return 1
}

stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# SIGKILL etcd (no chance to flush anything) and start it on the same data.
restart_etcd() {
  publish "$dir/etcd-state" restarting
  local old=$etcd_pid
  etcd_pid=
  kill -KILL "$old" 2>/dev/null || true
  wait "$old" 2>/dev/null || true
  start_etcd
  wait_etcd_ready 60 || { log "etcd did not come back"; return 1; }
  publish "$dir/etcd-state" ready
}

cleanup() {
  trap - TERM INT EXIT USR1 USR2 HUP
  stop_pid "$kcm_pid"; stop_pid "$apiserver_pid"; stop_pid "$etcd_pid"
  rm -rf "$dir"
}

run() {
  eval "$("$here/build-binaries.sh" env)"
  KUBE_APISERVER=$TEST_ASSET_KUBE_APISERVER ETCD=$TEST_ASSET_ETCD KUBECTL=$TEST_ASSET_KUBECTL
  KUBE_CONTROLLER_MANAGER=$TEST_ASSET_KUBE_CONTROLLER_MANAGER
  mkdir -p "$dir/logs"
  trap cleanup EXIT
  trap 'exit 0' TERM INT
  echo $$ >"$dir/pid"
  gen_certs
  write_audit_policy
  apiserver_port=${CONTROL_PLANE_APISERVER_PORT:-$(free_port)}
  write_kubeconfig
  write_token_webhook_config
  start_etcd_checked || exit 1
  start_apiserver_checked || exit 1
  publish "$dir/apiserver-state" ready
  if [ -z "${CONTROL_PLANE_NO_KCM:-}" ]; then start_kcm; fi
  trap 'stop_pid "$apiserver_pid"; apiserver_pid=; publish "$dir/apiserver-state" stopped' USR1
  trap 'if [ -z "$apiserver_pid" ]; then start_apiserver; wait_apiserver_ready && publish "$dir/apiserver-state" ready; fi' USR2
  trap 'restart_etcd' HUP
  publish "$dir/ready" "$dir/kubeconfig"
  log "ready: KUBECONFIG=$dir/kubeconfig"
  # `wait` returns early whenever a trapped signal arrives; keep waiting.
  publish "$dir/etcd-state" ready
  while true; do
    # etcd_pid is empty only while restart_etcd runs.
    if [ -n "$etcd_pid" ] && ! kill -0 "$etcd_pid" 2>/dev/null; then log "etcd exited"; exit 1; fi
    wait "$etcd_pid" || true
  done
}

case "$cmd" in
  run) run ;;
  up)
    if [ -f "$dir/ready" ] && kill -0 "$(cat "$dir/pid" 2>/dev/null)" 2>/dev/null; then
      log "already running"; echo "export KUBECONFIG=$dir/kubeconfig"; exit 0
    fi
    rm -rf "$dir"; mkdir -p "$(dirname "$dir")"
    # Build first, in the foreground, so its progress is visible.
    "$here/build-binaries.sh" >&2
    log_file=${dir}.log
    setsid nohup "$0" run --dir "$dir" >"$log_file" 2>&1 </dev/null &
    deadline=$((SECONDS + 120))
    until [ -f "$dir/ready" ]; do
      if ! kill -0 $! 2>/dev/null; then log "failed to start:"; cat "$log_file" >&2; exit 1; fi
      [ $SECONDS -lt $deadline ] || { log "timed out; see $log_file"; exit 1; }
      sleep 0.2
    done
    log "up (logs in $dir/logs)"
    echo "export KUBECONFIG=$dir/kubeconfig"
    ;;
  down)
    pid=$(cat "$dir/pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      deadline=$((SECONDS + 30))
      while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    fi
    rm -rf "$dir" "${dir}.log"
    log "down"
    ;;
  env)
    [ -f "$dir/ready" ] || { log "not running; run: $0 up"; exit 1; }
    echo "export KUBECONFIG=$dir/kubeconfig"
    ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
