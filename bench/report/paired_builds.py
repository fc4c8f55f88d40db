#!/usr/bin/env python3
"""Before/after figures of one change, paired and interleaved (issues 9, 10,
20, 21: "no other row regresses by more than 5%, paired").

usage: paired_builds.py [--json LABEL] [--control] --rounds N BEFORE_BUILD AFTER_BUILD SPEC...
  SPEC is BENCH (every engine of bench_BENCH) or BENCH:ENGINE (one engine), e.g.
      paired_builds.py --rounds 9 build/bench-before build/bench-after \\
           yield:tasklet fib:tasklet thunk:tasklet thunk:cont

BEFORE_BUILD and AFTER_BUILD are two Release builds with -DRTA_BUILD_BENCH=ON
(the same flags) of the tree without and with the change. Each round runs
every SPEC once from each build, in a fresh process
(BUILD/bench/bench_BENCH --json --quick --runs 1 --warmup 1 [--only ENGINE]),
the two builds back to back and in alternating order (before first in odd
rounds, after first in even ones), so that a shared machine's drift falls on
both alike. A SPEC missing from either build is named and skipped.

Prints, per timed figure: the median over the rounds of each build, and the
median of the per-round ratios after/before (the paired figure). With --json
LABEL it prints instead one JSON line per figure for results.jsonl: bench
"paired_baseline", value = the median paired ratio, min/max over rounds,
params = the figure's bench, engine, params and metric and LABEL (what the
before build is, e.g. its commit).

--control adds an A/A control: every round also runs BEFORE_BUILD a second
time, the three runs in a rotating order (before, after, control; after,
control, before; control, before, after), and prints per figure the ratio
control/before as well (bench "paired_control" with --json). The two
builds being one, every difference in those ratios is the machine's: how
many rows a median of these few rounds puts past 5% by chance alone, and
how many "worse in every round" does, measured under the same load as the
real pairs rather than assumed.
"""
import json
import os
import statistics
import subprocess
import sys


def run(build, bench, engine):
    cmd = [f"{build}/bench/bench_{bench}", "--json", "--quick", "--runs", "1", "--warmup", "1"]
    if engine:
        cmd += ["--only", engine]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"paired_builds.py: {' '.join(cmd)} exited {r.returncode}: {r.stderr[-300:]}", file=sys.stderr)
        return {}
    out = {}
    for line in r.stdout.splitlines():
        if not line.startswith("{"):
            continue
        o = json.loads(line)
        if o.get("unit") != "ns" or not isinstance(o.get("value"), (int, float)):
            continue
        k = (o["bench"], o["engine"], json.dumps(o.get("params", {}), sort_keys=True), o["metric"])
        out[k] = o["value"]
    return out


def main():
    a = sys.argv[1:]
    label, control = None, False
    while a[:1] in (["--json"], ["--control"]):
        if a[0] == "--control":
            control, a = True, a[1:]
        elif len(a) > 1:
            label, a = a[1], a[2:]
        else:
            break
    if len(a) < 4 or a[0] != "--rounds":
        sys.exit(__doc__)
    rounds, before, after = int(a[1]), a[2], a[3]
    specs = []
    for s in a[4:]:
        bench, _, engine = s.partition(":")
        missing = [b for b in (before, after) if not os.access(f"{b}/bench/bench_{bench}", os.X_OK)]
        if missing:
            print(f"paired_builds.py: bench_{bench} not in {', '.join(missing)}: skipped", file=sys.stderr)
            continue
        specs.append((bench, engine or None))
    tags = ["before", "after"] + (["control"] if control else [])
    builds = {"before": before, "after": after, "control": before}
    vals = {}  # key -> {"before": [...], "after": [...], ["control": [...]]} in round order
    for r in range(rounds):
        if control:
            order = tags[r % 3:] + tags[:r % 3]  # each build first, second and third in turn
        else:
            order = tags if r % 2 == 0 else tags[::-1]
        for bench, engine in specs:
            got = {t: run(builds[t], bench, engine) for t in order}
            # Only figures every run produced in this round pair up.
            common = set(got["before"])
            for t in tags[1:]:
                common &= got[t].keys()
            for k in common:
                v = vals.setdefault(k, {t: [] for t in tags})
                for t in tags:
                    v[t].append(got[t][k])
        print(f"paired_builds.py: round {r + 1}/{rounds} done", file=sys.stderr)
    if label is None:
        print(f"{'bench':6} {'engine':8} {'params':58} {'metric':14} {'before':>10} {'after':>10} "
              f"{'paired after/before':>20}")
    for k, v in sorted(vals.items()):
        for tag, name in (("after", "paired_baseline"), ("control", "paired_control")):
            if tag not in v:
                continue
            ratios = [y / x for x, y in zip(v["before"], v[tag]) if x > 0]
            if not ratios:
                continue
            if label is not None:
                print(json.dumps({"bench": name, "engine": k[1], "metric": f"{tag}_over_before",
                                  "unit": "ratio", "value": statistics.median(ratios), "min": min(ratios),
                                  "max": max(ratios), "runs": len(ratios),
                                  "params": {"bench": k[0], "params": json.loads(k[2]), "metric": k[3],
                                             "before_ns": statistics.median(v["before"]),
                                             f"{tag}_ns": statistics.median(v[tag]), "baseline": label}}))
            else:
                print(f"{k[0]:6} {k[1]:8} {k[2]:58} {k[3]:14} {statistics.median(v['before']):10.2f} "
                      f"{statistics.median(v[tag]):10.2f} {statistics.median(ratios):20.3f}"
                      + ("  (A/A control)" if tag == "control" else ""))


if __name__ == "__main__":
    main()
