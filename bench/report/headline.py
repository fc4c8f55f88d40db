#!/usr/bin/env python3
"""headline.py results.jsonl README.md: rewrites the text between
<!-- bench:headline --> and <!-- /bench:headline --> in README.md from the
committed results alone, so no headline figure or sentence outlives its run
(issue 9); the load benchmarks' lines come from their files beside it
(loadreport.py). Fails if the markers are missing."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

ROWS = [  # (README label, headline title of report.HEADLINES)
    ("fib, no suspension, ns per call", "fib, no suspension"),
    ("fib, yield at every leaf, ns per leaf", "fib, yield at every leaf"),
    ("suspend/resume at depth 1000, ns", "suspend/resume at depth 1000"),
    ("bytes per task suspended at depth 10", "bytes per task held at depth 10"),
    ("throw at depth 10 after a suspension, ns", "throw at depth 10 after a suspension"),
]
BEGIN, END = "<!-- bench:headline -->", "<!-- /bench:headline -->"


def build(rows, results_dir):
    idx = report.index(rows)
    meta = next((r["params"] for r in rows if r.get("bench") == "meta" and r.get("metric") == "machine"), {})
    heads = {t: v for t, _, v in report.headline_rows(idx)}
    cell = lambda v, e: report.fmt(v[e]["value"]) if e in v else "–"
    out = [f"## What the experiment found ({meta.get('mode', '?')} run of {meta.get('date', '?')}, "
           f"{meta.get('cores', '?')}-CPU {'VM' if 'VM' in meta.get('virt', '') else 'machine'}, "
           f"load {meta.get('load_at_start', '?').split(' ')[0]} at start"
           + (f", {report.END_LOAD['load'].split(' ')[0]} at end" if report.END_LOAD.get("load") else "")
           + " — "
           f"[full report](bench/results/REPORT.md))", "",
           "| | tasklet | cont | async1 (best builder) | sync C | best peer |",
           "| --- | --- | --- | --- | --- | --- |"]
    for label, title in ROWS:
        v = heads.get(title)
        if not v:
            continue
        a1, a1e = report.best(v, report.ASYNC1)
        pe, pee = report.best(v, report.PEERS)
        out.append(f"| {label} | {cell(v, 'tasklet')} | {cell(v, 'cont')} | "
                   f"{report.fmt(a1) if a1 is not None else '–'} | {cell(v, 'sync')} | "
                   f"{f'{report.fmt(pe)} ({pee})' if pe is not None else '–'} |")
    ratios = []
    for title, _, v in report.headline_rows(idx):
        p = report.paired([v[e] for e in report.ASYNC1 if e in v], [v[e] for e in report.ASYNC2 if e in v])
        if p:
            ratios.append((p[0], title))
    out.append("")
    if ratios:
        wins = sorted(r for r, _ in ratios if r > 1.15)
        losses = [t for r, t in ratios if r < 1 / 1.15]
        txt = (f"In this run, runtime-handled suspension (tasklet, cont) beats the classic async1 "
               f"state machines by more than 15% on {len(wins)} of the report's {len(ratios)} "
               f"headline workloads")
        if wins:
            txt += f" (by {report.fmt(wins[0])}–{report.fmt(wins[-1])}×, paired per round)"
        if losses:
            txt += f"; async1 is faster on {', '.join(losses)}"
        out.append(txt + ".")
    sem = report.SEMANTICS.get("row")
    if sem:
        out.append(f"The semantics suite, run by the same `bench/run` against all three engines, "
                   f"passed {int(sem['value'])} of {int(sem.get('total', 0))} test programs.")
    checks = report.target_checks(idx)
    met = [w for w, _, _, st in checks if st == "met"]
    judged = [w for w, _, _, st in checks if st in ("met", "not met")]
    if judged:
        out.append(f"Acceptance targets of the open issues (REPORT.md, \"Targets\"): {len(met)} of "
                   f"{len(judged)} met in this run" + (f" ({'; '.join(met)})" if met else "") + ".")
    out += report.loadreport.headline(results_dir)
    sp = report.spread(rows)
    if sp:
        out.append(f"Timed figures spread by a median {sp[0] * 100:.0f}% (max−min over median) "
                   f"across this run's rounds; compare within one run.")
    return "\n".join(out)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = report.load(sys.argv[1])
    report.context(sys.argv[1], rows)
    text = open(sys.argv[2]).read()
    if BEGIN not in text or END not in text:
        sys.exit(f"headline.py: {sys.argv[2]} lacks the {BEGIN} ... {END} markers")
    new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END),
                 lambda m: BEGIN + "\n" + build(rows, os.path.dirname(os.path.abspath(sys.argv[1]))) + "\n" + END, text, flags=re.S)
    with open(sys.argv[2], "w") as f:
        f.write(new)


if __name__ == "__main__":
    main()
