"""Running `leadrules eval` with each engine on the same input file and holding them to one answer."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from engine_helpers import AS_OF_TEXT, run_cli

ENGINES = ("python", "duckdb")


def eval_with(engine: str, rules: Path, leads: Path | str, *options: str) -> subprocess.CompletedProcess[str]:
    return run_cli("eval", str(rules), str(leads), "--as-of", AS_OF_TEXT, "--engine", engine, *options)


def eval_both(rules: Path, leads: Path | str, *options: str,
              engines: tuple[str, ...] = ENGINES) -> subprocess.CompletedProcess[str]:
    """Run every engine on the same input; their exit status, output and messages must be
    identical. Returns the Python engine's run."""
    runs = {engine: eval_with(engine, rules, leads, *options) for engine in engines}
    first = runs[engines[0]]
    for engine, run in runs.items():
        assert (run.returncode, run.stdout, run.stderr) == (first.returncode, first.stdout, first.stderr), engine
    return first


def records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def result(lead_id: Any, stage: str, scores: dict[str, int], route: str | None = None) -> dict[str, Any]:
    """An output record of a valid lead of the intake ruleset (no disqualifiers, no bands)."""
    return {"id": lead_id, "stage": stage, "disqualified": False, "reasons": [], "blocked": [], "scores": scores,
            "bands": {}, "route": route}


def error(lead_id: Any, record: int, field: str | None, message: str) -> dict[str, Any]:
    return {"id": lead_id, "error": {"record": record, "field": field, "message": message}}


def python_engine_text(model: Any, leads: Path) -> str:
    """What `eval --engine python` writes for a leads file, in process; a stopping error as
    `error: ...`."""
    import io

    from engine_helpers import AS_OF

    from leadrules.engine.python import compile_model
    from leadrules.errors import InputError
    from leadrules.io.leads import WRITERS, read_leads

    evaluator = compile_model(model)
    stream = io.StringIO()
    writer = WRITERS["jsonl"](stream, model)
    try:
        with read_leads(str(leads), model) as leads_records:
            for record in evaluator.evaluate_many(leads_records, AS_OF):
                writer.write(record)
    except InputError as exc:
        return f"error: {exc}"
    writer.close()
    return stream.getvalue()


def duckdb_engine_text(model: Any, leads: Path, out: Path) -> tuple[str, bool]:
    """What `eval --engine duckdb` writes for a leads file, in process, and whether DuckDB
    read the file itself (rather than handing it whole to the Python readers)."""
    from engine_helpers import AS_OF

    from leadrules.batch import run_detailed
    from leadrules.errors import InputError

    try:
        details = run_detailed(model, str(leads), None, AS_OF, "jsonl", str(out))
    except InputError as exc:
        return f"error: {exc}", False
    return out.read_text(encoding="utf-8"), details.python_records is not None
