"""Diagrams, histograms per group and stuck subjects."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from zhengai.model.loop import LoopDefinition, UnknownState
from zhengai.spiral import (
    GuardInputs,
    Spiral,
    UnknownDiagramFormat,
    shipped_loop,
    shipped_loops,
    state_histogram,
    stuck,
)
from zhengai.spiral.diagram import refresh_markdown


def test_mermaid_draws_every_machine_edge_with_highlight_and_counts(loop: LoopDefinition) -> None:
    spiral = Spiral(loop)
    text = spiral.diagram(current=loop.initial, counts={loop.initial: 7})
    assert text.startswith("stateDiagram-v2\n")
    edges = [line for line in text.splitlines() if " --> " in line and "[*]" not in line]
    n_small = len(loop.small_loop.transitions) if loop.small_loop else 0
    n_edges = sum(len(t.source) for t in loop.transitions) + n_small
    assert len(edges) == n_edges
    assert f'state "{spiral.label(loop.initial)} · 7" as {loop.initial}' in text
    assert f"class {loop.initial} current" in text
    if loop.small_loop:
        assert f"state {loop.small_loop.host} {{" in text


def test_dot_draws_the_same_edges_and_the_small_loop_cluster() -> None:
    spiral = Spiral(shipped_loop("eight_ten_step"))
    text = spiral.diagram("dot", current="implementing")
    assert text.startswith('digraph "eight_ten_step" {')
    assert text.count(" -> ") == 13 + 4 + 2  # big, small, start arrow and host link
    assert "subgraph cluster_small" in text
    assert 'implementing [label="实施\\nimplementing", style="rounded,filled"' in text


def test_unknown_format_and_unknown_current_state() -> None:
    spiral = Spiral(shipped_loop("radar"))
    with pytest.raises(UnknownDiagramFormat):
        spiral.diagram("svg")
    with pytest.raises(UnknownState) as info:
        spiral.diagram(current="deploi")
    assert info.value.message == "loop 'radar' has no state 'deploi'"
    assert info.value.hint == "did you mean 'deploy'?"


def test_histogram_per_department_and_stuck_subjects(h: Any) -> None:
    spiral = Spiral(shipped_loop("five_step"))
    n = 6
    states = spiral.population([f"T{i}" for i in range(n)], at=h.T0)
    inputs = GuardInputs(n=n, indicators=("a",), targets=np.array([[1.0]] * 4 + [[np.nan]] * 2))
    moved = spiral.advance(states, "set_targets", inputs, at=h.at(48)).states
    dept = np.array(["机电", "机电", "信息", "信息", "机电", "信息"])
    table = state_histogram(spiral, moved, dept)
    assert table["机电"]["targeted"] == 2
    assert table["机电"]["draft"] == 1
    assert table["信息"] == {**dict.fromkeys(spiral.state_ids, 0), "targeted": 2, "draft": 1}
    assert state_histogram(spiral, moved)["*"]["targeted"] == 4
    late = stuck(spiral, moved, timedelta(hours=24), now=h.at(50))
    assert late.tolist() == [4, 5]  # still in draft since T0
    assert stuck(spiral, moved, timedelta(hours=1), now=h.at(50), only=["targeted"]).tolist() == [
        0,
        1,
        2,
        3,
    ]


def test_docs_diagrams_are_generated_from_the_shipped_loops() -> None:
    page = Path(__file__).parents[2] / "docs" / "spiral.md"
    text = page.read_text(encoding="utf-8")
    assert refresh_markdown(text) == text, "run: python -m zhengai.spiral docs/spiral.md"
    for loop_id in shipped_loops():
        assert f"<!-- diagram:{loop_id} -->\n```mermaid\nstateDiagram-v2" in text
