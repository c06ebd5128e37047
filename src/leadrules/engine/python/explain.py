"""The ledger behind one evaluation, for `leadrules explain` and `eval --explain`.

`build_explanation` reads the `runtime.Trace` the generated `trace` function returns (points of
every rule, truth of every disqualifier, criterion and route entry, event counts, scores,
bands, conditions) and adds, for the next stage up, the truth of each clause of its criterion
with the values involved. Clause truth is worked out by the plan interpreter
(`leadrules.ir.interpret`) over the traced values; the criterion as a whole always comes from
the compiled code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.engine.python.codegen import GeneratedModule
from leadrules.engine.python.runtime import Trace
from leadrules.engine.validate import ValidLead
from leadrules.ir import Lowering, Plan
from leadrules.ir import plan as p
from leadrules.ir.interpret import Interpreter, LeadValues
from leadrules.model_text import describe, describe_rule, show_value
from leadrules.values import format_number, json_number

__all__ = ["Explanation", "RuleTrace", "Clause", "NextStage", "build_explanation", "ledger_text"]

Truth = bool | None

_RULE_KINDS: dict[type, str] = {p.IfPoints: "if", p.EventPoints: "per_event", p.FieldPoints: "per_field"}


@dataclass(frozen=True, slots=True)
class RuleTrace:
    score: str
    index: int  # position of the rule within its score, from 0
    label: str | None
    kind: str  # "if" | "per_event" | "per_field"
    fired: bool
    points: Decimal
    text: str = ""  # the rule as written, e.g. "+10 per ebook_download (max 20)"


@dataclass(frozen=True, slots=True)
class Clause:
    """One `and`-part of a criterion: its text, truth and the values it looked at."""

    text: str
    truth: Truth
    values: str  # e.g. "has 30", "none", "employees is missing"

    @property
    def lacking(self) -> str:
        """How `explain` says what is missing: `engagement > 50 (has 30)`."""
        return f"{self.text} ({self.values})" if self.values else self.text


@dataclass(frozen=True, slots=True)
class NextStage:
    stage: str
    truth: Truth  # of its whole criterion
    clauses: tuple[Clause, ...]
    blocked_by: tuple[str, ...]  # true scoped disqualifiers that block it

    def summary(self) -> str:
        """`SQL needs engagement > 50 (has 30) and a pricing_page_view (none)`."""
        parts = []
        if self.blocked_by:
            parts.append("is blocked by " + ", ".join(self.blocked_by))
        lacking = [c.lacking for c in self.clauses if c.truth is not True]
        if lacking:
            parts.append("needs " + " and ".join(lacking))
        if not parts:
            return f"{self.stage}: criterion met"
        return f"{self.stage} " + "; ".join(parts)


@dataclass(frozen=True)
class Explanation:
    record: dict[str, Any]
    rules: tuple[RuleTrace, ...] = ()
    disqualifiers: tuple[tuple[str, Truth], ...] = ()
    criteria: dict[str, Truth] = field(default_factory=dict)
    routes: dict[str, tuple[Truth, ...]] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # field → typed value (None = missing)
    counts: dict[str, int] = field(default_factory=dict)  # "ebook_download in last 30 days" → n
    scores: dict[str, int | Decimal] = field(default_factory=dict)
    bands: dict[str, str | None] = field(default_factory=dict)
    conditions: dict[str, Truth] = field(default_factory=dict)
    next_stage: NextStage | None = None
    domains: dict[str, str | None] = field(default_factory=dict)  # email field → its .domain
    slot_counts: dict[tuple[str, int | None], int] = field(default_factory=dict)  # (event, window s)
    # the generated module the values came from (its plan says what they line up with)
    module: GeneratedModule | None = field(default=None, compare=False, repr=False)

    @property
    def valid(self) -> bool:
        return "error" not in self.record

    def clauses(self, model: m.CheckedModel, stage: str) -> tuple[Clause, ...]:
        """Each `and`-part of a stage's criterion with its truth and the values it looked at."""
        criterion = model.criteria.get(stage)
        if criterion is None or not self.valid or self.module is None:
            return ()
        lowering = self.module.lowering
        interpreter = Interpreter(self._lead_values(self.module.plan))
        return tuple(
            Clause(_clause_text(c, model), interpreter.value(lowering.expr(c)), _involved(c, lowering, interpreter))
            for c in _clauses(criterion.condition))

    def _lead_values(self, plan: Plan) -> LeadValues:
        """The traced values by the plan's positions, for the interpreter."""
        return LeadValues(
            values=tuple(self.values[f.name] for f in plan.fields),
            counts=tuple(self.slot_counts[(s.event, s.seconds)] for s in plan.slots),
            domains={i: self.domains[f.name] for i, f in enumerate(plan.fields) if f.name in self.domains},
            scores=tuple(self.scores[name] for name in plan.scores),
            bands=tuple(self.bands[name] for name in plan.bands),
            conditions=tuple(self.conditions[name] for name in plan.conditions),
        )

    def ledger(self, model: m.CheckedModel) -> dict[str, Any]:
        """The `"explain"` value of `eval --explain`: what fired and what the next stage lacks."""
        reasons = {d.code: d for d in model.disqualifiers}
        return {
            "rules": [
                {"score": r.score, "rule": r.text, **({"label": r.label} if r.label else {}),
                 "points": json_number(r.points)}
                for r in self.rules if r.fired
            ],
            "disqualifiers": [
                {"code": code, "reason": reasons[code].reason, "at": reasons[code].at}
                for code, truth in self.disqualifiers if truth is True
            ],
            "next_stage": None if self.next_stage is None else {
                "stage": self.next_stage.stage,
                "blocked_by": list(self.next_stage.blocked_by),
                "lacks": [c.lacking for c in self.next_stage.clauses if c.truth is not True],
            },
        }


# ---- describing the model in rule-file words ---------------------------------------------


def _window(window: m.Window | None) -> str:
    return f" {window}" if window is not None else ""


# ---- clause truth for the next stage --------------------------------------------------------


_LEAVES = (m.FieldValue, m.EmailDomain, m.ScoreValue, m.BandValue, m.ConditionValue, m.EventCount)


def _involved(expr: m.Expr, lowering: Lowering, interpreter: Interpreter) -> str:
    """The values of the non-constant parts of a clause: `has 30`, `none`, `x is missing`.
    The parts are named as the rule file writes them; their values come from the plan."""
    if isinstance(expr, m.HasEvent):
        count = interpreter.value(lowering.expr(m.EventCount(expr.event, expr.window, expr.span)))
        return "none" if count == 0 else f"has {count}"
    leaves: list[m.Expr] = []

    def walk(e: m.Expr) -> None:
        if isinstance(e, _LEAVES):
            if e not in leaves:
                leaves.append(e)
        elif isinstance(e, m.HasEvent):
            leaves.append(m.EventCount(e.event, e.window, e.span))
        else:
            for child in m.children(e):
                walk(child)

    walk(expr)
    shown = []
    for leaf in leaves:
        v = interpreter.value(lowering.expr(leaf))
        name = describe(leaf)
        if v is None:
            shown.append(f"{name} is missing")
        elif len(leaves) == 1:
            shown.append(f"has {show_value(v)}")
        else:
            shown.append(f"{name} is {show_value(v)}")
    return ", ".join(shown)


def _clauses(expr: m.Expr) -> list[m.Expr]:
    if isinstance(expr, m.And):
        return [c for operand in expr.operands for c in _clauses(operand)]
    return [expr]


def _clause_text(expr: m.Expr, model: m.CheckedModel) -> str:
    if isinstance(expr, m.HasEvent):
        return f"a {expr.event}{_window(expr.window)}"
    return describe(expr, model)


def build_explanation(model: m.CheckedModel, generated: GeneratedModule, record: dict[str, Any],
                      lead: ValidLead | None, traced: Trace | None, *,
                      detailed: bool = True) -> Explanation:
    """The ledger of one evaluation. `detailed=False` skips what only a person reads (rule
    texts, the next stage's clauses), for callers that judge many leads by their truths."""
    if lead is None or traced is None:
        return Explanation(record=record)
    plan = generated.plan
    rules = tuple(
        RuleTrace(score, index, rule.label, _RULE_KINDS[type(rule)], bool(fired), Decimal(points),
                  describe_rule(model.scores[score].rules[index], model) if detailed else "")
        for (score, index, rule), (fired, points) in zip(generated.rules, traced.rule_points, strict=True))
    explanation = Explanation(
        record=record,
        rules=rules,
        disqualifiers=tuple((d.code, truth) for d, truth
                            in zip(plan.funnel.disqualifiers, traced.disqualifiers, strict=True)),
        criteria=dict(zip(generated.criteria, traced.criteria, strict=True)),
        routes=dict(zip(generated.routes, traced.routes, strict=True)),
        values=dict(zip(model.fields, lead.values, strict=True)),
        counts={s.event + _window(s.window): count for s, count in zip(plan.slots, traced.counts, strict=True)},
        scores=dict(zip(plan.scores, traced.scores, strict=True)),
        bands=dict(zip(plan.bands, traced.bands, strict=True)),
        conditions=dict(zip(plan.conditions, traced.conditions, strict=True)),
        domains=dict(zip(plan.email_fields, traced.domains, strict=True)),
        slot_counts=dict(zip(generated.slots, traced.counts, strict=True)),
        module=generated,
    )
    next_stage = _next_stage(model, plan.funnel, explanation) if detailed else None
    if next_stage is None:
        return explanation
    return replace(explanation, next_stage=next_stage)


def _next_stage(model: m.CheckedModel, funnel: p.Funnel, e: Explanation) -> NextStage | None:
    """The first stage above the lead's with a criterion, what blocks it and what it lacks."""
    stage = e.record.get("stage")
    if stage not in funnel.stages:
        return None
    position = funnel.stages.index(stage)
    target = next((c for c in funnel.ladder if c.index > position), None)
    if target is None:
        return None
    blocked_by = tuple(
        d.code for d, (_, truth) in zip(funnel.disqualifiers, e.disqualifiers, strict=True)
        if truth is True and d.blocks is not None and d.blocks <= target.index
    )
    return NextStage(target.stage, e.criteria.get(target.stage), e.clauses(model, target.stage), blocked_by)


def ledger_text(explanation: Explanation, model: m.CheckedModel) -> list[str]:
    """The ledger as plain text lines (for test failures and logs)."""
    record = explanation.record
    if not explanation.valid:
        return [f"invalid lead: {record['error']['message']}"]
    lines = []
    for rule in explanation.rules:
        if rule.fired:
            label = f"{rule.label}: " if rule.label else ""
            lines.append(f"{rule.score}: {label}{rule.text} → {format_number(rule.points)}")
    scores = ", ".join(f"{k} {show_value(v)}" for k, v in record["scores"].items())
    bands = ", ".join(f"{k} {show_value(v)}" for k, v in record["bands"].items())
    lines.append("scores: " + (scores or "none") + (f"; bands: {bands}" if bands else ""))
    fired = [code for code, truth in explanation.disqualifiers if truth is True]
    lines.append("disqualifiers: " + (", ".join(fired) if fired else "none fired"))
    lines.append(f"stage: {record['stage']}; route: {record['route'] if record['route'] is not None else 'none'}")
    if explanation.next_stage is not None:
        lines.append("next: " + explanation.next_stage.summary())
    return lines
