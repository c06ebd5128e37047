"""`leadrules eval` (wired by its own issue)."""

from __future__ import annotations

import click

__all__ = ["command"]


@click.command("eval")
def command() -> None:
    """Not available yet."""
    raise click.UsageError("'eval' is not available in this build")
