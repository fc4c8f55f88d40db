"""Shared by the load benchmarks (bench/http/bench.py, bench/echo/bench.py):
starting a server on 127.0.0.1 pinned to one vCPU, measuring its CPU time and
RSS from /proc while a client pinned to the other vCPU loads it, and saying
which side ran out of CPU. Nothing here knows a protocol.

Invariants: every server listens on 127.0.0.1 only; every child is stopped
(SIGTERM, then SIGKILL after 6 s) before the driver returns; every client run
has a wall-clock bound (the callers pass duration + slack to subprocess)."""
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import time

CLK = os.sysconf("SC_CLK_TCK")
BUSY = 0.9  # a side at >= 90% of one CPU is the limit of the figure


def pins():
    """(server CPU, client CPU) as taskset lists, or (None, None) when the
    machine has one CPU or no taskset: then nothing is pinned."""
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return "0", "1"
    return None, None


def pinned(argv, cpu):
    return (["taskset", "-c", cpu] if cpu else []) + list(argv)


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


def cpu_seconds(root, split=False):
    """user + system CPU seconds of root and its descendants so far; with
    split, (user, system)."""
    user = system = 0
    for p in pids_of(root):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user += int(fields[11])  # utime
            system += int(fields[12])  # stime
        except (OSError, IndexError):
            pass
    return (user / CLK, system / CLK) if split else (user + system) / CLK


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


def run_client(argv, timeout):
    """Runs a load client to its end: (stdout, CPU seconds it used)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Server:
    """A server process. Ready when it prints `listening on 127.0.0.1:PORT`
    (then that port is used), or, with `prepare`, once the port prepare()
    chose accepts: prepare() -> (extra argv, port), called at every start."""

    def __init__(self, name, argv, env=None, prepare=None, stop_signal=signal.SIGTERM):
        self.name, self.argv, self.env = name, list(argv), env
        self.prepare, self.stop_signal = prepare, stop_signal
        self.proc, self.port, self.error = None, None, None

    def start(self, cpu):
        env = dict(os.environ, **(self.env or {}))
        argv = list(self.argv)
        if self.prepare:
            extra, self.port = self.prepare()
            argv += extra
        self.proc = subprocess.Popen(pinned(argv, cpu), env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        if not self.prepare:
            line = self.proc.stdout.readline()
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if not m:
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
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
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(timeout=6)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def measure(server, client, duration):
    """One measured run against a started server: client() -> dict with
    `requests` and `client_cpu_s`. Adds the server's CPU time, RSS after the
    run, requests per server CPU-second and the limit."""
    u0, s0 = cpu_seconds(server.proc.pid, split=True)
    r = client()
    u1, s1 = cpu_seconds(server.proc.pid, split=True)
    server_cpu = (u1 - u0) + (s1 - s0)
    # The kernel's share (socket calls, the poller) says how much of a
    # request's cost any engine could change (question 1).
    r.update(server=server.name, duration_s=duration, server_cpu_s=server_cpu,
             server_sys_s=s1 - s0, rss_kib=rss_kib(server.proc.pid))
    reqs = r.get("requests") or 0
    r["req_per_cpu_s"] = reqs / server_cpu if server_cpu > 0 else None
    su, cu = server_cpu / duration, r["client_cpu_s"] / duration
    r["server_util"], r["client_util"] = su, cu
    r["limit"] = ("server" if su >= BUSY and su >= cu else
                  "client" if cu >= BUSY else "neither (machine shared or latency-bound)")
    return r


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def meta(started, load_at_start, **extra):
    """The first line of a results file: when (the run's start, UTC), where
    and how loaded at start and at end (the machine may be shared)."""
    return dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)), machine_cpus=os.cpu_count(),
                loadavg_at_start=load_at_start, loadavg_at_end=loadavg(), **extra)


def write_jsonl(path, head, rows):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(json.dumps(head) + "\n")
        for r in rows:
            f.write(json.dumps(r) + "\n")
    os.replace(tmp, path)


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None
