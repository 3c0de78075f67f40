#!/usr/bin/env bash
# hack/plugin-archive.sh with the built kubectl-servicetoken: the archive holds
# exactly the file plugins/servicetoken.yaml installs, that file runs, the
# manifest copy it writes differs from the committed one only in this
# platform's sha256, which is the archive's, and a second build is identical.
set -euo pipefail
src=${ST_SOURCE_DIR:?}
bin=${ST_BINARY_DIR:?}/bin/kubectl-servicetoken
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "build kubectl-servicetoken first"
work=$(mktemp -d "${TMPDIR:-/tmp}/st-plugin-XXXXXX")
trap 'rm -rf "$work"' EXIT

bash "$src/hack/plugin-archive.sh" "$bin" "$work/a" >/dev/null
bash "$src/hack/plugin-archive.sh" "$bin" "$work/b" >/dev/null
archive=$(cd "$work/a" && ls kubectl-servicetoken_*.tar.gz)
[ "$(tar -tzf "$work/a/$archive")" = kubectl-servicetoken ] ||
  fail "$archive holds $(tar -tzf "$work/a/$archive" | paste -sd' '), not just kubectl-servicetoken"
grep -q "from: kubectl-servicetoken" "$src/plugins/servicetoken.yaml" || fail "the manifest installs another file"

sum=$(sha256sum "$work/a/$archive" | cut -d' ' -f1)
[ "$sum" = "$(sha256sum "$work/b/$archive" | cut -d' ' -f1)" ] || fail "two builds of the archive differ"
grep -q "sha256: \"$sum\"" "$work/a/servicetoken.yaml" || fail "the manifest copy does not carry the archive's sha256"
changed=$(diff "$src/plugins/servicetoken.yaml" "$work/a/servicetoken.yaml" | grep -c '^>' || true)
[ "$changed" -eq 1 ] || fail "the manifest copy differs in $changed lines, not 1"

mkdir "$work/x"
tar -xzf "$work/a/$archive" -C "$work/x"
"$work/x/kubectl-servicetoken" --help | grep -q "Usage: kubectl servicetoken" ||
  fail "the archived binary does not run"
echo "$archive: sha256 $sum, reproducible, runs"
