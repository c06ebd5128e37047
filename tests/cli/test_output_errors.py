"""Ordinary I/O trouble is one `error:` line and exit status 2, never an internal error."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples"
RULES = EXAMPLES / "projectflow.rules"
LEADS = EXAMPLES / "projectflow.leads.jsonl"
AS_OF = "2026-11-22T00:00:00Z"
ENGINES = ("python", "duckdb")


def run(*args: str, closing: int | None = None, stdout: object = subprocess.PIPE,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run leadrules; `closing` is a standard stream (0 or 1) closed before it starts (`<&-`, `>&-`)."""
    preexec: Callable[[], None] | None = None if closing is None else (lambda: os.close(closing))
    return subprocess.run([sys.executable, "-m", "leadrules", *args], stdin=subprocess.DEVNULL, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=120, preexec_fn=preexec, cwd=cwd)


def full_device() -> Path:
    device = Path("/dev/full")
    if not device.exists():
        pytest.skip("/dev/full is not available on this system")
    return device


@pytest.mark.parametrize("engine", ENGINES)
def test_closed_stdin(engine: str) -> None:
    result = run("eval", str(RULES), "--as-of", AS_OF, "--engine", engine, closing=0)
    assert (result.returncode, result.stderr) == (2, "leadrules: error: standard input is closed\n")


@pytest.mark.parametrize("engine", ENGINES)
def test_closed_stdout(engine: str) -> None:
    result = run("eval", str(RULES), str(LEADS), "--as-of", AS_OF, "--engine", engine, closing=1, stdout=None)
    assert (result.returncode, result.stderr) == (2, "leadrules: error: standard output is closed\n")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_stdout_on_a_full_disk(engine: str, fmt: str) -> None:
    with full_device().open("w") as full:
        result = run("eval", str(RULES), str(LEADS), "--as-of", AS_OF, "--engine", engine, "--format", fmt,
                     stdout=full)
    assert (result.returncode, result.stderr) == (
        2, "leadrules: error: standard output: cannot write (No space left on device)\n")


def test_check_output_on_a_full_disk() -> None:
    with full_device().open("w") as full:
        result = run("check", str(RULES), stdout=full)
    assert (result.returncode, result.stderr) == (2, "leadrules: error: cannot write output (No space left on device)\n")


@pytest.mark.parametrize(("engine", "fmt"), [("python", "jsonl"), ("python", "csv"), ("duckdb", "jsonl"),
                                             ("duckdb", "csv"), ("duckdb", "parquet")])
def test_output_file_on_a_full_disk(tmp_path: Path, engine: str, fmt: str) -> None:
    # a device node of its own (as /dev/full): a build that replaced devices would replace only this one
    device = tmp_path / "full"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except OSError as exc:
        pytest.skip(f"cannot create a device node here ({exc.strerror})")
    result = run("eval", str(RULES), str(LEADS), "--as-of", AS_OF, "--engine", engine, "--format", fmt,
                 "-o", str(device))
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", f"leadrules: error: {device}: cannot write (No space left on device)\n")
    assert stat.S_ISCHR(device.lstat().st_mode)


@pytest.mark.parametrize(("engine", "fmt"), [("python", "jsonl"), ("duckdb", "jsonl"), ("duckdb", "parquet")])
def test_output_in_a_folder_that_cannot_exist(tmp_path: Path, engine: str, fmt: str) -> None:
    # a path under a regular file: no folder there, whoever runs the test (root included)
    (tmp_path / "plain").write_text("")
    target = tmp_path / "plain" / "results.out"
    result = run("eval", str(RULES), str(LEADS), "--as-of", AS_OF, "--engine", engine, "--format", fmt,
                 "-o", str(target))
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", f"leadrules: error: {target}: cannot write (Not a directory)\n")


@pytest.mark.parametrize("engine", ENGINES)
def test_output_in_a_read_only_folder(tmp_path: Path, engine: str) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; the folder-under-a-file test covers the error path")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    target = folder / "results.jsonl"
    try:
        result = run("eval", str(RULES), str(LEADS), "--as-of", AS_OF, "--engine", engine, "-o", str(target))
    finally:
        folder.chmod(0o755)
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", f"leadrules: error: {target}: cannot write (Permission denied)\n")


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    rules = tmp_path / "projectflow.rules"
    rules.write_text(RULES.read_text())
    config = tmp_path / "leadrules.toml"
    config.write_bytes(b'select = ["LR1"]\n# caf\xe9\n')
    result = run("check", str(rules))
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", f"leadrules: error: {config}: not UTF-8 text (byte 23)\n")
