"""``ReportData``: what one diagnosis run hands to the reports, every part optional.

The engine builds it from a run (pack, alerts, scores, goal chain, spirals, actions);
a notebook can build it by hand from whatever it has.  A report renders the parts
that are present and leaves out the sections whose data are missing.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from zhengai.alerts import AlertSet
from zhengai.chain import Finding, GoalChain, Rollup
from zhengai.data import Observations, Subjects
from zhengai.model import Action, IndicatorCatalog, LoopDefinition, PackIdentity, Period, Subject
from zhengai.packs import Pack
from zhengai.scoring import ScoreSet
from zhengai.spiral import AuditRecord, Spiral, SpiralStates, shipped_loops

__all__ = ["ReportData", "SpiralPosition"]


class SpiralPosition(Protocol):
    """One subject's place on a loop, as a run reports it (``zhengai.engine.SpiralRow``)."""

    @property
    def subject_id(self) -> str:
        """The subject."""

    @property
    def loop(self) -> str:
        """The loop definition's id (``five_step``)."""

    @property
    def state(self) -> str:
        """The big-loop state id."""

    @property
    def cycle(self) -> int:
        """The cycle number (1 = first turn of the spiral)."""

    @property
    def small_state(self) -> str | None:
        """The small-loop state id inside 运行, or None."""


@dataclass(eq=False)
class ReportData:
    """The parts of one diagnosis run that reports show; every part may be left out.

    ``period`` is the diagnosis period (defaults to the alerts' period); ``pack`` gives
    the rules (standards met or missed), severities and the diagnosis catalog;
    ``observations`` the state data for trends (earlier periods included);
    ``history`` the alert sets of earlier periods, oldest first, for alert trends;
    ``spiral``/``spiral_states`` the loop and the population's states (columns), or
    ``spirals`` the same as rows (``RunResult.spirals``: subject, loop, state, cycle),
    and ``spiral_history`` the audit records; ``as_of`` the day overdue actions are
    counted at (default: the end of ``period``, so a report is reproducible).
    """

    school: str = ""
    period: Period | str | None = None
    pack: Pack | PackIdentity | None = None
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
    spirals: Sequence[SpiralPosition] = ()
    spiral_history: Sequence[AuditRecord] = ()
    actions: Sequence[Action] = ()
    history: Sequence[AlertSet] = ()
    as_of: date | None = None
    _names: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_run(cls, result: Any, **parts: Any) -> ReportData:
        """Report data from a run result (``zhengai.engine.RunResult``) plus other parts.

        Takes ``period``, ``alerts``, ``scores`` (a mapping or a sequence of score
        sets), ``chain``, ``rollup``, ``findings`` and ``spirals`` from the result, and
        its pack identity unless ``pack=`` gives the whole pack (for the standards and
        the catalog's coverage); ``parts`` (``school``, ``subjects``,
        ``observations``, ``actions``, ``history``…) are passed through and win.
        """
        scores = getattr(result, "scores", ())
        taken: dict[str, Any] = {
            "period": getattr(result, "period", None),
            "pack": getattr(result, "pack", None),
            "alerts": getattr(result, "alerts", None),
            "scores": list(scores.values()) if isinstance(scores, Mapping) else list(scores),
            "chain": getattr(result, "chain", None),
            "rollup": getattr(result, "rollup", None),
            "findings": list(getattr(result, "findings", ())),
            "spirals": list(getattr(result, "spirals", ())),
        }
        taken.update(parts)
        return cls(**taken)

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
    def rules_pack(self) -> Pack | None:
        """The pack when it was given whole (rules, severities, catalogs), else None."""
        return self.pack if isinstance(self.pack, Pack) else None

    @property
    def identity(self) -> PackIdentity | None:
        """The pack's identity (name, version, content hash)."""
        return self.pack.identity if isinstance(self.pack, Pack) else self.pack

    @property
    def indicators(self) -> IndicatorCatalog | None:
        """The indicator catalog: ``catalog``, else the pack's."""
        if self.catalog is not None:
            return self.catalog
        pack = self.rules_pack
        return pack.catalog if pack is not None else None

    def loop_definition(self, loop_id: str) -> LoopDefinition | None:
        """The loop a spiral row names: ``spiral``'s own, else a shipped one (None if neither)."""
        if self.spiral is not None and self.spiral.definition.id == loop_id:
            return self.spiral.definition
        return shipped_loops().get(loop_id)

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
