#!/usr/bin/env python3
"""Where an echo server's CPU goes, kernel and user space: `perf record -e
cpu-clock -g` on the server over one measured run of bench/echo's client
with --sync (the same run iocost.py measures: no connection set-up in it).
Server pinned to CPU 0, client to CPU 1, without idle compaction (iocost.py's
echo_env). Needs perf (root for kernel symbols).

  bench/report/ioprofile.py BUILD SERVER BACKEND CONNS OUT.data
    BUILD: a Release build with the bench; SERVER: tasklet, cont, async1
    or epoll-c; then perf report -i OUT.data --no-children --sort symbol"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iocost  # noqa: E402


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    build, server, backend, conns, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    with tempfile.TemporaryDirectory() as tmp:
        p, o = iocost.start(iocost.echo_argv(build, server), iocost.echo_env(backend), tmp)
        try:
            port = iocost.wait_listening(p, o)
            st = {}

            def on():
                st["perf"] = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "4000", "-g", "-p",
                                               str(p.pid), "-o", out],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.5)  # attached before the client goes on

            def off():
                st["perf"].send_signal(signal.SIGINT)
                st["perf"].wait(20)

            print(iocost.echo_measured(build, port, conns, 3, on, off))
        finally:
            iocost.stop(p)


if __name__ == "__main__":
    main()
