"""What people look at: state histograms per group, subjects stuck in a state.

Everything here is columnar over a :class:`~zhengai.spiral.engine.SpiralStates`;
overdue actions by owner are in :func:`zhengai.spiral.actions.overdue_by_owner`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.spiral.engine import Spiral, SpiralStates

__all__ = ["state_histogram", "stuck"]


def state_histogram(
    spiral: Spiral, states: SpiralStates, by: NDArray[Any] | None = None
) -> dict[str, dict[str, int]]:
    """Subjects per big-loop state, overall (key ``"*"``) or per group of ``by``.

    ``by`` is aligned with the population: the level, department or any other
    attribute of each subject.  Every state is listed, zeros included.
    """
    k = len(spiral.state_ids)
    if by is None:
        return {"*": spiral.histogram(states)}
    groups, inverse = np.unique(np.asarray(by).astype(str), return_inverse=True)
    table = np.bincount(inverse * k + states.state, minlength=len(groups) * k).reshape(-1, k)
    return {
        str(g): {s: int(c) for s, c in zip(spiral.state_ids, row, strict=True)}
        for g, row in zip(groups, table, strict=True)
    }


def stuck(
    spiral: Spiral,
    states: SpiralStates,
    threshold: timedelta,
    *,
    now: datetime | None = None,
    only: Collection[str] | None = None,
) -> NDArray[np.intp]:
    """Rows of subjects that entered their current state longer than ``threshold`` ago.

    ``only`` limits the check to some states (e.g. the close state, where a subject
    waits for its next cycle).
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    limit = np.datetime64(now, "s") - np.timedelta64(int(threshold.total_seconds()), "s")
    old = states.entered_at < limit
    if only is not None:
        codes = np.array([spiral.state_ids.index(s) for s in only], dtype=np.int16)
        old &= np.isin(states.state, codes)
    return np.flatnonzero(old)
