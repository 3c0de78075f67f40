#!/usr/bin/env bash
# Builds, once, the Kubernetes, etcd and helm binaries the tests need, from the
# Go module proxy, through the pinned wrapper modules in hack/gomod/ (built
# -mod=readonly: exactly the committed go.mod and go.sum, which they never
# rewrite). The Go that builds them is the pinned toolchain hack/go-toolchain.sh
# fetches on first need; a `go` on PATH is neither needed nor used. Results
# are cached outside the repo, keyed by version, so a second run takes seconds.
#
#   hack/build-binaries.sh            build whatever is missing, print the bin dir
#   hack/build-binaries.sh env        print `export TEST_ASSET_*=...` lines
#
# Overrides (skip the build): KUBEBUILDER_ASSETS (a dir with kube-apiserver,
# etcd, kubectl), TEST_ASSET_KUBE_APISERVER, TEST_ASSET_ETCD, TEST_ASSET_KUBECTL,
# TEST_ASSET_KUBE_CONTROLLER_MANAGER, TEST_ASSET_HELM.
set -euo pipefail

KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.6.13
HELM_VERSION=v3.22.0
# The Kubernetes minor of helm's client-go (hack/gomod/helm/go.sum): helm's
# release build bakes it in as the default for `helm template` and
# `helm lint`; without it they assume v1.20 and refuse the chart's kubeVersion.
HELM_K8S_MINOR=37

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${SERVICETOKEN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/servicetoken-operator}
kube_dir=$cache_root/kubernetes-$KUBE_VERSION
etcd_dir=$cache_root/etcd-$ETCD_VERSION
helm_dir=$cache_root/helm-$HELM_VERSION-k8s1.$HELM_K8S_MINOR

log() { echo "build-binaries: $*" >&2; }

# The pinned toolchain's go, fetched on first need (only when something is
# missing from the cache).
go_bin=
need_go() {
  [ -n "$go_bin" ] && return 0
  go_bin=$("$here/go-toolchain.sh")
}

# go_build MODULE_DIR OUT_DIR NAME PACKAGE [LDFLAGS]
# Builds into a temp file and renames, so an interrupted build never leaves a
# half-written binary that later runs would trust.
go_build() {
  local mod=$1 out=$2 name=$3 pkg=$4 ldflags=${5:-}
  [ -x "$out/$name" ] && return 0
  need_go
  mkdir -p "$out"
  log "building $name ($pkg) into $out (first time only)"
  local start=$SECONDS
  local tmp
  tmp=$(mktemp "$out/.$name.XXXXXX")
  # GOTOOLCHAIN=local: never switch to another Go; GOROOT is the toolchain's own.
  if ! (cd "$mod" && env -u GOROOT CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
         "$go_bin" build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg"); then
    rm -f "$tmp"
    log "building $name failed"
    exit 1
  fi
  mv "$tmp" "$out/$name"
  log "built $name in $((SECONDS - start))s"
}

build_kube() {
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local vpkg=k8s.io/component-base/version
  local ld="-X $vpkg.gitVersion=$KUBE_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean"
  # kubectl reads its version from client-go's copy of the same variables.
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  for c in kube-apiserver kube-controller-manager kubectl; do
    go_build "$here/gomod/kubernetes" "$kube_dir" "$c" "k8s.io/kubernetes/cmd/$c" "$ld"
  done
}

build_etcd() {
  go_build "$here/gomod/etcd" "$etcd_dir" etcd go.etcd.io/etcd/server/v3 \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION"
}

build_helm() {
  local k8s="-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1"
  k8s+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR"
  k8s+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1"
  k8s+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR"
  go_build "$here/gomod/helm" "$helm_dir" helm helm.sh/helm/v3/cmd/helm \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION $k8s"
}

# pick OVERRIDE DEFAULT: an explicit override wins, else KUBEBUILDER_ASSETS, else ours.
asset() {
  local var=$1 name=$2 default=$3
  if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/$name" ]; then
    echo "$KUBEBUILDER_ASSETS/$name"; return
  fi
  echo "$default"
}

main() {
  local apiserver etcd kubectl kcm helm
  apiserver=$(asset TEST_ASSET_KUBE_APISERVER kube-apiserver "$kube_dir/kube-apiserver")
  etcd=$(asset TEST_ASSET_ETCD etcd "$etcd_dir/etcd")
  kubectl=$(asset TEST_ASSET_KUBECTL kubectl "$kube_dir/kubectl")
  kcm=$(asset TEST_ASSET_KUBE_CONTROLLER_MANAGER kube-controller-manager "$kube_dir/kube-controller-manager")
  helm=$(asset TEST_ASSET_HELM helm "$helm_dir/helm")

  # Build only the binaries nobody provided; one builder at a time (tests and
  # scripts may ask concurrently).
  mkdir -p "$cache_root"
  exec 9>"$cache_root/.build.lock"
  flock 9
  if [ "$apiserver" = "$kube_dir/kube-apiserver" ] || [ "$kubectl" = "$kube_dir/kubectl" ] ||
     [ "$kcm" = "$kube_dir/kube-controller-manager" ]; then
    build_kube
  fi
  [ "$etcd" = "$etcd_dir/etcd" ] && build_etcd
  [ "$helm" = "$helm_dir/helm" ] && build_helm

  case "${1:-build}" in
    env)
      echo "export TEST_ASSET_KUBE_APISERVER=$apiserver"
      echo "export TEST_ASSET_ETCD=$etcd"
      echo "export TEST_ASSET_KUBECTL=$kubectl"
      echo "export TEST_ASSET_KUBE_CONTROLLER_MANAGER=$kcm"
      echo "export TEST_ASSET_HELM=$helm"
      ;;
    build) ;;
    *) log "usage: $0 [build|env]"; exit 2 ;;
  esac
}

main "$@"
