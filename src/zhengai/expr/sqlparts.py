"""SQL constructs whose spelling differs between databases (DESIGN.md §7 overrides).

* ``least``/``greatest`` with SQL-NULL semantics: PostgreSQL's ``LEAST`` skips
  NULLs, so it is wrapped in a ``num_nulls`` check; SQLite spells them
  ``MIN``/``MAX``.
* ``peer_median``: MariaDB has ``MEDIAN() OVER`` (each given a partition list of its
  own: MariaDB 10.11 computes wrong medians when a MEDIAN window shares its
  PARTITION BY with other window functions); PostgreSQL has no median
  window function, so it runs ``percentile_cont`` in a correlated subquery;
  SQLite has neither, so it counts: a value is a median candidate when at least
  half the group is ``<=`` it and at least half is ``>=`` it, and the median is
  the mean of the (one or two distinct) candidates.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Float, String, and_, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseList, ColumnClause
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import iterate

from zhengai.expr.errors import SqlUnsupported

__all__ = ["exact_text", "extreme", "floor", "median_over", "null_number", "to_float"]


class _ExactText(FunctionElement[str]):
    """A string compared byte for byte (MariaDB's default collations ignore case)."""

    type = String()
    inherit_cache = True


@compiles(_ExactText)
def _exact_default(element: _ExactText, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clause_expr.element, **kw)


@compiles(_ExactText, "mysql")
def _exact_mariadb(element: _ExactText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"BINARY {compiler.process(element.clause_expr.element, **kw)}"


def exact_text(x: ColumnElement[Any]) -> ColumnElement[Any]:
    """``x`` for case- and space-sensitive comparison, as in Python, in every database."""
    return _ExactText(x)


class _NullNumber(ColumnElement[float]):
    """A NULL of floating type (PostgreSQL cannot type ``NULL - NULL``)."""

    type = Float()
    inherit_cache = True


@compiles(_NullNumber)
def _null_default(element: _NullNumber, compiler: SQLCompiler, **kw: Any) -> str:
    return "NULL"


@compiles(_NullNumber, "postgresql")
def _null_postgresql(element: _NullNumber, compiler: SQLCompiler, **kw: Any) -> str:
    return "CAST(NULL AS DOUBLE PRECISION)"


def null_number() -> ColumnElement[Any]:
    """A missing number, typed where the database needs it."""
    return _NullNumber()


class _Least(FunctionElement[float]):
    """``LEAST`` of numbers (never NULL inputs: callers guard them)."""

    type = Float()
    inherit_cache = True
    sql_name: ClassVar[dict[str, str]] = {"default": "LEAST", "sqlite": "MIN"}


class _Greatest(FunctionElement[float]):
    """``GREATEST`` of numbers (never NULL inputs: callers guard them)."""

    type = Float()
    inherit_cache = True
    sql_name: ClassVar[dict[str, str]] = {"default": "GREATEST", "sqlite": "MAX"}


# One class per function: the compiled-statement cache keys on the class, not on attributes.
@compiles(_Least)
@compiles(_Greatest)
def _extreme_default(element: _Least | _Greatest, compiler: SQLCompiler, **kw: Any) -> str:
    args = compiler.process(element.clause_expr.element, **kw)
    return f"{element.sql_name['default']}({args})"


@compiles(_Least, "postgresql")
@compiles(_Greatest, "postgresql")
def _extreme_postgresql(element: _Least | _Greatest, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL's LEAST/GREATEST skip NULLs; the language says missing in, missing out.
    args = compiler.process(element.clause_expr.element, **kw)
    name = element.sql_name["default"]
    return f"(CASE WHEN num_nulls({args}) > 0 THEN NULL ELSE {name}({args}) END)"


@compiles(_Least, "sqlite")
@compiles(_Greatest, "sqlite")
def _extreme_sqlite(element: _Least | _Greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{element.sql_name['sqlite']}({compiler.process(element.clause_expr.element, **kw)})"


def extreme(which: str, args: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    """``min``/``max`` of ``args``, NULL when any argument is NULL (in every database).

    MariaDB's ``LEAST`` and SQLite's scalar ``MIN`` already return NULL then; a
    portable ``CASE WHEN a IS NULL …`` wrapper is avoided because MariaDB 10.11
    returns NULL for every row when such a CASE holds a window function.
    """
    return (_Least if which == "min" else _Greatest)(*args)


class _Floor(FunctionElement[float]):
    """``FLOOR(x)``, NULL for NULL."""

    type = Float()
    inherit_cache = True


@compiles(_Floor)
def _floor_default(element: _Floor, compiler: SQLCompiler, **kw: Any) -> str:
    return f"FLOOR({compiler.process(element.clause_expr.element, **kw)})"


@compiles(_Floor, "sqlite")
def _floor_sqlite(element: _Floor, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy registers Python's math.floor as FLOOR on SQLite, which fails on NULL;
    # truncate toward zero and step down for negative non-integers instead.
    x = compiler.process(element.clause_expr.element, **kw)
    return f"(CAST({x} AS INTEGER) - (({x}) < CAST({x} AS INTEGER)))"


def floor(x: ColumnElement[Any]) -> ColumnElement[Any]:
    """The largest integer not above ``x`` (NULL stays NULL), in every database."""
    return _Floor(x)


def to_float(x: ColumnElement[Any]) -> ColumnElement[Any]:
    """Make integer columns divide as reals (SQLite/MariaDB would divide integers)."""
    return x * literal_column("1E0")


class _Median(ColumnElement[float]):
    """The median of ``x`` over rows of the same ``partition`` (NULLs ignored)."""

    type = Float()
    inherit_cache = False

    def __init__(self, x: ColumnElement[Any], partition: list[ColumnElement[Any]]) -> None:
        self.x = x
        self.partition = partition


@compiles(_Median, "mysql")
def _median_mariadb(element: _Median, compiler: SQLCompiler, **kw: Any) -> str:
    # MariaDB 10.11 shares one sort between window functions with the same PARTITION BY
    # and then returns wrong medians (0 for later groups) next to AVG/RANK windows.  A
    # constant unique to each MEDIAN in the statement keeps its window apart.
    count = getattr(compiler, "_zhengai_medians", 0) + 1
    compiler._zhengai_medians = count  # type: ignore[attr-defined]
    partition = [*element.partition, literal_column(str(count))]
    return compiler.process(func.median(element.x).over(partition_by=partition), **kw)


def _correlated(element: _Median) -> tuple[Any, Any, ColumnElement[Any]]:
    tables = list(
        dict.fromkeys(
            item.table
            for item in iterate(ClauseList(element.x, *element.partition))
            if isinstance(item, ColumnClause) and item.table is not None
        )
    )
    if len(tables) != 1:
        raise SqlUnsupported(
            "peer_median 在此数据库中需要单表列 (needs columns of exactly one table)"
        )
    return tables[0].alias(), tables[0].alias(), element.x


def _same_group(adapter: ClauseAdapter, partition: list[ColumnElement[Any]]) -> Any:
    # NULL keys are one group, as in PARTITION BY: IS NOT DISTINCT FROM, not =.
    same = [adapter.traverse(p).is_not_distinct_from(p) for p in partition]
    return and_(*same) if partition else True


@compiles(_Median, "postgresql")
def _median_postgresql(element: _Median, compiler: SQLCompiler, **kw: Any) -> str:
    inner, _, x = _correlated(element)
    adapter = ClauseAdapter(inner)
    x2 = adapter.traverse(x)
    sub = (
        select(func.percentile_cont(0.5).within_group(x2))
        .where(_same_group(adapter, element.partition))
        .correlate_except(inner)
        .scalar_subquery()
    )
    return compiler.process(sub, **kw)


@compiles(_Median)
def _median_counting(element: _Median, compiler: SQLCompiler, **kw: Any) -> str:
    cand, other, x = _correlated(element)
    cand_ad, other_ad = ClauseAdapter(cand), ClauseAdapter(other)
    v, w = cand_ad.traverse(x), other_ad.traverse(x)
    group = _same_group(other_ad, element.partition)
    # Correlate explicitly: the innermost counts refer to both the candidate and the outer row.
    total = select(func.count(w)).where(group).correlate_except(other).scalar_subquery()
    below = select(func.count(w)).where(group, w <= v).correlate_except(other).scalar_subquery()
    above = select(func.count(w)).where(group, w >= v).correlate_except(other).scalar_subquery()
    sub = (
        select(func.avg(v.distinct()))
        .where(
            _same_group(cand_ad, element.partition),
            v.is_not(None),
            below * 2 >= total,
            above * 2 >= total,
        )
        .correlate_except(cand)
        .scalar_subquery()
    )
    return compiler.process(sub, **kw)


def median_over(x: ColumnElement[Any], partition: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    """The per-group median of ``x`` as a column (spelled per database, see module doc)."""
    return _Median(x, partition)
