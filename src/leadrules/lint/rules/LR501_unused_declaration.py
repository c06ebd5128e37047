"""LR501 unused-declaration."""

from __future__ import annotations

from typing import ClassVar

from leadrules import model as m
from leadrules.diagnostics import Severity
from leadrules.ir.lower import model_expressions
from leadrules.lint.context import LintContext
from leadrules.lint.facts import walk

__all__ = ["UnusedDeclaration"]


class UnusedDeclaration:
    """Unused field, event, list or condition.

    ## What it does
    Reports a declared field, event, `list` or `condition` that no score, condition,
    disqualifier, stage criterion or route reads.

    ## Why it matters
    Unused declarations suggest a rule that was meant to use them and does not, and they
    make the lead schema ask for data nothing reads.

    ## Example
    ```
    field country: text      # no rule mentions country
    ```

    ## How to fix
    Use it, or delete the declaration. A field kept for the lead schema can carry
    `# noqa: LR501`.
    """

    code: ClassVar[str] = "LR501"
    name: ClassVar[str] = "unused-declaration"
    severity: ClassVar[Severity] = Severity.INFO

    def run(self, ctx: LintContext) -> None:
        model = ctx.model
        used: set[tuple[str, str]] = set()
        for top in model_expressions(model):
            for e in walk(top):
                if isinstance(e, (m.FieldValue, m.EmailDomain)):
                    used.add(("field", e.field))
                elif isinstance(e, (m.HasEvent, m.EventCount)):
                    used.add(("event", e.event))
                elif isinstance(e, m.ConditionValue):
                    used.add(("condition", e.condition))
        for score in model.scores.values():
            for rule in score.rules:
                if isinstance(rule, m.PerEventRule):
                    used.add(("event", rule.event))
                elif isinstance(rule, m.PerFieldRule):
                    used.add(("field", rule.field))
        for name, f in model.fields.items():
            if ("field", name) not in used:
                ctx.report(self.code, f"field '{name}' is never used", f.span)
        for name, span in model.events.items():
            if ("event", name) not in used:
                ctx.report(self.code, f"event '{name}' is never used", span)
        for name, span in model.list_spans.items():
            if name not in model.used_lists:
                ctx.report(self.code, f"list '{name}' is never used", span)
        for name, condition in model.conditions.items():
            if ("condition", name) not in used:
                ctx.report(self.code, f"condition '{name}' is never used", condition.span)
