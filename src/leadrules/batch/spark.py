"""`leadrules eval --engine spark`: evaluate leads on a Spark session with the compiled Spark SQL.

The session is local (`local[*]`) or a cluster reached through Spark Connect (`open_session`);
Spark reads the leads (JSON Lines, CSV or Parquet: a file or a directory of part files, any
path Spark can read), runs the query `engine.sql` compiles for the `spark` dialect, and writes
a directory of part files (JSON Lines, CSV or Parquet). The records are the Python engine's:

* Spark only ever *accepts* a record whose raw values are in the plain forms whose meaning is
  beyond doubt (a JSON line that is one object Spark and Python parse alike, a JSON string for
  a text field, `2026-11-01T10:00:00Z` for a timestamp, a plain decimal with at most six places
  for a number, ...). Every other record, invalid or in a rarer spelling, is collected to the
  driver and evaluated by the Python engine (`engine.validate` plus the compiled evaluator),
  which is the reference, as the DuckDB engine does. Those are few.
* Records are numbered as the Python readers number them, across the part files of a
  directory in name order (each file read as a whole file would be): the number is the error
  record's `record`, the id of a record without one, and the output order.
* Output lines are assembled by Spark from pieces encoded in Python (`jsontext.dumps` of every
  key, stage, route target and band label; `CsvWriter` for the header), so their text is the
  JSONL and CSV writers'. Part files in name order concatenate to the Python engine's output
  (a CSV directory has its header at the top of its first part file only).

pyspark (Spark 4.0 or later: the JSON check uses the VARIANT type) is imported by the
functions here, so importing this module needs no pyspark; `pyspark_missing()` tells the CLI.
Nothing here reads the environment: the Spark Connect URL comes as an argument.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from leadrules import model as m
from leadrules.engine.sql.build import DECIMAL_TYPE, QuerySource, build_query
from leadrules.engine.sql.dialects import Dialect, profile_for
from leadrules.engine.sql.render import render
from leadrules.errors import InputError
from leadrules.fieldkinds import KINDS
from leadrules.io.leads import (
    DEFAULT_CSV,
    WRITERS,
    CsvOptions,
    EvalSummary,
    attach_events,
    csv_records,
    csv_rows,
    parse_json_line,
    read_csv,
    read_csv_header,
    read_events_csv,
)
from leadrules.io.summary import TallyCounter
from leadrules.jsontext import LINE_BREAK_ESCAPES, dumps
from leadrules.values import PLAIN_TIMESTAMP_PATTERN

__all__ = ["OUTPUT_FORMATS", "INSTALL_HINT", "pyspark_missing", "open_session", "run", "input_kind"]

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
INSTALL_HINT = "pip install 'leadrules[spark]' (pyspark 4.0 or later; Java 17 or later for a local session)"
_MIN_SPARK = (4, 0)

# Plain spellings Spark accepts on its own (anything else goes to the Python engine); the same
# as the DuckDB engine's.
_STAMP = f"^{PLAIN_TIMESTAMP_PATTERN}$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_CSV_INTEGER = r"^[+-]?[0-9]{1,18}(\.0+)?$"
_CSV_NUMBER = r"^[+-]?[0-9]{1,20}(\.[0-9]{1,6})?$"
# a string that prints in JSON as itself between quotes (no escapes needed)
_PLAIN_TEXT = '^[^\\x00-\\x1f"\\\\]*$'
# a blank line of a JSON Lines file (skipped, as `bytes.isspace` skips it)
_BLANK_LINE = "^[ \\t\\r\\x0b\\x0c]*$"
# A JSON string (valid JSON strings only: a string Spark parsed), replaced by `""` before the
# shape check below; a surrogate escape sends the line to Python, which judges lone ones.
_JSON_STRING = '"(?:[^"\\\\]++|\\\\.)*+"'
_SURROGATE_ESCAPE = "\\\\u[dD][89a-fA-F]"
_NESTING = 8  # lines nested deeper are checked by Python
_LINE_LIMIT = 131072  # the csv module's cell limit: a longer line is read by the Python reader
# Java's regex engine recurses as it repeats a group: longer JSON lines are checked by Python
# (a lead is a few hundred bytes), and the patterns below repeat runs, not single characters.
_JSON_LINE_LIMIT = 32768


def _balanced(depth: int) -> str:
    """Text whose brackets and braces pair up, nested at most `depth` deep."""
    inner = "[^{}\\[\\]]*+"
    for _ in range(depth):
        inner = f"(?:[^{{}}\\[\\]]++|\\{{{inner}\\}}|\\[{inner}\\])*+"
    return inner


# Spark's JSON parser reads the first value of a line and ignores what follows (`{"a": 1} {}`),
# which Python rejects: with its strings emptied, an accepted line must be one object alone.
_ONE_OBJECT = "^[ \\t\\r]*\\{" + _balanced(_NESTING - 1) + "\\}[ \\t\\r]*$"


def pyspark_missing() -> str | None:
    """None when pyspark (4.0 or later) can be imported, else the one-line reason and fix."""
    try:
        import pyspark
    except ImportError:
        return f"the Spark engine needs pyspark, which is not installed: {INSTALL_HINT}"
    version = tuple(int(p) for p in re.findall(r"[0-9]+", pyspark.__version__)[:2])
    if version < _MIN_SPARK:
        return f"the Spark engine needs pyspark 4.0 or later, found {pyspark.__version__}: {INSTALL_HINT}"
    return None


def open_session(remote: str | None = None) -> Any:
    """A Spark session: a cluster's through Spark Connect when `remote` is its URL
    (`sc://host:15002`), else a local one on every core. Instants are UTC in either."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("leadrules eval")
    if remote:
        builder = builder.remote(remote)
    else:
        builder = (builder.master("local[*]").config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false").config("spark.log.level", "ERROR")
                   .config("spark.sql.shuffle.partitions", "8"))
    session = builder.getOrCreate()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return session


def input_kind(path: str) -> str:
    """"jsonl", "csv" or "parquet" from a leads path: its suffix, or for a local directory
    without a telling suffix the suffix of its data files; JSON Lines otherwise."""
    suffix = _suffix_kind(path.rstrip("/"))
    if suffix is not None:
        return suffix
    if _is_local(path) and Path(_local(path)).is_dir():
        kinds = {_suffix_kind(p.name) for p in _data_files(_local(path))}
        kinds.discard(None)
        if len(kinds) == 1:
            return str(kinds.pop())
    return "jsonl"


def _suffix_kind(name: str) -> str | None:
    lowered = name.lower()
    for ending in (".gz", ".bz2", ".snappy", ".zst"):
        lowered = lowered.removesuffix(ending)
    suffix = Path(lowered).suffix
    if suffix == ".parquet":
        return "parquet"
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        raise InputError(f"{name}: the Spark engine reads JSON Lines, CSV or Parquet, not a .json array "
                         "(use --engine python, or write one lead per line in a .jsonl file)")
    return None


def _is_local(path: str) -> bool:
    scheme = urlparse(path).scheme
    return scheme in ("", "file") or len(scheme) == 1  # a Windows drive letter


def _local(path: str) -> str:
    return path[len("file:"):] if path.startswith("file:") else path


def _data_files(directory: str) -> list[Path]:
    """The files Spark reads in a directory (it skips names starting with `_` or `.`)."""
    return sorted(p for p in Path(directory).iterdir() if p.is_file() and not p.name.startswith(("_", ".")))


@dataclass(frozen=True)
class _Numbered:
    """The leads as Spark read them: `lr_record` numbers the records (NULL on a line that is
    not one), `lr_first` marks the first line of a file, `lr_line` the line (text inputs)."""

    frame: Any
    total: int
    headers: tuple[str, ...] = ()  # CSV: the header line of each file


def run(spark: Any, model: m.CheckedModel, leads_path: str, events_path: str | None, as_of: dt.datetime,
        output_format: str, output_dir: str, csv_options: CsvOptions = DEFAULT_CSV, *,
        tally: bool = False) -> EvalSummary:
    """Evaluate every record of `leads_path` on `spark`; write the results in `output_format`
    as a new directory `output_dir`. The summary counts records and invalid records (and the
    `eval` summary's tallies when `tally`)."""
    if output_format not in OUTPUT_FORMATS:
        raise InputError(f"unknown output format '{output_format}' (known: {', '.join(OUTPUT_FORMATS)})")
    if csv_options.encoding != "utf-8":
        raise InputError("the Spark engine reads UTF-8 files only (--encoding utf-8); "
                         "use --engine python or duckdb for other encodings")
    if _is_local(output_dir) and os.path.lexists(_local(output_dir)):
        raise InputError(f"{output_dir}: already exists (the Spark engine writes a new directory)")
    if _is_local(leads_path) and not os.path.exists(_local(leads_path)):
        raise InputError(f"{leads_path}: no such file or directory")
    job = _Job(spark, model, as_of, csv_options,
               read_events_csv(events_path, model, csv_options) if events_path is not None else None)
    from pyspark.errors import PySparkException

    try:
        return job.run(leads_path, input_kind(leads_path), output_format, output_dir, tally)
    except PySparkException as exc:
        # a path the cluster does not have, a session it refused: one line, not a JVM stack
        condition = exc.getCondition() if hasattr(exc, "getCondition") else None
        if condition == "PATH_NOT_FOUND":
            raise InputError(f"{leads_path}: no such file or directory (as Spark sees it)") from None
        if type(exc).__name__ == "SparkConnectGrpcException":
            reason = str(exc).partition("details = ")[2].partition("\n")[0].strip('" ') or type(exc).__name__
            raise InputError(f"Spark Connect: {reason}") from None
        raise


class _Job:
    def __init__(self, spark: Any, model: m.CheckedModel, as_of: dt.datetime, csv_options: CsvOptions,
                 events: dict[str, list[tuple[str, str]]] | None) -> None:
        from pyspark.sql import functions

        self.spark = spark
        self.F = functions
        self.model = model
        self.as_of = as_of.astimezone(dt.timezone.utc)
        self.csv_options = csv_options
        self.events = events
        self.cached: list[Any] = []

    def _cached(self, frame: Any) -> Any:
        """`frame`, kept by Spark once computed: numbering reads it twice and must see the same rows."""
        self.cached.append(frame.persist())
        return frame

    # -- the run
    def run(self, path: str, kind: str, output_format: str, output_dir: str, tally: bool) -> EvalSummary:
        fallback_records: dict[int, dict[str, Any]]
        try:
            if kind == "parquet":
                numbered = self._numbered_parquet(path)
                checked = self._checked_parquet(numbered.frame)
            else:
                numbered = self._numbered_lines(path, kind)
                checked = self._checked_jsonl(numbered.frame) if kind == "jsonl" else \
                    self._checked_csv(numbered, path)
        except _PythonReads:
            checked = None
        if checked is None:
            # rows Spark would split otherwise than the csv module: the Python reader reads the file
            numbered, checked = self._python_read(path), None
        checked_frame = checked if checked is not None else numbered.frame
        results = None
        if checked is not None:
            checked_frame = self._cached(checked_frame)
            fallback_records, rejected = self._fallback(checked_frame, numbered, kind)
            results = self._results(checked_frame, rejected)
        else:
            fallback_records = self._evaluate_all(numbered)
        self._write(results, fallback_records, output_format, output_dir)
        invalid = sum(1 for record in fallback_records.values() if "error" in record)
        counts = self._tally(results, fallback_records) if tally else None
        for frame in self.cached:
            frame.unpersist()
        return EvalSummary(numbered.total, invalid, counts)

    # -- reading and numbering
    def _numbered_lines(self, path: str, kind: str) -> _Numbered:
        """Lines of a JSON Lines or CSV input numbered as the Python readers number records."""
        F = self.F
        reader = self.spark.read
        if kind == "jsonl":
            reader = reader.option("lineSep", "\n")  # as Python splits a binary stream
        lines = reader.text(path).select(
            F.col("value").alias("lr_line"),
            F.col("_metadata.file_path").alias("lr_file"),
            F.col("_metadata.file_block_start").alias("lr_block"),
            F.monotonically_increasing_id().alias("lr_seq"),
        )
        blank = F.col("lr_line").rlike(_BLANK_LINE) if kind == "jsonl" else F.col("lr_line") == F.lit("")
        lines = self._cached(lines.withColumn("lr_blank", blank))
        blocks = sorted(lines.groupBy("lr_file", "lr_block").agg(
            F.min("lr_seq").alias("lr_start"), F.count(F.lit(1)).alias("lr_lines"),
            F.sum(F.col("lr_blank").cast("long")).alias("lr_blanks"),
        ).collect(), key=lambda r: (r["lr_file"], r["lr_block"]))
        files = list(dict.fromkeys(r["lr_file"] for r in blocks))
        # records before each block: every non-blank line of the blocks before it, less the
        # header line of each CSV file before it (and of its own file)
        offsets, before = [], 0
        header_lines = 0
        for row in blocks:
            if kind == "csv" and row["lr_block"] == 0:
                header_lines += 1
            offsets.append((row["lr_file"], row["lr_block"], row["lr_start"], before - header_lines))
            before += row["lr_lines"] - row["lr_blanks"]
        total = before - header_lines
        table = self.spark.createDataFrame(
            offsets, "lr_file string, lr_block long, lr_start long, lr_offset long")
        joined = lines.join(F.broadcast(table), ["lr_file", "lr_block"])
        position = F.col("lr_seq") - F.col("lr_start")
        first = (F.col("lr_block") == 0) & (position == 0)
        if any(r["lr_blanks"] for r in blocks):
            # blank lines are not records: count the non-blank lines up to each line in its block
            from pyspark.sql import Window

            window = Window.partitionBy("lr_file", "lr_block").orderBy("lr_seq")
            rank = F.sum((~F.col("lr_blank")).cast("long")).over(window)
        else:
            rank = position + 1
        record = F.when(F.col("lr_blank") | (first if kind == "csv" else F.lit(False)), F.lit(None)) \
            .otherwise(F.col("lr_offset") + rank)
        frame = joined.select(record.cast("long").alias("lr_record"), first.alias("lr_first"), "lr_line", "lr_file")
        headers: tuple[str, ...] = ()
        if kind == "csv":
            firsts = {r["lr_file"]: r["lr_line"] for r in frame.where(F.col("lr_first")).select(
                "lr_file", "lr_line").collect()}
            headers = tuple(firsts[f] for f in files if f in firsts)
        frame = frame.where(F.col("lr_record").isNotNull() | F.col("lr_first"))
        return _Numbered(frame, total, headers)

    def _numbered_parquet(self, path: str) -> _Numbered:
        F = self.F
        frame = self.spark.read.parquet(path)
        data_columns = frame.columns
        frame = frame.select(*[F.col(f"`{c}`") for c in data_columns],
                             F.col("_metadata.file_path").alias("lr_file"),
                             F.col("_metadata.row_index").alias("lr_row"))
        counts = sorted(frame.groupBy("lr_file").count().collect(), key=lambda r: r["lr_file"])
        offsets, before = [], 0
        for row in counts:
            offsets.append((row["lr_file"], before))
            before += row["count"]
        table = self.spark.createDataFrame(offsets, "lr_file string, lr_offset long")
        numbered = frame.join(F.broadcast(table), ["lr_file"]).withColumn(
            "lr_record", F.col("lr_offset") + F.col("lr_row") + 1).drop("lr_offset", "lr_row", "lr_file")
        return _Numbered(numbered, before)

    # -- acceptance: typed values of the records Spark vouches for
    def _checked_jsonl(self, frame: Any) -> Any:
        F = self.F
        line = F.col("lr_line")
        emptied = F.regexp_replace(line, F.lit(_JSON_STRING), F.lit('""'))
        plain_line = F.coalesce(F.when(F.length(line) <= F.lit(_JSON_LINE_LIMIT), F.expr("is_valid_utf8(lr_line)"))
                                & ~line.rlike(_SURROGATE_ESCAPE) & emptied.rlike(_ONE_OBJECT)
                                & ~line.startswith("\ufeff"), F.lit(False))
        parsed = F.when(plain_line, F.expr("try_parse_json(lr_line)"))
        frame = frame.where(F.col("lr_record").isNotNull()).withColumn("lr_v", parsed)
        checks = [F.col("lr_v").isNotNull()]
        columns = []
        for index, (name, fld) in enumerate(self.model.fields.items()):
            value, accepted = self._json_field(name, fld)
            columns.append(value.alias(f"f{index}"))
            checks.append(accepted)
        id_json, id_key = self._json_id()
        checks.append(id_json.isNotNull())
        events = _member("events")
        events_type = F.schema_of_variant(events)
        shaped = F.forall(F.expr("try_variant_get(lr_v, '$.events', 'array<variant>')"),
                          lambda e: F.schema_of_variant(e) == F.lit("OBJECT<at: STRING, type: STRING>"))
        checks.append(events.isNull() | (events_type == F.lit("VOID")) | F.coalesce(shaped, F.lit(False)))
        own_events = F.when(events_type.startswith("ARRAY"), F.expr(
            "try_variant_get(lr_v, '$.events', 'array<struct<type: string, at: string>>')"))
        return self._checked(frame, checks, columns, id_json, id_key, own_events)

    def _json_field(self, name: str, fld: m.Field) -> tuple[Any, Any]:
        F = self.F
        value = _member(name)
        json_type = F.schema_of_variant(value)
        missing = value.isNull() | (json_type == F.lit("VOID"))
        text = F.expr(f"try_variant_get(lr_v, '{_path(name)}', 'string')")
        is_text = json_type == F.lit("STRING")
        typed: Any
        if KINDS[fld.kind].acceptance == "text":
            typed, ok = text, is_text
        elif KINDS[fld.kind].acceptance == "choice":
            typed = text
            ok = is_text & text.isin(*fld.choices) if fld.choices else F.lit(False)
        elif KINDS[fld.kind].acceptance in ("integer", "number"):
            typed = F.expr(f"try_variant_get(lr_v, '{_path(name)}', '{DECIMAL_TYPE}')")
            ok = json_type == F.lit("BIGINT")
            if KINDS[fld.kind].acceptance == "number":
                # a JSON decimal of at most six places, exactly (a zero keeps a sign Spark drops)
                scale = F.regexp_extract(json_type, r"^DECIMAL\([0-9]+,([0-9]+)\)$", 1)
                ok = ok | ((scale != F.lit("")) & (scale.cast("int") <= F.lit(6)) & (typed != F.lit(0)))
            ok = ok & typed.isNotNull()
            ok = self._within(ok, typed, fld)
        elif KINDS[fld.kind].acceptance == "boolean":
            typed = F.expr(f"try_variant_get(lr_v, '{_path(name)}', 'boolean')")
            ok = json_type == F.lit("BOOLEAN")
        elif KINDS[fld.kind].acceptance == "date":
            typed = F.expr(f"try_cast(try_variant_get(lr_v, '{_path(name)}', 'string') AS DATE)")
            ok = is_text & text.rlike(_DATE) & (F.substring(text, 1, 4) != F.lit("0000")) & typed.isNotNull()
        else:
            typed = _stamp(text)
            ok = is_text & text.rlike(_STAMP) & typed.isNotNull()
        typed = F.when(~missing, typed.cast(_spark_type(fld)))
        accepted = (missing | ok) if fld.optional else (~missing & ok)
        return typed, F.coalesce(accepted, F.lit(False))

    def _json_id(self) -> tuple[Any, Any]:
        """(JSON text of the output id, the key `--events` rows join on); NULL text = not accepted."""
        F = self.F
        value = _member("id")
        json_type = F.schema_of_variant(value)
        text = F.expr("try_variant_get(lr_v, '$.id', 'string')")
        record = F.col("lr_record").cast("string")
        missing = value.isNull() | (json_type == F.lit("VOID"))
        shown = (F.when(missing, record)
                 .when((json_type == F.lit("STRING")) & text.rlike(_PLAIN_TEXT), _json_string(text))
                 .when(json_type == F.lit("BIGINT"), text))
        return shown, F.when(missing, record).otherwise(text)

    def _checked_csv(self, numbered: _Numbered, path: str) -> Any:
        F = self.F
        frame = numbered.frame
        header = self._csv_header(numbered.headers, path)
        delimiter = self.csv_options.delimiter
        if not delimiter.isascii() or ("id" in self.model.fields
                                       and not KINDS[self.model.fields["id"].kind].textual):
            raise _PythonReads("a delimiter or id the split below does not cover")
        d = re.escape(delimiter)
        cell = f'"(?:[^"]++|"")*+"|[^"{d}]*+'
        plain = f"^(?:{cell})(?:{d}(?:{cell}))*+$"
        line = F.col("lr_line")
        data = frame.where(F.col("lr_record").isNotNull())
        plain_line = F.coalesce(F.when(F.length(line) <= F.lit(_LINE_LIMIT), F.expr("is_valid_utf8(lr_line)")) &
                                line.rlike(plain) & ~line.contains("\x00"), F.lit(False))
        if data.where(~plain_line).limit(1).count():
            raise _PythonReads("a line the csv module may read otherwise (a quoted line break, ...)")
        cells = F.regexp_extract_all(F.concat(F.lit(delimiter), line), F.lit(f"{d}({cell})"), F.lit(1))
        data = data.withColumn("lr_cells", cells)
        positions = {name: index for index, name in enumerate(header)}  # a later column wins, as in Python

        def cell_at(name: str) -> Any:
            if name not in positions:
                return F.lit(None).cast("string")
            raw = F.get(F.col("lr_cells"), positions[name])
            unquoted = F.when(raw.startswith('"'), F.regexp_replace(
                F.expr(f"substring(lr_cells[{positions[name]}], 2, length(lr_cells[{positions[name]}]) - 2)"),
                '""', '"')).otherwise(raw)
            return F.when(unquoted != F.lit(""), unquoted)

        checks: list[Any] = []
        columns = []
        for index, (name, fld) in enumerate(self.model.fields.items()):
            text = cell_at(name)
            missing = text.isNull()
            typed: Any
            if KINDS[fld.kind].acceptance == "text":
                typed, ok = text, F.lit(True)
            elif KINDS[fld.kind].acceptance == "choice":
                typed = text
                ok = text.isin(*fld.choices) if fld.choices else F.lit(False)
            elif KINDS[fld.kind].acceptance in ("integer", "number"):
                typed = text.try_cast(DECIMAL_TYPE)
                ok = text.rlike(_CSV_INTEGER if KINDS[fld.kind].acceptance == "integer" else _CSV_NUMBER) & typed.isNotNull()
                ok = self._within(ok, typed, fld)
            elif KINDS[fld.kind].acceptance == "boolean":
                lowered = F.lower(text)
                typed = F.when(lowered.isin("true", "yes", "1"), F.lit(True)).when(
                    lowered.isin("false", "no", "0"), F.lit(False))
                ok = typed.isNotNull()
            elif KINDS[fld.kind].acceptance == "date":
                typed = text.try_cast("date")
                ok = text.rlike(_DATE) & (F.substring(text, 1, 4) != F.lit("0000")) & typed.isNotNull()
            else:
                typed = _stamp(text)
                ok = text.rlike(_STAMP) & typed.isNotNull()
            columns.append(F.when(~missing, typed.cast(_spark_type(fld))).alias(f"f{index}"))
            accepted = (missing | ok) if fld.optional else (~missing & ok)
            checks.append(F.coalesce(accepted, F.lit(False)))
        raw_id = cell_at("id")
        record = F.col("lr_record").cast("string")
        id_json = F.when(raw_id.isNull(), record).when(raw_id.rlike(_PLAIN_TEXT), _json_string(raw_id))
        id_key = F.coalesce(raw_id, record)
        checks.append(id_json.isNotNull())
        # a CSV cell under `events` is text, not a list of events: the Python engine words that
        checks.append(cell_at("events").isNull())
        return self._checked(data, checks, columns, id_json, id_key, None)

    def _csv_header(self, headers: tuple[str, ...], path: str) -> list[str]:
        """The header of every file, checked by the Python reader; all files must agree."""
        found: list[str] | None = None
        for line in headers or ("",):
            rows = csv_rows(io.BytesIO(line.encode("utf-8", "surrogateescape") + b"\n"), self.csv_options)
            try:
                header = read_csv_header(rows, self.model, path, self.csv_options)
            except InputError:
                raise _PythonReads("the header: the Python reader reads it (a quoted line break?)") from None
            if header is None:
                raise _PythonReads("no header")
            if found is not None and header != found:
                raise InputError(f"{path}: its part files have different headers")
            found = header
        assert found is not None
        return found

    def _checked_parquet(self, frame: Any) -> Any:
        """Parquet values are typed: a column of the field's own type is taken as it is."""
        from pyspark.sql import types as T

        F = self.F
        schema = {f.name: f.dataType for f in frame.schema.fields}
        integers = (T.LongType, T.IntegerType, T.ShortType, T.ByteType)
        checks: list[Any] = []
        columns = []
        for index, (name, fld) in enumerate(self.model.fields.items()):
            kind = schema.get(name)
            raw = F.col(f"`{name}`") if kind is not None else F.lit(None)
            ok: Any
            if kind is None:
                ok = F.lit(False)
            elif KINDS[fld.kind].acceptance == "text":
                ok = F.lit(isinstance(kind, T.StringType))
            elif KINDS[fld.kind].acceptance == "choice":
                ok = raw.isin(*fld.choices) if isinstance(kind, T.StringType) and fld.choices else F.lit(False)
            elif KINDS[fld.kind].acceptance in ("integer", "number"):
                exact = isinstance(kind, integers) or (KINDS[fld.kind].acceptance == "number" and isinstance(kind, T.DecimalType)
                                                       and kind.scale <= 6 and kind.precision - kind.scale <= 32)
                ok = self._within(F.lit(True), raw.cast(DECIMAL_TYPE), fld) if exact else F.lit(False)
            elif KINDS[fld.kind].acceptance == "boolean":
                ok = F.lit(isinstance(kind, T.BooleanType))
            elif KINDS[fld.kind].acceptance == "date":
                ok = F.lit(isinstance(kind, T.DateType))
            else:
                ok = F.lit(isinstance(kind, (T.TimestampType, T.TimestampNTZType)))
            missing = raw.isNull()
            columns.append(F.when(ok & ~missing, raw.cast(_spark_type(fld))).alias(f"f{index}"))
            accepted = (missing | ok) if fld.optional else (~missing & ok)
            checks.append(F.coalesce(accepted, F.lit(False)))
        record = F.col("lr_record").cast("string")
        id_kind = schema.get("id")
        if id_kind is None:
            id_json, id_key = record, record
        elif isinstance(id_kind, integers):
            id_json = id_key = F.coalesce(F.col("id").cast("string"), record)
        elif isinstance(id_kind, T.StringType):
            raw_id = F.col("id")
            missing = raw_id.isNull() | (raw_id == F.lit(""))
            id_json = F.when(missing, record).when(raw_id.rlike(_PLAIN_TEXT), _json_string(raw_id))
            id_key = F.when(missing, record).otherwise(raw_id)
        else:
            id_json, id_key = F.lit(None).cast("string"), record
        checks.append(id_json.isNotNull())
        if "events" in schema:
            # a Parquet list of events is checked event by event, by the Python engine
            checks.append(F.col("events").isNull())
        return self._checked(frame, checks, columns, id_json, id_key, None)

    def _within(self, ok: Any, typed: Any, fld: m.Field) -> Any:
        if fld.low is None or fld.high is None:
            return ok
        return ok & typed.between(F_lit_decimal(self.F, fld.low), F_lit_decimal(self.F, fld.high))

    def _checked(self, frame: Any, checks: list[Any], columns: list[Any], id_json: Any, id_key: Any,
                 own_events: Any) -> Any:
        """lr_record, lr_accepted, lr_id_json, lr_key, f0.., lr_own_events (a list of
        {type, at} or NULL), and what the Python engine needs of rejected records."""
        F = self.F
        accepted = checks[0]
        for check in checks[1:]:
            accepted = accepted & check
        keep = [c for c in ("lr_line", "lr_first") if c in frame.columns]
        if not keep:
            # Parquet: the record as JSON for the Python engine (only read for rejected ones)
            data = [c for c in frame.columns if c != "lr_record"]
            keep_expr = [F.to_json(F.struct(*[F.col(f"`{c}`") for c in data]), {
                "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'", "timestampNTZFormat":
                "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'", "dateFormat": "yyyy-MM-dd", "ignoreNullFields": "true"}
            ).alias("lr_json")]
        else:
            keep_expr = [F.col(c) for c in keep]
        return frame.select(
            "lr_record", F.coalesce(accepted, F.lit(False)).alias("lr_accepted"),
            id_json.alias("lr_id_json"), id_key.alias("lr_key"), *columns,
            (own_events if own_events is not None else F.lit(None).cast(
                "array<struct<type: string, at: string>>")).alias("lr_own_events"),
            *keep_expr,
        )

    # -- the records the Python engine evaluates
    def _fallback(self, checked: Any, numbered: _Numbered, kind: str) -> tuple[dict[int, dict[str, Any]], Any]:
        """Output records, from the Python engine, of the records Spark did not accept: those
        it rejected, and accepted ones with an `--events` row or own event it cannot vouch for;
        and the frame of their numbers."""
        from leadrules.engine.python import compile_model

        F = self.F
        bad_events = self._event_rows(checked).where(~F.col("lr_ok")).select("lr_record").distinct()
        checked_bad = checked.join(bad_events.withColumn("lr_bad_event", F.lit(True)), ["lr_record"], "left")
        rejected = checked_bad.where(~F.col("lr_accepted") | F.col("lr_bad_event").isNotNull())
        numbers = rejected.select("lr_record")
        payload = "lr_json" if kind == "parquet" else "lr_line"
        columns = ["lr_record", F.col(payload).cast("binary").alias("lr_raw")]
        if kind == "jsonl":
            columns.append("lr_first")
        rows = rejected.select(*columns).collect()
        if not rows:
            return {}, numbers
        header = self._csv_header(numbered.headers, "CSV") if kind == "csv" else None
        leads: dict[int, Any] = {}
        for row in rows:
            raw = bytes(row["lr_raw"])
            if kind == "jsonl":
                if row["lr_first"] and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                leads[row["lr_record"]] = parse_json_line(raw)
            elif kind == "csv":
                assert header is not None
                leads[row["lr_record"]] = next(csv_records(header, csv_rows(io.BytesIO(raw + b"\n"),
                                                                           self.csv_options), self.model))
            else:
                lead = _from_parquet_json(parse_json_line(raw))
                events = lead.get("events") if isinstance(lead, dict) else None
                if isinstance(events, str) and events.lstrip().startswith("["):
                    # Parquet has no JSON type: events written as JSON text are read as that JSON
                    parsed = parse_json_line(events)
                    if isinstance(parsed, list):
                        lead["events"] = parsed
                leads[row["lr_record"]] = lead
        evaluator = compile_model(self.model)
        return {number: evaluator.evaluate(lead, self.as_of, record=number)
                for number, lead in self._with_events(leads, numbered.total)}, numbers

    def _with_events(self, leads: dict[int, Any], total: int) -> Iterator[tuple[int, Any]]:
        """The wanted records with their `--events` rows attached as the Python reader attaches
        them (by printed id, else by position)."""
        if not self.events:
            yield from sorted(leads.items())
            return
        positions = (leads.get(number) for number in range(1, total + 1))
        for number, lead in enumerate(attach_events(positions, self.events), 1):
            if number in leads:
                yield number, lead

    def _evaluate_all(self, numbered: _Numbered) -> dict[int, dict[str, Any]]:
        from leadrules.engine.python import compile_model

        evaluator = compile_model(self.model)
        return {number: evaluator.evaluate(lead, self.as_of, record=number)
                for number, lead in enumerate(numbered.frame, 1)}

    def _python_read(self, path: str) -> _Numbered:
        """Every record of a local CSV file or directory through the Python reader."""
        if not _is_local(path):
            raise InputError(f"{path}: has rows the Spark engine cannot split as the csv module does (a quoted "
                             "line break, a quote inside a cell, ...); copy it here and use --engine python or duckdb")
        local = _local(path)
        files = _data_files(local) if Path(local).is_dir() else [Path(local)]
        records: list[Any] = []
        for file in files:
            with open(file, "rb") as stream:
                records.extend(read_csv(stream, self.model, self.csv_options, str(file)))
        if self.events:
            records = list(attach_events(records, self.events))
        return _Numbered(records, len(records))

    # -- events and evaluation
    def _event_rows(self, checked: Any) -> Any:
        """lr_record, type, at (TIMESTAMP), lr_ok: each declared event of the accepted records
        (their own, then `--events` rows); lr_ok false where Spark cannot vouch for `at`."""
        F = self.F
        declared = list(self.model.events)
        accepted = checked.where(F.col("lr_accepted"))
        own = accepted.select("lr_record", F.explode("lr_own_events").alias("lr_e")).select(
            "lr_record", F.col("lr_e.type").alias("type"), F.col("lr_e.at").alias("lr_at"))
        parts = [own]
        if self.events:
            rows = [(key, kind, at) for key, items in self.events.items() for kind, at in items]
            table = self.spark.createDataFrame(rows, "lr_key string, type string, lr_at string")
            parts.append(accepted.select("lr_record", "lr_key").join(table, ["lr_key"]).select(
                "lr_record", "type", "lr_at"))
        events = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])
        events = events.where(F.col("type").isin(*declared)) if declared else events.where(F.lit(False))
        at = _stamp(F.col("lr_at"))
        return events.select("lr_record", "type", at.alias("at"),
                             F.coalesce(F.col("lr_at").rlike(_STAMP) & at.isNotNull(), F.lit(False)).alias("lr_ok"))

    def _results(self, checked: Any, rejected: Any) -> Any:
        """The query's rows of the records Spark accepted, with lr_order and lr_id_json."""
        F = self.F
        model = self.model
        good = checked.where(F.col("lr_accepted")).join(
            rejected.withColumn("lr_gone", F.lit(True)), ["lr_record"], "left").where(
            F.col("lr_gone").isNull())
        # the query passes its id column through: it carries the record number and the JSON id
        tagged = good.withColumn("lr_tag", F.concat(F.col("lr_record").cast("string"), F.lit(" "), F.col("lr_id_json")))
        tagged.createOrReplaceTempView("lr_accepted_leads")
        self._event_rows(checked).where(F.col("lr_ok")).createOrReplaceTempView("lr_events")
        source = QuerySource(
            leads_table="lr_accepted_leads", events_table="lr_events", lead_key="lr_record",
            event_key="lr_record", event_type="type", event_at="at", id_column="lr_tag",
            field_columns={name: f"f{index}" for index, name in enumerate(model.fields)}, cast_numbers=False,
        )
        profile = profile_for(Dialect.SPARK)
        text = render(build_query(model, profile, source).select, profile)
        as_of = self.as_of.replace(tzinfo=None).isoformat(sep=" ")
        rows = self.spark.sql(text, args={"as_of": as_of})
        tag = F.col("id")
        return rows.withColumn("lr_order", F.substring_index(tag, " ", 1).cast("long")).withColumn(
            "lr_id_json", F.expr("substring(id, instr(id, ' ') + 1)")).drop("id")

    # -- output
    def _write(self, results: Any, fallback: dict[int, dict[str, Any]], output_format: str, output_dir: str) -> None:
        if output_format == "parquet":
            frame = self._parquet_frame(results, fallback)
            self._save(frame.orderBy("lr_order").drop("lr_order").write.format("parquet"), output_dir)
            return
        lines = self._jsonl_lines(results) if output_format == "jsonl" else self._csv_lines(results)
        python_lines = self._python_lines(fallback, output_format)
        extra = self.spark.createDataFrame(python_lines, "lr_order long, lr_text string")
        frame = extra if lines is None else lines.unionByName(extra)
        self._save(frame.orderBy("lr_order").select("lr_text").write.format("text"), output_dir)

    def _save(self, writer: Any, output_dir: str) -> None:
        from pyspark.errors import AnalysisException

        try:
            writer.mode("error").save(output_dir)  # "error": the spelling Spark Connect takes too
        except AnalysisException as exc:
            if "PATH_ALREADY_EXISTS" in str(exc):
                raise InputError(f"{output_dir}: already exists (the Spark engine writes a new directory)") from None
            raise

    def _python_lines(self, fallback: dict[int, dict[str, Any]], output_format: str) -> list[tuple[int, str]]:
        buffer = io.StringIO()
        writer = WRITERS[output_format](buffer, self.model)
        lines: list[tuple[int, str]] = []
        if output_format == "csv":
            lines.append((0, buffer.getvalue().removesuffix("\n")))
        for number, record in sorted(fallback.items()):
            buffer.seek(0)
            buffer.truncate()
            writer.write(record)
            writer.flush()
            lines.append((number, buffer.getvalue().removesuffix("\n")))
        return lines

    def _jsonl_lines(self, results: Any) -> Any:
        if results is None:
            return None
        F = self.F
        model = self.model
        stages = [m.DISQUALIFIED, *model.stages]
        routes = [e.target for r in model.routes.values() for e in (*r.entries, *([r.otherwise] if r.otherwise else []))]
        pieces: list[Any] = [
            F.lit('{"id": '), F.col("lr_id_json"),
            F.lit(', "stage": '), self._json_text_case(F.col("stage"), stages),
            F.lit(', "disqualified": '), F.when(F.col("disqualified"), F.lit("true")).otherwise(F.lit("false")),
            F.lit(', "reasons": '), _code_list(F, "reasons"),
            F.lit(', "blocked": '), _code_list(F, "blocked"),
            F.lit(', "scores": {'),
        ]
        for index, name in enumerate(model.scores):
            pieces += [F.lit((", " if index else "") + dumps(name) + ": "), _number_text(F, F.col(f"`score_{name}`"))]
        pieces.append(F.lit('}, "bands": {'))
        for index, (name, band) in enumerate(model.bands.items()):
            pieces += [F.lit((", " if index else "") + dumps(name) + ": "),
                       self._json_text_case(F.col(f"`band_{name}`"), [e.label for e in band.entries])]
        pieces += [F.lit('}, "route": '), self._json_text_case(F.col("route"), routes)]
        if model.crm_output is not None:
            pieces += [F.lit(', "crm": '), self._crm_case(model.crm_output, dumps, "null")]
        pieces.append(F.lit("}"))
        return results.select("lr_order", F.concat(*pieces).alias("lr_text"))

    def _csv_lines(self, results: Any) -> Any:
        if results is None:
            return None
        F = self.F
        model = self.model
        id_json = F.col("lr_id_json")
        # a string id is its text, any other id its JSON text (as `CsvWriter` prints the value)
        id_text = F.when(id_json.startswith('"'), F.expr("try_variant_get(try_parse_json(lr_id_json), '$', 'string')")) \
            .otherwise(id_json)
        disqualified = F.col("disqualified")
        cells = [
            _csv_cell(F, id_text), _csv_cell(F, F.col("stage")),
            F.when(disqualified, F.lit("true")).when(~disqualified, F.lit("false")).otherwise(F.lit("")),
            _csv_cell(F, F.array_join(F.col("reasons"), ";")), _csv_cell(F, F.array_join(F.col("blocked"), ";")),
            _csv_cell(F, F.col("route")),
            *([] if model.crm_output is None else [self._crm_case(model.crm_output, _python_csv_cell, "")]),
            *[F.coalesce(_number_text(F, F.col(f"`score_{n}`")), F.lit("")) for n in model.scores],
            *[_csv_cell(F, F.col(f"`band_{n}`")) for n in model.bands],
            F.lit(""),  # error
        ]
        return results.select("lr_order", F.concat_ws(",", *cells).alias("lr_text"))

    def _json_text_case(self, value: Any, labels: list[str]) -> Any:
        """The JSON text of a string column whose possible values are known: `null` when NULL."""
        F = self.F
        case = None
        for label in dict.fromkeys(labels):
            case = (F.when if case is None else case.when)(value == F.lit(label), F.lit(dumps(label)))
        return F.lit("null") if case is None else case.otherwise(F.lit("null"))

    def _crm_case(self, mapping: m.CrmMapping, encode: Any, unmapped: str) -> Any:
        F = self.F
        case = None
        for stage, value in mapping.values:
            case = (F.when if case is None else case.when)(F.col("stage") == F.lit(stage), F.lit(encode(value)))
        return F.lit(unmapped) if case is None else case.otherwise(F.lit(unmapped))

    def _parquet_frame(self, results: Any, fallback: dict[int, dict[str, Any]]) -> Any:
        F = self.F
        model = self.model
        names = ["id", "stage", "disqualified", "reasons", "blocked", "route"]
        names += ["score." + n for n in model.scores] + ["band." + n for n in model.bands] + ["error"]
        types = ["string", "string", "boolean", "array<string>", "array<string>", "string"]
        types += [DECIMAL_TYPE] * len(model.scores) + ["string"] * len(model.bands) + ["string"]
        schema = "lr_order long, " + ", ".join(f"`{n.replace('`', '``')}` {t}" for n, t in zip(names, types, strict=True))
        rows = []
        for number, record in sorted(fallback.items()):
            shown = record["id"]
            id_text = None if shown is None else (shown if isinstance(shown, str) else dumps(shown))
            row: list[Any]
            if "error" in record:
                row = [number, id_text] + [None] * (len(names) - 1)
                row[-1] = record["error"]["message"]
            else:
                row = [number, id_text, record["stage"], record["disqualified"], record["reasons"], record["blocked"],
                       record["route"], *[Decimal(record["scores"][n]) for n in model.scores],
                       *[record["bands"][n] for n in model.bands], None]
            rows.append(tuple(row))
        extra = self.spark.createDataFrame(rows, schema)
        if results is None:
            return extra
        id_json = F.col("lr_id_json")
        id_text = F.when(id_json.startswith('"'), F.expr("try_variant_get(try_parse_json(lr_id_json), '$', 'string')")) \
            .otherwise(id_json)
        values = [F.col("lr_order"), id_text, *[F.col(c) for c in ("stage", "disqualified", "reasons", "blocked", "route")],
                  *[F.col(f"`score_{n}`").cast(DECIMAL_TYPE) for n in model.scores],
                  *[F.col(f"`band_{n}`") for n in model.bands], F.lit(None).cast("string")]
        accepted = results.select(*[v.alias(n) for v, n in zip(values, ["lr_order", *names], strict=True)])
        return accepted.unionByName(extra)

    def _tally(self, results: Any, fallback: dict[int, dict[str, Any]]) -> Any:
        """The `eval` summary's counts: grouped by Spark over the accepted records' results, and
        record by record over the Python engine's."""
        F = self.F
        counter = TallyCounter()
        if results is not None:
            def grouped(column: Any) -> list[tuple[Any, int]]:
                return [(r[0], int(r[1])) for r in results.select(column.alias("v")).groupBy("v").count().collect()]

            total = results.count()
            counter.add_counts(total, grouped(F.col("stage")), grouped(F.explode("reasons")),
                               grouped(F.explode("blocked")), grouped(F.col("route")))
        for number, record in sorted(fallback.items()):
            counter.add(record, number)
        return counter.result(self.model)


class _PythonReads(Exception):
    """The input is one Spark would read otherwise than the Python readers."""


def F_lit_decimal(F: Any, value: Decimal) -> Any:  # noqa: N802 - F is pyspark's functions module
    return F.lit(str(value)).cast(DECIMAL_TYPE)


def _member(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.expr(f"try_variant_get(lr_v, '{_path(name)}', 'variant')")


def _path(name: str) -> str:
    """A variant path to a top-level member, as SQL string text (field names are identifiers;
    anything else is refused rather than pasted)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise InputError(f"the Spark engine cannot read the field name {dumps(name)}")
    return f"$.{name}"


def _stamp(text: Any) -> Any:
    # `YYYY-MM-DDTHH:MM:SSZ` (checked against _STAMP) → TIMESTAMP in the session's UTC
    from pyspark.sql import functions as F

    return F.substring(text, 1, 19).try_cast("timestamp")


def _spark_type(fld: m.Field) -> str:
    return {"integer": DECIMAL_TYPE, "number": DECIMAL_TYPE, "boolean": "boolean", "date": "date",
            "timestamp": "timestamp"}.get(KINDS[fld.kind].acceptance, "string")


def _json_string(text: Any) -> Any:
    """JSON text of a string that matches `_PLAIN_TEXT`: quoted, with the line-break characters
    `jsontext` escapes escaped the same way."""
    from pyspark.sql import functions as F

    for char, escape in LINE_BREAK_ESCAPES.items():
        text = F.replace(text, F.lit(char), F.lit(escape))
    return F.concat(F.lit('"'), text, F.lit('"'))


def _number_text(F: Any, value: Any) -> Any:
    """DECIMAL(38, 6) as the JSON writer prints it: no trailing zeros, no point when whole."""
    text = value.cast("string")
    trimmed = F.regexp_replace(F.regexp_replace(text, "0+$", ""), "\\.$", "")
    return F.when(value == F.lit(0), F.lit("0")).otherwise(trimmed)


def _code_list(F: Any, column: str) -> Any:
    """A list of disqualifier codes (plain names) as JSON text: `["a", "b"]`."""
    quoted = F.transform(F.col(column), lambda code: F.concat(F.lit('"'), code, F.lit('"')))
    return F.concat(F.lit("["), F.coalesce(F.array_join(quoted, ", "), F.lit("")), F.lit("]"))


def _python_csv_cell(text: str) -> str:
    """`text` as Python's csv writer prints it as the first of two cells (as `CsvWriter` writes)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text, ""])
    return buffer.getvalue()[: -len(",\n")]


_CSV_QUOTED_CHARS = tuple(char for char in ',"\n\r' if _python_csv_cell(char) != char)


def _csv_cell(F: Any, text: Any) -> Any:
    """A text value as `CsvWriter` prints it: NULL as an empty cell; quoted, with quotes doubled,
    when it holds a character that makes the csv module quote; else as itself."""
    needs_quotes = F.lit(False)
    for char in _CSV_QUOTED_CHARS:
        needs_quotes = needs_quotes | text.contains(char)
    quoted = F.concat(F.lit('"'), F.replace(text, F.lit('"'), F.lit('""')), F.lit('"'))
    return F.coalesce(F.when(needs_quotes, quoted).otherwise(text), F.lit(""))


def _from_parquet_json(value: Any) -> Any:
    """A Parquet record read back from Spark's JSON: instants as the JSON spelling (`...Z`,
    without a zero fraction), as the DuckDB engine presents them."""
    if isinstance(value, dict):
        return {k: _from_parquet_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_parquet_json(v) for v in value]
    if isinstance(value, str) and value.endswith(".000000Z") and re.fullmatch(r"[0-9]{4}-.*T.*", value):
        return value.removesuffix(".000000Z") + "Z"
    return value
