#!/usr/bin/env python3
"""Idle connections (issue 11, "Many tasks"): a server holding 1,000 and
10,000 connections that each wait about a second between requests. What
share of the tasklet resumes copied nothing, and how much memory the server
holds per connection, for each engine.

  bench/echo/idle.py --build LABEL=DIR [--build LABEL=DIR ...] [--conns 1000,10000]
                     [--period-ms 1000] [--warmup 8] [--duration 5]
                     [--engines tasklet,cont,async1] [--backend epoll] --out FILE
  bench/echo/idle.py --print FILE

Per connection count, engine and build (builds alternate, so a before/after
pair runs side by side): echo_server_rta --buf 64 (each connection's buffer
is the message's 64 bytes, so the memory measured is the runtime's, not a
16 KiB application buffer) with the runtime's defaults, idle compaction at
its 200 ms included (RTA_IDLE_COMPACT_MS is removed from the environment);
bench/echo's client with --period-ms (each connection sends its next 64-byte
message that long after its echo came back) and --sync: a warm-up of
--warmup seconds, then the measured run of --duration seconds. The server's
counters (its SIGUSR1 line) before and after the measured run give the
resumes that copied a stack back in; its VmRSS before the first connection
and at the end of the measured run (every connection still open) give the
bytes per connection. The hand-written epoll server (bench/echo/epoll_echo.c)
runs once per count as the floor: its RSS per connection is its own
connection record and buffer. Server pinned to CPU 0, client to CPU 1.
Writes one JSON line per measurement after a line of run metadata."""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "report"))
from iocost import Stats, start, stop, wait_listening  # noqa: E402
from netbench import loadavg, meta, write_jsonl  # noqa: E402

ENGINES = ["tasklet", "cont", "async1"]
MSG = 64


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def measure(build, label, server, backend, conns, a):
    exe = os.path.join(build, "bench/echo", "echo_server_epoll" if server == "epoll-c" else "echo_server_rta")
    argv = [exe] if server == "epoll-c" else [exe, "--engine", server, "--buf", str(MSG)]
    env = dict(os.environ, RTA_IO=backend, RTA_STALL_MS="0")
    env.pop("RTA_IDLE_COMPACT_MS", None)  # the default threshold is what is measured
    with tempfile.TemporaryDirectory() as tmp:
        p, out = start(argv, env, tmp)  # start() pins it to CPU 0
        try:
            port = wait_listening(p, out)
            pid = p.pid
            time.sleep(0.2)
            rss0 = rss_kib(pid)
            st = Stats(pid, out) if server != "epoll-c" else None
            c = subprocess.Popen(["taskset", "-c", "1", os.path.join(build, "bench/echo/echo_client"),
                                  "--port", str(port), "--conns", str(conns), "--duration", str(a.duration),
                                  "--size", str(MSG), "--sync", "--period-ms", str(a.period_ms),
                                  "--warmup", str(a.warmup)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                if '"warm"' not in c.stdout.readline():
                    raise RuntimeError(f"echo_client at {conns} connections did not warm up")
                if st:
                    st.take()
                c.stdin.write("\n")
                c.stdin.flush()
                res = json.loads(c.stdout.readline())
                rss1 = rss_kib(pid)
                if st:
                    st.take()
                c.stdin.write("\n")
                c.stdin.close()
                c.wait(30)
            finally:
                if c.poll() is None:
                    c.kill()
                    c.wait()
        finally:
            stop(p)
    row = {"bench": "echo-idle", "server": server, "build": label, "backend": None if server == "epoll-c" else backend,
           "conns": conns, "period_ms": a.period_ms, "requests": res["requests"], "errors": res["errors"],
           "p99_us": res["p99_us"], "rss_start_kib": rss0, "rss_end_kib": rss1,
           "rss_bytes_per_conn": round((rss1 - rss0) * 1024 / conns, 1)}
    if st:
        row.update(st.fields())
        d = {k: st.taken[1][k] - st.taken[0][k] for k in st.taken[0]}
        row["compactions"] = d["compactions"]
        row.pop("bytes_copied_per_req", None)
    return row


def print_tables(path):
    with open(path) as f:
        lines = [json.loads(x) for x in f]
    head, rows = lines[0], lines[1:]
    print(f"{head['date']}, load {head['loadavg_at_start'][0]} at start, {head['loadavg_at_end'][0]} at end; "
          f"each connection waits {rows[0]['period_ms']:g} ms between requests\n")
    print("| connections | server | build | requests | resumes copying nothing | compactions | "
          "RSS per connection (bytes) |")
    print("|---|---|---|---:|---:|---:|---:|")
    for r in rows:
        share = r.get("resumes_copying_nothing")
        share = f"{share * 100:.1f}%" if share is not None else "-"
        print(f"| {r['conns']:,} | {r['server']} | {r['build']} | {r['requests']:,} | {share} | "
              f"{r.get('compactions', '-')} | {r['rss_bytes_per_conn']:,.0f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--print", dest="print_file")
    ap.add_argument("--build", action="append", help="LABEL=DIR (a Release build with the bench)")
    ap.add_argument("--conns", default="1000,10000")
    ap.add_argument("--period-ms", type=float, default=1000)
    ap.add_argument("--warmup", type=float, default=8)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--backend", default="epoll", choices=["epoll", "io_uring"])
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.print_file:
        print_tables(a.print_file)
        return
    if not a.build or not a.out:
        ap.error("--build and --out are needed to measure")
    builds = [b.split("=", 1) for b in a.build]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    started, load0 = time.time(), loadavg()
    rows = []
    for conns in [int(c) for c in a.conns.split(",")]:
        todo = [(builds[-1][1], "peer", "epoll-c")]
        todo += [(d, label, e) for e in a.engines.split(",") for label, d in builds]
        for i, (d, label, server) in enumerate(todo):
            print(f"idle.py: {conns} connections, {server} ({label}), {i + 1} of {len(todo)}", file=sys.stderr,
                  flush=True)
            r = measure(d, label, server, a.backend, conns, a)
            rows.append(r)
            print(json.dumps(r), flush=True)
    head = meta(started, load0, bench="echo-idle", builds=[b[0] for b in builds],
                command="bench/echo/idle.py " + " ".join(sys.argv[1:]))
    write_jsonl(a.out, head, rows)


if __name__ == "__main__":
    main()
