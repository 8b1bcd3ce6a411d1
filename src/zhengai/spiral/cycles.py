"""Cycles of the spiral: frozen snapshots, the target-raising policy and carry-over.

Closing a cycle freezes a :class:`CycleSnapshot` (targets, achieved values,
attainment, which targets were met, plus whatever alerts, scores and actions the
caller attaches).  :func:`open_next_cycle` turns it into the next cycle's targets
under the loop's :class:`~zhengai.model.loop.RaisingPolicy` — never ratchet down
by default — and carries over unmet targets and open improvement actions.
Lowering a target needs an approved adjustment record (:func:`check_lowering`).
Everything is columnar: one row per subject, one column per indicator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from zhengai.model.action import Action
from zhengai.model.enums import Direction
from zhengai.model.loop import RaisingPolicy, RaisingPolicyKind
from zhengai.spiral.errors import TargetLowered

if TYPE_CHECKING:
    from zhengai.spiral.engine import TransitionBatch

__all__ = [
    "CycleSnapshot",
    "NextCycle",
    "attainment",
    "check_lowering",
    "met",
    "next_targets",
    "open_next_cycle",
    "snapshot",
]

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

#: Decimal places to which a gap between achieved and target is compared: 0.9 achieved
#: against a 0.9 target meets it even when the float arithmetic left 0.8999999999.
COMPARE_DECIMALS = 9


#: The default raising policy: never ratchet down.
DEFAULT_POLICY = RaisingPolicy()


def _higher(directions: Sequence[Direction | str]) -> Bools:
    return np.array([Direction(d) is Direction.HIGHER_BETTER for d in directions], dtype=bool)


def met(targets: Floats, achieved: Floats, directions: Sequence[Direction | str]) -> Bools:
    """Whether each achieved value meets its target (direction-aware; missing never meets)."""
    diff = np.round(np.asarray(achieved) - np.asarray(targets), COMPARE_DECIMALS)
    higher = _higher(directions)
    with np.errstate(invalid="ignore"):
        return np.where(higher, diff >= 0, diff <= 0) & ~np.isnan(diff)


def attainment(targets: Floats, achieved: Floats, directions: Sequence[Direction | str]) -> Floats:
    """达成度: achieved/target (higher_better) or target/achieved (lower_better); NaN unknown."""
    t, a = np.asarray(targets, dtype=np.float64), np.asarray(achieved, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(_higher(directions), a / t, t / a)
    return np.where(np.isfinite(ratio), ratio, np.nan)


def next_targets(
    previous: Floats,
    achieved: Floats,
    directions: Sequence[Direction | str],
    policy: RaisingPolicy = DEFAULT_POLICY,
    plan: Floats | None = None,
) -> Floats:
    """The next cycle's targets under ``policy``; never lower (higher_better) than before.

    ``never_down``: max(previous target, achieved) for higher_better, min() for
    lower_better, the previous target where the achieved value is missing.
    ``step_to_plan``: additionally a step of ``policy.step`` toward the long-range
    ``plan`` target, but never past it (步步逼近规划目标, 003 §四(二)2) and never
    below the never-down value.
    """
    prev = np.asarray(previous, dtype=np.float64)
    done = np.asarray(achieved, dtype=np.float64)
    higher = _higher(directions)
    base = np.where(higher, np.fmax(prev, done), np.fmin(prev, done))
    if policy.kind is RaisingPolicyKind.NEVER_DOWN or plan is None:
        return base
    goal = np.asarray(plan, dtype=np.float64)
    stepped = np.where(
        higher,
        np.fmin(goal, base * (1 + policy.step)),
        np.fmax(goal, base * (1 - policy.step)),
    )
    return np.where(higher, np.fmax(base, stepped), np.fmin(base, stepped))


def check_lowering(
    subject_ids: Sequence[str] | NDArray[Any],
    indicators: Sequence[str],
    previous: Floats,
    proposed: Floats,
    directions: Sequence[Direction | str],
    approved: Bools | None = None,
    *,
    trigger: str = "set_targets",
) -> Bools:
    """Refuse targets lowered without an approved adjustment record.

    Returns the ``[subjects, indicators]`` mask of lowered targets that are approved;
    raises :class:`TargetLowered` for the first subject with an unapproved lowering.
    """
    diff = np.round(np.asarray(proposed) - np.asarray(previous), COMPARE_DECIMALS)
    with np.errstate(invalid="ignore"):
        lowered = np.where(_higher(directions), diff < 0, diff > 0)
    ok = np.zeros_like(lowered) if approved is None else np.asarray(approved, dtype=bool)
    bad = lowered & ~ok
    rows = np.flatnonzero(bad.any(axis=1))
    if len(rows):
        row = int(rows[0])
        names = tuple(i for i, flag in zip(indicators, bad[row], strict=True) if flag)
        raise TargetLowered(
            f"{subject_ids[row]} 的目标 {', '.join(names)} 低于上一周期，缺少经批准的调整记录",
            subject_id=str(subject_ids[row]),
            trigger=trigger,
            source="",
            dest="",
            guard="target_not_lowered",
            missing=names,
        )
    return lowered & ok


@dataclass(frozen=True)
class CycleSnapshot:
    """The frozen record of the cycles that closed together (one row per subject)."""

    subject_ids: NDArray[Any]
    cycle: NDArray[np.int32]
    closed_at: datetime
    indicators: tuple[str, ...]
    targets: Floats
    achieved: Floats
    attainment: Floats
    met: Bools
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.subject_ids)


def snapshot(
    batch: TransitionBatch, directions: Sequence[Direction | str] | None = None
) -> CycleSnapshot:
    """Freeze the closing cycle of the subjects a transition moved (``freeze_snapshot``).

    Targets and achieved values come from the guard inputs; the indicators'
    directions from ``inputs.extra["directions"]`` (higher_better when absent).
    """
    inputs, rows = batch.inputs, batch.rows
    k = len(inputs.indicators)
    nan = np.full((len(rows), k), np.nan)
    targets = nan if inputs.targets is None else np.asarray(inputs.targets)[rows]
    achieved = nan if inputs.achieved is None else np.asarray(inputs.achieved)[rows]
    directions = directions or inputs.extra.get("directions") or ["higher_better"] * k
    return CycleSnapshot(
        batch.states.subject_ids[rows],
        batch.states.cycle[rows],
        batch.at,
        inputs.indicators,
        targets,
        achieved,
        attainment(targets, achieved, directions),
        met(targets, achieved, directions),
        {"actor": batch.actor, "loop": batch.spiral.definition.id},
    )


@dataclass(frozen=True)
class NextCycle:
    """What the next cycle opens with: raised targets and what carries over."""

    subject_ids: NDArray[Any]
    cycle: NDArray[np.int32]
    indicators: tuple[str, ...]
    targets: Floats
    carried_targets: Bools
    carried_actions: dict[str, tuple[Action, ...]]

    def carried(self, subject_id: str) -> tuple[str, ...]:
        """The unmet target indicators of one subject that carry into the next cycle."""
        row = int(np.flatnonzero(self.subject_ids == subject_id)[0])
        return tuple(
            i for i, flag in zip(self.indicators, self.carried_targets[row], strict=True) if flag
        )


def open_next_cycle(
    closed: CycleSnapshot,
    directions: Sequence[Direction | str],
    policy: RaisingPolicy = DEFAULT_POLICY,
    *,
    plan: Floats | None = None,
    actions: Iterable[Action] = (),
) -> NextCycle:
    """Targets of the next cycle under ``policy``; unmet targets and open actions carry over."""
    targets = next_targets(closed.targets, closed.achieved, directions, policy, plan)
    unmet = ~closed.met & ~np.isnan(closed.targets)
    members = set(map(str, closed.subject_ids))
    carried: dict[str, list[Action]] = {}
    for action in actions:
        if action.is_open and action.subject_id in members:
            carried.setdefault(action.subject_id, []).append(action)
    return NextCycle(
        closed.subject_ids,
        closed.cycle + 1,
        closed.indicators,
        targets,
        unmet,
        {k: tuple(v) for k, v in carried.items()},
    )
