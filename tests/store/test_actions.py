"""Improvement actions (整改任务): optimistic locking, history, schools."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from zhengai.errors import ConcurrencyConflict
from zhengai.store import BadActionChange, RowNotFound, SchoolMismatch, Store

pytestmark = pytest.mark.db


def _open(store: Store) -> int:
    action = store.open_action(
        "m1",
        title="到课率低于90%，开展学风整治",
        owner="学工处",
        due=date(2025, 12, 31),
        details={"rule": "attendance_low"},
        who="质管办",
        reason="预警",
    )
    assert (action.status, action.version, action.overdue, action.escalation) == (
        "open",
        1,
        False,
        0,
    )
    return action.id


def test_an_action_moves_through_its_statuses_with_a_history(store: Store) -> None:
    action_id = _open(store)
    step = store.update_action(action_id, expected_version=1, who="辅导员", status="in_progress")
    step = store.update_action(
        action_id, expected_version=step.version, who="辅导员", status="done", reason="已整改"
    )
    assert (step.status, step.version) == ("done", 3)
    events = store.action_events(action_id)
    assert [(e.from_status, e.to_status, e.who) for e in events] == [
        (None, "open", "质管办"),
        ("open", "in_progress", "辅导员"),
        ("in_progress", "done", "辅导员"),
    ]
    assert events[-1].reason == "已整改"
    assert events[0].changes == {
        "title": "到课率低于90%，开展学风整治",
        "owner": "学工处",
        "due": "2025-12-31",
    }


def test_a_stale_version_is_a_conflict_and_changes_nothing(store: Store) -> None:
    action_id = _open(store)
    store.update_action(action_id, expected_version=1, who="a", owner="教务处")
    with pytest.raises(ConcurrencyConflict) as err:
        store.update_action(action_id, expected_version=1, who="b", status="verified")
    assert err.value.code == "store.concurrency_conflict"
    assert err.value.message == (
        f"action {action_id} is at version 2, not 1; another writer changed it first and "
        "this transaction was rolled back"
    )
    current = store.action(action_id)
    assert (current.status, current.owner, current.version) == ("open", "教务处", 2)
    assert len(store.action_events(action_id)) == 2


def test_bad_changes_are_refused(store: Store) -> None:
    action_id = _open(store)
    with pytest.raises(BadActionChange) as err:
        store.update_action(action_id, expected_version=1, who="a", status="closed")
    assert err.value.code == "store.bad_action_change"
    assert err.value.message == "unknown action status 'closed'"
    with pytest.raises(BadActionChange) as field:
        store.update_action(action_id, expected_version=1, who="a", subject_id="x")
    assert field.value.message == "cannot change subject_id of an action"


def test_another_schools_action_is_a_mismatch_and_unknown_ids_are_not_found(store: Store) -> None:
    action_id = _open(store)
    other = store.for_school(f"{store.school}-b")
    with pytest.raises(SchoolMismatch) as err:
        other.update_action(action_id, expected_version=1, who="x", status="done")
    assert err.value.code == "store.school_mismatch"
    assert err.value.message == (
        f"action {action_id} belongs to school {store.school!r}, not {other.school!r}"
    )
    assert store.action(action_id).status == "open"
    with pytest.raises(RowNotFound) as missing:
        store.action(10**9)
    assert missing.value.message == f"no improvement action {10**9}"


def test_listing_and_overdue_actions(store: Store) -> None:
    first = _open(store)
    second = store.open_action("c1", title="补录数据", owner="教务处", due=date(2026, 3, 1)).id
    store.update_action(second, expected_version=1, who="x", status="done")
    assert [a.id for a in store.actions(overdue_on=date(2026, 6, 1))] == [first]
    assert [a.id for a in store.actions(status="done")] == [second]
    assert [a.id for a in store.actions(subject_id="m1")] == [first]


def test_two_writers_racing_for_one_action_one_wins(store: Store) -> None:
    action_id = _open(store)
    outcome: list[object] = []

    def loser() -> None:
        try:
            store.update_action(action_id, expected_version=1, who="B", status="in_progress")
            outcome.append("updated")
        except ConcurrencyConflict as exc:
            outcome.append(exc)

    with store.transaction() as conn:
        store.update_action(action_id, expected_version=1, who="A", status="done", conn=conn)
        racer = threading.Thread(target=loser)
        racer.start()
        time.sleep(0.5)
    racer.join(timeout=30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConcurrencyConflict)
    final = store.action(action_id)
    assert (final.status, final.version) == ("done", 2)
    assert [e.who for e in store.action_events(action_id)] == ["质管办", "A"]
