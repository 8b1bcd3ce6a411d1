"""Pydantic models and enums of the domain (DESIGN.md §1, §4)."""

from zhengai.model.alert import Alert, AlertStatus, AlertValue, DataGap
from zhengai.model.catalog import (
    DiagnosisCatalog,
    DiagnosisElement,
    DiagnosisItem,
    DiagnosisPoint,
    Requirement,
)
from zhengai.model.core import (
    AttributeValue,
    Indicator,
    IndicatorCatalog,
    Observation,
    Subject,
    UnknownIndicator,
)
from zhengai.model.enums import Aggregator, Direction, Level, System, Tier, UnknownLevel
from zhengai.model.goal import (
    EdgeKind,
    Goal,
    GoalIndicator,
    GoalStatus,
    Health,
    ProgressMethod,
    Revision,
    TaskClass,
)
from zhengai.model.period import DEFAULT_CALENDAR, BadPeriod, Period, PeriodKind, TermCalendar
from zhengai.model.rule import LadderStep, PackIdentity, SeverityDef, WarningRule

__all__ = [
    "DEFAULT_CALENDAR",
    "Aggregator",
    "Alert",
    "AlertStatus",
    "AlertValue",
    "AttributeValue",
    "BadPeriod",
    "DataGap",
    "DiagnosisCatalog",
    "DiagnosisElement",
    "DiagnosisItem",
    "DiagnosisPoint",
    "Direction",
    "EdgeKind",
    "Goal",
    "GoalIndicator",
    "GoalStatus",
    "Health",
    "Indicator",
    "IndicatorCatalog",
    "LadderStep",
    "Level",
    "Observation",
    "PackIdentity",
    "Period",
    "PeriodKind",
    "ProgressMethod",
    "Requirement",
    "Revision",
    "SeverityDef",
    "Subject",
    "System",
    "TaskClass",
    "TermCalendar",
    "Tier",
    "UnknownIndicator",
    "UnknownLevel",
    "WarningRule",
]
