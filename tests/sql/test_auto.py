"""`eval --engine auto`: the engine follows the documented size threshold per input format.

Files at a threshold are sparse (`truncate`), so nothing big is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from leadrules.batch.auto import AUTO_DUCKDB_MIN_BYTES, choose_engine, input_format
from leadrules.cli import cli
from leadrules.io.leads import EvalSummary

CSV_THRESHOLD = AUTO_DUCKDB_MIN_BYTES["csv"]
RULES = '''ruleset "auto" version "1"
field employees: integer
score fit:
    +10 if employees >= 50
'''


def _sized(path: Path, size: int) -> str:
    with path.open("wb") as handle:
        handle.truncate(size)
    return str(path)


def test_documented_thresholds() -> None:
    # docs/sql.md and docs/cli.md state these figures
    assert AUTO_DUCKDB_MIN_BYTES == {"csv": 4 * 1024 * 1024, "jsonl": 256 * 1024 * 1024, "json": None, "parquet": 0}


def test_csv_switches_to_duckdb_at_the_threshold(tmp_path: Path) -> None:
    assert CSV_THRESHOLD is not None
    assert choose_engine(_sized(tmp_path / "small.csv", CSV_THRESHOLD - 1)) == "python"
    assert choose_engine(_sized(tmp_path / "big.csv", CSV_THRESHOLD)) == "duckdb"
    assert choose_engine(_sized(tmp_path / "BIG.CSV", CSV_THRESHOLD + 1), "csv") == "duckdb"


def test_json_lines_switch_to_duckdb_at_their_threshold(tmp_path: Path) -> None:
    threshold = AUTO_DUCKDB_MIN_BYTES["jsonl"]
    assert threshold is not None and CSV_THRESHOLD is not None and threshold > CSV_THRESHOLD
    assert choose_engine(_sized(tmp_path / "csv_sized.jsonl", CSV_THRESHOLD)) == "python"
    assert choose_engine(_sized(tmp_path / "small.jsonl", threshold - 1)) == "python"
    assert choose_engine(_sized(tmp_path / "big.jsonl", threshold)) == "duckdb"
    assert choose_engine(_sized(tmp_path / "big.ndjson", threshold)) == "duckdb"


def test_json_arrays_stay_python_at_any_size(tmp_path: Path) -> None:
    assert choose_engine(_sized(tmp_path / "leads.json", 64 * 1024 * 1024 * 1024)) == "python"


@pytest.mark.parametrize("leads", [None, "-"])
def test_stdin_stays_python(leads: str | None) -> None:
    assert choose_engine(leads) == "python"
    assert choose_engine(leads, "csv") == "python"


def test_parquet_is_always_duckdb(tmp_path: Path) -> None:
    assert choose_engine(_sized(tmp_path / "tiny.parquet", 10)) == "duckdb"
    assert choose_engine(_sized(tmp_path / "tiny.jsonl", 10), "parquet") == "duckdb"
    assert choose_engine(None, "parquet") == "duckdb"


def test_explain_and_missing_files_stay_python(tmp_path: Path) -> None:
    assert choose_engine(_sized(tmp_path / "big.csv", 2 * (CSV_THRESHOLD or 0)), explain=True) == "python"
    assert choose_engine(str(tmp_path / "absent.csv")) == "python"


@pytest.mark.parametrize(("path", "kind"), [
    ("a.csv", "csv"), ("a.Parquet", "parquet"), ("a.json", "json"), ("a.jsonl", "jsonl"), ("a", "jsonl"),
    ("-", "jsonl"), (None, "jsonl"),
])
def test_input_format(path: str | None, kind: str) -> None:
    assert input_format(path) == kind


def test_cli_auto_runs_the_chosen_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The eval command asks choose_engine and runs DuckDB exactly when it says so."""
    from leadrules import batch as duckdb_engine

    calls: list[str] = []

    def fake_run(model: Any, leads: str, *args: Any, **options: Any) -> EvalSummary:
        calls.append(leads)
        return EvalSummary(0, 0)

    monkeypatch.setattr(duckdb_engine, "run", fake_run)
    rules = tmp_path / "auto.rules"
    rules.write_text(RULES, encoding="utf-8")
    small = tmp_path / "small.csv"
    small.write_text("id,employees\nL1,60\n", encoding="utf-8")
    big = _sized(tmp_path / "big.csv", CSV_THRESHOLD or 0)
    runner = CliRunner()
    args = ["eval", str(rules), "--as-of", "2026-11-22T00:00:00Z"]
    result = runner.invoke(cli, [*args, str(small)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith('{"id": "L1", "stage": null')
    assert calls == []
    result = runner.invoke(cli, [*args, big], catch_exceptions=False)
    assert result.exit_code == 0
    assert calls == [big]
    runner.invoke(cli, [*args, "--engine", "python", big])  # the Python reader rejects the zero bytes
    assert calls == [big]
