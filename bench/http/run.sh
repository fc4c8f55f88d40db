#!/usr/bin/env bash
# Scenario 2's benchmark (issue 13): rtahttpd on each engine and I/O backend
# vs nginx (Debian, `return 200` config) and Go net/http under wrk on loopback.
# Builds what it runs, writes bench/results/http.jsonl; bench/run runs it and
# builds REPORT.md's section from that file (bench/report/loadreport.py).
# Bounded: 4 scenarios x 8 servers x (1 s warm-up + DURATION) per round.
#   bench/http/run.sh [--quick] [--duration S] [--rounds N] [--no-report] [--soak [MINUTES]] [--engine E]
#     --quick      3 s per run, 1 round (about 3 minutes); default 10 s, 3 rounds
#     --no-report  leave REPORT.md and README.md alone (bench/run rebuilds them)
#     --soak       instead: MINUTES (default 10) of load with malformed requests
#                  mixed in; fails unless RSS stays flat (bench/http/soak.py);
#                  --engine E picks rtahttpd's engine (default tasklet); the
#                  result goes to bench/results/http-soak-E.json (REPORT.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
source bench/report/load.sh
duration=10
rounds=3
soak=""
soak_engine=tasklet
report=yes
while [[ $# -gt 0 ]]; do
    case "$1" in
    --quick) duration=3; rounds=1 ;;
    --duration) duration="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --no-report) report="" ;;
    --engine) soak_engine="$2"; shift ;;
    --soak) soak=10; [[ "${2:-}" =~ ^[0-9.]+$ ]] && { soak="$2"; shift; } ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench/http/run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
scripts/install-deps.sh bench

out="$root/build/bench-http"
cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-O3 -fno-omit-frame-pointer" \
      -DRTA_BUILD_TESTS=OFF >/dev/null
cmake --build "$out" -j"$(nproc)" --target rtahttpd >/dev/null \
    || { echo "bench/http/run.sh: rtahttpd did not build (is the I/O layer in the tree?)" >&2; exit 1; }
if [[ -n $soak ]]; then
    exec python3 bench/http/soak.py --rtahttpd "$out/scenarios/http/rtahttpd" --minutes "$soak" \
        --engine "$soak_engine" --out "$root/bench/results/http-soak-$soak_engine.json"
fi
load_go_peer bench/http/go "$out/go-http-peer"
python3 bench/http/bench.py --rtahttpd "$out/scenarios/http/rtahttpd" "${go_args[@]}" \
    --out "$root/bench/results/http.jsonl" --duration "$duration" --rounds "$rounds"
echo "bench/http/run.sh: wrote bench/results/http.jsonl" >&2
if [[ -n $report ]]; then load_report bench/http/run.sh; fi
