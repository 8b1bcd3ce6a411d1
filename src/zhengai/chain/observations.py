"""Actual values for the roll-up from state data (``zhengai.data.Observations``).

A goal is measured by its owner subject's observations: the goal ``专业A-就业`` owned by
subject ``m01`` with indicator ``employment_rate`` takes the value observed for
``(m01, employment_rate)`` in the chosen period.  Periods match exactly (a yearly goal
reads yearly observations).  Several goals of one owner and indicator all take the same
value; when the data repeat a ``(subject, indicator, period)`` the last row wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from zhengai.chain.rollup import SlotValues
from zhengai.data import Observations
from zhengai.model import Observation, Period

if TYPE_CHECKING:
    from zhengai.chain.graph import GoalChain

__all__ = ["actuals_from_observations"]


def actuals_from_observations(
    chain: GoalChain,
    observations: Observations | Iterable[Observation],
    period: Period | str,
) -> SlotValues:
    """Each goal indicator's actual value in ``period``, from its owner's observations.

    Matching runs over whole columns (factorised keys and one sorted search), with no
    Python loop over observations.  Goals without a matching observation stay missing.
    """
    if not isinstance(observations, Observations):
        observations = Observations.from_records(observations)
    c = chain.compiled()
    actual = np.full(len(c.slot_goal), np.nan)
    if not len(c.slot_goal) or not len(observations):
        return SlotValues(c, actual)
    wanted = str(Period.parse(period))
    rows = np.flatnonzero(observations.period == wanted)
    if not len(rows):
        return SlotValues(c, actual)
    owners = np.asarray([g.owner for g in chain], dtype=object)[c.slot_goal]
    slot_ind = np.asarray(c.indicator_ids, dtype=object)[c.slot_indicator]
    subjects = np.concatenate([owners, observations.subject_id[rows]])
    indicators = np.concatenate([slot_ind, observations.indicator[rows]])
    _, subject_code = np.unique(subjects.astype(str), return_inverse=True)
    _, indicator_code = np.unique(indicators.astype(str), return_inverse=True)
    keys = subject_code.astype(np.int64) * (int(indicator_code.max()) + 1) + indicator_code
    n_slots = len(owners)
    slot_keys, obs_keys = keys[:n_slots], keys[n_slots:]
    # last row wins: a stable sort keeps row order among equal keys; take the last of each
    order = np.argsort(obs_keys, kind="stable")
    sorted_keys = obs_keys[order]
    last = np.searchsorted(sorted_keys, slot_keys, side="right") - 1
    found = (last >= 0) & (sorted_keys[np.maximum(last, 0)] == slot_keys)
    values = observations.value[rows]
    actual[found] = values[order[last[found]]]
    return SlotValues(c, actual)
