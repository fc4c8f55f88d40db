#!/usr/bin/python3
"""Fuzzes rtac's front end with malformed sources (tests/rtac/fuzz.py):
mutants of the tests/rtac programs (a cut, a deleted or duplicated line,
stray or doubled tokens, swapped brackets, an RTA_ASYNC or an await
moved where it does not belong) are compiled for cont and async1. Each must
end with exit 0 (a valid program: the output is written) or exit 1 with
one `FILE:LINE:COL: error: ...` diagnostic, never a Python traceback, an
"internal error in rtac", a crash or another exit status.

An accepted mutant that compiles as plain C (its tasklet build) must also
compile once lowered (cc -fsyntax-only): rtac must not turn a valid
program into an invalid one.

The mutants are drawn from a fixed seed (argv: SEED COUNT), so a failure
reproduces; the failing mutant is written next to the output for reading.
usage: fuzz.py RTAC_DIR SRC_DIR OUT_DIR SEED COUNT"""
import glob
import io
import os
import random
import re
import sys
import contextlib
import subprocess

rtac_dir, src_dir, out_dir, seed, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, rtac_dir)
INCLUDE = os.path.normpath(os.path.join(rtac_dir, '..', '..', 'include'))
CC = os.environ.get('CC', 'cc')
from rtac_lib.main import main  # noqa: E402

TOKENS = ['RTA_ASYNC', 'rta_yield();', '{', '}', '(', ')', ';', ',', 'return', 'int64_t', '?', ':',
          'RTA_TRY {', '} RTA_CATCH(e) {', '} RTA_END_TRY;', 'rta_await(', '&', '*', '"', "'", '/*',
          '#define X(', '#if 1', '__attribute__((', 'goto L;', 'L:', 'break;', 'continue;', 'switch (1)',
          'RTA_BUILDER(pool, 99999)', 'RTA_BUILDER(bogus)', 'rta_spawn(', 'sizeof(', '[', ']', '=', '...']
DIAG = re.compile(r'^[^\n]*:\d+:\d+: error: ')


def mutate(rng, text):
    lines = text.split('\n')
    k = rng.randrange(8)
    if k == 0:                                     # cut the file short
        return text[:rng.randrange(len(text))]
    if k == 1:                                     # delete a line
        del lines[rng.randrange(len(lines))]
    elif k == 2:                                   # duplicate a line elsewhere
        lines.insert(rng.randrange(len(lines)), rng.choice(lines))
    elif k == 3:                                   # a stray token
        i = rng.randrange(len(text))
        return text[:i] + ' ' + rng.choice(TOKENS) + ' ' + text[i:]
    elif k == 4:                                   # delete a span
        i = rng.randrange(len(text))
        return text[:i] + text[i + rng.randrange(1, 40):]
    elif k == 5:                                   # swap a bracket
        idx = [i for i, c in enumerate(text) if c in '{}()[]']
        if idx:
            i = rng.choice(idx)
            return text[:i] + rng.choice('{}()[];') + text[i + 1:]
    elif k == 6:                                   # RTA_ASYNC on some line
        i = rng.randrange(len(lines))
        lines[i] = 'RTA_ASYNC ' + lines[i]
    else:                                          # an await where it does not belong
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace('(', '(rta_await(NULL) + ', 1) if rng.random() < 0.5 else \
            lines[i] + ' rta_yield();'
    return '\n'.join(lines)


def compiles(path):
    r = subprocess.run([CC, '-fsyntax-only', '-w', '-std=gnu11', '-I' + INCLUDE, '-I' + src_dir, path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def run():
    rng = random.Random(seed)
    sources = sorted(glob.glob(os.path.join(src_dir, '*.c')))
    os.makedirs(out_dir, exist_ok=True)
    bad = 0
    stats = {0: 0, 1: 0}
    for n in range(count):
        src = rng.choice(sources)
        with open(src) as f:
            text = f.read()
        for _ in range(rng.randrange(1, 4)):
            text = mutate(rng, text)
        path = os.path.join(out_dir, 'mutant_%d.c' % n)
        with open(path, 'w') as f:
            f.write(text)
        for engine in ('cont', 'async1'):
            out = os.path.join(out_dir, 'mutant_%d.%s.out.c' % (n, engine))
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                try:
                    rc = main(['--engine', engine, '-o', out, path, '--', '-I' + src_dir], rtac_dir)
                except SystemExit as e:
                    rc = e.code
                except BaseException as e:   # noqa: B902 (anything escaping main is the bug)
                    rc = 'exception %r' % e
            msg = err.getvalue()
            ok = (rc == 0 and os.path.exists(out)) or (
                rc == 1 and DIAG.match(msg) and 'internal error' not in msg and 'Traceback' not in msg
                and not os.path.exists(out))
            if ok and rc == 0 and compiles(path) and not compiles(out):
                ok = False
                msg += 'the mutant compiles as C, the lowered output does not: %s\n' % out
            if rc in stats:
                stats[rc] += 1
            if not ok:
                bad += 1
                print('FAIL %s (from %s) --engine %s: exit %r\n%s' % (path, os.path.basename(src), engine, rc, msg))
            elif os.path.exists(out):
                os.remove(out)
        if not bad:
            os.remove(path)
    print('%d mutants x 2 engines: %d accepted, %d refused with a diagnostic, %d bad'
          % (count, stats[0], stats[1], bad))
    return 1 if bad else 0


sys.exit(run())
