"""The append-only audit trail of the spiral and its replay.

Every move of a subject is an :class:`AuditRecord` (who, when, from, to, trigger,
reason, the guards that held); a population move is one columnar
:class:`AuditBatch`.  :func:`replay` re-applies a subject's records through the
loop's machines and must reproduce its current state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from zhengai.spiral.errors import ReplayMismatch

if TYPE_CHECKING:
    from zhengai.spiral.engine import Spiral, SubjectState

__all__ = ["AuditBatch", "AuditLog", "AuditRecord", "MachineName", "replay"]

#: Which machine a record belongs to: the big loop or the small loop inside 运行.
MachineName = Literal["loop", "small"]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One transition of one subject, as stored in the audit trail."""

    subject_id: str
    machine: MachineName
    cycle: int
    trigger: str
    source: str
    dest: str
    actor: str
    at: datetime
    reason: str = ""
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditBatch:
    """The audit rows of one population move, as columns (one row per moved subject)."""

    subject_ids: NDArray[Any]
    source: NDArray[Any]
    dest: NDArray[Any]
    cycle: NDArray[np.int32]
    machine: MachineName
    trigger: str
    actor: str
    at: datetime
    reason: str = ""
    guards: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.subject_ids)

    def records(self) -> Iterator[AuditRecord]:
        """The rows as records (for small batches, tests and replay)."""
        for sid, src, dst, cyc in zip(
            self.subject_ids, self.source, self.dest, self.cycle, strict=True
        ):
            yield AuditRecord(
                str(sid),
                self.machine,
                int(cyc),
                self.trigger,
                str(src),
                str(dst),
                self.actor,
                self.at,
                self.reason,
                self.guards,
            )


class AuditLog:
    """An in-memory append-only audit trail (``zhengai.store`` keeps the persistent one)."""

    def __init__(self) -> None:
        self._chunks: list[AuditRecord | AuditBatch] = []

    def append(self, entry: AuditRecord | AuditBatch) -> None:
        """Append one record or one batch; nothing is ever changed or removed."""
        self._chunks.append(entry)

    def __len__(self) -> int:
        return sum(1 if isinstance(c, AuditRecord) else len(c) for c in self._chunks)

    def records(self, subject_id: str | None = None) -> Iterator[AuditRecord]:
        """All records in the order they were appended, optionally of one subject."""
        for chunk in self._chunks:
            if isinstance(chunk, AuditRecord):
                if subject_id is None or chunk.subject_id == subject_id:
                    yield chunk
                continue
            if subject_id is None:
                yield from chunk.records()
                continue
            for row in np.flatnonzero(chunk.subject_ids == subject_id):
                yield AuditRecord(
                    subject_id,
                    chunk.machine,
                    int(chunk.cycle[row]),
                    chunk.trigger,
                    str(chunk.source[row]),
                    str(chunk.dest[row]),
                    chunk.actor,
                    chunk.at,
                    chunk.reason,
                    chunk.guards,
                )


def replay(spiral: Spiral, records: Iterable[AuditRecord]) -> dict[str, SubjectState]:
    """Re-apply audit records from each subject's initial state; return the final states.

    Each record must leave the state the replay is in and be a legal transition of
    the loop's machine, else :class:`ReplayMismatch` names the record.
    """
    states: dict[str, SubjectState] = {}
    for number, record in enumerate(records, start=1):
        current = states.get(record.subject_id) or spiral.subject(record.subject_id)
        here = current.state if record.machine == "loop" else current.small_state
        if here != record.source or not spiral.is_legal(record.machine, record.trigger, here):
            raise ReplayMismatch(
                f"audit record {number} of {record.subject_id!r} moves {record.trigger!r} from "
                f"{record.source!r}, but the replay is in {here!r}",
            )
        moved = spiral.apply(current, record.machine, record.trigger, at=record.at)
        reached = moved.state if record.machine == "loop" else moved.small_state
        if reached != record.dest or moved.cycle != record.cycle:
            raise ReplayMismatch(
                f"audit record {number} of {record.subject_id!r} says {record.trigger!r} led to "
                f"{record.dest!r} in cycle {record.cycle}, the machine gives {reached!r} in "
                f"cycle {moved.cycle}",
            )
        states[record.subject_id] = moved
    return states
