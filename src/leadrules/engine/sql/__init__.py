"""The SQL backend: a checked ruleset as one SQL query over `leads` and `events` tables.

Model → SQL only: `build` (the sqlglot tree), `dialects` (what each dialect needs) and
`render` (tree → text). `export_sql(model, dialect)` is what `leadrules export --to sql`
prints; `leadrules.batch` runs the same query in-process with DuckDB over lead files.
sqlglot is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadrules import model as m

if TYPE_CHECKING:
    from leadrules.engine.sql.build import CompiledQuery, QuerySource
    from leadrules.engine.sql.dialects import Dialect, DialectProfile, profile_for

__all__ = ["export_sql", "compile_query", "CompiledQuery", "QuerySource", "Dialect", "DialectProfile", "profile_for",
           "DECIMAL_TYPE"]

# Points, scores and number fields: exact decimals with the language's six decimal places
# (here, where the batch runner reads it without importing the builder).
DECIMAL_TYPE = "DECIMAL(38, 6)"

_LAZY = {
    "CompiledQuery": "leadrules.engine.sql.build", "QuerySource": "leadrules.engine.sql.build",
    "Dialect": "leadrules.engine.sql.dialects", "DialectProfile": "leadrules.engine.sql.dialects",
    "profile_for": "leadrules.engine.sql.dialects",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def compile_query(model: m.CheckedModel, dialect: str | Dialect = "duckdb",
                  source: QuerySource | None = None) -> CompiledQuery:
    from leadrules.engine.sql.build import build_query
    from leadrules.engine.sql.dialects import profile_for

    return build_query(model, profile_for(dialect), source)


def export_sql(model: m.CheckedModel, dialect: str | Dialect = "duckdb") -> str:
    """The ruleset as one SQL query for `dialect`, with a header saying how to bind the as-of."""
    from leadrules.engine.sql.build import build_query
    from leadrules.engine.sql.dialects import profile_for
    from leadrules.engine.sql.render import render

    profile = profile_for(dialect)
    compiled = build_query(model, profile)
    body = render(compiled.select, profile)
    name, version = model.name, model.version
    if profile.pyformat_percent:
        name, version = name.replace("%", "%%"), version.replace("%", "%%")
    header = [
        f"-- leadrules: ruleset {name} version {version}, {profile.dialect.value} SQL",
        "-- inputs: leads (id and one column per declared field), events (lead_id, type, at: UTC timestamp)",
        f"-- as-of instant: {profile.binding_note}",
    ]
    return "\n".join(_comment_safe(line) for line in header) + "\n" + body + ";"


def _comment_safe(line: str) -> str:
    # ruleset names come from the rule file: keep them on this one comment line
    return " ".join(line.splitlines())
