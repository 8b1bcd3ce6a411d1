"""Roll-up of attainment: hand-computed numbers for every progress method."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from zhengai.chain import BadActuals, ChainCycle, GoalChain, GoalValues, UnknownGoal
from zhengai.model import IndicatorCatalog
from zhengai.model.goal import Goal, GoalIndicator, Health

FULL = {"C1": {"emp": 0.81}, "C2": {"emp": 0.88, "accidents": 4}, "P2": {"emp": 0.9}}


def test_full_rollup_by_hand(small: GoalChain) -> None:
    r = small.rollup(FULL)
    # C1 0.81/0.9 = 0.9; C2 (3·1.1 + 1·2/4)/4 = 0.95; P2 0.9/0.5 = 1.8 capped at 1.2
    assert r.get("C1") == pytest.approx(0.9)
    assert r.get("C2") == pytest.approx(0.95)
    assert r.get("P2") == pytest.approx(1.2)
    assert r.get("P1") == pytest.approx(0.5 * 0.9 + 0.5 * 0.95)
    assert r.get("S") == pytest.approx(0.6 * 0.925 + 0.4 * 1.2)
    assert r.partial() == []
    assert r.gaps() == []
    assert r["S"].coverage == pytest.approx(1.0)


def test_cap_is_configurable(small: GoalChain) -> None:
    r = small.rollup(FULL, cap=1.0)
    assert r.get("P2") == pytest.approx(1.0)
    assert r.get("C2") == pytest.approx((3 * 1.0 + 0.5) / 4)


def test_chinese_indicator_names_are_accepted(small: GoalChain) -> None:
    r = small.rollup({"C1": {"就业率": 0.81}})
    assert r.get("C1") == pytest.approx(0.9)


def test_missing_data_gives_partial_attainment_not_zero(small: GoalChain) -> None:
    r = small.rollup({"C1": {"emp": 0.81}, "C2": {"emp": 0.88}})
    assert r.get("C2") == pytest.approx(1.1)  # only 就业率 counts
    assert r["C2"].coverage == pytest.approx(0.75)
    assert r["C2"].partial
    assert r["C2"].missing == ("accidents",)
    assert r.get("P1") == pytest.approx(0.5 * 0.9 + 0.5 * 1.1)
    assert r["P1"].coverage == pytest.approx(0.875)
    assert r.get("P2") is None  # no data at all: missing, never zero
    assert r.health("P2") is Health.UNKNOWN
    assert r.get("S") == pytest.approx(1.0)  # the mean of what has data: P1 alone
    assert r["S"].coverage == pytest.approx(0.6 * 0.875)
    assert set(r.partial()) == {"C2", "P1", "S"}
    assert r.gaps() == [("P2", "emp"), ("C2", "accidents")]


def test_no_data_anywhere(small: GoalChain) -> None:
    r = small.rollup()
    assert all(v is None for v in r.as_dict().values())
    assert r["S"].coverage == 0.0


def test_columnar_input_equals_mapping(small: GoalChain) -> None:
    values = GoalValues(
        goal_ids=["C1", "C2", "C2", "P2"],
        indicators=["emp", "emp", "accidents", "emp"],
        values=np.array([0.81, 0.88, 4.0, 0.9]),
    )
    a = small.rollup(values)
    b = small.rollup(FULL)
    assert np.array_equal(a.attainment, b.attainment, equal_nan=True)
    resolved = small.actuals(values)
    assert np.array_equal(small.rollup(resolved).attainment, b.attainment, equal_nan=True)


def test_own_weight_mixes_own_indicators_into_a_parent(
    catalog: IndicatorCatalog, mk: Callable[..., Goal]
) -> None:
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            mk("P", "department", ("emp", 0.8), own_weight=0.2),
            mk("A", "major", ("emp", 1.0)),
            mk("B", "major", ("emp", 0.5)),
        ]
    )
    chain.decompose("P", "A", 0.4)
    chain.decompose("P", "B", 0.4)
    r = chain.rollup({"P": {"emp": 0.6}, "A": {"emp": 0.9}, "B": {"emp": 0.5}})
    # 0.4·0.9 + 0.4·1.0 + 0.2·0.75
    assert r.get("P") == pytest.approx(0.4 * 0.9 + 0.4 * 1.0 + 0.2 * 0.75)
    assert r["P"].own_attainment == pytest.approx(0.75)


def test_unset_weights_share_equally(catalog: IndicatorCatalog, mk: Callable[..., Goal]) -> None:
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            mk("P", "department"),
            mk("A", "major", ("emp", 1)),
            mk("B", "major", ("emp", 1)),
            mk("C", "major", ("emp", 1)),
        ]
    )
    chain.decompose("P", "A", 0.5)
    chain.decompose("P", "B")
    chain.decompose("P", "C")
    r = chain.rollup({"A": {"emp": 1.0}, "B": {"emp": 0.0}, "C": {"emp": 0.4}})
    assert r.get("P") == pytest.approx(0.5 * 1.0 + 0.25 * 0.0 + 0.25 * 0.4)


def test_sum_method_adds_children_values(
    catalog: IndicatorCatalog, mk: Callable[..., Goal]
) -> None:
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            mk("S", "school", ("income", 100.0), progress="sum"),
            mk("D1", "department", ("income", 40.0)),
            mk("D2", "department", ("income", 60.0)),
            mk("D3", "department", ("income", 10.0)),
        ]
    )
    for d in ("D1", "D2", "D3"):
        chain.decompose("S", d)
    r = chain.rollup({"D1": {"income": 30}, "D2": {"income": 50}, "D3": {"income": 10}})
    assert r.get("S") == pytest.approx(90 / 100)
    partial = chain.rollup({"D1": {"income": 30}, "D2": {"income": 50}})
    assert partial.get("S") == pytest.approx(80 / 100)
    assert partial["S"].coverage == pytest.approx(2 / 3)
    assert partial["S"].partial


def test_min_method_takes_the_lowest_child(
    catalog: IndicatorCatalog, mk: Callable[..., Goal]
) -> None:
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            mk("P", "major", progress="min"),
            mk("A", "course", ("pass_rate", 0.9)),
            mk("B", "course", ("pass_rate", 0.9)),
        ]
    )
    chain.decompose("P", "A")
    chain.decompose("P", "B")
    r = chain.rollup({"A": {"pass_rate": 0.9}, "B": {"pass_rate": 0.72}})
    assert r.get("P") == pytest.approx(0.8)
    r2 = chain.rollup({"A": {"pass_rate": 0.9}})
    assert r2.get("P") == pytest.approx(1.0)
    assert r2["P"].coverage == pytest.approx(0.5)


def test_manual_attainment_with_note(small: GoalChain) -> None:
    small.set_manual("P2", 0.5, "校园建设项目验收报告")
    r = small.rollup({"C1": {"emp": 0.81}, "C2": {"emp": 0.88, "accidents": 4}})
    assert r.get("P2") == pytest.approx(0.5)
    assert r.get("S") == pytest.approx(0.6 * 0.925 + 0.4 * 0.5)


def test_lower_better_and_zero_targets(mk: Callable[..., Goal], catalog: IndicatorCatalog) -> None:
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            mk("A", "school", ("accidents", 0.0)),
            mk("B", "school", ("accidents", 2.0)),
            mk("C", "school", ("accidents", 2.0)),
        ]
    )
    r = chain.rollup({"A": {"accidents": 0}, "B": {"accidents": 0}, "C": {"accidents": 8}})
    assert r.get("A") == 1.0  # target 0 met exactly
    assert r.get("B") == pytest.approx(1.2)  # better than any ratio: the cap
    assert r.get("C") == pytest.approx(0.25)


def test_progress_scale_uses_baseline(catalog: IndicatorCatalog) -> None:
    chain = GoalChain(catalog)
    chain.add_goal(
        Goal(
            id="A",
            owner="a",
            level="major",
            indicators=[GoalIndicator(indicator="emp", target=0.9, baseline=0.8)],
        )
    )
    assert chain.rollup({"A": {"emp": 0.85}}, scale="progress").get("A") == pytest.approx(0.5)
    assert chain.rollup({"A": {"emp": 0.85}}).get("A") == pytest.approx(0.85 / 0.9)
    assert chain.rollup({"A": {"emp": 0.7}}, scale="progress").get("A") == 0.0


def test_archived_goal_leaves_the_rollup(small: GoalChain) -> None:
    small.archive("C2")
    r = small.rollup(FULL)
    assert r.get("C2") is None
    assert r.get("P1") == pytest.approx(0.9)
    assert r["P1"].coverage == pytest.approx(1.0)


def test_health_against_elapsed_share(small: GoalChain) -> None:
    # 2025-2026 runs Sept–Aug; at the end of term 1 (Jan) 5 of 12 months have passed
    r = small.rollup(
        {"C1": {"emp": 0.35 * 0.9}, "C2": {"emp": 0.8, "accidents": 2}, "P2": {"emp": 0.1}},
        as_of="2025-2026-1",
    )
    assert r["C1"].expected == pytest.approx(5 / 12)
    assert r.health("C1") is Health.AT_RISK  # 0.35 < 0.9·5/12 but ≥ 0.7·5/12
    assert r.health("C2") is Health.ON_TRACK
    assert r.health("P2") is Health.OFF_TRACK  # 0.2 < 0.7·5/12
    assert r.health("P1") is Health.AT_RISK  # its worst child
    assert r.health("S") is Health.OFF_TRACK
    assert r.get("P1") == pytest.approx(0.5 * 0.35 + 0.5 * 1.0)  # attainment is kept apart
    end = small.rollup({"C1": {"emp": 0.35 * 0.9}}, as_of="2026-2027")
    assert end.health("C1") is Health.OFF_TRACK


def test_bad_values_are_errors(small: GoalChain) -> None:
    with pytest.raises(UnknownGoal) as err:
        small.rollup({"C22": {"emp": 1}})
    assert err.value.code == "chain.unknown_goal"
    assert err.value.message == "目标链中没有目标 'C22'"
    assert err.value.hint == "did you mean 'C2'?"
    with pytest.raises(BadActuals) as bad:
        small.rollup({"C1": {"accidents": 1}})
    assert bad.value.code == "chain.bad_actuals"
    assert bad.value.message == "目标 'C1' 没有指标 'accidents'"
    with pytest.raises(BadActuals, match="不是数值"):
        small.rollup({"C1": {"emp": "high"}})  # type: ignore[dict-item]
    with pytest.raises(UnknownGoal):
        small.rollup(GoalValues(["X"], ["emp"], [1.0]))
    with pytest.raises(BadActuals, match="scale"):
        small.rollup(FULL, scale="odd")


def test_cycle_is_refused_by_the_rollup(small: GoalChain) -> None:
    small.decompose("C1", "S", 1.0)
    with pytest.raises(ChainCycle) as err:
        small.rollup(FULL)
    assert err.value.code == "chain.cycle"
    assert err.value.message.startswith("目标分解链接成环：")
    assert {"S", "P1", "C1"} <= set(
        err.value.message.removeprefix("目标分解链接成环：").split(" → ")
    )


def test_nan_is_missing(small: GoalChain) -> None:
    r = small.rollup({"C1": {"emp": math.nan}, "P2": {"emp": None}})
    assert r.get("C1") is None
    assert r.get("P2") is None
