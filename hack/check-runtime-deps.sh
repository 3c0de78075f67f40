#!/usr/bin/env bash
# Proves that `hack/install-deps.sh runtime` (the packages the image is made
# of, hack/image.py) covers every shared library BINARY loads: each library
# ldd resolves must belong to a package in that list.
set -euo pipefail
binary=${1:?usage: $0 BINARY}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
listed=$("$here/install-deps.sh" list runtime)
missing=0
while read -r lib; do
  [ -n "$lib" ] || continue
  real=$(readlink -f "$lib")
  pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null || true)
  pkg=${pkg%%:*}
  # No package: the vDSO and the like, which are not files of the image.
  [ -n "$pkg" ] || continue
  if ! grep -qx "$pkg" <<<"$listed"; then
    echo "check-runtime-deps: $(basename "$binary") loads $lib from package $pkg, which the runtime list lacks"
    missing=1
  fi
done < <(ldd "$binary" | awk '$3 ~ /^\// {print $3}')
[ $missing -eq 0 ] && echo "check-runtime-deps: $(basename "$binary"): every shared library is covered"
exit $missing
