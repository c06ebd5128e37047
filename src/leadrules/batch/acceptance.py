"""Which records SQL accepts, and their typed values: the SQL side of lead and event validation.

Validation in SQL only ever *accepts* a record when its raw values are in the plain forms
whose meaning is beyond doubt (a JSON string for a text field, `2026-11-01T10:00:00Z` for a
timestamp, a plain decimal with at most six places for a number, ...). Every other record —
invalid ones, and valid ones in a rarer spelling — is left to the Python engine
(`engine.validate` plus the compiled evaluator), which is the reference; those are few. So
this module never words an error: it only says "certainly valid, and these are the values".
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from sqlglot import exp

from leadrules import model as m
from leadrules.batch.input import CSV_CELLS, JSONL_CELLS, LoadedLeads, number_text_column
from leadrules.batch.sqlparts import col, concat, count_rows, create, fn, lit, matches, num, sql
from leadrules.engine.sql.build import DECIMAL_TYPE
from leadrules.fieldkinds import KINDS
from leadrules.jsontext import LINE_BREAK_ESCAPES, dumps
from leadrules.values import PLAIN_TIMESTAMP_PATTERN

__all__ = ["accept_records", "release_checked"]

# the stored rows of a CSV or JSON Lines file read once (lr_checked is a view numbering them)
_CHECKED_ROWS = "lr_checked_rows"
# Plain spellings the SQL side accepts on its own (anything else goes to the Python engine).
_STAMP = f"^{PLAIN_TIMESTAMP_PATTERN}$"  # the usual spelling: a subset of the one timestamp grammar
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_CSV_NUMBER = r"^[+-]?[0-9]{1,20}(\.[0-9]{1,6})?$"
# a string that prints in JSON as itself between quotes (no escapes needed)
_PLAIN_TEXT = "^[^\\x00-\\x1f\"\\\\]*$"
# the plain decimals taken as exact (the text found after a number field's key in the line)
_JSON_DECIMAL = r"^-?[0-9]{1,15}\.[0-9]{1,6}$"
# ... with at most 15 digits in all (a point and a sign besides): a decimal of at most 15
# significant digits is the only one of them that reads as its double (DBL_DIG is 15)
_JSON_DECIMAL_MAX_DIGITS = 15
# An events list as DuckDB prints it back, when every element is exactly {"type": "...", "at": "..."}
# with strings that need no escapes: such lists are checked with one transform, not element by element.
_PLAIN_EVENT = '\\{"type":"[^"\\\\]*","at":"[^"\\\\]*"\\}'
_PLAIN_EVENTS = "^\\[(" + _PLAIN_EVENT + "(," + _PLAIN_EVENT + ")*)?\\]$"


def _member(name: str) -> exp.Expr:
    """The JSON text of a top-level member of a JSON Lines record (NULL when absent or null)."""
    return exp.Anonymous(this="struct_extract", expressions=[exp.column("lr_object"), lit(name)])


def _key_list(*keys: str) -> exp.Expr:
    return exp.Array(expressions=[lit(k) for k in keys])


def _json_string_text(text: exp.Expr) -> exp.Expr:
    """JSON text of a string that matches `_PLAIN_TEXT`: quoted, with the line-break characters
    `jsontext` escapes (U+2028, U+2029, U+0085) escaped the same way."""
    for char, escape in LINE_BREAK_ESCAPES.items():
        text = fn("replace", text, lit(char), lit(escape))
    return concat(lit('"'), text, lit('"'))


@dataclass(frozen=True)
class _Acceptance:
    """The acceptance checks of one loaded leads file."""

    con: duckdb.DuckDBPyConnection
    model: m.CheckedModel
    leads: LoadedLeads
    with_events_file: bool

    def _plain_events(self, declared: list[exp.Expr]) -> exp.Select:
        """Event checks of the records whose `events` are all `{"type": "...", "at": "..."}`
        with strings that need no escapes (the usual case): one transform of the whole list."""
        pairs = exp.select(
            exp.column("lr_record"),
            exp.alias_(exp.func("json_transform", self._events_json(), lit(dumps([{"type": "VARCHAR", "at": "VARCHAR"}]))),
                       "lr_list"),
        ).from_(self._events_table()).where(matches(self._events_json(), _PLAIN_EVENTS))
        items = exp.select(
            exp.column("lr_record"),
            exp.alias_(exp.Unnest(expressions=[exp.column("lr_list")]), "lr_pair"),
            exp.alias_(exp.Unnest(expressions=[fn("generate_series", num(1), fn("len", exp.column("lr_list")))]),
                       "lr_order"),
        ).from_(pairs.subquery("lr_pairs"))
        event_type = exp.Anonymous(this="struct_extract", expressions=[exp.column("lr_pair"), lit("type")])
        at = exp.Anonymous(this="struct_extract", expressions=[exp.column("lr_pair"), lit("at")])
        ok = exp.and_(matches(at.copy(), _STAMP), exp.not_(self._stamp(at.copy()).is_(exp.null())))
        verdict = exp.case().when(event_type.copy().isin(*[d.copy() for d in declared]), exp.func("coalesce", ok, exp.false()))
        return exp.select(
            exp.column("lr_record"), exp.alias_(num(0), "lr_source"), exp.column("lr_order"),
            exp.alias_(event_type, "lr_type"), exp.alias_(at, "lr_at"), exp.alias_(verdict, "lr_ok"),
        ).from_(items.subquery("lr_items"))

    def _events_json(self) -> exp.Expr:
        """The JSON text of a JSON Lines record's `events` member, in `_events_table()`."""
        return exp.column("lr_events") if self.leads.lines_read_once else _member("events")

    def _events_table(self) -> str:
        """The table of JSON Lines records with their `events`: lr_checked when the lines were
        read once (it keeps the member), else lr_raw."""
        return "lr_checked" if self.leads.lines_read_once else "lr_raw"

    def create_tables(self) -> None:
        """lr_checked: every record, typed where SQL accepts it (`lr_accepted`); lr_events: the
        accepted records' declared events."""
        # JSON Lines read once: whether lr_checked is a view of lr_checked_rows' lines
        lines_view = False
        if self.leads.kind == "csv":
            self._create_csv_checked()
        elif self.leads.lines_read_once:
            lines_view = self._create_jsonl_checked()
        else:
            self._create_checked()
        self._events()
        # records with an event SQL cannot vouch for go to the Python engine too
        bad_events = exp.select(exp.column("lr_record")).from_("lr_event_checks").where(
            exp.not_(exp.column("lr_ok"))
        )
        update: exp.Expr
        if self.leads.kind == "csv":
            # lr_checked is a view numbering lr_checked_rows by rowid
            update = exp.update(
                _CHECKED_ROWS, {"lr_accepted": exp.false()},
                where=exp.Add(this=exp.column("rowid"), expression=num(1)).isin(query=bad_events),
            )
        elif lines_view:
            # lr_checked is a view of the non-blank lines of lr_checked_rows, numbered by rowid
            physical = exp.select(exp.column("lr_physical")).from_("lr_checked").where(
                exp.column("lr_record").isin(query=bad_events))
            update = exp.update(
                _CHECKED_ROWS, {"lr_accepted": exp.false()},
                where=exp.Add(this=exp.column("rowid"), expression=num(1)).isin(query=physical),
            )
        else:
            update = exp.update(
                "lr_checked", {"lr_accepted": exp.false()},
                where=exp.column("lr_record").isin(query=bad_events),
            )
        self.con.execute(sql(update))

    def _create_jsonl_checked(self) -> bool:
        """lr_checked of a JSON Lines file from one parallel read of its lines (`JSONL_CELLS`:
        each line checked and parsed once): the checks of `_create_checked` over each parsed
        line, stored with the line's blankness, its `id` and `events` members, in file order in
        `lr_checked_rows`; lr_checked numbers the non-blank ones (a view: lines numbered by
        rowid; a table numbered by a window when blank lines come before the end). Whether
        lr_checked is that view."""
        projections: list[exp.Expr] = [exp.column("lr_blank"), exp.alias_(_member("id"), "lr_id"),
                                       exp.alias_(_member("events"), "lr_events")]
        checks: list[exp.Expr] = [exp.not_(exp.column("lr_object").is_(exp.null()))]
        # the id's check: its JSON text is NULL when SQL cannot print it (any stand-in serves
        # for the record number, which is not known yet)
        _, id_json = self._id(_member("id"), lit("0"))
        checks.append(exp.not_(id_json.is_(exp.null())))
        for index, (name, fld) in enumerate(self.model.fields.items()):
            value, accepted = self._field(name, fld)
            projections.append(exp.alias_(value, f"f{index}"))
            checks.append(accepted)
        events_type = exp.func("json_type", _member("events"))
        checks.append(exp.or_(events_type.is_(exp.null()), events_type.copy().isin(lit("NULL"), lit("ARRAY"))))
        accepted_all = exp.func("coalesce", exp.and_(*checks), exp.false())
        projections.append(exp.alias_(accepted_all, "lr_accepted"))
        self.con.execute(create(_CHECKED_ROWS, exp.select(*projections).from_(JSONL_CELLS)))
        # lines as the Python reader counts them: a last `\n` ends a line, it does not start one
        found = self.con.execute(count_rows(_CHECKED_ROWS)).fetchone()
        part_count = (int(found[0]) if found else 0) + (1 if self.leads.ends_with_newline else 0)
        physical = exp.Add(this=exp.column("rowid"), expression=num(1))
        inner_blank = exp.select(exp.Count(this=exp.Star())).from_(_CHECKED_ROWS).where(exp.and_(
            exp.column("lr_blank"), exp.LT(this=physical.copy(), expression=num(part_count))))
        found = self.con.execute(sql(inner_blank)).fetchone()
        renumber = found is not None and found[0] > 0
        # blank lines before the end: records are numbered apart from lines
        number = exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[exp.Ordered(this=exp.column("rowid"))])) \
            if renumber else physical.copy()
        numbered = exp.select(
            exp.alias_(number, "lr_record"), exp.alias_(physical.copy(), "lr_physical"),
            exp.alias_(exp.LT(this=physical.copy(), expression=num(part_count)), "lr_newline"), exp.Star(),
        ).from_(_CHECKED_ROWS).where(exp.not_(exp.column("lr_blank")))
        self._create_numbered_checked(
            numbered, self._id(exp.column("lr_id"), exp.cast(exp.column("lr_record"), "VARCHAR")),
            ("lr_physical", "lr_newline", "lr_events"), "TABLE" if renumber else "VIEW")
        return not renumber

    def _create_csv_checked(self) -> None:
        """lr_checked of a CSV file, from one parallel read of its cells (`CSV_CELLS`): each
        cell converted once (`_csv_field`), the checks over the converted values, rows stored
        in file order in `lr_checked_rows` and numbered by their place there (DuckDB keeps the
        order rows are inserted in; a window would read the file on one thread)."""
        converted: list[exp.Expr] = []
        projections: list[exp.Expr] = []
        checks: list[exp.Expr] = []
        if "id" in self.leads.columns:
            converted.append(col("id"))
            projections.append(col("id"))
            missing = exp.or_(col("id").is_(exp.null()), exp.EQ(this=col("id"), expression=lit("")))
            checks.append(exp.or_(missing, matches(col("id"), _PLAIN_TEXT)))
        if "events" in self.leads.columns:
            # a CSV cell under `events` is text, not a list of events: the Python readers say so
            converted.append(col("events"))
            checks.append(col("events").is_(exp.null()))
        for index, (name, fld) in enumerate(self.model.fields.items()):
            read, typed, accepted = self._csv_field(index, name, fld)
            converted.extend(read)
            projections.append(exp.alias_(typed, f"f{index}"))
            checks.append(accepted)
        accepted_all = exp.func("coalesce", exp.and_(*checks) if checks else exp.true(), exp.false())
        projections.append(exp.alias_(accepted_all, "lr_accepted"))
        cells = exp.select(*converted or [exp.alias_(exp.true(), "lr_row")]).from_(CSV_CELLS).subquery("lr_cells")
        self.con.execute(create(_CHECKED_ROWS, exp.select(*projections).from_(cells)))
        numbered = exp.select(
            exp.alias_(exp.Add(this=exp.column("rowid"), expression=num(1)), "lr_record"), exp.Star(),
        ).from_(_CHECKED_ROWS)
        self._create_numbered_checked(numbered, self._id(), (), "VIEW")

    def _create_numbered_checked(self, numbered: exp.Select, id_exprs: tuple[exp.Expr, exp.Expr],
                                 kept: tuple[str, ...], kind: str) -> None:
        """lr_checked over `numbered` (lr_checked_rows with `lr_record`): the record number,
        the id's JSON text and key (`id_exprs`, from `_id`), the typed fields, whether SQL
        accepts the record, and the `kept` columns."""
        id_value, id_json = id_exprs
        fields = [exp.column(f"f{index}") for index in range(len(self.model.fields))]
        view = exp.select(
            exp.column("lr_record"), exp.alias_(id_json, "lr_id_json"), exp.alias_(id_value, "lr_key"), *fields,
            exp.column("lr_accepted"), *[exp.column(c) for c in kept],
        ).from_(numbered.subquery("lr_numbered"))
        self.con.execute(create("lr_checked", view, kind=kind))

    def _csv_field(self, index: int, name: str, fld: m.Field) -> tuple[list[exp.Expr], exp.Expr, exp.Expr]:
        """(cells read, typed value, accepted) of one declared field of a CSV file. The cell is
        converted once (`v<index>`), and the checks run on the conversion and the cell's text
        (`r<index>`): only spellings whose value is beyond doubt are accepted. An integer is
        accepted when its text is the one DuckDB prints for it (`42`, not `042`, `+42` or
        `4_2`, which DuckDB's cast reads too); other spellings go to the Python engine."""
        raw = col(name) if name in self.leads.columns else exp.cast(exp.null(), "VARCHAR")
        text, value = exp.column(f"r{index}"), exp.column(f"v{index}")
        missing = exp.or_(text.is_(exp.null()), exp.EQ(this=text.copy(), expression=lit("")))
        accepted_as = KINDS[fld.kind].acceptance
        conversion: exp.Expr
        ok: exp.Expr
        sql_type = self._sql_type(fld)
        if accepted_as in ("text", "choice"):
            conversion = raw.copy()
            ok = value.copy().isin(*[lit(c) for c in fld.choices]) if accepted_as == "choice" and fld.choices \
                else exp.true() if accepted_as == "text" else exp.false()
        elif accepted_as == "integer":
            conversion = exp.TryCast(this=raw.copy(), to=exp.DataType.build("BIGINT"))
            ok = exp.EQ(this=exp.cast(value.copy(), "VARCHAR"), expression=text.copy())
        elif accepted_as == "number":
            conversion = exp.TryCast(this=raw.copy(), to=exp.DataType.build(DECIMAL_TYPE))
            ok = exp.and_(matches(text.copy(), _CSV_NUMBER), exp.not_(value.copy().is_(exp.null())))
        elif accepted_as == "boolean":
            lowered = exp.Lower(this=raw.copy())
            conversion = (exp.case().when(lowered.isin(lit("true"), lit("yes"), lit("1")), exp.true())
                          .when(lowered.copy().isin(lit("false"), lit("no"), lit("0")), exp.false()))
            ok = exp.not_(value.copy().is_(exp.null()))
        elif accepted_as == "date":
            conversion = exp.TryCast(this=raw.copy(), to=exp.DataType.build("DATE"))
            ok = exp.and_(matches(text.copy(), _DATE),
                          exp.NEQ(this=exp.Substring(this=text.copy(), start=num(1), length=num(4)), expression=lit("0000")),
                          exp.not_(value.copy().is_(exp.null())))
        else:  # timestamp
            conversion = self._stamp(raw.copy())
            ok = exp.and_(matches(text.copy(), _STAMP), exp.not_(value.copy().is_(exp.null())))
        if accepted_as in ("integer", "number") and fld.low is not None and fld.high is not None:
            ok = exp.and_(ok, exp.Between(this=value.copy(), low=exp.Literal.number(str(fld.low)),
                                          high=exp.Literal.number(str(fld.high))))
        cells = [exp.alias_(raw, f"r{index}"), exp.alias_(conversion, f"v{index}")]
        # an empty cell converts to NULL but for text, which keeps it as ''
        typed = exp.case().when(missing, exp.cast(exp.null(), sql_type)).else_(exp.cast(value.copy(), sql_type)) \
            if accepted_as in ("text", "choice") else exp.cast(value.copy(), sql_type)
        accepted = exp.or_(missing.copy(), ok) if fld.optional else exp.and_(exp.not_(missing.copy()), ok)
        return cells, typed, exp.func("coalesce", accepted, exp.false())

    def _create_checked(self) -> None:
        """lr_checked of a JSON Lines or Parquet file, over lr_raw."""
        model = self.model
        kind = self.leads.kind
        checks: list[exp.Expr] = []
        projections: list[exp.Expr] = [exp.column("lr_record")]
        if kind == "jsonl":
            checks.append(exp.not_(exp.column("lr_object").is_(exp.null())))
        id_value, id_json = self._id()
        projections.append(exp.alias_(id_json, "lr_id_json"))
        projections.append(exp.alias_(id_value, "lr_key"))
        checks.append(exp.not_(id_json.copy().is_(exp.null())))
        for index, (name, fld) in enumerate(model.fields.items()):
            value, accepted = self._field(name, fld)
            projections.append(exp.alias_(value, f"f{index}"))
            checks.append(accepted)
        if kind == "jsonl":
            events_type = exp.func("json_type", _member("events"))
            checks.append(
                exp.or_(events_type.is_(exp.null()), events_type.copy().isin(lit("NULL"), lit("ARRAY")))
            )
        elif "events" in self.leads.columns:
            # a CSV cell or a Parquet value under `events` is read by the Python readers:
            # text is not a list of events there, and a Parquet list is checked event by event
            checks.append(col("events").is_(exp.null()))
        # Only records whose checks all hold *and* are true (not NULL) are accepted.
        accepted_all = exp.func("coalesce", exp.and_(*checks) if checks else exp.true(), exp.false())
        projections.append(exp.alias_(accepted_all, "lr_accepted"))
        select = exp.select(*projections).from_("lr_raw")
        self.con.execute(create("lr_checked", select))

    def _id(self, member: exp.Expr | None = None, record_text: exp.Expr | None = None) -> tuple[exp.Expr, exp.Expr]:
        """(key text for --events, JSON text of the output id); id JSON NULL = not accepted.
        `member`: the JSON text of a JSON Lines record's `id` (default: from `lr_object`);
        `record_text`: the record number as text (default: `lr_record`)."""
        record_text = record_text if record_text is not None else exp.cast(exp.column("lr_record"), "VARCHAR")
        if self.leads.kind == "jsonl":
            value = member if member is not None else _member("id")
            json_type = exp.func("json_type", value.copy())
            text = exp.func("json_extract_string", value.copy(), lit("$"))
            missing = exp.or_(json_type.is_(exp.null()), exp.EQ(this=json_type.copy(), expression=lit("NULL")))
            plain = exp.and_(exp.EQ(this=json_type.copy(), expression=lit("VARCHAR")), matches(text.copy(), _PLAIN_TEXT))
            integer = json_type.copy().isin(lit("BIGINT"), lit("UBIGINT"))
            key = exp.case().when(missing, record_text).else_(text.copy())
            shown = (exp.case().when(missing.copy(), record_text.copy())
                     .when(plain, _json_string_text(text.copy()))
                     .when(integer, exp.cast(value, "VARCHAR")))
            return key, shown
        if "id" not in self.leads.columns:
            return record_text, record_text.copy()
        raw = col("id")
        if self.leads.kind == "parquet":
            type_name = self._column_type("id")
            if type_name in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT",
                             "UTINYINT"):
                as_text = exp.cast(raw, "VARCHAR")
                return (exp.func("coalesce", as_text, record_text),
                        exp.func("coalesce", as_text.copy(), record_text.copy()))
            if type_name != "VARCHAR":
                return record_text, exp.cast(exp.null(), "VARCHAR")
        missing = exp.or_(raw.is_(exp.null()), exp.EQ(this=raw.copy(), expression=lit("")))
        key = exp.case().when(missing, record_text).else_(raw.copy())
        shown = (exp.case().when(missing.copy(), record_text.copy())
                 .when(matches(raw.copy(), _PLAIN_TEXT), _json_string_text(raw.copy())))
        return key, shown

    def _column_type(self, name: str) -> str:
        return self.leads.column_types.get(name, "")

    def _field(self, name: str, fld: m.Field) -> tuple[exp.Expr, exp.Expr]:
        """(typed value, accepted) for one declared field of a JSON Lines or Parquet file."""
        if self.leads.kind != "jsonl":
            return self._parquet_field(name, fld)
        value = _member(name)
        json_type = exp.func("json_type", value.copy())
        missing = exp.or_(json_type.is_(exp.null()), exp.EQ(this=json_type.copy(), expression=lit("NULL")))
        text = exp.func("json_extract_string", value.copy(), lit("$"))
        is_text = exp.EQ(this=json_type.copy(), expression=lit("VARCHAR"))
        is_int = json_type.copy().isin(lit("BIGINT"), lit("UBIGINT"))
        is_bool = exp.EQ(this=json_type.copy(), expression=lit("BOOLEAN"))
        typed: exp.Expr
        ok: exp.Expr
        accepted_as = KINDS[fld.kind].acceptance
        if accepted_as == "text":
            typed, ok = text, is_text
        elif accepted_as == "choice":
            typed = text
            ok = exp.and_(is_text, text.copy().isin(*[lit(c) for c in fld.choices])) if fld.choices else exp.false()
        elif accepted_as in ("integer", "number"):
            # Exact JSON integers; for a number field also a JSON decimal whose text, taken
            # from the line, is plain with at most 15 significant digits (so the double
            # DuckDB parsed it to stands for that text alone). Anything else: Python engine.
            typed = exp.TryCast(this=exp.cast(value.copy(), "VARCHAR"), to=exp.DataType.build(DECIMAL_TYPE))
            ok = exp.and_(is_int, exp.not_(typed.copy().is_(exp.null())))
            if accepted_as == "number":
                # the text of the decimal as written in the line (`batch.input`)
                raw = exp.column(number_text_column(self.model, name))
                exact = exp.and_(
                    exp.EQ(this=json_type.copy(), expression=lit("DOUBLE")),
                    matches(raw.copy(), _JSON_DECIMAL),
                    exp.LTE(this=fn("length", fn("ltrim", raw.copy(), lit("-"))),
                            expression=num(_JSON_DECIMAL_MAX_DIGITS + 1)),
                    exp.EQ(this=exp.TryCast(this=raw.copy(), to=exp.DataType.build("DOUBLE")),
                           expression=exp.TryCast(this=value.copy(), to=exp.DataType.build("DOUBLE"))),
                )
                typed = exp.case().when(exact, exp.TryCast(this=raw, to=exp.DataType.build(DECIMAL_TYPE))).else_(typed)
                ok = exp.or_(ok, exact.copy())
            if fld.low is not None and fld.high is not None:
                ok = exp.and_(ok, exp.Between(this=typed.copy(), low=exp.Literal.number(str(fld.low)),
                                              high=exp.Literal.number(str(fld.high))))
        elif accepted_as == "boolean":
            typed = exp.TryCast(this=value.copy(), to=exp.DataType.build("BOOLEAN"))
            ok = is_bool
        elif accepted_as == "date":
            typed = exp.TryCast(this=text.copy(), to=exp.DataType.build("DATE"))
            ok = exp.and_(is_text, matches(text.copy(), _DATE),
                          exp.NEQ(this=exp.Substring(this=text.copy(), start=num(1), length=num(4)), expression=lit("0000")),
                          exp.not_(typed.copy().is_(exp.null())))
        else:  # timestamp
            typed = self._stamp(text)
            ok = exp.and_(is_text, matches(text.copy(), _STAMP), exp.not_(typed.copy().is_(exp.null())))
        typed = exp.case().when(missing, exp.cast(exp.null(), self._sql_type(fld))).else_(exp.cast(typed, self._sql_type(fld)))
        accepted = exp.or_(missing.copy(), ok) if fld.optional else exp.and_(exp.not_(missing.copy()), ok)
        return typed, exp.func("coalesce", accepted, exp.false())

    def _parquet_field(self, name: str, fld: m.Field) -> tuple[exp.Expr, exp.Expr]:
        """Parquet values are typed: a column of the field's own type is taken as it is."""
        if name not in self.leads.columns:
            return exp.cast(exp.null(), self._sql_type(fld)), exp.true() if fld.optional else exp.false()
        raw = col(name)
        type_name = self._column_type(name)
        missing = raw.is_(exp.null())
        integer_types = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")
        ok: exp.Expr
        accepted_as = KINDS[fld.kind].acceptance
        if accepted_as == "text":
            ok = exp.true() if type_name == "VARCHAR" else exp.false()
        elif accepted_as == "choice":
            ok = raw.copy().isin(*[lit(c) for c in fld.choices]) if type_name == "VARCHAR" and fld.choices else exp.false()
        elif accepted_as in ("integer", "number"):
            exact = type_name in integer_types or (accepted_as == "number" and type_name.startswith("DECIMAL")
                                                      and _scale(type_name) <= 6)
            ok = exp.true() if exact else exp.false()
            if exact and fld.low is not None and fld.high is not None:
                ok = exp.Between(this=raw.copy(), low=exp.Literal.number(str(fld.low)),
                                 high=exp.Literal.number(str(fld.high)))
        elif accepted_as == "boolean":
            ok = exp.true() if type_name == "BOOLEAN" else exp.false()
        elif accepted_as == "date":
            ok = exp.true() if type_name == "DATE" else exp.false()
        else:
            ok = exp.true() if type_name in ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE") else exp.false()
        typed = exp.case().when(ok.copy(), exp.cast(raw.copy(), self._sql_type(fld))) if not isinstance(ok, exp.Boolean) \
            else exp.cast(raw.copy(), self._sql_type(fld)) if ok.this else exp.cast(exp.null(), self._sql_type(fld))
        accepted = exp.or_(missing.copy(), ok) if fld.optional else exp.and_(exp.not_(missing.copy()), ok)
        return typed, exp.func("coalesce", accepted, exp.false())

    @staticmethod
    def _stamp(text: exp.Expr) -> exp.Expr:
        # `YYYY-MM-DDTHH:MM:SSZ` (checked by _STAMP) → TIMESTAMP in UTC
        return exp.TryCast(this=exp.Substring(this=text.copy(), start=num(1), length=num(19)),
                           to=exp.DataType.build("TIMESTAMP"))

    @staticmethod
    def _sql_type(fld: m.Field) -> str:
        # the kind's SQL type; numbers at the engine's one exact decimal type
        sql_type = KINDS[fld.kind].sql_type
        return DECIMAL_TYPE if sql_type == "DECIMAL" else sql_type

    def _events(self) -> None:
        """lr_event_checks (every declared event of every record, with its verdict) and
        lr_events (accepted records' events, typed)."""
        declared = [lit(e) for e in self.model.events] or [lit("")]
        parts: list[exp.Select] = []
        if self.leads.kind == "jsonl":
            parts.append(self._plain_events(declared))
            element = exp.column("lr_element")
            listed = exp.select(
                exp.column("lr_record"),
                exp.alias_(exp.func("json_extract", self._events_json(), lit("$[*]")), "lr_list"),
            ).from_(self._events_table()).where(exp.and_(
                exp.EQ(this=exp.func("json_type", self._events_json()), expression=lit("ARRAY")),
                exp.not_(matches(self._events_json(), _PLAIN_EVENTS)),
            ))
            items = exp.select(
                exp.column("lr_record"),
                exp.alias_(exp.Unnest(expressions=[exp.column("lr_list")]), "lr_element"),
                exp.alias_(exp.Unnest(expressions=[
                    fn("generate_series", num(1), fn("len", exp.column("lr_list")))]), "lr_order"),
            ).from_(listed.subquery("lr_listed"))
            # each element parsed once: its kind, its keys, and the JSON text of `type` and `at`
            element_keys = exp.func("json_keys", element.copy())
            object_kind = exp.EQ(this=exp.func("json_type", element.copy()), expression=lit("OBJECT"))
            elements = exp.select(
                exp.column("lr_record"), exp.column("lr_element"), exp.column("lr_order"),
                exp.alias_(exp.func("coalesce", object_kind, exp.false()), "lr_is_object"),
                exp.alias_(exp.case().when(object_kind.copy(), element_keys), "lr_keys"),
                exp.alias_(exp.case().when(object_kind.copy(), exp.func(
                    "json_transform", element.copy(), lit(dumps({"type": "JSON", "at": "JSON"})))), "lr_pair"),
            ).from_(items.subquery("lr_items"))
            type_json = exp.Anonymous(this="struct_extract", expressions=[exp.column("lr_pair"), lit("type")])
            at_json = exp.Anonymous(this="struct_extract", expressions=[exp.column("lr_pair"), lit("at")])
            type_type = exp.func("json_type", type_json.copy())
            at_type = exp.func("json_type", at_json.copy())
            event_type = exp.func("json_extract_string", type_json.copy(), lit("$"))
            at: exp.Expr = exp.func("json_extract_string", at_json.copy(), lit("$"))
            declared_event = exp.and_(exp.EQ(this=type_type, expression=lit("VARCHAR")),
                                      event_type.copy().isin(*[d.copy() for d in declared]))
            ok = exp.and_(exp.EQ(this=at_type, expression=lit("VARCHAR")), matches(at.copy(), _STAMP),
                          exp.not_(self._stamp(at.copy()).is_(exp.null())))
            keys = exp.column("lr_keys")
            repeated_key = exp.and_(
                exp.not_(keys.copy().isin(_key_list("type", "at"), _key_list("at", "type"))),
                exp.NEQ(this=fn("len", keys.copy()), expression=fn("list_unique", keys.copy())),
            )
            # a repeated key: Python keeps the last value, DuckDB the first — the Python engine decides
            verdict = exp.case().when(exp.not_(exp.column("lr_is_object")), exp.false()) \
                .when(repeated_key, exp.false()) \
                .when(exp.not_(exp.func("coalesce", declared_event, exp.false())), exp.null()).else_(
                    exp.func("coalesce", ok, exp.false()))
            own = exp.select(
                exp.column("lr_record"),
                exp.alias_(num(0), "lr_source"),
                exp.column("lr_order"),
                exp.alias_(event_type, "lr_type"),
                exp.alias_(at, "lr_at"),
                exp.alias_(verdict, "lr_ok"),
            ).from_(elements.subquery("lr_elements"))
            parts.append(own)
        if self.with_events_file:
            at = col("lr_at", table="fe")
            ok = exp.and_(matches(at.copy(), _STAMP), exp.not_(self._stamp(at.copy()).is_(exp.null())))
            from_file = exp.select(
                exp.column("lr_record", table="c"),
                exp.alias_(num(1), "lr_source"),
                exp.column("lr_order", table="fe"),
                exp.column("lr_type", table="fe"),
                exp.column("lr_at", table="fe"),
                exp.alias_(exp.func("coalesce", ok, exp.false()), "lr_ok"),
            ).from_(exp.alias_(exp.to_table("lr_file_events"), "fe", table=True)).join(
                exp.alias_(exp.to_table("lr_checked"), "c", table=True),
                on=exp.EQ(this=exp.column("lr_key", table="c"), expression=exp.column("lr_key", table="fe")),
            )
            parts.append(from_file)
        if not parts:
            empty = exp.select(
                exp.alias_(exp.cast(exp.null(), "BIGINT"), "lr_record"),
                exp.alias_(exp.cast(exp.null(), "VARCHAR"), "lr_type"),
                exp.alias_(exp.cast(exp.null(), "VARCHAR"), "lr_at"),
                exp.alias_(exp.cast(exp.null(), "BOOLEAN"), "lr_ok"),
            ).where(exp.false())
            self.con.execute(create("lr_event_checks", empty))
        else:
            union: exp.Expr = parts[0]
            for part in parts[1:]:
                union = exp.union(union, part, distinct=False)
            self.con.execute(create("lr_event_checks", union))
        typed = exp.select(
            exp.column("lr_record"), exp.alias_(exp.column("lr_type"), "type"),
            exp.alias_(self._stamp(exp.column("lr_at")), "at"),
        ).from_("lr_event_checks").where(exp.column("lr_ok"))
        self.con.execute(create("lr_events", typed, kind="VIEW"))

    # -- evaluation and output


def accept_records(con: duckdb.DuckDBPyConnection, model: m.CheckedModel, leads: LoadedLeads,
                   with_events_file: bool) -> None:
    """Tables lr_checked (every record of lr_raw: accepted or not, typed values f0.. when it is),
    lr_event_checks and the view lr_events, over lr_raw and (`with_events_file`) lr_file_events."""
    _Acceptance(con, model, leads, with_events_file).create_tables()


def release_checked(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what `accept_records` created, whichever of its steps it reached."""
    names = ("lr_events", "lr_event_checks", "lr_checked", _CHECKED_ROWS)
    kinds = dict(con.execute(sql(
        exp.select(exp.column("table_name"), exp.column("table_type")).from_("information_schema.tables")
        .where(exp.column("table_name").isin(*[lit(name) for name in names]))
    )).fetchall())
    for name in names:
        if name in kinds:
            con.execute(sql(exp.Drop(tables=[exp.to_table(name)], kind="VIEW" if kinds[name] == "VIEW" else "TABLE")))


def _scale(type_name: str) -> int:
    inside = type_name[type_name.find("(") + 1 : type_name.find(")")]
    parts = inside.split(",")
    return int(parts[1]) if len(parts) == 2 else 0
