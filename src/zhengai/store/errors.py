"""Errors the store raises; each has a stable ``store.*`` code."""

from __future__ import annotations

from zhengai.errors import StoreError

__all__ = [
    "BadActionChange",
    "BadObservations",
    "BadSchoolId",
    "BadStoreURL",
    "ConnectionLost",
    "IntegrityViolation",
    "RowNotFound",
    "SchemaNotUpgraded",
    "SchemaOutOfDate",
    "SchemaTooNew",
    "SchoolMismatch",
    "UnknownTable",
]


class BadStoreURL(StoreError):
    """A database URL that cannot be parsed, names an unsupported database or lacks its driver."""

    code = "store.bad_url"


class SchemaNotUpgraded(StoreError):
    """The database has no zhengai schema yet: ``store.upgrade()`` creates it."""

    code = "store.schema_not_upgraded"


class SchemaOutOfDate(StoreError):
    """The schema is at an older revision than this version of zhengai needs."""

    code = "store.schema_out_of_date"


class SchemaTooNew(StoreError):
    """The schema was upgraded by a newer zhengai that this one does not know."""

    code = "store.schema_too_new"


class SchoolMismatch(StoreError):
    """A row that belongs to another school than the store's."""

    code = "store.school_mismatch"


class RowNotFound(StoreError):
    """An action or a spiral state that does not exist in this school."""

    code = "store.not_found"


class IntegrityViolation(StoreError):
    """The database refused a write: a missing parent subject, a duplicate key…"""

    code = "store.integrity"


class BadObservations(StoreError):
    """Observations that cannot be ingested: a missing column, an empty id, a bad period."""

    code = "store.bad_observations"


class BadActionChange(StoreError):
    """An action update naming a field that cannot change or an unknown status."""

    code = "store.bad_action_change"


class ConnectionLost(StoreError):
    """The database connection died mid-call; the transaction was rolled back by the server."""

    code = "store.connection_lost"


class UnknownTable(StoreError):
    """A table name that is not one of the store's school-scoped tables."""

    code = "store.unknown_table"


class BadSchoolId(StoreError):
    """A school id that is empty or longer than 64 characters."""

    code = "store.bad_school_id"
