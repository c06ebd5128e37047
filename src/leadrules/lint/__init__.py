"""The linter: prove a ruleset sound before it goes live (LR101–LR501), with witness leads.

`lint(model, config)` encodes the CheckedModel for z3 once, runs every enabled rule of the
registry against one incremental solver, and returns the findings in source order.
"""

from __future__ import annotations

from leadrules import model as m
from leadrules.config import Config
from leadrules.diagnostics import Diagnostic
from leadrules.lint.context import LintContext
from leadrules.lint.registry import RULES, SOLVER_CODES

__all__ = ["lint"]


def lint(model: m.CheckedModel, config: Config | None = None) -> list[Diagnostic]:
    """Semantic findings for a model that passed the checker, sorted by position then code."""
    config = config or Config()
    ctx = LintContext.create(model, config)
    for rule_class in RULES:
        if config.enabled(rule_class.code):
            rule_class().run(ctx)
    found = [d for d in ctx.diagnostics if d.code in SOLVER_CODES or config.enabled(d.code)]
    found.sort(key=lambda d: (d.span.line, d.span.column, d.code))
    return found
