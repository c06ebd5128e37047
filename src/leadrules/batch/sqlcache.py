"""The SQL texts of a batch run, kept between runs: a run of a ruleset and input layout seen
before reads every statement's text from one small file instead of building it with sqlglot,
so it imports neither sqlglot nor the query builder (a third of `eval --engine duckdb` on a
small file).

A text is looked up by the name of the statement that needs it (`StatementTexts.text`, which
builds it on a miss). The entry holding a run's texts is keyed by everything a text is made
from: leadrules' version, the Python version, the size and modification time of every module
of leadrules and of sqlglot (found without importing it), the checked model (every
declaration, rule and source position) and the input layout the caller gives (the kind of
file, its columns, the reading options, the output). The data never enters a text: paths,
counts and the evaluation instant are parameters of the statements, so any file of the same
layout reuses the entry. An entry is written whole or not at all; one that cannot be read is
passed by (and rewritten), a folder that cannot be written leaves the run uncached.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

from leadrules import model as m
from leadrules.version import __version__

__all__ = ["StatementTexts", "statement", "code_fingerprint", "statement_key", "canonical"]

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_FOLDER = "sql-texts"


def code_fingerprint(*dependencies: str) -> list[tuple[str, int, int]]:
    """(file, size, modification time) of every module of leadrules and of each top-level
    package in `dependencies` (found without importing it): changed code gives another key."""
    found = []
    for folder, _, names in os.walk(_PACKAGE_DIR):
        for name in names:
            if name.endswith((".py", ".bin", ".lark")):
                status = os.stat(os.path.join(folder, name))
                found.append((os.path.relpath(os.path.join(folder, name), _PACKAGE_DIR), status.st_size,
                              status.st_mtime_ns))
    for dependency in dependencies:
        spec = importlib.util.find_spec(dependency)
        if spec is not None and spec.origin is not None:
            status = os.stat(spec.origin)
            found.append((spec.origin, status.st_size, status.st_mtime_ns))
    return sorted(found)


def statement_key(model: m.CheckedModel, layout: Sequence[object]) -> str:
    """The key of the texts of `model` over an input of `layout` (JSON-able values)."""
    identity = [__version__, list(sys.version_info[:3]), code_fingerprint("sqlglot"), canonical(model),
                canonical(list(layout))]
    return hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest()


def canonical(value: object) -> object:
    """`value` as JSON that is the same in every process: dataclasses field by field with their
    class, mappings and sequences in their order, sets sorted (their order is the hash seed's),
    anything else by its `repr`."""
    if is_dataclass(value) and not isinstance(value, type):
        return [type(value).__qualname__, [[f.name, canonical(getattr(value, f.name))] for f in fields(value)]]
    if isinstance(value, Mapping):
        return ["mapping", [[canonical(key), canonical(item)] for key, item in value.items()]]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [canonical(item) for item in value]]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted((canonical(item) for item in value), key=json.dumps)]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return ["repr", type(value).__qualname__, repr(value)]


@dataclass(frozen=True)
class StatementTexts:
    """The statement texts of one run: those of its entry, and those built in this run."""

    entry: Path | None  # None: nothing is kept (no cache folder, or caching is off)
    texts: dict[str, str] = field(default_factory=dict)
    kept: frozenset[str] = frozenset()  # the names the entry held when the run began

    @classmethod
    def open(cls, folder: Path | None, model: m.CheckedModel, layout: Sequence[object]) -> StatementTexts:
        """The texts kept in `folder` for `model` and `layout`; none when `folder` is None."""
        if folder is None:
            return cls(None)
        try:
            entry = folder / _FOLDER / f"{statement_key(model, layout)}.json"
        except OSError:  # a module removed while it was listed: no cache this time
            return cls(None)
        texts = _read_texts(entry)
        return cls(entry, texts, frozenset(texts))

    def text(self, name: str, build: Callable[[], str]) -> str:
        """The text of statement `name`, built by `build` when the entry does not hold it."""
        found = self.texts.get(name)
        if found is None:
            found = self.texts[name] = build()
        return found

    def keep(self) -> None:
        """Write the entry when this run built a text it did not hold (and caching is on)."""
        if self.entry is None or self.kept.issuperset(self.texts):
            return
        with contextlib.suppress(OSError):
            self.entry.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.entry.parent, prefix=".sql-", suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump(self.texts, stream, sort_keys=True)
                os.replace(temporary, self.entry)
            except OSError:
                os.unlink(temporary)
                raise


def statement(texts: StatementTexts | None, name: str, build: Callable[[], str]) -> str:
    """The text of statement `name`: from `texts`, or built (always built when `texts` is None)."""
    return build() if texts is None else texts.text(name, build)


def _read_texts(entry: Path) -> dict[str, str]:
    with contextlib.suppress(OSError, ValueError):
        texts = json.loads(entry.read_text(encoding="utf-8"))
        if isinstance(texts, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in texts.items()):
            return texts
    return {}
