"""Pydantic models and enums of the domain (DESIGN.md §1, §4)."""

from zhengai.model.core import (
    AttributeValue,
    Indicator,
    IndicatorCatalog,
    Observation,
    Subject,
    UnknownIndicator,
)
from zhengai.model.enums import Aggregator, Direction, Level, System, Tier, UnknownLevel
from zhengai.model.period import DEFAULT_CALENDAR, BadPeriod, Period, PeriodKind, TermCalendar

__all__ = [
    "DEFAULT_CALENDAR",
    "Aggregator",
    "AttributeValue",
    "BadPeriod",
    "Direction",
    "Indicator",
    "IndicatorCatalog",
    "Level",
    "Observation",
    "Period",
    "PeriodKind",
    "Subject",
    "System",
    "TermCalendar",
    "Tier",
    "UnknownIndicator",
    "UnknownLevel",
]
