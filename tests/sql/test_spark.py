"""The generated Spark SQL, run on a local pyspark session, gives the Python engine's results
on the worked example and on the rulesets' own test leads. Skipped when pyspark is absent
(`make test-spark` installs it and runs this file)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from leadrules import model as m
from leadrules.engine.python import compile_model
from leadrules.engine.sql import export_sql
from leadrules.engine.validate import parse_lead_timestamp
from leadrules.jsontext import loads

from .engine_tables import lead_tables, python_results, utc_naive
from .helpers import load_model

pyspark = pytest.importorskip("pyspark")
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SPARK_TYPES = {"text": "STRING", "email": "STRING", "choice": "STRING", "integer": "DECIMAL(38, 0)",
               "number": "DECIMAL(38, 6)", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP"}


def _ids(leads: list[dict[str, Any]]) -> list[str]:
    # the lead's own id as written, else its position
    return [str(lead.get("id", number)) for number, lead in enumerate(leads, 1)]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]").appName("leadrules-test")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    yield session
    session.stop()


def _spark_results(spark: Any, model: m.CheckedModel, leads: list[dict[str, Any]], as_of: dt.datetime) -> list[dict[str, Any]]:
    from pyspark.sql.types import StructType

    rows, events = lead_tables(model, leads, _ids(leads))
    lead_schema = StructType.fromDDL(", ".join(["id STRING"] + [f"`{n}` {SPARK_TYPES[f.kind]}" for n, f in model.fields.items()]))
    spark.createDataFrame(rows, lead_schema).createOrReplaceTempView("leads")
    spark.createDataFrame(events, StructType.fromDDL("lead_id STRING, type STRING, at TIMESTAMP")).createOrReplaceTempView("events")
    sql = export_sql(model, "spark").rstrip(";")
    as_of_text = utc_naive(as_of).isoformat(sep=" ")
    results = []
    for row in spark.sql(sql, args={"as_of": as_of_text}).collect():
        data = row.asDict()
        results.append({
            "id": data["id"], "stage": data["stage"], "disqualified": data["disqualified"],
            "reasons": list(data["reasons"]), "blocked": list(data["blocked"]),
            "scores": {n: Decimal(data["score_" + n]) for n in model.scores},
            "bands": {n: data["band_" + n] for n in model.bands}, "route": data["route"],
        })
    return sorted(results, key=lambda r: r["id"])


def _python_results(model: m.CheckedModel, leads: list[dict[str, Any]], as_of: dt.datetime) -> list[dict[str, Any]]:
    return python_results(model, leads, as_of, _ids(leads))


def test_projectflow_in_spark(spark: Any, spec_examples: Path) -> None:
    model = load_model(spec_examples / "projectflow.rules")
    evaluator = compile_model(model)
    leads = [loads(line) for line in (spec_examples / "projectflow.leads.jsonl").read_text().splitlines()]
    leads = [lead for n, lead in enumerate(leads, 1) if "error" not in evaluator.evaluate(lead, dt.datetime.now(dt.timezone.utc), record=n)]
    as_of = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    assert _spark_results(spark, model, leads, as_of) == _python_results(model, leads, as_of)


@pytest.mark.parametrize("path", sorted((REPO / "rulesets").glob("*.rules")), ids=lambda p: p.name)
def test_rulesets_in_spark(spark: Any, path: Path) -> None:
    model = load_model(path)
    for case in model.tests:
        as_of = parse_lead_timestamp(case.as_of)
        assert as_of is not None
        lead = {**case.lead, "id": "t"}
        if "error" in compile_model(model).evaluate(lead, as_of):
            continue
        assert _spark_results(spark, model, [lead], as_of) == _python_results(model, [lead], as_of)
