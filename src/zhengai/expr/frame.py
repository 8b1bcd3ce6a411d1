"""The columnar input of an evaluation: one population at one period, with history.

A :class:`Frame` is what ``Expression.evaluate_columns`` reads.  Rows are
subjects (aligned across every array); ``columns`` hold the current period's
values (``NaN`` = missing for numbers), ``history[name][k - 1]`` the values
``k`` periods back, ``partition`` the group key that population functions
(``pct_rank``, ``peer_mean``…) partition by, and ``goals`` the subjects'
``target`` / ``baseline`` values per indicator.  ``zhengai.data`` builds frames
from long-form observations; scripts may build them by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["Frame"]


@dataclass(frozen=True)
class Frame:
    """Aligned columns of one population at one period (see the module docstring)."""

    columns: Mapping[str, NDArray[np.generic]]
    history: Mapping[str, Sequence[NDArray[np.float64]]] = field(default_factory=dict)
    partition: NDArray[np.generic] | None = None
    goals: Mapping[str, Mapping[str, NDArray[np.float64]]] = field(default_factory=dict)

    def __len__(self) -> int:
        for array in self.columns.values():
            return len(array)
        return 0 if self.partition is None else len(self.partition)

    def lag(self, name: str, k: int) -> NDArray[np.float64] | None:
        """Values of ``name`` ``k`` periods back (``k = 0`` is the current period), or None."""
        if k == 0:
            column = self.columns.get(name)
            return None if column is None else np.asarray(column, dtype=np.float64)
        past = self.history.get(name, ())
        return past[k - 1] if k - 1 < len(past) else None
