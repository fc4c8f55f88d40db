#!/usr/bin/env python3
"""bench/http: rtahttpd (each engine x I/O backend) vs nginx vs Go net/http
under wrk on loopback, side by side in one run.

Every server gets one worker (rtahttpd --workers 1, nginx worker_processes 1,
Go GOMAXPROCS=1) pinned to CPU 0; wrk (one thread) is pinned to CPU 1. Per
scenario and server: requests/s, p50/p99 latency (wrk --latency), the server's
RSS after the run, requests per server CPU-second, and which side ran out of
CPU first (the limit). Rounds interleave the servers; figures are medians.

usage: bench.py --rtahttpd PATH --go PATH --out DIR [--duration S] [--rounds N]
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLK = os.sysconf("SC_CLK_TCK")

SCENARIOS = [
    # name, path, connections, pipeline depth
    ("plaintext-ka-64", "/plaintext", 64, 1),
    ("plaintext-ka-256", "/plaintext", 256, 1),
    ("plaintext-pipelined-16", "/plaintext", 64, 16),
    ("json-ka-64", "/json", 64, 1),
]

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = /plaintext {{ default_type text/plain; return 200 "Hello, World!"; }}
        location = /json {{ default_type application/json; return 200 '{{"message":"Hello, World!"}}'; }}
    }}
}}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, timeout=10):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def pids_of(root):
    """root and its descendants (nginx: master and worker)."""
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def cpu_seconds(root):
    total = 0
    for p in pids_of(root):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError):
            pass
    return total / CLK


def rss_kib(root):
    total = 0
    for p in pids_of(root):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Server:
    def __init__(self, name, argv, env=None, kind="rtahttpd", tmp=None):
        self.name, self.argv, self.env, self.kind, self.tmp = name, argv, env, kind, tmp
        self.proc, self.port, self.error = None, None, None

    def start(self, pin):
        env = dict(os.environ, **(self.env or {}))
        argv = list(self.argv)
        if self.kind == "nginx":
            self.port = free_port()
            conf = os.path.join(self.tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(tmp=self.tmp, port=self.port))
            argv += ["-p", self.tmp, "-c", conf, "-e", os.path.join(self.tmp, "error.log")]
        argv = (["taskset", "-c", pin] if pin else []) + argv
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        if self.kind != "nginx":
            line = self.proc.stdout.readline()
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if not m:
                self.proc.wait(timeout=5)
                self.error = (self.proc.stderr.read().strip() or line.strip())[:300]
                return False
            self.port = int(m.group(1))
        if not wait_port(self.port, self.proc):
            self.error = "did not accept connections"
            self.stop()
            return False
        return True

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM if self.kind != "nginx" else signal.SIGQUIT)
            try:
                self.proc.wait(timeout=6)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def us(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]


def run_wrk(port, path, conns, depth, duration, pin):
    argv = (["taskset", "-c", pin] if pin else []) + [
        "wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--timeout", "5s", "--latency"]
    if depth > 1:
        argv += ["-s", os.path.join(HERE, "pipeline.lua")]
    argv.append(f"http://127.0.0.1:{port}{path}")
    if depth > 1:
        argv += ["--", str(depth), path]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    r = {"wrk_cpu_s": wrk_cpu}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else None
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        r[f"p{pct}_us"] = us(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rtahttpd", required=True)
    ap.add_argument("--go")
    ap.add_argument("--out", required=True)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()

    ncpu = os.cpu_count() or 1
    spin, cpin = ("0", "1") if ncpu >= 2 and shutil.which("taskset") else (None, None)
    tmp = tempfile.mkdtemp(prefix="rta-bench-http-")
    servers = []
    for engine in ("tasklet", "cont", "async1"):
        for io in ("epoll", "io_uring"):
            servers.append(Server(f"rtahttpd-{engine}-{io}",
                                  [a.rtahttpd, "--engine", engine, "--port", "0", "--workers", "1"],
                                  env={"RTA_IO": io}))
    if shutil.which("nginx"):
        servers.append(Server("nginx", ["nginx"], kind="nginx", tmp=tmp))
    if a.go:
        servers.append(Server("go-net-http", [a.go, "--port", "0"], env={"GOMAXPROCS": "1"},
                              kind="go"))

    rows, unavailable = [], {}
    try:
        for rnd in range(a.rounds):
            for sc, path, conns, depth in SCENARIOS:
                for s in servers:
                    if s.name in unavailable:
                        continue
                    if not s.start(spin):
                        unavailable[s.name] = s.error
                        print(f"bench/http: {s.name} unavailable: {s.error}", file=sys.stderr)
                        continue
                    try:
                        run_wrk(s.port, path, conns, depth, 1, cpin)  # warm-up
                        c0 = cpu_seconds(s.proc.pid)
                        r = run_wrk(s.port, path, conns, depth, a.duration, cpin)
                        cpu = cpu_seconds(s.proc.pid) - c0
                        r.update(server=s.name, scenario=sc, round=rnd, conns=conns,
                                 depth=depth, duration_s=a.duration, server_cpu_s=cpu,
                                 rss_kib=rss_kib(s.proc.pid))
                    finally:
                        s.stop()
                    reqs = r.get("requests") or 0
                    r["req_per_cpu_s"] = reqs / cpu if cpu > 0 else None
                    su, wu = cpu / a.duration, r["wrk_cpu_s"] / a.duration
                    r["server_util"], r["wrk_util"] = su, wu
                    r["limit"] = ("server" if su >= 0.9 and su >= wu else
                                  "wrk" if wu >= 0.9 else "neither (latency-bound)")
                    rows.append(r)
                    print(f"bench/http: {sc:24s} {s.name:26s} {r['rps'] or 0:>11.0f} req/s "
                          f"p99 {r['p99_us'] or 0:>8.0f} us  limit {r['limit']}", file=sys.stderr)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.jsonl"), "w") as f:
        f.write(json.dumps({"machine_cpus": ncpu, "loadavg_at_end": os.getloadavg(), "pinned": bool(spin),
                            "wrk": "wrk -t1 (one thread, pinned to CPU 1)",
                            "unavailable": unavailable, "rounds": a.rounds,
                            "duration_s": a.duration}) + "\n")
        for r in rows:
            f.write(json.dumps(r) + "\n")
    report(rows, unavailable, a, os.path.join(a.out, "REPORT.md"))


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def report(rows, unavailable, a, path):
    names = []
    for r in rows:
        if r["server"] not in names:
            names.append(r["server"])
    L = ["# bench/http: rtahttpd vs nginx vs Go net/http (wrk, loopback)", "",
         f"One worker per server pinned to CPU 0, wrk -t1 pinned to CPU 1; {a.duration} s per "
         f"run after a 1 s warm-up, {a.rounds} round(s), medians. RSS after the run. "
         "`limit`: the side whose CPU was >= 90% busy (wrk's own ceiling caps every figure "
         "where it says wrk).", ""]
    for sc, *_ in SCENARIOS:
        L += [f"## {sc}", "",
              "| server | req/s | p50 us | p99 us | RSS KiB | req per server CPU-s | limit |",
              "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
        for n in names:
            rs = [r for r in rows if r["server"] == n and r["scenario"] == sc]
            if not rs:
                continue
            f = lambda k: med([r.get(k) for r in rs])
            lim = max(set(r["limit"] for r in rs), key=[r["limit"] for r in rs].count)
            bad = sum(r["non_2xx"] + r["socket_errors"] for r in rs)
            L.append(f"| {n}{' (errors: %d)' % bad if bad else ''} | {f('rps') or 0:,.0f} | "
                     f"{f('p50_us') or 0:,.0f} | {f('p99_us') or 0:,.0f} | {f('rss_kib') or 0:,.0f} | "
                     f"{f('req_per_cpu_s') or 0:,.0f} | {lim} |")
        L.append("")
    if unavailable:
        L += ["## Not measured", ""] + [f"- {k}: {v}" for k, v in unavailable.items()] + [""]
    with open(path, "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()
