"""Campaign: random valid rulesets (as text, every construct of the spec) and random leads.

For each ruleset, `leadrules check`'s library path (load, check, lint, render) must not raise;
then the Python engine, the DuckDB engine and the reference interpreter of the syntax tree
(tests/engine/reference.py, written from the spec) must give the same record for every lead:
the two engines byte for byte, the reference value for value (numbers exactly, printed in
plain notation; error records on id, record and field).

Derandomized for CI. LEADRULES_CAMPAIGN_EXAMPLES=500 runs a bigger campaign locally;
LEADRULES_CAMPAIGN_SHRINK=1 also shrinks a failure to a minimal example (slow).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from ruleset_strategies import AS_OFS, Generated, json_text, leads, rulesets

import leadrules
from leadrules.batch import run_detailed
from leadrules.config import Config
from leadrules.io.leads import WRITERS, read_leads
from leadrules.io.render import get_renderer
from leadrules.lint import lint
from leadrules.source import SourceFile
from leadrules.syntax import ast, parse
from leadrules.workspace import load_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
import reference  # noqa: E402  (tests/engine is not a package)

EXAMPLES = int(os.environ.get("LEADRULES_CAMPAIGN_EXAMPLES", "40"))
# Shrinking re-runs DuckDB hundreds of times (minutes); a failure prints its whole ruleset and
# lead anyway. LEADRULES_CAMPAIGN_SHRINK=1 shrinks to a minimal example when hunting one down.
PHASES = [Phase.explicit, Phase.generate] + ([Phase.shrink] if os.environ.get("LEADRULES_CAMPAIGN_SHRINK") else [])
# a ruleset of this size checks in well under a second; minutes mean a defect, not a slow machine
CHECK_SECONDS = 30.0
# section 9: integers without a decimal point, decimals without trailing zeros, no exponent, no -0
PLAIN_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?")


@dataclass
class Tally:
    rulesets: int = 0
    leads: int = 0


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    counts = Tally()
    yield counts
    print(f"\nengine campaign: {counts.rulesets} rulesets, {counts.leads} leads "
          f"(LEADRULES_CAMPAIGN_EXAMPLES={EXAMPLES})")


def _plain(text: str) -> Decimal:
    assert PLAIN_NUMBER.fullmatch(text) and text != "-0", f"number not in plain notation: {text}"
    return Decimal(text)


def _comparable(value: Any) -> Any:
    """Numbers as Decimals (7 and 7.0 alike), objects as (key, value) pairs in their order (the
    spec fixes the order of keys, scores and bands), containers recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, dict):
        return [(k, _comparable(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    raise AssertionError(f"unexpected value {value!r}")


def _engine_record(line: str) -> Any:
    record = json.loads(line, parse_float=_plain, parse_int=_plain)
    assert isinstance(record, dict), line
    error = record.get("error")
    if error is not None:
        # the spec fixes what a message says, not its words: it must be a one-line text
        assert isinstance(error["message"], str) and error["message"] and "\n" not in error["message"], record
        error["message"] = None
    return _comparable(record)


def _reference_record(rules: reference.Rules, line: str, as_of: dt.datetime, index: int) -> Any:
    lead = json.loads(line, parse_float=Decimal)
    return _comparable(reference.evaluate(rules, lead, as_of, index))


class CheckTooSlow(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float, what: str) -> Iterator[None]:
    """Fail (not hang) when `what` runs longer than an ops engineer would wait in CI."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise CheckTooSlow(f"{what} took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check_never_raises(path: Path, text: str) -> leadrules.Ruleset:
    """What `leadrules check` does with a file, through its library functions: no exception,
    and done within CHECK_SECONDS (the rulesets are small)."""
    with _time_limit(CHECK_SECONDS, f"leadrules check of this ruleset:\n{text}\n"):
        loaded = load_file(path)
        assert loaded.model is not None, [(d.code, d.message) for d in loaded.diagnostics]
        findings = lint(loaded.model, Config())
        sources = {loaded.source.path: loaded.source}
        for output_format in ("text", "json"):
            get_renderer(output_format)(list(loaded.diagnostics) + findings, sources)
    return leadrules.Ruleset(loaded.model)


def _python_output(ruleset: leadrules.Ruleset, leads_path: Path, as_of: dt.datetime) -> str:
    stream = io.StringIO()
    writer: Any = WRITERS["jsonl"](stream, ruleset.model)
    with read_leads(str(leads_path), ruleset.model, None) as records:
        for record in ruleset.evaluate_many(records, as_of=as_of):
            writer.write(record)
    writer.close()
    return stream.getvalue()


@st.composite
def campaigns(draw: st.DrawFn) -> tuple[Generated, dt.datetime, list[Any]]:
    generated = draw(rulesets())
    as_of = draw(st.sampled_from(AS_OFS))
    records = draw(st.lists(leads(generated.shape, as_of), min_size=2, max_size=16))
    return generated, as_of, records


@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(campaign=campaigns())
def test_engines_and_reference_agree(campaign: tuple[Generated, dt.datetime, list[Any]], tally: Tally) -> None:
    generated, as_of, records = campaign
    lines = [json_text(record) for record in records]
    with tempfile.TemporaryDirectory() as folder:
        rules_path = Path(folder) / "campaign.rules"
        rules_path.write_text(generated.text, encoding="utf-8")
        leads_path = Path(folder) / "leads.jsonl"
        leads_path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        ruleset = _check_never_raises(rules_path, generated.text)
        python_text = _python_output(ruleset, leads_path, as_of)
        out_path = Path(folder) / "out.jsonl"
        run_detailed(ruleset.model, str(leads_path), None, as_of, "jsonl", str(out_path))
        duckdb_text = out_path.read_text(encoding="utf-8")
    tally.rulesets += 1
    tally.leads += len(records)
    rules = reference.rules_from_text(generated.text)
    python_lines = python_text.splitlines()
    duckdb_lines = duckdb_text.splitlines()
    assert len(python_lines) == len(lines), "the Python engine must give one record per input record"
    assert len(duckdb_lines) == len(lines), "the DuckDB engine must give one record per input record"
    context = f"ruleset:\n{generated.text}\nas of {as_of.isoformat()}"
    for index, (lead, py, duck) in enumerate(zip(lines, python_lines, duckdb_lines, strict=True), 1):
        want = _reference_record(rules, lead, as_of, index)
        where = f"{context}\nlead {index}: {lead}\nreference: {want}\npython:    {py}\nduckdb:    {duck}"
        assert _engine_record(py) == want, f"Python engine disagrees with the reference\n{where}"
        assert duck == py, f"DuckDB engine disagrees with the Python engine\n{where}"


# ---- the oracle itself, against the spec's own examples ---------------------------------------

SPEC_EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples"
WORKED_AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)


def test_reference_gives_the_worked_example_of_section_8() -> None:
    rules = reference.rules_from_text((SPEC_EXAMPLES / "projectflow.rules").read_text(encoding="utf-8"))
    leads_lines = (SPEC_EXAMPLES / "projectflow.leads.jsonl").read_text(encoding="utf-8").splitlines()
    expected_lines = (SPEC_EXAMPLES / "projectflow.expected.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(leads_lines) == len(expected_lines)
    for index, (lead, expected) in enumerate(zip(leads_lines, expected_lines, strict=True), 1):
        want = json.loads(expected, parse_float=Decimal)
        if "error" in want:
            want["error"]["message"] = None  # section 8: error records compare on id, record, field
        assert _reference_record(rules, lead, WORKED_AS_OF, index) == _comparable(want), lead


def test_reference_passes_the_test_blocks_of_the_worked_example() -> None:
    text = (SPEC_EXAMPLES / "projectflow.rules").read_text(encoding="utf-8")
    module, _ = parse(SourceFile("projectflow.rules", text))
    assert module is not None
    rules = reference.rules_from_text(text)
    blocks = [s for s in module.statements if isinstance(s, ast.TestDecl)]
    assert len(blocks) == 3
    for block in blocks:
        as_of = next(i for i in block.items if isinstance(i, ast.AsOf))
        lead = next(i for i in block.items if isinstance(i, ast.LeadLiteral))
        at = reference.parse_timestamp(as_of.value.value)
        assert at is not None
        result = reference.evaluate(rules, lead.value, at)
        for expect in (i for i in block.items if isinstance(i, ast.Expect)):
            key = expect.key.name
            got = result["scores"].get(key, result["bands"].get(key, result.get(key)))
            assert _comparable(got) == _comparable(expect.value), (block.name.value, key)


CANCELLING = """\
ruleset "cancel" version "1"
field employees: integer optional
field a: number optional
stages Lead -> MQL -> SQL
stage MQL if {mql}
stage SQL if employees is missing and {mql}
"""


@pytest.mark.parametrize("criterion", ["employees - employees == 0", "0 * employees >= 0",
                                       "a + employees - employees > 1", "2 * employees - employees * 2 == 0"])
def test_cancelling_arithmetic_over_a_missing_field_is_unknown(criterion: str, tmp_path: Path) -> None:
    """Section 9: `x - x == 0`, `0 * x >= 0` and `a + x - x > 1` are unknown when x is missing,
    so neither criterion is true and the lead stays at the entry stage, in every evaluator."""
    text = CANCELLING.format(mql=criterion)
    lead = {"id": "L1", "a": 5}
    assert reference.evaluate(reference.rules_from_text(text), lead, WORKED_AS_OF)["stage"] == "Lead"
    rules_path = tmp_path / "cancel.rules"
    rules_path.write_text(text, encoding="utf-8")
    leads_path = tmp_path / "leads.jsonl"
    leads_path.write_text(json.dumps(lead) + "\n", encoding="utf-8")
    ruleset = leadrules.load(rules_path)
    want = ('{"id": "L1", "stage": "Lead", "disqualified": false, "reasons": [], "blocked": [], '
            '"scores": {}, "bands": {}, "route": null}\n')
    assert _python_output(ruleset, leads_path, WORKED_AS_OF) == want
    run_detailed(ruleset.model, str(leads_path), None, WORKED_AS_OF, "jsonl", str(tmp_path / "out.jsonl"))
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == want
