"""Persistence on SQLite, PostgreSQL and MySQL/MariaDB (DESIGN.md §3).

``Store(url, school=...)`` is one school's view of a database whose schema is
managed by the Alembic revisions shipped in ``zhengai/store/migrations``:
subjects, indicators, packs, goals, append-only observations, runs, alerts,
gaps, scores, spiral states with their audit trail and cycles, and improvement
actions.  See ``docs/store.md``.
"""

from zhengai.errors import ConcurrencyConflict, StoreError
from zhengai.store._sql import analyze_stale
from zhengai.store.errors import (
    BadActionChange,
    BadObservations,
    BadSchoolId,
    BadStoreURL,
    ConnectionLost,
    IntegrityViolation,
    RowNotFound,
    SchemaNotUpgraded,
    SchemaOutOfDate,
    SchemaTooNew,
    SchoolMismatch,
    UnknownTable,
)
from zhengai.store.ingest import StoredObservations, latest_query
from zhengai.store.records import (
    ActionEvent,
    ActionRecord,
    IngestResult,
    MoveResult,
    SpiralState,
    Transition,
)
from zhengai.store.store import Store

__all__ = [
    "ActionEvent",
    "ActionRecord",
    "BadActionChange",
    "BadObservations",
    "BadSchoolId",
    "BadStoreURL",
    "ConcurrencyConflict",
    "ConnectionLost",
    "IngestResult",
    "IntegrityViolation",
    "MoveResult",
    "RowNotFound",
    "SchemaNotUpgraded",
    "SchemaOutOfDate",
    "SchemaTooNew",
    "SchoolMismatch",
    "SpiralState",
    "Store",
    "StoreError",
    "StoredObservations",
    "Transition",
    "UnknownTable",
    "analyze_stale",
    "latest_query",
]
