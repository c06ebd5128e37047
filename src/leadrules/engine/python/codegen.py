"""Code generation: a lowered plan (`leadrules.ir`) → the Python source of one evaluator module.

The module defines `build(K)`, which unpacks the constant tuple `K` into closure variables
(`k0`, `k1`, ...) and returns three functions over a validated lead:

- `evaluate(lead_id, values, events, as_of)` → the output record (section 5 of the spec);
- `trace(lead_id, values, events, as_of)` → a `runtime.Trace`: the same record plus everything
  `explain` shows;
- `evaluate_fields(lead_id, v0, v1, ..., events, as_of)` → what `evaluate` gives, the values
  passed one by one.

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
`None` (unknown). Which expressions can be missing is known statically (a node's `nullable`:
a required field never is), so two-valued parts compile to plain Python `and`/`or`/comparisons
and only the nullable parts pay for Kleene logic.

`_Expressions` turns expression nodes into Python expressions (one method per node type),
`_Scoring` turns points rules, scores and bands into lines, and `_Generator` writes the two
functions: the plan's computed items in order, then the funnel as `plan.Funnel` defines it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from leadrules import model as m
from leadrules.engine.python.runtime import EXPORTS
from leadrules.errors import InternalError
from leadrules.fieldkinds import KINDS
from leadrules.ir import Lowering, Plan, lower
from leadrules.ir import nodes as n
from leadrules.ir import plan as p
from leadrules.ir.emitter import ExprEmitter, ScoringEmitter
from leadrules.output_schema import RECORD_KEYS
from leadrules.source import Span

__all__ = ["GeneratedModule", "generate", "Slot"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# an event counter: (event name, window seconds or None for all time)
Slot = tuple[str, "int | None"]


@dataclass(frozen=True)
class GeneratedModule:
    """The generated source with what is needed to run it and to read its results."""

    source: str
    constants: tuple[Any, ...]
    line_map: dict[int, Span]
    plan: Plan
    slots: tuple[Slot, ...]  # the event counters `trace` reports, in the plan's slot order
    # (score name, rule index within the score, rule) in the order `trace` reports points
    rules: tuple[tuple[str, int, p.PointsRule], ...]

    @cached_property
    def lowering(self) -> Lowering:
        """Lowers model expressions against this module's plan, keeping what it lowered: explain
        asks for the parts of criteria, each time a lead's next stage is explained."""
        return Lowering(self.plan.model, self.plan.slots)

    @property
    def criteria(self) -> tuple[str, ...]:
        """The stages whose criterion `trace` reports, in funnel order."""
        return tuple(c.stage for c in self.plan.funnel.ladder)

    @property
    def routes(self) -> tuple[str, ...]:
        """The route blocks `trace` reports, in declaration order."""
        return tuple(r.stage for r in self.plan.funnel.routes)

    @property
    def email_fields(self) -> tuple[str, ...]:
        """The fields whose `.domain` `trace` reports, in the plan's order."""
        return self.plan.email_fields


def _whole(value: Decimal) -> int | Decimal:
    """Numbers from the rule file: whole ones as int (faster arithmetic, same exact result)."""
    return int(value) if value == value.to_integral_value() else value


def _int_score(score: p.Score) -> bool:
    """Whether a score is always a Python int: `Score.integral`, or per-field rules that read
    only integral kinds (the validator hands an `integer` field's value over as an int) with
    every point, cap and bound whole."""
    if score.integral:
        return True
    numbers = [x for x in (score.minimum, score.maximum) if x is not None]
    for rule in score.rules:
        if isinstance(rule, p.FieldPoints) and not KINDS[rule.value.kind].integral:
            return False
        numbers.append(rule.points)
        if not isinstance(rule, p.IfPoints) and rule.cap is not None:
            numbers.append(rule.cap)
    return all(isinstance(_whole(x), int) for x in numbers)


@dataclass
class _Emitter:
    lines: list[str] = field(default_factory=list)
    line_map: dict[int, Span] = field(default_factory=dict)

    def __call__(self, depth: int, text: str, span: Span | None = None) -> None:
        self.lines.append("    " * depth + text)
        if span is not None:
            self.line_map[len(self.lines)] = span


class _Constants:
    """The constant pool `K`: each distinct value once, named `k<index>` in the source."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.index: dict[tuple[type, Any], int] = {}

    def __call__(self, value: Any) -> str:
        key = (type(value), value)
        index = self.index.get(key)
        if index is None:
            index = len(self.values)
            self.values.append(value)
            self.index[key] = index
        return f"k{index}"

    def number(self, value: Decimal) -> str:
        return self(_whole(value))


class _Expressions(ExprEmitter[str]):
    """A node → one Python expression over the generated locals; it may be None exactly when
    the node is `nullable`. Sub-expressions a test reads twice are bound once (`_t<n>`)."""

    def __init__(self, pool: _Constants) -> None:
        self.pool = pool
        self.temp = 0

    def code(self, node: n.Node) -> str:
        return node.accept(self)

    def fresh(self) -> str:
        self.temp += 1
        return f"_t{self.temp}"

    def const(self, node: n.Const) -> str:
        value = node.value
        return self.pool(_whole(value) if isinstance(value, Decimal) else value)

    def input(self, node: n.Input) -> str:
        return f"v{node.index}"

    def domain(self, node: n.Domain) -> str:
        return f"d{node.index}"

    def score_ref(self, node: n.ScoreRef) -> str:
        return f"s{node.index}"

    def band_ref(self, node: n.BandRef) -> str:
        return f"b{node.index}"

    def condition_ref(self, node: n.ConditionRef) -> str:
        return f"c{node.index}"

    def event_aggregate(self, node: n.EventAggregate) -> str:
        return f"n{node.slot.index}"

    def has_event(self, node: n.HasEvent) -> str:
        return f"(n{node.slot.index} > 0)"

    def linear(self, node: n.Linear) -> str:
        checks: list[str] = []
        parts: list[str] = []
        for coefficient, term in node.terms:
            code = self.code(term)
            if term.nullable:
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
                parts.append(f"{self.pool.number(coefficient)} * {code}")
        if node.constant != 0:
            parts.append(self.pool.number(node.constant))
        body = "(" + " + ".join(parts) + ")"
        if not checks:
            return body
        return f"(None if {' or '.join(checks)} else {body})"

    def compare(self, node: n.Compare) -> str:
        if node.op not in n.COMPARE_OPS:
            raise InternalError(f"unknown comparison {node.op!r}")
        return self._guarded((node.left, node.right), lambda a, b: f"{a} {node.op} {b}")

    def in_set(self, node: n.InSet) -> str:
        values = self.pool(frozenset(node.values))
        op = "not in" if node.negated else "in"
        return self._guarded((node.subject,), lambda a: f"{a} {op} {values}")

    def text_test(self, node: n.TextTest) -> str:
        build = _TEXT_TESTS.get(node.op)
        if build is None:
            raise InternalError(f"unknown text test {node.op!r}")
        return self._guarded((node.subject, node.pattern), build)

    def presence(self, node: n.Presence) -> str:
        if not node.subject.nullable:
            return "True" if node.present else "False"
        return f"({self.code(node.subject)} is {'not ' if node.present else ''}None)"

    def not_(self, node: n.Not) -> str:
        return self._guarded((node.operand,), lambda a: f"not {a}")

    def all_(self, node: n.All) -> str:
        return self._kleene(node.operands, stop="False", keep="True")

    def any_(self, node: n.Any) -> str:
        return self._kleene(node.operands, stop="True", keep="False")

    def _guarded(self, operands: tuple[n.Node, ...], build: Callable[..., str]) -> str:
        """`build(*operands)`, or None when any nullable operand is None (each evaluated once)."""
        checks: list[str] = []
        refs: list[str] = []
        for operand in operands:
            code = self.code(operand)
            if not operand.nullable:
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
            return f"({body})"
        return f"(None if {' or '.join(checks)} else {body})"

    def _kleene(self, operands: tuple[n.Node, ...], stop: str, keep: str) -> str:
        """Kleene and (stop=False) / or (stop=True), short-circuiting on the deciding value."""
        compiled = [(self.code(o), o.nullable) for o in operands]
        if not any(nullable for _, nullable in compiled):
            joiner = " and " if stop == "False" else " or "
            return "(" + joiner.join(code for code, _ in compiled) + ")"
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
        return f"({stop} if {' or '.join(tests)} else None if {' or '.join(unknown)} else {keep})"


_TEXT_TESTS: dict[str, Callable[[str, str], str]] = {
    "starts with": lambda a, b: f"{a}.startswith({b})",
    "ends with": lambda a, b: f"{a}.endswith({b})",
    "contains": lambda a, b: f"{b} in {a}",
}

# a generated line: (indent depth, text, the rule it comes from)
_Line = tuple[int, str, Span]


class _Scoring(ScoringEmitter[list[_Line]]):
    """Points rules, scores and bands → lines of the function body (depth 2). In `trace`, each
    rule also appends (fired, points) to `RT`."""

    def __init__(self, exprs: _Expressions, trace: bool) -> None:
        self.exprs = exprs
        self.pool = exprs.pool
        self.trace = trace

    def if_points(self, score: p.Score, rule: p.IfPoints) -> list[_Line]:
        s, span = f"s{score.index}", rule.span
        points = self.pool.number(rule.points)
        code = self.exprs.code(rule.condition)
        if self.trace:
            lines = [(2, f"_f = {code} is True", span), (2, f"RT.append((_f, {points} if _f else 0))", span),
                     (2, "if _f:", span)]
        else:
            lines = [(2, f"if {code}:", span)]
        return lines + [(3, f"{s} += {points}", span)]

    def event_points(self, score: p.Score, rule: p.EventPoints) -> list[_Line]:
        s, span = f"s{score.index}", rule.span
        count = self.exprs.code(rule.count)
        lines = [(2, f"_p = {self.pool.number(rule.points)} * {count}", span)]
        if rule.cap is not None:
            # a count is never negative: the sign of the points says which side the cap bounds
            bound = self.pool.number(rule.cap if rule.points > 0 else -rule.cap)
            lines += [(2, f"if _p {'>' if rule.points > 0 else '<'} {bound}:", span), (3, f"_p = {bound}", span)]
        if self.trace:
            lines.append((2, f"RT.append(({count} > 0, _p))", span))
        return lines + [(2, f"{s} += _p", span)]

    def field_points(self, score: p.Score, rule: p.FieldPoints) -> list[_Line]:
        s, span = f"s{score.index}", rule.span
        value = self.exprs.code(rule.value)
        lines: list[_Line] = []
        depth = 2
        if rule.value.nullable:
            if self.trace:
                lines.append((2, "_p = 0", span))
            lines.append((2, f"if {value} is not None:", span))
            depth = 3
        lines.append((depth, f"_p = {self.pool.number(rule.points)} * {value}", span))
        if rule.cap is not None:
            high, low = self.pool.number(rule.cap), self.pool.number(-rule.cap)
            lines += [(depth, f"if _p > {high}:", span), (depth + 1, f"_p = {high}", span),
                      (depth, f"elif _p < {low}:", span), (depth + 1, f"_p = {low}", span)]
        lines.append((depth, f"{s} += _p", span))
        if self.trace:
            lines.append((2, f"RT.append(({value} is not None and _p != 0, _p))", span))
        return lines

    def score(self, score: p.Score, rules: list[list[_Line]]) -> list[_Line]:
        s, span = f"s{score.index}", score.span
        lines = [(2, f"{s} = 0", span)] + [line for rule in rules for line in rule]
        if score.minimum is not None:
            minimum = self.pool.number(score.minimum)
            lines += [(2, f"if {s} < {minimum}:", span), (3, f"{s} = {minimum}", span)]
        if score.maximum is not None:
            maximum = self.pool.number(score.maximum)
            lines += [(2, f"if {s} > {maximum}:", span), (3, f"{s} = {maximum}", span)]
        return lines

    def band(self, band: p.Band) -> list[_Line]:
        s = self.exprs.code(band.score)
        parts = []
        for entry in band.entries:
            tests = []
            if entry.low is not None:
                tests.append(f"{s} >= {self.pool.number(entry.low)}")
            if entry.high is not None:
                tests.append(f"{s} < {self.pool.number(entry.high)}")
            label = self.pool(entry.label)
            if not tests:
                parts.append(label)
                break
            parts.append(f"{label} if {' and '.join(tests)} else")
        else:
            parts.append("None")
        return [(2, f"b{band.index} = {' '.join(parts)}", band.span)]


class _Generator:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.pool = _Constants()
        self.exprs = _Expressions(self.pool)
        self.field_index = {f.name: i for i, f in enumerate(plan.fields)}

    def module(self) -> GeneratedModule:
        out = _Emitter()
        out(0, f"from leadrules.engine.python.runtime import {', '.join(EXPORTS)}")
        out(0, "")
        out(0, "")
        out(0, "def build(K):")
        constants_line = len(out.lines)
        out(1, "")  # constant unpacking, filled in below
        for trace, fields_as_arguments in ((False, False), (True, False), (False, True)):
            self.exprs.temp = 0
            self._function(out, trace, fields_as_arguments)
        out(1, "return evaluate, trace, evaluate_fields")
        names = ", ".join(f"k{i}" for i in range(len(self.pool.values)))
        out.lines[constants_line] = f"    ({names},) = K" if self.pool.values else "    pass"
        plan = self.plan
        return GeneratedModule(
            source="\n".join(out.lines) + "\n",
            constants=tuple(self.pool.values),
            line_map=dict(out.line_map),
            plan=plan,
            slots=tuple((s.event, s.seconds) for s in plan.slots),
            rules=tuple((name, rule.index, rule) for kind, name in plan.order if kind == "score"
                        for rule in plan.scores[name].rules),
        )

    def _function(self, out: _Emitter, trace: bool, fields_as_arguments: bool = False) -> None:
        plan, code = self.plan, self.exprs.code
        funnel = plan.funnel
        out(1, "")
        if fields_as_arguments:
            # `evaluate` taking the values as arguments: a caller that has them in locals (the
            # validator's fast path) passes them without building the tuple `evaluate` unpacks
            out(1, f"def evaluate_fields(lead_id, {''.join(f'v{i}, ' for i in range(len(plan.fields)))}events, as_of):")
        else:
            out(1, f"def {'trace' if trace else 'evaluate'}(lead_id, values, events, as_of):")
        if plan.fields and not fields_as_arguments:
            out(2, f"({', '.join(f'v{i}' for i in range(len(plan.fields)))},) = values")
        for name in plan.email_fields:
            # runtime.email_domain written out (a call per lead and field saved): the part
            # after the last '@', lower-cased; None without an '@'
            i = self.field_index[name]
            if plan.fields[i].optional:
                out(2, f"d{i} = None if v{i} is None else v{i}.rpartition('@')")
                out(2, f"if d{i} is not None:")
                out(3, f"d{i} = d{i}[2].lower() if d{i}[1] else None")
            else:
                out(2, f"d{i} = v{i}.rpartition('@')")
                out(2, f"d{i} = d{i}[2].lower() if d{i}[1] else None")
        self._events(out)
        if trace:
            out(2, "RT = []")
        scoring = _Scoring(self.exprs, trace)
        for kind, name in plan.order:
            if kind == "condition":
                condition = plan.conditions[name]
                out(2, f"c{condition.index} = {code(condition.expr)}", condition.span)
                continue
            if kind == "score":
                score = plan.scores[name]
                lines = scoring.score(score, [scoring.points(score, rule) for rule in score.rules])
            else:
                lines = scoring.band(plan.bands[name])
            for depth, text, span in lines:
                out(depth, text, span)
        for d in funnel.disqualifiers:
            out(2, f"q{d.index} = {code(d.condition)}", d.span)
        if trace:
            for criterion in funnel.ladder:
                out(2, f"g{criterion.index} = {code(criterion.condition)}", criterion.span)
            for route in funnel.routes:
                for j, entry in enumerate(route.entries):
                    assert entry.condition is not None
                    out(2, f"e{route.index}_{j} = {code(entry.condition)}", entry.span)
        self._outcome(out, trace)
        record = self._record()
        if not trace:
            out(2, f"return {record}")
            return

        def tup(items: list[str]) -> str:
            return "(" + "".join(f"{x}, " for x in items) + ")"

        out(2, "return Trace(")
        out(3, f"record={record},")
        out(3, "rule_points=RT,")
        out(3, f"disqualifiers={tup([f'q{d.index}' for d in funnel.disqualifiers])},")
        out(3, f"criteria={tup([f'g{c.index}' for c in funnel.ladder])},")
        routes = [tup([f"e{r.index}_{j}" for j in range(len(r.entries))]) for r in funnel.routes]
        out(3, f"routes={tup(routes)},")
        out(3, f"counts={tup([f'n{s.index}' for s in plan.slots])},")
        out(3, f"domains={tup([f'd{self.field_index[f]}' for f in plan.email_fields])},")
        out(3, f"scores={tup([f's{s.index}' for s in plan.scores.values()])},")
        out(3, f"bands={tup([f'b{b.index}' for b in plan.bands.values()])},")
        out(3, f"conditions={tup([f'c{c.index}' for c in plan.conditions.values()])},")
        out(2, ")")

    def _record(self) -> str:
        """The output record as a dict display, keys in `output_schema` order."""
        plan = self.plan
        scores = ", ".join(
            f"{self.pool(name)}: {f's{s.index}' if _int_score(s) else f'json_number(s{s.index})'}"
            for name, s in ((name, plan.scores[name]) for name in plan.output.scores)
        )
        bands = ", ".join(f"{self.pool(name)}: b{plan.bands[name].index}" for name in plan.output.bands)
        values = {"id": "lead_id", "stage": "stage", "disqualified": "disqualified", "reasons": "reasons",
                  "blocked": "blocked", "scores": f"{{{scores}}}", "bands": f"{{{bands}}}", "route": "route"}
        return "{" + ", ".join(f'"{key}": {values[key]}' for key in RECORD_KEYS) + "}"

    def _events(self, out: _Emitter) -> None:
        """One pass over the lead's events, counting every (event, window) the plan uses."""
        slots = self.plan.slots
        if not slots:
            return
        out(2, " = ".join(f"n{s.index}" for s in slots) + " = 0")
        out(2, "for t, at in events:")
        out(3, "if at > as_of:")
        out(4, "continue")
        by_event: dict[str, list[n.EventSlot]] = {}
        for slot in sorted(slots, key=lambda s: s.event_index):
            by_event.setdefault(slot.event, []).append(slot)
        for position, (event, counters) in enumerate(by_event.items()):
            out(3, f"{'if' if position == 0 else 'elif'} t == {self.pool(event)}:")
            if any(slot.seconds is not None for slot in counters):
                # `as_of - N < at` as `as_of - at < N`: a difference of two instants is always
                # a timedelta, while `as_of - N` leaves the datetime range near year 1
                out(4, "age = as_of - at")
            for slot in counters:
                if slot.seconds is None:
                    out(4, f"n{slot.index} += 1")
                else:
                    out(4, f"if age < {self.pool(dt.timedelta(seconds=slot.seconds))}:")
                    out(5, f"n{slot.index} += 1")

    def _route(self, stage: str | None, trace: bool) -> str:
        """The route of a lead whose final stage is `stage`: first true entry, else otherwise."""
        route = self.plan.funnel.route_for(stage)
        if route is None:
            return "None"
        parts = []
        for j, entry in enumerate(route.entries):
            assert entry.condition is not None
            condition = f"e{route.index}_{j}" if trace else self.exprs.code(entry.condition)
            parts.append(f"{self.pool(entry.target)} if {condition} else")
        parts.append(self.pool(route.otherwise.target) if route.otherwise is not None else "None")
        return " ".join(parts)

    def _outcome(self, out: _Emitter, trace: bool) -> None:
        """reasons, blocked, stage, disqualified and route, as `plan.Funnel` defines them."""
        funnel = self.plan.funnel
        globals_ = funnel.global_disqualifiers
        scoped = funnel.scoped_disqualifiers
        out(2, "reasons = []")
        for d in globals_:
            out(2, f"if q{d.index}:", d.span)
            out(3, f"reasons.append({self.pool(d.code)})", d.span)
        out(2, "blocked = []")
        if scoped:
            out(2, f"top = {len(funnel.stages)}")
        for d in scoped:
            out(2, f"if q{d.index}:", d.span)
            out(3, f"blocked.append({self.pool(d.code)})", d.span)
            out(3, f"if top > {d.blocks}:", d.span)
            out(4, f"top = {d.blocks}", d.span)
        branches: list[tuple[str, str, str]] = []  # (test, stage constant, stage)
        if globals_:
            branches.append(("reasons", self.pool(m.DISQUALIFIED), m.DISQUALIFIED))
        for criterion in reversed(funnel.ladder):
            test = f"g{criterion.index}" if trace else self.exprs.code(criterion.condition)
            if criterion.index >= funnel.first_blockable:
                test = f"top > {criterion.index} and {test}"
            branches.append((test, self.pool(criterion.stage), criterion.stage))
        for position, (test, stage_const, stage) in enumerate(branches):
            out(2, f"{'if' if position == 0 else 'elif'} {test}:")
            out(3, f"stage = {stage_const}")
            out(3, f"disqualified = {'True' if stage == m.DISQUALIFIED else 'False'}")
            out(3, f"route = {self._route(stage, trace)}")
        depth = 2
        if branches:
            out(2, "else:")
            depth = 3
        entry = funnel.entry_stage
        out(depth, f"stage = {self.pool(entry) if entry is not None else 'None'}")
        out(depth, "disqualified = False")
        out(depth, f"route = {self._route(entry, trace) if entry is not None else 'None'}")


def generate(model: m.CheckedModel) -> GeneratedModule:
    """Generate the evaluator module of a model (lowered once here)."""
    return _Generator(lower(model)).module()
