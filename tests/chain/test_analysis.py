"""Risk paths, impact and diff, with hand-computed path weights."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from zhengai.chain import BadActuals, GoalChain, UnknownGoal
from zhengai.chain.analysis import Reparented, TargetChange, WeightChange
from zhengai.model.goal import Goal

FULL = {"C1": {"emp": 0.81}, "C2": {"emp": 0.88, "accidents": 4}, "P2": {"emp": 0.9}}


def test_risk_paths_rank_weighted_shortfall(small: GoalChain) -> None:
    r = small.rollup(FULL)
    paths = small.risk_paths("S", r)
    assert [p.goal_id for p in paths] == ["C1", "C2", "P2"]
    c1, c2, p2 = paths
    assert c1.path_weight == pytest.approx(0.3)  # 0.6 · 0.5
    assert c1.shortfall == pytest.approx(0.3 * (1 - 0.9))
    assert c2.shortfall == pytest.approx(0.3 * (1 - 0.95))
    assert p2.shortfall == 0.0  # 1.2 is capped at 1 for the shortfall
    assert c1.path == ("S", "P1", "C1")
    assert p2.path == ("S", "P2")
    assert small.risk_paths("S", r, top=1) == [c1]
    assert small.risk_paths("S", r, threshold=0.9) == []  # S is at 103.5%


def test_risk_paths_list_missing_leaves_last(small: GoalChain) -> None:
    r = small.rollup({"C1": {"emp": 0.45}})
    paths = small.risk_paths("S", r)
    assert [(p.goal_id, p.shortfall) for p in paths] == [
        ("C1", pytest.approx(0.3 * 0.5)),
        ("P2", None),
        ("C2", None),
    ]  # unknown ones heaviest first: P2 0.4, C2 0.3


def test_risk_paths_in_a_dag_add_path_weights(small: GoalChain) -> None:
    small.decompose("P2", "C2", 1.0)  # C2 also carries P2 (0.4 · 1.0)
    small.replace_goal(small.goal("P2").model_copy(update={"indicators": ()}))
    r = small.rollup({"C1": {"emp": 0.81}, "C2": {"emp": 0.88, "accidents": 4}})
    c2 = next(p for p in small.risk_paths("S", r) if p.goal_id == "C2")
    assert c2.path_weight == pytest.approx(0.6 * 0.5 + 0.4 * 1.0)
    assert c2.path == ("S", "P2", "C2")  # the heavier of its two paths


def test_risk_paths_count_own_indicators(small: GoalChain, mk: Callable[..., Goal]) -> None:
    small.replace_goal(mk("P1", "department", ("emp", 1.0), own_weight=0.5))
    small.set_weight("P1", "C1", 0.25)
    small.set_weight("P1", "C2", 0.25)
    r = small.rollup({**FULL, "P1": {"emp": 0.5}})
    own = next(p for p in small.risk_paths("S", r) if p.goal_id == "P1")
    assert own.own_part
    assert own.path_weight == pytest.approx(0.6 * 0.5)
    assert own.shortfall == pytest.approx(0.3 * 0.5)


def test_impact_lists_ancestors_with_path_weight(small: GoalChain) -> None:
    r = small.rollup(FULL)
    impact = small.impact("C1", r)
    assert [(i.goal_id, i.path_weight) for i in impact] == [
        ("P1", pytest.approx(0.5)),
        ("S", pytest.approx(0.3)),
    ]
    assert impact[1].attainment == pytest.approx(r.get("S"))
    assert small.impact("S") == []
    with pytest.raises(UnknownGoal):
        small.impact("C9")


def test_stale_result_is_refused(small: GoalChain) -> None:
    r = small.rollup(FULL)
    small.archive("P2")
    with pytest.raises(BadActuals):
        small.risk_paths("S", r)


def test_diff_of_two_plans(small: GoalChain, mk: Callable[..., Goal]) -> None:
    new = small.copy()
    new.add_goal(mk("C3", "major", ("emp", 0.9)))
    new.decompose("P1", "C3", 0.2)
    new.remove_goal("P2")
    new.remove_edge("P1", "C2")
    new.decompose("S", "C2", 0.4)
    when = datetime(2026, 9, 1, tzinfo=UTC)
    new.revise_target("C1", "emp", 0.92, by="教务处", reason="上年达成 95%，目标上调", at=when)
    new.set_weight("P1", "C1", 0.8)
    d = small.diff(new)
    assert d.added == ("C3",)
    assert d.removed == ("P2",)
    assert d.reparented == (Reparented("C2", ("P1",), ("S",)),)
    assert len(d.targets) == 1
    t = d.targets[0]
    assert (t.goal_id, t.indicator, t.old, t.new) == ("C1", "emp", 0.9, 0.92)
    assert t.revision is not None
    assert t.revision.reason == "上年达成 95%，目标上调"
    assert d.weights == (WeightChange("P1", "C1", 0.5, 0.8),)
    text = d.to_markdown()
    assert "- 新增目标 C3" in text
    assert "- 目标 C2 的上级由 P1 调整为 S" in text
    assert "- 目标 C1 的「就业率」目标值 0.9 → 0.92（教务处，上年达成 95%，目标上调）" in text
    assert not small.diff(small.copy())
    assert small.diff(small.copy()).to_markdown().endswith("无调整。\n")


def test_diff_reports_added_and_removed_indicators(
    small: GoalChain, mk: Callable[..., Goal]
) -> None:
    new = small.copy()
    new.replace_goal(mk("C1", "major", ("income", 10.0)))
    d = small.diff(new)
    assert set(d.targets) == {
        TargetChange("C1", "emp", 0.9, None),
        TargetChange("C1", "income", None, 10.0),
    }
