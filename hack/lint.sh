#!/usr/bin/env bash
# Checks formatting of our C++ sources and shell scripts' syntax. `make test`
# runs it (unit.lint.sources), so a change that is not clang-formatted fails
# there; `make format` fixes it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  sources() { git ls-files '*.cc' '*.h'; }
else  # an unpacked source archive
  sources() { find controller reconcilers tests -name '*.cc' -o -name '*.h' | sort; }
fi
bad=$(sources | xargs -P 2 -n 20 clang-format --dry-run -Werror 2>&1 | grep -o '^[^:]*\.\(cc\|h\):' | sort -u | tr -d ':' || true)
if [ -n "$bad" ]; then
  echo "Not clang-formatted (run make format):"; echo "$bad"; exit 1
fi
for s in hack/*.sh .ci/run; do bash -n "$s"; done
hack/check-chart-crds.sh
echo "lint: ok"
