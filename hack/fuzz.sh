#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-14 under ASan+UBSan
# (CMake option ST_FUZZ, its own build directory) and runs each for
# FUZZ_SECONDS. New inputs go to $BUILD_DIR/fuzz/corpus/<target>; the
# checked-in seeds in tests/fuzz/corpus/<target> are read, never written.
# A crash, leak, timeout or property violation leaves the input in
# $BUILD_DIR/fuzz/artifacts/<target>/ and makes the script exit 1.
#   hack/fuzz.sh [TARGET...]     every target by default (json, jwt, ...)
# Environment: FUZZ_SECONDS (60), FUZZ_JOBS (targets run at once; nproc),
# BUILD_DIR (build-fuzz), CXX_FUZZ (clang++-14).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
build=${BUILD_DIR:-build-fuzz}
cxx=${CXX_FUZZ:-clang++-14}

# Target, largest input, dictionary. A bound on the input size keeps each
# execution fast; every bound is above what the parser must handle well.
targets=(
  "json 8192 json.dict"
  "watch_line 8192 json.dict"
  "kubeconfig 8192 yaml.dict"
  "pem 8192 pem.dict"
  "jwt 4096 jwt.dict"
  "jwt_claims 2048 json.dict"
  "jwks 4096 json.dict"
  "duration 64 duration.dict"
  "codec 8192 json.dict"
  "verifier_request 4096 http.dict"
)

selected=("$@")
if [ ${#selected[@]} -eq 0 ]; then
  for t in "${targets[@]}"; do selected+=("${t%% *}"); done
fi

launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DST_FUZZ=ON -DBUILD_TESTING=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${selected[@]}")

out=$build/fuzz
mkdir -p "$out"
# Stack traces for UBSan reports too; libFuzzer itself detects leaks.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fuzz_one() {
  local name=$1 maxlen=$2 dict=$3
  local corpus=$out/corpus/$name artifacts=$out/artifacts/$name/ log=$out/$name.log
  mkdir -p "$corpus" "$artifacts"
  if "$build/bin/fuzz_$name" -max_total_time="$seconds" -max_len="$maxlen" -timeout=10 \
      -rss_limit_mb=2048 -dict="tests/fuzz/dict/$dict" -artifact_prefix="$artifacts" \
      -print_final_stats=1 "$corpus" "tests/fuzz/corpus/$name" >"$log" 2>&1; then
    echo "fuzz: $name ok: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
      grep -o '[0-9]*$') runs, $(grep -o 'cov: [0-9]*' "$log" | tail -1)"
  else
    echo "fuzz: $name FAILED (log: $log)"
    grep -m3 -E 'ERROR:|runtime error|fuzz property violated|SUMMARY' "$log" | sed 's/^/  /'
    for a in "$artifacts"*; do
      [ -f "$a" ] && echo "  reproduce: $build/bin/fuzz_$name $a"
    done
    return 1
  fi
}

status=0
for name in "${selected[@]}"; do
  spec=""
  for t in "${targets[@]}"; do [ "${t%% *}" = "$name" ] && spec=$t; done
  if [ -z "$spec" ]; then echo "fuzz: unknown target $name" >&2; exit 2; fi
  rm -f "$out/$name.failed"
  # At most $jobs targets at once; each records its own failure.
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  # shellcheck disable=SC2086
  { fuzz_one $spec || touch "$out/$name.failed"; } &
done
wait
for name in "${selected[@]}"; do
  if [ -e "$out/$name.failed" ]; then status=1; fi
done
exit $status
