"""The spiral on a :class:`~zhengai.store.Store`: the state is a column, the database the lock.

A single subject: the shared machine checks the guards and runs the callbacks,
then the store does a compare-and-set ``UPDATE … WHERE state = :source AND
version = :v`` plus the audit insert in one transaction; the loser of a race
gets :class:`~zhengai.errors.ConcurrencyConflict` and leaves no trace.

A population: the states are read as columns, the trigger validated once and
the guards run over the whole batch in numpy (:meth:`Spiral.advance`); then,
per transition and source state, one ``UPDATE`` and one ``INSERT … SELECT`` of
audit rows (the store's batch move).  Subjects that another writer moved in the
meantime make the whole batch roll back with ``ConcurrencyConflict``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date
from typing import Any

import numpy as np
from sqlalchemy import case, select, update
from sqlalchemy.engine import Connection

from zhengai.errors import ConcurrencyConflict
from zhengai.model.action import ActionStatus
from zhengai.model.loop import UnknownState
from zhengai.model.period import Period
from zhengai.spiral.actions import decide, next_status
from zhengai.spiral.audit import AuditRecord, replay
from zhengai.spiral.cycles import CycleSnapshot
from zhengai.spiral.engine import OUTSIDE, AdvanceResult, Spiral, SpiralStates, SubjectState
from zhengai.spiral.errors import IllegalActionChange
from zhengai.spiral.guards import GuardContext, GuardInputs
from zhengai.store import ActionRecord, SpiralState, Store, Transition
from zhengai.store.schema import spiral_states

__all__ = [
    "ENTER_TRIGGER",
    "PersistentAdvance",
    "StoredActions",
    "StoredSpiral",
    "StoredVerification",
]

#: The trigger name of the audit row written when a subject is put on a loop.
ENTER_TRIGGER = "enter_loop"


@dataclass(frozen=True)
class PersistentAdvance:
    """A population move that the store committed: the in-memory result and rows moved."""

    result: AdvanceResult
    stored: int


class StoredSpiral:
    """One loop definition run against a store (``loop_id`` defaults to the definition id)."""

    def __init__(self, spiral: Spiral, store: Store, *, loop_id: str | None = None) -> None:
        self.spiral = spiral
        self.store = store
        self.loop = loop_id or spiral.definition.id

    def start(
        self,
        *,
        subjects: Sequence[str] | None = None,
        level: str | None = None,
        who: str = "system",
    ) -> int:
        """Put subjects (all of them, some ids, or one level) on the loop at its initial state."""
        return self.store.start_spirals(
            self.loop,
            self.spiral.definition.initial,
            subjects=subjects,
            level=level,
            who=who,
            trigger=ENTER_TRIGGER,
        )

    def state(self, subject_id: str) -> SpiralState | None:
        """The stored state of one subject on this loop."""
        return self.store.spiral_state(subject_id, self.loop)

    # -- one subject ----------------------------------------------------------------------

    def trigger(
        self,
        subject_id: str,
        trigger: str,
        context: GuardContext | GuardInputs | None = None,
        *,
        who: str = "system",
        reason: str = "",
        known: SpiralState | None = None,
    ) -> SpiralState:
        """Move one subject; ``known`` is the state the caller decided on (read now if None).

        Raises the guard's error before anything is written, and
        :class:`ConcurrencyConflict` when someone moved the subject since ``known``.
        """
        current = known or self.state(subject_id)
        if current is None:
            from zhengai.store import RowNotFound

            raise RowNotFound(
                f"subject {subject_id!r} is not on loop {self.loop!r}",
                hint="start it with StoredSpiral.start()",
            )
        before = len(self.spiral.snapshots)
        subject = SubjectState(
            subject_id, current.state, current.small_state, current.cycle, current.entered_at
        )
        new, record = self.spiral.trigger(subject, trigger, context, actor=who, reason=reason)
        definition = self._transition(record)
        with self._undo_snapshots(before), self.store.transaction() as conn:
            moved = self.store.move_spiral(
                subject_id,
                self.loop,
                source=record.source,
                dest=record.dest,
                trigger=trigger,
                expected_version=current.version,
                track="state" if record.machine == "loop" else "small_state",
                new_cycle=definition.new_cycle,
                who=who,
                reason=reason,
                guards=dict.fromkeys(record.guards, True),
                conn=conn,
            )
            if record.machine == "loop" and new.small_state != current.small_state:
                self._set_small(conn, [subject_id], new.small_state, version=moved.version)
                moved = replace(moved, small_state=new.small_state)
            self._save_snapshots(conn, self.spiral.snapshots[before:])
        return moved

    @contextmanager
    def _undo_snapshots(self, before: int) -> Iterator[None]:
        # Callbacks ran in memory before the write; when the write fails (a lost race),
        # the snapshots they froze are dropped too, so memory never runs ahead of the store.
        try:
            yield
        except BaseException:
            del self.spiral.snapshots[before:]
            raise

    def _transition(self, record: AuditRecord) -> Any:
        small = self.spiral.definition.small_loop
        pool = self.spiral.definition.transitions if record.machine == "loop" else small.transitions  # type: ignore[union-attr]
        return next(t for t in pool if t.trigger == record.trigger and record.source in t.source)

    def _set_small(
        self,
        conn: Connection,
        subject_ids: Sequence[str] | None,
        small: str | None,
        *,
        version: int | None = None,
        move_id: str | None = None,
    ) -> None:
        # The store's move changes one state column; entering or leaving the host of
        # the small loop also sets the small-loop column, in the same transaction.
        c = spiral_states.c
        where = [c.school_id == self.store.school, c.loop_id == self.loop]
        if move_id is not None:
            where.append(c.move_id == move_id)
        if subject_ids is not None:
            where.append(c.subject_id.in_(list(subject_ids)))
        if version is not None:
            where.append(c.version == version)
        conn.execute(update(spiral_states).where(*where).values(small_state=small))

    def _save_snapshots(self, conn: Connection, snapshots: Sequence[CycleSnapshot]) -> None:
        for snap in snapshots:
            for row, subject_id in enumerate(snap.subject_ids):
                self.store.save_cycle(
                    str(subject_id),
                    self.loop,
                    int(snap.cycle[row]),
                    {
                        "indicators": list(snap.indicators),
                        "targets": _json(snap.targets[row]),
                        "achieved": _json(snap.achieved[row]),
                        "attainment": _json(snap.attainment[row]),
                        "met": [bool(v) for v in snap.met[row]],
                    },
                    conn=conn,
                )

    # -- a population -----------------------------------------------------------------------

    def load(
        self, *, subjects: Sequence[str] | None = None, entered_at: bool = False
    ) -> SpiralStates:
        """The loop's stored states as columns, ordered by subject id.

        States come back as codes computed in SQL (``CASE``), and the rows are read
        straight from the driver's cursor: at a million rows, SQLAlchemy's row objects
        and a Python-side string-to-code mapping cost more than the move itself.
        ``entered_at`` is read only on request (for :func:`~zhengai.spiral.stuck`);
        a move does not need it (the store stamps the moved rows).  Unread, it is NaT.
        """
        c = spiral_states.c
        state_code = case(
            {s: i for i, s in enumerate(self.spiral.state_ids)}, value=c.state, else_=-2
        )
        small_code = case(
            {s: i for i, s in enumerate(self.spiral.small_ids)} or {"": OUTSIDE},
            value=c.small_state,
            else_=OUTSIDE,
        )
        query = (
            select(c.subject_id, state_code, small_code, c.cycle)
            .where(c.school_id == self.store.school, c.loop_id == self.loop)
            .order_by(c.subject_id)
        )
        if subjects is not None:
            query = query.where(c.subject_id.in_(list(subjects)))
        with self.store.engine.connect() as conn:
            result = conn.execute(query)
            rows: list[tuple[Any, ...]] = list(result.cursor.fetchall()) if result.cursor else []
            stamps = (
                conn.execute(
                    query.with_only_columns(c.entered_at).order_by(None).order_by(c.subject_id)
                ).scalars()
                if entered_at
                else None
            )
            entered = (
                np.array(
                    [e.astimezone(UTC).replace(tzinfo=None) if e.tzinfo else e for e in stamps],
                    dtype="datetime64[s]",
                )
                if stamps is not None
                else np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[s]")
            )
        n = len(rows)
        state = np.fromiter((r[1] for r in rows), dtype=np.int16, count=n)
        if (state < 0).any():
            unknown = {str(r[0]) for r, code in zip(rows, state, strict=True) if code < 0}
            raise UnknownState(
                f"{len(unknown)} subject(s) on loop {self.loop!r} are in a state the loop "
                f"{self.spiral.definition.id!r} does not have: {', '.join(sorted(unknown)[:5])}",
            )
        return SpiralStates(
            np.array([r[0] for r in rows], dtype=object),
            state,
            np.fromiter((r[2] for r in rows), dtype=np.int16, count=n),
            np.fromiter((r[3] for r in rows), dtype=np.int32, count=n),
            entered,
        )

    def advance(
        self,
        trigger: str,
        inputs: GuardInputs | Callable[[SpiralStates], GuardInputs] | None = None,
        *,
        subjects: Sequence[str] | None = None,
        who: str = "system",
        reason: str = "",
    ) -> PersistentAdvance:
        """Move every subject on the loop (or ``subjects``) that may take ``trigger``.

        ``inputs`` are aligned with the states ordered by subject id, or a function
        that builds them from the loaded states.
        """
        states = self.load(subjects=subjects)
        guard_inputs = inputs(states) if callable(inputs) else inputs
        before = len(self.spiral.snapshots)
        result = self.spiral.advance(states, trigger, guard_inputs, actor=who, reason=reason)
        machine = self.spiral.machine_of(trigger)
        here = states.state if machine == "loop" else states.small
        names = self.spiral.state_ids if machine == "loop" else self.spiral.small_ids
        stored = 0
        with self._undo_snapshots(before), self.store.transaction() as conn:
            for transition, rows in result.groups:
                for code in np.unique(here[rows]):
                    group = rows[here[rows] == code]
                    source = names[int(code)]
                    # Everyone in this source state moves: no id list, a plain UPDATE.
                    whole = len(group) == int(np.count_nonzero(here == code)) and subjects is None
                    moved = self.store.advance_spirals(
                        self.loop,
                        source=source,
                        dest=transition.dest,
                        trigger=trigger,
                        subjects=None if whole else [str(s) for s in states.subject_ids[group]],
                        track="state" if machine == "loop" else "small_state",
                        new_cycle=transition.new_cycle,
                        who=who,
                        reason=reason,
                        guards=dict.fromkeys(result.audit.guards, True),
                        conn=conn,
                    )
                    count = moved.moved.get(source, 0)
                    if count != len(group):
                        raise ConcurrencyConflict(
                            f"{len(group) - count} of {len(group)} subjects in {source!r} on loop "
                            f"{self.loop!r} were moved by another writer; nothing was changed",
                            hint="reload the states and advance again",
                        )
                    stored += count
                    small = result.states.small[group[0]]
                    if machine == "loop" and (small != states.small[group]).any():
                        self._set_small(
                            conn,
                            None,
                            None if small == OUTSIDE else self.spiral.small_ids[int(small)],
                            move_id=moved.move_ids[source],
                        )
            self._save_snapshots(conn, self.spiral.snapshots[before:])
        return PersistentAdvance(result, stored)

    # -- audit --------------------------------------------------------------------------

    def history(self, subject_id: str | None = None) -> list[AuditRecord]:
        """The stored audit trail as records (the entry rows left out), oldest first."""
        return [
            _record(t)
            for t in self.store.transitions(subject_id=subject_id, loop=self.loop)
            if t.trigger != ENTER_TRIGGER
        ]

    def replay(self, subject_id: str | None = None) -> dict[str, SubjectState]:
        """Replay the stored trail; it must reproduce the stored states."""
        return replay(self.spiral, self.history(subject_id))


def _record(t: Transition) -> AuditRecord:
    return AuditRecord(
        t.subject_id,
        "loop" if t.track == "state" else "small",
        t.cycle,
        t.trigger,
        t.from_state or "",
        t.to_state,
        t.who,
        t.at,
        t.reason,
        tuple(t.guards),
    )


def _json(values: Any) -> list[float | None]:
    return [None if math.isnan(float(v)) else float(v) for v in values]


@dataclass(frozen=True)
class StoredVerification:
    """What one stored verification run did, by action id."""

    verified: tuple[int, ...]
    reopened: tuple[int, ...]
    escalated: tuple[int, ...]


class StoredActions:
    """Improvement actions kept in a store, with the same lifecycle and rules as ``ActionBook``.

    Every change is a compare-and-set on the action's version plus an event row
    (the store's optimistic lock): a stale writer gets ``ConcurrencyConflict``.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def open_from_alert(
        self,
        alert_id: int,
        subject_id: str,
        title: str,
        *,
        owner: str,
        due: date | None,
        who: str = "system",
    ) -> ActionRecord:
        """Open the action of an alert; an alert with an unverified action gets no second one."""
        for action in self.store.actions(subject_id=subject_id):
            if action.alert_id == alert_id and action.status != ActionStatus.VERIFIED.value:
                return action
        return self.store.open_action(
            subject_id,
            title=title,
            owner=owner,
            due=due,
            alert_id=alert_id,
            who=who,
            reason=f"由预警 {alert_id} 生成",
        )

    def change(
        self,
        action_id: int,
        trigger: str,
        *,
        who: str,
        reason: str = "",
        expected_version: int | None = None,
    ) -> ActionRecord:
        """Move an action with a lifecycle trigger; hand verification of alert actions refused."""
        action = self.store.action(action_id)
        status = ActionStatus(action.status)
        if trigger == "verify" and action.alert_id is not None:
            raise IllegalActionChange(
                f"整改任务 {action_id} 由预警 {action.alert_id} 产生，只能由下一期数据验证",
            )
        dest = next_status(status, trigger)
        if dest is None:
            raise IllegalActionChange(
                f"整改任务 {action_id} 处于 {status.label}，不能执行 {trigger!r}",
            )
        version = action.version if expected_version is None else expected_version
        return self.store.update_action(
            action_id,
            expected_version=version,
            who=who,
            reason=reason,
            status=dest.value,
        )

    def verify_from_data(
        self,
        resolved_alerts: Collection[int],
        *,
        today: date,
        period: Period | None = None,
        escalate_to: Callable[[ActionRecord], str] | None = None,
    ) -> StoredVerification:
        """Verify, reopen and escalate the stored actions of alerts from the next data."""
        resolved = set(resolved_alerts)
        verified: list[int] = []
        reopened: list[int] = []
        escalated: list[int] = []
        current = self.store.actions()  # read first: each write re-checks the version
        with self.store.transaction() as conn:
            for action in current:
                if action.alert_id is None:
                    continue
                status = ActionStatus(action.status)
                overdue = (
                    status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
                    and action.due is not None
                    and today > action.due
                )
                decision = decide(
                    status,
                    str(action.alert_id),
                    resolved=action.alert_id in resolved,
                    overdue=overdue,
                    period=period,
                )
                if decision is None:
                    continue
                changes: dict[str, Any] = {}
                if decision.trigger is not None:
                    dest = next_status(status, decision.trigger)
                    assert dest is not None
                    changes["status"] = dest.value
                    (verified if decision.trigger == "verify" else reopened).append(action.id)
                if decision.escalate:
                    changes["escalation"] = action.escalation + 1
                    if escalate_to is not None:
                        changes["owner"] = escalate_to(action)
                    escalated.append(action.id)
                self.store.update_action(
                    action.id,
                    expected_version=action.version,
                    who="data",
                    reason=decision.reason,
                    conn=conn,
                    **changes,
                )
        return StoredVerification(tuple(verified), tuple(reopened), tuple(escalated))

    def overdue_by_owner(self, today: date) -> dict[str, list[ActionRecord]]:
        """Stored actions past due and not done, grouped by owner (most overdue first)."""
        groups: dict[str, list[ActionRecord]] = {}
        for action in self.store.actions(overdue_on=today):
            groups.setdefault(action.owner, []).append(action)
        return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))
