#!/usr/bin/env python3
"""figures.py: the JSON scenario's tables for scenarios/json/README.md, from
committed results files (issue 14's goals).

  figures.py goals [bench/results/results.jsonl | bench/json/results/latest.txt]
      issue 14's goal table and every engine's speed over the sync build's
      per document and operation, as REPORT.md shows them: printed by
      bench/report/jsonreport.py, the one place that judges the goals.
  figures.py instructions [bench/json/results/instructions.jsonl [BEFORE.jsonl]]
      the sync build's instructions per KiB (per message for the message) and
      every contestant's count as a multiple of it (before -> after)."""
import json
import os
import sys

DOCS = ["twitter", "citm_catalog", "gen_1KiB", "gen_100KiB", "gen_10MiB", "message"]
OPS = ["parse", "write", "typed_write", "pipe"]
ENGINES = ["tasklet", "cont", "async1", "async1-pool"]


def goals(path):
    """The goal verdicts are judged in one place, bench/report/jsonreport.py
    (REPORT.md's section): this prints that section for `path`."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "report"))
    import jsonreport

    jsonreport.main([path])


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
        goals(sys.argv[2] if len(sys.argv) > 2 else "bench/results/results.jsonl")
    else:
        instructions(sys.argv[2] if len(sys.argv) > 2 else "bench/json/results/instructions.jsonl",
                     sys.argv[3] if len(sys.argv) > 3 else None)
