"""StoredAlertSet: the alerts of a run the database wrote, loaded only when someone looks.

A run inside the database (``run(..., backend="sql")`` on a store) never
brings its alerts into Python; its :class:`~zhengai.engine.RunResult` holds this
view instead.  Counts (``len``, :meth:`StoredAlertSet.count_gaps`) and
:meth:`StoredAlertSet.summary` are SQL queries over ``zg_alerts`` and
``zg_data_gaps``; ``alerts``, ``gaps``, ``filter``, ``open`` and the exports
load the run's rows once (:meth:`StoredAlertSet.load`) and answer exactly as an
in-memory :class:`~zhengai.alerts.AlertSet` of the same evaluation would, except
that ``explanation`` is empty (it is not stored).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from sqlalchemy import func, select

from zhengai.alerts import AlertSet, RuleAlerts, RuleGaps
from zhengai.alerts.batch import rules_by_level
from zhengai.model import Alert, AlertStatus, Period
from zhengai.packs import CompiledRule, Pack
from zhengai.store import Store
from zhengai.store.schema import alerts as alerts_table
from zhengai.store.schema import data_gaps as gaps_table

__all__ = ["StoredAlertSet"]


class StoredAlertSet(AlertSet):
    """The alerts and gaps of stored run ``run_id``, as an :class:`AlertSet` loaded lazily."""

    def __init__(
        self,
        store: Store,
        pack: Pack,
        period: Period,
        *,
        run_id: int,
        backend: str,
        skipped: tuple[str, ...],
        alerts: int,
        gaps: int,
    ) -> None:
        # Not the dataclass __init__: ``rules``/``gap_sets`` are loading properties here.
        self.pack = pack.identity
        self.period = period
        self.severities = pack.severities
        self.backend = backend
        self.skipped = skipped
        self._alerts = None
        self._gaps = None
        self.run_id = run_id
        self._store = store
        self._source = pack
        self._count = alerts
        self._gap_count = gaps
        self._loaded: AlertSet | None = None

    # -- counts in SQL ---------------------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    def count_gaps(self) -> int:
        """How many data gaps the run wrote (without loading them)."""
        return self._gap_count

    _repr_note = ", stored"

    def _tallies(self) -> Iterator[tuple[CompiledRule, str, AlertStatus, int]]:
        # summary() counts in SQL: one row per (rule, severity, status), nothing loaded.
        a = alerts_table.c
        query = (
            select(a.rule, a.severity, a.status, func.count())
            .where(a.school_id == self._store.school, a.run_id == self.run_id)
            .group_by(a.rule, a.severity, a.status)
        )
        with self._store.engine.connect() as conn:
            rows = conn.execute(query).all()
        for rule_id, severity, status, count in rows:
            yield self._source.rules[rule_id], severity, AlertStatus(status), int(count)

    # -- everything else from the loaded rows ----------------------------------------------
    def load(self) -> AlertSet:
        """The run's alerts and gaps as an in-memory :class:`AlertSet` (read once, cached)."""
        if self._loaded is None:
            self._loaded = self._read()
        return self._loaded

    @property
    def rules(self) -> dict[str, RuleAlerts]:
        """The alerts per rule (loads the run)."""
        return self.load().rules

    @rules.setter
    def rules(self, value: dict[str, RuleAlerts]) -> None:
        self.load().rules = value

    @property
    def gap_sets(self) -> dict[str, RuleGaps]:
        """The data gaps per rule (loads the run)."""
        return self.load().gap_sets

    @gap_sets.setter
    def gap_sets(self, value: dict[str, RuleGaps]) -> None:
        self.load().gap_sets = value

    @property
    def alerts(self) -> list[Alert]:
        """Every alert, by rule then subject id (loads the run)."""
        return self.load().alerts

    @property
    def gaps(self) -> list[Any]:
        """Every data gap, by rule then subject id (loads the run)."""
        return self.load().gaps

    def open(self) -> AlertSet:
        """The alerts still open (loads the run)."""
        return self.load().open()

    def filter(self, **criteria: Any) -> AlertSet:
        """:meth:`AlertSet.filter` over the loaded run."""
        return self.load().filter(**criteria)

    def _evaluated(self) -> list[CompiledRule]:
        # The order an in-memory evaluation lists its rules in: by level, then pack order.
        return [r for rules in rules_by_level(self._source, self.period).values() for r in rules]

    def _read(self) -> AlertSet:
        school, pack, period = self._store.school, self._source, self.period
        a, g = alerts_table.c, gaps_table.c
        by_rule: dict[str, list[Alert]] = {}
        missing: dict[str, list[tuple[str, Iterable[str]]]] = {}
        with self._store.engine.connect() as conn:
            rows = conn.execute(
                select(
                    a.rule,
                    a.subject_id,
                    a.severity,
                    a.status,
                    a.message,
                    a.input_values,
                    a.streak,
                    a.quiet,
                    a.since_period,
                )
                .where(a.school_id == school, a.run_id == self.run_id)
                .order_by(a.id)
            )
            for row in rows:
                compiled = pack.rules[row.rule]
                values = {
                    k: v if v is None or isinstance(v, bool | str) else float(v)
                    for k, v in (row.input_values or {}).items()
                }
                by_rule.setdefault(row.rule, []).append(
                    Alert(
                        rule=row.rule,
                        rule_name=compiled.rule.name,
                        subject_id=row.subject_id,
                        level=compiled.rule.level,
                        period=period,
                        severity=row.severity,
                        status=AlertStatus(row.status),
                        streak=row.streak,
                        quiet=row.quiet,
                        since=Period.parse(row.since_period or str(period)),
                        values=values,
                        message=row.message,
                        owner=compiled.rule.owner,
                        source=compiled.rule.source,
                    )
                )
            gap_rows = conn.execute(
                select(g.rule, g.subject_id, g.missing)
                .where(g.school_id == school, g.run_id == self.run_id)
                .order_by(g.id)
            )
            for gap in gap_rows:
                missing.setdefault(gap.rule, []).append((gap.subject_id, gap.missing or ()))
        evaluated = self._evaluated()
        ordered = [alert for r in evaluated for alert in by_rule.get(r.id, ())]
        loaded = AlertSet.from_records(pack, period, ordered)
        loaded.backend = self.backend
        loaded.skipped = self.skipped
        loaded._gaps = None
        for rule in evaluated:
            found = missing.get(rule.id, [])
            ids = np.array([sid for sid, _ in found], dtype=object)
            names = [set(m) for _, m in found]
            flags = {n: np.array([n in m for m in names], dtype=bool) for n in rule.indicators}
            loaded.gap_sets[rule.id] = RuleGaps.of(rule, ids, flags)
        return loaded
