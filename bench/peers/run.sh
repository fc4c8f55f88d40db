#!/bin/sh
# run.sh [--quick] [--runs N] - run every built peer with --json, one after
# another (never in parallel: they would disturb each other's timings).
# stdout carries only the peers' JSON lines; notes go to stderr. Exits 1 if
# a peer failed, after running the rest.
set -u
cd "$(dirname "$0")"
status=0
for p in sync cpp20 cpp20-gcc-malloc boost boost-fiber go libuv; do
  exe=${PEER_BUILD:-build}/peer-$p
  if [ ! -x "$exe" ]; then
    echo "run.sh: build/peer-$p not built, skipped (run build.sh)" >&2
    continue
  fi
  # sync fib is measured by bench_fib itself, in the same process as the
  # engines it is the floor for; the sync peer contributes the rest.
  only=""
  [ "$p" = sync ] && only="--bench eh"
  # GOMAXPROCS=1: single-thread figures (peer-go also sets it itself).
  GOMAXPROCS=1 "$exe" --json $only "$@" || {
    echo "run.sh: peer-$p failed" >&2
    status=1
  }
done
exit $status
