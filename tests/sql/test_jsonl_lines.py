"""JSON Lines as DuckDB reads them: each line is parsed once, and every line on which DuckDB's
JSON parser and Python's could disagree goes to the Python engine, so the output stays the
Python engine's byte for byte (error records included)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .helpers import duckdb_output, load_model, python_output

AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
RULES = '''ruleset "lines" version "1"
field email: email
field employees: integer in 1..100000
field revenue: number optional
field active: boolean optional
event demo
event visit
score fit:
    +10 if employees >= 50
    +2.5 if revenue > 1000.25
    -5 if email.domain == "gmail.com"
    +3 per visit in last 30 days (max 9)
    +20 if has demo
disqualify inactive "Inactive" if active == false
'''
PLAIN = '{"id": "p", "email": "a@b.com", "employees": 60, "revenue": 1000.5, "events": [{"type": "demo", "at": "2026-11-01T00:00:00Z"}]}'
# (line, whether SQL alone may take it)
LINES = [
    (PLAIN, True),
    ('{"id": 7, "email": "a@gmail.com", "employees": 5, "active": true}', True),
    ('{"id": "t", "email": "a@b.com", "employees": 60,}', False),  # trailing comma: DuckDB accepts it
    ('{"id": "u", "email": "a@b.com", "employees": 60, "x": [1, 2, ]}', False),
    ('{"id": "v", "email": "a@b.com", "employees": 60, "revenue": nan}', False),
    ('{"id": "w", "email": "a@b.com", "employees": 60, "other": -inf}', False),
    ('{"id": "x", "email": "a@b.com", "employees": 60, "other": NaN}', False),
    ('{"id": "y", "email": "a@b.com", "employees": 60, "employees": 10}', False),  # Python keeps the last
    ('{"id": "z", "email": "a@b.com", "employees": 60, "events": [{"type": "demo", "type": "other", '
     '"at": "2026-11-01T00:00:00Z"}]}', False),
    ('{"id": "d", "email": "a@b.com", "employees": 60, "deep": ' + "[" * 1200 + "]" * 1200 + "}", False),
    ('{"id": "s", "email": "a@b.com", "employees": 60, "note": "a, Infinity", "events": [null, 3]}', False),
    ('{"id": "q", "email": "a@b.com", "employees": 60, "revenue": 1.50, "active": false}', True),
    ('{"id": "r", "email": "a@b.com", "employees": 60, "revenue": 0.1000000000000000000001}', False),
    ('{"id": "b", "email": "a@b.com", "employees": 1e2}', False),
    ('{"id": "e", "email": "unterminated', False),
    ('[1, 2]', False),
    ('"text"', False),
    ('{"id": "E", "email": "a@b.com", "employees": "60"}', False),
]


@pytest.fixture()
def model(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "lines.rules"
    path.write_text(RULES, encoding="utf-8")
    return load_model(path)


def _agree(model, tmp_path: Path, content: bytes) -> int:  # type: ignore[no-untyped-def]
    source = tmp_path / "leads.jsonl"
    source.write_bytes(content)
    want = python_output(model, source, None, AS_OF)
    got, details = duckdb_output(model, source, None, AS_OF, "jsonl", tmp_path / "out.jsonl")
    assert got == want
    assert details.python_records is not None
    return details.python_records


@pytest.mark.parametrize(("line", "plain"), LINES)
def test_each_line_alone(model, tmp_path: Path, line: str, plain: bool) -> None:  # type: ignore[no-untyped-def]
    taken_by_python = _agree(model, tmp_path, (line + "\n").encode("utf-8"))
    assert taken_by_python == (0 if plain else 1)


def test_all_lines_together_keep_their_order(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    content = "\n\n".join(line for line, _ in LINES) + "\n"
    assert _agree(model, tmp_path, content.encode("utf-8")) == sum(1 for _, plain in LINES if not plain)


@pytest.mark.parametrize("content", [
    b"\xef\xbb\xbf" + PLAIN.encode() + b"\n" + PLAIN.encode() + b"\n",  # a byte order mark on the first line
    PLAIN.encode() + b"\r\n \t\n" + b'{"id": "e", "email": "a@b.com' + b"\r\n",  # CRLF, blank line, broken line
    PLAIN.encode() + b"\n" + b'{"id": "e", "email": "no end',  # a broken last line without a newline
    b'{"id": "e", "email": "no end\n' + PLAIN.encode(),
    b"\n\n" + PLAIN.encode(),
])
def test_line_ends_and_byte_order_mark(model, tmp_path: Path, content: bytes) -> None:  # type: ignore[no-untyped-def]
    _agree(model, tmp_path, content)


def test_all_lines_one_after_another_keep_their_order(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # no blank line: records are numbered by their line, and the lines whose events SQL cannot
    # vouch for are found by that number
    bad_event = '{"id": "q", "email": "a@b.com", "employees": 60, "events": [{"type": "visit", "at": "2026-13-01"}]}'
    lines = [line for line, _ in LINES] + [bad_event]
    content = "\n".join(lines) + "\n"
    assert _agree(model, tmp_path, content.encode("utf-8")) == sum(1 for _, plain in LINES if not plain) + 1


def test_a_line_longer_than_duckdbs_line_reader_takes(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # DuckDB's line reader stops at a line over its size limit (2 MB); the lines are then split
    # from the whole text, and SQL still takes every plain record
    long_line = '{"id": "long", "email": "a@b.com", "employees": 60, "note": "' + "x" * 3_000_000 + '"}'
    content = "\n".join([PLAIN, long_line, PLAIN]) + "\n"
    assert _agree(model, tmp_path, content.encode("utf-8")) == 0


def test_a_key_repeated_in_a_line_with_the_files_usual_keys(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # most lines have the keys of the first line, which need no search for a repeated key; a
    # line with those keys and one more, repeated, is still found (Python keeps its last value)
    repeated = PLAIN[:-1] + ', "employees": 5}'
    content = "\n".join([PLAIN, PLAIN, repeated, PLAIN]) + "\n"
    assert _agree(model, tmp_path, content.encode("utf-8")) == 1


def test_a_key_repeated_on_the_first_line(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repeated = PLAIN[:-1] + ', "employees": 5}'
    content = "\n".join([repeated, PLAIN, repeated]) + "\n"
    assert _agree(model, tmp_path, content.encode("utf-8")) == 2
