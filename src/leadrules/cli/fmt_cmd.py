"""`leadrules fmt PATH... [--check] [--diff]`: rewrite rule files in the canonical layout."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from leadrules.io.fmt import format_module
from leadrules.io.output import write_output_text
from leadrules.io.render import get_renderer
from leadrules.syntax import parse
from leadrules.workspace import collect_rule_files, read_source

__all__ = ["command"]


@click.command("fmt", short_help="Rewrite rule files in the canonical layout, comments kept.")
@click.argument("paths", nargs=-1, required=True)
@click.option("--check", "check_only", is_flag=True, help="write nothing; exit 1 if a file would change")
@click.option("--diff", "show_diff", is_flag=True,
              help="write nothing; print a unified diff of the changes (with --check, exit 1 too)")
def command(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> None:
    """Rewrite rule files (or folders of *.rules) in the canonical layout, comments kept.

    A file with a syntax error is left untouched. Exit status: 0 done (--check: nothing would
    change), 1 a file would change (--check) or has a syntax error, 2 usage or I/O error."""
    files = collect_rule_files(paths)
    would_change: list[Path] = []
    failures = 0
    for path in files:
        source = read_source(path)
        module, diagnostics = parse(source)
        if module is None:
            click.echo(get_renderer("text")(diagnostics, {source.path: source}), err=True, nl=False)
            failures += 1
            continue
        formatted = format_module(module, source)
        if formatted == source.text:
            continue
        would_change.append(path)
        if show_diff:
            diff = difflib.unified_diff(
                source.text.splitlines(keepends=True),
                formatted.splitlines(keepends=True),
                fromfile=f"{path}",
                tofile=f"{path} (formatted)",
            )
            click.echo("".join(diff), nl=False)
        elif check_only:
            click.echo(f"would reformat {path}")
        else:
            _write(path, formatted)
            click.echo(f"reformatted {path}", err=True)
    if not check_only and not show_diff:
        unchanged = len(files) - len(would_change) - failures
        click.echo(f"{len(would_change)} file(s) reformatted, {unchanged} unchanged"
                   + (f", {failures} left untouched (syntax errors)" if failures else ""), err=True)
    elif would_change or failures:
        click.echo(f"{len(would_change)} file(s) would be reformatted"
                   + (f", {failures} left untouched (syntax errors)" if failures else ""), err=True)
    if failures or (check_only and would_change):
        sys.exit(1)


def _write(path: Path, text: str) -> None:
    # a rule file kept as a symlink stays one (its target is rewritten); the file keeps its mode
    write_output_text(path, text)
