"""The SQL backend: a checked tree into one SQLAlchemy column expression.

The caller says where values live (see :meth:`Expression.to_sql`):

* ``columns``: name -> column of the current period;
* ``history``: name -> ``[column 1 period back, column 2 periods back, …]``
  when past periods are already joined onto the row (exact, any nesting);
* otherwise ``order_by`` (the period order) and ``subject`` (the subject key):
  history becomes ``LAG(column, k) OVER (PARTITION BY subject ORDER BY …)``;
  the query must then span the past periods, with the current period selected
  in an outer query, and ``LAG`` counts rows, so every subject needs a row per
  period;
* ``partition_by``: the PARTITION BY of population functions (none = the whole
  result set; add the period column when the query spans periods);
* ``goals``: kind -> indicator id -> column.

Literals are bound parameters.  Missing is NULL; SQL's own three-valued logic is
the Kleene logic of the language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Boolean, Float, Integer, String, and_, func, not_, or_
from sqlalchemy.sql import ColumnElement, case, literal, null, type_coerce
from sqlalchemy.sql.type_api import TypeEngine

from zhengai.expr import ir
from zhengai.expr.errors import SqlUnsupported
from zhengai.expr.limits import EPSILON
from zhengai.expr.sqlparts import exact_text, floor, null_number, to_float

__all__ = ["SqlTarget", "build_sql"]

Col = ColumnElement[Any]


class SqlTarget:
    """Where the names, history, goals and groups of an expression are in SQL."""

    def __init__(
        self,
        columns: Mapping[str, Col],
        history: Mapping[str, Sequence[Col]] | None = None,
        goals: Mapping[str, Mapping[str, Col]] | None = None,
        partition_by: Col | Sequence[Col] | None = None,
        subject: Col | Sequence[Col] | None = None,
        order_by: Col | Sequence[Col] | None = None,
    ) -> None:
        self.columns = columns
        self.history = history or {}
        self.goals = goals or {}
        self.partition = _listify(partition_by)
        self.subject = _listify(subject)
        self.order_by = _listify(order_by)

    def name(self, node: ir.Ref, shift: int, inside_window: bool) -> Col:
        if node.name not in self.columns and (shift == 0 or node.name not in self.history):
            raise SqlUnsupported(f"没有列 {node.name!r} (no column given for {node.name!r})")
        if shift == 0 or node.kind == "attribute":
            return self.columns[node.name]
        past = self.history.get(node.name)
        if past is not None:
            # Periods before the given history are unknown, as in the other backends.
            return past[shift - 1] if shift <= len(past) else null_number()
        if not self.order_by:
            raise SqlUnsupported(
                f"{node.name!r} 需要历史: give history columns or order_by/subject for LAG"
            )
        if inside_window:
            raise SqlUnsupported(
                "群体函数内的历史值需要 history 列 (window functions cannot nest LAG)"
            )
        return func.lag(self.columns[node.name], shift).over(
            partition_by=self.subject or None, order_by=self.order_by
        )


def _listify(value: Col | Sequence[Col] | None) -> list[Col]:
    if value is None:
        return []
    if isinstance(value, ColumnElement):
        return [value]
    return list(value)


def _eps(sign: float = 1.0) -> Col:
    return literal(sign * EPSILON, Float())


def _nonzero(x: Col) -> Col:
    """NULL when ``x`` rounds to zero at DECIMALS places (division by it is missing)."""
    return case((func.abs(x) < _eps(), null_number()), else_=x)


def _literal(value: ir.LitValue) -> Col:
    if value is None:
        return null_number()
    if isinstance(value, bool):
        return literal(value, Boolean())
    if isinstance(value, int):
        return literal(value, Integer())
    if isinstance(value, float):
        return literal(value, Float())
    return literal(value, String())


class _Builder:
    def __init__(self, target: SqlTarget) -> None:
        self.target = target

    def build(self, node: ir.Node, shift: int, window: bool) -> Col:
        if isinstance(node, ir.Lit):
            return _literal(node.value)
        if isinstance(node, ir.Ref):
            return self.target.name(node, shift, window)
        if isinstance(node, ir.GoalRef):
            goal = self.target.goals.get(node.kind, {}).get(node.name)
            if goal is None:
                raise SqlUnsupported(f"没有目标列 goals[{node.kind!r}][{node.name!r}]")
            return goal
        if isinstance(node, ir.Shift):
            return self.build(node.operand, shift + node.k, window)
        if isinstance(node, ir.Unary):
            value = self.build(node.operand, shift, window)
            return -value if node.op == "-" else value
        if isinstance(node, ir.Arith):
            return self.arith(node, shift, window)
        if isinstance(node, ir.Pow):
            base = self.build(node.base, shift, window)
            product: Col = base * literal(0.0, Float()) + literal(1.0, Float())
            for i in range(abs(node.exponent)):
                product = base if i == 0 else product * base
            if node.exponent >= 0:
                return product
            return literal(1.0, Float()) / _nonzero(product)
        if isinstance(node, ir.Cmp):
            return self.compare(node, shift, window)
        if isinstance(node, ir.BoolOp):
            parts = [self.build(v, shift, window) for v in node.values]
            return and_(*parts) if node.op == "and" else or_(*parts)
        if isinstance(node, ir.Not):
            return not_(self.build(node.operand, shift, window))
        if isinstance(node, ir.Cond):
            test = self.build(node.test, shift, window)
            body = self.build(node.body, shift, window)
            orelse = self.build(node.orelse, shift, window)
            return case((test.is_(None), null()), (test, body), else_=orelse)
        if isinstance(node, ir.Member):
            return self.member(node, shift, window)
        if isinstance(node, ir.Call):
            return self.call(node, shift, window)
        raise TypeError(f"unknown node {type(node).__name__}")  # pragma: no cover

    def arith(self, node: ir.Arith, shift: int, window: bool) -> Col:
        a = self.build(node.left, shift, window)
        b = self.build(node.right, shift, window)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        quotient = to_float(a) / _nonzero(b)
        if node.op == "/":
            return quotient
        floored = floor(quotient + _eps())
        return floored if node.op == "//" else a - _nonzero(b) * floored

    def compare(self, node: ir.Cmp, shift: int, window: bool) -> Col:
        a = self.build(node.left, shift, window)
        b = self.build(node.right, shift, window)
        types = {node.left.type, node.right.type}
        if "string" in types:
            a, b = exact_text(a), exact_text(b)
        if types & {"string", "bool"} or types == {"any"}:
            return a == b if node.op == "==" else a != b
        d = (a - b).self_group()
        op = node.op
        if op == "<":
            return d <= _eps(-1)
        if op == "<=":
            return d < _eps()
        if op == ">":
            return d >= _eps()
        if op == ">=":
            return d > _eps(-1)
        if op == "==":
            return and_(d > _eps(-1), d < _eps())
        return or_(d <= _eps(-1), d >= _eps())

    def member(self, node: ir.Member, shift: int, window: bool) -> Col:
        a = self.build(node.operand, shift, window)
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in node.values):
            hits = [
                and_(
                    (a - _literal(v)).self_group() > _eps(-1),
                    (a - _literal(v)).self_group() < _eps(),
                )
                for v in node.values
            ]
            test: Col = or_(*hits)
        else:
            test = exact_text(a).in_(list(node.values))
        return not_(test) if node.negate else test

    def call(self, node: ir.Call, shift: int, window: bool) -> Col:
        function = node.function
        assert function is not None
        assert function.sql is not None
        if function.kind == "population":
            x = self.build(node.args[0], shift, True)
            return type_coerce(function.sql(x, self.target.partition), Float())
        args = [self.build(a, shift, window) for a in node.args]
        return function.sql(*args, *node.static.values())


_RESULT_TYPES: dict[str, TypeEngine[Any]] = {
    "bool": Boolean(),
    "number": Float(),
    "string": String(),
}


def build_sql(node: ir.Node, target: SqlTarget) -> Col:
    """The SQLAlchemy expression of a checked tree over ``target``, typed by its result."""
    built = _Builder(target).build(node, 0, False)
    kind = _RESULT_TYPES.get(node.type)
    return built if kind is None else type_coerce(built, kind)
