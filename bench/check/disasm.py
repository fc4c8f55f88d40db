#!/usr/bin/env python3
"""disasm.py BINARY FUNC[:*]...: fails unless each recursive fib FUNC of the
timing build makes two real calls: two `call <FUNC...>` to itself (or to a
clone such as FUNC.part.0), or, for FUNC:*, two indirect calls. One call
means the compiler folded fib(n-2) into a loop (see README.md)."""
import re
import subprocess
import sys


def calls(binary):
    out = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", binary],
                         check=True, capture_output=True, text=True).stdout
    funcs, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if m:
            cur = m.group(1)
            funcs[cur] = []
        elif cur and "\tcall" in line:
            funcs[cur].append(line.split("\t")[-1].strip())
    return funcs


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    funcs = calls(sys.argv[1])
    bad = 0
    for spec in sys.argv[2:]:
        name, _, kind = spec.partition(":")
        bodies = {k: v for k, v in funcs.items() if re.fullmatch(re.escape(name) + r"([.(].*)?", k)}
        if not bodies:
            print(f"disasm.py: {sys.argv[1]}: no function {name}", file=sys.stderr)
            bad += 1
            continue
        insns = [c for v in bodies.values() for c in v]
        if kind == "*":
            n = sum(1 for c in insns if re.match(r"call\s+\*", c))
        else:
            n = sum(1 for c in insns if re.search(r"<%s([.(][^>]*)?>" % re.escape(name), c))
        ok = n >= 2
        bad += not ok
        print(f"disasm.py: {name}: {n} recursive calls {'ok' if ok else 'FOLDED (want 2)'}",
              file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
