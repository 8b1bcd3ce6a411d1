"""AlertSet where people look at it: records, JSON, DataFrame, HTML, summaries and filters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from zhengai.alerts import AlertSet, evaluate
from zhengai.data import Observations, Subjects
from zhengai.model import AlertStatus
from zhengai.packs import Pack

T1, T2 = "2025-2026-1", "2025-2026-2"


@pytest.fixture
def result(pack: Pack, data: Any) -> AlertSet:
    table = {
        "a": {T1: {"failed_credits": 8}, T2: {"failed_credits": 22, "attendance_rate": 0.95}},
        "b": {T1: {"failed_credits": 12}, T2: {"failed_credits": 12, "attendance_rate": 0.95}},
        "c": {T1: {"failed_credits": 6}, T2: {"failed_credits": 0, "attendance_rate": 0.95}},
        "t": {T2: {"satisfaction": 0.5}},
    }
    teachers, teacher_obs = data({"t": table.pop("t")}, level="teacher")
    subjects, observations = data(table)
    subjects = Subjects(
        [*subjects.ids, *teachers.ids],
        [*subjects.levels, *teachers.levels],
        names=["甲", "乙", "丙", "丁"],
    )
    observations = Observations.concat([observations, teacher_obs])
    first = evaluate(pack, subjects, observations, T1)
    return evaluate(pack, subjects, observations, T2, previous=first)


def test_records_and_statuses(result: AlertSet) -> None:
    rows = [(r["rule"], r["subject_id"], r["severity"], r["status"]) for r in result.to_records()]
    assert rows == [
        ("credits", "a", "红", "escalated"),
        ("credits", "b", "黄", "ongoing"),
        ("credits", "c", "蓝", "resolved"),
        ("satisfaction", "t", "黄", "new"),
    ]
    first = result.to_records()[0]
    assert first["message"] == "甲（—）累计不及格 22 学分"
    assert first["period"] == T2
    assert first["since"] == T1
    assert first["values"] == {"failed_credits": 22.0}
    assert len(result) == 4


def test_json_has_alerts_gaps_and_pack_identity(result: AlertSet, pack: Pack) -> None:
    loaded = json.loads(result.to_json())
    assert loaded["pack"] == {"name": pack.name, "version": "0.1", "hash": pack.identity.hash}
    assert loaded["period"] == T2
    assert [a["subject_id"] for a in loaded["alerts"]] == ["a", "b", "c", "t"]
    # gpa is never observed: every student is a gap of gpa_bottom (gpa_drop needs a grade,
    # and attendance 0.95 this term is definitely not a breach, whatever last term was).
    assert [(g["rule"], g["subject_id"], g["missing"]) for g in loaded["gaps"]] == [
        ("gpa_bottom", s, ["gpa"]) for s in "abc"
    ]
    # Counted from the backend's masks, before any DataGap is built.
    assert result.count_gaps() == 3
    assert "4 alerts, 3 gaps" in repr(result)


def test_summary_by_severity_rule_owner(result: AlertSet) -> None:
    assert result.summary() == {"红": 1, "黄": 2, "蓝": 1}
    assert list(result.summary()) == ["红", "黄", "蓝"]  # the pack's order, most severe first
    assert result.summary("owner") == {"人事处": 1, "教务处": 3}
    assert result.summary(["rule", "status"]) == {
        ("credits", "escalated"): 1,
        ("credits", "ongoing"): 1,
        ("credits", "resolved"): 1,
        ("satisfaction", "new"): 1,
    }


def test_filters(result: AlertSet) -> None:
    assert [a.subject_id for a in result.filter(level="教师")] == ["t"]
    assert [a.subject_id for a in result.filter(severity=["红", "蓝"])] == ["a", "c"]
    assert [a.subject_id for a in result.filter(owner="教务处", subject=["b", "c"])] == ["b", "c"]
    assert [a.subject_id for a in result.filter(status=AlertStatus.RESOLVED)] == ["c"]
    assert [a.subject_id for a in result.open()] == ["a", "b", "t"]
    assert [g.subject_id for g in result.filter(rule="gpa_bottom").gaps] == ["a", "b", "c"]
    assert result.filter(rule="credits").gaps == []
    assert len(result) == 4  # filtering returns a new set


def test_frame_and_html(result: AlertSet) -> None:
    pytest.importorskip("pandas")
    frame = result.to_frame()
    assert list(frame["subject_id"]) == ["a", "b", "c", "t"]
    assert list(frame["severity"]) == ["红", "黄", "蓝", "黄"]
    assert {"rule", "status", "message", "owner", "values", "explanation"} <= set(frame.columns)
    page = result._repr_html_()
    assert "<table>" in page
    assert "红 1，黄 2，蓝 1" in page
    assert "甲（—）累计不及格 22 学分" in page


def test_rebuilt_from_records_continues_the_lifecycle(pack: Pack, data: Any) -> None:
    table = {
        "a": {T1: {"failed_credits": 8}, T2: {"failed_credits": 22}},
        "b": {T1: {"failed_credits": 12}, T2: {"failed_credits": 12}},
        "c": {T1: {"failed_credits": 6}, T2: {"failed_credits": 0}},
    }
    subjects, observations = data(table)
    first = evaluate(pack, subjects, observations, T1)
    stored = json.loads(first.to_json())
    rebuilt = AlertSet.from_records(pack, T1, stored["alerts"], stored["gaps"])
    assert rebuilt.to_records() == first.to_records()
    assert rebuilt.gap_records() == first.gap_records()
    assert rebuilt.count_gaps() == first.count_gaps() == len(stored["gaps"]) > 0
    direct = evaluate(pack, subjects, observations, T2, previous=first)
    again = evaluate(pack, subjects, observations, T2, previous=rebuilt)
    assert again.to_records() == direct.to_records()
    assert [(a.subject_id, a.status.value) for a in again.filter(rule="credits")] == [
        ("a", "escalated"),
        ("b", "ongoing"),
        ("c", "resolved"),
    ]
    # A rule the pack no longer has is dropped.
    ghost = {**stored["alerts"][0], "rule": "removed_rule"}
    assert len(AlertSet.from_records(pack, T1, [ghost])) == 0


def test_summary_by_an_unknown_key(result: AlertSet) -> None:
    from zhengai.alerts import UnknownSummaryKey

    with pytest.raises(UnknownSummaryKey) as caught:
        result.summary("owners")
    assert caught.value.code == "data.unknown_summary_key"
    assert str(caught.value) == "cannot summarise alerts by 'owners', did you mean 'owner'?"
