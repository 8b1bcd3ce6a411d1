"""Static checks, limits and hostile input: rejected at compile time, with nothing executed."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengai.errors import ExpressionError, Where
from zhengai.expr import (
    MAX_DEPTH,
    MAX_LIST_LENGTH,
    MAX_NODES,
    MAX_SOURCE_LENGTH,
    MAX_STRING_LENGTH,
    BadArguments,
    BadExponent,
    BadLiteral,
    Expression,
    ExpressionSyntaxError,
    ExpressionTypeError,
    ForbiddenConstruct,
    ListTooLong,
    NestedWindow,
    StringTooLong,
    TooDeep,
    TooLong,
    TooManyNodes,
    UnknownFunction,
    UnknownName,
)
from zhengai.model import Indicator, IndicatorCatalog

CATALOG = IndicatorCatalog(
    [
        Indicator(id="attendance_rate", name="到课率", aliases=("出勤率",)),
        Indicator(id="gpa", name="平均学分绩点"),
        Indicator(id="complaints", name="投诉次数", direction="lower_better"),
    ]
)


def _error(text: str, **kwargs: object) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        Expression(text, **kwargs)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("text", "cls", "column"),
    [
        ("a <", ExpressionSyntaxError, 1),
        ("a.b < 1", ForbiddenConstruct, 1),
        ("x[0] > 1", ForbiddenConstruct, 1),
        ("x < 1 and (lambda: 1)()", ForbiddenConstruct, 12),
        ("[y for y in z]", ForbiddenConstruct, 1),
        ('f"{x}" == "a"', ForbiddenConstruct, 1),
        ("(y := 3) > 1", ForbiddenConstruct, 2),
        ("max(*xs)", ForbiddenConstruct, 5),
        ("abs(**kw)", ForbiddenConstruct, 5),
        ("{1: 2}", ForbiddenConstruct, 1),
        ("{1, 2}", ForbiddenConstruct, 1),
        ("x ** y", BadExponent, 6),
        ("x ** 11", BadExponent, 6),
        ("x ** 0.5", BadExponent, 6),
        ("2 ** 3 ** 4", BadExponent, 6),
        ("b'x' == b'x'", BadLiteral, 1),
        ("1j > 0", BadLiteral, 1),
        ("x < 1e999", BadLiteral, 5),
        ("x + 1 if y else 2", ExpressionTypeError, 10),
        ('x < "a"', ExpressionTypeError, 5),
        ("x and y", ExpressionTypeError, 1),
        ("not x", ExpressionTypeError, 5),
        ('"a" * 1000000', ExpressionTypeError, 1),
        ("x == None", ExpressionTypeError, 6),
        ("x in y", ExpressionTypeError, 6),
        ("x in ()", ExpressionTypeError, 6),
        ('x in (1, "a")', ExpressionTypeError, 6),
        ("x in (1, y)", ExpressionTypeError, 10),
        ("(x, y)", ExpressionTypeError, 1),
        ('coalesce(x, "a")', ExpressionTypeError, 1),
        ("sqrtt(x)", UnknownFunction, 1),
        ("prev(x, n=0)", BadArguments, 11),
        ("prev(x, k=1)", BadArguments, 9),
        ("prev(x, y)", BadArguments, 9),
        ("clamp(x, 1)", BadArguments, 1),
        ("abs(x, 1)", BadArguments, 8),
        ("abs(x, x=1)", BadArguments, 8),
        ("pct_rank(x - peer_mean(x))", NestedWindow, 1),
        ("x + ~y", ForbiddenConstruct, 5),
        ("x @ y", ForbiddenConstruct, 1),
        ("x << 2", ForbiddenConstruct, 1),
        ("x is None", ForbiddenConstruct, 1),
    ],
)
def test_static_checks_raise_their_class_with_the_column(
    text: str, cls: type[ExpressionError], column: int
) -> None:
    error = _error(text)
    assert type(error) is cls
    assert error.code == cls.code
    assert error.code.startswith("expr.")
    assert error.where == Where(column=column)


def test_codes_are_distinct_per_check() -> None:
    classes = [
        ExpressionSyntaxError,
        ForbiddenConstruct,
        UnknownName,
        UnknownFunction,
        BadArguments,
        ExpressionTypeError,
        BadExponent,
        BadLiteral,
        TooLong,
        TooDeep,
        TooManyNodes,
        StringTooLong,
        ListTooLong,
        NestedWindow,
    ]
    assert len({c.code for c in classes}) == len(classes)


def test_unknown_name_suggests_from_catalog_attributes_and_constants() -> None:
    error = _error("到课律 < 0.9", catalog=CATALOG)
    assert type(error) is UnknownName
    assert error.code == "expr.unknown_name"
    assert error.where == Where(column=1)
    assert error.hint == "did you mean '到课率'?"
    assert str(error) == "column 1: 未知名称 (unknown name '到课律'), did you mean '到课率'?"
    error = _error("levl == 'x'", catalog=CATALOG, attributes=["level"])
    assert error.hint == "did you mean 'level'?"
    error = _error("gpa < treshold", catalog=CATALOG, constants={"threshold": 2})
    assert (error.where, error.hint) == (Where(column=7), "did you mean 'threshold'?")


def test_unknown_function_suggests_a_registered_one() -> None:
    error = _error("pct_rnk(x) < 0.1")
    assert type(error) is UnknownFunction
    assert error.hint == "did you mean 'pct_rank'?"
    assert error.message == "未知函数 (unknown function 'pct_rnk')"


def test_type_error_message_names_the_operand() -> None:
    error = _error("x and y < 1")
    assert (
        error.message
        == "类型错误 (type error): `and` 的操作数 需要布尔 (bool), 得到数值 (number) `x`"
    )


def test_columns_count_characters_not_bytes() -> None:
    error = _error("到课率 < 0.9 and 到课率.real", catalog=CATALOG)
    assert type(error) is ForbiddenConstruct
    assert error.where == Where(column=15)
    error = _error("  到课率 < 0.9 and 平均学分 > 2", catalog=CATALOG)
    assert error.where == Where(column=17)


def test_multiline_errors_name_the_line() -> None:
    error = _error("(x < 1 and\n y.z)")
    assert error.where == Where(line=2, column=2)


# --- limits -------------------------------------------------------------------------------


def test_source_length_is_checked_before_parsing() -> None:
    error = _error("x" * (MAX_SOURCE_LENGTH + 1))
    assert type(error) is TooLong
    assert error.where == Where(column=MAX_SOURCE_LENGTH + 1)
    Expression("x" * MAX_SOURCE_LENGTH)  # exactly at the limit is fine


def test_depth_limit() -> None:
    assert type(_error("-" * 3000 + "x")) is TooDeep
    assert type(_error("1+" * 1500 + "x")) is TooDeep
    assert type(_error("not " * (MAX_DEPTH + 1) + "x < 1")) is TooDeep
    Expression("not " * (MAX_DEPTH - 2) + "x < 1")


def test_node_limit() -> None:
    error = _error("max(" + "x, " * (MAX_NODES + 1) + "x)")
    assert type(error) is TooManyNodes


def test_string_and_list_limits() -> None:
    error = _error('s == "' + "a" * (MAX_STRING_LENGTH + 1) + '"', attributes=["s"])
    assert (type(error), error.where) == (StringTooLong, Where(column=6))
    error = _error("x in (" + "1, " * (MAX_LIST_LENGTH + 1) + ")")
    assert type(error) is ListTooLong


HOSTILE = [
    ("__import__('os').system('echo pwned')", ForbiddenConstruct),
    ("().__class__.__bases__[0].__subclasses__()", ForbiddenConstruct),
    ("__builtins__", ForbiddenConstruct),
    ("_x < 1", ForbiddenConstruct),
    ("func_globals < 1", ForbiddenConstruct),
    ("'{0.__class__}'.format(1)", ForbiddenConstruct),
    ("f'{().__class__}'", ForbiddenConstruct),
    ("(lambda: 1)()", ForbiddenConstruct),
    ("[c for c in ().__class__.__base__.__subclasses__()]", ForbiddenConstruct),
    ("(g for g in ()).gi_frame", ForbiddenConstruct),
    ("eval('1')", UnknownFunction),
    ("exec('1')", UnknownFunction),
    ("open('/etc/passwd')", UnknownFunction),
    ("ｏｐｅｎ('/etc/passwd')", UnknownFunction),  # full-width: NFKC-normalised to open
    ("ｘ.__class__", ForbiddenConstruct),
    ("getattr(x, '__class__')", UnknownFunction),
    ("9 ** 9 ** 9", BadExponent),
    ("10 ** 100000", BadExponent),
    ("'a' * 10 ** 9", ExpressionTypeError),
    ("'a' * 100000", ExpressionTypeError),
    ("-" * 5000 + "1", TooLong),
    ("-" * 3900 + "1", TooDeep),
    ("(" * 300 + "1" + ")" * 300, ExpressionSyntaxError),
    ("x" * 100_000, TooLong),
    ("x < 1\x00", ForbiddenConstruct),
    ("\x00", ForbiddenConstruct),
    ("import os", ExpressionSyntaxError),
    ("x = 1", ExpressionSyntaxError),
    ("x < 1; y", ExpressionSyntaxError),
    ("yield x", ExpressionSyntaxError),
    ("await x", ForbiddenConstruct),
    ("x\u202e < 1", ExpressionSyntaxError),
    ("9" * 3000 + " > x", BadLiteral),
    ("", ExpressionSyntaxError),
    ("   ", ExpressionSyntaxError),
    ("#", ExpressionSyntaxError),
    ("1and x > 1", ExpressionSyntaxError),
    ("x\u200b < 1", ExpressionSyntaxError),  # zero-width space
    ("x < 1\u2028or y < 1", ExpressionSyntaxError),  # line separator
]


@pytest.mark.parametrize(("text", "cls"), HOSTILE)
def test_hostile_input_is_rejected_quickly(text: str, cls: type[ExpressionError]) -> None:
    started = time.perf_counter()
    error = _error(text)
    assert type(error) is cls, (text[:60], error)
    assert time.perf_counter() - started < 0.5


def test_non_text_is_a_syntax_error() -> None:
    assert type(_error(42)) is ExpressionSyntaxError  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_compiling_arbitrary_text_raises_only_expression_errors(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        Expression(text).evaluate({"x": 1.0, "y": 0.0})


_TOKENS = st.sampled_from(
    [
        "x", "y", "到课率", "1", "0.5", "'s'", "None", "True", "(", ")", "[", "]", ",", "+", "-",
        "*", "/", "//", "%", "**", "<", "<=", "==", "!=", " and ", " or ", "not ", " if ",
        " else ", " in ", "abs", "max", "prev", "pct_rank", "coalesce", "=", ".", "__class__",
        "lambda", ":", "n=", "2", "-1", "1e308", "'", '"',
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKENS, max_size=30))
def test_compiling_token_soup_raises_only_expression_errors(tokens: list[str]) -> None:
    with contextlib.suppress(ExpressionError):
        Expression("".join(tokens)).evaluate({"x": 1.0, "y": 0.0, "到课率": None})


def test_catalog_names_resolve_to_ids() -> None:
    a = Expression("到课率 < 0.9", CATALOG)
    b = Expression("attendance_rate < 0.9", CATALOG)
    c = Expression("出勤率 < 0.9", list(CATALOG.values()))
    assert a.names == b.names == c.names == ("attendance_rate",)
    assert a.evaluate({"attendance_rate": 0.82}) is True
    assert c.evaluate({"attendance_rate": 0.95}) is False


def test_names_indicators_and_result_type() -> None:
    expr = Expression(
        'level == "student" and gpa < limit and target(到课率) > 0',
        CATALOG,
        attributes={"level": "string"},
        constants={"limit": 2.0},
    )
    assert expr.names == ("gpa", "level")
    assert expr.indicators == ("attendance_rate", "gpa")
    assert expr.result_type == "bool"
    assert Expression("x * 2").result_type == "number"
    assert Expression("s", attributes={"s": "string"}).result_type == "string"


def test_constants_are_inlined() -> None:
    expr = Expression("gpa < 阈值", constants={"阈值": 2.0})
    assert expr.names == ("gpa",)
    assert expr.evaluate({"gpa": 1.5}) is True


def test_bad_attribute_type_and_constant() -> None:
    with pytest.raises(ExpressionTypeError):
        Expression("x", attributes={"x": "date"})  # type: ignore[dict-item]
    with pytest.raises(ExpressionTypeError):
        Expression("x < c", constants={"c": float("nan")})


def test_homoglyphs_are_unknown_names_with_a_suggestion() -> None:
    error = _error("\u0430ttendance_rate < 0.9", catalog=CATALOG)  # Cyrillic а
    assert type(error) is UnknownName
    assert error.hint == "did you mean 'attendance_rate'?"


def test_nothing_is_executed_while_compiling(tmp_path: object) -> None:
    import os

    marker = os.path.join(str(tmp_path), "pwned")
    for text in (
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w')",
        f"(lambda: __import__('os').system('touch {marker}'))()",
    ):
        with pytest.raises(ExpressionError):
            Expression(text).evaluate({})
    assert not os.path.exists(marker)
