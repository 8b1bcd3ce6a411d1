"""Append-only state data: bulk ingest and "latest version as of" reads.

Ingest loads the rows with the fastest loader each database has (one binary
``COPY`` through psycopg, its rows assembled by numpy, on PostgreSQL; the driver's
``executemany`` elsewhere): straight into the observations table when the periods
hold none of the school's data yet, otherwise into a temporary table, then moved by
one ``INSERT … SELECT`` that skips rows already stored (an anti-join) and links each
new version to the one it supersedes.  Everything happens in the caller's
transaction: all rows or none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from time import perf_counter
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    Column,
    Double,
    Select,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError
from sqlalchemy.types import NullType

from zhengai.errors import Where
from zhengai.model import Observation, Period, PeriodKind
from zhengai.model.period import BadPeriod
from zhengai.store._sql import analyze_stale, dropping, temp_ids, temp_table
from zhengai.store.connect import family
from zhengai.store.errors import BadObservations
from zhengai.store.records import IngestResult
from zhengai.store.schema import observations
from zhengai.store.types import UtcDateTime

if TYPE_CHECKING:
    from zhengai.data import Observations

__all__ = [
    "ObservationInput",
    "ProgressCallback",
    "StoredObservations",
    "as_periods",
    "ingest",
    "latest_query",
    "read_latest",
    "read_versions",
]


class _Columnar(Protocol):
    """Anything with the columns of :class:`zhengai.data.Observations`."""

    @property
    def subject_id(self) -> Any: ...
    @property
    def indicator(self) -> Any: ...
    @property
    def period(self) -> Any: ...
    @property
    def value(self) -> Any: ...


#: What :meth:`Store.ingest` accepts.
ObservationInput: TypeAlias = (
    "_Columnar | Mapping[str, Sequence[Any] | NDArray[Any]] | Iterable[Observation]"
)
#: ``progress(rows_done, rows_total)``, called after each batch.
ProgressCallback = Callable[[int, int], None]

_COLUMNS = ("subject_id", "indicator", "period", "value", "source", "recorded_at")
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite storage format: text compares in order


@dataclass(frozen=True, slots=True)
class StoredObservations:
    """Observations read back from the store, as aligned numpy columns.

    The same shapes as :class:`zhengai.data.Observations`: ``subject_id``,
    ``indicator``, ``period`` and ``source`` are object arrays of strings (``source``
    may hold None); ``value`` is float64 with NaN for a missing value;
    ``recorded_at`` is ``datetime64[us]`` in UTC; ``supersedes`` is the id of the
    version a row replaced (None for a first version).
    """

    id: NDArray[np.int64]
    subject_id: NDArray[np.object_]
    indicator: NDArray[np.object_]
    period: NDArray[np.object_]
    value: NDArray[np.float64]
    source: NDArray[np.object_]
    recorded_at: NDArray[np.datetime64]
    supersedes: list[int | None]

    def __len__(self) -> int:
        return len(self.id)

    def to_models(self) -> list[Observation]:
        """One :class:`~zhengai.model.Observation` per row (for small results and tests)."""
        times: list[datetime] = self.recorded_at.astype(object).tolist()
        return [
            Observation(
                subject_id=s,
                indicator=i,
                period=p,
                value=None if np.isnan(v) else float(v),
                source=src,
                recorded_at=t.replace(tzinfo=UTC),
            )
            for s, i, p, v, src, t in zip(
                self.subject_id,
                self.indicator,
                self.period,
                self.value,
                self.source,
                times,
                strict=True,
            )
        ]

    def to_data(self) -> Observations:
        """The same rows as a columnar :class:`zhengai.data.Observations` for evaluation."""
        from zhengai.data import Observations

        return Observations(
            self.subject_id, self.indicator, self.period, self.value, self.source, self.recorded_at
        )


# -- input ------------------------------------------------------------------------------
def _columns(data: ObservationInput) -> dict[str, Any]:
    """The six input columns as arrays or lists of equal length."""
    if isinstance(data, Mapping):
        missing = [c for c in _COLUMNS[:4] if c not in data]
        if missing:
            raise BadObservations(
                f"observation columns missing: {', '.join(missing)}",
                hint="give subject_id, indicator, period and value (source, recorded_at optional)",
            )
        cols: dict[str, Any] = {c: data.get(c) for c in _COLUMNS}
    elif all(hasattr(data, c) for c in _COLUMNS[:4]) and not isinstance(data, Observation):
        cols = {c: getattr(data, c, None) for c in _COLUMNS}
    else:
        rows = list(data)  # type: ignore[arg-type]
        if rows and not isinstance(rows[0], Observation):
            raise BadObservations(
                f"cannot ingest {type(rows[0]).__name__} rows",
                hint="pass zhengai.data.Observations, a dict of columns or Observation objects",
            )
        cols = {
            "subject_id": [r.subject_id for r in rows],
            "indicator": [r.indicator for r in rows],
            "period": [str(r.period) for r in rows],
            "value": [r.value for r in rows],
            "source": [r.source for r in rows],
            "recorded_at": [r.recorded_at for r in rows],
        }
    n = len(cols["subject_id"])
    for name in _COLUMNS:
        if cols[name] is None:
            cols[name] = [None] * n
        elif len(cols[name]) != n:
            raise BadObservations(
                f"column {name} has {len(cols[name])} values for {n} subject ids",
                where=Where(column=name),
            )
    return cols


def _floats(column: Any, offset: int) -> NDArray[np.float64]:
    """The values as float64, NaN for missing; a cell that is not a number names its row."""
    try:
        return np.asarray(column, dtype=np.float64)
    except (TypeError, ValueError):
        # Only on bad input: find the first cell that is not a number, for the message.
        for i, v in enumerate(column):
            try:
                float(np.nan if v is None else v)
            except (TypeError, ValueError):
                raise BadObservations(
                    f"observation {offset + i + 1} has value {v!r}, which is not a number",
                    where=Where(row=offset + i + 1, column="value"),
                ) from None
        raise


def _value_list(floats: NDArray[np.float64]) -> list[float | None]:
    """Floats with NaN turned into None (missing is NULL, never NaN, in the database)."""
    out = floats.astype(object)
    out[np.isnan(floats)] = None
    result: list[float | None] = out.tolist()
    return result


def _times(column: Any) -> list[datetime | None]:
    """Naive UTC datetimes (or None) from datetimes or a ``datetime64`` array."""
    if isinstance(column, np.ndarray) and np.issubdtype(column.dtype, np.datetime64):
        result: list[datetime | None] = column.astype("datetime64[us]").astype(object).tolist()
        return result
    return [
        None if t is None else t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t
        for t in column
    ]


#: Column widths of the observations table, checked before the database sees a row.
_WIDTHS = {"subject_id": 128, "indicator": 64, "period": 16, "source": 255}


def _texts(column: Any, name: str, offset: int) -> list[Any]:
    """A text column as a list, refusing empty ids and values too long for the table."""
    items: list[Any] = column.tolist() if isinstance(column, np.ndarray) else list(column)
    present = items
    if name == "source":
        present = [v for v in items if v is not None] if None in items else items
    elif None in items or "" in items:
        bad = items.index(None) if None in items else items.index("")
        raise BadObservations(
            f"observation {offset + bad + 1} has no {name}",
            where=Where(row=offset + bad + 1, column=name),
        )
    if not present:
        return items
    try:
        longest, joined = max(map(len, present)), "".join(present)
    except TypeError:  # not all of them are str: check what the database will store
        texts = list(map(str, present))
        longest, joined = max(map(len, texts)), "".join(texts)
    if "\x00" in joined:
        bad = next(i for i, v in enumerate(items) if v is not None and "\x00" in str(v))
        raise BadObservations(
            f"observation {offset + bad + 1} has a NUL character in its {name}",
            where=Where(row=offset + bad + 1, column=name),
        )
    if longest > _WIDTHS[name]:
        bad = next(i for i, v in enumerate(items) if v is not None and len(str(v)) > _WIDTHS[name])
        raise BadObservations(
            f"observation {offset + bad + 1} has a {name} longer than {_WIDTHS[name]} characters",
            where=Where(row=offset + bad + 1, column=name),
        )
    return items


def _period_texts(items: list[Any]) -> list[str]:
    """Periods as text; ``Period`` objects are converted once per distinct value, not per row."""
    distinct = set(items)
    if all(type(p) is str for p in distinct):
        return items
    texts = {p: str(p) for p in distinct}
    return list(map(texts.__getitem__, items))


def _period_table(distinct: set[str], texts: list[str], offset: int) -> dict[str, Period]:
    """Parse each distinct period once; a bad one names the first row that has it."""
    found: dict[str, Period] = {}
    for text_ in sorted(distinct):
        try:
            found[text_] = Period.parse(text_)
        except BadPeriod as exc:
            row = offset + texts.index(text_) + 1
            raise BadObservations(
                f"bad period {text_!r}", where=Where(row=row, column="period"), hint=exc.hint
            ) from exc
    return found


# -- ingest --------------------------------------------------------------------------------
def ingest(
    conn: Connection,
    school: str,
    data: ObservationInput,
    *,
    batch_size: int,
    progress: ProgressCallback | None,
    now: datetime,
    locked: bool = False,
) -> IngestResult:
    """Load the rows; see :meth:`zhengai.store.Store.ingest`.

    When none of the periods holds data of this school yet (the usual case: a new
    term's data), the rows go straight into the observations table: nothing can be
    a re-submission and nothing is superseded.  Otherwise they are staged in a
    temporary table and moved by one ``INSERT … SELECT`` with the idempotence
    anti-join.  Both paths run under the school's ingest lock (``locked``: the caller
    already holds it, see :func:`school_lock`).
    """
    if batch_size < 1:
        raise BadObservations(f"batch_size must be at least 1, got {batch_size}")
    started = perf_counter()
    cols = _columns(data)
    total = len(cols["subject_id"])
    if total == 0:
        return IngestResult(0, 0, perf_counter() - started)
    kind = family(conn.dialect.name)
    cols["period"] = _period_texts(_texts(cols["period"], "period", 0))
    periods = _period_table(set(cols["period"]), cols["period"], 0)
    if not locked:
        _lock_school(conn, school)
    try:
        if not _any_stored(conn, school, periods.values()):
            direct = _Direct(school, periods, now, kind)
            _load_batches(conn, kind, direct, cols, batch_size, progress)
            added = total
        else:
            staging = temp_table(
                "ingest",
                Column("subject_id", String(128)),
                Column("indicator", String(64)),
                Column("period", String(16)),
                Column("value", Double),
                Column("source", String(255)),
                Column("recorded_at", UtcDateTime()),
            )
            staging.create(conn)
            with dropping(conn, staging):
                _load_batches(conn, kind, _Staged(staging.name, kind), cols, batch_size, progress)
                added = _insert_new(conn, school, staging, periods, now)
        if kind == "postgresql" and added:
            # The next read's planner must know these rows (see analyze_stale).
            analyze_stale(conn, [observations.name], pending=added)
    except BaseException:
        # Best effort: a dead connection takes its lock with it.
        if not locked:
            with suppress(SQLAlchemyError):
                _unlock_school(conn, school)
        raise
    if not locked:
        _unlock_school(conn, school)
    return IngestResult(total, added, perf_counter() - started)


class _Staged:
    """Rows for the staging table: the input columns as they are."""

    columns: tuple[str, ...] = _COLUMNS

    def __init__(self, table: str, kind: str) -> None:
        self.table = table
        self.kind = kind

    def rows(self, batch: _Batch) -> Iterable[tuple[Any, ...]]:
        times: list[Any] = _times(batch.recorded_at)
        if self.kind == "sqlite":
            times = [None if t is None else t.strftime(_SQLITE_TIME) for t in times]
        return zip(
            batch.subject_id,
            batch.indicator,
            batch.period,
            _value_list(batch.value),
            batch.source,
            times,
            strict=True,
        )

    def binary(self, batch: _Batch) -> NDArray[np.uint8]:
        return _copy_rows(
            [
                _text_field(batch.subject_id),
                _text_field(batch.indicator),
                _text_field(batch.period),
                _float_field(batch.value),
                _text_field(batch.source),
                _time_field(batch.recorded_at, None),
            ]
        )


class _Direct:
    """Rows for the observations table itself, with the derived period columns."""

    columns: tuple[str, ...] = (
        "school_id",
        "subject_id",
        "indicator",
        "period",
        "period_kind",
        "period_ordinal",
        "value",
        "source",
        "recorded_at",
    )

    def __init__(self, school: str, periods: dict[str, Period], now: datetime, kind: str) -> None:
        self.table = observations.name
        self.school = school
        self.kind = kind
        self.canonical = {text_: str(p) for text_, p in periods.items()}
        self.kinds = {text_: p.kind.value for text_, p in periods.items()}
        self.ordinals = {text_: p.ordinal for text_, p in periods.items()}
        self.now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
        # The period columns of the binary COPY, one entry per distinct input period.
        texts = list(periods)
        self.codes = {text_: i for i, text_ in enumerate(texts)}
        self.period_table = _text_field([self.canonical[t] for t in texts])
        self.kind_table = _text_field([self.kinds[t] for t in texts])
        self.ordinal_table = np.array([self.ordinals[t] for t in texts], dtype=">i4")

    def rows(self, batch: _Batch) -> Iterable[tuple[Any, ...]]:
        period = batch.period
        times: list[Any] = _times(batch.recorded_at)
        # C-level maps and repeats, not Python loops: this runs per row of a 10M-row load.
        now = self.now.strftime(_SQLITE_TIME) if self.kind == "sqlite" else self.now
        if times.count(None) == len(times):
            times = [now] * len(times)
        elif self.kind == "sqlite":
            times = [now if t is None else t.strftime(_SQLITE_TIME) for t in times]
        else:
            times = [now if t is None else t for t in times]
        return zip(
            repeat(self.school, len(period)),
            batch.subject_id,
            batch.indicator,
            map(self.canonical.__getitem__, period),
            map(self.kinds.__getitem__, period),
            map(self.ordinals.__getitem__, period),
            _value_list(batch.value),
            batch.source,
            times,
            strict=True,
        )

    def binary(self, batch: _Batch) -> NDArray[np.uint8]:
        n = len(batch.period)
        if len(self.codes) == 1:
            code: NDArray[np.intp] | None = None
        else:
            code = np.fromiter(map(self.codes.__getitem__, batch.period), np.intp, n)
        return _copy_rows(
            [
                _Field(self.school.encode(), None, n),
                _text_field(batch.subject_id),
                _text_field(batch.indicator),
                self.period_table.take(code, n),
                self.kind_table.take(code, n),
                _Field(self.ordinal_table, None, 1).take(code, n),
                _float_field(batch.value),
                _text_field(batch.source),
                _time_field(batch.recorded_at, self.now),
            ]
        )


class _Shape(Protocol):
    table: str
    columns: tuple[str, ...]

    def rows(self, batch: _Batch) -> Iterable[tuple[Any, ...]]: ...

    def binary(self, batch: _Batch) -> NDArray[np.uint8]: ...


@dataclass(frozen=True, slots=True)
class _Batch:
    """One batch of checked input columns (texts as lists, values as float64)."""

    subject_id: list[Any]
    indicator: list[Any]
    period: list[str]
    value: NDArray[np.float64]
    source: list[Any]
    recorded_at: Any


def _load_batches(
    conn: Connection,
    kind: str,
    shape: _Shape,
    cols: dict[str, Any],
    batch_size: int,
    progress: ProgressCallback | None,
) -> None:
    """Check, convert and load ``batch_size`` rows at a time with the driver's fastest path.

    PostgreSQL gets one binary ``COPY`` for the whole load, each batch encoded by numpy
    into the COPY format and queued to a writer thread: the next batch is encoded
    while the server stores the one before.  SQLite and MySQL/MariaDB get one
    ``executemany`` per batch.
    """
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    total = len(cols["subject_id"])
    cursor = dbapi.cursor()

    def batches() -> Iterator[tuple[int, _Batch]]:
        for start in range(0, total, batch_size):
            stop = min(start + batch_size, total)
            yield (
                stop,
                _Batch(
                    subject_id=_texts(cols["subject_id"][start:stop], "subject_id", start),
                    indicator=_texts(cols["indicator"][start:stop], "indicator", start),
                    period=cols["period"][start:stop],
                    value=_floats(cols["value"][start:stop], start),
                    source=_texts(cols["source"][start:stop], "source", start),
                    recorded_at=cols["recorded_at"][start:stop],
                ),
            )

    def done(stop: int) -> None:
        if progress is not None:
            progress(stop, total)

    try:
        try:
            if kind == "postgresql":
                _copy_batches(cursor, shape, batches(), done)
            else:
                marks = ", ".join(["?" if kind == "sqlite" else "%s"] * len(shape.columns))
                insert = f"INSERT INTO {shape.table} ({', '.join(shape.columns)}) VALUES ({marks})"
                for stop, batch in batches():
                    # PyMySQL rewrites this into multi-row INSERTs; sqlite3 loops in C.
                    cursor.executemany(insert, list(shape.rows(batch)))
                    done(stop)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, cursor, exc) from exc
    finally:
        with suppress(Exception):
            cursor.close()


def _copy_batches(
    cursor: Any,
    shape: _Shape,
    batches: Iterator[tuple[int, _Batch]],
    done: Callable[[int], None],
) -> None:
    """One binary ``COPY`` of every batch, encoded per batch and written by a thread."""
    from psycopg.copy import QueuedLibpqWriter

    statement = f"COPY {shape.table} ({', '.join(shape.columns)}) FROM STDIN (FORMAT BINARY)"
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        copy.write(_COPY_HEADER)
        for stop, batch in batches:
            copy.write(shape.binary(batch).data)
            done(stop)
        copy.write(_COPY_TRAILER)


# -- PostgreSQL binary COPY, assembled by numpy --------------------------------------------
# The format: a header, then per row a 16-bit field count and per field a 32-bit length
# (-1 for NULL) followed by that many bytes; big-endian throughout; a 16-bit -1 ends it.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
#: PostgreSQL counts timestamps in microseconds from 2000-01-01.
_PG_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


@dataclass(frozen=True, slots=True)
class _Field:
    """One column of a batch in COPY form.

    ``data`` is one value's bytes for every row (``bytes``) or an array with one
    fixed-width item per row (big-endian numbers, or ``S`` strings padded with NULs);
    ``lengths`` holds each row's length in bytes (-1 for NULL), or None when every row
    has the full width.
    """

    data: bytes | NDArray[Any]
    lengths: NDArray[np.int32] | None
    rows: int

    @property
    def width(self) -> int:
        return len(self.data) if isinstance(self.data, bytes) else int(self.data.dtype.itemsize)

    def take(self, code: NDArray[np.intp] | None, n: int) -> _Field:
        """Row ``i`` gets item ``code[i]`` of this per-distinct-value table (None: item 0)."""
        assert not isinstance(self.data, bytes)
        if code is None:
            if self.lengths is None and len(self.data) == 1:
                return _Field(self.data.tobytes(), None, n)
            code = np.zeros(n, np.intp)
        lengths = None if self.lengths is None else self.lengths[code]
        return _Field(self.data[code], lengths, n)


def _text_field(items: list[Any]) -> _Field:
    """Texts (None is NULL) as UTF-8; checked by :func:`_texts` already (no NUL inside)."""
    n = len(items)
    nulls: NDArray[np.bool_] | None = None
    if None in items:
        if items.count(None) == n:
            return _Field(b"", np.full(n, -1, np.int32), n)
        nulls = np.fromiter((v is None for v in items), bool, n)
        items = ["" if v is None else v for v in items]
    try:
        data = np.array(items, dtype="S")  # ASCII, in C
    except UnicodeEncodeError:
        data = np.array("\x00".join(map(str, items)).encode().split(b"\x00"), dtype="S")
    lengths = np.strings.str_len(data).astype(np.int32)
    if nulls is not None:
        lengths[nulls] = -1
    elif n and lengths.min() == data.dtype.itemsize:
        return _Field(data, None, n)
    return _Field(data, lengths, n)


def _float_field(values: NDArray[np.float64]) -> _Field:
    missing = np.isnan(values)
    lengths = np.where(missing, np.int32(-1), np.int32(8)) if missing.any() else None
    return _Field(values.astype(">f8"), lengths, len(values))


def _time_field(column: Any, now: datetime | None) -> _Field:
    """Timestamps in UTC; a missing one is ``now``, or NULL when ``now`` is None."""
    n = len(column)
    if isinstance(column, np.ndarray) and np.issubdtype(column.dtype, np.datetime64):
        times = column.astype("datetime64[us]")
    elif not isinstance(column, np.ndarray) and list(column).count(None) == n:
        if now is None:
            return _Field(b"", np.full(n, -1, np.int32), n)
        return _Field(_pg_micros(now).to_bytes(8, "big", signed=True), None, n)
    else:
        times = np.array(_times(column), dtype="datetime64[us]")
    missing = np.isnat(times)
    micros = (times - _PG_EPOCH).astype(np.int64)
    lengths = None
    if missing.any():
        if now is None:
            lengths = np.where(missing, np.int32(-1), np.int32(8))
        else:
            micros[missing] = _pg_micros(now)
    return _Field(micros.astype(">i8"), lengths, len(micros))


def _pg_micros(at: datetime) -> int:
    """A naive UTC datetime as PostgreSQL's binary timestamp."""
    return int((np.datetime64(at, "us") - _PG_EPOCH).astype(np.int64))


def _copy_rows(fields: Sequence[_Field]) -> NDArray[np.uint8]:
    """The rows of one batch in binary COPY format, without per-row Python.

    Each row is laid out at full width in a 2-D byte array (constants written once
    for all rows, columns copied in as blocks), then the bytes that variable-length
    and NULL fields leave unused are masked out in one pass.
    """
    n = fields[0].rows
    template = bytearray(len(fields).to_bytes(2, "big"))
    for f in fields:
        template += f.width.to_bytes(4, "big", signed=True)
        template += f.data if isinstance(f.data, bytes) else bytes(f.width)
    width = len(template)
    out = np.empty((n, width), np.uint8)
    out[:] = np.frombuffer(bytes(template), np.uint8)
    keep: NDArray[np.bool_] | None = None
    at = 2
    for f in fields:
        if f.lengths is not None:
            out[:, at : at + 4] = f.lengths.astype(">i4").view(np.uint8).reshape(n, 4)
        at += 4
        if not isinstance(f.data, bytes) and f.width:
            block = np.ascontiguousarray(f.data).view(np.uint8).reshape(n, f.width)
            out[:, at : at + f.width] = block
        if f.lengths is not None and f.width:
            if keep is None:
                keep = np.ones((n, width), bool)
            used = np.maximum(f.lengths, 0)[:, None]
            keep[:, at : at + f.width] = np.arange(f.width) < used
        at += f.width
    return out.reshape(-1) if keep is None else out[keep]


def _wrapped(conn: Connection, cursor: Any, exc: Any) -> StatementError:
    """A driver error raised outside SQLAlchemy, made to look like one raised inside it.

    A lost connection is invalidated so the pool never hands it out again and the
    store reports :class:`ConnectionLost`.
    """
    lost = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
    if lost:
        conn.invalidate(exc)
    error: StatementError = DBAPIError.instance(
        "staging load",
        None,
        exc,
        conn.dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=conn.dialect,
    )
    return error


def _insert_new(
    conn: Connection, school: str, staging: Table, periods: dict[str, Period], now: datetime
) -> int:
    s = staging.c
    kind_of = case({p: per.kind.value for p, per in periods.items()}, value=s.period)
    ordinal_of = case({p: per.ordinal for p, per in periods.items()}, value=s.period)
    # Stored periods are canonical ("2025-9" arrives, "2025-09" is stored).
    canonical = case({p: str(per) for p, per in periods.items()}, value=s.period)
    recorded = func.coalesce(s.recorded_at, literal(now, UtcDateTime()))
    o = observations.alias("o")
    if family(conn.dialect.name) == "postgresql":
        # No per-row probe may use the BRIN index of the period columns: the planner
        # prices it as almost free and ANDs it with the subject_id hash index, but each
        # probe then marks every block of the period (measured: 50 s for 20,000
        # corrections to a 4M-row table, 0.7 s without).  The canonical period text
        # says the same as (period_kind, period_ordinal) and no index covers it.
        same_period = o.c.period == canonical
    else:
        same_period = and_(o.c.period_kind == kind_of, o.c.period_ordinal == ordinal_of)
    same_key = and_(
        o.c.school_id == school,
        same_period,
        o.c.indicator == s.indicator,
        o.c.subject_id == s.subject_id,
    )
    columns: list[Any] = [
        literal(school, String(64)),
        s.subject_id,
        s.indicator,
        canonical,
        kind_of,
        ordinal_of,
        s.value,
        s.source,
        recorded,
    ]
    # Skip exact re-submissions and link each new version to the newest one stored.
    newest = select(func.max(o.c.id)).where(same_key).scalar_subquery()
    source_rows = select(*columns, newest).where(
        ~exists().where(
            same_key,
            o.c.value.is_not_distinct_from(s.value),
            o.c.source.is_not_distinct_from(s.source),
            or_(s.recorded_at.is_(None), o.c.recorded_at == s.recorded_at),
        )
    )
    target = [*_Direct.columns, "supersedes"]
    result = conn.execute(
        observations.insert().from_select(target, source_rows),
        execution_options={"preserve_rowcount": True},
    )
    return int(result.rowcount)


def _any_stored(conn: Connection, school: str, periods: Iterable[Period]) -> bool:
    clauses = _period_clause(list(periods))
    query = select(observations.c.id).where(observations.c.school_id == school, clauses).limit(1)
    return conn.execute(query).first() is not None


def _lock_key(school: str) -> int:
    digest = hashlib.sha256(f"zhengai.ingest:{school}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _lock_school(conn: Connection, school: str) -> None:
    """Serialise ingests of one school, so two concurrent re-submissions cannot both add.

    SQLite has a single writer anyway; PostgreSQL's lock ends with the transaction.
    """
    kind = family(conn.dialect.name)
    if kind == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(school)})
    elif kind == "mysql":
        conn.execute(text("SELECT GET_LOCK(:k, 600)"), {"k": f"zhengai.ingest.{school}"[:64]})


@contextmanager
def school_lock(engine: Engine, school: str) -> Iterator[bool]:
    """Hold the school's ingest lock on a connection of its own, around a whole transaction.

    Only MySQL/MariaDB need it: their ``GET_LOCK`` is not tied to a transaction, and
    InnoDB's snapshot starts at the transaction's first read, so a lock taken and
    released inside the transaction lets a waiting ingest read a snapshot from before
    the other's commit.  Yields True when it holds the lock; elsewhere it yields
    False and :func:`ingest` takes the transaction-scoped lock itself.
    """
    if family(engine.dialect.name) != "mysql":
        yield False
        return
    with engine.connect() as holder:
        _lock_school(holder, school)
        try:
            yield True
        finally:
            with suppress(SQLAlchemyError):
                _unlock_school(holder, school)


def _unlock_school(conn: Connection, school: str) -> None:
    if family(conn.dialect.name) == "mysql":
        conn.execute(text("SELECT RELEASE_LOCK(:k)"), {"k": f"zhengai.ingest.{school}"[:64]})


# -- reads ------------------------------------------------------------------------------------
def as_periods(period: str | Period | Iterable[str | Period] | None) -> list[Period] | None:
    """One period, several, or None (all periods)."""
    if period is None:
        return None
    if isinstance(period, str | Period):
        return [Period.parse(period)]
    return [Period.parse(p) for p in period]


def _period_clause(periods: list[Period]) -> Any:
    by_kind: dict[PeriodKind, list[int]] = {}
    for p in periods:
        by_kind.setdefault(p.kind, []).append(p.ordinal)
    return or_(
        *(
            and_(
                observations.c.period_kind == k.value,
                observations.c.period_ordinal.in_(sorted(set(ordinals))),
            )
            for k, ordinals in by_kind.items()
        )
    )


def latest_query(
    school: str,
    *,
    periods: list[Period] | None = None,
    as_of: datetime | None = None,
    indicators: list[str] | None = None,
    subjects: Table | None = None,
) -> Select[Any]:
    """The newest visible version per (subject, indicator, period) as a SELECT.

    A version is visible when its ``recorded_at`` is not after ``as_of``; the newest
    visible version is the one stored last (the highest id), which is also what
    ``supersedes`` links to.  One ``GROUP BY`` over the period's rows (found by the
    read index: a b-tree on SQLite and MySQL/MariaDB, BRIN on PostgreSQL) finds it,
    then a join by primary key fetches the row: no window function, on all three
    databases; the rows come unordered (the store sorts the
    columns by id afterwards, cheaper than an ORDER BY that spills to disk).
    ``subjects`` is a table with an ``id`` column to narrow to (a selection).  The
    engine's SQL backend builds on this.
    """
    o = observations.c
    scope = [o.school_id == school]
    if periods:
        scope.append(_period_clause(periods))
    if as_of is not None:
        scope.append(o.recorded_at <= as_of)
    if indicators is not None:
        scope.append(o.indicator.in_(indicators))
    if subjects is not None:
        scope.append(o.subject_id.in_(select(subjects.c.id)))
    newest = (
        select(func.max(o.id).label("id"))
        .where(*scope)
        .group_by(o.period_kind, o.period_ordinal, o.indicator, o.subject_id)
        .subquery("newest")
    )
    return select(
        o.id,
        o.subject_id,
        o.indicator,
        o.period,
        o.value,
        o.source,
        # Raw driver values, converted to datetime64 per column (not per row).
        type_coerce(o.recorded_at, NullType()).label("recorded_at"),
        o.supersedes,
    ).join_from(observations, newest, newest.c.id == o.id)


def _collect(conn: Connection, query: Select[Any]) -> StoredObservations:
    """Run ``query`` and turn its rows into columns without per-row conversions.

    The driver's tuples are taken straight from the cursor: SQLAlchemy's per-row
    result processing would cost more than the query itself on a million rows.
    """
    result = conn.execute(query)
    try:
        rows = result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()
    if not rows:
        empty = np.empty(0, dtype=object)
        return StoredObservations(
            np.zeros(0, np.int64),
            empty,
            empty.copy(),
            empty.copy(),
            np.zeros(0),
            empty.copy(),
            np.empty(0, dtype="datetime64[us]"),
            [],
        )
    ids, subject, indicator, period, value, source, recorded, supersedes = zip(*rows, strict=True)
    id_array = np.asarray(ids, dtype=np.int64)
    order = np.argsort(id_array, kind="stable")
    return StoredObservations(
        id=id_array[order],
        subject_id=_objects(subject)[order],
        indicator=_objects(indicator)[order],
        period=_objects(period)[order],
        value=np.asarray(value, dtype=np.float64)[order],  # None becomes NaN
        source=_objects(source)[order],
        recorded_at=_utc64(recorded)[order],
        supersedes=[supersedes[i] for i in order.tolist()],
    )


def _objects(values: Sequence[Any]) -> NDArray[np.object_]:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _utc64(values: Sequence[Any]) -> NDArray[np.datetime64]:
    """Stored times (naive UTC datetimes, or SQLite's text) as ``datetime64[us]``."""
    first = values[0]
    if isinstance(first, datetime) and first.tzinfo is not None:
        values = [v.astimezone(UTC).replace(tzinfo=None) for v in values]
    return np.asarray(values, dtype="datetime64[us]")


def read_latest(
    conn: Connection,
    school: str,
    *,
    periods: list[Period] | None,
    as_of: datetime | None,
    indicators: list[str] | None,
    subjects: Sequence[str] | None,
) -> StoredObservations:
    """Run :func:`latest_query` and collect the rows into columns."""
    if subjects is None:
        query = latest_query(school, periods=periods, as_of=as_of, indicators=indicators)
        return _collect(conn, query)
    with temp_ids(conn, list(subjects)) as selection:
        query = latest_query(
            school, periods=periods, as_of=as_of, indicators=indicators, subjects=selection
        )
        return _collect(conn, query)


def read_versions(
    conn: Connection, school: str, subject_id: str, indicator: str, period: str
) -> StoredObservations:
    """Every version of one value, oldest first (in the order they were stored)."""
    p = Period.parse(period)
    o = observations.c
    query = (
        select(
            o.id,
            o.subject_id,
            o.indicator,
            o.period,
            o.value,
            o.source,
            type_coerce(o.recorded_at, NullType()).label("recorded_at"),
            o.supersedes,
        )
        .where(
            o.school_id == school,
            o.subject_id == subject_id,
            o.indicator == indicator,
            o.period_kind == p.kind.value,
            o.period_ordinal == p.ordinal,
        )
        .order_by(o.id)
    )
    return _collect(conn, query)
