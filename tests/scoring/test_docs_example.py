"""The worked example in docs/scoring.md computes what the page says."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from zhengai.model import Indicator
from zhengai.scoring import Scorecard, score

DOC = Path(__file__).resolve().parents[2] / "docs" / "scoring.md"


def test_worked_example_matches_the_page() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(id: 部门绩效考核.*?)```", text, re.S)
    assert block is not None
    card = Scorecard.model_validate(yaml.safe_load(block.group(1)))
    catalog = [
        Indicator(id="project_rate", name="项目完成率"),
        Indicator(id="attendance_rate", name="到课率"),
        Indicator(id="satisfaction", name="评教满意度"),
        Indicator(id="performance_grade", name="业绩考核等级"),
        Indicator(id="reform_projects", name="教改项目数"),
    ]
    values = {
        "project_rate": [0.90, 1.00, 0.70],
        "attendance_rate": [0.82, 0.93, np.nan],
        "satisfaction": [0.75, 0.88, 0.66],
        "performance_grade": np.array(["基本达成", "达成", "未达成"], dtype=object),
        "reform_projects": [1, 3, 0],
    }
    tasks = {
        "subject_id": ["机电系"] * 4 + ["信息系"] * 4 + ["经管系"] * 2,
        "class": ["A", "A", "B", "B", "A", "A", "B", "B", "A", "B"],
        "source": ["自评", "集中考核"] * 5,
        "progress": [100, 90, 100, 100, 100, 100, 100, 100, 80, 70],
        "quality": [90, 80, 90, 80, 100, 95, 100, 90, 70, 60],
        "performance": [90, 70, 80, 80, 100, 90, 90, 90, 60, 60],
    }
    result = score(
        card, ["机电系", "信息系", "经管系"], values=values, tasks=tasks, catalog=catalog
    )
    assert result.total.tolist() == pytest.approx([77.135, 98.738125, 24.65])
    assert result.grade.tolist() == ["合格", "优秀", "不合格"]
    assert result.partial.tolist() == [False, False, True]
    explained = str(result.explain("机电系"))
    assert explained in text
    assert str(result.gap_to("机电系")) in text
