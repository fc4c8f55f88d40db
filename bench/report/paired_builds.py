#!/usr/bin/env python3
"""Before/after figures of one change, paired and interleaved (issue 20).

usage: paired_builds.py --rounds N BEFORE_BUILD AFTER_BUILD BENCH:ENGINE...
  e.g. paired_builds.py --rounds 9 build/bench-before build/bench-after \\
           yield:tasklet fib:tasklet thunk:tasklet thunk:cont

BEFORE_BUILD and AFTER_BUILD are two Release builds with -DRTA_BUILD_BENCH=ON
of the same tree without and with the change. Each round runs every
BENCH:ENGINE once from each build, in a fresh process
(BUILD/bench/bench_BENCH --json --quick --runs 1 --warmup 1 --only ENGINE),
the two builds back to back and in alternating order (before first in odd
rounds, after first in even ones), so that a shared machine's drift falls on
both alike. Prints, per figure: the median over the rounds of each build, and
the median of the per-round ratios after/before (the paired figure).
"""
import json
import statistics
import subprocess
import sys


def run(build, bench, engine):
    cmd = [f"{build}/bench/bench_{bench}", "--json", "--quick", "--runs", "1", "--warmup", "1",
           "--only", engine]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"paired_builds.py: {' '.join(cmd)} exited {r.returncode}: {r.stderr[-300:]}")
    out = {}
    for line in r.stdout.splitlines():
        if not line.startswith("{"):
            continue
        o = json.loads(line)
        if o.get("unit") != "ns":
            continue
        k = (o["bench"], o["engine"], json.dumps(o.get("params", {}), sort_keys=True), o["metric"])
        out[k] = o["value"]
    return out


def main():
    a = sys.argv[1:]
    if len(a) < 5 or a[0] != "--rounds":
        sys.exit(__doc__)
    rounds, before, after, specs = int(a[1]), a[2], a[3], [s.split(":") for s in a[4:]]
    vals = {}  # key -> {"before": [...], "after": [...]} in round order
    for r in range(rounds):
        order = [("before", before), ("after", after)]
        if r % 2:
            order.reverse()
        for bench, engine in specs:
            for tag, build in order:
                for k, v in run(build, bench, engine).items():
                    vals.setdefault(k, {"before": [], "after": []})[tag].append(v)
        print(f"paired_builds.py: round {r + 1}/{rounds} done", file=sys.stderr)
    print(f"{'bench':6} {'engine':8} {'params':58} {'metric':14} {'before':>10} {'after':>10} "
          f"{'paired after/before':>20}")
    for k, v in vals.items():
        b, f = v["before"], v["after"]
        if len(b) != len(f) or not b:
            continue
        ratios = [y / x for x, y in zip(b, f) if x > 0]
        print(f"{k[0]:6} {k[1]:8} {k[2]:58} {k[3]:14} {statistics.median(b):10.2f} "
              f"{statistics.median(f):10.2f} {statistics.median(ratios):20.3f}")


if __name__ == "__main__":
    main()
