"""What expressions mean: decimal-faithful numbers, missing data, every function."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengai.expr import (
    DECIMALS,
    FUNCTIONS,
    Expression,
    Frame,
    MissingContext,
    RowContext,
)
from zhengai.model import Indicator, IndicatorCatalog


def both(text: str, frame: Frame, **kwargs: Any) -> list[Any]:
    """Evaluate every row of ``frame`` in row mode and in column mode; assert they agree."""
    expr = Expression(text, **kwargs)
    columns = expr.evaluate_columns(frame)
    rows = []
    for i in range(len(frame)):
        row, ctx = RowContext.from_frame(frame, i)
        rows.append(expr.evaluate(row, ctx))
    as_list = [
        None if m else v for v, m in zip(columns.data.tolist(), columns.mask.tolist(), strict=True)
    ]
    for r, c in zip(rows, as_list, strict=True):
        if isinstance(r, float) and isinstance(c, float):
            assert math.isclose(r, c, rel_tol=1e-9, abs_tol=1e-9), (text, rows, as_list)
        else:
            assert r == c, (text, rows, as_list)
    return rows


def one(text: str, **values: Any) -> Any:
    frame = Frame(columns={k: np.array([v], dtype=float) for k, v in values.items()})
    return both(text, frame)[0]


# --- numbers as a person reads them --------------------------------------------------------

PAIRS = [
    (2.3, 1.8, 0.5),
    (0.3, 0.1, 0.2),
    (1.1, 0.2, 0.9),
    (4.35, 3.85, 0.5),
    (3.3, 2.2, 1.1),
    (0.7, 0.6, 0.1),
    (100.3, 99.8, 0.5),
    (2.675, 2.175, 0.5),
    (1.0, 0.9, 0.1),
    (5.6, 5.1, 0.5),
]


@pytest.mark.parametrize(("a", "b", "c"), PAIRS)
def test_differences_compare_as_decimals(a: float, b: float, c: float) -> None:
    values = {"gpa_prev": a, "gpa": b, "c": c}
    assert one("gpa_prev - gpa >= c", **values) is True
    assert one("gpa_prev - gpa <= c", **values) is True
    assert one("gpa_prev - gpa == c", **values) is True
    assert one("gpa_prev - gpa > c", **values) is False
    assert one("gpa_prev - gpa < c", **values) is False
    assert one("gpa_prev - gpa != c", **values) is False
    assert Expression(f"gpa_prev - gpa in ({c}, 7)").evaluate(values) is True


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-99999, 99999),
    st.integers(-99999, 99999),
    st.integers(-99999, 99999),
    st.sampled_from(["<", "<=", "==", "!=", ">", ">="]),
)
def test_many_decimal_pairs(a: int, b: int, c: int, op: str) -> None:
    """a, b, c with two decimals: the float engine agrees with exact decimal arithmetic."""
    da, db, dc = (Decimal(v) / 100 for v in (a, b, c))
    truth = {
        "<": da - db < dc,
        "<=": da - db <= dc,
        "==": da - db == dc,
        "!=": da - db != dc,
        ">": da - db > dc,
        ">=": da - db >= dc,
    }[op]
    assert one(f"a - b {op} c", a=a / 100, b=b / 100, c=c / 100) is truth
    assert one(f"a {op} b + c", a=a / 100, b=b / 100, c=c / 100) is truth


def test_decimals_is_a_named_constant() -> None:
    assert DECIMALS == 9
    assert one("a == b", a=1.0, b=1.0 + 10.0 ** -(DECIMALS + 1)) is True
    assert one("a == b", a=1.0, b=1.0 + 10.0 ** -(DECIMALS - 1)) is False


def test_round_is_half_away_from_zero_and_decimal_faithful() -> None:
    assert one("round(x, 2)", x=2.675) == 2.68
    assert one("round(x)", x=2.5) == 3
    assert one("round(x)", x=-2.5) == -3
    assert one("round(x, 1)", x=0.25) == 0.3
    assert one("round(x, 1)", x=-1.04) == -1.0


def test_floor_division_and_modulo_are_decimal_faithful() -> None:
    assert one("a // b", a=1.0, b=0.1) == 10
    assert one("a % b", a=0.3, b=0.1) == pytest.approx(0.0, abs=1e-12)
    assert one("a % b", a=-7, b=3) == 2  # Python's sign convention
    assert one("a // b", a=-7, b=2) == -4


def test_powers_are_repeated_multiplication() -> None:
    assert one("x ** 2", x=3) == 9
    assert one("x ** -2", x=2) == 0.25
    assert one("x ** 0", x=5) == 1
    assert one("x ** -1", x=0) is None


# --- missing data ----------------------------------------------------------------------------

KLEENE_AND = {
    (True, True): True,
    (True, False): False,
    (True, None): None,
    (False, None): False,
    (None, False): False,
    (None, None): None,
    (False, False): False,
}
KLEENE_OR = {
    (True, None): True,
    (None, True): True,
    (False, None): None,
    (False, False): False,
    (None, None): None,
    (False, True): True,
}


def _flag(value: bool | None) -> float:
    return math.nan if value is None else (1.0 if value else 0.0)


@pytest.mark.parametrize(("pair", "expected"), KLEENE_AND.items())
def test_and_is_kleene(pair: tuple[bool | None, bool | None], expected: bool | None) -> None:
    assert one("a > 0.5 and b > 0.5", a=_flag(pair[0]), b=_flag(pair[1])) is expected


@pytest.mark.parametrize(("pair", "expected"), KLEENE_OR.items())
def test_or_is_kleene(pair: tuple[bool | None, bool | None], expected: bool | None) -> None:
    assert one("a > 0.5 or b > 0.5", a=_flag(pair[0]), b=_flag(pair[1])) is expected


def test_not_and_conditionals_with_missing() -> None:
    assert one("not a > 1", a=math.nan) is None
    assert one("1 if a > 1 else 2", a=math.nan) is None
    assert one("1 if a > 1 else 2", a=3) == 1
    assert one("a if b > 0 else 0", a=math.nan, b=1) is None


@pytest.mark.parametrize(
    "text", ["a + b", "a - b", "a * b", "a / b", "-a + b", "a < b", "a == b", "a in (1, 2)"]
)
def test_arithmetic_and_comparison_with_missing_is_missing(text: str) -> None:
    assert one(text, a=math.nan, b=1.0) is None


@pytest.mark.parametrize("text", ["a / b", "a // b", "a % b", "ratio(a, b)", "pct_change(a)"])
def test_division_by_zero_is_missing(text: str) -> None:
    frame = Frame(
        columns={"a": np.array([3.0]), "b": np.array([0.0])}, history={"a": [np.zeros(1)]}
    )
    assert both(text, frame) == [None]


def test_missing_names_are_missing_and_explicit_handling() -> None:
    expr = Expression("coalesce(absences, 0) >= 2 or is_missing(gpa)")
    assert expr.evaluate({"absences": None, "gpa": 3.0}) is False
    assert expr.evaluate({"absences": 3, "gpa": 3.0}) is True
    assert expr.evaluate({"absences": 0}) is True
    assert Expression("has(gpa)").evaluate({"gpa": float("nan")}) is False
    assert Expression("gpa < 2").evaluate({}) is None


# --- scalar functions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("abs(x)", {"x": -2.5}, 2.5),
        ("min(x, y)", {"x": 1, "y": 2}, 1),
        ("min(x, y, 0)", {"x": 1, "y": 2}, 0),
        ("max(x, y, 5)", {"x": 1, "y": 7}, 7),
        ("max(x, y)", {"x": 1, "y": math.nan}, None),
        ("clamp(x, 0, 1)", {"x": 1.7}, 1),
        ("clamp(x, 0, 1)", {"x": -0.2}, 0),
        ("clamp(x, 0, 1)", {"x": 0.4}, 0.4),
        ("between(x, 0.6, 0.9)", {"x": 0.9}, True),
        ("between(x, 0.6, 0.9)", {"x": 0.95}, False),
        ("between(x, 0.6, 0.9)", {"x": math.nan}, None),
        ("ratio(x, y)", {"x": 1, "y": 4}, 0.25),
        ("coalesce(x, y, 3)", {"x": math.nan, "y": math.nan}, 3),
        ("coalesce(x, y)", {"x": math.nan, "y": 2}, 2),
        ("has(x)", {"x": 0.0}, True),
        ("is_missing(x)", {"x": math.nan}, True),
        ("round(x / 3, 2)", {"x": 2}, 0.67),
    ],
)
def test_scalar_functions(text: str, values: dict[str, float], expected: object) -> None:
    assert one(text, **values) == expected


def test_keyword_arguments() -> None:
    assert one("round(x, digits=1)", x=1.26) == 1.3
    assert one("clamp(hi=1, lo=0, x=x)", x=2) == 1


# --- history ----------------------------------------------------------------------------------


def _history_frame() -> Frame:
    # rows: increasing, decreasing, flat, with a gap, and a zero base
    return Frame(
        columns={"x": np.array([0.9, 0.5, 0.7, 0.8, 0.4])},
        history={
            "x": [
                np.array([0.8, 0.6, 0.7, math.nan, 0.0]),
                np.array([0.7, 0.7, 0.7, 0.6, 0.2]),
            ]
        },
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prev(x)", [0.8, 0.6, 0.7, None, 0.0]),
        ("prev(x, 2)", [0.7, 0.7, 0.7, 0.6, 0.2]),
        ("prev(x, n=3)", [None] * 5),
        ("delta(x)", [0.1, -0.1, 0.0, None, 0.4]),
        ("delta(x, 2) >= 0.2", [True, False, False, True, True]),
        ("pct_change(x) <= -1 / 6", [False, True, False, None, None]),
        ("mean_last(x, 3)", [0.8, 0.6, 0.7, None, 0.2]),
        ("increasing(x, 3)", [True, False, False, None, False]),
        ("decreasing(x, 3)", [False, True, False, None, False]),
        ("increasing(x, 2)", [True, False, False, None, True]),
        ("prev(x - 0.1)", [0.7, 0.5, 0.6, None, -0.1]),
        ("prev(prev(x))", [0.7, 0.7, 0.7, 0.6, 0.2]),
    ],
)
def test_history_functions(text: str, expected: list[object]) -> None:
    got = both(text, _history_frame())
    for g, e in zip(got, expected, strict=True):
        if isinstance(e, float):
            assert g == pytest.approx(e)
        else:
            assert g is e or g == e


def test_history_needs_a_context_in_row_mode() -> None:
    with pytest.raises(MissingContext) as info:
        Expression("prev(x) > 1").evaluate({"x": 1})
    assert info.value.code == "expr.missing_context"


# --- population ---------------------------------------------------------------------------


def _population() -> Frame:
    return Frame(
        columns={"x": np.array([1.0, 2.0, 2.0, 3.0, math.nan, 5.0, 5.0, -1.0])},
        partition=np.array(["a", "a", "a", "a", "a", "b", "b", "b"]),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pct_rank(x)", [0, 1 / 3, 1 / 3, 1, None, 0.5, 0.5, 0]),
        ("rank(x)", [4, 2, 2, 1, None, 1, 1, 3]),
        ("peer_mean(x)", [2, 2, 2, 2, 2, 3, 3, 3]),
        ("peer_median(x)", [2, 2, 2, 2, 2, 5, 5, 5]),
        (
            "zscore(x)",
            [-(2**0.5), 0, 0, 2**0.5, None, *[2 / math.sqrt(8)] * 2, -4 / math.sqrt(8)],
        ),
        ("x >= peer_mean(x) + 1", [False, False, False, True, None, True, True, False]),
    ],
)
def test_population_functions_partition_and_ignore_missing(
    text: str, expected: list[float | None]
) -> None:
    got = both(text, _population())
    for g, e in zip(got, expected, strict=True):
        assert (g is None) == (e is None), (text, got)
        if e is not None:
            assert g == pytest.approx(e)


def test_population_without_partition_is_the_whole_population() -> None:
    frame = Frame(columns={"x": np.array([4.0, 1.0, 3.0, 2.0])})
    assert both("pct_rank(x)", frame) == pytest.approx([1, 0, 2 / 3, 1 / 3])
    assert both("peer_median(x)", frame) == pytest.approx([2.5] * 4)


def test_zscore_without_spread_is_missing() -> None:
    frame = Frame(columns={"x": np.array([0.1, 0.1, 0.1])})
    assert both("zscore(x)", frame) == [None, None, None]


def test_population_needs_a_population_in_row_mode() -> None:
    with pytest.raises(MissingContext):
        Expression("pct_rank(x) < 0.1").evaluate({"x": 1}, RowContext())


# --- goals --------------------------------------------------------------------------------


def test_goals_and_direction_aware_attainment() -> None:
    catalog = IndicatorCatalog(
        [
            Indicator(id="employment", name="就业率"),
            Indicator(id="complaints", name="投诉次数", direction="lower_better"),
        ]
    )
    frame = Frame(
        columns={"employment": np.array([0.81, 0.95]), "complaints": np.array([4.0, 0.0])},
        goals={
            "target": {"employment": np.array([0.9, 0.9]), "complaints": np.array([2.0, 2.0])},
            "baseline": {"employment": np.array([0.8, math.nan])},
        },
    )
    assert both("attainment(就业率)", frame, catalog=catalog) == pytest.approx([0.9, 0.95 / 0.9])
    assert both("attainment(投诉次数)", frame, catalog=catalog) == [0.5, None]
    assert both("就业率 < target(就业率)", frame, catalog=catalog) == [True, False]
    assert both("就业率 >= baseline(就业率)", frame, catalog=catalog) == [True, None]


# --- attributes and strings ------------------------------------------------------------------


def test_attributes_strings_and_membership() -> None:
    frame = Frame(
        columns={
            "level": np.array(["student", "student", "teacher", None], dtype=object),
            "major": np.array(["A", "C", "A", "A"], dtype=object),
        }
    )
    attrs = {"level": "string", "major": "string"}
    got = both('level == "student" and major in ("A", "B")', frame, attributes=attrs)
    assert got == [True, False, False, None]
    assert both('major not in ("A",)', frame, attributes=attrs) == [False, True, False, False]
    assert both('level != "student"', frame, attributes=["level"]) == [False, False, True, None]
    assert both('coalesce(level, "none")', frame, attributes=attrs) == [
        "student",
        "student",
        "teacher",
        "none",
    ]


def test_pandas_dataframe_input() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"x": [1.0, None, 3.0], "s": ["a", "b", None]})
    result = Expression('x > 2 or s == "b"', attributes={"s": "string"}).evaluate_columns(df)
    assert result.tolist() == [False, True, True]
    assert result.dtype == np.bool_


def test_result_is_a_masked_array_with_missing_masked() -> None:
    result = Expression("a / b").evaluate_columns(
        {"a": np.array([1.0, 2.0]), "b": np.array([2.0, 0.0])}
    )
    assert isinstance(result, np.ma.MaskedArray)
    assert result.mask.tolist() == [False, True]
    assert result[0] == 0.5


def test_missing_column_is_all_missing() -> None:
    result = Expression("a > 1").evaluate_columns({"b": np.array([1.0, 2.0])})
    assert result.mask.tolist() == [True, True]


def test_every_builtin_function_is_documented_with_an_example() -> None:
    for name, function in FUNCTIONS.items():
        assert function.doc, name
        assert function.example, name
        assert name in function.example


def test_expressions_pickle_by_recompiling() -> None:
    import pickle

    expr = Expression("gpa < limit and level == 'x'", attributes=["level"], constants={"limit": 2})
    clone = pickle.loads(pickle.dumps(expr))
    assert clone.text == expr.text
    assert clone.names == ("gpa", "level")
    assert clone.evaluate({"gpa": 1.0, "level": "x"}) is True


def test_numpy_scalars_in_rows_give_python_values() -> None:
    result = Expression("x < 1").evaluate({"x": np.float64(0.5)})
    assert result is True
    assert Expression("x * 2").evaluate({"x": np.float64(0.5)}) == 1.0
    assert Expression("x * 2").evaluate({"x": np.float64("nan")}) is None


def test_frame_from_long_pivots_observations() -> None:
    frame = Frame.from_long(
        ["s1", "s2", "s1", "s3", "s2", "s2"],
        ["gpa", "gpa", "attendance", "attendance", "attendance", "gpa"],
        [2.0, 3.0, 0.9, 0.8, 0.7, 3.5],
    )
    assert frame.index is not None
    assert frame.index.tolist() == ["s1", "s2", "s3"]
    assert np.allclose(frame.columns["gpa"], [2.0, 3.5, np.nan], equal_nan=True)
    assert np.allclose(frame.columns["attendance"], [0.9, 0.7, 0.8])
    chosen = Frame.from_long(["s1", "s9"], ["gpa", "gpa"], [1.0, 2.0], subjects=["s2", "s1"])
    assert chosen.columns["gpa"].tolist()[1] == 1.0
    assert math.isnan(chosen.columns["gpa"][0])
    assert len(chosen) == 2


def test_register_function_adds_all_backends_in_one_place() -> None:
    from sqlalchemy import case, column, func, select
    from sqlalchemy.dialects import sqlite

    from zhengai.expr import Function, Param, register_function

    register_function(
        Function(
            "sqrt_",
            (Param("x"),),
            "number",
            "平方根; missing for negative x.",
            "sqrt_(variance) > 2",
            row=lambda x: None if x is None or x < 0 else x**0.5,
            columns=lambda x: np.sqrt(np.where(x < 0, np.nan, x)),
            sql=lambda x: func.sqrt(case((x >= 0, x))),
        ),
        replace=True,
    )
    frame = Frame(columns={"v": np.array([4.0, -1.0, np.nan])})
    assert both("sqrt_(v) > 1", frame) == [True, None, None]
    sql = Expression("sqrt_(v)").to_sql({"v": column("v")})
    assert "sqrt(CASE WHEN" in str(select(sql).compile(dialect=sqlite.dialect()))
    with pytest.raises(ValueError, match="registered already"):
        register_function(FUNCTIONS["abs"])


def test_frame_from_long_without_pandas_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pandas(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pandas":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    frame = Frame.from_long(["b", "a", "b"], ["x", "x", "y"], [1.0, 2.0, 3.0], subjects=["a", "b"])
    assert frame.columns["x"].tolist() == [2.0, 1.0]
    assert np.isnan(frame.columns["y"][0])


def test_history_depth_and_population_flags() -> None:
    assert Expression("x < 1").history_depth == 0
    assert Expression("delta(x, 2) < 0").history_depth == 2
    assert Expression("prev(mean_last(x, 3), 2) > 0").history_depth == 4
    assert Expression("increasing(x, 3)").history_depth == 2
    assert Expression("prev(x) > 1 or level == 'a'", attributes=["level"]).history_depth == 1
    assert Expression("pct_rank(x) < 0.1").uses_population is True
    assert Expression("x < 1").uses_population is False


def test_row_contexts_of_one_frame_share_population_statistics() -> None:
    frame = _population()
    expr = Expression("pct_rank(x)")
    first_row, first = RowContext.from_frame(frame, 0)
    expr.evaluate(first_row, first)
    row, other = RowContext.from_frame(frame, 5)
    assert other._cache is first._cache
    assert expr.evaluate(row, other) == 0.5  # group b, not group a's statistics


def test_context_by_keyword_and_bool_attributes() -> None:
    frame = Frame(
        columns={
            "x": np.array([1.0, 2.0, 3.0]),
            "active": np.array([True, False, True]),
        },
        history={"x": [np.array([0.0, 2.0, np.nan])]},
    )
    expr = Expression("active and delta(x) > 0.5 or not active", attributes={"active": "bool"})
    row, ctx = RowContext.from_frame(frame, 0)
    assert expr.evaluate(row, context=ctx) is True
    assert both(
        "active and delta(x) > 0.5 or not active", frame, attributes={"active": "bool"}
    ) == [
        True,
        True,
        None,
    ]


def test_huge_values_do_not_raise() -> None:
    assert one("a // b", a=1e308, b=1e-5) == math.inf
    assert one("a // b", a=1e308, b=1e-300) is None  # the divisor rounds to 0
    assert one("round(a * 10, 2)", a=1e308) == math.inf


def test_text_where_a_number_is_read_is_a_bad_value() -> None:
    from zhengai.expr import BadValue

    with pytest.raises(BadValue) as info:
        Expression("x < 1").evaluate({"x": "abc"})
    assert info.value.code == "expr.bad_value"
    assert info.value.message.startswith("数据类型错误 (a value of the wrong type in the data)")
    with pytest.raises(BadValue):
        Expression("x < 1").evaluate_columns({"x": np.array(["abc", 1.0], dtype=object)})


def test_subjects_without_a_group_key_form_a_group_of_their_own() -> None:
    frame = Frame(
        columns={"x": np.array([1.0, 2.0, 3.0, 10.0, 20.0])},
        partition=np.array(["a", "a", None, None, "a"], dtype=object),
    )
    assert both("peer_mean(x)", frame) == pytest.approx([23 / 3, 23 / 3, 6.5, 6.5, 23 / 3])
    assert both("rank(x)", frame) == [3, 2, 2, 1, 1]
