"""Reading rule files from disk: paths → SourceFile → AST → checked model, with diagnostics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from leadrules import model as m
from leadrules.check import check, check_tests_file
from leadrules.diagnostics import Diagnostic
from leadrules.errors import InputError
from leadrules.io.fmt import quote
from leadrules.reading import input_errors_for
from leadrules.source import SourceFile
from leadrules.syntax import ast, parse

__all__ = [
    "LoadedFile", "read_source", "read_stdin_source", "load_file", "load_source", "collect_rule_files",
    "is_tests_file", "sources_for", "STDIN_NAME",
]

# how a rule file read from standard input (`-`) is named in diagnostics
STDIN_NAME = "<stdin>"


@dataclass
class LoadedFile:
    """One rule file after parsing and checking."""

    source: SourceFile
    module: ast.Module | None
    model: m.CheckedModel | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # for `tests for` files: the model of the ruleset they test and their cases
    tests_target: m.CheckedModel | None = None
    tests: tuple[m.TestCase, ...] = ()


def read_source(path: str | Path) -> SourceFile:
    """Read a rule file as UTF-8; raise InputError with a one-line message otherwise."""
    p = Path(path)
    with input_errors_for(p):
        data = p.read_bytes()
    return _decode(data, str(path))


def read_stdin_source(data: bytes) -> SourceFile:
    """A rule file given as `-`: the bytes read from standard input, named STDIN_NAME."""
    return _decode(data, STDIN_NAME)


def _decode(data: bytes, name: str) -> SourceFile:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (invalid byte at offset {exc.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceFile(name, text)


def is_tests_file(module: ast.Module) -> bool:
    return bool(module.statements) and isinstance(module.statements[0], ast.TestsFor)


def load_file(path: str | Path) -> LoadedFile:
    """Parse and check one file (a ruleset, or a `tests for` file with its ruleset)."""
    return load_source(read_source(path))


def load_source(source: SourceFile) -> LoadedFile:
    """Parse and check a rule file already read; a `tests for` file finds its ruleset relative to
    `source.path` (the current folder for standard input)."""
    module, diagnostics = parse(source)
    return _load_parsed(source, module, diagnostics)


def _load_parsed(source: SourceFile, module: ast.Module | None, diagnostics: list[Diagnostic]) -> LoadedFile:
    if module is None:
        return LoadedFile(source, None, None, diagnostics)
    if is_tests_file(module):
        header = module.statements[0]
        assert isinstance(header, ast.TestsFor)
        folder = Path(".") if source.path == STDIN_NAME else Path(source.path).parent
        target_path = folder / header.path.value
        if not target_path.is_file():
            diag = Diagnostic("LR002", f"tests for unknown ruleset file '{header.path.value}'", header.path.span,
                              hint=f"no file at {target_path}")
            return LoadedFile(source, module, None, [diag])
        target_source = read_source(target_path)
        target_module, target_diagnostics = parse(target_source)
        if target_module is not None and is_tests_file(target_module):
            # a tests file runs against a ruleset; following one tests file to another could loop
            # forever (a file naming itself, two naming each other), so stop at the first
            return LoadedFile(source, module, None, [_tests_for_tests_file(header, target_path, target_module)])
        target = _load_parsed(target_source, target_module, target_diagnostics)
        if target.model is None:
            diag = Diagnostic("LR001", f"the ruleset '{header.path.value}' has errors; fix them first",
                              header.path.span)
            return LoadedFile(source, module, None, [diag] + target.diagnostics)
        cases, diagnostics = check_tests_file(module, target.model)
        return LoadedFile(source, module, None, diagnostics, tests_target=target.model, tests=cases)
    model, diagnostics = check(module)
    tests = model.tests if model is not None else ()
    return LoadedFile(source, module, model, diagnostics, tests_target=model, tests=tests)


def _tests_for_tests_file(header: ast.TestsFor, target_path: Path, target: ast.Module) -> Diagnostic:
    """The diagnostic for a `tests for` header that names another `tests for` file, or its own file."""
    named = header.path.value
    target_header = target.statements[0]
    assert isinstance(target_header, ast.TestsFor)
    hint = "name the ruleset file the tests run against (the file that starts with `ruleset`)"
    if target_path.resolve() == Path(header.span.file).resolve():
        message = f"tests for '{named}' names this file itself, not a ruleset"
    else:
        message = f"tests for '{named}' names a `tests for` file, not a ruleset"
        hint += f"; '{named}' itself tests {quote(target_header.path.value)}"
    return Diagnostic("LR002", message, header.path.span, hint=hint)


def collect_rule_files(paths: Iterable[str]) -> list[Path]:
    """Files as given; folders searched recursively for *.rules, sorted for stable output."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            in_folder = sorted(q for q in p.rglob("*.rules") if q.is_file())
            # a folder without rule files is almost always a wrong path: checking nothing must not pass CI
            if not in_folder:
                raise InputError(f"{raw}: no *.rules files in this folder")
            found.extend(in_folder)
        elif p.exists():
            found.append(p)
        else:
            raise InputError(f"{raw}: no such file or directory")
    return found




def sources_for(diagnostics: Iterable[Diagnostic], known: dict[str, SourceFile]) -> dict[str, SourceFile]:
    """The sources the renderers need: `known`, plus the files other diagnostics point into
    (a `tests for` file reports the errors of its ruleset at that ruleset's lines)."""
    sources = dict(known)
    for diagnostic in diagnostics:
        name = diagnostic.span.file
        if name not in sources:
            try:
                sources[name] = read_source(name)
            except InputError:
                continue
    return sources
