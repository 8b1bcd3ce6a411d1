"""The column backend: one pass of numpy per checked node over a whole population.

Numbers and booleans are float64 arrays with ``NaN`` for missing (booleans as
1.0/0.0), so missing propagates through arithmetic for free and Kleene logic is
two array operations; strings are object arrays with ``None`` for missing.
Walking the checked tree once per call is cheap: the work is in the arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.expr import ir
from zhengai.expr.frame import Frame
from zhengai.expr.limits import EPSILON

__all__ = ["as_frame", "evaluate_node", "to_masked"]

Array = NDArray[Any]


def as_frame(table: Any) -> Frame:
    """Accept a Frame, a mapping of names to arrays, or a pandas DataFrame."""
    if isinstance(table, Frame):
        return table
    if isinstance(table, Mapping):
        return Frame(columns={str(k): np.asarray(v) for k, v in table.items()})
    to_numpy = getattr(table, "to_numpy", None)
    if to_numpy is not None and hasattr(table, "columns"):
        return Frame(columns={str(c): table[c].to_numpy() for c in table.columns})
    raise TypeError(
        f"cannot evaluate over {type(table).__name__}: give a Frame, mapping or DataFrame"
    )


def _missing(values: Array) -> NDArray[np.bool_]:
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "O":
        none = np.equal(values, None)  # type: ignore[call-overload]
        return np.asarray(none | np.not_equal(values, values), dtype=np.bool_)
    return np.zeros(values.shape, dtype=bool)


def _as_float(values: Array) -> NDArray[np.float64]:
    if values.dtype.kind == "f":
        return values.astype(np.float64, copy=False)
    if values.dtype.kind in "iub":
        return values.astype(np.float64)
    out = np.full(len(values), np.nan)
    known = ~_missing(values)
    out[known] = values[known].astype(np.float64)
    return out


def _as_object(values: Array) -> Array:
    if values.dtype.kind == "O":
        out = values.copy()
        out[_missing(values)] = None
        return out
    return values.astype(object)


class _Env:
    def __init__(self, frame: Frame) -> None:
        self.frame = frame
        self.n = len(frame)
        self._codes: tuple[NDArray[np.intp], int] | None = None

    def codes(self) -> tuple[NDArray[np.intp], int]:
        if self._codes is None:
            if self.frame.partition is None:
                self._codes = (np.zeros(self.n, dtype=np.intp), 1)
            else:
                _, inverse = np.unique(np.asarray(self.frame.partition), return_inverse=True)
                inverse = inverse.reshape(-1).astype(np.intp)
                self._codes = (inverse, int(inverse.max()) + 1 if len(inverse) else 1)
        return self._codes

    def full(self, value: Any) -> Array:
        if isinstance(value, np.ndarray):
            if value.ndim == 0:  # operations on literals only give 0-d results
                return np.full(self.n, value.item(), dtype=value.dtype)
            return value
        if isinstance(value, np.generic):
            value = value.item()
        if value is None or isinstance(value, int | float):
            return np.full(self.n, np.nan if value is None else float(value))
        return np.full(self.n, value, dtype=object)


def _is_text(value: Any) -> bool:
    return (isinstance(value, np.ndarray) and value.dtype.kind == "O") or isinstance(value, str)


def _eval(node: ir.Node, env: _Env, shift: int) -> Any:
    """Evaluate ``node``: a float, a str, None, or an array of length ``env.n``."""
    if isinstance(node, ir.Lit):
        value = node.value
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        return float(value) if isinstance(value, int | float) else value
    if isinstance(node, ir.Ref):
        frame = env.frame
        raw = frame.columns.get(node.name)
        if shift and node.kind != "attribute":
            past = frame.history.get(node.name, ())
            raw = past[shift - 1] if shift - 1 < len(past) else None
        if raw is None:
            return np.full(env.n, np.nan)
        values = np.asarray(raw)
        if node.type in ("number", "bool") or values.dtype.kind in "fiub":
            return _as_float(values)
        return _as_object(values)
    if isinstance(node, ir.GoalRef):
        goal = env.frame.goals.get(node.kind, {}).get(node.name)
        return np.full(env.n, np.nan) if goal is None else _as_float(np.asarray(goal))
    if isinstance(node, ir.Shift):
        return _eval(node.operand, env, shift + node.k)
    if isinstance(node, ir.Unary):
        value = _eval(node.operand, env, shift)
        return -value if node.op == "-" else value
    if isinstance(node, ir.Arith):
        return _arith(node.op, _eval(node.left, env, shift), _eval(node.right, env, shift))
    if isinstance(node, ir.Pow):
        return _power(_eval(node.base, env, shift), node.exponent)
    if isinstance(node, ir.Cmp):
        return _compare(node.op, _eval(node.left, env, shift), _eval(node.right, env, shift), env)
    if isinstance(node, ir.BoolOp):
        return _kleene(node.op, [_eval(v, env, shift) for v in node.values], env)
    if isinstance(node, ir.Not):
        return 1.0 - _float_of(_eval(node.operand, env, shift), env)
    if isinstance(node, ir.Cond):
        return _cond(node, env, shift)
    if isinstance(node, ir.Member):
        return _member(node, _eval(node.operand, env, shift), env)
    if isinstance(node, ir.Call):
        return _call(node, env, shift)
    raise TypeError(f"unknown node {type(node).__name__}")  # pragma: no cover


def _float_of(value: Any, env: _Env) -> Any:
    return np.nan if value is None else value


def _arith(op: str, a: Any, b: Any) -> Any:
    a = np.nan if a is None else a
    b = np.nan if b is None else b
    with np.errstate(all="ignore"):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        safe = np.where(np.abs(b) < EPSILON, np.nan, b)  # rounds to 0 => missing
        if op == "/":
            return a / safe
        floor = np.floor(a / safe + EPSILON)
        return floor if op == "//" else a - safe * floor


def _power(base: Any, exponent: int) -> Any:
    base = np.nan if base is None else base
    product: Any = base * 0.0 + 1.0  # x ** 0 is 1, but missing stays missing
    with np.errstate(all="ignore"):
        for i in range(abs(exponent)):
            product = base if i == 0 else product * base
        if exponent >= 0:
            return product
        return 1.0 / np.where(np.abs(product) < EPSILON, np.nan, product)


_NUMERIC_CMP = {
    "<": lambda d: d <= -EPSILON,
    "<=": lambda d: d < EPSILON,
    ">": lambda d: d >= EPSILON,
    ">=": lambda d: d > -EPSILON,
    "==": lambda d: (d > -EPSILON) & (d < EPSILON),
    "!=": lambda d: (d <= -EPSILON) | (d >= EPSILON),
}


def _compare(op: str, a: Any, b: Any, env: _Env) -> Any:
    if _is_text(a) or _is_text(b):
        left, right = env.full(a), env.full(b)
        missing = _missing(left) | _missing(right)
        equal = np.asarray(np.equal(left, right), dtype=np.float64)
        out = equal if op == "==" else 1.0 - equal
        out[missing] = np.nan
        return out
    a = np.nan if a is None else a
    b = np.nan if b is None else b
    with np.errstate(invalid="ignore"):
        d = a - b
        verdict = _NUMERIC_CMP[op](d)
    # NaN compares False; adding d * 0 turns those places back into NaN (missing).
    return verdict + d * 0.0


def _kleene(op: str, values: list[Any], env: _Env) -> Any:
    decisive = 0.0 if op == "and" else 1.0
    out = values[0]
    for value in values[1:]:
        with np.errstate(invalid="ignore"):
            out = np.where((out == decisive) | (value == decisive), decisive, out * value)
    return out


def _cond(node: ir.Cond, env: _Env, shift: int) -> Any:
    test = env.full(_eval(node.test, env, shift))
    body = env.full(_eval(node.body, env, shift))
    orelse = env.full(_eval(node.orelse, env, shift))
    if body.dtype.kind == "O" or orelse.dtype.kind == "O":
        body, orelse = _as_object(body), _as_object(orelse)
        out = np.where(test == 1.0, body, orelse)
        out[np.isnan(test)] = None
        return out
    out = np.where(test == 1.0, body, orelse)
    out[np.isnan(test)] = np.nan
    return out


def _member(node: ir.Member, operand: Any, env: _Env) -> Any:
    values = env.full(operand)
    if values.dtype.kind == "O":
        missing = _missing(values)
        hit = np.isin(values, np.asarray(node.values, dtype=object)).astype(np.float64)
    else:
        missing = np.isnan(values)
        hit = np.zeros(env.n)
        with np.errstate(invalid="ignore"):
            for v in node.values:
                if isinstance(v, int | float):
                    hit = np.maximum(hit, np.abs(values - float(v)) < EPSILON)
    out = 1.0 - hit if node.negate else hit
    out[missing] = np.nan
    return out


def _call(node: ir.Call, env: _Env, shift: int) -> Any:
    function = node.function
    assert function is not None
    assert function.columns is not None
    args = [env.full(_eval(a, env, shift)) for a in node.args]
    if function.kind == "population":
        codes, groups = env.codes()
        return function.columns(_as_float(args[0]), codes, groups)
    with np.errstate(all="ignore"):
        return function.columns(*args, *node.static.values())


def evaluate_node(node: ir.Node, frame: Frame, shift: int = 0) -> Array:
    """Evaluate a checked node over ``frame``: an array (NaN/None = missing)."""
    env = _Env(frame)
    return env.full(_eval(node, env, shift))


def to_masked(values: Array, result_type: str) -> np.ma.MaskedArray[Any, Any]:
    """The public result: booleans as bool, numbers as float64, strings as object."""
    missing = _missing(values)
    if result_type == "bool":
        data: Array = np.asarray(values == 1.0)
    elif values.dtype.kind == "O":
        data = values
    else:
        data = np.asarray(values, dtype=np.float64)
    return np.ma.MaskedArray(data, mask=missing)
