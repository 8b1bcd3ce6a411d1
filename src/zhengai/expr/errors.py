"""The errors of the expression language, one class per static check or limit.

Every class derives from :class:`zhengai.errors.ExpressionError` and carries a
stable ``code``; compile-time errors name the 1-based column of the offending
token in ``where.column`` (and ``where.line`` when the expression spans lines).
"""

from __future__ import annotations

from zhengai.errors import ExpressionError

__all__ = [
    "BadArguments",
    "BadExponent",
    "BadLiteral",
    "BadValue",
    "ExpressionSyntaxError",
    "ExpressionTypeError",
    "ForbiddenConstruct",
    "ListTooLong",
    "MissingContext",
    "NestedWindow",
    "SqlUnsupported",
    "StringTooLong",
    "TooDeep",
    "TooLong",
    "TooManyNodes",
    "UnknownFunction",
    "UnknownName",
]


class ExpressionSyntaxError(ExpressionError):
    """The text is not a Python expression."""

    code = "expr.syntax"


class ForbiddenConstruct(ExpressionError):
    """A construct outside the allow-list (attribute access, subscripts, lambdas…)."""

    code = "expr.forbidden"


class UnknownName(ExpressionError):
    """A name that is no indicator, subject attribute or pack constant."""

    code = "expr.unknown_name"


class UnknownFunction(ExpressionError):
    """A call to a function that is not registered."""

    code = "expr.unknown_function"


class BadArguments(ExpressionError):
    """Wrong number or names of arguments, or a non-literal where a literal is required."""

    code = "expr.bad_arguments"


class ExpressionTypeError(ExpressionError):
    """A value of the wrong type: a number as a condition, a string compared with a number…"""

    code = "expr.type"


class BadExponent(ExpressionError):
    """``**`` with an exponent that is not an integer literal within the bound."""

    code = "expr.bad_exponent"


class BadLiteral(ExpressionError):
    """A literal of a forbidden kind (bytes, complex) or a number too large for a float."""

    code = "expr.bad_literal"


class BadValue(ExpressionError):
    """(Evaluation) a value of the wrong type in the data, e.g. text where a number is read."""

    code = "expr.bad_value"


class TooLong(ExpressionError):
    """The source text is longer than ``MAX_SOURCE_LENGTH``."""

    code = "expr.too_long"


class TooDeep(ExpressionError):
    """The expression nests deeper than ``MAX_DEPTH``."""

    code = "expr.too_deep"


class TooManyNodes(ExpressionError):
    """The expression has more than ``MAX_NODES`` syntax nodes."""

    code = "expr.too_many_nodes"


class StringTooLong(ExpressionError):
    """A string literal longer than ``MAX_STRING_LENGTH``."""

    code = "expr.string_too_long"


class ListTooLong(ExpressionError):
    """A list or tuple literal longer than ``MAX_LIST_LENGTH``."""

    code = "expr.list_too_long"


class NestedWindow(ExpressionError):
    """A population function inside another one (SQL cannot nest window functions)."""

    code = "expr.nested_window"


class MissingContext(ExpressionError):
    """Evaluation needs history, a population or goals that were not given."""

    code = "expr.missing_context"


class SqlUnsupported(ExpressionError):
    """The SQL backend cannot express this expression with the columns given."""

    code = "expr.sql_unsupported"
