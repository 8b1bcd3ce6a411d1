"""The row backend: Python source generated from the checked tree, compiled once.

Each checked node becomes one Python expression in which ``None`` is missing;
walrus temporaries keep every operand evaluated once.  Only checked nodes reach
this module, literals are rendered with ``repr`` of plain numbers or passed in
as named constants, so the generated code contains nothing the author wrote
verbatim.  History, population and goal lookups go through the
:class:`~zhengai.expr.context.RowContext` passed as ``ctx``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from zhengai.expr import ir
from zhengai.expr.context import goal_value, history_value, population_values
from zhengai.expr.errors import BadValue
from zhengai.expr.limits import EPSILON

__all__ = ["RowFunction", "bad_value", "compile_row"]

RowFunction = Callable[..., Any]

_CMP = {
    "<": "(({a}) - ({b}) <= -_EPS)",
    "<=": "(({a}) - ({b}) < _EPS)",
    ">": "(({a}) - ({b}) >= _EPS)",
    ">=": "(({a}) - ({b}) > -_EPS)",
    "==": "(-_EPS < ({a}) - ({b}) < _EPS)",
    "!=": "(not -_EPS < ({a}) - ({b}) < _EPS)",
}


class _Gen:
    def __init__(self) -> None:
        self.counter = itertools.count()
        self.env: dict[str, Any] = {
            "_EPS": EPSILON,
            "_H": history_value,
            "_G": goal_value,
            "_P": population_values,
            "_floor": _floor,
        }

    def tmp(self) -> str:
        return f"_t{next(self.counter)}"

    def const(self, value: Any) -> str:
        name = f"_k{next(self.counter)}"
        self.env[name] = value
        return name

    def lit(self, value: Any) -> str:
        if value is None or isinstance(value, bool):
            return repr(value)
        if isinstance(value, int | float):
            return f"({float(value)!r})" if isinstance(value, float) else f"({int(value)!r})"
        return self.const(value)

    def gen(self, node: ir.Node, shift: int) -> str:
        method: Callable[[Any, int], str] = getattr(self, f"gen_{type(node).__name__.lower()}")
        return method(node, shift)

    def gen_lit(self, node: ir.Lit, shift: int) -> str:
        return self.lit(node.value)

    def gen_ref(self, node: ir.Ref, shift: int) -> str:
        cond, code = self.operand(node, shift)
        return f"(None if {cond} else {code})"

    def operand(self, node: ir.Node, shift: int) -> tuple[str, str]:
        """A missing-test and the code of the value, inlined for literals and names."""
        if isinstance(node, ir.Lit) and node.value is not None:
            return "False", self.lit(node.value)
        t = self.tmp()
        if isinstance(node, ir.Ref) and (shift == 0 or node.kind == "attribute"):
            # NaN from numpy or pandas rows is missing too.
            return f"(({t} := _g({self.lit(node.name)})) is None or {t} != {t})", t
        if isinstance(node, ir.Ref):
            return f"(({t} := _H(ctx, {self.lit(node.name)}, {shift})) is None)", t
        return f"(({t} := {self.gen(node, shift)}) is None)", t

    def pair(self, left: ir.Node, right: ir.Node, shift: int) -> tuple[str, str, str]:
        lcond, a = self.operand(left, shift)
        rcond, b = self.operand(right, shift)
        conds = [c for c in (lcond, rcond) if c != "False"] or ["False"]
        return "None if " + " or ".join(conds), a, b

    def gen_goalref(self, node: ir.GoalRef, shift: int) -> str:
        return f"_G(ctx, {self.lit(node.kind)}, {self.lit(node.name)})"

    def gen_shift(self, node: ir.Shift, shift: int) -> str:
        return self.gen(node.operand, shift + node.k)

    def gen_unary(self, node: ir.Unary, shift: int) -> str:
        cond, a = self.operand(node.operand, shift)
        return f"(None if {cond} else {node.op}{a})"

    def gen_arith(self, node: ir.Arith, shift: int) -> str:
        head, a, b = self.pair(node.left, node.right, shift)
        # A divisor that rounds to zero at DECIMALS places is zero: the result is missing.
        if node.op == "/":
            return f"({head} or -_EPS < {b} < _EPS else {a} / {b})"
        if node.op == "//":
            return f"({head} or -_EPS < {b} < _EPS else float(_floor({a} / {b} + _EPS)))"
        if node.op == "%":
            # a - b * floor(a / b): Python's sign convention, with the decimal-faithful floor.
            return (
                f"({head} or -_EPS < {b} < _EPS else {a} - {b} * float(_floor({a} / {b} + _EPS)))"
            )
        return f"({head} else {a} {node.op} {b})"

    def gen_pow(self, node: ir.Pow, shift: int) -> str:
        cond, a = self.operand(node.base, shift)
        n = abs(node.exponent)
        # Repeated multiplication, as in the column and SQL backends, so results agree bit for bit.
        product = " * ".join([a] * n) if n else "1.0"
        if node.exponent >= 0:
            return f"(None if {cond} else {product})"
        p = self.tmp()
        return f"(None if {cond} or -_EPS < ({p} := {product}) < _EPS else 1.0 / {p})"

    def gen_cmp(self, node: ir.Cmp, shift: int) -> str:
        head, a, b = self.pair(node.left, node.right, shift)
        if _numeric(node.left) and _numeric(node.right):
            return f"({head} else {_CMP[node.op].format(a=a, b=b)})"
        if node.op in ("==", "!="):
            numeric = _CMP[node.op].format(a=a, b=b)
            plain = f"({a} {node.op} {b})"
            return f"({head} else ({numeric} if _num({a}) and _num({b}) else {plain}))"
        return f"({head} else {_CMP[node.op].format(a=a, b=b)})"

    def gen_boolop(self, node: ir.BoolOp, shift: int) -> str:
        temps = [self.tmp() for _ in node.values]
        decisive = "False" if node.op == "and" else "True"
        test = "not {t}" if node.op == "and" else "{t}"
        unknown = " or ".join(f"{t} is None" for t in temps)
        out = f"(None if ({unknown}) else {decisive != 'True'})"
        for t, value in reversed(list(zip(temps, node.values, strict=True))):
            value_code = self.gen(value, shift)
            cond = f"({t} := {value_code}) is not None and {test.format(t=t)}"
            out = f"({decisive} if ({cond}) else {out})"
        return out

    def gen_not(self, node: ir.Not, shift: int) -> str:
        cond, a = self.operand(node.operand, shift)
        return f"(None if {cond} else not {a})"

    def gen_cond(self, node: ir.Cond, shift: int) -> str:
        t = self.tmp()
        test = self.gen(node.test, shift)
        body, orelse = self.gen(node.body, shift), self.gen(node.orelse, shift)
        return f"(None if ({t} := {test}) is None else ({body}) if {t} else ({orelse}))"

    def gen_member(self, node: ir.Member, shift: int) -> str:
        cond, a = self.operand(node.operand, shift)
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in node.values):
            tests = " or ".join(f"-_EPS < {a} - {self.lit(v)} < _EPS" for v in node.values)
        else:
            tests = f"{a} in {self.const(frozenset(node.values))}"
        verdict = f"not ({tests})" if node.negate else f"({tests})"
        return f"(None if {cond} else {verdict})"

    def gen_call(self, node: ir.Call, shift: int) -> str:
        function = node.function
        assert function is not None
        assert function.row is not None
        impl = self.const(function.row)
        args = [self.gen(a, shift) for a in node.args]
        if function.kind == "population":
            key = self.const((node, shift))
            return f"{impl}({args[0]}, _P(ctx, {key}))"
        statics = [repr(v) for v in node.static.values()]
        return f"{impl}({', '.join([*args, *statics])})"


def bad_value(exc: Exception) -> BadValue:
    """The error for data of the wrong type met during evaluation."""
    return BadValue(f"数据类型错误 (a value of the wrong type in the data): {exc}")


def _floor(value: float) -> float:
    """``floor`` that passes infinities through instead of raising (as numpy and SQL do)."""
    return float(math.floor(value)) if math.isfinite(value) else value


def _numeric(node: ir.Node) -> bool:
    return node.type == "number"


def _num(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """numpy scalars (from numpy or pandas rows) as Python values; NaN as missing."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


_RETURNS = {
    # Results that are already plain Python values skip the conversion call.
    "bool": "(_r if (_r := {body}) is None or _r is True or _r is False else bool(_plain(_r)))",
    "number": "(_r if (_r := {body}) is None or (type(_r) is float and _r == _r) "
    "or type(_r) is int else _plain(_r))",
}


def compile_row(node: ir.Node) -> RowFunction:
    """Generate and compile the row function of a checked tree: ``f(row, context=None)``.

    The function returns plain Python values: True/False, int/float, str, or
    None for missing.
    """
    gen = _Gen()
    body = gen.gen(node, 0)
    body = _RETURNS.get(node.type, "_plain({body})").format(body=body)
    gen.env["_num"] = _num
    gen.env["_plain"] = _plain
    gen.env["_bad"] = bad_value
    # The tolerance is inlined as a constant: a global lookup per comparison costs 10%.
    body = body.replace("_EPS", repr(EPSILON))
    # `context` is the public keyword (Expression.evaluate(row, context=...)).
    source = (
        "def _rule(row, context=None):\n    ctx = context\n    _g = row.get\n"
        f"    try:\n        return {body}\n"
        "    except (TypeError, ValueError) as exc:\n        raise _bad(exc) from None\n"
    )
    code = compile(source, "<zhengai.expr>", "exec")
    namespace: dict[str, Any] = dict(gen.env)
    namespace["__builtins__"] = {
        "float": float,
        "bool": bool,
        "type": type,
        "int": int,
        "TypeError": TypeError,
        "ValueError": ValueError,
    }
    exec(code, namespace)  # the source is generated from the checked tree only
    function: RowFunction = namespace["_rule"]
    return function
