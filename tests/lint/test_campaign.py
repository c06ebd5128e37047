"""A hypothesis campaign over random small rulesets.

- every witness reproduces (a witness that does not would be reported as LR901);
- whatever the linter calls unreachable or never firing (LR101 stage, LR302 route entry,
  LR203 disqualifier, LR401 rule) 10,000 random valid leads never show otherwise;
- whatever it calls reachable has a witness that, evaluated, reaches it.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadrules import model as m
from leadrules.config import Config
from leadrules.lint import lint
from leadrules.lint.context import SAT, LintContext
from leadrules.lint.outcome import Judge

from .helpers import AS_OF, evaluate, model_of

ROLES = ["student", "manager", "director"]
LEADS = 10_000


@st.composite
def rulesets(draw: st.DrawFn) -> tuple[str, list[int]]:
    thresholds = draw(st.lists(st.integers(-2, 12), min_size=8, max_size=8))

    def atom(i: int, in_score: bool = False) -> str:
        kind = draw(st.integers(0, 10))
        t = thresholds[i % len(thresholds)]
        if in_score and kind in (7, 10):
            kind = 0  # a score cannot read itself or its band
        return [
            f"size {draw(st.sampled_from(['>=', '<', '==', '!=']))} {t}",
            f'role {draw(st.sampled_from(["==", "!="]))} "{draw(st.sampled_from(ROLES))}"',
            f"revenue {draw(st.sampled_from(['>', '<=']))} {t}",
            "flag" if draw(st.booleans()) else "not flag",
            f"count(demo in last 7 days) >= {abs(t) % 3}",
            f"has demo{draw(st.sampled_from(['', ' in last 14 days']))}",
            "revenue is missing",
            f"fit >= {t * 5}",
            draw(st.sampled_from(['country == "US"', 'country != "DE"', 'country in ["US", "FR"]',
                                  "country is missing"])),
            draw(st.sampled_from(['email.domain == "acme.com"', 'email.domain in ["acme.com", "ACME.org", "b.io"]',
                                  "email.domain is missing", 'note starts with "ab"'])),
            f'tier == "{draw(st.sampled_from(["hi", "lo"]))}"',
        ][kind]

    def cond(i: int) -> str:
        parts = [atom(i + k) for k in range(draw(st.integers(1, 2)))]
        joiner = draw(st.sampled_from([" and ", " or "]))
        return ("not (" + joiner.join(parts) + ")") if draw(st.integers(0, 5)) == 0 else joiner.join(parts)

    lo = draw(st.integers(0, 3))
    lines = ['ruleset "r" version "1"', f"field size: integer in {lo}..{lo + draw(st.integers(0, 8))}",
             'field role: one of ["student", "manager", "director"]', "field revenue: number optional",
             "field flag: boolean", "field country: text optional", "field email: email",
             "field note: text optional", "event demo", f"score fit (min 0, max {draw(st.integers(10, 40))}):"]
    fit_rules = [f"    +{draw(st.integers(1, 20))} if {atom(k, in_score=True)}" for k in range(3)]
    fit_rules.append("    +5 per demo (max 10)")
    lines += fit_rules
    lines += ["band tier of fit:", '    "hi" from 20', '    "lo" to 20']
    lines.append(f'disqualify dq "DQ" if {cond(1)}')
    lines.append(f'disqualify late "Late" at SQL if {cond(2)}')
    lines += ["stages Lead -> MQL -> SQL", f"stage MQL if {cond(3)}", f"stage SQL if {cond(4)}"]
    lines += ["route MQL:", f'    to "a" if {cond(5)}', f'    to "b" if {cond(6)}', f'    to "c" if {cond(7)}']
    return "\n".join(lines) + "\n", thresholds


def random_lead(rnd: random.Random, model: Any) -> dict[str, Any]:
    size = model.fields["size"]
    lead: dict[str, Any] = {
        "size": rnd.randint(int(size.low), int(size.high)),
        "role": rnd.choice(ROLES),
        "flag": rnd.random() < 0.5,
        "email": rnd.choice(["x@acme.com", "x@ACME.com", "x@ACME.org", "y@b.io", "nobody", "x@other.net"]),
    }
    for name, options in (("country", ["US", "DE", "FR", "us"]), ("note", ["abc", "ab", "xab", "a"])):
        if rnd.random() < 0.8:
            lead[name] = rnd.choice(options)
    if rnd.random() < 0.7:
        lead["revenue"] = Decimal(rnd.randint(-3, 13)) + (Decimal("0.5") if rnd.random() < 0.2 else 0)
    events = []
    for _ in range(rnd.choice([0, 0, 1, 2, 3])):
        ago = rnd.choice([0, 3600, 6 * 86400, 7 * 86400, 10 * 86400, 14 * 86400, 40 * 86400])
        events.append({"type": "demo", "at": (AS_OF - dt.timedelta(seconds=ago)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    lead["events"] = events
    return lead


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(rulesets())
def test_findings_hold_for_random_leads(case: tuple[str, list[int]]) -> None:
    text, _ = case
    model = model_of(text)
    found = lint(model, Config())
    assert not [d for d in found if d.code in ("LR901", "LR900")], [d.message for d in found]
    for d in found:
        if d.witness is not None:
            evaluate(model, d.witness)
    dead_stages = {d.message.split("'")[1] for d in found if d.code == "LR101"}
    dead_entries = {d.span.line for d in found if d.code == "LR302"}
    dead_disqualifiers = {d.span.line for d in found if d.code == "LR203"}
    dead_rules = {d.span.line for d in found if d.code == "LR401"}
    route = model.routes["MQL"]
    rnd = random.Random(1)
    judge = Judge(model, AS_OF)
    for _ in range(LEADS):
        t = judge.outcome(random_lead(rnd, model))
        assert t.valid, t.record
        assert t.record["stage"] not in dead_stages
        if t.record["stage"] == "MQL":
            chosen = next((e for e, v in zip(route.entries, t.routes["MQL"], strict=True) if v is True), None)
            assert chosen is None or chosen.span.line not in dead_entries
        for disq, fires in zip(model.disqualifiers, t.fires, strict=True):
            assert not (fires is True and disq.span.line in dead_disqualifiers)
        for (score, index), (fired, points) in t.rules.items():
            rule = model.scores[score].rules[index]
            counts = fired if isinstance(rule, m.IfRule) else points != 0
            assert not (counts and rule.span.line in dead_rules)
    # reachable stages have a witness that reaches them
    ctx = LintContext.create(model, Config())
    for stage in model.stages[1:]:
        if stage in dead_stages:
            continue
        query = (ctx.encoding.ends_in(stage),)
        answer = ctx.ask(*query)
        assert answer.status == SAT
        witness = ctx.witness_for(answer, query)
        assert witness is not None
        assert evaluate(model, witness).record["stage"] == stage
