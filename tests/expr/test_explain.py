"""Explanations: each sub-expression with its value, rendered in Chinese and English."""

from __future__ import annotations

import numpy as np

from zhengai.expr import Expression, Frame, RowContext, Step
from zhengai.model import Indicator, IndicatorCatalog

CATALOG = IndicatorCatalog(
    [
        Indicator(id="attendance_rate", name="到课率"),
        Indicator(id="gpa", name="平均学分绩点"),
    ]
)


def test_a_comparison_renders_like_the_alert_message() -> None:
    expr = Expression("到课率 < 0.9", CATALOG)
    explanation = expr.explain({"attendance_rate": 0.82})
    assert explanation.text == "到课率 0.82 < 0.9 → 是"
    assert str(explanation) == explanation.text
    assert explanation.value is True
    assert explanation.steps == (
        Step("到课率 < 0.9", True),
        Step("到课率", 0.82),
    )
    english = expr.explain({"attendance_rate": 0.95}, lang="en")
    assert english.text == "attendance_rate 0.95 < 0.9 → no"


def test_compound_rules_list_every_comparison_and_the_verdict() -> None:
    expr = Expression("attendance_rate < 0.9 and gpa < 2", CATALOG)
    explanation = expr.explain({"attendance_rate": 0.82})
    assert explanation.text == (
        "到课率 0.82 < 0.9 → 是; 平均学分绩点 缺失 < 2 → 缺失; "
        "attendance_rate < 0.9 and gpa < 2 → 缺失"
    )
    assert explanation.value is None
    assert Step("gpa < 2", None) in explanation.steps


def test_history_values_are_explained_with_their_context() -> None:
    frame = Frame(
        columns={"gpa": np.array([1.8])},
        history={"gpa": [np.array([2.3])]},
    )
    row, ctx = RowContext.from_frame(frame, 0)
    explanation = Expression("prev(gpa) - gpa >= 0.5").explain(row, ctx, lang="en")
    assert explanation.text == "prev(gpa) - gpa 0.5 >= 0.5 → yes"
    assert Step("prev(gpa, 1)", 2.3) in explanation.steps
    assert Step("gpa", 1.8) in explanation.steps


def test_library_functions_show_their_comparisons() -> None:
    catalog = IndicatorCatalog([Indicator(id="employment", name="就业率")])
    frame = Frame(
        columns={"employment": np.array([0.9])},
        history={"employment": [np.array([0.85]), np.array([0.88])]},
    )
    row, ctx = RowContext.from_frame(frame, 0)
    explanation = Expression("increasing(就业率, 3)", catalog).explain(row, ctx)
    assert explanation.text == (
        "就业率(前1期) 0.85 < 就业率 0.9 → 是; 就业率(前2期) 0.88 < 就业率(前1期) 0.85 → 否; "
        "increasing(就业率, 3) → 否"
    )
    between = Expression("between(就业率, 0.6, 0.95)", catalog).explain(row, ctx, lang="en")
    assert between.text == (
        "employment 0.9 >= 0.6 → yes; employment 0.9 <= 0.95 → yes; "
        "between(就业率, 0.6, 0.95) → yes"
    )
