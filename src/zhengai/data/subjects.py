"""A columnar set of diagnosis subjects (诊改主体) with their hierarchy."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.data._columns import ObjectArray, factorize, isin, object_array
from zhengai.data.errors import DuplicateSubject, UnknownSubject
from zhengai.errors import did_you_mean
from zhengai.model import AttributeValue, Level, Subject

__all__ = ["Subjects"]


class Subjects:
    """Subjects as aligned columns: ``ids``, ``levels``, ``names``, ``parent_ids``, ``attributes``.

    ``levels`` holds the English level ids (``"student"``); ``parent_ids`` holds None
    for a root; every attribute column holds None where a subject lacks it.  Iterating
    yields :class:`~zhengai.model.Subject` objects; bulk work reads the columns.
    The constructor checks lengths, levels and that ids are unique; parents are
    checked by :func:`~zhengai.data.load_subjects` / :func:`~zhengai.data.check_subjects`.
    """

    __slots__ = ("_index", "attributes", "ids", "levels", "names", "parent_ids")

    def __init__(
        self,
        ids: Sequence[str] | NDArray[Any],
        levels: Sequence[str | Level] | NDArray[Any],
        names: Sequence[str] | NDArray[Any] | None = None,
        parent_ids: Sequence[str | None] | NDArray[Any] | None = None,
        attributes: Mapping[str, Sequence[AttributeValue] | NDArray[Any]] | None = None,
    ) -> None:
        n = len(ids)
        self.ids: ObjectArray = object_array([str(i) for i in ids])
        codes, distinct = factorize(object_array(levels))
        if (codes < 0).any():
            raise ValueError("every subject needs a level")
        parsed = object_array([Level.parse(str(value)).value for value in distinct])
        self.levels: ObjectArray = parsed[codes] if n else object_array([])
        self.names: ObjectArray = object_array(names if names is not None else [""] * n)
        self.parent_ids: ObjectArray = object_array(
            parent_ids if parent_ids is not None else [None] * n
        )
        self.attributes: dict[str, ObjectArray] = {
            key: object_array(column) for key, column in (attributes or {}).items()
        }
        for label, column in [
            ("levels", self.levels),
            ("names", self.names),
            ("parent_ids", self.parent_ids),
            *self.attributes.items(),
        ]:
            if len(column) != n:
                raise ValueError(f"{label} has {len(column)} entries for {n} subjects")
        self._index: dict[str, int] = dict(zip(self.ids.tolist(), range(n), strict=True))
        if len(self._index) != n:
            seen: set[str] = set()
            first = next(i for i in self.ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
            raise DuplicateSubject(f"subject id {first!r} appears more than once")

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_subjects(cls, subjects: Iterable[Subject]) -> Subjects:
        """Columns from :class:`~zhengai.model.Subject` objects."""
        items = list(subjects)
        keys: dict[str, None] = {}
        for subject in items:
            keys.update(dict.fromkeys(subject.attributes))
        return cls(
            [s.id for s in items],
            [s.level for s in items],
            [s.name for s in items],
            [s.parent_id for s in items],
            {k: [s.attributes.get(k) for s in items] for k in keys},
        )

    @classmethod
    def coerce(cls, value: Subjects | Iterable[Subject] | None) -> Subjects:
        """Accept :class:`Subjects`, any iterable of Subject, or None (no subjects)."""
        if isinstance(value, Subjects):
            return value
        return cls.from_subjects(value or ())

    def _take(self, positions: NDArray[np.intp]) -> Subjects:
        return Subjects(
            self.ids[positions],
            self.levels[positions],
            self.names[positions],
            self.parent_ids[positions],
            {k: v[positions] for k, v in self.attributes.items()},
        )

    # -- container ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[Subject]:
        for i in range(len(self.ids)):
            yield self._subject(i)

    def __contains__(self, subject_id: object) -> bool:
        return subject_id in self._index

    def __repr__(self) -> str:
        return f"Subjects({len(self)} subjects)"

    def _subject(self, i: int) -> Subject:
        return Subject(
            id=self.ids[i],
            level=Level(self.levels[i]),
            name=self.names[i] or "",
            parent_id=self.parent_ids[i],
            attributes={k: v[i] for k, v in self.attributes.items() if v[i] is not None},
        )

    def position(self, subject_id: str) -> int:
        """The row of ``subject_id``; :class:`UnknownSubject` with a suggestion if absent."""
        found = self._index.get(subject_id)
        if found is None:
            raise UnknownSubject(
                f"unknown subject {subject_id!r}", hint=did_you_mean(subject_id, self._index)
            )
        return found

    def get(self, subject_id: str) -> Subject | None:
        """The subject ``subject_id``, or None."""
        found = self._index.get(subject_id)
        return None if found is None else self._subject(found)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per subject: ``subject_id, level, name, parent_id`` and the attributes."""
        return [
            {
                "subject_id": self.ids[i],
                "level": self.levels[i],
                "name": self.names[i],
                "parent_id": self.parent_ids[i],
                **{k: v[i] for k, v in self.attributes.items()},
            }
            for i in range(len(self))
        ]

    # -- hierarchy and filters ------------------------------------------------------------
    def of_level(self, level: str | Level) -> Subjects:
        """The subjects of one level (``"student"`` or ``"学生"``)."""
        return self._take(np.flatnonzero(self.levels == Level.parse(str(level)).value))

    def where(self, mask: NDArray[np.bool_]) -> Subjects:
        """The subjects where ``mask`` (aligned with the columns) is True."""
        return self._take(np.flatnonzero(mask))

    def children(self, subject_id: str) -> Subjects:
        """The direct children of ``subject_id``."""
        self.position(subject_id)
        return self._take(np.flatnonzero(self.parent_ids == subject_id))

    def ancestors(self, subject_id: str) -> list[Subject]:
        """Parent, grandparent… of ``subject_id``, nearest first, up to a root or a gap."""
        out: list[Subject] = []
        seen = {subject_id}
        parent = self.parent_ids[self.position(subject_id)]
        while parent is not None and parent not in seen and parent in self._index:
            seen.add(parent)
            found = self._index[parent]
            out.append(self._subject(found))
            parent = self.parent_ids[found]
        return out

    def descendants(self, subject_id: str) -> Subjects:
        """Every subject below ``subject_id`` (children, their children…), level by level."""
        self.position(subject_id)
        inside = np.zeros(len(self), dtype=bool)
        frontier = np.array([subject_id], dtype=object)
        while len(frontier):
            new = isin(self.parent_ids, frontier) & ~inside
            inside |= new
            frontier = self.ids[new]
        return self._take(np.flatnonzero(inside))

    def column(self, name: str) -> ObjectArray:
        """An attribute column, or ``level`` / ``name`` / ``parent_id``; KeyError if absent."""
        builtin = {"level": self.levels, "name": self.names, "parent_id": self.parent_ids}
        if name in builtin:
            return builtin[name]
        return self.attributes[name]
