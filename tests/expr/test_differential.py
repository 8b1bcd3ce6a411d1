"""Differential tests: row == columns == SQL on SQLite, PostgreSQL and MariaDB.

Hypothesis writes random valid expressions (arithmetic, comparisons, Kleene logic,
conditionals, membership, every kind of library function) and evaluates them on
data with missing values, zero divisors, ties and negative numbers.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Double,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)
from sqlalchemy.engine import Engine

from zhengai.expr import Expression, Frame, RowContext

NAMES = ("x", "y", "z")
LITERALS = ("0", "1", "2", "3", "0.5", "0.1", "0.2", "0.3", "-1", "2.3", "1.8")
VALUES = (-1.0, 0.0, 0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 1.0, 1.8, 2.0, 2.3, 3.0, math.nan, math.nan)
ATTRIBUTES = {"s": "string"}


@st.composite
def numbers(draw: st.DrawFn, depth: int = 3, population: bool = True) -> str:
    """A random number-valued expression."""
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(NAMES + LITERALS))
    sub = numbers(depth - 1, population)
    form = draw(st.integers(0, 13))
    if form == 0:
        op = draw(st.sampled_from(["+", "-", "*", "/", "//", "%"]))
        return f"({draw(sub)} {op} {draw(sub)})"
    if form == 1:
        return f"-{draw(sub)}"
    if form == 2:
        return f"({draw(sub)}) ** {draw(st.sampled_from([0, 2, 3, -1]))}"
    if form == 3:
        fn = draw(st.sampled_from(["abs", "round"]))
        return f"{fn}({draw(sub)})"
    if form == 4:
        fn = draw(st.sampled_from(["min", "max", "ratio", "coalesce"]))
        return f"{fn}({draw(sub)}, {draw(sub)})"
    if form == 5:
        return f"clamp({draw(sub)}, {draw(sub)}, {draw(sub)})"
    if form == 6:
        return f"round({draw(sub)}, {draw(st.integers(0, 2))})"
    if form == 7:
        fn = draw(st.sampled_from(["prev", "delta", "pct_change"]))
        return f"{fn}({draw(sub)}, {draw(st.integers(1, 2))})"
    if form == 8:
        return f"mean_last({draw(sub)}, {draw(st.integers(1, 3))})"
    if form == 9 and population:
        fn = draw(st.sampled_from(["pct_rank", "rank", "zscore", "peer_mean", "peer_median"]))
        return f"{fn}({draw(numbers(depth - 1, population=False))})"
    if form == 10:
        return f"({draw(sub)} if {draw(booleans(depth - 1, population))} else {draw(sub)})"
    if form == 11:
        return draw(st.sampled_from(["target(x)", "attainment(y)", "baseline(z)"]))
    if form == 12:
        return f"max({draw(sub)}, {draw(sub)}, {draw(sub)})"
    return draw(st.sampled_from(NAMES))


@st.composite
def booleans(draw: st.DrawFn, depth: int = 3, population: bool = True) -> str:
    """A random bool-valued expression."""
    num = numbers(max(depth - 1, 0), population)
    if depth <= 0:
        return f"{draw(st.sampled_from(NAMES))} < {draw(st.sampled_from(LITERALS))}"
    form = draw(st.integers(0, 9))
    sub = booleans(depth - 1, population)
    if form <= 2:
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        return f"{draw(num)} {op} {draw(num)}"
    if form == 3:
        op = draw(st.sampled_from(["and", "or"]))
        return f"({draw(sub)} {op} {draw(sub)})"
    if form == 4:
        return f"not {draw(sub)}"
    if form == 5:
        return f"between({draw(num)}, {draw(num)}, {draw(num)})"
    if form == 6:
        fn = draw(st.sampled_from(["has", "is_missing"]))
        return f"{fn}({draw(num)})"
    if form == 7:
        items = draw(st.lists(st.sampled_from(LITERALS), min_size=1, max_size=3))
        neg = draw(st.sampled_from(["in", "not in"]))
        return f"{draw(num)} {neg} ({', '.join(items)},)"
    if form == 8:
        fn = draw(st.sampled_from(["increasing", "decreasing"]))
        return f"{fn}({draw(num)}, {draw(st.integers(2, 3))})"
    choice = draw(st.sampled_from(['s == "u"', 's != "w"', 's in ("u", "w")', 's not in ("w",)']))
    return f"({choice} or {draw(sub)})"


EXPRESSIONS = st.one_of(booleans(), numbers())
#: Examples per database; raise it (e.g. 500) to hunt for disagreements locally.
SQL_EXAMPLES = int(os.environ.get("ZHENGAI_EXPR_SQL_EXAMPLES", "30"))


def make_frame(seed: int, n: int = 14) -> Frame:
    """Data with missing values, zeros, ties, negatives, groups (some keys missing), history."""
    rng = np.random.default_rng(seed)

    def column() -> np.ndarray[Any, np.dtype[np.float64]]:
        return rng.choice(np.array(VALUES), size=n)

    return Frame(
        columns={
            **{name: column() for name in NAMES},
            "s": rng.choice(np.array(["u", "w", "v", None], dtype=object), size=n),
        },
        history={name: [column(), column()] for name in NAMES},
        partition=rng.choice(np.array(["a", "b", "c", "c", None], dtype=object), size=n),
        goals={
            "target": {name: column() for name in NAMES},
            "baseline": {name: column() for name in NAMES},
        },
    )


def same(a: Any, b: Any) -> bool:
    """Equal results: None for missing on both sides, numbers up to rounding noise."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b) and isinstance(a, bool | int) and isinstance(b, bool | int)
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def row_results(expr: Expression, frame: Frame) -> list[Any]:
    out = []
    for i in range(len(frame)):
        row, ctx = RowContext.from_frame(frame, i)
        out.append(expr.evaluate(row, ctx))
    return out


def column_results(expr: Expression, frame: Frame) -> list[Any]:
    result = expr.evaluate_columns(frame)
    return [
        None if m else v for v, m in zip(result.data.tolist(), result.mask.tolist(), strict=True)
    ]


@settings(max_examples=150, deadline=None)
@given(EXPRESSIONS, st.integers(0, 2**32 - 1))
def test_row_equals_columns(text: str, seed: int) -> None:
    expr = Expression(text, attributes=ATTRIBUTES)
    frame = make_frame(seed)
    rows, columns = row_results(expr, frame), column_results(expr, frame)
    assert all(same(r, c) for r, c in zip(rows, columns, strict=True)), (text, rows, columns)


# --- SQL ------------------------------------------------------------------------------------


def build_table(url: str, frame: Frame) -> tuple[Engine, Table]:
    engine = create_engine(url)
    metadata = MetaData()
    floats = [
        *NAMES,
        *(f"{n}_{k}" for n in NAMES for k in (1, 2)),
        *(f"{kind}_{n}" for kind in ("target", "baseline") for n in NAMES),
    ]
    table = Table(
        "frame",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("grp", String(8)),
        Column("s", String(8)),
        *(Column(name, Double) for name in floats),
    )
    metadata.create_all(engine)

    def value(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return v.item() if isinstance(v, np.generic) else v

    rows = []
    for i in range(len(frame)):
        row: dict[str, Any] = {"id": i, "grp": value(frame.partition[i])}  # type: ignore[index]
        row["s"] = value(frame.columns["s"][i])
        for name in NAMES:
            row[name] = value(frame.columns[name][i])
            for k in (1, 2):
                row[f"{name}_{k}"] = value(frame.history[name][k - 1][i])
            for kind in ("target", "baseline"):
                row[f"{kind}_{name}"] = value(frame.goals[kind][name][i])
        rows.append(row)
    with engine.begin() as conn:
        conn.execute(insert(table), rows)
    return engine, table


def sql_results(expr: Expression, engine: Engine, table: Table) -> list[Any]:
    c = table.c
    column = expr.to_sql(
        {**{n: c[n] for n in NAMES}, "s": c.s},
        history={n: [c[f"{n}_1"], c[f"{n}_2"]] for n in NAMES},
        goals={kind: {n: c[f"{kind}_{n}"] for n in NAMES} for kind in ("target", "baseline")},
        partition_by=c.grp,
    )
    with engine.connect() as conn:
        return [r.v for r in conn.execute(select(c.id, column.label("v")).order_by(c.id))]


@pytest.mark.db
def test_sql_equals_row_and_columns(db_url: str) -> None:
    frame = make_frame(20261122)
    engine, table = build_table(db_url, frame)

    @settings(
        max_examples=SQL_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(EXPRESSIONS)
    def check(text: str) -> None:
        expr = Expression(text, attributes=ATTRIBUTES)
        rows, sql = row_results(expr, frame), sql_results(expr, engine, table)
        assert all(same(r, s) for r, s in zip(rows, sql, strict=True)), (text, rows, sql)

    try:
        check()
    finally:
        engine.dispose()


FIXED = [
    "gpa_prev - gpa >= 0.5",
    "x - y >= 0.5",
    "x / y",
    "x // y + x % y",
    "round(x / 3, 2)",
    "pct_rank(x)",
    "rank(x - y)",
    "zscore(x)",
    "peer_mean(x) - x",
    "peer_median(x)",
    "peer_median(prev(x) + y)",
    "min(x, y, 1)",
    "clamp(x, 0, 1.5)",
    "coalesce(y, x, 0)",
    "increasing(x, 3) or decreasing(y, 3)",
    "x if y > 1 else 0",
    's == "u" or x > 1',
    "x in (1, 2.3) and y not in (0, 0.3)",
    "attainment(x) < 0.9",
    "x ** -2 + y ** 3",
    "not (x > 1 and y < 2)",
    "(x < 1) == (y < 1)",
    "pct_change(x, 2) <= -0.5",
    "mean_last(x, 3) < 1",
    's == "U" or s in ("W", "v ")',
    's != "U"',
    "x / pct_rank(y)",
    "1 if pct_rank(x) > 0.5 else 0",
    "zscore(x) if peer_mean(y) > 1 else x",
    "max(zscore(x), peer_median(y)) + min(rank(x), 3)",
    "clamp(x, pct_rank(x), x)",
    "x // peer_mean(y) + round(zscore(y), 1)",
    "peer_mean(x) + peer_median(y) + peer_median(x) + rank(x) + pct_rank(y)",
    "coalesce(x > 1, y > 1, False)",
    "has(x > y) and is_missing(z) or (x > 1) == (y > 1)",
    "coalesce(x, y, z, -1) * 2 if not (z < 0) else round(-z, 1)",
]


@pytest.mark.db
def test_fixed_expressions_agree_in_sql(db_url: str) -> None:
    base = make_frame(7)
    keys = np.asarray(base.partition, dtype=object)
    keys[::5] = None  # subjects without a group key form a group of their own
    frame = Frame(base.columns, base.history, keys, base.goals)
    frame.columns["gpa_prev"] = np.where(np.isnan(frame.columns["x"]), np.nan, 2.3)  # type: ignore[index]
    frame.columns["gpa"] = np.full(len(frame), 1.8)  # type: ignore[index]
    engine, table = build_table(db_url, frame)
    try:
        for text in FIXED:
            expr = Expression(
                text.replace("gpa_prev", "(x * 0 + 2.3)").replace("gpa", "1.8"),
                attributes=ATTRIBUTES,
            )
            rows = row_results(expr, frame)
            columns = column_results(expr, frame)
            sql = sql_results(expr, engine, table)
            for r, c, s in zip(rows, columns, sql, strict=True):
                assert same(r, c), (text, rows, columns)
                assert same(r, s), (text, rows, sql)
    finally:
        engine.dispose()


@pytest.mark.db
def test_lag_mode_history_over_long_rows(db_url: str) -> None:
    """Without history columns, history becomes LAG over the period order per subject."""
    engine = create_engine(db_url)
    metadata = MetaData()
    table = Table(
        "obs",
        metadata,
        Column("subject", String(8)),
        Column("period", Integer),
        Column("x", Double),
    )
    metadata.create_all(engine)
    data = {"s1": [0.5, 0.7, 0.9], "s2": [0.9, 0.8, None], "s3": [1.8, 2.3, 2.3]}
    with engine.begin() as conn:
        conn.execute(
            insert(table),
            [
                {"subject": s, "period": p, "x": v}
                for s, values in data.items()
                for p, v in enumerate(values)
            ],
        )
    expr = Expression("increasing(x, 3) or prev(x, 1) - prev(x, 2) >= 0.5")
    c = table.c
    inner = select(
        c.subject,
        c.period,
        expr.to_sql({"x": c.x}, subject=c.subject, order_by=c.period).label("v"),
    ).subquery()
    query = select(inner.c.subject, inner.c.v).where(inner.c.period == 2).order_by(inner.c.subject)
    try:
        with engine.connect() as conn:
            got = [r.v for r in conn.execute(query)]
    finally:
        engine.dispose()
    frame = Frame(
        columns={"x": np.array([0.9, np.nan, 2.3])},
        history={"x": [np.array([0.7, 0.8, 2.3]), np.array([0.5, 0.9, 1.8])]},
    )
    expected = row_results(expr, frame)
    assert expected == [True, False, True]
    assert [None if v is None else bool(v) for v in got] == expected
