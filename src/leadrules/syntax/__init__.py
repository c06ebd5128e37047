"""Syntax: rule file text → AST (the only place that knows about Lark)."""

from leadrules.syntax.parser import parse

__all__ = ["parse"]
