"""Optimistic locking: a portable compare-and-set on a ``version`` column.

``UPDATE … SET …, version = version + 1 WHERE <key> AND version = :expected`` and
a look at the row count: MySQL/MariaDB have no ``UPDATE … RETURNING``, and the
row count is the one answer all three databases give.  When nothing matched, a
locking read tells a stale version (:class:`ConcurrencyConflict`) from a missing
row (:class:`RowNotFound`); raising inside the store's transaction rolls it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from zhengai.errors import ConcurrencyConflict
from zhengai.store.errors import RowNotFound

__all__ = ["compare_and_set"]


def compare_and_set(
    conn: Connection,
    table: Table,
    key: Mapping[str, Any],
    expected_version: int,
    values: Mapping[str, Any],
) -> int:
    """Apply ``values`` to the row ``key`` if it is still at ``expected_version``.

    Returns the new version.  ``key`` must name the row completely (school_id
    included); ``table`` must have an integer ``version`` column.
    """
    where = [table.c[name] == value for name, value in key.items()]
    changed = conn.execute(
        table.update()
        .where(*where, table.c.version == expected_version)
        .values(**values, version=table.c.version + 1)
    ).rowcount
    if changed == 1:
        return expected_version + 1
    current = conn.execute(select(table.c.version).where(*where).with_for_update()).scalar()
    described = ", ".join(f"{name}={value!r}" for name, value in key.items())
    if current is None:
        raise RowNotFound(f"no row in {table.name} with {described}")
    raise ConcurrencyConflict(
        f"{table.name} row {described} is at version {current}, not {expected_version}; "
        "another writer changed it first and this transaction was rolled back",
        hint="reload the row and apply the change again",
    )
