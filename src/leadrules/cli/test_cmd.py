"""`leadrules test` (wired by its own issue)."""

from __future__ import annotations

import click

__all__ = ["command"]


@click.command("test")
def command() -> None:
    """Not available yet."""
    raise click.UsageError("'test' is not available in this build")
