"""Proportions with Wilson 95 % intervals, and the lift of one rate over another.

The Wilson score interval stays inside [0, 1] and behaves at 0 and n successes, where the
normal approximation does not; the lift interval is Katz's log method for a ratio of two
independent proportions (the usual risk-ratio interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Z95", "Rate", "Lift", "rate", "wilson", "lift", "f1"]

Z95 = 1.959963984540054  # the two-sided 95 % quantile of the standard normal


@dataclass(frozen=True)
class Rate:
    """k of n, its value and Wilson 95 % interval (all None when n is 0)."""

    hits: int
    total: int
    value: float | None
    low: float | None
    high: float | None

    def to_json(self) -> dict[str, object]:
        return {"hits": self.hits, "total": self.total, "value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Lift:
    """The positive rate where a rule fired over the rate where it did not, with a 95 % interval.
    `value` is None when the rate without it is 0 (no ratio); the interval is None when either
    group has no positive (the log method needs both)."""

    value: float | None
    low: float | None
    high: float | None

    def to_json(self) -> dict[str, object]:
        return {"value": self.value, "low": self.low, "high": self.high}


def wilson(hits: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of hits/total, None for total 0."""
    if total <= 0:
        return None
    p = hits / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(hits: int, total: int) -> Rate:
    interval = wilson(hits, total)
    if interval is None:
        return Rate(hits, total, None, None, None)
    return Rate(hits, total, hits / total, interval[0], interval[1])


def lift(hits_with: int, total_with: int, hits_without: int, total_without: int, z: float = Z95) -> Lift:
    """(hits_with/total_with) / (hits_without/total_without) with Katz's log interval."""
    if total_with <= 0 or total_without <= 0 or hits_without <= 0:
        return Lift(None, None, None)
    value = (hits_with / total_with) / (hits_without / total_without)
    if hits_with <= 0:
        return Lift(value, None, None)
    spread = z * math.sqrt(1 / hits_with - 1 / total_with + 1 / hits_without - 1 / total_without)
    return Lift(value, value * math.exp(-spread), value * math.exp(spread))


def f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)
