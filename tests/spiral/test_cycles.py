"""Closing a cycle, the raising policy, lowering with approval, and carry-over."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengai.model import Action, Direction, RaisingPolicy, RaisingPolicyKind
from zhengai.spiral import (
    GuardInputs,
    Spiral,
    TargetLowered,
    check_lowering,
    met,
    next_targets,
    open_next_cycle,
    shipped_loop,
)

HB, LB = Direction.HIGHER_BETTER, Direction.LOWER_BETTER


def test_never_ratchet_down_higher_and_lower_better() -> None:
    previous = np.array([[0.90, 0.05, 0.80]])
    achieved = np.array([[0.93, 0.07, np.nan]])
    got = next_targets(previous, achieved, [HB, LB, HB])
    # 到课率 raised to what was achieved; 流失率 (lower is better) keeps its stricter target;
    # a missing achieved value keeps the previous target.
    assert got.tolist() == [[0.93, 0.05, 0.80]]


def test_step_toward_the_plan_target_never_past_it() -> None:
    policy = RaisingPolicy(kind=RaisingPolicyKind.STEP_TO_PLAN, step=0.05)
    previous = np.array([[0.80, 0.80, 0.10, 0.99]])
    achieved = np.array([[0.80, 0.70, 0.10, 0.99]])
    plan = np.array([[0.95, 0.82, 0.05, 0.95]])
    got = next_targets(previous, achieved, [HB, HB, LB, HB], policy, plan)
    assert got[0, 0] == pytest.approx(0.84)  # 0.80 · 1.05
    assert got[0, 1] == pytest.approx(0.82)  # capped at the plan target
    assert got[0, 2] == pytest.approx(0.095)  # lower is better: 0.10 · 0.95
    assert got[0, 3] == pytest.approx(0.99)  # already above the plan: never lowered to it


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 100), min_size=1, max_size=6),
    st.lists(st.floats(0, 100) | st.just(float("nan")), min_size=6, max_size=6),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.floats(0, 0.5),
)
def test_next_targets_never_ratchet_down(
    prev: list[float], done: list[float], higher: list[bool], step: float
) -> None:
    k = len(prev)
    directions = [HB if h else LB for h in higher[:k]]
    previous, achieved = np.array([prev]), np.array([done[:k]])
    for policy in (RaisingPolicy(), RaisingPolicy(kind=RaisingPolicyKind.STEP_TO_PLAN, step=step)):
        got = next_targets(previous, achieved, directions, policy, plan=previous * 1.1)
        for j, d in enumerate(directions):
            if d is HB:
                assert got[0, j] >= previous[0, j]
            else:
                assert got[0, j] <= previous[0, j]


def test_lowering_needs_an_approved_adjustment_record() -> None:
    previous = np.array([[0.9, 0.05], [0.9, 0.05]])
    proposed = np.array([[0.9, 0.05], [0.85, 0.06]])
    with pytest.raises(TargetLowered) as info:
        check_lowering(["M1", "M2"], ["到课率", "流失率"], previous, proposed, [HB, LB])
    err = info.value
    assert err.code == "loop.guard.target_lowered"
    assert err.subject_id == "M2"
    assert err.missing == ("到课率", "流失率")
    assert err.message == "M2 的目标 到课率, 流失率 低于上一周期，缺少经批准的调整记录"
    approved = np.array([[False, False], [True, True]])
    lowered = check_lowering(
        ["M1", "M2"], ["到课率", "流失率"], previous, proposed, [HB, LB], approved
    )
    assert lowered.tolist() == [[False, False], [True, True]]


def test_decimal_faithful_met() -> None:
    # 2.3 - 1.8 is 0.4999999999999998 in floats; a target of 0.5 is still met.
    assert met(np.array([[0.5]]), np.array([[2.3 - 1.8]]), [HB]).tolist() == [[True]]
    assert met(np.array([[0.5]]), np.array([[np.nan]]), [HB]).tolist() == [[False]]


def test_closing_freezes_a_snapshot_and_the_next_cycle_carries_over(h: Any) -> None:
    spiral = Spiral(shipped_loop("five_step"))
    n = 3
    states = spiral.population(["M1", "M2", "M3"], at=h.T0)
    improved = spiral.state_ids.index("improved")
    states = type(states)(
        states.subject_ids,
        states.state * 0 + improved,
        states.small,
        states.cycle,
        states.entered_at,
    )
    inputs = GuardInputs(
        n=n,
        indicators=("attendance_rate", "dropout_rate"),
        targets=np.array([[0.90, 0.05], [0.90, 0.05], [0.90, 0.05]]),
        achieved=np.array([[0.95, 0.04], [0.85, 0.06], [np.nan, 0.05]]),
        extra={"directions": [HB, LB]},
    )
    result = spiral.advance(states, "close", inputs, at=h.at(1))
    assert result.moved.all()
    (snap,) = spiral.snapshots
    assert snap.subject_ids.tolist() == ["M1", "M2", "M3"]
    assert snap.cycle.tolist() == [1, 1, 1]
    assert snap.met.tolist() == [[True, True], [False, False], [False, True]]
    assert snap.attainment[1].round(4).tolist() == [round(0.85 / 0.90, 4), round(0.05 / 0.06, 4)]
    actions = [
        Action(
            id="A1", subject_id="M2", title="提升到课率", owner="机电学院", due=date(2027, 1, 15)
        ),
        Action(
            id="A2",
            subject_id="M1",
            title="x",
            owner="教务处",
            due=date(2027, 1, 1),
            status="verified",
        ),
        Action(id="A3", subject_id="M9", title="x", owner="教务处", due=date(2027, 1, 1)),
    ]
    nxt = open_next_cycle(snap, [HB, LB], actions=actions)
    assert nxt.cycle.tolist() == [2, 2, 2]
    assert nxt.targets.tolist() == [[0.95, 0.04], [0.90, 0.05], [0.90, 0.05]]
    assert nxt.carried("M1") == ()
    assert nxt.carried("M2") == ("attendance_rate", "dropout_rate")
    assert nxt.carried("M3") == ("attendance_rate",)
    assert [a.id for a in nxt.carried_actions["M2"]] == ["A1"]
    assert set(nxt.carried_actions) == {"M2"}  # verified and other subjects' actions stay


def test_the_loop_declares_its_raising_policy(h: Any) -> None:
    # eight_ten_step declares step_to_plan with a 5% step; five_step never_down.
    for loop_id, expected in (("eight_ten_step", 0.84), ("five_step", 0.80)):
        spiral = Spiral(shipped_loop(loop_id))
        improved = spiral.state_ids.index("improved")
        states = spiral.population(["M1"], at=h.T0)
        states = type(states)(
            states.subject_ids,
            states.state * 0 + improved,
            states.small,
            states.cycle,
            states.entered_at,
        )
        inputs = GuardInputs(
            n=1,
            indicators=("employment_rate",),
            targets=np.array([[0.80]]),
            achieved=np.array([[0.78]]),
        )
        spiral.advance(states, "close", inputs, at=h.at(1))
        (snap,) = spiral.snapshots
        nxt = spiral.open_next_cycle(snap, [HB], plan=np.array([[0.95]]))
        assert nxt.targets[0, 0] == pytest.approx(expected)
        assert nxt.carried("M1") == ("employment_rate",)
