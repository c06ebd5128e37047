"""The lowered plan → z3 terms with exactly the evaluator's semantics, shared by every lint rule.

Values are encoded as a pair (known, value) and conditions as a pair (is_true, is_false),
which is Kleene three-valued logic: an unknown condition has both members false.

- integer fields are z3 Int, number fields z3 Real (exact rationals from Decimal), booleans
  z3 Bool, text/`one of`/email fields z3 String, dates an Int day number, timestamps an Int
  count of microseconds since the epoch (Python datetimes have microsecond resolution).
- an optional field has a `present` flag; a required field is always present.
- `email.domain` is a lower-case String without '@' that the email ends with after an '@';
  an email without '@' has a missing domain.
- events are counts per declared window, ordered: count in a shorter window ≤ count in a
  longer one ≤ total. The as-of instant is fixed, so every window is a fixed interval.
- scores are z3 Real variables defined as clamped sums of capped rule contributions; bands
  are an If-chain over their entries, missing when the score falls in none.

The encoding is emitted from `ir.lower(model)`: `_CondEmitter` and `_ValEmitter` are the
plan's expression emitters, `_ScoreEmitter` its scoring emitter, and the funnel queries walk
`plan.funnel`. Lint rules and `leadrules diff` ask about model expressions (`cond`, `val`,
`fires`, `selects`); those are lowered against the same plan first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Callable

import z3

from leadrules import model as m
from leadrules.errors import InternalError
from leadrules.fieldkinds import KINDS
from leadrules.ir import Lowering, Plan, lower
from leadrules.ir import nodes as n
from leadrules.ir import plan as p
from leadrules.ir.emitter import ExprEmitter, ScoringEmitter

__all__ = ["Encoding", "Cond", "Val", "encode", "real", "EPOCH", "TextUses", "text_uses", "used_windows"]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


# per text source (("field", name), ("domain", email field), ("band", name)): see `_TextUses`
TextUses = dict[tuple[str, str], set[str] | None]


def real(value: Decimal | int | Fraction) -> z3.ArithRef:
    """An exact z3 rational for a Decimal (never through a binary float)."""
    fraction = Fraction(value)
    return z3.RealVal(fraction.numerator) / z3.RealVal(fraction.denominator) if fraction.denominator != 1 \
        else z3.RealVal(fraction.numerator)


@dataclass(frozen=True)
class Cond:
    """A condition under three-valued logic: `true` and `false` are never both satisfied."""

    true: z3.BoolRef
    false: z3.BoolRef

    @property
    def unknown(self) -> z3.BoolRef:
        return z3.And(z3.Not(self.true), z3.Not(self.false))


@dataclass(frozen=True)
class Val:
    """A value that may be missing: `value` means something only where `known` holds."""

    known: z3.BoolRef
    value: z3.ExprRef


@dataclass(frozen=True)
class FieldVars:
    field: m.Field
    present: z3.BoolRef
    value: z3.ExprRef
    # email fields only: whether it has an '@' and the (lower-case) domain after the last one
    has_at: z3.BoolRef | None = None
    domain: z3.ExprRef | None = None
    # an enumerated text field: `value` is an Int index into `labels`, whose last member
    # stands for every text the rules never mention; likewise `domain` with `domain_labels`
    labels: tuple[str, ...] | None = None
    domain_labels: tuple[str, ...] | None = None
    # email read both as text and through `.domain`: the text after the last '@' (not yet
    # lower-cased); `.domain` is tied to it only by `link` (see `Encoding.links`)
    raw_domain: z3.SeqRef | None = None


@dataclass
class Encoding:
    """z3 variables and definitions for one model. `base` are the constraints every valid
    lead satisfies (types, ranges, `one of`, window order) plus the definitions of scores."""

    model: m.CheckedModel
    plan: Plan
    # lowers the model expressions lint rules and diff ask about, against `plan`
    lowering: Lowering
    scope: str = ""
    fields: dict[str, FieldVars] = field(default_factory=dict)
    counts: dict[tuple[str, int | None], z3.ArithRef] = field(default_factory=dict)
    # per event: the window lengths in seconds it is counted over, ascending; None (all) last
    event_windows: dict[str, list[int | None]] = field(default_factory=dict)
    scores: dict[str, z3.ArithRef] = field(default_factory=dict)
    base: list[z3.BoolRef] = field(default_factory=list)
    # constraints that make the encoding exact where it is otherwise an over-approximation
    # (an email read both as text and through `.domain`): a query is first solved with
    # them; an answer found only without them is "unknown", never "unreachable"
    links: list[z3.BoolRef] = field(default_factory=list)
    # band name → its labels; a band's value is an Int index into them
    band_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _conditions: dict[str, Cond] = field(default_factory=dict)
    _conds: dict[n.Node, Cond] = field(default_factory=dict)
    _vals: dict[n.Node, Val] = field(default_factory=dict)

    # ---- expressions -------------------------------------------------------------------
    def cond(self, expr: m.Expr) -> Cond:
        """The (is true, is false) pair of a boolean model expression."""
        return self.cond_of(self.lowering.expr(expr))

    def val(self, expr: m.Expr) -> Val:
        """The (known, value) pair of a model expression."""
        return self.val_of(self.lowering.expr(expr))

    def cond_of(self, node: n.Node) -> Cond:
        """The (is true, is false) pair of a boolean plan node."""
        cached = self._conds.get(node)
        if cached is None:
            # an emitter per call: an encoding that held its emitters would be a reference cycle,
            # freed (with its z3 terms) only by the cycle collector
            cached = self._conds[node] = node.accept(_CondEmitter(self))
        return cached

    def val_of(self, node: n.Node) -> Val:
        """The (known, value) pair of a plan node."""
        cached = self._vals.get(node)
        if cached is None:
            cached = self._vals[node] = node.accept(_ValEmitter(self))
        return cached

    def count_of(self, slot: n.EventSlot) -> z3.ArithRef:
        return self.counts[(slot.event, slot.seconds)]

    def known(self, node: n.Node) -> z3.BoolRef:
        """The node has a value (a condition: it is not unknown)."""
        if node.type == "boolean":
            c = self.cond_of(node)
            return z3.Or(c.true, c.false)
        return self.val_of(node).known

    def labels(self, node: n.Node) -> tuple[str, ...] | None:
        """The labels of an enumerated text node (its value is an index into them), else None."""
        source = node.accept(_TEXT_SOURCE)
        if source is None:
            return None
        kind, name = source
        if kind == "field":
            return self.fields[name].labels
        if kind == "domain":
            return self.fields[name].domain_labels
        return self.band_labels.get(name)

    def define(self) -> None:
        """Conditions and scores in dependency order (`plan.order`); bands are If-chains,
        built where they are read."""
        emitter = _ScoreEmitter(self)
        for kind, name in self.plan.order:
            if kind == "condition":
                self._conditions[name] = self.cond_of(self.plan.conditions[name].expr)
            elif kind == "score":
                score = self.plan.scores[name]
                # z3 numbers its terms as they are made, and the solver's answers (so the witnesses
                # of lint and diff) depend on that numbering: each partial sum is made right after
                # its amount, in the order the witnesses were always found in; `score` then
                # builds the same sum again out of these very terms, which makes no new ones
                amounts: list[z3.ExprRef] = []
                partial: z3.ArithRef = z3.RealVal(0)
                for rule in score.rules:
                    amounts.append(emitter.points(score, rule))
                    partial = partial + amounts[-1]
                emitter.score(score, amounts)

    # ---- funnel (plan.funnel) ----------------------------------------------------------
    def fires(self, disqualifier: m.Disqualifier) -> z3.BoolRef:
        return self.cond(disqualifier.condition).true

    def _fires(self, disqualifier: p.Disqualifier) -> z3.BoolRef:
        return self.cond_of(disqualifier.condition).true

    def disqualified(self) -> z3.BoolRef:
        """Some global disqualifier fires."""
        return z3.Or([self._fires(d) for d in self.plan.funnel.global_disqualifiers] or [z3.BoolVal(False)])

    def blocked(self, stage: str) -> z3.BoolRef:
        """Some scoped disqualifier that blocks `stage` fires."""
        index = self.plan.funnel.stages.index(stage)
        blockers = [self._fires(d) for d in self.plan.funnel.scoped_disqualifiers
                    if d.blocks is not None and d.blocks <= index]
        return z3.Or(blockers) if blockers else z3.BoolVal(False)

    def qualifies(self, stage: str) -> z3.BoolRef:
        """The stage's criterion is true and no true scoped disqualifier blocks it (the entry
        stage has no criterion: leads start there)."""
        criterion = next((c for c in self.plan.funnel.ladder if c.stage == stage), None)
        if criterion is None:
            return z3.BoolVal(False)
        return z3.And(self.cond_of(criterion.condition).true, z3.Not(self.blocked(stage)))

    def ends_in(self, stage: str) -> z3.BoolRef:
        """The lead's final stage is `stage` (the reserved `Disqualified` included)."""
        if stage == m.DISQUALIFIED:
            return self.disqualified()
        stages = self.plan.funnel.stages
        index = stages.index(stage)
        later = [z3.Not(self.qualifies(s)) for s in stages[index + 1:]]
        here = z3.BoolVal(True) if index == 0 else self.qualifies(stage)
        return z3.And([z3.Not(self.disqualified()), here, *later])

    def selects(self, route: m.Route, index: int) -> z3.BoolRef:
        """Entry `index` of the route is the one the lead is routed by."""
        lowered = self.plan.funnel.route_for(route.stage)
        if lowered is None:
            raise InternalError(f"no route for stage '{route.stage}'")
        earlier = [z3.Not(self.cond_of(entry.condition).true) for entry in lowered.entries[:index]
                   if entry.condition is not None]
        condition = lowered.entries[index].condition
        if condition is None:
            raise InternalError(f"route entry {index} of '{route.stage}' has no condition")
        return z3.And([self.ends_in(route.stage), *earlier, self.cond_of(condition).true])


def _not_a(what: str, node: n.Node) -> InternalError:
    return InternalError(f"not a {what}: {type(node).__name__} ({node.type})")


def _text(node: n.Node) -> str | None:
    """The text of a text literal, else None."""
    return node.value if isinstance(node, n.Const) and isinstance(node.value, str) else None


def _is_domain(node: n.Node) -> bool:
    source = node.accept(_TEXT_SOURCE)
    return source is not None and source[0] == "domain"


class _CondEmitter(ExprEmitter[Cond]):
    """Boolean plan nodes → (is true, is false); a node that is never boolean is an internal
    error."""

    def __init__(self, enc: Encoding) -> None:
        self.enc = enc

    def const(self, node: n.Const) -> Cond:
        if not isinstance(node.value, bool):
            raise _not_a("condition", node)
        return Cond(z3.BoolVal(node.value), z3.BoolVal(not node.value))

    def input(self, node: n.Input) -> Cond:
        if node.type != "boolean":
            raise _not_a("condition", node)
        v = self.enc.fields[node.field]
        return Cond(z3.And(v.present, v.value), z3.And(v.present, z3.Not(v.value)))

    def domain(self, node: n.Domain) -> Cond:
        raise _not_a("condition", node)

    def score_ref(self, node: n.ScoreRef) -> Cond:
        raise _not_a("condition", node)

    def band_ref(self, node: n.BandRef) -> Cond:
        raise _not_a("condition", node)

    def condition_ref(self, node: n.ConditionRef) -> Cond:
        return self.enc._conditions[node.condition]

    def event_aggregate(self, node: n.EventAggregate) -> Cond:
        raise _not_a("condition", node)

    def has_event(self, node: n.HasEvent) -> Cond:
        count = self.enc.count_of(node.slot)
        return Cond(count >= 1, count == 0)

    def linear(self, node: n.Linear) -> Cond:
        raise _not_a("condition", node)

    def compare(self, node: n.Compare) -> Cond:
        enc = self.enc
        if node.op in ("==", "!="):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                labels = enc.labels(side)
                literal = _text(other)
                if labels is not None and literal is not None:
                    coded = enc.val_of(side)
                    matches = _is_label(coded.value, labels, (literal,))
                    if node.op == "!=":
                        matches = z3.Not(matches)
                    return Cond(z3.And(coded.known, matches), z3.And(coded.known, z3.Not(matches)))
        left, right = enc.val_of(node.left), enc.val_of(node.right)
        known = z3.And(left.known, right.known)
        if node.op in ("==", "!=") and any(_is_domain(a) and _never_in_domain(b)
                                           for a, b in ((node.left, node.right), (node.right, node.left))):
            return Cond(known, z3.BoolVal(False)) if node.op == "!=" else Cond(z3.BoolVal(False), known)
        holds = _compare(node.op, left.value, right.value)
        return Cond(z3.And(known, holds), z3.And(known, z3.Not(holds)))

    def in_set(self, node: n.InSet) -> Cond:
        subject = self.enc.val_of(node.subject)
        labels = self.enc.labels(node.subject)
        if labels is not None:
            member = _is_label(subject.value, labels, tuple(str(v) for v in node.values))
        else:
            values = node.values
            if _is_domain(node.subject):
                values = tuple(v for v in values if not (isinstance(v, str) and _never_a_domain_part(v)))
            member = z3.Or([subject.value == (z3.StringVal(v) if isinstance(v, str) else real(v))
                            for v in values]) if values else z3.BoolVal(False)
        yes, no = z3.And(subject.known, member), z3.And(subject.known, z3.Not(member))
        return Cond(no, yes) if node.negated else Cond(yes, no)

    def text_test(self, node: n.TextTest) -> Cond:
        subject, pattern = self.enc.val_of(node.subject), self.enc.val_of(node.pattern)
        known = z3.And(subject.known, pattern.known)
        if _is_domain(node.subject) and _never_in_domain(node.pattern):
            # decided without string search (which z3 finds slow on negated tests)
            return Cond(z3.BoolVal(False), known)
        s, t = subject.value, pattern.value
        assert isinstance(s, z3.SeqRef) and isinstance(t, z3.SeqRef)
        holds = {"starts with": z3.PrefixOf(t, s), "ends with": z3.SuffixOf(t, s),
                 "contains": z3.Contains(s, t)}[node.op]
        return Cond(z3.And(known, holds), z3.And(known, z3.Not(holds)))

    def presence(self, node: n.Presence) -> Cond:
        known = self.enc.known(node.subject)
        return Cond(known, z3.Not(known)) if node.present else Cond(z3.Not(known), known)

    def not_(self, node: n.Not) -> Cond:
        inner = self.enc.cond_of(node.operand)
        return Cond(inner.false, inner.true)

    def all_(self, node: n.All) -> Cond:
        parts = [self.enc.cond_of(o) for o in node.operands]
        return Cond(z3.And([c.true for c in parts]), z3.Or([c.false for c in parts]))

    def any_(self, node: n.Any) -> Cond:
        parts = [self.enc.cond_of(o) for o in node.operands]
        return Cond(z3.Or([c.true for c in parts]), z3.And([c.false for c in parts]))


class _ValEmitter(ExprEmitter[Val]):
    """Plan nodes → (known, value); a boolean node's value is its `true` member, known
    unless the condition is unknown."""

    def __init__(self, enc: Encoding) -> None:
        self.enc = enc

    def _boolean(self, node: n.Node) -> Val:
        c = self.enc.cond_of(node)
        return Val(z3.Or(c.true, c.false), c.true)

    def const(self, node: n.Const) -> Val:
        yes, value = z3.BoolVal(True), node.value
        if isinstance(value, bool):
            return Val(yes, z3.BoolVal(value))
        if isinstance(value, Decimal):
            return Val(yes, real(value))
        if isinstance(value, str):
            return Val(yes, z3.StringVal(value))
        if isinstance(value, dt.datetime):
            return Val(yes, z3.IntVal(micros(value)))
        return Val(yes, z3.IntVal(value.toordinal()))

    def input(self, node: n.Input) -> Val:
        v = self.enc.fields[node.field]
        return Val(v.present, z3.ToReal(v.value) if KINDS[node.kind].integral else v.value)

    def domain(self, node: n.Domain) -> Val:
        v = self.enc.fields[node.field]
        assert v.has_at is not None and v.domain is not None
        return Val(z3.And(v.present, v.has_at), v.domain)

    def score_ref(self, node: n.ScoreRef) -> Val:
        return Val(z3.BoolVal(True), self.enc.scores[node.score])

    def band_ref(self, node: n.BandRef) -> Val:
        band = self.enc.plan.bands[node.band]
        value = _ScoreEmitter(self.enc).band(band)
        score = self.enc.scores[band.score.score]
        inside = [band_contains(entry, score) for entry in band.entries]  # the terms of `value`'s tests
        return Val(z3.Or(inside) if inside else z3.BoolVal(False), value)

    def condition_ref(self, node: n.ConditionRef) -> Val:
        return self._boolean(node)

    def event_aggregate(self, node: n.EventAggregate) -> Val:
        return Val(z3.BoolVal(True), z3.ToReal(self.enc.count_of(node.slot)))

    def has_event(self, node: n.HasEvent) -> Val:
        return self._boolean(node)

    def linear(self, node: n.Linear) -> Val:
        parts = [(c, self.enc.val_of(t)) for c, t in node.terms]
        total: z3.ArithRef = real(node.constant)
        for coefficient, part in parts:
            total = total + real(coefficient) * part.value
        return Val(z3.And([v.known for _, v in parts]), total)

    def compare(self, node: n.Compare) -> Val:
        return self._boolean(node)

    def in_set(self, node: n.InSet) -> Val:
        return self._boolean(node)

    def text_test(self, node: n.TextTest) -> Val:
        return self._boolean(node)

    def presence(self, node: n.Presence) -> Val:
        return self._boolean(node)

    def not_(self, node: n.Not) -> Val:
        return self._boolean(node)

    def all_(self, node: n.All) -> Val:
        return self._boolean(node)

    def any_(self, node: n.Any) -> Val:
        return self._boolean(node)


class _ScoreEmitter(ScoringEmitter[z3.ExprRef]):
    """A rule's amount, a score's definition (`score:NAME` == the clamped sum, added to
    `base`), a band's label as an If-chain (a String, or an Int index into `band_labels`)."""

    def __init__(self, enc: Encoding) -> None:
        self.enc = enc

    def if_points(self, score: p.Score, rule: p.IfPoints) -> z3.ExprRef:
        points = real(rule.points)
        return z3.If(self.enc.cond_of(rule.condition).true, points, z3.RealVal(0))

    def event_points(self, score: p.Score, rule: p.EventPoints) -> z3.ExprRef:
        points = real(rule.points)
        return _capped(points * z3.ToReal(self.enc.count_of(rule.count.slot)), rule.cap)

    def field_points(self, score: p.Score, rule: p.FieldPoints) -> z3.ExprRef:
        points = real(rule.points)
        v = self.enc.fields[rule.value.field]
        return z3.If(v.present, _capped(points * z3.ToReal(v.value), rule.cap), z3.RealVal(0))

    def score(self, score: p.Score, rules: list[z3.ExprRef]) -> z3.ExprRef:
        total: z3.ArithRef = z3.RealVal(0)
        for amount in rules:
            total = total + amount
        if score.minimum is not None:
            total = z3.If(total < real(score.minimum), real(score.minimum), total)
        if score.maximum is not None:
            total = z3.If(total > real(score.maximum), real(score.maximum), total)
        variable = z3.Real(f"{self.enc.scope}score:{score.name}")
        self.enc.base.append(variable == total)
        self.enc.scores[score.name] = variable
        return variable

    def band(self, band: p.Band) -> z3.ExprRef:
        score = self.enc.scores[band.score.score]
        labels = self.enc.band_labels.get(band.name)
        value: z3.ExprRef = z3.StringVal("") if labels is None else z3.IntVal(len(labels) - 1)
        inside = [band_contains(entry, score) for entry in band.entries]
        for entry, test in reversed(list(zip(band.entries, inside, strict=True))):
            label = z3.StringVal(entry.label) if labels is None else z3.IntVal(labels.index(entry.label))
            value = z3.If(test, label, value)
        return value


class _TextSource(ExprEmitter["tuple[str, str] | None"]):
    """The text source a node reads as a whole (("field", name) for a text field,
    ("domain", email field), ("band", name)), else None."""

    def const(self, node: n.Const) -> tuple[str, str] | None:
        return None

    def input(self, node: n.Input) -> tuple[str, str] | None:
        return ("field", node.field) if node.type == "text" else None

    def domain(self, node: n.Domain) -> tuple[str, str] | None:
        return ("domain", node.field)

    def score_ref(self, node: n.ScoreRef) -> tuple[str, str] | None:
        return None

    def band_ref(self, node: n.BandRef) -> tuple[str, str] | None:
        return ("band", node.band)

    def condition_ref(self, node: n.ConditionRef) -> tuple[str, str] | None:
        return None

    def event_aggregate(self, node: n.EventAggregate) -> tuple[str, str] | None:
        return None

    def has_event(self, node: n.HasEvent) -> tuple[str, str] | None:
        return None

    def linear(self, node: n.Linear) -> tuple[str, str] | None:
        return None

    def compare(self, node: n.Compare) -> tuple[str, str] | None:
        return None

    def in_set(self, node: n.InSet) -> tuple[str, str] | None:
        return None

    def text_test(self, node: n.TextTest) -> tuple[str, str] | None:
        return None

    def presence(self, node: n.Presence) -> tuple[str, str] | None:
        return None

    def not_(self, node: n.Not) -> tuple[str, str] | None:
        return None

    def all_(self, node: n.All) -> tuple[str, str] | None:
        return None

    def any_(self, node: n.Any) -> tuple[str, str] | None:
        return None


_TEXT_SOURCE = _TextSource()


class _TextUses(ExprEmitter[None]):
    """Per text source the rules read: the literals it is compared with when it is only ever
    compared with literals (`==`, `!=`, `in`) or tested for presence, else None (it needs the
    string encoding). `visit` each top-level condition; the result is in `uses`."""

    def __init__(self) -> None:
        self.uses: TextUses = {}

    def visit(self, node: n.Node) -> None:
        node.accept(self)

    def _add(self, key: tuple[str, str], literals: tuple[str, ...] | None) -> None:
        found = self.uses.setdefault(key, set())
        if literals is None:
            self.uses[key] = None
        elif found is not None:
            found.update(literals)

    def _read(self, node: n.Node) -> None:
        """A sub-expression read otherwise than compared with literals."""
        key = node.accept(_TEXT_SOURCE)
        if key is not None:
            self._add(key, None)
        else:
            node.accept(self)

    def const(self, node: n.Const) -> None:
        return None

    def input(self, node: n.Input) -> None:
        return None

    def domain(self, node: n.Domain) -> None:
        return None

    def score_ref(self, node: n.ScoreRef) -> None:
        return None

    def band_ref(self, node: n.BandRef) -> None:
        return None

    def condition_ref(self, node: n.ConditionRef) -> None:
        return None

    def event_aggregate(self, node: n.EventAggregate) -> None:
        return None

    def has_event(self, node: n.HasEvent) -> None:
        return None

    def linear(self, node: n.Linear) -> None:
        for _, term in node.terms:
            self._read(term)

    def compare(self, node: n.Compare) -> None:
        sides = ((node.left, node.right), (node.right, node.left))
        for subject, other in sides:
            key = subject.accept(_TEXT_SOURCE)
            literal = _text(other) if node.op in ("==", "!=") else None
            if key is not None and literal is not None:
                self._add(key, (literal,))
            else:
                self._read(subject)

    def in_set(self, node: n.InSet) -> None:
        key = node.subject.accept(_TEXT_SOURCE)
        if key is not None:
            self._add(key, tuple(str(v) for v in node.values))
        else:
            node.subject.accept(self)

    def text_test(self, node: n.TextTest) -> None:
        self._read(node.subject)
        self._read(node.pattern)

    def presence(self, node: n.Presence) -> None:
        key = node.subject.accept(_TEXT_SOURCE)
        if key is not None:
            self._add(key, ())
        else:
            node.subject.accept(self)

    def not_(self, node: n.Not) -> None:
        self._read(node.operand)

    def all_(self, node: n.All) -> None:
        for operand in node.operands:
            self._read(operand)

    def any_(self, node: n.Any) -> None:
        for operand in node.operands:
            self._read(operand)


def _conditions_read(plan: Plan) -> list[n.Node]:
    """Every top-level condition of the plan: conditions, if-rule conditions, disqualifiers,
    stage criteria, route entries."""
    out = [c.expr for c in plan.conditions.values()]
    out += [r.condition for s in plan.scores.values() for r in s.rules if isinstance(r, p.IfPoints)]
    out += [d.condition for d in plan.funnel.disqualifiers]
    out += [c.condition for c in plan.funnel.ladder]
    out += [e.condition for r in plan.funnel.routes for e in r.entries if e.condition is not None]
    return out


def _text_uses(plan: Plan) -> TextUses:
    collector = _TextUses()
    for expr in _conditions_read(plan):
        collector.visit(expr)
    return collector.uses


def text_uses(model: m.CheckedModel) -> TextUses:
    """How the rules read each text source (see `_TextUses`)."""
    return _text_uses(lower(model))


def _used_windows(plan: Plan) -> dict[str, set[int | None]]:
    used: dict[str, set[int | None]] = {name: {None} for name in plan.model.events}
    for slot in plan.slots:
        used[slot.event].add(slot.seconds)
    return used


def used_windows(model: m.CheckedModel) -> dict[str, set[int | None]]:
    """Per declared event: the window lengths (seconds; None for all time) it is counted over."""
    return _used_windows(lower(model))


def micros(value: dt.datetime) -> int:
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def band_contains(entry: m.BandEntry, score: z3.ArithRef) -> z3.BoolRef:
    tests = []
    if entry.low is not None:
        tests.append(score >= real(entry.low))
    if entry.high is not None:
        tests.append(score < real(entry.high))
    return z3.And(tests) if tests else z3.BoolVal(True)


def _compare(op: str, left: z3.ExprRef, right: z3.ExprRef) -> z3.BoolRef:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    a, b = left, right
    return {"<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b,
            ">=": lambda: a >= b}[op]()


# '@' is U+0040 and 'A'..'Z' U+0041..U+005A: one gap in the alphabet. Regular languages
# written as a star of character ranges keep z3's string solver fast (a complement does not).
_LAST_CHAR = chr(0x2FFFF)  # z3's default largest character
_NO_AT = z3.Star(z3.Union(z3.Range(chr(0), "?"), z3.Range("A", _LAST_CHAR)))
_NO_AT_NOR_UPPER = z3.Star(z3.Union(z3.Range(chr(0), "?"), z3.Range("[", _LAST_CHAR)))
_PLAIN_DOMAIN = z3.Star(z3.Union(z3.Range(" ", "?"), z3.Range("[", "~")))


def _never_a_domain_part(text: str) -> bool:
    """No `.domain` value contains this text: it has an '@' or an ASCII capital, which
    lower-casing the text after the last '@' never leaves."""
    return "@" in text or any("A" <= ch <= "Z" for ch in text)


def _never_in_domain(node: n.Node) -> bool:
    text = _text(node)
    return text is not None and _never_a_domain_part(text)


def _domain_ok(domain: z3.SeqRef) -> z3.BoolRef:
    """What every `.domain` value satisfies: no '@' and no ASCII upper case (lower() never
    produces them). Other characters are left free: this over-approximates the values."""
    return z3.InRe(domain, _NO_AT_NOR_UPPER)


def _domain_plain(domain: z3.SeqRef) -> z3.BoolRef:
    """Printable ASCII without '@' or upper case: a domain Python's lower() leaves as it is.
    Used as a link, so that witnesses reproduce while "unreachable" never rests on it."""
    return z3.InRe(domain, _PLAIN_DOMAIN)


def _capped(points: z3.ArithRef, cap: Decimal | None) -> z3.ArithRef:
    if cap is None:
        return points
    limit = real(cap)
    return z3.If(points > limit, limit, z3.If(points < -limit, -limit, points))


def encode(model: m.CheckedModel, *, scope: str = "", text_uses: TextUses | None = None,
           windows: dict[str, set[int | None]] | None = None,
           private_fields: frozenset[str] = frozenset()) -> Encoding:
    """Build the variables, validity constraints and definitions of a model.

    z3 constants are identified by name, so two encodings share every field and event-count
    variable of the same name. Comparing two versions of a ruleset (`leadrules diff`) relies
    on that: it passes the same `text_uses` and `windows` (the union of both versions', so
    that text encodings and window chains agree), a `scope` that keeps each version's score
    variables apart, and the fields whose meaning differs between the versions as
    `private_fields` (their variables are named within `scope` too)."""
    plan = lower(model)
    lowering = Lowering(model, plan.slots)
    lowering.condition_nullable.update({name: c.nullable for name, c in plan.conditions.items()})
    enc = Encoding(model, plan, lowering, scope)
    uses = _text_uses(plan) if text_uses is None else text_uses
    for f in plan.fields:
        enc.fields[f.name] = _field_vars(enc, f, uses, scope + f.name if f.name in private_fields else f.name)
    for name, band in plan.bands.items():
        literals = uses.get(("band", name))
        if literals is not None:
            labels = tuple(dict.fromkeys(e.label for e in band.entries))
            enc.band_labels[name] = (*labels, _other(labels))
    used = _used_windows(plan)
    for event, extra in (windows or {}).items():
        if event in used:
            used[event] |= extra
    for event, seconds in used.items():
        ordered = sorted((s for s in seconds if s is not None))
        chain: list[z3.ArithRef] = []
        enc.event_windows[event] = [*ordered, None]
        for s in [*ordered, None]:
            count = z3.Int(f"count:{event}:{s if s is not None else 'all'}")
            enc.counts[(event, s)] = count
            enc.base.append(count >= 0)
            if chain:
                enc.base.append(chain[-1] <= count)
            chain.append(count)
    enc.define()
    return enc


# a field's z3 variable by the sort its kind names (fieldkinds.py): dates are day numbers and
# timestamps microseconds, both Int
_Z3_VARIABLES: dict[str, Callable[[str], z3.ExprRef]] = {
    "Int": z3.Int, "Real": z3.Real, "Bool": z3.Bool, "String": z3.String,
}


def _field_vars(enc: Encoding, f: m.Field, uses: TextUses, var_name: str | None = None) -> FieldVars:
    # `name` names the z3 variables; the text uses are looked up by the field's own name
    name = f.name if var_name is None else var_name
    field_name = f.name
    present = z3.Bool(f"present:{name}") if f.optional else z3.BoolVal(True)
    value: z3.ExprRef
    record = KINDS[f.kind]
    value = _Z3_VARIABLES[record.z3_sort](f"field:{name}")
    if record.ranged:
        if f.low is not None:
            enc.base.append(z3.Implies(present, value >= real(f.low)))
        if f.high is not None:
            enc.base.append(z3.Implies(present, value <= real(f.high)))
    if record.value_type == "date":
        enc.base.append(z3.And(value >= dt.date.min.toordinal(), value <= dt.date.max.toordinal()))
    if record.value_type == "timestamp":
        low = micros(dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc))
        high = micros(dt.datetime(9999, 12, 30, tzinfo=dt.timezone.utc))
        enc.base.append(z3.And(value >= low, value <= high))
    if not record.textual:
        return FieldVars(f, present, value)
    raw_literals = uses.get(("field", field_name), set())
    domain_literals = uses.get(("domain", field_name), set())
    reads_domain = ("domain", field_name) in uses
    # the text itself matters unless it is only tested for presence
    reads_raw = ("field", field_name) in uses and raw_literals != set()
    # `.domain` read as a string (a text test, a computed comparison) is a suffix of the
    # email's text, so the text is a string too, never an index
    string_domain = reads_domain and domain_literals is None
    labels: tuple[str, ...] | None = None
    if raw_literals is not None and not (reads_domain and reads_raw) and not string_domain:
        # compared only with literals: an index into the literals (and the choices), plus
        # one label for every other text
        if f.kind == "choice":
            labels = (*f.choices, *sorted(raw_literals - set(f.choices)))
        else:
            labels = tuple(sorted(raw_literals))
        labels = (*labels, _other(labels, "pat@example.com" if f.kind == "email" else "other"))
        value = z3.Int(f"field:{name}")
        last = len(labels) - 1
        if f.kind == "choice":
            enc.base.append(z3.Or([value == labels.index(c) for c in f.choices]))
        else:
            enc.base.append(z3.And(value >= 0, value <= last))
    elif f.kind == "choice":
        enc.base.append(z3.Or([value == z3.StringVal(c) for c in f.choices]))
    if f.kind != "email" or not reads_domain:
        return FieldVars(f, present, value, labels=labels)
    has_at = z3.Bool(f"has_at:{name}")
    if domain_literals is not None and not reads_raw:
        # only `.domain` is read, and only against literals: the raw text is built from the
        # domain when the witness is written. A literal `.domain` can never equal (upper
        # case, or an '@') gets no label of its own.
        reachable = sorted(d for d in domain_literals if d == d.lower() and "@" not in d)
        domain_labels = (*reachable, _other(tuple(domain_literals), "other.example"))
        domain = z3.Int(f"domain:{name}")
        enc.base.append(z3.And(domain >= 0, domain <= len(domain_labels) - 1))
        return FieldVars(f, present, value, has_at, domain, labels=labels, domain_labels=domain_labels)
    # `.domain` compared with computed text, or the email also read as text: strings
    assert isinstance(value, z3.SeqRef)
    text_domain = z3.String(f"domain:{name}")
    local = z3.String(f"local:{name}")
    if reads_raw:
        # Python lower-cases the domain; z3 has no such function. The raw text after the
        # last '@' is its own variable; `.domain` is tied to it only through `links`
        # (the domain written in lower case), so an answer that needs an upper-case raw
        # domain is reported as unknown rather than unreachable.
        raw_domain = z3.String(f"raw_domain:{name}")
        enc.base.append(z3.If(
            has_at,
            z3.And(value == z3.Concat(local, z3.StringVal("@"), raw_domain),
                   z3.InRe(raw_domain, _NO_AT), _domain_ok(text_domain)),
            z3.Not(z3.Contains(value, z3.StringVal("@"))),
        ))
        enc.links.append(z3.Implies(has_at, z3.And(raw_domain == text_domain, _domain_plain(raw_domain))))
        return FieldVars(f, present, value, has_at, text_domain, raw_domain=raw_domain)
    enc.base.append(z3.If(
        has_at,
        z3.And(value == z3.Concat(local, z3.StringVal("@"), text_domain), _domain_ok(text_domain)),
        z3.Not(z3.Contains(value, z3.StringVal("@"))),
    ))
    enc.links.append(z3.Implies(has_at, _domain_plain(text_domain)))
    return FieldVars(f, present, value, has_at, text_domain)


def _other(labels: tuple[str, ...], preferred: str = "other") -> str:
    """A text that is none of the labels: stands for every text the rules never mention."""
    candidate, n = preferred, 1
    while candidate in labels:
        candidate, n = f"{preferred}{n}", n + 1
    return candidate


def _is_label(code: z3.ExprRef, labels: tuple[str, ...], literals: tuple[str, ...]) -> z3.BoolRef:
    """The enumerated value is one of the literals (the last label matches no literal)."""
    named = labels[:-1]
    indices = sorted({named.index(v) for v in literals if v in named})
    return z3.Or([code == i for i in indices]) if indices else z3.BoolVal(False)

