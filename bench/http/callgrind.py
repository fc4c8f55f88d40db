#!/usr/bin/env python3
"""User-space instructions per HTTP request (issue 13), the figure that does
not move with the machine's load: each server runs under callgrind with
collection off, wrk (one thread, pinned to CPU 1) warms its connections,
collection is switched on for a measured wrk run and off again, and the
instructions collected are divided by the requests wrk counted.

  bench/http/callgrind.py --build DIR [--engines tasklet,cont,async1] [--nginx]
                          [--scenario plaintext-ka-64|plaintext-pipelined-16|json-ka-64]
                          [--duration S] [--top N] [--label L] [--out FILE] [--keep DIR]
  bench/http/callgrind.py --print FILE   (docs/http.md's table: a row per
                          server and scenario, a column per --label; the
                          median of the runs, their number in brackets)

DIR is a build tree with scenarios/http/rtahttpd (Release). --top N prints
each server's N functions with the most instructions of their own (self
cost, callgrind_annotate --inclusive=no) per request, to see where the time
goes. --out appends one JSON line per server. The count moves by a few
percent between runs (a wake-up finds more or fewer connections ready, and
the worker's idle path runs between them): alternate the builds over a few
runs and compare medians. Epoll only (valgrind refuses
io_uring); one worker, as in bench/http. Valgrind runs every thread of the
server on one CPU, so the server is slower than wrk and each wake-up finds
more connections ready than in a timed run: the per-request figure is a
little lower than the timed path's, the same way for every server."""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "report"))
from bench import NGINX_CONF  # noqa: E402
from netbench import free_port  # noqa: E402

SCENARIOS = {"plaintext-ka-64": ("/plaintext", 64, 0), "plaintext-pipelined-16": ("/plaintext", 64, 16),
             "json-ka-64": ("/json", 64, 0)}


def wrk(port, path, conns, depth, duration):
    argv = ["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{duration}s"]
    if depth:
        argv += ["-s", os.path.join(HERE, "pipeline.lua")]
    argv += [f"http://127.0.0.1:{port}{path}"]
    if depth:
        argv += ["--", str(depth), path]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    m = re.search(r"(\d+) requests in", r.stdout)
    if not m or "Non-2xx" in r.stdout or "Socket errors" in r.stdout:
        raise RuntimeError(f"wrk: {r.stdout}{r.stderr}")
    return int(m.group(1))


def wait_listening(p, out, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(out).read())
        if m:
            return int(m.group(1))
        if p.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"no 'listening on' from {p.args}: {open(out).read()}")


def measure(name, argv, env, port, tmp, scenario, duration, top, conns=None):
    path, sc_conns, depth = SCENARIOS[scenario]
    conns = conns or sc_conns
    cg = os.path.join(tmp, f"cg.{name}")
    out = os.path.join(tmp, f"{name}.out")
    p = subprocess.Popen(["taskset", "-c", "0", "valgrind", "--tool=callgrind", "--instr-atstart=no",
                          f"--callgrind-out-file={cg}"] + argv, stdout=open(out, "w"),
                         stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        if port is None:
            port = wait_listening(p, out)
        else:
            time.sleep(3)
        wrk(port, path, conns, depth, 2)  # connections open, code paths warm
        subprocess.run(["callgrind_control", "-i", "on", str(p.pid)], capture_output=True, check=True)
        req = wrk(port, path, conns, depth, duration)
        subprocess.run(["callgrind_control", "-i", "off", str(p.pid)], capture_output=True, check=True)
        # dumped now, not at exit: a server's exit under valgrind may outlast the wait below
        subprocess.run(["callgrind_control", "-d", str(p.pid)], capture_output=True, check=True)
    finally:
        p.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    # callgrind_annotate reads one data file (more are taken for source
    # files): each dump is annotated alone and the counts summed.
    ir, fns = 0, {}
    for f in sorted(os.listdir(tmp)):
        if not f.startswith(f"cg.{name}"):
            continue
        ann = subprocess.run(["callgrind_annotate", "--inclusive=no", "--auto=no", "--threshold=100",
                              os.path.join(tmp, f)],
                             capture_output=True, text=True).stdout
        m = re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", ann)
        ir += int(m.group(1).replace(",", "")) if m else 0
        for line in ann.splitlines():
            m = re.match(r"\s*([\d,]+) \([\s\d.]+%\)\s+(.*)", line)
            if m and "PROGRAM TOTALS" not in line and "=>" not in line:
                fns[m.group(2).strip()] = fns.get(m.group(2).strip(), 0) + int(m.group(1).replace(",", ""))
    row = {"bench": "http-callgrind", "server": name, "scenario": scenario, "conns": conns, "requests": req,
           "user_instr_per_req": round(ir / req, 1) if req else None}
    if top:
        best = sorted(((n, f) for f, n in fns.items()), reverse=True)[:top]
        row["top"] = [[round(n / req, 1), f] for n, f in best]
    return row


def print_table(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    labels = list(dict.fromkeys(r.get("build", "") for r in rows))
    keys = list(dict.fromkeys((r["server"], r["scenario"], r.get("conns")) for r in rows))
    runs = {}
    for r in rows:
        runs.setdefault((r["server"], r["scenario"], r.get("conns"), r.get("build", "")), []).append(
            r["user_instr_per_req"])
    val = {k: statistics.median(v) for k, v in runs.items()}
    print("| server | scenario | connections | " + " | ".join(labels) + " |")
    print("|---|---|---:|" + "---:|" * len(labels))
    for k in keys:
        cells = [f"{val[k + (b,)]:,.0f} ({len(runs[k + (b,)])})" if val.get(k + (b,)) else "–" for b in labels]
        print(f"| {k[0]} | {k[1]} | {k[2] or '–'} | " + " | ".join(cells) + " |")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--print":
        return print_table(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--engines", default="tasklet,cont,async1")
    ap.add_argument("--nginx", action="store_true")
    ap.add_argument("--scenario", default="plaintext-ka-64", choices=sorted(SCENARIOS))
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--conns", type=int, help="connections instead of the scenario's (1: every request "
                    "is a wake-up of its own, so the count does not depend on how many a wake-up finds)")
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--label", default="")
    ap.add_argument("--out")
    ap.add_argument("--keep", help="a folder to copy callgrind's output files into (callgrind_annotate them)")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for e in [e for e in a.engines.split(",") if e]:
            env = dict(os.environ, RTA_IO="epoll", RTA_STALL_MS="0")
            argv = [os.path.join(a.build, "scenarios/http/rtahttpd"), "--engine", e, "--port", "0",
                    "--workers", "1"]
            rows.append(measure(f"rtahttpd-{e}", argv, env, None, tmp, a.scenario, a.duration, a.top, a.conns))
        if a.nginx:
            port = free_port()
            conf = os.path.join(tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(tmp=tmp, port=port).replace("daemon off;",
                                                                      "daemon off;\nmaster_process off;"))
            argv = ["nginx", "-p", tmp, "-c", conf, "-e", os.path.join(tmp, "error.log")]
            rows.append(measure("nginx", argv, None, port, tmp, a.scenario, a.duration, a.top, a.conns))
        if a.keep:
            os.makedirs(a.keep, exist_ok=True)
            for f in os.listdir(tmp):
                if f.startswith("cg."):
                    shutil.copy(os.path.join(tmp, f), a.keep)
    for r in rows:
        if a.label:
            r["build"] = a.label
        print(f"{r['server']:<20} {r['scenario']:<24} c{r['conns']:<4} {r['user_instr_per_req']:>10} instr/req "
              f"({r['requests']} requests)")
        for n, f in r.get("top", []):
            print(f"    {n:>9} {f}")
    if a.out:
        with open(a.out, "a") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
