"""Semantic diff on random rulesets (the engine campaign's generator, every construct) and a
random mutation of one number in them: every `changed` witness shows the two values it claims
under the two versions, no `equivalent` key or `equal` stage set is contradicted by the
campaign's random leads, and a ruleset diffed with itself is equivalent on every key.

Derandomized for CI; LEADRULES_DIFF_CAMPAIGN_EXAMPLES runs a bigger campaign locally.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from ruleset_strategies import Generated, leads, rulesets

from leadrules import Ruleset
from leadrules.diff.semantic import SemanticDiff, key_value, semantic_diff
from leadrules.model import CheckedModel
from leadrules.source import SourceFile
from leadrules.workspace import load_source

EXAMPLES = int(os.environ.get("LEADRULES_DIFF_CAMPAIGN_EXAMPLES", "25"))
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
# a whole number on a rule line (not inside a string, not a window length or a range bound)
NUMBER = re.compile(r"(?<![\w.\"-])(\d+)(?![\w.\"]| days| weeks| hours|\.\.)")


def model_of(text: str, name: str) -> CheckedModel | None:
    return load_source(SourceFile(name, text)).model


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, Generated]:
    """A random ruleset and the same ruleset with one number on a rule line changed."""
    generated = draw(rulesets())
    lines = generated.text.splitlines(keepends=True)
    spots = [(i, m) for i, line in enumerate(lines) if line.lstrip().startswith(("stage ", "disqualify ", "to ", "+", "-"))
             for m in NUMBER.finditer(line) if "\"" not in line[:m.start()] or line[:m.start()].count("\"") % 2 == 0]
    if not spots:
        return generated.text, generated.text, generated
    index, match = draw(st.sampled_from(spots))
    value = int(match.group(1)) + draw(st.sampled_from([-3, -1, 1, 2, 10]))
    line = lines[index]
    lines[index] = line[:match.start()] + str(max(value, 0)) + line[match.end():]
    return generated.text, "".join(lines), generated


def _check_claims(result: SemanticDiff, old: CheckedModel, new: CheckedModel,
                  records: list[Any]) -> None:
    old_rules, new_rules = Ruleset(old), Ruleset(new)
    for k in result.keys:
        if k.verdict == "changed" and k.evidence is not None:
            as_of = k.evidence.witness.as_of
            lead = k.evidence.witness.lead
            values = (key_value(old_rules.evaluate(lead, as_of=as_of), k.key, k.kind),
                      key_value(new_rules.evaluate(lead, as_of=as_of), k.key, k.kind))
            assert values == (k.evidence.old, k.evidence.new), (k.key, lead)
            assert values[0] != values[1], (k.key, lead)
    equivalent = [k for k in result.keys if k.verdict == "equivalent"]
    sets = {s.stage: s.verdict for s in result.stage_sets}
    for record in records:
        if not isinstance(record, dict):
            continue
        before = old_rules.evaluate(record, as_of=AS_OF)
        after = new_rules.evaluate(record, as_of=AS_OF)
        for k in equivalent:
            if k.kind == "validity" or ("error" not in before and "error" not in after):
                assert key_value(before, k.key, k.kind) == key_value(after, k.key, k.kind), (k.key, record)
        if "error" in before or "error" in after or before["stage"] == after["stage"]:
            continue
        assert sets.get(before["stage"]) in ("stricter", "incomparable", "unknown"), (before["stage"], record)
        assert sets.get(after["stage"]) in ("looser", "incomparable", "unknown"), (after["stage"], record)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_diff_claims_hold_on_random_rulesets_and_mutations(data: st.DataObject) -> None:
    old_text, new_text, generated = data.draw(mutated())
    old = model_of(old_text, "old.rules")
    assert old is not None
    new = model_of(new_text, "new.rules")
    if new is None:
        return  # the mutation made the ruleset invalid (a band range inverted, ...)
    records = data.draw(st.lists(leads(generated.shape, AS_OF), min_size=20, max_size=40))
    _check_claims(semantic_diff(old, new), old, new, records)
    itself = semantic_diff(old, model_of(old_text, "same.rules") or old)
    assert {k.verdict for k in itself.keys} <= {"equivalent"}, [(k.key, k.verdict, k.reason) for k in itself.keys]
    assert {s.verdict for s in itself.stage_sets} <= {"equal"}
