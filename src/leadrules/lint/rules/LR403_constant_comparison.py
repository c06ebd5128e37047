"""LR403 constant-comparison."""

from __future__ import annotations

from typing import ClassVar

from leadrules import model as m
from leadrules.diagnostics import Severity
from leadrules.ir.lower import model_expressions
from leadrules.lint.context import UNKNOWN, UNSAT, LintContext
from leadrules.lint.facts import walk
from leadrules.model_text import describe

__all__ = ["ConstantComparison"]


class ConstantComparison:
    """Comparison always true or always false given types, ranges and score bounds.

    ## What it does
    Checks every comparison, `in` test and text test: when its operands are known, can it
    be true, and can it be false? If one of the two is impossible for every valid lead, the
    comparison is constant (only missing data can change it, to unknown).

    ## Why it matters
    A constant comparison is dead logic: a threshold above a score's `max`, a value outside
    a field's range, an `in` list that holds every `one of` value.

    ## Example
    ```
    score fit (min 0, max 60): ...
    stage SQL if fit >= 70          # always false
    ```

    ## How to fix
    Fix the threshold or the declared range, or drop the comparison.
    """

    code: ClassVar[str] = "LR403"
    name: ClassVar[str] = "constant-comparison"
    severity: ClassVar[Severity] = Severity.WARNING

    def run(self, ctx: LintContext) -> None:
        enc = ctx.encoding
        seen: set[tuple[int, int, int, int]] = set()
        for top in model_expressions(ctx.model):
            for e in walk(top):
                if not isinstance(e, (m.Compare, m.InSet, m.TextTest)):
                    continue
                where = (e.span.line, e.span.column, e.span.end_line, e.span.end_column)
                if where in seen:
                    continue
                seen.add(where)
                c = enc.cond(e)
                can_be_true = ctx.possible(c.true)
                can_be_false = ctx.possible(c.false)
                if UNKNOWN in (can_be_true, can_be_false):
                    ctx.incomplete(f"`{describe(e)}`", e.span)
                    continue
                if can_be_true == UNSAT and can_be_false == UNSAT:
                    continue  # never known: reported through the rules that use it
                if can_be_true == UNSAT:
                    ctx.report(self.code, f"`{describe(e)}` is always false for a valid lead", e.span)
                elif can_be_false == UNSAT:
                    ctx.report(self.code, f"`{describe(e)}` is always true when its values are present", e.span)
