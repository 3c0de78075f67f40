#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, idempotently.
# As root it runs apt-get; otherwise it prints the exact command and exits 1.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libcpprest-dev libboost-system-dev libssl-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev prometheus-cpp-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang-format golang-go curl ca-certificates openssl
)

missing=()
for p in "${packages[@]}"; do
  # golang-go is only needed when no `go` is on PATH (the machine may ship its own).
  if [ "$p" = golang-go ] && command -v go >/dev/null 2>&1; then continue; fi
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
apt-get install -y --no-install-recommends "${missing[@]}" || { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
