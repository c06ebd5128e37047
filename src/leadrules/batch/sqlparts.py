"""Small sqlglot builders the batch runner's statements share, and the one way they become
DuckDB text (`engine.sql.render`). Data (paths, rule strings) only ever enters as literals."""

from __future__ import annotations

from sqlglot import exp

from leadrules.engine.sql.dialects import Dialect, profile_for
from leadrules.engine.sql.render import render

__all__ = ["lit", "num", "fn", "col", "matches", "sql", "concat", "create", "drop_table", "count_rows", "describe"]


def lit(text: str) -> exp.Expr:
    """A string literal."""
    return exp.Literal.string(text)


def num(value: int) -> exp.Expr:
    """A number literal."""
    return exp.Literal.number(value)


def fn(name: str, *args: exp.Expr) -> exp.Expr:
    """A DuckDB function call."""
    return exp.func(name, *args, dialect="duckdb")


def col(name: str, table: str | None = None) -> exp.Expr:
    """A quoted column (field, score and band names are the user's)."""
    return exp.column(name, table=table, quoted=True)


def matches(value: exp.Expr, pattern: str) -> exp.Expr:
    return exp.func("regexp_full_match", value, lit(pattern))


def sql(tree: exp.Expr) -> str:
    return render(tree, profile_for(Dialect.DUCKDB), pretty=False)


def concat(*parts: exp.Expr) -> exp.Expr:
    total = parts[0]
    for part in parts[1:]:
        total = exp.DPipe(this=total, expression=part, safe=True)
    return total


def create(name: str, select: exp.Expr, kind: str = "TABLE") -> str:
    """`CREATE TABLE name AS select` (or a VIEW) as text."""
    return sql(exp.Create(this=exp.to_table(name), kind=kind, expression=select))


def drop_table(name: str) -> str:
    return sql(exp.Drop(tables=[exp.to_table(name)], kind="TABLE"))


def count_rows(table: str) -> str:
    return sql(exp.select(exp.Count(this=exp.Star())).from_(table))


def describe(table: str) -> str:
    return sql(exp.Describe(this=exp.to_table(table)))
