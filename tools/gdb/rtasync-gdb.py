# gdb commands for programs that use rtasync, live or from a core dump
# (docs/debugging.md):
#
#   info rta-tasks    one line per task in the registry: id, engine, state,
#                     what it awaits and for how long (as rta_dump_tasks)
#   rta-bt ID         that task's logical async stack, innermost first, by
#                     function and file:line, then the tasks awaiting it
#   rta-bt all        every task with its stack (rta_dump_tasks' output)
#
# Loaded automatically from librtasync's .debug_gdb_scripts section (see
# src/runtime/gdb.c) once the library or program is on gdb's auto-load
# safe-path, or by hand: `source .../rtasync-gdb.py`.
#
# Everything is read from memory through the DWARF types that
# src/runtime/gdb.c describes (rta__gdb_info): no function of the program is
# ever called, so the commands work on a core dump and leave a stopped
# process exactly as it was. The engines' stacks are read where each engine
# keeps them:
#   tasklet  the frame-pointer chain of its saved stack, from the frame
#            pointer its context switch saved at sp + ctx_fp_offset; the
#            stack is in its region (resident) or in a heap copy (evicted),
#            whose bytes belong at [region top - saved_len, region top).
#   cont     the continuation chain from the root's head: each frame's
#            resume point.
#   async1   the state machine in its box: move-next and its state, the
#            line of the await it waits at; its callers are the tasks that
#            await it.
import time

import gdb

_VERSION = 2  # of src/runtime/gdb.c's rta__gdb_info this script reads
_MAX_FRAMES = 256  # per tasklet stack walk: a corrupt chain stops here
_MAX_TASKS = 1000000  # per shard list: a corrupt list stops here


def _info():
    try:
        info = gdb.parse_and_eval("rta__gdb_info")
    except gdb.error:
        raise gdb.GdbError(
            "rtasync: no rta__gdb_info in this program: not linked with "
            "librtasync, or its symbols were stripped")
    if int(info["version"]) != _VERSION:
        raise gdb.GdbError(
            "rtasync: the program's rta__gdb_info is version %d, this "
            "script reads version %d: use the script of the same rtasync"
            % (int(info["version"]), _VERSION))
    return info


def _enum(t, name):
    for f in t.strip_typedefs().fields():
        if f.name == name:
            return f.enumval
    raise gdb.GdbError("rtasync: enum constant %s not found" % name)


def _offset_of(t, field):
    for f in t.strip_typedefs().fields():
        if f.name == field:
            return f.bitpos // 8
    raise gdb.GdbError("rtasync: %s has no field %s" % (t, field))


class _Reader:
    """One look at the program: the registry's tasks, read from memory."""

    def __init__(self):
        self.info = info = _info()
        self.word_t = gdb.lookup_type("unsigned long")
        self.word_p = self.word_t.pointer()
        self.tasklet_t = info["tasklet"].type.target()
        self.cont_t = info["cont"].type.target()
        self.box_t = info["async1"].type.target()
        self.sm_p = info["async1_sm"].type
        st = info["reg_state"].type
        self.S_AWAITING = _enum(st, "RTA__REG_AWAITING")
        self.S_SLEEPING = _enum(st, "RTA__REG_SLEEPING")
        self.S_RUNNABLE = _enum(st, "RTA__REG_RUNNABLE")
        wk = info["reg_wait_kind"].type
        self.W_IO = _enum(wk, "RTA__REG_WAIT_IO")
        self.W_GROUP = _enum(wk, "RTA__REG_WAIT_GROUP")
        self.W_JOB = _enum(wk, "RTA__REG_WAIT_JOB")
        self.char_p = gdb.lookup_type("char").pointer()
        ss = info["status"].type
        self.status_names = {
            _enum(ss, "RTA_SUCCEEDED"): "succeeded",
            _enum(ss, "RTA_FAULTED"): "faulted",
            _enum(ss, "RTA_CANCELED"): "canceled",
        }
        self.fp_off = int(info["ctx_fp_offset"])
        self.task_ops = (int(info["task_awaiter"]), int(info["task_release_awaiter"]))
        self.vtask_ops = int(info["vtask_awaiter"])
        self.live = _is_live()
        self.tasks = self._read()

    def word(self, addr):
        return int(gdb.Value(addr).cast(self.word_p).dereference())

    def _container(self, entry, t):
        addr = int(entry.address) - _offset_of(t, "reg")
        return gdb.Value(addr).cast(t.pointer()).dereference()

    def _read(self):
        """The tasks, sorted by id. A process stopped while a thread was
        changing a list, or a core of a crash that broke one, can hold a
        list that loops or points at nothing: such a list is read up to
        there, and self.broken says where."""
        info = self.info
        entries, self.broken = [], []
        for i in range(int(info["nshards"])):
            e, seen = info["shards"][i]["head"], set()
            try:
                while int(e) != 0 and int(e) not in seen and len(seen) < _MAX_TASKS:
                    seen.add(int(e))
                    entries.append(e.dereference())
                    e = e["next"]
            except gdb.MemoryError:
                self.broken.append("registry shard %d: a link to unreadable memory %#x" % (i, int(e)))
        tasks = []
        for e in entries:
            try:
                t = self._task(e)
            except gdb.MemoryError as ex:
                self.broken.append("entry at %#x: %s" % (int(e.address), ex))
                continue
            if t:
                tasks.append(t)
        tasks.sort(key=lambda t: t["id"])
        newest = max((t["since"] for t in tasks), default=0)
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) if self.live else newest
        for t in tasks:
            t["waited_ms"] = max(0, now - t["since"]) // 1000000
            try:
                t["wait"] = self._describe_wait(t["entry"], t, now)
            except gdb.MemoryError as ex:
                t["wait"] = "awaiting (description unreadable: %s)" % ex
        return tasks

    def _task(self, e):
        task = e["task"]
        t = {"id": 0, "engine": e["engine"].string(), "fn": int(e["fn"]),
             "state": int(e["state"]), "since": int(e["since_ns"]), "status": None,
             "awaits": 0, "entry": e}
        if int(task) != 0:
            task = task.dereference()
            if int(task["refs"]) == int(self.info["poison"]):
                return None  # released, in the debug quarantine
            t["id"] = int(task["id"])
            t["status"] = self.status_names.get(int(task["status"]))
        if t["state"] == self.S_AWAITING and not int(e["wait_kind"]):
            ops, obj = int(e["await_ops"]), int(e["await_self"])
            if ops in self.task_ops and obj:
                t["awaits"] = int(e["await_task_id"])
        return t

    def _due(self, timer, due, now):
        """As rta_dump_tasks words a deadline or a timer. In a core, `now` is
        the newest suspension (the core's own time is unknown): the time
        left is at most what it says ("<= N"), the time past at least."""
        ms, le, ge = abs(due - now) // 1000000, "" if self.live else "<= ", "" if self.live else ">= "
        if due >= now:
            return (" (timer due in %s%d ms)" if timer else " (deadline in %s%d ms)") % (le, ms)
        return (" (timer overdue by %s%d ms)" if timer else " (deadline passed %s%d ms ago)") % (ge, ms)

    def _describe_wait(self, e, t, now):
        """What the task waits for, from the description its suspension
        copied into the entry (src/core/registry.h), as rta_dump_tasks."""
        st = t["state"]
        if st == self.S_AWAITING:
            kind, num = int(e["wait_kind"]), int(e["wait_num"])
            if kind == self.W_IO:
                op = e["wait_op"].cast(self.char_p)
                s = "awaiting %s on fd %d" % (op.string() if int(op) else "I/O", num)
                due = int(e["wait_due_ns"])
                if due != 0xFFFFFFFFFFFFFFFF:
                    s += self._due(False, due, now)
                return s
            if kind == self.W_GROUP:
                return "awaiting group %#x (%d %s running when the wait began)" % (
                    int(e["await_self"]), num, "child" if num == 1 else "children")
            if kind == self.W_JOB:
                code = int(e["wait_code"])
                return "awaiting blocking job %s" % ((_where(code)[0] if code else None) or "%#x" % code)
            ops, obj = int(e["await_ops"]), int(e["await_self"])
            if ops in self.task_ops and obj:
                kind = "promise" if int(e["await_is_promise"]) else "task"
                return "awaiting %s %d" % (kind, int(e["await_task_id"]))
            if ops == self.vtask_ops:
                return "awaiting a value task"
            return "awaiting an awaiter (ops %s, self %#x)" % (_data_name(ops), obj)
        if st == self.S_SLEEPING:
            return "sleeping" + self._due(True, int(e["wait_due_ns"]), now)
        if st == self.S_RUNNABLE:
            return "runnable"
        return "running"

    # ---- async stacks: (pc, exact, line or None) innermost first ----

    def frames(self, t):
        try:
            return self._frames(t)
        except gdb.MemoryError as ex:
            return [("unreadable", str(ex), None)]

    def _frames(self, t):
        if t["status"] or t["state"] not in (self.S_AWAITING, self.S_SLEEPING, self.S_RUNNABLE):
            return []  # done, or running: its stack is a thread's now
        eng = t["engine"]
        if eng == "tasklet":
            return self._tasklet_frames(self._container(t["entry"], self.tasklet_t), t["fn"])
        if eng == "cont":
            return self._cont_frames(self._container(t["entry"], self.cont_t))
        if eng == "async1":
            return self._async1_frames(self._container(t["entry"], self.box_t))
        return []

    def _tasklet_frames(self, tl, root):
        if not int(tl["started"]):
            return []
        region = tl["region"]
        top, sp = int(region["top"]), int(tl["sp"])
        if int(region["occupant"]) == int(tl.address):
            read = self.word  # resident: the frames are in the region
        else:
            saved, base = int(tl["saved"]), top - int(tl["saved_len"])
            if not saved or sp < base:
                return []

            def read(a):  # evicted: the same bytes, in the heap copy
                return self.word(saved + (a - base))
        pcs = []
        try:
            fp = read(sp + self.fp_off)
            while sp <= fp and fp + 16 <= top and fp % 8 == 0 and len(pcs) < _MAX_FRAMES:
                nxt, ret = read(fp), read(fp + 8)
                if ret == 0:
                    break  # the region's first frame (src/arch)
                pcs.append(ret)
                if nxt <= fp:
                    break
                fp = nxt
        except gdb.MemoryError:
            pass  # a core without that memory: what was read so far
        # The runtime's own frames (the public call the task made, rta_await...,
        # and everything inside it down to the switch) are left out, by the
        # rule rta_dump_tasks uses (_hidden); the walk ends
        # at the task's root function. The root is matched by name too: at
        # -O3 gcc splits a function into hot and cold parts, and the DWARF
        # block's start (its lowest address) may be the cold part's, not the
        # entry the task holds.
        root_name = _where(root)[0] if root else None
        frames = []
        for pc in pcs:
            name, start, _, _ = _where(pc - 1)
            if name and _hidden(name):
                frames = []  # what lies inside a runtime frame is the runtime's too (suspend...)
                continue
            frames.append((pc, False, None))
            if start == root or (root_name is not None and name == root_name):
                break
        return frames

    def _cont_frames(self, root):
        frames, k, n = [], root["head"], 0
        while int(k) != 0 and n < _MAX_FRAMES:
            pc = int(k["pc"])
            n += 1
            k = k["next"]
            # The runtime's own cont functions (rta_cont_read...) are not
            # the program's logical stack: left out, as rta_dump_tasks does.
            name = _where(pc)[0]
            if name and _hidden(name):
                continue
            frames.append((pc, True, None))
        return frames

    def _async1_frames(self, box):
        sm = box["sm"].address.cast(self.sm_p).dereference()
        state = int(sm["state"])
        return [(int(sm["move_next"]), True, state if state >= 0 else None)]


def _is_live():
    inf = gdb.selected_inferior()
    if not inf.pid:
        return False
    try:
        return inf.connection.type == "native"
    except AttributeError:  # gdb < 12
        return "core" not in gdb.execute("info target", to_string=True)


def _data_name(addr):
    out = gdb.execute("info symbol %#x" % addr, to_string=True)
    if out.startswith("No symbol"):
        return "%#x" % addr
    return "%#x <%s>" % (addr, out.split(" in section")[0].strip().replace(" + ", "+"))


def _hidden(name):
    """The frames a trace leaves out, as rta__symbol_hidden (src/core/symbols.c)
    decides: the runtime's own (rta_...) and rtac's async1 stubs (rtac1__f,
    but not the move-next rtac1__f__mn that holds the user's code)."""
    if name.startswith("rta_"):
        return True
    return name.startswith("rtac1__") and not (len(name) > 11 and name.endswith("__mn"))


def _info_symbol(at):
    """`info symbol` with demangling off: gdb otherwise decodes a C name with
    a double underscore the Ada way (rta__tasklet_entry prints as
    rta.tasklet_entry), so a Release build's runtime frames, which have no
    DWARF, escaped the rta_ prefix rule that hides them (as rta_dump_tasks
    does)."""
    old = gdb.parameter("print demangle")
    gdb.execute("set print demangle off", to_string=True)
    try:
        return gdb.execute("info symbol %#x" % at, to_string=True)
    finally:
        gdb.execute("set print demangle %s" % ("on" if old else "off"), to_string=True)


def _where(at):
    """(function name, its start address, file, line) of code address at."""
    name = start = None
    try:
        block = gdb.block_for_pc(at)
    except RuntimeError:
        block = None
    fn_block = None
    while block is not None and not block.is_global and not block.is_static:
        if block.function is not None:
            fn_block = block  # the outermost: inlined callees lie inside
        block = block.superblock
    if fn_block is not None:
        name, start = fn_block.function.print_name, fn_block.start
    else:  # no debug info here: the symbol table
        out = _info_symbol(at)
        if not out.startswith("No symbol"):
            sym = out.split(" in section")[0].strip()
            off = 0
            if " + " in sym:
                sym, o = sym.split(" + ", 1)
                off = int(o)
            name, start = sym, at - off
    sal = gdb.find_pc_line(at)
    if sal.symtab is not None and sal.line:
        return name, start, sal.symtab.filename, sal.line
    return name, start, None, 0


def _format_frame(i, pc, exact, line):
    if pc == "unreadable":
        return "    (stack unreadable: %s)" % exact
    at = pc if exact else pc - 1
    name, start, file, l = _where(at)
    s = "    #%d %s" % (i, name if name else "%#x" % pc)
    if file:
        s += " at %s:%d" % (file, line if line else l)
    elif line:
        s += " at line %d" % line
    elif name:
        s += " +%#x" % (at - start)
    return s


def _head(r, t):
    root = _where(t["fn"])[0] or "%#x" % t["fn"]
    if t["status"]:
        state = "completed-but-held"
    elif t["state"] in (r.S_AWAITING, r.S_SLEEPING):
        state = "suspended"
    elif t["state"] == r.S_RUNNABLE:
        state = "runnable"
    else:
        state = "running"
    who = "task %d" % t["id"] if t["id"] else "value-task"
    s = "%s %s %s in %s" % (who, t["engine"], state, root)
    if t["status"]:
        return s + ": " + t["status"]
    if state == "suspended":
        return s + ": %s, waiting %s%d ms" % (t["wait"], "" if r.live else ">= ", t["waited_ms"])
    return s


def _awaiters(r, t):
    if not t["id"]:
        return []
    return [w for w in r.tasks if w["awaits"] == t["id"] and not w["status"]
            and w["state"] == r.S_AWAITING]


def _print_task(r, t, chain):
    gdb.write(_head(r, t) + "\n")
    if not t["status"] and t["state"] not in (r.S_AWAITING, r.S_SLEEPING, r.S_RUNNABLE) and chain:
        gdb.write("    (running: its frames are a worker thread's; `thread apply all bt` shows them)\n")
    n = 0
    for pc, exact, line in r.frames(t):
        gdb.write(_format_frame(n, pc, exact, line) + "\n")
        n += 1
    # The logical stack goes on in the tasks that await this one.
    seen = {t["id"]}
    cur = t
    while True:
        ws = _awaiters(r, cur)
        if not ws:
            break
        gdb.write("    awaited by task %s\n" % ", ".join(str(w["id"]) for w in ws))
        if not chain or ws[0]["id"] in seen:
            break
        cur = ws[0]
        seen.add(cur["id"])
        for pc, exact, line in r.frames(cur):
            gdb.write(_format_frame(n, pc, exact, line) + "   [task %d]\n" % cur["id"])
            n += 1


def _write_broken(r):
    for b in r.broken:
        gdb.write("rtasync: could not read %s\n" % b)


class InfoRtaTasks(gdb.Command):
    """List rtasync's tasks: id, engine, state, what each awaits, for how long.

Reads the task registry from memory (a live process or a core dump); lists
the tasks that have suspended at least once and whose handle is alive, as
rta_dump_tasks does. A core cannot say when it was taken: its wait times
are lower bounds (">= N ms", counted to the newest suspension in it).
See `rta-bt ID` for a task's async stack."""

    def __init__(self):
        super().__init__("info rta-tasks", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        r = _Reader()
        gdb.write("rtasync: %d task%s\n" % (len(r.tasks), "" if len(r.tasks) == 1 else "s"))
        for t in r.tasks:
            gdb.write(_head(r, t) + "\n")
        _write_broken(r)


class RtaBt(gdb.Command):
    """Print an rtasync task's logical async stack: rta-bt ID | rta-bt all

Innermost first, by function and file:line where the program has debug
info. tasklet: its saved C frames; cont: the continuation chain; async1: the
state machine's move-next at the line of its await. Then the tasks awaiting
it, whose frames continue the logical stack (marked [task N]). `rta-bt all`
prints every task (rta_dump_tasks' output, without the chains)."""

    def __init__(self):
        super().__init__("rta-bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        if not arg:
            raise gdb.GdbError("rta-bt: give a task id (see `info rta-tasks`) or `all`")
        r = _Reader()
        if arg == "all":
            gdb.write("rtasync: %d task%s\n" % (len(r.tasks), "" if len(r.tasks) == 1 else "s"))
            for t in r.tasks:
                _print_task(r, t, False)
            _write_broken(r)
            return
        try:
            want = int(arg, 0)
        except ValueError:
            raise gdb.GdbError("rta-bt: '%s' is not a task id (a number, or `all`)" % arg)
        for t in r.tasks:
            if t["id"] == want:
                _print_task(r, t, True)
                return
        raise gdb.GdbError("rta-bt: no task %d in the registry (tasks that never suspended, "
                           "and released ones, are not there; see `info rta-tasks`)" % want)


InfoRtaTasks()
RtaBt()
