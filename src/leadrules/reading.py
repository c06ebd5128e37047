"""One-line messages for files that cannot be read, the same wherever leadrules reads one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from leadrules.errors import InputError

__all__ = ["input_errors_for"]


@contextlib.contextmanager
def input_errors_for(path: str | Path) -> Iterator[None]:
    """Inside, an OSError while opening or reading `path` becomes an InputError that names the
    file in one line (`no such file`, `is a directory`, `cannot read (reason)`), so the user sees
    `error: ...` and exit status 2 rather than a traceback."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
