"""Spiral states, their compare-and-set moves and the append-only audit trail.

The state is a column; the database is the lock.  A single move is one
``UPDATE … WHERE state = :source [AND version = :v]`` whose row count says who
won, plus its audit row.  A batch move is, per source state, one ``UPDATE`` that
tags the rows it changes with a fresh ``move_id`` and one ``INSERT … SELECT``
that writes the audit rows of exactly those tagged rows, so the audit can never
disagree with the states, whatever else runs concurrently (MySQL has no
``UPDATE … RETURNING``; the tag does the same job portably).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, Integer, String, Table, func, literal, select
from sqlalchemy.engine import Connection, RowMapping

from zhengai.errors import ConcurrencyConflict
from zhengai.store._sql import temp_ids
from zhengai.store.errors import IntegrityViolation, RowNotFound
from zhengai.store.records import MoveResult, SpiralState, Transition
from zhengai.store.schema import spiral_cycles, spiral_states, spiral_transitions
from zhengai.store.schema import subjects as subject_table
from zhengai.store.types import UtcDateTime, utcnow

__all__ = ["TRACKS", "Move"]

#: The two state columns: the big loop and the small loop inside 运行.
TRACKS = ("state", "small_state")


@dataclass(frozen=True, slots=True)
class Move:
    """What a move does, shared by the single and the batch path."""

    source: str
    dest: str
    trigger: str
    track: str
    new_cycle: bool
    who: str
    reason: str
    guards: Mapping[str, Any]


def _track(name: str) -> Any:
    if name not in TRACKS:
        raise RowNotFound(f"unknown state track {name!r}", hint="use 'state' or 'small_state'")
    return spiral_states.c[name]


def _state(row: RowMapping) -> SpiralState:
    return SpiralState(
        subject_id=row["subject_id"],
        loop=row["loop_id"],
        state=row["state"],
        small_state=row["small_state"],
        cycle=row["cycle"],
        version=row["version"],
        entered_at=row["entered_at"],
        updated_at=row["updated_at"],
    )


def _values(move: Move, token: str, now: datetime) -> dict[str, Any]:
    c = spiral_states.c
    values: dict[str, Any] = {
        move.track: move.dest,
        "version": c.version + 1,
        "updated_at": now,
        "move_id": token,
    }
    if move.track == "state":
        values["entered_at"] = now
    if move.new_cycle:
        values["cycle"] = c.cycle + 1
    return values


def _insert_audit(
    conn: Connection,
    school: str,
    loop: str,
    move: Move,
    source: str | None,
    token: str,
    now: datetime,
) -> int:
    """Audit rows for every state row tagged ``token`` (one INSERT … SELECT)."""
    c = spiral_states.c
    rows = select(
        c.school_id,
        c.subject_id,
        c.loop_id,
        literal(move.track, String(16)),
        c.cycle,
        literal(source, String(64)),
        literal(move.dest, String(64)),
        literal(move.trigger, String(64)),
        literal(move.who, String(255)),
        literal(now, UtcDateTime()),
        literal(move.reason, String()),
        literal(dict(move.guards), JSON()),
        c.move_id,
    ).where(
        c.school_id == school,
        c.loop_id == loop,
        _track(move.track) == move.dest,
        c.move_id == token,
    )
    target = [
        "school_id",
        "subject_id",
        "loop_id",
        "track",
        "cycle",
        "from_state",
        "to_state",
        "trigger_name",
        "who",
        "at",
        "reason",
        "guards",
        "move_id",
    ]
    result = conn.execute(
        spiral_transitions.insert().from_select(target, rows),
        execution_options={"preserve_rowcount": True},
    )
    return int(result.rowcount)


def _selection(school: str, ids: Table | None, level: str | None) -> list[ColumnElement[bool]]:
    """WHERE clauses narrowing state rows to a subject selection and/or a level."""
    c = spiral_states.c
    clauses: list[ColumnElement[bool]] = []
    if ids is not None:
        clauses.append(c.subject_id.in_(select(ids.c.id)))
    if level is not None:
        clauses.append(
            c.subject_id.in_(
                select(subject_table.c.id).where(
                    subject_table.c.school_id == school, subject_table.c.level == level
                )
            )
        )
    return clauses


def start(
    conn: Connection,
    school: str,
    loop: str,
    state: str,
    *,
    subjects: Sequence[str] | None,
    level: str | None,
    small_state: str | None,
    cycle: int,
    who: str,
    reason: str,
    trigger: str,
) -> int:
    """Insert state rows for subjects not yet on ``loop`` and audit them (from_state NULL)."""
    now = utcnow()
    token = uuid.uuid4().hex
    s = subject_table
    already = select(spiral_states.c.subject_id).where(
        spiral_states.c.school_id == school, spiral_states.c.loop_id == loop
    )

    def run(ids: Table | None) -> int:
        query = select(
            s.c.school_id,
            s.c.id,
            literal(loop, String(64)),
            literal(state, String(64)),
            literal(small_state, String(64)),
            literal(cycle, Integer()),
            literal(1, Integer()),
            literal(now, UtcDateTime()),
            literal(now, UtcDateTime()),
            literal(token, String(32)),
        ).where(s.c.school_id == school, s.c.id.not_in(already))
        if ids is not None:
            query = query.where(s.c.id.in_(select(ids.c.id)))
        if level is not None:
            query = query.where(s.c.level == level)
        target = [
            "school_id",
            "subject_id",
            "loop_id",
            "state",
            "small_state",
            "cycle",
            "version",
            "entered_at",
            "updated_at",
            "move_id",
        ]
        inserted = int(
            conn.execute(
                spiral_states.insert().from_select(target, query),
                execution_options={"preserve_rowcount": True},
            ).rowcount
        )
        move = Move("", state, trigger, "state", False, who, reason, {})
        _insert_audit(conn, school, loop, move, None, token, now)
        return inserted

    if subjects is None:
        return run(None)
    with temp_ids(conn, list(subjects)) as ids:
        count = run(ids)
    if count < len(set(subjects)):
        missing = _unknown_subjects(conn, school, subjects)
        if missing:
            raise IntegrityViolation(
                f"{len(missing)} subject(s) are not in school {school!r}: "
                + ", ".join(sorted(missing)[:5]),
                hint="add them with store.add_subjects() first",
            )
    return count


def _unknown_subjects(conn: Connection, school: str, ids: Sequence[str]) -> set[str]:
    wanted = set(ids)
    with temp_ids(conn, list(wanted)) as table:
        known = conn.execute(
            select(subject_table.c.id).where(
                subject_table.c.school_id == school, subject_table.c.id.in_(select(table.c.id))
            )
        ).scalars()
        return wanted - set(known)


def get(
    conn: Connection, school: str, subject_id: str, loop: str, *, latest: bool = False
) -> SpiralState | None:
    """One state row, or None; ``latest`` reads the newest committed row (a locking read),
    not the transaction's snapshot, so a conflict names the winner's state."""
    c = spiral_states.c
    query = select(spiral_states).where(
        c.school_id == school, c.subject_id == subject_id, c.loop_id == loop
    )
    row = conn.execute(query.with_for_update() if latest else query).mappings().first()
    return None if row is None else _state(row)


def list_states(
    conn: Connection, school: str, loop: str, *, state: str | None, subjects: Sequence[str] | None
) -> list[SpiralState]:
    """State rows of ``loop`` by subject id."""
    c = spiral_states.c
    query = select(spiral_states).where(c.school_id == school, c.loop_id == loop)
    if state is not None:
        query = query.where(c.state == state)
    if subjects is None:
        return [_state(r) for r in conn.execute(query.order_by(c.subject_id)).mappings()]
    with temp_ids(conn, list(subjects)) as ids:
        query = query.where(c.subject_id.in_(select(ids.c.id)))
        return [_state(r) for r in conn.execute(query.order_by(c.subject_id)).mappings()]


def counts(conn: Connection, school: str, loop: str, track: str) -> dict[str, int]:
    """Subjects per state (the histogram behind diagrams and reports)."""
    column = _track(track)
    c = spiral_states.c
    query = (
        select(column, func.count())
        .where(c.school_id == school, c.loop_id == loop, column.is_not(None))
        .group_by(column)
        .order_by(column)
    )
    return {state: int(n) for state, n in conn.execute(query)}


def move_one(
    conn: Connection,
    school: str,
    subject_id: str,
    loop: str,
    move: Move,
    expected_version: int | None,
) -> SpiralState:
    """Compare-and-set one subject; :class:`ConcurrencyConflict` when it lost the race."""
    column = _track(move.track)
    c = spiral_states.c
    now = utcnow()
    token = uuid.uuid4().hex
    where = [
        c.school_id == school,
        c.subject_id == subject_id,
        c.loop_id == loop,
        column == move.source,
    ]
    if expected_version is not None:
        where.append(c.version == expected_version)
    changed = conn.execute(
        spiral_states.update().where(*where).values(**_values(move, token, now))
    ).rowcount
    if changed != 1:
        current = get(conn, school, subject_id, loop, latest=True)
        if current is None:
            raise RowNotFound(
                f"subject {subject_id!r} is not on loop {loop!r} in school {school!r}",
                hint="start it with store.start_spirals()",
            )
        now_in = getattr(current, move.track)
        raise ConcurrencyConflict(
            f"subject {subject_id!r} on loop {loop!r} is in {move.track} {now_in!r} at version "
            f"{current.version}, not {move.source!r}"
            + ("" if expected_version is None else f" at version {expected_version}")
            + "; another writer moved it first and this transaction was rolled back",
            hint="reload the state and decide again",
        )
    _insert_audit(conn, school, loop, move, move.source, token, now)
    moved = get(conn, school, subject_id, loop)
    assert moved is not None
    return moved


def move_batch(
    conn: Connection,
    school: str,
    loop: str,
    sources: Sequence[str],
    move: Move,
    *,
    subjects: Sequence[str] | None,
    level: str | None,
) -> MoveResult:
    """One UPDATE plus one INSERT … SELECT per source state; counts per source."""
    column = _track(move.track)
    c = spiral_states.c
    now = utcnow()
    result = MoveResult()

    def run(ids: Table | None) -> None:
        base = [c.school_id == school, c.loop_id == loop, *_selection(school, ids, level)]
        for source in dict.fromkeys(sources):
            token = uuid.uuid4().hex
            changed = int(
                conn.execute(
                    spiral_states.update()
                    .where(*base, column == source)
                    .values(**_values(move, token, now))
                ).rowcount
            )
            audited = _insert_audit(conn, school, loop, move, source, token, now) if changed else 0
            if audited != changed:  # cannot happen with a unique tag; refuse rather than drift
                raise ConcurrencyConflict(
                    f"moved {changed} subjects from {source!r} but audited {audited}; rolled back"
                )
            result.moved[source] = changed
            result.move_ids[source] = token

    if subjects is None:
        run(None)
    else:
        with temp_ids(conn, list(subjects)) as ids:
            run(ids)
    return result


def _transition(row: RowMapping) -> Transition:
    return Transition(
        id=row["id"],
        subject_id=row["subject_id"],
        loop=row["loop_id"],
        track=row["track"],
        cycle=row["cycle"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        trigger=row["trigger_name"],
        who=row["who"],
        at=row["at"],
        reason=row["reason"],
        guards=row["guards"],
        move_id=row["move_id"],
    )


def history(
    conn: Connection, school: str, subject_id: str | None, loop: str | None
) -> list[Transition]:
    """Audit rows oldest first."""
    t = spiral_transitions.c
    query = select(spiral_transitions).where(t.school_id == school)
    if subject_id is not None:
        query = query.where(t.subject_id == subject_id)
    if loop is not None:
        query = query.where(t.loop_id == loop)
    return [_transition(r) for r in conn.execute(query.order_by(t.id)).mappings()]


def save_cycle(
    conn: Connection,
    school: str,
    subject_id: str,
    loop: str,
    cycle: int,
    snapshot: Mapping[str, Any],
    period: str | None,
) -> int:
    """Insert a frozen cycle snapshot; a second snapshot of the same cycle is refused."""
    result = conn.execute(
        spiral_cycles.insert().values(
            school_id=school,
            subject_id=subject_id,
            loop_id=loop,
            cycle=cycle,
            period=period,
            closed_at=utcnow(),
            snapshot=dict(snapshot),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def list_cycles(conn: Connection, school: str, subject_id: str, loop: str) -> list[dict[str, Any]]:
    """Snapshots oldest cycle first, each with its cycle number, period and closing time."""
    y = spiral_cycles.c
    query = (
        select(y.cycle, y.period, y.closed_at, y.snapshot)
        .where(y.school_id == school, y.subject_id == subject_id, y.loop_id == loop)
        .order_by(y.cycle)
    )
    return [dict(r) for r in conn.execute(query).mappings()]
