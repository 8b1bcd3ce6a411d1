"""chain.check(): one hand-built chain per finding code."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from zhengai.chain import GoalChain
from zhengai.chain.checks import Finding, Severity
from zhengai.model import IndicatorCatalog
from zhengai.model.goal import Goal


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def _only(findings: list[Finding], code: str) -> Finding:
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, findings
    return found[0]


def test_clean_chain_has_no_findings(small: GoalChain) -> None:
    assert small.check() == []


def test_cycle_is_named(small: GoalChain) -> None:
    small.decompose("C1", "S", 1.0)
    f = _only(small.check(), "cycle")
    assert f.severity is Severity.ERROR
    assert set(f.goals) == {"S", "P1", "C1"}
    assert f.message.startswith("目标分解成环：")
    # the cycle is printed closed: first goal again at the end
    names = f.message.removeprefix("目标分解成环：").split(" → ")
    assert names[0] == names[-1]
    assert len(names) == 4


def test_orphan(small: GoalChain, mk: Callable[..., Goal]) -> None:
    small.add_goal(mk("C3", "major", ("emp", 0.9)))
    f = _only(small.check(), "orphan")
    assert f.goals == ("C3",)
    assert f.message == "目标 C3 (专业) 没有上级目标，上下衔接断开"
    assert f.severity is Severity.ERROR


def test_level_inversion(small: GoalChain, mk: Callable[..., Goal]) -> None:
    small.add_goal(mk("K", "course", ("emp", 0.9)))
    small.add_goal(mk("X", "school", ("emp", 0.9)))
    small.decompose("P1", "K", 0.0)
    small.decompose("K", "X", 1.0)
    findings = small.check()
    f = _only(findings, "level_inversion")
    assert f.goals == ("K", "X")
    assert f.message == "学校层面的目标 X 不能分解课程层面的目标 K（子目标的层级高于上级目标）"


def test_weights_not_summing_to_one(small: GoalChain) -> None:
    small.set_weight("S", "P2", 0.3)
    f = _only(small.check(), "weights")
    assert f.goals == ("S", "P1", "P2")
    assert f.message == "目标 S 的子目标权重之和为 0.9，应为 1"
    assert f.values["sum"] == pytest.approx(0.9)


def test_weights_with_unset_children(catalog: IndicatorCatalog, mk: Callable[..., Goal]) -> None:
    chain = GoalChain(catalog)
    chain.add_goals([mk("P", "school"), mk("A", "major", ("emp", 1)), mk("B", "major", ("emp", 1))])
    chain.decompose("P", "A", 1.0)
    chain.decompose("P", "B")
    f = _only(chain.check(), "weights")
    assert "另有 1 个未设权重的子目标分不到权重" in f.message
    chain.set_weight("P", "A", 0.5)
    assert chain.check() == []


def test_target_consistency_sum(catalog: IndicatorCatalog, mk: Callable[..., Goal]) -> None:
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            mk("S", "school", ("income", 100.0)),
            mk("A", "department", ("income", 30.0)),
            mk("B", "department", ("income", 50.0)),
        ]
    )
    chain.decompose("S", "A", 0.5)
    chain.decompose("S", "B", 0.5)
    f = _only(chain.check(), "target_consistency")
    assert f.goals == ("S", "A", "B")
    assert f.indicator == "income"
    assert f.message == "子目标 A, B 的「技术服务到款额」目标按求和汇总为 80，低于上级目标 S 的 100"
    assert f.values == {"aggregate": 80.0, "target": 100.0}


def test_target_consistency_weighted_mean(
    catalog: IndicatorCatalog, mk: Callable[..., Goal]
) -> None:
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            mk("S", "school", ("emp", 0.9)),
            mk("A", "department", ("emp", 0.95)),
            mk("B", "department", ("emp", 0.8)),
        ]
    )
    chain.decompose("S", "A", 0.5)
    chain.decompose("S", "B", 0.5)
    f = _only(chain.check(), "target_consistency")
    assert f.values["aggregate"] == pytest.approx(0.875)
    assert "按加权平均汇总为 0.875，低于上级目标 S 的 0.9" in f.message
    chain.set_weight("S", "A", 0.8)
    chain.set_weight("S", "B", 0.2)
    assert "target_consistency" not in _codes(chain.check())  # 0.8·0.95 + 0.2·0.8 = 0.92


def test_target_consistency_min_and_lower_better(
    catalog: IndicatorCatalog, mk: Callable[..., Goal]
) -> None:
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            mk("S", "school", ("pass_rate", 0.9), ("accidents", 2.0)),
            mk("A", "department", ("pass_rate", 0.95), ("accidents", 1.0)),
            mk("B", "department", ("pass_rate", 0.85), ("accidents", 2.0)),
        ]
    )
    chain.decompose("S", "A", 0.5)
    chain.decompose("S", "B", 0.5)
    found = {f.indicator: f for f in chain.check() if f.code == "target_consistency"}
    assert found["pass_rate"].values["aggregate"] == 0.85  # min: every child must reach
    assert "按取最小汇总为 0.85，低于上级目标 S 的 0.9" in found["pass_rate"].message
    # 事故数 is lower-better and summed: 1 + 2 = 3 > 2 allowed
    assert "按求和汇总为 3，高于上级目标 S 的 2" in found["accidents"].message


def test_alignment_supports_period_and_target(small: GoalChain, mk: Callable[..., Goal]) -> None:
    small.add_goal(mk("R", "department", ("emp", 0.7), start="2027-2028"))
    small.decompose("S", "R", 0.0)
    small.support("R", "P2")
    findings = small.check()
    periods = {f.goals: f for f in findings if f.code == "alignment_period"}
    # the supports link, and R sharing 就业率 with its sibling P2 over a disjoint cycle
    assert set(periods) == {("R", "P2"), ("P2", "R")}
    assert periods["R", "P2"].message == (
        "支撑目标 R (2027-2028–2027-2028) 与被支撑目标 P2 (2025-2026–2025-2026) 的周期不重叠"
    )
    assert "period_outside_parent" in _codes(findings)
    target = [f for f in findings if f.code == "alignment_target"]
    assert target == []  # 0.7 ≥ 0.5 required: no contradiction
    small.replace_goal(mk("R", "department", ("emp", 0.4), start="2025-2026"))
    f = _only(small.check(), "alignment_target")
    assert f.message == "支撑目标 R 的「就业率」目标 0.4 达不到被支撑目标 P2 要求的 0.5"


def test_alignment_same_owner_contradicting_targets(
    catalog: IndicatorCatalog, mk: Callable[..., Goal]
) -> None:
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            mk("S", "school"),
            mk("Z", "school", ("emp", 0.9), owner="school"),
            mk("Y", "school", ("emp", 0.85), owner="school"),
        ]
    )
    chain.decompose("S", "Z", 0.5)
    chain.decompose("S", "Y", 0.5)
    f = _only(chain.check(), "alignment_target")
    assert f.goals == ("Z", "Y")
    assert f.message == "目标 Z 与 Y 为同一主体 school 的「就业率」设定了矛盾的目标值 0.9 与 0.85"


def test_alignment_siblings_periods(catalog: IndicatorCatalog, mk: Callable[..., Goal]) -> None:
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            mk("S", "school", start="2025-2026", end="2027-2028"),
            mk("A", "major", ("emp", 0.9), start="2025-2026"),
            mk("B", "major", ("emp", 0.9), start="2026-2027"),
        ]
    )
    chain.decompose("S", "A", 0.5)
    chain.decompose("S", "B", 0.5)
    f = _only(chain.check(), "alignment_period")
    assert f.goals == ("A", "B")
    assert "共享指标「就业率」但周期不重叠" in f.message


def test_period_outside_parent(small: GoalChain, mk: Callable[..., Goal]) -> None:
    small.replace_goal(mk("C1", "major", ("emp", 0.9), start="2025-2026", end="2026-2027"))
    f = _only(small.check(), "period_outside_parent")
    assert f.goals == ("P1", "C1")
    assert (
        f.message
        == "子目标 C1 的周期 (2025-2026–2026-2027) 超出上级目标 P1 的周期 (2025-2026–2025-2026)"
    )


def test_no_source_and_unmeasured(small: GoalChain, mk: Callable[..., Goal]) -> None:
    small.add_goal(mk("C3", "major", ("satisfaction", 0.8)))
    small.add_goal(mk("C4", "major"))
    small.decompose("P1", "C3", 0.0)
    small.decompose("P1", "C4", 0.0)
    findings = small.check()
    f = _only(findings, "no_source")
    assert f.goals == ("C3",)
    assert f.message == "指标「满意度」没有状态数据来源 (source)，1 个目标无法由观测数据计算达成度"
    u = _only(findings, "unmeasured")
    assert u.goals == ("C4",)


def test_no_attainment_after_the_period(small: GoalChain) -> None:
    assert small.check(as_of="2025-2026-1") == []  # the cycle has not ended
    findings = small.check(as_of="2026-2027")
    assert sorted(f.goals[0] for f in findings if f.code == "no_attainment") == [
        "C1",
        "C2",
        "P1",
        "P2",
        "S",
    ]
    result = small.rollup({"C1": {"emp": 0.9}})
    late = [
        f.goals[0] for f in small.check(as_of="2026-09", rollup=result) if f.code == "no_attainment"
    ]
    assert late == ["C2", "P2"]  # C1 and, partially, P1 and S have attainment
    result = small.rollup({"C1": {"emp": 0.9}, "C2": {"emp": 0.9}})
    assert _only(small.check(as_of="2026-09", rollup=result), "no_attainment").message == (
        "目标 P2 的周期已于 2025-2026 结束，但没有达成度记录"
    )


def test_archived_goals_are_left_out(small: GoalChain, mk: Callable[..., Goal]) -> None:
    small.add_goal(mk("C3", "major", ("emp", 0.9)))
    small.archive("C3")
    assert small.check() == []


def test_own_weight_unused(small: GoalChain, mk: Callable[..., Goal]) -> None:
    small.replace_goal(mk("P1", "department", own_weight=0.2))
    codes = _codes(small.check())
    assert "own_weight_unused" in codes
