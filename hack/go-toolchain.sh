#!/usr/bin/env bash
# Prints the path of the pinned Go toolchain's `go`, fetching it first when it
# is not cached. The toolchain is the golang.org/toolchain module's zip for
# this platform, taken from the Go module proxy ($GOPROXY's http(s) and file
# entries in order; https://proxy.golang.org when unset) and checked against
# the SHA-256 pinned in hack/go-toolchain.sha256 before anything in it runs.
# It lands, as a complete GOROOT, in the version-keyed cache that also holds
# the binaries it builds: <cache>/go-<version>/ (SERVICETOKEN_CACHE_DIR, else
# $XDG_CACHE_HOME or ~/.cache, then servicetoken-operator/).
#
# Only hack/build-binaries.sh runs it; nothing puts this Go on PATH, and no Go
# installed on the machine is used or needed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sums=$here/go-toolchain.sha256
cache_root=${SERVICETOKEN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/servicetoken-operator}

log() { echo "go-toolchain: $*" >&2; }
die() { log "$*"; exit 1; }

platform() {
  local os arch
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  echo "$os-$arch"
}

# The proxies to try, one base URL a line: GOPROXY's entries that can serve a
# file ("direct" and "off" cannot; a toolchain is never fetched from a VCS).
proxies() {
  local entry
  local IFS=',|'
  for entry in ${GOPROXY:-https://proxy.golang.org}; do
    case "$entry" in
      http://* | https://* | file://*) echo "${entry%/}" ;;
    esac
  done
}

plat=$(platform)
pinned=$(grep -E "^[0-9a-f]{64}  v0\.0\.1-go[0-9]+\.[0-9]+(\.[0-9]+)?\.$plat\.zip\$" "$sums" || true)
[ -n "$pinned" ] || die "no Go toolchain is pinned for $plat in $sums"
[ "$(wc -l <<<"$pinned")" -eq 1 ] || die "more than one Go toolchain is pinned for $plat in $sums"
want=${pinned%% *}
zip_name=${pinned##* }                          # v0.0.1-go1.26.8.linux-amd64.zip
version=${zip_name#v0.0.1-go}
version=${version%".$plat.zip"}                 # 1.26.8
goroot=$cache_root/go-$version

# Runs the cached toolchain's go as build-binaries.sh does: its own GOROOT,
# never switching to another toolchain.
run_go() { env -u GOROOT GOTOOLCHAIN=local "$1/bin/go" "${@:2}"; }

if [ -x "$goroot/bin/go" ]; then
  echo "$goroot/bin/go"
  exit 0
fi

mapfile -t bases < <(proxies)
[ ${#bases[@]} -gt 0 ] ||
  die "GOPROXY=${GOPROXY:-} names no proxy to fetch the Go toolchain from (set GOPROXY=https://proxy.golang.org)"

mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/.go-$version.XXXXXX")
trap 'rm -rf "$work"' EXIT

fetched=
for base in "${bases[@]}"; do
  url=$base/golang.org/toolchain/@v/$zip_name
  log "fetching Go $version for $plat from $url (first time only)"
  if curl -fsSL --netrc-optional --retry 3 -o "$work/toolchain.zip" "$url"; then
    fetched=$url
    break
  fi
  log "could not fetch $url"
done
[ -n "$fetched" ] || die "no proxy in GOPROXY served $zip_name"

got=$(sha256sum "$work/toolchain.zip" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  die "$fetched has SHA-256 $got, but $sums pins $want: refusing it"
fi

unzip -q "$work/toolchain.zip" -d "$work/unpacked"
stage=$work/unpacked/golang.org/toolchain@v0.0.1-go$version.$plat
[ -f "$stage/bin/go" ] || die "$zip_name holds no bin/go"
# Module zips carry no file modes: make the commands executable, as the go
# command does when it switches to a downloaded toolchain.
find "$stage/bin" "$stage/pkg/tool" -type f -exec chmod 0755 {} +

reported=$(run_go "$stage" version)
case "$reported" in
  "go version go$version $(echo "$plat" | tr - /)"*) ;;
  *) die "the fetched toolchain reports '$reported', not go$version" ;;
esac

# Publish atomically: a concurrent fetch that got there first wins, and an
# interrupted fetch never leaves a half-unpacked GOROOT that later runs trust.
if ! mv -T "$stage" "$goroot" 2>/dev/null; then
  [ -x "$goroot/bin/go" ] || die "could not move the toolchain into $goroot"
fi
log "installed $reported into $goroot"
echo "$goroot/bin/go"
