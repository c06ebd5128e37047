"""Compile generated evaluator source once per model and run it in a fresh namespace."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from leadrules import model as m
from leadrules.engine.python.codegen import GeneratedModule, generate
from leadrules.engine.python.runtime import Trace

__all__ = ["CompiledModule", "load_module"]

_counter = itertools.count(1)
_CACHE: OrderedDict[int, tuple[m.CheckedModel, CompiledModule]] = OrderedDict()
_CACHE_SIZE = 16


class CompiledModule:
    """The generated functions of one model, with the generated module they came from."""

    __slots__ = ("generated", "filename", "evaluate", "trace", "evaluate_fields")

    def __init__(self, generated: GeneratedModule, filename: str,
                 evaluate: Callable[..., dict[str, Any]], trace: Callable[..., Trace],
                 evaluate_fields: Callable[..., dict[str, Any]]) -> None:
        self.generated = generated
        self.filename = filename
        self.evaluate = evaluate
        self.trace = trace
        self.evaluate_fields = evaluate_fields


def load_module(model: m.CheckedModel) -> CompiledModule:
    """Generate, compile and build the evaluator of a model; cached by model identity (LRU)."""
    key = id(model)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is model:
        _CACHE.move_to_end(key)
        return hit[1]
    generated = generate(model)
    filename = f"<leadrules {model.name} #{next(_counter)}>"
    code = compile(generated.source, filename, "exec")
    namespace: dict[str, Any] = {"__name__": "leadrules_generated"}
    exec(code, namespace)  # our own generated module, compiled once per model
    evaluate, trace, evaluate_fields = namespace["build"](generated.constants)
    compiled = CompiledModule(generated, filename, evaluate, trace, evaluate_fields)
    _CACHE[key] = (model, compiled)
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled
