#!/usr/bin/env python3
"""Generated source vs closures: the measurement behind the Python engine's design.

    python benchmarks/bench_codegen.py [--runs 5]

Builds a second evaluator for `eval_bench.rules` from closures (one Python function per model
node, composed at load time) and times it against the generated-source evaluator of
`engine/python/codegen.py` on the same validated leads (validation excluded, same as-of).
Both must give identical records. Prints leads/s of each, median of --runs runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_leads  # noqa: E402

from leadrules import model as m  # noqa: E402
from leadrules.engine.python import compile_model  # noqa: E402
from leadrules.engine.python.runtime import email_domain  # noqa: E402
from leadrules.engine.validate import validate  # noqa: E402
from leadrules.values import json_number  # noqa: E402
from leadrules.workspace import load_file  # noqa: E402

Env = dict[str, Any]
Fn = Callable[[Env], Any]
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def closure(e: m.Expr) -> Fn:
    """One closure per node; Kleene logic with None for unknown."""
    if isinstance(e, m.Const):
        value = e.value
        return lambda env: value
    if isinstance(e, m.FieldValue):
        name = e.field
        return lambda env: env[name]
    if isinstance(e, m.EmailDomain):
        key = "@" + e.field
        return lambda env: env[key]
    if isinstance(e, (m.ScoreValue, m.BandValue, m.ConditionValue)):
        ref = e.score if isinstance(e, m.ScoreValue) else e.band if isinstance(e, m.BandValue) else e.condition
        return lambda env: env[ref]
    if isinstance(e, (m.EventCount, m.HasEvent)):
        slot = ("#", e.event, e.window.seconds if e.window else None)
        if isinstance(e, m.EventCount):
            return lambda env: env[slot]
        return lambda env: env[slot] > 0
    if isinstance(e, m.Linear):
        terms = [(c, closure(t)) for c, t in e.terms]
        constant = e.constant

        def linear(env: Env) -> Any:
            total = constant
            for c, f in terms:
                v = f(env)
                if v is None:
                    return None
                total += c * v
            return total
        return linear
    if isinstance(e, m.Compare):
        left, right, op = closure(e.left), closure(e.right), _OPS[e.op]

        def compare(env: Env) -> Any:
            a, b = left(env), right(env)
            return None if a is None or b is None else op(a, b)
        return compare
    if isinstance(e, m.InSet):
        subject, values, negated = closure(e.subject), frozenset(e.values), e.negated

        def in_set(env: Env) -> Any:
            v = subject(env)
            return None if v is None else (v in values) != negated
        return in_set
    if isinstance(e, m.Presence):
        subject, present = closure(e.subject), e.present
        return lambda env: (subject(env) is not None) == present
    if isinstance(e, m.Not):
        operand = closure(e.operand)

        def negate(env: Env) -> Any:
            v = operand(env)
            return None if v is None else not v
        return negate
    if isinstance(e, (m.And, m.Or)):
        parts, decisive = [closure(o) for o in e.operands], isinstance(e, m.Or)

        def junction(env: Env) -> Any:
            unknown = False
            for f in parts:
                v = f(env)
                if v is decisive:
                    return decisive
                unknown = unknown or v is None
            return None if unknown else not decisive
        return junction
    raise TypeError(type(e).__name__)


def closure_evaluator(model: m.CheckedModel) -> Callable[..., dict[str, Any]]:
    slots = set()
    for score in model.scores.values():
        for rule in score.rules:
            if isinstance(rule, m.PerEventRule):
                slots.add((rule.event, rule.window.seconds if rule.window else None))

    def collect(e: m.Expr) -> None:
        if isinstance(e, (m.EventCount, m.HasEvent)):
            slots.add((e.event, e.window.seconds if e.window else None))
        for child in m.children(e):
            collect(child)

    exprs = ([c.expr for c in model.conditions.values()] + [d.condition for d in model.disqualifiers]
             + [c.condition for c in model.criteria.values()]
             + [e.condition for r in model.routes.values() for e in r.entries if e.condition is not None]
             + [r.condition for s in model.scores.values() for r in s.rules if isinstance(r, m.IfRule)])
    for expr in exprs:
        collect(expr)
    steps: list[Callable[[Env], None]] = []
    for kind, name in model.order:
        if kind == "condition":
            f = closure(model.conditions[name].expr)
            steps.append(lambda env, f=f, name=name: env.__setitem__(name, f(env)))
        elif kind == "score":
            score = model.scores[name]
            rules = []
            for rule in score.rules:
                if isinstance(rule, m.IfRule):
                    rules.append(("if", closure(rule.condition), rule.points, None))
                elif isinstance(rule, m.PerEventRule):
                    rules.append(("per", ("#", rule.event, rule.window.seconds if rule.window else None),
                                  rule.points, rule.cap))
                else:
                    rules.append(("per", rule.field, rule.points, rule.cap))

            def run_score(env: Env, rules: list = rules, score: m.Score = score) -> None:
                total = Decimal(0)
                for kind, what, points, cap in rules:
                    if kind == "if":
                        if what(env) is True:
                            total += points
                        continue
                    amount = env[what]
                    if amount is None:
                        continue
                    p = points * amount
                    if cap is not None and abs(p) > cap:
                        p = cap if p > 0 else -cap
                    total += p
                if score.minimum is not None and total < score.minimum:
                    total = score.minimum
                if score.maximum is not None and total > score.maximum:
                    total = score.maximum
                env[score.name] = total
            steps.append(run_score)
        else:
            band = model.bands[name]

            def run_band(env: Env, band: m.Band = band) -> None:
                s = env[band.score]
                env[band.name] = next((e.label for e in band.entries if (e.low is None or s >= e.low)
                                       and (e.high is None or s < e.high)), None)
            steps.append(run_band)
    disqualifiers = [(d, closure(d.condition)) for d in model.disqualifiers]
    criteria = [(s, closure(model.criteria[s].condition)) for s in reversed(model.stages) if s in model.criteria]
    routes = {s: ([(e.target, closure(e.condition)) for e in r.entries if e.condition is not None],
                  r.otherwise.target if r.otherwise else None) for s, r in model.routes.items()}
    emails = [n for n, f in model.fields.items() if f.kind == "email"]
    slot_keys = [("#", event, seconds) for event, seconds in slots]
    windows = {seconds for _, seconds in slots if seconds is not None}
    by_event: dict[str, list[tuple[tuple[str, str, int | None], int | None]]] = {}
    for event, seconds in slots:
        by_event.setdefault(event, []).append((("#", event, seconds), seconds))
    names = list(model.fields)

    def evaluate(lead_id: Any, values: tuple, events: tuple, as_of: dt.datetime) -> dict[str, Any]:
        env: Env = dict(zip(names, values, strict=True))
        for n in emails:
            env["@" + n] = None if env[n] is None else email_domain(env[n])
        cutoffs = {s: as_of - dt.timedelta(seconds=s) for s in windows}
        counts = dict.fromkeys(slot_keys, 0)
        for t, at in events:  # one pass over the events, as the generated code does
            if at > as_of:
                continue
            for key, seconds in by_event.get(t, ()):
                if seconds is None or at > cutoffs[seconds]:
                    counts[key] += 1
        env.update(counts)
        for step in steps:
            step(env)
        fired = [(d, f(env) is True) for d, f in disqualifiers]
        reasons = [d.code for d, ok in fired if ok and d.at is None]
        blocked = [d.code for d, ok in fired if ok and d.at is not None]
        top = min([model.stages.index(d.at) for d, ok in fired if ok and d.at is not None], default=len(model.stages))
        if reasons:
            stage = m.DISQUALIFIED
        else:
            stage = next((s for s, f in criteria if model.stages.index(s) < top and f(env) is True), model.stages[0])
        route = None
        if stage in routes:
            entries, otherwise = routes[stage]
            route = next((t for t, f in entries if f(env) is True), otherwise)
        return {"id": lead_id, "stage": stage, "disqualified": bool(reasons), "reasons": reasons,
                "blocked": blocked, "scores": {n: json_number(env[n]) for n in model.scores},
                "bands": {n: env[n] for n in model.bands}, "route": route}
    return evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=50_000)
    args = parser.parse_args()
    path = HERE / "data" / f"leads_{args.count}.jsonl"
    if not path.exists():
        gen_leads.generate(path, args.count)
    model = load_file(HERE / "eval_bench.rules").model
    assert model is not None
    decoder = json.JSONDecoder(parse_float=Decimal)
    with open(path, encoding="utf-8") as stream:
        valid = [v for v, _ in (validate(model, decoder.decode(line), n) for n, line in enumerate(stream, 1))
                 if v is not None]
    as_of = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    generated = compile_model(model)._module.evaluate
    closures = closure_evaluator(model)
    for lead in valid[:2000]:
        assert generated(lead.id, lead.values, lead.events, as_of) == closures(lead.id, lead.values, lead.events,
                                                                               as_of)
    results = {}
    for name, fn in (("generated source", generated), ("closures", closures)):
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            for lead in valid:
                fn(lead.id, lead.values, lead.events, as_of)
            times.append(time.perf_counter() - start)
        results[name] = len(valid) / statistics.median(times)
    print(f"evaluation only (validated leads), {len(valid):,} leads, median of {args.runs} runs:")
    for name, speed in results.items():
        print(f"  {name:<18} {speed:>12,.0f} leads/s")
    print(f"  generated / closures: {results['generated source'] / results['closures']:.1f}×")


if __name__ == "__main__":
    main()
