"""`leadrules doc RULES [--format markdown|html] [-o FILE]`: the ruleset in words for sales and
marketing."""

from __future__ import annotations

import sys

import click

from leadrules.cli.eval_cmd import check_output_path, reject_tests_file
from leadrules.doc import FORMATS, document_for, render
from leadrules.errors import InputError
from leadrules.io.output import write_output_text
from leadrules.io.render import get_renderer
from leadrules.workspace import STDIN_NAME, LoadedFile, load_file, load_source, read_stdin_source, sources_for

__all__ = ["command"]


@click.command("doc", short_help="Write a ruleset up in words for sales and marketing.")
@click.argument("ruleset")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="markdown", show_default=True,
              help="markdown (with a Mermaid funnel diagram) or one self-contained HTML page")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="write the document to this file instead of standard output")
def command(ruleset: str, output_format: str, output: str | None) -> None:
    """Write RULESET up in words: stages and their criteria as sentences, the funnel as a
    diagram, points tables, bands, disqualifiers, routes, handoff, the fields it reads, its
    tests as worked examples and its lint status. Comments above statements become the prose
    beside them. The same file always gives the same document.

    `-` reads the rule file from standard input (its configuration is the current folder's).

    Exit status: 0 written, 1 the ruleset has errors (diagnostics on standard error),
    2 usage or I/O error."""
    check_output_path(output)
    loaded = load_file(ruleset) if ruleset != "-" else _load_stdin()
    reject_tests_file(loaded)
    if loaded.module is None or loaded.model is None:
        sources = sources_for(loaded.diagnostics, {loaded.source.path: loaded.source})
        click.echo(get_renderer("text")(loaded.diagnostics, sources), err=True, nl=False)
        sys.exit(1)
    text = render(document_for(loaded.module, loaded.model, loaded.source), output_format)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output_text(output, text)


def _load_stdin() -> LoadedFile:
    try:
        data = sys.stdin.buffer.read()
    except OSError as exc:
        raise InputError(f"{STDIN_NAME}: cannot read ({exc.strerror or exc})") from None
    return load_source(read_stdin_source(data))
