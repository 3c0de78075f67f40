#!/usr/bin/env bash
# hack/build-binaries.sh on a machine with no Go: with every `go` removed from
# PATH and an empty cache directory, it fetches the pinned toolchain from the
# Go module proxy, verifies it, and builds helm (the cheapest of the test
# binaries; kube-apiserver and kubectl take the same path and 6-8 minutes)
# -mod=readonly, leaving the committed go.mod and go.sum as they were. Then a
# toolchain zip whose SHA-256 differs from the pinned one is refused.
#
# The build cache (GOCACHE) and module cache (GOMODCACHE) are the user's: what
# this proves is who drives the build, not how fast the compiler is cold.
set -euo pipefail
src=${ST_SOURCE_DIR:?}
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/st-nogo-XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# PATH without any directory that holds a `go`.
nogo_path=
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -n "$d" ] && [ ! -e "$d/go" ] && nogo_path=${nogo_path:+$nogo_path:}$d
done
if PATH=$nogo_path command -v go >/dev/null; then fail "could not strip go from PATH"; fi

sums_before=$(cd "$src/hack/gomod" && sha256sum */go.mod */go.sum)

# Only helm is missing: the other binaries are given (never run here).
out=$(env -u GOROOT -u KUBEBUILDER_ASSETS -u TEST_ASSET_HELM PATH="$nogo_path" \
  SERVICETOKEN_CACHE_DIR="$work/cache" TEST_ASSET_KUBE_APISERVER=/unused TEST_ASSET_ETCD=/unused \
  TEST_ASSET_KUBECTL=/unused TEST_ASSET_KUBE_CONTROLLER_MANAGER=/unused \
  bash "$src/hack/build-binaries.sh" env 2>"$work/build.log") ||
  { cat "$work/build.log" >&2; fail "build-binaries.sh failed without go on PATH"; }

# The cache key of helm, as build-binaries.sh names it.
helm=$(ls -d "$work"/cache/helm-v3.22.0* 2>/dev/null | head -1)/helm
grep -qx "export TEST_ASSET_HELM=$helm" <<<"$out" || fail "env names another helm: $out"
[ -x "$helm" ] || fail "no helm was built into $helm"
version=$("$helm" version --template '{{.Version}}')
[ "$version" = v3.22.0 ] || fail "the built helm reports $version, not v3.22.0"
gobin=$(grep -o "$work/cache/go-[0-9.]*" "$work/build.log" | head -1)/bin/go
[ -x "$gobin" ] || { cat "$work/build.log" >&2; fail "no toolchain in the cache ($gobin)"; }
grep -q "fetching Go .* from " "$work/build.log" || fail "the log does not say where Go came from"
[ "$(cd "$src/hack/gomod" && sha256sum */go.mod */go.sum)" = "$sums_before" ] ||
  fail "the build rewrote hack/gomod/*/go.mod or go.sum"
echo "built $("$helm" version --template '{{.Version}}') with $(env -u GOROOT GOTOOLCHAIN=local "$gobin" version)"

# A proxy serving a zip that is not the pinned one: refused, nothing cached.
plat=$(env -u GOROOT GOTOOLCHAIN=local "$gobin" env GOOS GOARCH | paste -sd-)
zip=$(grep -o "v0\.0\.1-go[0-9.]*\.$plat\.zip" "$src/hack/go-toolchain.sha256")
mkdir -p "$work/proxy/golang.org/toolchain/@v"
echo "not the toolchain" >"$work/proxy/golang.org/toolchain/@v/$zip"
if env PATH="$nogo_path" SERVICETOKEN_CACHE_DIR="$work/cache2" GOPROXY="file://$work/proxy" \
   bash "$src/hack/go-toolchain.sh" >/dev/null 2>"$work/tamper.log"; then
  fail "a toolchain zip with the wrong SHA-256 was accepted"
fi
grep -q "refusing it" "$work/tamper.log" || { cat "$work/tamper.log" >&2; fail "no refusal message"; }
if compgen -G "$work/cache2/*" >/dev/null || compgen -G "$work/cache2/.go-*" >/dev/null; then
  fail "a refused toolchain left files in the cache: $(ls -A "$work/cache2")"
fi
echo "a tampered toolchain zip was refused: $(tail -1 "$work/tamper.log")"
