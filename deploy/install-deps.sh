#!/usr/bin/env bash
# Installs every Debian package courier needs to build, test and benchmark.
# Idempotent; run as root on Debian 12 (bookworm).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format
  # libraries courier links
  libevent-dev libnghttp2-dev libhiredis-dev libtomlplusplus-dev zlib1g-dev
  libre2-dev libxxhash-dev libsimdjson-dev libgoogle-perftools-dev libssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libhttp-parser-dev
  redis-server prometheus curl wrk nginx-light haproxy nghttp2-client nghttp2-proxy nghttp2-server
  python3-h2 python3-grpcio
  python3 procps iproute2 util-linux
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The packaged nginx, haproxy and redis start system services; the tests and
# benchmarks run their own instances on free loopback ports instead.
for svc in nginx haproxy redis-server nghttpx; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
  $SUDO service "$svc" stop >/dev/null 2>&1 || true
done
