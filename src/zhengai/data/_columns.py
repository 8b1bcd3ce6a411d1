"""Vectorised helpers over cell columns (object arrays with ``None`` for empty cells).

pandas is used when it is installed (its hash tables factorise a million strings in
tens of milliseconds); otherwise a plain-dict fallback keeps numpy-only installs
working, only slower.
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Callable, Sequence
from datetime import date, datetime
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

ObjectArray = NDArray[np.object_]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_USE_PANDAS = True  # tests switch this off to exercise the numpy-only path


def pandas() -> ModuleType | None:
    """The pandas module when installed (and not switched off), else None."""
    if not _USE_PANDAS:
        return None
    try:
        return importlib.import_module("pandas")
    except ImportError:
        return None


def object_array(values: Sequence[object] | NDArray[Any]) -> ObjectArray:
    """A 1-d object array of ``values`` (never a 2-d array from nested sequences)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def factorize(cells: ObjectArray) -> tuple[IntArray, list[object]]:
    """Codes into a list of distinct cells, ``-1`` for an empty cell (None or NaN)."""
    pd = pandas()
    if pd is not None:
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.int64), list(uniques)
    table: dict[object, int] = {}
    codes = np.fromiter(
        (-1 if _is_empty(v) else table.setdefault(v, len(table)) for v in cells),
        dtype=np.int64,
        count=len(cells),
    )
    return codes, list(table)


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def text_of(value: object) -> str:
    """The canonical text of a cell: ``2023001.0`` from Excel reads as ``2023001``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def factorize_text(
    cells: ObjectArray, text: Callable[[object], str] = text_of
) -> tuple[IntArray, list[str]]:
    """Like :func:`factorize`, with the distinct cells as canonical, distinct texts.

    ``1`` and ``"1"`` are one code; a cell whose text is empty is ``-1``.  ``text``
    turns one distinct cell into its text (once per distinct cell, not per row).
    """
    codes, uniques = factorize(cells)
    texts: list[str] = []
    index: dict[str, int] = {}
    remap = np.empty(len(uniques) + 1, dtype=np.int64)
    remap[-1] = -1  # codes of -1 index the last slot
    for i, value in enumerate(uniques):
        label = text(value)
        if not label:
            remap[i] = -1
            continue
        remap[i] = index.setdefault(label, len(index))
        if remap[i] == len(texts):
            texts.append(label)
    return remap[codes], texts


def to_float(cells: ObjectArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Numbers of ``cells`` (NaN for empty) and a mask of cells that are not numbers.

    The whole column is converted at once; only the cells that did not convert to a
    number (the empty ones and the bad ones) are looked at one by one.
    """
    try:
        values = cells.astype(np.float64)  # every cell a number or a clean numeric text
    except (ValueError, TypeError):
        pd = pandas()
        if pd is None:
            values = np.full(len(cells), np.nan)
        else:
            series = pd.Series(cells, dtype=object)
            values = np.asarray(pd.to_numeric(series, errors="coerce"), dtype=np.float64)
    values = values.copy()
    bad = np.zeros(len(cells), dtype=bool)
    for i in np.flatnonzero(~np.isfinite(values)):
        number = parse_number(cells[i])
        bad[i] = number is None
        values[i] = np.nan if number is None else number
    return values, bad


def parse_number(cell: object) -> float | None:
    """The finite float a cell holds, NaN for an empty cell, None when it is not a number."""
    if _is_empty(cell):
        return math.nan
    try:
        number = float(cell)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isinf(number) else number


def to_datetime(cells: ObjectArray) -> tuple[NDArray[np.datetime64], NDArray[np.bool_]]:
    """Times of ``cells`` as ``datetime64[us]`` (NaT for empty) and a mask of bad cells."""
    try:
        with warnings.catch_warnings():
            # numpy converts timezone-aware times to UTC, which is what zhengai keeps
            # (the store hands back aware UTC times); it only warns that the zone is dropped.
            warnings.filterwarnings("ignore", "no explicit representation of timezones")
            return cells.astype("datetime64[us]"), np.zeros(len(cells), dtype=bool)
    except (ValueError, TypeError):
        pass
    out = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[us]")
    bad = np.zeros(len(cells), dtype=bool)
    for i, cell in enumerate(cells):
        if _is_empty(cell):
            continue
        try:
            value = cell if isinstance(cell, datetime | date) else str(cell).strip()
            out[i] = np.datetime64(value, "us")
        except (ValueError, TypeError):
            bad[i] = True
    return out, bad


def isin(cells: ObjectArray, values: ObjectArray) -> NDArray[np.bool_]:
    """True where a cell is one of ``values`` (None never matches); hashes, never sorts."""
    pd = pandas()
    if pd is not None:
        return np.asarray(pd.Series(cells, dtype=object).isin(values), dtype=bool)
    wanted = set(values.tolist())
    wanted.discard(None)
    return np.fromiter((v in wanted for v in cells), dtype=bool, count=len(cells))


def lookup(cells: ObjectArray, keys: ObjectArray) -> IntArray:
    """Position of each cell in ``keys`` (unique), ``-1`` where absent; hashes, never sorts."""
    pd = pandas()
    if pd is not None:
        return np.asarray(pd.Index(keys).get_indexer(cells), dtype=np.int64)
    index = {k: i for i, k in enumerate(keys.tolist())}
    return np.fromiter((index.get(v, -1) for v in cells), dtype=np.int64, count=len(cells))
