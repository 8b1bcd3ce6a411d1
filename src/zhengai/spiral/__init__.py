"""The 8字 improvement spiral per subject (DESIGN.md §3): loops, guards, cycles, actions, audit.

One generic engine, :class:`Spiral`, runs any :class:`~zhengai.model.loop.LoopDefinition`
with one model-less ``transitions`` Machine per definition: :meth:`Spiral.trigger`
for one subject, :meth:`Spiral.advance` for a whole population at numpy speed,
with identical results.  See ``docs/spiral.md``.
"""

from zhengai.spiral.actions import ACTION_TRANSITIONS, ActionBook, Verification, overdue_by_owner
from zhengai.spiral.audit import AuditBatch, AuditLog, AuditRecord, MachineName, replay
from zhengai.spiral.cycles import (
    CycleSnapshot,
    NextCycle,
    attainment,
    check_lowering,
    met,
    next_targets,
    open_next_cycle,
    snapshot,
)
from zhengai.spiral.diagram import UnknownDiagramFormat
from zhengai.spiral.engine import (
    AdvanceResult,
    Callback,
    Spiral,
    SpiralStates,
    SubjectState,
    TransitionBatch,
)
from zhengai.spiral.errors import (
    ActionMissing,
    AlertUnresolved,
    DataIncomplete,
    ExpressionGuardFailed,
    GapsUnaddressed,
    IllegalActionChange,
    IllegalTrigger,
    MissingGuardInput,
    RedAlertUnacknowledged,
    ReplayMismatch,
    RevisionNotApproved,
    SmallLoopOpen,
    StandardsMissing,
    SubjectGuardFailed,
    TargetLowered,
    TargetsMissing,
    UnknownCallback,
    UnknownLoop,
    UnknownTrigger,
)
from zhengai.spiral.guards import CompiledGuard, GuardContext, GuardInputs, compile_guard
from zhengai.spiral.persist import ENTER_TRIGGER, PersistentAdvance, StoredSpiral
from zhengai.spiral.shipped import loops_dir, shipped_loop, shipped_loops
from zhengai.spiral.views import state_histogram, stuck

__all__ = [
    "ACTION_TRANSITIONS",
    "ENTER_TRIGGER",
    "ActionBook",
    "ActionMissing",
    "AdvanceResult",
    "AlertUnresolved",
    "AuditBatch",
    "AuditLog",
    "AuditRecord",
    "Callback",
    "CompiledGuard",
    "CycleSnapshot",
    "DataIncomplete",
    "ExpressionGuardFailed",
    "GapsUnaddressed",
    "GuardContext",
    "GuardInputs",
    "IllegalActionChange",
    "IllegalTrigger",
    "MachineName",
    "MissingGuardInput",
    "NextCycle",
    "PersistentAdvance",
    "RedAlertUnacknowledged",
    "ReplayMismatch",
    "RevisionNotApproved",
    "SmallLoopOpen",
    "Spiral",
    "SpiralStates",
    "StandardsMissing",
    "StoredSpiral",
    "SubjectGuardFailed",
    "SubjectState",
    "TargetLowered",
    "TargetsMissing",
    "TransitionBatch",
    "UnknownCallback",
    "UnknownDiagramFormat",
    "UnknownLoop",
    "UnknownTrigger",
    "Verification",
    "attainment",
    "check_lowering",
    "compile_guard",
    "loops_dir",
    "met",
    "next_targets",
    "open_next_cycle",
    "overdue_by_owner",
    "replay",
    "shipped_loop",
    "shipped_loops",
    "snapshot",
    "state_histogram",
    "stuck",
]
