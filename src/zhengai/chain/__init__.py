"""Goal chains (目标链): decomposition and alignment checks, attainment roll-up, risk and diff.

See ``docs/chain.md``.  ``GoalChain`` wraps a plain ``networkx.DiGraph``
(``chain.graph``); arithmetic runs over arrays compiled from it once.
"""

from zhengai.chain.analysis import (
    ChainDiff,
    Impact,
    Reparented,
    RiskPath,
    TargetChange,
    WeightChange,
)
from zhengai.chain.checks import Finding, Severity
from zhengai.chain.errors import (
    BadActuals,
    BadEdge,
    BadGoal,
    BadRevision,
    ChainCycle,
    DuplicateGoal,
    LockedTarget,
    UnknownGoal,
)
from zhengai.chain.graph import GoalChain
from zhengai.chain.observations import actuals_from_observations
from zhengai.chain.rollup import Actuals, GoalAttainment, GoalValues, Rollup, SlotValues

__all__ = [
    "Actuals",
    "BadActuals",
    "BadEdge",
    "BadGoal",
    "BadRevision",
    "ChainCycle",
    "ChainDiff",
    "DuplicateGoal",
    "Finding",
    "GoalAttainment",
    "GoalChain",
    "GoalValues",
    "Impact",
    "LockedTarget",
    "Reparented",
    "RiskPath",
    "Rollup",
    "Severity",
    "SlotValues",
    "TargetChange",
    "UnknownGoal",
    "WeightChange",
    "actuals_from_observations",
]
