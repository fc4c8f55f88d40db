"""REPORT.md's section for scenario 1, JSON over an asynchronous stream
(issue 14), from the bench "json" rows of results.jsonl (bench_json, run in
bench/run's paired rounds like every other program).

Throughput (MB/s of CPU time) is higher-is-better, unlike every other figure
of the report: ratios here are engine / sync (or sync's time over the
engine's for the per-message rows), paired round by round."""
import json

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
    low, low_where = {}, {}
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
                if p and op in MEMORY_OPS and (e not in low or p[0] < low[e]):
                    low[e], low_where[e] = p[0], f"{doc} {op}"
            table.append(f"| {doc} | {op} | {base} | " + " | ".join(cells) + " |")
    goals = ["| goal | this run | target | status |", "| --- | --- | --- | --- |"]
    for e in ("tasklet", "cont"):
        if e in low:
            goals.append(f"| {e} ≥ 0.9× sync to memory, every document and operation | lowest "
                         f"{fmt(low[e])}× ({low_where[e]}) | ≥ 0.9× | {'met' if low[e] >= 0.9 else 'not met'} |")
    tw = rows.get(("twitter", "write"), {}).get("MB_per_s_cpu", {}).get("sync")
    if tw:
        goals.append(f"| sync writes twitter.json ≥ 300 MB/s | {fmt(tw['value'])} MB/s | ≥ 300 MB/s | "
                     f"{'met' if tw['value'] >= 300 else 'not met'} |")
    tp = rows.get(("twitter", "parse"), {}).get("MB_per_s_cpu", {})
    if "sync" in tp and "cjson" in tp:
        p = paired([tp["sync"]], [tp["cjson"]])
        goals.append(f"| sync parses twitter.json ≥ cJSON | {fmt_paired(p)} | ≥ 1.0× | "
                     f"{'met' if p and p[0] >= 1.0 else 'not met'} |")
    md += goals + [""]
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
