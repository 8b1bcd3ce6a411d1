"""``Expression``: compile once, evaluate row-wise, over columns, in SQL, or explained."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from zhengai.expr import ir
from zhengai.expr.columns import as_frame, evaluate_masked
from zhengai.expr.compiler import Names, compile_expression
from zhengai.expr.context import RowContext
from zhengai.expr.errors import ExpressionTypeError
from zhengai.expr.row import RowFunction, bad_value, compile_row
from zhengai.expr.sql import SqlTarget, build_sql
from zhengai.model import Indicator, IndicatorCatalog

__all__ = ["Explanation", "Expression", "Step"]

AttributeType = Literal["number", "string", "bool", "any"]
_ATTRIBUTE_TYPES = ("number", "string", "bool", "any")


@dataclass(frozen=True)
class Step:
    """One sub-expression of an explanation with its value (None = missing)."""

    text: str
    value: Any


@dataclass(frozen=True)
class Explanation:
    """Sub-expressions with values, and a rendered sentence such as ``到课率 0.82 < 0.9 → 是``."""

    steps: tuple[Step, ...]
    value: Any
    text: str

    def __str__(self) -> str:
        return self.text


class Expression:
    """A compiled expression of the zhengai language (see docs/expressions.md).

    ``catalog`` resolves indicator names (id, Chinese name, alias) to ids; with
    None every unknown identifier is a free numeric name.  ``attributes`` are
    subject attribute names (a mapping to ``"number"``, ``"string"``, ``"bool"``
    or ``"any"``, or an iterable of names meaning ``"any"``); ``constants`` are
    a pack's named constants, inlined as literals.
    """

    def __init__(
        self,
        text: str,
        catalog: IndicatorCatalog | Iterable[Indicator] | None = None,
        *,
        attributes: Mapping[str, AttributeType] | Iterable[str] = (),
        constants: Mapping[str, float | int | str | bool] | None = None,
    ) -> None:
        self.text = text
        self._catalog = None if catalog is None else IndicatorCatalog.coerce(catalog)
        attrs = _attributes(attributes)
        consts = _constants(constants or {})
        self._args = (self._catalog, attrs, consts)
        names = Names(
            constants=consts,
            attributes=attrs,
            indicator=self._resolver(),
            candidates=(*(self._catalog.all_names() if self._catalog else ()), *attrs, *consts),
            direction=self._direction,
        )
        self._tree = _fold(compile_expression(text, names))
        self._row: RowFunction = compile_row(self._tree)
        # The generated function *is* evaluate: one Python call per subject, no wrapper.
        self._row.__doc__ = Expression.evaluate.__doc__
        self._row.__qualname__ = "Expression.evaluate"
        self.evaluate = self._row  # type: ignore[method-assign]
        refs = [n for n in _walk(self._tree) if isinstance(n, ir.Ref)]
        self.names: tuple[str, ...] = tuple(sorted({r.name for r in refs}))
        goals = {g.name for g in _walk(self._tree) if isinstance(g, ir.GoalRef)}
        self.indicators: tuple[str, ...] = tuple(
            sorted({r.name for r in refs if r.kind != "attribute"} | goals)
        )
        #: How many periods back the expression reads (nested history functions add up).
        self.history_depth: int = _history_depth(self._tree)
        #: Whether it uses population functions (pct_rank, peer_mean…): needs a group.
        self.uses_population: bool = any(
            isinstance(n, ir.Call) and n.function is not None and n.function.kind == "population"
            for n in _walk(self._tree)
        )
        kind = self._tree.type
        self.result_type: str = "number" if kind == "null" else kind
        self._explainers: dict[int, RowFunction] = {}

    def _resolver(self) -> Any:
        catalog = self._catalog
        if catalog is None:
            return None

        def resolve(name: str) -> tuple[str, str] | None:
            found = catalog.get_by_name(name)
            return None if found is None else (found.id, found.name)

        return resolve

    def _direction(self, name: str) -> str:
        if self._catalog is None or name not in self._catalog:
            return "higher_better"
        return str(self._catalog[name].direction.value)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The generated row function does not pickle; recompiling from the text does.
        catalog, attributes, constants = self._args
        return (_rebuild, (self.text, catalog, attributes, constants))

    # --- evaluation -------------------------------------------------------------------------

    def evaluate(
        self, row: Mapping[str, Any], context: RowContext | None = None
    ) -> bool | float | str | None:
        """Evaluate one subject: True/False, a number, a string, or None for missing."""
        result: bool | float | str | None = self._row(row, context)
        return result

    def evaluate_columns(self, table: Any) -> np.ma.MaskedArray[Any, Any]:
        """Evaluate a whole population (Frame, mapping of arrays or DataFrame) at once."""
        frame = as_frame(table)
        try:
            return evaluate_masked(self._tree, frame, self.result_type)
        except (TypeError, ValueError) as exc:
            raise bad_value(exc) from None

    def to_sql(
        self,
        columns: Mapping[str, Any],
        *,
        history: Mapping[str, Sequence[Any]] | None = None,
        goals: Mapping[str, Mapping[str, Any]] | None = None,
        partition_by: Any = None,
        subject: Any = None,
        order_by: Any = None,
    ) -> Any:
        """A SQLAlchemy column expression computing this expression (see zhengai.expr.sql)."""
        target = SqlTarget(columns, history, goals, partition_by, subject, order_by)
        return build_sql(self._tree, target)

    # --- explanation ------------------------------------------------------------------------

    def explain(
        self, row: Mapping[str, Any], context: RowContext | None = None, lang: str = "zh"
    ) -> Explanation:
        """Each sub-expression with its value, and a rendered sentence in ``lang`` (zh/en)."""
        steps: list[Step] = []
        lines: list[str] = []
        seen: set[str] = set()
        value = self.evaluate(row, context)

        def val(node: ir.Node, shift: int) -> Any:
            target = (
                node if shift == 0 else ir.Shift(node.type, node.column, node.text, node, shift)
            )
            function = self._explainers.get(id(node) * 100 + shift)
            if function is None:
                function = compile_row(target)
                self._explainers[id(node) * 100 + shift] = function
            return _python(function(row, context), node.type)

        def label(node: ir.Node, shift: int) -> str:
            if not isinstance(node, ir.Ref):
                return node.text
            name = node.label if lang == "zh" else node.name
            if shift and node.kind != "attribute":  # a history value: say which period
                return f"{name}(前{shift}期)" if lang == "zh" else f"prev({name}, {shift})"
            return name

        def operand(node: ir.Node, shift: int) -> str:
            if isinstance(node, ir.Lit):
                return _fmt(node.value, lang)
            if isinstance(node, ir.Shift):
                return operand(node.operand, shift + node.k)
            return f"{label(node, shift)} {_fmt(val(node, shift), lang)}"

        stack: list[tuple[ir.Node, int]] = [(self._tree, 0)]
        while stack:
            node, shift = stack.pop()
            if isinstance(node, ir.Shift):
                stack.append((node.operand, shift + node.k))
                continue
            key = label(node, shift)
            if not isinstance(node, ir.Lit) and key not in seen:
                seen.add(key)
                steps.append(Step(key, val(node, shift)))
            if isinstance(node, ir.Cmp):
                # Comparisons inside library functions (between, increasing…) are shown too.
                line = (
                    f"{operand(node.left, shift)} {node.op} {operand(node.right, shift)}"
                    f" → {_fmt(val(node, shift), lang)}"
                )
                if line not in lines:
                    lines.append(line)
            stack.extend((child, shift) for child in reversed(ir.children(node)))
        if not isinstance(self._tree, ir.Cmp):
            lines.append(f"{self.text} → {_fmt(value, lang)}")
        return Explanation(tuple(steps), value, "; ".join(lines))


def _rebuild(
    text: str,
    catalog: IndicatorCatalog | None,
    attributes: Mapping[str, AttributeType],
    constants: Mapping[str, float | int | str | bool],
) -> Expression:
    return Expression(text, catalog, attributes=attributes, constants=constants)


def _attributes(attributes: Mapping[str, AttributeType] | Iterable[str]) -> dict[str, ir.Type]:
    if isinstance(attributes, Mapping):
        out: dict[str, ir.Type] = {}
        for name, kind in attributes.items():
            if kind not in _ATTRIBUTE_TYPES:
                raise ExpressionTypeError(
                    f"属性 {name!r} 的类型 {kind!r} 无效 (use one of {', '.join(_ATTRIBUTE_TYPES)})"
                )
            out[str(name)] = kind
        return out
    return {str(name): "any" for name in attributes}


def _constants(constants: Mapping[str, float | int | str | bool]) -> dict[str, Any]:
    for name, value in constants.items():
        ok = isinstance(value, bool | str) or (
            isinstance(value, int | float) and math.isfinite(value)
        )
        if not ok:
            raise ExpressionTypeError(f"常量 {name!r} 的值 {value!r} 无效 (number, string or bool)")
    return dict(constants)


def _history_depth(tree: ir.Node) -> int:
    deepest = 0
    stack: list[tuple[ir.Node, int]] = [(tree, 0)]
    while stack:
        node, shift = stack.pop()
        if isinstance(node, ir.Shift):
            shift += node.k
        if isinstance(node, ir.Ref) and node.kind != "attribute":
            deepest = max(deepest, shift)
        stack.extend((child, shift) for child in ir.children(node))
    return deepest


def _walk(node: ir.Node) -> list[ir.Node]:
    out, stack = [], [node]
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(ir.children(item))
    return out


_FOLDABLE = (ir.Unary, ir.Arith, ir.Pow, ir.Cmp, ir.BoolOp, ir.Not, ir.Cond, ir.Member)


def _fold(node: ir.Node) -> ir.Node:
    """Evaluate literal-only sub-expressions once (so SQL never does literal arithmetic)."""
    updates: dict[str, Any] = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, ir.Node):
            updates[field.name] = _fold(value)
        elif isinstance(value, list) and value and isinstance(value[0], ir.Node):
            updates[field.name] = [_fold(v) for v in value]
    if updates:
        node = dataclasses.replace(node, **updates)
    if isinstance(node, ir.Shift) and isinstance(node.operand, ir.Lit):
        return node.operand  # a literal is the same in every period
    scalar_call = (
        isinstance(node, ir.Call) and node.function is not None and node.function.kind == "scalar"
    )
    if (isinstance(node, _FOLDABLE) or scalar_call) and all(
        isinstance(c, ir.Lit) for c in ir.children(node)
    ):
        value = compile_row(node)({}, None)
        return ir.Lit(node.type, node.column, node.text, value=value)
    return node


def _python(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "bool":
        return bool(value)
    if isinstance(value, float) and value != value:
        return None
    return value


def _fmt(value: Any, lang: str) -> str:
    if value is None:
        return "缺失" if lang == "zh" else "missing"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
