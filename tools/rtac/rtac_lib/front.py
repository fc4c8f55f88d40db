"""The front end: libclang (Debian's python3-clang) parses the source; this
module answers what the lowerings ask of the AST: which functions are async2,
which calls are awaits, byte ranges of nodes in the source text, and
diagnostics in the `FILE:LINE:COL: error: ...` form."""

import ctypes
import os
import sys

import clang.cindex as ci

K = ci.CursorKind


class Await:
    """How one runtime call that can suspend is written in each engine.

    cont: a template with {dst} (where the value goes; the call's value is
    int64_t) and {0}, {1}, ... (the call's arguments, already free of
    awaits). async1: a tuple (kind, operands...), each operand a template
    over the arguments, lowered by async1.py:
      ('ref', task, cfg)          await a task the method does not own
      ('awaiter', ops, self, cfg) await any awaiter (rta_awaiter_ops)
      ('yield', cfg)              Task.Yield
      ('owned', task, cfg)        await a task the expression returns, then
                                  release it (a bridge: any async2 call can
                                  run as a task and be awaited this way)
      ('vtask', vtask, cfg)       await the value task the expression
                                  returns (an async1 method's stub)
    cfg is the configure-await flag (rta__configure_await for the plain
    names). value: False for a void call (its value cannot be used)."""

    def __init__(self, cont, async1, value=True):
        self.cont = cont
        self.async1 = async1
        self.value = value


_CFG = 'rta__configure_await'

# The runtime calls that are await points in an RTA_ASYNC function: the one
# list to extend when the runtime grows an async2 call (I/O, scenarios). A
# user's own async2 functions need no entry: RTA_ASYNC on their definition
# or on a prototype in a header makes them awaits.
RUNTIME_AWAITS = {
    # written name: Await(cont form, async1 form). The plain names are
    # macros over the _cfg functions (rta/context.h); both spellings count.
    # rta_await is a cancel point on entry too (a task already ended does
    # not suspend: run_root's check at the resume would not see it).
    'rta_await': Await('do {{ rta__cancel_point("rta_await"); RTA_CONT_AWAIT_TASK({dst}, {0}); }} while (0)',
                       ('ref', '{0}', _CFG)),
    'rta_await_cfg': Await('do {{ rta__cancel_point("rta_await"); RTA_CONT_AWAIT_TASK_CFG({dst}, {0}, {1}); '
                           '}} while (0)', ('ref', '{0}', '{1}')),
    'rta_await_awaiter': Await('RTA_CONT_AWAIT({dst}, {0}, {1})', ('awaiter', '{0}', '{1}', _CFG)),
    'rta_await_awaiter_cfg': Await('RTA_CONT_AWAIT_CFG({dst}, {0}, {1}, {2})',
                                   ('awaiter', '{0}', '{1}', '{2}')),
    'rta_yield': Await('RTA_CONT_YIELD()', ('yield', _CFG), value=False),
    'rta_yield_cfg': Await('RTA_CONT_YIELD_CFG({0})', ('yield', '{0}'), value=False),
    'rta_sleep_ms': Await('RTA_CONT_SLEEP_MS({0})', ('owned', 'rta__a1_delay({0})', _CFG), value=False),
    'rta_sleep_ms_cfg': Await('RTA_CONT_SLEEP_MS_CFG({0}, {1})', ('owned', 'rta__a1_delay({0})', '{1}'),
                              value=False),
    # I/O (rta/io.h): cont functions of the I/O layer (src/io/cont.c);
    # async1 awaits the I/O layer's async1 methods (src/io/async1.c).
    'rta_read': Await('RTA_CONT_CALL({dst}, rta_cont_read, {0}, {1}, {2}, {3})',
                      ('vtask', 'rta_async1_read({0}, {1}, {2}, {3})', _CFG)),
    'rta_write': Await('RTA_CONT_CALL({dst}, rta_cont_write, {0}, {1}, {2}, {3})',
                       ('vtask', 'rta_async1_write({0}, {1}, {2}, {3})', _CFG)),
    'rta_tcp_accept': Await('RTA_CONT_CALL({dst}, rta_cont_tcp_accept, {0}, {1})',
                            ('vtask', 'rta_async1_tcp_accept({0}, {1})', _CFG)),
    'rta_tcp_connect': Await('RTA_CONT_CALL({dst}, rta_cont_tcp_connect, {0}, {1}, {2})',
                             ('vtask', 'rta_async1_tcp_connect({0}, {1}, {2})', _CFG)),
    'rta_sendto': Await('RTA_CONT_CALL({dst}, rta_cont_sendto, {0}, {1}, {2}, {3}, {4}, {5})',
                        ('vtask', 'rta_async1_sendto({0}, {1}, {2}, {3}, {4}, {5})', _CFG)),
    'rta_recvfrom': Await('RTA_CONT_CALL({dst}, rta_cont_recvfrom, {0}, {1}, {2}, {3})',
                          ('vtask', 'rta_async1_recvfrom({0}, {1}, {2}, {3})', _CFG)),
    'rta_run_blocking': Await('RTA_CONT_CALL({dst}, rta_cont_run_blocking, {0}, {1})',
                              ('vtask', 'rta_async1_run_blocking({0}, {1})', _CFG)),
    'rta_open': Await('RTA_CONT_CALL({dst}, rta_cont_open, {0}, {1}, {2})',
                      ('vtask', 'rta_async1_open({0}, {1}, {2})', _CFG)),
    'rta_pread': Await('RTA_CONT_CALL({dst}, rta_cont_pread, {0}, {1}, {2}, {3})',
                       ('vtask', 'rta_async1_pread({0}, {1}, {2}, {3})', _CFG)),
    'rta_pwrite': Await('RTA_CONT_CALL({dst}, rta_cont_pwrite, {0}, {1}, {2}, {3})',
                        ('vtask', 'rta_async1_pwrite({0}, {1}, {2}, {3})', _CFG)),
    # Task groups (src/io/group.c); rta_group_spawn of an async2 function is
    # a spawn (cont.py's collect).
    'rta_group_wait': Await('RTA_CONT_CALL({dst}, rta_cont_group_wait, {0})',
                            ('vtask', 'rta_async1_group_wait({0})', _CFG)),
}

# The functions the written names call (a macro's expansion calls the _cfg one).
RUNTIME_CALLEES = {n for n in RUNTIME_AWAITS if n.endswith('_cfg')} | {
    n for n in RUNTIME_AWAITS if n + '_cfg' not in RUNTIME_AWAITS}


class RtacError(Exception):
    """A diagnostic that stops the compilation: (file, line, col, message)."""

    def __init__(self, file, line, col, msg):
        super().__init__(msg)
        self.file, self.line, self.col, self.msg = file, line, col, msg

    def __str__(self):
        return '%s:%d:%d: error: %s' % (self.file, self.line, self.col, self.msg)


_lib = None


def _spelling_fn():
    global _lib
    if _lib is None:
        f = ci.conf.lib.clang_getSpellingLocation
        f.argtypes = [ci.SourceLocation, ctypes.POINTER(ctypes.c_void_p),
                      ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_uint),
                      ctypes.POINTER(ctypes.c_uint)]
        f.restype = None
        _lib = f
    return _lib


def spelling_offset(loc):
    """Offset of where the token at loc is written (inside a macro argument:
    in the argument, not at the macro's name)."""
    fobj = ctypes.c_void_p()
    line, col, off = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    _spelling_fn()(loc, ctypes.byref(fobj), ctypes.byref(line), ctypes.byref(col), ctypes.byref(off))
    return off.value


class Unit:
    """One parsed source: the AST, its bytes, and the async2 function set."""

    def __init__(self, path, cflags, include_dirs):
        self.path = path
        self.src = open(path, 'rb').read()
        args = ['-x', 'c', '-std=gnu11', '-DRTA__RTAC=1']
        for d in include_dirs:
            args.append('-I' + d)
        args += cflags
        index = ci.Index.create()
        try:
            self.tu = index.parse(path, args=args,
                                  options=ci.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD)
        except ci.TranslationUnitLoadError:
            raise RtacError(path, 1, 1, 'libclang could not parse this file')
        for d in self.tu.diagnostics:
            if d.severity >= ci.Diagnostic.Error:
                loc = d.location
                f = loc.file.name if loc.file else path
                raise RtacError(f, loc.line or 1, loc.column or 1, d.spelling)
        self.line_starts = [0]
        for i, b in enumerate(self.src):
            if b == 10:
                self.line_starts.append(i + 1)
        self.async_fns = {}     # name -> [FUNCTION_DECL cursors] marked RTA_ASYNC
        self.builders = {}      # name -> builder annotation text ("pool, 16")
        for c in self.tu.cursor.walk_preorder():
            if c.kind == K.FUNCTION_DECL:
                for a in c.get_children():
                    if a.kind == K.ANNOTATE_ATTR:
                        if a.spelling == 'rta.async':
                            self.async_fns.setdefault(c.spelling, []).append(c)
                        elif a.spelling.startswith('rta.builder:'):
                            self.builders[c.spelling] = a.spelling[len('rta.builder:'):]

    # ---- locations -------------------------------------------------------
    def in_main(self, c):
        f = c.location.file
        return f is not None and os.path.samefile(f.name, self.path)

    def line_of(self, off):
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= off:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def error(self, c_or_off, msg):
        if isinstance(c_or_off, int):
            off = c_or_off
        else:
            off = c_or_off.extent.start.offset
            if not self.in_main(c_or_off):
                loc = c_or_off.location
                return RtacError(loc.file.name if loc.file else self.path, loc.line, loc.column, msg)
        line = self.line_of(off)
        return RtacError(self.path, line, off - self.line_starts[line - 1] + 1, msg)

    def is_macro(self, c):
        """True when c comes out of a macro expansion (its written text is not
        its own extent)."""
        e = c.extent
        if e.start.offset >= e.end.offset:
            return True
        return spelling_offset(e.start) != e.start.offset

    def text(self, a, b):
        return self.src[a:b].decode('utf-8', 'replace')

    # ---- scanning the text (comments, strings) ---------------------------
    def skip_ws(self, i):
        s = self.src
        while i < len(s):
            if s[i] in b' \t\r\n\f\v':
                i += 1
            elif s.startswith(b'/*', i):
                j = s.find(b'*/', i + 2)
                i = len(s) if j < 0 else j + 2
            elif s.startswith(b'//', i):
                j = s.find(b'\n', i)
                i = len(s) if j < 0 else j
            else:
                break
        return i

    def match_paren(self, i):
        """i at '(': returns the offset after the matching ')'."""
        s = self.src
        depth = 0
        while i < len(s):
            ch = s[i:i + 1]
            if ch in (b'"', b"'"):
                j = i + 1
                while j < len(s) and s[j:j + 1] != ch:
                    j += 2 if s[j:j + 1] == b'\\' else 1
                i = j + 1
                continue
            if s.startswith(b'/*', i) or s.startswith(b'//', i):
                i = self.skip_ws(i)
                continue
            if ch == b'(':
                depth += 1
            elif ch == b')':
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise self.error(i - 1, 'unbalanced parentheses')


def callee_name(call):
    """The name a CALL_EXPR calls directly, or None (calls through pointers)."""
    for c in call.get_children():
        d = c
        while d.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR):
            ch = list(d.get_children())
            if len(ch) != 1:
                break
            d = ch[0]
        if d.kind == K.DECL_REF_EXPR and d.referenced is not None and d.referenced.kind == K.FUNCTION_DECL:
            return d.referenced.spelling
        return None
    return None


def split_args(unit, s):
    """s at a call's name in the source: [(start, end)] of its written
    arguments (top-level commas), and the offset after ')'."""
    i = s
    while i < len(unit.src) and (unit.src[i:i + 1].isalnum() or unit.src[i:i + 1] == b'_'):
        i += 1
    i = unit.skip_ws(i)
    if unit.src[i:i + 1] != b'(':
        raise unit.error(s, 'rtac cannot read this call')
    close = unit.match_paren(i)
    out, depth, start, j = [], 0, i + 1, i + 1
    while j < close - 1:
        ch = unit.src[j:j + 1]
        if ch in (b'(', b'[', b'{'):
            depth += 1
        elif ch in (b')', b']', b'}'):
            depth -= 1
        elif ch in (b'"', b"'"):
            k = j + 1
            while unit.src[k:k + 1] != ch:
                k += 2 if unit.src[k:k + 1] == b'\\' else 1
            j = k
        elif ch == b',' and depth == 0:
            out.append((start, j))
            start = j + 1
        j += 1
    if unit.src[start:close - 1].strip():
        out.append((start, close - 1))
    return out, close


def written_name(unit, s):
    i = s
    while i < len(unit.src) and (unit.src[i:i + 1].isalnum() or unit.src[i:i + 1] == b'_'):
        i += 1
    return unit.text(s, i)


def fail(err):
    print(str(err), file=sys.stderr)
    sys.exit(1)
