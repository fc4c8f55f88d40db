"""The load benchmarks' sections of REPORT.md and their README headline lines,
built from the committed results files alone (bench/results/http.jsonl from
bench/http, bench/results/echo.jsonl from bench/echo): tables, plots and the
issues' goals, each judged from the run's numbers.

A results file is a meta line (netbench.meta) and a row per measured run:
{server, scenario, round, rps, p50_us, p99_us, rss_kib, req_per_cpu_s,
server_util, client_util, limit, errors, ...}. Ratios are paired per round
(best of one group over best of the other in the same round) and their median
over the rounds is what a goal is judged on."""
import json
import os
import shutil
import statistics
import subprocess

# Fixed colours: an engine looks the same in every plot; io_uring is the
# lighter shade of its engine's colour.
COLORS = {"tasklet-epoll": "#d62728", "tasklet-io_uring": "#ff9896", "cont-epoll": "#2ca02c",
          "cont-io_uring": "#98df8a", "async1-epoll": "#1f77b4", "async1-io_uring": "#aec7e8",
          "nginx": "#ff7f0e", "go": "#7f7f7f", "epoll-c": "#000000"}
ENGINES = ("tasklet", "cont", "async1")


def color(server):
    for k, c in COLORS.items():
        if server.endswith(k) or server.startswith(k):
            return c
    return "#444444"


def load(path):
    if not os.path.exists(path):
        return None, []
    with open(path) as f:
        lines = [json.loads(x) for x in f if x.strip()]
    for r in lines[1:]:
        # A p99 below the p50 is wrk timing only part of a pipelined batch
        # (it prints 0.00us), not a latency: shown as missing, not as 0
        # (bench/http/bench.py drops such values since; older files have them).
        if r.get("p50_us") is not None and r.get("p99_us") is not None and r["p99_us"] < r["p50_us"]:
            r["p99_us"] = None
    return (lines[0], lines[1:]) if lines else (None, [])


def fmt(v, unit=""):
    if v is None:
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}{unit}"
    return f"{v:.3g}{unit}"


def servers_of(rows):
    out = []
    for r in rows:
        if r["server"] not in out:
            out.append(r["server"])
    return out


def scenarios_of(meta, rows):
    names = [s["name"] for s in (meta or {}).get("scenarios", [])]
    return names or list(dict.fromkeys(r["scenario"] for r in rows))


def pick(rows, sc, server):
    return [r for r in rows if r["scenario"] == sc and r["server"] == server]


def med(rows, key):
    vals = [r.get(key) for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def engine_servers(rows, prefix, engine=None, io=None):
    """The servers of our engines: `prefix-ENGINE-IO`."""
    out = []
    for s in servers_of(rows):
        parts = s[len(prefix) + 1:].split("-", 1) if s.startswith(prefix + "-") else None
        if parts and len(parts) == 2 and (engine is None or parts[0] == engine) and (io is None or parts[1] == io):
            out.append(s)
    return out


def paired(rows, sc, a, b, key="rps"):
    """(median over rounds of best(a)/best(b), best a's name in the last round)."""
    ratios, name = [], None
    for rnd in sorted({r["round"] for r in rows}):
        ra = [r for r in rows if r["scenario"] == sc and r["round"] == rnd and r["server"] in a and r.get(key)]
        rb = [r for r in rows if r["scenario"] == sc and r["round"] == rnd and r["server"] in b and r.get(key)]
        if ra and rb:
            top = max(ra, key=lambda r: r[key])
            ratios.append(top[key] / max(r[key] for r in rb))
            name = top["server"]
    return (statistics.median(ratios), name) if ratios else (None, None)


def best(rows, sc, names, key="rps"):
    cands = [(med(pick(rows, sc, n), key), n) for n in names]
    cands = [c for c in cands if c[0] is not None]
    return max(cands) if cands else (None, None)


def table(rows, sc, client):
    out = [f"| server | req/s | p50 µs | p99 µs | RSS KiB | req per server CPU-s | server / {client} CPU | limit |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for n in servers_of(rows):
        rs = pick(rows, sc, n)
        if not rs:
            continue
        lims = [r["limit"] for r in rs]
        bad = sum(r.get("errors", 0) for r in rs)
        out.append(f"| {n}{f' (errors: {bad})' if bad else ''} | {fmt(med(rs, 'rps'))} | {fmt(med(rs, 'p50_us'))} | "
                   f"{fmt(med(rs, 'p99_us'))} | {fmt(med(rs, 'rss_kib'))} | {fmt(med(rs, 'req_per_cpu_s'))} | "
                   f"{fmt(100 * med(rs, 'server_util'), '%')} / {fmt(100 * med(rs, 'client_util'), '%')} | "
                   f"{max(set(lims), key=lims.count).replace('client', client)} |")
    return out


def gp_terminal(w, h):
    cairo = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return (f"set terminal pngcairo size {w},{h} noenhanced" if "pngcairo" in cairo.stdout + cairo.stderr
            else f"set terminal png size {w},{h}")


def histogram(name, title, ylabel, rows, scens, key, outdir, logy=True):
    """Clustered bars: a cluster per scenario, a bar per server."""
    names = servers_of(rows)
    if not rows or not shutil.which("gnuplot"):
        return None
    dat, png = os.path.join(outdir, name + ".dat"), name + ".png"
    with open(dat, "w") as f:
        for sc in scens:
            vals = [med(pick(rows, sc, n), key) for n in names]
            f.write(sc + " " + " ".join(str(v) if v and v > 0 else "NaN" for v in vals) + "\n")
    script = [gp_terminal(1000, 520), f"set output '{os.path.join(outdir, png)}'", f"set title '{title}'",
              f"set ylabel '{ylabel}'", "set style data histogram", "set style histogram cluster gap 1",
              "set style fill solid 0.85 border -1", "set boxwidth 0.9", "set grid ytics",
              "set key outside right", "set xtics rotate by -25 left", "set bmargin 6"]
    if logy:
        script.append("set logscale y")
    script.append("plot " + ", ".join(f"'{dat}' using {i + 2}:xtic(1) title '{n}' lc rgb '{color(n)}'"
                                      for i, n in enumerate(names)))
    subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=False, capture_output=True)
    os.unlink(dat)
    return png if os.path.exists(os.path.join(outdir, png)) else None


def status(v, ok):
    return "–" if v is None else ("met" if ok(v) else "not met")


def run_line(meta, what):
    return (f"{what}: run of {meta.get('date', '?')}, {meta.get('rounds', '?')} round(s) of "
            f"{meta.get('duration_s', '?')} s per server and scenario after a 1 s warm-up, "
            f"{meta.get('machine_cpus', '?')} CPUs, load average {meta.get('loadavg_at_start', ['?'])[0]} "
            f"at start and {meta.get('loadavg_at_end', ['?'])[0]} at end (1 min).")


# ---- bench/http (issue 13) -------------------------------------------------

def http_goals(meta, rows):
    """[(goal, this run, target, status)] of issue 13, from the run."""
    ours = engine_servers(rows, "rtahttpd")
    out = []
    for sc in ("plaintext-ka-64", "plaintext-ka-256"):
        q, who = paired(rows, sc, ours, ["nginx"])
        p99 = med(pick(rows, sc, who), "p99_us") if who else None
        n99 = med(pick(rows, sc, "nginx"), "p99_us")
        ok = q is not None and p99 is not None and n99 is not None
        out.append((f"best engine ≥ 1.0× nginx req/s, p99 ≤ nginx's ({sc})",
                    f"{fmt(q, '×')} ({who}), p99 {fmt(p99)} vs {fmt(n99)} µs" if ok else "–",
                    "≥ 1.0×, p99 ≤ nginx", "–" if not ok else status(q, lambda v: v >= 1.0 and p99 <= n99)))
    q, who = paired(rows, "plaintext-pipelined-16", ours, ["nginx"])
    out.append(("best engine ≥ 5× nginx, pipelined depth 16", f"{fmt(q, '×')} ({who})", "≥ 5×",
                status(q, lambda v: v >= 5)))
    qs = [(paired(rows, sc, ours, ["go-net-http"]), sc) for sc in scenarios_of(meta, rows)]
    qs = [(q, sc) for (q, _), sc in qs if q is not None]
    low = min(qs) if qs else (None, None)
    out.append(("best engine ≥ 2× Go net/http, every scenario",
                f"lowest {fmt(low[0], '×')} ({low[1]})" if qs else "–", "≥ 2×",
                status(low[0], lambda v: v >= 2)))
    for e in ("tasklet", "cont"):
        qs = [(paired(rows, sc, engine_servers(rows, "rtahttpd", e), engine_servers(rows, "rtahttpd", "async1"))[0], sc)
              for sc in scenarios_of(meta, rows)]
        qs = [x for x in qs if x[0] is not None]
        low = min(qs) if qs else (None, None)
        out.append((f"{e} ≥ 1.3× async1 (best backend of each), every scenario",
                    f"lowest {fmt(low[0], '×')} ({low[1]})" if qs else "–", "≥ 1.3×",
                    status(low[0], lambda v: v >= 1.3)))
    return out


def cpu_ratios(rows, scens, prefix, peers):
    """Best engine's requests per server CPU-second over each peer's, per
    scenario: the comparison a shared machine leaves intact."""
    out = ["| scenario | " + " | ".join(f"best engine / {p}" for p in peers) + " |",
           "| --- |" + " ---: |" * len(peers)]
    ours = engine_servers(rows, prefix)
    for sc in scens:
        cells = []
        for p in peers:
            q, who = paired(rows, sc, ours, [p], key="req_per_cpu_s")
            cells.append(f"{fmt(q, '×')} ({who})" if q else "–")
        out.append(f"| {sc} | " + " | ".join(cells) + " |")
    return out


def goals_table(goals):
    return (["| goal | this run | target | status |", "| --- | --- | --- | --- |"]
            + [f"| {g} | {v} | {t} | {s} |" for g, v, t, s in goals])


def limits_line(rows, client):
    lims = [r["limit"] for r in rows]
    if not lims:
        return ""
    counts = {k: lims.count(k) for k in dict.fromkeys(lims)}
    return (f"Which side was the limit (≥ 90% of its CPU) in the {len(lims)} measured runs: "
            + ", ".join(f"{k.replace('client', client)} {v}" for k, v in counts.items()) + ".")


def caveat(rows, client):
    """Said when no run had its server CPU-bound: the req/s goals then judge
    how the shared machine scheduled each server, not what it can serve."""
    n = sum(1 for r in rows if r["limit"] == "server")
    if n * 2 >= len(rows):
        return []
    return [f"Only {n} of {len(rows)} runs had the server ≥ 90% busy: on this machine the req/s "
            f"ratios above are as much the scheduler's as the servers'; requests per server "
            f"CPU-second (below) is the steadier comparison.", ""]


def kernel_share(rows):
    """", the kernel's share of rtahttpd's CPU time ...": the part of a
    request's cost (socket calls, the poller) that no engine changes, from
    the rows that recorded it (server_sys_s)."""
    sh = {}
    for r in rows:
        if r["server"].startswith("rtahttpd-") and r.get("server_sys_s") is not None and r.get("server_cpu_s"):
            sh.setdefault(r["server"].split("-")[1], []).append(r["server_sys_s"] / r["server_cpu_s"])
    if not sh:
        return ""
    return ("; the kernel's share of rtahttpd's server CPU time (median over its runs): "
            + ", ".join(f"{e} {statistics.median(v) * 100:.0f}%" for e, v in sorted(sh.items()))
            + ", so the engine decides at most the rest")


def http_section(path, outdir):
    meta, rows = load(path)
    if not rows:
        return []
    scens = scenarios_of(meta, rows)
    md = ["## Scenario 2: HTTP server (`bench/http`, issue 13)", "",
          run_line(meta, "`bench/http/run.sh`"
                   " (in `bench/run`; a quick run is 1 round of 3 s)"),
          "Every server has one worker (rtahttpd `--workers 1` per engine and I/O backend, nginx "
          "`worker_processes 1` with `return 200`, Go net/http with GOMAXPROCS=1), pinned to CPU 0; "
          "wrk (one thread) is pinned to CPU 1; loopback only. RSS is after the run. "
          "Requests per server CPU-second is the figure a shared machine disturbs least: when neither "
          "side is ≥ 90% busy, other processes held the CPUs and req/s is the machine's, not the server's.",
          "", limits_line(rows, "wrk"), "", "### Goals (issue 13), judged on req/s paired per round", ""]
    goals = http_goals(meta, rows)
    md += goals_table(goals) + [""] + caveat(rows, "wrk")
    q = [paired(rows, sc, engine_servers(rows, "rtahttpd", e), engine_servers(rows, "rtahttpd", "async1"))[0]
         for sc in scens for e in ("tasklet", "cont")]
    q = [x for x in q if x is not None]
    # The same pairs per server CPU-second: what each engine's pipeline
    # costs the server, which req/s hides when wrk is the limit.
    qc = [paired(rows, sc, engine_servers(rows, "rtahttpd", e), engine_servers(rows, "rtahttpd", "async1"),
                 key="req_per_cpu_s")[0] for sc in scens for e in ("tasklet", "cont")]
    qc = [x for x in qc if x is not None]
    if q:
        md += [f"Question 1 in this scenario: tasklet and cont (best backend each) vs async1 "
               f"(best backend) range from {fmt(min(q), '×')} to {fmt(max(q), '×')} in req/s over the "
               f"{len(scens)} scenarios, against the 1.3× the issue asks"
               + (f"; per server CPU-second, from {fmt(min(qc), '×')} to {fmt(max(qc), '×')}" if qc else "")
               + kernel_share(rows) + ".", ""]
    md += ["Requests per server CPU-second, best engine over each peer:", ""]
    md += cpu_ratios(rows, scens, "rtahttpd", ["nginx", "go-net-http"]) + [""]
    plots = [histogram("http_rps", "bench/http: requests/s (wrk, one worker each)", "requests/s", rows, scens,
                       "rps", outdir),
             histogram("http_per_cpu", "bench/http: requests per server CPU-second", "requests per CPU-s", rows,
                       scens, "req_per_cpu_s", outdir)]
    md += [f"![{p}]({p})" for p in plots if p] + [""]
    for sc in scens:
        md += [f"### {sc}", ""] + table(rows, sc, "wrk") + [""]
    if meta.get("unavailable"):
        md += ["Not measured:", ""] + [f"- {k}: {v}" for k, v in meta["unavailable"].items()] + [""]
    return md


# ---- bench/echo (issue 11) -------------------------------------------------

def lowest(rows, scens, a, b, key="rps"):
    """(the lowest over scenarios of the paired best(a)/best(b), its scenario)."""
    qs = [(paired(rows, sc, a, b, key)[0], sc) for sc in scens]
    qs = [x for x in qs if x[0] is not None]
    return min(qs) if qs else (None, None)


def echo_goals(meta, rows):
    """[(goal, this run, target, status)] of issue 11's benchmark paragraph."""
    scens = scenarios_of(meta, rows)
    out = []
    ratio = lambda q: f"lowest {fmt(q[0], '×')} ({q[1]})" if q[0] is not None else "–"
    for e in ("tasklet", "cont"):
        mine = engine_servers(rows, "echo", e)
        for peer, want in (("epoll-c", 0.9), ("go-net", 1.5)):
            q = lowest(rows, scens, mine, [peer])
            out.append((f"{e} (best backend) ≥ {want}× {peer}, every connection count", ratio(q),
                        f"≥ {want}×", status(q[0], lambda v, w=want: v >= w)))
    for e in ENGINES:
        q = lowest(rows, scens, engine_servers(rows, "echo", e, "io_uring"), engine_servers(rows, "echo", e, "epoll"))
        out.append((f"{e}: io_uring ≥ 0.9× epoll, every connection count", ratio(q), "≥ 0.9×",
                    status(q[0], lambda v: v >= 0.9)))
    return out


def echo_section(path, outdir):
    meta, rows = load(path)
    if not rows:
        return []
    scens = scenarios_of(meta, rows)
    md = ["## I/O layer: echo server (`bench/echo`, issue 11)", "",
          run_line(meta, "`bench/echo/run.sh` (in `bench/run`; a quick run is 1 round of 3 s)"),
          f"Servers, each with one worker pinned to CPU 0: the rtasync echo server (`bench/echo/conn.c`, "
          f"async2 C built per engine through rtac; `echo-ENGINE-BACKEND`), a hand-written single-threaded "
          f"epoll C server (`epoll-c`) and Go's net with GOMAXPROCS=1 (`go-net`); none sets deadlines. "
          f"The client (`bench/echo/client.c`, one thread, pinned to CPU 1) keeps every connection in a "
          f"closed loop of {meta.get('message_bytes', '?')}-byte messages and times each round trip.",
          "", limits_line(rows, "client"), "", "### Goals (issue 11), judged on req/s paired per round", ""]
    md += goals_table(echo_goals(meta, rows)) + [""] + caveat(rows, "client")
    md += ["Requests per server CPU-second, best engine over each peer:", ""]
    md += cpu_ratios(rows, scens, "echo", ["epoll-c", "go-net"]) + [""]
    plots = [histogram("echo_rps", "bench/echo: requests/s by connections (one worker each)", "requests/s",
                       rows, scens, "rps", outdir),
             histogram("echo_p99", "bench/echo: p99 round trip by connections", "p99 (µs)", rows, scens,
                       "p99_us", outdir)]
    md += [f"![{p}]({p})" for p in plots if p] + [""]
    for sc in scens:
        md += [f"### {sc}", ""] + table(rows, sc, "client") + [""]
    if meta.get("unavailable"):
        md += ["Not measured:", ""] + [f"- {k}: {v}" for k, v in meta["unavailable"].items()] + [""]
    return md


def headline(results_dir):
    """README lines: one per load benchmark present."""
    out = []
    meta, rows = load(os.path.join(results_dir, "http.jsonl"))
    if rows:
        goals = http_goals(meta, rows)
        judged = [g for g in goals if g[3] in ("met", "not met")]
        met = [g[0] for g in judged if g[3] == "met"]
        q, who = paired(rows, "plaintext-ka-64", engine_servers(rows, "rtahttpd"), ["nginx"])
        out.append(f"HTTP scenario (`bench/http`, run of {meta.get('date', '?')}, load "
                   f"{meta.get('loadavg_at_start', ['?'])[0]} at start): the best rtahttpd ({who}) served "
                   f"{fmt(q, '×')} nginx's requests/s at 64 keep-alive connections; {len(met)} of "
                   f"{len(judged)} of issue 13's goals met" + (f" ({'; '.join(met)})" if met else "")
                   + ". " + limits_line(rows, "wrk"))
    meta, rows = load(os.path.join(results_dir, "echo.jsonl"))
    if rows:
        goals = echo_goals(meta, rows)
        judged = [g for g in goals if g[3] in ("met", "not met")]
        met = [g[0] for g in judged if g[3] == "met"]
        q, who = paired(rows, "conns-64", engine_servers(rows, "echo"), ["epoll-c"])
        out.append(f"Echo server (`bench/echo`, run of {meta.get('date', '?')}, load "
                   f"{meta.get('loadavg_at_start', ['?'])[0]} at start): the best engine ({who}) served "
                   f"{fmt(q, '×')} the hand-written epoll server's requests/s at 64 connections; {len(met)} of "
                   f"{len(judged)} of issue 11's goals met" + (f" ({'; '.join(met)})" if met else "")
                   + ". " + limits_line(rows, "client"))
    return out


def soak_section(here):
    """The HTTP soak runs (bench/http/run.sh --soak [--engine E]), one file
    per engine: http-soak-ENGINE.json."""
    import glob
    md = []
    for path in sorted(glob.glob(os.path.join(here, "http-soak-*.json"))):
        with open(path) as f:
            r = json.load(f)
        if not md:
            md = ["### Soak (issue 13; by hand, not in CI)", "",
                  "`bench/http/run.sh --soak [MINUTES] [--engine E]`: rtahttpd (one worker) under wrk "
                  "keep-alive load (64 connections) while a second client sends the malformed, trickled "
                  "and abandoned requests of `tests/http/corpus`; RSS sampled every 5 s. It fails unless "
                  "RSS after the first minute stays within 10% + 2 MiB, the server still answers, and "
                  "SIGTERM ends it with exit 0 within 5 s.", "",
                  "| engine | run | minutes | RSS after 1 min / last / peak KiB | flat | malformed-request "
                  "connections (errors) | wrk req/s | answers after | SIGTERM exit |",
                  "| --- | --- | ---: | --- | --- | ---: | ---: | --- | --- |"]
        md.append(f"| {r.get('engine', '?')} | {r.get('date', '?')}, commit {r.get('commit', '?')}, load "
                  f"{str(r.get('load_at_start', '?')).split(' ')[0]} | {r.get('minutes')} | "
                  f"{r.get('rss_kib_after_1min'):,} / {r.get('rss_kib_last'):,} / {r.get('rss_kib_peak'):,} | "
                  f"{'yes' if r.get('rss_flat') else 'NO'} | {r.get('bad_client_connections'):,} "
                  f"({r.get('bad_client_errors'):,}) | {r.get('wrk_rps')} | "
                  f"{'yes' if r.get('answers_after') else 'NO'} | {r.get('sigterm_exit')} |")
    return md + [""] if md else []
