#!/bin/sh
# build.sh - build every peer into bench/peers/build/.
# A peer whose toolchain or library is missing is skipped with a note on
# stderr (its old binary removed, so run.sh cannot run a stale one) and the
# script still exits 0; a peer that is present but fails to compile is an
# error (exit 1). Every C/C++ contestant, the engines included (bench/run),
# is built with the same flags: -O3 -fno-omit-frame-pointer (RTA_BENCH_OPT).
# C++20 runs at its best (clang++, frames recycled by promise_type, symmetric
# transfer) as "cpp20", and as g++ with a malloc per frame as
# "cpp20-gcc-malloc". PEER_EXTRA adds flags (bench/check/run passes
# -DPEER_COUNT_CALLS) and PEER_BUILD picks the output folder.
# Packages: see PACKAGES. Override compilers with CC=... CXX=... CLANGXX=...
set -u
cd "$(dirname "$0")"
B=${PEER_BUILD:-$PWD/build}
mkdir -p "$B"
CC=${CC:-gcc}
CXX=${CXX:-g++}
CLANGXX=${CLANGXX:-clang++}
OPT=${RTA_BENCH_OPT:-"-O3 -fno-omit-frame-pointer"}
CFLAGS="$OPT -Wall -Wextra ${PEER_EXTRA:-}"
CXXFLAGS="-std=c++20 $OPT -Wall -Wextra ${PEER_EXTRA:-}"
status=0

skip() { rm -f "$B/peer-$1"; echo "build.sh: skipping $1: $2" >&2; }
built() { echo "build.sh: built build/peer-$1" >&2; }
failed() { echo "build.sh: $1 failed to compile" >&2; status=1; }
have() { command -v "$1" >/dev/null 2>&1; }
# Does this #include compile? (probes for the -dev packages)
header_ok() { printf '#include <%s>\n' "$2" | $1 -x "$3" -fsyntax-only - 2>/dev/null; }

if have "$CC"; then
  $CC $CFLAGS -o "$B/peer-sync" sync/sync_peer.c -lm && built sync || failed sync
else skip sync "no C compiler ($CC)"; fi

if have "$CLANGXX" && header_ok "$CLANGXX -std=c++20" coroutine c++; then
  $CLANGXX $CXXFLAGS -DPEER_RECYCLE_FRAMES -o "$B/peer-cpp20" cpp20/cpp20_peer.cpp && built cpp20 || failed cpp20
else skip cpp20 "no C++20 clang++ ($CLANGXX, package clang)"; fi

if have "$CXX" && header_ok "$CXX -std=c++20" coroutine c++; then
  $CXX $CXXFLAGS '-DENGINE="cpp20-gcc-malloc"' -o "$B/peer-cpp20-gcc-malloc" cpp20/cpp20_peer.cpp \
    && built cpp20-gcc-malloc || failed cpp20-gcc-malloc
else skip cpp20-gcc-malloc "no C++20 compiler ($CXX, package g++)"; fi

if have "$CXX" && header_ok "$CXX -std=c++20" boost/context/fiber.hpp c++; then
  $CXX $CXXFLAGS -o "$B/peer-boost" boost/boost_peer.cpp -lboost_context && built boost || failed boost
else skip boost "no Boost.Context headers (package libboost-context-dev)"; fi

if have "$CXX" && header_ok "$CXX -std=c++20" boost/fiber/all.hpp c++; then
  $CXX $CXXFLAGS -o "$B/peer-boost-fiber" fiber/fiber_peer.cpp -lboost_fiber -lboost_context \
    && built boost-fiber || failed boost-fiber
else skip boost-fiber "no Boost.Fiber headers (package libboost-fiber-dev)"; fi

if have go; then
  # Offline and self-contained: module cache and build cache live in build/.
  (cd go && GOFLAGS=-buildvcs=false GOPATH="$B/go-path" GOCACHE="$B/go-cache" \
    GOPROXY=off GO111MODULE=on go build ${GO_TAGS:+-tags "$GO_TAGS"} -o "$B/peer-go" .) && built go || failed go
else skip go "no Go toolchain (package golang-go)"; fi

if have "$CC" && header_ok "$CC" uv.h c; then
  $CC $CFLAGS -o "$B/peer-libuv" libuv/libuv_peer.c -luv -lm && built libuv || failed libuv
else skip libuv "no libuv headers (package libuv1-dev)"; fi

exit $status
