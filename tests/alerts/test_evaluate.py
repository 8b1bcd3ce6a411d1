"""Alerts with hand-computed expectations: ladders, windows, lifecycle, gaps, applicability."""

from __future__ import annotations

from typing import Any

import pytest

from zhengai.alerts import AlertSet, PreviousMismatch, UnknownBackend, evaluate
from zhengai.model import Alert, AlertStatus, Period
from zhengai.packs import Pack

T1, T2 = "2025-2026-1", "2025-2026-2"


def by_subject(result: AlertSet, rule: str) -> dict[str, Alert]:
    return {a.subject_id: a for a in result.alerts if a.rule == rule}


def gaps_of(result: AlertSet, rule: str) -> dict[str, tuple[str, ...]]:
    return {g.subject_id: g.missing for g in result.gaps if g.rule == rule}


def test_ladder_is_first_match_wins(pack: Pack, data: Any) -> None:
    table = {
        s: {T1: {"failed_credits": v}} for s, v in zip("abcde", [20, 19, 10, 5, 4.9], strict=True)
    }
    subjects, observations = data(table, attributes={"a": {"major": "护理"}})
    alerts = by_subject(evaluate(pack, subjects, observations, T1), "credits")
    assert {s: a.severity for s, a in alerts.items()} == {
        "a": "红",
        "b": "橙",
        "c": "黄",
        "d": "蓝",
    }
    assert alerts["a"].message == "a（护理）累计不及格 20 学分"
    assert alerts["b"].message == "b（—）累计不及格 19 学分"  # no major: shown as missing
    assert alerts["a"].explanation == "红：不及格学分 20 >= 20 → 是"
    assert alerts["a"].values == {"failed_credits": 20.0}
    assert (alerts["a"].owner, alerts["a"].source) == ("教务处", "domain.md §5.2")


def test_for_periods_takes_the_least_severe_period_of_the_window(pack: Pack, data: Any) -> None:
    table = {
        "s1": {T1: {"attendance_rate": 0.75}, T2: {"attendance_rate": 0.85}},  # 橙 then 黄 → 黄
        "s2": {T1: {"attendance_rate": 0.95}, T2: {"attendance_rate": 0.75}},  # ok then 橙 → none
        "s3": {T2: {"attendance_rate": 0.75}},  # last term missing → gap, not false
        "s4": {T1: {"attendance_rate": 0.7}, T2: {"attendance_rate": 0.7}},  # 橙 twice → 橙
        "s5": {T1: {"attendance_rate": 0.7}},  # missing now, false never → gap
    }
    result = evaluate(pack, *data(table), T2)
    alerts = by_subject(result, "attendance")
    assert {s: a.severity for s, a in alerts.items()} == {"s1": "黄", "s4": "橙"}
    assert gaps_of(result, "attendance") == {"s3": ("attendance_rate",), "s5": ("attendance_rate",)}


def _run(pack: Pack, table: Any, data: Any, periods: list[str], **kw: Any) -> list[AlertSet]:
    subjects, observations = data(table, **kw)
    out: list[AlertSet] = []
    previous = None
    for period in periods:
        previous = evaluate(pack, subjects, observations, period, previous=previous)
        out.append(previous)
    return out


PERIODS = [str(Period.parse("2024-2025-1").next(k)) for k in range(6)]


def test_lifecycle_de_escalation_and_resolve_after(pack: Pack, data: Any) -> None:
    values = [0.7, 0.7, 0.85, 0.95, 0.96, 0.96]
    table = {"s": {p: {"attendance_rate": v} for p, v in zip(PERIODS, values, strict=True)}}
    steps = [by_subject(r, "attendance").get("s") for r in _run(pack, table, data, PERIODS)]
    # P1: window incomplete (no P0) → no alert, and P0 missing makes it a gap.
    assert steps[0] is None
    summary = [(a.severity, a.status.value, a.streak, a.quiet) for a in steps[1:5] if a]
    assert summary == [
        ("橙", "new", 1, 0),  # P2: 橙 held in P1 and P2
        ("黄", "de_escalated", 2, 0),  # P3: window P2 橙, P3 黄 → 黄
        ("黄", "ongoing", 3, 1),  # P4: false once; resolve_after 2 keeps it open
        ("黄", "resolved", 4, 2),  # P5: false twice → resolved
    ]
    assert steps[5] is None  # P6: a resolved alert is not reported again
    assert all(a.since == Period.parse(PERIODS[1]) for a in steps[1:5] if a)


def test_escalation_and_resolution(pack: Pack, data: Any) -> None:
    values = [12, 16, 16, 3]
    table = {"s": {p: {"failed_credits": v} for p, v in zip(PERIODS, values, strict=False)}}
    steps = [by_subject(r, "credits")["s"] for r in _run(pack, table, data, PERIODS[:4])]
    assert [(a.severity, a.status, a.streak) for a in steps] == [
        ("黄", AlertStatus.NEW, 1),
        ("橙", AlertStatus.ESCALATED, 2),
        ("橙", AlertStatus.ONGOING, 3),
        ("橙", AlertStatus.RESOLVED, 4),
    ]
    assert steps[3].message == "s（—）累计不及格 3 学分"


def test_missing_data_never_resolves_an_open_alert(pack: Pack, data: Any) -> None:
    table = {"s": {PERIODS[0]: {"failed_credits": 12}, PERIODS[2]: {"failed_credits": 3}}}
    results = _run(pack, table, data, PERIODS[:3])
    middle = by_subject(results[1], "credits")["s"]
    assert (middle.severity, middle.status, middle.streak) == ("黄", AlertStatus.ONGOING, 2)
    assert gaps_of(results[1], "credits") == {"s": ("failed_credits",)}
    assert by_subject(results[2], "credits")["s"].status is AlertStatus.RESOLVED


def test_never_two_alerts_for_one_breach(pack: Pack, data: Any) -> None:
    table = {
        s: {p: {"failed_credits": v, "attendance_rate": 0.7} for p in PERIODS[:3]}
        for s, v in [("a", 25), ("b", 12)]
    }
    for result in _run(pack, table, data, PERIODS[:3]):
        keys = [(a.rule, a.subject_id) for a in result.alerts]
        assert len(keys) == len(set(keys))
    assert [a.streak for a in result.alerts if a.rule == "credits"] == [3, 3]


def test_applies_to_filters_on_attributes(pack: Pack, data: Any) -> None:
    drop = {T1: {"gpa": 2.3}, T2: {"gpa": 1.8}}  # 1.8 - 2.3 = -0.4999999999999998 in floats
    table = {
        "senior": drop,
        "fresh": drop,
        "account": drop,
        "unknown": drop,
        "new": {T2: {"gpa": 1}},
    }
    attributes = {
        "senior": {"grade": 2, "major": "护理"},
        "fresh": {"grade": 1, "major": "护理"},
        "account": {"grade": 3, "major": "会计"},
        "new": {"grade": 2, "major": "机电"},
    }
    result = evaluate(pack, *data(table, attributes=attributes), T2)
    assert set(by_subject(result, "gpa_drop")) == {"senior"}
    # "unknown" lacks the attributes: not applicable (SQL WHERE semantics), so no gap either;
    # "new" is applicable but has no previous gpa: a gap naming it.
    assert gaps_of(result, "gpa_drop") == {"new": ("gpa",)}


def test_population_function_partitioned_by_peer_group(pack: Pack, data: Any) -> None:
    gpas = {"a1": 1.0, "a2": 2.0, "a3": 3.0, "a4": 4.0, "b1": 3.0, "b2": 3.5}
    table = {s: {T1: {"gpa": v}} for s, v in gpas.items()}
    attributes = {s: {"major": "A" if s.startswith("a") else "B"} for s in gpas}
    result = evaluate(pack, *data(table, attributes=attributes), T1)
    # pct_rank within major: A → 0, 1/3, 2/3, 1; B → 0, 1. Below 0.25: a1 and b1.
    assert set(by_subject(result, "gpa_bottom")) == {"a1", "b1"}


def test_ladder_with_a_missing_earlier_step_fires_and_reports_the_gap(
    pack: Pack, data: Any, tmp_path: Any
) -> None:
    from shutil import copytree

    from zhengai.packs import load_pack

    root = copytree(pack.root, tmp_path / "p")
    (root / "rules" / "extra.yaml").write_text(
        "rules:\n"
        "  - id: mixed\n    name: 混合\n    level: 学生\n    ladder:\n"
        "      - {severity: 红, when: 平均绩点 < 1}\n"
        "      - {severity: 黄, when: 不及格学分 >= 10}\n",
        encoding="utf-8",
    )
    table = {"s": {T1: {"failed_credits": 12}}, "t": {T1: {"failed_credits": 0}}}
    result = evaluate(load_pack(root), *data(table), T1)
    assert by_subject(result, "mixed")["s"].severity == "黄"
    assert gaps_of(result, "mixed") == {"s": ("gpa",), "t": ("gpa",)}


def test_previous_must_be_the_period_before(pack: Pack, data: Any) -> None:
    subjects, observations = data({"s": {T1: {"failed_credits": 12}}})
    first = evaluate(pack, subjects, observations, T1)
    with pytest.raises(PreviousMismatch) as caught:
        evaluate(pack, subjects, observations, "2026-2027-1", previous=first)
    assert caught.value.code == "data.previous_mismatch"
    assert caught.value.message == (
        "previous alerts are for 2025-2026-1, not the period before 2026-2027-1 (2025-2026-2)"
    )


def test_unknown_backend(pack: Pack, data: Any) -> None:
    with pytest.raises(UnknownBackend) as caught:
        evaluate(pack, *data({}), T1, backend="spark")  # type: ignore[arg-type]
    assert caught.value.code == "data.unknown_backend"
    assert str(caught.value) == "unknown backend 'spark', use one of columns, row, sql"


def test_teacher_rules_evaluate_teachers_only(pack: Pack, data: Any) -> None:
    table = {"t1": {T1: {"satisfaction": 0.6}}}
    result = evaluate(pack, *data(table, level="teacher"), T1)
    assert [(a.rule, a.subject_id, a.level.value) for a in result.alerts] == [
        ("satisfaction", "t1", "teacher")
    ]
    assert result.pack == pack.identity


def test_lifecycle_follows_subjects_when_the_population_changes(pack: Pack, data: Any) -> None:
    # Term 1: a, b, c; term 2: b left, d joined, and the order differs.
    first_subjects, first_obs = data(
        {s: {T1: {"failed_credits": v}} for s, v in [("a", 12), ("b", 16), ("c", 1)]}
    )
    second_subjects, second_obs = data(
        {s: {T2: {"failed_credits": v}} for s, v in [("d", 25), ("c", 11), ("a", 16)]}
    )
    first = evaluate(pack, first_subjects, first_obs, T1)
    second = evaluate(pack, second_subjects, second_obs, T2, previous=first)
    got = {
        a.subject_id: (a.severity, a.status.value, a.streak) for a in second.filter(rule="credits")
    }
    assert got == {
        "a": ("橙", "escalated", 2),
        "c": ("黄", "new", 1),
        "d": ("红", "new", 1),
    }  # b is gone with its alert
