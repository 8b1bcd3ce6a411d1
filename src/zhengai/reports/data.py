"""``ReportData``: what one diagnosis run hands to the reports, every part optional.

The engine builds it from a run (pack, alerts, scores, goal chain, spirals, actions);
a notebook can build it by hand from whatever it has.  A report renders the parts
that are present and leaves out the sections whose data are missing.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np

from zhengai.alerts import AlertSet
from zhengai.chain import Finding, GoalChain, Rollup
from zhengai.data import Observations, Subjects
from zhengai.model import Action, IndicatorCatalog, Period, Subject
from zhengai.packs import Pack
from zhengai.scoring import ScoreSet
from zhengai.spiral import AuditRecord, Spiral, SpiralStates

__all__ = ["ReportData"]


@dataclass(eq=False)
class ReportData:
    """The parts of one diagnosis run that reports show; every part may be left out.

    ``period`` is the diagnosis period (defaults to the alerts' period); ``pack`` gives
    the rules (standards met or missed), severities and the diagnosis catalog;
    ``observations`` the state data for trends (earlier periods included);
    ``history`` the alert sets of earlier periods, oldest first, for alert trends;
    ``spiral``/``spiral_states`` the loop and the population's states and
    ``spiral_history`` its audit records; ``as_of`` the day overdue actions are
    counted at (default: the end of ``period``, so a report is reproducible).
    """

    school: str = ""
    period: Period | str | None = None
    pack: Pack | None = None
    subjects: Subjects | Sequence[Subject] | None = None
    observations: Observations | None = None
    catalog: IndicatorCatalog | None = None
    alerts: AlertSet | None = None
    scores: Sequence[ScoreSet] = ()
    chain: GoalChain | None = None
    rollup: Rollup | None = None
    findings: Sequence[Finding] = ()
    spiral: Spiral | None = None
    spiral_states: SpiralStates | None = None
    spiral_history: Sequence[AuditRecord] = ()
    actions: Sequence[Action] = ()
    history: Sequence[AlertSet] = ()
    as_of: date | None = None
    _names: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    # -- derived views ----------------------------------------------------------------
    @cached_property
    def table(self) -> Subjects | None:
        """The subjects as :class:`~zhengai.data.Subjects` columns (None without subjects)."""
        if self.subjects is None:
            return None
        return Subjects.coerce(self.subjects)

    @property
    def the_period(self) -> Period | None:
        """The diagnosis period: ``period``, else the alerts' period."""
        if self.period is not None:
            return Period.parse(self.period) if isinstance(self.period, str) else self.period
        return self.alerts.period if self.alerts is not None else None

    @property
    def indicators(self) -> IndicatorCatalog | None:
        """The indicator catalog: ``catalog``, else the pack's."""
        if self.catalog is not None:
            return self.catalog
        return self.pack.catalog if self.pack is not None else None

    def indicator_name(self, indicator_id: str) -> str:
        """The Chinese name of an indicator id (the id itself when unknown)."""
        catalog = self.indicators
        if catalog is not None and indicator_id in catalog:
            return catalog[indicator_id].name
        return indicator_id

    def indicator_unit(self, indicator_id: str) -> str:
        """The unit of an indicator id ('' when unknown)."""
        catalog = self.indicators
        if catalog is not None and indicator_id in catalog:
            return catalog[indicator_id].unit or ""
        return ""

    def name_of(self, subject_id: str | None) -> str:
        """A subject's name (its id when the subjects are not known)."""
        if subject_id is None:
            return "—"
        if not self._names and self.table is not None:
            table = self.table
            ids = table.ids.tolist()
            names = [str(n or i) for n, i in zip(table.names.tolist(), ids, strict=True)]
            self._names.update(zip(ids, names, strict=True))
        return self._names.get(subject_id, subject_id)

    def school_id(self) -> str | None:
        """The id of the root subject of level ``school`` (None when there is none)."""
        table = self.table
        if table is None:
            return None
        hits = np.flatnonzero(table.levels == "school")
        return str(table.ids[hits[0]]) if hits.size else None

    def as_of_day(self) -> date:
        """The day overdue actions are counted at (see the class docstring)."""
        if self.as_of is not None:
            return self.as_of
        period = self.the_period
        if period is None:
            return date.today()
        last = period.months()[-1]
        return date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])
