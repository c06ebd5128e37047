"""CheckedModel → z3 terms with exactly the evaluator's semantics, shared by every lint rule.

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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import z3

from leadrules import model as m

__all__ = ["Encoding", "Cond", "Val", "encode", "real", "EPOCH", "TextUses", "text_uses", "used_windows"]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


# per text source (("field", name), ("domain", email field), ("band", name)): see `_text_uses`
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
    fields: dict[str, FieldVars] = field(default_factory=dict)
    counts: dict[tuple[str, int | None], z3.ArithRef] = field(default_factory=dict)
    # per event: the window lengths in seconds it is counted over, ascending; None (all) last
    event_windows: dict[str, list[int | None]] = field(default_factory=dict)
    scores: dict[str, z3.ArithRef] = field(default_factory=dict)
    score_bounds: dict[str, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)
    base: list[z3.BoolRef] = field(default_factory=list)
    # constraints that make the encoding exact where it is otherwise an over-approximation
    # (an email read both as text and through `.domain`): a query is first solved with
    # them; an answer found only without them is "unknown", never "unreachable"
    links: list[z3.BoolRef] = field(default_factory=list)
    # band name → its labels; a band's value is an Int index into them
    band_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _conditions: dict[str, Cond] = field(default_factory=dict)
    _conds: dict[m.Expr, Cond] = field(default_factory=dict)
    _vals: dict[m.Expr, Val] = field(default_factory=dict)

    def windows_by_event(self) -> dict[str, list[int | None]]:
        return self.event_windows

    # ---- atoms -------------------------------------------------------------------------
    def count(self, event: str, window: m.Window | None) -> z3.ArithRef:
        return self.counts[(event, window.seconds if window is not None else None)]

    def cond(self, expr: m.Expr) -> Cond:
        """The (is true, is false) pair of a boolean expression."""
        cached = self._conds.get(expr)
        if cached is None:
            cached = self._conds[expr] = self._cond(expr)
        return cached

    def val(self, expr: m.Expr) -> Val:
        cached = self._vals.get(expr)
        if cached is None:
            cached = self._vals[expr] = self._val(expr)
        return cached

    def condition(self, name: str) -> Cond:
        return self._conditions[name]

    def _cond(self, e: m.Expr) -> Cond:
        if isinstance(e, m.Const):
            truth = bool(e.value)
            return Cond(z3.BoolVal(truth), z3.BoolVal(not truth))
        if isinstance(e, m.ConditionValue):
            return self._conditions[e.condition]
        if isinstance(e, m.FieldValue):
            v = self.fields[e.field]
            return Cond(z3.And(v.present, v.value), z3.And(v.present, z3.Not(v.value)))
        if isinstance(e, m.HasEvent):
            n = self.count(e.event, e.window)
            return Cond(n >= 1, n == 0)
        if isinstance(e, m.Not):
            inner = self.cond(e.operand)
            return Cond(inner.false, inner.true)
        if isinstance(e, m.And):
            parts = [self.cond(p) for p in e.operands]
            return Cond(z3.And([p.true for p in parts]), z3.Or([p.false for p in parts]))
        if isinstance(e, m.Or):
            parts = [self.cond(p) for p in e.operands]
            return Cond(z3.Or([p.true for p in parts]), z3.And([p.false for p in parts]))
        if isinstance(e, m.Presence):
            known = self._known(e.subject)
            return Cond(known, z3.Not(known)) if e.present else Cond(z3.Not(known), known)
        if isinstance(e, m.Compare) and e.op in ("==", "!="):
            for side, literal in ((e.left, e.right), (e.right, e.left)):
                labels = self._labels(side)
                if labels is not None and isinstance(literal, m.Const) and isinstance(literal.value, str):
                    coded = self.val(side)
                    matches = _is_label(coded.value, labels, (literal.value,))
                    if e.op == "!=":
                        matches = z3.Not(matches)
                    return Cond(z3.And(coded.known, matches), z3.And(coded.known, z3.Not(matches)))
        if isinstance(e, m.Compare):
            left, right = self.val(e.left), self.val(e.right)
            known = z3.And(left.known, right.known)
            if e.op in ("==", "!=") and any(isinstance(a, m.EmailDomain) and _never_in_domain(b)
                                            for a, b in ((e.left, e.right), (e.right, e.left))):
                return Cond(known, z3.BoolVal(False)) if e.op == "!=" else Cond(z3.BoolVal(False), known)
            holds = _compare(e.op, left.value, right.value)
            return Cond(z3.And(known, holds), z3.And(known, z3.Not(holds)))
        if isinstance(e, m.InSet):
            subject = self.val(e.subject)
            labels = self._labels(e.subject)
            if labels is not None:
                member = _is_label(subject.value, labels, tuple(str(v) for v in e.values))
            else:
                values = e.values
                if isinstance(e.subject, m.EmailDomain):
                    values = tuple(v for v in values if not (isinstance(v, str) and _never_a_domain_part(v)))
                member = z3.Or([subject.value == self._literal(v, e.subject.type) for v in values]) \
                    if values else z3.BoolVal(False)
            yes, no = z3.And(subject.known, member), z3.And(subject.known, z3.Not(member))
            return Cond(no, yes) if e.negated else Cond(yes, no)
        if isinstance(e, m.TextTest):
            subject, pattern = self.val(e.subject), self.val(e.pattern)
            known = z3.And(subject.known, pattern.known)
            if isinstance(e.subject, m.EmailDomain) and _never_in_domain(e.pattern):
                # decided without string search (which z3 finds slow on negated tests)
                return Cond(z3.BoolVal(False), known)
            s, p = subject.value, pattern.value
            assert isinstance(s, z3.SeqRef) and isinstance(p, z3.SeqRef)
            holds = {"starts with": z3.PrefixOf(p, s), "ends with": z3.SuffixOf(p, s),
                     "contains": z3.Contains(s, p)}[e.op]
            return Cond(z3.And(known, holds), z3.And(known, z3.Not(holds)))
        raise TypeError(f"not a condition: {type(e).__name__}")

    def _labels(self, e: m.Expr) -> tuple[str, ...] | None:
        """The labels of an enumerated text expression (its value is an index), else None."""
        if isinstance(e, m.FieldValue):
            return self.fields[e.field].labels
        if isinstance(e, m.EmailDomain):
            return self.fields[e.field].domain_labels
        if isinstance(e, m.BandValue):
            return self.band_labels.get(e.band)
        return None

    def _known(self, e: m.Expr) -> z3.BoolRef:
        if e.type == "boolean":
            c = self.cond(e)
            return z3.Or(c.true, c.false)
        return self.val(e).known

    def _literal(self, value: Decimal | str, value_type: str) -> z3.ExprRef:
        if isinstance(value, str):
            return z3.StringVal(value)
        return real(value)

    def _val(self, e: m.Expr) -> Val:
        yes = z3.BoolVal(True)
        if isinstance(e, m.Const):
            value = e.value
            if isinstance(value, bool):
                return Val(yes, z3.BoolVal(value))
            if isinstance(value, Decimal):
                return Val(yes, real(value))
            if isinstance(value, str):
                return Val(yes, z3.StringVal(value))
            if isinstance(value, dt.datetime):
                return Val(yes, z3.IntVal(micros(value)))
            return Val(yes, z3.IntVal(value.toordinal()))
        if isinstance(e, m.FieldValue):
            v = self.fields[e.field]
            value_ref = v.value
            if v.field.kind == "integer":
                value_ref = z3.ToReal(value_ref)
            return Val(v.present, value_ref)
        if isinstance(e, m.EmailDomain):
            v = self.fields[e.field]
            assert v.has_at is not None and v.domain is not None
            return Val(z3.And(v.present, v.has_at), v.domain)
        if isinstance(e, m.ScoreValue):
            return Val(yes, self.scores[e.score])
        if isinstance(e, m.BandValue):
            return self._band(e.band)
        if isinstance(e, m.EventCount):
            return Val(yes, z3.ToReal(self.count(e.event, e.window)))
        if isinstance(e, m.Linear):
            parts = [(c, self.val(t)) for c, t in e.terms]
            total: z3.ArithRef = real(e.constant)
            for coefficient, part in parts:
                total = total + real(coefficient) * part.value
            return Val(z3.And([p.known for _, p in parts]), total)
        if e.type == "boolean":
            c = self.cond(e)
            return Val(z3.Or(c.true, c.false), c.true)
        raise TypeError(f"not a value: {type(e).__name__}")

    def _band(self, name: str) -> Val:
        band = self.model.bands[name]
        score = self.scores[band.score]
        labels = self.band_labels.get(name)
        value: z3.ExprRef = z3.StringVal("") if labels is None else z3.IntVal(len(labels) - 1)
        inside = [band_contains(entry, score) for entry in band.entries]
        for entry, test in reversed(list(zip(band.entries, inside, strict=True))):
            label = z3.StringVal(entry.label) if labels is None else z3.IntVal(labels.index(entry.label))
            value = z3.If(test, label, value)
        return Val(z3.Or(inside) if inside else z3.BoolVal(False), value)

    # ---- funnel ------------------------------------------------------------------------
    def fires(self, disqualifier: m.Disqualifier) -> z3.BoolRef:
        return self.cond(disqualifier.condition).true

    def disqualified(self) -> z3.BoolRef:
        return z3.Or([self.fires(d) for d in self.model.global_disqualifiers] or [z3.BoolVal(False)])

    def blocked(self, stage: str) -> z3.BoolRef:
        index = self.model.stage_index(stage)
        blockers = [self.fires(d) for d in self.model.scoped_disqualifiers
                    if d.at is not None and self.model.stage_index(d.at) <= index]
        return z3.Or(blockers) if blockers else z3.BoolVal(False)

    def qualifies(self, stage: str) -> z3.BoolRef:
        """The stage's criterion is true and no true scoped disqualifier blocks it."""
        criterion = self.model.criteria.get(stage)
        if criterion is None:
            return z3.BoolVal(False)
        return z3.And(self.cond(criterion.condition).true, z3.Not(self.blocked(stage)))

    def ends_in(self, stage: str) -> z3.BoolRef:
        """The lead's final stage is `stage` (the reserved `Disqualified` included)."""
        if stage == m.DISQUALIFIED:
            return self.disqualified()
        stages = self.model.stages
        index = stages.index(stage)
        later = [z3.Not(self.qualifies(s)) for s in stages[index + 1:]]
        here = z3.BoolVal(True) if index == 0 else self.qualifies(stage)
        return z3.And([z3.Not(self.disqualified()), here, *later])

    def selects(self, route: m.Route, index: int) -> z3.BoolRef:
        """Entry `index` of the route is the one the lead is routed by."""
        earlier = [z3.Not(self.cond(entry.condition).true) for entry in route.entries[:index]
                   if entry.condition is not None]
        condition = route.entries[index].condition
        assert condition is not None
        return z3.And([self.ends_in(route.stage), *earlier, self.cond(condition).true])


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


def _never_in_domain(e: m.Expr) -> bool:
    return isinstance(e, m.Const) and isinstance(e.value, str) and _never_a_domain_part(e.value)


def _domain_ok(domain: z3.SeqRef) -> z3.BoolRef:
    """What every `.domain` value satisfies: no '@' and no ASCII upper case (lower() never
    produces them). Other characters are left free: this over-approximates the values."""
    return z3.InRe(domain, _NO_AT_NOR_UPPER)


def _domain_plain(domain: z3.SeqRef) -> z3.BoolRef:
    """Printable ASCII without '@' or upper case: a domain Python's lower() leaves as it is.
    Used as a link, so that witnesses reproduce while "unreachable" never rests on it."""
    return z3.InRe(domain, _PLAIN_DOMAIN)


def _used_windows(model: m.CheckedModel) -> dict[str, set[int | None]]:
    used: dict[str, set[int | None]] = {name: {None} for name in model.events}
    windows: dict[int, m.Window] = {}

    def visit(expr: m.Expr) -> None:
        stack = [expr]
        while stack:
            e = stack.pop()
            if isinstance(e, (m.HasEvent, m.EventCount)) and e.window is not None:
                used[e.event].add(e.window.seconds)
                windows[e.window.seconds] = e.window
            stack.extend(m.children(e))

    for expr in all_expressions(model):
        visit(expr)
    for score in model.scores.values():
        for rule in score.rules:
            if isinstance(rule, m.PerEventRule) and rule.window is not None:
                used[rule.event].add(rule.window.seconds)
    return used


def all_expressions(model: m.CheckedModel) -> list[m.Expr]:
    """Every top-level condition of the model, in declaration order of its kind."""
    out: list[m.Expr] = [c.expr for c in model.conditions.values()]
    for score in model.scores.values():
        out.extend(r.condition for r in score.rules if isinstance(r, m.IfRule))
    out.extend(d.condition for d in model.disqualifiers)
    out.extend(c.condition for c in model.criteria.values())
    for route in model.routes.values():
        out.extend(e.condition for e in route.entries if e.condition is not None)
    return out


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
    enc = Encoding(model)
    uses = _text_uses(model) if text_uses is None else text_uses
    for name, f in model.fields.items():
        enc.fields[name] = _field_vars(enc, f, uses, scope + name if name in private_fields else name)
    for name, band in model.bands.items():
        literals = uses.get(("band", name))
        if literals is not None:
            labels = tuple(dict.fromkeys(e.label for e in band.entries))
            enc.band_labels[name] = (*labels, _other(labels))
    used = _used_windows(model)
    for event, extra in (windows or {}).items():
        if event in used:
            used[event] |= extra
    for event, seconds in used.items():
        ordered = sorted((s for s in seconds if s is not None))
        chain: list[z3.ArithRef] = []
        enc.event_windows[event] = [*ordered, None]
        for s in [*ordered, None]:
            n = z3.Int(f"count:{event}:{s if s is not None else 'all'}")
            enc.counts[(event, s)] = n
            enc.base.append(n >= 0)
            if chain:
                enc.base.append(chain[-1] <= n)
            chain.append(n)
    for kind, name in model.order:
        if kind == "condition":
            enc._conditions[name] = enc.cond(model.conditions[name].expr)
        elif kind == "score":
            _define_score(enc, model.scores[name], scope)
    # scores and conditions not reached by `order` (none expected) are defined lazily here
    for name, score in model.scores.items():
        if name not in enc.scores:
            _define_score(enc, score, scope)
    for name, condition in model.conditions.items():
        if name not in enc._conditions:
            enc._conditions[name] = enc.cond(condition.expr)
    return enc


def _define_score(enc: Encoding, score: m.Score, scope: str = "") -> None:
    total: z3.ArithRef = z3.RealVal(0)
    for rule in score.rules:
        points = real(rule.points)
        if isinstance(rule, m.IfRule):
            total = total + z3.If(enc.cond(rule.condition).true, points, z3.RealVal(0))
        elif isinstance(rule, m.PerEventRule):
            n = z3.ToReal(enc.count(rule.event, rule.window))
            total = total + _capped(points * n, rule.cap)
        else:
            v = enc.fields[rule.field]
            total = total + z3.If(v.present, _capped(points * z3.ToReal(v.value), rule.cap),
                                  z3.RealVal(0))
    if score.minimum is not None:
        total = z3.If(total < real(score.minimum), real(score.minimum), total)
    if score.maximum is not None:
        total = z3.If(total > real(score.maximum), real(score.maximum), total)
    variable = z3.Real(f"{scope}score:{score.name}")
    enc.base.append(variable == total)
    enc.scores[score.name] = variable


def _field_vars(enc: Encoding, f: m.Field, uses: TextUses, var_name: str | None = None) -> FieldVars:
    # `name` names the z3 variables; the text uses are looked up by the field's own name
    name = f.name if var_name is None else var_name
    field_name = f.name
    present = z3.Bool(f"present:{name}") if f.optional else z3.BoolVal(True)
    value: z3.ExprRef
    if f.kind in ("integer", "date", "timestamp"):
        value = z3.Int(f"field:{name}")
    elif f.kind == "number":
        value = z3.Real(f"field:{name}")
    elif f.kind == "boolean":
        value = z3.Bool(f"field:{name}")
    else:
        value = z3.String(f"field:{name}")
    if f.kind in ("integer", "number"):
        if f.low is not None:
            enc.base.append(z3.Implies(present, value >= real(f.low)))
        if f.high is not None:
            enc.base.append(z3.Implies(present, value <= real(f.high)))
    if f.kind == "date":
        enc.base.append(z3.And(value >= dt.date.min.toordinal(), value <= dt.date.max.toordinal()))
    if f.kind == "timestamp":
        low = micros(dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc))
        high = micros(dt.datetime(9999, 12, 30, tzinfo=dt.timezone.utc))
        enc.base.append(z3.And(value >= low, value <= high))
    if f.kind not in ("text", "email", "choice"):
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


def _text_uses(model: m.CheckedModel) -> TextUses:
    """Per text source (("field", name), ("domain", email field), ("band", name)) that the
    rules read: the literals it is compared with when it is only ever compared with literals
    (`==`, `!=`, `in`) or tested for presence, else None (it needs the string encoding)."""
    uses: dict[tuple[str, str], set[str] | None] = {}

    def source(e: m.Expr) -> tuple[str, str] | None:
        if isinstance(e, m.FieldValue) and e.type == "text":
            return ("field", e.field)
        if isinstance(e, m.EmailDomain):
            return ("domain", e.field)
        if isinstance(e, m.BandValue):
            return ("band", e.band)
        return None

    def add(key: tuple[str, str], literals: tuple[str, ...] | None) -> None:
        if key not in uses:
            uses[key] = set()
        found = uses[key]
        if literals is None:
            uses[key] = None
        elif found is not None:
            found.update(literals)

    stack = list(all_expressions(model))
    while stack:
        e = stack.pop()
        handled: set[int] = set()
        if isinstance(e, m.Compare) and e.op in ("==", "!="):
            for subject, other in ((e.left, e.right), (e.right, e.left)):
                key = source(subject)
                if key is not None and isinstance(other, m.Const) and isinstance(other.value, str):
                    add(key, (other.value,))
                    handled.add(id(subject))
        elif isinstance(e, m.InSet):
            key = source(e.subject)
            if key is not None:
                add(key, tuple(str(v) for v in e.values))
                handled.add(id(e.subject))
        elif isinstance(e, m.Presence):
            key = source(e.subject)
            if key is not None:
                add(key, ())
                handled.add(id(e.subject))
        for child in m.children(e):
            if id(child) in handled:
                continue
            key = source(child)
            if key is not None:
                add(key, None)
            else:
                stack.append(child)
    return uses


def text_uses(model: m.CheckedModel) -> TextUses:
    """How the rules read each text source (see `_text_uses`)."""
    return _text_uses(model)


def used_windows(model: m.CheckedModel) -> dict[str, set[int | None]]:
    """Per declared event: the window lengths (seconds; None for all time) it is counted over."""
    return _used_windows(model)
