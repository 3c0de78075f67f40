#!/usr/bin/env bash
# Installs the Debian packages a job needs, idempotently.
#   hack/install-deps.sh            everything: build, tests, tools (the default)
#   hack/install-deps.sh build      what compiling the operator needs (the image's build stage)
#   hack/install-deps.sh runtime    the shared libraries the binaries load: exactly the
#                                   packages whose files make up the image (hack/image.py)
#   hack/install-deps.sh fuzz       build, plus clang-14 and libFuzzer for `make fuzz`
#   hack/install-deps.sh bench      what `make bench` adds: gnuplot (the plot in
#                                   docs/performance.md), perf and heaptrack (profiling);
#                                   no test needs them
#   hack/install-deps.sh list SET   print SET's package names, one a line (installs nothing)
# As root it runs apt-get; otherwise it prints the exact command and exits 1.
set -euo pipefail

runtime=(
  libc6 libgcc-s1 ca-certificates libcpprest2.10 libyaml-cpp0.7 libspdlog1.10 libfmt9 libssl3
  libprometheus-cpp-core1.0 libsimdjson14 libbrotli1 libstdc++6 zlib1g
)
build=(
  build-essential cmake ninja-build pkg-config git
  libcpprest-dev libboost-system-dev libssl-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libsimdjson-dev prometheus-cpp-dev libcli11-dev
  libgtest-dev libgmock-dev googletest
)
# No Go: hack/build-binaries.sh fetches its own pinned toolchain (curl, unzip).
tools=(libbenchmark-dev clang-format curl unzip openssl python3 util-linux nginx-light wrk)

if [ "${1:-}" = list ]; then
  set -- "${2:-all}"
  listing=1
fi

# make bench only: the convergence plot and profiling (CPU: perf; heap: heaptrack).
bench=(gnuplot-nox linux-perf heaptrack)

# libFuzzer exists only for clang; its runtime and the sanitizers' are in libclang-rt.
fuzz=(clang-14 libfuzzer-14-dev libclang-rt-14-dev)

case "${1:-all}" in
  runtime) packages=("${runtime[@]}") ;;
  build) packages=("${build[@]}") ;;
  fuzz) packages=("${build[@]}" "${fuzz[@]}") ;;
  bench) packages=("${bench[@]}") ;;
  all) packages=("${build[@]}" "${tools[@]}") ;;
  *) echo "usage: $0 [list] [all|build|runtime|fuzz|bench]" >&2; exit 2 ;;
esac

if [ -n "${listing:-}" ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages; run as root:" >&2
  echo "  apt-get update && $cmd" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh when the install fails for that.
apt-get install -y --no-install-recommends "${missing[@]}" ||
  { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
