"""`leadrules diff OLD NEW`: what a rule change does, proved per outcome key without data and,
with `--leads`, measured on real lead records."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from leadrules.cli.eval_cmd import parse_as_of, reject_tests_file
from leadrules.config import load_config
from leadrules.errors import InputError
from leadrules.io.leads import csv_options
from leadrules.io.render import get_renderer
from leadrules.model import CheckedModel
from leadrules.source import SourceFile
from leadrules.workspace import load_source, read_source, sources_for

__all__ = ["command", "resolve_version", "failing_keys"]

EXIT_OK, EXIT_CHANGED, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "json", "markdown", "github", "sarif")


def _git_show(rev: str, path: str) -> SourceFile:
    """The file at a git revision, read with `git show REV:PATH` (a list argv, never a shell)."""
    if not rev or rev.startswith("-"):
        raise InputError(f"{rev}:{path}: not a git revision")
    name = f"{rev}:{path}"
    try:
        done = subprocess.run(["git", "show", name], capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError(f"{name}: git is not installed") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot run git ({exc.strerror or exc})") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = message[0].removeprefix("fatal: ") if message else f"git exited with status {done.returncode}"
        raise InputError(f"{name}: {reason}")
    try:
        text = done.stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (invalid byte at offset {exc.start})") from None
    return SourceFile(name, text.removeprefix("\ufeff"))


def resolve_version(spec: str) -> SourceFile:
    """A rule file path, or `REV:PATH` (the file at a git revision) when no such file exists."""
    if Path(spec).exists() or ":" not in spec:
        return read_source(spec)
    rev, _, path = spec.partition(":")
    return _git_show(rev, path)


def _check(source: SourceFile, role: str) -> CheckedModel:
    loaded = load_source(source)
    reject_tests_file(loaded)
    if loaded.model is None:
        sources = sources_for(loaded.diagnostics, {source.path: source})
        click.echo(get_renderer("text")(loaded.diagnostics, sources), err=True, nl=False)
        raise InputError(f"{source.path}: the {role} version does not check (the errors are above)")
    return loaded.model


def failing_keys(fail_on: str, old: CheckedModel, new: CheckedModel) -> frozenset[str] | None:
    """The keys `--fail-on` names (None for `any`); an unknown key is a usage error."""
    names = [n.strip() for n in fail_on.split(",") if n.strip()]
    if "any" in names:
        return None
    known = {"validity", "stage", "disqualified", "reasons", "blocked", "route",
             *old.scores, *new.scores, *old.bands, *new.bands}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(f"unknown key {unknown[0]!r}; keys are: {', '.join(sorted(known))}, or 'any'",
                                 param_hint="--fail-on")
    return frozenset(names)


@click.command("diff", short_help="What a rule change does: verdict per outcome key, impact on leads.")
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option("--base", nargs=2, metavar="REV PATH", help="compare PATH at git revision REV with PATH in the working tree")
@click.option("--leads", "leads_path", metavar="FILE", help="also evaluate these lead records with both versions")
@click.option("--events", "events_path", metavar="FILE", help="CSV of events for --leads: lead_id,type,at")
@click.option("--as-of", "as_of_text", metavar="TS", help="evaluation instant for --leads; default: now, UTC")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--fail-on", "fail_on", metavar="KEYS", default="",
              help="exit 1 when one of these keys changed (comma-separated: stage,route,fit,...), or 'any'")
@click.option("--delimiter", metavar="CHAR", default=",", show_default=True, help="CSV delimiter of --leads and --events")
@click.option("--encoding", metavar="NAME", default="utf-8", show_default=True, help="text encoding of CSV --leads")
@click.option("--engine", type=click.Choice(["python", "duckdb", "auto"]), default="auto", show_default=True,
              help="engine for --leads (same numbers); auto picks DuckDB for Parquet and large files, as eval does")
def command(old: str | None, new: str | None, base: tuple[str, str] | None, leads_path: str | None,
            events_path: str | None, as_of_text: str | None, output_format: str, fail_on: str,
            delimiter: str, encoding: str, engine: str) -> None:
    """Compare two versions of a ruleset: OLD and NEW are rule files or REV:PATH (the file at a
    git revision, e.g. main:rules/acme.rules); --base REV PATH compares PATH at REV with PATH
    in the working tree.

    For each outcome key (validity, stage, disqualified, reasons, blocked, route, each score
    and band) the verdict is equivalent (proved for every lead), changed (with a witness lead,
    evaluated with both versions) or unknown (the solver gave up); each stage also gets a set
    verdict: equal, stricter, looser or incomparable.

    Exit status: 0 nothing --fail-on names changed, 1 something it names changed, 2 usage or
    I/O error, or a version that does not check."""
    from leadrules.diff.impact import measure_impact
    from leadrules.diff.render import RENDERERS, DiffReport
    from leadrules.diff.semantic import CHANGED, semantic_diff

    if base is not None:
        if old is not None or new is not None:
            raise click.UsageError("give either OLD NEW or --base REV PATH, not both")
        rev, path = base
        # `REV:./PATH` is relative to the current folder, as PATH is; an absolute PATH is made relative
        relative = "./" + Path(os.path.relpath(path)).as_posix()
        old_source, new_source = _git_show(rev, relative), read_source(path)
    elif old is None or new is None:
        raise click.UsageError("give OLD and NEW (rule files or REV:PATH), or --base REV PATH")
    else:
        old_source, new_source = resolve_version(old), resolve_version(new)
    if events_path is not None and leads_path is None:
        raise click.UsageError("--events needs --leads")
    if leads_path == "-":
        raise click.UsageError("--leads needs a file: both versions read it")
    as_of = parse_as_of(as_of_text) if leads_path is not None else None
    csv_reading = csv_options(delimiter, encoding)
    old_model = _check(old_source, "old")
    new_model = _check(new_source, "new")
    wanted = failing_keys(fail_on, old_model, new_model)
    config_path = Path(new_source.path)
    timeout = load_config(config_path).solver_timeout_ms if config_path.exists() else 5000
    semantic = semantic_diff(old_model, new_model, timeout)
    impact = None
    if leads_path is not None:
        assert as_of is not None
        if _uses_duckdb(engine, leads_path):
            from leadrules.diff.impact_sql import measure_impact_duckdb

            impact = measure_impact_duckdb(old_model, new_model, leads_path, events_path, as_of, csv_reading)
        else:
            impact = measure_impact(old_model, new_model, leads_path, events_path, as_of, csv_reading)
    report = DiffReport(old_source.path, new_source.path, new_source.path, semantic, impact)
    click.echo(RENDERERS[output_format](report), nl=False)
    changed = {k.key for k in semantic.keys if k.verdict == CHANGED}
    if impact is not None:
        changed |= _observed(impact)
    if wanted is None:
        failed = bool(changed or semantic.added or semantic.removed)
    else:
        failed = bool(changed & wanted)
    sys.exit(EXIT_CHANGED if failed else EXIT_OK)


def _uses_duckdb(engine: str, leads_path: str) -> bool:
    if engine == "python":
        if leads_path.lower().endswith(".parquet"):
            raise click.UsageError("Parquet leads need the DuckDB engine (--engine duckdb or auto)")
        return False
    try:
        from leadrules.batch import run  # noqa: F401
    except ImportError:
        if engine == "duckdb":
            raise click.UsageError("the DuckDB engine is not available in this build; use --engine python") from None
        return False
    if engine == "duckdb":
        return True
    from leadrules.batch.auto import choose_engine

    return choose_engine(leads_path, "jsonl", explain=False) == "duckdb"


def _observed(impact: object) -> set[str]:
    """Keys whose value differed on some lead record of `--leads`."""
    from leadrules.diff.impact import Impact

    assert isinstance(impact, Impact)
    out = set()
    if impact.became_invalid or impact.became_valid:
        out.add("validity")
    if impact.stage.changed:
        out.add("stage")
    if any((a == "Disqualified") != (b == "Disqualified") for (a, b) in impact.stage.counts):
        out.add("disqualified")
    if impact.reasons_changed:
        out.add("reasons")
    if impact.blocked_changed:
        out.add("blocked")
    if impact.route.changed:
        out.add("route")
    out.update(name for name, change in impact.scores.items() if change.changed)
    out.update(name for name, t in impact.bands.items() if t.changed)
    return out


def baseline_options(paths: tuple[str, ...], write_path: str | None, replay_path: str | None,
                     leads_path: str | None, events_path: str | None, as_of_text: str | None,
                     ) -> tuple[list[str], dict[str, object] | None, bool]:
    """`leadrules test --write-baseline FILE --leads LEADS` and `--baseline FILE`: capture the
    decisions of a ruleset for a set of leads, or replay a capture and list every flip.
    Returns the lines to print, the JSON report and whether a decision flipped."""
    from leadrules.cli.eval_cmd import load_checked_or_exit
    from leadrules.diff.baseline import replay_baseline, write_baseline
    from leadrules.textsafe import printable

    if write_path is None and replay_path is None:
        if leads_path is not None or events_path is not None or as_of_text is not None:
            raise click.UsageError("--leads, --events and --as-of go with --write-baseline")
        return [], None, False
    if write_path is not None and replay_path is not None:
        raise click.UsageError("--write-baseline and --baseline exclude each other")
    if len(paths) != 1:
        raise click.UsageError("--write-baseline and --baseline take one ruleset")
    loaded = load_checked_or_exit(paths[0])
    assert loaded.model is not None
    if write_path is not None:
        if leads_path is None:
            raise click.UsageError("--write-baseline needs --leads FILE: the leads whose decisions it records")
        if leads_path == "-":
            raise click.UsageError("--leads needs a file with --write-baseline")
        as_of = parse_as_of(as_of_text)
        count = write_baseline(loaded.model, leads_path, events_path, as_of, write_path)
        from leadrules.values import format_timestamp

        line = f"baseline {write_path}: {count} lead record(s) recorded (as of {format_timestamp(as_of)})"
        return [printable(line)], {"file": write_path, "records": count, "flips": []}, False
    assert replay_path is not None
    if leads_path is not None or events_path is not None or as_of_text is not None:
        raise click.UsageError("--baseline replays the leads and as-of instant the baseline holds; "
                               "--leads, --events and --as-of go with --write-baseline")
    replay = replay_baseline(loaded.model, replay_path)
    from leadrules.jsontext import dumps

    lines = [printable(f"FLIP {dumps(f.id)}: {f.key} {dumps(f.old)} -> {dumps(f.new)} "
                       f"({replay_path}:{f.line})") for f in replay.flips]
    flipped = len({f.line for f in replay.flips})
    lines.append(printable(f"baseline {replay_path}: {replay.records} lead record(s) replayed as of "
                           f"{replay.as_of}, {flipped} with a changed decision"))
    report = {"file": replay_path, "records": replay.records,
              "flips": [{"id": f.id, "line": f.line, "key": f.key, "old": f.old, "new": f.new} for f in replay.flips]}
    return lines, report, bool(replay.flips)
