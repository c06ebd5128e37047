"""`leadrules check PATH...`: parse, type-check and lint rule files (`-`: standard input)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

import click

from leadrules.config import Config, load_config
from leadrules.diagnostics import CODES, Diagnostic, Severity
from leadrules.errors import InputError
from leadrules.io.output import write_output_text
from leadrules.io.render import RENDERERS, get_renderer
from leadrules.io.render.text import render_one
from leadrules.jsontext import dumps
from leadrules.lint import lint
from leadrules.lint.emit import emit_tests
from leadrules.lint.noqa import apply_noqa, noqa_warnings
from leadrules.source import SourceFile
from leadrules.textsafe import printable
from leadrules.workspace import (
    STDIN_NAME,
    LoadedFile,
    collect_rule_files,
    load_file,
    load_source,
    read_stdin_source,
    sources_for,
)

__all__ = ["command"]


def _codes(values: tuple[str, ...], option: str) -> tuple[str, ...]:
    """`--select LR1,LR302 --select LR5` → ("LR1", "LR302", "LR5")."""
    out = []
    for value in values:
        for part in value.split(","):
            code = part.strip().upper()
            if not code:
                continue
            if not (code.startswith("LR") and (code == "LR" or code[2:].isdigit())):
                raise click.BadParameter(f"'{part.strip()}' is not a code or code prefix (e.g. LR102, LR1)",
                                         param_hint=option)
            # a typo such as LR3O1 → LR301 is caught above; LR999 would silently select nothing
            if not any(known.startswith(code) for known in CODES):
                raise click.BadParameter(f"'{part.strip()}' matches no leadrules code (see docs/rules/)",
                                         param_hint=option)
            out.append(code)
    return tuple(out)


@click.command("check", short_help="Parse, type-check and lint rule files or folders of *.rules.")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "output_format", type=click.Choice(RENDERERS), default="text", show_default=True,
              help="text for people; json, sarif (code scanning) or github (pull-request annotations) for tools.")
@click.option("--select", "select", multiple=True, metavar="CODES",
              help="Report only these codes or prefixes (comma-separated), e.g. LR1,LR302.")
@click.option("--ignore", "ignore", multiple=True, metavar="CODES", help="Do not report these codes or prefixes.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--emit-tests", "emit_path", type=click.Path(dir_okay=False), default=None,
              help="Write the witnesses as `test` blocks to this `tests for` file.")
@click.option("--statistics", is_flag=True,
              help="Print how many findings each code has instead of the findings (text or json).")
def command(paths: tuple[str, ...], output_format: str, select: tuple[str, ...], ignore: tuple[str, ...],
            strict: bool, emit_path: str | None, statistics: bool) -> None:
    """Parse, type-check and lint rule files or folders of *.rules; `-` reads one file from
    standard input.

    Exit status: 0 no error-level finding (--strict: no warning either), 1 findings,
    2 usage or I/O error."""
    selected, ignored = _codes(select, "--select"), _codes(ignore, "--ignore")
    if statistics and output_format not in ("text", "json"):
        raise click.BadParameter("--statistics prints text or json", param_hint="--format")
    if paths.count("-") > 1:
        raise click.BadParameter("standard input ('-') can be read once", param_hint="PATHS")
    files: list[Path | None] = [None] if "-" in paths else []
    files += collect_rule_files([raw for raw in paths if raw != "-"]) if any(raw != "-" for raw in paths) else []
    diagnostics: list[Diagnostic] = []
    sources: dict[str, SourceFile] = {}
    emitted: list[tuple[str, str]] = []
    seen: set[tuple[str, str, int, int, str]] = set()
    noqa_lines: list[str] = []
    for path in files:
        loaded = _load(path)
        sources[loaded.source.path] = loaded.source
        found = list(loaded.diagnostics)
        has_errors = any(d.level is Severity.ERROR for d in found)
        config: Config | None = None
        if loaded.model is not None and not has_errors:
            # standard input takes the configuration of the current folder
            config = load_config(path if path is not None else Path(STDIN_NAME)).with_overrides(selected, ignored)
            findings = lint(loaded.model, config)
            found.extend(findings)
            if emit_path is not None and any(d.witness is not None for d in findings):
                kept = apply_noqa(findings, loaded.source)
                ruleset = Path(path).resolve() if path is not None else Path(STDIN_NAME).resolve()
                relative = os.path.relpath(ruleset, Path(emit_path).resolve().parent)
                emitted.append((loaded.source.path, emit_tests(loaded.model, kept, Path(relative).as_posix())))
        # an analysis that ran out of budget may have missed what a noqa silences: judge only unknown codes
        complete = config is not None and not any(d.code == "LR900" for d in found)
        enabled = config.enabled if complete and config is not None else None
        for directive, message in noqa_warnings(found, loaded.source, CODES, enabled):
            noqa_lines.append(f"{printable(loaded.source.path)}:{directive.line}:{directive.column}: warning: {message}")
        for diagnostic in apply_noqa(found, loaded.source):
            # a `tests for` file repeats its ruleset's errors; report each finding once
            key = (diagnostic.code, diagnostic.span.file, diagnostic.span.line, diagnostic.span.column,
                   diagnostic.message)
            if key not in seen:
                seen.add(key)
                diagnostics.append(diagnostic)
    if emit_path is not None:
        _write_tests(Path(emit_path), emitted)
    shown = sources_for(diagnostics, sources)
    if statistics:
        text = _statistics(diagnostics, output_format)
    elif output_format == "text" and _colour(sys.stdout):
        text = _coloured(diagnostics, shown)
    else:
        text = get_renderer(output_format)(diagnostics, shown)
    if text:
        click.echo(text, nl=False)
    if noqa_lines:
        sys.stdout.flush()
        click.echo("\n".join(noqa_lines), err=True)
    errors = sum(d.level is Severity.ERROR for d in diagnostics)
    warnings = sum(d.level is Severity.WARNING for d in diagnostics)
    if output_format == "text":
        sys.stdout.flush()  # the findings (stdout) come before the summary (stderr) on a terminal
        click.echo(f"{len(files)} file(s) checked, {errors} error(s), {warnings} warning(s), "
                   f"{len(diagnostics) - errors - warnings} info", err=True)
    failed = errors > 0 or (strict and warnings > 0)
    sys.exit(1 if failed else 0)


def _load(path: Path | None) -> LoadedFile:
    """One file, or (None) the rule file on standard input."""
    if path is not None:
        return load_file(path)
    try:
        data = sys.stdin.buffer.read()
    except OSError as exc:
        raise InputError(f"{STDIN_NAME}: cannot read ({exc.strerror or exc})") from None
    return load_source(read_stdin_source(data))


def _statistics(diagnostics: list[Diagnostic], output_format: str) -> str:
    """How many findings each code has, most frequent first (as `ruff --statistics`)."""
    counts: dict[str, int] = {}
    for diagnostic in diagnostics:
        counts[diagnostic.code] = counts.get(diagnostic.code, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if output_format == "json":
        rows = [{"code": code, "name": CODES[code].name, "severity": CODES[code].severity.value, "count": count}
                for code, count in ordered]
        return dumps(rows) + "\n"
    if not ordered:
        return ""
    width = max(len(str(count)) for _, count in ordered)
    return "".join(f"{count:>{width}}  {code}  {CODES[code].severity.value:<7}  {CODES[code].name}\n"
                   for code, count in ordered)


def _colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and stream.isatty()


_SEVERITY_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _coloured(diagnostics: list[Diagnostic], sources: dict[str, SourceFile]) -> str:
    """The text rendering with the location in bold, `CODE severity` and the carets in the
    severity's colour."""
    blocks = []
    for diagnostic in diagnostics:
        lines = render_one(diagnostic, sources.get(diagnostic.span.file)).split("\n")
        colour = _SEVERITY_COLOURS[diagnostic.level]
        label = f"{diagnostic.code} {diagnostic.level.value}"
        position = f":{diagnostic.span.line}:{diagnostic.span.column}"
        marker = f"{position}: {label}: "
        at = lines[0].find(marker)
        if at >= 0:
            location = lines[0][: at + len(position)]
            rest = lines[0][at + len(marker):]
            lines[0] = (click.style(location, bold=True) + ": " + click.style(label, fg=colour, bold=True)
                        + ": " + rest)
        for index, line in enumerate(lines[1:], start=1):
            bar, _, carets = line.partition(" | ")
            if not bar.strip() and carets.strip() and set(carets.strip()) == {"^"}:
                indent = carets[: len(carets) - len(carets.lstrip())]
                lines[index] = f"{bar} | {indent}" + click.style(carets.strip(), fg=colour, bold=True)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _write_tests(target: Path, emitted: list[tuple[str, str]]) -> None:
    if len(emitted) > 1:
        names = ", ".join(str(p) for p, _ in emitted)
        raise InputError(f"--emit-tests writes one `tests for` file; witnesses came from several rulesets ({names})")
    text = emitted[0][1] if emitted else ""
    if not text:
        return
    write_output_text(target, text)
