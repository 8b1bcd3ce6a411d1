"""Incremental recompute: same numbers as a full pass, touching only the ancestors."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengai.chain import BadActuals, GoalChain
from zhengai.model import IndicatorCatalog
from zhengai.model.goal import Goal, GoalIndicator


def _random_chain(
    catalog: IndicatorCatalog, seed: int
) -> tuple[GoalChain, dict[str, dict[str, float | None]]]:
    """School → 3 plans (mean, sum, min) → colleges → majors → courses, with one shared child."""
    rng = np.random.default_rng(seed)
    chain = GoalChain(catalog)
    values: dict[str, dict[str, float | None]] = {}

    def add(gid: str, level: str, inds: list[tuple[str, float]], **kw: object) -> None:
        chain.add_goal(
            Goal.model_validate(
                {
                    "id": gid,
                    "owner": gid,
                    "level": level,
                    "indicators": [
                        GoalIndicator(indicator=i, target=t, weight=float(rng.integers(1, 4)))
                        for i, t in inds
                    ],
                    **kw,
                }
            )
        )

    add("S", "school", [("emp", 0.9)], own_weight=0.1)
    add("P_mean", "school", [])
    add("P_sum", "school", [("income", 500.0)], progress="sum")
    add("P_min", "school", [], progress="min")
    chain.decompose("S", "P_mean", 0.5)
    chain.decompose("S", "P_sum", 0.2)
    chain.decompose("S", "P_min", 0.2)
    for d in range(3):
        college = f"D{d}"
        add(college, "department", [("emp", 0.85)], own_weight=0.3 if d == 0 else 0.0)
        chain.decompose("P_mean", college, None)
        add(f"{college}_inc", "department", [("income", 150.0)], progress="sum")
        chain.decompose("P_sum", f"{college}_inc")
        add(f"{college}_pass", "department", [("pass_rate", 0.9)])
        chain.decompose("P_min", f"{college}_pass")
        values[f"{college}_pass"] = {"pass_rate": float(rng.uniform(0.6, 1.0))}
        values[college] = {"emp": float(rng.uniform(0.7, 1.0))}
        for m in range(3):
            major = f"{college}M{m}"
            add(major, "major", [("emp", 0.9), ("accidents", 1.0)])
            chain.decompose(college, major, None)
            add(f"{major}_inc", "major", [("income", 50.0)])
            chain.decompose(f"{college}_inc", f"{major}_inc")
            values[f"{major}_inc"] = {"income": float(rng.uniform(20, 80))}
            values[major] = {
                "emp": float(rng.uniform(0.6, 1.0)),
                "accidents": float(rng.integers(0, 3)),
            }
            for k in range(2):
                course = f"{major}C{k}"
                add(course, "course", [("pass_rate", 0.85)])
                chain.decompose(major, course, float(rng.uniform(0.1, 0.5)))
                values[course] = {"pass_rate": float(rng.uniform(0.5, 1.0))}
    chain.decompose("D1", "D0M0C0", 0.2)  # a course feeding two colleges: a DAG, not a tree
    return chain, values


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_equals_full_and_touches_only_ancestors(
    catalog: IndicatorCatalog, seed: int
) -> None:
    chain, values = _random_chain(catalog, seed)
    result = chain.rollup(values, as_of="2025-2026-1")
    changes: dict[str, dict[str, float | None]] = {
        "D0M0C0": {"pass_rate": 0.3},
        "D2M1_inc": {"income": 12.5},
        "D1M2": {"emp": None},  # a value withdrawn: back to missing
    }
    touched = chain.update(result, changes)
    merged = {k: dict(v) for k, v in values.items()}
    for gid, vals in changes.items():
        merged.setdefault(gid, {}).update(vals)
    full = chain.rollup(merged, as_of="2025-2026-1")
    for name in (
        "attainment",
        "coverage",
        "own_attainment",
        "health_code",
        "slot_actual",
        "slot_attainment",
    ):
        assert _same(getattr(result, name), getattr(full, name)), name
    tree = chain.decomposition()
    expected = set(changes)
    for gid in changes:
        expected |= nx.ancestors(tree, gid)
    assert touched == expected
    assert "D0" in touched
    assert "D1" in touched
    assert "D2" not in touched


def test_update_changes_numbers(catalog: IndicatorCatalog) -> None:
    chain, values = _random_chain(catalog, 7)
    result = chain.rollup(values)
    before = result.get("P_min")
    chain.update(result, {"D0_pass": {"pass_rate": 0.09}})
    assert result.get("P_min") == pytest.approx(0.1)
    assert before != result.get("P_min")


def test_update_refuses_a_stale_result(catalog: IndicatorCatalog) -> None:
    chain, values = _random_chain(catalog, 1)
    result = chain.rollup(values)
    chain.archive("D2")
    with pytest.raises(BadActuals) as err:
        chain.update(result, {"D0": {"emp": 1.0}})
    assert err.value.code == "chain.bad_actuals"
    assert err.value.message == "该达成度结果来自已修改前的目标链，请重新计算 rollup"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(
        st.tuples(st.integers(0, 10_000), st.one_of(st.none(), st.floats(0, 200))),
        min_size=1,
        max_size=6,
    )
)
def test_any_update_equals_a_full_pass(
    catalog: IndicatorCatalog, picks: list[tuple[int, float | None]]
) -> None:
    chain, values = _random_chain(catalog, 11)
    result = chain.rollup(values)
    slots = [(gid, ind) for gid, vals in values.items() for ind in vals]
    changes: dict[str, dict[str, float | None]] = {}
    for k, value in picks:
        gid, ind = slots[k % len(slots)]
        changes.setdefault(gid, {})[ind] = value
    chain.update(result, changes)
    merged = {k: dict(v) for k, v in values.items()}
    for gid, vals in changes.items():
        merged[gid].update(vals)
    full = chain.rollup(merged)
    assert _same(result.attainment, full.attainment)
    assert _same(result.coverage, full.coverage)
    assert _same(result.health_code, full.health_code)
