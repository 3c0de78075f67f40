#!/usr/bin/env bash
# Runs a command from an unpacked image root filesystem the way a container
# runtime runs the chart's pod, without one: a private mount namespace with
# /proc, a minimal /dev, a tmpfs /tmp (the chart's emptyDir), the
# ServiceAccount files at /var/run/secrets/kubernetes.io/serviceaccount
# (read-only), the root filesystem itself read-only (readOnlyRootFilesystem),
# then chroot as USER with no new privileges, no capabilities (a non-root user
# keeps none) and only the environment in ENV_FILE (KEY=VALUE lines).
#
#   unshare --mount --propagation private --pid --fork --kill-child=SIGKILL \
#     bash run_in_rootfs.sh ROOTFS SERVICEACCOUNT_DIR UID:GID ENV_FILE -- COMMAND [ARGS...]
#
# It must be the first process of a new PID namespace (as above): it stays as
# that namespace's init, so when it dies (SIGKILL through unshare's
# --kill-child when the test or unshare goes away) the kernel kills the
# command too; nothing outlives the test. SIGTERM is passed on to the command.
# Mounts live only in the private namespace and vanish with it.
set -euo pipefail
[ $# -ge 6 ] && [ "$5" = -- ] ||
  { echo "usage: $0 ROOTFS SERVICEACCOUNT_DIR UID:GID ENV_FILE -- COMMAND [ARGS...]" >&2; exit 2; }
rootfs=$1 sa=$2 user=$3 envfile=$4
shift 5
[ $$ -eq 1 ] || { echo "run_in_rootfs: not the first process of a new PID namespace" >&2; exit 2; }

sa_mount=$rootfs/var/run/secrets/kubernetes.io/serviceaccount
mount --bind "$rootfs" "$rootfs"
# Mount points, made as a runtime makes them before the root goes read-only.
mkdir -p "$rootfs/proc" "$rootfs/dev" "$sa_mount"
mount -t proc -o nosuid,nodev,noexec proc "$rootfs/proc"
mount -t tmpfs -o nosuid,mode=0755,size=64k devtmp "$rootfs/dev"
for node in null zero random urandom; do
  touch "$rootfs/dev/$node"
  mount --bind "/dev/$node" "$rootfs/dev/$node"
done
mount -t tmpfs -o nosuid,nodev,mode=1777,size=16m tmp "$rootfs/tmp"
mount --bind "$sa" "$sa_mount"
mount -o remount,bind,ro "$sa_mount"
mount -o remount,bind,ro "$rootfs"

mapfile -t environment <"$envfile"
setpriv --no-new-privs env -i "${environment[@]}" \
  /usr/sbin/chroot --userspec="$user" "$rootfs" "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT
# `wait` returns early when a trapped signal arrives: wait again until the
# command has really exited, and exit with its status.
status=0
wait "$child" || status=$?
while kill -0 "$child" 2>/dev/null; do
  status=0
  wait "$child" || status=$?
done
exit "$status"
