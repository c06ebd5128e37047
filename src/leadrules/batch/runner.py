"""`leadrules eval --engine duckdb`: evaluate a leads file in-process with DuckDB.

DuckDB reads the leads file (CSV, JSON Lines or Parquet) and the `--events` CSV itself
(`batch.input`), accepts the records whose raw values are certainly valid and types them
(`batch.acceptance`), and runs the query `engine.sql` compiles from the model over them, so a
million leads never pass through Python one by one. The records SQL does not accept go to the
Python engine, which is the reference; `batch.output` writes both, in input order, byte for
byte as the Python engine's writers would.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

from leadrules import model as m
from leadrules.batch.acceptance import accept_records, release_checked
from leadrules.batch.input import (
    LoadedLeads,
    PythonReads,
    input_of,
    load_events_file,
    load_leads,
    raw_records,
    readable_path,
    release_raw,
)
from leadrules.batch.output import tally, write_results
from leadrules.batch.sqlparts import count_rows, create, sql
from leadrules.engine.sql.build import QuerySource, build_query
from leadrules.engine.sql.dialects import Dialect, profile_for
from leadrules.errors import InputError
from leadrules.io.leads import DEFAULT_CSV, WRITERS, CsvOptions, EvalSummary, open_output, read_leads
from leadrules.io.summary import TallyCounter

__all__ = ["run", "run_detailed", "RunDetails", "OUTPUT_FORMATS"]

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")


def run(model: m.CheckedModel, leads_path: str, events_path: str | None, as_of: dt.datetime,
        output_format: str = "jsonl", output_path: str | None = None,
        csv_options: CsvOptions = DEFAULT_CSV, tally: bool = True) -> EvalSummary:
    """Evaluate every record of `leads_path`; write results in `output_format` to `output_path`
    (stdout when None or '-'). Returns how many records were written and how many invalid, and
    (`tally`) the counts of the `eval` summary."""
    return run_detailed(model, leads_path, events_path, as_of, output_format, output_path, csv_options,
                        tally).summary


@dataclass(frozen=True)
class RunDetails:
    summary: EvalSummary
    # records the Python engine evaluated because SQL did not accept them; None: the whole
    # file went through the Python readers
    python_records: int | None


def run_detailed(model: m.CheckedModel, leads_path: str, events_path: str | None, as_of: dt.datetime,
                 output_format: str = "jsonl", output_path: str | None = None,
                 csv_options: CsvOptions = DEFAULT_CSV, tally: bool = True) -> RunDetails:
    """`run`, also telling how many records needed the Python engine."""
    if output_format not in OUTPUT_FORMATS:
        raise InputError(f"unknown output format '{output_format}' (known: {', '.join(OUTPUT_FORMATS)})")
    if output_format == "parquet" and (output_path is None or output_path == "-"):
        raise InputError("--format parquet needs -o FILE")
    with ExitStack() as stack:
        source = input_of(leads_path, stack)
        if source is None:
            return RunDetails(_python_run(model, leads_path, events_path, as_of, output_format, output_path,
                                          csv_options), None)
        if events_path is not None:
            events_path = readable_path(events_path, ".csv", stack)
        con = duckdb.connect(":memory:")
        stack.callback(con.close)
        try:
            leads = load_leads(con, model, source, csv_options, stack)
            if events_path is not None:
                load_events_file(con, model, events_path, csv_options, stack)
            try:
                accept_records(con, model, leads, events_path is not None)
            except duckdb.Error:
                if not leads.lines_read_once:
                    raise
                # DuckDB's line reader failed on a JSON Lines file (a line over its size limit,
                # ...): the lines are split from the whole text instead
                release_checked(con)
                release_raw(con, leads)
                leads = load_leads(con, model, source, csv_options, stack, read_lines_once=False)
                accept_records(con, model, leads, events_path is not None)
        except (duckdb.Error, PythonReads):
            # DuckDB could not read the file as a whole, or would read it otherwise than the
            # Python readers (encoding, ragged CSV, a quote never closed, ...): the Python
            # readers decide what each record is.
            return RunDetails(_python_run(model, source.path, events_path, as_of, output_format, output_path,
                                          csv_options, source.kind), None)
        return _evaluate(con, model, leads, events_path, as_of, csv_options, output_format, output_path, tally)
    raise AssertionError("unreachable")


def _evaluate(con: duckdb.DuckDBPyConnection, model: m.CheckedModel, leads: LoadedLeads, events_path: str | None,
              as_of: dt.datetime, csv_options: CsvOptions, output_format: str, output_path: str | None,
              with_tally: bool) -> RunDetails:
    """lr_results (the compiled query over the accepted records), the Python engine's records
    for the others, and the output."""
    accepted = exp.select(exp.Star()).from_("lr_checked").where(exp.column("lr_accepted"))
    con.execute(create("lr_accepted_leads", accepted, kind="VIEW"))
    naive_as_of = as_of.astimezone(dt.timezone.utc).replace(tzinfo=None)
    con.execute(create("lr_results", _result_query(model)), {"as_of": naive_as_of})
    fallback = _fallback_records(con, model, leads, events_path, as_of.astimezone(dt.timezone.utc), csv_options)
    total = con.execute(count_rows("lr_checked")).fetchone()
    records = int(total[0]) if total else 0
    invalid = sum(1 for record in fallback.values() if "error" in record)
    # the raw records are read no more: their memory goes to ordering the output
    release_raw(con, leads)
    write_results(con, model, output_format, output_path, fallback)
    counts = tally(con, model, fallback) if with_tally else None
    return RunDetails(EvalSummary(records, invalid, counts), len(fallback))


def _result_query(model: m.CheckedModel) -> exp.Select:
    source = QuerySource(
        leads_table="lr_accepted_leads", events_table="lr_events", lead_key="lr_record",
        event_key="lr_record", event_type="type", event_at="at", id_column="lr_record",
        field_columns={name: f"f{index}" for index, name in enumerate(model.fields)}, cast_numbers=False,
    )
    return build_query(model, profile_for(Dialect.DUCKDB), source).select


def _fallback_records(con: duckdb.DuckDBPyConnection, model: m.CheckedModel, leads: LoadedLeads,
                      events_path: str | None, as_of: dt.datetime, csv_options: CsvOptions) -> dict[int, dict[str, Any]]:
    """Output records of the records SQL did not accept, from the Python engine."""
    rows = con.execute(
        sql(exp.select(exp.column("lr_record")).from_("lr_checked").where(exp.not_(exp.column("lr_accepted")))
            .order_by(exp.column("lr_record")))
    ).fetchall()
    wanted = {int(r[0]) for r in rows}
    if not wanted:
        return {}
    # imported only when a record needs it: a run SQL takes whole starts faster without it
    from leadrules.engine.python import compile_model

    evaluator = compile_model(model)
    found: dict[int, dict[str, Any]] = {}
    for number, lead in raw_records(con, model, leads, events_path, csv_options, wanted):
        found[number] = evaluator.evaluate(lead, as_of, record=number)
    return found


def _python_run(model: m.CheckedModel, leads_path: str, events_path: str | None, as_of: dt.datetime,
                output_format: str, output_path: str | None, csv_options: CsvOptions = DEFAULT_CSV,
                kind: str | None = None) -> EvalSummary:
    """The whole file through the Python readers and engine (files DuckDB does not read).
    `kind`: the format of `leads_path` when its name does not tell it (a spooled copy)."""
    from leadrules.engine.python import compile_model

    if output_format == "parquet" or kind == "parquet":
        raise InputError("this Parquet file cannot be read" if kind == "parquet"
                         else "--format parquet needs a CSV, JSON Lines or Parquet leads file")
    evaluator = compile_model(model)
    count = invalid = 0
    counter = TallyCounter()
    with read_leads(leads_path, model, events_path, csv_options=csv_options) as records, \
            open_output(output_path) as stream:
        writer = WRITERS[output_format](stream, model)
        for record in evaluator.evaluate_many(records, as_of):
            count += 1
            invalid += "error" in record
            counter.add(record)
            writer.write(record)
        writer.close()
    return EvalSummary(count, invalid, counter.result(model))


