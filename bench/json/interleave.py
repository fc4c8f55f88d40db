#!/usr/bin/env python3
"""interleave.py: two builds of bench_json (a harness change: before, after)
run side by side, round by round, under the same load, each round in a fresh
process per build exactly as bench/run's rounds.py runs a program:

  BIN --json --runs 1 --warmup 1 --min-sample-ms 10 --quick

(bench/run's minimum sample duration; RTA_STALL_MS=0 as there). The order
of the two builds alternates every round. Writes OUT/before.jsonl and
OUT/after.jsonl in rounds.py's format (value = median over rounds, samples =
the per-round values), which bench/json/figures.py goals and REPORT.md's
pairing read, then prints for every document, operation and engine the speed
over the sync build's, paired per round (median, min-max, and the spread
max/min), before and after.

  interleave.py --rounds N --out DIR [--taskset CPUS] BEFORE_BIN AFTER_BIN
  interleave.py --summarize DIR     the same summary from DIR's files again
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "report"))
import jsonreport  # noqa: E402
import report  # noqa: E402


def run(binary, taskset):
    argv = ([ "taskset", "-c", taskset] if taskset else []) + [
        binary, "--json", "--runs", "1", "--warmup", "1", "--min-sample-ms", "10", "--quick"]
    p = subprocess.run(argv, capture_output=True, text=True, env=dict(os.environ, RTA_STALL_MS="0"))
    if p.returncode != 0:
        sys.exit(f"interleave.py: {binary} exited {p.returncode}: {p.stderr[-300:]}")
    return [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]


def key(r):
    return (r["bench"], r["engine"], json.dumps(r["params"], sort_keys=True), r["metric"])


def collect(per_round, rounds):
    first, samples, order = {}, {}, []
    for rnd, rows in enumerate(per_round):
        for r in rows:
            k = key(r)
            if k not in first:
                first[k], samples[k] = r, [None] * rounds
                order.append(k)
            samples[k][rnd] = r["value"]
    out = []
    for k in order:
        r = dict(first[k])
        got = [v for v in samples[k] if v is not None]
        r.update(value=statistics.median(got), min=min(got), max=max(got), runs=len(got),
                 samples=samples[k])
        out.append(r)
    return out


def ratios(rows):
    """(doc, op, engine) -> per-round engine/sync MB/s ratios"""
    mbps = {}
    for r in rows:
        if r["metric"] == "MB_per_s_cpu":
            mbps[(r["params"]["doc"], r["params"]["op"], r["engine"])] = r["samples"]
    out = {}
    for (d, o, e), s in mbps.items():
        ref = mbps.get((d, o, "sync"))
        if e != "sync" and ref:
            out[(d, o, e)] = [a / b for a, b in zip(s, ref) if a and b]
    return out


def cell(v):
    if not v:
        return ""
    return f"{statistics.median(v):.2f}× ({min(v):.2f}–{max(v):.2f}, spread {max(v) / min(v):.2f})"


def summarize(out, rows):
    before, after = ratios(rows["before"]), ratios(rows["after"])
    print("| document | op | engine | before: speed over sync, paired (min–max, spread) | after |")
    print("|---|---|---|---|---|")
    for d in jsonreport.DOCS:
        for o in jsonreport.MEMORY_OPS:
            for e in jsonreport.ENGINES[1:]:
                if (d, o, e) in before or (d, o, e) in after:
                    print(f"| {d} | {o} | {e} | {cell(before.get((d, o, e)))} | {cell(after.get((d, o, e)))} |")
    print("\nspread (max/min of the per-round ratios) over the rows to memory, before -> after:")
    for e in jsonreport.ASYNC2 + ["async1", "async1-pool"]:
        sp = {who: sorted(max(v) / min(v) for (d, o, x), v in r.items() if x == e and len(v) > 1)
              for who, r in (("before", before), ("after", after))}
        if sp["before"] and sp["after"]:
            print(f"  {e}: median {statistics.median(sp['before']):.2f} -> {statistics.median(sp['after']):.2f}, "
                  f"largest {sp['before'][-1]:.2f} -> {sp['after'][-1]:.2f} ({len(sp['after'])} rows)")
    for who in rows:
        print(f"\n{who}: {os.path.join(out, who + '.jsonl')}\n")
        jsonreport.main([os.path.join(out, who + ".jsonl")])


def main(argv):
    if len(argv) == 2 and argv[0] == "--summarize":
        summarize(argv[1], {who: [json.loads(x) for x in open(os.path.join(argv[1], who + ".jsonl"))]
                            for who in ("before", "after")})
        return
    rounds, out, taskset, bins = 5, None, None, []
    i = 0
    while i < len(argv):
        if argv[i] in ("--rounds", "--out", "--taskset"):
            val = argv[i + 1]
            if argv[i] == "--rounds":
                rounds = int(val)
            elif argv[i] == "--out":
                out = val
            else:
                taskset = val
            i += 2
        else:
            bins.append(argv[i])
            i += 1
    if len(bins) != 2 or not out:
        sys.exit(__doc__)
    res = {"before": [], "after": []}
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    for rnd in range(rounds):
        order = ["before", "after"] if rnd % 2 == 0 else ["after", "before"]
        for who in order:
            res[who].append(run(bins[0] if who == "before" else bins[1], taskset))
        print(f"interleave.py: round {rnd + 1}/{rounds} done ({time.time() - t0:.0f} s)", file=sys.stderr)
    rows = {}
    for who in res:
        rows[who] = collect(res[who], rounds)
        with open(os.path.join(out, who + ".jsonl"), "w") as f:
            for r in rows[who]:
                f.write(json.dumps(r) + "\n")
    summarize(out, rows)


if __name__ == "__main__":
    main(sys.argv[1:])
