"""Alerts and data gaps: what evaluating warning rules produces (预警, 数据缺失)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from zhengai.model.enums import Level
from zhengai.model.period import Period

__all__ = ["Alert", "AlertStatus", "AlertValue", "DataGap"]

#: A value an alert reports: a number, a string attribute, a truth value, or None (missing).
AlertValue = float | str | bool | None


class AlertStatus(StrEnum):
    """Where an alert stands relative to the previous period's alerts."""

    NEW = "new"
    ONGOING = "ongoing"
    ESCALATED = "escalated"
    DE_ESCALATED = "de_escalated"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        """The Chinese label (新增 / 持续 / 升级 / 降级 / 解除)."""
        return _STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        """True for every status but ``resolved``."""
        return self is not AlertStatus.RESOLVED


_STATUS_LABELS = {
    AlertStatus.NEW: "新增",
    AlertStatus.ONGOING: "持续",
    AlertStatus.ESCALATED: "升级",
    AlertStatus.DE_ESCALATED: "降级",
    AlertStatus.RESOLVED: "解除",
}


class Alert(BaseModel):
    """One breach of one rule by one subject in one period.

    ``streak`` counts the consecutive periods the alert has been open (1 when
    new); ``quiet`` the consecutive periods its condition has been false while
    the alert waits out ``resolve_after``; ``since`` is the period it opened.
    ``values`` holds the indicator values the rule read (by indicator id).
    """

    model_config = ConfigDict(frozen=True)

    rule: str
    rule_name: str
    subject_id: str
    level: Level
    period: Period
    severity: str
    status: AlertStatus
    streak: int = 1
    quiet: int = 0
    since: Period
    values: dict[str, AlertValue]
    message: str
    explanation: str = ""
    owner: str | None = None
    source: str | None = None


class DataGap(BaseModel):
    """A rule that could not be decided for a subject because values are missing (数据缺失)."""

    model_config = ConfigDict(frozen=True)

    rule: str
    subject_id: str
    level: Level
    period: Period
    missing: tuple[str, ...]
