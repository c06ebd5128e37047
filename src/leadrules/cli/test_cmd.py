"""`leadrules test PATH...`: run the `test` blocks of rulesets and `tests for` files."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import click

from leadrules.engine.python.explain import ledger_text
from leadrules.errors import InputError
from leadrules.io.render import get_renderer
from leadrules.jsontext import dumps
from leadrules.suite import (
    CaseResult,
    RulesetCoverage,
    SuiteResult,
    coverage_percent,
    coverage_report,
    junit_xml,
    run_paths,
)
from leadrules.textsafe import printable
from leadrules.workspace import sources_for

__all__ = ["command"]


def _failure_text(case: CaseResult, result: SuiteResult) -> str:
    lines = []
    if case.error is not None:
        lines.append(f"the test lead is invalid: {case.error}")
    for miss in case.mismatches:
        lines.append(f"{miss.key}: expected {dumps(miss.expected)}, got {dumps(miss.actual)}")
    model = next((f.model for f in result.files if f.path == case.file), None)
    if case.explanation is not None and case.explanation.valid and model is not None:
        lines.append("ledger:")
        lines.extend("  " + line for line in ledger_text(case.explanation, model))
    return "\n".join(lines)


@click.command("test", short_help="Run the `test` blocks of rule files and `tests for` files.")
@click.argument("paths", nargs=-1, required=True)
@click.option("--coverage", "show_coverage", is_flag=True,
              help="list scoring rules, disqualifiers, criteria and route entries no test exercised")
@click.option("--coverage-threshold", "threshold", type=click.FloatRange(0, 100), metavar="N",
              help="exit 1 when the tests exercise less than N percent of the rules, disqualifiers, "
                   "criteria and route entries")
@click.option("--junit", "junit_path", metavar="FILE", help="also write a JUnit XML report")
@click.option("-k", "--match", "match", metavar="PATTERN",
              help="run only the tests whose name contains PATTERN (ignoring case)")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json: one object with tests, results and coverage")
@click.option("--write-baseline", "write_baseline", metavar="FILE",
              help="record the ruleset's decisions for --leads in FILE (see docs/diff.md)")
@click.option("--baseline", "baseline", metavar="FILE",
              help="replay a recorded baseline; exit 1 when any lead's decision flipped, listing the flips")
@click.option("--leads", "leads_path", metavar="FILE", help="with --write-baseline: the leads to record")
@click.option("--events", "events_path", metavar="FILE", help="with --write-baseline: CSV of events (lead_id,type,at)")
@click.option("--as-of", "as_of_text", metavar="TS", help="with --write-baseline: evaluation instant; default: now, UTC")
def command(paths: tuple[str, ...], show_coverage: bool, threshold: float | None, junit_path: str | None,
            match: str | None, output_format: str, write_baseline: str | None = None, baseline: str | None = None,
            leads_path: str | None = None, events_path: str | None = None, as_of_text: str | None = None) -> None:
    """Run the `test` blocks of rule files (and `tests for` files) or folders of *.rules.

    Exit status: 0 all pass, 1 a failure, a ruleset with errors or coverage below
    --coverage-threshold, or a lead whose decision flipped against --baseline, 2 usage or I/O
    error (including -k matching no test)."""
    from leadrules.cli.diff_cmd import baseline_options

    baseline_lines, baseline_report, flipped = baseline_options(paths, write_baseline, baseline, leads_path,
                                                                events_path, as_of_text)
    result = run_paths(paths, match)
    if match is not None and not result.cases and result.deselected:
        # a mistyped pattern must not pass CI by running nothing
        raise InputError(f"-k {_shown(match)}: no test name contains it ({result.deselected} test(s) deselected)")
    reports = coverage_report(result)
    total = sum(r.total for r in reports)
    overall = coverage_percent(sum(r.covered for r in reports), total)
    below = threshold is not None and overall < Decimal(str(threshold))
    if junit_path:
        from leadrules.io.output import write_output_text

        write_output_text(junit_path, junit_xml(result, lambda c: _failure_text(c, result)))
    if output_format == "json":
        report = _json_report(result, reports, overall, total)
        if baseline_report is not None:
            report["baseline"] = baseline_report
        click.echo(dumps(report))
    else:
        _text_report(result, reports, overall, show_coverage)
        for line in baseline_lines:
            click.echo(line)
    if below:
        click.echo(f"coverage {overall}% is below --coverage-threshold {_number(threshold)}%", err=True)
    sys.exit(0 if result.ok and not below and not flipped else 1)


def _shown(text: str) -> str:
    return dumps(text)  # quoted, control characters escaped


def _number(value: float | None) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def _coverage_json(report: RulesetCoverage) -> dict[str, Any]:
    return {"file": report.path, "percent": report.percent, "covered": report.covered, "total": report.total,
            "missing": [{"line": u.span.line, "kind": u.kind, "text": u.text} for u in report.missing]}


def _json_report(result: SuiteResult, reports: list[RulesetCoverage], overall: Decimal,
                 total: int) -> dict[str, Any]:
    tests = []
    for case in result.cases:
        tests.append({
            "file": case.file, "line": case.case.span.line, "name": case.case.name,
            "outcome": "passed" if case.passed else "failed",
            "error": case.error,
            "mismatches": [{"key": m.key, "expected": m.expected, "actual": m.actual} for m in case.mismatches],
        })
    errors = [d.to_json() for f in result.files if f.has_errors for d in f.diagnostics]
    return {
        "tests": tests,
        "errors": errors,
        "results": {"passed": result.passed, "failed": result.failed, "deselected": result.deselected,
                    "files_with_errors": sum(f.has_errors for f in result.files)},
        "coverage": {"percent": overall, "covered": sum(r.covered for r in reports), "total": total,
                     "rulesets": [_coverage_json(r) for r in reports]},
    }


def _text_report(result: SuiteResult, reports: list[RulesetCoverage], overall: Decimal,
                 show_coverage: bool) -> None:
    render = get_renderer("text")
    for file in result.files:
        if file.has_errors:
            sources = sources_for(file.diagnostics, {file.source.path: file.source})
            click.echo(render(file.diagnostics, sources), err=True, nl=False)
            continue
        for case in file.cases:
            where = f"{file.path}:{case.case.span.line}"
            if case.passed:
                click.echo(printable(f"PASS {where} {case.case.name}"))
            else:
                click.echo(printable(f"FAIL {where} {case.case.name}"))
                for line in _failure_text(case, result).split("\n"):  # only its own line breaks
                    click.echo(printable(f"     {line}"))
    if show_coverage:
        for report in reports:
            figure = f"coverage {report.path}: {report.percent}% exercised ({report.covered} of {report.total})"
            if not report.missing:
                click.echo(printable(f"{figure}: every rule, disqualifier, criterion and route entry"))
                continue
            click.echo(printable(f"{figure}; {len(report.missing)} not exercised by any test:"))
            for item in report.missing:
                click.echo(printable(f"  {item.span.line}: {item.kind}: {item.text}"))
        if len(reports) > 1:
            click.echo(f"coverage in all: {overall}% exercised ({sum(r.covered for r in reports)} of "
                       f"{sum(r.total for r in reports)})")
    broken = sum(f.has_errors for f in result.files)
    summary = f"{result.passed} passed, {result.failed} failed"
    if result.deselected:
        summary += f", {result.deselected} deselected"
    click.echo(summary + (f" ({broken} file(s) with errors)" if broken else ""))
