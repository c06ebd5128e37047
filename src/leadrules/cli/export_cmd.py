"""`leadrules export RULESET --to ast-json|lead-schema|sql`."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from leadrules.cli.eval_cmd import reject_tests_file
from leadrules.cli.lint_gate import report_or_refuse
from leadrules.io.render import get_renderer
from leadrules.workspace import LoadedFile, load_file, sources_for

__all__ = ["command"]

TARGETS = ("ast-json", "lead-schema", "sql")
DIALECTS = ("duckdb", "postgres", "spark", "bigquery", "snowflake")


@click.command("export", short_help="Export a ruleset as its AST (JSON), its lead JSON Schema, or SQL.")
@click.argument("ruleset")
@click.option("--to", "target", type=click.Choice(TARGETS), required=True, help="what to export")
@click.option("--dialect", type=click.Choice(DIALECTS), default="duckdb", show_default=True,
              help="SQL dialect for --to sql")
@click.option("--strict", is_flag=True,
              help="refuse (exit 1) a ruleset `check` rejects for error-level findings; default: warn and export")
def command(ruleset: str, target: str, dialect: str, strict: bool) -> None:
    """Export a ruleset as its AST (JSON), the JSON Schema of one lead, or SQL.

    For lead-schema and sql, error-level lint findings (those `check` rejects) are printed
    on stderr as warnings, or with --strict refuse the export.

    Exit status: 0 exported, 1 the ruleset has errors (for ast-json: syntax errors; with
    --strict: error-level lint findings), 2 usage or I/O error."""
    loaded = load_file(ruleset)
    if target == "ast-json":
        if loaded.module is None:
            _fail(loaded)
        from leadrules.io.export_ast import export_ast_json

        click.echo(export_ast_json(loaded.module))
        return
    reject_tests_file(loaded)
    if loaded.model is None:
        _fail(loaded)
    report_or_refuse(loaded, strict)
    if target == "lead-schema":
        from leadrules.io.export_schema import export_lead_schema

        click.echo(export_lead_schema(loaded.model))
    else:
        from leadrules.engine.sql import export_sql

        click.echo(export_sql(loaded.model, dialect))


def _fail(loaded: LoadedFile) -> NoReturn:
    sources = sources_for(loaded.diagnostics, {loaded.source.path: loaded.source})
    click.echo(get_renderer("text")(loaded.diagnostics, sources), err=True, nl=False)
    sys.exit(1)
