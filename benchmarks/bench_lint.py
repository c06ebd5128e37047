"""Lint time on generated rulesets of 150, 300, 450 and 600 rules (scores, routes, stages).

Run: .venv/bin/python benchmarks/bench_lint.py [--rounds R] [--against SRC] [SIZES...]
Each size is linted in a fresh process (z3's state carries over between runs in one process),
sizes interleaved over the rounds. Prints per size the median wall and CPU seconds, the
findings (LR900: questions the solver left open within its time budget), and the growth
exponent k of t ~ n^k from the previous size: log(t2/t1) / log(n2/n1), on CPU seconds,
which a loaded machine distorts less than wall time.

With `--against SRC` (the `src` folder of another revision, e.g. from `git archive REV src
grammar`, with `grammar/leadrules.lark` copied to `SRC/leadrules/grammar/`), each size is also
linted by that revision, in the same rounds just before this one (same generated rulesets),
and the line ends with its median CPU seconds, LR900 count and the ratio.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from leadrules.check import check
from leadrules.config import Config
from leadrules.lint import lint
from leadrules.source import SourceFile
from leadrules.syntax import parse

COUNTRIES = ["US", "CA", "GB", "DE", "FR", "JP", "BR", "IN", "AU", "ES"]
ROLES = ["student", "engineer", "manager", "director", "vp", "cxo"]


def ruleset(rules: int, seed: int = 7) -> str:
    """A ruleset with `rules` scoring rules over 4 scores, route entries and stages that
    grow with it (one route entry per 10 rules, one stage per 50)."""
    rnd = random.Random(seed)
    lines = ['ruleset "bench" version "1"',
             "field email: email",
             f"field role: one of [{', '.join(f'{r!r}' for r in ROLES)}]".replace("'", '"'),
             "field country: text",
             "field employees: integer in 1..1000000",
             "field revenue: number optional",
             "field industry: text optional",
             "field opted_out: boolean"]
    events = [f"e{i}" for i in range(12)]
    lines += [f"event {e}" for e in events]

    def atom() -> str:
        kind = rnd.randrange(7)
        if kind == 0:
            return f"employees >= {rnd.choice([10, 50, 100, 500, 1000, 5000])}"
        if kind == 1:
            return f'role in ["{rnd.choice(ROLES)}", "{rnd.choice(ROLES)}"]'
        if kind == 2:
            return f'country == "{rnd.choice(COUNTRIES)}"'
        if kind == 3:
            return f"has {rnd.choice(events)} in last {rnd.choice([7, 14, 30, 90])} days"
        if kind == 4:
            return f"revenue > {rnd.randrange(1, 100) * 100000}"
        if kind == 5:
            return f'industry starts with "{rnd.choice(["soft", "fin", "health"])}"'
        return f"count({rnd.choice(events)}) >= {rnd.randrange(1, 4)}"

    scores = ["fit", "engagement", "intent", "risk"]
    per_score = [rules // 4 + (1 if i < rules % 4 else 0) for i in range(4)]
    for name, count in zip(scores, per_score, strict=True):
        lines.append(f"score {name} (min 0, max {count * 10}):")
        for _ in range(count):
            if rnd.random() < 0.3:
                lines.append(f"    +{rnd.randrange(1, 10)} per {rnd.choice(events)} (max {rnd.randrange(10, 40)})")
            else:
                condition = atom() if rnd.random() < 0.5 else f"{atom()} and {atom()}"
                lines.append(f"    {rnd.choice('+-')}{rnd.randrange(1, 30)} if {condition}")
    lines += ["band grade of fit:", '    "A" from 60', '    "B" from 30 to 60', '    "C" to 30']
    lines.append('disqualify opted "Opted out" if opted_out')
    lines.append('disqualify student "Student" if role == "student"')
    stage_count = max(3, rules // 50 + 2)
    stages = ["Lead"] + [f"S{i}" for i in range(1, stage_count)]
    lines.append("stages " + " -> ".join(stages))
    for index, stage in enumerate(stages[1:], 1):
        lines.append(f"stage {stage} if fit >= {index * 5} and engagement >= {index * 4} and {atom()}")
    entries = max(2, rules // 10)
    for stage in stages[1:]:
        lines.append(f"route {stage}:")
        for _ in range(max(1, entries // (len(stages) - 1))):
            lines.append(f'    to "team-{rnd.randrange(1000)}" if {atom()}')
        lines.append('    otherwise to "pool"')
    return "\n".join(lines) + "\n"


def lint_once(size: int) -> dict[str, float]:
    """Lint one generated ruleset in this process: wall and CPU seconds, findings."""
    text = ruleset(size)
    module, diagnostics = parse(SourceFile(f"bench{size}.rules", text))
    assert module is not None, diagnostics
    model, diagnostics = check(module)
    assert model is not None, [d.message for d in diagnostics]
    wall, cpu = time.perf_counter(), time.process_time()
    findings = lint(model, Config())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "findings": len(findings),
            "incomplete": sum(1 for d in findings if d.code == "LR900")}


def _fresh(size: int, src: str | None = None) -> dict[str, float]:
    """One lint in a fresh process; with `src`, by the revision whose sources are there."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--one", str(size)],
                         capture_output=True, text=True, check=True, env=env)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if argv[:1] == ["--one"]:
        print(json.dumps(lint_once(int(argv[1]))))
        return 0
    rounds, against = 1, None
    while argv[:1] in (["--rounds"], ["--against"]):
        if argv[0] == "--rounds":
            rounds = int(argv[1])
        else:
            against = str(Path(argv[1]).resolve())
        argv = argv[2:]
    sizes = [int(a) for a in argv] or [150, 300, 450, 600]
    runs: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
    base: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
    for _ in range(rounds):
        for size in sizes:
            if against is not None:
                base[size].append(_fresh(size, against))
            runs[size].append(_fresh(size))
    previous: tuple[int, float] | None = None
    for size in sizes:
        wall = statistics.median(r["wall"] for r in runs[size])
        cpu = statistics.median(r["cpu"] for r in runs[size])
        last = runs[size][-1]
        growth = ""
        if previous is not None and previous[1] > 0 and cpu > 0:
            growth = f", growth n^{math.log(cpu / previous[1]) / math.log(size / previous[0]):.1f} from {previous[0]}"
        compared = ""
        if base[size]:
            before = statistics.median(r["cpu"] for r in base[size])
            compared = (f"; against: {before:.2f} s CPU ({int(base[size][-1]['incomplete'])} LR900), "
                        f"{before / cpu:.1f}x")
        print(f"{size:4d} rules: {int(last['findings']):4d} findings ({int(last['incomplete'])} LR900), "
              f"{wall:7.2f} s wall, {cpu:7.2f} s CPU{growth}{compared}", flush=True)
        previous = (size, cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
