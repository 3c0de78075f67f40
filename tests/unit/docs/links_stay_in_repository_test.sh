#!/usr/bin/env bash
# The user documentation (README.md, docs/, the chart's README) points only at
# files in the repository or at web addresses: no relative link leaves the
# repository, and nothing refers to the engineers' design notes outside it.
set -euo pipefail
src=${ST_SOURCE_DIR:?}
cd "$src"
fail=0
files=(README.md docs/*.md charts/servicetoken-operator/README.md)
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if grep -n 'shared/design\|PRODUCT\.md\|ARCHITECTURE\.md\|STYLE\.md' "$f"; then
    echo "FAIL: $f refers to design notes outside the repository" >&2
    fail=1
  fi
  dir=$(dirname "$f")
  while read -r target; do
    case "$target" in
      http://* | https://* | mailto:* | '#'*) continue ;;
    esac
    path=${target%%#*}
    resolved=$(realpath -m "$dir/$path")
    case "$resolved" in
      "$src" | "$src"/*) ;;
      *) echo "FAIL: $f links to $target, outside the repository" >&2; fail=1 ;;
    esac
  done < <(grep -o '](\([^)]*\))' "$f" | sed 's/^](//; s/)$//')
done
[ $fail -eq 0 ] && echo "${#files[@]} documents link only inside the repository"
exit $fail
