"""Improvement actions: lifecycle, verification by next-period data, escalation, overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from zhengai.model import Action, ActionEventKind, ActionStatus, Period
from zhengai.spiral import ActionBook, IllegalActionChange, overdue_by_owner

AT = datetime(2026, 10, 1, tzinfo=UTC)


def book_with_alerts() -> ActionBook:
    book = ActionBook()
    for alert, subject, owner in [
        ("AL-1", "C01", "机电学院"),
        ("AL-2", "C02", "机电学院"),
        ("AL-3", "C03", "信息学院"),
        ("AL-4", "C04", "信息学院"),
    ]:
        book.open_from_alert(
            alert, subject, f"整改 {alert}", owner=owner, due=date(2026, 12, 31), at=AT
        )
    return book


def test_lifecycle_and_illegal_change() -> None:
    book = book_with_alerts()
    a = book.change("AL-1#1", "start", actor="张老师", at=AT)
    assert a.status is ActionStatus.IN_PROGRESS
    assert a.version == 2
    with pytest.raises(IllegalActionChange) as info:
        book.change("AL-1#1", "reopen", actor="张老师")
    assert info.value.code == "loop.illegal_action_change"
    assert info.value.message == "整改任务 AL-1#1 处于 整改中，不能执行 'reopen'"
    assert info.value.hint == "allowed here: complete, verify"


def test_actions_from_alerts_are_verified_by_data_not_by_hand() -> None:
    book = book_with_alerts()
    with pytest.raises(IllegalActionChange) as info:
        book.change("AL-1#1", "verify", actor="张老师")
    assert info.value.message == "整改任务 AL-1#1 由预警 AL-1 产生，只能由下一期数据验证"
    finding = Action(id="F1", subject_id="C09", title="x", owner="教务处", due=date(2026, 12, 1))
    book.open(finding, at=AT)
    assert book.change("F1", "verify", actor="督导").status is ActionStatus.VERIFIED


def test_the_same_alert_never_opens_two_actions() -> None:
    book = book_with_alerts()
    again = book.open_from_alert("AL-1", "C01", "again", owner="x", due=date(2027, 1, 1))
    assert again.id == "AL-1#1"
    assert len(book) == 4


def test_verification_and_escalation_from_next_period_data() -> None:
    book = book_with_alerts()
    book.change("AL-1#1", "complete", actor="t", at=AT)  # done, alert resolved -> verified
    book.change("AL-2#1", "complete", actor="t", at=AT)  # done, alert persists -> reopened
    # AL-3 still open and alert resolved -> verified by data even though nobody ticked it
    # AL-4 open, not resolved, and overdue -> escalated
    result = book.verify_from_data(
        {"AL-1", "AL-3"},
        today=date(2027, 1, 10),
        period=Period.parse("2026-2027-1"),
        escalate_to=lambda a: "教务处",
        at=AT,
    )
    assert result.verified == ("AL-1#1", "AL-3#1")
    assert result.reopened == ("AL-2#1",)
    assert result.escalated == ("AL-2#1", "AL-4#1")
    assert book["AL-1#1"].status is ActionStatus.VERIFIED
    reopened = book["AL-2#1"]
    assert (reopened.status, reopened.escalation, reopened.owner) == (
        ActionStatus.OPEN,
        1,
        "教务处",
    )
    assert book["AL-4#1"].escalation == 1
    assert book["AL-4#1"].status is ActionStatus.OPEN
    reasons = [e.reason for e in book.events if e.action_id == "AL-2#1"]
    assert reasons == [
        "由预警 AL-2 生成",
        "",
        "预警 AL-2 仍未解除（2026-2027-1 数据）",
        "整改未见成效",
    ]
    # the events alone replay to the current status, owner and escalation
    replayed = ActionBook.replay(book.events)
    assert replayed == {a.id: (a.status, a.owner, a.escalation) for a in book}
    assert [e.kind for e in book.events].count(ActionEventKind.ESCALATED) == 2


def test_overdue_by_owner() -> None:
    book = book_with_alerts()
    book.change("AL-3#1", "complete", actor="t")
    assert book.overdue(date(2026, 12, 31)) == []
    groups = overdue_by_owner(book, date(2027, 1, 1))
    assert {k: [a.id for a in v] for k, v in groups.items()} == {
        "机电学院": ["AL-1#1", "AL-2#1"],
        "信息学院": ["AL-4#1"],
    }
    assert list(groups) == ["机电学院", "信息学院"]  # most overdue first
