#!/usr/bin/env bash
# Checks formatting of our C++ sources and shell scripts' syntax.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bad=$(git ls-files '*.cc' '*.h' | while read -r f; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
if [ -n "$bad" ]; then
  echo "Not clang-formatted (run make format):"; echo "$bad"; exit 1
fi
for s in hack/*.sh .ci/run; do bash -n "$s"; done
hack/check-chart-crds.sh
echo "lint: ok"
