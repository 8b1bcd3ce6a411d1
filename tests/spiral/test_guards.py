"""Each built-in guard failing with its exact error: class, code, where, message, fields."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from zhengai.errors import GuardFailed, Where
from zhengai.model import Alert, Period
from zhengai.spiral import (
    ActionMissing,
    AlertUnresolved,
    DataIncomplete,
    GapsUnaddressed,
    GuardContext,
    GuardInputs,
    MissingGuardInput,
    RedAlertUnacknowledged,
    RevisionNotApproved,
    SmallLoopOpen,
    Spiral,
    StandardsMissing,
    SubjectGuardFailed,
    SubjectState,
    TargetsMissing,
    alert_inputs,
    shipped_loop,
)

SPIRAL = Spiral(shipped_loop("five_step"))


def at(state: str, small: str | None = None) -> SubjectState:
    return SubjectState("M01", state, small, 1)


def fail(subject: SubjectState, trigger: str, context: GuardContext) -> SubjectGuardFailed:
    with pytest.raises(GuardFailed) as info:
        SPIRAL.trigger(subject, trigger, context)
    assert isinstance(info.value, SubjectGuardFailed)
    assert info.value.subject_id == subject.subject_id
    assert info.value.trigger == trigger
    return info.value


@pytest.mark.parametrize(
    ("state", "small", "trigger", "change", "error", "code", "field", "missing", "what"),
    [
        (
            "draft",
            None,
            "set_targets",
            {"targets": {"attendance_rate": 0.9, "employment_rate": None, "pass_rate": None}},
            TargetsMissing,
            "loop.guard.targets_missing",
            "transitions[0].guards[0]",
            ("employment_rate", "pass_rate"),
            "M01 不能执行 set_targets（草拟 → 目标）：以下目标指标未设定目标值："
            "employment_rate, pass_rate",
        ),
        (
            "targeted",
            None,
            "set_standards",
            {"covered": {"employment_rate"}},
            StandardsMissing,
            "loop.guard.standards_missing",
            "transitions[1].guards[0]",
            ("attendance_rate",),
            "M01 不能执行 set_standards（目标 → 标准）：以下目标指标未被任何标准覆盖："
            "attendance_rate",
        ),
        (
            "running",
            "monitoring",
            "diagnose",
            {"data_ratio": 0.85},
            DataIncomplete,
            "loop.guard.data_incomplete",
            "transitions[4].guards[0]",
            ("85.0%",),
            "M01 不能执行 diagnose（运行 → 诊断）：本期数据完整率 85.0% 低于要求的 90.0%",
        ),
        (
            "running",
            "monitoring",
            "diagnose",
            {"data_ratio": float("nan")},
            DataIncomplete,
            "loop.guard.data_incomplete",
            "transitions[4].guards[0]",
            ("未知",),
            "M01 不能执行 diagnose（运行 → 诊断）：本期数据完整率 未知 低于要求的 90.0%",
        ),
        (
            "running",
            "monitoring",
            "diagnose",
            {"red_alerts_unacknowledged": ("R-就业率-红",)},
            RedAlertUnacknowledged,
            "loop.guard.red_alert_unacknowledged",
            "transitions[4].guards[1]",
            ("R-就业率-红",),
            "M01 不能执行 diagnose（运行 → 诊断）：以下红色预警尚未确认：R-就业率-红",
        ),
        (
            "diagnosed",
            None,
            "improve",
            {"gaps": {"target:employment_rate": False, "alert:R1": True, "standard:S3": False}},
            GapsUnaddressed,
            "loop.guard.gaps_unaddressed",
            "transitions[5].guards[0]",
            ("standard:S3", "target:employment_rate"),
            "M01 不能执行 improve（诊断 → 改进）：以下差距既无整改任务也无说明理由的接受："
            "standard:S3, target:employment_rate",
        ),
        (
            "running",
            "monitoring",
            "revise_targets",
            {"revision_approved": False},
            RevisionNotApproved,
            "loop.guard.revision_not_approved",
            "transitions[3].guards[0]",
            ("revision_approved",),
            "M01 不能执行 revise_targets（运行 → 目标）：期中目标调整缺少审批记录",
        ),
        (
            "running",
            "warning",
            "acknowledge",
            {"action_opened": False},
            ActionMissing,
            "loop.guard.action_missing",
            "small_loop.transitions[1].guards[0]",
            ("action_opened",),
            "M01 不能执行 acknowledge（预警 → 整改）：预警尚未建立有责任人和期限的整改任务",
        ),
        (
            "running",
            "correcting",
            "verify",
            {"alert_resolved": False},
            AlertUnresolved,
            "loop.guard.alert_unresolved",
            "small_loop.transitions[3].guards[0]",
            ("alert_resolved",),
            "M01 不能执行 verify（整改 → 监测）：下一期数据未显示预警解除",
        ),
        (
            "running",
            "correcting",
            "diagnose",
            {},
            SmallLoopOpen,
            "loop.guard.small_loop_open",
            "transitions[4]",
            ("correcting",),
            "M01 不能执行 diagnose（运行 → 诊断）：小循环处于 整改，须回到 监测 才能离开 运行",
        ),
    ],
)
def test_each_guard_fails_with_its_exact_error(
    h: Any,
    state: str,
    small: str | None,
    trigger: str,
    change: dict[str, Any],
    error: type[SubjectGuardFailed],
    code: str,
    field: str,
    missing: tuple[str, ...],
    what: str,
) -> None:
    err = fail(at(state, small), trigger, replace(h.PASS_ALL, **change))
    assert type(err) is error
    assert err.code == code
    assert err.where == Where(field=field)
    assert err.missing == missing
    assert err.message == what
    assert str(err) == f"{field}: {what}"


def test_first_failing_guard_in_declared_order_is_reported(h: Any) -> None:
    context = replace(h.PASS_ALL, data_ratio=0.1, red_alerts_unacknowledged=("R1",))
    err = fail(at("running", "monitoring"), "diagnose", context)
    assert type(err) is DataIncomplete


def test_targets_set_reads_only_the_subjects_goal_indicators(h: Any) -> None:
    context = replace(h.PASS_ALL, targets={"attendance_rate": 0.9})
    moved, _ = SPIRAL.trigger(at("draft"), "set_targets", context)
    assert moved.state == "targeted"


def test_a_guard_without_its_input_is_a_programming_error() -> None:
    with pytest.raises(MissingGuardInput) as info:
        SPIRAL.trigger(at("draft"), "set_targets", GuardContext())
    assert info.value.code == "loop.missing_guard_input"
    assert info.value.message == (
        "guard 'targets_set' needs the guard input 'targets', which was not given"
    )


def test_guards_that_pass_are_recorded_in_the_audit(h: Any) -> None:
    _, record = SPIRAL.trigger(at("running", "monitoring"), "diagnose", h.PASS_ALL)
    assert record.guards == ("small_loop_exit", "data_complete", "no_unacknowledged_red_alert")


def _alert(subject: str, rule: str, severity: str, status: str = "new") -> Alert:
    return Alert(
        rule=rule,
        rule_name=rule,
        subject_id=subject,
        level="major",
        period=Period.parse("2026-2027-1"),
        severity=severity,
        status=status,
        since=Period.parse("2026-2027-1"),
        values={},
        message="",
    )


def test_guard_inputs_from_a_periods_alerts() -> None:
    ids = ["M0", "M1", "M2", "M3"]
    alerts = [
        _alert("M0", "就业率", "red"),
        _alert("M1", "就业率", "red"),
        _alert("M1", "到课率", "yellow"),
        _alert("M2", "到课率", "red", status="resolved"),
        _alert("M9", "就业率", "red"),  # not in this population
    ]
    columns = alert_inputs(ids, alerts, handled={("M1", "就业率")})
    assert columns["alert_rules"] == ("到课率", "就业率")
    assert columns["red_unacknowledged"].tolist() == [
        [False, True],
        [False, False],
        [False, False],
        [False, False],
    ]
    assert columns["gap_keys"] == ("alert:到课率", "alert:就业率")
    assert columns["gaps_open"].tolist() == [
        [False, True],
        [True, True],
        [False, False],
        [False, False],
    ]
    inputs = GuardInputs(n=4, data_ratio=np.full(4, 0.95), **columns)
    running = SPIRAL.states_of([SubjectState(i, "running", "monitoring") for i in ids])
    result = SPIRAL.advance(running, "diagnose", inputs)
    assert result.moved.tolist() == [False, True, True, True]
    assert result.error(0).missing == ("就业率",)  # type: ignore[union-attr]
    improved = SPIRAL.advance(result.states, "improve", inputs)
    # M1 still has the yellow 到课率 alert without an action: a gap not addressed
    assert improved.failed_by_guard["gaps_addressed"].tolist() == [1]
    assert improved.moved.tolist() == [False, False, True, True]
