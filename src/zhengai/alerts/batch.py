"""``zhengai.alerts.evaluate``: every rule of a pack over a whole population, in one batch."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Engine
from sqlalchemy.sql import FromClause

from zhengai.alerts.alertset import STATUS_CODES, AlertSet, RuleAlerts
from zhengai.alerts.core import Previous, RuleOutcome, decide
from zhengai.alerts.errors import PreviousMismatch, UnknownBackend
from zhengai.alerts.frames import FramePopulation, columns_outcome, row_outcome
from zhengai.data import Observations, Subjects
from zhengai.model import AlertStatus, Level, Observation, Period, Subject
from zhengai.packs import CompiledRule, Pack, load_pack

__all__ = [
    "BACKENDS",
    "Backend",
    "assemble",
    "evaluate",
    "evaluate_populations",
    "history_needed",
    "rules_by_level",
    "skipped_for_cadence",
]

Backend = Literal["columns", "row", "sql"]
#: The backends :func:`evaluate` accepts.
BACKENDS: tuple[str, ...] = ("columns", "row", "sql")


def rules_by_level(pack: Pack, period: Period | None = None) -> dict[Level, list[CompiledRule]]:
    """The pack's rules grouped by the level they apply to, in pack order.

    With ``period``, only the rules whose cadence matches its kind (or that
    have none): a 学年 rule is not evaluated at a 学期 and vice versa.
    """
    grouped: dict[Level, list[CompiledRule]] = defaultdict(list)
    for rule in pack.rules.values():
        if period is None or rule.runs_at(period):
            grouped[rule.rule.level].append(rule)
    return dict(grouped)


def skipped_for_cadence(pack: Pack, period: Period) -> tuple[str, ...]:
    """Ids of the rules not evaluated at ``period`` because their cadence is another kind."""
    return tuple(rid for rid, rule in pack.rules.items() if not rule.runs_at(period))


def history_needed(rules: Iterable[CompiledRule]) -> int:
    """How many periods back the rules read: their expressions' lags plus the window."""
    return max((r.history_depth + r.rule.for_periods - 1 for r in rules), default=0)


def evaluate(
    pack: Pack | str | os.PathLike[str],
    subjects: Subjects | Iterable[Subject],
    observations: Observations | Iterable[Observation | Mapping[str, Any]] | None,
    period: str | Period,
    *,
    backend: Backend = "columns",
    previous: AlertSet | None = None,
    connection: Connection | Engine | None = None,
    observations_table: FromClause | None = None,
    subjects_table: FromClause | None = None,
) -> AlertSet:
    """Evaluate every applicable rule of ``pack`` for ``period`` and return an :class:`AlertSet`.

    ``subjects`` and ``observations`` are ``zhengai.data`` containers or
    iterables of models/records (observations name indicators by id).
    ``backend`` is ``columns`` (numpy over the whole population), ``row`` (one
    subject at a time) or ``sql`` (inside a database: ``connection`` is a
    SQLAlchemy connection or engine; ``observations_table`` a selectable with
    columns ``subject_id, indicator, period, value`` and ``subjects_table`` one
    with ``subject_id, level, name, parent_id`` plus a column per attribute the
    rules read — when they are not given, the in-memory data are copied into
    scratch tables first, and when both are given the in-memory data are unused).
    ``previous`` is the AlertSet of the period before, for the lifecycle
    (new / ongoing / escalated / de-escalated / resolved).
    """
    loaded = load_pack(pack)
    target = Period.parse(period)
    _check_previous(loaded, target, previous)
    if backend not in BACKENDS:
        raise UnknownBackend(
            f"unknown backend {backend!r}", hint=f"use one of {', '.join(BACKENDS)}"
        )
    population = Subjects.coerce(subjects)
    if backend == "sql":
        from zhengai.alerts.sql import sql_outcomes  # SQLAlchemy query building only on demand

        outcomes = sql_outcomes(
            loaded,
            population,
            _observations(observations),
            target,
            connection=connection,
            observations_table=observations_table,
            subjects_table=subjects_table,
        )
        return assemble(loaded, target, outcomes, previous, backend)
    data = _observations(observations) if observations is not None else Observations([], [], [], [])
    populations: dict[Level, FramePopulation] = {}
    for level, rules in rules_by_level(loaded, target).items():
        # One level only (the usual population): keep the same Subjects, so its id
        # array is shared across periods and the lifecycle matches rows directly.
        same = len(population) and bool(np.all(population.levels == level.value))
        members = population if same else population.of_level(level)
        names = list(dict.fromkeys(i for r in rules for i in r.indicators))
        ids, frame = data.frame(target, members, names, history=history_needed(rules))
        populations[level] = FramePopulation(ids, frame, members)
    return evaluate_populations(loaded, target, populations, previous=previous, backend=backend)


def evaluate_populations(
    pack: Pack,
    period: Period,
    populations: Mapping[Level, FramePopulation],
    *,
    previous: AlertSet | None = None,
    backend: Backend = "columns",
) -> AlertSet:
    """:func:`evaluate` over already pivoted populations (one per level), without the pivot.

    Only the rules whose cadence matches ``period`` run, as in :func:`evaluate`.
    """
    run = row_outcome if backend == "row" else columns_outcome
    outcomes = [
        run(populations[level], rule)
        for level, rules in rules_by_level(pack, period).items()
        if level in populations
        for rule in rules
    ]
    return assemble(pack, period, outcomes, previous, backend)


def assemble(
    pack: Pack,
    period: Period,
    outcomes: Iterable[RuleOutcome],
    previous: AlertSet | None,
    backend: str,
) -> AlertSet:
    """Decide alerts, gaps and statuses from the backends' outcomes, rule by rule.

    The rules whose cadence is not ``period``'s kind are recorded in
    ``AlertSet.skipped`` (the backends do not evaluate them).
    """
    result = AlertSet(
        pack=pack.identity,
        period=period,
        severities=pack.severities,
        backend=backend,
        skipped=skipped_for_cadence(pack, period),
    )
    ordinal = period.ordinal
    matcher = _Matcher()
    for outcome in outcomes:
        prior = None if previous is None else _prior(pack, outcome, previous, matcher)
        alerts, gaps = decide(outcome, ordinal, prior)
        result.rules[outcome.rule.id] = alerts
        result.gap_sets[outcome.rule.id] = gaps
    return result


class _Matcher:
    """Finds last period's alerted subjects in this period's population.

    When the population is the same as last period's (the usual case: the same
    Subjects, pivoted again), an alert's stored row is its row now; only when
    it changed are ids looked up, once per population.
    """

    def __init__(self) -> None:
        self._same: dict[tuple[int, int], bool] = {}
        self._index: dict[int, dict[str, int]] = {}
        self._slots: dict[int, NDArray[np.int64]] = {}

    def slots(self, now: NDArray[np.object_]) -> NDArray[np.int64]:
        """The lifecycle's scratch table for the population ``now`` (see ``Previous.slots``)."""
        table = self._slots.get(id(now))
        if table is None:
            table = self._slots[id(now)] = np.full(len(now), -1, dtype=np.int64)
        return table

    def positions(
        self, before: NDArray[np.object_], rows: NDArray[np.int64], now: NDArray[np.object_]
    ) -> NDArray[np.int64]:
        """Rows now of the subjects at ``rows`` of ``before`` (-1 when gone)."""
        key = (id(before), id(now))
        same = self._same.get(key)
        if same is None:
            same = self._same[key] = before is now or (
                len(before) == len(now) and bool(np.all(before == now))
            )
        if same:
            return rows
        index = self._index.get(id(now))
        if index is None:
            index = self._index[id(now)] = {s: i for i, s in enumerate(now.tolist())}
        return np.array([index.get(s, -1) for s in before[rows].tolist()], dtype=np.int64)


def _prior(
    pack: Pack, outcome: RuleOutcome, previous: AlertSet, matcher: _Matcher
) -> Previous | None:
    part: RuleAlerts | None = previous.rules.get(outcome.rule.id)
    if part is None or not len(part):
        return None
    keep = part.status != STATUS_CODES.index(AlertStatus.RESOLVED)
    if not keep.any():
        return None
    # A severity the pack no longer declares maps to the least severe one.
    ranks_now = {s.id: i for i, s in enumerate(pack.severities)}
    mapping = np.array(
        [ranks_now.get(s.id, len(ranks_now) - 1) for s in previous.severities], dtype=np.int64
    )
    return Previous(
        position=matcher.positions(part.scope.ids, part.rows[keep], outcome.ids),
        rank=mapping[part.rank[keep]],
        streak=part.streak[keep],
        quiet=part.quiet[keep],
        since=part.since[keep],
        slots=matcher.slots(outcome.ids),
    )


def _check_previous(pack: Pack, period: Period, previous: AlertSet | None) -> None:
    if previous is None:
        return
    if previous.pack.name != pack.name:
        raise PreviousMismatch(
            f"previous alerts come from pack {previous.pack.name!r}, not {pack.name!r}"
        )
    if previous.period.kind != period.kind or previous.period != period.prev():
        raise PreviousMismatch(
            f"previous alerts are for {previous.period}, not the period before {period} "
            f"({period.prev()})"
        )


def _observations(
    observations: Observations | Iterable[Observation | Mapping[str, Any]] | None,
) -> Observations:
    if isinstance(observations, Observations):
        return observations
    return Observations.from_records(list(observations or ()))
