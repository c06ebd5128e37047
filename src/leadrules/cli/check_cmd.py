"""`leadrules check PATH...`: parse, type-check and lint rule files."""

from __future__ import annotations

import sys

import click

from leadrules.diagnostics import Diagnostic, Severity
from leadrules.io.render import RENDERERS, get_renderer
from leadrules.source import SourceFile
from leadrules.workspace import collect_rule_files, load_file

__all__ = ["command"]


@click.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "output_format", type=click.Choice(RENDERERS), default="text", show_default=True)
def command(paths: tuple[str, ...], output_format: str) -> None:
    """Parse, type-check and lint rule files or folders of *.rules."""
    files = collect_rule_files(paths)
    diagnostics: list[Diagnostic] = []
    sources: dict[str, SourceFile] = {}
    for path in files:
        loaded = load_file(path)
        sources[loaded.source.path] = loaded.source
        diagnostics.extend(loaded.diagnostics)
    text = get_renderer(output_format)(diagnostics, sources)
    if text:
        click.echo(text, nl=False)
    if output_format == "text":
        errors = sum(d.level is Severity.ERROR for d in diagnostics)
        click.echo(f"{len(files)} file(s) checked, {errors} error(s), {len(diagnostics) - errors} other finding(s)",
                   err=True)
    sys.exit(1 if any(d.level is Severity.ERROR for d in diagnostics) else 0)
