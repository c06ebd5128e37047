"""Witnesses as `test` blocks of a `tests for "<ruleset>"` file, so a finding becomes a
regression test: each block pins what the ruleset does with the witness today.

The text is in the canonical layout of `leadrules fmt` (long `lead {...}` literals wrapped),
so an emitted file passes `fmt --check` as written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadrules import model as m
from leadrules.diagnostics import Diagnostic
from leadrules.engine.python import compile_model
from leadrules.io.fmt import format_module
from leadrules.jsontext import dumps
from leadrules.source import SourceFile
from leadrules.syntax import parse
from leadrules.values import parse_timestamp

__all__ = ["emit_tests", "rule_string"]


def rule_string(text: str) -> str:
    """A rule-language string literal: only the escapes the lexer knows."""
    out = ['"']
    for char in text:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _json(value: Any) -> str:
    """JSON in rule syntax: strings through `rule_string`, numbers exact."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{rule_string(str(k))}: {_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    if isinstance(value, str):
        return rule_string(value)
    return dumps(value)


def emit_tests(model: m.CheckedModel, diagnostics: Sequence[Diagnostic], ruleset_path: str) -> str:
    """The text of a tests file with one `test` block per finding that has a witness.
    Expectations are the evaluated outcome: stage, route, and every score and band."""
    lines = [f"tests for {rule_string(ruleset_path)}", ""]
    names: set[str] = set()
    evaluator = compile_model(model)
    for d in diagnostics:
        if d.witness is None or d.code == "LR901":
            continue
        as_of = parse_timestamp(d.witness.as_of)
        assert as_of is not None
        record = evaluator.evaluate(d.witness.lead, as_of)
        if "error" in record:
            continue  # reported as LR901 already; a test of an invalid lead pins nothing
        name = f"{d.code} line {d.span.line}: {d.message}"
        base, n = name, 2
        while name in names:
            name, n = f"{base} ({n})", n + 1
        names.add(name)
        lines.append(f"test {rule_string(name)}:")
        lines.append(f"    as of {rule_string(d.witness.as_of)}")
        lines.append(f"    lead {_json(d.witness.lead)}")
        lines.append(f"    expect stage == {_json(record['stage'])}")
        lines.append(f"    expect route == {_json(record['route']) if record['route'] is not None else 'null'}")
        for score, value in record["scores"].items():
            lines.append(f"    expect {score} == {dumps(value)}")
        for band, label in record["bands"].items():
            lines.append(f"    expect {band} == {_json(label) if label is not None else 'null'}")
        lines.append("")
    text = "\n".join(lines)
    source = SourceFile(ruleset_path, text)
    module, problems = parse(source)
    # the text is built from escaped literals only, so it always parses
    assert module is not None, problems
    return format_module(module, source)
