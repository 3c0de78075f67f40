#!/usr/bin/env bash
# Every C++ source is clang-formatted, every script parses, and the chart's
# CRDs are the project's (hack/lint.sh).
set -euo pipefail
exec "${ST_SOURCE_DIR:?}/hack/lint.sh"
