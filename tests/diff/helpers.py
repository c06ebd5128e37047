"""A small ruleset and edits of it, and the check that a reported witness reproduces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leadrules import Ruleset
from leadrules.diff.semantic import Evidence, SemanticDiff, key_value, semantic_diff
from leadrules.source import SourceFile
from leadrules.workspace import load_source

BASE = '''\
ruleset "acme" version "1"
field email: email
field role: one of ["student", "engineer", "manager", "director"]
field employees: integer in 1..100000
field country: text optional
event webinar
condition senior = role in ["manager", "director"]

score fit (min 0, max 100):
    +30 if senior
    +20 if employees >= 100
    -50 if role == "student"

score engagement (max 100):
    +10 per webinar in last 30 days (max 40)

band grade of fit:
    "A" from 50
    "B" from 20 to 50
    "C" to 20

disqualify competitor "Works for a competitor" if email.domain in ["rival.io"]
disqualify small "Too small" at SQL if employees < 10

stages Lead -> MQL -> SQL
stage MQL if fit >= 40 and engagement >= 30
stage SQL if fit >= 50 and engagement >= 40

route SQL:
    to "emea" if country in ["GB", "DE"]
    to "na" if country in ["US"]
    otherwise to "global"
'''


def edit(old: str, new: str, text: str = BASE) -> str:
    """The base ruleset with one exact piece of text replaced (which must be there once)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def model(text: str, name: str = "acme.rules") -> Any:
    loaded = load_source(SourceFile(name, text))
    assert loaded.model is not None, [d.message for d in loaded.diagnostics]
    return loaded.model


def diff(old: str, new: str) -> SemanticDiff:
    return semantic_diff(model(old, "old.rules"), model(new, "new.rules"))


def reproduces(evidence: Evidence | None, old: str, new: str, key: str, kind: str) -> tuple[Any, Any]:
    """Evaluate a witness with both versions (the Python engine) and return the key's two
    values, after asserting that they are the ones reported and that they differ."""
    assert evidence is not None
    as_of = evidence.witness.as_of
    old_record = Ruleset(model(old)).evaluate(evidence.witness.lead, as_of=as_of)
    new_record = Ruleset(model(new)).evaluate(evidence.witness.lead, as_of=as_of)
    values = key_value(old_record, key, kind), key_value(new_record, key, kind)
    assert values == (evidence.old, evidence.new)
    assert values[0] != values[1]
    if kind != "validity":
        assert "error" not in old_record and "error" not in new_record
    return values


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)
