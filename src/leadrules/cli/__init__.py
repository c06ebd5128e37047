"""The `leadrules` command line: a click group; each command lives in its own module and only
wires library calls to input, output and exit status."""

from __future__ import annotations

import sys

import click

from leadrules import __version__
from leadrules.errors import LeadrulesError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leadrules")
def cli() -> None:
    """leadrules: lead-qualification rules as checked, testable text files."""


def _register() -> None:
    from leadrules.cli import check_cmd, eval_cmd, explain_cmd, export_cmd, fmt_cmd, test_cmd

    for module in (check_cmd, eval_cmd, explain_cmd, test_cmd, fmt_cmd, export_cmd):
        cli.add_command(module.command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors are one line and exit 2; no traceback reaches a user."""
    try:
        cli.main(args=argv, prog_name="leadrules", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except LeadrulesError as exc:
        click.echo(f"leadrules: error: {exc}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
    except RecursionError:
        click.echo("leadrules: error: input nested too deeply", err=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - last line of defence: a bug, reported in one line
        click.echo(f"leadrules: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
