#!/usr/bin/env python3
"""leadrules against what a user writes by hand, on `benchmarks/peer.rules` (19 CRM fields,
2 scores, 5 disqualifiers, 3 stages).

    python benchmarks/bench_peer.py [--leads 1000000] [--memory-leads 100000] [--rounds 3]

Two tables, each from interleaved rounds (every contender once per round, each in a fresh
process), reported as medians and ratios of medians to the first row (higher = faster):

- in memory: the same `json.loads` dicts for everyone; the plain function of
  `baselines/plain.py` (1.00×) against `leadrules.load(...).evaluate_many`; the time covers the
  evaluation only (reading the file is outside it).
- whole process, batch: hand-written Polars CSV → CSV (1.00×), hand-written DuckDB SQL, and
  `leadrules eval` with each engine and format; wall time of the process, leads/s and peak
  memory (maxrss of the child).

Data is generated once under benchmarks/data/ (git-ignored) by `baselines/gen_peer.py`.
Needs polars (`pip install -e .[bench]`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RULES = HERE / "peer.rules"
AS_OF = "2026-11-22T00:00:00Z"
LEADRULES = [sys.executable, "-m", "leadrules"]


def _data(count: int, suffix: str) -> Path:
    path = DATA / f"peer_{count}.{suffix}"
    if not path.exists():
        sys.path.insert(0, str(HERE / "baselines"))
        import gen_peer

        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        gen_peer.generate(path, count)
    return path


# ---- in memory: one contender per child process -------------------------------------------------

def _memory_child(contender: str, leads_path: str) -> None:
    with open(leads_path, encoding="utf-8") as stream:
        leads = [json.loads(line) for line in stream]
    if contender == "plain":
        sys.path.insert(0, str(HERE / "baselines"))
        from plain import qualify

        started = time.perf_counter()
        results = [qualify(lead) for lead in leads]
    else:
        import leadrules

        rules = leadrules.load(RULES)
        started = time.perf_counter()
        results = list(rules.evaluate_many(leads, as_of=AS_OF))
    elapsed = time.perf_counter() - started
    assert len(results) == len(leads)
    print(json.dumps({"seconds": elapsed}))


MEMORY = [
    ("plain Python function (hand-written)", "plain"),
    ("leadrules.load(...).evaluate_many", "leadrules"),
]


def _run_memory(count: int, rounds: int) -> list[tuple[str, list[float]]]:
    leads = _data(count, "jsonl")
    times: dict[str, list[float]] = {name: [] for name, _ in MEMORY}
    for round_number in range(rounds):
        for name, contender in MEMORY:
            out = subprocess.run([sys.executable, __file__, "--memory-child", contender, str(leads)],
                                 check=True, capture_output=True, text=True).stdout
            times[name].append(json.loads(out)["seconds"])
        print(f"  in memory, round {round_number + 1}/{rounds} done", file=sys.stderr, flush=True)
    return [(name, times[name]) for name, _ in MEMORY]


# ---- batch: whole processes ---------------------------------------------------------------------

def _batch_commands(count: int, out: Path) -> list[tuple[str, list[str]]]:
    csv_in, jsonl_in, parquet_in = (str(_data(count, s)) for s in ("csv", "jsonl", "parquet"))
    baselines = HERE / "baselines"

    def leadrules_eval(leads: str, engine: str, fmt: str, target: str) -> list[str]:
        return [*LEADRULES, "eval", str(RULES), leads, "--as-of", AS_OF, "--engine", engine, "--format", fmt,
                "-o", str(out / target), "-q"]

    return [
        ("hand-written Polars, CSV → CSV", [sys.executable, str(baselines / "polars_batch.py"), csv_in,
                                            str(out / "polars.csv")]),
        ("hand-written DuckDB SQL, CSV → CSV", [sys.executable, str(baselines / "duckdb_batch.py"), csv_in,
                                               str(out / "duckdb.csv")]),
        ("leadrules --engine duckdb, CSV → CSV", leadrules_eval(csv_in, "duckdb", "csv", "lr_duckdb.csv")),
        ("leadrules --engine duckdb, CSV → JSONL", leadrules_eval(csv_in, "duckdb", "jsonl", "lr_duckdb.jsonl")),
        ("leadrules --engine duckdb, Parquet → JSONL",
         leadrules_eval(parquet_in, "duckdb", "jsonl", "lr_duckdb_pq.jsonl")),
        ("leadrules --engine duckdb, Parquet → Parquet",
         leadrules_eval(parquet_in, "duckdb", "parquet", "lr_duckdb.parquet")),
        ("leadrules --engine duckdb, JSONL → JSONL",
         leadrules_eval(jsonl_in, "duckdb", "jsonl", "lr_duckdb_js.jsonl")),
        ("leadrules --engine python, JSONL → JSONL",
         leadrules_eval(jsonl_in, "python", "jsonl", "lr_python_js.jsonl")),
        ("leadrules --engine python, CSV → CSV", leadrules_eval(csv_in, "python", "csv", "lr_python.csv")),
        *_spark_commands(csv_in, jsonl_in, out, leadrules_eval),
    ]


def _spark_commands(csv_in: str, jsonl_in: str, out: Path, leadrules_eval: Any) -> list[tuple[str, list[str]]]:
    """`--engine spark` (local mode, every core) when pyspark is installed: it writes a new
    directory, so each run first removes the previous round's."""
    if importlib.util.find_spec("pyspark") is None:
        return []

    def fresh(command: list[str], target: str) -> list[str]:
        return ["sh", "-c", 'rm -rf "$0" && exec "$@"', str(out / target), *command]

    return [
        ("leadrules --engine spark (local), CSV → CSV",
         fresh(leadrules_eval(csv_in, "spark", "csv", "lr_spark_csv"), "lr_spark_csv")),
        ("leadrules --engine spark (local), JSONL → JSONL",
         fresh(leadrules_eval(jsonl_in, "spark", "jsonl", "lr_spark_jsonl"), "lr_spark_jsonl")),
    ]


def _timed_child(command: list[str]) -> None:
    """Run COMMAND as this process's only child: its wall time, exit status and peak RSS."""
    started = time.perf_counter()
    status = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_kib / 1024, "status": status.returncode,
                      "stderr": status.stderr[-300:]}))


def _run_batch(count: int, rounds: int, skip: set[str]) -> list[tuple[str, list[float], list[float], str]]:
    out = DATA / f"peer_out_{os.getpid()}"
    out.mkdir(parents=True, exist_ok=True)
    commands = [(name, command) for name, command in _batch_commands(count, out) if not any(s in name for s in skip)]
    times: dict[str, list[float]] = {name: [] for name, _ in commands}
    peaks: dict[str, list[float]] = {name: [] for name, _ in commands}
    failures: dict[str, str] = {}
    for round_number in range(rounds):
        for name, command in commands:
            if name in failures:
                continue
            report = json.loads(subprocess.run([sys.executable, __file__, "--timed-child", "--", *command],
                                               check=True, capture_output=True, text=True).stdout)
            if report["status"] != 0:
                last = (report["stderr"].strip().splitlines() or ["?"])[-1]
                failures[name] = f"exit {report['status']}: {last[:80]}"
                continue
            times[name].append(report["seconds"])
            peaks[name].append(report["peak_mb"])
        print(f"  batch, round {round_number + 1}/{rounds} done", file=sys.stderr, flush=True)
    shutil.rmtree(out)
    return [(name, times[name], peaks[name], failures.get(name, "")) for name, _ in commands]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--memory-child":
        _memory_child(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--timed-child":
        _timed_child(sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads of the batch runs")
    parser.add_argument("--memory-leads", type=int, default=100_000, help="leads of the in-memory runs")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["memory", "batch"], help="one table only")
    parser.add_argument("--skip", action="append", default=[], help="leave out the batch rows naming this text")
    args = parser.parse_args()

    if args.only != "batch":
        memory = _run_memory(args.memory_leads, args.rounds)
        base = statistics.median(memory[0][1])
        print(f"\nIn memory, {args.memory_leads:,} leads, same dicts for everyone; "
              f"median of {args.rounds} interleaved rounds")
        print("| run | median s | leads/s | vs plain function |")
        print("|---|---:|---:|---:|")
        for name, seconds in memory:
            median = statistics.median(seconds)
            print(f"| {name} | {median:.3f} | {args.memory_leads / median:,.0f} | {base / median:.2f}× |")
    if args.only != "memory":
        batch = _run_batch(args.leads, args.rounds, set(args.skip))
        base = statistics.median(batch[0][1]) if batch[0][1] else float("nan")
        print(f"\nWhole process, batch, {args.leads:,} leads; median of {args.rounds} interleaved rounds")
        print("| run | median s | leads/s | peak MB | vs hand-written Polars |")
        print("|---|---:|---:|---:|---:|")
        for name, seconds, peaks, failure in batch:
            if not seconds:
                print(f"| {name} | fails ({failure}) | | | |")
                continue
            median = statistics.median(seconds)
            print(f"| {name} | {median:.2f} | {args.leads / median:,.0f} | {max(peaks):,.0f} | {base / median:.2f}× |")


if __name__ == "__main__":
    main()
