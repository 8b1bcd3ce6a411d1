"""The errors of loading and checking subjects and observations.

Every one is a :class:`~zhengai.errors.DataError` with its own stable code and a
:class:`~zhengai.errors.Where` naming the file, the row as a spreadsheet shows it
(the header is row 1, the first data row is row 2) and the column by its header.
Unknown indicators, unknown levels and bad periods reuse the model's
:class:`~zhengai.model.UnknownIndicator`, :class:`~zhengai.model.UnknownLevel` and
:class:`~zhengai.model.BadPeriod`.
"""

from __future__ import annotations

from collections.abc import Sequence

from zhengai.errors import DataError, Where

__all__ = [
    "BadEncoding",
    "BadValue",
    "ColumnClash",
    "DataLoadFailed",
    "DuplicateColumn",
    "DuplicateObservation",
    "DuplicateSubject",
    "MissingColumn",
    "MissingParent",
    "MissingSheet",
    "OutOfRange",
    "ParentCycle",
    "UnknownSubject",
    "UnreadableSource",
]

#: How many problems :class:`DataLoadFailed` prints before summarising the rest.
MAX_REPORT_LINES = 1000


class UnknownSubject(DataError):
    """An observation about a subject id that the given subjects do not contain."""

    code = "data.unknown_subject"


class BadValue(DataError):
    """A cell that cannot be read: a non-numeric value, an empty required id, a bad time."""

    code = "data.bad_value"


class OutOfRange(DataError):
    """A value outside its indicator's ``valid_range``."""

    code = "data.out_of_range"


class DuplicateObservation(DataError):
    """The same (subject, indicator, period, recorded_at) given twice with different values."""

    code = "data.duplicate_observation"


class DuplicateSubject(DataError):
    """The same subject id on two rows (or twice in a population)."""

    code = "data.duplicate_subject"


class MissingParent(DataError):
    """A ``parent_id`` that names no subject."""

    code = "data.missing_parent"


class ParentCycle(DataError):
    """Parents that loop back on themselves (``a → b → a``)."""

    code = "data.parent_cycle"


class MissingColumn(DataError):
    """A required column (``subject_id``, ``indicator``…) is not in the header."""

    code = "data.missing_column"


class DuplicateColumn(DataError):
    """Two header cells that mean the same column (``学号`` and ``subject_id``)."""

    code = "data.duplicate_column"


class ColumnClash(DataError):
    """A subject attribute and an indicator would make two frame columns of one name."""

    code = "data.column_clash"


class BadEncoding(DataError):
    """A text file that is neither UTF-8 (with or without BOM) nor GBK/GB18030."""

    code = "data.encoding"


class MissingSheet(DataError):
    """A workbook without the requested sheet."""

    code = "data.missing_sheet"


class UnreadableSource(DataError):
    """A source that cannot be read at all: no such file, an unsupported format, no openpyxl."""

    code = "data.unreadable_source"


class DataLoadFailed(DataError):
    """A load with ``errors="collect"`` found problems; ``.problems`` lists every one.

    ``str()`` is a report with one line per problem, in file order.
    """

    code = "data.load_failed"

    def __init__(self, problems: Sequence[DataError], *, file: str | None = None) -> None:
        self.problems: list[DataError] = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{count} {noun} found; nothing was loaded:"]
        lines += [f"  {problem}" for problem in self.problems[:MAX_REPORT_LINES]]
        if count > MAX_REPORT_LINES:
            lines.append(f"  … and {count - MAX_REPORT_LINES} more (see .problems)")
        super().__init__("\n".join(lines), where=Where(file=file))
