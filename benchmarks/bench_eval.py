#!/usr/bin/env python3
"""Evaluation benchmark: the compiled evaluator against a hand-written one, in process and
through the CLI.

    python benchmarks/bench_eval.py [--runs 5] [--million]

Uses `benchmarks/eval_bench.rules` (15 scoring rules, 5 disqualifiers, 3 stages, routes) and
100,000 generated leads (`benchmarks/gen_leads.py`, written under benchmarks/data/). Prints,
each the median of --runs runs:
- leads/s of the compiled evaluator in process (`Evaluator.evaluate_many` over parsed leads,
  validation included) and of the hand-written function (`baseline_eval.evaluate`);
- leads/s and peak memory (RSS) of the whole CLI, JSONL → JSONL, and of the hand-written
  script `baseline_eval.py`;
- with --million, the CLI's peak memory on 1,000,000 leads as well (it must stay flat).
Targets: compiled ≥ 0.8× hand-written; CLI ≥ 0.5× the hand-written script; CLI peak memory
under 150 MB at 100k and at 1M leads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import baseline_eval  # noqa: E402
import gen_leads  # noqa: E402

import leadrules  # noqa: E402

AS_OF = "2026-11-22T00:00:00Z"
RULES = HERE / "eval_bench.rules"
DATA = HERE / "data"


def data_file(count: int) -> Path:
    path = DATA / f"leads_{count}.jsonl"
    if not path.exists():
        print(f"generating {count:,} leads into {path} ...", file=sys.stderr)
        gen_leads.generate(path, count)
    return path


def median_seconds(run, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def same_records(compiled: list[dict], hand: list[dict]) -> bool:
    """Equal records; error records compared on id and field (the hand-written messages are short)."""
    for a, b in zip(compiled, hand, strict=True):
        if "error" in a or "error" in b:
            if a["id"] != b["id"] or a.get("error", {}).get("field") != b.get("error", {}).get("field"):
                return False
        elif a != b:
            return False
    return True


def in_process(path: Path, runs: int) -> tuple[float, float]:
    decoder = json.JSONDecoder(parse_float=Decimal)
    with open(path, encoding="utf-8") as stream:
        leads = [decoder.decode(line) for line in stream]
    as_of = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    evaluator = leadrules.load(RULES).evaluator
    compiled = list(evaluator.evaluate_many(leads, as_of))
    hand = [baseline_eval.evaluate(lead, as_of, n) for n, lead in enumerate(leads, 1)]
    if not same_records(compiled, hand):
        raise SystemExit("the compiled and the hand-written evaluator disagree")
    del compiled, hand
    t_compiled = median_seconds(lambda: list(evaluator.evaluate_many(leads, as_of)), runs)
    t_hand = median_seconds(lambda: [baseline_eval.evaluate(lead, as_of, n) for n, lead in enumerate(leads, 1)], runs)
    return len(leads) / t_compiled, len(leads) / t_hand


def run_measured(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode() if child.stderr else ""
    if child.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(args)} failed ({child.returncode}): {stderr}")
    return elapsed, usage.ru_maxrss * 1024


def cli_runs(path: Path, runs: int, out: Path) -> tuple[float, int]:
    cli = [sys.executable, "-m", "leadrules", "eval", str(RULES), str(path), "--as-of", AS_OF, "-o", str(out),
           "--engine", "python"]
    measured = [run_measured(cli) for _ in range(runs)]
    return statistics.median(t for t, _ in measured), max(rss for _, rss in measured)


def script_runs(path: Path, runs: int, out: Path) -> tuple[float, int]:
    script = [sys.executable, str(HERE / "baseline_eval.py"), str(path), str(out), "--as-of", AS_OF]
    measured = [run_measured(script) for _ in range(runs)]
    return statistics.median(t for t, _ in measured), max(rss for _, rss in measured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="also measure the CLI's memory on 1,000,000 leads")
    args = parser.parse_args()
    path = data_file(args.count)
    out_cli, out_script = DATA / "out_cli.jsonl", DATA / "out_script.jsonl"

    # the child processes first: a forked child's peak RSS counts the parent's pages
    t_cli, rss_cli = cli_runs(path, args.runs, out_cli)
    t_script, rss_script = script_runs(path, args.runs, out_script)
    big = data_file(1_000_000) if args.million else None
    big_result = cli_runs(big, 1, DATA / "out_cli_1m.jsonl") if big is not None else None
    with open(out_cli, encoding="utf-8") as a, open(out_script, encoding="utf-8") as b:
        if not same_records([json.loads(x) for x in a], [json.loads(x) for x in b]):
            raise SystemExit("the CLI and the hand-written script disagree")
    compiled, hand = in_process(path, args.runs)

    mb = 1024 * 1024
    rows = [
        ("compiled evaluator, in process", f"{compiled:,.0f} leads/s", ""),
        ("hand-written function, in process", f"{hand:,.0f} leads/s", ""),
        ("leadrules eval (CLI, JSONL→JSONL)", f"{args.count / t_cli:,.0f} leads/s", f"peak RSS {rss_cli / mb:.0f} MB"),
        ("hand-written script (JSONL→JSONL)", f"{args.count / t_script:,.0f} leads/s",
         f"peak RSS {rss_script / mb:.0f} MB"),
    ]
    print(f"eval benchmark: {args.count:,} leads, {RULES.name}, median of {args.runs} runs, Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPU(s)")
    for name, speed, memory in rows:
        print(f"  {name:<38} {speed:>16}  {memory}")
    ratio_compiled = compiled / hand
    ratio_cli = t_script / t_cli
    print(f"  compiled / hand-written: {ratio_compiled:.2f}×  (target ≥ 0.8×) "
          f"{'met' if ratio_compiled >= 0.8 else 'MISSED'}")
    print(f"  CLI / hand-written script: {ratio_cli:.2f}×  (target ≥ 0.5×) {'met' if ratio_cli >= 0.5 else 'MISSED'}")
    peaks = [rss_cli]
    if big_result is not None:
        t_big, rss_big = big_result
        peaks.append(rss_big)
        print(f"  leadrules eval on 1,000,000 leads: {1_000_000 / t_big:,.0f} leads/s, peak RSS {rss_big / mb:.0f} MB")
    print(f"  CLI peak memory: {' / '.join(f'{p / mb:.0f} MB' for p in peaks)} (target < 150 MB, flat) "
          f"{'met' if max(peaks) < 150 * mb else 'MISSED'}")


if __name__ == "__main__":
    main()
