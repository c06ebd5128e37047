"""CheckedModel → one sqlglot SELECT over a `leads` and an `events` relation.

The tree is built only with sqlglot builder functions and node classes; every literal that
comes from a rule file enters the tree through `exp.Literal` (or a typed cast of one), so rule
text is always data, never SQL. Dialect differences are not decided here: the few constructs
that differ (array compaction, the as-of placeholder, the timestamp type) are built through a
`DialectProfile` from `dialects.py`.

Shape of the query (each CTE adds columns to the one before it; internal columns carry a
kind prefix and an index, `f0_email`, `c2_decision_maker`, `s0_fit`, so they never collide
with each other or with the team's own columns, whatever the case rules of the warehouse):

    lr_params        the as-of instant, bound once
    lr_event_counts  per lead: one count per (event, window) the ruleset uses
    lr_input         declared fields of each lead, joined with its counts (0 when none)
    lr_step1..N      conditions, scores and bands, one CTE per dependency level
    lr_disqualifiers disqualifier flags, in its own CTE only for a dialect without lateral
                     alias reuse (Postgres, BigQuery) when a stage criterion reads a flag
    lr_decision      disqualifier flags (unless in lr_disqualifiers), stage criteria
    final SELECT     id, stage, disqualified, reasons, blocked, route, scores, bands
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlglot import exp

from leadrules import model as m
from leadrules.engine.sql.dialects import DialectProfile
from leadrules.values import format_number

__all__ = ["QuerySource", "CompiledQuery", "build_query", "DECIMAL_TYPE", "column_names"]

# Points, scores and number fields: exact decimals with the language's six decimal places.
DECIMAL_TYPE = "DECIMAL(38, 6)"
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
    """The query and the names of its output columns, in output order."""

    select: exp.Select
    columns: tuple[str, ...]
    score_columns: tuple[tuple[str, str], ...]  # (score name, column)
    band_columns: tuple[tuple[str, str], ...]  # (band name, column)


def column_names(model: m.CheckedModel) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Output columns for scores and bands: `score_<name>`, `band_<name>` in declaration order."""
    scores = tuple((name, "score_" + name) for name in model.scores)
    bands = tuple((name, "band_" + name) for name in model.bands)
    return scores, bands


def build_query(model: m.CheckedModel, profile: DialectProfile, source: QuerySource | None = None) -> CompiledQuery:
    return _Builder(model, profile, source or QuerySource()).build()


# ---- naming -----------------------------------------------------------------


def _internal(prefix: str, index: int, name: str) -> str:
    return f"{prefix}{index}_{name[:_NAME_LIMIT]}"


def _window_key(window: m.Window | None) -> int | None:
    return None if window is None else window.seconds


class _Names:
    """Internal column names: a kind prefix plus an index keeps them unique in any warehouse."""

    def __init__(self, model: m.CheckedModel) -> None:
        self.fields = {name: _internal("f", i, name) for i, name in enumerate(model.fields)}
        self.conditions = {name: _internal("c", i, name) for i, name in enumerate(model.conditions)}
        self.scores = {name: _internal("s", i, name) for i, name in enumerate(model.scores)}
        self.bands = {name: _internal("b", i, name) for i, name in enumerate(model.bands)}
        self.disqualifiers = tuple(_internal("d", i, d.code) for i, d in enumerate(model.disqualifiers))
        self.criteria = {stage: _internal("g", i, stage) for i, stage in enumerate(model.stages)}
        self.counts: dict[tuple[str, int | None], str] = {}
        self.domains: dict[str, str] = {}

    def domain(self, field_name: str) -> str:
        """Column of an email field's domain, computed once in lr_input."""
        if field_name not in self.domains:
            self.domains[field_name] = _internal("m", len(self.domains), field_name)
        return self.domains[field_name]

    def count(self, event: str, window: m.Window | None) -> str:
        key = (event, _window_key(window))
        if key not in self.counts:
            self.counts[key] = _internal("e", len(self.counts), event)
        return self.counts[key]


# ---- the builder ------------------------------------------------------------


class _Builder:
    def __init__(self, model: m.CheckedModel, profile: DialectProfile, source: QuerySource) -> None:
        self.model = model
        self.profile = profile
        self.source = source
        self.names = _Names(model)
        self.windows: dict[tuple[str, int | None], m.Window | None] = {}

    # -- entry point
    def build(self) -> CompiledQuery:
        model = self.model
        # Collect every (event, window) the ruleset counts, so lr_event_counts has them all.
        for expr in self._all_expressions():
            self._collect_counts(expr)
        for score in model.scores.values():
            for rule in score.rules:
                if isinstance(rule, m.PerEventRule):
                    self._use_count(rule.event, rule.window)

        ctes: list[tuple[str, exp.Select]] = [("lr_params", self._params())]
        if self.names.counts and self.source.events_table is not None:
            ctes.append(("lr_event_counts", self._event_counts()))
        ctes.append(("lr_input", self._input()))
        previous = "lr_input"
        for index, level in enumerate(self._levels(), start=1):
            name = f"lr_step{index}"
            ctes.append((name, self._level_select(level, previous)))
            previous = name
        ctes.extend(self._decision(previous))
        final, columns = self._final()
        query = final
        for name, select in ctes:
            query = query.with_(name, as_=select, copy=False)
        scores, bands = column_names(model)
        return CompiledQuery(query, columns, scores, bands)

    def _all_expressions(self) -> list[m.Expr]:
        model = self.model
        found: list[m.Expr] = [c.expr for c in model.conditions.values()]
        for score in model.scores.values():
            found.extend(r.condition for r in score.rules if isinstance(r, m.IfRule))
        found.extend(d.condition for d in model.disqualifiers)
        found.extend(c.condition for c in model.criteria.values())
        for route in model.routes.values():
            found.extend(e.condition for e in route.entries if e.condition is not None)
        return found

    def _collect_counts(self, expr: m.Expr) -> None:
        if isinstance(expr, (m.EventCount, m.HasEvent)):
            self._use_count(expr.event, expr.window)
        elif isinstance(expr, m.EmailDomain):
            self.names.domain(expr.field)
        for child in m.children(expr):
            self._collect_counts(child)

    def _use_count(self, event: str, window: m.Window | None) -> None:
        self.names.count(event, window)
        self.windows[(event, _window_key(window))] = window

    # -- CTEs
    def _params(self) -> exp.Select:
        as_of = exp.cast(self.profile.as_of_parameter(), self.profile.timestamp_type())
        return exp.select(exp.alias_(as_of, "as_of"))

    def _event_counts(self) -> exp.Select:
        source = self.source
        at = exp.column(source.event_at, table="ev")
        as_of = exp.column("as_of", table="p")
        projections: list[exp.Expr] = [exp.alias_(exp.column(source.event_key, table="ev"), "lr_key")]
        for (event, seconds), column in self.names.counts.items():
            test: exp.Expr = exp.EQ(
                this=exp.column(source.event_type, table="ev"), expression=exp.Literal.string(event)
            )
            if seconds is not None:
                start = exp.Sub(
                    this=as_of,
                    expression=exp.Interval(this=exp.Literal.string(str(seconds)), unit=exp.var("SECOND")),
                )
                test = exp.and_(test, exp.GT(this=at, expression=start))
            counted = exp.Count(this=exp.case().when(test, exp.Literal.number(1)))
            projections.append(exp.alias_(counted, column))
        declared = sorted({event for event, _ in self.names.counts})
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
        for name, fld in self.model.fields.items():
            column: exp.Expr = exp.column(source.field_columns.get(name, name), table="l")
            if fld.kind == "number" and source.cast_numbers:
                column = exp.cast(column, DECIMAL_TYPE)
            projections.append(exp.alias_(column, self.names.fields[name]))
        for name, column_name in self.names.domains.items():
            raw = exp.column(source.field_columns.get(name, name), table="l")
            projections.append(exp.alias_(self.profile.email_domain(raw), column_name))
        with_counts = bool(self.names.counts) and source.events_table is not None
        for column_name in self.names.counts.values():
            count: exp.Expr = exp.Literal.number(0)
            if with_counts:
                count = exp.func("COALESCE", exp.column(column_name, table="ec"), exp.Literal.number(0))
            projections.append(exp.alias_(count, column_name))
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

    def _levels(self) -> list[list[tuple[str, str]]]:
        """Group model.order into levels: an item comes one level after everything it uses."""
        level_of: dict[tuple[str, str], int] = {}
        for kind, name in self.model.order:
            uses = self._uses(kind, name)
            level_of[(kind, name)] = 1 + max((level_of.get(u, 0) for u in uses), default=0)
        levels: list[list[tuple[str, str]]] = []
        for item, level in level_of.items():
            while len(levels) < level:
                levels.append([])
            levels[level - 1].append(item)
        return [level for level in levels if level]

    def _uses(self, kind: str, name: str) -> set[tuple[str, str]]:
        model = self.model
        exprs: list[m.Expr] = []
        if kind == "condition":
            exprs.append(model.conditions[name].expr)
        elif kind == "score":
            exprs.extend(r.condition for r in model.scores[name].rules if isinstance(r, m.IfRule))
        else:
            return {("score", model.bands[name].score)}
        found: set[tuple[str, str]] = set()
        stack = list(exprs)
        while stack:
            expr = stack.pop()
            if isinstance(expr, m.ConditionValue):
                found.add(("condition", expr.condition))
            elif isinstance(expr, m.ScoreValue):
                found.add(("score", expr.score))
            elif isinstance(expr, m.BandValue):
                found.add(("band", expr.band))
            stack.extend(m.children(expr))
        return found

    def _level_select(self, level: list[tuple[str, str]], previous: str) -> exp.Select:
        projections: list[exp.Expr] = [exp.Star()]
        for kind, name in level:
            if kind == "condition":
                projections.append(exp.alias_(self.expr(self.model.conditions[name].expr), self.names.conditions[name]))
            elif kind == "score":
                projections.append(exp.alias_(self._score(self.model.scores[name]), self.names.scores[name]))
            else:
                projections.append(exp.alias_(self._band(self.model.bands[name]), self.names.bands[name]))
        return exp.select(*projections).from_(previous)

    def _decision(self, previous: str) -> list[tuple[str, exp.Select]]:
        model = self.model
        flags: list[exp.Expr] = []
        for disqualifier, column in zip(model.disqualifiers, self.names.disqualifiers, strict=True):
            flags.append(exp.alias_(_fires(self.expr(disqualifier.condition)), column))
        criteria: list[exp.Expr] = []
        reads_flags = False
        # A stage is reached when its criterion is true and no scoped disqualifier at it or an
        # earlier stage fires.
        blockers_at: dict[str, list[str]] = {}
        for disqualifier, column in zip(model.disqualifiers, self.names.disqualifiers, strict=True):
            if disqualifier.at is not None:
                blockers_at.setdefault(disqualifier.at, []).append(column)
        blockers: list[str] = []
        for stage in model.stages:
            blockers.extend(blockers_at.get(stage, []))
            criterion = model.criteria.get(stage)
            if stage == model.entry_stage or criterion is None:
                continue
            reached = _fires(self.expr(criterion.condition))
            if blockers:
                reached = exp.and_(reached, *[exp.not_(exp.column(b)) for b in blockers])
                reads_flags = True
            criteria.append(exp.alias_(reached, self.names.criteria[stage]))
        if reads_flags and not self.profile.lateral_alias:
            # the criteria read the flags, which this dialect only sees from a relation before
            return [
                ("lr_disqualifiers", exp.select(exp.Star(), *flags).from_(previous)),
                ("lr_decision", exp.select(exp.Star(), *criteria).from_("lr_disqualifiers")),
            ]
        return [("lr_decision", exp.select(exp.Star(), *flags, *criteria).from_(previous))]

    def _final(self) -> tuple[exp.Select, tuple[str, ...]]:
        model = self.model
        global_columns = [c for d, c in zip(model.disqualifiers, self.names.disqualifiers, strict=True) if d.at is None]
        disqualified: exp.Expr = (
            exp.or_(*[exp.column(c) for c in global_columns]) if global_columns else exp.false()
        )
        stage = exp.case()
        if global_columns:
            stage = stage.when(exp.column("lr_disqualified"), exp.Literal.string(m.DISQUALIFIED))
        for stage_name in reversed(model.stages):
            if stage_name in self.names.criteria and stage_name != model.entry_stage and stage_name in model.criteria:
                stage = stage.when(exp.column(self.names.criteria[stage_name]), exp.Literal.string(stage_name))
        stage_value: exp.Expr
        if model.entry_stage is not None:
            stage_value = stage.else_(exp.Literal.string(model.entry_stage)) if stage.args.get("ifs") else \
                exp.Literal.string(model.entry_stage)
        else:
            stage_value = stage if stage.args.get("ifs") else exp.cast(exp.null(), "TEXT")

        # lr_decision → lr_stage adds the two flags; then the final projection uses them.
        staged = (
            exp.select(exp.Star(), exp.alias_(disqualified, "lr_disqualified"))
            .from_("lr_decision")
        )
        staged = exp.select(exp.Star(), exp.alias_(stage_value, "lr_stage")).from_(staged.subquery("lr_flags"))

        reasons = self.profile.compact_array(
            [_label_if(exp.column(c), d.code) for d, c in zip(model.disqualifiers, self.names.disqualifiers, strict=True)
             if d.at is None]
        )
        blocked = self.profile.compact_array(
            [_label_if(exp.column(c), d.code) for d, c in zip(model.disqualifiers, self.names.disqualifiers, strict=True)
             if d.at is not None]
        )
        projections: list[exp.Expr] = [
            exp.alias_(exp.column("lr_id"), "id"),
            exp.alias_(exp.column("lr_stage"), "stage"),
            exp.alias_(exp.column("lr_disqualified"), "disqualified"),
            exp.alias_(reasons, "reasons"),
            exp.alias_(blocked, "blocked"),
            exp.alias_(self._route(), "route"),
        ]
        columns = ["id", "stage", "disqualified", "reasons", "blocked", "route"]
        scores, bands = column_names(model)
        for name, column in scores:
            projections.append(exp.alias_(exp.column(self.names.scores[name]), column))
            columns.append(column)
        for name, column in bands:
            projections.append(exp.alias_(exp.column(self.names.bands[name]), column))
            columns.append(column)
        final = exp.select(*projections).from_(staged.subquery("lr_staged"))
        return final, tuple(columns)

    def _route(self) -> exp.Expr:
        routes = [r for r in self.model.routes.values()]
        if not routes:
            return exp.cast(exp.null(), "TEXT")
        outer = exp.case()
        for route in routes:
            inner = exp.case()
            for entry in route.entries:
                assert entry.condition is not None
                inner = inner.when(_fires(self.expr(entry.condition)), exp.Literal.string(entry.target))
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

    # -- scores and bands
    def _score(self, score: m.Score) -> exp.Expr:
        parts: list[exp.Expr] = []
        for rule in score.rules:
            points = _number(rule.points)
            if isinstance(rule, m.IfRule):
                parts.append(exp.case().when(_fires(self.expr(rule.condition)), points).else_(exp.Literal.number(0)))
            elif isinstance(rule, m.PerEventRule):
                amount: exp.Expr = exp.Mul(
                    this=points, expression=exp.column(self.names.count(rule.event, rule.window))
                )
                if rule.cap is not None:
                    # a count is never negative, so the capped side is known from the sign of P
                    if rule.points >= 0:
                        amount = exp.func("LEAST", amount, _number(rule.cap))
                    else:
                        amount = exp.func("GREATEST", amount, _number(-rule.cap))
                parts.append(amount)
            else:
                value = exp.column(self.names.fields[rule.field])
                # nothing when the field is missing; COALESCE first, as LEAST/GREATEST skip NULLs
                amount = exp.func("COALESCE", exp.Mul(this=points, expression=value), exp.Literal.number(0))
                if rule.cap is not None:
                    amount = exp.func("GREATEST", exp.func("LEAST", amount, _number(rule.cap)), _number(-rule.cap))
                parts.append(amount)
        total: exp.Expr = exp.Literal.number(0)
        for index, part in enumerate(parts):
            total = part if index == 0 else exp.Add(this=total, expression=part)
        if score.maximum is not None:
            total = exp.func("LEAST", total, _number(score.maximum))
        if score.minimum is not None:
            total = exp.func("GREATEST", total, _number(score.minimum))
        return exp.cast(total, DECIMAL_TYPE)

    def _band(self, band: m.Band) -> exp.Expr:
        score = exp.column(self.names.scores[band.score])
        case = exp.case()
        for entry in band.entries:
            tests: list[exp.Expr] = []
            if entry.low is not None:
                tests.append(exp.GTE(this=score, expression=_number(entry.low)))
            if entry.high is not None:
                tests.append(exp.LT(this=score, expression=_number(entry.high)))
            case = case.when(exp.and_(*tests) if tests else exp.true(), exp.Literal.string(entry.label))
        if not case.args.get("ifs"):
            return exp.cast(exp.null(), "TEXT")
        return case

    # -- expressions
    def expr(self, expr: m.Expr) -> exp.Expr:
        method = getattr(self, "_expr_" + type(expr).__name__)
        result: exp.Expr = method(expr)
        return result

    def _expr_Const(self, e: m.Const) -> exp.Expr:
        return self.constant(e.value)

    def constant(self, value: Decimal | str | bool | dt.date | dt.datetime) -> exp.Expr:
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

    def _expr_FieldValue(self, e: m.FieldValue) -> exp.Expr:
        return exp.column(self.names.fields[e.field])

    def _expr_EmailDomain(self, e: m.EmailDomain) -> exp.Expr:
        return exp.column(self.names.domain(e.field))

    def _expr_ScoreValue(self, e: m.ScoreValue) -> exp.Expr:
        return exp.column(self.names.scores[e.score])

    def _expr_BandValue(self, e: m.BandValue) -> exp.Expr:
        return exp.column(self.names.bands[e.band])

    def _expr_ConditionValue(self, e: m.ConditionValue) -> exp.Expr:
        return exp.column(self.names.conditions[e.condition])

    def _expr_EventCount(self, e: m.EventCount) -> exp.Expr:
        return exp.column(self.names.count(e.event, e.window))

    def _expr_HasEvent(self, e: m.HasEvent) -> exp.Expr:
        return exp.GT(this=exp.column(self.names.count(e.event, e.window)), expression=exp.Literal.number(0))

    def _expr_Linear(self, e: m.Linear) -> exp.Expr:
        total: exp.Expr | None = None
        for coefficient, term in e.terms:
            value = self.expr(term)
            if coefficient == -1:
                part: exp.Expr = exp.Neg(this=exp.Paren(this=value))
            elif coefficient != 1:
                part = exp.Mul(this=_number(coefficient), expression=value)
            else:
                part = value
            total = part if total is None else exp.Add(this=total, expression=part)
        assert total is not None
        if e.constant != 0:
            total = exp.Add(this=total, expression=_number(e.constant))
        return exp.Paren(this=total)

    def _expr_Compare(self, e: m.Compare) -> exp.Expr:
        node = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[e.op]
        return node(this=self.expr(e.left), expression=self.expr(e.right))

    def _expr_InSet(self, e: m.InSet) -> exp.Expr:
        subject = self.expr(e.subject)
        if not e.values:
            # `x in []` is false and `x not in []` true, but unknown when x is missing
            outcome = exp.true() if e.negated else exp.false()
            return exp.case().when(subject.is_(exp.null()), exp.null()).else_(outcome)
        test: exp.Expr = subject.isin(*[self.constant(v) for v in e.values])
        return exp.not_(test) if e.negated else test

    def _expr_TextTest(self, e: m.TextTest) -> exp.Expr:
        subject = self.expr(e.subject)
        pattern = self.expr(e.pattern)
        if e.op == "starts with":
            return exp.EQ(
                this=exp.Left(this=subject, expression=exp.Length(this=pattern.copy())), expression=pattern
            )
        if e.op == "ends with":
            return exp.EQ(
                this=exp.Right(this=subject, expression=exp.Length(this=pattern.copy())), expression=pattern
            )
        # `contains ""` holds for every present text; STRPOS of an empty needle differs by warehouse
        found = exp.GT(this=exp.StrPosition(this=subject.copy(), substr=pattern.copy()), expression=exp.Literal.number(0))
        empty = exp.EQ(this=exp.Length(this=pattern), expression=exp.Literal.number(0))
        return exp.case().when(subject.is_(exp.null()), exp.null()).when(empty, exp.true()).else_(found)

    def _expr_Presence(self, e: m.Presence) -> exp.Expr:
        test: exp.Expr = self.expr(e.subject).is_(exp.null())
        return exp.not_(test) if e.present else test

    def _expr_Not(self, e: m.Not) -> exp.Expr:
        return exp.not_(self.expr(e.operand))

    def _expr_And(self, e: m.And) -> exp.Expr:
        return exp.Paren(this=exp.and_(*[self.expr(o) for o in e.operands]))

    def _expr_Or(self, e: m.Or) -> exp.Expr:
        return exp.Paren(this=exp.or_(*[self.expr(o) for o in e.operands]))


# ---- small helpers ----------------------------------------------------------

def _number(value: Decimal) -> exp.Expr:
    """An exact decimal literal in plain notation (never an exponent)."""
    text = format_number(value)
    if text.startswith("-"):
        return exp.Neg(this=exp.Literal.number(text[1:]))
    return exp.Literal.number(text)


def _fires(condition: exp.Expr) -> exp.Expr:
    """True only when the condition is true: unknown (NULL) counts as not firing."""
    return exp.func("COALESCE", condition, exp.false())


def _label_if(flag: exp.Expr, label: str) -> exp.Expr:
    return exp.case().when(flag, exp.Literal.string(label))
