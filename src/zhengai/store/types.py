"""Column types that behave the same on SQLite, PostgreSQL and MySQL/MariaDB.

Migrations import these by name, so a type here must never change what it
renders for an existing revision; add a new type instead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["BigId", "UtcDateTime", "utcnow"]

#: An auto-incrementing 64-bit key; on SQLite it must be ``INTEGER`` to alias the rowid.
BigId: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC, with microseconds."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and returned timezone-aware (UTC).

    The three databases disagree on time zones (PostgreSQL ``timestamptz`` converts,
    MySQL ``DATETIME`` and SQLite keep none), so the store normalises on the way in
    and out.  MySQL needs ``DATETIME(6)`` or microseconds are silently dropped, which
    would make two versions recorded in the same second tie.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # Naive input is taken to be UTC already: the store never guesses a local zone.
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
