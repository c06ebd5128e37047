"""Parse + check speed on generated rulesets of 5,000, 20,000 and 50,000 lines: lines per
second at each size (target: at least 10,000, and about the same at every size, i.e. linear).

    python benchmarks/bench_parse.py [LINES ...]

Wall time is the fastest of three runs; CPU time is shown too, as the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import time

from leadrules.check import check
from leadrules.source import SourceFile
from leadrules.syntax import parse
from leadrules.syntax.parser import _parser

DEFAULT_SIZES = (5_000, 20_000, 50_000)
TARGET_LINES_PER_SECOND = 10_000


def generate(lines: int) -> str:
    """A realistic ruleset: fields, events, lists, conditions, scores and tests, about `lines` lines long."""
    out = [
        'ruleset "bench" version "1"',
        'owner "ops@example.com"',
        "",
        'field role: one of ["student", "manager", "director", "vp"]',
        "field employees: integer in 1..1000000",
        "field country: text",
        "field email: email",
        "",
    ]
    block = 0
    while len(out) < lines - 20:
        n = block
        out += [
            f"field f{n}: integer in 0..10000 optional  # counter {n}",
            f"event e{n}",
            f'list l{n} = ["a{n}", "b{n}", "c{n}"]',
            f'condition c{n} = (f{n} >= {n % 97} and country in l{n}) or role in ["director", "vp"]',
            "",
            f"score s{n} (min 0, max 100):",
            f"    +10 if c{n}",
            f"    +5 per e{n} in last 30 days (max 25)",
            f"    +2 per f{n} (max 20)",
            '    -15 if email.domain in ["gmail.com"] and not role == "manager"',
            f"    +{n % 9 + 1}.5 if employees between {n} and {n + 500}",
            "",
        ]
        block += 1
    out += [
        'band grade of s0:',
        '    "A" from 60',
        '    "B" from 30 to 60',
        '    "C" to 30',
        "",
        "stages Lead -> MQL -> SQL",
        'stage MQL if grade in ["A", "B"] and s0 >= 30',
        "stage SQL if s0 >= 60 and has e0 in last 14 days",
        'disqualify student "Student" if role == "student"',
        "",
        "route SQL:",
        '    to "emea" if country in ["GB", "DE"]',
        '    otherwise to "global"',
        "",
        'test "bench":',
        '    as of "2026-11-22T00:00:00Z"',
        '    lead {"role": "vp", "employees": 10, "country": "GB", "email": "a@b.c"}',
        '    expect stage == "Lead"',
    ]
    return "\n".join(out) + "\n"


def measure(lines: int) -> tuple[int, float, float, float, float]:
    """(lines, parse, check, parse+check wall, parse+check CPU) of a generated ruleset of about
    `lines` lines: the fastest of three runs, as the machine may be busy with other work."""
    text = generate(lines)
    count = text.count("\n")
    source = SourceFile("bench.rules", text)
    runs = []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        module, diagnostics = parse(source)
        parsed_wall = time.perf_counter() - wall
        assert module is not None, diagnostics
        checked_from = time.perf_counter()
        model, diagnostics = check(module)
        checked_wall = time.perf_counter() - checked_from
        cpu_total = time.process_time() - cpu
        assert model is not None and not diagnostics, diagnostics[:3]
        runs.append((parsed_wall + checked_wall, parsed_wall, checked_wall, cpu_total))
        del module, model
    total, parsed, checked, _ = min(runs)
    return count, parsed, checked, total, min(run[3] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lines", nargs="*", type=int, help="sizes to measure (default: 5000 20000 50000)")
    sizes = parser.parse_args().lines or list(DEFAULT_SIZES)
    started = time.perf_counter()
    _parser()  # building the LALR tables is a one-time cost per process
    print(f"parser setup: {time.perf_counter() - started:.3f} s (once per process)")
    print(f"{'lines':>8} {'parse s':>8} {'check s':>8} {'wall s':>8} {'CPU s':>8} {'lines/s':>8} {'CPU lines/s':>12}")
    rates, cpu_rates = [], []
    for size in sizes:
        count, parsed, checked, total, cpu_total = measure(size)
        rates.append(count / total)
        cpu_rates.append(count / cpu_total)
        print(f"{count:>8} {parsed:>8.3f} {checked:>8.3f} {total:>8.3f} {cpu_total:>8.3f} "
              f"{count / total:>8,.0f} {count / cpu_total:>12,.0f}")
    if len(rates) > 1:
        # a linear cost keeps lines/s flat: the largest size's rate against the smallest's
        print(f"lines/s at {sizes[-1]:,} lines / at {sizes[0]:,} lines: {rates[-1] / rates[0]:.2f} wall, "
              f"{cpu_rates[-1] / cpu_rates[0]:.2f} CPU")
    load = os.getloadavg()[0]
    for what, measured in (("wall", rates), ("CPU", cpu_rates)):
        verdict = "met" if min(measured) >= TARGET_LINES_PER_SECOND else "NOT met"
        print(f"target: >= {TARGET_LINES_PER_SECOND:,} lines/s at every size ({what}): {verdict}")
    print(f"load average {load:.2f} on {os.cpu_count()} cores (wall time stretches on a loaded machine)")


if __name__ == "__main__":
    main()
