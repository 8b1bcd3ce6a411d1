"""The exception hierarchy of zhengai, rooted at :class:`ZhengaiError`.

Every error carries a stable machine-readable ``code`` (documented in the error
reference) and a :class:`Where` naming the place it came from: a file and line,
a spreadsheet row and column, a field path inside a pack, or the column of a
token inside an expression.  Messages are in Chinese with the English term
where it helps, because the people who read them are the quality office and
rule authors.

Packages define specific subclasses next to the code that raises them; every
one of them derives from one of the family roots below, so ``except
ZhengaiError`` catches everything the library raises on bad input.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "ERROR_CODES",
    "ChainError",
    "ConcurrencyConflict",
    "DataError",
    "ExpressionError",
    "GuardFailed",
    "LoopError",
    "PackError",
    "ScoringError",
    "StoreError",
    "Where",
    "ZhengaiError",
    "did_you_mean",
]

#: Every error code defined by a :class:`ZhengaiError` subclass, mapped to the class.
ERROR_CODES: dict[str, type[ZhengaiError]] = {}


@dataclass(frozen=True, slots=True)
class Where:
    """The place an error came from.

    ``row`` is the row number as a spreadsheet shows it (the header is row 1),
    ``column`` is a column name for tables or a 1-based character column for
    expressions, and ``field`` is a dotted field path such as ``rules[2].when``.
    """

    file: str | None = None
    line: int | None = None
    row: int | None = None
    column: int | str | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        head = self.file or ""
        if self.line is not None:
            head = f"{head}:{self.line}" if head else f"line {self.line}"
        if head:
            parts.append(head)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.field:
            parts.append(self.field)
        return " ".join(parts)

    def __bool__(self) -> bool:
        return any(
            v is not None and v != ""
            for v in (self.file, self.line, self.row, self.column, self.field)
        )


class ZhengaiError(Exception):
    """Root of every error zhengai raises on bad input or a refused operation.

    ``code`` is stable across releases; ``where`` says where the problem is;
    ``hint`` is an optional suggestion (a "did you mean", a unit hint).
    ``str(error)`` is one line: ``<where>: <message>``.
    """

    code: ClassVar[str] = "zhengai"

    def __init__(self, message: str, *, where: Where | None = None, hint: str | None = None):
        self.message = message
        self.where = where or Where()
        self.hint = hint
        super().__init__(str(self))

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        code = cls.__dict__.get("code")
        if code is None:
            raise TypeError(f"{cls.__name__} must declare its own stable `code`")
        if code in ERROR_CODES and ERROR_CODES[code] is not cls:
            raise TypeError(f"error code {code!r} is used by {ERROR_CODES[code].__name__} already")
        ERROR_CODES[code] = cls

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text = f"{text}, {self.hint}"
        return f"{self.where}: {text}" if self.where else text

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments do not survive the default pickling of exceptions,
        # and errors cross process boundaries in pools and test runners.
        return (_rebuild, (type(self), self.message, self.where, self.hint, self.__dict__))


def _rebuild(
    cls: type[ZhengaiError], message: str, where: Where, hint: str | None, state: dict[str, object]
) -> ZhengaiError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    error.message, error.where, error.hint = message, where, hint
    return error


ERROR_CODES[ZhengaiError.code] = ZhengaiError


class DataError(ZhengaiError):
    """Bad subjects or observations: unknown names, bad values, broken hierarchies."""

    code = "data"


class ExpressionError(ZhengaiError):
    """An expression that does not compile: syntax, forbidden construct, types, limits."""

    code = "expr"


class PackError(ZhengaiError):
    """A rule pack that does not load or validate."""

    code = "pack"


class ScoringError(ZhengaiError):
    """A scorecard or weighting that cannot be computed (weights, AHP consistency…)."""

    code = "scoring"


class ChainError(ZhengaiError):
    """A goal chain operation that is refused (unknown goal, locked target…)."""

    code = "chain"


class LoopError(ZhengaiError):
    """An illegal or refused step of a spiral (improvement loop)."""

    code = "loop"


class GuardFailed(LoopError):
    """A transition's guard did not hold for a subject."""

    code = "loop.guard_failed"


class StoreError(ZhengaiError):
    """A persistence failure: schema, connection, integrity."""

    code = "store"


class ConcurrencyConflict(StoreError):
    """Another writer changed the same row first; this transaction was rolled back."""

    code = "store.concurrency_conflict"


def did_you_mean(name: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """Return ``"did you mean 'x'?"`` for the closest candidate to ``name``, or None.

    Works for Chinese names too: ``到课律`` suggests ``到课率``.
    """
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=cutoff)
    return f"did you mean {matches[0]!r}?" if matches else None
