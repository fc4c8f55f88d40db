#!/usr/bin/env bash
# Cross-builds rtasync for AArch64 Linux and runs the test suite under
# qemu-user. Installs the Debian cross toolchain and emulator only when they
# are missing. scripts/test.sh (and so CI) runs it as its last configuration.
#
# usage: scripts/test-aarch64.sh [build-dir] [extra cmake args...]
#   e.g. scripts/test-aarch64.sh build-arm64 -DRTA_SWITCH_FPU_CONTROL=ON
# env:   JOBS (build/ctest parallelism, default nproc)
#        SYSROOT (default /usr/aarch64-linux-gnu, Debian's cross libc)
set -euo pipefail

cd "$(dirname "$0")/.."
build=${1:-build-arm64}
[ $# -gt 0 ] && shift
jobs=${JOBS:-$(nproc)}
sysroot=${SYSROOT:-/usr/aarch64-linux-gnu}

need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
[ -e "$sysroot/include/stdio.h" ] || need+=(libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
command -v cmake >/dev/null || need+=(cmake)
command -v ctest >/dev/null || need+=(cmake)
if [ ${#need[@]} -gt 0 ]; then
    sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "test-aarch64: installing ${need[*]}" >&2
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi

# ctest runs every test through CMAKE_CROSSCOMPILING_EMULATOR (tests are
# registered with the target name as COMMAND); -L points qemu's dynamic
# loader at the cross libc.
cmake -S . -B "$build" \
    -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
    -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc -DCMAKE_ASM_COMPILER=aarch64-linux-gnu-gcc \
    "-DCMAKE_CROSSCOMPILING_EMULATOR=qemu-aarch64;-L;$sysroot" \
    -DRTA_WERROR=ON "$@"
cmake --build "$build" -j"$jobs"
# Tests that re-exec themselves (posix_spawn of /proc/self/exe, e.g.
# async1_switch) need the host kernel to run an AArch64 ELF: that takes a
# binfmt_misc registration (Debian: qemu-user-binfmt), which this script does
# not install since it changes the whole machine. Without it those children
# fail with ENOEXEC (exit 127). With it, this variable lets them find the
# cross libc's dynamic loader.
export QEMU_LD_PREFIX="$sysroot"
cd "$build"
ctest --output-on-failure -j"$jobs"
