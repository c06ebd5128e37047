"""`leadrules fmt` (wired by its own issue)."""

from __future__ import annotations

import click

__all__ = ["command"]


@click.command("fmt")
def command() -> None:
    """Not available yet."""
    raise click.UsageError("'fmt' is not available in this build")
