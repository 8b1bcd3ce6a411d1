"""The safe expression language (DESIGN.md §3, §7): parse once, run in three backends.

>>> Expression("gpa_prev - gpa >= 0.5").evaluate({"gpa_prev": 2.3, "gpa": 1.8})
True
"""

from zhengai.expr.context import MISSING_GROUP, RowContext
from zhengai.expr.errors import (
    BadArguments,
    BadExponent,
    BadLiteral,
    BadValue,
    ExpressionSyntaxError,
    ExpressionTypeError,
    ForbiddenConstruct,
    ListTooLong,
    MissingContext,
    NestedWindow,
    SqlUnsupported,
    StringTooLong,
    TooDeep,
    TooLong,
    TooManyNodes,
    UnknownFunction,
    UnknownName,
)
from zhengai.expr.expression import Explanation, Expression, Step
from zhengai.expr.frame import Frame
from zhengai.expr.functions import FUNCTIONS, Expansion, Function, Param, register_function
from zhengai.expr.limits import (
    DECIMALS,
    EPSILON,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LAG,
    MAX_LIST_LENGTH,
    MAX_NODES,
    MAX_SOURCE_LENGTH,
    MAX_STRING_LENGTH,
)

__all__ = [
    "DECIMALS",
    "EPSILON",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LAG",
    "MAX_LIST_LENGTH",
    "MAX_NODES",
    "MAX_SOURCE_LENGTH",
    "MAX_STRING_LENGTH",
    "MISSING_GROUP",
    "BadArguments",
    "BadExponent",
    "BadLiteral",
    "BadValue",
    "Expansion",
    "Explanation",
    "Expression",
    "ExpressionSyntaxError",
    "ExpressionTypeError",
    "ForbiddenConstruct",
    "Frame",
    "Function",
    "ListTooLong",
    "MissingContext",
    "NestedWindow",
    "Param",
    "RowContext",
    "SqlUnsupported",
    "Step",
    "StringTooLong",
    "TooDeep",
    "TooLong",
    "TooManyNodes",
    "UnknownFunction",
    "UnknownName",
    "register_function",
]
