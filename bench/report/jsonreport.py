"""Scenario 1, JSON over an asynchronous stream (issue 14): the one place
that judges the issue's goals from a results file, and REPORT.md's section.

report.py calls json_section() with the bench "json" rows of results.jsonl
(bench_json, run in bench/run's paired rounds like every other program);
bench/json/figures.py goals, and this file run as a program, print the same
section for any results file:

  jsonreport.py [FILE]   FILE: results.jsonl (default bench/results/results.jsonl)
                         or bench_json's text output (bench/json/results/latest.txt)

Throughput (MB/s of CPU time) is higher-is-better, unlike every other figure
of the report: ratios here are engine / sync (or sync's time over the
engine's for the per-message rows), paired round by round where the file
has per-round samples (results.jsonl), else the ratio of the medians."""
import json
import os
import re
import sys

DOCS = ["twitter", "citm_catalog", "gen_1KiB", "gen_100KiB", "gen_10MiB", "message"]
MEMORY_OPS = ["parse", "write", "typed_write"]  # to and from memory: issue 14's 0.9x goal
ENGINES = ["sync", "tasklet", "cont", "async1", "async1-pool", "cjson"]


def _rows(idx):
    """(doc, op) -> metric -> engine -> row"""
    out = {}
    for (bench, pk, metric), byeng in idx.items():
        if bench != "json":
            continue
        p = json.loads(pk)
        out.setdefault((p.get("doc"), p.get("op")), {})[metric] = byeng
    return out


def _speed(cell, engine, paired):
    """engine's speed over sync's, paired per round: MB/s ratio, or time
    ratio for rows measured per operation (the message)."""
    if "MB_per_s_cpu" in cell and engine in cell["MB_per_s_cpu"] and "sync" in cell["MB_per_s_cpu"]:
        return paired([cell["MB_per_s_cpu"][engine]], [cell["MB_per_s_cpu"]["sync"]])
    if "ns_per_op" in cell and engine in cell["ns_per_op"] and "sync" in cell["ns_per_op"]:
        return paired([cell["ns_per_op"]["sync"]], [cell["ns_per_op"][engine]])
    return None


ASYNC2 = ["tasklet", "cont"]  # the engines the 0.9x goal is about
WRITE_FLOOR_MB_S = 300  # the sync build writing twitter.json
ASYNC2_FLOOR = 0.9  # async2 engines over sync, to memory


def goals(idx, paired):
    """Issue 14's goals judged on a results index (report.py's index()):
    (verdicts, low, low_where). Each verdict is a dict: what, value (the
    figure: a paired tuple, or MB/s), where (the row that decided it),
    target, missing (rows the goal needs that the file lacks), met (True,
    False, or None when the file has nothing to judge by). low/low_where:
    each engine's lowest speed over sync to memory and its row."""
    rows = _rows(idx)
    low, low_where, missing = {}, {}, {}
    for doc in DOCS:
        for op in MEMORY_OPS:
            cell = rows.get((doc, op))
            if not cell or not any(m in cell and "sync" in cell[m] for m in ("MB_per_s_cpu", "ns_per_op")):
                continue
            for e in ENGINES[1:]:
                p = _speed(cell, e, paired)
                if p is None:
                    missing.setdefault(e, []).append(f"{doc} {op}")
                elif e not in low or p[0] < low[e][0]:
                    low[e], low_where[e] = p, f"{doc} {op}"
    verdicts = []
    for e in ASYNC2:
        if e not in low and e not in missing:
            continue
        miss = missing.get(e, [])
        met = None if e not in low else (low[e][0] >= ASYNC2_FLOOR and not miss)
        verdicts.append(dict(what=f"{e} ≥ {ASYNC2_FLOOR}× sync to memory, every document and operation",
                             value=low.get(e), where=low_where.get(e), target=f"≥ {ASYNC2_FLOOR}×",
                             missing=miss, met=met))
    tw = rows.get(("twitter", "write"), {}).get("MB_per_s_cpu", {}).get("sync")
    if tw:
        verdicts.append(dict(what=f"sync writes twitter.json ≥ {WRITE_FLOOR_MB_S} MB/s", value=tw["value"],
                             where="twitter write", target=f"≥ {WRITE_FLOOR_MB_S} MB/s", missing=[],
                             met=tw["value"] >= WRITE_FLOOR_MB_S))
    tp = rows.get(("twitter", "parse"), {}).get("MB_per_s_cpu", {})
    if "sync" in tp and "cjson" in tp:
        p = paired([tp["sync"]], [tp["cjson"]])
        verdicts.append(dict(what="sync parses twitter.json ≥ cJSON", value=p, where="twitter parse",
                             target="≥ 1.0×", missing=[], met=None if p is None else p[0] >= 1.0))
    return verdicts, {e: p[0] for e, p in low.items()}, low_where


def _status(v):
    if v["met"] is None:
        return "no figures" if v["missing"] else "–"
    if v["missing"]:
        return f"not met: no figure for {', '.join(v['missing'])}"
    return "met" if v["met"] else "not met"


def _near(x, limit, fmt):
    """x as fmt prints it, or with three decimals where that rounding would
    cross the limit (0.897 printed as 0.90 against a 0.9 goal: not met)."""
    t = fmt(x)
    return t if (float(t.replace(",", "")) >= limit) == (x >= limit) else f"{x:.3f}"


def _goal_cell(v, fmt, fmt_paired):
    x = v["value"]
    if x is None:
        return "–"
    if isinstance(x, tuple) and v["what"].startswith(tuple(ASYNC2)):
        return f"lowest {_near(x[0], ASYNC2_FLOOR, fmt)}× ({v['where']})"
    if isinstance(x, tuple):
        return fmt_paired(x)
    return f"{fmt(x)} MB/s"


def json_section(idx, paired, fmt_paired, fmt):
    rows = _rows(idx)
    if not rows:
        return []
    md = ["## Scenario 1: JSON over an asynchronous stream (`bench_json`, issue 14)", "",
          "One parser and one writer, written once as async2 C (`scenarios/json`) and built through rtac "
          "for every engine, plus the same code as plain synchronous C to memory (`sync`, the floor) and "
          "cJSON (Debian) as the quality anchor. MB/s of CPU time (higher is better); the engine columns "
          "are speed over sync's, paired per round (median, min–max). `pipe` streams the document through "
          "a pipe to a reader task (no sync build does: its cells give each engine's own MB/s and "
          "suspensions per MB); the others are to and from memory.", ""]
    verdicts, low, low_where = goals(idx, paired)
    table = ["| document | op | sync | " + " | ".join(e for e in ENGINES[1:]) + " |",
             "|---|---|---:|" + "---:|" * (len(ENGINES) - 1)]
    for doc in DOCS:
        for op in MEMORY_OPS + ["pipe"]:
            cell = rows.get((doc, op))
            if not cell:
                continue
            if "MB_per_s_cpu" in cell and "sync" in cell["MB_per_s_cpu"]:
                base = f"{fmt(cell['MB_per_s_cpu']['sync']['value'])} MB/s"
            elif "ns_per_op" in cell and "sync" in cell["ns_per_op"]:
                base = f"{fmt(cell['ns_per_op']['sync']['value'])} ns"
            else:
                base = "–"
            cells = []
            if op == "pipe":  # no sync build streams: each engine's own MB/s and suspensions
                for e in ENGINES[1:]:
                    mb = cell.get("MB_per_s_cpu", {}).get(e)
                    su = cell.get("suspensions_per_MB", {}).get(e)
                    cells.append(f"{fmt(mb['value'])} MB/s" + (f", {fmt(su['value'])} susp./MB" if su else "")
                                 if mb else "")
                table.append(f"| {doc} | {op} | – | " + " | ".join(cells) + " |")
                continue
            for e in ENGINES[1:]:
                p = _speed(cell, e, paired)
                cells.append(fmt_paired(p) if p else "")
            table.append(f"| {doc} | {op} | {base} | " + " | ".join(cells) + " |")
    md += ["| goal | this run | target | status |", "| --- | --- | --- | --- |"]
    md += [f"| {v['what']} | {_goal_cell(v, fmt, fmt_paired)} | {v['target']} | {_status(v)} |" for v in verdicts]
    md += [""]
    a1 = [f"{e} {fmt(low[e])}× ({low_where[e]})" for e in ("async1", "async1-pool") if e in low]
    if a1:
        md += [f"Question 1 in this scenario, the cost of async1: its lowest speed over sync to memory is "
               + ", ".join(a1) + "; tasklet's is " + (f"{fmt(low['tasklet'])}×" if "tasklet" in low else "–")
               + ", cont's " + (f"{fmt(low['cont'])}×" if "cont" in low else "–") + " (table below).", ""]
    md += table + [""]
    allocs = [(doc, op, e, r["value"]) for (doc, op), cell in rows.items()
              for e, r in cell.get("allocs_per_op", {}).items() if doc == "twitter" and op == "parse"]
    if allocs:
        md += ["Allocations per parse of twitter.json: " + ", ".join(
            f"{e} {fmt(v)}" for _, _, e, v in sorted(allocs, key=lambda x: ENGINES.index(x[2])
                                                     if x[2] in ENGINES else 99)) + ".", ""]
    return md


# bench_json's text lines (bench/json/run's latest.txt):
#   json  ENGINE  {params}  METRIC  VALUE UNIT  [MIN .. MAX]
_TEXT_ROW = re.compile(r"(\S+)\s+(\S+)\s+(\{.*?\})\s+(\S+)\s+([-\d.eE+]+)")


def load_rows(path):
    """The figure rows of a results file: results.jsonl (JSON lines, meta
    lines included) or bench_json's text output (no per-round samples)."""
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
                continue
            m = _TEXT_ROW.match(line)
            if m:
                bench, engine, params, metric, value = m.groups()
                rows.append(dict(bench=bench, engine=engine, params=json.loads(params), metric=metric,
                                 value=float(value)))
    return rows


def main(argv):
    import report  # the report's index, pairing and number format (it imports this module too)

    here = os.path.dirname(os.path.abspath(__file__))
    path = argv[0] if argv else os.path.join(here, "..", "results", "results.jsonl")
    md = json_section(report.index(load_rows(path)), report.paired, report.fmt_paired, report.fmt)
    if not md:
        sys.exit(f"jsonreport: no bench_json rows in {path}")
    print("\n".join(md[2:]))  # the section without its heading


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1:])
