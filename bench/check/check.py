#!/usr/bin/env python3
"""check.py CALLS.jsonl: every fib figure of the checking build carries
calls_per_run; each must equal 2*fib(n+1)-1 for its n, so every contestant
(engines, sync C, peers) made the same calls. Also fails if a contestant that
ran fib reported no count at all."""
import json
import sys


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
    fibs = [r for r in rows if r.get("bench") == "fib" and r.get("metric") != "unsupported"]
    counted, bad = set(), 0
    for r in fibs:
        if r["metric"] != "calls_per_run":
            continue
        n = r["params"]["n"]
        want = 2 * fib(n + 1) - 1
        counted.add(r["engine"])
        if r["value"] != want:
            bad += 1
            print(f"check.py: {r['engine']} {json.dumps(r['params'])}: {r['value']:.0f} calls, want {want}",
                  file=sys.stderr)
    missing = sorted({r["engine"] for r in fibs} - counted)
    for e in missing:
        bad += 1
        print(f"check.py: {e} ran fib but reported no calls_per_run", file=sys.stderr)
    n = sum(1 for r in fibs if r["metric"] == "calls_per_run")
    print(f"check.py: {n} fib figures from {len(counted)} contestants, "
          f"{'all made 2*fib(n+1)-1 calls' if not bad else f'{bad} wrong'}", file=sys.stderr)
    sys.exit(1 if bad or not n else 0)


if __name__ == "__main__":
    main()
