"""The SQL dialects leadrules writes, and every way in which they differ, in one place.

Each dialect is a `DialectProfile`: the sqlglot dialect it renders with, how the as-of instant
is bound as a parameter, the timestamp type, whether a SELECT list may use an alias it defines
itself (`lateral_alias`), and `overrides`, a map from sqlglot node class to
a function that renders that node where sqlglot's own output for the dialect does not run on
the warehouse (the same shape as a sqlglot generator's TRANSFORMS). Nothing else in
`engine/sql` knows a dialect by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from sqlglot import exp
from sqlglot.generator import Generator

from leadrules.errors import InputError

__all__ = ["Dialect", "DialectProfile", "PROFILES", "profile_for"]

Override = Callable[[Generator, exp.Expr], str]


class Dialect(str, Enum):
    DUCKDB = "duckdb"
    POSTGRES = "postgres"
    SPARK = "spark"
    BIGQUERY = "bigquery"
    SNOWFLAKE = "snowflake"


def _postgres_array_compact(generator: Generator, node: exp.Expr) -> str:
    # Postgres has no ARRAY_COMPACT: array_remove(arr, NULL) drops the NULL elements.
    call = exp.Anonymous(this="ARRAY_REMOVE", expressions=[node.this, exp.null()])
    return generator.sql(call)


def _pyformat_literal(generator: Generator, node: exp.Expr) -> str:
    # The Postgres query binds %(as_of)s, so it is read by a pyformat driver (psycopg), which
    # takes every '%' in the text for a placeholder: a '%' inside a string is written '%%' and
    # reaches the server as one '%'.
    assert isinstance(node, exp.Literal)
    text = generator.literal_sql(node)
    return text.replace("%", "%%") if node.is_string else text


def _bigquery_array_compact(generator: Generator, node: exp.Expr) -> str:
    # BigQuery has no ARRAY_COMPACT: rebuild the array from its non-NULL elements, in order.
    element = exp.to_identifier("lr_code")
    offset = exp.to_identifier("lr_offset")
    unnest = exp.Unnest(expressions=[node.this], alias=exp.TableAlias(columns=[element]), offset=offset)
    inner = (
        exp.select(exp.column(element))
        .from_(unnest)
        .where(exp.not_(exp.column(element).is_(exp.null())))
        .order_by(exp.column(offset))
    )
    return generator.sql(exp.Array(expressions=[inner]))


def portable_email_domain(value: exp.Expr) -> exp.Expr:
    """Text after the last '@', lower-cased; NULL without an '@' (REVERSE/STRPOS/RIGHT run everywhere)."""
    at_sign = exp.Literal.string("@")
    from_end = exp.StrPosition(this=exp.Reverse(this=value.copy()), substr=at_sign.copy())
    domain = exp.Lower(this=exp.Right(this=value.copy(), expression=exp.Sub(this=from_end, expression=exp.Literal.number(1))))
    has_at = exp.GT(this=exp.StrPosition(this=value.copy(), substr=at_sign.copy()), expression=exp.Literal.number(0))
    return exp.case().when(has_at, domain)


def duckdb_email_domain(value: exp.Expr) -> exp.Expr:
    """The same in DuckDB, without REVERSE: the last element of splitting at '@' (much faster)."""
    at_sign = exp.Literal.string("@")
    last = exp.Anonymous(this="LIST_EXTRACT", expressions=[
        exp.Anonymous(this="STRING_SPLIT", expressions=[value.copy(), at_sign.copy()]), exp.Literal.number(-1)])
    has_at = exp.GT(this=exp.StrPosition(this=value.copy(), substr=at_sign.copy()), expression=exp.Literal.number(0))
    return exp.case().when(has_at, exp.Lower(this=last))


@dataclass(frozen=True)
class DialectProfile:
    dialect: Dialect
    # sqlglot name of the dialect to render with
    sqlglot_name: str
    # how the as-of parameter is written: a named placeholder or a session variable
    as_of_style: str  # "placeholder" | "variable"
    # the warehouse type for UTC instants
    timestamp_name: str = "TIMESTAMP"
    overrides: Mapping[type[exp.Expr], Override] = field(default_factory=lambda: MappingProxyType({}))
    # builds `email.domain` of a text expression
    email_domain: Callable[[exp.Expr], exp.Expr] = portable_email_domain
    # how a user binds the as-of instant (shown at the top of the exported SQL and in docs/sql.md)
    binding_note: str = ""
    # whether an expression may name a column aliased earlier in the same SELECT list
    # (DuckDB, Spark 3.4+, Snowflake); Postgres and BigQuery resolve names only against the
    # FROM clause, so for them each such use gets a CTE of its own
    lateral_alias: bool = True
    # whether the query is read by a pyformat driver (psycopg), which takes every '%' in the
    # text, comments included, for a placeholder: text from the rule file doubles its '%'
    pyformat_percent: bool = False

    def as_of_parameter(self) -> exp.Expr:
        if self.as_of_style == "variable":
            return exp.Parameter(this=exp.var("as_of"))
        return exp.Placeholder(this="as_of")

    def timestamp_type(self) -> exp.DataType:
        return exp.DataType.build(self.timestamp_name)

    def compact_array(self, items: list[exp.Expr]) -> exp.Expr:
        """The non-NULL items as an array of text, in order; a typed empty array for none."""
        if not items:
            return exp.cast(exp.Array(expressions=[]), exp.DataType.build("ARRAY<TEXT>"))
        return exp.ArrayCompact(this=exp.Array(expressions=items))


PROFILES: Mapping[Dialect, DialectProfile] = MappingProxyType({
    Dialect.DUCKDB: DialectProfile(
        Dialect.DUCKDB, "duckdb", "placeholder", email_domain=duckdb_email_domain,
        binding_note="bind $as_of, e.g. con.execute(sql, {'as_of': datetime(2026, 11, 22)}) in Python",
    ),
    Dialect.POSTGRES: DialectProfile(
        Dialect.POSTGRES, "postgres", "placeholder", lateral_alias=False, pyformat_percent=True,
        overrides=MappingProxyType({exp.ArrayCompact: _postgres_array_compact, exp.Literal: _pyformat_literal}),
        binding_note="bind %(as_of)s, e.g. cursor.execute(sql, {'as_of': '2026-11-22 00:00:00'}) with psycopg",
    ),
    Dialect.SPARK: DialectProfile(
        Dialect.SPARK, "spark", "placeholder",
        binding_note="bind :as_of, e.g. spark.sql(sql, args={'as_of': '2026-11-22 00:00:00'}) "
                     "with spark.sql.session.timeZone=UTC",
    ),
    Dialect.BIGQUERY: DialectProfile(
        Dialect.BIGQUERY, "bigquery", "placeholder", timestamp_name="TIMESTAMPTZ", lateral_alias=False,
        overrides=MappingProxyType({exp.ArrayCompact: _bigquery_array_compact}),
        binding_note="bind @as_of as a TIMESTAMP query parameter (bq query --parameter=as_of:TIMESTAMP:...)",
    ),
    Dialect.SNOWFLAKE: DialectProfile(
        Dialect.SNOWFLAKE, "snowflake", "variable",
        binding_note="set the session variable first: SET as_of = '2026-11-22 00:00:00';",
    ),
})


def profile_for(name: str | Dialect) -> DialectProfile:
    """The profile of a dialect named as on the command line (`duckdb`, `postgres`, ...)."""
    try:
        return PROFILES[Dialect(name)]
    except ValueError:
        known = ", ".join(d.value for d in Dialect)
        raise InputError(f"unknown SQL dialect '{name}' (known: {known})") from None
