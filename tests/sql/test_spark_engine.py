"""`eval --engine spark` (batch/spark.py) on a local pyspark session gives the Python engine's
records, invalid ones included, record by record: on the bundled rulesets with their own test
leads and rows that are invalid or spelled unusually, from JSON Lines, CSV and Parquet files and
directories of part files, into JSON Lines, CSV and Parquet directories.

Skipped when pyspark is absent (`make test-spark` installs it and runs this file). When
`make test-spark` runs it (LEADRULES_SPARK_TESTS=required) under CI=true, a missing pyspark
fails instead; plain `make test` runs before CI installs the extra, so there it skips."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from leadrules import model as m
from leadrules.engine.python import compile_model
from leadrules.io.leads import CsvOptions, read_leads
from leadrules.jsontext import dumps

from .helpers import load_model, python_output

REPO = Path(__file__).resolve().parents[2]
RULESETS = sorted((REPO / "rulesets").glob("*.rules"))
SPEC_EXAMPLES = REPO / "tests" / "fixtures" / "spec_examples"
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)


def _spark_required() -> bool:
    ci = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
    return ci and os.environ.get("LEADRULES_SPARK_TESTS") == "required"


try:
    import pyspark  # noqa: F401
except ImportError:
    if _spark_required():
        raise ImportError("pyspark is not installed (CI is set, so the Spark tests must run): "
                          "pip install -e '.[spark]'") from None
    pytest.skip("pyspark is not installed; `make test-spark` installs it", allow_module_level=True)

from leadrules.batch import spark as spark_engine  # noqa: E402

pytestmark = pytest.mark.slow

# Lines Spark must not vouch for: each goes to the Python engine, which writes its record.
ODD_LINES = [
    "not json",
    '{"id": "two", "email": "a@b.io"} {"id": "three"}',  # Spark's parser stops after the first value
    '{"id": "dup", "id": "dup2"}',
    '{"id": "deep", "x": [[[[[[[[[[[1]]]]]]]]]]]}',
    '{"id": "trailing", }',
    '{"id": "nan", "employees": NaN}',
    '{"id": "surrogate\\ud800"}',
    '{"id": "escaped\\u00e9\\n"}',
    '{"id": 12.5}',
    '{"id": true}',
    "[1, 2]",
    '"text"',
    '{"id": "bigint", "employees": 123456789012345678901234567890}',
    '{"id": "exp", "employees": 1e2}',
    '{"id": "zero", "annual_revenue": -0.0}',
    '{"id": "places", "annual_revenue": 1.1234567}',
    '{"id": "events-not-list", "events": {"type": "x"}}',
    '{"id": "event-bad-at", "events": [{"type": "demo_request", "at": "yesterday"}]}',
    '{"id": "event-extra-key", "events": [{"type": "demo_request", "at": "2026-11-20T10:00:00Z", "x": 1}]}',
    '{"id": "event-not-object", "events": [1]}',
    '{"id": "crlf"}\r',
    "  ",
    '{"id": "unicode \u00e9\u2028"}',
    '{"id": "long", "industry": "' + "x" * 40000 + '"}',  # past the length Spark's regex checks take
    '{"id": "many-events", "events": [' + ", ".join(['{"type": "demo_request", "at": "2026-11-20T10:00:00Z"}'] * 500)
    + "]}",
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local session; a Spark Connect one when LEADRULES_SPARK_TEST_REMOTE names a server on
    this machine (`sc://localhost:15002/;token=...`: the tests read the output directories)."""
    from pyspark.sql import SparkSession

    remote = os.environ.get("LEADRULES_SPARK_TEST_REMOTE")
    if remote:
        session = SparkSession.builder.remote(remote).getOrCreate()
    else:
        session = (
            SparkSession.builder.master("local[2]").appName("leadrules-spark-engine-test")
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
            .config("spark.log.level", "ERROR").config("spark.sql.shuffle.partitions", "2")
            .getOrCreate()
        )
    session.conf.set("spark.sql.session.timeZone", "UTC")
    yield session
    session.stop()


def _python_text(model: m.CheckedModel, leads: Path, output_format: str, events: Path | None = None) -> str:
    """The Python engine's output, the bytes the Spark engine must give."""
    return python_output(model, leads, events, AS_OF, output_format)


def _python_records(model: m.CheckedModel, leads: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _python_text(model, leads, "jsonl").splitlines()]


def _spark_text(spark: Any, model: m.CheckedModel, leads: Path | str, out: Path, output_format: str,
                events: Path | None = None, options: CsvOptions | None = None) -> tuple[str, Any]:
    summary = spark_engine.run(spark, model, str(leads), str(events) if events else None, AS_OF, output_format,
                               str(out), options or CsvOptions(), tally=True)
    parts = sorted(p for p in out.iterdir() if p.name.startswith("part-"))
    assert (out / "_SUCCESS").exists()
    return "".join(p.read_text(encoding="utf-8") for p in parts), summary


def _test_leads(model: m.CheckedModel) -> list[dict[str, Any]]:
    leads = [{"id": f"t{number}", **case.lead} for number, case in enumerate(model.tests, 1)]
    assert leads, "the bundled rulesets carry tests"
    return leads


def _jsonl(path: Path, leads: list[dict[str, Any]], odd: list[str]) -> Path:
    lines = [dumps(lead) for lead in leads]
    # the odd lines between the leads, a blank line before the end, an id-less lead
    mixed = [line for pair in itertools.zip_longest(lines, odd) for line in pair if line is not None]
    mixed += ["", dumps({k: v for k, v in leads[0].items() if k != "id"})]
    path.write_text("\n".join(mixed) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda p: p.name)
def test_jsonl_into_jsonl_and_csv(spark: Any, tmp_path: Path, ruleset: Path) -> None:
    model = load_model(ruleset)
    leads = _jsonl(tmp_path / "leads.jsonl", _test_leads(model), ODD_LINES)
    expected = _python_text(model, leads, "jsonl")
    text, summary = _spark_text(spark, model, leads, tmp_path / "out", "jsonl")
    assert text == expected
    records = [json.loads(line) for line in expected.splitlines()]
    assert summary.records == len(records)
    assert summary.invalid == sum("error" in r for r in records) >= len(ODD_LINES) // 2
    assert summary.tally.stages == _python_tally(model, records).stages
    csv_text, _ = _spark_text(spark, model, leads, tmp_path / "out_csv", "csv")
    assert csv_text == _python_text(model, leads, "csv")


def _python_tally(model: m.CheckedModel, records: list[dict[str, Any]]) -> Any:
    from leadrules.io.summary import TallyCounter

    counter = TallyCounter()
    for record in records:
        counter.add(record)
    return counter.result(model)


def test_projectflow_with_crm_column(spark: Any, tmp_path: Path) -> None:
    import dataclasses

    model = load_model(SPEC_EXAMPLES / "projectflow.rules")
    leads = SPEC_EXAMPLES / "projectflow.leads.jsonl"
    assert _spark_text(spark, model, leads, tmp_path / "out", "jsonl")[0] == _python_text(model, leads, "jsonl")
    crm_model = load_model(REPO / "rulesets" / "fit_engagement.rules")
    if crm_model.crm:
        crm_model = dataclasses.replace(crm_model, crm_output=next(iter(crm_model.crm.values())))
        path = _jsonl(tmp_path / "crm.jsonl", _test_leads(crm_model), ODD_LINES[:3])
        for output_format in ("jsonl", "csv"):
            text, _ = _spark_text(spark, crm_model, path, tmp_path / f"crm_{output_format}", output_format)
            assert text == _python_text(crm_model, path, output_format)


def _fit() -> m.CheckedModel:
    return load_model(REPO / "rulesets" / "fit_engagement.rules")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else dumps(value)


def _csv_file(path: Path, model: m.CheckedModel, leads: list[dict[str, Any]], extra_rows: list[str]) -> Path:
    columns = ["id", *model.fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for lead in leads:
        writer.writerow([_csv_cell(lead.get(c)) for c in columns])
    path.write_text(buffer.getvalue() + "".join(row + "\n" for row in extra_rows), encoding="utf-8")
    return path


def test_csv_into_csv_with_events_file(spark: Any, tmp_path: Path) -> None:
    model = _fit()
    leads = _test_leads(model)
    width = len(model.fields)
    odd = [
        "r1," + ",".join(["x"] * width),  # every cell of the wrong kind
        "r2" + "," * width,  # every field missing
        "",  # a blank line is no record
        "r3,a@b.io,vp,software, 250 ,DE,,false,",  # spaces around a number: the Python reader strips them
        '"r4 ""quoted""",a@b.io,cxo,fintech,40,GB,1.5,no,3',
        "r5,a@b.io,vp,software,250,DE,10000000.000001,TRUE,0,extra,cells",
        "r6",
    ]
    path = _csv_file(tmp_path / "leads.csv", model, leads, odd)
    events = tmp_path / "events.csv"
    events.write_text("lead_id,type,at\nt1,demo_request,2026-11-20T10:00:00Z\nr4 \"quoted\",webinar_attended,"
                      "2026-11-01T00:00:00Z\nt2,pricing_page_view,not a time\nr5,demo_request,2026-11-21T00:00:00+01:00\n"
                      f"{len(leads) + 7},whitepaper_download,2026-11-02T00:00:00Z\n", encoding="utf-8")
    for output_format in ("csv", "jsonl"):
        text, _ = _spark_text(spark, model, path, tmp_path / f"out_{output_format}", output_format, events)
        assert text == _python_text(model, path, output_format, events)


def test_csv_with_a_quoted_line_break_is_read_by_the_python_reader(spark: Any, tmp_path: Path) -> None:
    model = _fit()
    path = _csv_file(tmp_path / "leads.csv", model, _test_leads(model),
                     ['"r1\nsecond line",a@b.io,vp,software,250,DE,,false,'])
    text, summary = _spark_text(spark, model, path, tmp_path / "out", "jsonl")
    assert text == _python_text(model, path, "jsonl")
    assert summary.records == len(model.tests) + 1


def test_csv_with_another_delimiter(spark: Any, tmp_path: Path) -> None:
    model = _fit()
    plain = _csv_file(tmp_path / "plain.csv", model, _test_leads(model), [])
    path = tmp_path / "leads.csv"
    path.write_text(plain.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    options = CsvOptions(";", "utf-8")
    text, _ = _spark_text(spark, model, path, tmp_path / "out", "jsonl", options=options)
    evaluator = compile_model(model)
    with read_leads(str(path), model, csv_options=options) as records:
        expected = "".join(dumps(r) + "\n" for r in evaluator.evaluate_many(records, AS_OF))
    assert text == expected


def test_directory_of_part_files_reads_as_its_files_in_name_order(spark: Any, tmp_path: Path) -> None:
    model = _fit()
    leads = _test_leads(model)
    directory = tmp_path / "leads"
    directory.mkdir()
    half = len(leads) // 2
    _jsonl(directory / "part-00001.jsonl", leads[half:], ODD_LINES[4:8])
    _jsonl(directory / "part-00000.jsonl", leads[:half], ODD_LINES[:4])
    (directory / "_SUCCESS").write_text("")
    whole = tmp_path / "whole.jsonl"
    whole.write_bytes((directory / "part-00000.jsonl").read_bytes() + (directory / "part-00001.jsonl").read_bytes())
    text, summary = _spark_text(spark, model, directory, tmp_path / "out", "jsonl")
    assert text == _python_text(model, whole, "jsonl")
    assert summary.records == len(text.splitlines())


def _parquet_value(fld: m.Field, value: Any) -> Any:
    if value is None:
        return None
    if fld.kind in ("integer", "number"):
        return Decimal(str(value)) if fld.kind == "number" else int(value)
    if fld.kind == "date":
        return dt.date.fromisoformat(value)
    if fld.kind == "timestamp":
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def test_parquet_into_parquet(spark: Any, tmp_path: Path) -> None:
    model = _fit()
    evaluator = compile_model(model)
    leads = [{k: v for k, v in lead.items() if k != "events"} for lead in _test_leads(model)]
    leads = [lead for n, lead in enumerate(leads, 1) if "error" not in evaluator.evaluate(lead, AS_OF, record=n)]
    leads += [{"id": "no-email", "role": "vp"}, {"role": "cxo", "email": "x@y.io"}]  # invalid: required fields missing
    types = {"text": "string", "email": "string", "choice": "string", "integer": "bigint", "number": "decimal(20, 6)",
             "boolean": "boolean", "date": "date", "timestamp": "timestamp"}
    schema = ", ".join(["id string"] + [f"`{n}` {types[f.kind]}" for n, f in model.fields.items()])
    rows = [[lead.get("id"), *[_parquet_value(f, lead.get(n)) for n, f in model.fields.items()]] for lead in leads]
    path = tmp_path / "leads.parquet"
    spark.createDataFrame(rows, schema).coalesce(1).write.parquet(str(path))
    as_json = tmp_path / "leads.jsonl"
    as_json.write_text("".join(dumps({k: v for k, v in lead.items() if v is not None}) + "\n" for lead in leads))
    expected = _python_records(model, as_json)
    spark_engine.run(spark, model, str(path), None, AS_OF, "parquet", str(tmp_path / "out"), CsvOptions())
    got = spark.read.parquet(str(tmp_path / "out")).collect()
    assert len(got) == len(expected)
    for row, record in zip(got, expected, strict=True):
        data = row.asDict()
        assert data["id"] == (record["id"] if isinstance(record["id"], str) else dumps(record["id"]))
        if "error" in record:
            assert data["error"] == record["error"]["message"] and data["stage"] is None
            continue
        assert data["error"] is None
        assert [data["stage"], data["disqualified"], data["reasons"], data["blocked"], data["route"]] == \
            [record[k] for k in ("stage", "disqualified", "reasons", "blocked", "route")]
        assert {n: data["score." + n] for n in model.scores} == {n: Decimal(str(v)) for n, v in record["scores"].items()}
        assert {n: data["band." + n] for n in model.bands} == record["bands"]


def test_a_path_spark_does_not_find_is_one_line(spark: Any, tmp_path: Path) -> None:
    from leadrules.errors import InputError

    with pytest.raises(InputError, match=r"^s3a://no-such-bucket/leads\.jsonl: |^file:/no/such/leads\.jsonl: "):
        spark_engine.run(spark, _fit(), "file:/no/such/leads.jsonl", None, AS_OF, "jsonl", str(tmp_path / "out"),
                         CsvOptions())


def test_an_existing_output_directory_is_refused(spark: Any, tmp_path: Path) -> None:
    from leadrules.errors import InputError

    model = _fit()
    leads = _jsonl(tmp_path / "leads.jsonl", _test_leads(model)[:2], [])
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match="already exists"):
        spark_engine.run(spark, model, str(leads), None, AS_OF, "jsonl", str(tmp_path / "out"), CsvOptions())


def test_cli_needs_an_output_directory(run_cli: Any, tmp_path: Path) -> None:
    result = run_cli("eval", str(REPO / "rulesets" / "fit_engagement.rules"), str(tmp_path / "leads.jsonl"),
                     "--engine", "spark")
    assert result.exit_code == 2
    assert "--engine spark writes a directory of part files: give -o DIR" in result.stderr


def test_cli_without_pyspark_is_one_line(run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spark_engine, "pyspark_missing", lambda: "the Spark engine needs pyspark, which is "
                        "not installed: " + spark_engine.INSTALL_HINT)
    result = run_cli("eval", str(REPO / "rulesets" / "fit_engagement.rules"), str(tmp_path / "leads.jsonl"),
                     "--engine", "spark", "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr == ("leadrules: error: the Spark engine needs pyspark, which is not installed: "
                             + spark_engine.INSTALL_HINT + "\n")


def test_cli_writes_the_directory_and_exits_3_on_invalid_records(run_cli: Any, tmp_path: Path) -> None:
    model = _fit()
    leads = _jsonl(tmp_path / "leads.jsonl", _test_leads(model), ODD_LINES[:2])
    remote = os.environ.get("LEADRULES_SPARK_TEST_REMOTE")
    result = run_cli("eval", str(REPO / "rulesets" / "fit_engagement.rules"), str(leads), "--engine", "spark",
                     "--as-of", "2026-11-22T00:00:00Z", "-o", str(tmp_path / "out"), "--summary",
                     *(["--spark-remote", remote] if remote else []))
    assert result.exit_code == 3, result.stderr
    parts = sorted((tmp_path / "out").glob("part-*"))
    assert "".join(p.read_text(encoding="utf-8") for p in parts) == _python_text(model, leads, "jsonl")
    assert "invalid" in result.stderr
