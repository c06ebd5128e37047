"""`leadrules check PATH...`: parse, type-check and lint rule files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from leadrules.config import Config, load_config
from leadrules.diagnostics import CODES, Diagnostic, Severity
from leadrules.errors import InputError
from leadrules.io.output import write_output_text
from leadrules.io.render import RENDERERS, get_renderer
from leadrules.lint import lint
from leadrules.lint.emit import emit_tests
from leadrules.lint.noqa import apply_noqa
from leadrules.source import SourceFile
from leadrules.workspace import collect_rule_files, load_file, sources_for

__all__ = ["command"]


def _codes(values: tuple[str, ...], option: str) -> tuple[str, ...]:
    """`--select LR1,LR302 --select LR5` → ("LR1", "LR302", "LR5")."""
    out = []
    for value in values:
        for part in value.split(","):
            code = part.strip().upper()
            if not code:
                continue
            if not (code.startswith("LR") and (code == "LR" or code[2:].isdigit())):
                raise click.BadParameter(f"'{part.strip()}' is not a code or code prefix (e.g. LR102, LR1)",
                                         param_hint=option)
            # a typo such as LR3O1 → LR301 is caught above; LR999 would silently select nothing
            if not any(known.startswith(code) for known in CODES):
                raise click.BadParameter(f"'{part.strip()}' matches no leadrules code (see docs/rules/)",
                                         param_hint=option)
            out.append(code)
    return tuple(out)


@click.command("check", short_help="Parse, type-check and lint rule files or folders of *.rules.")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "output_format", type=click.Choice(RENDERERS), default="text", show_default=True,
              help="text for people; json, sarif (code scanning) or github (pull-request annotations) for tools.")
@click.option("--select", "select", multiple=True, metavar="CODES",
              help="Report only these codes or prefixes (comma-separated), e.g. LR1,LR302.")
@click.option("--ignore", "ignore", multiple=True, metavar="CODES", help="Do not report these codes or prefixes.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--emit-tests", "emit_path", type=click.Path(dir_okay=False), default=None,
              help="Write the witnesses as `test` blocks to this `tests for` file.")
def command(paths: tuple[str, ...], output_format: str, select: tuple[str, ...], ignore: tuple[str, ...],
            strict: bool, emit_path: str | None) -> None:
    """Parse, type-check and lint rule files or folders of *.rules.

    Exit status: 0 no error-level finding (--strict: no warning either), 1 findings,
    2 usage or I/O error."""
    selected, ignored = _codes(select, "--select"), _codes(ignore, "--ignore")
    files = collect_rule_files(paths)
    diagnostics: list[Diagnostic] = []
    sources: dict[str, SourceFile] = {}
    emitted: list[tuple[Path, str]] = []
    seen: set[tuple[str, str, int, int, str]] = set()
    for path in files:
        loaded = load_file(path)
        sources[loaded.source.path] = loaded.source
        found = list(loaded.diagnostics)
        has_errors = any(d.level is Severity.ERROR for d in found)
        if loaded.model is not None and not has_errors:
            config: Config = load_config(path).with_overrides(selected, ignored)
            findings = lint(loaded.model, config)
            found.extend(findings)
            if emit_path is not None and any(d.witness is not None for d in findings):
                kept = apply_noqa(findings, loaded.source)
                relative = os.path.relpath(Path(path).resolve(), Path(emit_path).resolve().parent)
                emitted.append((path, emit_tests(loaded.model, kept, Path(relative).as_posix())))
        for diagnostic in apply_noqa(found, loaded.source):
            # a `tests for` file repeats its ruleset's errors; report each finding once
            key = (diagnostic.code, diagnostic.span.file, diagnostic.span.line, diagnostic.span.column,
                   diagnostic.message)
            if key not in seen:
                seen.add(key)
                diagnostics.append(diagnostic)
    if emit_path is not None:
        _write_tests(Path(emit_path), emitted)
    text = get_renderer(output_format)(diagnostics, sources_for(diagnostics, sources))
    if text:
        click.echo(text, nl=False)
    errors = sum(d.level is Severity.ERROR for d in diagnostics)
    warnings = sum(d.level is Severity.WARNING for d in diagnostics)
    if output_format == "text":
        sys.stdout.flush()  # the findings (stdout) come before the summary (stderr) on a terminal
        click.echo(f"{len(files)} file(s) checked, {errors} error(s), {warnings} warning(s), "
                   f"{len(diagnostics) - errors - warnings} info", err=True)
    failed = errors > 0 or (strict and warnings > 0)
    sys.exit(1 if failed else 0)


def _write_tests(target: Path, emitted: list[tuple[Path, str]]) -> None:
    if len(emitted) > 1:
        names = ", ".join(str(p) for p, _ in emitted)
        raise InputError(f"--emit-tests writes one `tests for` file; witnesses came from several rulesets ({names})")
    text = emitted[0][1] if emitted else ""
    if not text:
        return
    write_output_text(target, text)
