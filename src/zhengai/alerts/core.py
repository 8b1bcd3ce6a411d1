"""What every backend computes, and what is decided from it the same way for all three.

A backend evaluates, for one rule over one level's subjects, each ladder step
at each period of the ``for_periods`` window: true, false or missing.  From
those truth tables :func:`decide` derives — in numpy, identically for every
backend — which subjects breach (and at which severity), which are data
gaps, and, against the previous period's alerts, each alert's status.

Semantics (documented in docs/packs.md):

* a ladder is first-match-wins; a subject whose first true step comes after a
  missing step still fires at that step, and is also reported as a data gap;
* ``for_periods = n``: the rule breaches when a step held in each of the last
  n periods; the severity is the least severe of those periods (红 must last n
  periods to be 红); a false period breaks the window, a missing one makes it a gap;
* an open alert whose condition is false counts ``quiet`` periods and is
  resolved when ``quiet`` reaches ``resolve_after``; while missing it is carried
  unchanged (missing is never taken for false).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.alerts.alertset import STATUS_CODES, Explainer, RuleAlerts, RuleGaps
from zhengai.model import AlertStatus
from zhengai.packs import CompiledRule

__all__ = ["Previous", "RuleOutcome", "decide"]

BoolArray = NDArray[np.bool_]
ObjectArray = NDArray[np.object_]

_NEW, _ONGOING, _ESCALATED, _DE_ESCALATED, _RESOLVED = (
    STATUS_CODES.index(s)
    for s in (
        AlertStatus.NEW,
        AlertStatus.ONGOING,
        AlertStatus.ESCALATED,
        AlertStatus.DE_ESCALATED,
        AlertStatus.RESOLVED,
    )
)


@dataclass
class RuleOutcome:
    """A backend's result for one rule over one level's subjects (``n`` of them).

    ``true[k][s]`` / ``missing[k][s]`` say whether ladder step ``s`` held / was
    missing ``k`` periods back (``k < for_periods``).  ``values`` are the
    current values of the rule's indicators, ``absent`` per indicator whether it
    was missing in any period the rule read, ``attributes`` the subject
    attributes its message shows.
    """

    rule: CompiledRule
    ids: ObjectArray
    names: ObjectArray
    applicable: BoolArray
    true: list[list[BoolArray]]
    missing: list[list[BoolArray]]
    values: dict[str, NDArray[Any]]
    absent: dict[str, BoolArray]
    attributes: dict[str, ObjectArray] = field(default_factory=dict)
    explain: Explainer | None = None


@dataclass
class Previous:
    """The open alerts of one rule last period, positioned in the current population.

    ``position[j]`` is the row of alert ``j``'s subject now (-1 when the subject is gone).
    """

    position: NDArray[np.int64]
    rank: NDArray[np.int64]
    streak: NDArray[np.int64]
    quiet: NDArray[np.int64]
    since: NDArray[np.int64]


def _step_ranks(outcome: RuleOutcome, k: int) -> tuple[NDArray[np.int64], BoolArray]:
    """Severity rank of the first true step at lag ``k`` (-1 none) and 'undecided before it'."""
    n = len(outcome.ids)
    rank = np.full(n, -1, dtype=np.int64)
    unknown = np.zeros(n, dtype=bool)
    for step, true, missing in zip(
        outcome.rule.steps, outcome.true[k], outcome.missing[k], strict=True
    ):
        undecided = rank < 0
        unknown |= missing & undecided
        rank[true & undecided] = step.rank
    not_applicable = ~outcome.applicable
    rank[not_applicable] = -1
    unknown[not_applicable] = False
    return rank, unknown


def decide(
    outcome: RuleOutcome, ordinal: int, previous: Previous | None
) -> tuple[RuleAlerts, RuleGaps]:
    """Alerts and gaps of one rule from a backend's outcome and last period's open alerts.

    ``ordinal`` is the evaluated period's ordinal (alerts opened now start there).
    """
    rule = outcome.rule
    n = len(outcome.ids)
    window = rule.rule.for_periods
    fired_all = np.ones(n, dtype=bool)
    definitely_false = np.zeros(n, dtype=bool)
    any_unknown = np.zeros(n, dtype=bool)
    least_severe = np.full(n, -1, dtype=np.int64)
    current_rank = np.full(n, -1, dtype=np.int64)
    current_false = np.zeros(n, dtype=bool)
    for k in range(window):
        rank, unknown = _step_ranks(outcome, k)
        fired = rank >= 0
        false = ~fired & ~unknown
        fired_all &= fired
        definitely_false |= false
        any_unknown |= unknown
        np.maximum(least_severe, rank, out=least_severe)
        if k == 0:
            current_rank, current_false = rank, false
    breach = fired_all
    gap = any_unknown & ~definitely_false & outcome.applicable

    open_before = np.zeros(n, dtype=bool)
    prev_rank = np.zeros(n, dtype=np.int64)
    prev_streak = np.zeros(n, dtype=np.int64)
    prev_quiet = np.zeros(n, dtype=np.int64)
    since = np.full(n, ordinal, dtype=np.int64)
    if previous is not None:
        here = previous.position >= 0
        at = previous.position[here]
        open_before[at] = True
        prev_rank[at] = previous.rank[here]
        prev_streak[at] = previous.streak[here]
        prev_quiet[at] = previous.quiet[here]
        since[at] = previous.since[here]

    rows = np.flatnonzero(breach | open_before)
    b, o = breach[rows], open_before[rows]
    rank = np.where(b, least_severe[rows], prev_rank[rows])
    status = np.full(len(rows), _ONGOING, dtype=np.int8)
    status[b & ~o] = _NEW
    status[b & o & (rank < prev_rank[rows])] = _ESCALATED
    status[b & o & (rank > prev_rank[rows])] = _DE_ESCALATED
    streak = np.where(o, prev_streak[rows] + 1, 1)
    # Open but not breaching: quiet grows only on a definitely false period, resets
    # when the condition holds again, and stays while the data are missing.
    quiet = np.where(b, 0, prev_quiet[rows])
    holding = ~b & o & (current_rank[rows] >= 0)
    quiet[holding] = 0
    calm = ~b & o & current_false[rows]
    quiet[calm] += 1
    status[calm & (quiet >= rule.rule.resolve_after)] = _RESOLVED
    since_rows = np.where(b & ~o, ordinal, since[rows])

    alerts = RuleAlerts(
        rule=rule,
        ids=outcome.ids[rows],
        names=outcome.names[rows],
        rank=rank.astype(np.int64),
        status=status,
        streak=streak.astype(np.int64),
        quiet=quiet.astype(np.int64),
        since=since_rows.astype(np.int64),
        values={k: v[rows] for k, v in outcome.values.items()},
        attributes={k: v[rows] for k, v in outcome.attributes.items()},
        explain=None if outcome.explain is None else _explainer(outcome.explain, rows),
    )
    gap_rows = np.flatnonzero(gap)
    gaps = RuleGaps(
        rule=rule,
        ids=outcome.ids[gap_rows],
        missing={k: v[gap_rows] for k, v in outcome.absent.items()},
    )
    return alerts, gaps


def _explainer(explain: Explainer, rows: NDArray[np.intp]) -> Explainer:
    return lambda i: explain(int(rows[i]))
