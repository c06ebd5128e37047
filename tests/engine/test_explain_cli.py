"""`leadrules explain RULES LEADS [--id ID] [--events FILE] [--as-of TS]`: one lead picked out of
a JSON object, .json array, .jsonl or .csv file (or stdin), events attached, and nothing from
the lead or the rule file printed raw to the terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from leadrules.cli import main

RULES = '''ruleset "x" version "1"
field name: text
event visit

score eng:
    +10 per visit

disqualify bad "[red]Bad :x: \u202e" if name == "zz"
'''

AS_OF = "2026-11-22"


@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "x.rules"
    path.write_text(RULES, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed width and no colour, whatever the environment running the tests says."""
    monkeypatch.setenv("COLUMNS", "100")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def explain(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stopped:
        main(["explain", *args])
    captured = capsys.readouterr()
    code = stopped.value.code
    assert isinstance(code, int)
    return code, captured.out, captured.err


def ledger(lead_id: str, visits: int, fired: str) -> str:
    points = f"{10 * visits:>6}" if visits else "      "
    return (
        f"Lead {lead_id} — {'Disqualified' if fired == 'yes' else 'no stage (no `stages` declared)'} (route: none)\n"
        "Points                                  \n"
        " score ┃ rule          ┃ fired ┃ points \n"
        "━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━\n"
        f" eng   │ +10 per visit │ {'yes' if visits else 'no ':<5} │ {points} \n"
        f" eng   │ total         │       │ {10 * visits:>6} \n"
        "Disqualifiers                                               \n"
        " code ┃ reason              ┃ scope  ┃ condition    ┃ fired \n"
        "━━━━━━╇━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━\n"
        f" bad  │ [red]Bad :x: \\u202e │ global │ name == \"zz\" │ {fired:<5} \n"
        + ("Disqualified: bad ([red]Bad :x: \\u202e)\n" if fired == "yes" else "")
    )


def test_a_lead_id_with_terminal_escapes_is_shown_escaped(rules: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text(json.dumps({"id": "\x1b[2J\x1b]0;OWNED\x07", "name": "a"}), encoding="utf-8")
    code, out, err = explain(capsys, str(rules), str(lead), "--as-of", AS_OF)
    assert (code, err) == (0, "")
    assert out == ledger("\\x1b[2J\\x1b]0;OWNED\\x07", 0, "no")
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out


def test_invalid_lead_message_is_escaped(rules: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text('{"id": "L1", "name": ["\\u009b\\u202e"]}', encoding="utf-8")
    code, out, err = explain(capsys, str(rules), str(lead), "--as-of", AS_OF)
    assert (code, out) == (3, "")
    assert err == 'invalid lead: name: expected text, found ["\\x9b\\u202e"]\n'


LEADS = [{"id": "L1", "name": "a"}, {"id": "L2", "name": "zz"}, {"name": "no id"}]


@pytest.fixture(params=["jsonl", "json", "csv"])
def leads_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    kind = request.param
    path = tmp_path / f"leads.{kind}"
    if kind == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in LEADS), encoding="utf-8")
    elif kind == "json":
        path.write_text(json.dumps(LEADS, indent=2), encoding="utf-8")
    else:
        path.write_text("id,name\nL1,a\nL2,zz\n,no id\n", encoding="utf-8")
    return path


def test_id_picks_the_lead(rules: Path, leads_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = explain(capsys, str(rules), str(leads_file), "--id", "L2", "--as-of", AS_OF)
    assert (code, err) == (0, "")
    assert out == ledger("L2", 0, "yes")


def test_a_record_without_id_is_picked_by_its_position(rules: Path, leads_file: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = explain(capsys, str(rules), str(leads_file), "--id", "3", "--as-of", AS_OF)
    assert (code, err) == (0, "")
    assert out == ledger("3", 0, "no")


def test_several_leads_without_id_is_a_one_line_usage_error(rules: Path, leads_file: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = explain(capsys, str(rules), str(leads_file), "--as-of", AS_OF)
    assert (code, out) == (2, "")
    assert err == f"leadrules: error: {leads_file} holds 3 records: choose one with --id ID\n"


def test_an_unknown_id_is_a_one_line_error(rules: Path, leads_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = explain(capsys, str(rules), str(leads_file), "--id", "L9\x1b", "--as-of", AS_OF)
    assert (code, out) == (2, "")
    assert err == f"leadrules: error: {leads_file}: no lead with id 'L9\\x1b' among its 3 record(s)\n"


def test_events_file_is_attached_to_the_picked_lead(rules: Path, leads_file: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.csv"
    events.write_text("lead_id,type,at\nL2,visit,2026-11-01\nL2,visit,2026-11-02 10:00\nL1,visit,2026-11-03\n"
                      "L2,visit,2026-12-01\n", encoding="utf-8")
    code, out, err = explain(capsys, str(rules), str(leads_file), "--id", "L2", "--events", str(events),
                             "--as-of", AS_OF)
    assert (code, err) == (0, "")
    assert out == ledger("L2", 2, "yes")  # the visit after the as-of instant does not count


def test_a_single_object_file_needs_no_id_and_takes_events(rules: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text('{\n  "id": "L1",\n  "name": "a",\n  "events": [{"type": "visit", "at": "2026-11-01"}]\n}\n',
                    encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text("lead_id,type,at\nL1,visit,2026-11-02\nL2,visit,2026-11-02\n", encoding="utf-8")
    code, out, err = explain(capsys, str(rules), str(lead), "--events", str(events), "--as-of", AS_OF)
    assert (code, err) == (0, "")
    assert out == ledger("L1", 2, "no")


def test_json_lines_on_stdin_with_id(rules: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    data = "".join(json.dumps(r) + "\n" for r in LEADS).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = explain(capsys, str(rules), "-", "--id", "L1", "--as-of", AS_OF)
    assert (code, err) == (0, "")
    assert out == ledger("L1", 0, "no")


def test_an_empty_file_is_a_one_line_error(rules: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    code, out, err = explain(capsys, str(rules), str(empty), "--as-of", AS_OF)
    assert (code, out) == (2, "")
    assert err == f"leadrules: error: {empty}: no lead to explain (the input holds no records)\n"


def test_an_invalid_record_picked_by_id_exits_3(rules: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": "L1", "name": "a"}\n{"id": "L2", "name": 7}\n', encoding="utf-8")
    code, out, err = explain(capsys, str(rules), str(leads), "--id", "L2", "--as-of", AS_OF)
    assert (code, out) == (3, "")
    assert err == "invalid lead: name: expected text, found 7\n"


@pytest.mark.parametrize("name", ["leads.csv", "leads.jsonl", "lead.json"])
def test_a_missing_leads_file_is_a_one_line_error(rules: Path, tmp_path: Path, name: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / name
    code, out, err = explain(capsys, str(rules), str(missing), "--id", "L1", "--as-of", AS_OF)
    assert (code, out) == (2, "")
    assert err == f"leadrules: error: {missing}: no such file\n"


def test_a_pretty_printed_lead_with_a_typo_is_one_invalid_lead(rules: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text('{\n  "id": "L1",\n  "name": "a",\n}\n', encoding="utf-8")
    code, out, err = explain(capsys, str(rules), str(lead), "--as-of", AS_OF)
    assert (code, out) == (3, "")
    assert err == "invalid lead: not a JSON object: Expecting property name enclosed in double quotes at column 1\n"
