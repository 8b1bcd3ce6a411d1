"""Shared fixtures of the data tests: a small catalog and a class of students."""

from __future__ import annotations

import pytest

from zhengai.data import Subjects
from zhengai.model import Indicator, IndicatorCatalog


@pytest.fixture
def catalog() -> IndicatorCatalog:
    """到课率 and 评教满意度 are rates (0–1); 论文数 is a count (≥ 0)."""
    return IndicatorCatalog(
        [
            Indicator(id="attendance_rate", name="到课率", aliases=("出勤率",), valid_range=(0, 1)),
            Indicator(id="satisfaction", name="评教满意度", valid_range=(0, 1)),
            Indicator(id="papers", name="论文数", unit="篇", valid_range=(0, None)),
        ]
    )


@pytest.fixture
def students() -> Subjects:
    """A school, a department, a class and three students."""
    return Subjects(
        ["sch", "d1", "c1", "s1", "s2", "s3"],
        ["school", "department", "class", "student", "student", "student"],
        ["学校", "信息学院", "软件1班", "张三", "李四", "王五"],
        [None, "sch", "d1", "c1", "c1", "c1"],
        {"gender": [None, None, None, "女", "男", "女"], "age": [None, None, None, 19, 20, None]},
    )
