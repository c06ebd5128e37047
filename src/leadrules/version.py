"""The package version: a leaf module, so that renderers and the CLI can print it without
importing the package's public API (and, through it, the engines)."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
