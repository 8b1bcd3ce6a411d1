"""Plain records the store returns: spiral states, transitions, actions and ingest results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = [
    "ActionEvent",
    "ActionRecord",
    "IngestResult",
    "MoveResult",
    "SpiralState",
    "Transition",
]


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one :meth:`Store.ingest` call did: rows submitted and rows actually added."""

    submitted: int
    added: int
    seconds: float

    @property
    def skipped(self) -> int:
        """Rows that were stored already (a re-submission adds nothing)."""
        return self.submitted - self.added


@dataclass(frozen=True, slots=True)
class SpiralState:
    """One subject's position on one loop: big-loop state, small-loop state, cycle, version."""

    subject_id: str
    loop: str
    state: str
    small_state: str | None
    cycle: int
    version: int
    entered_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the append-only audit trail of spiral moves."""

    id: int
    subject_id: str
    loop: str
    track: str
    cycle: int
    from_state: str | None
    to_state: str
    trigger: str
    who: str
    at: datetime
    reason: str
    guards: Mapping[str, Any]
    move_id: str


@dataclass(frozen=True, slots=True)
class MoveResult:
    """What a batch move did: subjects moved per source state, and the move ids of the audit."""

    moved: dict[str, int] = field(default_factory=dict)
    move_ids: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Subjects moved over all source states."""
        return sum(self.moved.values())


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """An improvement action (整改任务) as stored, with its optimistic-lock version."""

    id: int
    subject_id: str
    alert_id: int | None
    title: str
    owner: str
    due: date | None
    status: str
    overdue: bool
    escalation: int
    opened_at: datetime
    updated_at: datetime
    version: int
    details: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """One row of an action's append-only history."""

    id: int
    action_id: int
    at: datetime
    who: str
    from_status: str | None
    to_status: str
    changes: Mapping[str, Any]
    reason: str
