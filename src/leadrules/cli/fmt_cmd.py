"""`leadrules fmt PATH... [--check] [--diff]`: rewrite rule files in the canonical layout
(`fmt -`: standard input to standard output)."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from leadrules.errors import InputError
from leadrules.io.fmt import format_module
from leadrules.io.output import write_output_text
from leadrules.io.render import get_renderer
from leadrules.syntax import parse
from leadrules.workspace import STDIN_NAME, collect_rule_files, read_source, read_stdin_source

__all__ = ["command"]


@click.command("fmt", short_help="Rewrite rule files in the canonical layout, comments kept.")
@click.argument("paths", nargs=-1, required=True)
@click.option("--check", "check_only", is_flag=True, help="write nothing; exit 1 if a file would change")
@click.option("--diff", "show_diff", is_flag=True,
              help="write nothing; print a unified diff of the changes (with --check, exit 1 too)")
def command(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> None:
    """Rewrite rule files (or folders of *.rules) in the canonical layout, comments kept.

    A file with a syntax error is left untouched. `-` reads one file from standard input and
    writes it formatted to standard output. Exit status: 0 done (--check: nothing would
    change), 1 a file would change (--check) or has a syntax error, 2 usage or I/O error."""
    if "-" in paths:
        if len(paths) > 1:
            raise click.BadParameter("'-' (standard input) cannot be combined with other paths", param_hint="PATHS")
        _format_stdin(check_only, show_diff)
        return
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


def _format_stdin(check_only: bool, show_diff: bool) -> None:
    """`fmt -`: the formatted text on standard output; with --check or --diff only the verdict or
    the diff. A syntax error prints its diagnostics on standard error, nothing on standard output."""
    try:
        data = sys.stdin.buffer.read()
    except OSError as exc:
        raise InputError(f"{STDIN_NAME}: cannot read ({exc.strerror or exc})") from None
    source = read_stdin_source(data)
    module, diagnostics = parse(source)
    if module is None:
        click.echo(get_renderer("text")(diagnostics, {source.path: source}), err=True, nl=False)
        sys.exit(1)
    formatted = format_module(module, source)
    changed = formatted != source.text
    if show_diff:
        diff = difflib.unified_diff(source.text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                                    fromfile=STDIN_NAME, tofile=f"{STDIN_NAME} (formatted)")
        click.echo("".join(diff), nl=False)
    elif check_only:
        if changed:
            click.echo(f"would reformat {STDIN_NAME}")
    else:
        click.echo(formatted, nl=False)
    if check_only and changed:
        sys.exit(1)


def _write(path: Path, text: str) -> None:
    # a rule file kept as a symlink stays one (its target is rewritten); the file keeps its mode
    write_output_text(path, text)
