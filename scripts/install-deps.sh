#!/usr/bin/env bash
# Installs the Debian packages a task needs, and only those that are missing.
#   scripts/install-deps.sh test    what building and testing needs
#   scripts/install-deps.sh bench   that plus the peers and the report tools
# Assumes only gcc, make and cmake; needs root (or sudo) when something is missing.
set -euo pipefail

want=(gcc g++ make cmake pkg-config valgrind clang clang-format libc6-dev python3 python3-clang libclang-dev libdw-dev gdb liburing-dev)
if [[ "${1:-test}" == "bench" ]]; then
    want+=(golang-go libboost-context-dev libboost-fiber-dev libuv1-dev gnuplot-nox python3 binutils wrk nginx libcjson-dev)
fi

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: need root to install ${missing[*]}" >&2; exit 1; }
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
