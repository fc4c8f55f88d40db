#!/usr/bin/env python3
"""Prints docs/io.md's Files tables from files_io's JSON lines.

usage: bench/files/summary.py bench/results/files.jsonl

4k rows: the median over the measured rounds (warm-up rounds left out) of
process CPU ns, wall ns and context switches per 4 KiB pread, per build
label, backend and way (rta_pread, rta_run_blocking of a pread, pread(2) on
the worker); builds run alternately (docs/io.md) are compared per label.
MiB rows: files_io's best of 5, as printed.
"""
import json
import statistics
import sys
from collections import defaultdict


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    small = defaultdict(list)
    for r in rows:
        if r.get("bench") == "files_4k" and not r["warmup"]:
            small[(r.get("label", ""), r["backend"], r["call"], r["via"])].append(r)
    print("| build | backend | call | via | rounds | CPU ns / call | wall ns / call | context switches / call | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (label, backend, call, via), v in sorted(small.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        med = lambda k: statistics.median(x[k] for x in v)
        loads = [x["load1"] for x in v]
        print(f"| {label} | {backend} | `{call}` | {via} | {len(v)} | {med('cpu_ns_per_call'):,.0f} | "
              f"{med('ns_per_call'):,.0f} | {med('csw_per_call'):.3f} | {min(loads):.0f}-{max(loads):.0f} |")
    print()
    print("| backend | pwrite MiB/s, 1 task | pread MiB/s, 1 task | pwrite MiB/s, 4 tasks | pread MiB/s, 4 tasks |")
    print("|---|---|---|---|---|")
    for r in rows:
        if r.get("bench") == "files_mib":
            print(f"| {r['backend']} | {r['pwrite_mibs_1']:,} | {r['pread_mibs_1']:,} | "
                  f"{r['pwrite_mibs_4']:,} | {r['pread_mibs_4']:,} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results/files.jsonl")
