#!/usr/bin/env python3
"""bench/echo: the rtasync echo server (each engine x I/O backend) vs a
hand-written single-threaded epoll C server and Go's net, side by side in one
run (issue 11).

Every server has one worker (echo_server_rta --workers 1, the epoll server is
single-threaded, Go GOMAXPROCS=1) pinned to CPU 0; echo_client (one thread,
closed loop, 64-byte messages) is pinned to CPU 1, at 1, 64 and 1,000
connections. Per run: requests/s, p50/p99 round trip, the server's RSS,
requests per server CPU-second and which side ran out of CPU first
(bench/report/netbench.py, shared with bench/http). Rounds interleave the
servers. Writes one results file; bench/report/loadreport.py builds the
report's section from it.

usage: bench.py --build DIR [--go PATH] --out FILE [--duration S] [--rounds N]
"""
import argparse
import json
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "report"))
from netbench import Server, loadavg, measure, meta, pins, pinned, run_client, write_jsonl  # noqa: E402

CONNS = (1, 64, 1000)
SIZE = 64


def run_client_once(client, port, conns, duration, cpu):
    out, cpu_s = run_client(pinned([client, "--port", str(port), "--conns", str(conns),
                                    "--duration", str(duration), "--size", str(SIZE)], cpu), duration + 30)
    try:
        r = json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        r = {"requests": 0, "rps": None, "p50_us": None, "p99_us": None, "errors": 1}
    r["client_cpu_s"] = cpu_s
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, help="folder with echo_server_rta, echo_server_epoll, echo_client")
    ap.add_argument("--go")
    ap.add_argument("--out", required=True)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()

    # 1,000 connections: two descriptors each across client and server.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    started, load0 = time.time(), loadavg()
    spin, cpin = pins()
    rta = os.path.join(a.build, "echo_server_rta")
    servers = [Server(f"echo-{e}-{io}", [rta, "--engine", e, "--port", "0", "--workers", "1"],
                      env={"RTA_IO": io, "RTA_STALL_MS": "0"})
               for e in ("tasklet", "cont", "async1") for io in ("epoll", "io_uring")]
    servers.append(Server("epoll-c", [os.path.join(a.build, "echo_server_epoll"), "--port", "0"]))
    if a.go:
        servers.append(Server("go-net", [a.go, "--port", "0"], env={"GOMAXPROCS": "1"}))
    client = os.path.join(a.build, "echo_client")

    rows, unavailable = [], {}
    try:
        for rnd in range(a.rounds):
            for conns in CONNS:
                for s in servers:
                    if s.name in unavailable:
                        continue
                    if not s.start(spin):
                        unavailable[s.name] = s.error
                        print(f"bench/echo: {s.name} unavailable: {s.error}", file=sys.stderr)
                        continue
                    try:
                        run_client_once(client, s.port, conns, 1, cpin)  # warm-up
                        r = measure(s, lambda: run_client_once(client, s.port, conns, a.duration, cpin),
                                    a.duration)
                    finally:
                        s.stop()
                    r.update(scenario=f"conns-{conns}", round=rnd, conns=conns)
                    rows.append(r)
                    print(f"bench/echo: conns {conns:5d} {s.name:22s} {r['rps'] or 0:>10.0f} req/s "
                          f"p99 {r['p99_us'] or 0:>8.0f} us  limit {r['limit']}", file=sys.stderr)
    finally:
        for s in servers:
            s.stop()
    write_jsonl(a.out, meta(started, load0, bench="echo", pinned=bool(spin), message_bytes=SIZE,
                            client="bench/echo/client.c, one thread, closed loop, pinned to CPU 1",
                            unavailable=unavailable, rounds=a.rounds, duration_s=a.duration,
                            scenarios=[dict(name=f"conns-{c}", conns=c) for c in CONNS]),
                rows)


if __name__ == "__main__":
    main()
