#!/usr/bin/env python3
"""The server's cost per request on the I/O path (issue 11's echo goals,
issue 13's HTTP goals), load-robust: a fixed client load, and what the
server spent on it divided by the requests it answered.

  bench/report/iocost.py --build after=DIR [--build before=DIR ...]
                         [--duration S] [--callgrind] --out FILE
  bench/report/iocost.py --print FILE    (the tables docs/io.md shows)

Per server (echo_server_rta per engine and backend and echo_server_epoll
under bench/echo's client at 64 connections; rtahttpd per engine and backend
and nginx under wrk on /plaintext at 64 connections): `perf stat` on the
server's process(es) for the measured run gives CPU time (task-clock),
system calls (raw_syscalls:sys_enter) and context switches, each divided by
the requests the client counted. The builds alternate per server, so a
before/after pair ran side by side. --callgrind adds user-space
instructions per request of each echo server under callgrind (epoll: valgrind
refuses io_uring), the figure that does not move with the machine's load,
and the share of it that is the worker's idle spin (which does).
Server pinned to CPU 0, client to CPU 1, as bench/echo and bench/http.
Writes one JSON line per measurement after a first line of run metadata.
Needs perf (Debian linux-perf) and, for the HTTP rows, wrk and nginx."""
import argparse
import json
import os
import re
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


def echo_client(build, port, duration):
    r = subprocess.run(["taskset", "-c", "1", os.path.join(build, "bench/echo/echo_client"), "--port", str(port),
                        "--conns", "64", "--duration", str(duration)], capture_output=True, text=True,
                       timeout=duration + 20)
    return json.loads(r.stdout)["requests"]


def wrk(port, duration):
    r = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{duration}s",
                        f"http://127.0.0.1:{port}/plaintext"], capture_output=True, text=True,
                       timeout=duration + 20)
    m = re.search(r"(\d+) requests in", r.stdout)
    return int(m.group(1)) if m else 0


def row(bench, server, label, backend, counts, requests):
    if not requests:
        return None
    return {"bench": bench, "server": server, "build": label, "backend": backend, "conns": 64,
            "requests": requests,
            "cpu_us_per_req": round(counts.get("task-clock", 0) * 1000 / requests, 3),
            "syscalls_per_req": round(counts.get("raw_syscalls:sys_enter", 0) / requests, 3),
            "cs_per_req": round(counts.get("context-switches", 0) / requests, 4)}


def echo_run(build, label, server, backend, duration):
    exe = os.path.join(build, "bench/echo", "echo_server_epoll" if server == "epoll-c" else "echo_server_rta")
    argv = [exe] if server == "epoll-c" else [exe, "--engine", server]
    env = dict(os.environ, RTA_IO=backend or "epoll")
    with tempfile.TemporaryDirectory() as tmp:
        p, out = start(argv, env, tmp)
        try:
            port = wait_listening(p, out)
            echo_client(build, port, 1)  # connections open and warm
            counts, req = perf_stat([p.pid], lambda: echo_client(build, port, duration))
        finally:
            stop(p)
    return row("echo", server, label, backend, counts, req)


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


def callgrind_run(build, label, server, duration):
    exe = os.path.join(build, "bench/echo", "echo_server_epoll" if server == "epoll-c" else "echo_server_rta")
    argv = [exe] if server == "epoll-c" else [exe, "--engine", server]
    with tempfile.TemporaryDirectory() as tmp:
        cg = os.path.join(tmp, "cg.out")
        p, out = start(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={cg}"] + argv,
                       dict(os.environ, RTA_IO="epoll"), tmp)
        try:
            port = wait_listening(p, out, 30)
            echo_client(build, port, 1)
            subprocess.run(["callgrind_control", "-i", "on", str(p.pid)], capture_output=True)
            req = echo_client(build, port, duration)
            subprocess.run(["callgrind_control", "-i", "off", str(p.pid)], capture_output=True)
        finally:
            stop(p)
        ann = subprocess.run(["callgrind_annotate", cg], capture_output=True, text=True).stdout
    m = re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", ann)
    ir = int(m.group(1).replace(",", "")) if m else 0
    # The worker's idle spin (src/sched/worker.c: has_work, polled up to 256
    # times before the worker parks in the poller) runs whenever the server
    # has drained every connection, so its share of a request moves with the
    # client's timing (90 to 220 instructions a request between two runs of
    # one build): the request's own path is the rest.
    idle = sum(int(x.replace(",", "")) for x in re.findall(r"^\s*([\d,]+) \([^)]*\)\s+\S*:has_work ", ann, re.M))
    row = {"bench": "echo-callgrind", "server": server, "build": label, "backend": "epoll", "conns": 64,
           "requests": req, "user_instr_per_req": round(ir / req, 1) if req else None}
    if server != "epoll-c" and req:
        row["idle_spin_instr_per_req"] = round(idle / req, 1)
    return row


def print_tables(path):
    """Markdown tables of a results file: per bench, each engine and backend
    per build (CPU us / system calls per request), and the peer's CPU per
    request over this build's (the peer's runs averaged)."""
    with open(path) as f:
        lines = [json.loads(x) for x in f]
    head, rows = lines[0], lines[1:]
    labels = head["builds"]
    print(f"{head['date']}, load {head['loadavg_at_start'][0]} at start, {head['loadavg_at_end'][0]} at end\n")
    for bench, peer in (("echo", "epoll-c"), ("http", "nginx")):
        peers = [r for r in rows if r["bench"] == bench and r["build"] == "peer"]
        if not peers:
            continue
        pc = sum(r["cpu_us_per_req"] for r in peers) / len(peers)
        print(f"{bench}: {peer} " + ", ".join(f"{r['cpu_us_per_req']:.2f} us / {r['syscalls_per_req']:.2f}" for r in peers)
              + " (CPU / system calls per request)\n")
        print("| engine | backend | " + " | ".join(f"{lb}: us CPU / syscalls" for lb in labels)
              + f" | {peer} / {labels[-1]} |")
        print("|---|---|" + "---|" * (len(labels) + 1))
        for be in BACKENDS:
            for e in ENGINES:
                by = {r["build"]: r for r in rows if r["bench"] == bench and r["server"] == e and r["backend"] == be}
                if labels[-1] not in by:
                    continue
                cells = [f"{by[lb]['cpu_us_per_req']:.2f} / {by[lb]['syscalls_per_req']:.2f}" if lb in by else "-"
                         for lb in labels]
                print(f"| {e} | {be} | " + " | ".join(cells) + f" | {pc / by[labels[-1]]['cpu_us_per_req']:.2f}x |")
        print()
    cg = [r for r in rows if r["bench"] == "echo-callgrind"]
    if cg:
        def cell(r):
            if not r:
                return "-"
            if "idle_spin_instr_per_req" not in r:
                return f"{r.get('user_instr_per_req', '-')}"
            return f"{r['user_instr_per_req']} ({r['user_instr_per_req'] - r['idle_spin_instr_per_req']:.1f})"
        print("| echo server | " + " | ".join(f"{lb}: user instructions / request (without the idle spin)"
                                             for lb in labels) + " |")
        print("|---|" + "---|" * len(labels))
        for s in ["epoll-c"] + ENGINES:
            by = {r["build"]: r for r in cg if r["server"] == s}
            print(f"| {s} | " + " | ".join(cell(by.get(lb) or by.get("peer")) for lb in labels) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--print", dest="print_file", help="print the tables of a results file and stop")
    ap.add_argument("--build", action="append", help="LABEL=DIR (a Release build with the bench)")
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.print_file:
        print_tables(a.print_file)
        return
    if not a.build or not a.out:
        ap.error("--build and --out are needed to measure")
    builds = [b.split("=", 1) for b in a.build]
    started, load0 = time.time(), loadavg()
    rows = []

    def emit(r):
        if r:
            rows.append(r)
            print(json.dumps(r), flush=True)

    first = builds[-1][1]  # the peers (epoll-c, nginx) run once, from the last build
    emit(echo_run(first, "peer", "epoll-c", None, a.duration))
    for be in BACKENDS:
        for e in ENGINES:
            for label, d in builds:
                emit(echo_run(d, label, e, be, a.duration))
    emit(echo_run(first, "peer", "epoll-c", None, a.duration))
    if not a.no_http and shutil.which("wrk"):
        if shutil.which("nginx"):
            emit(http_run(first, "peer", "nginx", None, a.duration))
        for be in BACKENDS:
            for e in ENGINES:
                for label, d in builds:
                    emit(http_run(d, label, e, be, a.duration))
        if shutil.which("nginx"):
            emit(http_run(first, "peer", "nginx", None, a.duration))
    if a.callgrind and shutil.which("valgrind"):
        emit(callgrind_run(first, "peer", "epoll-c", a.duration + 1))
        for e in ENGINES:
            for label, d in builds:
                emit(callgrind_run(d, label, e, a.duration + 1))
    head = meta(started, load0, bench="iocost", builds=[b[0] for b in builds],
                command="bench/report/iocost.py " + " ".join(sys.argv[1:]))
    write_jsonl(a.out, head, rows)


if __name__ == "__main__":
    main()
