"""Hypothesis strategies for whole rulesets as TEXT, valid by construction and covering every
construct of sections 2, 3 and 9 of the spec, and for lead records (valid and invalid) to run
through them.

A ruleset declares a fixed pool of fields (each optional or required at random, integer and
number fields with or without a range), events, lists, conditions that may use each other,
scores with every rule form, bands, global and scoped disqualifiers, stages with criteria,
and routes (`route Disqualified:` included). Statements come in random order after the
`ruleset` header: a name may be used before it is defined. Names are kept acyclic by tiers:
early conditions read fields and earlier conditions; score s0 reads early conditions; s1 also
reads s0 and its band; late conditions, disqualifiers, criteria and routes read everything.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

TRICKY_TEXT = ["", "a", "ab", "abc", "O'Brien", 'say "hi"', "back\\slash", "DROP TABLE leads; --", "é😀",
               "%_", "x@Y.COM", "a@b@c.org", "Zürich", "tab\there", "line\nbreak"]
PATTERNS = ["", "a", "b", "c", ".com", ".io", "x", "%", "_", "'", "é", "@", "ab", "\\"]
EMAILS = ["pat@bigco.com", "pat@BigCo.COM", "a@b@x.io", "nobody", "q@", "@x.io", "ü@ÉX.com", "x@y.com",
          "sales@rival.io", "", "a@b@C.ORG"]
DOMAINS = ["bigco.com", "x.io", "rival.io", "c.org", "y.com", "éx.com", "", "BigCo.COM"]
CHOICES = ["student", "engineer", "manager", "vp", "Mgr"]
POINTS = ["+10", "-5", "+2.5", "+0.000001", "-30", "+100", "+1", "-0.5"]
CAPS = ["5", "12", "25", "0.5", "1000"]
LITERAL_NUMBERS = ["0", "1", "-3", "2.5", "10", "50", "100", "0.000001", "-0.5", "1000000"]
THRESHOLDS = ["0", "1", "2", "3", "10", "20", "30", "40", "50", "100", "2.5", "-5"]
# as_of - window may reach back a hundred years (the longest legal duration) in every unit
WINDOWS = [(1, "days"), (7, "days"), (30, "days"), (2, "weeks"), (24, "hours"), (36525, "days"),
           (5218, "weeks"), (876600, "hours"), (1, "hours")]
STAGE_LADDERS = [("Lead", "MQL", "SQL"), ("Lead", "MQL"), ("New", "Warm", "Hot", "Won")]
AS_OFS = [dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc),
          dt.datetime(2026, 11, 22, 10, 30, 15, 250000, tzinfo=dt.timezone.utc),
          dt.datetime(2000, 2, 29, 23, 59, 59, tzinfo=dt.timezone.utc)]


def lit(text: str) -> str:
    """A rule-file string literal (JSON escapes are a subset of the language's)."""
    return json.dumps(text, ensure_ascii=False)


def duration(window: tuple[int, str]) -> str:
    return f"{window[0]} {window[1]}"


@dataclass
class Shape:
    """What the generated ruleset declares, for generating expressions and leads that fit it."""

    optional: dict[str, bool]
    int_range: tuple[int, int] | None
    num_range: tuple[str, str] | None
    events: list[str]
    windows: list[tuple[int, str]] = field(default_factory=list)
    stages: tuple[str, ...] = ()
    band_labels: dict[str, list[str]] = field(default_factory=dict)


class Names:
    """The names an expression may use at its tier."""

    def __init__(self, conditions: list[str], scores: list[str], bands: list[str]) -> None:
        self.conditions = conditions
        self.scores = scores
        self.bands = bands


class Exprs:
    """Typed expression generators over one Shape."""

    def __init__(self, draw: st.DrawFn, shape: Shape) -> None:
        self.draw = draw
        self.shape = shape

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def window(self) -> str:
        if self.draw(st.integers(0, 2)) == 0:
            return ""
        w = self.pick(WINDOWS)
        self.shape.windows.append(w)
        return f" in last {duration(w)}"

    def event(self) -> str:
        return str(self.pick(self.shape.events))

    # ---- numbers
    def number(self, names: Names, depth: int = 0) -> str:
        kinds = ["literal", "field", "field", "count"] + (["score"] if names.scores else [])
        if depth < 2:
            kinds += ["sum", "sum", "scaled", "cancel"]
        kind = self.pick(kinds)
        if kind == "literal":
            return str(self.pick(LITERAL_NUMBERS))
        if kind == "field":
            return str(self.pick(["i", "n", "cnt"]))
        if kind == "count":
            return f"count({self.event()}{self.window()})"
        if kind == "score":
            return str(self.pick(names.scores))
        if kind == "sum":
            left, right = self.number(names, depth + 1), self.number(names, depth + 1)
            return f"{left} {self.pick(['+', '-'])} {right}"
        if kind == "scaled":
            factor = self.pick(["2", "0.5", "-1", "3"])
            operand = self.number(names, depth + 1)
            return self.pick([f"{factor} * ({operand})", f"({operand}) * {factor}"])
        # arithmetic whose terms cancel reads its fields all the same (section 9)
        x = self.pick(["i", "n", "cnt", f"count({self.event()})"] + names.scores)
        a = self.number(names, depth + 1)
        return self.pick([f"{x} - {x}", f"0 * {x}", f"{a} + {x} - {x}", f"-{x} + {x}", f"{x} * 0"])

    # ---- text
    def text_subject(self, names: Names) -> tuple[str, list[str]]:
        """A text expression and literals that suit it (a `one of` field only takes its values)."""
        kinds = ["t", "e", "domain", "c"] + (["band"] if names.bands else [])
        kind = self.pick(kinds)
        if kind == "t":
            return "t", TRICKY_TEXT
        if kind == "e":
            return "e", EMAILS
        if kind == "domain":
            return "e.domain", DOMAINS
        if kind == "c":
            return "c", CHOICES
        band = self.pick(names.bands)
        return band, self.shape.band_labels[band]

    def condition(self, names: Names, depth: int = 0) -> str:
        leaves = ["threshold", "threshold", "threshold", "num_compare", "num_compare", "text_compare", "in_text", "in_num", "text_test", "presence",
                  "has", "flag", "constant", "date", "stamp", "between", "list_name"]
        leaves += ["condition"] if names.conditions else []
        nodes = ["not", "and", "or"] if depth < 2 else []
        kind = self.pick(leaves + nodes + nodes)
        if kind == "threshold":
            # the usual shape of a rule, with thresholds that lead values and scores hit exactly
            subject = self.pick(["i", "n", "cnt", f"count({self.event()}{self.window()})"] + names.scores * 3)
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            return f"{subject} {op} {self.pick(THRESHOLDS)}"
        if kind == "num_compare":
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            return f"{self.number(names, 1)} {op} {self.number(names, 1)}"
        if kind == "text_compare":
            subject, values = self.text_subject(names)
            op = self.pick(["==", "!="])
            other = lit(self.pick(values))
            if subject == "t" and self.draw(st.booleans()):
                other = "e.domain"
            return self.pick([f"{subject} {op} {other}", f"{other} {op} {subject}"])
        if kind == "in_text":
            subject, values = self.text_subject(names)
            items = self.draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
            negated = self.pick(["in", "not in"])
            return f"{subject} {negated} [{', '.join(lit(v) for v in items)}]"
        if kind == "in_num":
            items = self.draw(st.lists(st.sampled_from(LITERAL_NUMBERS), min_size=1, max_size=3, unique=True))
            return f"{self.number(names, 1)} {self.pick(['in', 'not in'])} [{', '.join(items)}]"
        if kind == "list_name":
            choice = self.pick(["domains", "sizes", "roles"])
            if choice == "domains":
                return f"{self.pick(['e.domain', 't'])} {self.pick(['in', 'not in'])} domains"
            if choice == "sizes":
                return f"{self.number(names, 1)} {self.pick(['in', 'not in'])} sizes"
            return f"c {self.pick(['in', 'not in'])} roles"
        if kind == "text_test":
            subject = self.pick(["t", "e", "e.domain", "c"])
            op = self.pick(["starts with", "ends with", "contains"])
            return f"{subject} {op} {lit(self.pick(PATTERNS))}"
        if kind == "presence":
            subject = self.pick(["t", "e", "e.domain", "i", "n", "b", "d", "ts", "c", "cnt", "i - i", "n + cnt"]
                                + names.bands)
            return f"{subject} is {self.pick(['missing', 'present'])}"
        if kind == "has":
            return f"has {self.event()}{self.window()}"
        if kind == "flag":
            return str(self.pick(["b", "not b", "b == true", "b != false"]))
        if kind == "constant":
            return str(self.pick(["true", "false"]))
        if kind == "date":
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            day = lit(self.pick(["2026-01-01", "2025-12-31", "2026-11-21", "2000-02-29"]))
            return self.pick([f"d {op} {day}", f"d between {day} and \"2026-12-31\""])
        if kind == "stamp":
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            stamp = lit(self.pick(["2026-11-21T00:00:00Z", "2026-11-21", "2026-11-21 10:00",
                                   "2026-11-21T23:30:00-01:00", "2026-11-21T10:00:00.5+02:00",
                                   "2000-02-29T23:59:59Z"]))
            return f"ts {op} {stamp}"
        if kind == "between":
            low, high = sorted(self.draw(st.lists(st.sampled_from([-3, 0, 1, 10, 50, 100]), min_size=2,
                                                  max_size=2)))
            return f"{self.number(names, 1)} between {low} and {high}"
        if kind == "condition":
            return str(self.pick(names.conditions))
        if kind == "not":
            return f"not ({self.condition(names, depth + 1)})"
        operands = [self.condition(names, depth + 1) for _ in range(self.draw(st.integers(2, 3)))]
        return "(" + f" {kind} ".join(f"({o})" for o in operands) + ")"


def _score(x: Exprs, name: str, names: Names) -> list[str]:
    bounds = x.pick([None, "min 0", "max 50", "min 0, max 100", "max 40, min -10", "min 5"])
    lines = [f"score {name}" + (f" ({bounds})" if bounds else "") + ":"]
    for index in range(x.draw(st.integers(1, 5))):
        kind = x.pick(["if", "if", "event", "field"])
        label = f"r{index}: " if x.draw(st.integers(0, 3)) == 0 else ""
        points = x.pick(POINTS)
        cap = f" (max {x.pick(CAPS)})" if x.draw(st.booleans()) else ""
        if kind == "if":
            lines.append(f"    {label}{points} if {x.condition(names)}")
        elif kind == "event":
            lines.append(f"    {label}{points} per {x.event()}{x.window()}{cap}")
        else:
            lines.append(f"    {label}{points} per {x.pick(['cnt', 'i'])}{cap}")
    return lines


def _band(x: Exprs, name: str, score: str) -> list[str]:
    cuts = sorted(x.draw(st.lists(st.sampled_from([-10, 0, 5, 10, 20, 40, 60, 80, 100]), min_size=1, max_size=4,
                                  unique=True)))
    labels = ["A", "B", "C", "D", "E"]
    lines = [f"band {name} of {score}:"]
    open_low, open_high = x.draw(st.booleans()), x.draw(st.booleans())
    if open_low:
        lines.append(f"    {lit(labels[0])} to {cuts[0]}")
    for i, low in enumerate(cuts):
        high = f" to {cuts[i + 1]}" if i + 1 < len(cuts) else ""
        if high or open_high:
            lines.append(f"    {lit(labels[i + 1])} from {low}{high}")
    if len(lines) == 1:
        lines.append(f"    {lit(labels[1])} from {cuts[0]}")
    # conditions may name only labels the band has (LR004 otherwise)
    x.shape.band_labels[name] = [json.loads(line.split(" from ")[0].split(" to ")[0]) for line in lines[1:]]
    return lines


@dataclass(frozen=True)
class Generated:
    text: str
    shape: Shape


@st.composite
def rulesets(draw: st.DrawFn) -> Generated:
    """The text of a valid ruleset, and what it declares."""
    optional = {name: draw(st.integers(0, 3)) > 0 for name in ("t", "e", "i", "n", "b", "d", "ts", "c", "cnt")}
    int_range = draw(st.sampled_from([None, (0, 100), (-5, 20)]))
    num_range = draw(st.sampled_from([None, ("-10.5", "1000"), ("0", "0.000001")]))
    events = ["ev1", "ev2"] + (["ev3"] if draw(st.booleans()) else [])
    stages = draw(st.sampled_from(STAGE_LADDERS))
    shape = Shape(optional, int_range, num_range, events, stages=stages)
    x = Exprs(draw, shape)

    def opt(name: str) -> str:
        return " optional" if optional[name] else ""

    blocks: list[list[str]] = [
        [f"field t: text{opt('t')}"],
        [f"field e: email{opt('e')}"],
        [f"field i: integer{f' in {int_range[0]}..{int_range[1]}' if int_range else ''}{opt('i')}"],
        [f"field n: number{f' in {num_range[0]}..{num_range[1]}' if num_range else ''}{opt('n')}"],
        [f"field b: boolean{opt('b')}"],
        [f"field d: date{opt('d')}"],
        [f"field ts: timestamp{opt('ts')}"],
        [f"field c: one of [{', '.join(lit(c) for c in CHOICES)}]{opt('c')}"],
        [f"field cnt: integer{opt('cnt')}"],
        *[[f"event {e}"] for e in events],
        ['list domains = ["rival.io", "x.io", "bigco.com", "éx.com"]'],
        ["list sizes = [0, 1, 10, 2.5, -3]"],
        ['list roles = ["vp", "student"]'],
    ]
    early: list[str] = []
    for i in range(draw(st.integers(0, 2))):
        blocks.append([f"condition early{i} = {x.condition(Names(list(early), [], []))}"])
        early.append(f"early{i}")
    scores: list[str] = []
    bands: list[str] = []
    for i in range(draw(st.integers(0, 2))):
        blocks.append(_score(x, f"s{i}", Names(early, list(scores), list(bands))))
        scores.append(f"s{i}")
        if draw(st.booleans()):
            blocks.append(_band(x, f"g{i}", f"s{i}"))
            bands.append(f"g{i}")
    late = list(early)
    for i in range(draw(st.integers(0, 2))):
        blocks.append([f"condition late{i} = {x.condition(Names(late, scores, bands))}"])
        late.append(f"late{i}")
    everything = Names(late, scores, bands)
    for i in range(draw(st.integers(0, 3))):
        reason = f" {lit(x.pick(TRICKY_TEXT))}" if draw(st.booleans()) else ""
        at = f" at {x.pick(list(stages[1:]))}" if draw(st.booleans()) else ""
        blocks.append([f"disqualify dq{i}{reason}{at} if {x.condition(everything)}"])
    blocks.append([f"stages {' -> '.join(stages)}"])
    if draw(st.booleans()):
        blocks.append([f"handoff {x.pick(list(stages[1:]))}"])
    for stage in stages[1:]:
        if draw(st.integers(0, 4)) > 0:
            blocks.append([f"stage {stage} if {x.condition(everything)}"])
    for stage in list(stages) + ["Disqualified"]:
        if draw(st.booleans()):
            lines = [f"route {stage}:"]
            for _ in range(draw(st.integers(0, 2))):
                lines.append(f"    to {lit(x.pick(TRICKY_TEXT[1:]))} if {x.condition(everything)}")
            if draw(st.booleans()) or len(lines) == 1:
                lines.append(f"    otherwise to \"rest-{stage}\"")
            blocks.append(lines)
    order = draw(st.permutations(range(len(blocks))))
    body = [line for index in order for line in blocks[index]]
    header = ['ruleset "campaign" version "1"']
    return Generated("\n".join(header + body) + "\n", shape)


# ---- leads -----------------------------------------------------------------------------------


def json_text(value: Any) -> str:
    """JSON text with Decimals written as given (exponents and trailing zeros kept)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _stamp(instant: dt.datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S" + (".%f" if instant.microsecond else "") + "Z")


VALID_VALUES: dict[str, list[Any]] = {
    "t": TRICKY_TEXT,
    "e": EMAILS,
    "i": [0, 1, 10, 20, 50, 100, -5, Decimal("50.0"), Decimal("1E+1"), 3],
    "n": [0, 3, -1, Decimal("2.5"), Decimal("-0.25"), Decimal("0.000001"), Decimal("123456789.123456"), 10**20,
          Decimal("-10.5"), 1000],
    "b": [True, False],
    "d": ["2026-01-01", "2025-12-31", "2026-11-21", "2000-02-29", "2026-12-31"],
    "ts": ["2026-11-21T00:00:00Z", "2026-11-21", "2026-11-21 10:00", "2026-11-21T23:30:00-01:00",
           "2026-11-21T10:00:00.5+02:00", "2000-02-29T23:59:59Z", "2026-11-22T00:00:00Z", "2026-11-20T23:59:59.999999Z"],
    "c": CHOICES,
    "cnt": [0, 1, 3, -4, 1000, Decimal("7.0"), 10**25],
}
INVALID_VALUES: dict[str, list[Any]] = {
    "t": [5, True, ["a"]],
    "e": [1, False],
    "i": [Decimal("2.5"), "7", True, 101, -6, 10**9],
    "n": ["3", True, Decimal("1000.5"), -11],
    "b": ["yes", 1, "true"],
    "d": ["2026-02-30", "2026-1-1", "x", "2026-11-21T00:00:00Z", 20261121],
    "ts": ["2026-11-21T10", "2026-11-21T10:00:00+0100", "2026-11-21t10:00z", "2026-11-21T24:00", "yesterday", 5,
           "2026-11-21T10:00:00.1234567Z"],
    "c": ["Student", "VP", "", 1],
    "cnt": [Decimal("1.5"), "3", True],
}


def _valid_values(shape: Shape, name: str) -> list[Any]:
    """Values the field takes (inside its range), with its range's ends among them."""
    bounds: tuple[Decimal, Decimal] | None = None
    if name == "i" and shape.int_range is not None:
        bounds = (Decimal(shape.int_range[0]), Decimal(shape.int_range[1]))
    if name == "n" and shape.num_range is not None:
        bounds = (Decimal(shape.num_range[0]), Decimal(shape.num_range[1]))
    if bounds is None:
        return VALID_VALUES[name]
    inside = [v for v in VALID_VALUES[name] if bounds[0] <= Decimal(v) <= bounds[1]]
    return inside + [bounds[0], bounds[1]]


@st.composite
def leads(draw: st.DrawFn, shape: Shape, as_of: dt.datetime) -> Any:
    """A lead record: mostly valid, with missing values, events on window edges and, now and
    then, an invalid value, a malformed event or a record that is not an object."""
    if draw(st.integers(0, 80)) == 0:
        return draw(st.sampled_from([[1, 2], "lead", 7, None]))
    lead: dict[str, Any] = {}
    if draw(st.booleans()):
        lead["id"] = draw(st.sampled_from(["L1", 7, "quote\"d", "ünï", None, Decimal("7.50"), "a b"]))
    invalid = draw(st.integers(0, 9)) == 0
    for name in ("t", "e", "i", "n", "b", "d", "ts", "c", "cnt"):
        presence = draw(st.integers(0, 5))
        if presence == 0 and (shape.optional[name] or invalid):
            continue  # absent
        if presence == 1 and (shape.optional[name] or invalid):
            lead[name] = None
            continue
        if invalid and draw(st.integers(0, 4)) == 0:
            lead[name] = draw(st.sampled_from(INVALID_VALUES[name]))
        else:
            lead[name] = draw(st.sampled_from(_valid_values(shape, name)))
    if draw(st.integers(0, 3)) > 0:
        edges = [dt.timedelta(0), dt.timedelta(seconds=1), -dt.timedelta(microseconds=1), -dt.timedelta(days=400),
                 -dt.timedelta(days=40000)]
        for amount, unit in shape.windows:
            length = dt.timedelta(**{unit: amount})
            edges += [-length, -length + dt.timedelta(microseconds=1), -length - dt.timedelta(seconds=1)]
        count = draw(st.integers(0, 6))
        events: list[Any] = []
        for _ in range(count):
            kind = draw(st.sampled_from(shape.events + ["other"]))
            at_choice = draw(st.integers(0, 30))
            if at_choice == 0:
                events.append({"type": kind, "at": draw(st.sampled_from(["bad", "2026-11-21T10", None, 5]))})
            elif at_choice == 1:
                events.append({"type": kind})
            elif at_choice == 2:
                events.append({"type": kind, "at": draw(st.sampled_from(["2026-11-21", "2026-11-21 23:00",
                                                                        "2026-11-22T01:00:00+01:00"]))})
            else:
                events.append({"type": kind, "at": _stamp(as_of + draw(st.sampled_from(edges)))})
        if draw(st.integers(0, 30)) == 0:
            events.append(draw(st.sampled_from([5, "ev1", None])))
        lead["events"] = events
        if draw(st.integers(0, 40)) == 0:
            lead["events"] = draw(st.sampled_from(["ev1", 5, {"type": "ev1"}]))
    return lead
