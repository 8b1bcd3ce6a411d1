"""Guard inputs for the spiral from one run: goals, standards, data completeness, alerts.

The spiral's built-in guards read columns (:class:`zhengai.spiral.GuardInputs`);
this module derives them, for a whole population at once, from what a
diagnosis run has: each subject's goals and their targets (the goal chain),
which indicators the pack's rules watch at the subject's level (the standards
that cover a goal), the share of those indicators observed this period (data
completeness), the period's alerts (red alerts, open gaps), and the actions
or reasoned acceptances that handle them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

import numpy as np

from zhengai.alerts import AlertSet
from zhengai.alerts.batch import rules_by_level
from zhengai.chain import GoalChain
from zhengai.data import Observations, Subjects
from zhengai.model import Level, Period
from zhengai.packs import Pack
from zhengai.spiral import GuardInputs
from zhengai.spiral.guards import alert_inputs

__all__ = ["guard_inputs", "watched_indicators"]


def watched_indicators(pack: Pack, period: Period | None = None) -> dict[Level, set[str]]:
    """The indicators the pack's rules read, per level: what its standards cover.

    With ``period``, only the rules that run at it (their cadence is its kind):
    a 学年 figure is not expected in a 学期, nor a 学期 figure in a 学年.
    """
    out: dict[Level, set[str]] = defaultdict(set)
    for level, rules in rules_by_level(pack, period).items():
        for compiled in rules:
            out[level].update(compiled.indicators)
    return dict(out)


def guard_inputs(
    subject_ids: Sequence[str],
    *,
    pack: Pack,
    subjects: Subjects,
    observations: Observations,
    period: Period | str,
    alerts: AlertSet | None = None,
    chain: GoalChain | None = None,
    handled: Collection[tuple[str, str]] = (),
) -> GuardInputs:
    """Guard-input columns aligned with ``subject_ids`` (the order a loop's states load in).

    ``targets``/``goal_mask`` come from the goals each subject owns in ``chain``;
    ``covered`` says whether a rule of the subject's level watches the indicator;
    ``data_ratio`` is the share of the indicators that the rules running at ``period``
    (by cadence) watch and that were observed in it
    (NaN when the level has none, so completeness stays unknown); alert columns
    come from ``alerts`` with ``handled`` ``(subject_id, rule)`` pairs.
    """
    target_period = Period.parse(period)
    n = len(subject_ids)
    row_of = {s: i for i, s in enumerate(subject_ids)}
    goals: dict[str, dict[str, float]] = defaultdict(dict)
    if chain is not None:
        for goal in chain.goals:
            if goal.owner in row_of:
                for item in goal.indicators:
                    if item.target is not None:
                        goals[goal.owner][item.indicator] = float(item.target)
    indicators = tuple(sorted({i for per in goals.values() for i in per}))
    col_of = {name: j for j, name in enumerate(indicators)}
    targets = np.full((n, len(indicators)), np.nan)
    for owner, per in goals.items():
        for name, value in per.items():
            targets[row_of[owner], col_of[name]] = value
    goal_mask = ~np.isnan(targets)

    watched = watched_indicators(pack)
    levels = [_level(subjects, s) for s in subject_ids]
    covered = np.zeros((n, len(indicators)), dtype=bool)
    for i, level in enumerate(levels):
        if level is not None:
            covered[i] = [name in watched.get(level, ()) for name in indicators]

    # Completeness counts only what the period's rules read: a term-only figure is
    # not missing from a year.
    expected = watched_indicators(pack, target_period)
    data_ratio = _completeness(subject_ids, levels, expected, observations, target_period)
    columns = alert_inputs(subject_ids, alerts.alerts if alerts else (), handled=handled)
    return GuardInputs(
        n=n,
        indicators=indicators,
        targets=targets,
        goal_mask=goal_mask,
        covered=covered,
        data_ratio=data_ratio,
        **columns,
    )


def _completeness(
    subject_ids: Sequence[str],
    levels: Sequence[Level | None],
    watched: dict[Level, set[str]],
    observations: Observations,
    period: Period,
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    # Count, per subject, the watched indicators with a value this period — one pass over
    # the period's rows, grouped by subject, never a Python loop over all observations.
    present: dict[str, set[str]] = defaultdict(set)
    this = (observations.period == str(period)) & ~np.isnan(observations.value)
    this &= np.isin(observations.subject_id, np.asarray(subject_ids, dtype=object))
    for sid, name in zip(
        observations.subject_id[this].tolist(), observations.indicator[this].tolist(), strict=True
    ):
        present[sid].add(name)
    ratio = np.full(len(subject_ids), np.nan)
    for i, (sid, level) in enumerate(zip(subject_ids, levels, strict=True)):
        needed = watched.get(level, set()) if level is not None else set()
        if needed:
            ratio[i] = len(present[sid] & needed) / len(needed)
    return ratio


def _level(subjects: Subjects, subject_id: str) -> Level | None:
    subject = subjects.get(subject_id)
    return None if subject is None else subject.level
