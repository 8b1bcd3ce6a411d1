"""A named integer constant may stand where a function wants an integer literal."""

from __future__ import annotations

import numpy as np
import pytest

from zhengai.expr import BadArguments, Expression, Frame, RowContext


def test_a_constant_window_compiles_like_the_literal() -> None:
    named = Expression("increasing(x, 窗口)", constants={"窗口": 3})
    literal = Expression("increasing(x, 3)")
    assert named.history_depth == literal.history_depth == 2
    frame = Frame(
        columns={"x": np.array([3.0, 3.0])},
        history={"x": [np.array([2.0, 3.0]), np.array([1.0, 1.0])]},
    )
    assert named.evaluate_columns(frame).tolist() == literal.evaluate_columns(frame).tolist()
    row, context = RowContext.from_frame(frame, 0)
    assert named.evaluate(row, context) is True


@pytest.mark.parametrize("value", [1, 2.0, True, "3"])
def test_a_constant_window_must_be_an_integer_in_range(value: object) -> None:
    with pytest.raises(BadArguments) as info:
        Expression("increasing(x, 窗口)", constants={"窗口": value})  # type: ignore[dict-item]
    assert info.value.code == "expr.bad_arguments"
    assert info.value.where.column == 15
    assert "increasing() 的参数 n 必须是 2–20 的整数字面量或整数常量" in info.value.message
