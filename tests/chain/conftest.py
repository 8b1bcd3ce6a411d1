"""Fixtures of the goal-chain tests: a small catalog and a hand-built 1+2 chain."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from zhengai.chain import GoalChain
from zhengai.model import Indicator, IndicatorCatalog
from zhengai.model.goal import Goal, GoalIndicator


@pytest.fixture
def catalog() -> IndicatorCatalog:
    """就业率 (mean), 到款额 (sum), 事故数 (lower better, sum), 合格率 (min), 满意度 (no source)."""
    return IndicatorCatalog(
        [
            Indicator(id="emp", name="就业率", aggregator="mean", source="9.1"),
            Indicator(id="income", name="技术服务到款额", aggregator="sum", source="5.2"),
            Indicator(
                id="accidents",
                name="事故数",
                direction="lower_better",
                aggregator="sum",
                source="8.8",
            ),
            Indicator(id="pass_rate", name="合格率", aggregator="min", source="7.3"),
            Indicator(id="satisfaction", name="满意度", aggregator="mean"),
        ]
    )


def goal(gid: str, level: str, *indicators: tuple[str, float], **fields: object) -> Goal:
    """A goal owned by a subject named like the goal, in 2025-2026 unless told."""
    fields.setdefault("start", "2025-2026")
    return Goal.model_validate(
        {
            "id": gid,
            "title": fields.pop("title", gid),
            "owner": fields.pop("owner", gid.lower()),
            "level": level,
            "indicators": [GoalIndicator(indicator=i, target=t) for i, t in indicators],
            **fields,
        }
    )


@pytest.fixture
def mk() -> Callable[..., Goal]:
    """The :func:`goal` helper, for test modules (conftest cannot be imported)."""
    return goal


@pytest.fixture
def small(catalog: IndicatorCatalog) -> GoalChain:
    """S → P1 (0.6), P2 (0.4); P1 → C1 (0.5), C2 (0.5).

    C1: 就业率 target 0.9.  C2: 就业率 0.8 (weight 3) and 事故数 ≤ 2 (weight 1).
    P2: 就业率 0.5.
    """
    chain = GoalChain(catalog)
    chain.add_goals(
        [
            goal("S", "school"),
            goal("P1", "department"),
            goal("P2", "department", ("emp", 0.5)),
            goal("C1", "major", ("emp", 0.9)),
            Goal(
                id="C2",
                owner="c2",
                level="major",
                start="2025-2026",
                indicators=[
                    GoalIndicator(indicator="emp", target=0.8, weight=3),
                    GoalIndicator(indicator="accidents", target=2, weight=1),
                ],
            ),
        ]
    )
    chain.decompose("S", "P1", 0.6)
    chain.decompose("S", "P2", 0.4)
    chain.decompose("P1", "C1", 0.5)
    chain.decompose("P1", "C2", 0.5)
    return chain
