"""The columnar input of an evaluation: one population at one period, with history.

A :class:`Frame` is what ``Expression.evaluate_columns`` reads.  Rows are
subjects (aligned across every array); ``columns`` hold the current period's
values (``NaN`` = missing for numbers), ``history[name][k - 1]`` the values
``k`` periods back, ``partition`` the group key that population functions
(``pct_rank``, ``peer_mean``…) partition by, ``goals`` the subjects'
``target`` / ``baseline`` values per indicator, and ``index`` (optional) the
subject ids in row order.  ``zhengai.data`` builds frames from long-form
observations; :meth:`Frame.from_long` is the vectorised pivot they can use, and
scripts may build frames by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Frame", "group_codes"]


@dataclass(frozen=True)
class Frame:
    """Aligned columns of one population at one period (see the module docstring)."""

    columns: Mapping[str, NDArray[np.generic]]
    history: Mapping[str, Sequence[NDArray[np.float64]]] = field(default_factory=dict)
    partition: NDArray[np.generic] | None = None
    goals: Mapping[str, Mapping[str, NDArray[np.float64]]] = field(default_factory=dict)
    index: NDArray[np.generic] | None = None

    def __len__(self) -> int:
        for array in self.columns.values():
            return len(array)
        if self.index is not None:
            return len(self.index)
        return 0 if self.partition is None else len(self.partition)

    def lag(self, name: str, k: int) -> NDArray[np.float64] | None:
        """Values of ``name`` ``k`` periods back (``k = 0`` is the current period), or None."""
        if k == 0:
            column = self.columns.get(name)
            return None if column is None else np.asarray(column, dtype=np.float64)
        past = self.history.get(name, ())
        return past[k - 1] if k - 1 < len(past) else None

    @classmethod
    def from_long(
        cls,
        subject_ids: ArrayLike,
        indicators: ArrayLike,
        values: ArrayLike,
        *,
        subjects: ArrayLike | None = None,
    ) -> Frame:
        """Pivot long-form observations (one value per subject and indicator) into a frame.

        Rows follow ``subjects`` when given (observations of other subjects are
        dropped), else the order of first appearance.  A subject without a value
        for an indicator gets ``NaN`` (missing); when a pair occurs twice the
        last value wins.  One hash pass and one scatter per call: no per-row Python.
        """
        subject_codes, row_ids = _factorize(np.asarray(subject_ids, dtype=object), subjects)
        indicator_codes, names = _factorize(np.asarray(indicators, dtype=object), None)
        numbers = np.asarray(values, dtype=np.float64)
        keep = subject_codes >= 0
        grid = np.full((len(names), len(row_ids)), np.nan)
        grid[indicator_codes[keep], subject_codes[keep]] = numbers[keep]
        columns = {str(name): grid[i] for i, name in enumerate(names)}
        return cls(columns=columns, index=row_ids)


def group_codes(partition: ArrayLike) -> tuple[NDArray[np.intp], int]:
    """Integer group codes of partition keys; missing keys (None, NaN) form one group."""
    keys = np.asarray(partition, dtype=object)
    none = np.equal(keys, None)  # type: ignore[call-overload]
    missing: NDArray[np.bool_] = np.asarray(none | np.not_equal(keys, keys), dtype=np.bool_)
    codes = np.full(len(keys), -1, dtype=np.intp)
    found, _ = _factorize(keys[~missing], None)
    codes[~missing] = found
    groups = int(found.max()) + 1 if len(found) else 0
    codes[missing] = groups
    return codes, groups + 1


def _factorize(
    values: NDArray[Any], categories: ArrayLike | None
) -> tuple[NDArray[np.intp], NDArray[Any]]:
    """Integer codes of ``values`` (-1 when not in ``categories``) and the categories."""
    try:
        import pandas as pd  # hashing beats sorting object arrays by far
    except ImportError:  # pragma: no cover - pandas is an optional dependency
        return _factorize_numpy(values, categories)
    if categories is None:
        codes, uniques = pd.factorize(values)
        return codes.astype(np.intp, copy=False), np.asarray(uniques, dtype=object)
    index = pd.Index(np.asarray(categories, dtype=object))
    return index.get_indexer(values).astype(np.intp, copy=False), np.asarray(index, dtype=object)


def _factorize_numpy(
    values: NDArray[Any], categories: ArrayLike | None
) -> tuple[NDArray[np.intp], NDArray[Any]]:
    if categories is None:
        uniques, first, codes = np.unique(values, return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return rank[codes.reshape(-1)].astype(np.intp), uniques[order]
    cats = np.asarray(categories, dtype=object)
    sorter = np.argsort(cats)
    pos = np.searchsorted(cats, values, sorter=sorter).clip(0, max(len(cats) - 1, 0))
    found = sorter[pos] if len(cats) else np.zeros(len(values), dtype=np.intp)
    hit = cats[found] == values if len(cats) else np.zeros(len(values), dtype=bool)
    return np.where(hit, found, -1).astype(np.intp), cats
