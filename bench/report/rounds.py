#!/usr/bin/env python3
"""Paired, interleaved measurement (issue 9): runs every contestant once per
round, in the same order, in a fresh process each time (A B C ... A B C ...),
so that slow drift of a shared machine (other load, frequency, page cache)
falls on every contestant alike and the ratios of one round are paired.

usage: rounds.py --rounds N [--quick] [--warmup W] [--min-sample-ms M] CMD...
  CMD is one shell word list, e.g. 'build/bench/bench/bench_fib' or
  'env GOMAXPROCS=1 bench/peers/build/peer-go'; each is run as
  CMD --json --runs 1 --warmup W --min-sample-ms M [--quick]: every
  contestant gets the same warm-up and the same minimum sample duration
  (bench/common/bench.h, BENCH_REPEAT; bench/peers/common/peer.h).

Prints to stdout one JSON object per figure: value = median over the rounds,
min, max, runs = rounds that produced it, reps = the median repetitions per
sample where the program reports them (the engines), and samples = the
per-round values in round order (null where a round lacks it), which report.py pairs to
compute ratios round by round. A contestant that fails in a round is named on
stderr and the rounds go on; the exit status is 1 if any run failed.
"""
import json
import shlex
import statistics
import subprocess
import sys
import time


def parse(argv):
    rounds, quick, warmup, min_ms, cmds = 7, False, 1, "0", []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--rounds":
            rounds = int(argv[i + 1])
            i += 1
        elif a == "--warmup":
            warmup = int(argv[i + 1])
            i += 1
        elif a == "--min-sample-ms":
            min_ms = argv[i + 1]
            i += 1
        elif a == "--quick":
            quick = True
        elif a in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        else:
            cmds.append(a)
        i += 1
    if rounds < 1 or not cmds:
        sys.exit(__doc__)
    return rounds, quick, warmup, min_ms, cmds


def key(r):
    return (r.get("bench"), r.get("engine"), json.dumps(r.get("params", {}), sort_keys=True), r.get("metric"))


def main():
    rounds, quick, warmup, min_ms, cmds = parse(sys.argv[1:])
    order, samples, reps, first, failed = [], {}, {}, {}, 0
    t0 = time.time()
    for rnd in range(rounds):
        for cmd in cmds:
            argv = shlex.split(cmd) + ["--json", "--runs", "1", "--warmup", str(warmup),
                                       "--min-sample-ms", min_ms]
            if quick:
                argv.append("--quick")
            p = subprocess.run(argv, capture_output=True, text=True)
            if p.returncode != 0:
                failed += 1
                print(f"rounds.py: round {rnd + 1}: {cmd} exited {p.returncode}: "
                      f"{p.stderr.strip()[-300:]}", file=sys.stderr)
            for line in p.stdout.splitlines():
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    print(f"rounds.py: {cmd}: malformed line {line[:80]}", file=sys.stderr)
                    continue
                if "value" not in r and r.get("metric") != "unsupported":
                    # not a figure row: one program's stray JSON must not end the run
                    print(f"rounds.py: {cmd}: a line with no value, ignored: {line[:80]}", file=sys.stderr)
                    continue
                k = key(r)
                if k not in first:
                    order.append(k)
                    first[k] = r
                    samples[k] = [None] * rounds
                if r.get("metric") != "unsupported":
                    samples[k][rnd] = r["value"]
                    if "reps" in r:
                        reps.setdefault(k, []).append(r["reps"])
        print(f"rounds.py: round {rnd + 1}/{rounds} done ({time.time() - t0:.0f} s)", file=sys.stderr)
    for k in order:
        r = dict(first[k])
        if r.get("metric") != "unsupported":
            got = [v for v in samples[k] if v is not None]
            r.update(value=statistics.median(got), min=min(got), max=max(got), runs=len(got),
                     samples=samples[k])
            if k in reps:
                r["reps"] = statistics.median(reps[k])
        print(json.dumps(r))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
