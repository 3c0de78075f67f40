#!/usr/bin/env bash
# Proves that `hack/install-deps.sh runtime` (the image's runtime stage) covers
# every shared library BINARY loads: each library ldd resolves must belong to
# a package in that list, or to the base image's essentials (libc6, libgcc-s1).
set -euo pipefail
binary=${1:?usage: $0 BINARY}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
listed=$(sed -n '/^runtime=(/,/^)/p' "$here/install-deps.sh" | tr -s ' ()\n' '\n' | grep -v '^runtime=$' | grep -v '^$')
missing=0
while read -r lib; do
  [ -n "$lib" ] || continue
  real=$(readlink -f "$lib")
  pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null || true)
  pkg=${pkg%%:*}
  case "$pkg" in
    libc6|libgcc-s1|"") continue ;;
  esac
  if ! grep -qx "$pkg" <<<"$listed"; then
    echo "check-runtime-deps: $(basename "$binary") loads $lib from package $pkg, which the runtime list lacks"
    missing=1
  fi
done < <(ldd "$binary" | awk '$3 ~ /^\// {print $3}')
[ $missing -eq 0 ] && echo "check-runtime-deps: $(basename "$binary"): every shared library is covered"
exit $missing
