"""Parse + check speed on a generated 5,000-line ruleset (target: under one second).

    python benchmarks/bench_parse.py [LINES]
"""

from __future__ import annotations

import sys
import time

from leadrules.check import check
from leadrules.source import SourceFile
from leadrules.syntax import parse
from leadrules.syntax.parser import _parser


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


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    text = generate(lines)
    count = text.count("\n")
    started = time.perf_counter()
    _parser()  # building the LALR tables is a one-time cost per process
    setup = time.perf_counter() - started
    source = SourceFile("bench.rules", text)
    runs = []
    for _ in range(3):  # best of three: the machine may be busy with other work
        wall, cpu = time.perf_counter(), time.process_time()
        module, diagnostics = parse(source)
        parsed_wall, parsed_cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert module is not None, diagnostics
        wall, cpu = time.perf_counter(), time.process_time()
        model, diagnostics = check(module)
        checked_wall, checked_cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert model is not None and not diagnostics, diagnostics[:3]
        runs.append((parsed_wall + checked_wall, parsed_wall, checked_wall, parsed_cpu + checked_cpu))
    total, parsed, checked, cpu_total = min(runs)
    print(f"lines:            {count}")
    print(f"parser setup:     {setup:.3f} s (once per process)")
    print(f"parse:            {parsed:.3f} s")
    print(f"check:            {checked:.3f} s")
    print(f"parse+check:      {total:.3f} s wall, {cpu_total:.3f} s CPU  ({count / total:,.0f} lines/s)")
    print("target:           < 1 s for 5,000 lines:", "met" if total < 1 else "NOT met")


if __name__ == "__main__":
    main()
