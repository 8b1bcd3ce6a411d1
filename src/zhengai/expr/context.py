"""What row-mode evaluation reads besides the row: history, population and goals.

``Expression.evaluate(row, context)`` evaluates one subject.  History functions
(``prev``, ``delta``…) read ``context.history[name][k - 1]``, the value ``k``
periods back; goal functions read ``context.goals[kind][indicator]``; population
functions (``pct_rank``, ``peer_mean``…) evaluate their argument over
``context.population`` (a :class:`~zhengai.expr.frame.Frame` of the subject's
peers, the subject included), restricted to the rows whose ``partition`` equals
``context.group`` when both are given.  Population statistics are cached on the
context, so evaluating many subjects with one context costs one pass over the
population per population function.  :meth:`RowContext.from_frame` builds the
context of row ``i`` of a frame, which is how the row and column backends are
checked against each other.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from zhengai.expr.errors import MissingContext
from zhengai.expr.frame import Frame

if TYPE_CHECKING:
    from zhengai.expr import ir

__all__ = ["MISSING_GROUP", "RowContext", "goal_value", "history_value", "population_values"]


class _MissingGroup:
    """The group of subjects whose partition key is missing."""

    def __repr__(self) -> str:
        return "MISSING_GROUP"


#: ``RowContext.group`` of a subject whose partition key is missing (None/NaN).
MISSING_GROUP: Hashable = _MissingGroup()


@dataclass
class RowContext:
    """History, population and goals of one subject (see the module docstring)."""

    history: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    population: Frame | None = None
    group: Hashable | None = None
    goals: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    _cache: dict[tuple[int, int, Any], tuple[Any, NDArray[np.float64]]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def from_frame(cls, frame: Frame, index: int) -> tuple[dict[str, Any], RowContext]:
        """The row and the context of subject ``index`` of ``frame``."""
        row = {name: _scalar(values[index]) for name, values in frame.columns.items()}
        history = {
            name: [_scalar(past[index]) for past in lags] for name, lags in frame.history.items()
        }
        goals = {
            kind: {name: _scalar(values[index]) for name, values in by_name.items()}
            for kind, by_name in frame.goals.items()
        }
        group = None
        if frame.partition is not None:
            group = _scalar(frame.partition[index])
            group = MISSING_GROUP if group is None else group
        context = cls(history=history, population=frame, group=group, goals=goals)
        # Contexts of one frame share population statistics: explaining many subjects
        # costs one pass over the population per function, not one per subject.
        context._cache = _frame_cache(frame)
        return row, context


_FRAME_CACHES: dict[int, dict[tuple[int, int, Any], tuple[Any, NDArray[np.float64]]]] = {}


def _frame_cache(frame: Frame) -> dict[tuple[int, int, Any], tuple[Any, NDArray[np.float64]]]:
    cache = _FRAME_CACHES.get(id(frame))
    if cache is None:
        cache = _FRAME_CACHES[id(frame)] = {}
        weakref.finalize(frame, _FRAME_CACHES.pop, id(frame), None)
    return cache


def _scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _missing(value: Any) -> Any:
    return None if value is None or value != value else value


def history_value(ctx: RowContext | None, name: str, k: int) -> Any:
    """``name`` ``k`` periods back, or None when unknown."""
    if ctx is None:
        raise MissingContext("历史函数需要 RowContext.history (history functions need a context)")
    past = ctx.history.get(name)
    if past is None or len(past) < k:
        return None
    return _missing(past[k - 1])


def goal_value(ctx: RowContext | None, kind: str, name: str) -> Any:
    """The subject's goal value of ``kind`` for indicator ``name``, or None."""
    if ctx is None:
        raise MissingContext("目标函数需要 RowContext.goals (goal functions need a context)")
    return _missing(ctx.goals.get(kind, {}).get(name))


def population_values(ctx: RowContext | None, key: tuple[ir.Node, int]) -> NDArray[np.float64]:
    """Sorted non-missing values of a population function's argument over the group."""
    if ctx is None or ctx.population is None:
        raise MissingContext(
            "群体函数需要 RowContext.population (population functions need a population)"
        )
    node, shift = key
    slot = (id(node), shift, ctx.group)
    cached = ctx._cache.get(slot)
    if cached is not None and cached[0] is node:  # the node is kept: its id is not reused
        return cached[1]
    from zhengai.expr.columns import evaluate_node

    frame = ctx.population
    values = evaluate_node(node.args[0], frame, shift)  # type: ignore[attr-defined]
    if frame.partition is not None and ctx.group is not None:
        keys = np.asarray(frame.partition, dtype=object)
        if ctx.group is MISSING_GROUP:  # subjects without a key are a group of their own
            none = np.equal(keys, None)  # type: ignore[call-overload]
            values = values[np.asarray(none | np.not_equal(keys, keys), dtype=np.bool_)]
        else:
            values = values[keys == ctx.group]
    values = np.sort(values[~np.isnan(values)])
    ctx._cache[slot] = (node, values)
    return values
