"""Import contracts: data flows one way, and each part of the code imports only the parts below it.

`LAYERS` is the one ordered table of who may import whom, bottom first. A unit (a top-level
module or package of `leadrules`; `engine` splits into its backends) may import units of an
earlier layer, never of a later one; within a layer only when the layer is marked open.
Every import counts: `import leadrules.x`, `from leadrules.x import y`, `from leadrules import x`
(read as the module `leadrules.x`), relative imports, and imports inside functions or under
`TYPE_CHECKING` alike.

Why this order (what the code does):
* shared leaves (errors, values, jsontext, records, version, ...) are imported by everyone;
* `check` turns `syntax` trees into `model` objects, so it imports both: `model` is a layer below
  `check` although it comes after it in the data flow (syntax → check → model);
* `ir` (the lowered plan) is built from the model and read by the backends;
* the backends `engine.python` and `engine.sql` and the readers/writers of `io` are siblings:
  none imports another (`engine.sql` is model → SQL only; records the readers yield live in the
  `records` leaf, so `io` needs no engine);
* `lint` re-runs witnesses on `engine.python` (never `engine.sql`), `workspace` loads files with
  `check` and `io`;
* `batch` runs whole files: DuckDB with `engine.sql`'s query, `engine.python` for the rest, `io`
  writers; the feature packages, the public API (`leadrules/__init__.py`) and the CLI sit above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "leadrules"

# (units, open): bottom first. In a closed layer the units must not import each other.
LAYERS: tuple[tuple[tuple[str, ...], bool], ...] = (
    (("errors", "version", "records", "diagnostics", "source", "values", "jsontext", "textsafe", "reading",
      "config", "fieldkinds"), True),
    (("syntax",), False),
    (("model",), False),
    (("model_text", "output_schema"), False),
    (("check",), False),
    (("ir",), False),
    (("engine", "engine.validate"), False),
    (("engine.python", "engine.sql", "io"), False),
    (("lint", "workspace"), False),
    (("batch",), False),
    (("suite",), False),
    (("diff", "calibrate", "doc"), False),
    (("report",), False),
    (("leadrules",), False),  # the public API (`leadrules.load`, `leadrules.Ruleset`)
    (("cli",), False),
    (("__main__",), False),  # `python -m leadrules`
)

# Edges the layers would allow but that are forbidden all the same.
EXTRA_FORBIDDEN: dict[str, tuple[str, ...]] = {
    "lint": ("engine.sql",),  # lint confirms findings on the Python engine only (witness re-run)
}

_LAYER_OF = {unit: (index, is_open) for index, (units, is_open) in enumerate(LAYERS) for unit in units}
_SPLIT = ("engine",)  # packages whose subpackages are units of their own


def _unit(module: str) -> str:
    """The unit of a dotted module name inside leadrules (`leadrules.engine.sql.build` → `engine.sql`)."""
    parts = module.split(".")[1:]
    if not parts:
        return "leadrules"
    if parts[0] in _SPLIT and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative / "__init__.py").is_file()


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["leadrules", *parts])


def _imported(path: Path) -> set[str]:
    """Every leadrules module `path` imports, resolved (`from leadrules import model` is
    `leadrules.model`; `from leadrules import load` is `leadrules` itself)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate.startswith("leadrules.") and _is_module(candidate) else base)
    return {name for name in found if name == "leadrules" or name.startswith("leadrules.")}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _external_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _violations(path: Path) -> list[str]:
    own = _unit(_module_name(path))
    layer, _ = _LAYER_OF[own]
    bad: list[str] = []
    for name in sorted(_imported(path)):
        target = _unit(name)
        if target == own:
            continue
        if target not in _LAYER_OF:
            bad.append(f"{name} (unit {target!r} is in no layer)")
            continue
        target_layer, is_open = _LAYER_OF[target]
        if target_layer > layer or (target_layer == layer and not is_open):
            bad.append(f"{name} ({target} is {'beside' if target_layer == layer else 'above'} {own})")
        elif target in EXTRA_FORBIDDEN.get(own, ()):
            bad.append(f"{name} ({own} must not import {target})")
    return bad


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_unit_has_a_layer(path: Path) -> None:
    unit = _unit(_module_name(path))
    assert unit in _LAYER_OF, f"{path.relative_to(PACKAGE)}: place {unit!r} in LAYERS"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path) -> None:
    if _unit(_module_name(path)) not in _LAYER_OF:
        pytest.skip("no layer (test_every_unit_has_a_layer says so)")
    bad = _violations(path)
    assert not bad, f"{path.relative_to(PACKAGE)} imports " + "; ".join(bad)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_lark_stays_inside_syntax(path: Path) -> None:
    if path.parent.name == "syntax":
        return
    assert not any(name == "lark" or name.startswith("lark.") for name in _external_imports(path)), (
        f"{path.relative_to(PACKAGE)} imports lark; only syntax/ may"
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_imports_the_cli(path: Path) -> None:
    if "cli" in path.relative_to(PACKAGE).parts or path.name == "__main__.py":
        return
    assert not any(_unit(name) == "cli" for name in _imported(path))


def test_engine_sql_is_model_to_sql_only() -> None:
    assert sorted(p.name for p in (PACKAGE / "engine" / "sql").glob("*.py")) == [
        "__init__.py", "build.py", "dialects.py", "render.py"]


@pytest.mark.parametrize(("source", "expected"), [
    ("from leadrules import model as m\n", {"leadrules.model"}),
    ("from leadrules import load\n", {"leadrules"}),
    ("import leadrules.engine.sql.build\n", {"leadrules.engine.sql.build"}),
    ("def f():\n    from leadrules.engine import python\n", {"leadrules.engine.python"}),
    ("from . import leads\nfrom .output import x\n", {"leadrules.io.leads", "leadrules.io.output"}),
])
def test_imports_are_read_in_every_form(source: str, expected: set[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = PACKAGE / "io" / "probe.py"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source if self == fake else "")
    assert _imported(fake) == expected


@pytest.mark.parametrize(("importer", "imported", "allowed"), [
    ("io/leads.py", "leadrules.engine.validate", True),  # engine core is below io
    ("io/leads.py", "leadrules.engine.python", False),  # io ↛ engine backends
    ("engine/sql/build.py", "leadrules.io.leads", False),  # engine ↛ io
    ("engine/python/compile.py", "leadrules.engine.sql.build", False),  # backend ↛ sibling backend
    ("engine/sql/build.py", "leadrules.engine.python", False),
    ("lint/witness.py", "leadrules.engine.python", True),
    ("lint/witness.py", "leadrules.engine.sql", False),
    ("lint/witness.py", "leadrules.batch", False),
    ("engine/python/compile.py", "leadrules.batch", False),
    ("batch/runner.py", "leadrules.engine.sql.build", True),
    ("model.py", "leadrules.check", False),
    ("check/exprs.py", "leadrules.model", True),
    ("ir/plan.py", "leadrules.engine.python", False),
    ("engine/sql/build.py", "leadrules.ir", True),
])
def test_the_table_decides(importer: str, imported: str, allowed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    path = PACKAGE / importer
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: f"import {imported}\n")
    assert (not _violations(path)) is allowed
