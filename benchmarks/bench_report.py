#!/usr/bin/env python3
"""`leadrules report` against one plain `leadrules eval` of the same leads: seconds and peak
memory, each in a fresh process, rounds interleaved, medians.

    python benchmarks/bench_report.py [--leads 1000000] [--rounds 2] [--engine duckdb] [--keep DIR]

The leads are `benchmarks/gen_leads.py`'s (JSON Lines, about 1 % invalid on purpose) for
`rulesets/fit_engagement.rules`, evaluated as of 2026-11-22:
  eval    leadrules eval RULES LEADS --engine E -q -o /dev/null
  report  leadrules report RULES LEADS --engine E -o /dev/null           (the HTML page)
  json    leadrules report RULES LEADS --engine E --format json -o /dev/null
Target: report within 1.5x of the plain eval.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from fresh_process import measure

HERE = Path(__file__).resolve().parent
RULES = HERE.parent / "rulesets" / "fit_engagement.rules"
AS_OF = "2026-11-22T00:00:00Z"

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--engine", choices=["python", "duckdb", "auto"], default="duckdb")
    parser.add_argument("--keep", metavar="DIR", help="write the leads here and keep them")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    leads = folder / f"leads-{args.leads}.jsonl"
    if not leads.exists():
        subprocess.run([sys.executable, str(HERE / "gen_leads.py"), str(args.leads), str(leads)], check=True)
    leadrules = [sys.executable, "-m", "leadrules"]
    common = [str(RULES), str(leads), "--as-of", AS_OF, "--engine", args.engine]
    runs = {
        "eval": [*leadrules, "eval", *common, "-q", "-o", "/dev/null"],
        "report (html)": [*leadrules, "report", *common, "-o", "/dev/null"],
        "report (json)": [*leadrules, "report", *common, "--format", "json", "-o", "/dev/null"],
    }
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    peaks: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, command in runs.items():
            s, mib = measure(command, name)
            seconds[name].append(s)
            peaks[name].append(mib)
    print(f"leads: {args.leads}, engine {args.engine}, {args.rounds} rounds "
          f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end)")
    base = statistics.median(seconds["eval"])
    for name in runs:
        s = statistics.median(seconds[name])
        print(f"{name:14} {s:8.2f} s  {args.leads / s:10.0f} leads/s  {max(peaks[name]):8.1f} MiB peak  "
              f"{s / base:5.2f}x eval")


if __name__ == "__main__":
    main()
