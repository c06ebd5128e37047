"""`leadrules test PATH...`: run the `test` blocks of rulesets and `tests for` files."""

from __future__ import annotations

import sys

import click

from leadrules.engine.python.explain import ledger_text
from leadrules.io.render import get_renderer
from leadrules.jsontext import dumps
from leadrules.suite import CaseResult, SuiteResult, coverage, junit_xml, run_paths
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
@click.option("--junit", "junit_path", metavar="FILE", help="also write a JUnit XML report")
def command(paths: tuple[str, ...], show_coverage: bool, junit_path: str | None) -> None:
    """Run the `test` blocks of rule files (and `tests for` files) or folders of *.rules.

    Exit status: 0 all pass, 1 a failure or a ruleset with errors, 2 usage or I/O error."""
    result = run_paths(paths)
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
        for path, missing in coverage(result).items():
            if not missing:
                click.echo(printable(f"coverage {path}: every rule, disqualifier, criterion and route entry exercised"))
                continue
            click.echo(printable(f"coverage {path}: {len(missing)} not exercised by any test"))
            for item in missing:
                click.echo(printable(f"  {item.span.line}: {item.kind}: {item.text}"))
    if junit_path:
        from leadrules.io.output import write_output_text

        write_output_text(junit_path, junit_xml(result, lambda c: _failure_text(c, result)))
    broken = sum(f.has_errors for f in result.files)
    summary = f"{result.passed} passed, {result.failed} failed"
    click.echo(summary + (f" ({broken} file(s) with errors)" if broken else ""))
    sys.exit(0 if result.ok else 1)
