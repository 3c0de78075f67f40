#!/usr/bin/env bash
# Builds the krew archive of kubectl-servicetoken for this platform, and a copy
# of plugins/servicetoken.yaml whose sha256 for this platform is that
# archive's, ready for a local install:
#   kubectl krew install --manifest=OUT/servicetoken.yaml --archive=OUT/<archive>
#
#   hack/plugin-archive.sh [BINARY [OUT_DIR]]
#       BINARY   default build/bin/kubectl-servicetoken
#       OUT_DIR  default build/plugin
#
# Reproducible from the same binary: it is stripped, and the tar has one
# entry with SOURCE_DATE_EPOCH (default: the last commit's time) as its time,
# owner 0; gzip stores no name or time.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
binary=${1:-$root/build/bin/kubectl-servicetoken}
out=${2:-$root/build/plugin}
manifest=$root/plugins/servicetoken.yaml

[ -x "$binary" ] || { echo "plugin-archive: $binary is not built (make build)" >&2; exit 1; }
version=$(sed -n 's/^  version: *"\{0,1\}\(v[0-9][^"]*\)"\{0,1\} *$/\1/p' "$manifest")
[ -n "$version" ] || { echo "plugin-archive: no spec.version in $manifest" >&2; exit 1; }
arch=$(dpkg --print-architecture)
archive=kubectl-servicetoken_${version}_linux_${arch}.tar.gz
grep -q "/$archive\$" "$manifest" ||
  { echo "plugin-archive: $manifest has no platform whose uri ends in $archive" >&2; exit 1; }
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct)}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
strip --strip-all -o "$stage/kubectl-servicetoken" "$binary"
chmod 0755 "$stage/kubectl-servicetoken"
mkdir -p "$out"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$stage" -cf - kubectl-servicetoken | gzip -n -9 >"$out/$archive"
sum=$(sha256sum "$out/$archive" | cut -d' ' -f1)

# The manifest with this sum on the sha256 line that follows this archive's uri.
awk -v archive="/$archive" -v sum="$sum" '
  index($0, "uri: ") && substr($0, length($0) - length(archive) + 1) == archive { mine = 1 }
  mine && $1 == "sha256:" { sub(/sha256: .*/, "sha256: \"" sum "\""); mine = 0 }
  { print }
' "$manifest" >"$out/servicetoken.yaml"
echo "$out/$archive sha256 $sum"
echo "$out/servicetoken.yaml"
