"""The errors of the goal chain; each is a :class:`~zhengai.errors.ChainError`."""

from __future__ import annotations

from zhengai.errors import ChainError

__all__ = [
    "BadActuals",
    "BadEdge",
    "BadGoal",
    "BadRevision",
    "ChainCycle",
    "DuplicateGoal",
    "LockedTarget",
    "UnknownGoal",
]


class UnknownGoal(ChainError):
    """A goal id that is not in the chain (the hint suggests the closest id)."""

    code = "chain.unknown_goal"


class DuplicateGoal(ChainError):
    """Adding a goal whose id is already in the chain."""

    code = "chain.duplicate_goal"


class BadGoal(ChainError):
    """A goal record (dict, YAML or table row) that does not validate."""

    code = "chain.bad_goal"


class BadEdge(ChainError):
    """A link that cannot be made: unknown kind, self-loop, bad weight, two kinds on one pair."""

    code = "chain.bad_edge"


class ChainCycle(ChainError):
    """The ``decomposes`` links form a cycle, so nothing can be rolled up."""

    code = "chain.cycle"


class LockedTarget(ChainError):
    """A target of an approved goal changed without a revision record."""

    code = "chain.locked_target"


class BadRevision(ChainError):
    """A revision without who or why, or for an indicator the goal does not have."""

    code = "chain.bad_revision"


class BadActuals(ChainError):
    """Actual values for the roll-up that cannot be used (not a number, bad shape)."""

    code = "chain.bad_actuals"
