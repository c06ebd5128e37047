"""Expression typing and lowering: AST expressions → typed model expressions (LR002–LR004)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

from leadrules import model as m
from leadrules.check.symbols import SymbolTable, did_you_mean
from leadrules.diagnostics import Diagnostic
from leadrules.fieldkinds import KINDS
from leadrules.source import Span
from leadrules.syntax import ast
from leadrules.values import parse_date, parse_timestamp

__all__ = ["ExprLowerer", "window_of", "duration_problem", "MAX_DURATION"]

_TYPE_WORDS = {
    "number": "a number",
    "text": "text",
    "boolean": "a condition (true/false)",
    "date": "a date",
    "timestamp": "a timestamp",
}


# the longest window in each unit: 100 years (spec section 9)
MAX_DURATION = {"days": 36_525, "weeks": 5_218, "hours": 876_600}


def window_of(duration: ast.Duration | None) -> m.Window | None:
    if duration is None:
        return None
    return m.Window(duration.amount, duration.unit, duration.seconds)


def duration_problem(duration: ast.Duration | None) -> Diagnostic | None:
    """LR003 for a window longer than 100 years (past any real calendar arithmetic)."""
    if duration is None or duration.amount <= MAX_DURATION[duration.unit]:
        return None
    return Diagnostic(
        "LR003",
        f"duration of {duration.amount} {duration.unit} is longer than 100 years "
        f"(at most {MAX_DURATION[duration.unit]} {duration.unit})",
        duration.span,
        hint="the longest window is 36525 days, 5218 weeks or 876600 hours; "
             "leave out `in last ...` to count every event",
    )


class ExprLowerer:
    """Lowers the expressions of one ruleset; records names each expression depends on."""

    def __init__(self, symbols: SymbolTable, lists: dict[str, tuple[Decimal | str, ...]]) -> None:
        self.symbols = symbols
        self.lists = lists
        self.diagnostics: list[Diagnostic] = []
        self.dependencies: set[str] = set()
        self.field_kinds: dict[str, ast.FieldDecl] = {}
        self.band_labels: dict[str, tuple[str, ...]] = {}

    # ---- entry points
    def condition(self, expr: ast.Expr) -> m.Expr | None:
        lowered = self.lower(expr)
        if lowered is None:
            return None
        if lowered.type != "boolean":
            self._mismatch(expr.span, "a condition (true/false)", lowered.type)
            return None
        return lowered

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    def _mismatch(self, span: Span, expected: str, found: str, hint: str | None = None) -> None:
        self.error("LR003", f"type mismatch: expected {expected}, found {_TYPE_WORDS.get(found, found)}", span, hint)

    # ---- lowering
    def lower(self, e: ast.Expr) -> m.Expr | None:
        method: Callable[[ast.Expr], m.Expr | None] = getattr(self, "_" + type(e).__name__)
        return method(e)

    def _Number(self, e: ast.Number) -> m.Expr:
        return m.Const(e.value, "number", e.span)

    def _String(self, e: ast.String) -> m.Expr:
        return m.Const(e.value, "text", e.span)

    def _Bool(self, e: ast.Bool) -> m.Expr:
        return m.Const(e.value, "boolean", e.span)

    def _NameRef(self, e: ast.NameRef) -> m.Expr | None:
        symbol = self.symbols.get(e.name)
        if symbol is None:
            self.diagnostics.append(
                self.symbols.unknown(e.name, e.span, "field", "condition", "score", "band")
            )
            return None
        self.dependencies.add(e.name)
        if symbol.kind == "field":
            decl = symbol.node
            assert isinstance(decl, ast.FieldDecl)
            return m.FieldValue(e.name, _field_value_type(decl.type.kind), e.span)
        if symbol.kind == "score":
            return m.ScoreValue(e.name, e.span)
        if symbol.kind == "band":
            return m.BandValue(e.name, e.span)
        if symbol.kind == "condition":
            return m.ConditionValue(e.name, e.span)
        if symbol.kind == "event":
            self.error(
                "LR003",
                f"'{e.name}' is an event, not a value",
                e.span,
                hint=f"write `has {e.name}` or `count({e.name})`",
            )
            return None
        what = {"list": "a list", "stage": "a stage", "disqualifier": "a disqualifier"}[symbol.kind]
        hint = f"write `x in {e.name}`" if symbol.kind == "list" else None
        self.error("LR003", f"'{e.name}' is {what}, not a value", e.span, hint=hint)
        return None

    def _Attribute(self, e: ast.Attribute) -> m.Expr | None:
        symbol = self.symbols.get(e.base.name)
        if symbol is None:
            unknown = self.symbols.unknown(e.base.name, e.base.span, "field")
            if unknown.hint is not None and e.attribute.name == "domain":
                # `.domain` only exists on email fields: suggest the declaration that makes it work
                unknown = dataclasses.replace(unknown, hint=f"declare it, e.g. `field {e.base.name}: email`")
            self.diagnostics.append(unknown)
            return None
        self.dependencies.add(e.base.name)
        is_email = (
            symbol.kind == "field" and isinstance(symbol.node, ast.FieldDecl) and symbol.node.type.kind == "email"
        )
        if e.attribute.name != "domain":
            self.error(
                "LR002",
                f"unknown attribute '{e.attribute.name}'" + (" (did you mean 'domain'?)" if did_you_mean(e.attribute.name, ["domain"]) else ""),
                e.attribute.span,
                hint="email fields have one attribute: `.domain`",
            )
            return None
        if not is_email:
            self.error("LR003", f"'.domain' needs an email field; '{e.base.name}' is not one", e.span,
                       hint=f"declare `field {e.base.name}: email`")
            return None
        return m.EmailDomain(e.base.name, e.span)

    def _HasEvent(self, e: ast.HasEvent) -> m.Expr | None:
        if not self._event(e.event, "has") or not self._window_ok(e.window):
            return None
        return m.HasEvent(e.event.name, window_of(e.window), e.span)

    def _CountEvent(self, e: ast.CountEvent) -> m.Expr | None:
        if not self._event(e.event, "count()") or not self._window_ok(e.window):
            return None
        return m.EventCount(e.event.name, window_of(e.window), e.span)

    def _window_ok(self, duration: ast.Duration | None) -> bool:
        problem = duration_problem(duration)
        if problem is not None:
            self.diagnostics.append(problem)
        return problem is None

    def _event(self, name: ast.Ident, what: str) -> bool:
        symbol = self.symbols.get(name.name)
        if symbol is None:
            self.diagnostics.append(self.symbols.unknown(name.name, name.span, "event", what="event"))
            return False
        self.dependencies.add(name.name)
        if symbol.kind != "event":
            self.error("LR003", f"{what} takes only events; '{name.name}' is {_kind_word(symbol.kind)}", name.span)
            return False
        return True

    # ---- arithmetic
    def _Negate(self, e: ast.Negate) -> m.Expr | None:
        return self._linear_of(e)

    def _Sum(self, e: ast.Sum) -> m.Expr | None:
        return self._linear_of(e)

    def _Product(self, e: ast.Product) -> m.Expr | None:
        return self._linear_of(e)

    def _linear_of(self, e: ast.Expr) -> m.Expr | None:
        form = self._linear(e)
        if form is None:
            return None
        terms, constant = form
        merged: dict[m.Expr, Decimal] = {}
        for coefficient, term in terms:
            merged[term] = merged.get(term, Decimal(0)) + coefficient
        # a term that cancels (`x - x`, `0 * x`) stays with coefficient 0: the value is still
        # unknown when that term is missing (spec section 9), so it is never folded away
        items = tuple((c, t) for t, c in merged.items())
        if not items:
            return m.Const(constant, "number", e.span)
        if len(items) == 1 and items[0][0] == 1 and constant == 0:
            return items[0][1]
        return m.Linear(items, constant, e.span)

    def _linear(self, e: ast.Expr) -> tuple[list[tuple[Decimal, m.Expr]], Decimal] | None:
        if isinstance(e, ast.Number):
            return [], e.value
        if isinstance(e, ast.Negate):
            inner = self._linear(e.operand)
            if inner is None:
                return None
            return [(-c, t) for c, t in inner[0]], -inner[1]
        if isinstance(e, ast.Sum):
            terms: list[tuple[Decimal, m.Expr]] = []
            constant = Decimal(0)
            ok = True
            for sign, term in zip(e.signs, e.terms, strict=True):
                part = self._linear(term)
                if part is None:
                    ok = False
                    continue
                terms.extend((c * sign, t) for c, t in part[0])
                constant += part[1] * sign
            return (terms, constant) if ok else None
        if isinstance(e, ast.Product):
            parts = [self._linear(f) for f in e.factors]
            if any(p is None for p in parts):
                return None
            scale = Decimal(1)
            variable: tuple[list[tuple[Decimal, m.Expr]], Decimal] | None = None
            for part, factor in zip(parts, e.factors, strict=True):
                assert part is not None
                if not part[0]:
                    scale *= part[1]
                elif variable is None:
                    variable = part
                else:
                    self.error(
                        "LR003",
                        "only multiplication by a number is allowed (arithmetic is linear)",
                        factor.span,
                        hint="write e.g. `2 * fit`",
                    )
                    return None
            if variable is None:
                return [], scale
            return [(c * scale, t) for c, t in variable[0]], variable[1] * scale
        lowered = self.lower(e)
        if lowered is None:
            return None
        if lowered.type != "number":
            self._mismatch(e.span, "a number", lowered.type)
            return None
        if isinstance(lowered, m.Const):
            assert isinstance(lowered.value, Decimal)
            return [], lowered.value
        if isinstance(lowered, m.Linear):
            return list(lowered.terms), lowered.constant
        return [(Decimal(1), lowered)], Decimal(0)

    # ---- predicates
    def _Compare(self, e: ast.Compare) -> m.Expr | None:
        for bare, other in ((e.right, e.left), (e.left, e.right)):
            unquoted = self._unquoted_value(bare, other)
            if unquoted is not None:
                self.lower(other)
                self.diagnostics.append(unquoted)
                return None
        left = self.lower(e.left)
        right = self.lower(e.right)
        if left is None or right is None:
            return None
        return self._comparison(e.op, left, right, e.span)

    def _comparison(self, op: str, left: m.Expr, right: m.Expr, span: Span) -> m.Expr | None:
        coerced_left, coerced_right = self._coerce_temporal(left, right), self._coerce_temporal(right, left)
        if coerced_left is None or coerced_right is None:
            return None
        left, right = coerced_left, coerced_right
        if left.type != right.type:
            self.error(
                "LR003",
                f"type mismatch: cannot compare {_TYPE_WORDS[left.type]} with {_TYPE_WORDS[right.type]}",
                span,
                hint="a date compares with a date string (\"2026-01-31\"), a timestamp with a timestamp string"
                if {left.type, right.type} & {"date", "timestamp"}
                else None,
            )
            return None
        if op not in ("==", "!=") and left.type in ("text", "boolean"):
            self.error(
                "LR003",
                f"type mismatch: '{op}' orders numbers, dates and timestamps, not {_TYPE_WORDS[left.type]}",
                span,
                hint="use == or != for text, or `in [...]`",
            )
            return None
        for a, b in ((left, right), (right, left)):
            if isinstance(b, m.Const) and isinstance(b.value, str):
                self._check_member(a, b.value, b.span)
        return m.Compare(op, left, right, span)

    def _unquoted_value(self, bare: ast.Expr, other: ast.Expr) -> Diagnostic | None:
        """LR002 for `role == manager` where "manager" is a value of `role` (or a band label):
        the author meant the text, not a name."""
        if not isinstance(bare, ast.NameRef) or self.symbols.get(bare.name) is not None:
            return None
        if not isinstance(other, ast.NameRef):
            return None
        symbol = self.symbols.get(other.name)
        values: tuple[str, ...] = ()
        if symbol is not None and symbol.kind == "field" and isinstance(symbol.node, ast.FieldDecl) \
                and symbol.node.type.kind == "choice":
            values = tuple(c.value for c in symbol.node.type.choices)
        elif symbol is not None and symbol.kind == "band":
            values = self.band_labels.get(other.name, ())
        if bare.name not in values:
            return None
        return Diagnostic("LR002", f"unknown name '{bare.name}'", bare.span,
                          hint=f'did you mean the text "{bare.name}"?')

    def _coerce_temporal(self, value: m.Expr, other: m.Expr) -> m.Expr | None:
        if not (isinstance(value, m.Const) and value.type == "text" and other.type in ("date", "timestamp")):
            return value
        assert isinstance(value.value, str)
        if other.type == "date":
            parsed_date = parse_date(value.value)
            if parsed_date is None:
                self.error("LR003", f"'{value.value}' is not a date", value.span, hint='write dates as "YYYY-MM-DD"')
                return None
            return m.Const(parsed_date, "date", value.span)
        parsed = parse_timestamp(value.value)
        if parsed is None:  # a plain date is a timestamp too (midnight UTC), so no date hint here
            self.error("LR003", f"'{value.value}' is not a timestamp", value.span,
                       hint='write timestamps as "2026-11-22T10:00:00Z" or "2026-11-22 10:00"')
            return None
        return m.Const(parsed, "timestamp", value.span)

    def _check_member(self, subject: m.Expr, value: str, span: Span) -> None:
        allowed: tuple[str, ...] | None = None
        what = ""
        if isinstance(subject, m.FieldValue):
            decl = self.field_kinds.get(subject.field)
            if decl is not None and decl.type.kind == "choice":
                allowed = tuple(c.value for c in decl.type.choices)
                what = f"field '{subject.field}'"
        elif isinstance(subject, m.BandValue):
            allowed = self.band_labels.get(subject.band)
            what = f"band '{subject.band}'"
        if allowed is None or value in allowed:
            return
        suggestion = did_you_mean(value, allowed)
        message = f"'{value}' is not a value of {what}"
        if suggestion:
            message += f" (did you mean '{suggestion}'?)"
        self.error("LR004", message, span, hint="allowed: " + ", ".join(f'"{a}"' for a in allowed))

    def _Between(self, e: ast.Between) -> m.Expr | None:
        subject = self.lower(e.subject)
        low = self.lower(e.low)
        high = self.lower(e.high)
        if subject is None or low is None or high is None:
            return None
        first = self._comparison(">=", subject, low, e.span)
        second = self._comparison("<=", subject, high, e.span)
        if first is None or second is None:
            return None
        return m.And((first, second), e.span)

    def _InList(self, e: ast.InList) -> m.Expr | None:
        subject = self.lower(e.subject)
        values: tuple[Decimal | str, ...]
        if isinstance(e.items, ast.ListName):
            symbol = self.symbols.get(e.items.name)
            if symbol is None or symbol.kind != "list":
                if symbol is None:
                    self.diagnostics.append(self.symbols.unknown(e.items.name, e.items.span, "list", what="list"))
                else:
                    self.error("LR003", f"'{e.items.name}' is {_kind_word(symbol.kind)}, not a list", e.items.span)
                return None
            self.dependencies.add(e.items.name)
            values = self.lists.get(e.items.name, ())
            spans = [e.items.span] * len(values)
        else:
            values = tuple(item.value for item in e.items.items)
            spans = [item.span for item in e.items.items]
        if subject is None:
            return None
        if subject.type not in ("text", "number"):
            self._mismatch(e.subject.span, "text or a number before 'in'", subject.type)
            return None
        wanted = str if subject.type == "text" else Decimal
        for value, span in zip(values, spans, strict=True):
            if not isinstance(value, wanted):
                self.error(
                    "LR003",
                    f"type mismatch: list value {_show(value)} is not {_TYPE_WORDS[subject.type]}",
                    span,
                )
                return None
            if isinstance(value, str):
                self._check_member(subject, value, span)
        return m.InSet(subject, tuple(values), e.negated, e.span)

    def _TextTest(self, e: ast.TextTest) -> m.Expr | None:
        subject = self.lower(e.subject)
        pattern = self.lower(e.pattern)
        if subject is None or pattern is None:
            return None
        for part, source in ((subject, e.subject), (pattern, e.pattern)):
            if part.type != "text":
                self._mismatch(source.span, f"text for '{e.op}'", part.type)
                return None
        return m.TextTest(e.op, subject, pattern, e.span)

    def _Presence(self, e: ast.Presence) -> m.Expr | None:
        subject = self.lower(e.subject)
        if subject is None:
            return None
        return m.Presence(subject, e.present, e.span)

    def _Not(self, e: ast.Not) -> m.Expr | None:
        operand = self.condition(e.operand)
        return None if operand is None else m.Not(operand, e.span)

    def _And(self, e: ast.And) -> m.Expr | None:
        parts = [self.condition(x) for x in e.operands]
        if any(p is None for p in parts):
            return None
        return m.And(tuple(p for p in parts if p is not None), e.span)

    def _Or(self, e: ast.Or) -> m.Expr | None:
        parts = [self.condition(x) for x in e.operands]
        if any(p is None for p in parts):
            return None
        return m.Or(tuple(p for p in parts if p is not None), e.span)


def _field_value_type(kind: str) -> str:
    record = KINDS.get(kind)
    return "text" if record is None else record.value_type


def _kind_word(kind: str) -> str:
    from leadrules.check.symbols import KIND_WORDS

    return KIND_WORDS.get(kind, kind)


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)
