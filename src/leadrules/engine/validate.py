"""Lead validation: the single place that turns a raw JSON lead into typed values.

`validate(model, lead, record)` returns `(ValidLead, None)` or `(None, error_record)`.
Integer fields become `int`; number fields stay `int` when given one and become `Decimal`
otherwise (a float at its shortest repr); dates `datetime.date`, timestamps aware UTC
`datetime`; events are
`(type, at)` pairs of declared types only (events after as-of are kept: the engine decides).
Error records follow section 5 of the language spec; `field` names the first invalid field in
declaration order, then `"events"`. The SQL engine reuses this module, so it imports nothing
from the Python evaluator.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

from leadrules import model as m
from leadrules import values
from leadrules.fieldkinds import KINDS
from leadrules.jsontext import dumps
from leadrules.records import CheckedCsvRecord, TypedIdRecord, Unparsable, UnreadableRow
from leadrules.values import format_number

__all__ = [
    "ValidLead", "Validator", "validate", "validator_for", "parse_lead_timestamp", "parse_lead_date",
    "error_record", "expected_text", "Unparsable", "UnreadableRow", "TypedIdRecord", "TIMESTAMP_PATTERN",
    "DATE_SHAPE",
]

UTC = dt.timezone.utc

# Timestamps and dates: the one grammar of leadrules.values (leads, events, --as-of, rule files)
TIMESTAMP_PATTERN = values.TIMESTAMP_PATTERN
DATE_SHAPE = values.DATE_PATTERN
_FOUND_LIMIT = 80
# the usual `…T10:00:00Z`, which the generated fast path reads without the full grammar
_common_timestamp = values.is_plain_timestamp
_from_common = values.from_plain_timestamp
parse_lead_timestamp = values.parse_timestamp
parse_lead_date = values.parse_date  # `YYYY-MM-DD` → date, or None




class ValidLead(NamedTuple):
    """A validated lead: field values in declaration order (None = missing) and its events."""

    id: Any
    record: int
    values: tuple[Any, ...]
    events: tuple[tuple[str, dt.datetime], ...]


def expected_text(fld: m.Field) -> str:
    """What a field takes, in the words of error messages."""
    record = KINDS[fld.kind]
    if record.acceptance == "choice":
        return "one of " + ", ".join(dumps(c) for c in fld.choices)
    if record.ranged and fld.low is not None and fld.high is not None:
        return f"{record.expected} in {format_number(fld.low)}..{format_number(fld.high)}"
    return record.expected


def _found(value: Any) -> str:
    text = dumps(value)
    if len(text) > _FOUND_LIMIT and value.__class__ is Decimal:
        # `1e400` printed plainly is 401 digits: show the digits and exponent it was written with
        text = str(value).replace("E+", "e").replace("E", "e")
    return text if len(text) <= _FOUND_LIMIT else text[: _FOUND_LIMIT - 3] + "..."


def _kind_of_json(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__


def error_record(lead_id: Any, record: int, field: str | None, message: str) -> dict[str, Any]:
    """The output record of an invalid input record."""
    return {"id": lead_id, "error": {"record": record, "field": field, "message": message}}


# field kinds as small ints for the validation loop
_TEXT, _CHOICE, _INTEGER, _NUMBER, _BOOLEAN, _DATE_KIND, _TIMESTAMP_KIND = range(7)
_KIND_CODES = {  # by how a kind accepts values (fieldkinds.FieldKind.acceptance)
    "text": _TEXT, "choice": _CHOICE, "integer": _INTEGER, "number": _NUMBER,
    "boolean": _BOOLEAN, "date": _DATE_KIND, "timestamp": _TIMESTAMP_KIND,
}
_EVENTS_EXPECTED = 'expected a list of {"type": ..., "at": ...} objects'


def _number_value(value: Any) -> Decimal | None:
    """A JSON number as a finite Decimal; None for anything else (booleans included)."""
    cls = value.__class__
    if cls is int:
        return Decimal(value)
    if cls is Decimal:
        return value if value.is_finite() else None
    if cls is float:
        return Decimal(repr(value)) if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(int(value))
    return None


class Validator:
    """Validation specialised to one model: a flat table of field checks."""

    __slots__ = ("model", "_specs", "_events", "_fast", "_fast_run")

    def __init__(self, model: m.CheckedModel) -> None:
        self.model = model
        specs = []
        for name, fld in model.fields.items():
            extra: Any = None
            accepted = KINDS[fld.kind].acceptance
            if accepted == "choice":
                extra = frozenset(fld.choices)
            elif fld.low is not None and fld.high is not None:
                extra = (fld.low, fld.high)
            specs.append((name, _KIND_CODES[accepted], not fld.optional, extra, fld))
        self._specs = tuple(specs)
        # declared event names mapped to the model's own string objects
        self._events = {name: name for name in model.events}
        self._fast, self._fast_run = _fast_path(model, self._events)

    @property
    def fast(self) -> Callable[[dict[str, Any], int], ValidLead | None]:
        """The fast path alone, for loops over many leads: the ValidLead of a plain `dict` in
        the common shape of a valid lead, or None when the lead needs the full call (which also
        writes the error record of an invalid one)."""
        fast: Callable[[dict[str, Any], int], ValidLead | None] = self._fast
        return fast

    @property
    def fast_run(self) -> Callable[[dict[str, Any], int, dt.datetime | None, Callable[..., Any]], Any]:
        """The fast path handing a valid lead straight to evaluation: `fast_run(lead, record,
        as_of, run)` is `run(lead_id, v0, v1, ..., events, as_of)` for the lead `fast` accepts
        (its ValidLead's id, values and events), None for any other."""
        fast_run: Callable[[dict[str, Any], int, dt.datetime | None, Callable[..., Any]], Any] = self._fast_run
        return fast_run

    def __call__(self, lead: Any, record: int) -> tuple[ValidLead | None, dict[str, Any] | None]:
        if lead.__class__ is dict:
            valid = self._fast(lead, record)
            if valid is not None:
                return valid, None
        elif lead.__class__ is CheckedCsvRecord and lead.checked_for is self.model:
            lead_id = lead.get("id")
            return ValidLead(record if lead_id is None else lead_id, record, lead.field_values, ()), None
        elif lead.__class__ is TypedIdRecord:
            valid, error = self.check(lead, record)
            if valid is not None:
                return valid._replace(id=lead.shown_id), None
            return None, None if error is None else {**error, "id": lead.shown_id}
        return self.check(lead, record)

    def check(self, lead: Any, record: int) -> tuple[ValidLead | None, dict[str, Any] | None]:
        """The general path: any input, and the error record of an invalid one."""
        if not isinstance(lead, Mapping):
            if isinstance(lead, Unparsable):
                return None, error_record(record, record, None, f"not a JSON object: {lead.problem}")
            if isinstance(lead, UnreadableRow):
                return None, error_record(record, record, None, lead.message)
            return None, error_record(record, record, None, f"expected a JSON object, found {_kind_of_json(lead)}")
        get = lead.get
        lead_id = get("id")
        if lead_id is None:
            lead_id = record
        values: list[Any] = []
        append = values.append
        for name, kind, required, extra, fld in self._specs:
            value = get(name)
            if value is None:
                if required:
                    return None, error_record(lead_id, record, name, f"{name}: required, found nothing")
                append(None)
                continue
            cls = value.__class__
            converted: Any = None
            if kind == _TEXT:
                if cls is str:
                    converted = value
            elif kind == _CHOICE:
                if cls is str and value in extra:
                    converted = value
            elif kind == _INTEGER:
                number = _number_value(value)
                if number is not None and number == number.to_integral_value():
                    converted = value if cls is int else int(number)
                    if extra is not None and not (extra[0] <= converted <= extra[1]):
                        converted = None
            elif kind == _NUMBER:
                converted = value if cls is int else _number_value(value)
                if converted is not None and extra is not None and not (extra[0] <= converted <= extra[1]):
                    converted = None
            elif kind == _BOOLEAN:
                if cls is bool:
                    converted = value
            elif kind == _DATE_KIND:
                if cls is str:
                    converted = parse_lead_date(value)
            elif cls is str:  # timestamp
                converted = parse_lead_timestamp(value)
            if converted is None:
                return None, error_record(
                    lead_id, record, name, f"{name}: expected {expected_text(fld)}, found {_found(value)}"
                )
            append(converted)
        raw_events = get("events")
        events: tuple[tuple[str, dt.datetime], ...] = ()
        if raw_events is not None:
            if not isinstance(raw_events, (list, tuple)):
                return None, error_record(lead_id, record, "events", f"events: {_EVENTS_EXPECTED}, found {_found(raw_events)}")
            declared = self._events
            kept = []
            for index, event in enumerate(raw_events):
                if not isinstance(event, Mapping):
                    return None, error_record(
                        lead_id, record, "events",
                        f"events: {_EVENTS_EXPECTED}, found {_found(event)} at events[{index}]",
                    )
                kind_name = event.get("type")
                event_name = declared.get(kind_name) if kind_name.__class__ is str else None
                if event_name is None:
                    continue  # undeclared types are ignored
                at = event.get("at")
                stamp = parse_lead_timestamp(at) if at.__class__ is str else None
                if stamp is None:
                    shown = "nothing" if at is None else _found(at)
                    return None, error_record(
                        lead_id, record, "events", f"events[{index}].at: expected a timestamp (ISO 8601), found {shown}"
                    )
                kept.append((event_name, stamp))
            events = tuple(kept)
        return ValidLead(lead_id, record, tuple(values), events), None


# Every integer up to 2**53 in magnitude is a float exactly, with itself as its shortest repr.
_EXACT_FLOAT_INTEGERS = float(2**53)


def _bound(value: Decimal) -> int | Decimal:
    """A field's bound as the generated checks compare it: a whole one as an int (an int
    compared with an int is several times cheaper than with a Decimal; the result is the same)."""
    return int(value) if value == value.to_integral_value() else value


def _fast_path(model: m.CheckedModel, declared: dict[str, str]) -> tuple[Any, Any]:
    """A function specialised to the model that accepts the common shape of a valid lead (a
    dict, JSON ints for integers, ...) and returns its ValidLead, or None to fall back to the
    general path (which also writes the error record); and the same checks as `fast_run`
    (see `Validator.fast_run`). Field names and bounds enter the generated source only as
    constants `k0, k1, ...`."""
    constants: list[Any] = [Decimal, ValidLead, parse_lead_date, parse_lead_timestamp, declared,
                            _common_timestamp, _from_common, tuple.__new__]
    lines = ["def build(K):", "", "    def fast(lead, record):"]

    def const(value: Any) -> str:
        constants.append(value)
        return f"k{len(constants) - 1}"

    def emit(text: str) -> None:
        lines.append("        " + text)

    targets = "".join(f"v{index}, " for index in range(len(model.fields)))
    required = [(index, name) for index, (name, fld) in enumerate(model.fields.items()) if not fld.optional]
    optional = [(index, name) for index, (name, fld) in enumerate(model.fields.items()) if fld.optional]
    if required:
        # the required fields in one C call; one missing makes the lead invalid, which the
        # general path reports
        emit("try:")
        if len(required) > 1:
            emit(f"    ({''.join(f'v{index}, ' for index, _ in required)}) = "
                 f"{const(itemgetter(*(name for _, name in required)))}(lead)")
        else:
            emit(f"    v{required[0][0]} = lead[{const(required[0][1])}]")
        emit("except KeyError:")
        emit("    return None")
    if optional:
        emit("get = lead.get")
        for index, name in optional:
            emit(f"v{index} = get({const(name)})")
    for index, fld in enumerate(model.fields.values()):
        v = f"v{index}"
        check: list[str] = []
        accepted = KINDS[fld.kind].acceptance
        if accepted == "text":
            check = [f"if {v}.__class__ is not str:", "    return None"]
        elif accepted == "choice":
            check = [f"if {v}.__class__ is not str or {v} not in {const(frozenset(fld.choices))}:", "    return None"]
        elif accepted == "boolean":
            check = [f"if {v}.__class__ is not bool:", "    return None"]
        elif accepted in ("integer", "number"):
            bounded = fld.low is not None and fld.high is not None
            in_range = (f"    if not {const(_bound(fld.low))} <= {v} <= {const(_bound(fld.high))}:"  # type: ignore[arg-type]
                        if bounded else "")
            # a JSON int stays the int (exact, and int arithmetic in the evaluator is about
            # twice as cheap as Decimal's; every output prints the two alike)
            check = [f"if {v}.__class__ is int:"]
            check += [in_range, "        return None"] if bounded else ["    pass"]
            if accepted == "number":
                check += [f"elif {v}.__class__ is Decimal and {v}.is_finite():"]
                check += [in_range, "        return None"] if bounded else ["    pass"]
                # a float (what json.loads gives) at its shortest repr, as the general path
                # takes it; `x - x` is not 0.0 for NaN and the infinities
                check += [f"elif {v}.__class__ is float and {v} - {v} == 0.0:", f"    {v} = Decimal(repr({v}))"]
            else:
                # an integral float: below 2**53 its value and its shortest repr are the same
                # integer; a larger one takes the general path (which reads the repr)
                check += [f"elif {v}.__class__ is float and {v}.is_integer() and -{_EXACT_FLOAT_INTEGERS!r} <= {v}"
                          f" <= {_EXACT_FLOAT_INTEGERS!r}:", f"    {v} = int({v})"]
            if bounded:
                # a float is range-checked as the number it became
                check += [in_range, "        return None"]
            check += ["else:", "    return None"]
        else:
            parse = "parse_date" if accepted == "date" else "parse_ts"
            check = [f"{v} = {parse}({v}) if {v}.__class__ is str else None", f"if {v} is None:", "    return None"]
        if fld.optional:
            emit(f"if {v} is not None:")
            for text in check:
                emit("    " + text)
        else:
            # None (missing) fails every check above: its class is neither of the accepted ones
            for text in check:
                emit(text)
    emit('raw = lead.get("events")')
    emit("if raw is None:")
    emit("    events = ()")
    emit("elif raw.__class__ is list:")
    emit("    kept = []")
    emit("    for event in raw:")
    emit("        if event.__class__ is not dict:")
    emit("            return None")
    emit('        kind = event.get("type")')
    emit("        if kind.__class__ is not str:")
    emit("            continue")
    emit("        kind = declared.get(kind)")
    emit("        if kind is None:")
    emit("            continue")
    emit('        at = event.get("at")')
    emit("        if at.__class__ is not str:")
    emit("            return None")
    emit("        if len(at) == 20 and common(at):")
    emit("            try:")
    emit("                at = from_common(at)")
    emit("            except ValueError:")
    emit("                return None")
    emit("        else:")
    emit("            at = parse_ts(at)")
    emit("            if at is None:")
    emit("                return None")
    emit("        kept.append((kind, at))")
    emit("    events = tuple(kept)")
    emit("else:")
    emit("    return None")
    emit('lead_id = lead.get("id")')
    emit("if lead_id is None:")
    emit("    lead_id = record")
    body = lines[3:]
    # the tuple built directly: ValidLead(...) would run the named tuple's Python-level __new__
    emit(f"return tuple_new(ValidLead, (lead_id, record, ({targets}), events))")
    # the same checks, handing the values to `run` (the evaluator's `evaluate_fields`) as
    # arguments: no tuple of values, no ValidLead, one call less per lead
    lines.append("    def fast_run(lead, record, as_of, run):")
    lines.extend(body)
    emit(f"return run(lead_id, {targets}events, as_of)")
    lines.append("    return fast, fast_run")
    unpacked = ", ".join(["Decimal", "ValidLead", "parse_date", "parse_ts", "declared", "common", "from_common",
                          "tuple_new"] + [f"k{i}" for i in range(8, len(constants))])
    lines[1] = f"    ({unpacked},) = K"
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", f"<leadrules validate {model.name}>", "exec"), namespace)  # generated above, once per model
    functions: tuple[Any, Any] = namespace["build"](tuple(constants))
    return functions


_CACHE: OrderedDict[int, Validator] = OrderedDict()
_CACHE_SIZE = 16


def validator_for(model: m.CheckedModel) -> Validator:
    """The validator of a model, built once (a small identity-keyed LRU cache)."""
    key = id(model)
    found = _CACHE.get(key)
    if found is not None and found.model is model:
        _CACHE.move_to_end(key)
        return found
    built = Validator(model)
    _CACHE[key] = built
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return built


def validate(model: m.CheckedModel, lead: Any, record: int) -> tuple[ValidLead | None, dict[str, Any] | None]:
    """Validate one raw lead (any JSON value) as the `record`-th input record (1-based)."""
    return validator_for(model)(lead, record)
