"""Periods: academic years, terms and months, ordered and nested.

``2025-2026`` is an academic year, ``2025-2026-1`` / ``2025-2026-2`` its terms and
``2025-10`` a calendar month.  Periods of one kind step with :meth:`Period.prev` /
:meth:`Period.next`; a month lies in a term and a term in a year, with the term
boundaries given by a :class:`TermCalendar` (default: term 1 = September–January,
term 2 = February–August).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import total_ordering
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from zhengai.errors import DataError

__all__ = ["DEFAULT_CALENDAR", "BadPeriod", "Period", "PeriodKind", "TermCalendar"]


class BadPeriod(DataError):
    """A period string that is not ``YYYY-YYYY``, ``YYYY-YYYY-1|2`` or ``YYYY-MM``."""

    code = "data.bad_period"


class PeriodKind(StrEnum):
    """The granularity of a period."""

    YEAR = "year"
    TERM = "term"
    MONTH = "month"

    @property
    def label(self) -> str:
        """The Chinese label (学年 / 学期 / 月)."""
        return {"year": "学年", "term": "学期", "month": "月"}[self.value]


@dataclass(frozen=True, slots=True)
class TermCalendar:
    """Which calendar month each term starts in.

    The academic year starts with term 1.  The default matches most colleges:
    term 1 runs September–January, term 2 February–August.
    """

    term1_start: int = 9
    term2_start: int = 2

    def __post_init__(self) -> None:
        for month in (self.term1_start, self.term2_start):
            if not 1 <= month <= 12:
                raise BadPeriod(f"term start month must be 1–12, got {month}")
        if self.term1_start == self.term2_start:
            raise BadPeriod("terms 1 and 2 cannot start in the same month")

    def term1_months(self) -> int:
        """How many months term 1 lasts."""
        return (self.term2_start - self.term1_start) % 12


DEFAULT_CALENDAR = TermCalendar()

_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
_TERM = re.compile(r"^(\d{4})-(\d{4})-([12])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_KIND_ORDER = {PeriodKind.YEAR: 0, PeriodKind.TERM: 1, PeriodKind.MONTH: 2}


@total_ordering
class Period:
    """An academic year, a term or a month; immutable, hashable and totally ordered.

    Order is by start month (under the default calendar), then from the coarser
    to the finer kind, so ``2025-2026 < 2025-2026-1 < 2025-09 < 2025-10``.
    """

    __slots__ = ("_key", "kind", "month", "term", "year")

    kind: PeriodKind
    year: int
    _key: tuple[int, int]
    term: int
    month: int

    def __init__(self, kind: PeriodKind, year: int, term: int = 0, month: int = 0) -> None:
        # ``year`` is the first calendar year of the academic year for years and terms,
        # and the calendar year for months.
        object.__setattr__(self, "kind", PeriodKind(kind))
        object.__setattr__(self, "year", year)
        object.__setattr__(self, "term", term)
        object.__setattr__(self, "month", month)
        if not 1000 <= year <= 9998:
            raise BadPeriod(f"year {year} is out of range")
        if self.kind is PeriodKind.TERM and term not in (1, 2):
            raise BadPeriod(f"a term is 1 or 2, got {term}")
        if self.kind is PeriodKind.MONTH and not 1 <= month <= 12:
            raise BadPeriod(f"a month is 1–12, got {month}")
        object.__setattr__(self, "_key", (self.start_index(), _KIND_ORDER[self.kind]))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Period is immutable")

    # -- parsing and printing -------------------------------------------------
    @classmethod
    def parse(cls, text: str | Period) -> Period:
        """Parse ``2025-2026``, ``2025-2026-1`` or ``2025-10``; raise :class:`BadPeriod`."""
        if isinstance(text, Period):
            return text
        if not isinstance(text, str):
            raise BadPeriod(f"a period is a string such as '2025-2026-1', got {text!r}")
        s = text.strip()
        if m := _TERM.match(s):
            first, second, term = int(m[1]), int(m[2]), int(m[3])
            cls._check_span(text, first, second)
            return cls(PeriodKind.TERM, first, term=term)
        if m := _YEAR.match(s):
            first, second = int(m[1]), int(m[2])
            cls._check_span(text, first, second)
            return cls(PeriodKind.YEAR, first)
        if m := _MONTH.match(s):
            month = int(m[2])
            if not 1 <= month <= 12:
                raise BadPeriod(f"bad period {text!r}: month {month} is not 1–12")
            return cls(PeriodKind.MONTH, int(m[1]), month=month)
        raise BadPeriod(
            f"bad period {text!r}",
            hint="expected an academic year '2025-2026', a term '2025-2026-1' or a month '2025-10'",
        )

    @staticmethod
    def _check_span(text: str, first: int, second: int) -> None:
        if second != first + 1:
            raise BadPeriod(f"bad period {text!r}: an academic year spans two consecutive years")

    def __str__(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return f"{self.year}-{self.year + 1}"
        if self.kind is PeriodKind.TERM:
            return f"{self.year}-{self.year + 1}-{self.term}"
        return f"{self.year}-{self.month:02d}"

    def __repr__(self) -> str:
        return f"Period('{self}')"

    # -- order ------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Period):
            return self._key == other._key
        return NotImplemented

    def __lt__(self, other: object) -> bool:
        if isinstance(other, Period):
            return bool(self._key < other._key)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key)

    @property
    def ordinal(self) -> int:
        """A consecutive integer among periods of the same kind (for window functions)."""
        if self.kind is PeriodKind.YEAR:
            return self.year
        if self.kind is PeriodKind.TERM:
            return self.year * 2 + self.term - 1
        return self.year * 12 + self.month - 1

    @classmethod
    def from_ordinal(cls, kind: PeriodKind, ordinal: int) -> Period:
        """Inverse of :attr:`ordinal`."""
        kind = PeriodKind(kind)
        if kind is PeriodKind.YEAR:
            return cls(kind, ordinal)
        if kind is PeriodKind.TERM:
            return cls(kind, ordinal // 2, term=ordinal % 2 + 1)
        return cls(kind, ordinal // 12, month=ordinal % 12 + 1)

    def prev(self, n: int = 1) -> Period:
        """The period ``n`` steps earlier, of the same kind."""
        return Period.from_ordinal(self.kind, self.ordinal - n)

    def next(self, n: int = 1) -> Period:
        """The period ``n`` steps later, of the same kind."""
        return Period.from_ordinal(self.kind, self.ordinal + n)

    # -- calendar ---------------------------------------------------------------
    def start_index(self, calendar: TermCalendar = DEFAULT_CALENDAR) -> int:
        """First month covered, as ``year * 12 + month - 1``."""
        if self.kind is PeriodKind.MONTH:
            return self.year * 12 + self.month - 1
        start = self.year * 12 + calendar.term1_start - 1
        if self.kind is PeriodKind.TERM and self.term == 2:
            start += calendar.term1_months()
        return start

    def end_index(self, calendar: TermCalendar = DEFAULT_CALENDAR) -> int:
        """Last month covered, as ``year * 12 + month - 1`` (inclusive)."""
        if self.kind is PeriodKind.MONTH:
            return self.start_index(calendar)
        if self.kind is PeriodKind.YEAR:
            return self.start_index(calendar) + 11
        length = calendar.term1_months() if self.term == 1 else 12 - calendar.term1_months()
        return self.start_index(calendar) + length - 1

    def months(self, calendar: TermCalendar = DEFAULT_CALENDAR) -> list[Period]:
        """Every month this period covers, in order."""
        return [
            Period.from_ordinal(PeriodKind.MONTH, i)
            for i in range(self.start_index(calendar), self.end_index(calendar) + 1)
        ]

    def contains(self, other: Period, calendar: TermCalendar = DEFAULT_CALENDAR) -> bool:
        """True when ``other`` lies wholly inside this period (a period contains itself)."""
        return self.start_index(calendar) <= other.start_index(calendar) and other.end_index(
            calendar
        ) <= self.end_index(calendar)

    def academic_year(self, calendar: TermCalendar = DEFAULT_CALENDAR) -> Period:
        """The academic year this period lies in."""
        if self.kind is PeriodKind.YEAR:
            return self
        if self.kind is PeriodKind.TERM:
            return Period(PeriodKind.YEAR, self.year)
        first = self.year if self.month >= calendar.term1_start else self.year - 1
        return Period(PeriodKind.YEAR, first)

    def academic_term(self, calendar: TermCalendar = DEFAULT_CALENDAR) -> Period:
        """The term this month (or term) lies in; a year has no single term."""
        if self.kind is PeriodKind.TERM:
            return self
        if self.kind is PeriodKind.YEAR:
            raise BadPeriod(f"{self} is an academic year; it has two terms")
        year = self.academic_year(calendar)
        term1 = Period(PeriodKind.TERM, year.year, term=1)
        return term1 if term1.contains(self, calendar) else Period(PeriodKind.TERM, year.year, 2)

    def rollup(self, kind: PeriodKind, calendar: TermCalendar = DEFAULT_CALENDAR) -> Period:
        """The enclosing period of ``kind`` (month → term → year)."""
        kind = PeriodKind(kind)
        if kind is self.kind:
            return self
        if kind is PeriodKind.YEAR:
            return self.academic_year(calendar)
        if kind is PeriodKind.TERM:
            return self.academic_term(calendar)
        raise BadPeriod(f"cannot roll {self} up to a month")

    # -- pydantic ---------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
            json_schema_input_schema=core_schema.str_schema(),
        )

    @classmethod
    def _validate(cls, value: object) -> Period:
        if isinstance(value, Period):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        raise BadPeriod(f"a period is a string such as '2025-2026-1', got {value!r}")
