"""RunResult: everything one diagnosis run produced, in the shape DESIGN.md §5 promises."""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zhengai.alerts import AlertSet
from zhengai.chain import GoalChain, Rollup
from zhengai.chain.checks import Finding
from zhengai.model import PackIdentity, Period
from zhengai.scoring import ScoreSet

__all__ = ["RunResult", "SpiralRow"]


@dataclass(frozen=True, slots=True)
class SpiralRow:
    """One subject's place on its improvement loop after the run."""

    subject_id: str
    loop: str
    state: str
    cycle: int
    small_state: str | None = None


@dataclass
class RunResult:
    """The outcome of :func:`zhengai.run` for one pack, population and period.

    ``alerts`` holds the alerts *and* the data gaps (``alerts.gap_records()``);
    ``scores`` one :class:`~zhengai.scoring.ScoreSet` per scorecard of the pack;
    ``chain``/``rollup``/``findings`` the goal chain's attainment and checks when
    the run had a chain; ``spirals`` the loop states.  ``run_id`` is the stored
    run's id when the run wrote to a store.
    """

    pack: PackIdentity
    period: Period
    as_of: datetime
    backend: str
    alerts: AlertSet
    scores: Mapping[str, ScoreSet] = field(default_factory=dict)
    chain: GoalChain | None = None
    rollup: Rollup | None = None
    findings: list[Finding] = field(default_factory=list)
    spirals: list[SpiralRow] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    run_id: int | None = None

    # -- the DESIGN.md §5 shape ------------------------------------------------------------
    def alert_records(self) -> list[dict[str, Any]]:
        """``alerts``: rule, subject_id, severity, status, message, values (+ owner, streak)."""
        keys = ("rule", "subject_id", "severity", "status", "message", "values", "owner", "streak")
        return [{k: r.get(k) for k in keys} for r in self.alerts.to_records()]

    def gap_records(self) -> list[dict[str, Any]]:
        """``gaps``: rule, subject_id, missing — rules that data gaps left undecided."""
        return [
            {"rule": g["rule"], "subject_id": g["subject_id"], "missing": list(g["missing"])}
            for g in self.alerts.gap_records()
        ]

    def score_records(self) -> list[dict[str, Any]]:
        """``scores``: scorecard, subject_id, score, band, rank (+ grade, partial)."""
        out: list[dict[str, Any]] = []
        for scores in self.scores.values():
            out.extend(scores.records())
        return out

    def spiral_records(self) -> list[dict[str, Any]]:
        """``spirals``: subject_id, state, cycle (+ loop, small_state)."""
        return [
            {
                "subject_id": s.subject_id,
                "state": s.state,
                "cycle": s.cycle,
                "loop": s.loop,
                "small_state": s.small_state,
            }
            for s in self.spirals
        ]

    def counts(self) -> dict[str, int]:
        """How many alerts, gaps, scores, spirals and chain findings the run produced."""
        return {
            "alerts": len(self.alerts),
            "gaps": self.alerts.count_gaps(),
            "scores": sum(len(s) for s in self.scores.values()),
            "spirals": len(self.spirals),
            "findings": len(self.findings),
            "skipped_rules": len(self.alerts.skipped),
        }

    def to_dict(self) -> dict[str, Any]:
        """The run as plain data: identity, then ``alerts``, ``gaps``, ``scores``, ``spirals``."""
        return {
            "run_id": self.run_id,
            "pack": self.pack.model_dump(),
            "period": str(self.period),
            "as_of": self.as_of.isoformat(),
            "backend": self.backend,
            "counts": self.counts(),
            "alerts": self.alert_records(),
            "gaps": self.gap_records(),
            "scores": self.score_records(),
            "spirals": self.spiral_records(),
            "attainment": (
                {}
                if self.rollup is None
                else {k: v for k, v in self.rollup.as_dict().items() if v is not None}
            ),
            "findings": [
                {
                    "code": f.code,
                    "severity": str(f.severity),
                    "goals": list(f.goals),
                    "message": f.message,
                }
                for f in self.findings
            ],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON (UTF-8 Chinese kept as is)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, default=str)

    def summary(self) -> dict[str, Any]:
        """Counts a person looks at first: alerts by severity and owner, gaps, bands, states."""
        bands: Counter[str] = Counter()
        for scores in self.scores.values():
            bands.update(str(b) for b in scores.band.tolist() if b)
        owners: Counter[str] = Counter()
        for owner, count in self.alerts.summary("owner").items():
            owners[owner or "—"] += count
        return {
            "pack": f"{self.pack.name} {self.pack.version}",
            "period": str(self.period),
            "alerts_by_severity": self.alerts.summary("severity"),
            "alerts_by_owner": dict(owners),
            "alerts_by_status": self.alerts.summary("status"),
            "gaps": self.alerts.count_gaps(),
            "bands": dict(bands),
            "spirals_by_state": dict(Counter(s.state for s in self.spirals)),
            "findings": len(self.findings),
        }

    def __repr__(self) -> str:
        c = self.counts()
        return (
            f"RunResult({self.pack.name} {self.pack.version}, {self.period}, "
            f"{c['alerts']} alerts, {c['gaps']} gaps, {c['scores']} scores, {c['spirals']} spirals)"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in self.summary().items()
        )
        return f"<table><caption>诊断运行 / diagnosis run</caption>{rows}</table>"
