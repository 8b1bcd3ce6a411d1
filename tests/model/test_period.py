"""Period: parsing, total order, containment, prev/next — property-tested with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengai.model import DEFAULT_CALENDAR, BadPeriod, Period, PeriodKind, TermCalendar

# the model allows years 1000–9998; keep 100 years of room so every neighbour used exists
years = st.integers(1100, 9800)
year_periods = years.map(lambda y: Period(PeriodKind.YEAR, y))
term_periods = st.builds(
    lambda y, t: Period(PeriodKind.TERM, y, term=t), years, st.sampled_from([1, 2])
)
month_periods = st.builds(
    lambda y, m: Period(PeriodKind.MONTH, y, month=m), years, st.integers(1, 12)
)
periods = st.one_of(year_periods, term_periods, month_periods)
calendars = (
    st.tuples(st.integers(1, 12), st.integers(1, 12))
    .filter(lambda t: t[0] != t[1])
    .map(lambda t: TermCalendar(term1_start=t[0], term2_start=t[1]))
)
SETTINGS = settings(max_examples=150, deadline=None)


def test_parse_examples() -> None:
    assert Period.parse("2025-2026").kind is PeriodKind.YEAR
    term = Period.parse(" 2025-2026-2 ")
    assert (term.kind, term.year, term.term) == (PeriodKind.TERM, 2025, 2)
    month = Period.parse("2025-9")
    assert (month.kind, month.year, month.month) == (PeriodKind.MONTH, 2025, 9)
    assert str(month) == "2025-09"
    assert Period.parse(term) is term
    assert repr(term) == "Period('2025-2026-2')"
    assert sorted(map(Period.parse, ["2025-10", "2025-2026-1", "2025-09", "2025-2026"])) == [
        Period.parse(p) for p in ["2025-2026", "2025-2026-1", "2025-09", "2025-10"]
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-2027", "bad period '2025-2027': an academic year spans two consecutive years"),
        ("2025-2026-3", "bad period '2025-2026-3'"),
        ("2025-13", "bad period '2025-13': month 13 is not 1–12"),
        ("2025/10", "bad period '2025/10'"),
        ("", "bad period ''"),
    ],
)
def test_bad_strings_raise_bad_period(text: str, message: str) -> None:
    with pytest.raises(BadPeriod) as info:
        Period.parse(text)
    assert info.value.code == "data.bad_period"
    assert info.value.message == message


def test_non_strings_and_immutability() -> None:
    with pytest.raises(BadPeriod, match="a period is a string"):
        Period.parse(2025)  # type: ignore[arg-type]
    period = Period.parse("2025-10")
    with pytest.raises(AttributeError):
        period.year = 2026  # type: ignore[misc]
    with pytest.raises(BadPeriod):
        TermCalendar(term1_start=13)
    with pytest.raises(BadPeriod):
        TermCalendar(term1_start=3, term2_start=3)
    with pytest.raises(BadPeriod, match="has two terms"):
        Period.parse("2025-2026").academic_term()
    with pytest.raises(BadPeriod, match="cannot roll"):
        Period.parse("2025-2026-1").rollup(PeriodKind.MONTH)


@SETTINGS
@given(periods)
def test_parse_of_str_round_trips(p: Period) -> None:
    assert Period.parse(str(p)) == p
    assert hash(Period.parse(str(p))) == hash(p)
    assert Period.from_ordinal(p.kind, p.ordinal) == p


@SETTINGS
@given(st.text(max_size=12))
def test_any_text_parses_or_raises_bad_period(text: str) -> None:
    try:
        p = Period.parse(text)
    except BadPeriod:
        return
    assert Period.parse(str(p)) == p


@SETTINGS
@given(periods, periods, periods)
def test_order_is_total_and_transitive(a: Period, b: Period, c: Period) -> None:
    assert [a < b, a == b, b < a].count(True) == 1
    assert (a <= b) == (a < b or a == b)
    if a <= b and b <= c:
        assert a <= c
    assert (a == b) == (str(a) == str(b))


@SETTINGS
@given(periods, periods)
def test_order_is_consistent_with_start_and_containment(a: Period, b: Period) -> None:
    if a.start_index() < b.start_index():
        assert a < b
    if a.contains(b):
        assert a <= b  # a container starts no later and is coarser at the same start
        assert a.start_index() <= b.start_index() <= b.end_index() <= a.end_index()
    if a.contains(b) and b.contains(a):
        assert a == b


@SETTINGS
@given(periods, st.integers(0, 30))
def test_prev_and_next_are_inverse_and_monotone(p: Period, n: int) -> None:
    assert p.next(n).prev(n) == p
    assert p.prev(n).next(n) == p
    assert p.next(n).kind is p.kind
    assert p.next(n).ordinal - p.ordinal == n
    if n:
        assert p.prev(n) < p < p.next(n)
    assert p.next() == p.next(1)


@SETTINGS
@given(month_periods, calendars)
def test_month_in_term_in_year(month: Period, calendar: TermCalendar) -> None:
    term = month.academic_term(calendar)
    year = month.academic_year(calendar)
    assert term.kind is PeriodKind.TERM
    assert term.contains(month, calendar)
    assert year.contains(term, calendar)
    assert year.contains(month, calendar)
    assert month.rollup(PeriodKind.TERM, calendar) == term
    assert term.rollup(PeriodKind.YEAR, calendar) == year
    assert month.rollup(PeriodKind.MONTH, calendar) is month


@SETTINGS
@given(year_periods, calendars)
def test_terms_partition_their_year(year: Period, calendar: TermCalendar) -> None:
    t1, t2 = (Period(PeriodKind.TERM, year.year, term=t) for t in (1, 2))
    months = year.months(calendar)
    assert len(months) == 12
    assert t1.months(calendar) + t2.months(calendar) == months
    assert all(t1.contains(m, calendar) != t2.contains(m, calendar) for m in months)
    assert t1.next() == t2
    assert t2.next() == Period(PeriodKind.TERM, year.year + 1, term=1)


def test_default_calendar_boundaries() -> None:
    assert DEFAULT_CALENDAR.term1_months() == 5
    assert Period.parse("2026-01").academic_term() == Period.parse("2025-2026-1")
    assert Period.parse("2026-02").academic_term() == Period.parse("2025-2026-2")
    assert Period.parse("2026-08").academic_year() == Period.parse("2025-2026")
    assert Period.parse("2026-09").academic_year() == Period.parse("2026-2027")
