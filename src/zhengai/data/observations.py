"""A columnar set of observations (状态数据) and its pivot into evaluation frames."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.data._columns import (
    FloatArray,
    IntArray,
    ObjectArray,
    factorize,
    factorize_text,
    lookup,
    object_array,
    pandas,
    to_datetime,
    to_float,
)
from zhengai.data.errors import BadValue, ColumnClash, DuplicateSubject, MissingColumn
from zhengai.data.subjects import Subjects
from zhengai.errors import did_you_mean
from zhengai.expr import Frame
from zhengai.model import Observation, Period

__all__ = ["Observations", "Population"]

#: A population for :meth:`Observations.frame`: subjects (with attributes) or bare ids.
Population = Subjects | Sequence[str] | NDArray[np.object_]

_NAT = np.datetime64("NaT", "us")


class _Coded:
    """A column of few distinct strings kept as integer codes into ``labels``."""

    __slots__ = ("codes", "labels")

    def __init__(self, codes: IntArray, labels: ObjectArray) -> None:
        self.codes = codes
        self.labels = labels

    def values(self) -> ObjectArray:
        return self.labels[self.codes] if len(self.codes) else object_array([])

    @staticmethod
    def merge(parts: Sequence[_Coded]) -> _Coded:
        labels: dict[str, int] = {}
        chunks = []
        for part in parts:
            remap = np.array(
                [labels.setdefault(label, len(labels)) for label in part.labels], dtype=np.int64
            )
            chunks.append(remap[part.codes] if len(remap) else part.codes)
        codes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        return _Coded(codes, object_array(list(labels)))


class Observations:
    """Observations as aligned columns (see DESIGN.md §4).

    ``subject_id``, ``indicator`` (the canonical indicator id) and ``period`` (the
    canonical period text) are object arrays of strings; ``value`` is float64 with
    NaN for a missing value; ``source`` holds strings or None; ``recorded_at`` is
    ``datetime64[us]`` with NaT when unknown.  The constructor trusts its input
    apart from reading periods; :func:`~zhengai.data.load_observations` validates
    against a catalog and subjects.  Iterating yields
    :class:`~zhengai.model.Observation` objects; bulk work reads the columns.
    """

    __slots__ = ("_cache", "_indicator", "_period", "_subject", "recorded_at", "source", "value")

    def __init__(
        self,
        subject_id: Sequence[str] | NDArray[Any],
        indicator: Sequence[str] | NDArray[Any],
        period: Sequence[str | Period] | NDArray[Any],
        value: Sequence[float | None] | NDArray[Any],
        source: Sequence[str | None] | NDArray[Any] | None = None,
        recorded_at: Sequence[datetime | None] | NDArray[Any] | None = None,
    ) -> None:
        n = len(subject_id)
        subject = _code(subject_id, "subject_id")
        indicator_ = _code(indicator, "indicator")
        period_ = _code(period, "period")
        period_ = _canonical_periods(period_)
        values, bad = to_float(object_array(value))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise BadValue(f"value {value[i]!r} at position {i} is not a number")
        times = (
            np.full(n, _NAT) if recorded_at is None else to_datetime(object_array(recorded_at))[0]
        )
        sources = object_array([None] * n if source is None else source)
        self._setup(subject, indicator_, period_, values, sources, times)

    def _setup(
        self,
        subject: _Coded,
        indicator: _Coded,
        period: _Coded,
        value: FloatArray,
        source: ObjectArray,
        recorded_at: NDArray[np.datetime64],
    ) -> None:
        n = len(subject.codes)
        for label, column in [
            ("indicator", indicator.codes),
            ("period", period.codes),
            ("value", value),
            ("source", source),
            ("recorded_at", recorded_at),
        ]:
            if len(column) != n:
                raise ValueError(f"{label} has {len(column)} entries for {n} observations")
        self._subject, self._indicator, self._period = subject, indicator, period
        self.value: FloatArray = value
        self.source: ObjectArray = source
        self.recorded_at: NDArray[np.datetime64] = recorded_at
        self._cache: dict[str, Any] = {}

    @classmethod
    def _coded(
        cls,
        subject: _Coded,
        indicator: _Coded,
        period: _Coded,
        value: FloatArray,
        source: ObjectArray,
        recorded_at: NDArray[np.datetime64],
    ) -> Observations:
        out = cls.__new__(cls)
        out._setup(subject, indicator, period, value, source, recorded_at)
        return out

    # -- columns ------------------------------------------------------------------------
    @property
    def subject_id(self) -> ObjectArray:
        """Subject ids, one per observation."""
        return self._column("subject_id", self._subject)

    @property
    def indicator(self) -> ObjectArray:
        """Canonical indicator ids, one per observation."""
        return self._column("indicator", self._indicator)

    @property
    def period(self) -> ObjectArray:
        """Canonical period texts (``2025-2026-1``), one per observation."""
        return self._column("period", self._period)

    def _column(self, name: str, coded: _Coded) -> ObjectArray:
        if name not in self._cache:
            self._cache[name] = coded.values()
        column: ObjectArray = self._cache[name]
        return column

    @property
    def indicators(self) -> list[str]:
        """The distinct indicator ids, sorted."""
        return sorted(self._indicator.labels[np.unique(self._indicator.codes)].tolist())

    @property
    def periods(self) -> list[Period]:
        """The distinct periods, in order."""
        labels = self._period.labels[np.unique(self._period.codes)]
        return sorted(Period.parse(p) for p in labels)

    # -- construction and export ---------------------------------------------------------
    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any] | Observation]) -> Observations:
        """Columns from dicts (``subject_id, indicator, period, value`` [, ``source``,
        ``recorded_at``]) or Observation objects, trusted as they are (no catalog check)."""
        rows = [r.model_dump() if isinstance(r, Observation) else r for r in records]
        return cls(
            [r["subject_id"] for r in rows],
            [r["indicator"] for r in rows],
            [r["period"] for r in rows],
            [r.get("value") for r in rows],
            [r.get("source") for r in rows],
            [r.get("recorded_at") for r in rows],
        )

    @classmethod
    def concat(cls, parts: Iterable[Observations]) -> Observations:
        """One set of observations holding every part, in order."""
        items = list(parts)
        return cls._coded(
            _Coded.merge([p._subject for p in items]),
            _Coded.merge([p._indicator for p in items]),
            _Coded.merge([p._period for p in items]),
            np.concatenate([p.value for p in items]) if items else np.zeros(0),
            object_array(np.concatenate([p.source for p in items]) if items else []),
            np.concatenate([p.recorded_at for p in items]) if items else np.full(0, _NAT),
        )

    def where(self, mask: NDArray[np.bool_]) -> Observations:
        """The observations where ``mask`` (aligned with the columns) is True, in order.

        >>> obs.where(obs.period == "2025-2026-1")  # doctest: +SKIP
        """
        keep = np.flatnonzero(mask)
        if len(keep) and keep[-1] >= len(self):
            raise ValueError(f"mask has {len(mask)} entries for {len(self)} observations")
        return Observations._coded(
            _Coded(self._subject.codes[keep], self._subject.labels),
            _Coded(self._indicator.codes[keep], self._indicator.labels),
            _Coded(self._period.codes[keep], self._period.labels),
            self.value[keep],
            self.source[keep],
            self.recorded_at[keep],
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per observation; a missing value is None, an unknown time None."""
        values = self.value.astype(object)
        values[np.isnan(self.value)] = None
        times = self.recorded_at.astype(object)  # NaT becomes None
        return [
            {
                "subject_id": s,
                "indicator": i,
                "period": p,
                "value": v,
                "source": src,
                "recorded_at": t,
            }
            for s, i, p, v, src, t in zip(
                self.subject_id,
                self.indicator,
                self.period,
                values,
                self.source,
                times,
                strict=True,
            )
        ]

    def to_frame(self) -> Any:
        """A pandas DataFrame of the long form (needs pandas: ``zhengai[pandas]``)."""
        pd = pandas()
        if pd is None:
            raise ImportError("to_frame() needs pandas: pip install 'zhengai[pandas]'")
        return pd.DataFrame(
            {
                "subject_id": self.subject_id,
                "indicator": self.indicator,
                "period": self.period,
                "value": self.value,
                "source": self.source,
                "recorded_at": self.recorded_at,
            }
        )

    # -- container ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self) -> Iterator[Observation]:
        periods = [Period.parse(p) for p in self._period.labels]
        times = self.recorded_at.astype(object)
        for i in range(len(self)):
            value = float(self.value[i])
            yield Observation(
                subject_id=self._subject.labels[self._subject.codes[i]],
                indicator=self._indicator.labels[self._indicator.codes[i]],
                period=periods[self._period.codes[i]],
                value=None if np.isnan(value) else value,
                source=self.source[i],
                recorded_at=times[i],
            )

    def __repr__(self) -> str:
        return f"Observations({len(self)} rows)"

    # -- pivot ----------------------------------------------------------------------------
    def frame(
        self,
        period: str | Period,
        subjects: Population,
        names: Sequence[str] | None = None,
        history: int = 0,
        partition: str | None = None,
    ) -> tuple[ObjectArray, Frame]:
        """Pivot into aligned columns for one ``period`` and one population.

        Returns the population's subject ids and a :class:`~zhengai.expr.Frame` whose
        ``columns`` hold one float column per indicator in ``names`` (default: every
        indicator observed in the period or its history) plus the subjects'
        attributes, whose ``history[name][k - 1]`` holds the values ``k`` periods of
        the same kind earlier (``k = 1..history``), and whose ``partition`` is the
        attribute ``partition`` (or ``level`` / ``parent_id``).  A subject without an
        observation gets NaN.  When the same (subject, indicator, period) was
        observed more than once, the one recorded last wins (ties: the later row).
        Periods are matched as they are; months are not rolled up into terms here.
        """
        target = Period.parse(period)
        wanted = [target] + [target.prev(k) for k in range(1, history + 1)]
        ids, population = _population(subjects)
        n_pop = len(ids)

        period_slot = _slots(self._period.labels, [str(p) for p in wanted])
        p_rows = period_slot[self._period.codes] if len(self) else np.zeros(0, dtype=np.int64)
        if names is None:
            present = np.unique(self._indicator.codes[p_rows >= 0])
            names = sorted(self._indicator.labels[present].tolist())
        names = list(names)
        indicator_slot = _slots(self._indicator.labels, names)
        subject_slot = lookup(self._subject.labels, ids)

        rows = np.flatnonzero(p_rows >= 0)
        i_rows = indicator_slot[self._indicator.codes[rows]]
        s_rows = subject_slot[self._subject.codes[rows]]
        keep = (i_rows >= 0) & (s_rows >= 0)
        rows = rows[keep]
        n_periods = len(wanted)
        keys = (i_rows[keep] * n_periods + p_rows[rows]) * n_pop + s_rows[keep]
        rows, keys = _last_recorded(rows, keys, self.recorded_at)

        flat = np.full(len(names) * n_periods * n_pop, np.nan)
        flat[keys] = self.value[rows]
        cube = flat.reshape(len(names), n_periods, n_pop)

        columns: dict[str, NDArray[np.generic]] = {}
        if population is not None:
            for key, column in population.attributes.items():
                if key in names:
                    raise ColumnClash(
                        f"subject attribute {key!r} has the name of an indicator",
                        hint="rename the attribute",
                    )
                columns[key] = _attribute_column(column)
        for j, name in enumerate(names):
            columns[name] = cube[j, 0]
        past = {name: [cube[j, k] for k in range(1, n_periods)] for j, name in enumerate(names)}
        groups = None if partition is None else _partition(population, partition)
        return ids, Frame(columns=columns, history=past if history else {}, partition=groups)

    def coverage(
        self, subjects: Population, indicators: Sequence[str], period: str | Period
    ) -> dict[str, float]:
        """Share of ``subjects`` with a (non-missing) value of each indicator in ``period``.

        NaN for an empty population.
        """
        ids, frame = self.frame(period, list(_population(subjects)[0]), names=indicators)
        if not len(ids):
            return {name: float("nan") for name in indicators}
        return {
            name: float(np.mean(~np.isnan(np.asarray(frame.columns[name], dtype=np.float64))))
            for name in indicators
        }


# -- helpers ---------------------------------------------------------------------------
def _code(values: Sequence[Any] | NDArray[Any], name: str) -> _Coded:
    codes, labels = factorize_text(object_array(values))
    if (codes < 0).any():
        i = int(np.flatnonzero(codes < 0)[0])
        raise BadValue(f"empty {name} at position {i}")
    return _Coded(codes, object_array(labels))


def _canonical_periods(coded: _Coded) -> _Coded:
    """Parse each distinct period once; ``2025-9`` and ``2025-09`` become one label."""
    texts = [str(Period.parse(label)) for label in coded.labels]
    merged: dict[str, int] = {}
    remap = np.array([merged.setdefault(t, len(merged)) for t in texts], dtype=np.int64)
    codes = remap[coded.codes] if len(remap) else coded.codes
    return _Coded(codes, object_array(list(merged)))


def _slots(labels: ObjectArray, wanted: Sequence[str]) -> IntArray:
    """For each label, its position in ``wanted`` or -1."""
    position = {w: i for i, w in enumerate(wanted)}
    return np.array([position.get(label, -1) for label in labels], dtype=np.int64)


def _population(subjects: Population) -> tuple[ObjectArray, Subjects | None]:
    if isinstance(subjects, Subjects):
        return subjects.ids, subjects
    ids = object_array([str(s) for s in subjects])
    if len(set(ids.tolist())) != len(ids):
        seen: set[object] = set()
        repeated = next(i for i in ids.tolist() if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise DuplicateSubject(f"subject id {repeated!r} appears twice in the population")
    return ids, None


def _last_recorded(
    rows: IntArray, keys: IntArray, recorded_at: NDArray[np.datetime64]
) -> tuple[IntArray, IntArray]:
    """Keep one row per key: the latest ``recorded_at`` (NaT oldest), then the later row.

    Only keys that occur more than once are sorted; the common case is one bincount.
    """
    if not len(keys):
        return rows, keys
    counts = np.bincount(keys)
    repeated = counts[keys] > 1
    if not repeated.any():
        return rows, keys
    d_rows, d_keys = rows[repeated], keys[repeated]
    times = recorded_at[d_rows].view(np.int64)  # NaT is the smallest int64
    # rows ascend already; a stable sort by time puts the winner of each key last
    order = np.argsort(times, kind="stable") if (times != times[0]).any() else np.arange(len(times))
    backwards = order[::-1]
    _, first = np.unique(d_keys[backwards], return_index=True)
    chosen = backwards[first]
    return (
        np.concatenate([rows[~repeated], d_rows[chosen]]),
        np.concatenate([keys[~repeated], d_keys[chosen]]),
    )


def _attribute_column(column: ObjectArray) -> NDArray[np.generic]:
    """Numbers (and missing) become float64 with NaN; anything else stays objects.

    The kinds of value are looked at once per distinct value, not per subject.
    """
    _, distinct = factorize(column)
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in distinct)
    if numeric and len(column):
        return column.astype(np.float64)
    return column


def _partition(population: Subjects | None, name: str) -> ObjectArray:
    if population is None:
        raise MissingColumn(
            f"cannot partition by {name!r}: the population is bare ids",
            hint="pass Subjects to frame()",
        )
    try:
        return population.column(name)
    except KeyError:
        choices = ["level", "name", "parent_id", *population.attributes]
        raise MissingColumn(
            f"no subject attribute {name!r} to partition by", hint=did_you_mean(name, choices)
        ) from None
