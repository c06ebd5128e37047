"""`batch.sqlcache`: the statement texts of a batch run kept between runs. A text is found again
only under the key of everything it is made from (leadrules' version and code, the checked
model, the input layout), the same in every process; a text is built only when its entry
lacks it; entries are written whole, and a damaged or unwritable one is passed by."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadrules.batch import sqlcache
from leadrules.batch.sqlcache import StatementTexts, canonical, statement, statement_key
from leadrules.model import CheckedModel
from leadrules.workspace import load_file

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples"
LAYOUT = ["jsonl", ",", "utf-8", False, "jsonl"]


def _model(path: Path) -> CheckedModel:
    loaded = load_file(str(path))
    assert loaded.model is not None
    return loaded.model


@pytest.fixture()
def model() -> CheckedModel:
    return _model(EXAMPLES / "projectflow.rules")


def _never() -> str:
    raise AssertionError("built although the entry holds the text")


def test_a_text_built_once_is_read_back_by_the_next_run(model: CheckedModel, tmp_path: Path) -> None:
    first = StatementTexts.open(tmp_path, model, LAYOUT)
    assert first.text("lr_checked", lambda: "CREATE TABLE lr_checked AS SELECT 1") == \
        "CREATE TABLE lr_checked AS SELECT 1"
    first.keep()
    (entry,) = (tmp_path / "sql-texts").glob("*.json")
    assert entry.name == f"{statement_key(model, LAYOUT)}.json"
    assert json.loads(entry.read_text(encoding="utf-8")) == {"lr_checked": "CREATE TABLE lr_checked AS SELECT 1"}
    second = StatementTexts.open(tmp_path, model, LAYOUT)
    assert second.text("lr_checked", _never) == "CREATE TABLE lr_checked AS SELECT 1"
    modified = entry.stat().st_mtime_ns
    second.keep()  # nothing new: the entry is not rewritten
    assert entry.stat().st_mtime_ns == modified


def test_a_text_the_entry_lacks_is_added_to_it(model: CheckedModel, tmp_path: Path) -> None:
    first = StatementTexts.open(tmp_path, model, LAYOUT)
    first.text("a", lambda: "SELECT 1")
    first.keep()
    second = StatementTexts.open(tmp_path, model, LAYOUT)
    second.text("b", lambda: "SELECT 2")
    second.keep()
    third = StatementTexts.open(tmp_path, model, LAYOUT)
    assert (third.text("a", _never), third.text("b", _never)) == ("SELECT 1", "SELECT 2")


def test_an_edited_ruleset_has_another_key(model: CheckedModel, tmp_path: Path) -> None:
    text = (EXAMPLES / "projectflow.rules").read_text(encoding="utf-8")
    edited = tmp_path / "projectflow.rules"
    edited.write_text(text, encoding="utf-8")
    same = _model(edited)
    # the same text elsewhere: spans name another file, so another key (never a stale one)
    assert statement_key(same, LAYOUT) != statement_key(model, LAYOUT)
    assert statement_key(_model(edited), LAYOUT) == statement_key(same, LAYOUT)
    assert text.count("+30 if role") == 1
    edited.write_text(text.replace("+30 if role", "+31 if role"), encoding="utf-8")  # another score
    assert statement_key(_model(edited), LAYOUT) != statement_key(same, LAYOUT)


@pytest.mark.parametrize("other", [
    ["csv", ",", "utf-8", False, "jsonl"],  # another kind of file
    ["jsonl", ";", "utf-8", False, "jsonl"],  # another delimiter
    ["jsonl", ",", "utf-8", True, "jsonl"],  # with --events
    ["jsonl", ",", "utf-8", False, "csv"],  # another output format
])
def test_another_layout_has_another_key(model: CheckedModel, other: list[object]) -> None:
    assert statement_key(model, other) != statement_key(model, LAYOUT)


def test_another_version_or_changed_code_has_another_key(model: CheckedModel, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    key = statement_key(model, LAYOUT)
    monkeypatch.setattr(sqlcache, "__version__", "0.0.0-other")
    assert statement_key(model, LAYOUT) != key
    monkeypatch.undo()
    assert statement_key(model, LAYOUT) == key
    package = tmp_path / "leadrules"
    package.mkdir()
    module = package / "module.py"
    module.write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(sqlcache, "_PACKAGE_DIR", package)
    before = statement_key(model, LAYOUT)
    module.write_text("A = 12\n", encoding="utf-8")
    assert statement_key(model, LAYOUT) != before


def test_the_key_is_the_same_in_every_process(model: CheckedModel) -> None:
    # sets (the model's `used_lists`) print in the hash seed's order; the key must not
    script = ("import sys\nfrom leadrules.workspace import load_file\nfrom leadrules.batch.sqlcache import statement_key\n"
              f"print(statement_key(load_file(sys.argv[1]).model, {LAYOUT!r}))\n")
    keys = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-c", script, str(EXAMPLES / "projectflow.rules")], check=True,
                              capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        keys.add(done.stdout.strip())
    assert keys == {statement_key(model, LAYOUT)}


def test_canonical_sorts_sets_and_keeps_the_order_of_the_rest() -> None:
    assert canonical(frozenset({"b", "a"})) == canonical(frozenset({"a", "b"})) == ["set", ["a", "b"]]
    assert canonical({"b": 1, "a": 2}) != canonical({"a": 2, "b": 1})
    assert canonical(("a", 1, None, True)) == ["tuple", ["a", 1, None, True]]


def test_no_folder_keeps_nothing_and_builds_every_time(model: CheckedModel, tmp_path: Path) -> None:
    texts = StatementTexts.open(None, model, LAYOUT)
    assert texts.text("a", lambda: "SELECT 1") == "SELECT 1"
    texts.keep()
    assert statement(None, "a", lambda: "SELECT 2") == "SELECT 2"
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_entry_is_passed_by_and_replaced(model: CheckedModel, tmp_path: Path) -> None:
    entry = tmp_path / "sql-texts" / f"{statement_key(model, LAYOUT)}.json"
    entry.parent.mkdir()
    for damaged in ('{"a": ', '["SELECT 1"]', '{"a": 1}'):
        entry.write_text(damaged, encoding="utf-8")
        texts = StatementTexts.open(tmp_path, model, LAYOUT)
        assert texts.text("a", lambda: "SELECT 1") == "SELECT 1"
        texts.keep()
        assert json.loads(entry.read_text(encoding="utf-8")) == {"a": "SELECT 1"}


def test_an_unwritable_folder_leaves_the_run_uncached(model: CheckedModel, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    texts = StatementTexts.open(blocker, model, LAYOUT)  # a file where the folder should be
    assert texts.text("a", lambda: "SELECT 1") == "SELECT 1"
    texts.keep()
    assert blocker.read_text(encoding="utf-8") == ""
