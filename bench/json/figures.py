#!/usr/bin/env python3
"""figures.py: the JSON scenario's tables for scenarios/json/README.md, from
committed results files (issue 14's goals).

  figures.py goals [bench/json/results/latest.txt]
      MB/s of every engine as a multiple of the sync build's (medians of the
      interleaved rounds), to memory; the sync build's twitter.json write
      MB/s and its parse MB/s over cJSON's.
  figures.py instructions [bench/json/results/instructions.jsonl [BEFORE.jsonl]]
      the sync build's instructions per KiB (per message for the message) and
      every contestant's count as a multiple of it (before -> after)."""
import json
import re
import sys

DOCS = ["twitter", "citm_catalog", "gen_1KiB", "gen_100KiB", "gen_10MiB", "message"]
OPS = ["parse", "write", "typed_write", "pipe"]
ENGINES = ["tasklet", "cont", "async1", "async1-pool"]


def goals(path):
    rows = {}
    for line in open(path):
        m = re.match(r"json\s+(\S+)\s+(\{.*?\})\s+(\S+)\s+([\d.]+)", line)
        if m:
            e, p, metric, v = m.groups()
            p = json.loads(p)
            rows[(p["doc"], p["op"], e, metric)] = float(v)
    print("| document | operation | sync | " + " | ".join(ENGINES) + " |")
    print("|---|---|---:|" + "---:|" * len(ENGINES))
    low = {}
    for d in DOCS:
        for o in OPS[:3]:
            s = rows.get((d, o, "sync", "MB_per_s_cpu"))
            if s:
                r = [rows[(d, o, e, "MB_per_s_cpu")] / s for e in ENGINES]
                for e, x in zip(ENGINES, r):
                    low[e] = min(low.get(e, 9), x)
                print(f"| {d} | {o} | {s:.0f} MB/s | " + " | ".join(f"{x:.2f}" for x in r) + " |")
            ns = rows.get((d, o, "sync", "ns_per_op"))
            if ns:  # time per message: the ratio is sync's time over the engine's
                r = [ns / rows[(d, o, e, "ns_per_op")] for e in ENGINES]
                for e, x in zip(ENGINES, r):
                    low[e] = min(low.get(e, 9), x)
                print(f"| {d} | {o} | {ns:.2f} ns | " + " | ".join(f"{x:.2f}" for x in r) + " |")
    print()
    print("lowest: " + ", ".join(f"{e} {x:.2f}" for e, x in low.items()))
    w = rows[("twitter", "write", "sync", "MB_per_s_cpu")]
    p = rows[("twitter", "parse", "sync", "MB_per_s_cpu")] / rows[("twitter", "parse", "cjson", "MB_per_s_cpu")]
    print(f"sync twitter.json write {w:.0f} MB/s; sync parse {p:.2f}x cJSON's")


def instructions(path, before_path=None):
    def load(f):
        return {(r["params"]["doc"], r["params"]["op"], r["engine"]): r["value"]
                for r in map(json.loads, open(f))}
    a = load(path)
    b = load(before_path) if before_path else {}
    cols = ENGINES + ["cjson"]
    print("| document | operation | sync | " + " | ".join(cols) + " |")
    print("|---|---|---:|" + "---:|" * len(cols))
    for d in DOCS:
        for o in OPS:
            s = a.get((d, o, "sync"))
            if not s:
                continue
            sb = b.get((d, o, "sync"))
            cells = []
            for e in cols:
                x = a.get((d, o, e))
                if x is None:
                    cells.append("")
                    continue
                t = f"{x / s:.3f}"
                if sb and (d, o, e) in b:
                    t = f"{b[(d, o, e)] / sb:.3f} → " + t
                cells.append(t)
            sv = (f"{sb:,.0f} → " if sb else "") + f"{s:,.0f}"
            print(f"| {d} | {o} | {sv} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("goals", "instructions"):
        sys.exit(__doc__)
    if sys.argv[1] == "goals":
        goals(sys.argv[2] if len(sys.argv) > 2 else "bench/json/results/latest.txt")
    else:
        instructions(sys.argv[2] if len(sys.argv) > 2 else "bench/json/results/instructions.jsonl",
                     sys.argv[3] if len(sys.argv) > 3 else None)
