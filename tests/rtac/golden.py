#!/usr/bin/python3
"""Golden test of rtac's output (tests/rtac/golden/): runs rtac for one
engine on one source and compares the result, less its #line directives
(they hold absolute paths), with the golden file: readable lowered code that
keeps the user's names. After an intended change of a lowering, regenerate:
    RTAC_GOLDEN_UPDATE=1 ctest -R rtac_golden
usage: golden.py RTAC ENGINE SRC GOLDEN OUT_DIR"""
import difflib
import os
import subprocess
import sys

rtac, engine, src, golden, out_dir = sys.argv[1:6]
os.makedirs(out_dir, exist_ok=True)
out = os.path.join(out_dir, os.path.basename(golden))
r = subprocess.run([rtac, '--engine', engine, '-o', out, src], capture_output=True, text=True)
if r.returncode != 0:
    sys.exit('rtac failed (%d):\n%s' % (r.returncode, r.stderr))
with open(out) as f:
    text = ''.join(l for l in f if not l.startswith('#line '))
if os.environ.get('RTAC_GOLDEN_UPDATE') == '1':
    with open(golden, 'w') as f:
        f.write(text)
    sys.exit(0)
with open(golden) as f:
    want = f.read()
if text != want:
    sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), text.splitlines(True), golden, out))
    sys.exit('rtac --engine %s %s differs from %s (after an intended change: '
             'RTAC_GOLDEN_UPDATE=1 ctest -R rtac_golden)' % (engine, src, golden))
