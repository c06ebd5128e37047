"""Properties of the semantic diff on random one-line edits of a ruleset: every `changed`
witness shows different values under the two versions, every `equivalent` key and `equal`
stage set survives random leads, and a ruleset diffed with itself or with its `fmt` output
is equivalent on every key."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadrules import Ruleset
from leadrules.diff.semantic import key_value
from leadrules.io.fmt import format_module
from leadrules.source import SourceFile
from leadrules.syntax import parse

from .helpers import BASE, diff, edit, model, reproduces

LEADS = 10_000  # random leads each equivalence claim is checked against
AS_OF = "2026-11-22T00:00:00Z"

# (piece of BASE, replacements it may take); each example applies one or two of them
EDITS: list[tuple[str, list[str]]] = [
    ("fit >= 40 and engagement >= 30", ["fit >= {n} and engagement >= 30", "engagement >= 30 and fit >= 40",
                                        "fit >= 40 and engagement >= {n}", "fit >= 40 or engagement >= {n}"]),
    ("+20 if employees >= 100", ["+20 if employees >= {n}", "+{p} if employees >= 100",
                                 "+20 if employees between 100 and 100000", "+20 if employees > {n}"]),
    ("+30 if senior", ['+30 if role in ["director", "manager"]', "+{p} if senior", '+30 if role == "manager"']),
    ('    "B" from 20 to 50\n    "C" to 20', ['    "B" from {n} to 50\n    "C" to {n}']),
    ("+10 per webinar in last 30 days (max 40)", ["+10 per webinar in last {d} days (max 40)",
                                                  "+10 per webinar in last 30 days (max {p})"]),
    ('disqualify small "Too small" at SQL if employees < 10',
     ['disqualify small "Too small" at MQL if employees < 10', 'disqualify small "Too small" if employees < {n}',
      'disqualify small "Too small" at SQL if employees < {n}']),
    ('    to "emea" if country in ["GB", "DE"]\n    to "na" if country in ["US"]',
     ['    to "na" if country in ["US"]\n    to "emea" if country in ["GB", "DE"]',
      '    to "na" if country in ["US", "GB"]\n    to "emea" if country in ["GB", "DE"]']),
    ("field country: text optional", ["field country: text"]),
]


@st.composite
def edited(draw: st.DrawFn) -> str:
    chosen = draw(st.lists(st.sampled_from(range(len(EDITS))), min_size=1, max_size=2, unique=True))
    text = BASE
    for index in chosen:
        old, options = EDITS[index]
        new = draw(st.sampled_from(options)).format(n=draw(st.sampled_from([5, 20, 25, 40, 100, 150])),
                                                    p=draw(st.sampled_from([10, 20, 25, 35])),
                                                    d=draw(st.sampled_from([7, 30, 90])))
        text = edit(old, new, text)
    return text


def random_lead(rng: random.Random) -> dict[str, Any]:
    lead: dict[str, Any] = {
        "email": rng.choice(["a@rival.io", "b@bigco.com", "c@RIVAL.IO", "nobody"]),
        "role": rng.choice(["student", "engineer", "manager", "director"]),
        "employees": rng.choice([1, 5, 9, 10, 19, 20, 99, 100, 101, 149, 150, 151, 5000]),
        "events": [{"type": "webinar", "at": f"2026-{rng.choice(['08', '10', '11'])}-{rng.randint(1, 28):02d}T00:00:00Z"}
                   for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 8]))],
    }
    if rng.random() < 0.8:
        lead["country"] = rng.choice(["GB", "DE", "US", "FR"])
    return lead


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(edited())
def test_changed_witnesses_reproduce_and_equivalent_claims_survive_random_leads(new: str) -> None:
    result = diff(BASE, new)
    for k in result.keys:
        assert k.verdict != "unknown", (k.key, k.reason)
        if k.verdict == "changed":
            reproduces(k.evidence, BASE, new, k.key, k.kind)
    old_rules, new_rules = Ruleset(model(BASE)), Ruleset(model(new))
    rng = random.Random(new)
    equivalent = [k for k in result.keys if k.verdict == "equivalent"]
    sets = {s.stage: s.verdict for s in result.stage_sets}
    for _ in range(LEADS):
        lead = random_lead(rng)
        before, after = old_rules.evaluate(lead, as_of=AS_OF), new_rules.evaluate(lead, as_of=AS_OF)
        for k in equivalent:
            if k.kind == "validity" or ("error" not in before and "error" not in after):
                assert key_value(before, k.key, k.kind) == key_value(after, k.key, k.kind), (k.key, lead)
        if "error" in before or "error" in after:
            continue
        if before["stage"] != after["stage"]:
            # a lead that left a stage proves the stage did not stay equal or get looser
            assert sets[before["stage"]] in ("stricter", "incomparable"), (before["stage"], lead)
            assert sets[after["stage"]] in ("looser", "incomparable"), (after["stage"], lead)


def test_ruleset_against_its_fmt_output_is_equivalent() -> None:
    source = SourceFile("acme.rules", BASE.replace("    +30 if senior", "    +30 if (senior)   # comment"))
    module, diagnostics = parse(source)
    assert module is not None and diagnostics == []
    formatted = format_module(module, source)
    assert formatted != source.text
    result = diff(source.text, formatted)
    assert {k.verdict for k in result.keys} == {"equivalent"}
    assert {s.verdict for s in result.stage_sets} == {"equal"}
