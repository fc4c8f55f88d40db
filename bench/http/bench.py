#!/usr/bin/env python3
"""bench/http: rtahttpd (each engine x I/O backend) vs nginx vs Go net/http
under wrk on loopback, side by side in one run.

Every server gets one worker (rtahttpd --workers 1, nginx worker_processes 1,
Go GOMAXPROCS=1) pinned to CPU 0; wrk (one thread) is pinned to CPU 1. Per
scenario and server: requests/s, p50/p99 latency (wrk --latency), the server's
RSS after the run, requests per server CPU-second, and which side ran out of
CPU first (the limit). Rounds interleave the servers; figures are medians.

Writes one results file (a meta line, then a row per run); the section of
bench/results/REPORT.md is built from it by bench/report/loadreport.py.

usage: bench.py --rtahttpd PATH [--go PATH] --out FILE [--duration S] [--rounds N]
"""
import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "report"))
from netbench import Server, free_port, loadavg, measure, meta, pins, pinned, run_client, write_jsonl  # noqa: E402

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


def us(v):
    """wrk's latency ("812.00us", "1.20ms", "2.00s") in microseconds."""
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]


def run_wrk(port, path, conns, depth, duration, cpu):
    argv = pinned(["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--timeout", "5s", "--latency"], cpu)
    if depth > 1:
        argv += ["-s", os.path.join(HERE, "pipeline.lua")]
    argv.append(f"http://127.0.0.1:{port}{path}")
    if depth > 1:
        argv += ["--", str(depth), path]
    out, cpu_s = run_client(argv, duration + 30)
    r = {"client_cpu_s": cpu_s}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else None
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        r[f"p{pct}_us"] = us(m.group(1)) if m else None
    # wrk's percentiles under a pipelining script can come out as 0.00us (it
    # times only some of a batch's requests): a p99 below the p50 is no
    # measurement, and the report shows it as missing rather than as 0.
    if r["p50_us"] is not None and r["p99_us"] is not None and r["p99_us"] < r["p50_us"]:
        r["p99_us"] = None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["errors"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["errors"] += sum(int(x) for x in m.groups()) if m else 0
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rtahttpd", required=True)
    ap.add_argument("--go")
    ap.add_argument("--out", required=True, help="results file (JSON lines)")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()

    started, load0 = time.time(), loadavg()
    spin, cpin = pins()
    tmp = tempfile.mkdtemp(prefix="rta-bench-http-")
    servers = []
    for engine in ("tasklet", "cont", "async1"):
        for io in ("epoll", "io_uring"):
            servers.append(Server(f"rtahttpd-{engine}-{io}",
                                  [a.rtahttpd, "--engine", engine, "--port", "0", "--workers", "1"],
                                  env={"RTA_IO": io, "RTA_STALL_MS": "0"}))
    if shutil.which("nginx"):
        def nginx_conf():
            port = free_port()
            conf = os.path.join(tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(tmp=tmp, port=port))
            return ["-p", tmp, "-c", conf, "-e", os.path.join(tmp, "error.log")], port
        servers.append(Server("nginx", ["nginx"], prepare=nginx_conf, stop_signal=signal.SIGQUIT))
    if a.go:
        servers.append(Server("go-net-http", [a.go, "--port", "0"], env={"GOMAXPROCS": "1"}))

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
                        r = measure(s, lambda: run_wrk(s.port, path, conns, depth, a.duration, cpin),
                                    a.duration)
                    finally:
                        s.stop()
                    r.update(scenario=sc, round=rnd, conns=conns, depth=depth)
                    rows.append(r)
                    print(f"bench/http: {sc:24s} {s.name:26s} {r['rps'] or 0:>11.0f} req/s "
                          f"p99 {r['p99_us'] or 0:>8.0f} us  limit {r['limit']}", file=sys.stderr)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    write_jsonl(a.out, meta(started, load0, bench="http", pinned=bool(spin),
                            client="wrk -t1 (one thread), pinned to CPU 1", unavailable=unavailable,
                            rounds=a.rounds, duration_s=a.duration,
                            scenarios=[dict(name=n, path=p, conns=c, depth=d) for n, p, c, d in SCENARIOS]),
                rows)


if __name__ == "__main__":
    main()
