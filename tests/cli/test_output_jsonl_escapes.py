"""JSON Lines output escapes U+2028, U+2029 and U+0085, so a reader that splits lines on them
cannot cut a record in two; both engines give the same bytes."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadrules.jsontext import dumps

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples"
RULES = EXAMPLES / "projectflow.rules"
AS_OF = "2026-11-22T00:00:00Z"
BREAKS = ("\u2028", "\u2029", "\x85")
ESCAPED = ("\\u2028", "\\u2029", "\\u0085")


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "leadrules", *args], capture_output=True, timeout=120)


@pytest.fixture
def leads_with_breaks(tmp_path: Path) -> Path:
    """The spec's leads with a line-break character in every id, plus an invalid record."""
    path = tmp_path / "leads.jsonl"
    lines = []
    for index, line in enumerate((EXAMPLES / "projectflow.leads.jsonl").read_text().splitlines()):
        record = json.loads(line)
        record["id"] = f"{record['id']}{BREAKS[index % 3]}x"
        lines.append(json.dumps(record, ensure_ascii=False))
    lines.append(json.dumps({"id": "E\u2028", "employees": "many"}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_dumps_escapes_line_breaks() -> None:
    assert dumps({"k\u2028": "a\u2029b\x85c é"}) == '{"k\\u2028": "a\\u2029b\\u0085c é"}'


@pytest.mark.parametrize("to_file", [False, True])
def test_both_engines_escape_and_agree(leads_with_breaks: Path, tmp_path: Path, to_file: bool) -> None:
    outputs = []
    for engine in ("python", "duckdb"):
        args = ["eval", str(RULES), str(leads_with_breaks), "--as-of", AS_OF, "--engine", engine]
        target = tmp_path / f"out.{engine}.jsonl"
        result = run(*args, *(["-o", str(target)] if to_file else []))
        assert result.returncode == 3, result.stderr
        outputs.append(target.read_bytes() if to_file else result.stdout)
    python_out, duckdb_out = outputs
    assert python_out == duckdb_out
    text = python_out.decode("utf-8")
    assert not any(char in text for char in BREAKS)
    lines = text.splitlines()  # splits on U+2028 too: it must find exactly one line per record
    assert len(lines) == 11
    assert [line.split(",")[0] for line in lines] == [
        '{"id": "L1\\u2028x"', '{"id": "L2\\u2029x"', '{"id": "L3\\u0085x"', '{"id": "L4\\u2028x"',
        '{"id": "L5\\u2029x"', '{"id": "L6\\u0085x"', '{"id": "L7\\u2028x"', '{"id": "L8\\u2029x"',
        '{"id": "L9\\u0085x"', '{"id": "L10\\u2028x"', '{"id": "E\\u2028"',
    ]
    assert [json.loads(line)["id"] for line in lines][:3] == ["L1\u2028x", "L2\u2029x", "L3\x85x"]


def test_csv_leads_both_engines_escape(tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    with leads.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "email", "role", "industry", "employees", "country", "unsubscribed"])
        for index, char in enumerate(BREAKS):
            writer.writerow([f"C{index}{char}", "a@b.com", "manager", "software", "150", "US", "false"])
    outputs = []
    for engine in ("python", "duckdb"):
        result = run("eval", str(RULES), str(leads), "--as-of", AS_OF, "--engine", engine)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    lines = outputs[0].decode("utf-8").splitlines()
    assert [line.split(",")[0] for line in lines] == [f'{{"id": "C{i}{ESCAPED[i]}"' for i in range(3)]
