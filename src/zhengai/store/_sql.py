"""Small portable SQL helpers shared by the store modules (internal)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, insert, text
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import Insert

from zhengai.store.connect import family

__all__ = ["analyze_stale", "dropping", "insert_ignore", "temp_ids", "temp_table", "upsert"]


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
) -> None:
    """Insert ``rows``; on a key clash update every non-key column (one executemany)."""
    if not rows:
        return
    updates = [c.name for c in table.columns if c.name not in keys]
    kind = family(conn.dialect.name)
    stmt: Insert
    if kind == "postgresql":
        pg = postgresql.insert(table)
        stmt = pg.on_conflict_do_update(
            index_elements=list(keys), set_={c: pg.excluded[c] for c in updates}
        )
    elif kind == "sqlite":
        lite = sqlite.insert(table)
        stmt = lite.on_conflict_do_update(
            index_elements=list(keys), set_={c: lite.excluded[c] for c in updates}
        )
    else:
        my = mysql.insert(table)
        stmt = my.on_duplicate_key_update({c: my.inserted[c] for c in updates})
    conn.execute(stmt, list(rows))


def insert_ignore(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` that are not there yet (by primary or unique key)."""
    if not rows:
        return
    kind = family(conn.dialect.name)
    stmt: Insert
    if kind == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
    elif kind == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    else:
        stmt = insert(table).prefix_with("IGNORE")
    conn.execute(stmt, list(rows))


def temp_table(name: str, *columns: Column[Any]) -> Table:
    """A connection-private temporary table definition with a unique name."""
    meta = MetaData()
    return Table(
        f"zg_tmp_{name}_{uuid.uuid4().hex[:12]}",
        meta,
        *columns,
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


@contextmanager
def temp_ids(conn: Connection, ids: Sequence[str]) -> Iterator[Table]:
    """A temporary one-column table holding ``ids``, for joins with large selections.

    A million ids never go into an ``IN (…)`` list: they are loaded with one
    executemany and joined.  PostgreSQL drops the table at commit (or with the
    rollback); SQLite rolls its creation back; MySQL keeps temporary tables across
    transactions, so it is dropped here explicitly.
    """
    table = temp_table("ids", Column("id", String(128), primary_key=True))
    table.create(conn)
    with dropping(conn, table):
        if ids:
            conn.execute(table.insert(), [{"id": i} for i in dict.fromkeys(ids)])
        yield table


@contextmanager
def dropping(conn: Connection, table: Table) -> Iterator[None]:
    """Drop the temporary ``table`` when the block ends, where the database would keep it.

    PostgreSQL drops it at commit or rollback (``ON COMMIT DROP``).  SQLite and MySQL
    keep temporary tables for the life of the pooled connection, so they are dropped
    here; after a failure the drop is best effort and never hides the first error.
    """
    if family(conn.dialect.name) == "postgresql":
        yield
        return
    statement = (
        f"DROP TEMPORARY TABLE IF EXISTS {table.name}"
        if family(conn.dialect.name) == "mysql"
        else f"DROP TABLE IF EXISTS temp.{table.name}"
    )
    try:
        yield
    except BaseException:
        with suppress(SQLAlchemyError):
            conn.exec_driver_sql(statement)
        raise
    conn.exec_driver_sql(statement)


#: A table's planner statistics are stale when the rows changed since its last ANALYZE
#: exceed this share of the table plus this many rows (autovacuum's defaults).
_STALE_SHARE = 0.1
_STALE_ROWS = 50


def analyze_stale(conn: Connection, tables: Sequence[str], *, pending: int = 0) -> list[str]:
    """On PostgreSQL, ``ANALYZE`` those of ``tables`` whose statistics are missing or stale.

    Until autovacuum gets to a freshly loaded table the planner knows nothing of its
    rows, and picks plans that are quadratic in them (a pivot nested in a loop over
    subjects: 50 s instead of 0.4 s for 2,000 students; a read back by sequential scan
    and sort).  ``pending`` counts rows this transaction wrote that the statistics
    views do not show yet.  ``SKIP_LOCKED``: never wait for a vacuum or another
    school's load.  Returns the tables analysed (none on SQLite and MySQL/MariaDB,
    whose statistics need no help).
    """
    if family(conn.dialect.name) != "postgresql":
        return []
    stale = conn.execute(
        text(
            "SELECT relname FROM pg_stat_user_tables"
            " WHERE relid = ANY(CAST(CAST(:tables AS text[]) AS regclass[]))"
            " AND (COALESCE(last_analyze, last_autoanalyze) IS NULL"
            " OR n_mod_since_analyze + :pending > :share * n_live_tup + :rows)"
            " ORDER BY relname"
        ),
        {
            "tables": list(tables),
            "pending": pending,
            "share": _STALE_SHARE,
            "rows": _STALE_ROWS,
        },
    ).scalars()
    analysed = [name for name in stale if name in tables]
    for name in analysed:
        conn.execute(text(f"ANALYZE (SKIP_LOCKED) {name}"))  # one of the given table names
    return analysed
