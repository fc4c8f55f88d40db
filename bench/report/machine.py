#!/usr/bin/env python3
"""Prints one JSON line describing the run's machine, load and toolchain
(bench "meta"): what REPORT.md must state for a reader to judge the figures.

usage: machine.py [--quick] [--rounds N] [--flags FLAGS] [--min-sample-ms M]
       machine.py --load-at-end   (one line: the load when the rounds ended)"""
import datetime
import json
import os
import platform
import subprocess
import sys


def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.splitlines()[0]
    except Exception:
        return "n/a"


def arg(name, default=""):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv[:-1] else default


cpu, flags = "unknown", ""
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name") and cpu == "unknown":
            cpu = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = line.split(":", 1)[1]
except OSError:
    pass
det = first_line(["systemd-detect-virt"]) if os.path.exists("/usr/bin/systemd-detect-virt") else ""
virt = "VM (CPU hypervisor flag set)" if " hypervisor" in flags else "no hypervisor flag"
if det not in ("", "n/a", "none"):
    virt += f"; systemd-detect-virt: {det}"
try:
    load = open("/proc/loadavg").read().split()[:3]
except OSError:
    load = ["?"] * 3
if "--load-at-end" in sys.argv:
    print(json.dumps({"bench": "meta", "engine": "-", "metric": "load_at_end", "value": 0, "unit": "",
                      "params": {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M UTC"),
                                 "load": " ".join(load)}}))
    sys.exit(0)
procs = 0
try:  # other busy processes at the start: the shared machine's load
    out = subprocess.run(["ps", "-eo", "pcpu="], capture_output=True, text=True).stdout.split()
    procs = sum(1 for x in out if float(x) >= 10.0)
except Exception:
    pass
boost = ""
try:
    for line in open("/usr/include/boost/version.hpp"):
        if line.startswith("#define BOOST_LIB_VERSION"):
            boost = "Boost " + line.split('"')[1].replace("_", ".")
except OSError:
    pass
# The code measured: a figure must name the commit it came from ("+dirty":
# uncommitted changes were built too).
commit = first_line(["git", "rev-parse", "--short=12", "HEAD"])
if commit != "n/a" and first_line(["git", "status", "--porcelain", "--untracked-files=no"]) not in ("", "n/a"):
    commit += "+dirty"
meta = {
    "bench": "meta", "engine": "-", "metric": "machine", "value": 0, "unit": "",
    "params": {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit, "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "virt": virt,
        "load_at_start": " ".join(load), "busy_procs_at_start": procs,
        "gcc": first_line(["gcc", "--version"]), "g++": first_line(["g++", "--version"]),
        "clang++": first_line(["clang++", "--version"]), "go": first_line(["go", "version"]),
        "boost": boost, "flags": arg("--flags"), "rounds": int(arg("--rounds", "0") or 0),
        "min_sample_ms": float(arg("--min-sample-ms", "0") or 0),
        "mode": "quick" if "--quick" in sys.argv else "full",
    },
}
print(json.dumps(meta))
