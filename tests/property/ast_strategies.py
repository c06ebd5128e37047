"""Hypothesis strategies for random ASTs in the shapes the parser produces, and span-free comparison."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from leadrules.io.export_ast import ast_to_data
from leadrules.source import Span
from leadrules.syntax import ast
from leadrules.syntax.transform import RESERVED_WORDS

SPAN = Span("gen.rules", 1, 1, 1, 1)


def strip_spans(value: Any) -> Any:
    """The AST as plain data without any span, for comparing trees that were laid out differently."""
    data = ast_to_data(value)
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            item.pop("span", None)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return data


names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(lambda n: n not in RESERVED_WORDS)
idents = names.map(lambda n: ast.Ident(SPAN, n))
# rule strings hold no NUL (LR001: it cannot travel into SQL text); surrogates are never drawn
texts = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12)
strings = texts.map(lambda t: ast.String(SPAN, t))


@st.composite
def decimals(draw: st.DrawFn, signed: bool = True) -> Decimal:
    whole = draw(st.integers(min_value=-10**7 if signed else 0, max_value=10**7))
    places = draw(st.integers(min_value=0, max_value=6))
    return Decimal(whole).scaleb(-places)


numbers = decimals().map(lambda d: ast.Number(SPAN, d))
unsigned_numbers = decimals(signed=False).map(lambda d: ast.Number(SPAN, d))
durations = st.builds(
    lambda amount, unit: ast.Duration(SPAN, amount, unit),
    st.integers(min_value=0, max_value=400),
    st.sampled_from(["days", "weeks", "hours"]),
)
windows = st.none() | durations
list_literals = st.lists(strings | numbers, max_size=4).map(lambda items: ast.ListLiteral(SPAN, tuple(items)))
list_refs = names.map(lambda n: ast.ListName(SPAN, n)) | list_literals

leaves = st.one_of(
    numbers,
    strings,
    st.booleans().map(lambda b: ast.Bool(SPAN, b)),
    names.map(lambda n: ast.NameRef(SPAN, n)),
    st.builds(lambda base, attr: ast.Attribute(SPAN, ast.NameRef(SPAN, base), attr), names, idents),
    st.builds(lambda event, window: ast.HasEvent(SPAN, event, window), idents, windows),
    st.builds(lambda event, window: ast.CountEvent(SPAN, event, window), idents, windows),
)


def _negate(operand: ast.Expr) -> ast.Expr:
    # the parser folds a minus sign into a number literal, so Negate never wraps a Number
    if isinstance(operand, ast.Number):
        return ast.Number(SPAN, -operand.value)
    return ast.Negate(SPAN, operand)


def _extend(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    two_or_more = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        two_or_more.map(lambda ops: ast.Or(SPAN, ops)),
        two_or_more.map(lambda ops: ast.And(SPAN, ops)),
        children.map(lambda op: ast.Not(SPAN, op)),
        st.builds(lambda op, a, b: ast.Compare(SPAN, op, a, b),
                  st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children, children),
        st.builds(lambda s, lo, hi: ast.Between(SPAN, s, lo, hi), children, children, children),
        st.builds(lambda s, items, neg: ast.InList(SPAN, s, items, neg), children, list_refs, st.booleans()),
        st.builds(lambda op, s, p: ast.TextTest(SPAN, op, s, p),
                  st.sampled_from(["starts with", "ends with", "contains"]), children, children),
        st.builds(lambda s, present: ast.Presence(SPAN, s, present), children, st.booleans()),
        st.builds(
            lambda terms, signs: ast.Sum(SPAN, terms, (1, *signs[: len(terms) - 1])),
            two_or_more, st.lists(st.sampled_from([1, -1]), min_size=2, max_size=2),
        ),
        two_or_more.map(lambda fs: ast.Product(SPAN, fs)),
        children.map(_negate),
    )


expressions = st.recursive(leaves, _extend, max_leaves=12)

field_types = st.one_of(
    st.builds(lambda kind: ast.FieldType(SPAN, kind), names),
    st.builds(lambda kind, lo, hi: ast.FieldType(SPAN, kind, (), lo, hi), names, numbers, numbers),
    st.lists(strings, max_size=4).map(lambda cs: ast.FieldType(SPAN, "choice", tuple(cs))),
)

json_scalars = st.one_of(
    st.none(), st.booleans(), texts, st.integers(min_value=-10**9, max_value=10**9),
    st.builds(lambda d: d if d.as_tuple().exponent < 0 else d.scaleb(-1).quantize(Decimal("0.1")), decimals()),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(texts, json_values, max_size=4)

if_rules = st.builds(lambda label, points, cond: ast.IfRule(SPAN, label, points, cond),
                     st.none() | idents, decimals(), expressions)
per_rules = st.builds(lambda label, points, source, window, cap: ast.PerRule(SPAN, label, points, source, window, cap),
                      st.none() | idents, decimals(), idents, windows, st.none() | decimals(signed=False))


@st.composite
def score_decls(draw: st.DrawFn) -> ast.ScoreDecl:
    keys = draw(st.lists(st.sampled_from(["min", "max"]), unique=True, max_size=2))
    values = {key: draw(numbers) for key in keys}
    rules = tuple(draw(st.lists(if_rules | per_rules, min_size=1, max_size=3)))
    return ast.ScoreDecl(SPAN, draw(idents), values.get("min"), values.get("max"), rules, tuple(keys))


band_entries = st.builds(lambda label, lo, hi: ast.BandEntry(SPAN, label, lo, hi),
                         strings, st.none() | numbers, st.none() | numbers)
route_entries = st.builds(lambda target, cond: ast.RouteEntry(SPAN, target, cond), strings, st.none() | expressions)
crm_entries = st.builds(lambda stage, value: ast.CrmEntry(SPAN, stage, value), idents, strings)
test_items = st.one_of(
    strings.map(lambda s: ast.AsOf(SPAN, s)),
    json_objects.map(lambda v: ast.LeadLiteral(SPAN, v)),
    st.builds(lambda key, value: ast.Expect(SPAN, key, value), idents, json_values),
)

statements = st.one_of(
    st.builds(lambda n, v: ast.RulesetDecl(SPAN, n, v), strings, strings),
    strings.map(lambda s: ast.TestsFor(SPAN, s)),
    strings.map(lambda s: ast.Owner(SPAN, s)),
    strings.map(lambda s: ast.Description(SPAN, s)),
    st.builds(lambda n, t, o: ast.FieldDecl(SPAN, n, t, o), idents, field_types, st.booleans()),
    idents.map(lambda n: ast.EventDecl(SPAN, n)),
    st.builds(lambda n, items: ast.ListDecl(SPAN, n, items), idents, list_literals),
    st.builds(lambda n, c: ast.ConditionDecl(SPAN, n, c), idents, expressions),
    score_decls(),
    st.builds(lambda n, s, es: ast.BandDecl(SPAN, n, s, tuple(es)), idents, idents,
              st.lists(band_entries, min_size=1, max_size=3)),
    st.builds(lambda code, reason, at, c: ast.Disqualify(SPAN, code, reason, at, c),
              idents, st.none() | strings, st.none() | idents, expressions),
    st.lists(idents, min_size=2, max_size=4).map(lambda ns: ast.StagesDecl(SPAN, tuple(ns))),
    idents.map(lambda n: ast.Handoff(SPAN, n)),
    st.builds(lambda n, c: ast.StageCriterion(SPAN, n, c), idents, expressions),
    st.builds(lambda n, es: ast.RouteDecl(SPAN, n, tuple(es)), idents, st.lists(route_entries, min_size=1, max_size=3)),
    st.builds(lambda n, p, es: ast.CrmDecl(SPAN, n, p, tuple(es)), idents, strings,
              st.lists(crm_entries, min_size=1, max_size=4)),
    st.builds(lambda n, items: ast.TestDecl(SPAN, n, tuple(items)), strings,
              st.lists(test_items, min_size=1, max_size=4)),
)

modules = st.lists(statements, max_size=6).map(lambda ss: ast.Module(SPAN, tuple(ss), ()))
