"""Lowered plan → one sqlglot SELECT over a `leads` and an `events` relation.

The query is emitted from `ir.lower(model)`: expressions through `SqlExpressions` (the plan's
`ExprEmitter`, one method per node type), points, scores and bands through `SqlScoring` (its
`ScoringEmitter`), the decision from `plan.funnel`, whose docstring defines stage selection.

The tree is built only with sqlglot builder functions and node classes; every literal that
comes from a rule file enters the tree through `exp.Literal` (or a typed cast of one), so rule
text is always data, never SQL. Dialect differences are not decided here: the few constructs
that differ (array compaction, the as-of placeholder, the timestamp type) are built through a
`DialectProfile` from `dialects.py`.

Shape of the query (each CTE adds columns to the one before it; internal columns carry a
kind prefix and an index, `f0_email`, `c2_decision_maker`, `s0_fit`, so they never collide
with each other or with the team's own columns, whatever the case rules of the warehouse):

    lr_params        the as-of instant, bound once
    lr_event_counts  per lead: one count per (event, window) the ruleset uses (`plan.slots`)
    lr_input         declared fields of each lead, the domains of `plan.email_fields`, and
                     its counts (0 when none)
    lr_step1..N      conditions, scores and bands, one CTE per level of `plan.levels()`
    lr_disqualifiers disqualifier flags, in its own CTE only for a dialect without lateral
                     alias reuse (Postgres, BigQuery) when a stage criterion reads a flag
    lr_decision      disqualifier flags (unless in lr_disqualifiers), stage criteria
    final SELECT     the columns of `plan.output.sql_columns`
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlglot import exp

from leadrules import model as m
from leadrules.engine.sql import DECIMAL_TYPE
from leadrules.engine.sql.dialects import DialectProfile
from leadrules.ir import Plan, lower
from leadrules.ir import nodes as n
from leadrules.ir import plan as p
from leadrules.ir.emitter import ExprEmitter, ScoringEmitter
from leadrules.values import format_number

__all__ = ["QuerySource", "CompiledQuery", "build_query", "DECIMAL_TYPE", "SqlExpressions", "SqlScoring"]

_NAME_LIMIT = 40  # keeps internal identifiers well under Postgres' 63-byte limit


@dataclass(frozen=True)
class QuerySource:
    """Where the query reads its input: relation and column names."""

    leads_table: str = "leads"
    events_table: str | None = "events"
    # column of `leads` that events join on, and the matching column of `events`
    lead_key: str = "id"
    event_key: str = "lead_id"
    event_type: str = "type"
    event_at: str = "at"
    # column that becomes the output `id`
    id_column: str = "id"
    # field name → column of `leads`; fields not listed read the column of their own name
    field_columns: dict[str, str] = field(default_factory=dict)
    # cast number fields to DECIMAL(38, 6) on input (warehouse tables may hold DOUBLE)
    cast_numbers: bool = True


@dataclass(frozen=True)
class CompiledQuery:
    """The query and the names of its output columns (`plan.output.sql_columns`), in order."""

    select: exp.Select
    columns: tuple[str, ...]


def build_query(model: m.CheckedModel, profile: DialectProfile, source: QuerySource | None = None,
                plan: Plan | None = None) -> CompiledQuery:
    """The query of a checked model; pass `plan` when the caller has already lowered it."""
    return _Builder(plan if plan is not None else lower(model), profile, source or QuerySource()).build()


# ---- internal column names ----------------------------------------------------------------


def _internal(prefix: str, index: int, name: str) -> str:
    """A kind prefix plus an index keeps a column unique in any warehouse."""
    return f"{prefix}{index}_{name[:_NAME_LIMIT]}"


def _field_column(node: n.Input) -> str:
    return _internal("f", node.index, node.field)


def _count_column(slot: n.EventSlot) -> str:
    return _internal("e", slot.index, slot.event)


def _score_column(index: int, name: str) -> str:
    return _internal("s", index, name)


def _band_column(index: int, name: str) -> str:
    return _internal("b", index, name)


def _condition_column(index: int, name: str) -> str:
    return _internal("c", index, name)


def _disqualifier_column(disqualifier: p.Disqualifier) -> str:
    return _internal("d", disqualifier.index, disqualifier.code)


def _criterion_column(criterion: p.Criterion) -> str:
    return _internal("g", criterion.index, criterion.stage)


def _domain_columns(plan: Plan) -> dict[str, str]:
    """Column of each email field's domain, computed once in lr_input (first-use order)."""
    return {name: _internal("m", i, name) for i, name in enumerate(plan.email_fields)}


# ---- expressions ----------------------------------------------------------------------------


class SqlExpressions(ExprEmitter[exp.Expr]):
    """Each plan node as a sqlglot expression over the columns of lr_input and the steps.

    A missing value is NULL and an unknown condition NULL, so SQL's own three-valued logic is
    the language's Kleene logic; where SQL differs (an empty IN list, `contains ""`) the node
    says so below. Every call builds a fresh tree: a sqlglot node has one parent."""

    def __init__(self, profile: DialectProfile, domain_columns: dict[str, str]) -> None:
        self.profile = profile
        self.domain_columns = domain_columns

    def literal(self, value: n.ConstValue) -> exp.Expr:
        if isinstance(value, bool):
            return exp.true() if value else exp.false()
        if isinstance(value, Decimal):
            return _number(value)
        if isinstance(value, str):
            return exp.Literal.string(value)
        if isinstance(value, dt.datetime):
            naive = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return exp.cast(exp.Literal.string(naive.isoformat(sep=" ")), self.profile.timestamp_type())
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")

    def const(self, node: n.Const) -> exp.Expr:
        return self.literal(node.value)

    def input(self, node: n.Input) -> exp.Expr:
        return exp.column(_field_column(node))

    def domain(self, node: n.Domain) -> exp.Expr:
        return exp.column(self.domain_columns[node.field])

    def score_ref(self, node: n.ScoreRef) -> exp.Expr:
        return exp.column(_score_column(node.index, node.score))

    def band_ref(self, node: n.BandRef) -> exp.Expr:
        return exp.column(_band_column(node.index, node.band))

    def condition_ref(self, node: n.ConditionRef) -> exp.Expr:
        return exp.column(_condition_column(node.index, node.condition))

    def event_aggregate(self, node: n.EventAggregate) -> exp.Expr:
        return exp.column(_count_column(node.slot))

    def has_event(self, node: n.HasEvent) -> exp.Expr:
        return exp.GT(this=exp.column(_count_column(node.slot)), expression=exp.Literal.number(0))

    def linear(self, node: n.Linear) -> exp.Expr:
        total: exp.Expr | None = None
        for coefficient, term in node.terms:
            value = term.accept(self)
            if coefficient == -1:
                part: exp.Expr = exp.Neg(this=exp.Paren(this=value))
            elif coefficient != 1:
                part = exp.Mul(this=_number(coefficient), expression=value)
            else:
                part = value
            total = part if total is None else exp.Add(this=total, expression=part)
        assert total is not None
        if node.constant != 0:
            total = exp.Add(this=total, expression=_number(node.constant))
        return exp.Paren(this=total)

    def compare(self, node: n.Compare) -> exp.Expr:
        return _COMPARISONS[node.op](this=node.left.accept(self), expression=node.right.accept(self))

    def in_set(self, node: n.InSet) -> exp.Expr:
        subject = node.subject.accept(self)
        if not node.values:
            # `x in []` is false and `x not in []` true, but unknown when x is missing
            outcome = exp.true() if node.negated else exp.false()
            return exp.case().when(subject.is_(exp.null()), exp.null()).else_(outcome)
        test: exp.Expr = subject.isin(*[self.literal(v) for v in node.values])
        return exp.not_(test) if node.negated else test

    def text_test(self, node: n.TextTest) -> exp.Expr:
        subject = node.subject.accept(self)
        pattern = node.pattern.accept(self)
        if node.op == "starts with":
            return exp.EQ(
                this=exp.Left(this=subject, expression=exp.Length(this=pattern.copy())), expression=pattern
            )
        if node.op == "ends with":
            return exp.EQ(
                this=exp.Right(this=subject, expression=exp.Length(this=pattern.copy())), expression=pattern
            )
        # `contains ""` holds for every present text; STRPOS of an empty needle differs by warehouse
        found = exp.GT(this=exp.StrPosition(this=subject.copy(), substr=pattern.copy()), expression=exp.Literal.number(0))
        empty = exp.EQ(this=exp.Length(this=pattern), expression=exp.Literal.number(0))
        return exp.case().when(subject.is_(exp.null()), exp.null()).when(empty, exp.true()).else_(found)

    def presence(self, node: n.Presence) -> exp.Expr:
        test: exp.Expr = node.subject.accept(self).is_(exp.null())
        return exp.not_(test) if node.present else test

    def not_(self, node: n.Not) -> exp.Expr:
        return exp.not_(node.operand.accept(self))

    def all_(self, node: n.All) -> exp.Expr:
        return exp.Paren(this=exp.and_(*[o.accept(self) for o in node.operands]))

    def any_(self, node: n.Any) -> exp.Expr:
        return exp.Paren(this=exp.or_(*[o.accept(self) for o in node.operands]))

    def fires(self, condition: n.Node) -> exp.Expr:
        """True only when the condition is true: unknown (NULL) counts as not firing."""
        return exp.func("COALESCE", condition.accept(self), exp.false())


_COMPARISONS: dict[str, type[exp.Binary]] = {
    "==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE,
}


# ---- scores and bands -------------------------------------------------------------------


class SqlScoring(ScoringEmitter[exp.Expr]):
    """Points rules, the clamped score and first-true band selection as sqlglot expressions."""

    def __init__(self, expressions: SqlExpressions) -> None:
        self.expressions = expressions

    def if_points(self, score: p.Score, rule: p.IfPoints) -> exp.Expr:
        return exp.case().when(self.expressions.fires(rule.condition), _number(rule.points)).else_(
            exp.Literal.number(0))

    def event_points(self, score: p.Score, rule: p.EventPoints) -> exp.Expr:
        amount: exp.Expr = exp.Mul(this=_number(rule.points), expression=rule.count.accept(self.expressions))
        if rule.cap is not None:
            # a count is never negative, so the capped side is known from the sign of P
            if rule.points >= 0:
                amount = exp.func("LEAST", amount, _number(rule.cap))
            else:
                amount = exp.func("GREATEST", amount, _number(-rule.cap))
        return amount

    def field_points(self, score: p.Score, rule: p.FieldPoints) -> exp.Expr:
        value = rule.value.accept(self.expressions)
        # nothing when the field is missing; COALESCE first, as LEAST/GREATEST skip NULLs
        amount = exp.func("COALESCE", exp.Mul(this=_number(rule.points), expression=value), exp.Literal.number(0))
        if rule.cap is not None:
            amount = exp.func("GREATEST", exp.func("LEAST", amount, _number(rule.cap)), _number(-rule.cap))
        return amount

    def score(self, score: p.Score, rules: list[exp.Expr]) -> exp.Expr:
        total: exp.Expr = exp.Literal.number(0)
        for index, part in enumerate(rules):
            total = part if index == 0 else exp.Add(this=total, expression=part)
        if score.maximum is not None:
            total = exp.func("LEAST", total, _number(score.maximum))
        if score.minimum is not None:
            total = exp.func("GREATEST", total, _number(score.minimum))
        return exp.cast(total, DECIMAL_TYPE)

    def band(self, band: p.Band) -> exp.Expr:
        case = exp.case()
        for entry in band.entries:
            tests: list[exp.Expr] = []
            if entry.low is not None:
                tests.append(exp.GTE(this=band.score.accept(self.expressions), expression=_number(entry.low)))
            if entry.high is not None:
                tests.append(exp.LT(this=band.score.accept(self.expressions), expression=_number(entry.high)))
            case = case.when(exp.and_(*tests) if tests else exp.true(), exp.Literal.string(entry.label))
        if not case.args.get("ifs"):
            return exp.cast(exp.null(), "TEXT")
        return case

    def total(self, score: p.Score) -> exp.Expr:
        """The score's column value: its rules' amounts, summed and clamped."""
        return self.score(score, [self.points(score, rule) for rule in score.rules])


# ---- the query --------------------------------------------------------------------------


class _Builder:
    def __init__(self, plan: Plan, profile: DialectProfile, source: QuerySource) -> None:
        self.plan = plan
        self.profile = profile
        self.source = source
        self.domain_columns = _domain_columns(plan)
        self.expressions = SqlExpressions(profile, self.domain_columns)
        self.scoring = SqlScoring(self.expressions)

    def build(self) -> CompiledQuery:
        ctes: list[tuple[str, exp.Select]] = [("lr_params", self._params())]
        if self._with_counts():
            ctes.append(("lr_event_counts", self._event_counts()))
        ctes.append(("lr_input", self._input()))
        previous = "lr_input"
        for index, level in enumerate(self.plan.levels(), start=1):
            name = f"lr_step{index}"
            ctes.append((name, self._level_select(level, previous)))
            previous = name
        ctes.extend(self._decision(previous))
        query = self._final()
        for name, select in ctes:
            query = query.with_(name, as_=select, copy=False)
        return CompiledQuery(query, self.plan.output.sql_columns)

    def _with_counts(self) -> bool:
        return bool(self.plan.slots) and self.source.events_table is not None

    # -- CTEs
    def _params(self) -> exp.Select:
        as_of = exp.cast(self.profile.as_of_parameter(), self.profile.timestamp_type())
        return exp.select(exp.alias_(as_of, "as_of"))

    def _event_counts(self) -> exp.Select:
        source = self.source
        at = exp.column(source.event_at, table="ev")
        as_of = exp.column("as_of", table="p")
        projections: list[exp.Expr] = [exp.alias_(exp.column(source.event_key, table="ev"), "lr_key")]
        for slot in self.plan.slots:
            test: exp.Expr = exp.EQ(
                this=exp.column(source.event_type, table="ev"), expression=exp.Literal.string(slot.event)
            )
            if slot.seconds is not None:
                start = exp.Sub(
                    this=as_of,
                    expression=exp.Interval(this=exp.Literal.string(str(slot.seconds)), unit=exp.var("SECOND")),
                )
                test = exp.and_(test, exp.GT(this=at, expression=start))
            counted = exp.Count(this=exp.case().when(test, exp.Literal.number(1)))
            projections.append(exp.alias_(counted, _count_column(slot)))
        declared = sorted({slot.event for slot in self.plan.slots})
        assert source.events_table is not None
        return (
            exp.select(*projections)
            .from_(exp.alias_(exp.to_table(source.events_table), "ev", table=True))
            .join(exp.alias_(exp.to_table("lr_params"), "p", table=True), join_type="cross")
            .where(
                exp.and_(
                    exp.column(source.event_type, table="ev").isin(*[exp.Literal.string(e) for e in declared]),
                    exp.LTE(this=at, expression=as_of),
                )
            )
            .group_by(exp.column(source.event_key, table="ev"))
        )

    def _input(self) -> exp.Select:
        source = self.source
        projections: list[exp.Expr] = [
            exp.alias_(exp.column(source.id_column, table="l"), "lr_id"),
        ]
        for index, fld in enumerate(self.plan.fields):
            column: exp.Expr = exp.column(source.field_columns.get(fld.name, fld.name), table="l")
            if fld.kind == "number" and source.cast_numbers:
                column = exp.cast(column, DECIMAL_TYPE)
            projections.append(exp.alias_(column, _internal("f", index, fld.name)))
        for name, column_name in self.domain_columns.items():
            raw = exp.column(source.field_columns.get(name, name), table="l")
            projections.append(exp.alias_(self.profile.email_domain(raw), column_name))
        with_counts = self._with_counts()
        for slot in self.plan.slots:
            count: exp.Expr = exp.Literal.number(0)
            if with_counts:
                count = exp.func("COALESCE", exp.column(_count_column(slot), table="ec"), exp.Literal.number(0))
            projections.append(exp.alias_(count, _count_column(slot)))
        select = exp.select(*projections).from_(exp.alias_(exp.to_table(source.leads_table), "l", table=True))
        if with_counts:
            select = select.join(
                exp.alias_(exp.to_table("lr_event_counts"), "ec", table=True),
                on=exp.EQ(
                    this=exp.column("lr_key", table="ec"), expression=exp.column(source.lead_key, table="l")
                ),
                join_type="left",
            )
        return select

    def _level_select(self, level: list[p.Item], previous: str) -> exp.Select:
        plan = self.plan
        projections: list[exp.Expr] = [exp.Star()]
        for kind, name in level:
            if kind == "condition":
                condition = plan.conditions[name]
                projections.append(exp.alias_(condition.expr.accept(self.expressions),
                                              _condition_column(condition.index, name)))
            elif kind == "score":
                score = plan.scores[name]
                projections.append(exp.alias_(self.scoring.total(score), _score_column(score.index, name)))
            else:
                band = plan.bands[name]
                projections.append(exp.alias_(self.scoring.band(band), _band_column(band.index, name)))
        return exp.select(*projections).from_(previous)

    def _decision(self, previous: str) -> list[tuple[str, exp.Select]]:
        funnel = self.plan.funnel
        flags = [exp.alias_(self.expressions.fires(d.condition), _disqualifier_column(d))
                 for d in funnel.disqualifiers]
        # a fired scoped disqualifier blocks its stage and every later one; its flag is read
        # by the criteria it blocks, stage by stage and as written within a stage
        scoped = sorted(((d.blocks, _disqualifier_column(d)) for d in funnel.disqualifiers if d.blocks is not None),
                        key=lambda blocker: blocker[0])
        criteria: list[exp.Expr] = []
        reads_flags = False
        for criterion in funnel.ladder:
            blockers = [column for blocks, column in scoped if blocks <= criterion.index]
            reached = self.expressions.fires(criterion.condition)
            if blockers:
                reached = exp.and_(reached, *[exp.not_(exp.column(b)) for b in blockers])
                reads_flags = True
            criteria.append(exp.alias_(reached, _criterion_column(criterion)))
        if reads_flags and not self.profile.lateral_alias:
            # the criteria read the flags, which this dialect only sees from a relation before
            return [
                ("lr_disqualifiers", exp.select(exp.Star(), *flags).from_(previous)),
                ("lr_decision", exp.select(exp.Star(), *criteria).from_("lr_disqualifiers")),
            ]
        return [("lr_decision", exp.select(exp.Star(), *flags, *criteria).from_(previous))]

    def _final(self) -> exp.Select:
        plan, funnel = self.plan, self.plan.funnel
        global_columns = [_disqualifier_column(d) for d in funnel.global_disqualifiers]
        disqualified: exp.Expr = (
            exp.or_(*[exp.column(c) for c in global_columns]) if global_columns else exp.false()
        )
        # the last stage reached, walking the ladder from the top
        stage = exp.case()
        if global_columns:
            stage = stage.when(exp.column("lr_disqualified"), exp.Literal.string(m.DISQUALIFIED))
        for criterion in reversed(funnel.ladder):
            stage = stage.when(exp.column(_criterion_column(criterion)), exp.Literal.string(criterion.stage))
        stage_value: exp.Expr
        if funnel.entry_stage is not None:
            stage_value = stage.else_(exp.Literal.string(funnel.entry_stage)) if stage.args.get("ifs") else \
                exp.Literal.string(funnel.entry_stage)
        else:
            stage_value = stage if stage.args.get("ifs") else exp.cast(exp.null(), "TEXT")

        # lr_decision → lr_stage adds the two flags; then the final projection uses them.
        staged = (
            exp.select(exp.Star(), exp.alias_(disqualified, "lr_disqualified"))
            .from_("lr_decision")
        )
        staged = exp.select(exp.Star(), exp.alias_(stage_value, "lr_stage")).from_(staged.subquery("lr_flags"))

        reasons = self.profile.compact_array(
            [_label_if(exp.column(_disqualifier_column(d)), d.code) for d in funnel.global_disqualifiers])
        blocked = self.profile.compact_array(
            [_label_if(exp.column(_disqualifier_column(d)), d.code) for d in funnel.scoped_disqualifiers])
        projections: list[exp.Expr] = [
            exp.alias_(exp.column("lr_id"), "id"),
            exp.alias_(exp.column("lr_stage"), "stage"),
            exp.alias_(exp.column("lr_disqualified"), "disqualified"),
            exp.alias_(reasons, "reasons"),
            exp.alias_(blocked, "blocked"),
            exp.alias_(self._route(), "route"),
        ]
        for name, column in plan.output.score_columns:
            projections.append(exp.alias_(exp.column(_score_column(plan.scores[name].index, name)), column))
        for name, column in plan.output.band_columns:
            projections.append(exp.alias_(exp.column(_band_column(plan.bands[name].index, name)), column))
        return exp.select(*projections).from_(staged.subquery("lr_staged"))

    def _route(self) -> exp.Expr:
        """The route block of the final stage: first true entry, else `otherwise`, else none."""
        routes = self.plan.funnel.routes
        if not routes:
            return exp.cast(exp.null(), "TEXT")
        outer = exp.case()
        for route in routes:
            inner = exp.case()
            for entry in route.entries:
                assert entry.condition is not None
                inner = inner.when(self.expressions.fires(entry.condition), exp.Literal.string(entry.target))
            fallback = exp.Literal.string(route.otherwise.target) if route.otherwise is not None else None
            value: exp.Expr
            if inner.args.get("ifs"):
                value = inner.else_(fallback) if fallback is not None else inner
            else:
                value = fallback if fallback is not None else exp.null()
            outer = outer.when(
                exp.EQ(this=exp.column("lr_stage"), expression=exp.Literal.string(route.stage)), value
            )
        return outer


# ---- small helpers ----------------------------------------------------------

def _number(value: Decimal) -> exp.Expr:
    """An exact decimal literal in plain notation (never an exponent)."""
    text = format_number(value)
    if text.startswith("-"):
        return exp.Neg(this=exp.Literal.number(text[1:]))
    return exp.Literal.number(text)


def _label_if(flag: exp.Expr, label: str) -> exp.Expr:
    return exp.case().when(flag, exp.Literal.string(label))
