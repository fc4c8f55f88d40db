#!/usr/bin/env bash
# The echo benchmark (issue 11): the rtasync echo server on each engine and
# I/O backend vs a hand-written epoll C server and Go's net, under
# bench/echo/client.c at 1, 64 and 1,000 connections on loopback. Builds what
# it runs, writes bench/results/echo.jsonl; bench/run runs it and builds
# REPORT.md's section from that file (bench/report/loadreport.py).
# Bounded: 3 connection counts x 8 servers x (1 s warm-up + DURATION) per round.
#   bench/echo/run.sh [--quick] [--duration S] [--rounds N] [--no-report]
#     --quick      3 s per run, 1 round (about 2 minutes); default 10 s, 3 rounds
#     --no-report  leave REPORT.md and README.md alone (bench/run rebuilds them)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
source bench/report/load.sh
duration=10
rounds=3
report=yes
while [[ $# -gt 0 ]]; do
    case "$1" in
    --quick) duration=3; rounds=1 ;;
    --duration) duration="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --no-report) report="" ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "bench/echo/run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
scripts/install-deps.sh bench

out="$root/build/bench-echo"
cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-O3 -fno-omit-frame-pointer" \
      -DRTA_BUILD_TESTS=OFF -DRTA_BUILD_BENCH=ON >/dev/null
cmake --build "$out" -j"$(nproc)" --target echo_server_rta echo_server_epoll echo_client >/dev/null \
    || { echo "bench/echo/run.sh: the echo programs did not build" >&2; exit 1; }
load_go_peer bench/echo/go "$out/go-echo-peer"
python3 bench/echo/bench.py --build "$out/bench/echo" "${go_args[@]}" \
    --out "$root/bench/results/echo.jsonl" --duration "$duration" --rounds "$rounds"
echo "bench/echo/run.sh: wrote bench/results/echo.jsonl" >&2
if [[ -n $report ]]; then load_report bench/echo/run.sh; fi
