"""`leadrules calibrate` on a synthetic history with known rule effects, checked by brute force."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import HOLDOUT_AFTER, RULES, History, generate, stamp, write_history  # noqa: E402

from leadrules.calibrate.metrics import lift, rate  # noqa: E402
from leadrules.engine.python import compile_model  # noqa: E402
from leadrules.io.fmt import format_module  # noqa: E402
from leadrules.source import SourceFile  # noqa: E402
from leadrules.syntax import parse  # noqa: E402
from leadrules.workspace import load_file, load_source  # noqa: E402

HOLDOUT = stamp(HOLDOUT_AFTER)
POSITIVE = {"accepted", "won"}
NEGATIVE = {"rejected", "lost"}


@pytest.fixture(scope="module")
def history() -> History:
    return generate(4000)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, history: History) -> tuple[Path, Path, Path]:
    return write_history(tmp_path_factory.mktemp("history"), history)


def _run(args: list[str]) -> tuple[int, str, str]:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "leadrules", *args], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def calibration(files: tuple[Path, Path, Path]) -> dict[str, Any]:
    rules, leads, outcomes = files
    code, out, err = _run(["calibrate", str(rules), str(leads), str(outcomes), "--as-of-field", "signed_at",
                           "--holdout-after", HOLDOUT, "--format", "json"])
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def _decided(history: History) -> dict[str, bool]:
    return {str(o["id"]): o["outcome"] in POSITIVE for o in history.outcomes
            if o["outcome"] in POSITIVE or o["outcome"] in NEGATIVE}


def _rule(result: dict[str, Any], label: str) -> dict[str, Any]:
    (entry,) = [r for r in result["rules"] if r.get("label") == label]
    return entry


def test_finds_the_real_lift_and_marks_the_useless_rule(calibration: dict[str, Any]) -> None:
    icp = _rule(calibration, "icp")
    assert icp["rule"] == '+30 if industry == "saas"'
    assert isinstance(icp["lift"], float)
    assert icp["lift_low"] <= 2.0 <= icp["lift_high"]
    assert icp["verdict"] == "raises"
    big = _rule(calibration, "big")
    assert big["lift_low"] <= 1.0 <= big["lift_high"]
    assert big["verdict"] == "no clear effect"
    (competitor,) = calibration["disqualifiers"]
    assert competitor["rule"] == "email.domain in competitors"
    assert competitor["fired"] < 30 and competitor["verdict"] == "too rare to judge"


def test_counts_and_rates_equal_a_brute_force_count(calibration: dict[str, Any], history: History) -> None:
    model = load_source(SourceFile("demo.rules", RULES)).model
    assert model is not None
    decided = _decided(history)
    records = list(compile_model(model).evaluate_many(history.leads, as_of_field="signed_at"))
    joined = [(r, decided[r["id"]]) for r in records if r["id"] in decided]
    assert calibration["leads"]["decided"] == len(joined)
    assert calibration["leads"]["positive"] == sum(p for _, p in joined)
    assert calibration["outcomes"]["unknown_ids"] == 3
    assert calibration["outcomes"]["unknown_id_examples"] == ["X-0", "X-1", "X-2"]
    assert calibration["leads"]["open"] == sum(1 for o in history.outcomes if o["outcome"] == "working")
    positives = sum(p for _, p in joined)
    order = ["Lead", "MQL", "SQL"]
    for entry in calibration["stages"]:
        stage = entry["stage"]
        at = [p for r, p in joined if r["stage"] == stage]
        assert entry["volume"] == len(at)
        assert entry["acceptance_rate"]["hits"] == sum(at)
        if stage in order:
            reached = [p for r, p in joined if r["stage"] in order[order.index(stage):]]
            assert entry["reached"] == len(reached)
            assert entry["precision"] == rate(sum(reached), len(reached)).to_json()
            assert entry["recall"] == rate(sum(reached), positives).to_json()
    by_id = {str(lead["id"]): lead for lead in history.leads}
    for label, fired in (("icp", lambda lead: lead["industry"] == "saas"),
                         ("big", lambda lead: lead.get("employees", 0) >= 200)):
        hits = [(fired(by_id[r["id"]]), p) for r, p in joined]
        fired_n = sum(1 for f, _ in hits if f)
        fired_pos = sum(1 for f, p in hits if f and p)
        expected = lift(fired_pos, fired_n, positives - fired_pos, len(joined) - fired_n)
        entry = _rule(calibration, label)
        assert entry["fired"] == fired_n
        assert (entry["lift"], entry["lift_low"], entry["lift_high"]) == (expected.value, expected.low, expected.high)
    reasons = {str(o["id"]): o.get("reason") for o in history.outcomes}
    sql_reasons: dict[str, int] = {}
    for r, p in joined:
        if not p and r["stage"] == "SQL":
            sql_reasons[str(reasons[r["id"]])] = sql_reasons.get(str(reasons[r["id"]]), 0) + 1
    assert {x["reason"]: x["count"] for x in calibration["rejection_reasons"]["by_stage"]["SQL"]} == sql_reasons


def test_sweep_equals_re_evaluating_with_the_threshold_moved(calibration: dict[str, Any], history: History) -> None:
    decided = _decided(history)
    (sql,) = [t for t in calibration["thresholds"] if t["stage"] == "SQL"]
    assert (sql["criterion"], sql["current"], sql["at"]) == ("engagement >= 30", 30, {"line": 28, "column": 28})
    holdout = HOLDOUT_AFTER
    signed = {str(lead["id"]): dt.datetime.fromisoformat(str(lead["signed_at"])) for lead in history.leads}
    for row in sql["sweep"][::2]:
        value = row["value"]
        model = load_source(SourceFile("t.rules", RULES.replace("engagement >= 30", f"engagement >= {value}"))).model
        assert model is not None
        records = [r for r in compile_model(model).evaluate_many(history.leads, as_of_field="signed_at")
                   if r["id"] in decided]
        for part, key in ((lambda r: signed[r["id"]] < holdout, "training"),
                          (lambda r: signed[r["id"]] >= holdout, "holdout")):
            chosen = [r for r in records if part(r)]
            selected = [decided[r["id"]] for r in chosen if r["stage"] == "SQL"]
            all_positive = sum(decided[r["id"]] for r in chosen)
            assert row[key]["volume"] == len(selected)
            assert row[key]["positives"] == sum(selected)
            assert row[key]["precision"] == rate(sum(selected), len(selected)).to_json()
            assert row[key]["recall"] == rate(sum(selected), all_positive).to_json()


def test_planted_optimum_found_and_confirmed_on_the_holdout(calibration: dict[str, Any]) -> None:
    (sql,) = [t for t in calibration["thresholds"] if t["stage"] == "SQL"]
    assert sql["suggested"] == 40
    assert sql["why"] == "best F1 (precision and recall)"
    assert sql["holdout"]["suggested"]["f1"] > sql["holdout"]["current"]["f1"]
    assert calibration["leads"]["before_holdout"] + calibration["leads"]["holdout"] == calibration["leads"]["decided"]


def test_capacity_picks_most_positives_within_it(files: tuple[Path, Path, Path]) -> None:
    rules, leads, outcomes = files
    code, out, err = _run(["calibrate", str(rules), str(leads), str(outcomes), "--as-of-field", "signed_at",
                           "--holdout-after", HOLDOUT, "--capacity", "60/week", "--format", "json"])
    assert code == 0, err
    (sql,) = [t for t in json.loads(out)["thresholds"] if t["stage"] == "SQL"]
    within = [r for r in sql["sweep"] if r["training"]["leads_per_week"] <= 60]
    best = max(within, key=lambda r: r["training"]["positives"])
    assert sql["suggested"] == best["value"] == 50
    assert sql["why"] == "most positive outcomes within 60 leads/week"


def test_write_suggestion_round_trip(files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    rules, leads, outcomes = files
    new = tmp_path / "new.rules"
    code, out, err = _run(["calibrate", str(rules), str(leads), str(outcomes), "--as-of-field", "signed_at",
                           "--holdout-after", HOLDOUT, "--write-suggestion", str(new), "-o", str(tmp_path / "c.txt")])
    assert code == 0, err
    assert err.splitlines()[-1] == f"leadrules: wrote {new}: 2 threshold(s) changed"
    old_text, new_text = rules.read_text(), new.read_text()
    changed = [(a, b) for a, b in zip(old_text.splitlines(), new_text.splitlines(), strict=True) if a != b]
    assert changed == [("stage MQL if fit >= 20", "stage MQL if fit >= 50"),
                       ("stage SQL if engagement >= 30", "stage SQL if engagement >= 40")]
    loaded = load_file(new)
    assert loaded.model is not None
    module, _ = parse(SourceFile(str(new), new_text))
    assert module is not None
    assert format_module(module, SourceFile(str(new), new_text)) == new_text
    code, out, err = _run(["diff", str(rules), str(new)])
    assert code == 0, err
    # the scores are untouched; only the stages the two thresholds decide change
    assert "Equivalent: validity, disqualified, reasons, blocked, fit, engagement, grade." in out.splitlines()
    assert any(line.startswith("Stage SQL got stricter:") for line in out.splitlines())


def test_exit_codes_and_one_line_errors(files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    rules, leads, outcomes = files
    missing = tmp_path / "none.csv"
    code, out, err = _run(["calibrate", str(rules), str(leads), str(missing), "--as-of-field", "signed_at"])
    assert (code, out) == (2, "")
    assert err == f"leadrules: error: {missing}: cannot read (No such file or directory)\n"
    code, _, err = _run(["calibrate", str(rules), str(leads), str(outcomes), "--as-of-field", "x", "--as-of",
                         "2026-01-01"])
    assert code == 2 and err.splitlines()[-1] == "Error: --as-of and --as-of-field exclude each other"
    code, _, err = _run(["calibrate", str(rules), str(leads), str(outcomes), "--capacity", "lots"])
    assert code == 2 and err.splitlines()[-1] == "Error: Invalid value for --capacity: expected leads per week, " \
                                                 "e.g. 50/week, found 'lots'"
    code, _, err = _run(["calibrate", str(rules), str(leads), str(outcomes), "--positive", "won",
                         "--negative", "won"])
    assert code == 2 and err.splitlines()[-1] == "Error: outcome value 'won' is both positive and negative"
    broken = tmp_path / "broken.rules"
    broken.write_text('ruleset "x" version "1"\nstage MQL if nope\n')
    code, _, _ = _run(["calibrate", str(broken), str(leads), str(outcomes)])
    assert code == 1


def test_invalid_as_of_field_leads_are_counted_not_fatal(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    history = generate(40, seed=3)
    history.leads[0]["signed_at"] = "soon"
    rules, leads, outcomes = write_history(tmp_path, history)
    result = run_cli("calibrate", str(rules), str(leads), str(outcomes), "--as-of-field", "signed_at",
                     "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["leads"]["invalid"] == 1


def test_html_is_self_contained_and_escapes_outcome_text(tmp_path: Path) -> None:
    history = generate(300, seed=5)
    for row in history.outcomes:
        if "reason" in row:
            row["reason"] = "<script>alert(1)</script>\x1b[31m"
    rules, leads, outcomes = write_history(tmp_path, history)
    page = tmp_path / "c.html"
    code, out, err = _run(["calibrate", str(rules), str(leads), str(outcomes), "--as-of-field", "signed_at",
                           "--format", "html", "-o", str(page)])
    assert (code, out) == (0, ""), err
    html = page.read_text()
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m" in html
    assert 'src="http' not in html and 'href="http' not in html
    assert html.count("<svg") == 3  # lift per rule, and one chart per threshold (MQL, SQL)
    code, out, err = _run(["calibrate", str(rules), str(leads), str(outcomes), "--as-of-field", "signed_at"])
    assert code == 0, err
    assert "<script>alert(1)</script>\\x1b[31m" in out and "\x1b" not in out


def test_events_after_each_decision_change_nothing(tmp_path: Path, history: History) -> None:
    # the synthetic leads all carry demo requests after their signed_at: without them the
    # calibration must be identical, and evaluated as of one late instant it must not be
    subset = History(history.leads[:600], [o for o in history.outcomes if str(o["id"]) in
                                           {str(lead["id"]) for lead in history.leads[:600]}])
    trimmed = History([{**lead, "events": [e for e in lead["events"] if e["at"] <= lead["signed_at"]]}  # type: ignore[attr-defined]
                       for lead in subset.leads], subset.outcomes)
    outputs = []
    for name, h in (("full", subset), ("trimmed", trimmed)):
        folder = tmp_path / name
        folder.mkdir()
        rules, leads, outcomes = write_history(folder, h)
        for extra in (["--as-of-field", "signed_at"], ["--as-of", "2027-01-01T00:00:00Z"]):
            code, out, err = _run(["calibrate", str(rules), str(leads), str(outcomes), *extra, "--format", "json"])
            assert code == 0, err
            result = json.loads(out)
            del result["ruleset"]
            outputs.append(result)
    assert outputs[0] == outputs[2]
    assert outputs[1] != outputs[3]
