"""Writing an output file: one rule for every command that writes one (`eval -o`, `fmt`,
`check --emit-tests`, `test --junit`).

* A regular file, or a path where nothing exists yet, is replaced atomically: the output goes
  to a temporary file in the same folder, `.NAME.leadrules-<pid>-<random>.tmp`, which is moved
  over the target with `os.replace` only when everything was written. The replaced file keeps
  its mode; a new file gets the mode `open()` would give it (0666 less the umask).
* A character or block device (`/dev/null`), a FIFO or a socket is written through: opened and
  written in place, never replaced (replacing `/dev/null` as root would destroy it).
* A symlink is resolved first and the same rule applies to what it points at, so the link
  stays a link and its target receives the output.

The temporary file is removed on any error. A temporary file of that pattern left next to the
target by a process that no longer runs (killed before it could clean up) is removed on the next
write to the same target. Errors while writing (disk full, permission denied, I/O error) become
one `InputError` naming the file; a reader that leaves a FIFO early raises `BrokenPipeError`,
which the command line treats like a closed pipe.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from leadrules.errors import InputError

__all__ = ["OutputTarget", "output_target", "open_output_text", "output_file_path", "write_output_text",
           "cannot_write", "temp_name_prefix"]

_NAME_ROOM = 180  # the target's name in a temporary name is cut here, to stay under NAME_MAX (255)
_TEMP_MARK = ".leadrules-"
_TEMP_SUFFIX = ".tmp"
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def cannot_write(shown: str, exc: OSError) -> InputError:
    """The one-line error for a failed write to `shown`."""
    return InputError(f"{shown}: cannot write ({exc.strerror or exc})")


@dataclass(frozen=True)
class OutputTarget:
    """Where an output goes and how: `path` is the file that receives the bytes (a symlink's
    final target), `replace` whether it is replaced atomically (regular or new file) or written
    through (device, FIFO, socket), `mode` the permission bits a replacing file gets."""

    shown: str
    path: Path
    replace: bool
    mode: int


def _new_file_mode() -> int:
    # the umask can only be read by setting it; it is put back at once
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def output_target(path: str | Path) -> OutputTarget:
    """Decide how `path` is written (see the module docstring); a folder is an error."""
    shown = str(path)
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    try:
        info = target.stat()
    except FileNotFoundError:
        return OutputTarget(shown, target, True, _new_file_mode())
    except OSError as exc:
        raise cannot_write(shown, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{shown}: is a directory")
    if stat.S_ISREG(info.st_mode):
        return OutputTarget(shown, target, True, stat.S_IMODE(info.st_mode))
    return OutputTarget(shown, target, False, 0)


def temp_name_prefix(target: Path) -> str:
    """`.NAME.leadrules-`: the start of every temporary file written for `target`."""
    return f".{target.name[:_NAME_ROOM]}{_TEMP_MARK}"


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


def _remove_stale_temps(target: Path) -> None:
    """Remove `.NAME.leadrules-<pid>-<random>.tmp` files next to `target` whose process is gone."""
    prefix = temp_name_prefix(target)
    folder = target.parent
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(_TEMP_SUFFIX)):
                continue
            pid_text, _, token = name[len(prefix):-len(_TEMP_SUFFIX)].partition("-")
            if not (pid_text.isdigit() and token.isalnum()) or int(pid_text) == os.getpid():
                continue
            if entry.is_file(follow_symlinks=False) and _process_gone(int(pid_text)):
                with contextlib.suppress(OSError):
                    os.unlink(folder / name)


def _create_temp(target: OutputTarget) -> tuple[int, Path]:
    """A new, empty temporary file next to the target (mode 0600 until it is complete)."""
    _remove_stale_temps(target.path)
    prefix = temp_name_prefix(target.path)
    while True:
        temp = target.path.parent / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}{_TEMP_SUFFIX}"
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o600), temp
        except FileExistsError:
            continue
        except OSError as exc:
            raise cannot_write(target.shown, exc) from None


def _open_through(target: OutputTarget) -> int:
    """Open a device, FIFO or socket for writing, in place (a FIFO waits for its reader)."""
    try:
        return os.open(target.path, os.O_WRONLY | _O_CLOEXEC)
    except OSError as exc:
        raise cannot_write(target.shown, exc) from None


class _ReportingFile(io.FileIO):
    """A file whose write errors (disk full, I/O error) name the output in one line; a reader
    that left (EPIPE) stays a BrokenPipeError."""

    def __init__(self, fd: int, shown: str) -> None:
        super().__init__(fd, "wb", closefd=True)
        self.shown = shown

    def write(self, data: object) -> int:
        try:
            return super().write(data)  # type: ignore[arg-type]
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise cannot_write(self.shown, exc) from None


def _finish(temp: Path, target: OutputTarget) -> None:
    try:
        os.chmod(temp, target.mode)
        os.replace(temp, target.path)
    except OSError as exc:
        raise cannot_write(target.shown, exc) from None


def _discard(temp: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(temp)


class _StandardOutput(io.TextIOBase):
    """Standard output whose write errors (`> /dev/full`) are one line; a reader that left
    (`| head`) stays a BrokenPipeError."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise cannot_write("standard output", exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise cannot_write("standard output", exc) from None


@contextlib.contextmanager
def open_output_text(path: str | Path | None) -> Iterator[IO[str]]:
    """A UTF-8 text stream (no newline translation) that becomes the output at `path` when the
    block ends without an error; on error a replaced file is left as it was. None or '-' is
    standard output."""
    if path is None or str(path) == "-":
        if sys.stdout is None:
            raise InputError("standard output is closed")
        standard = _StandardOutput(sys.stdout)
        yield cast(IO[str], standard)
        standard.flush()
        return
    target = output_target(path)
    if not target.replace:
        fd = _open_through(target)
        with io.TextIOWrapper(io.BufferedWriter(_ReportingFile(fd, target.shown), 1 << 16),
                              encoding="utf-8", newline="") as stream:
            yield stream
        return
    fd, temp = _create_temp(target)
    try:
        with io.TextIOWrapper(io.BufferedWriter(_ReportingFile(fd, target.shown), 1 << 16),
                              encoding="utf-8", newline="") as stream:
            yield stream
        _finish(temp, target)
    except BaseException:
        _discard(temp)
        raise


def write_output_text(path: str | Path, text: str) -> None:
    """Write a whole text to `path` by the rules of `open_output_text`."""
    with open_output_text(path) as stream:
        stream.write(text)


@contextlib.contextmanager
def output_file_path(path: str | Path) -> Iterator[Path]:
    """A path for a writer that takes a file name (DuckDB's COPY): fill it inside the block and
    it becomes the output. For a regular or new file it is the temporary file next to the target
    (moved over it at the end); for a device, FIFO or socket a file in the system's temporary
    folder, copied through to the target at the end."""
    target = output_target(path)
    if target.replace:
        fd, temp = _create_temp(target)
        os.close(fd)
        try:
            yield temp
            _finish(temp, target)
        except BaseException:
            _discard(temp)
            raise
        return
    with tempfile.TemporaryDirectory(prefix="leadrules-") as folder:
        spool = Path(folder) / (target.path.name or "output")
        yield spool
        fd = _open_through(target)
        with _ReportingFile(fd, target.shown) as sink, spool.open("rb") as source:
            shutil.copyfileobj(source, sink, 1 << 20)
