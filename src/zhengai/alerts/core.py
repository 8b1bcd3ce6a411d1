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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.alerts.alertset import STATUS_CODES, Explainer, RuleAlerts, RuleGaps, Scope
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


#: Status of a breach by code: severity rose, stayed, fell; 3 = no alert last period.
_BREACH_STATUS = np.array([_ESCALATED, _ONGOING, _DE_ESCALATED, _NEW], dtype=np.int8)


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
    all_applicable: bool = False

    def scope(self) -> Scope:
        """The population arrays the rule's alerts point into (no copies)."""
        return Scope(self.ids, self.names, self.values, self.attributes, self.explain)


@dataclass
class Previous:
    """The open alerts of one rule last period, positioned in the current population.

    ``position[j]`` is the row of alert ``j``'s subject now (-1 when the subject is
    gone).  ``slots``, when given, is a scratch table of the population's size
    filled with -1, shared by the rules of one population and left as it was
    found (filling one per rule would cost more than the lifecycle itself).
    """

    position: NDArray[np.int64]
    rank: NDArray[np.int64]
    streak: NDArray[np.int64]
    quiet: NDArray[np.int64]
    since: NDArray[np.int64]
    slots: NDArray[np.int64] | None = None


Ranks = Callable[[NDArray[np.intp]], NDArray[np.int64]]


def _period(outcome: RuleOutcome, k: int) -> tuple[BoolArray, BoolArray, Ranks]:
    """At lag ``k``: whether a step holds, whether it is undecided for missing data, and
    a function giving the first-matching step's rank at given rows.

    Ranks are needed only where a step holds (a few percent of rows), so they are
    computed there alone; the whole population sees one pass per step.
    """
    steps = outcome.rule.steps
    true, missing = outcome.true[k], outcome.missing[k]
    if len(steps) == 1:
        holds, unknown = true[0], missing[0]
    else:
        holds = true[0].copy()
        for step_holds in true[1:]:
            np.logical_or(holds, step_holds, out=holds)
        # Undecided = a step is missing before any step holds; only rows with some
        # missing step can be undecided, so the order is worked out on those alone.
        unknown = missing[0].copy()
        for absent in missing[1:]:
            np.logical_or(unknown, absent, out=unknown)
        suspects = np.flatnonzero(unknown)
        if len(suspects):
            decided = np.zeros(len(suspects), dtype=bool)
            found = np.zeros(len(suspects), dtype=bool)
            for step_holds, absent in zip(true, missing, strict=True):
                found |= absent[suspects] & ~decided
                decided |= step_holds[suspects]
            unknown[suspects] = found
    if not outcome.all_applicable:
        holds = holds & outcome.applicable
        unknown = unknown & outcome.applicable

    def ranks(rows: NDArray[np.intp]) -> NDArray[np.int64]:
        if len(steps) == 1:
            return np.full(len(rows), steps[0].rank, dtype=np.int64)
        out = np.full(len(rows), -1, dtype=np.int64)
        # First match wins: writing from the last step to the first leaves the first's rank.
        for step, step_holds in zip(reversed(steps), reversed(true), strict=True):
            np.putmask(out, step_holds[rows], step.rank)
        return out

    return holds, unknown, ranks


def decide(
    outcome: RuleOutcome, ordinal: int, previous: Previous | None
) -> tuple[RuleAlerts, RuleGaps]:
    """Alerts and gaps of one rule from a backend's outcome and last period's open alerts.

    ``ordinal`` is the evaluated period's ordinal (alerts opened now start there).
    Everything is whole-array numpy with about one pass per step over the
    population; severities and the lifecycle are worked out on the alerted rows only.
    """
    rule = outcome.rule
    holds, unknown, ranks = _period(outcome, 0)
    current_holds, current_unknown = holds, unknown
    breach, gap = holds, unknown
    window = [ranks]
    if rule.rule.for_periods > 1:
        definitely_false = ~holds & ~unknown
        any_unknown = unknown.copy()
        for k in range(1, rule.rule.for_periods):
            holds, unknown, ranks = _period(outcome, k)
            window.append(ranks)
            breach = breach & holds
            definitely_false |= ~holds & ~unknown
            any_unknown |= unknown
        gap = any_unknown & ~definitely_false

    def severity(rows: NDArray[np.intp]) -> NDArray[np.int64]:
        # The sustained severity: the least severe step over the window.
        out = window[0](rows)
        for ranks_k in window[1:]:
            np.maximum(out, ranks_k(rows), out=out)
        return out

    prior = _present(previous) if previous is not None else None
    if prior is None:
        rows = np.flatnonzero(breach)
        count = len(rows)
        alerts = RuleAlerts(
            rule=rule,
            scope=outcome.scope(),
            rows=rows.astype(np.int64),
            rank=severity(rows),
            status=np.full(count, _NEW, dtype=np.int8),
            streak=np.ones(count, dtype=np.int64),
            quiet=np.zeros(count, dtype=np.int64),
            since=np.full(count, ordinal, dtype=np.int64),
        )
    else:
        alerts = _lifecycle(
            outcome, ordinal, prior, breach, severity, current_holds, current_unknown
        )
    # The gaps stay a mask: their rows are found only if someone reads them.
    gaps = RuleGaps(rule, outcome.ids, gap, outcome.absent)
    return alerts, gaps


def _lifecycle(
    outcome: RuleOutcome,
    ordinal: int,
    prior: Previous,
    breach: BoolArray,
    severity: Callable[[NDArray[np.intp]], NDArray[np.int64]],
    current_holds: BoolArray,
    current_unknown: BoolArray,
) -> RuleAlerts:
    # The alerts are this period's breaches, then last period's open alerts that do
    # not breach now.  After the one pass that finds the breaches everything works
    # on those rows alone, each in one pass: with tens of thousands of alerts the
    # passes over the alerts, not over the population, are what costs.
    position = prior.position
    slots = prior.slots if prior.slots is not None else np.full(len(breach), -1, dtype=np.int64)
    slots[position] = np.arange(len(position))
    fired = np.flatnonzero(breach)
    slot = slots[fired]  # the breach's alert last period, -1 for none
    slots[position] = -1  # leave the shared table as it was
    had = slot >= 0
    stopped = ~breach[position]
    extra = position[stopped]
    n_fired = len(fired)
    count = n_fired + len(extra)
    now, later = slice(0, n_fired), slice(n_fired, count)

    rows = np.empty(count, dtype=np.int64)
    rows[now], rows[later] = fired, extra
    rank = np.empty(count, dtype=np.int64)
    rank[now] = severity(fired)
    rank[later] = prior.rank[stopped]
    status = np.empty(count, dtype=np.int8)
    streak = np.empty(count, dtype=np.int64)
    quiet = np.zeros(count, dtype=np.int64)
    since = np.empty(count, dtype=np.int64)

    # Breaching now: new, or ongoing / escalated / de-escalated as the severity
    # moved.  (slot -1 reads the last alert's fields: masked out by `had`.)
    code = np.sign(rank[now] - prior.rank[slot]) + 1  # 0 more severe, 1 same, 2 less
    np.putmask(code, ~had, 3)
    status[now] = _BREACH_STATUS[code]
    streak[now] = np.where(had, prior.streak[slot] + 1, 1)
    since[now] = np.where(had, prior.since[slot], ordinal)

    # Open but not breaching: the severity stays; quiet grows only on a definitely
    # false period, resets when the condition holds again (a for_periods window not
    # yet complete), and stays while the data are missing.
    holds_now = current_holds[extra]
    calm = ~(holds_now | current_unknown[extra])
    quiet_now = np.where(holds_now, 0, prior.quiet[stopped] + calm)
    quiet[later] = quiet_now
    status[later] = np.where(
        calm & (quiet_now >= outcome.rule.rule.resolve_after), _RESOLVED, _ONGOING
    )
    streak[later] = prior.streak[stopped] + 1
    since[later] = prior.since[stopped]
    return RuleAlerts(
        rule=outcome.rule,
        scope=outcome.scope(),
        rows=rows,
        rank=rank,
        status=status,
        streak=streak,
        quiet=quiet,
        since=since,
    )


def _present(previous: Previous) -> Previous | None:
    """Last period's open alerts of the subjects still here (None when there are none)."""
    here = previous.position >= 0
    if not here.all():
        previous = Previous(
            position=previous.position[here],
            rank=previous.rank[here],
            streak=previous.streak[here],
            quiet=previous.quiet[here],
            since=previous.since[here],
            slots=previous.slots,
        )
    return previous if len(previous.position) else None
