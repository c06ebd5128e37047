"""sqlglot tree → SQL text for one dialect. The only place SQL becomes text.

Rendering runs with `unsupported_level=ErrorLevel.RAISE`: a construct the dialect cannot
express stops the export with a one-line message instead of writing SQL that means something
else. The dialect's `overrides` are applied by a generator subclass made per call, so no
sqlglot class or registry is changed.
"""

from __future__ import annotations

from typing import cast

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as SqlglotDialect
from sqlglot.errors import ErrorLevel, UnsupportedError
from sqlglot.generator import Generator

from leadrules.engine.sql.dialects import DialectProfile
from leadrules.errors import InputError

__all__ = ["render"]


def render(tree: exp.Expr, profile: DialectProfile, *, pretty: bool = True) -> str:
    dialect = SqlglotDialect.get_or_raise(profile.sqlglot_name)
    base = dialect.generator_class
    generator_class: type[Generator] = base
    if profile.overrides:
        transforms = {**base.TRANSFORMS, **profile.overrides}
        generator_class = cast("type[Generator]", type(base.__name__ + "WithLeadrules", (base,), {"TRANSFORMS": transforms}))
    generator = generator_class(
        dialect=dialect, pretty=pretty, unsupported_level=ErrorLevel.RAISE, identify=False
    )
    try:
        return generator.generate(tree, copy=True)
    except UnsupportedError as exc:
        raise InputError(f"this ruleset cannot be written as {profile.dialect.value} SQL: {exc}") from None
