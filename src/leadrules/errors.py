"""Exception classes for internal faults and for user errors that stop a command."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the diagnostics module does not import this one; keep it that way
    from leadrules.diagnostics import Diagnostic

__all__ = ["LeadrulesError", "InternalError", "RulesetError", "InputError"]


class LeadrulesError(Exception):
    """Base class of every exception leadrules raises on purpose."""


class InternalError(LeadrulesError):
    """A bug in leadrules, never a problem in the user's input."""


class RulesetError(LeadrulesError):
    """A ruleset could not be loaded; carries its diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0].message if diagnostics else "ruleset has errors"
        super().__init__(first)


class InputError(LeadrulesError):
    """A file could not be read or has the wrong form (exit status 2)."""
