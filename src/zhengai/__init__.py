"""zhengai (诊改): the diagnosis-and-improvement engine for vocational colleges.

The public API is what this module exports; everything else is internal.
"""

from zhengai.errors import (
    ChainError,
    ConcurrencyConflict,
    DataError,
    ExpressionError,
    GuardFailed,
    LoopError,
    PackError,
    ScoringError,
    StoreError,
    Where,
    ZhengaiError,
)
from zhengai.model import (
    Aggregator,
    Direction,
    Indicator,
    IndicatorCatalog,
    Level,
    Observation,
    Period,
    PeriodKind,
    Subject,
    System,
    TermCalendar,
    Tier,
)

__version__ = "0.1.0"

__all__ = [
    "Aggregator",
    "ChainError",
    "ConcurrencyConflict",
    "DataError",
    "Direction",
    "ExpressionError",
    "GuardFailed",
    "Indicator",
    "IndicatorCatalog",
    "Level",
    "LoopError",
    "Observation",
    "PackError",
    "Period",
    "PeriodKind",
    "ScoringError",
    "StoreError",
    "Subject",
    "System",
    "TermCalendar",
    "Tier",
    "Where",
    "ZhengaiError",
    "__version__",
]
