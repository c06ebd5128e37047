"""`-o` writes by one rule in every command: a regular file is replaced atomically (keeping its
mode), a device, FIFO or symlink target is written through, and no temporary file is left."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from leadrules.errors import InputError
from leadrules.io.output import open_output_text, output_file_path, temp_name_prefix

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples"
RULES = EXAMPLES / "projectflow.rules"
LEADS = EXAMPLES / "projectflow.leads.jsonl"
AS_OF = "2026-11-22T00:00:00Z"
ENGINES = ("python", "duckdb")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "leadrules", *args], capture_output=True, timeout=120, cwd=cwd)


def eval_args(engine: str, output: Path | str, fmt: str = "jsonl") -> list[str]:
    return ["eval", str(RULES), str(LEADS), "--as-of", AS_OF, "--engine", engine, "--format", fmt, "-o", str(output)]


def expected_output(fmt: str) -> bytes:
    """What the run prints to stdout (the same bytes -o must deliver)."""
    result = run("eval", str(RULES), str(LEADS), "--as-of", AS_OF, "--engine", "python", "--format", fmt)
    assert result.returncode == 3
    return result.stdout


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".leadrules-" in p.name)


@pytest.mark.parametrize(("engine", "fmt"), [("python", "jsonl"), ("python", "csv"), ("duckdb", "jsonl"),
                                             ("duckdb", "csv"), ("duckdb", "parquet")])
def test_device_node_is_written_through_not_replaced(tmp_path: Path, engine: str, fmt: str) -> None:
    device = tmp_path / "mynull"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here ({exc.strerror})")
    result = run(*eval_args(engine, device, fmt))
    assert (result.returncode, result.stdout, result.stderr) == (3, b"", b"")
    info = device.lstat()
    assert stat.S_ISCHR(info.st_mode)
    assert info.st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mynull"]


@pytest.mark.parametrize(("engine", "fmt"), [("python", "jsonl"), ("python", "csv"), ("duckdb", "jsonl"),
                                             ("duckdb", "csv")])
def test_fifo_reader_receives_the_output(tmp_path: Path, engine: str, fmt: str) -> None:
    fifo = tmp_path / "results.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read_all() -> None:
        with open(fifo, "rb") as reader:
            received.append(reader.read())

    # a daemon: if the FIFO were replaced by a file, the reader would wait forever for a writer
    reader_thread = threading.Thread(target=read_all, daemon=True)
    reader_thread.start()
    result = run(*eval_args(engine, fifo, fmt))
    reader_thread.join(timeout=60)
    assert (result.returncode, result.stderr) == (3, b"")
    assert received == [expected_output(fmt)]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.pipe"]


@pytest.mark.parametrize("engine", ENGINES)
def test_symlink_is_written_through_and_target_keeps_its_mode(tmp_path: Path, engine: str) -> None:
    real = tmp_path / "data" / "results.jsonl"
    real.parent.mkdir()
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    result = run(*eval_args(engine, link))
    assert (result.returncode, result.stderr) == (3, b"")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == expected_output("jsonl")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_dangling_symlink_creates_its_target(tmp_path: Path, engine: str) -> None:
    link = tmp_path / "latest.jsonl"
    link.symlink_to(tmp_path / "new.jsonl")
    result = run(*eval_args(engine, link))
    assert (result.returncode, result.stderr) == (3, b"")
    assert link.is_symlink()
    assert (tmp_path / "new.jsonl").read_bytes() == expected_output("jsonl")


@pytest.mark.parametrize(("engine", "fmt"), [("python", "jsonl"), ("python", "csv"), ("duckdb", "jsonl"),
                                             ("duckdb", "parquet")])
def test_regular_file_replaced_atomically_with_its_mode(tmp_path: Path, engine: str, fmt: str) -> None:
    target = tmp_path / f"results.{fmt}"
    target.write_text("old\n")
    target.chmod(0o604)
    old_inode = target.stat().st_ino
    result = run(*eval_args(engine, target, fmt))
    assert (result.returncode, result.stderr) == (3, b"")
    info = target.stat()
    assert stat.S_IMODE(info.st_mode) == 0o604
    assert info.st_ino != old_inode  # a new file moved over the old one, not the old one rewritten
    if fmt != "parquet":
        assert target.read_bytes() == expected_output(fmt)
    else:
        assert target.read_bytes()[:4] == b"PAR1"
    assert leftovers(tmp_path) == []


def test_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    result = subprocess.run(["sh", "-c", f'umask 027 && exec "{sys.executable}" -m leadrules "$@"', "sh",
                             *eval_args("python", tmp_path / "new.jsonl")], capture_output=True, timeout=120)
    assert result.returncode == 3
    assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o640


def test_fmt_writes_through_a_symlinked_rule_file(tmp_path: Path) -> None:
    unformatted = RULES.read_text().replace("\n\n", "\n\n\n", 1)
    plain = tmp_path / "plain" / "copy.rules"
    plain.parent.mkdir()
    plain.write_text(unformatted)
    assert run("fmt", str(plain)).returncode == 0
    formatted = plain.read_text()
    assert formatted != unformatted
    real = tmp_path / "real.rules"
    real.write_text(unformatted)
    real.chmod(0o600)
    link = tmp_path / "link.rules"
    link.symlink_to(real)
    result = run("fmt", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert real.read_text() == formatted
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []


def test_error_inside_the_block_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "results.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), open_output_text(target) as stream:
        stream.write("partial\n")
        raise RuntimeError("stopped half way")
    assert target.read_text() == "old\n"
    assert leftovers(tmp_path) == []
    with pytest.raises(RuntimeError), output_file_path(target) as temp:
        temp.write_text("partial\n")
        raise RuntimeError("stopped half way")
    assert target.read_text() == "old\n"
    assert leftovers(tmp_path) == []


def test_temp_file_is_named_after_the_target(tmp_path: Path) -> None:
    target = tmp_path / "results.jsonl"
    with output_file_path(target) as temp:
        assert temp.parent == tmp_path
        assert temp.name.startswith(f".results.jsonl.leadrules-{os.getpid()}-")
        assert temp.name.endswith(".tmp")
        temp.write_text("done\n")
    assert target.read_text() == "done\n"
    assert temp_name_prefix(target) == ".results.jsonl.leadrules-"


def test_stale_temp_of_a_dead_process_is_removed_and_a_live_one_kept(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead_pid = int(finished.stdout)
    stale = tmp_path / f".results.jsonl.leadrules-{dead_pid}-0a1b2c3d.tmp"
    live = tmp_path / f".results.jsonl.leadrules-{os.getpid()}-0a1b2c3d.tmp"
    other = tmp_path / f".other.jsonl.leadrules-{dead_pid}-0a1b2c3d.tmp"
    for path in (stale, live, other):
        path.write_text("partial\n")
    result = run(*eval_args("python", tmp_path / "results.jsonl"))
    assert result.returncode == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name, "results.jsonl"])


def test_folder_target_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r": is a directory$"), open_output_text(tmp_path):
        pass


def test_junit_and_emitted_tests_write_through_symlinks(tmp_path: Path) -> None:
    for name in ("report.xml", "witnesses.rules"):
        (tmp_path / f"real-{name}").write_text("old\n")
        (tmp_path / f"real-{name}").chmod(0o640)
        (tmp_path / name).symlink_to(tmp_path / f"real-{name}")
    junit = run("test", str(RULES), "--junit", str(tmp_path / "report.xml"))
    assert junit.returncode == 0, junit.stderr
    emitted = run("check", str(EXAMPLES / "funnel_defects.rules"), "--emit-tests", str(tmp_path / "witnesses.rules"))
    assert emitted.returncode == 1, emitted.stderr
    for name in ("report.xml", "witnesses.rules"):
        assert (tmp_path / name).is_symlink()
        real = tmp_path / f"real-{name}"
        assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert (tmp_path / "real-report.xml").read_text().startswith("<?xml")
    assert (tmp_path / "real-witnesses.rules").read_text().startswith("tests for ")
    assert leftovers(tmp_path) == []


def test_duckdb_io_error_reason() -> None:
    from leadrules.batch.output import io_reason as _io_reason

    assert _io_reason('IO Error: Cannot open file "/x/.out.leadrules-1-ab.tmp": Permission denied') == \
        "Permission denied"
    assert _io_reason('IO Error: Async write failed: {"exception_type":"IO","exception_message":'
                      '"Could not write file \\"/x\\": No space left on device","errno":"28"}') == \
        os.strerror(28)
    assert _io_reason("IO Error: something \x1b[2J unexpected: 123") == "I/O error"
