"""Improvement actions in a store: verified, reopened and escalated by the next data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert

from zhengai.errors import ConcurrencyConflict
from zhengai.model import Period, Subject
from zhengai.spiral import IllegalActionChange
from zhengai.spiral.persist import StoredActions
from zhengai.store import Store
from zhengai.store.schema import alerts, runs

pytestmark = pytest.mark.db
NOW = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store(db_url, school="s1")
    st.upgrade()
    st.add_subjects([Subject(id=f"C{i}", level="course", name=f"课程{i}") for i in range(4)])
    yield st
    st.engine.dispose()


def _alerts(store: Store, n: int) -> list[int]:
    """A run with n alerts (the alerts package writes these in real runs)."""
    with store.engine.begin() as conn:
        run = conn.execute(
            insert(runs).values(
                school_id="s1",
                pack_name="core",
                pack_version="1",
                pack_hash="x",
                period="2026-2027-1",
                as_of=NOW,
                backend="python",
                started_at=NOW,
                timings={},
                counts={},
            )
        ).inserted_primary_key[0]
        ids = []
        for i in range(n):
            key = conn.execute(
                insert(alerts).values(
                    school_id="s1",
                    run_id=run,
                    rule="到课率",
                    subject_id=f"C{i}",
                    period="2026-2027-1",
                    severity="red",
                    status="new",
                    message="",
                    input_values={},
                )
            ).inserted_primary_key[0]
            ids.append(int(key))
    return ids


def test_stored_verification_and_escalation(store: Store) -> None:
    book = StoredActions(store)
    a1, a2, a3, a4 = _alerts(store, 4)
    due = date(2026, 12, 31)
    acts = [
        book.open_from_alert(a, f"C{i}", f"整改 {a}", owner="机电学院", due=due)
        for i, a in enumerate((a1, a2, a3, a4))
    ]
    assert book.open_from_alert(a1, "C0", "again", owner="x", due=due).id == acts[0].id
    book.change(acts[0].id, "complete", who="t")
    book.change(acts[1].id, "complete", who="t")
    with pytest.raises(IllegalActionChange) as info:
        book.change(acts[2].id, "verify", who="t")
    assert info.value.code == "loop.illegal_action_change"
    with pytest.raises(IllegalActionChange):
        book.change(acts[2].id, "reopen", who="t")
    result = book.verify_from_data(
        {a1, a3},
        today=date(2027, 1, 10),
        period=Period.parse("2026-2027-1"),
        escalate_to=lambda a: "教务处",
    )
    assert result.verified == (acts[0].id, acts[2].id)
    assert result.reopened == (acts[1].id,)
    assert result.escalated == (acts[1].id, acts[3].id)
    reopened = store.action(acts[1].id)
    assert (reopened.status, reopened.escalation, reopened.owner) == ("open", 1, "教务处")
    assert store.action(acts[0].id).status == "verified"
    events = store.action_events(acts[1].id)
    assert events[-1].reason == f"预警 {a2} 仍未解除（2026-2027-1 数据）"
    overdue = book.overdue_by_owner(date(2027, 1, 10))
    assert {k: [a.id for a in v] for k, v in overdue.items()} == {
        "教务处": [acts[1].id, acts[3].id]
    }


def test_a_stale_action_writer_conflicts(store: Store) -> None:
    book = StoredActions(store)
    (alert,) = _alerts(store, 1)
    action = book.open_from_alert(alert, "C0", "x", owner="o", due=None)
    book.change(action.id, "start", who="A", expected_version=action.version)
    with pytest.raises(ConcurrencyConflict):
        book.change(action.id, "complete", who="B", expected_version=action.version)
    assert store.action(action.id).status == "in_progress"
