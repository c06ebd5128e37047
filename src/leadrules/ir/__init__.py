"""The lowered plan: one definition of the evaluation semantics that every backend emits from.

`lower(model)` builds a `Plan` once per checked model (`plan.py`, nodes in `nodes.py`);
`emitter.py` holds the abstract emitters that the Python code generator, the SQL builder, the
z3 encoder and the plan interpreter implement, one method per plan operation.
"""

from __future__ import annotations

from leadrules.ir.lower import Lowering, lower
from leadrules.ir.plan import Plan

__all__ = ["Plan", "lower", "Lowering"]
