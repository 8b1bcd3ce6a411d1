"""Loading and checking subjects and observations from files, DataFrames and records.

Every check runs over whole columns: each distinct indicator name, period, level
or subject id is resolved once, and only the rows that fail are visited one by
one, to build their errors.  ``errors="raise"`` raises the first problem in file
order (row, then column); ``errors="collect"`` raises one :class:`DataLoadFailed`
listing all of them; :func:`check_subjects` / :func:`check_observations` return
the list.  A failed load returns nothing: nothing is half-loaded.

Column headers are matched case-insensitively against :data:`SUBJECT_COLUMNS` and
:data:`OBSERVATION_COLUMNS`, so a Chinese export with ``学号, 指标, 学期, 值`` loads
as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from zhengai.data._columns import (
    IntArray,
    ObjectArray,
    factorize,
    factorize_text,
    lookup,
    object_array,
    text_of,
    to_datetime,
    to_float,
)
from zhengai.data.errors import (
    BadValue,
    DataLoadFailed,
    DuplicateColumn,
    DuplicateObservation,
    DuplicateSubject,
    MissingColumn,
    MissingParent,
    OutOfRange,
    ParentCycle,
    UnknownSubject,
)
from zhengai.data.observations import Observations, _Coded
from zhengai.data.subjects import Subjects
from zhengai.data.tables import Source, Table, read_table
from zhengai.errors import DataError, Where, did_you_mean
from zhengai.model import (
    BadPeriod,
    Indicator,
    IndicatorCatalog,
    Level,
    Period,
    Subject,
    UnknownIndicator,
    UnknownLevel,
)

__all__ = [
    "OBSERVATION_COLUMNS",
    "SUBJECT_COLUMNS",
    "check_observations",
    "check_subjects",
    "load_observations",
    "load_subjects",
]

Errors = Literal["raise", "collect"]
Form = Literal["auto", "long", "wide"]

#: Header names (matched case-insensitively) accepted for each subject column.
SUBJECT_COLUMNS: dict[str, tuple[str, ...]] = {
    "subject_id": ("subject_id", "id", "主体编号", "主体", "编号", "学号", "工号"),
    "level": ("level", "层面", "层级"),
    "name": ("name", "名称", "姓名"),
    "parent_id": ("parent_id", "parent", "上级编号", "上级"),
}

#: Header names (matched case-insensitively) accepted for each observation column.
OBSERVATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "subject_id": ("subject_id", "subject", "主体编号", "主体", "编号", "学号", "工号"),
    "indicator": ("indicator", "指标", "指标名称", "指标编号"),
    "period": ("period", "期间", "学期", "学年", "月份"),
    "value": ("value", "值", "数值"),
    "source": ("source", "来源", "数据来源"),
    "recorded_at": ("recorded_at", "记录时间", "采集时间"),
}

# In wide form these columns describe the subject and are not indicators.
_WIDE_IGNORED = {
    alias.casefold() for key in ("name", "level", "parent_id") for alias in SUBJECT_COLUMNS[key]
}

# Suggestions scan every known id; cap how many distinct unknown ids get one.
_MAX_SUGGESTIONS = 20


# -- problems ---------------------------------------------------------------------------
@dataclass
class _Found:
    rows: IntArray  # spreadsheet rows of the offending cells
    columns: IntArray  # header positions, for ordering within a row
    positions: IntArray  # positions passed to ``build``
    build: Callable[[int], DataError]


@dataclass
class _Problems:
    """Problems found so far, built lazily so that raise mode builds only the first."""

    found: list[_Found] = field(default_factory=list)

    def add(self, error: DataError, row: int = 0, column: int = -1) -> None:
        def build(_position: int) -> DataError:
            return error

        self.found.append(_Found(np.array([row]), np.array([column]), np.array([0]), build))

    def add_rows(
        self,
        positions: IntArray,
        rows: IntArray,
        columns: IntArray,
        build: Callable[[int], DataError],
    ) -> None:
        if len(positions):
            self.found.append(_Found(rows[positions], columns[positions], positions, build))

    def __bool__(self) -> bool:
        return bool(self.found)

    def first(self) -> DataError:
        best: tuple[int, int, int, int] | None = None
        for n, found in enumerate(self.found):
            k = int(np.lexsort((found.columns, found.rows))[0])
            key = (int(found.rows[k]), int(found.columns[k]), n, k)
            best = key if best is None or key < best else best
        assert best is not None
        found = self.found[best[2]]
        return found.build(int(found.positions[best[3]]))

    def all(self) -> list[DataError]:
        keyed = [
            (int(r), int(c), n, f.build(int(p)))
            for n, f in enumerate(self.found)
            for r, c, p in zip(f.rows, f.columns, f.positions, strict=True)
        ]
        keyed.sort(key=lambda item: item[:3])
        return [item[3] for item in keyed]


def _finish(problems: _Problems, errors: Errors, file: str | None) -> None:
    """Raise what the error mode asks for when there are problems."""
    if not problems:
        return
    if errors == "raise":
        raise problems.first()
    if errors == "collect":
        raise DataLoadFailed(problems.all(), file=file)
    raise ValueError(f"errors must be 'raise' or 'collect', got {errors!r}")


def _read(source: Source, sheet: str | None, encoding: str | None) -> Table:
    return read_table(source, sheet=sheet, encoding=encoding)


def _rewhere(error: DataError, where: Where) -> DataError:
    """The same error (class, message, hint) at ``where``."""
    return type(error)(error.message, where=where, hint=error.hint)


# -- headers ----------------------------------------------------------------------------
def _map_headers(
    table: Table, aliases: Mapping[str, tuple[str, ...]], problems: _Problems
) -> dict[str, int]:
    """Header position of each known column; a second header for one column is a problem."""
    lookup_name = {alias.casefold(): key for key, names in aliases.items() for alias in names}
    found: dict[str, int] = {}
    for position, header in enumerate(table.headers):
        key = lookup_name.get(header.casefold())
        if key is None:
            continue
        if key in found:
            problems.add(
                DuplicateColumn(
                    f"column {header!r} repeats column {table.headers[found[key]]!r} "
                    f"(both mean {key})",
                    where=table.where(1, header),
                ),
                1,
                position,
            )
            continue
        found[key] = position
    return found


def _require(
    table: Table,
    columns: dict[str, int],
    needed: Iterable[str],
    aliases: Mapping[str, tuple[str, ...]],
    problems: _Problems,
    hint: str | None = None,
) -> bool:
    ok = True
    for key in needed:
        if key not in columns:
            ok = False
            chinese = "/".join(a for a in aliases[key] if not a.isascii())
            problems.add(
                MissingColumn(
                    f"missing column {key!r} ({chinese})",
                    where=table.where(1, key),
                    hint=hint or did_you_mean(key, table.headers),
                ),
                1,
                len(table.headers),  # after the problems of columns that are there
            )
    return ok


# -- subjects ---------------------------------------------------------------------------
def load_subjects(
    source: Source,
    *,
    errors: Errors = "raise",
    sheet: str | None = None,
    encoding: str | None = None,
) -> Subjects:
    """Load subjects: ``subject_id, level`` [, ``name``, ``parent_id``] and free attributes.

    ``source`` is a CSV path (UTF-8, UTF-8 with BOM or GBK/GB18030, detected), an
    ``.xlsx`` path (``sheet`` or the first sheet), a pandas DataFrame or an iterable
    of dicts.  Levels are English ids or Chinese labels (``学生``).  Problems: empty
    or repeated ids, unknown levels, a parent that does not exist and parents in a
    cycle.  Every other column becomes an attribute.
    """
    subjects, problems, file = _subjects(source, sheet, encoding)
    _finish(problems, errors, file)
    assert subjects is not None
    return subjects


def check_subjects(
    source: Source, *, sheet: str | None = None, encoding: str | None = None
) -> list[DataError]:
    """Every problem :func:`load_subjects` would report, in file order; [] when clean."""
    _, problems, _ = _subjects(source, sheet, encoding)
    return problems.all()


def _subjects(
    source: Source, sheet: str | None, encoding: str | None
) -> tuple[Subjects | None, _Problems, str | None]:
    problems = _Problems()
    try:
        table = _read(source, sheet, encoding)
    except DataError as error:
        problems.add(error)
        return None, problems, error.where.file
    for problem in table.problems:
        problems.add(problem, problem.where.row or 0, len(table.headers))
    columns = _map_headers(table, SUBJECT_COLUMNS, problems)
    if not _require(table, columns, ("subject_id", "level"), SUBJECT_COLUMNS, problems):
        return None, problems, table.file
    n = len(table)
    rows = table.rows
    at = {key: np.full(n, pos, dtype=np.int64) for key, pos in columns.items()}
    head = {key: table.headers[pos] for key, pos in columns.items()}
    everywhere = np.arange(n)

    def where(i: int, key: str) -> Where:
        return table.where(int(rows[i]), head[key])

    # ids: present and unique
    id_codes, id_labels = factorize_text(table.columns[columns["subject_id"]])
    empty = id_codes < 0
    problems.add_rows(
        everywhere[empty],
        rows,
        at["subject_id"],
        lambda i: BadValue("empty subject id", where=where(i, "subject_id")),
    )
    order = np.flatnonzero(~empty)
    first_row = np.full(len(id_labels), -1, dtype=np.int64)
    distinct, first_at = np.unique(id_codes[order], return_index=True)  # first occurrences
    first_row[distinct] = order[first_at]
    repeated = order[first_row[id_codes[order]] != order]
    problems.add_rows(
        repeated,
        rows,
        at["subject_id"],
        lambda i: DuplicateSubject(
            f"subject id {id_labels[id_codes[i]]!r} is also on row {rows[first_row[id_codes[i]]]}",
            where=where(i, "subject_id"),
        ),
    )

    # levels: each distinct label parsed once
    level_codes, level_labels = factorize_text(table.columns[columns["level"]])
    parsed: list[str | None] = []
    level_errors: dict[int, DataError] = {}
    for k, label in enumerate(level_labels):
        try:
            parsed.append(Level.parse(label).value)
        except UnknownLevel as error:
            parsed.append(None)
            level_errors[k] = error
    problems.add_rows(
        everywhere[level_codes < 0],
        rows,
        at["level"],
        lambda i: BadValue("empty level", where=where(i, "level")),
    )
    unknown = np.isin(level_codes, list(level_errors)) if level_errors else np.zeros(n, bool)
    problems.add_rows(
        everywhere[unknown],
        rows,
        at["level"],
        lambda i: _rewhere(level_errors[int(level_codes[i])], where(i, "level")),
    )
    levels = object_array([*parsed, None])[level_codes]

    # parents: exist, no cycles
    if "parent_id" in columns:
        parent_codes, parent_labels = factorize_text(table.columns[columns["parent_id"]])
        parent_of_label = lookup(object_array(parent_labels), object_array(id_labels))
        missing_labels = np.flatnonzero(parent_of_label < 0)
        hints = {
            int(k): did_you_mean(parent_labels[k], id_labels)
            for k in missing_labels[:_MAX_SUGGESTIONS]
        }
        missing = np.isin(parent_codes, missing_labels)
        problems.add_rows(
            everywhere[missing],
            rows,
            at["parent_id"],
            lambda i: MissingParent(
                f"parent {parent_labels[parent_codes[i]]!r} is not a subject",
                where=where(i, "parent_id"),
                hint=hints.get(int(parent_codes[i])),
            ),
        )
        parents = object_array([*parent_labels, None])[parent_codes]
        # parent (as an id code) of each distinct id, from its first row
        valid_first = first_row >= 0
        parent_id_code = np.full(len(id_labels), -1, dtype=np.int64)
        p_codes = parent_codes[first_row[valid_first]]
        parent_id_code[valid_first] = np.where(
            p_codes >= 0, np.append(parent_of_label, -1)[p_codes], -1
        )
        for cycle in _cycles(parent_id_code):
            members = [id_labels[c] for c in cycle]
            start = min(cycle, key=lambda c: rows[first_row[c]])
            i = int(first_row[start])
            shift = cycle.index(start)
            path = " → ".join([*members[shift:], *members[:shift], members[shift]])
            problems.add(
                ParentCycle(f"parents form a cycle: {path}", where=where(i, "parent_id")),
                int(rows[i]),
                columns["parent_id"],
            )
    else:
        parents = object_array([None] * n)

    names = (
        _text_column(table.columns[columns["name"]], "")
        if "name" in columns
        else object_array([""] * n)
    )
    taken = set(columns.values())
    attributes = {
        header: _attribute(table.columns[pos])
        for pos, header in enumerate(table.headers)
        if pos not in taken and header
    }
    if problems:
        return None, problems, table.file
    ids = object_array(id_labels)[id_codes] if n else object_array([])
    return Subjects(ids, levels, names, parents, attributes), problems, table.file


def _cycles(parent: IntArray) -> list[list[int]]:
    """Each cycle of the parent map (``-1`` = root), as a list of nodes.

    Pointer doubling finds, without per-node Python, the nodes that never reach a
    root; only those are walked to name their cycles.
    """
    n = len(parent)
    jump = parent.copy()
    for _ in range(max(1, int(n).bit_length()) + 1):
        has = jump >= 0
        jump[has] = jump[jump[has]]
    stuck = np.flatnonzero(jump >= 0)
    seen: set[int] = set()
    cycles: list[list[int]] = []
    for node in stuck.tolist():
        path: dict[int, int] = {}
        current = node
        while current not in seen and current not in path:
            path[current] = len(path)
            current = int(parent[current])
        if current in path:
            cycles.append(list(path)[path[current] :])
        seen.update(path)
    return cycles


def _text_column(cells: ObjectArray, empty: str | None) -> ObjectArray:
    codes, labels = factorize_text(cells)
    return object_array([*labels, empty])[codes] if len(codes) else object_array([])


def _attribute(cells: ObjectArray) -> ObjectArray:
    """An attribute column: text stripped (blank is None), numbers kept, times as ISO text."""
    codes, distinct = factorize(cells)
    clean = [_attribute_value(v) for v in distinct]
    return object_array([*clean, None])[codes] if len(codes) else object_array([])


def _attribute_value(value: object) -> object:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime | date):
        return text_of(value)
    return value


# -- observations -----------------------------------------------------------------------
@dataclass
class _Long:
    """Long-form cells with, per cell, its spreadsheet row and header position."""

    table: Table
    rows: IntArray
    cells: dict[str, ObjectArray]
    at: dict[str, IntArray]

    def where(self, i: int, key: str) -> Where:
        position = int(self.at[key][i])
        column = self.table.headers[position] if position >= 0 else key
        return self.table.where(int(self.rows[i]), column)


def load_observations(
    source: Source,
    *,
    catalog: IndicatorCatalog | Iterable[Indicator],
    subjects: Subjects | Iterable[Subject] | None = None,
    period: str | Period | None = None,
    form: Form = "auto",
    errors: Errors = "raise",
    sheet: str | None = None,
    encoding: str | None = None,
) -> Observations:
    """Load state data, long or wide, checked against ``catalog`` (and ``subjects``).

    Long form has ``subject_id, indicator, period, value`` [, ``source``,
    ``recorded_at``]; wide form one row per subject and one column per indicator
    (named by id, Chinese name or alias), with a ``period`` column or the ``period``
    argument; ``form="auto"`` picks long when there is an ``indicator`` column.
    ``period`` also fills empty period cells.  An empty value cell is a missing
    value (NaN), never zero.  Problems: unknown subject (when ``subjects`` is given)
    or indicator, bad period, non-numeric value, a value outside the indicator's
    valid range, and one (subject, indicator, period, recorded_at) with two
    different values (the same value twice is kept once).
    """
    observations, problems, file = _observations(
        source, IndicatorCatalog.coerce(catalog), subjects, period, form, sheet, encoding
    )
    _finish(problems, errors, file)
    assert observations is not None
    return observations


def check_observations(
    source: Source,
    *,
    catalog: IndicatorCatalog | Iterable[Indicator],
    subjects: Subjects | Iterable[Subject] | None = None,
    period: str | Period | None = None,
    form: Form = "auto",
    sheet: str | None = None,
    encoding: str | None = None,
) -> list[DataError]:
    """Every problem :func:`load_observations` would report, in file order; [] when clean."""
    _, problems, _ = _observations(
        source, IndicatorCatalog.coerce(catalog), subjects, period, form, sheet, encoding
    )
    return problems.all()


def _observations(
    source: Source,
    catalog: IndicatorCatalog,
    subjects: Subjects | Iterable[Subject] | None,
    period: str | Period | None,
    form: Form,
    sheet: str | None,
    encoding: str | None,
) -> tuple[Observations | None, _Problems, str | None]:
    problems = _Problems()
    if form not in ("auto", "long", "wide"):
        raise ValueError(f"form must be 'auto', 'long' or 'wide', got {form!r}")
    try:
        default_period = None if period is None else Period.parse(period)
        table = _read(source, sheet, encoding)
    except DataError as error:
        problems.add(error)
        return None, problems, error.where.file
    for problem in table.problems:
        problems.add(problem, problem.where.row or 0, len(table.headers))
    columns = _map_headers(table, OBSERVATION_COLUMNS, problems)
    if form == "auto":
        # an indicator column means long form; a typo in "value" then gets a did-you-mean
        form = "long" if "indicator" in columns else "wide"
    long = (
        _long_form(table, columns, problems, default_period)
        if form == "long"
        else _wide_form(table, columns, catalog, problems, default_period)
    )
    if long is None:
        return None, problems, table.file
    population = None if subjects is None else Subjects.coerce(subjects)
    return _check_long(long, catalog, population, default_period, problems), problems, table.file


def _long_form(
    table: Table, columns: dict[str, int], problems: _Problems, default: Period | None
) -> _Long | None:
    needed = ["subject_id", "indicator", *([] if default else ["period"]), "value"]
    if not _require(table, columns, needed, OBSERVATION_COLUMNS, problems):
        return None
    n = len(table)
    cells = {key: table.columns[pos] for key, pos in columns.items()}
    at = {key: np.full(n, pos, dtype=np.int64) for key, pos in columns.items()}
    if "period" not in cells:
        cells["period"] = object_array([None] * n)
        at["period"] = np.full(n, -1, dtype=np.int64)
    return _Long(table, table.rows, cells, at)


def _wide_form(
    table: Table,
    columns: dict[str, int],
    catalog: IndicatorCatalog,
    problems: _Problems,
    default: Period | None,
) -> _Long | None:
    needed = ["subject_id"] + ([] if default else ["period"])
    hint = None if default else "add a period column or pass period="
    ok = _require(table, columns, needed, OBSERVATION_COLUMNS, problems, hint)
    taken = set(columns.values())
    indicator_columns: list[int] = []
    for pos, header in enumerate(table.headers):
        if pos in taken or header.casefold() in _WIDE_IGNORED:
            continue
        if catalog.get_by_name(header) is not None:
            indicator_columns.append(pos)
            continue
        if not header and all(v is None for v in _attribute(table.columns[pos])):
            continue
        problems.add(
            UnknownIndicator(
                f"column {header!r} is not an indicator" if header else "a column has no header",
                where=table.where(1, header or f"#{pos + 1}"),
                hint=did_you_mean(header, catalog.all_names()) if header else None,
            ),
            1,
            pos,
        )
    if not ok:
        return None
    n, k = len(table), len(indicator_columns)
    cells: dict[str, ObjectArray] = {}
    at: dict[str, IntArray] = {}
    for key, pos in columns.items():
        if key not in ("indicator", "value"):
            cells[key] = np.repeat(table.columns[pos], k)
            at[key] = np.full(n * k, pos, dtype=np.int64)
    if "period" not in cells:
        cells["period"] = object_array([None] * (n * k))
        at["period"] = np.full(n * k, -1, dtype=np.int64)
    # row-major: each subject's indicators in header order, so output follows the file
    headers = object_array([table.headers[pos] for pos in indicator_columns])
    cells["indicator"] = np.tile(headers, n)
    at["indicator"] = np.tile(np.array(indicator_columns, dtype=np.int64), n)
    values = (
        np.column_stack([table.columns[pos] for pos in indicator_columns]).ravel()
        if k and n
        else object_array([])
    )
    cells["value"] = values.astype(object)
    at["value"] = at["indicator"]
    return _Long(table, np.repeat(table.rows, k), cells, at)


def _check_long(
    long: _Long,
    catalog: IndicatorCatalog,
    population: Subjects | None,
    default_period: Period | None,
    problems: _Problems,
) -> Observations | None:
    n = len(long.rows)
    rows = long.rows
    everywhere = np.arange(n)
    bad = np.zeros(n, dtype=bool)

    # subjects
    s_codes, s_labels = factorize_text(long.cells["subject_id"])
    problems.add_rows(
        everywhere[s_codes < 0],
        rows,
        long.at["subject_id"],
        lambda i: BadValue("empty subject id", where=long.where(i, "subject_id")),
    )
    bad |= s_codes < 0
    if population is not None:
        known = lookup(object_array(s_labels), population.ids) >= 0
        unknown_labels = np.flatnonzero(~known)
        hints = {
            int(k): did_you_mean(s_labels[k], population.ids.tolist())
            for k in unknown_labels[:_MAX_SUGGESTIONS]
        }
        unknown = np.isin(s_codes, unknown_labels)
        problems.add_rows(
            everywhere[unknown],
            rows,
            long.at["subject_id"],
            lambda i: UnknownSubject(
                f"unknown subject {s_labels[s_codes[i]]!r}",
                where=long.where(i, "subject_id"),
                hint=hints.get(int(s_codes[i])),
            ),
        )
        bad |= unknown

    # indicators: each distinct name resolved once, then codes merged by id
    i_codes, i_labels = factorize_text(long.cells["indicator"])
    resolved: list[Indicator | None] = []
    i_errors: dict[int, DataError] = {}
    for k, label in enumerate(i_labels):
        try:
            resolved.append(catalog.resolve(label))
        except UnknownIndicator as error:
            resolved.append(None)
            i_errors[k] = error
    problems.add_rows(
        everywhere[i_codes < 0],
        rows,
        long.at["indicator"],
        lambda i: BadValue("empty indicator", where=long.where(i, "indicator")),
    )
    unknown = np.isin(i_codes, list(i_errors)) if i_errors else np.zeros(n, dtype=bool)
    problems.add_rows(
        everywhere[unknown],
        rows,
        long.at["indicator"],
        lambda i: _rewhere(i_errors[int(i_codes[i])], long.where(i, "indicator")),
    )
    bad |= (i_codes < 0) | unknown
    ids: dict[str, int] = {}
    id_of_label = np.array(
        [-1 if ind is None else ids.setdefault(ind.id, len(ids)) for ind in resolved] + [-1],
        dtype=np.int64,
    )
    indicator_codes = id_of_label[i_codes]
    indicators = [catalog[i] for i in ids]

    # periods: each distinct text parsed once; an empty cell takes the default period
    p_codes, p_labels = factorize_text(long.cells["period"], _period_text)
    p_parsed: list[str | None] = []
    p_errors: dict[int, DataError] = {}
    for k, label in enumerate(p_labels):
        try:
            p_parsed.append(str(Period.parse(label)))
        except BadPeriod as error:
            p_parsed.append(None)
            p_errors[k] = error
    period_labels: dict[str, int] = {}
    p_map = [-1 if p is None else period_labels.setdefault(p, len(period_labels)) for p in p_parsed]
    if default_period is not None:
        p_map.append(period_labels.setdefault(str(default_period), len(period_labels)))
    else:
        p_map.append(-1)
        problems.add_rows(
            everywhere[p_codes < 0],
            rows,
            long.at["period"],
            lambda i: BadPeriod("empty period", where=long.where(i, "period")),
        )
        bad |= p_codes < 0
    unknown = np.isin(p_codes, list(p_errors)) if p_errors else np.zeros(n, dtype=bool)
    problems.add_rows(
        everywhere[unknown],
        rows,
        long.at["period"],
        lambda i: _rewhere(p_errors[int(p_codes[i])], long.where(i, "period")),
    )
    bad |= unknown
    period_codes = np.array(p_map, dtype=np.int64)[p_codes]

    # values: numbers or empty, inside the indicator's range
    raw = long.cells["value"]
    values, not_number = to_float(raw)
    problems.add_rows(
        everywhere[not_number],
        rows,
        long.at["value"],
        lambda i: BadValue(
            f"value {raw[i]!r} is not a number",
            where=long.where(i, "value"),
            hint=_number_hint(raw[i]),
        ),
    )
    bad |= not_number
    low = np.array([_bound(ind, 0, -np.inf) for ind in indicators] + [-np.inf])
    high = np.array([_bound(ind, 1, np.inf) for ind in indicators] + [np.inf])
    with np.errstate(invalid="ignore"):
        outside = (values < low[indicator_codes]) | (values > high[indicator_codes])
    outside &= ~not_number
    problems.add_rows(
        everywhere[outside],
        rows,
        long.at["value"],
        lambda i: _out_of_range(indicators[indicator_codes[i]], float(values[i]), long, i),
    )
    bad |= outside

    # optional columns
    if "recorded_at" in long.cells:
        times, bad_time = to_datetime(long.cells["recorded_at"])
        problems.add_rows(
            everywhere[bad_time],
            rows,
            long.at["recorded_at"],
            lambda i: BadValue(
                f"recorded_at {long.cells['recorded_at'][i]!r} is not a date and time",
                where=long.where(i, "recorded_at"),
                hint="write it as 2025-10-01 08:30",
            ),
        )
        bad |= bad_time
    else:
        times = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    sources = (
        _text_column(long.cells["source"], None)
        if "source" in long.cells
        else object_array([None] * n)
    )

    # duplicates among otherwise good rows: same value again is dropped, another value is a problem
    good = np.flatnonzero(~bad)
    keep, conflicts, first_of = _duplicates(
        good, s_codes, indicator_codes, period_codes, times, values
    )
    problems.add_rows(
        conflicts,
        rows,
        long.at["value"],
        lambda i: DuplicateObservation(
            f"{s_labels[s_codes[i]]} / {indicators[indicator_codes[i]].id} / "
            f"{list(period_labels)[period_codes[i]]} is given again with another value: "
            f"{_show(values[i])} here, {_show(values[first_of[i]])} on row {rows[first_of[i]]}",
            where=long.where(i, "value"),
        ),
    )
    if problems:
        return None
    return Observations._coded(
        _Coded(s_codes[keep], object_array(s_labels)),
        _Coded(indicator_codes[keep], object_array(list(ids))),
        _Coded(period_codes[keep], object_array(list(period_labels))),
        values[keep],
        sources[keep],
        times[keep],
    )


def _duplicates(
    good: IntArray,
    subject: IntArray,
    indicator: IntArray,
    period: IntArray,
    times: NDArray[np.datetime64],
    values: NDArray[np.float64],
) -> tuple[IntArray, IntArray, dict[int, int]]:
    """Rows to keep, rows that contradict an earlier row, and that earlier row for each."""
    if not len(good):
        return good, good, {}
    stamp = times[good].view(np.int64)
    order = np.lexsort((good, stamp, period[good], indicator[good], subject[good]))
    g = good[order]
    same = (
        (subject[g][1:] == subject[g][:-1])
        & (indicator[g][1:] == indicator[g][:-1])
        & (period[g][1:] == period[g][:-1])
        & (stamp[order][1:] == stamp[order][:-1])
    )
    if not same.any():
        return good, good[:0], {}
    # the first row of each group of equal keys
    starts = np.flatnonzero(np.append(True, ~same))
    group_start = g[starts[np.cumsum(np.append(True, ~same)) - 1]]
    first_value = values[group_start]
    v = values[g]
    equal = (v == first_value) | (np.isnan(v) & np.isnan(first_value))
    later = g != group_start
    conflicts = g[later & ~equal]
    repeats = g[later]
    keep = np.setdiff1d(good, repeats, assume_unique=True)
    first_of = dict(zip(conflicts.tolist(), group_start[later & ~equal].tolist(), strict=True))
    return keep, conflicts, first_of


def _period_text(cell: object) -> str:
    # Excel turns a typed "2025-10" into a date; read it back as the month it was.
    if isinstance(cell, datetime | date):
        return f"{cell.year}-{cell.month:02d}"
    return text_of(cell)


def _bound(indicator: Indicator, side: int, default: float) -> float:
    if indicator.valid_range is None or indicator.valid_range[side] is None:
        return default
    return float(indicator.valid_range[side])  # type: ignore[arg-type]


def _show(value: float) -> str:
    return "empty" if np.isnan(value) else f"{value:g}"


def _out_of_range(indicator: Indicator, value: float, long: _Long, i: int) -> OutOfRange:
    assert indicator.valid_range is not None
    low, high = indicator.valid_range
    span = f"{'' if low is None else f'{low:g}'}–{'' if high is None else f'{high:g}'}"
    hint = None
    if indicator.is_rate and 1 < value <= 100:
        hint = "looks like a percentage; divide by 100"
    return OutOfRange(
        f"value {value:g} of {indicator.name} ({indicator.id}) is outside its valid range {span}",
        where=long.where(i, "value"),
        hint=hint,
    )


def _number_hint(cell: object) -> str | None:
    """A hint for the two ways Excel exports spoil numbers: ``95%`` and ``1,234``."""
    text = str(cell).strip()
    if text.endswith(("%", "％")):
        try:
            number = float(text[:-1])
        except ValueError:
            return None
        return f"write {number / 100:g} rather than {text!r}"
    if "," in text:
        try:
            float(text.replace(",", ""))
        except ValueError:
            return None
        return "remove the thousands separators"
    return None
