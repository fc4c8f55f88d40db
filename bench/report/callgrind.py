#!/usr/bin/env python3
"""callgrind.py BENCH_BUILD PEER_BUILD [ONLY]: instructions per operation, which do
not move with machine load (issue 9). Runs each instrumented program once
under `valgrind --tool=callgrind --instr-atstart=no` (quick sizes, one run,
no warm-up: instruction counts need no repetition); the programs bracket
their measured regions with BENCH_CG_BEGIN/END (bench/common/cg.h), each of
which dumps a profile labelled cg|BENCH|ENGINE|PARAMS|METRIC|OPS. Prints one
JSON figure per label: value = Ir / OPS, unit "instr" (the smallest if a
label was dumped more than once). Go is not run (its runtime under valgrind
is not representative). ONLY: run just the programs whose path contains it
(bench/json/run --callgrind: bench_json)."""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

PROGRAMS = [  # (path relative to the build folder given, extra arguments)
    ("B/bench/bench_fib", []),
    ("B/bench/bench_yield", []),
    ("P/peer-cpp20", ["--bench", "fib"]),
    ("P/peer-cpp20-gcc-malloc", ["--bench", "fib"]),
    ("P/peer-boost", ["--bench", "fib"]),
    ("P/peer-cpp20", ["--bench", "yield"]),
    ("P/peer-boost", ["--bench", "yield"]),
    ("P/peer-boost-fiber", ["--bench", "yield"]),
    ("B/bench/bench_json", []),
    # The rtac-built rows that issue 10's paired run compares with 9266701's
    # hand-lowered programs (docs/async1.md "Against 9266701").
    ("B/bench/bench_sawtooth", []),
    # Not the tasklet: its depth-1000 chain overflows the 256 KiB stack
    # region under valgrind (it does not natively).
    ("B/bench/bench_depth", ["--only", "cont"]),
    ("B/bench/bench_depth", ["--only", "async1"]),
    ("B/bench/bench_thunk", []),
]


def parse(path):
    label, ir = None, None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("desc: Trigger: Client Request: "):
                label = line.split("Client Request: ", 1)[1].strip()
            elif line.startswith("totals:") or line.startswith("summary:"):
                ir = int(line.split()[1])
    return label, ir


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    b, p = sys.argv[1], sys.argv[2]
    only = sys.argv[3] if len(sys.argv) == 4 else ""
    best, order, failed = {}, [], 0
    for prog, extra in PROGRAMS:
        if only not in prog:
            continue
        exe = prog.replace("B/", b + "/", 1).replace("P/", p + "/", 1)
        if not os.access(exe, os.X_OK):
            continue
        with tempfile.TemporaryDirectory() as d:
            cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                   f"--callgrind-out-file={d}/cg.out", exe, "--json", "--quick", "--runs", "1",
                   "--warmup", "0"] + extra
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                failed += 1
                print(f"callgrind.py: {' '.join(cmd[-6:])} exited {r.returncode}: {r.stderr[-300:]}",
                      file=sys.stderr)
            for f in glob.glob(d + "/cg.out*"):
                label, ir = parse(f)
                if not label or not label.startswith("cg|") or ir is None:
                    continue
                _, bench, engine, params, metric, ops = label.split("|")
                k = (bench, engine, params, metric)
                v = ir / max(int(ops), 1)
                if k not in best:
                    order.append(k)
                    best[k] = v
                best[k] = min(best[k], v)
    for k in sorted(order, key=lambda k: (k[0], k[1], k[3], json.loads(k[2]).get("n", 0),
                                          json.loads(k[2]).get("yield_every", 0),
                                          json.loads(k[2]).get("tasks", 0))):
        bench, engine, params, metric = k
        print(json.dumps({"bench": bench, "engine": engine, "params": json.loads(params),
                          "metric": metric, "value": round(best[k], 1), "unit": "instr",
                          "runs": 1, "tool": "callgrind"}))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
