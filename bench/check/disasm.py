#!/usr/bin/env python3
"""disasm.py BINARY FUNC[:*]...: fails unless each recursive fib FUNC of the
timing build makes two real calls: two `call <FUNC...>` to itself (or to a
clone such as FUNC.part.0, or to rtac's stub of it, rtac1__FUNC), or, for
FUNC:*, two indirect calls. One call means the compiler folded fib(n-2) into
a loop (see README.md). Every function of that name must pass: rtac builds
one async2 source for each engine into one program, so bench_fib holds a
static fib_async per engine build."""
import re
import subprocess
import sys


def calls(binary):
    out = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", binary],
                         check=True, capture_output=True, text=True).stdout
    funcs, cur = [], None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if m:
            cur = (m.group(1), [])
            funcs.append(cur)
        elif cur and "\tcall" in line:
            cur[1].append(line.split("\t")[-1].strip())
    return funcs


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    funcs = calls(sys.argv[1])
    bad = 0
    for spec in sys.argv[2:]:
        name, _, kind = spec.partition(":")
        # A function and its clones (FUNC.part.0...) count as one body; each
        # separate symbol FUNC (a static one per rtac build) as its own.
        bodies = []
        for k, v in funcs:
            if re.fullmatch(re.escape(name) + r"([.(].*)?", k):
                if k == name or not bodies:
                    bodies.append([])
                bodies[-1].extend(v)
        if not bodies:
            print(f"disasm.py: {sys.argv[1]}: no function {name}", file=sys.stderr)
            bad += 1
            continue
        counts = []
        for insns in bodies:
            if kind == "*":
                counts.append(sum(1 for c in insns if re.match(r"call\s+\*", c)))
            else:
                counts.append(sum(1 for c in insns
                                  if re.search(r"<(rtac1__)?%s([.(][^>]*)?>" % re.escape(name), c)))
        ok = min(counts) >= 2
        bad += not ok
        print(f"disasm.py: {name}: {'/'.join(map(str, counts))} recursive calls "
              f"{'ok' if ok else 'FOLDED (want 2)'}", file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
