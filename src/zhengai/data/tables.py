"""Reading a source into a table of cells: CSV, .xlsx, a DataFrame or records.

A :class:`Table` keeps the header as written, one object column per header cell
(``None`` for an empty cell, strings stripped) and, for every row, its number as a
spreadsheet shows it: the header is row 1 and the first data row is row 2, blank
lines included.  In-memory sources (DataFrames, records) are numbered the same
way, as if they had been saved to a spreadsheet with a header row.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zhengai.data._columns import IntArray, ObjectArray, object_array, pandas
from zhengai.data.errors import BadEncoding, BadValue, MissingSheet, UnreadableSource
from zhengai.errors import DataError, Where, did_you_mean
from zhengai.model import Observation

__all__ = ["Source", "Table", "read_table"]

#: What ``load_subjects`` / ``load_observations`` accept.
Source = str | os.PathLike[str] | Iterable[Mapping[str, Any]] | Iterable[Observation] | Any

_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_NONE = np.array(None, dtype=object)


@dataclass(frozen=True)
class Table:
    """Cells of one sheet: ``headers``, aligned ``columns`` and spreadsheet ``rows``."""

    file: str | None
    headers: list[str]
    columns: list[ObjectArray]
    rows: IntArray
    problems: tuple[DataError, ...] = ()

    def __len__(self) -> int:
        return len(self.rows)

    def where(self, row: int | None = None, column: str | None = None) -> Where:
        """A :class:`Where` in this table."""
        return Where(file=self.file, row=row, column=column)


def read_table(source: Source, *, sheet: str | None = None, encoding: str | None = None) -> Table:
    """Read ``source`` (a path, a DataFrame or an iterable of dicts/Observations)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        name = os.fspath(source)
        if not path.is_file():
            raise UnreadableSource(f"no such file {name!r}", where=Where(file=name))
        suffix = path.suffix.lower()
        if suffix in _EXCEL_SUFFIXES:
            return _read_xlsx(path, name, sheet)
        if suffix == ".xls":
            raise UnreadableSource(
                "old .xls workbooks are not supported",
                where=Where(file=name),
                hint="save it as .xlsx or CSV",
            )
        return _read_csv(path.read_bytes(), name, encoding)
    # a DataFrame means pandas is imported already; never import it just to check
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(source, pd.DataFrame):
        return _read_dataframe(source)
    if isinstance(source, Mapping | bytes):
        raise UnreadableSource(
            f"cannot read {type(source).__name__}",
            hint="pass a file path, a pandas DataFrame or a list of dicts",
        )
    return _read_records(source)


# -- CSV ------------------------------------------------------------------------------
def _decode(data: bytes, name: str, encoding: str | None) -> str:
    """Decode ``data``: UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030 (⊃ GBK)."""
    if encoding is not None:
        candidates = [encoding]
    elif data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        # Chinese Excel saves "CSV" in the ANSI code page, GBK; GB18030 is its superset.
        candidates = ["utf-8", "gb18030"]
    failure: UnicodeDecodeError | None = None
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except UnicodeDecodeError as error:
            failure = failure or error
        except LookupError as error:
            raise UnreadableSource(
                f"unknown encoding {candidate!r}", where=Where(file=name)
            ) from error
    assert failure is not None
    row = data.count(b"\n", 0, failure.start) + 1
    raise BadEncoding(
        f"cannot decode the file as {' or '.join(candidates)} "
        f"(byte {data[failure.start]:#04x} at offset {failure.start})",
        where=Where(file=name, row=row),
        hint="save it as CSV UTF-8, or pass encoding=",
    )


def _read_csv(data: bytes, name: str, encoding: str | None) -> Table:
    text = _decode(data, name, encoding)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    pd = pandas()
    if pd is not None:
        # pandas' C parser is several times faster than the csv module on big exports;
        # a ragged file (a row longer than the header) goes the csv way to be reported.
        try:
            cells = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                header=None,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
            ).to_numpy(dtype=object, na_value=None)
        except pd.errors.EmptyDataError:
            return _table(name, [], [], np.zeros(0, dtype=np.int64))
        except pd.errors.ParserError:
            pass
        else:
            headers = [_header(cell) for cell in cells[0]]
            if not headers or headers[-1]:
                rows = np.arange(2, len(cells) + 1, dtype=np.int64)
                return _table(name, headers, list(cells[1:].T), rows)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return _from_rows(records, name)


def _from_rows(records: list[list[Any]], name: str | None) -> Table:
    """Build a table from rows of cells, the first being the header."""
    if not records:
        return _table(name, [], [], np.zeros(0, dtype=np.int64))
    headers = [_header(cell) for cell in records[0]]
    while headers and not headers[-1]:  # trailing empty header cells (a trailing comma)
        headers.pop()
    width = len(headers)
    body = records[1:]
    rows = np.arange(2, len(body) + 2, dtype=np.int64)
    lengths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    problems: list[DataError] = []
    for i in np.flatnonzero(lengths != width):  # only ragged rows are touched one by one
        cells = list(body[i])
        extra = [c for c in cells[width:] if c not in (None, "")]
        if extra:
            problems.append(
                BadValue(
                    f"row has {len(cells)} cells but the header has {width}; "
                    f"extra cell {extra[0]!r}",
                    where=Where(file=name, row=int(rows[i]), column=f"#{width + 1}"),
                    hint="quote cells that contain the delimiter",
                )
            )
        body[i] = (cells + [None] * width)[:width]
    columns = [object_array(col) for col in zip(*body, strict=True)] if body else []
    if not columns:
        columns = [object_array([]) for _ in headers]
    return _table(name, headers, columns, rows, problems)


def _table(
    name: str | None,
    headers: list[str],
    columns: list[ObjectArray],
    rows: IntArray,
    problems: list[DataError] | None = None,
) -> Table:
    """A table without its blank rows (every cell empty); the others keep their numbers."""
    if columns and len(rows):
        blank = np.ones(len(rows), dtype=bool)
        for column in columns:
            blank &= np.equal(column, _NONE) | np.equal(column, "")
        if blank.any():
            keep = ~blank
            columns = [column[keep] for column in columns]
            rows = rows[keep]
    return Table(name, headers, columns, rows, tuple(problems or ()))


def _header(cell: object) -> str:
    return "" if cell is None else str(cell).strip().lstrip("\ufeff")


# -- Excel ----------------------------------------------------------------------------
def _read_xlsx(path: Path, name: str, sheet: str | None) -> Table:
    try:
        import openpyxl
    except ImportError as error:
        raise UnreadableSource(
            "reading .xlsx needs openpyxl",
            where=Where(file=name),
            hint="pip install 'zhengai[excel]'",
        ) from error
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a corrupt file
        raise UnreadableSource(
            f"cannot open the workbook: {error}", where=Where(file=name)
        ) from error
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise MissingSheet(
                f"no sheet {sheet!r}; the workbook has {workbook.sheetnames}",
                where=Where(file=name),
                hint=did_you_mean(sheet, workbook.sheetnames),
            )
        if not hasattr(worksheet, "iter_rows"):  # a chart sheet holds no cells
            raise MissingSheet(f"sheet {sheet!r} is a chart, not a table", where=Where(file=name))
        # Workbooks from other tools often state wrong dimensions; read what is there
        # (missing rows still come back, as empty ones, so row numbers hold).
        worksheet.reset_dimensions()
        records = [list(row) for row in worksheet.iter_rows(min_row=1, values_only=True)]
    finally:
        workbook.close()
    records = [[_excel_cell(c) for c in row] for row in records]
    label = f"{name}[{sheet}]" if sheet is not None else name
    return _from_rows(records, label)


def _excel_cell(cell: object) -> object:
    if isinstance(cell, str):
        return cell.strip() or None
    return cell


# -- in-memory sources ----------------------------------------------------------------
def _read_dataframe(frame: Any) -> Table:
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()  # a named index (set_index("subject_id")) is a column
    headers = [_header(c) for c in frame.columns]
    columns = [
        frame.iloc[:, i].to_numpy(dtype=object, na_value=None) for i in range(frame.shape[1])
    ]
    return _table(None, headers, columns, np.arange(2, len(frame) + 2, dtype=np.int64))


def _read_records(records: Iterable[Any]) -> Table:
    dicts: list[Mapping[str, Any]] = []
    for record in records:
        if isinstance(record, Observation):
            dicts.append(record.model_dump(mode="python") | {"period": str(record.period)})
        elif isinstance(record, Mapping):
            dicts.append(record)
        else:
            raise UnreadableSource(
                f"record {len(dicts)} is a {type(record).__name__}, not a dict or Observation"
            )
    keys: dict[str, None] = {}
    for record in dicts:
        keys.update(dict.fromkeys(record))
    headers = [str(k) for k in keys]
    columns = [object_array([r.get(k) for r in dicts]) for k in keys]
    return _table(None, headers, columns, np.arange(2, len(dicts) + 2, dtype=np.int64))
