#!/usr/bin/env python3
"""The server's cost per request on the I/O path (issue 11's echo goals,
issue 13's HTTP goals), load-robust: a fixed client load, and what the
server spent on it divided by the requests it answered.

  bench/report/iocost.py --build after=DIR [--build before=DIR ...]
                         [--duration S] [--conns 64,1000] [--callgrind [--cache-sim]]
                         [--no-perf] [--engines E,..] [--backends B,..] --out FILE
  bench/report/iocost.py --print FILE    (the tables docs/io.md shows)

Per server (echo_server_rta per engine and backend and echo_server_epoll
under bench/echo's client at each of --conns connections; rtahttpd per engine
and backend and nginx under wrk on /plaintext at 64 connections): `perf stat`
on the server's process(es) for the measured run gives CPU time
(task-clock), system calls (raw_syscalls:sys_enter) and context switches,
each divided by the requests the client counted. The echo client runs with
--sync: the server is measured only between its warm-up and its end, over
exactly the requests counted (no accept, set-up or close in the figures).
Echo rows also carry the tasklet resumes that copied a stack back
(rta_stats through the server's SIGUSR1 line) over the run. The builds
alternate per server, so a before/after pair ran side by side. --callgrind
adds user-space instructions per request of each echo server under callgrind
(epoll: valgrind refuses io_uring), the figure that does not move with the
machine's load, and the share of it that is the worker's idle spin (which
does); --cache-sim adds its simulated data-cache misses per request, L1
(48 KiB, 12-way) and L2 (1 MiB, 16-way: this machine's, as the simulator's
last level).
Server pinned to CPU 0, client to CPU 1, as bench/echo and bench/http.
Writes one JSON line per measurement after a first line of run metadata.
Needs perf (Debian linux-perf) and, for the HTTP rows, wrk and nginx."""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "http"))
from netbench import free_port, loadavg, meta, write_jsonl  # noqa: E402

ENGINES = ["tasklet", "cont", "async1"]
BACKENDS = ["epoll", "io_uring"]
CLK = os.sysconf("SC_CLK_TCK")
EVENTS = "task-clock,raw_syscalls:sys_enter,context-switches"


def wait_listening(proc, out_path, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        with open(out_path) as f:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", f.read())
        if m:
            return int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"server did not say it listens: {proc.args}")


def start(argv, env=None, tmp=None):
    out = os.path.join(tmp, "server.out")
    f = open(out, "w")
    p = subprocess.Popen(["taskset", "-c", "0"] + argv, stdout=f, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True)
    return p, out


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(6)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def perf_stat(pids, run_client):
    """perf stat on pids while run_client() runs: ({event: count}, client's result)."""
    with tempfile.NamedTemporaryFile("r", suffix=".perf") as pf:
        perf = subprocess.Popen(["perf", "stat", "-x,", "-e", EVENTS, "-p", ",".join(map(str, pids)),
                                 "-o", pf.name])
        time.sleep(0.2)
        try:
            res = run_client()
        finally:
            perf.send_signal(signal.SIGINT)
            perf.wait(10)
        counts = {}
        for line in pf.read().splitlines():
            p = line.split(",")
            if len(p) > 3 and p[0] and p[0][0].isdigit():
                counts[p[2]] = float(p[0])
    return counts, res


def echo_measured(build, port, conns, duration, on, off):
    """bench/echo's client with --sync at conns connections: on() right
    before the measured run, off() right after it (the server then did
    exactly the requests counted). The client's JSON result."""
    c = subprocess.Popen(["taskset", "-c", "1", os.path.join(build, "bench/echo/echo_client"), "--port", str(port),
                          "--conns", str(conns), "--duration", str(duration), "--sync"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        if '"warm"' not in c.stdout.readline():
            raise RuntimeError(f"echo_client at {conns} connections did not warm up")
        on()
        c.stdin.write("\n")
        c.stdin.flush()
        res = json.loads(c.stdout.readline())
        off()
        c.stdin.write("\n")
        c.stdin.close()
        c.wait(20)
    finally:
        if c.poll() is None:
            c.kill()
            c.wait()
    return res


class Perf:
    """perf stat on pids between start() and stop() ({event: count})."""

    def __init__(self, pids):
        self.pids = pids
        self.f = tempfile.NamedTemporaryFile("r", suffix=".perf")

    def times(self):
        """user and system CPU seconds of the first pid so far (/proc: all its threads)."""
        with open(f"/proc/{self.pids[0]}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) / CLK, int(fields[12]) / CLK

    def start(self):
        self.t0 = self.times()
        self.p = subprocess.Popen(["perf", "stat", "-x,", "-e", EVENTS, "-p", ",".join(map(str, self.pids)),
                                   "-o", self.f.name])
        time.sleep(0.3)  # attached before the client goes on (the server is idle meanwhile)

    def stop(self):
        t1 = self.times()
        self.p.send_signal(signal.SIGINT)
        self.p.wait(10)
        self.counts = {"user_s": t1[0] - self.t0[0], "sys_s": t1[1] - self.t0[1]}
        for line in self.f.read().splitlines():
            p = line.split(",")
            if len(p) > 3 and p[0] and p[0][0].isdigit():
                self.counts[p[2]] = float(p[0])
        self.f.close()


class Stats:
    """The rta server's counters (its SIGUSR1 line) at take(): the
    difference of two takes is what the measured run did."""

    def __init__(self, pid, out_path):
        self.pid, self.out = pid, out_path
        self.seen = 0
        self.taken = []

    def take(self):
        os.kill(self.pid, signal.SIGUSR1)
        end = time.time() + 10
        while time.time() < end:
            with open(self.out) as f:
                lines = [json.loads(x)["stats"] for x in f if x.startswith('{"stats"')]
            if len(lines) > self.seen:
                self.seen = len(lines)
                self.taken.append(lines[-1])
                return
            time.sleep(0.02)
        raise RuntimeError("the server printed no stats line")

    def fields(self):
        if len(self.taken) < 2:
            return {}
        d = {k: self.taken[1][k] - self.taken[0][k] for k in self.taken[0]}
        resumes = d["resumes_resident"] + d["resumes_restored"]
        return {"resumes": resumes, "resumes_restored": d["resumes_restored"],
                "resumes_copying_nothing": round(d["resumes_resident"] / resumes, 4) if resumes else None,
                "bytes_copied_per_req": d["bytes_copied"]}


def wrk(port, duration):
    r = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{duration}s",
                        f"http://127.0.0.1:{port}/plaintext"], capture_output=True, text=True,
                       timeout=duration + 20)
    m = re.search(r"(\d+) requests in", r.stdout)
    return int(m.group(1)) if m else 0


def row(bench, server, label, backend, counts, requests, conns=64):
    if not requests:
        return None
    return {"bench": bench, "server": server, "build": label, "backend": backend, "conns": conns,
            "requests": requests,
            "cpu_us_per_req": round(counts.get("task-clock", 0) * 1000 / requests, 3),
            "syscalls_per_req": round(counts.get("raw_syscalls:sys_enter", 0) / requests, 3),
            "cs_per_req": round(counts.get("context-switches", 0) / requests, 4)}


def echo_argv(build, server):
    exe = os.path.join(build, "bench/echo", "echo_server_epoll" if server == "epoll-c" else "echo_server_rta")
    return [exe] if server == "epoll-c" else [exe, "--engine", server]


def echo_env(backend):
    """As bench/echo runs the servers (no stall watcher), and without idle
    compaction unless RTA_IDLE_COMPACT_MS is set: the client's pause between
    its warm-up and the measured run (the driver attaching perf or callgrind)
    lasts longer than the default 200 ms, so every connection's tasklet would
    be compacted then and copied back at its first request (1,000 copies in a
    run of 30,000 requests under callgrind), a cost of the pause, not of the
    steady state measured."""
    env = dict(os.environ, RTA_IO=backend or "epoll", RTA_STALL_MS="0")
    env.setdefault("RTA_IDLE_COMPACT_MS", "off")
    return env


def echo_run(build, label, server, backend, duration, conns):
    with tempfile.TemporaryDirectory() as tmp:
        p, out = start(echo_argv(build, server), echo_env(backend), tmp)
        try:
            port = wait_listening(p, out)
            perf = Perf([p.pid])
            st = Stats(p.pid, out) if server != "epoll-c" else None

            def on():
                if st:
                    st.take()
                perf.start()

            def off():
                perf.stop()
                if st:
                    st.take()

            res = echo_measured(build, port, conns, duration, on, off)
        finally:
            stop(p)
    r = row("echo", server, label, backend, perf.counts, res["requests"], conns)
    if r:
        r["errors"] = res["errors"]
        # /proc's user/system split (10 ms ticks) of the CPU perf counted
        tot = perf.counts["user_s"] + perf.counts["sys_s"]
        r["user_share"] = round(perf.counts["user_s"] / tot, 3) if tot else None
        if st:
            r.update(st.fields())
            r["bytes_copied_per_req"] = round(r["bytes_copied_per_req"] / res["requests"], 1)
    return r


NGINX = os.path.join(HERE, "..", "http", "bench.py")


def http_run(build, label, server, backend, duration):
    with tempfile.TemporaryDirectory() as tmp:
        if server == "nginx":
            import bench as httpbench  # bench/http/bench.py: the same config as the benchmark

            port = free_port()
            conf = os.path.join(tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(httpbench.NGINX_CONF.format(tmp=tmp, port=port))
            p, out = start(["nginx", "-p", tmp, "-c", conf, "-e", os.path.join(tmp, "error.log")], None, tmp)
            time.sleep(0.5)
            kids = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()
            pids = [p.pid] + [int(k) for k in kids]
            sig = signal.SIGQUIT
        else:
            env = dict(os.environ, RTA_IO=backend)
            p, out = start([os.path.join(build, "scenarios/http/rtahttpd"), "--engine", server, "--port", "0",
                            "--workers", "1"], env, tmp)
            pids, sig = [p.pid], signal.SIGTERM
        try:
            if server != "nginx":
                port = wait_listening(p, out)
            wrk(port, 1)
            counts, req = perf_stat(pids, lambda: wrk(port, duration))
        finally:
            stop(p, sig)
    return row("http", server, label, backend, counts, req)


def cg_totals(path):
    """{event: total} of a callgrind output file (its events: and
    summary:/totals: lines)."""
    names, tot = [], {}
    with open(path) as f:
        for line in f:
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith(("summary:", "totals:")):
                tot = dict(zip(names, (int(x) for x in line.split()[1:])))
    return tot


def callgrind_run(build, label, server, duration, conns, cache_sim):
    cache = ["--cache-sim=yes", "--D1=49152,12,64", "--LL=1048576,16,64"] if cache_sim else []
    with tempfile.TemporaryDirectory() as tmp:
        cg = os.path.join(tmp, "cg.out")
        p, out = start(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={cg}"]
                       + cache + echo_argv(build, server), echo_env("epoll"), tmp)
        try:
            port = wait_listening(p, out, 30)
            res = echo_measured(build, port, conns, duration,
                                lambda: subprocess.run(["callgrind_control", "-i", "on", str(p.pid)],
                                                       capture_output=True),
                                lambda: subprocess.run(["callgrind_control", "-i", "off", str(p.pid)],
                                                       capture_output=True))
        finally:
            stop(p)
        tot = cg_totals(cg)
        if os.environ.get("IOCOST_KEEP"):  # a folder to keep the callgrind files in (callgrind_annotate them)
            shutil.copy(cg, os.path.join(os.environ["IOCOST_KEEP"], f"{server}-{label}-{conns}.cg"))
        ann = subprocess.run(["callgrind_annotate", "--show=Ir", cg], capture_output=True, text=True).stdout
    req = res["requests"]
    ir = tot.get("Ir", 0)
    # The worker's idle spin (src/sched/worker.c: has_work, polled up to 256
    # times before the worker parks in the poller) runs whenever the server
    # has drained every connection, so its share of a request moves with the
    # client's timing (90 to 220 instructions a request between two runs of
    # one build): the request's own path is the rest.
    idle = sum(int(x.replace(",", "")) for x in re.findall(r"^\s*([\d,]+) \([^)]*\)\s+\S*:has_work ", ann, re.M))
    row = {"bench": "echo-callgrind", "server": server, "build": label, "backend": "epoll", "conns": conns,
           "requests": req, "errors": res["errors"], "user_instr_per_req": round(ir / req, 1) if req else None}
    if server != "epoll-c" and req:
        row["idle_spin_instr_per_req"] = round(idle / req, 1)
    if cache_sim and req:
        row["d1_miss_per_req"] = round((tot.get("D1mr", 0) + tot.get("D1mw", 0)) / req, 2)
        row["l2_miss_per_req"] = round((tot.get("DLmr", 0) + tot.get("DLmw", 0)) / req, 2)
        row["data_refs_per_req"] = round((tot.get("Dr", 0) + tot.get("Dw", 0)) / req, 1)
    return row


def print_tables(path):
    """Markdown tables of a results file: per bench and connection count,
    each engine and backend per build (CPU us / system calls per request),
    and the peer's CPU per request over this build's (the peer's runs
    averaged); then the callgrind rows (instructions, and simulated data
    cache misses when measured)."""
    with open(path) as f:
        lines = [json.loads(x) for x in f]
    head, rows = lines[0], lines[1:]
    labels = head["builds"]
    print(f"{head['date']}, load {head['loadavg_at_start'][0]} at start, {head['loadavg_at_end'][0]} at end\n")
    for bench, peer in (("echo", "epoll-c"), ("http", "nginx")):
        for conns in sorted({r.get("conns", 64) for r in rows if r["bench"] == bench}):
            here = [r for r in rows if r["bench"] == bench and r.get("conns", 64) == conns]
            peers = [r for r in here if r["build"] == "peer"]
            if not peers:
                continue
            pc = sum(r["cpu_us_per_req"] for r in peers) / len(peers)
            print(f"{bench}, {conns} connections: {peer} "
                  + ", ".join(f"{r['cpu_us_per_req']:.2f} us / {r['syscalls_per_req']:.2f}" for r in peers)
                  + " (CPU / system calls per request)\n")
            copies = any("resumes_copying_nothing" in r for r in here)
            print("| engine | backend | " + " | ".join(f"{lb}: us CPU / syscalls" for lb in labels)
                  + f" | {peer} / {labels[-1]} |" + (" resumes copying nothing |" if copies else ""))
            print("|---|---|" + "---|" * (len(labels) + 1 + copies))
            for be in BACKENDS:
                for e in ENGINES:
                    by = {r["build"]: r for r in here if r["server"] == e and r["backend"] == be}
                    if labels[-1] not in by:
                        continue
                    last = by[labels[-1]]
                    cells = [f"{by[lb]['cpu_us_per_req']:.2f} / {by[lb]['syscalls_per_req']:.2f}" if lb in by
                             else "-" for lb in labels]
                    tail = ""
                    if copies:
                        share = last.get("resumes_copying_nothing")
                        tail = f" {share * 100:.1f}% |" if share is not None else " - |"
                    print(f"| {e} | {be} | " + " | ".join(cells)
                          + f" | {pc / last['cpu_us_per_req']:.2f}x |" + tail)
            print()
    cg = [r for r in rows if r["bench"] == "echo-callgrind"]
    for conns in sorted({r.get("conns", 64) for r in cg}):
        here = [r for r in cg if r.get("conns", 64) == conns]
        sim = any("d1_miss_per_req" in r for r in here)

        def cell(r):
            if not r:
                return "-"
            c = f"{r.get('user_instr_per_req', '-')}"
            if "idle_spin_instr_per_req" in r:
                c += f" ({r['user_instr_per_req'] - r['idle_spin_instr_per_req']:.1f})"
            if sim:
                c += f" / {r.get('d1_miss_per_req', '-')} / {r.get('l2_miss_per_req', '-')}"
            return c
        what = "user instructions (without the idle spin)" + (" / D1 misses / L2 misses" if sim else "")
        print(f"echo under callgrind, {conns} connections, per request: {what}\n")
        print("| echo server | " + " | ".join(labels) + " |")
        print("|---|" + "---|" * len(labels))
        for s in ["epoll-c"] + ENGINES:
            by = {r["build"]: r for r in here if r["server"] == s}
            if by:
                print(f"| {s} | " + " | ".join(cell(by.get(lb) or by.get("peer")) for lb in labels) + " |")
        print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--print", dest="print_file", help="print the tables of a results file and stop")
    ap.add_argument("--build", action="append", help="LABEL=DIR (a Release build with the bench)")
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--conns", default="64", help="echo connection counts, comma-separated")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--cache-sim", action="store_true", help="with --callgrind: simulated D1 and L2 misses")
    ap.add_argument("--no-perf", action="store_true", help="echo: callgrind rows only")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.print_file:
        print_tables(a.print_file)
        return
    if not a.build or not a.out:
        ap.error("--build and --out are needed to measure")
    builds = [b.split("=", 1) for b in a.build]
    conns_list = [int(c) for c in a.conns.split(",")]
    engines = [e for e in a.engines.split(",") if e in ENGINES]
    backends = [b for b in a.backends.split(",") if b in BACKENDS]
    # 1,000 connections and more: a descriptor per connection on each side.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    started, load0 = time.time(), loadavg()
    rows = []

    def emit(r):
        if r:
            rows.append(r)
            print(json.dumps(r), flush=True)

    first = builds[-1][1]  # the peers (epoll-c, nginx) run once, from the last build
    for conns in conns_list if not a.no_perf else []:
        emit(echo_run(first, "peer", "epoll-c", None, a.duration, conns))
        for be in backends:
            for e in engines:
                for label, d in builds:
                    emit(echo_run(d, label, e, be, a.duration, conns))
        emit(echo_run(first, "peer", "epoll-c", None, a.duration, conns))
    if not a.no_http and shutil.which("wrk"):
        if shutil.which("nginx"):
            emit(http_run(first, "peer", "nginx", None, a.duration))
        for be in backends:
            for e in engines:
                for label, d in builds:
                    emit(http_run(d, label, e, be, a.duration))
        if shutil.which("nginx"):
            emit(http_run(first, "peer", "nginx", None, a.duration))
    if a.callgrind and shutil.which("valgrind"):
        for conns in conns_list:
            emit(callgrind_run(first, "peer", "epoll-c", a.duration + 1, conns, a.cache_sim))
            for e in engines:
                for label, d in builds:
                    emit(callgrind_run(d, label, e, a.duration + 1, conns, a.cache_sim))
    head = meta(started, load0, bench="iocost", builds=[b[0] for b in builds],
                command="bench/report/iocost.py " + " ".join(sys.argv[1:]))
    write_jsonl(a.out, head, rows)


if __name__ == "__main__":
    main()
