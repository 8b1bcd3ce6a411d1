"""Mermaid, DOT, DataFrames and HTML export; actuals from observations."""

from __future__ import annotations

import numpy as np
import pytest

from zhengai.chain import GoalChain
from zhengai.data import Observations

FULL = {"C1": {"emp": 0.81}, "C2": {"emp": 0.88, "accidents": 4}, "P2": {"emp": 0.9}}


def test_mermaid_is_coloured_by_attainment(small: GoalChain) -> None:
    small.support("P2", "P1")
    r = small.rollup({"C1": {"emp": 0.45}, "C2": {"emp": 0.8}, "P2": {"emp": 0.5}})
    text = small.to_mermaid(r)
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    assert '    g3["C1<br/>50%"]' in lines  # 0.45 / 0.9
    assert "    class g3 bad" in lines
    assert '    g4["C2<br/>100%*"]' in lines  # partial: 事故数 missing
    assert "    class g4 good" in lines
    assert '    g0 -->|"0.6"| g1' in lines
    assert "    g2 -.支撑.-> g1" in lines
    assert "    classDef bad fill:#ffcdd2,stroke:#c62828" in lines
    plain = small.to_mermaid()
    assert "class " not in plain
    assert "classDef" not in plain


def test_mermaid_escapes_labels(small: GoalChain) -> None:
    small.replace_goal(small.goal("C1").model_copy(update={"title": '专业"A"<建设>'}))
    assert '    g3["专业&quot;A&quot;&lt;建设&gt;"]' in small.to_mermaid().splitlines()


def test_dot(small: GoalChain) -> None:
    r = small.rollup({"C1": {"emp": 0.45}})
    text = small.to_dot(r)
    assert text.startswith("digraph goal_chain {\n")
    assert '    "C1" [label="C1\\n50%", fillcolor="#ffcdd2", color="#c62828"];' in text
    assert '    "P2" [label="P2\\n数据缺失", fillcolor="#eeeeee", color="#9e9e9e"];' in text
    assert '    "S" -> "P1" [label="0.6"];' in text
    assert text.rstrip().endswith("}")


def test_frames_and_html(small: GoalChain) -> None:
    r = small.rollup(FULL)
    goals, edges = small.to_frames(r)
    assert list(goals["id"]) == ["S", "P1", "P2", "C1", "C2"]
    assert goals.set_index("id").loc["C2", "attainment"] == pytest.approx(0.95)
    assert goals.set_index("id").loc["C2", "indicators"] == "emp;accidents"
    assert edges.to_dict("records")[0] == {
        "source": "S",
        "target": "P1",
        "kind": "decomposes",
        "weight": 0.6,
    }
    frame = r.to_frame()
    assert frame.set_index("goal_id").loc["S", "attainment"] == pytest.approx(r.get("S"))
    html = small._repr_html_()
    assert "<b>目标链</b>：5 个目标，4 条链接" in html
    assert "<td>专业</td>" in html
    coloured = small.to_html(r, limit=2)
    assert "<td>92.5%</td><td>进展正常</td>" in coloured  # P1
    assert "95.0%" not in coloured  # C2 is past the limit
    assert "… 另有 3 个目标" in coloured
    assert "background:#c8e6c9" in coloured


def test_actuals_from_observations_by_owner(small: GoalChain) -> None:
    obs = Observations(
        subject_id=["c1", "c2", "c2", "p2", "c1", "c1", "zz"],
        indicator=["emp", "emp", "accidents", "emp", "emp", "emp", "emp"],
        period=[
            "2025-2026",
            "2025-2026",
            "2025-2026",
            "2025-2026",
            "2024-2025",
            "2025-2026",
            "2025-2026",
        ],
        value=[0.5, 0.88, 4, 0.9, 0.1, 0.81, 1.0],
    )
    values = small.observed(obs, "2025-2026")
    r = small.rollup(values)
    expected = small.rollup(FULL)  # c1's second 2025-2026 row (0.81) wins over the first
    assert np.array_equal(r.attainment, expected.attainment, equal_nan=True)
    empty = small.rollup(small.observed(obs, "2023-2024"))
    assert all(v is None for v in empty.as_dict().values())
