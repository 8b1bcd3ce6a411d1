"""Improvement actions (整改任务) with optimistic locking and an append-only history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from zhengai.errors import ConcurrencyConflict
from zhengai.store.errors import BadActionChange, RowNotFound, SchoolMismatch
from zhengai.store.records import ActionEvent, ActionRecord
from zhengai.store.schema import ACTION_STATUSES, action_events, actions
from zhengai.store.types import utcnow

__all__ = ["EDITABLE", "NewAction"]

#: Fields :meth:`Store.update_action` may change.
EDITABLE = ("status", "owner", "due", "overdue", "escalation", "title", "details")


@dataclass(frozen=True, slots=True)
class NewAction:
    """The fields of an action being opened."""

    subject_id: str
    title: str
    owner: str
    due: date | None
    alert_id: int | None
    details: dict[str, Any]


def _record(row: RowMapping) -> ActionRecord:
    return ActionRecord(
        id=row["id"],
        subject_id=row["subject_id"],
        alert_id=row["alert_id"],
        title=row["title"],
        owner=row["owner"],
        due=row["due"],
        status=row["status"],
        overdue=bool(row["overdue"]),
        escalation=row["escalation"],
        opened_at=row["opened_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        details=row["details"],
    )


def _json_safe(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in changes.items()}


def open_action(
    conn: Connection, school: str, new: NewAction, who: str, reason: str
) -> ActionRecord:
    """Insert an open action and its first event."""
    now = utcnow()
    result = conn.execute(
        actions.insert().values(
            school_id=school,
            subject_id=new.subject_id,
            alert_id=new.alert_id,
            title=new.title,
            owner=new.owner,
            due=new.due,
            status="open",
            overdue=False,
            escalation=0,
            opened_at=now,
            updated_at=now,
            version=1,
            details=new.details,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    action_id = int(key[0])
    conn.execute(
        action_events.insert().values(
            school_id=school,
            action_id=action_id,
            at=now,
            who=who,
            from_status=None,
            to_status="open",
            changes=_json_safe({"title": new.title, "owner": new.owner, "due": new.due}),
            reason=reason,
        )
    )
    return get_action(conn, school, action_id)


def update_action(
    conn: Connection,
    school: str,
    action_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    who: str,
    reason: str,
) -> ActionRecord:
    """Compare-and-set on ``version``; an event row records what changed."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise BadActionChange(
            f"cannot change {', '.join(unknown)} of an action",
            hint=f"editable: {', '.join(EDITABLE)}",
        )
    status = changes.get("status")
    if status is not None and status not in ACTION_STATUSES:
        raise BadActionChange(
            f"unknown action status {status!r}", hint=f"use one of {', '.join(ACTION_STATUSES)}"
        )
    # A locking read: the newest committed row, held until this transaction ends, so
    # the event records the status the update really replaced.
    before = get_action(conn, school, action_id, latest=True)
    now = utcnow()
    changed = 0
    if before.version == expected_version:
        changed = conn.execute(
            actions.update()
            .where(
                actions.c.id == action_id,
                actions.c.school_id == school,
                actions.c.version == expected_version,
            )
            .values(**changes, version=actions.c.version + 1, updated_at=now)
        ).rowcount
    if changed != 1:
        raise ConcurrencyConflict(
            f"action {action_id} is at version {before.version}, not {expected_version}; "
            "another writer changed it first and this transaction was rolled back",
            hint="reload the action and apply the change again",
        )
    conn.execute(
        action_events.insert().values(
            school_id=school,
            action_id=action_id,
            at=now,
            who=who,
            from_status=before.status,
            to_status=changes.get("status", before.status),
            changes=_json_safe(changes),
            reason=reason,
        )
    )
    return get_action(conn, school, action_id)


def get_action(
    conn: Connection, school: str, action_id: int, *, latest: bool = False
) -> ActionRecord:
    """One action; says whether a missing id belongs to another school.

    ``latest`` is a locking read: the newest committed row, not the snapshot.
    """
    query = select(actions).where(actions.c.id == action_id)
    row = conn.execute(query.with_for_update() if latest else query).mappings().first()
    if row is None:
        raise RowNotFound(f"no improvement action {action_id}")
    if row["school_id"] != school:
        raise SchoolMismatch(
            f"action {action_id} belongs to school {row['school_id']!r}, not {school!r}",
            hint=f"use store.for_school({row['school_id']!r})",
        )
    return _record(row)


def list_actions(
    conn: Connection,
    school: str,
    status: str | Iterable[str] | None,
    subject_id: str | None,
    overdue_on: date | None,
) -> list[ActionRecord]:
    """Actions by id, filtered."""
    a = actions.c
    query = select(actions).where(a.school_id == school)
    if status is not None:
        query = query.where(a.status.in_([status] if isinstance(status, str) else list(status)))
    if subject_id is not None:
        query = query.where(a.subject_id == subject_id)
    if overdue_on is not None:
        query = query.where(a.due < overdue_on, a.status.in_(("open", "in_progress")))
    return [_record(r) for r in conn.execute(query.order_by(a.id)).mappings()]


def events(conn: Connection, school: str, action_id: int) -> list[ActionEvent]:
    """An action's events, oldest first."""
    get_action(conn, school, action_id)
    e = action_events.c
    query = select(action_events).where(e.school_id == school, e.action_id == action_id)
    return [
        ActionEvent(
            id=r["id"],
            action_id=r["action_id"],
            at=r["at"],
            who=r["who"],
            from_status=r["from_status"],
            to_status=r["to_status"],
            changes=r["changes"],
            reason=r["reason"],
        )
        for r in conn.execute(query.order_by(e.id)).mappings()
    ]
