"""`leadrules explain` (wired by its own issue)."""

from __future__ import annotations

import click

__all__ = ["command"]


@click.command("explain")
def command() -> None:
    """Not available yet."""
    raise click.UsageError("'explain' is not available in this build")
