"""Running both engines on the same files and returning their output text."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from leadrules import model as m
from leadrules.batch import RunDetails, run_detailed
from leadrules.engine.python import compile_model
from leadrules.io.leads import WRITERS, read_leads
from leadrules.jsontext import dumps
from leadrules.workspace import load_file


def load_model(path: Path | str) -> m.CheckedModel:
    loaded = load_file(path)
    assert loaded.model is not None, [d.message for d in loaded.diagnostics]
    return loaded.model


def python_output(model: m.CheckedModel, leads: Path, events: Path | None, as_of: dt.datetime,
                  output_format: str = "jsonl") -> str:
    evaluator = compile_model(model)
    stream = io.StringIO()
    writer: Any = WRITERS[output_format](stream, model)
    with read_leads(str(leads), model, str(events) if events else None) as records:
        for record in evaluator.evaluate_many(records, as_of):
            writer.write(record)
    writer.close()
    return stream.getvalue()


def duckdb_output(model: m.CheckedModel, leads: Path, events: Path | None, as_of: dt.datetime,
                  output_format: str, out: Path) -> tuple[str, RunDetails]:
    details = run_detailed(model, str(leads), str(events) if events else None, as_of, output_format, str(out))
    return out.read_text(encoding="utf-8"), details


def write_jsonl(path: Path, leads: list[Any]) -> Path:
    path.write_text("".join(dumps(lead) + "\n" for lead in leads), encoding="utf-8")
    return path
