"""The function library: one registry, each function's backends side by side.

A :class:`Function` is either a *macro* (``expand`` rewrites the call into
checked nodes of the core language, so every backend gets it for free and the
semantics cannot drift), or *native*: it declares its row, column and SQL
implementations next to each other.  Population functions are native with the
group-aware signatures described on :class:`Function`.  Adding a function means
adding one :func:`register_function` call; plugins do the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Float, func
from sqlalchemy.sql import ColumnElement, case, literal, null

from zhengai.expr import ir
from zhengai.expr.limits import EPSILON, MAX_LAG
from zhengai.expr.sqlparts import extreme, floor, median_over

__all__ = ["FUNCTIONS", "Expansion", "Function", "Param", "register_function"]

FloatArray = NDArray[np.float64]
_N = TypeVar("_N", bound=ir.Node)
Kind = Literal["scalar", "history", "population", "goal"]
ParamType = Literal["number", "bool", "string", "any", "indicator", "int"]


@dataclass(frozen=True)
class Param:
    """One parameter: its name, type and, for ``int`` (literal) parameters, default and bounds."""

    name: str
    type: ParamType = "number"
    default: int | None = None
    low: int = 1
    high: int = MAX_LAG


@dataclass(frozen=True)
class Expansion:
    """What a macro gets besides its arguments: where the call is and what it reads."""

    column: int
    text: str
    direction: Callable[[str], str]

    def node(self, cls: type[_N], type_: ir.Type, **fields: Any) -> _N:
        """Build a checked node located at the call."""
        return cls(type_, self.column, self.text, **fields)


@dataclass(frozen=True)
class Function:
    """A registered function (see the module docstring).

    Native scalar functions: ``row(*values)`` gets Python values (None =
    missing); ``columns(*arrays)`` gets float64 arrays (NaN = missing) or object
    arrays for strings; ``sql(*columns)`` gets SQLAlchemy columns.
    Population functions: ``row(value, population)`` gets the subject's value
    and the sorted non-missing values of its group; ``columns(values, codes,
    groups)`` the whole population with integer group codes; ``sql(x,
    partition)`` the argument and the PARTITION BY columns.
    """

    name: str
    params: tuple[Param, ...]
    returns: ir.Type | Callable[[list[ir.Type]], ir.Type]
    doc: str
    example: str
    kind: Kind = "scalar"
    variadic: bool = False
    expand: Callable[[list[ir.Node], dict[str, int], Expansion], ir.Node] | None = None
    row: Callable[..., Any] | None = None
    columns: Callable[..., Any] | None = None
    sql: Callable[..., ColumnElement[Any]] | None = None

    def __post_init__(self) -> None:
        if self.expand is None and (self.row is None or self.columns is None or self.sql is None):
            raise TypeError(f"function {self.name!r} needs expand or all of row, columns and sql")


#: Every registered function by name.
FUNCTIONS: dict[str, Function] = {}


def register_function(function: Function, *, replace: bool = False) -> Function:
    """Add ``function`` to the registry (``replace=True`` to override an existing one)."""
    if not function.name.isidentifier() or function.name.startswith("_"):
        raise ValueError(f"function name {function.name!r} is not a plain identifier")
    if function.name in FUNCTIONS and not replace:
        raise ValueError(f"function {function.name!r} is registered already")
    FUNCTIONS[function.name] = function
    return function


# --- helpers for macros -------------------------------------------------------------------


def _lit(at: Expansion, value: float) -> ir.Lit:
    return at.node(ir.Lit, "number", value=value)


def _shift(at: Expansion, x: ir.Node, k: int) -> ir.Node:
    return x if k == 0 else at.node(ir.Shift, x.type, operand=x, k=k)


def _arith(at: Expansion, op: str, a: ir.Node, b: ir.Node) -> ir.Arith:
    return at.node(ir.Arith, "number", op=op, left=a, right=b)


def _cmp(at: Expansion, op: str, a: ir.Node, b: ir.Node) -> ir.Cmp:
    return at.node(ir.Cmp, "bool", op=op, left=a, right=b)


def _goal(kind: str) -> Callable[[list[ir.Node], dict[str, int], Expansion], ir.Node]:
    def expand(args: list[ir.Node], static: dict[str, int], at: Expansion) -> ir.Node:
        ref = args[0]
        assert isinstance(ref, ir.Ref)
        return at.node(ir.GoalRef, "number", kind=kind, name=ref.name)

    return expand


def _monotone(op: str) -> Callable[[list[ir.Node], dict[str, int], Expansion], ir.Node]:
    def expand(args: list[ir.Node], static: dict[str, int], at: Expansion) -> ir.Node:
        x, n = args[0], static["n"]
        steps = [_cmp(at, op, _shift(at, x, i + 1), _shift(at, x, i)) for i in range(n - 1)]
        return steps[0] if len(steps) == 1 else at.node(ir.BoolOp, "bool", op="and", values=steps)

    return expand


# --- scalar natives -----------------------------------------------------------------------


def _round_row(x: float | None, digits: int = 0) -> float | None:
    if x is None or not math.isfinite(x):
        return x
    scale = 10.0**digits
    magnitude = math.floor(abs(x) * scale + 0.5 + EPSILON) / scale
    return -magnitude if x < 0 else magnitude


def _round_columns(x: FloatArray, digits: int = 0) -> FloatArray:
    scale = 10.0**digits
    magnitude = np.floor(np.abs(x) * scale + 0.5 + EPSILON) / scale
    return np.where(x < 0, -magnitude, magnitude)


def _round_sql(x: ColumnElement[Any], digits: int = 0) -> ColumnElement[Any]:
    scale = literal(10.0**digits, Float())

    def magnitude(v: ColumnElement[Any]) -> ColumnElement[Any]:
        return floor(v * scale + literal(0.5 + EPSILON, Float())) / scale

    return case((x < 0, -magnitude(-x)), else_=magnitude(x))


def _extreme_row(pick: Callable[..., Any]) -> Callable[..., Any]:
    def row(*values: Any) -> Any:
        return None if any(v is None for v in values) else pick(values)

    return row


def _extreme_columns(pick: Callable[..., Any]) -> Callable[..., FloatArray]:
    def columns(*arrays: FloatArray) -> FloatArray:
        out = arrays[0]
        for a in arrays[1:]:
            out = pick(out, a)  # np.minimum/np.maximum propagate NaN = missing
        return np.asarray(out, dtype=np.float64)

    return columns


def _clamp_row(x: Any, lo: Any, hi: Any) -> Any:
    return None if x is None or lo is None or hi is None else min(max(x, lo), hi)


def _clamp_columns(x: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
    return np.asarray(np.minimum(np.maximum(x, lo), hi), dtype=np.float64)


def _clamp_sql(
    x: ColumnElement[Any], lo: ColumnElement[Any], hi: ColumnElement[Any]
) -> ColumnElement[Any]:
    return extreme("min", [extreme("max", [x, lo]), hi])


def _coalesce_row(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _coalesce_columns(*arrays: NDArray[Any]) -> NDArray[Any]:
    out = arrays[-1]
    for a in reversed(arrays[:-1]):
        missing = np.isnan(a) if a.dtype.kind == "f" else np.equal(a, None)  # type: ignore[call-overload]
        out = np.where(missing, out, a)
    return out


def _unify(types: list[ir.Type]) -> ir.Type:
    known = {t for t in types if t not in ("any", "null")}
    if len(known) > 1:
        raise ValueError(f"参数类型不一致 (mixed argument types: {', '.join(sorted(known))})")
    return known.pop() if known else "any"


def _missing_columns(x: NDArray[Any]) -> FloatArray:
    missing = np.isnan(x) if x.dtype.kind == "f" else np.equal(x, None)  # type: ignore[call-overload]
    return np.asarray(missing, dtype=np.float64)


# --- population natives -------------------------------------------------------------------


def _sorted_groups(
    x: FloatArray, codes: NDArray[np.intp], groups: int, *, descending: bool = False
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp], NDArray[np.intp], FloatArray]:
    """Valid rows sorted by (group, value): row index, group, tie-aware 0-based rank, counts."""
    idx = np.flatnonzero(~np.isnan(x))
    key = -x[idx] if descending else x[idx]
    code = codes[idx]
    order = np.lexsort((key, code))
    sidx, skey, scode = idx[order], key[order], code[order]
    counts = np.bincount(scode, minlength=groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = np.arange(len(sidx))
    new_run = np.ones(len(sidx), dtype=bool)
    new_run[1:] = (scode[1:] != scode[:-1]) | (skey[1:] != skey[:-1])
    run_start = np.maximum.accumulate(np.where(new_run, pos, 0)) if len(pos) else pos
    return sidx, scode, run_start - starts[scode], counts, skey


def _pct_rank_columns(x: FloatArray, codes: NDArray[np.intp], groups: int) -> FloatArray:
    sidx, scode, rank0, counts, _ = _sorted_groups(x, codes, groups)
    out = np.full(len(x), np.nan)
    denom = counts[scode] - 1
    out[sidx] = np.where(denom > 0, rank0 / np.maximum(denom, 1), 0.0)
    return out


def _pct_rank_row(v: float | None, pop: FloatArray) -> float | None:
    if v is None:
        return None
    n = len(pop)
    return float(np.searchsorted(pop, v, "left")) / (n - 1) if n > 1 else 0.0


def _pct_rank_sql(x: ColumnElement[Any], partition: list[ColumnElement[Any]]) -> Any:
    window = func.percent_rank().over(
        partition_by=[*partition, case((x.is_(None), 1), else_=0)], order_by=x
    )
    return case((x.is_(None), null()), else_=window)


def _rank_columns(x: FloatArray, codes: NDArray[np.intp], groups: int) -> FloatArray:
    sidx, _, rank0, _, _ = _sorted_groups(x, codes, groups, descending=True)
    out = np.full(len(x), np.nan)
    out[sidx] = rank0 + 1.0
    return out


def _rank_row(v: float | None, pop: FloatArray) -> float | None:
    if v is None:
        return None
    return float(len(pop) - np.searchsorted(pop, v, "right") + 1)


def _rank_sql(x: ColumnElement[Any], partition: list[ColumnElement[Any]]) -> Any:
    window = func.rank().over(
        partition_by=[*partition, case((x.is_(None), 1), else_=0)], order_by=x.desc()
    )
    return case((x.is_(None), null()), else_=window)


def _group_moments(
    x: FloatArray, codes: NDArray[np.intp], groups: int
) -> tuple[FloatArray, FloatArray]:
    valid = ~np.isnan(x)
    counts = np.bincount(codes[valid], minlength=groups).astype(np.float64)
    sums = np.bincount(codes[valid], weights=x[valid], minlength=groups)
    squares = np.bincount(codes[valid], weights=x[valid] * x[valid], minlength=groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / counts, np.nan)
        mean_sq = np.where(counts > 0, squares / counts, np.nan)
    return mean, mean_sq


def _peer_mean_columns(x: FloatArray, codes: NDArray[np.intp], groups: int) -> FloatArray:
    mean, _ = _group_moments(x, codes, groups)
    return mean[codes]


def _peer_mean_row(v: float | None, pop: FloatArray) -> float | None:
    return float(np.sum(pop) / len(pop)) if len(pop) else None


def _peer_mean_sql(x: ColumnElement[Any], partition: list[ColumnElement[Any]]) -> Any:
    return func.avg(x).over(partition_by=partition or None)


def _zscore_columns(x: FloatArray, codes: NDArray[np.intp], groups: int) -> FloatArray:
    mean, mean_sq = _group_moments(x, codes, groups)
    var = mean_sq - mean * mean
    with np.errstate(invalid="ignore"):
        sd = np.where(var >= EPSILON, np.sqrt(np.where(var >= EPSILON, var, 1.0)), np.nan)
    return np.asarray((x - mean[codes]) / sd[codes], dtype=np.float64)


def _zscore_row(v: float | None, pop: FloatArray) -> float | None:
    if v is None or not len(pop):
        return None
    mean = float(np.sum(pop)) / len(pop)
    var = float(np.sum(pop * pop)) / len(pop) - mean * mean
    return (v - mean) / math.sqrt(var) if var >= EPSILON else None


def _zscore_sql(x: ColumnElement[Any], partition: list[ColumnElement[Any]]) -> Any:
    by = partition or None
    mean = func.avg(x).over(partition_by=by)
    var = func.avg(x * x).over(partition_by=by) - mean * mean
    return (x - mean) / case((var >= literal(EPSILON, Float()), func.sqrt(var)), else_=null())


def _peer_median_columns(x: FloatArray, codes: NDArray[np.intp], groups: int) -> FloatArray:
    _, _, _, counts, skey = _sorted_groups(x, codes, groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    med = np.full(groups, np.nan)
    has = counts > 0
    lo = (starts + (counts - 1) // 2)[has]
    hi = (starts + counts // 2)[has]
    med[has] = (skey[lo] + skey[hi]) / 2.0
    return med[codes]


def _peer_median_row(v: float | None, pop: FloatArray) -> float | None:
    n = len(pop)
    return float((pop[(n - 1) // 2] + pop[n // 2]) / 2.0) if n else None


# --- the library --------------------------------------------------------------------------

_X = Param("x")
_N1 = Param("n", "int", default=1)

_BUILTIN = [
    Function(
        "abs",
        (_X,),
        "number",
        "绝对值 (absolute value).",
        "abs(delta(gpa)) >= 0.5",
        row=lambda x: None if x is None else abs(x),
        columns=np.abs,
        sql=func.abs,
    ),
    Function(
        "min",
        (Param("a"), Param("b")),
        "number",
        "最小值 of two or more numbers; missing if any is missing.",
        "min(到课率, 作业提交率) < 0.8",
        variadic=True,
        row=_extreme_row(min),
        columns=_extreme_columns(np.minimum),
        sql=lambda *a: extreme("min", list(a)),
    ),
    Function(
        "max",
        (Param("a"), Param("b")),
        "number",
        "最大值 of two or more numbers; missing if any is missing.",
        "max(absence_days, late_days) > 10",
        variadic=True,
        row=_extreme_row(max),
        columns=_extreme_columns(np.maximum),
        sql=lambda *a: extreme("max", list(a)),
    ),
    Function(
        "round",
        (_X, Param("digits", "int", default=0, low=0, high=8)),
        "number",
        "四舍五入 half away from zero, decimal-faithful: round(2.675, 2) == 2.68.",
        "round(gpa, 1) < 2.0",
        row=_round_row,
        columns=_round_columns,
        sql=_round_sql,
    ),
    Function(
        "clamp",
        (_X, Param("lo"), Param("hi")),
        "number",
        "x limited to [lo, hi].",
        "clamp(score / 100, 0, 1)",
        row=_clamp_row,
        columns=_clamp_columns,
        sql=_clamp_sql,
    ),
    Function(
        "between",
        (_X, Param("lo"), Param("hi")),
        "bool",
        "lo <= x <= hi (both ends included).",
        "between(到课率, 0.6, 0.9)",
        expand=lambda a, s, at: at.node(
            ir.BoolOp,
            "bool",
            op="and",
            values=[_cmp(at, ">=", a[0], a[1]), _cmp(at, "<=", a[0], a[2])],
        ),
    ),
    Function(
        "ratio",
        (Param("a"), Param("b")),
        "number",
        "a / b; missing when b is 0 or missing.",
        "ratio(failed_credits, total_credits) > 0.3",
        expand=lambda a, s, at: _arith(at, "/", a[0], a[1]),
    ),
    Function(
        "coalesce",
        (Param("x", "any"), Param("default", "any")),
        _unify,
        "The first argument that is not missing.",
        "coalesce(违纪次数, 0) >= 2",
        variadic=True,
        row=_coalesce_row,
        columns=_coalesce_columns,
        sql=func.coalesce,
    ),
    Function(
        "has",
        (Param("x", "any"),),
        "bool",
        "True when x is not missing.",
        "has(gpa) and gpa < 2",
        row=lambda x: x is not None,
        columns=lambda x: 1.0 - _missing_columns(x),
        sql=lambda x: x.is_not(None),
    ),
    Function(
        "is_missing",
        (Param("x", "any"),),
        "bool",
        "True when x is missing (数据缺失).",
        "is_missing(到课率)",
        row=lambda x: x is None,
        columns=_missing_columns,
        sql=lambda x: x.is_(None),
    ),
    Function(
        "prev",
        (_X, _N1),
        "number",
        "The value n periods back (上期值).",
        "prev(gpa) - gpa >= 0.5",
        kind="history",
        expand=lambda a, s, at: _shift(at, a[0], s["n"]),
    ),
    Function(
        "delta",
        (_X, _N1),
        "number",
        "x minus its value n periods back (变化量).",
        "delta(到课率) <= -0.1",
        kind="history",
        expand=lambda a, s, at: _arith(at, "-", a[0], _shift(at, a[0], s["n"])),
    ),
    Function(
        "pct_change",
        (_X, _N1),
        "number",
        "(x - prev) / prev; missing when prev is 0 (环比变化率).",
        "pct_change(招生人数) < -0.2",
        kind="history",
        expand=lambda a, s, at: _arith(
            at, "/", _arith(at, "-", a[0], _shift(at, a[0], s["n"])), _shift(at, a[0], s["n"])
        ),
    ),
    Function(
        "mean_last",
        (_X, Param("n", "int", low=1)),
        "number",
        "Mean over the last n periods including this one; missing if any is missing.",
        "mean_last(到课率, 3) < 0.85",
        kind="history",
        expand=lambda a, s, at: _arith(
            at,
            "/",
            _sum([_shift(at, a[0], i) for i in range(s["n"])], at),
            _lit(at, s["n"]),
        ),
    ),
    Function(
        "increasing",
        (_X, Param("n", "int", low=2)),
        "bool",
        "逐年提高: strictly increasing over the last n periods (n values).",
        "increasing(就业率, 3)",
        kind="history",
        expand=_monotone("<"),
    ),
    Function(
        "decreasing",
        (_X, Param("n", "int", low=2)),
        "bool",
        "逐年下降: strictly decreasing over the last n periods (n values).",
        "decreasing(满意度, 3)",
        kind="history",
        expand=_monotone(">"),
    ),
    Function(
        "pct_rank",
        (_X,),
        "number",
        "Percent rank in the group, 0 (lowest) to 1, ties share a rank (SQL PERCENT_RANK).",
        "pct_rank(gpa) < 0.1",
        kind="population",
        row=_pct_rank_row,
        columns=_pct_rank_columns,
        sql=_pct_rank_sql,
    ),
    Function(
        "rank",
        (_X,),
        "number",
        "名次 in the group: 1 for the highest value, ties share a rank (SQL RANK).",
        "rank(考核得分) <= 3",
        kind="population",
        row=_rank_row,
        columns=_rank_columns,
        sql=_rank_sql,
    ),
    Function(
        "zscore",
        (_X,),
        "number",
        "(x - group mean) / population standard deviation; missing without spread.",
        "zscore(gpa) < -2",
        kind="population",
        row=_zscore_row,
        columns=_zscore_columns,
        sql=_zscore_sql,
    ),
    Function(
        "peer_mean",
        (_X,),
        "number",
        "Mean of x over the group (同类均值), missing values ignored.",
        "到课率 < peer_mean(到课率) - 0.1",
        kind="population",
        row=_peer_mean_row,
        columns=_peer_mean_columns,
        sql=_peer_mean_sql,
    ),
    Function(
        "peer_median",
        (_X,),
        "number",
        "Median of x over the group (同类中位数), missing values ignored.",
        "gpa < peer_median(gpa) * 0.8",
        kind="population",
        row=_peer_median_row,
        columns=_peer_median_columns,
        sql=median_over,
    ),
    Function(
        "target",
        (Param("x", "indicator"),),
        "number",
        "The subject's target value (目标值) for the indicator.",
        "就业率 < target(就业率)",
        kind="goal",
        expand=_goal("target"),
    ),
    Function(
        "baseline",
        (Param("x", "indicator"),),
        "number",
        "The subject's baseline value (基线值) for the indicator.",
        "就业率 < baseline(就业率)",
        kind="goal",
        expand=_goal("baseline"),
    ),
    Function(
        "attainment",
        (Param("x", "indicator"),),
        "number",
        "目标达成度: value / target, or target / value for lower_better indicators.",
        "attainment(就业率) < 0.9",
        kind="goal",
        expand=lambda a, s, at: (
            _arith(at, "/", _goal("target")(a, s, at), a[0])
            if at.direction(getattr(a[0], "name", "")) == "lower_better"
            else _arith(at, "/", a[0], _goal("target")(a, s, at))
        ),
    ),
]


def _sum(terms: Sequence[ir.Node], at: Expansion) -> ir.Node:
    total = terms[0]
    for term in terms[1:]:
        total = _arith(at, "+", total, term)
    return total


for _function in _BUILTIN:
    register_function(_function)
