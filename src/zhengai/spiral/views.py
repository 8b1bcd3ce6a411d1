"""What people look at: state histograms per group, subjects stuck in a state.

Everything here is columnar over a :class:`~zhengai.spiral.engine.SpiralStates`;
overdue actions by owner are in :func:`zhengai.spiral.actions.overdue_by_owner`.
"""

from __future__ import annotations

import html
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.spiral.engine import Spiral, SpiralStates

__all__ = ["Population", "state_histogram", "stuck"]


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


class Population:
    """A population on one loop, for people to look at: counts per state, in Jupyter too.

    ``Population(spiral, states)`` shows each state's Chinese label, its 8字 step and
    how many subjects are in it (``_repr_html_``); :meth:`histogram` and
    :meth:`to_records` give the same as data.
    """

    def __init__(self, spiral: Spiral, states: SpiralStates) -> None:
        self.spiral = spiral
        self.states = states

    def __len__(self) -> int:
        return len(self.states)

    def __repr__(self) -> str:
        counts = ", ".join(f"{s} {n}" for s, n in self.histogram().items() if n)
        return f"Population({self.spiral.definition.id}: {len(self)} subjects; {counts})"

    def histogram(self) -> dict[str, int]:
        """Subjects per big-loop state, every state listed (zeros included)."""
        return self.spiral.histogram(self.states)

    def to_records(self) -> list[dict[str, Any]]:
        """One record per state: ``state, label, step, subjects``."""
        steps = {s.id: s.step for s in self.spiral.definition.states}
        return [
            {
                "state": state,
                "label": self.spiral.label(state),
                "step": None if steps.get(state) is None else str(steps[state]),
                "subjects": count,
            }
            for state, count in self.histogram().items()
        ]

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(r['label'])}</td><td>{html.escape(r['state'])}</td>"
            f"<td style='text-align:right'>{r['subjects']}</td></tr>"
            for r in self.to_records()
        )
        title = html.escape(f"{self.spiral.definition.name}（{len(self)} 个诊改主体）")
        return (
            f"<table><caption>{title}</caption>"
            "<tr><th>状态</th><th>state</th><th>主体数 subjects</th></tr>"
            f"{rows}</table>"
        )
