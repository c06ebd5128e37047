"""Code generation: a checked model → the Python source of one evaluator module.

The module defines `build(K)`, which unpacks the constant tuple `K` into closure variables
(`k0`, `k1`, ...) and returns two functions over a validated lead:

- `evaluate(lead_id, values, events, as_of)` → the output record (section 5 of the spec);
- `trace(lead_id, values, events, as_of)` → the same record plus everything `explain` shows.

Everything that comes from the rule file (names, labels, numbers, lists, dates) enters through
`K`; the source only holds identifiers generated here (`v3` a field, `s0` a score, `n2` an event
counter, ...). Generated code imports only names from `runtime.EXPORTS`.

Why generated source and not closures: a closure tree pays one Python call per node and per
lead, while the generated function is straight-line code over locals. `benchmarks/bench_codegen.py`
builds a closure-per-node evaluator of `benchmarks/eval_bench.rules` (same one-pass event
counting) and times both on the same validated leads: the generated function evaluated 5.8×
as many leads per second (168,000 vs 29,000 leads/s on the 2-CPU development machine), so
generated source it is.

Three-valued logic: a value that may be missing is `None`; a condition is `True`, `False` or
`None` (unknown). Which expressions can be missing is known statically (a required field never
is), so two-valued parts compile to plain Python `and`/`or`/comparisons and only the nullable
parts pay for Kleene logic.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.engine.python.runtime import EXPORTS
from leadrules.errors import InternalError
from leadrules.source import Span

__all__ = ["GeneratedModule", "generate", "Slot"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_COMPARE_OPS = frozenset(("==", "!=", "<", "<=", ">", ">="))

# an event counter: (event name, window seconds or None for all time)
Slot = tuple[str, "int | None"]


@dataclass(frozen=True)
class GeneratedModule:
    """The generated source with what is needed to run it and to read its results."""

    source: str
    constants: tuple[Any, ...]
    line_map: dict[int, Span]
    slots: tuple[Slot, ...]
    # (score name, rule index within the score, rule) in the order `trace` reports points
    rules: tuple[tuple[str, int, m.ScoreRule], ...]
    criteria: tuple[str, ...]  # stages whose criterion `trace` reports, in funnel order
    routes: tuple[str, ...]  # route blocks `trace` reports, in declaration order
    email_fields: tuple[str, ...]  # fields whose `.domain` is computed
    windows: dict[int, m.Window]  # window seconds → the window as written


def _whole(value: Decimal) -> int | Decimal:
    """Numbers from the rule file: whole ones as int (faster arithmetic, same exact result)."""
    return int(value) if value == value.to_integral_value() else value


@dataclass
class _Emitter:
    lines: list[str] = field(default_factory=list)
    line_map: dict[int, Span] = field(default_factory=dict)

    def __call__(self, depth: int, text: str, span: Span | None = None) -> None:
        self.lines.append("    " * depth + text)
        if span is not None:
            self.line_map[len(self.lines)] = span


class _Generator:
    def __init__(self, model: m.CheckedModel) -> None:
        self.model = model
        self.constants: list[Any] = []
        self.constant_index: dict[tuple[type, Any], int] = {}
        self.field_index = {name: i for i, name in enumerate(model.fields)}
        self.score_index = {name: i for i, name in enumerate(model.scores)}
        self.band_index = {name: i for i, name in enumerate(model.bands)}
        self.condition_index = {name: i for i, name in enumerate(model.conditions)}
        self.condition_nullable: dict[str, bool] = {}
        self.slots: dict[Slot, int] = {}
        self.email_fields: list[str] = []
        self.windows: dict[int, m.Window] = {}
        self.temp = 0
        self._collect()

    # ---- constants and names
    def const(self, value: Any) -> str:
        key = (type(value), value)
        index = self.constant_index.get(key)
        if index is None:
            index = len(self.constants)
            self.constants.append(value)
            self.constant_index[key] = index
        return f"k{index}"

    def number(self, value: Decimal) -> str:
        return self.const(_whole(value))

    def fresh(self) -> str:
        self.temp += 1
        return f"_t{self.temp}"

    # ---- what the model uses
    def _collect(self) -> None:
        def visit(expr: m.Expr) -> None:
            if isinstance(expr, (m.EventCount, m.HasEvent)):
                self._slot(expr.event, expr.window)
            elif isinstance(expr, m.EmailDomain) and expr.field not in self.email_fields:
                self.email_fields.append(expr.field)
            for child in m.children(expr):
                visit(child)

        for expr in self._all_expressions():
            visit(expr)
        for score in self.model.scores.values():
            for rule in score.rules:
                if isinstance(rule, m.PerEventRule):
                    self._slot(rule.event, rule.window)
        order = {name: i for i, name in enumerate(self.model.events)}
        self.email_fields.sort(key=self.field_index.__getitem__)
        ordered = sorted(self.slots, key=lambda s: (order[s[0]], -1 if s[1] is None else s[1]))
        self.slots = {slot: i for i, slot in enumerate(ordered)}

    def _slot(self, event: str, window: m.Window | None) -> None:
        if window is not None:
            self.windows.setdefault(window.seconds, window)
        self.slots.setdefault((event, window.seconds if window is not None else None), len(self.slots))

    def _all_expressions(self) -> list[m.Expr]:
        model = self.model
        exprs: list[m.Expr] = [c.expr for c in model.conditions.values()]
        exprs += [r.condition for s in model.scores.values() for r in s.rules if isinstance(r, m.IfRule)]
        exprs += [d.condition for d in model.disqualifiers]
        exprs += [c.condition for c in model.criteria.values()]
        exprs += [e.condition for r in model.routes.values() for e in r.entries if e.condition is not None]
        return exprs

    # ---- expressions: (python expression, may be None)
    def expr(self, e: m.Expr) -> tuple[str, bool]:
        if isinstance(e, m.Const):
            value = _whole(e.value) if isinstance(e.value, Decimal) else e.value
            return self.const(value), False
        if isinstance(e, m.FieldValue):
            return f"v{self.field_index[e.field]}", self.model.fields[e.field].optional
        if isinstance(e, m.EmailDomain):
            return f"d{self.field_index[e.field]}", True
        if isinstance(e, m.ScoreValue):
            return f"s{self.score_index[e.score]}", False
        if isinstance(e, m.BandValue):
            return f"b{self.band_index[e.band]}", True
        if isinstance(e, m.ConditionValue):
            return f"c{self.condition_index[e.condition]}", self.condition_nullable[e.condition]
        if isinstance(e, m.EventCount):
            return f"n{self._slot_of(e.event, e.window)}", False
        if isinstance(e, m.HasEvent):
            return f"(n{self._slot_of(e.event, e.window)} > 0)", False
        if isinstance(e, m.Linear):
            return self._linear(e)
        if isinstance(e, m.Compare):
            if e.op not in _COMPARE_OPS:
                raise InternalError(f"unknown comparison {e.op!r}")
            return self._guarded((e.left, e.right), lambda a, b: f"{a} {e.op} {b}")
        if isinstance(e, m.InSet):
            values = self.const(frozenset(e.values))
            op = "not in" if e.negated else "in"
            return self._guarded((e.subject,), lambda a: f"{a} {op} {values}")
        if isinstance(e, m.TextTest):
            if e.op == "starts with":
                return self._guarded((e.subject, e.pattern), lambda a, b: f"{a}.startswith({b})")
            if e.op == "ends with":
                return self._guarded((e.subject, e.pattern), lambda a, b: f"{a}.endswith({b})")
            if e.op == "contains":
                return self._guarded((e.subject, e.pattern), lambda a, b: f"{b} in {a}")
            raise InternalError(f"unknown text test {e.op!r}")
        if isinstance(e, m.Presence):
            code, nullable = self.expr(e.subject)
            if not nullable:
                return ("True" if e.present else "False"), False
            return f"({code} is {'not ' if e.present else ''}None)", False
        if isinstance(e, m.Not):
            return self._guarded((e.operand,), lambda a: f"not {a}")
        if isinstance(e, m.And):
            return self._kleene(e.operands, stop="False", keep="True")
        if isinstance(e, m.Or):
            return self._kleene(e.operands, stop="True", keep="False")
        raise InternalError(f"cannot compile {type(e).__name__}")

    def _slot_of(self, event: str, window: m.Window | None) -> int:
        return self.slots[(event, window.seconds if window is not None else None)]

    def _guarded(self, operands: tuple[m.Expr, ...], build: Any) -> tuple[str, bool]:
        """`build(*operands)`, or None when any nullable operand is None (each evaluated once)."""
        checks: list[str] = []
        refs: list[str] = []
        for operand in operands:
            code, nullable = self.expr(operand)
            if not nullable:
                refs.append(code)
            elif _IDENT.match(code):
                checks.append(f"{code} is None")
                refs.append(code)
            else:
                temp = self.fresh()
                checks.append(f"({temp} := {code}) is None")
                refs.append(temp)
        body = build(*refs)
        if not checks:
            return f"({body})", False
        return f"(None if {' or '.join(checks)} else {body})", True

    def _kleene(self, operands: tuple[m.Expr, ...], stop: str, keep: str) -> tuple[str, bool]:
        """Kleene and (stop=False) / or (stop=True), short-circuiting on the deciding value."""
        compiled = [self.expr(o) for o in operands]
        if not any(nullable for _, nullable in compiled):
            joiner = " and " if stop == "False" else " or "
            return "(" + joiner.join(code for code, _ in compiled) + ")", False
        tests: list[str] = []
        unknown: list[str] = []
        for code, nullable in compiled:
            if nullable and not _IDENT.match(code):
                temp = self.fresh()
                tests.append(f"({temp} := {code}) is {stop}")
                unknown.append(f"{temp} is None")
            else:
                tests.append(f"{code} is {stop}")
                if nullable:
                    unknown.append(f"{code} is None")
        return f"({stop} if {' or '.join(tests)} else None if {' or '.join(unknown)} else {keep})", True

    def _linear(self, e: m.Linear) -> tuple[str, bool]:
        checks: list[str] = []
        parts: list[str] = []
        for coefficient, term in e.terms:
            code, nullable = self.expr(term)
            if nullable:
                if not _IDENT.match(code):
                    temp = self.fresh()
                    checks.append(f"({temp} := {code}) is None")
                    code = temp
                else:
                    checks.append(f"{code} is None")
            if coefficient == 1:
                parts.append(code)
            elif coefficient == -1:
                parts.append(f"-{code}")
            else:
                parts.append(f"{self.number(coefficient)} * {code}")
        if e.constant != 0:
            parts.append(self.number(e.constant))
        body = "(" + " + ".join(parts) + ")"
        if not checks:
            return body, False
        return f"(None if {' or '.join(checks)} else {body})", True

    # ---- the module
    def module(self) -> GeneratedModule:
        out = _Emitter()
        out(0, f"from leadrules.engine.python.runtime import {', '.join(EXPORTS)}")
        out(0, "")
        out(0, "")
        out(0, "def build(K):")
        constants_line = len(out.lines)
        out(1, "")  # constant unpacking, filled in below
        rules: list[tuple[str, int, m.ScoreRule]] = []
        routes: list[str] = []
        criteria: list[str] = []
        for trace in (False, True):
            self.temp = 0
            rules, criteria, routes = self._function(out, trace)
        out(1, "return evaluate, trace")
        names = ", ".join(f"k{i}" for i in range(len(self.constants)))
        out.lines[constants_line] = f"    ({names},) = K" if self.constants else "    pass"
        return GeneratedModule(
            source="\n".join(out.lines) + "\n",
            constants=tuple(self.constants),
            line_map=dict(out.line_map),
            slots=tuple(self.slots),
            rules=tuple(rules),
            criteria=tuple(criteria),
            routes=tuple(routes),
            email_fields=tuple(self.email_fields),
            windows=dict(self.windows),
        )

    def _function(
        self, out: _Emitter, trace: bool
    ) -> tuple[list[tuple[str, int, m.ScoreRule]], list[str], list[str]]:
        model = self.model
        out(1, "")
        out(1, f"def {'trace' if trace else 'evaluate'}(lead_id, values, events, as_of):")
        if model.fields:
            out(2, f"({', '.join(f'v{i}' for i in range(len(model.fields)))},) = values")
        for name in self.email_fields:
            i = self.field_index[name]
            if model.fields[name].optional:
                out(2, f"d{i} = None if v{i} is None else email_domain(v{i})")
            else:
                out(2, f"d{i} = email_domain(v{i})")
        self._events(out)
        rules: list[tuple[str, int, m.ScoreRule]] = []
        if trace:
            out(2, "RT = []")
        for kind, name in model.order:
            if kind == "condition":
                condition = model.conditions[name]
                code, nullable = self.expr(condition.expr)
                self.condition_nullable[name] = nullable
                out(2, f"c{self.condition_index[name]} = {code}", condition.span)
            elif kind == "score":
                rules.extend(self._score(out, model.scores[name], trace))
            elif kind == "band":
                self._band(out, model.bands[name])
        for i, disqualifier in enumerate(model.disqualifiers):
            out(2, f"q{i} = {self.expr(disqualifier.condition)[0]}", disqualifier.span)
        routes = list(model.routes)
        criteria = [s for s in model.stages if s in model.criteria]
        if trace:
            for stage in criteria:
                criterion = model.criteria[stage]
                out(2, f"g{model.stages.index(stage)} = {self.expr(criterion.condition)[0]}", criterion.span)
            for r, stage in enumerate(routes):
                for j, entry in enumerate(model.routes[stage].entries):
                    assert entry.condition is not None
                    out(2, f"e{r}_{j} = {self.expr(entry.condition)[0]}", entry.span)
        self._outcome(out, trace, routes)
        scores = ", ".join(
            f"{self.const(name)}: {f's{i}' if self._int_score(model.scores[name]) else f'json_number(s{i})'}"
            for i, name in enumerate(model.scores)
        )
        bands = ", ".join(f"{self.const(name)}: b{i}" for i, name in enumerate(model.bands))
        record = (
            '{"id": lead_id, "stage": stage, "disqualified": disqualified, "reasons": reasons, '
            f'"blocked": blocked, "scores": {{{scores}}}, "bands": {{{bands}}}, "route": route}}'
        )
        if not trace:
            out(2, f"return {record}")
            return rules, criteria, routes

        def tup(items: list[str]) -> str:
            return "(" + "".join(f"{x}, " for x in items) + ")"

        out(2, "return (")
        out(3, f"{record},")
        out(3, "RT,")
        out(3, tup([f"q{i}" for i in range(len(model.disqualifiers))]) + ",")
        out(3, tup([f"g{model.stages.index(s)}" for s in criteria]) + ",")
        out(3, tup([tup([f"e{r}_{j}" for j in range(len(model.routes[s].entries))]) for r, s in enumerate(routes)]) + ",")
        out(3, tup([f"n{i}" for i in range(len(self.slots))]) + ",")
        out(3, tup([f"d{self.field_index[f]}" for f in self.email_fields]) + ",")
        out(3, tup([f"s{i}" for i in range(len(model.scores))]) + ",")
        out(3, tup([f"b{i}" for i in range(len(model.bands))]) + ",")
        out(3, tup([f"c{i}" for i in range(len(model.conditions))]) + ",")
        out(2, ")")
        return rules, criteria, routes

    def _events(self, out: _Emitter) -> None:
        """One pass over the lead's events, counting every (event, window) the model uses."""
        if not self.slots:
            return
        out(2, " = ".join(f"n{i}" for i in range(len(self.slots))) + " = 0")
        out(2, "for t, at in events:")
        out(3, "if at > as_of:")
        out(4, "continue")
        by_event: dict[str, list[tuple[int, int | None]]] = {}
        for (event, seconds), i in self.slots.items():
            by_event.setdefault(event, []).append((i, seconds))
        for position, (event, slots) in enumerate(by_event.items()):
            out(3, f"{'if' if position == 0 else 'elif'} t == {self.const(event)}:")
            if any(seconds is not None for _, seconds in slots):
                # `as_of - N < at` as `as_of - at < N`: a difference of two instants is always
                # a timedelta, while `as_of - N` leaves the datetime range near year 1
                out(4, "age = as_of - at")
            for i, seconds in slots:
                if seconds is None:
                    out(4, f"n{i} += 1")
                else:
                    out(4, f"if age < {self.const(dt.timedelta(seconds=seconds))}:")
                    out(5, f"n{i} += 1")

    def _int_score(self, score: m.Score) -> bool:
        """Whether a score is always a Python int (no fractions, no field counters)."""
        numbers: list[Decimal] = [x for x in (score.minimum, score.maximum) if x is not None]
        for rule in score.rules:
            if isinstance(rule, m.PerFieldRule):
                return False
            numbers.append(rule.points)
            if not isinstance(rule, m.IfRule) and rule.cap is not None:
                numbers.append(rule.cap)
        return all(isinstance(_whole(x), int) for x in numbers)

    def _score(self, out: _Emitter, score: m.Score, trace: bool) -> list[tuple[str, int, m.ScoreRule]]:
        s = f"s{self.score_index[score.name]}"
        out(2, f"{s} = 0", score.span)
        rules = []
        for index, rule in enumerate(score.rules):
            rules.append((score.name, index, rule))
            points = self.number(rule.points)
            if isinstance(rule, m.IfRule):
                code, _ = self.expr(rule.condition)
                if trace:
                    out(2, f"_f = {code} is True", rule.span)
                    out(2, f"RT.append((_f, {points} if _f else 0))", rule.span)
                    out(2, "if _f:", rule.span)
                else:
                    out(2, f"if {code}:", rule.span)
                out(3, f"{s} += {points}", rule.span)
                continue
            if isinstance(rule, m.PerEventRule):
                count = f"n{self._slot_of(rule.event, rule.window)}"
                out(2, f"_p = {points} * {count}", rule.span)
                if rule.cap is not None:
                    if rule.points > 0:
                        out(2, f"if _p > {self.number(rule.cap)}:", rule.span)
                        out(3, f"_p = {self.number(rule.cap)}", rule.span)
                    else:
                        out(2, f"if _p < {self.number(-rule.cap)}:", rule.span)
                        out(3, f"_p = {self.number(-rule.cap)}", rule.span)
                if trace:
                    out(2, f"RT.append(({count} > 0, _p))", rule.span)
                out(2, f"{s} += _p", rule.span)
                continue
            value = f"v{self.field_index[rule.field]}"
            depth = 2
            if self.model.fields[rule.field].optional:
                if trace:
                    out(2, "_p = 0", rule.span)
                out(2, f"if {value} is not None:", rule.span)
                depth = 3
            out(depth, f"_p = {points} * {value}", rule.span)
            if rule.cap is not None:
                out(depth, f"if _p > {self.number(rule.cap)}:", rule.span)
                out(depth + 1, f"_p = {self.number(rule.cap)}", rule.span)
                out(depth, f"elif _p < {self.number(-rule.cap)}:", rule.span)
                out(depth + 1, f"_p = {self.number(-rule.cap)}", rule.span)
            out(depth, f"{s} += _p", rule.span)
            if trace:
                out(2, f"RT.append(({value} is not None and _p != 0, _p))", rule.span)
        if score.minimum is not None:
            out(2, f"if {s} < {self.number(score.minimum)}:", score.span)
            out(3, f"{s} = {self.number(score.minimum)}", score.span)
        if score.maximum is not None:
            out(2, f"if {s} > {self.number(score.maximum)}:", score.span)
            out(3, f"{s} = {self.number(score.maximum)}", score.span)
        return rules

    def _band(self, out: _Emitter, band: m.Band) -> None:
        s = f"s{self.score_index[band.score]}"
        parts = []
        for entry in band.entries:
            tests = []
            if entry.low is not None:
                tests.append(f"{s} >= {self.number(entry.low)}")
            if entry.high is not None:
                tests.append(f"{s} < {self.number(entry.high)}")
            label = self.const(entry.label)
            if not tests:
                parts.append(label)
                break
            parts.append(f"{label} if {' and '.join(tests)} else")
        else:
            parts.append("None")
        out(2, f"b{self.band_index[band.name]} = {' '.join(parts)}", band.span)

    def _route(self, stage: str, trace: bool, routes: list[str]) -> str:
        route = self.model.routes.get(stage)
        if route is None:
            return "None"
        r = routes.index(stage)
        parts = []
        for j, entry in enumerate(route.entries):
            assert entry.condition is not None
            condition = f"e{r}_{j}" if trace else self.expr(entry.condition)[0]
            parts.append(f"{self.const(entry.target)} if {condition} else")
        parts.append(self.const(route.otherwise.target) if route.otherwise is not None else "None")
        return " ".join(parts)

    def _outcome(self, out: _Emitter, trace: bool, routes: list[str]) -> None:
        """reasons, blocked, stage, disqualified and route."""
        model = self.model
        globals_ = [(i, d) for i, d in enumerate(model.disqualifiers) if d.at is None]
        scoped = [(i, d) for i, d in enumerate(model.disqualifiers) if d.at is not None]
        out(2, "reasons = []")
        for i, d in globals_:
            out(2, f"if q{i}:", d.span)
            out(3, f"reasons.append({self.const(d.code)})", d.span)
        out(2, "blocked = []")
        blockable = min((model.stages.index(d.at) for _, d in scoped if d.at is not None), default=len(model.stages))
        if scoped:
            out(2, f"top = {len(model.stages)}")
        for i, d in scoped:
            assert d.at is not None
            at = model.stages.index(d.at)
            out(2, f"if q{i}:", d.span)
            out(3, f"blocked.append({self.const(d.code)})", d.span)
            out(3, f"if top > {at}:", d.span)
            out(4, f"top = {at}", d.span)
        branches: list[tuple[str, str, str]] = []  # (test, stage constant, route stage)
        if globals_:
            branches.append(("reasons", self.const(m.DISQUALIFIED), m.DISQUALIFIED))
        for index in range(len(model.stages) - 1, 0, -1):
            stage = model.stages[index]
            criterion = model.criteria.get(stage)
            if criterion is None:
                continue
            test = f"g{index}" if trace else self.expr(criterion.condition)[0]
            if index >= blockable:
                test = f"top > {index} and {test}"
            branches.append((test, self.const(stage), stage))
        entry = model.entry_stage
        default = (self.const(entry), entry) if entry is not None else ("None", None)
        for position, (test, stage_const, stage) in enumerate(branches):
            out(2, f"{'if' if position == 0 else 'elif'} {test}:")
            out(3, f"stage = {stage_const}")
            out(3, f"disqualified = {'True' if stage == m.DISQUALIFIED else 'False'}")
            out(3, f"route = {self._route(stage, trace, routes)}")
        depth = 2
        if branches:
            out(2, "else:")
            depth = 3
        out(depth, f"stage = {default[0]}")
        out(depth, "disqualified = False")
        out(depth, f"route = {self._route(default[1], trace, routes) if default[1] is not None else 'None'}")


def generate(model: m.CheckedModel) -> GeneratedModule:
    """Generate the evaluator module of a model."""
    return _Generator(model).module()
