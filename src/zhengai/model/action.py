"""Improvement actions (整改任务) and their append-only change events.

An action is opened from an alert or a diagnosis finding, has an owner and a due
date, and moves open → in_progress → done → verified.  Verification is by data:
the next period's evaluation verifies the action when the alert that opened it
is resolved, and reopens and escalates it when not (``zhengai.spiral.actions``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from zhengai.model.period import Period

__all__ = ["Action", "ActionEvent", "ActionEventKind", "ActionStatus"]


class ActionStatus(StrEnum):
    """The status of an improvement action."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    VERIFIED = "verified"

    @property
    def label(self) -> str:
        """The Chinese name of the status."""
        return {"open": "待整改", "in_progress": "整改中", "done": "已完成", "verified": "已验证"}[
            self.value
        ]


class Action(BaseModel):
    """One improvement action (整改任务) of one subject.

    ``source_alert`` is the id of the alert that opened it (verification reads
    whether that alert is resolved); ``source_finding`` a diagnosis finding
    instead.  ``escalation`` counts how often the action was escalated (reopened
    after data did not confirm it, or overdue).  Instances are immutable: a change
    is a new version plus an :class:`ActionEvent`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(min_length=1)]
    subject_id: Annotated[str, Field(min_length=1)]
    title: Annotated[str, Field(min_length=1)]
    owner: Annotated[str, Field(min_length=1)]
    due: date
    status: ActionStatus = ActionStatus.OPEN
    source_alert: str | None = None
    source_finding: str | None = None
    opened_period: Period | None = None
    cycle: Annotated[int, Field(ge=1)] = 1
    escalation: Annotated[int, Field(ge=0)] = 0
    version: Annotated[int, Field(ge=1)] = 1

    def is_overdue(self, today: date) -> bool:
        """Past its due date and not done or verified yet."""
        return self.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS) and today > self.due

    @property
    def is_open(self) -> bool:
        """Not verified yet: open actions carry over into the next cycle."""
        return self.status is not ActionStatus.VERIFIED


class ActionEventKind(StrEnum):
    """What an :class:`ActionEvent` records."""

    OPENED = "opened"
    STATUS = "status"
    ESCALATED = "escalated"


class ActionEvent(BaseModel):
    """One append-only change of an action: who, when, from, to, why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action_id: str
    kind: ActionEventKind
    source: ActionStatus | None
    dest: ActionStatus
    at: datetime
    actor: str
    reason: str = ""
    owner: str | None = None
    escalation: int = 0
