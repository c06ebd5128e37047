"""Before `eval` or `export` uses a ruleset: the error-level findings `check` would reject it
for (LR101, LR201, LR202, LR204, LR302, LR304), as warnings on stderr, or with `--strict` as
errors that stop the command (exit 1).

Only those codes run, each solver query with a shorter budget than `check`'s, so the gate adds
a fraction of a second (docs/cli.md has the measurements); the configuration's `select`,
`ignore` and `# noqa` comments apply as in `check`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from leadrules.diagnostics import CODES, Diagnostic, Severity
from leadrules.errors import LeadrulesError
from leadrules.io.summary import terminal_safe
from leadrules.workspace import LoadedFile

__all__ = ["GATE_CODES", "gate_findings", "report_or_refuse"]

# the semantic codes at error level: what makes `check` exit 1 on a ruleset that type-checks
GATE_CODES = tuple(code for code, info in CODES.items()
                   if info.severity is Severity.ERROR and "LR101" <= code <= "LR899")
_QUERY_BUDGET_MS = 1000  # per solver query; check's default is 5000


def gate_findings(loaded: LoadedFile) -> list[Diagnostic]:
    """The error-level lint findings of a checked ruleset, after its configuration and noqa."""
    if loaded.model is None:
        return []
    from leadrules.config import load_config
    from leadrules.lint import lint
    from leadrules.lint.noqa import apply_noqa

    config = load_config(Path(loaded.source.path))
    codes = tuple(code for code in GATE_CODES if config.enabled(code))
    if not codes:
        return []
    gate = replace(config, select=codes, ignore=(),
                   solver_timeout_ms=min(config.solver_timeout_ms, _QUERY_BUDGET_MS))
    found = lint(loaded.model, gate)
    return [d for d in apply_noqa(found, loaded.source) if d.code in codes and d.level is Severity.ERROR]


def _line(diagnostic: Diagnostic) -> str:
    span = diagnostic.span
    return terminal_safe(f"{span.file}:{span.line}:{span.column}: {diagnostic.code} {diagnostic.message}")


def report_or_refuse(loaded: LoadedFile, strict: bool) -> None:
    """Print the gate's findings (one line each); with `strict`, exit 1 when there are any."""
    try:
        findings = gate_findings(loaded)
    except LeadrulesError:
        raise
    except Exception as exc:  # noqa: BLE001 - the analysis failing must not stop an evaluation
        click.echo(f"leadrules: warning: {terminal_safe(loaded.source.path)}: not linted "
                   f"({type(exc).__name__}); `leadrules check` may report more", err=True)
        return
    if not findings:
        return
    level = "error" if strict else "warning"
    for diagnostic in findings:
        click.echo(f"leadrules: {level}: {_line(diagnostic)}", err=True)
    if strict:
        click.echo(f"leadrules: error: `leadrules check` rejects {terminal_safe(loaded.source.path)}; "
                   "refused (--strict)", err=True)
        sys.exit(1)
    click.echo(f"leadrules: warning: `leadrules check` rejects {terminal_safe(loaded.source.path)}; "
               "running anyway (--strict refuses)", err=True)
