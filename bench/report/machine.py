#!/usr/bin/env python3
"""Prints one JSON line describing the machine and compilers (bench "meta")."""
import json, os, platform, subprocess, sys, datetime

def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.splitlines()[0]
    except Exception:
        return "n/a"

cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
meta = {
    "bench": "meta", "engine": "-", "metric": "machine", "value": 0, "unit": "",
    "params": {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "gcc": first_line(["gcc", "--version"]), "g++": first_line(["g++", "--version"]),
        "go": first_line(["go", "version"]), "mode": "quick" if "--quick" in sys.argv else "full",
    },
}
print(json.dumps(meta))
