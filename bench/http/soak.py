#!/usr/bin/env python3
"""bench/http soak mode (not in CI): rtahttpd under wrk keep-alive load for N
minutes while a second client keeps sending the malformed and odd requests of
tests/http/corpus (whole, trickled, abandoned mid-request). RSS is sampled
every 5 s; the run fails if RSS after the first minute grows by more than 10%
+ 2 MiB, if the server stops answering, or if SIGTERM does not end it with
exit 0 within 5 s.

usage: soak.py --rtahttpd PATH [--minutes 10] [--engine E] [--out FILE]
The result names its run: UTC date, engine, I/O backend (RTA_IO or the
runtime's choice), commit and the load average at start and end.
"""
import argparse
import datetime
import glob
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "tests", "http", "corpus")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bad_client(port, stop, counts):
    files = [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(CORPUS, "*.http")))]
    rnd = random.Random(1)
    while not stop.is_set():
        data = rnd.choice(files)
        mode = rnd.randrange(4)
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            if mode == 0:                      # whole
                s.sendall(data)
            elif mode == 1:                    # trickled
                for i in range(0, len(data), 7):
                    s.sendall(data[i:i + 7])
            elif mode == 2:                    # abandoned mid-request
                s.sendall(data[: max(1, len(data) // 2)])
            else:                              # garbage
                s.sendall(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 600))))
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
            counts["ok"] += 1
        except OSError:
            counts["err"] += 1
        finally:
            try:
                s.close()
            except Exception:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rtahttpd", required=True)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--engine", default="tasklet", choices=("tasklet", "cont", "async1"))
    ap.add_argument("--out")
    a = ap.parse_args()
    env = dict(os.environ, RTAHTTPD_HEADER_TIMEOUT_MS="2000")
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load0 = open("/proc/loadavg").read().split()[0]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, cwd=HERE).stdout.strip() or "?"
    except OSError:
        commit = "?"
    srv = subprocess.Popen([a.rtahttpd, "--engine", a.engine, "--port", "0", "--workers", "1"], env=env,
                           stdout=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+)", srv.stdout.readline()).group(1))
    secs = int(a.minutes * 60)
    wrk = subprocess.Popen(["wrk", "-t1", "-c64", f"-d{secs}s", "--timeout", "5s",
                            f"http://127.0.0.1:{port}/plaintext"],
                           stdout=subprocess.PIPE, text=True)
    stop, counts = threading.Event(), {"ok": 0, "err": 0}
    th = threading.Thread(target=bad_client, args=(port, stop, counts), daemon=True)
    th.start()
    samples, t0 = [], time.time()
    while wrk.poll() is None:
        samples.append((round(time.time() - t0), rss_kib(srv.pid)))
        time.sleep(5)
    stop.set()
    th.join(10)
    wrk_out = wrk.stdout.read()
    alive = True
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(b"GET /plaintext HTTP/1.1\r\nConnection: close\r\n\r\n")
        alive = c.recv(100).startswith(b"HTTP/1.1 200")
        c.close()
    except OSError:
        alive = False
    srv.send_signal(signal.SIGTERM)
    try:
        rc = srv.wait(timeout=5)
    except subprocess.TimeoutExpired:
        srv.kill()
        rc = "hung"
    after_1min = [r for t, r in samples if t >= 60] or [r for _, r in samples]
    base, last, peak = after_1min[0], after_1min[-1], max(after_1min)
    flat = last <= base * 1.10 + 2048
    m = re.search(r"Requests/sec:\s+([\d.]+)", wrk_out)
    res = {"date": started, "engine": a.engine, "io": os.environ.get("RTA_IO", "default"),
           "commit": commit, "load_at_start": load0, "load_at_end": open("/proc/loadavg").read().split()[0],
           "minutes": a.minutes, "rss_kib_after_1min": base, "rss_kib_last": last,
           "rss_kib_peak": peak, "rss_flat": flat, "bad_client_connections": counts["ok"],
           "bad_client_errors": counts["err"], "wrk_rps": float(m.group(1)) if m else None,
           "answers_after": alive, "sigterm_exit": rc, "samples": samples}
    print(json.dumps({k: v for k, v in res.items() if k != "samples"}))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)
    sys.exit(0 if flat and alive and rc == 0 else 1)


if __name__ == "__main__":
    main()
