"""Custom guards written as expressions over the subject's data."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import yaml

from zhengai.errors import ExpressionError, Where
from zhengai.expr import Frame
from zhengai.model import Indicator, IndicatorCatalog
from zhengai.model.loop import LoopDefinition
from zhengai.spiral import (
    ExpressionGuardFailed,
    GuardContext,
    GuardInputs,
    Spiral,
    SubjectState,
    loops_dir,
)

FIVE = yaml.safe_load((loops_dir() / "five_step.yaml").read_text(encoding="utf-8"))
CATALOG = IndicatorCatalog([Indicator(id="attendance_rate", name="到课率")])


def loop_with(guard: dict[str, str]) -> LoopDefinition:
    data = copy.deepcopy(FIVE)
    data["transitions"][5]["guards"].append(guard)  # improve: diagnosed → improved
    return LoopDefinition.model_validate(data)


SPIRAL = Spiral(
    loop_with({"expr": "到课率 >= 0.8", "id": "attendance_ok", "message": "到课率须达到 80%"}),
    catalog=CATALOG,
)
BASE = GuardContext(gaps={})


def test_expression_guard_passes_and_fails_with_its_message() -> None:
    here = SubjectState("C01", "diagnosed")
    moved, record = SPIRAL.trigger(
        here, "improve", GuardContext(gaps={}, values={"attendance_rate": 0.85})
    )
    assert moved.state == "improved"
    assert record.guards == ("gaps_addressed", "attendance_ok")
    with pytest.raises(ExpressionGuardFailed) as info:
        SPIRAL.trigger(here, "improve", GuardContext(gaps={}, values={"attendance_rate": 0.79}))
    err = info.value
    assert err.code == "loop.guard.expression"
    assert err.where == Where(field="transitions[5].guards[1]")
    assert err.message == "C01 不能执行 improve（诊断 → 改进）：到课率须达到 80%（不成立）"
    assert err.guard == "attendance_ok"


def test_missing_data_never_passes_an_expression_guard() -> None:
    with pytest.raises(ExpressionGuardFailed) as info:
        SPIRAL.trigger(
            SubjectState("C02", "diagnosed"),
            "improve",
            GuardContext(gaps={}, values={"attendance_rate": None}),
        )
    assert info.value.missing == ("数据缺失",)
    assert info.value.message.endswith("到课率须达到 80%（数据缺失）")


def test_expression_guard_over_a_population_frame() -> None:
    n = 5
    states = SPIRAL.states_of([SubjectState(f"C{i}", "diagnosed") for i in range(n)])
    frame = Frame(columns={"attendance_rate": np.array([0.9, 0.7, np.nan, 0.8, 0.95])})
    inputs = GuardInputs(
        n=n,
        gap_keys=(),
        gaps_open=np.zeros((n, 0), bool),
        gaps_handled=np.zeros((n, 0), bool),
        frame=frame,
    )
    result = SPIRAL.advance(states, "improve", inputs)
    assert result.moved.tolist() == [True, False, False, True, True]
    assert result.failed_by_guard["attendance_ok"].tolist() == [1, 2]
    assert result.error(2).missing == ("数据缺失",)  # type: ignore[union-attr]
    for i, value in enumerate([0.9, 0.7, None, 0.8, 0.95]):
        context = GuardContext(gaps={}, values={"attendance_rate": value})
        single = SubjectState(f"C{i}", "diagnosed")
        if result.moved[i]:
            assert SPIRAL.trigger(single, "improve", context)[0].state == "improved"
            continue
        with pytest.raises(ExpressionGuardFailed) as info:
            SPIRAL.trigger(single, "improve", context)
        assert str(info.value) == str(result.error(i))


def test_a_bad_expression_fails_when_the_spiral_is_built_naming_the_guard() -> None:
    with pytest.raises(ExpressionError) as info:
        Spiral(loop_with({"expr": "到课率 >= ", "id": "broken"}), catalog=CATALOG)
    assert info.value.where.field == "transitions[5].guards[1]"
    with pytest.raises(ExpressionError) as unknown:
        Spiral(loop_with({"expr": "到课律 >= 0.8", "id": "typo"}), catalog=CATALOG)
    assert unknown.value.where.field == "transitions[5].guards[1]"
    assert "到课率" in str(unknown.value)


def test_expression_guard_reads_subject_attributes(h: Any) -> None:
    spiral = Spiral(
        loop_with({"expr": "level == 'major' and 到课率 > 0.5", "id": "major_only"}),
        catalog=CATALOG,
        attributes={"level": "string"},
    )
    ok = GuardContext(gaps={}, values={"attendance_rate": 0.9, "level": "major"})
    moved, _ = spiral.trigger(SubjectState("M1", "diagnosed"), "improve", ok)
    assert moved.state == "improved"
    with pytest.raises(ExpressionGuardFailed):
        spiral.trigger(
            SubjectState("K1", "diagnosed"),
            "improve",
            GuardContext(gaps={}, values={"attendance_rate": 0.9, "level": "course"}),
        )


def test_expression_guards_are_named_by_their_id_in_diagrams() -> None:
    assert SPIRAL.definition.transitions[5].guards[1].name == "attendance_ok"
    assert "improve（制定改进方案） [gaps_addressed, attendance_ok]" in SPIRAL.diagram()
