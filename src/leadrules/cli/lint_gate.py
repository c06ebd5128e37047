"""Before `eval` or `export` uses a ruleset: the error-level findings `check` would reject it
for (LR101, LR201, LR202, LR204, LR302, LR304), as warnings on stderr, or with `--strict` as
errors that stop the command (exit 1).

Only those codes run, each solver query with a shorter budget than `check`'s, so the gate adds
a fraction of a second (docs/cli.md has the measurements); the configuration's `select`,
`ignore` and `# noqa` comments apply as in `check`.

The lines the gate prints are kept in a cache (`$LEADRULES_CACHE_DIR`, else
`$XDG_CACHE_HOME/leadrules`, else `~/.cache/leadrules`; `LEADRULES_NO_CACHE=1` turns it off),
keyed by the rule file's path and text, its configuration, the grammar, the Python version and
the size and modification time of every module of leadrules and of z3: running a ruleset again
then needs neither the linter nor its solver, a third of a short `eval`. A run whose solver ran
out of budget is not kept, and a cache that cannot be read or written is passed by.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import click

from leadrules import __version__
from leadrules.config import Config
from leadrules.diagnostics import CODES, Diagnostic, Severity
from leadrules.errors import LeadrulesError
from leadrules.io.summary import terminal_safe
from leadrules.syntax.parser import grammar_text
from leadrules.workspace import LoadedFile

__all__ = ["GATE_CODES", "gate_findings", "report_or_refuse", "cache_dir"]

# the semantic codes at error level: what makes `check` exit 1 on a ruleset that type-checks
GATE_CODES = tuple(code for code, info in CODES.items()
                   if info.severity is Severity.ERROR and "LR101" <= code <= "LR899")
_QUERY_BUDGET_MS = 1000  # per solver query; check's default is 5000


def _gate_config(loaded: LoadedFile) -> Config | None:
    """The configuration the gate lints with, or None when it enables none of the gate's codes."""
    from leadrules.config import load_config

    config = load_config(Path(loaded.source.path))
    codes = tuple(code for code in GATE_CODES if config.enabled(code))
    if not codes:
        return None
    return replace(config, select=codes, ignore=(),
                   solver_timeout_ms=min(config.solver_timeout_ms, _QUERY_BUDGET_MS))


def _lint_gate(loaded: LoadedFile, gate: Config) -> tuple[list[Diagnostic], bool]:
    """The gate's findings, and whether the analysis was complete (no solver query ran out of
    budget)."""
    from leadrules.lint import lint
    from leadrules.lint.noqa import apply_noqa
    from leadrules.lint.registry import SOLVER_CODES

    assert loaded.model is not None
    found = lint(loaded.model, gate)
    complete = not any(d.code in SOLVER_CODES for d in found)
    findings = [d for d in apply_noqa(found, loaded.source) if d.code in gate.select and d.level is Severity.ERROR]
    return findings, complete


def gate_findings(loaded: LoadedFile) -> list[Diagnostic]:
    """The error-level lint findings of a checked ruleset, after its configuration and noqa."""
    if loaded.model is None:
        return []
    gate = _gate_config(loaded)
    if gate is None:
        return []
    return _lint_gate(loaded, gate)[0]


# the package's own folder: its modules' sizes and times are part of every key
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _code_fingerprint(*dependencies: str) -> list[tuple[str, int, int]]:
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


def cache_dir() -> Path | None:
    """Where the gate's results are kept, or None when caching is turned off."""
    if os.environ.get("LEADRULES_NO_CACHE"):
        return None
    if os.environ.get("LEADRULES_CACHE_DIR"):
        return Path(os.environ["LEADRULES_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "leadrules"
    try:
        return Path.home() / ".cache" / "leadrules"
    except RuntimeError:  # no home folder to be found
        return None


def _cache_key(loaded: LoadedFile, gate: Config) -> str:
    # the grammar: in a source checkout it lies outside the package folder
    grammar = hashlib.sha256(grammar_text().encode("utf-8")).hexdigest()
    # a changed linter, checker or engine, or another z3, gives another key
    identity = [__version__, list(sys.version_info[:3]), _code_fingerprint("z3"), grammar, loaded.source.path,
                loaded.source.text, repr(gate)]
    return hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest()


def _cached_lines(path: Path) -> list[str] | None:
    with contextlib.suppress(OSError, ValueError):
        lines = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(lines, list) and all(isinstance(line, str) for line in lines):
            return lines
    return None


def _keep_lines(path: Path, lines: list[str]) -> None:
    """Write the entry whole or not at all (a concurrent run may read it at any moment)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".gate-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(lines, stream)
            os.replace(temporary, path)
        except OSError:
            os.unlink(temporary)
            raise


def _finding_lines(loaded: LoadedFile) -> list[str]:
    """The lines to print for the gate's findings, from the cache when the same ruleset was
    gated before by the same code and configuration."""
    if loaded.model is None:
        return []
    gate = _gate_config(loaded)
    if gate is None:
        return []
    folder = cache_dir()
    entry = None
    if folder is not None:
        with contextlib.suppress(OSError):  # a module removed while it was listed: no cache this time
            entry = folder / "lint-gate" / f"{_cache_key(loaded, gate)}.json"
    if entry is not None:
        cached = _cached_lines(entry)
        if cached is not None:
            return cached
    findings, complete = _lint_gate(loaded, gate)
    lines = [_line(diagnostic) for diagnostic in findings]
    if entry is not None and complete:
        _keep_lines(entry, lines)
    return lines


def _line(diagnostic: Diagnostic) -> str:
    span = diagnostic.span
    return terminal_safe(f"{span.file}:{span.line}:{span.column}: {diagnostic.code} {diagnostic.message}")


def report_or_refuse(loaded: LoadedFile, strict: bool) -> None:
    """Print the gate's findings (one line each); with `strict`, exit 1 when there are any."""
    try:
        findings = _finding_lines(loaded)
    except LeadrulesError:
        raise
    except Exception as exc:  # noqa: BLE001 - the analysis failing must not stop an evaluation
        click.echo(f"leadrules: warning: {terminal_safe(loaded.source.path)}: not linted "
                   f"({type(exc).__name__}); `leadrules check` may report more", err=True)
        return
    if not findings:
        return
    level = "error" if strict else "warning"
    for line in findings:
        click.echo(f"leadrules: {level}: {line}", err=True)
    if strict:
        click.echo(f"leadrules: error: `leadrules check` rejects {terminal_safe(loaded.source.path)}; "
                   "refused (--strict)", err=True)
        sys.exit(1)
    click.echo(f"leadrules: warning: `leadrules check` rejects {terminal_safe(loaded.source.path)}; "
               "running anyway (--strict refuses)", err=True)
