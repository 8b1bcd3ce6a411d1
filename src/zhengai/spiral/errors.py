"""The errors of the spiral engine: refused triggers, failed guards, replay mismatches.

Each guard failure is its own :class:`~zhengai.errors.GuardFailed` subclass and
carries ``subject_id``, ``trigger``, ``source``, ``dest``, ``guard`` and
``missing`` (what the subject lacks), so a caller can act on it without parsing
the message.
"""

from __future__ import annotations

from zhengai.errors import GuardFailed, LoopError, Where

__all__ = [
    "ActionMissing",
    "AlertUnresolved",
    "DataIncomplete",
    "ExpressionGuardFailed",
    "GapsUnaddressed",
    "GuardInputsMismatch",
    "IllegalActionChange",
    "IllegalTrigger",
    "MissingGuardInput",
    "RedAlertUnacknowledged",
    "ReplayMismatch",
    "RevisionNotApproved",
    "SmallLoopOpen",
    "StandardsMissing",
    "SubjectGuardFailed",
    "TargetLowered",
    "TargetsMissing",
    "UnknownCallback",
    "UnknownLoop",
    "UnknownTrigger",
]


class IllegalTrigger(LoopError):
    """A trigger that the subject's current state does not allow."""

    code = "loop.illegal_trigger"


class UnknownLoop(LoopError):
    """A loop id that no shipped or loaded definition has."""

    code = "loop.unknown_loop"


class UnknownTrigger(LoopError):
    """A trigger name that the loop does not define at all."""

    code = "loop.unknown_trigger"


class MissingGuardInput(LoopError):
    """A guard needs an input (targets, coverage, data ratio…) that the caller did not give."""

    code = "loop.missing_guard_input"


class GuardInputsMismatch(LoopError):
    """Guard inputs whose rows do not line up with the population's states."""

    code = "loop.guard_inputs_mismatch"


class UnknownCallback(LoopError):
    """A callback named in a loop definition that is neither built in nor registered."""

    code = "loop.unknown_callback_ref"


class ReplayMismatch(LoopError):
    """An audit trail that does not replay: a record's source is not the replayed state."""

    code = "loop.replay_mismatch"


class IllegalActionChange(LoopError):
    """An improvement action status change that its lifecycle does not allow."""

    code = "loop.illegal_action_change"


class SubjectGuardFailed(GuardFailed):
    """Base of the guard failures: names subject, transition, guard and what is missing."""

    code = "loop.guard"

    def __init__(
        self,
        message: str,
        *,
        subject_id: str,
        trigger: str,
        source: str,
        dest: str,
        guard: str,
        missing: tuple[str, ...] = (),
        where: Where | None = None,
        hint: str | None = None,
    ) -> None:
        self.subject_id = subject_id
        self.trigger = trigger
        self.source = source
        self.dest = dest
        self.guard = guard
        self.missing = missing
        super().__init__(message, where=where, hint=hint)


class TargetsMissing(SubjectGuardFailed):
    """``targets_set``: a goal indicator has no target value."""

    code = "loop.guard.targets_missing"


class StandardsMissing(SubjectGuardFailed):
    """``standards_cover_goals``: a goal indicator is covered by no standard."""

    code = "loop.guard.standards_missing"


class DataIncomplete(SubjectGuardFailed):
    """``data_complete``: the period's data are less complete than the declared ratio."""

    code = "loop.guard.data_incomplete"


class RedAlertUnacknowledged(SubjectGuardFailed):
    """``no_unacknowledged_red_alert``: a red alert still waits for acknowledgement."""

    code = "loop.guard.red_alert_unacknowledged"


class GapsUnaddressed(SubjectGuardFailed):
    """``gaps_addressed``: a gap has neither an improvement action nor a reasoned acceptance."""

    code = "loop.guard.gaps_unaddressed"


class RevisionNotApproved(SubjectGuardFailed):
    """``revision_approved``: a mid-cycle target revision has no approval record."""

    code = "loop.guard.revision_not_approved"


class ActionMissing(SubjectGuardFailed):
    """``action_opened``: a warning has no improvement action with owner and due date."""

    code = "loop.guard.action_missing"


class AlertUnresolved(SubjectGuardFailed):
    """``alert_resolved``: the next data do not show the alert resolved."""

    code = "loop.guard.alert_unresolved"


class SmallLoopOpen(SubjectGuardFailed):
    """The host state of the small loop is left while the small loop is not at an exit."""

    code = "loop.guard.small_loop_open"


class ExpressionGuardFailed(SubjectGuardFailed):
    """A custom expression guard is false (or unknown for missing data)."""

    code = "loop.guard.expression"


class TargetLowered(SubjectGuardFailed):
    """A next-cycle or revised target is lower than the previous one without approval."""

    code = "loop.guard.target_lowered"
