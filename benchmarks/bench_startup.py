"""Start-up: `leadrules eval` of a 4-lead file, whole process, on both engines (DuckDB on the
JSON Lines file and on the same leads as CSV), against a bare `python -c "import duckdb"` and
a bare `python -c pass` (target: at most 0.3 s on each engine).

    python benchmarks/bench_startup.py [ROUNDS]      # default 10

The commands run interleaved, one of each per round (so a change in the machine's load hits
them all alike); medians are printed with their ratio to `import duckdb`. The child processes
cache bytecode in a temporary folder (PYTHONPYCACHEPREFIX), as an installed package has its
.pyc files, and `eval` keeps what it caches (the lint gate's result) in another
(LEADRULES_CACHE_DIR), warmed by a first round that is not counted; `(no gate cache)` and
`(no cache)` show a first run of a ruleset (LEADRULES_NO_CACHE=1).
CPU seconds (user + system of the child) are printed too: on a shared, loaded machine they
stretch less than wall time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "tests" / "fixtures" / "spec_examples" / "projectflow.rules"
LEADS = ROOT / "tests" / "fixtures" / "spec_examples" / "projectflow.leads.jsonl"
AS_OF = "2026-11-22T00:00:00Z"
TARGET_SECONDS = 0.3


def _commands(leads: Path, csv_leads: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    python = sys.executable
    evaluate = [python, "-m", "leadrules", "eval", str(RULES), str(leads), "--as-of", AS_OF]
    evaluate_csv = [python, "-m", "leadrules", "eval", str(RULES), str(csv_leads), "--as-of", AS_OF]
    return {
        "python -c pass": ([python, "-c", "pass"], {}),
        'python -c "import duckdb"': ([python, "-c", "import duckdb"], {}),
        "eval --engine python": ([*evaluate, "--engine", "python"], {}),
        "eval --engine duckdb": ([*evaluate, "--engine", "duckdb"], {}),
        "eval --engine duckdb (CSV)": ([*evaluate_csv, "--engine", "duckdb"], {}),
        "eval --engine python (no gate cache)": ([*evaluate, "--engine", "python"], {"LEADRULES_NO_CACHE": "1"}),
        "eval --engine duckdb (no cache)": ([*evaluate, "--engine", "duckdb"], {"LEADRULES_NO_CACHE": "1"}),
    }


def _csv_copy(lines: list[str], path: Path) -> None:
    """The JSON Lines leads as CSV: a column per scalar member (booleans as `true`/`false`),
    without their events."""
    records = [json.loads(line) for line in lines]
    columns = list(dict.fromkeys(key for record in records for key, value in record.items()
                                 if key != "events" and not isinstance(value, (dict, list))))
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for record in records:
            writer.writerow([_cell(record.get(column)) for column in columns])


def _cell(value: object) -> str:
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _seconds(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU (user + system, all threads) is what the process
    needed, which a loaded machine stretches less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", nargs="?", type=int, default=10)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        leads, csv_leads = folder / "4.jsonl", folder / "4.csv"
        first_leads = LEADS.read_text(encoding="utf-8").splitlines(keepends=True)[:4]
        leads.write_text("".join(first_leads), encoding="utf-8")
        _csv_copy(first_leads, csv_leads)
        base_env = {key: value for key, value in os.environ.items()
                    if key not in ("PYTHONDONTWRITEBYTECODE", "LEADRULES_NO_CACHE")}
        base_env.update(PYTHONPYCACHEPREFIX=str(folder / "pycache"), LEADRULES_CACHE_DIR=str(folder / "cache"))
        commands = _commands(leads, csv_leads)
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for number in range(rounds + 1):
            names = list(commands)
            names = names[number % len(names):] + names[:number % len(names)]  # rotate the order per round
            for name in names:
                command, extra = commands[name]
                elapsed, used = _seconds(command, {**base_env, **extra})
                if number:  # round 0 writes the bytecode and the gate's cache
                    times[name].append(elapsed)
                    cpu[name].append(used)
        load = os.getloadavg()
    reference = statistics.median(times['python -c "import duckdb"'])
    cpu_reference = statistics.median(cpu['python -c "import duckdb"'])
    print(f"{rounds} interleaved rounds; load average {load[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'command':<40} {'median s':>9} {'min s':>7} {'x import duckdb':>16} {'median CPU s':>13} {'x':>6}")
    for name, values in times.items():
        median, cpu_median = statistics.median(values), statistics.median(cpu[name])
        print(f"{name:<40} {median:>9.3f} {min(values):>7.3f} {median / reference:>16.2f} {cpu_median:>13.3f} "
              f"{cpu_median / cpu_reference:>6.2f}")
    for name in ("eval --engine python", "eval --engine duckdb", "eval --engine duckdb (CSV)"):
        median = statistics.median(times[name])
        verdict = "met" if median <= TARGET_SECONDS else "NOT met"
        print(f"target: {name} <= {TARGET_SECONDS} s: {verdict} ({median:.3f} s)")


if __name__ == "__main__":
    main()
