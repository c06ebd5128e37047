#!/usr/bin/env python3
"""The same benchmarks on two versions of leadrules, interleaved in one run.

    python benchmarks/bench_before_after.py BASE_REV [--rounds 3] [--leads 20000]

Checks BASE_REV out into a temporary git worktree and times, in fresh processes with each
version's `src/` first on the path, alternating versions every round:

- parse + check of a generated 5,000-line ruleset (`bench_parse.generate`);
- lint of a generated 300-rule ruleset (`bench_lint.ruleset`);
- `eval --engine python` and `eval --engine duckdb` of `eval_bench.rules` on generated leads
  (whole process, output to a file).

The inputs are generated once, by this checkout's generators, so both versions read the same
bytes. Prints the median seconds of each version and the ratio after ÷ before (below 1 is
faster). A refactor that keeps behaviour should stay within noise.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

_TIMED = """
import sys, time
sys.path.insert(0, {src!r})
from leadrules.source import SourceFile
from leadrules.syntax import parse
from leadrules.check import check
text = open({path!r}, encoding="utf-8").read()
started = time.perf_counter()
module, _ = parse(SourceFile("bench.rules", text))
model, _ = check(module)
if {lint!r}:
    from leadrules.config import Config
    from leadrules.lint import lint
    started = time.perf_counter()
    lint(model, Config())
print(time.perf_counter() - started)
"""


def _in_process(src: Path, path: Path, lint: bool) -> float:
    code = _TIMED.format(src=str(src), path=str(path), lint=lint)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def _whole_process(src: Path, args: list[str]) -> float:
    code = f"import sys; sys.path.insert(0, {str(src)!r}); from leadrules.cli import main; sys.argv = ['leadrules'] + {args!r}; main()"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 3):  # 3: some leads are invalid, as generated on purpose
        raise SystemExit(f"{src}: leadrules {' '.join(args[:1])} failed: {done.stderr.strip()[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--leads", type=int, default=20000)
    options = parser.parse_args()
    import bench_lint
    import bench_parse

    with tempfile.TemporaryDirectory(prefix="lr-before-after-") as tmp:
        work = Path(tmp)
        tree = work / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), options.base],
                       check=True, capture_output=True)
        try:
            parse_file = work / "parse.rules"
            parse_file.write_text(bench_parse.generate(5000), encoding="utf-8")
            lint_file = work / "lint.rules"
            lint_file.write_text(bench_lint.ruleset(300), encoding="utf-8")
            leads = work / "leads.jsonl"
            subprocess.run([sys.executable, str(HERE / "gen_leads.py"), str(options.leads), str(leads)], check=True)
            rules = str(HERE / "eval_bench.rules")
            versions = {"before": tree / "src", "after": ROOT / "src"}
            tasks = {
                "parse+check 5k lines": lambda src: _in_process(src, parse_file, False),
                "lint 300 rules": lambda src: _in_process(src, lint_file, True),
                f"eval python {options.leads} leads": lambda src: _whole_process(
                    src, ["eval", rules, str(leads), "--as-of", "2026-11-22T00:00:00Z", "--engine", "python",
                          "-o", str(work / "out.jsonl"), "--quiet"]),
                f"eval duckdb {options.leads} leads": lambda src: _whole_process(
                    src, ["eval", rules, str(leads), "--as-of", "2026-11-22T00:00:00Z", "--engine", "duckdb",
                          "-o", str(work / "out.jsonl"), "--quiet"]),
            }
            times: dict[tuple[str, str], list[float]] = {}
            for round_number in range(options.rounds):
                order = list(versions) if round_number % 2 == 0 else list(reversed(versions))
                for task, run in tasks.items():
                    for version in order:
                        times.setdefault((task, version), []).append(run(versions[version]))
            print(f"before = {options.base}, after = working tree; median of {options.rounds} interleaved rounds")
            print(f"{'benchmark':32s} {'before s':>9s} {'after s':>9s} {'after/before':>13s}")
            for task in tasks:
                before = statistics.median(times[(task, "before")])
                after = statistics.median(times[(task, "after")])
                print(f"{task:32s} {before:9.3f} {after:9.3f} {after / before:12.2f}x")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
