"""The SQL backend's contract: where values come from, bound literals, refused cases."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Double, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import mysql, postgresql, sqlite

from zhengai.expr import Expression, SqlUnsupported

METADATA = MetaData()
T = Table(
    "t",
    METADATA,
    Column("id", Integer),
    Column("grp", String(8)),
    Column("x", Double),
    Column("x_1", Double),
    Column("period", Integer),
)
U = Table("u", METADATA, Column("y", Double))


def sql(expression: Expression, dialect: object = None, **kwargs: object) -> str:
    column = expression.to_sql({"x": T.c.x, "y": U.c.y}, **kwargs)  # type: ignore[arg-type]
    return str(select(column).compile(dialect=dialect or sqlite.dialect()))


def test_literals_are_bound_parameters() -> None:
    text = sql(Expression("x < 0.9 and x in (1, 2)"))
    assert "0.9" not in text
    assert "?" in text


def test_a_name_without_a_column_is_refused() -> None:
    with pytest.raises(SqlUnsupported) as info:
        Expression("z > 1").to_sql({"x": T.c.x})
    assert info.value.code == "expr.sql_unsupported"
    assert "'z'" in info.value.message


def test_history_needs_columns_or_a_period_order() -> None:
    with pytest.raises(SqlUnsupported):
        sql(Expression("prev(x) > 1"))
    assert "x_1" in sql(Expression("prev(x) > 1"), history={"x": [T.c.x_1]})
    lagged = sql(Expression("prev(x) > 1"), subject=T.c.id, order_by=T.c.period)
    assert "lag(t.x, ?) OVER (PARTITION BY t.id ORDER BY t.period)" in lagged
    # Beyond the history given, a period is missing (NULL), as in the other backends.
    assert "NULL" in sql(Expression("prev(x, 2) > 1"), history={"x": [T.c.x_1]})


def test_population_over_lag_is_refused_window_functions_do_not_nest() -> None:
    with pytest.raises(SqlUnsupported):
        sql(Expression("pct_rank(prev(x)) > 0.5"), subject=T.c.id, order_by=T.c.period)


def test_population_functions_partition_by_the_group() -> None:
    text = sql(Expression("pct_rank(x) < 0.1"), partition_by=T.c.grp)
    assert "percent_rank() OVER (PARTITION BY t.grp" in text


def test_peer_median_is_spelled_per_database() -> None:
    expr = Expression("peer_median(x)")
    assert "median(t.x) OVER (PARTITION BY t.grp, 1)" in sql(
        expr, mysql.dialect(), partition_by=T.c.grp
    )
    assert "percentile_cont" in sql(expr, postgresql.dialect(), partition_by=T.c.grp)
    assert "count" in sql(expr, sqlite.dialect(), partition_by=T.c.grp)
    with pytest.raises(SqlUnsupported):
        sql(Expression("peer_median(x + y)"), sqlite.dialect())


def test_goals_need_goal_columns() -> None:
    with pytest.raises(SqlUnsupported):
        sql(Expression("x < target(x)"))
    assert "t.x_1" in sql(Expression("x < target(x)"), goals={"target": {"x": T.c.x_1}})
