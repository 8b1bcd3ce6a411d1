"""zhengai (诊改): the diagnosis-and-improvement engine for vocational colleges.

The public API is what this module exports; everything else is internal.

- data in: :func:`load_subjects`, :func:`load_observations` (CSV/GBK, Excel, DataFrames);
- rules: :func:`load_pack` (built-in packs, folders, plugins) and :class:`Expression`;
- one diagnosis: :func:`evaluate` in memory, :func:`run` through a :class:`Store`
  (alerts with their lifecycle, data gaps, scores, goal-chain attainment, spiral states);
- the parts on their own: :class:`GoalChain`, :func:`score` with :func:`ahp` and
  :func:`entropy_weights`, :class:`Spiral`, :class:`AlertSet`;
- reports: :class:`ReportData` with ``zhengai.reports.write_all``.
"""

from zhengai.alerts import AlertSet
from zhengai.chain import GoalChain
from zhengai.data import (
    DataLoadFailed,
    Observations,
    Subjects,
    check_observations,
    check_subjects,
    load_observations,
    load_subjects,
)
from zhengai.engine import RunResult, evaluate, run
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
from zhengai.expr import Expression, Frame
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
from zhengai.packs import Pack, load_pack
from zhengai.reports import ReportData
from zhengai.scoring import Scorecard, ScoreSet, ahp, combined, entropy_weights, score
from zhengai.spiral import Spiral
from zhengai.store import Store

__version__ = "0.1.0"

__all__ = [
    "Aggregator",
    "AlertSet",
    "ChainError",
    "ConcurrencyConflict",
    "DataError",
    "DataLoadFailed",
    "Direction",
    "Expression",
    "ExpressionError",
    "Frame",
    "GoalChain",
    "GuardFailed",
    "Indicator",
    "IndicatorCatalog",
    "Level",
    "LoopError",
    "Observation",
    "Observations",
    "Pack",
    "PackError",
    "Period",
    "PeriodKind",
    "ReportData",
    "RunResult",
    "ScoreSet",
    "Scorecard",
    "ScoringError",
    "Spiral",
    "Store",
    "StoreError",
    "Subject",
    "Subjects",
    "System",
    "TermCalendar",
    "Tier",
    "Where",
    "ZhengaiError",
    "__version__",
    "ahp",
    "check_observations",
    "check_subjects",
    "combined",
    "entropy_weights",
    "evaluate",
    "load_observations",
    "load_pack",
    "load_subjects",
    "run",
    "score",
]
