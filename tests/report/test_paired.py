#!/usr/bin/env python3
"""The paired baseline run and its A/A control (bench/report/paired_builds.py
--control, judged by bench/report/report.py's regression_checks).

Two fake builds, each a bench_fake script that prints one timed figure per
row: row "same" takes 100 ns in both builds; row "slower" 100 ns in BEFORE
and 120 ns in AFTER; row "noisy" alternates 100 and 110 ns run by run in
both (a shared machine's drift: the control of a build against itself must
see it too). Checked: every round runs the three builds, each build first
once in three rounds (the order rotates); the paired ratios are the after
and control medians over before; the control's are 1.0 for the steady rows;
and the report judges "no row regresses" by the rows whose paired ratios all
lie above their own control's once a control is there (the slower row; not
a row worse by >5% in every round whose control reached as high), by their
median without one."""
import json
import os
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
PAIRED = os.path.join(ROOT, "bench", "report", "paired_builds.py")
sys.path.insert(0, os.path.join(ROOT, "bench", "report"))
import report  # noqa: E402

# A build: prints the rows, appending its name to LOG at each run (the
# order) and counting its runs in its own counter file (the noisy row).
FAKE = """#!/bin/sh
echo "{name}" >> "{log}"
n=$(cat "{counter}" 2>/dev/null || echo 0); echo $((n + 1)) > "{counter}"
noisy=$(( n % 2 == 0 ? 100 : 110 ))
for row in same:100 slower:{slower} noisy:$noisy; do
  echo "{{\\"bench\\":\\"fake\\",\\"engine\\":\\"e\\",\\"params\\":{{\\"row\\":\\"${{row%%:*}}\\"}},\\"metric\\":\\"ns_per_op\\",\\"value\\":${{row#*:}},\\"unit\\":\\"ns\\"}}"
done
"""


def make_build(root, name, slower, log):
    os.makedirs(os.path.join(root, "bench"))
    path = os.path.join(root, "bench", "bench_fake")
    with open(path, "w") as f:
        f.write(FAKE.format(name=name, log=log, counter=os.path.join(root, "runs"), slower=slower))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


def rows_of(out):
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


class Paired(unittest.TestCase):
    def run_paired(self, control, rounds=3):
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "order")
            before, after = os.path.join(d, "before"), os.path.join(d, "after")
            make_build(before, "before", 100, log)
            make_build(after, "after", 120, log)
            cmd = [sys.executable, PAIRED, "--json", "REF"] + (["--control"] if control else []) + \
                  ["--rounds", str(rounds), before, after, "fake"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(log) as f:
                order = f.read().split()
            return rows_of(r.stdout), order

    def test_control_rotates_and_pairs(self):
        rows, order = self.run_paired(control=True)
        # before and control are both the before build: 2 runs of it, 1 of after, per round.
        self.assertEqual(len(order), 9)
        self.assertEqual(order.count("before"), 6)
        self.assertEqual(order.count("after"), 3)
        # Rotation: before, after, control | after, control, before | control, before, after.
        self.assertEqual(order, ["before", "after", "before", "after", "before", "before",
                                 "before", "before", "after"])
        by = {(r["bench"], r["params"]["params"]["row"]): r for r in rows}
        self.assertAlmostEqual(by[("paired_baseline", "same")]["value"], 1.0)
        self.assertAlmostEqual(by[("paired_baseline", "slower")]["value"], 1.2)
        self.assertAlmostEqual(by[("paired_baseline", "slower")]["min"], 1.2)
        self.assertAlmostEqual(by[("paired_control", "same")]["value"], 1.0)
        self.assertAlmostEqual(by[("paired_control", "slower")]["value"], 1.0)
        self.assertEqual(by[("paired_control", "slower")]["metric"], "control_over_before")
        self.assertEqual(by[("paired_control", "slower")]["runs"], 3)
        # The noisy row's control is the drift alone: never 1.0 in a round.
        c = by[("paired_control", "noisy")]
        self.assertNotAlmostEqual(c["min"], 1.0)
        self.assertNotAlmostEqual(c["max"], 1.0)

    def test_without_control_alternates(self):
        rows, order = self.run_paired(control=False, rounds=2)
        self.assertEqual(order, ["before", "after", "after", "before"])
        self.assertEqual({r["bench"] for r in rows}, {"paired_baseline"})

    def verdict(self, rows):
        report.PAIRED.clear()
        report.CONTROL.clear()
        report.BASELINE.clear()
        report.index(rows)
        checks = []
        report.regression_checks({}, checks)
        return [c for c in checks if "paired against" in c[0]][0]

    def test_report_judges_every_round_with_control(self):
        rows, _ = self.run_paired(control=True)
        what, txt, target, status = self.verdict(rows)
        self.assertIn("above its A/A control in every round", what)
        self.assertEqual(status, "not met")  # the slower row: 1.2x in every round, its control 1.0x
        self.assertIn("1 worse by >5% in every round", txt)
        self.assertIn("A/A control", txt)
        self.assertIn("above the control in every round: 1 (fake e `{\"row\": \"slower\"}`", txt)
        # A row worse by >5% in every round, but no more than its own control
        # was in some round: chance, not judged a regression.
        noisy = [r for r in rows if r["params"]["params"]["row"] != "slower"]
        for r in noisy:
            if r["params"]["params"]["row"] == "noisy":
                if r["bench"] == "paired_baseline":
                    r["value"], r["min"], r["max"] = 1.12, 1.08, 1.2
                else:
                    r["value"], r["min"], r["max"] = 1.0, 0.9, 1.1
        what, txt, target, status = self.verdict(noisy)
        self.assertEqual(status, "met")
        self.assertIn("1 worse by >5% in every round", txt)
        self.assertIn("above the control in every round: 0", txt)
        # Without the slower row, only the noisy one: worse by its median in
        # some pairs perhaps, never in every round: met.
        kept = [r for r in rows if r["params"]["params"]["row"] != "slower"]
        for r in kept:
            if r["params"]["params"]["row"] == "noisy" and r["bench"] == "paired_baseline":
                r["value"], r["min"], r["max"] = 1.1, 0.91, 1.1  # worse by its median, not every round
        what, txt, target, status = self.verdict(kept)
        self.assertEqual(status, "met")
        self.assertIn("1 of 2 rows worse by >5% by their median", txt)

    def test_report_judges_median_without_control(self):
        rows, _ = self.run_paired(control=True)
        rows = [r for r in rows if r["bench"] == "paired_baseline" and r["params"]["params"]["row"] != "slower"]
        for r in rows:
            if r["params"]["params"]["row"] == "noisy":
                r["value"], r["min"], r["max"] = 1.1, 0.91, 1.1
        what, txt, target, status = self.verdict(rows)
        self.assertNotIn("A/A", txt)
        self.assertEqual(status, "not met")  # no control: the median decides


if __name__ == "__main__":
    unittest.main()
