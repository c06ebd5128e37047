"""Configuration: `[tool.leadrules]` in pyproject.toml or top-level keys in leadrules.toml.

The nearest file upward from a rule file wins; in one folder `leadrules.toml` wins over
`pyproject.toml` (a pyproject without a `[tool.leadrules]` table does not count).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from leadrules.errors import InputError
from leadrules.reading import input_errors_for

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Config", "find_config", "load_config", "parse_config"]

KEYS = ("select", "ignore", "required-disqualifiers", "handoff", "solver-timeout-ms")


@dataclass(frozen=True)
class Config:
    """What the linter reports and what it requires. Codes are matched by prefix
    (`LR1` selects LR101–LR199), as in ruff."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    required_disqualifiers: tuple[str, ...] = ()
    handoff: str | None = None
    solver_timeout_ms: int = 5000
    source: str | None = None  # the file it was read from

    def enabled(self, code: str) -> bool:
        """Whether a semantic code is reported: selected (all when `select` is empty) and
        not ignored. The more specific prefix wins when both match."""
        selected: int | None = 0
        if self.select:
            selected = max((len(p) for p in self.select if code.startswith(p)), default=None)
        if selected is None:
            return False
        ignored = max((len(p) for p in self.ignore if code.startswith(p)), default=None)
        return ignored is None or selected > ignored

    def with_overrides(self, select: tuple[str, ...] | None, ignore: tuple[str, ...] | None) -> Config:
        """Command-line `--select` replaces the file's selection; `--ignore` adds to it."""
        return replace(
            self,
            select=select if select else self.select,
            ignore=self.ignore + (ignore or ()),
        )


def _codes(value: Any, key: str, path: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{path}: `{key}` must be a list of strings")
    for code in value:
        if not (code.startswith("LR") and code[2:].isdigit() or code == "LR"):
            raise InputError(f"{path}: `{key}`: '{code}' is not a code or code prefix (e.g. LR102, LR1)")
    return tuple(value)


def parse_config(table: dict[str, Any], path: Path) -> Config:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise InputError(f"{path}: unknown key '{unknown[0]}' (keys: {', '.join(KEYS)})")
    required = table.get("required-disqualifiers", [])
    if isinstance(required, str):
        required = [required]
    if not isinstance(required, list) or not all(isinstance(v, str) for v in required):
        raise InputError(f"{path}: `required-disqualifiers` must be a list of disqualifier codes")
    handoff = table.get("handoff")
    if handoff is not None and not isinstance(handoff, str):
        raise InputError(f"{path}: `handoff` must be a stage name")
    timeout = table.get("solver-timeout-ms", 5000)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
        raise InputError(f"{path}: `solver-timeout-ms` must be a positive integer")
    return Config(
        select=_codes(table.get("select", []), "select", path),
        ignore=_codes(table.get("ignore", []), "ignore", path),
        required_disqualifiers=tuple(required),
        handoff=handoff,
        solver_timeout_ms=timeout,
        source=str(path),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with input_errors_for(path), path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        # TOML is UTF-8 text; tomllib lets the decoding error through as it is
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start + 1})") from None


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest configuration at or above `start` (a file or folder), with its table."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder.resolve(), *folder.resolve().parents):
        dedicated = candidate / "leadrules.toml"
        if dedicated.is_file():
            return dedicated, _read_toml(dedicated)
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            tool = _read_toml(pyproject).get("tool", {})
            if isinstance(tool, dict) and isinstance(tool.get("leadrules"), dict):
                return pyproject, tool["leadrules"]
    return None


def load_config(rule_file: Path) -> Config:
    """The configuration that applies to one rule file (defaults when there is none)."""
    found = find_config(rule_file)
    if found is None:
        return Config()
    path, table = found
    return parse_config(table, path)
