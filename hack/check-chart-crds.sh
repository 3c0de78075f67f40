#!/usr/bin/env bash
# Checks that the Helm chart's copy of the CRDs equals crds/, the single source
# of truth: same files, byte for byte, and no extra ones.
#
#   hack/check-chart-crds.sh                      check charts/servicetoken-operator/crds/
#   hack/check-chart-crds.sh SOURCE_DIR COPY_DIR  check COPY_DIR against SOURCE_DIR
#
# Exit 0 when they match; 1 naming every drifted, missing or extra file (fix:
# cp crds/*.yaml charts/servicetoken-operator/crds/); 2 on a usage error.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case $# in
  0) src=$root/crds; copy=$root/charts/servicetoken-operator/crds ;;
  2) src=$1; copy=$2 ;;
  *) echo "usage: $0 [SOURCE_DIR COPY_DIR]" >&2; exit 2 ;;
esac
for d in "$src" "$copy"; do
  [ -d "$d" ] || { echo "check-chart-crds: no such directory: $d" >&2; exit 2; }
done

shopt -s nullglob
sources=("$src"/*.yaml)
if [ ${#sources[@]} -eq 0 ]; then
  echo "check-chart-crds: no CRD files in $src" >&2
  exit 2
fi

drift=0
for f in "${sources[@]}"; do
  name=$(basename "$f")
  if [ ! -f "$copy/$name" ]; then
    echo "check-chart-crds: $copy/$name is missing (source: $f)" >&2
    drift=1
  elif ! cmp -s "$f" "$copy/$name"; then
    echo "check-chart-crds: $copy/$name differs from $f" >&2
    drift=1
  fi
done
for f in "$copy"/*; do
  name=$(basename "$f")
  if [ ! -f "$src/$name" ]; then
    echo "check-chart-crds: $copy/$name has no source in $src" >&2
    drift=1
  fi
done

if [ $drift -ne 0 ]; then
  echo "check-chart-crds: the chart's CRDs drifted; run: cp $src/*.yaml $copy/" >&2
  exit 1
fi
echo "check-chart-crds: ok (${#sources[@]} CRDs)"
