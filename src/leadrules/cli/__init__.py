"""The `leadrules` command line: a click group; each command lives in its own module and only
wires library calls to input, output and exit status."""

from __future__ import annotations

import contextlib
import errno
import importlib
import io
import os
import sys

import click

from leadrules.errors import InputError, LeadrulesError
from leadrules.textsafe import printable
from leadrules.version import __version__

__all__ = ["cli", "main"]


# command name → module defining `command`; imported only when that command runs, so
# `leadrules eval` does not pay for loading the linter and its solver.
_COMMANDS = {
    "check": "leadrules.cli.check_cmd",
    "eval": "leadrules.cli.eval_cmd",
    "explain": "leadrules.cli.explain_cmd",
    "test": "leadrules.cli.test_cmd",
    "fmt": "leadrules.cli.fmt_cmd",
    "export": "leadrules.cli.export_cmd",
    "doc": "leadrules.cli.doc_cmd",
    "diff": "leadrules.cli.diff_cmd",
    "report": "leadrules.cli.report_cmd",
    "calibrate": "leadrules.cli.calibrate_cmd",
}


class _OutputClosed(Exception):
    """Standard output was closed by its reader (`leadrules eval ... | head`)."""


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        command: click.Command = importlib.import_module(module_name).command
        return command

    def invoke(self, ctx: click.Context) -> object:
        # click would turn a broken pipe into exit status 1, which here means "the ruleset has errors"
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise _OutputClosed() from None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leadrules")
def cli() -> None:
    """leadrules: lead-qualification rules as checked, testable text files."""


class _ClosedStream(io.TextIOBase):
    """Stands in for a standard stream that was closed when leadrules started (`<&-`, `>&-`):
    using it is a one-line error, not an AttributeError on None."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def _closed(self) -> InputError:
        return InputError(f"standard {self.name} is closed")

    @property
    def buffer(self) -> object:
        raise self._closed()

    def read(self, size: int | None = -1) -> str:
        raise self._closed()

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        raise self._closed()

    def write(self, text: str) -> int:
        raise self._closed()

    def fileno(self) -> int:
        raise self._closed()

    def isatty(self) -> bool:
        return False

    def flush(self) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors are one line and exit 2; no traceback reaches a user."""
    if sys.stdin is None:
        sys.stdin = _ClosedStream("input")
    if sys.stdout is None:
        sys.stdout = _ClosedStream("output")
    try:
        _main(argv)
    finally:
        _flush_standard_output()


def _flush_standard_output() -> None:
    """Flush what is still buffered for stdout while an error can still be reported (`> /dev/full`
    fails only here for a short output); at interpreter exit it would be a traceback-like notice."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_standard_output()
        sys.exit(2)
    except (OSError, InputError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        click.echo(f"leadrules: error: standard output: cannot write ({reason})", err=True)
        _discard_standard_output()
        sys.exit(2)


def _discard_standard_output() -> None:
    # what is still buffered goes nowhere instead of failing again at exit
    with contextlib.suppress(OSError, ValueError, InputError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _main(argv: list[str] | None) -> None:
    try:
        cli.main(args=argv, prog_name="leadrules", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        # the message may quote a file name or a value from the input; click declares it Final
        exc.message = printable(exc.message)  # type: ignore[misc]
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except LeadrulesError as exc:
        click.echo(f"leadrules: error: {printable(str(exc))}", err=True)
        sys.exit(2)
    except (BrokenPipeError, _OutputClosed):
        # an I/O error (exit 2, so `set -o pipefail` sees output that was not all delivered); no message,
        # as the reader left on purpose
        _discard_standard_output()
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except RecursionError:
        click.echo("leadrules: error: input nested too deeply", err=True)
        sys.exit(2)
    except OSError as exc:
        # ordinary I/O trouble that no command turned into its own message (a read error, a full disk)
        if exc.filename:
            click.echo(f"leadrules: error: {exc.filename}: {exc.strerror or exc}", err=True)
        elif exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            click.echo(f"leadrules: error: cannot write output ({exc.strerror})", err=True)
        else:
            click.echo(f"leadrules: error: {exc.strerror or exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - last line of defence: a bug, reported in one line
        click.echo(f"leadrules: internal error: {type(exc).__name__}: {printable(str(exc))}", err=True)
        sys.exit(2)
