#!/usr/bin/env python3
"""Builds REPORT.md and PNG plots from results.jsonl alone.

usage: report.py results.jsonl OUTDIR

Every figure is a JSON object {bench, engine, params, metric, value, unit,
[min, max, runs, reason]}. Tables: one per bench, a row per (params, metric),
a column per engine, plus the ratio of each async engine to sync C and to the
best peer measured in the same run. The load benchmarks' sections come from
their own files beside it (http.jsonl, echo.jsonl: loadreport.py). The answers to the spec's two questions are
written from the same numbers.
"""
import json, os, shutil, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadreport  # noqa: E402
import jsonreport  # noqa: E402
from collections import OrderedDict, defaultdict

ENGINES = ["sync", "tasklet", "cont", "async1-task", "async1-vtask", "async1-pool"]
PEERS = ["cpp20", "cpp20-gcc-malloc", "boost", "boost-fiber", "go", "libuv"]
ORDER = {e: i for i, e in enumerate(ENGINES + PEERS)}
BENCHES = [("fib", "Recursive fib"), ("depth", "Suspend/resume at stack depth"),
           ("sawtooth", "Sawtooth suspension"), ("thunk", "Thunk cost"),
           ("lifetime", "Long- vs short-lived suspended state"), ("eh", "Exceptions"),
           ("yield", "Scheduler yield, 1 to 10,000 tasks")]
LOWER_IS_BETTER = True  # every metric we report is a cost
# Fixed colours so an engine looks the same in every plot; peers dashed.
COLORS = {"sync": "#000000", "tasklet": "#d62728", "cont": "#2ca02c", "async1-task": "#1f77b4",
          "async1-vtask": "#17becf", "async1-pool": "#9467bd", "cpp20": "#ff7f0e",
          "boost": "#8c564b", "go": "#7f7f7f", "libuv": "#bcbd22", "cpp20-gcc-malloc": "#ffbb78",
          "boost-fiber": "#c49c94"}


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
    """Three significant figures at most; never prints a non-zero as 0.00."""
    if v is None:
        return "–"
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 0.1:
        return f"{v:.2f}"
    return f"{v:.2g}"


def fmt_ratio(r):
    return "–" if r is None else fmt(r) + "×"


def ok(r):
    return r is not None and r["metric"] != "unsupported" and not r.get("reason")


def paired(a_rows, b_rows):
    """Ratio best(a) / best(b), round by round when both carry per-round
    samples (rounds.py): median, min and max of the per-round ratios.
    Without samples, the ratio of the medians and no spread."""
    a_rows, b_rows = [r for r in a_rows if ok(r)], [r for r in b_rows if ok(r)]
    if not a_rows or not b_rows:
        return None
    ns = {len(r.get("samples") or []) for r in a_rows + b_rows}
    if len(ns) == 1 and 0 not in ns:
        ratios = []
        for i in range(ns.pop()):
            a = [r["samples"][i] for r in a_rows if r["samples"][i] is not None]
            b = [r["samples"][i] for r in b_rows if r["samples"][i] is not None]
            if a and b and min(b) > 0:
                ratios.append(min(a) / min(b))
        if ratios:
            ratios.sort()
            m = len(ratios)
            med = ratios[m // 2] if m % 2 else (ratios[m // 2 - 1] + ratios[m // 2]) / 2
            return med, ratios[0], ratios[-1], m
    a, b = min(r["value"] for r in a_rows), min(r["value"] for r in b_rows)
    return (a / b, None, None, 1) if b > 0 else None


def fmt_paired(p, spread=True):
    if p is None:
        return ""
    med, lo, hi, n = p
    if spread and lo is not None and n > 1:
        return f"{fmt_ratio(med)} ({fmt(lo)}–{fmt(hi)})"
    return fmt_ratio(med)


META = {}  # this run's meta params
END_LOAD = {}  # the load when the rounds ended
SEMANTICS = {}  # "row": the semantics suite's pass counts, if this run has them
PAIRED = []  # bench/run --baseline REF: after/before ratios paired round by round
CONTROL = []  # and the A/A control's: REF against itself in the same rounds


def index(rows):
    """(bench, params-key, metric) -> engine -> row"""
    idx = OrderedDict()
    for r in rows:
        if r.get("bench") == "semantics":
            SEMANTICS["row"] = r
        if r.get("bench") == "paired_baseline":
            PAIRED.append(r)
            continue
        if r.get("bench") == "paired_control":
            CONTROL.append(r)
            continue
        if r.get("bench") in ("meta", "semantics"):
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
        a2 = [idx[k][e] for e in ("tasklet", "cont") if e in idx[k]]
        peers = [idx[k][e] for e in PEERS if e in idx[k]]
        rs = fmt_paired(paired(a2, [idx[k]["sync"]] if "sync" in idx[k] else []))
        rp = fmt_paired(paired(a2, peers))
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
    engines = sorted(data, key=lambda e: (ORDER.get(e.split(" ")[0], 99), e))
    dropped = []
    with open(dat, "w") as f:
        for e in engines:
            f.write(f"# {e}\n")
            for x, y in data[e]:
                if logy and y <= 0:  # a log axis cannot show it: say so below the plot
                    dropped.append(f"{e} at {xlabel} {x}: {fmt(y)}")
                    continue
                f.write(f"{x} {y}\n")
            f.write("\n\n")
    if dropped:
        PLOT_NOTES.append(f"`{png}` cannot show these values on its log axis: " + "; ".join(dropped) + ".")
    script = [f"set terminal pngcairo size 800,500 noenhanced" if gp_has_cairo() else "set terminal png size 800,500",
              f"set output '{os.path.join(outdir, png)}'", f"set title '{title}'",
              f"set xlabel '{xlabel}'", f"set ylabel '{ylabel}'", "set key outside right", "set grid"]
    if logx:
        script.append("set logscale x")
    if logy:
        script.append("set logscale y")
    plots = [f"'{dat}' index {i} with linespoints lw 2 lc rgb '{COLORS.get(e.split(' ')[0], '#444444')}' "
             f"dt {2 if e.split(' ')[0] in PEERS else (4 if ('all' in e or 'tasks 100' in e) else 1)} title '{e}'"
             for i, e in enumerate(engines)]
    script.append("plot " + ", ".join(plots))
    subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=False, capture_output=True)
    os.unlink(dat)
    return png if os.path.exists(os.path.join(outdir, png)) else None


PLOT_NOTES = []


def bar_plot(name, title, ylabel, bars, outdir, logy=True):
    """bars: [(label, value, engine)] as boxes with their labels on the x axis."""
    bars = [b for b in bars if b[1] is not None]
    if not bars or not shutil.which("gnuplot"):
        return None
    dat = os.path.join(outdir, name + ".dat")
    png = name + ".png"
    with open(dat, "w") as f:
        for i, (label, v, e) in enumerate(bars):
            f.write(f"{i} {v if v > 0 else 'NaN'} 0x{COLORS.get(e, '#444444')[1:]} \"{label}\"\n")
    zero = [f"{l}: {fmt(v)}" for l, v, _ in bars if v <= 0]
    if zero and logy:
        PLOT_NOTES.append(f"`{png}` cannot show these values on its log axis: " + "; ".join(zero) + ".")
    script = [f"set terminal pngcairo size 900,520 noenhanced" if gp_has_cairo() else "set terminal png size 900,520",
              f"set output '{os.path.join(outdir, png)}'", f"set title '{title}'", f"set ylabel '{ylabel}'",
              "set style fill solid 0.8", "set boxwidth 0.7", "set grid ytics", "unset key",
              "set xtics rotate by -40 left font ',8'", "set bmargin 9", f"set xrange [-0.6:{len(bars) - 0.4}]"]
    if logy:
        script.append("set logscale y")
    script.append(f"plot '{dat}' using 1:2:3:xtic(4) with boxes lc rgb variable")
    subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=False, capture_output=True)
    os.unlink(dat)
    return png if os.path.exists(os.path.join(outdir, png)) else None


def label_of(engine, params, skip):
    extra = ", ".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in skip)
    return f"{engine} ({extra})" if extra else engine


def bars_of(idx, bench, metric, pred=lambda p: True, skip=("calls",)):
    out = []
    for (b, pk, m), byeng in idx.items():
        if b != bench or m != metric:
            continue
        p = json.loads(pk)
        if not pred(p):
            continue
        for e, r in byeng.items():
            if ok(r):
                full = dict(p, **{k: v for k, v in r.get("params", {}).items() if k == "note"})
                full.pop("note", None)
                out.append((label_of(e, full, skip), r["value"], e))
    out.sort(key=lambda b: (ORDER.get(b[2], 99), b[0]))
    return out


MIN_TASKS_BYTES = 1000


def bytes_series(idx):
    """Lifetime bytes per task vs tasks held, from MIN_TASKS_BYTES tasks up: at
    10 tasks one 4 KiB page more or less is 409.6 bytes per task, so those
    points measure page rounding, not the engines (their rows stay in the
    table); the note under the plots says so."""
    s = series(idx, "lifetime", "bytes_per_task", "tasks", {"hold_ms": 10})
    if any(x < MIN_TASKS_BYTES for v in s.values() for x, _ in v):
        PLOT_NOTES.append(f"`bytes_per_task.png` leaves out the rows with fewer than {MIN_TASKS_BYTES:,} tasks "
                          f"held (in the lifetime table): one 4 KiB page over 10 tasks is 409.6 bytes per "
                          f"task, page rounding rather than a cost.")
    return {e: [(x, y) for x, y in v if x >= MIN_TASKS_BYTES] for e, v in s.items()}


def saw_series(idx):
    """sawtooth ns_per_cycle against the amplitude (peak - base), a line per engine and task count."""
    out = defaultdict(list)
    for (b, pk, m), byeng in idx.items():
        if b != "sawtooth" or m != "ns_per_cycle":
            continue
        p = json.loads(pk)
        amp = p.get("peak", 30) - p.get("base", 10)
        for e, r in byeng.items():
            if ok(r):
                out[f"{e} (tasks {p.get('tasks')})"].append((amp, r["value"]))
    return {e: sorted(v) for e, v in out.items()}


def series_by(idx, bench, metric, xparam, split, fixed=None):
    """Like series, with one line per engine and value of the `split` param."""
    out = {}
    vals = {json.loads(pk).get(split) for (b, pk, m) in idx if b == bench and m == metric}
    for v in sorted(x for x in vals if x is not None):
        for e, pts in series(idx, bench, metric, xparam, dict(fixed or {}, **{split: v})).items():
            out[f"{e} ({split} {v})"] = pts
    return out


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


ASYNC2 = ("tasklet", "cont")
ASYNC1 = ("async1-task", "async1-vtask", "async1-pool")

# The headline workloads for question 1: (title, bench, metric, params predicate).
HEADLINES = [
    ("fib, no suspension", "fib", "ns_per_call", lambda p: p.get("yield_every") == 0 and "call" not in p),
    ("fib, yield at every leaf", "fib", "ns_per_leaf", lambda p: p.get("yield_every") == 1),
    ("fib, yield every 10th leaf", "fib", "ns_per_leaf", lambda p: p.get("yield_every") == 10),
    ("suspend/resume at depth 10", "depth", "ns_per_roundtrip", lambda p: p.get("depth") == 10 and "yields" in p),
    ("suspend/resume at depth 1000", "depth", "ns_per_roundtrip", lambda p: p.get("depth") == 1000),
    ("sawtooth, 1 task", "sawtooth", "ns_per_cycle", lambda p: p.get("tasks") == 1),
    ("sawtooth, 100 tasks", "sawtooth", "ns_per_cycle", lambda p: p.get("tasks") == 100),
    ("bytes per task held at depth 10", "depth", "bytes_per_task", lambda p: True),
    ("resume p99, most tasks held 10 ms", "lifetime", "resume_p99_ns", lambda p: p.get("hold_ms", 10) == 10),
    ("throw at depth 10 after a suspension", "eh", "ns_per_throw", lambda p: p.get("depth") == 10 and p.get("suspend") == 1),
    ("empty task-returning call, from async code", "thunk", "ns_per_call",
     lambda p: p.get("direction") == "task_returning"),
    ("scheduler yield, 2 tasks, one worker", "yield", "ns_per_yield",
     lambda p: p.get("tasks") == 2 and p.get("workers") == "one"),
    ("scheduler yield, 10,000 tasks, one worker", "yield", "ns_per_yield",
     lambda p: p.get("tasks") == 10000 and p.get("workers") == "one"),
]


def row(idx, bench, metric, engine, **params):
    for (b, pk, m), byeng in idx.items():
        if b == bench and m == metric and engine in byeng and ok(byeng[engine]):
            p = json.loads(pk)
            if all(p.get(k) == v for k, v in params.items()):
                return byeng[engine]
    return None


BASELINE = {}  # "rows", "meta": the run this one replaced (baseline.jsonl), if any


def regressions(idx, unit):
    """Rows of this run also in the baseline run, with unit `unit` (ns: timed,
    instr: callgrind): (ratios new/old sorted, [(ratio, label)] worse by >5%)."""
    old = {}
    for r in BASELINE.get("rows", []):
        if r.get("bench") in ("meta", "semantics") or not ok(r) or r.get("unit") != unit:
            continue
        old[(r["bench"], pkey(r.get("params", {})), r["metric"], r["engine"])] = r["value"]
    ratios, worse = [], []
    for (b, pk, m), byeng in idx.items():
        for e, r in byeng.items():
            o = old.get((b, pk, m, e))
            if not ok(r) or r.get("unit") != unit or not o or o <= 0:
                continue
            q = r["value"] / o
            ratios.append(q)
            if q > 1.05:
                worse.append((q, f"{b} {e} `{pk}` {m}"))
    ratios.sort()
    worse.sort(reverse=True)
    return ratios, worse


def paired_label(r):
    return f"{r['params']['bench']} {r['engine']} `{pkey(r['params']['params'])}` {r['params']['metric']}"


def paired_key(r):
    return (r["engine"], r["params"]["bench"], pkey(r["params"]["params"]), r["params"]["metric"])


def paired_worse(rows):
    """The paired rows worse by >5% by their median ratio, and those worse by
    >5% in every round (their lowest ratio), each as (ratio, label), worst
    first."""
    worse = sorted(((r["value"], paired_label(r)) for r in rows if r["value"] > 1.05), reverse=True)
    every = sorted(((r["min"], paired_label(r)) for r in rows
                    if r["value"] > 1.05 and r.get("min") is not None and r["min"] > 1.05), reverse=True)
    return worse, every


def beyond_control(paired, control):
    """The rows worse by >5% by their median whose every paired ratio lies
    above every ratio of the same row's A/A control, as (median, label),
    worst first. Were the two builds the same, the ten ratios of a row
    (five of each kind) would be exchangeable, and all five of one kind
    above all five of the other has a chance of 1 in 252 (C(10, 5)): a test
    of each row against its own noise, where a fixed 5% in every round also
    counts the noisiest rows of the control itself (the report prints how
    many)."""
    ctl = {paired_key(c): c for c in control}
    out = []
    for r in paired:
        c = ctl.get(paired_key(r))
        if c is None or r["value"] <= 1.05 or r.get("min") is None or c.get("max") is None:
            continue
        if r["min"] > c["max"]:
            out.append((r["value"], paired_label(r)))
    return sorted(out, reverse=True)


def regression_checks(idx, checks):
    """Issue 9: no other row regresses by more than 5%, against the run this
    one replaced. Instruction counts compare across runs (they do not move
    with load); timed rows do not pair across runs (other load, other
    rounds), so their line states the whole shift as well."""
    if PAIRED:
        # bench/run --baseline: the same programs of the baseline commit, run
        # paired with this build round by round: the figure that answers
        # "no row regresses by more than 5%" for timed rows.
        label = PAIRED[0]["params"].get("baseline", "?")
        ratios = sorted(r["value"] for r in PAIRED)
        worse, every = paired_worse(PAIRED)
        txt = (f"{len(worse)} of {len(ratios)} rows worse by >5% by their median; median row "
               f"{fmt_ratio(ratios[len(ratios) // 2])} ({PAIRED[0].get('runs', '?')} paired rounds)")
        if worse:
            txt += "; worst " + ", ".join(f"{l} {fmt_ratio(q)}" for q, l in worse[:3])
        txt += (f"; {len(every)} worse by >5% in every round"
                + (" (" + ", ".join(f"{l} ≥ {fmt_ratio(q)}" for q, l in every[:5]) + ")" if every else ""))
        if CONTROL:
            # The A/A control (paired_builds.py --control): the baseline
            # against itself in the same rounds. Both counts above happen by
            # chance too, as many times as the control's show; a row whose
            # paired ratios all lie above its own control's (beyond_control)
            # is the evidence chance rarely gives, and the goal's figure
            # when the control was run.
            cworse, cevery = paired_worse(CONTROL)
            beyond = beyond_control(PAIRED, CONTROL)
            txt += (f". A/A control (the baseline against itself, same rounds): {len(cworse)} of "
                    f"{len(CONTROL)} rows worse by >5% by their median, {len(cevery)} in every round"
                    + (" (" + ", ".join(f"{l} ≥ {fmt_ratio(q)}" for q, l in cevery[:3]) + ")" if cevery else "")
                    + f". Worse by >5% and above the control in every round: {len(beyond)}"
                    + (" (" + ", ".join(f"{l} {fmt_ratio(q)}" for q, l in beyond[:5]) + ")" if beyond else ""))
            checks.append((f"no row regresses by more than 5% (timed rows, paired against {label}: worse by "
                           f">5% and above its A/A control in every round)", txt, "0 rows",
                           "met" if not beyond else "not met"))
        else:
            checks.append((f"no row regresses by more than 5% (timed rows, paired against {label})", txt,
                           "0 rows", "met" if not worse else "not met"))
    meta = BASELINE.get("meta")
    if not meta:
        checks.append(("issue 9: no row regresses by more than 5%", "no baseline run", "–", "–"))
        return
    base = f"the {meta.get('date', '?')} run"
    units = [("instr", "instruction counts")]
    if not PAIRED:
        units.append(("ns", "timed rows, unpaired across runs"))
    for unit, what in units:
        ratios, worse = regressions(idx, unit)
        if not ratios:
            checks.append((f"issue 9: no row regresses by more than 5% ({what}) vs {base}", "no common rows",
                           "–", "–"))
            continue
        txt = f"{len(worse)} of {len(ratios)} rows worse by >5%"
        if worse:
            txt += "; worst " + ", ".join(f"{l} {fmt_ratio(q)}" for q, l in worse[:3])
        if unit == "ns":
            txt += (f"; median row this run / baseline {fmt_ratio(ratios[len(ratios) // 2])}, load at start "
                    f"{META.get('load_at_start', '?').split(' ')[0]} vs {meta.get('load_at_start', '?').split(' ')[0]}")
        checks.append((f"issue 9: no row regresses by more than 5% ({what}) vs {base}", txt, "0 rows",
                       "met" if not worse else "not met"))


def target_checks(idx):
    """The acceptance targets of issues 9, 12 and 21, checked against this run:
    [(target, this run, goal, met / not met / –)]."""
    fy, fy0 = dict(n=None, yield_every=1), dict(yield_every=0)
    checks = []

    def ratio(a, b, limit, what):
        p = paired([a] if a else [], [b] if b else [])
        checks.append((what, fmt_paired(p) or "–", f"≤ {limit}×",
                       "–" if p is None else ("met" if p[0] <= limit else "not met")))

    def absolute(r, limit, what, unit):
        v = r["value"] if r else None
        checks.append((what, "–" if v is None else f"{fmt(v)} {unit}", f"≤ {fmt(limit)} {unit}",
                       "–" if v is None else ("met" if v <= limit else "not met")))

    g = lambda b, m, e, **p: row(idx, b, m, e, **p)
    ratio(g("fib", "ns_per_leaf", "tasklet", yield_every=1), g("fib", "ns_per_leaf", "cpp20", yield_every=1), 1.0,
          "issue 9: tasklet fib yield per leaf / C++20 at its best")
    absolute(g("fib", "instructions_per_leaf", "tasklet", yield_every=1), 215,
             "issue 9: tasklet instructions per yielding leaf", "instr")
    ratio(g("fib", "ns_per_leaf", "cont", yield_every=1), g("fib", "ns_per_leaf", "cpp20", yield_every=1), 1.6,
          "issue 9: cont fib yield per leaf / C++20 at its best")
    absolute(g("fib", "instructions_per_leaf", "cont", yield_every=1), 400,
             "issue 9: cont instructions per yielding leaf", "instr")
    sync = next((r for (b, pk, m), byeng in idx.items() if b == "fib" and m == "ns_per_call"
                 and "call" not in json.loads(pk) and json.loads(pk).get("yield_every") == 0
                 for e, r in byeng.items() if e == "sync" and ok(r)), None)
    tas = None
    if sync:
        tas = idx.get(("fib", pkey(sync["params"]), "ns_per_call"), {}).get("tasklet")
    ratio(tas, sync, 1.1, "issue 9: tasklet fib without suspension / equal-work sync C")
    absolute(g("yield", "instructions_per_yield", "tasklet", tasks=2, workers="one"), 110,
             "issue 21: tasklet instructions per yield, 2 tasks", "instr")
    ratio(g("yield", "ns_per_yield", "tasklet", tasks=10000, workers="one"),
          g("yield", "ns_per_yield", "tasklet", tasks=2, workers="one"), 1.5,
          "issue 21: tasklet ns per yield, 10,000 tasks / 2 tasks")
    absolute(g("depth", "bytes_per_task", "tasklet", depth=10, tasks=10000), 8192,
             "issue 21: tasklet bytes per task, 10,000 parked at depth 10, at once", "bytes")
    absolute(g("depth", "bytes_per_task_idle", "tasklet", depth=10, tasks=10000, idle_ms=500), 800,
             "issue 21: tasklet bytes per task, 10,000 parked at depth 10, after 500 ms idle", "bytes")
    # issue 12: rtac's cont output against the hand-lowered cont code it
    # replaced, both timed in one process, pair by pair (cont-hand rows).
    for b, m, p, what in (("fib", "ns_per_call", dict(yield_every=0), "fib without suspension"),
                          ("fib", "ns_per_leaf", dict(yield_every=1), "fib, yield at every leaf"),
                          ("depth", "ns_per_roundtrip", dict(depth=10), "depth 10 round trip"),
                          ("depth", "ns_per_chain", dict(depth=10), "depth 10 fresh chain")):
        ratio(g(b, m, "cont", **p), g(b, m, "cont-hand", **p), 1.1,
              f"issue 12: rtac's cont / hand-lowered cont, {what}")
    regression_checks(idx, checks)
    return checks


def targets(idx):
    """The targets as a table for REPORT.md."""
    out = ["| target | this run | goal | status |", "|---|---|---|---|"]
    out += [f"| {w} | {v} | {goal} | {st} |" for w, v, goal, st in target_checks(idx)]
    return "\n".join(out) + "\n"


def max_held(idx):
    """The most tasks any lifetime row holds (the rows with varied hold times)."""
    return max((json.loads(pk).get("tasks", 0) for (b, pk, m) in idx if b == "lifetime"), default=0)


def pick(idx, bench, metric, pred):
    """The one row (engine -> result row) matching; for a bench with 'tasks' varying
    (lifetime), the matching row with the most tasks."""
    rows = []
    for (b, pk, m), byeng in idx.items():
        if b != bench or m != metric:
            continue
        p = json.loads(pk)
        if pred is None or pred(p):
            rows.append((p, {e: r for e, r in byeng.items() if ok(r)}))
    if not rows:
        return None, {}
    if bench == "lifetime":
        rows.sort(key=lambda pr: pr[0].get("tasks", 0))
        return rows[-1]
    merged = {}
    for p, v in rows:  # peers may carry extra keys (mechanism): merge rows of one figure
        for e, x in v.items():
            merged.setdefault(e, x)
    return rows[0][0], merged


def best(rows, names):
    c = [(rows[e]["value"], e) for e in names if e in rows]
    return min(c) if c else (None, None)


def headline_rows(idx):
    """(title, metric, {engine: row}) for each headline workload of this run."""
    out = []
    for title, bench, metric, pred in HEADLINES:
        p, v = pick(idx, bench, metric, pred)
        if v:
            out.append((title, metric, v))
    return out


def answers(idx):
    """The spec's two questions, answered from this run's figures."""
    out = ["| workload | best async2 | best async1 | async1 / async2 | sync C | best peer | async2 / peer |",
           "|---|---|---|---|---|---|---|"]
    ratios = []
    for title, metric, v in headline_rows(idx):
        a2, a2e = best(v, ASYNC2)
        a1, a1e = best(v, ASYNC1)
        pe, pee = best(v, PEERS)
        p1 = paired([v[e] for e in ASYNC1 if e in v], [v[e] for e in ASYNC2 if e in v])
        pp = paired([v[e] for e in ASYNC2 if e in v], [v[e] for e in PEERS if e in v])
        r1 = p1[0] if p1 else None
        if r1:
            ratios.append((r1, title))
        cell = lambda x, e: f"{fmt(x)} ({e})" if x is not None else "–"
        sync = v["sync"]["value"] if "sync" in v else None
        out.append(f"| {title} ({metric}) | {cell(a2, a2e)} | {cell(a1, a1e)} | "
                   f"{fmt_paired(p1) or '–'} | {fmt(sync)} | {cell(pe, pee)} | {fmt_paired(pp) or '–'} |")
    lines = ["Headline figures of this run (lower is better; each cell names the engine that "
             "achieved it; ratios are medians of the per-round ratios, min–max in parentheses):",
             ""] + out + [""]
    if ratios:
        wins = sorted([(r, t) for r, t in ratios if r > 1.15], reverse=True)
        ties = [(r, t) for r, t in ratios if 1 / 1.15 <= r <= 1.15]
        losses = sorted([(r, t) for r, t in ratios if r < 1 / 1.15])
        fmt_list = lambda xs: "; ".join(f"{t} {r:.1f}×" if r >= 1 else f"{t} {r:.2f}×" for r, t in xs)
        txt = ("**Question 1 — are runtime-handled (async2) suspension mechanisms substantially "
               "faster than the classic async1 state machines?** ")
        txt += (f"On {len(wins)} of the {len(ratios)} headline workloads the best async2 engine is "
                f"faster than the best async1 builder by more than 15% (async1 cost / async2 cost: "
                f"{fmt_list(wins)})" if wins else "On no headline workload is async2 more than 15% faster")
        if ties:
            txt += f"; on {len(ties)} they are within 15% ({fmt_list(ties)})"
        if losses:
            txt += f"; on {len(losses)} async1 is faster ({fmt_list(losses)})"
        txt += (". Where nothing suspends, async2 code is plain C (tasklet) or plain C plus one "
                "branch per call (cont), while async1 pays for a state machine and a builder on "
                "every call. Where code suspends, async1 moves every frame on the suspended path to "
                "the heap and resumes each through its own continuation; the tasklet engine "
                "switches one stack and the cont engine saves only live locals, and both stay "
                "allocation-free. Exceptions that cross suspended frames are where async1 loses "
                "most (each level rethrows a copy).")
        if losses:
            txt += (" An empty async1 call completes on the caller's stack and returns a value task, "
                    "while an async2 thunk creates and schedules a task object: the thunk rows "
                    "measure that difference, not suspension. For the other rows where async1 is "
                    "faster, see the bench's own table below.")
        lines.append(txt)
    else:
        lines.append("**Question 1**: this run has no async1/async2 pair on the same workload.")
    thunks = [k for k in idx if k[0] == "thunk" and k[2] == "ns_per_call"]
    sem = SEMANTICS.get("row")
    lines.append("")
    if sem is None:
        lines.append("**Question 2 — can async2 stay compatible with async1 code?** Not answered by "
                     "this run: it did not run the semantics suite.")
    else:
        passed, total, failed = int(sem["value"]), int(sem.get("total", 0)), sem.get("failed", [])
        verdict = ("Yes, as far as the suite reaches" if total and passed == total and not failed
                   else "Not fully")
        lines.append(f"**Question 2 — can async2 stay compatible with async1 code?** {verdict}: this "
                     f"run built and ran the semantics suite (tests/semantics, each rule's test body "
                     f"run against all three engines: context flow, configure-await at three levels, "
                     f"schedulers, async stack traces, locals, methods dispatching mixed "
                     f"async1/async2 override chains, invalid programs) and **{passed} of {total}** "
                     f"test programs passed"
                     + (f"; failed: {', '.join(failed)}" if failed else "") + ".")
    if thunks:
        lines.append("")
        lines.append("Every engine calls every other through the spec's two thunks "
                     "(task-returning entry into async2; await of a task-returning function from "
                     "async2). What the thunks cost here: " + "; ".join(
                         f"{e} {json.loads(k[1]).get('direction', 'from non-async code')} "
                         f"{fmt(r['value'])} ns" for k in thunks
                         for e, r in sorted(idx[k].items(), key=lambda kv: ORDER.get(kv[0], 99))
                         if not r.get("reason") and e in ENGINES) + ".")
    return "\n".join(lines) + "\n"


def spread(rows):
    """(median, worst, worst row) of (max-min)/median over the timed figures."""
    sp = [((r["max"] - r["min"]) / r["value"], r) for r in rows
          if r.get("unit") == "ns" and r.get("runs", 1) > 1 and r.get("value", 0) > 0 and "min" in r]
    if not sp:
        return None
    sp.sort(key=lambda x: x[0])
    return sp[len(sp) // 2][0], sp[-1][0], sp[-1][1]


def reps_range(rows):
    """', which took A to B repetitions per sample (median C)' over the timed
    figures that report their repetitions (the engines' programs)."""
    reps = sorted(r["reps"] for r in rows if r.get("unit") == "ns" and "reps" in r
                  and r.get("metric", "").startswith("ns_per"))
    if not reps:
        return ""
    return (f"; the timed figures that report it (the engines') took {reps[0]:.3g} to {reps[-1]:.3g} "
            f"repetitions per sample (median {reps[len(reps) // 2]:.3g})")


def machine_lines(meta, rows):
    out = [f"Run: {meta.get('date', '?')}, mode **{meta.get('mode', '?')}**, "
           f"{meta.get('rounds', '?')} paired rounds.", "",
           "| | |", "|---|---|",
           *([f"| code | commit `{meta['commit']}` |"] if meta.get("commit") else []),
           f"| machine | {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, "
           f"{meta.get('virt', '?')}, Linux {meta.get('kernel', '?')} |",
           f"| load at start | load average {meta.get('load_at_start', '?')} (1, 5, 15 min); "
           f"{meta.get('busy_procs_at_start', '?')} other processes using ≥10% of a CPU |",
           *([f"| load at end | load average {END_LOAD.get('load', '?')} (1, 5, 15 min) at "
              f"{END_LOAD.get('date', '?')}; the machine is shared, so ratios are paired per round (below) |"]
             if END_LOAD else []),
           f"| compilers | {meta.get('gcc', '?')}; {meta.get('clang++', '?')}; {meta.get('go', '?')}; "
           f"{meta.get('boost', '')} |",
           f"| flags | every C/C++ contestant (engines, sync C, C++ peers): "
           f"`{meta.get('flags') or '?'}`; Go: toolchain defaults |"]
    sp = spread(rows)
    if sp:
        w = sp[2]
        out.append(f"| observed spread | (max−min)/median over the timed figures: median "
                   f"{sp[0] * 100:.0f}%, worst {sp[1] * 100:.0f}% ({w['bench']} {w['engine']} "
                   f"`{pkey(w.get('params', {}))}` {w['metric']}) |")
    out += ["", "Sampling, the same for every engine and peer: each round runs every contestant "
            "once, in the same order, each in a fresh process that makes one unreported warm-up "
            "run of each figure before the measured one (in the same runtime, which is what the "
            "warm-up is for); the engines' memory figures (bytes per task, lifetime) start a fresh "
            "runtime for each run, and the peers give freed memory back first (Go: a fresh child "
            "process per run). A sample is one run of the fixed, shared "
            "workload size (`bench/common/workloads.h`, `bench/peers/WORKLOADS.md`), "
            + (f"repeated whole until the time its timed regions measured adds up to at least "
               f"**{fmt(meta['min_sample_ms'])} ms** (the minimum sample duration, set once in "
               f"`bench/run` and passed to every contestant; the count of repetitions is calibrated "
               f"by that time, and the sample is their mean), so that neither the clock's resolution "
               f"nor a run's start-up dominates a short figure; memory figures and latency "
               f"percentiles (lifetime) are not durations and are one run each{reps_range(rows)}. "
               "The runtime's stall watchdog is off while measuring (`RTA_STALL_MS=0`). "
               if meta.get("min_sample_ms") else
               "with no minimum duration (this run predates it): the shortest figures are the "
               "noisiest, as their min–max shows. ")
            + "Values are medians over "
            "the rounds (min–max in parentheses); ratios are medians of the per-round ratios. "
            "Before timing, `bench/check/run` proved that every fib contestant makes the same "
            "calls (disassembly and a call-counting build). Lower is better. Regenerate with "
            "`bench/run --quick` (or `bench/run`); this file is built from `results.jsonl` alone.",
            ""]
    return out


def context(path, rows):
    """Reads this run's meta rows and, beside results.jsonl, baseline.jsonl
    (the run bench/run replaced); returns the machine meta."""
    meta = next((r["params"] for r in rows if r.get("bench") == "meta" and r.get("metric") == "machine"), {})
    META.update(meta)
    END_LOAD.update(next((r["params"] for r in rows if r.get("bench") == "meta"
                          and r.get("metric") == "load_at_end"), {}))
    bpath = os.path.join(os.path.dirname(os.path.abspath(path)), "baseline.jsonl")
    if os.path.exists(bpath):
        BASELINE["rows"] = load(bpath)
        BASELINE["meta"] = next((r["params"] for r in BASELINE["rows"] if r.get("bench") == "meta"
                                 and r.get("metric") == "machine"), {})
    return meta


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = load(sys.argv[1])
    outdir = sys.argv[2]
    idx = index(rows)
    meta = context(sys.argv[1], rows)
    md = ["# rtasync experiment report", ""]
    md += machine_lines(meta, rows)
    md += ["", "## Answers", "", answers(idx)]
    md += ["## Targets of the open issues", "",
           "Checked against this run's figures (ratios paired per round; instructions from callgrind, "
           "which do not move with load):", "", targets(idx)]
    plots = [
        plot("fib_yield", "fib: cost per leaf vs yield frequency", "yield every k-th leaf", "ns per leaf",
             series(idx, "fib", "ns_per_leaf", "yield_every"), outdir, logx=True, logy=True),
        plot("depth_full", "full shape: build a chain of d frames, suspend it whole once, complete it",
             "depth d", "ns per chain", series(idx, "depth", "ns_per_chain", "depth"), outdir,
             logx=True, logy=True),
        plot("depth", "second series: round trip of a yield loop at the leaf of d live frames", "depth",
             "ns per round trip", series(idx, "depth", "ns_per_roundtrip", "depth"), outdir,
             logx=True, logy=True),
        plot("bytes_per_task", f"memory per suspended task ({MIN_TASKS_BYTES:,}+ tasks held)", "tasks held",
             "bytes per task", bytes_series(idx), outdir, logx=True, logy=True),
        bar_plot("bytes_per_task_depth", "memory per task, 10,000+ tasks parked at depth 10",
                 "bytes per task", bars_of(idx, "depth", "bytes_per_task", skip=("depth",)), outdir),
        plot("sawtooth", "sawtooth: cost per cycle vs amplitude (5<->10, 10<->30, 50<->100)",
             "amplitude: peak depth - base depth", "ns per cycle", saw_series(idx), outdir,
             logx=True, logy=True),
        plot("lifetime_p99", "resume latency p99 vs tasks held", "tasks held", "ns (p99)",
             series(idx, "lifetime", "resume_p99_ns", "tasks", {"hold_ms": 10}), outdir, logx=True, logy=True),
        plot("lifetime_hold", f"resume latency p99 vs hold time, {max_held(idx):,} tasks held", "hold (ms)",
             "ns (p99)", series(idx, "lifetime", "resume_p99_ns", "hold_ms", {"tasks": max_held(idx)}),
             outdir, logx=True, logy=True),
        plot("eh", "throw to the root vs depth (after a suspension where the line says 1)", "depth",
             "ns per throw", series_by(idx, "eh", "ns_per_throw", "depth", "suspend"), outdir,
             logx=True, logy=True),
        bar_plot("thunk", "thunk: cost per call", "ns per call",
                 bars_of(idx, "thunk", "ns_per_call"), outdir),
        plot("yield", "scheduler yield vs tasks", "tasks", "ns per yield",
             series_by(idx, "yield", "ns_per_yield", "tasks", "workers"), outdir, logx=True, logy=True),
        plot("yield_instructions", "scheduler yield: instructions (callgrind, one worker)", "tasks",
             "instructions per yield", series(idx, "yield", "instructions_per_yield", "tasks"), outdir,
             logx=True, logy=True),
        plot("fib_instructions", "fib: instructions per leaf vs yield frequency (callgrind)",
             "yield every k-th leaf", "instructions per leaf",
             series(idx, "fib", "instructions_per_leaf", "yield_every"), outdir, logx=True, logy=True),
    ]
    md += ["## Plots", ""]
    md += [f"![{p}]({p})" for p in plots if p] or ["_gnuplot not available: no plots._"]
    md += [""] + PLOT_NOTES
    md.append("")
    for bench, title in BENCHES:
        md += [f"## {title} (`{bench}`)", "", table(bench, idx)]
    md += jsonreport.json_section(idx, paired, fmt_paired, fmt)
    # The load benchmarks: their own results files beside results.jsonl.
    here = os.path.dirname(os.path.abspath(sys.argv[1]))
    md += loadreport.http_section(os.path.join(here, "http.jsonl"), outdir)
    md += loadreport.soak_section(here)
    md += loadreport.echo_section(os.path.join(here, "echo.jsonl"), outdir)
    with open(os.path.join(outdir, "REPORT.md"), "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
