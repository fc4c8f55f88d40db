#!/usr/bin/env python3
"""Builds REPORT.md and PNG plots from results.jsonl alone.

usage: report.py results.jsonl OUTDIR

Every figure is a JSON object {bench, engine, params, metric, value, unit,
[min, max, runs, reason]}. Tables: one per bench, a row per (params, metric),
a column per engine, plus the ratio of each async engine to sync C and to the
best peer measured in the same run. The answers to the spec's two questions are
written from the same numbers.
"""
import json, os, shutil, subprocess, sys
from collections import OrderedDict, defaultdict

ENGINES = ["sync", "tasklet", "cont", "async1-task", "async1-vtask", "async1-pool"]
PEERS = ["cpp20", "boost", "go", "libuv"]
ORDER = {e: i for i, e in enumerate(ENGINES + PEERS)}
BENCHES = [("fib", "Recursive fib"), ("depth", "Suspend/resume at stack depth"),
           ("sawtooth", "Sawtooth suspension"), ("thunk", "Thunk cost"),
           ("lifetime", "Long- vs short-lived suspended state"), ("eh", "Exceptions")]
LOWER_IS_BETTER = True  # every metric we report is a cost


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    print(f"report: skipping malformed line: {line[:80]}", file=sys.stderr)
    return rows


def pkey(params):
    return json.dumps({k: v for k, v in sorted(params.items()) if k not in ("mechanism", "note")},
                      sort_keys=True)


def fmt(v):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def index(rows):
    """(bench, params-key, metric) -> engine -> row"""
    idx = OrderedDict()
    for r in rows:
        if r.get("bench") == "meta":
            continue
        k = (r["bench"], pkey(r.get("params", {})), r["metric"])
        idx.setdefault(k, {})[r["engine"]] = r
    return idx


def table(bench, idx):
    keys = [k for k in idx if k[0] == bench]
    if not keys:
        return "_No figures in this run._\n"
    engines = sorted({e for k in keys for e in idx[k]}, key=lambda e: ORDER.get(e, 99))
    out = ["| params | metric | " + " | ".join(engines) + " | best async2 / sync | best async2 / best peer |",
           "|" + "---|" * (len(engines) + 4)]
    notes = []
    for k in keys:
        cells = []
        for e in engines:
            r = idx[k].get(e)
            if r is None:
                cells.append("")
            elif r["metric"] == "unsupported" or r.get("reason"):
                cells.append("n/a")
                notes.append(f"- `{e}` {k[1]}: {r.get('reason', 'unsupported')}")
            else:
                span = f" ({fmt(r['min'])}–{fmt(r['max'])})" if "min" in r and r.get("runs", 1) > 1 else ""
                cells.append(fmt(r["value"]) + span)
        vals = {e: r["value"] for e, r in idx[k].items() if r["metric"] != "unsupported" and not r.get("reason")}
        a2 = [vals[e] for e in ("tasklet", "cont") if e in vals]
        peers = [vals[e] for e in PEERS if e in vals]
        rs = f"{min(a2) / vals['sync']:.2f}×" if a2 and vals.get("sync") else ""
        rp = f"{min(a2) / min(peers):.2f}×" if a2 and peers and min(peers) > 0 else ""
        unit = next(iter(idx[k].values())).get("unit", "")
        out.append(f"| `{k[1]}` | {k[2]} ({unit}) | " + " | ".join(cells) + f" | {rs} | {rp} |")
    if notes:
        out.append("")
        out.append("Not expressible:")
        out.extend(sorted(set(notes)))
    return "\n".join(out) + "\n"


def series(idx, bench, metric, xparam, fixed=None):
    """engine -> [(x, value)] for rows of bench/metric, varying xparam."""
    s = defaultdict(list)
    for (b, pk, m), byeng in idx.items():
        if b != bench or m != metric:
            continue
        p = json.loads(pk)
        if xparam not in p or any(p.get(fk) != fv for fk, fv in (fixed or {}).items()):
            continue
        for e, r in byeng.items():
            if not r.get("reason"):
                s[e].append((p[xparam], r["value"]))
    return {e: sorted(v) for e, v in s.items() if v}


def plot(name, title, xlabel, ylabel, data, outdir, logx=False, logy=False):
    if not data or not shutil.which("gnuplot"):
        return None
    dat = os.path.join(outdir, name + ".dat")
    png = name + ".png"
    engines = sorted(data, key=lambda e: ORDER.get(e, 99))
    with open(dat, "w") as f:
        for e in engines:
            f.write(f"# {e}\n")
            for x, y in data[e]:
                f.write(f"{x} {y}\n")
            f.write("\n\n")
    script = [f"set terminal pngcairo size 800,500 noenhanced" if gp_has_cairo() else "set terminal png size 800,500",
              f"set output '{os.path.join(outdir, png)}'", f"set title '{title}'",
              f"set xlabel '{xlabel}'", f"set ylabel '{ylabel}'", "set key outside right", "set grid"]
    if logx:
        script.append("set logscale x")
    if logy:
        script.append("set logscale y")
    plots = [f"'{dat}' index {i} with linespoints lw 2 title '{e}'" for i, e in enumerate(engines)]
    script.append("plot " + ", ".join(plots))
    subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=False)
    os.unlink(dat)
    return png if os.path.exists(os.path.join(outdir, png)) else None


_cairo = None
def gp_has_cairo():
    global _cairo
    if _cairo is None:
        r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
        _cairo = "pngcairo" in (r.stdout + r.stderr)
    return _cairo


def value(idx, bench, params, metric, engine):
    r = idx.get((bench, pkey(params), metric), {}).get(engine)
    return None if r is None or r.get("reason") else r["value"]


def answers(idx):
    """The spec's two questions, answered from this run's figures."""
    lines = []
    fib_plain = [k for k in idx if k[0] == "fib" and k[2] == "ns_per_call" and '"yield_every": 0' in k[1]
                 and "call" not in k[1]]
    for k in fib_plain:
        v = {e: r["value"] for e, r in idx[k].items() if not r.get("reason")}
        if "sync" in v:
            parts = [f"{e} {fmt(v[e])} ns ({v[e] / v['sync']:.2f}× sync)" for e in
                     sorted(v, key=lambda e: ORDER.get(e, 99)) if e != "sync"]
            lines.append(f"- Without suspension, fib `{k[1]}` per call: sync {fmt(v['sync'])} ns; " + "; ".join(parts) + ".")
    fib_y = [k for k in idx if k[0] == "fib" and k[2] == "ns_per_leaf" and '"yield_every": 1,' in k[1] + ","]
    for k in fib_y:
        v = {e: r["value"] for e, r in idx[k].items() if not r.get("reason")}
        best = sorted(v.items(), key=lambda kv: kv[1])
        lines.append(f"- Yield at every leaf, fib `{k[1]}` per leaf: " +
                     "; ".join(f"{e} {fmt(x)} ns" for e, x in best) + ".")
    a1 = {}
    for k in fib_plain + fib_y:
        v = {e: r["value"] for e, r in idx[k].items() if not r.get("reason")}
        async1 = [v[e] for e in ("async1-task", "async1-vtask", "async1-pool") if e in v]
        async2 = [v[e] for e in ("tasklet", "cont") if e in v]
        if async1 and async2:
            a1[k] = min(async1) / min(async2)
    if a1:
        lines.append("- **Question 1** (are runtime-handled async2 mechanisms substantially faster than async1?): "
                     + "; ".join(f"on `{k[1]}` ({k[2]}) the best async1 builder costs {r:.1f}× the best async2 engine"
                                 for k, r in a1.items()) + ".")
    else:
        lines.append("- **Question 1**: this run has no async1/async2 pair on the same workload yet.")
    thunks = [k for k in idx if k[0] == "thunk" and k[2] == "ns_per_call"]
    if thunks:
        lines.append("- **Question 2** (can async2 stay compatible with async1 code?): every engine calls "
                     "every other through the spec's two thunks; what they cost in this run: " + "; ".join(
                         f"{e} `{k[1]}` {fmt(r['value'])} ns" for k in thunks
                         for e, r in sorted(idx[k].items(), key=lambda kv: ORDER.get(kv[0], 99))
                         if not r.get("reason") and e in ENGINES)
                     + ". That the semantics hold (context flow, configure-await, exceptions, traces, "
                       "mixed overrides) is shown by the test suite: tests/semantics runs one test body "
                       "against every engine.")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = load(sys.argv[1])
    outdir = sys.argv[2]
    idx = index(rows)
    meta = next((r["params"] for r in rows if r.get("bench") == "meta"), {})
    md = ["# rtasync experiment report", ""]
    md.append(f"Run: {meta.get('date', '?')}, mode **{meta.get('mode', '?')}** — {meta.get('cpu', '?')}, "
              f"{meta.get('cores', '?')} cores, Linux {meta.get('kernel', '?')}; {meta.get('gcc', '?')}; "
              f"{meta.get('go', '')}.")
    md.append("")
    md.append("Values are medians of the runs (min–max in parentheses); lower is better. "
              "Ratios compare figures measured in this same run. Regenerate with `bench/run --quick` "
              "(or `bench/run` for the full mode); this file is built from `results.jsonl` alone.")
    md += ["", "## Answers", "", answers(idx)]
    plots = [
        plot("fib_yield", "fib: cost per leaf vs yield frequency", "yield every k-th leaf", "ns per leaf",
             series(idx, "fib", "ns_per_leaf", "yield_every"), outdir, logx=True, logy=True),
        plot("depth", "suspend/resume round trip vs stack depth", "depth", "ns per round trip",
             series(idx, "depth", "ns_per_roundtrip", "depth"), outdir, logx=True, logy=True),
        plot("bytes_per_task", "memory per suspended task", "tasks held", "bytes per task",
             series(idx, "lifetime", "bytes_per_task", "tasks"), outdir, logx=True, logy=True),
    ]
    md += ["## Plots", ""]
    md += [f"![{p}]({p})" for p in plots if p] or ["_gnuplot not available: no plots._"]
    md.append("")
    for bench, title in BENCHES:
        md += [f"## {title} (`{bench}`)", "", table(bench, idx)]
    with open(os.path.join(outdir, "REPORT.md"), "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
