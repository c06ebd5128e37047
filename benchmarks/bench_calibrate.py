#!/usr/bin/env python3
"""`leadrules calibrate` against one `leadrules eval` of the same leads: seconds and peak memory.

    python benchmarks/bench_calibrate.py [--leads 100000] [--keep DIR]

Generates the synthetic history of tests/calibrate/synthetic.py (leads with events, outcomes
with reasons and decision times), then runs, each in a fresh process:
  eval      leadrules eval RULES LEADS --as-of-field signed_at -o /dev/null
  calibrate leadrules calibrate RULES LEADS OUTCOMES --as-of-field signed_at
            --holdout-after ... --format json -o /dev/null
and prints wall seconds and peak resident memory of each, the ratios, and the machine's
cores and load average (the time depends on what else runs).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "calibrate"))

import synthetic  # noqa: E402
from fresh_process import measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--keep", metavar="DIR", help="write the history here and keep it")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-calibrate-"))
    folder.mkdir(parents=True, exist_ok=True)
    rules, leads, outcomes = synthetic.write_history(folder, synthetic.generate(args.leads))
    leadrules = [sys.executable, "-m", "leadrules"]
    common = ["--as-of-field", "signed_at"]
    eval_s, eval_mib = measure([*leadrules, "eval", str(rules), str(leads), *common, "-q", "-o", "/dev/null"], "eval")
    cal_s, cal_mib = measure([*leadrules, "calibrate", str(rules), str(leads), str(outcomes), *common,
                              "--holdout-after", synthetic.stamp(synthetic.HOLDOUT_AFTER), "--format", "json",
                              "-o", "/dev/null"], "calibrate")
    print(f"leads: {args.leads} ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end)")
    print(f"eval:      {eval_s:8.2f} s  {eval_mib:8.1f} MiB peak")
    print(f"calibrate: {cal_s:8.2f} s  {cal_mib:8.1f} MiB peak")
    print(f"ratio:     {cal_s / eval_s:8.2f} x  {cal_mib / eval_mib:8.2f} x")


if __name__ == "__main__":
    main()
