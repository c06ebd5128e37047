"""The LALR parser's tables, built once from the grammar and shipped as `parser_tables.bin`.

Building the tables from the grammar takes about 0.1 s (more on a busy machine), a third of a
short `leadrules eval`; loading them takes about a tenth of that. The file records the SHA-256
of the grammar text and the Lark version it was built with: when either differs (the grammar
was edited, Lark upgraded) or the file cannot be read, the parser is built from the grammar as
before, so a stale file costs time, never correctness. After editing the grammar, regenerate:

    python -m leadrules.syntax

The file is the package's own data, written by this module: `marshal` (plain dicts, lists,
tuples, strings and numbers; nothing is executed when it is read).
"""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Any

import lark
from lark import Lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

__all__ = ["TABLES_PATH", "tables_key", "serialize", "load", "write"]

TABLES_PATH = Path(__file__).with_name("parser_tables.bin")


def tables_key(grammar: str) -> str:
    """What the shipped tables must have been built from to be used."""
    return f"{hashlib.sha256(grammar.encode('utf-8')).hexdigest()} lark {lark.__version__}"


def serialize(parser: Lark, grammar: str) -> bytes:
    """The tables of a built parser, without its post-lexer (an object, given again on loading)."""
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {name: value for name, value in data["options"].items() if name != "postlex"}
    return marshal.dumps({"key": tables_key(grammar), "data": data, "memo": memo})


def load(grammar: str, **options: Any) -> Lark | None:
    """The parser from the shipped tables, or None when they are missing or were built from
    another grammar or Lark version. `options` are those Lark accepts on loading (postlex,
    propagate_positions)."""
    try:
        tables = marshal.loads(TABLES_PATH.read_bytes())
        if not isinstance(tables, dict) or tables.get("key") != tables_key(grammar):
            return None
        return Lark._load_from_dict(tables["data"], tables["memo"], **options)  # type: ignore[no-untyped-call,no-any-return]
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return None


def write(grammar: str, parser: Lark) -> str:
    """Write the tables of `parser`, built from `grammar`; returns their key."""
    TABLES_PATH.write_bytes(serialize(parser, grammar))
    return tables_key(grammar)
