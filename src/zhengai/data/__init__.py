"""Datasets of subjects and observations: containers, loaders, checks (DESIGN.md §3, §4).

- :class:`Subjects` and :class:`Observations` hold data as aligned numpy columns;
  :meth:`Observations.frame` pivots one period and one population into a
  :class:`~zhengai.expr.Frame` for evaluation.
- :func:`load_subjects` / :func:`load_observations` read CSV (UTF-8, UTF-8 with BOM,
  GBK/GB18030), ``.xlsx``, pandas DataFrames and records, long or wide, and check
  them; :func:`check_subjects` / :func:`check_observations` list the problems
  without raising.
"""

from zhengai.data.errors import (
    BadEncoding,
    BadValue,
    ColumnClash,
    DataLoadFailed,
    DuplicateColumn,
    DuplicateObservation,
    DuplicateSubject,
    MissingColumn,
    MissingParent,
    MissingSheet,
    OutOfRange,
    ParentCycle,
    UnknownSubject,
    UnreadableSource,
)
from zhengai.data.loaders import (
    OBSERVATION_COLUMNS,
    SUBJECT_COLUMNS,
    check_observations,
    check_subjects,
    load_observations,
    load_subjects,
)
from zhengai.data.observations import Observations, Population
from zhengai.data.subjects import Subjects
from zhengai.data.tables import Source

__all__ = [
    "OBSERVATION_COLUMNS",
    "SUBJECT_COLUMNS",
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
    "Observations",
    "OutOfRange",
    "ParentCycle",
    "Population",
    "Source",
    "Subjects",
    "UnknownSubject",
    "UnreadableSource",
    "check_observations",
    "check_subjects",
    "load_observations",
    "load_subjects",
]
