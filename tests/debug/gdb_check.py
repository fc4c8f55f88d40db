#!/usr/bin/env python3
"""The gdb extension's test (tests/CMakeLists.txt registers it as debug_gdb).

Runs the fixture program (gdb_fixture.c) under gdb in batch mode, stops
where every fixture task is suspended, and runs `info rta-tasks`, `rta-bt
all` and `rta-bt ID` for each task; writes a core with gcore, and runs the
same on the core. Checks, live and on the core:
  - the script was auto-loaded from the program's .debug_gdb_scripts;
  - every task's line and frames agree with the program's own
    rta_dump_tasks (written just before the stop) except the wait times;
  - the frames are the fixture's functions at the fixture's lines (counted
    here from fixture.h's FIX_LINE_* markers), on each engine;
  - `rta-bt ID` goes on into the awaiting task ([task N] frames);
  - the tasklet whose frames were evicted to the heap was walked there;
  - the commands' errors: a missing, non-numeric or unknown id, and (the
    script sourced by hand into /bin/sh) a program without rtasync.
Exit 0 when all hold, 1 otherwise (the output says what differed).
"""
import argparse
import os
import re
import subprocess
import sys

FRAME = re.compile(r"^    #(\d+) (\S+)(?: at (\S+):(\d+)| at line (\d+)| \+0x[0-9a-f]+)?(   \[task (\d+)\])?$")
HEAD = re.compile(r"^(task (\d+) (\S+) (\S+) in (\S+))(: (.*))?$")

failures = []


def fail(msg):
    failures.append(msg)


def marker_line(fixture, marker):
    if marker.startswith("GF_"):  # the program's own markers
        fixture = os.path.join(os.path.dirname(fixture), "gdb_fixture.c")
    with open(fixture) as f:
        for n, line in enumerate(f, 1):
            if marker in line and "fixture_line" not in line:
                return n
    raise SystemExit("gdb_check: marker %s not in %s" % (marker, fixture))


def strip_wait(text):
    """A task line without its times (the dump, gdb and the core differ):
    the wait time goes, a deadline's or a timer's time left becomes N."""
    text = re.sub(r" \((deadline|timer due) in (<= )?\d+ ms\)", r" (\1 in N ms)", text)
    return re.sub(r", waiting (>= )?\d+ ms$", "", text)


def parse_blocks(text):
    """{id: {"head": line without wait, "frames": [...], "by": [...]}} of a dump."""
    blocks, cur = {}, None
    for line in text.splitlines():
        m = HEAD.match(line)
        if m:
            cur = {"head": strip_wait(line), "frames": [], "by": [], "line": line}
            blocks[int(m.group(2))] = cur
            continue
        if cur is None:
            continue
        m = FRAME.match(line)
        if m:
            cur["frames"].append(line)
        elif line.startswith("    awaited by task "):
            cur["by"].append(line)
        elif line.startswith("    "):
            cur["frames"].append(line)
    return blocks


def frame_parts(line):
    m = FRAME.match(line)
    if not m:
        return None
    return {"i": int(m.group(1)), "name": m.group(2), "file": m.group(3),
            "line": int(m.group(4) or m.group(5) or 0), "task": m.group(7)}


def sections(out):
    """The output between `@@ NAME` markers."""
    secs, name = {}, None
    for line in out.splitlines():
        if line.startswith("@@ "):
            name = line[3:].strip()
            secs[name] = []
        elif name is not None:
            secs[name].append(line)
    return {k: "\n".join(v) + "\n" for k, v in secs.items()}


def same_frame(dump_line, gdb_line):
    """Equal, or (a dump without DWARF) the same function."""
    if dump_line == gdb_line:
        return True
    d, g = frame_parts(dump_line), frame_parts(gdb_line)
    return d and g and d["file"] is None and d["i"] == g["i"] and d["name"] == g["name"]


def check_run(what, out, dump, lines):
    if not re.search(r"Yes\s+rtasync-gdb\.py", out):
        fail("%s: rtasync-gdb.py not auto-loaded from the section:\n%s" % (what, out))
        return
    secs = sections(out)
    for k in ("info", "all"):
        if k not in secs:
            fail("%s: no output of %s:\n%s" % (what, k, out))
            return
    want = parse_blocks(dump)
    got = parse_blocks(secs["all"])
    if sorted(got) != sorted(want) or len(want) != 9:
        fail("%s: rta-bt all lists tasks %s, the dump %s" % (what, sorted(got), sorted(want)))
        return
    # info rta-tasks: one line per task, the dump's (wait times aside).
    info_lines = [strip_wait(l) for l in secs["info"].splitlines() if HEAD.match(l)]
    if info_lines != [want[i]["head"] for i in sorted(want)]:
        fail("%s: info rta-tasks:\n%s\nthe dump:\n%s" % (what, secs["info"], dump))
    waits = re.findall(r"waiting (>= )?\d+ ms", secs["info"])
    if len(waits) != 8 or any(bool(w) != (what == "core") for w in waits):
        fail("%s: wait times (live: 'waiting N ms', core: 'waiting >= N ms'):\n%s" % (what, secs["info"]))
    for i in sorted(want):
        w, g = want[i], got[i]
        if w["head"] != g["head"] or w["by"] != g["by"] or len(w["frames"]) != len(g["frames"]) \
                or not all(same_frame(a, b) for a, b in zip(w["frames"], g["frames"])):
            fail("%s: task %d differs from the dump:\ngdb:\n%s\n%s\n%s\ndump:\n%s\n%s\n%s" % (
                what, i, g["line"], "\n".join(g["frames"]), "\n".join(g["by"]),
                w["line"], "\n".join(w["frames"]), "\n".join(w["by"])))

    def by_root(root):
        for i, b in got.items():
            if (" in %s:" % root) in b["head"]:
                return i, b
        fail("%s: no task in %s:\n%s" % (what, root, secs["all"]))
        return None, None

    def expect(root, frames):
        """frames: [(name, [acceptable lines])], innermost first, exactly."""
        i, b = by_root(root)
        if b is None:
            return None
        parts = [frame_parts(l) for l in b["frames"]]
        ok = len(parts) == len(frames)
        for p, (name, ls) in zip(parts, frames):
            ok = ok and p is not None and p["name"] == name and p["line"] in ls \
                and (p["file"] is None or p["file"].endswith(("/fixture.h", "/gdb_fixture.c")))
        if not ok:
            fail("%s: task %d (%s): expected %s, got:\n%s" % (
                what, i, root, frames, "\n".join(b["frames"])))
        return i

    L = lines
    t_root = expect("fx_t_root", [("fx_t_leaf", [L["T_LEAF"]]), ("fx_t_mid", [L["T_MID"]]),
                                  ("fx_t_root", [L["T_ROOT"]])])
    t_wait = expect("fx_t_waiter", [("fx_t_waiter", [L["T_WAITER"]])])
    # clang's line table puts a cont resume point on its RTA_CONT_FRAME line.
    expect("fx_c_root", [("fx_c_leaf", [L["C_LEAF"], L["C_FRAME"]]),
                         ("fx_c_mid", [L["C_MID"]]), ("fx_c_root", [L["C_ROOT"]])])
    a_in = expect("fx_a_inner_move_next", [("fx_a_inner_move_next", [L["A_INNER"]])])
    a_out = expect("fx_a_outer_move_next", [("fx_a_outer_move_next", [L["A_OUTER"]])])
    # The timer's and the read's descriptions, from the registry entry; the
    # time left of their 10-minute waits: live "in N ms", core "in <= N ms".
    le = "" if what == "live" else "<= "
    for root, pat in (("gf_sleeper", r"tasklet suspended in gf_sleeper: sleeping \(timer due in %s(\d+) ms\)"),
                      ("gf_reader", r"tasklet suspended in gf_reader: awaiting read on fd \d+ "
                                    r"\(deadline in %s(\d+) ms\), waiting")):
        i, b = by_root(root)
        m = b and re.search(pat % re.escape(le), b["line"])
        # A core's "now" is the newest suspension's coarse timestamp (a
        # jiffy or so behind the deadline's clock): a bound a little over.
        if b and (not m or not 0 < int(m.group(1)) <= 600000 + (0 if what == "live" else 1000)):
            fail("%s: %s: %s" % (what, root, b["line"]))
    i, b = by_root("gf_cont_reader")
    if b and not re.search(r"cont suspended in gf_cont_reader: awaiting read on fd \d+, waiting", b["line"]):
        fail("%s: gf_cont_reader: %s" % (what, b["line"]))
    expect("gf_sleeper", [("gf_sleeper", [L["SLEEP"]])])
    expect("gf_reader", [("gf_reader", [L["READ"]])])
    expect("gf_cont_reader", [("gf_cont_reader", [L["G_C_READ"], L["G_C_FRAME"]])])
    done, b = by_root("fx_t_done")
    if b and (not b["head"].endswith("completed-but-held in fx_t_done: succeeded") or b["frames"]):
        fail("%s: fx_t_done: %s" % (what, b["line"]))
    if None in (t_root, t_wait, a_in, a_out):
        return

    # rta-bt ID: the logical stack goes on into the awaiting task.
    def chain(tid, awaiter, n, name, line):
        sec = secs.get("bt %d" % tid, "")
        want_by = "    awaited by task %d" % awaiter
        fs = [frame_parts(l) for l in sec.splitlines() if FRAME.match(l)]
        last = fs[-1] if fs else None
        if want_by not in sec.splitlines() or len(fs) != n + 1 or last["i"] != n \
                or last["name"] != name or last["line"] != line or last["task"] != str(awaiter):
            fail("%s: rta-bt %d: expected frame #%d %s at line %d [task %d] after '%s':\n%s" % (
                what, tid, n, name, line, awaiter, want_by, sec))

    chain(t_root, t_wait, 3, "fx_t_waiter", L["T_WAITER"])
    chain(a_in, a_out, 1, "fx_a_outer_move_next", L["A_OUTER"])
    for tid in got:
        bt = secs.get("bt %d" % tid, "")
        if not bt or strip_wait(bt.splitlines()[0]) != got[tid]["head"]:
            fail("%s: rta-bt %d printed:\n%s" % (what, tid, secs.get("bt %d" % tid)))
    misuse = secs.get("misuse", "")
    for want_err in ("rta-bt : rta-bt: give a task id", "rta-bt abc: rta-bt: 'abc' is not a task id",
                     "rta-bt 999999: rta-bt: no task 999999 in the registry"):
        if want_err not in misuse:
            fail("%s: misuse: expected '%s' in:\n%s" % (what, want_err, misuse))
    if "evicted 1" not in out:
        fail("%s: fx_t_root's frames were not evicted (the heap walk went untested):\n%s" % (what, out))


BT_EACH = r"""
python
import re
for line in gdb.execute("info rta-tasks", to_string=True).splitlines():
    m = re.match(r"task (\d+) ", line)
    if m:
        gdb.write("@@ bt %s\n" % m.group(1))
        gdb.execute("rta-bt " + m.group(1))
gdb.write("@@ misuse\n")
for bad in ("", "abc", "999999"):
    try:
        gdb.execute("rta-bt " + bad, to_string=True)
        gdb.write("rta-bt %s: accepted\n" % bad)
    except gdb.error as ex:
        gdb.write("rta-bt %s: %s\n" % (bad, ex))
t = gdb.parse_and_eval("(rta__tasklet *)FX.tasklet")
gdb.write("@@ state\nevicted %d\n" % (int(t["region"]["occupant"]) != int(t)))
end
"""

COMMON = """set pagination off
set width 0
echo @@ loaded\\n
info auto-load python-scripts
echo @@ info\\n
info rta-tasks
echo @@ all\\n
rta-bt all
""" + BT_EACH


def run_gdb(args, script, extra):
    path = os.path.join(args.workdir, script[0])
    with open(path, "w") as f:
        f.write(script[1])
    cmd = [args.gdb, "-nx", "-batch", "-iex", "set auto-load safe-path " + args.safe_path,
           "-x", path] + extra
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                       universal_newlines=True)
    return p.returncode, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gdb", required=True)
    ap.add_argument("--prog", required=True)
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--safe-path", required=True)
    ap.add_argument("--script", required=True, help="tools/gdb/rtasync-gdb.py, for `source`")
    ap.add_argument("--no-core", action="store_true",
                    help="live only: a sanitizer's reserved memory makes a core of many GB")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    dump_path = os.path.join(args.workdir, "dump.txt")
    core_path = os.path.join(args.workdir, "core")
    for p in (dump_path, core_path):
        if os.path.exists(p):
            os.unlink(p)
    lines = {k: marker_line(args.fixture, "FIX_LINE_" + k)
             for k in ("T_LEAF", "T_MID", "T_ROOT", "T_WAITER", "C_FRAME", "C_LEAF", "C_MID",
                       "C_ROOT", "A_INNER", "A_OUTER")}
    for k in ("SLEEP", "READ"):
        lines[k] = marker_line(args.fixture, "GF_LINE_" + k)
    lines["G_C_READ"] = marker_line(args.fixture, "GF_LINE_C_READ")
    lines["G_C_FRAME"] = marker_line(args.fixture, "GF_LINE_C_FRAME")

    # One malloc arena: the worker's own would add 64 MB to the core.
    live_script = ("set environment MALLOC_ARENA_MAX 1\nbreak gdb_fixture_ready\nrun\n" + COMMON +
                   ("" if args.no_core else "gcore %s\n" % core_path) + "kill\n")
    rc, live = run_gdb(args, ("live.gdb", live_script), ["--args", args.prog, dump_path])
    if not os.path.exists(dump_path) or not (args.no_core or os.path.exists(core_path)):
        print("gdb_check: the live run wrote no dump or no core (gdb exit %d):\n%s" % (rc, live))
        return 1
    with open(dump_path) as f:
        dump = f.read()
    check_run("live", live, dump, lines)
    if not args.no_core:
        rc, core = run_gdb(args, ("core.gdb", COMMON), [args.prog, core_path])
        check_run("core", core, dump, lines)
        print("gdb_check: core of %d bytes" % os.path.getsize(core_path))
        os.unlink(core_path)  # about 20 MB
    # Sourced by hand into a program without rtasync: a clear refusal.
    rc, other = run_gdb(args, ("other.gdb", "source %s\ninfo rta-tasks\n" % args.script), ["/bin/sh"])
    if "rtasync: no rta__gdb_info in this program" not in other:
        fail("no-rtasync: info rta-tasks in /bin/sh printed:\n" + other)

    # The transcripts, always: a sanitizer's report in the program's output
    # shows in the test log (the TSan step searches it).
    print("gdb_check: live run:\n" + live)
    if not args.no_core:
        print("gdb_check: core run:\n" + core)
    if failures:
        for f in failures:
            print("gdb_check: " + f + "\n")
        print("gdb_check: the program's dump:\n" + dump)
        return 1
    print("gdb_check: %s agree%s with the dump and the fixture"
          % (("live (no core: sanitizer build)", "s") if args.no_core else ("live and core", "")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
