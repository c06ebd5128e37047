"""The hand-written baselines of `benchmarks/baselines/` compute what leadrules computes for
`benchmarks/peer.rules`: stage, reasons and both scores of every generated lead, so the speed
figures of `benchmarks/bench_peer.py` compare equal work."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import leadrules

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
AS_OF = "2026-11-22T00:00:00Z"
SAMPLE = 2000


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"peer_baseline_{name}", BENCH / "baselines" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen_peer = _module("gen_peer")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("peer")
    gen_peer.generate(folder / "leads.csv", SAMPLE)
    gen_peer.generate(folder / "leads.jsonl", SAMPLE)
    return folder / "leads.csv", folder / "leads.jsonl"


@pytest.fixture(scope="module")
def expected(sample: tuple[Path, Path]) -> list[tuple[str, list[str], int, int]]:
    """leadrules' Python engine on the leads as `json.loads` gives them."""
    _, jsonl = sample
    leads = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    rules = leadrules.load(BENCH / "peer.rules")
    return [(r["stage"], r["reasons"], r["scores"]["engagement"], r["scores"]["fit"])
            for r in rules.evaluate_many(leads, as_of=AS_OF)]


def test_sample_reaches_every_stage_and_reason(expected: list[tuple[str, list[str], int, int]]) -> None:
    # agreement means little unless the sample exercises every outcome
    assert len(expected) == SAMPLE
    stages = Counter(stage for stage, _, _, _ in expected)
    assert set(stages) == {"LEAD", "MQL", "SQL", "Disqualified"}
    reasons = Counter(code for _, codes, _, _ in expected for code in codes)
    assert set(reasons) == {"COMPETITOR", "STUDENT", "UNSUBSCRIBED", "CUSTOMER", "FREEMAIL_SMALL"}


def test_generated_leads_are_all_valid(sample: tuple[Path, Path]) -> None:
    _, jsonl = sample
    leads = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    records = list(leadrules.load(BENCH / "peer.rules").evaluate_many(leads, as_of=AS_OF))
    assert [r for r in records if "error" in r] == []


def test_plain_function_agrees(sample: tuple[Path, Path], expected: list[tuple[str, list[str], int, int]]) -> None:
    plain = _module("plain")
    _, jsonl = sample
    leads = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    got = []
    for lead in leads:
        result = plain.qualify(lead)
        got.append((result["stage"], result["reasons"], result["scores"]["engagement"], result["scores"]["fit"]))
    assert got == expected


def _csv_results(path: Path) -> list[tuple[str, list[str], int, int]]:
    with open(path, encoding="utf-8", newline="") as stream:
        rows: list[dict[str, Any]] = list(csv.DictReader(stream))
    return [(row["stage"], row["reasons"].split(";") if row["reasons"] else [], int(row["score.engagement"]),
             int(row["score.fit"])) for row in rows]


def _csv_ids(path: Path) -> list[int]:
    with open(path, encoding="utf-8", newline="") as stream:
        return [int(row["id"]) for row in csv.DictReader(stream)]


def test_polars_agrees(sample: tuple[Path, Path], expected: list[tuple[str, list[str], int, int]],
                       tmp_path: Path) -> None:
    pytest.importorskip("polars")
    leads_csv, _ = sample
    _module("polars_batch").run(str(leads_csv), str(tmp_path / "out.csv"))
    assert _csv_ids(tmp_path / "out.csv") == list(range(1, SAMPLE + 1))
    assert _csv_results(tmp_path / "out.csv") == expected


def test_duckdb_sql_agrees(sample: tuple[Path, Path], expected: list[tuple[str, list[str], int, int]],
                           tmp_path: Path) -> None:
    leads_csv, _ = sample
    _module("duckdb_batch").run(str(leads_csv), str(tmp_path / "out.csv"))
    assert _csv_ids(tmp_path / "out.csv") == list(range(1, SAMPLE + 1))
    assert _csv_results(tmp_path / "out.csv") == expected


def test_leadrules_csv_output_agrees(sample: tuple[Path, Path], expected: list[tuple[str, list[str], int, int]],
                                     tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    """The CSV leads through `leadrules eval` (the batch rows of the benchmark) give the same."""
    leads_csv, _ = sample
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        result = run_cli("eval", str(BENCH / "peer.rules"), str(leads_csv), "--as-of", AS_OF,
                         "--engine", engine, "--format", "csv", "-o", str(out), "-q")
        assert result.exit_code == 0, result.stderr
        assert _csv_results(out) == expected
