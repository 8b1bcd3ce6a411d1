"""Building chains: Python, records, YAML, DataFrames, CSV; locked targets and revisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from zhengai.chain import (
    BadEdge,
    BadGoal,
    BadRevision,
    DuplicateGoal,
    GoalChain,
    LockedTarget,
    UnknownGoal,
)
from zhengai.chain.io import chain_from_records
from zhengai.errors import Where
from zhengai.model import IndicatorCatalog, UnknownIndicator
from zhengai.model.goal import Goal, GoalIndicator, GoalStatus, Revision

YAML = """
goals:
  - id: S
    title: 学校发展总规划
    owner: school
    level: 学校
    start: 2021-2022
    end: 2025-2026
  - id: P1
    title: 专业建设规划
    owner: jwc
    level: department
    parent: S
    weight: 0.6
    start: 2021-2022
    end: 2025-2026
    indicators:
      - {indicator: 就业率, target: 0.95}
  - id: P2
    title: 师资队伍建设规划
    owner: rsc
    level: department
    parent: S
    weight: 0.4
    supports: [P1]
    start: 2021-2022
    end: 2025-2026
edges: []
"""


def test_python_api_keeps_a_plain_networkx_graph(small: GoalChain) -> None:
    assert isinstance(small.graph, nx.DiGraph)
    assert nx.is_directed_acyclic_graph(small.graph)
    assert small.graph.edges["S", "P1"] == {"kind": "decomposes", "weight": 0.6}
    assert nx.descendants(small.decomposition(), "P1") == {"C1", "C2"}
    assert small.children("P1") == ["C1", "C2"]
    assert small.parents("C2") == ["P1"]
    assert small.goal("C2").target("accidents") == 2


def test_yaml_builder_and_round_trip(catalog: IndicatorCatalog) -> None:
    chain = GoalChain.from_yaml(YAML, catalog=catalog)
    assert [g.id for g in chain] == ["S", "P1", "P2"]
    assert chain.goal("P1").indicators[0].indicator == "emp"  # Chinese name resolved to the id
    assert chain.edges("decomposes") == [("S", "P1", 0.6), ("S", "P2", 0.4)]
    assert chain.supported("P2") == ["P1"]
    goals, edges = chain.to_records()
    again = GoalChain.from_records(goals, edges, catalog=catalog)
    assert list(again) == list(chain)
    assert again.edges() == chain.edges()


def test_yaml_file_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(YAML.replace("target: 0.95", "target: high"), encoding="utf-8")
    with pytest.raises(BadGoal) as err:
        GoalChain.from_yaml(path)
    assert err.value.code == "chain.bad_goal"
    # the line of the record (the YAML text starts with a blank line) and the field path
    assert err.value.where == Where(file=str(path), line=9, field="goals[1].indicators.0.target")
    assert err.value.message.startswith("目标记录无效：")


def test_yaml_edge_errors_name_the_line(catalog: IndicatorCatalog) -> None:
    text = YAML.replace("edges: []", "edges:\n  - {source: P1, target: P22}")
    with pytest.raises(UnknownGoal) as err:
        GoalChain.from_yaml(text, catalog=catalog)
    assert err.value.where == Where(line=29, field="edges[0]")
    assert err.value.hint == "did you mean 'P2'?"


def test_records_are_all_or_nothing(small: GoalChain) -> None:
    before = (list(small.graph.nodes), small.edges())
    with pytest.raises(UnknownGoal) as err:
        chain_from_records(
            small, [{"id": "A", "owner": "a", "level": "major"}], [{"source": "A", "target": "B"}]
        )
    assert err.value.code == "chain.unknown_goal"
    assert err.value.where == Where(field="edges[0]")
    assert (list(small.graph.nodes), small.edges()) == before  # nothing half-added


def test_edge_errors(small: GoalChain) -> None:
    with pytest.raises(BadEdge) as err:
        small.add_edge("S", "P1", "supports")
    assert err.value.code == "chain.bad_edge"
    assert err.value.message == "目标 'S' → 'P1' 之间已有分解链接"
    with pytest.raises(BadEdge, match="不能链接到自身"):
        small.decompose("S", "S", 1.0)
    with pytest.raises(BadEdge, match="权重须为非负数"):
        small.decompose("C1", "C2", -1.0)
    with pytest.raises(BadEdge) as kind:
        small.add_edge("C1", "C2", "suports")
    assert kind.value.hint == "did you mean 'supports'?"
    with pytest.raises(BadEdge, match="支撑链接 'C1' → 'C2' 没有权重"):
        small.add_edge("C1", "C2", "supports", 0.5)
    small.support("C1", "C2")
    small.support("C2", "C1")  # 左右呼应 may run both ways
    assert small.supported("C2") == ["C1"]
    with pytest.raises(UnknownGoal):
        small.decompose("S", "nope", 1.0)


def test_duplicate_goal_and_unknown_indicator(small: GoalChain, mk: Callable[..., Goal]) -> None:
    with pytest.raises(DuplicateGoal) as err:
        small.add_goal(mk("C1", "major"))
    assert err.value.code == "chain.duplicate_goal"
    assert err.value.message == "目标 'C1' 已在目标链中"
    with pytest.raises(UnknownIndicator) as bad:
        small.add_goal(mk("C9", "major", ("就业律", 0.9)))
    assert bad.value.hint == "did you mean '就业率'?"
    assert "C9" not in small


def test_locked_target_needs_a_revision(small: GoalChain, mk: Callable[..., Goal]) -> None:
    small.approve("C1")
    assert small.goal("C1").locked
    with pytest.raises(LockedTarget) as err:
        small.replace_goal(mk("C1", "major", ("emp", 0.8)))
    assert err.value.code == "chain.locked_target"
    assert err.value.message == (
        "目标 'C1' 已审定，指标 'emp' 的目标值由 0.9 改为 0.8 须附调整记录"
        " (Revision: 调整人、时间、原因)"
    )
    assert small.goal("C1").target("emp") == 0.9  # nothing lost
    when = datetime(2026, 3, 1, tzinfo=UTC)
    revised = small.revise_target(
        "C1", "就业率", 0.85, by="教务处 王老师", reason="专业招生规模调整", at=when
    )
    assert revised.target("emp") == 0.85
    assert revised.revisions == (
        Revision(
            indicator="emp",
            old=0.9,
            new=0.85,
            by="教务处 王老师",
            at=when,
            reason="专业招生规模调整",
        ),
    )
    assert revised.status is GoalStatus.APPROVED
    # a replacement carrying its own revision record is accepted
    record = Revision(indicator="emp", old=0.85, new=0.8, by="质管办", at=when, reason="年度诊改")
    new = revised.model_copy(
        update={
            "indicators": (GoalIndicator(indicator="emp", target=0.8),),
            "revisions": (*revised.revisions, record),
        }
    )
    assert small.replace_goal(new).target("emp") == 0.8


def test_revision_needs_who_and_why(small: GoalChain) -> None:
    with pytest.raises(BadRevision) as err:
        small.revise_target("C1", "emp", 0.8, by=" ", reason="x")
    assert err.value.code == "chain.bad_revision"
    assert err.value.where == Where(field="by")
    with pytest.raises(BadRevision, match="没有指标"):
        small.revise_target("C1", "income", 1.0, by="a", reason="b")
    with pytest.raises(BadRevision, match="手工填报达成度须附说明"):
        small.set_manual("C1", 0.5, "")


def test_draft_targets_change_freely(small: GoalChain, mk: Callable[..., Goal]) -> None:
    assert small.replace_goal(mk("C1", "major", ("emp", 0.7))).target("emp") == 0.7


def test_frames_builder_long_form(catalog: IndicatorCatalog) -> None:
    goals = pd.DataFrame(
        [
            {
                "id": "S",
                "title": "总规划",
                "owner": "school",
                "level": "学校",
                "indicator": None,
                "target": None,
            },
            {
                "id": "M",
                "title": "软件技术专业建设方案",
                "owner": "m01",
                "level": "专业",
                "parent": "S",
                "weight": 1.0,
                "indicator": "emp",
                "target": 0.9,
                "indicator_weight": 2,
            },
            {"id": "M", "indicator": "accidents", "target": 0, "baseline": 3},
        ]
    )
    chain = GoalChain.from_frames(goals, catalog=catalog)
    m = chain.goal("M")
    assert [(gi.indicator, gi.target, gi.weight, gi.baseline) for gi in m.indicators] == [
        ("emp", 0.9, 2.0, None),
        ("accidents", 0.0, 1.0, 3.0),
    ]
    assert chain.edges() == [("S", "M", 1.0)]


def test_csv_builder_names_row_and_column(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    goals = tmp_path / "goals.csv"
    edges = tmp_path / "edges.csv"
    goals.write_text(
        "id,title,owner,level,start,indicator,target\n"
        "S,总规划,school,学校,2025-2026,,\n"
        "M,专业建设方案,m01,专业,2025-2026,emp,0.9\n"
        "M,,,,,accidents,lots\n",
        encoding="utf-8-sig",
    )
    edges.write_text("source,target,kind,weight\nS,M,decomposes,1\n", encoding="utf-8")
    with pytest.raises(BadGoal) as err:
        GoalChain.from_csv(goals, edges, catalog=catalog)
    assert err.value.where == Where(file=str(goals), row=4, column="target")
    goals.write_text(goals.read_text(encoding="utf-8-sig").replace("lots", "0"), encoding="utf-8")
    chain = GoalChain.from_csv(goals, edges, catalog=catalog)
    assert chain.goal("M").target("accidents") == 0
    assert chain.edges() == [("S", "M", 1.0)]
    edges.write_text("source,target,kind,weight\nS,M,decomposes,heavy\n", encoding="utf-8")
    with pytest.raises(BadEdge) as bad:
        GoalChain.from_csv(goals, edges, catalog=catalog)
    assert bad.value.where == Where(file=str(edges), row=2, column="weight")


def test_goal_model_validation() -> None:
    with pytest.raises(ValueError, match="needs a note"):
        Goal(id="A", owner="a", level="school", manual_attainment=0.5)
    with pytest.raises(ValueError, match="ends"):
        Goal(id="A", owner="a", level="school", start="2025-2026", end="2024-2025")
    with pytest.raises(ValueError, match="appears twice"):
        Goal(
            id="A",
            owner="a",
            level="school",
            indicators=[
                GoalIndicator(indicator="x", target=1),
                GoalIndicator(indicator="x", target=2),
            ],
        )


def test_set_weight_and_refresh(small: GoalChain) -> None:
    values = {"C1": {"emp": 0.45}, "C2": {"emp": 0.8, "accidents": 2}}
    assert small.rollup(values).get("P1") == pytest.approx(0.75)
    small.set_weight("P1", "C1", 0.75)
    small.set_weight("P1", "C2", 0.25)
    assert small.rollup(values).get("P1") == pytest.approx(0.75 * 0.5 + 0.25 * 1.0)
    small.graph.edges["P1", "C1"]["weight"] = 0.25  # by hand: the cache is stale until refresh
    small.graph.edges["P1", "C2"]["weight"] = 0.75
    small.refresh()
    assert small.rollup(values).get("P1") == pytest.approx(0.25 * 0.5 + 0.75 * 1.0)
    small.support("C1", "C2")
    with pytest.raises(BadEdge) as err:
        small.set_weight("C1", "C2", 0.5)
    assert err.value.message == "目标 'C1' → 'C2' 之间没有分解链接"
    with pytest.raises(BadEdge, match="权重须为非负数"):
        small.set_weight("P1", "C1", float("nan"))
