"""The columns and row backends: rule outcomes from a pivoted :class:`~zhengai.expr.Frame`.

Both read the same frame (one level's subjects at one period, with history);
the columns backend evaluates every condition over the whole population at
once, the row backend one subject at a time through ``Expression.evaluate``
(slow, and there to check the others).  Periods inside a ``for_periods``
window are evaluated on the frame shifted back ``k`` periods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.alerts.core import RuleOutcome
from zhengai.data import Subjects
from zhengai.expr import Expression, Frame, RowContext
from zhengai.packs import CompiledRule

__all__ = ["FramePopulation", "columns_outcome", "row_outcome", "shift_frame"]

BoolArray = NDArray[np.bool_]


class FramePopulation:
    """One level's subjects and their frame, shared by every rule of that level."""

    def __init__(self, ids: NDArray[Any], frame: Frame, subjects: Subjects) -> None:
        self.ids = np.asarray(ids, dtype=object)
        self.subjects = subjects
        columns = dict(frame.columns)
        # Expressions may read the built-in attributes; the pivot carries free ones only.
        columns.setdefault("level", subjects.levels)
        columns.setdefault("parent_id", subjects.parent_ids)
        self.frame = replace(frame, columns=columns)
        # Frames k periods back, per peer group; kept so that their population
        # statistics (cached per frame by zhengai.expr) are computed once.
        self._shifted: dict[tuple[int, str | None], Frame] = {(0, None): self.frame}
        self._groups: dict[str, NDArray[np.int64]] = {}
        self._absent: dict[tuple[str, int], NDArray[np.bool_]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def at(self, k: int, rule: CompiledRule) -> Frame:
        """The frame ``k`` periods back, partitioned by the rule's peer group."""
        group = rule.rule.peer_group
        frame = self._shifted.get((k, group))
        if frame is None:
            frame = self._shifted.get((k, None))
            if frame is None:
                frame = self._shifted[(k, None)] = shift_frame(self.frame, k)
            if group is not None:
                frame = self._shifted[(k, group)] = replace(frame, partition=self.groups(group))
        return frame

    def groups(self, name: str) -> NDArray[np.int64]:
        """Integer codes of an attribute; subjects without it form one group (like SQL NULLs)."""
        codes = self._groups.get(name)
        if codes is None:
            index: dict[object, int] = {}
            codes = np.array(
                [index.setdefault(v, len(index)) for v in self.attribute(name).tolist()],
                dtype=np.int64,
            )
            self._groups[name] = codes
        return codes

    def absent(self, name: str, depth: int) -> NDArray[np.bool_]:
        """Whether ``name`` is missing now or in any of the ``depth`` periods before."""
        key = (name, depth)
        found = self._absent.get(key)
        if found is None:
            frame = self.frame
            found = np.isnan(np.asarray(frame.columns[name], dtype=np.float64))
            for past in list(frame.history.get(name, ()))[:depth]:
                found = found | np.isnan(past)
            self._absent[key] = found
        return found

    def attribute(self, name: str) -> NDArray[np.object_]:
        """An attribute column of the subjects (None where absent)."""
        try:
            return np.asarray(self.subjects.column(name), dtype=object)
        except KeyError:
            return np.full(len(self.ids), None, dtype=object)


def shift_frame(frame: Frame, k: int) -> Frame:
    """``frame`` ``k`` periods back: indicator columns and history move, attributes stay."""
    if k == 0:
        return frame
    columns = dict(frame.columns)
    history: dict[str, list[NDArray[np.float64]]] = {}
    n = len(frame)
    for name, past in frame.history.items():
        columns[name] = past[k - 1] if k - 1 < len(past) else np.full(n, np.nan)
        history[name] = list(past[k:])
    return replace(frame, columns=columns, history=history)


def _truth(result: Any) -> tuple[BoolArray, BoolArray]:
    missing = np.ma.getmaskarray(result)
    # Never trust the data under the mask: true is "data and not missing", which for
    # booleans is data > missing (one pass instead of an inversion and an and).
    true = np.greater(np.asarray(np.ma.getdata(result), dtype=bool), missing)
    return true, missing


def _window_depth(rule: CompiledRule) -> int:
    return rule.rule.for_periods - 1 + rule.history_depth


def _absent(population: FramePopulation, rule: CompiledRule) -> dict[str, BoolArray]:
    depth = _window_depth(rule)
    return {name: population.absent(name, depth) for name in rule.indicators}


def _base(population: FramePopulation, rule: CompiledRule) -> dict[str, Any]:
    frame = population.frame
    return {
        "rule": rule,
        "ids": population.ids,
        "names": np.asarray(population.subjects.names, dtype=object),
        "values": {name: np.asarray(frame.columns[name]) for name in rule.indicators},
        "absent": _absent(population, rule),
        "attributes": {
            target: population.attribute(target)
            for kind, target in rule.fields.values()
            if kind == "attribute"
        },
        "explain": _explainer(population, rule),
    }


def columns_outcome(population: FramePopulation, rule: CompiledRule) -> RuleOutcome:
    """Evaluate one rule over a whole level at once (the columnar backend)."""
    n = len(population)
    if rule.applies_to is None:
        applicable = np.ones(n, dtype=bool)
    else:
        applicable, _ = _truth(rule.applies_to.evaluate_columns(population.at(0, rule)))
    true: list[list[BoolArray]] = []
    missing: list[list[BoolArray]] = []
    for k in range(rule.rule.for_periods):
        frame = population.at(k, rule)
        pairs = [_truth(step.expression.evaluate_columns(frame)) for step in rule.steps]
        true.append([t for t, _ in pairs])
        missing.append([m for _, m in pairs])
    return RuleOutcome(
        applicable=applicable,
        true=true,
        missing=missing,
        all_applicable=rule.applies_to is None,
        **_base(population, rule),
    )


class _Rows:
    """Rows and contexts of one frame (contexts of one frame share population statistics)."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    def __getitem__(self, i: int) -> tuple[dict[str, Any], RowContext]:
        return RowContext.from_frame(self.frame, i)


def _row_truth(expression: Expression, rows: _Rows, n: int) -> tuple[BoolArray, BoolArray]:
    true = np.zeros(n, dtype=bool)
    missing = np.zeros(n, dtype=bool)
    for i in range(n):
        row, context = rows[i]
        value = expression.evaluate(row, context)
        if value is None:
            missing[i] = True
        else:
            true[i] = bool(value)
    return true, missing


def row_outcome(population: FramePopulation, rule: CompiledRule) -> RuleOutcome:
    """Evaluate one rule subject by subject through the row backend."""
    n = len(population)
    current = _Rows(population.at(0, rule))
    if rule.applies_to is None:
        applicable = np.ones(n, dtype=bool)
    else:
        applicable, _ = _row_truth(rule.applies_to, current, n)
    true: list[list[BoolArray]] = []
    missing: list[list[BoolArray]] = []
    for k in range(rule.rule.for_periods):
        rows = current if k == 0 else _Rows(population.at(k, rule))
        pairs = [_row_truth(step.expression, rows, n) for step in rule.steps]
        true.append([t for t, _ in pairs])
        missing.append([m for _, m in pairs])
    return RuleOutcome(
        applicable=applicable,
        true=true,
        missing=missing,
        all_applicable=rule.applies_to is None,
        **_base(population, rule),
    )


def _explainer(population: FramePopulation, rule: CompiledRule) -> Any:
    """Explain subject ``i``'s current period: the first step that holds, else the first step."""

    def explain(i: int) -> str:
        rows = _Rows(population.at(0, rule))
        row, context = rows[i]
        chosen: Sequence[Any] = [
            s for s in rule.steps if s.expression.evaluate(row, context) is True
        ] or rule.steps[:1]
        explanation = chosen[0].expression.explain(row, context, lang="zh")
        text = getattr(explanation, "text", None)
        return f"{chosen[0].severity}：{text if isinstance(text, str) else explanation}"

    return explain
