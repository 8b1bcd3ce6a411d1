"""Engines for the three supported databases, configured the way the store needs them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from zhengai.store.errors import BadStoreURL

__all__ = ["DRIVERS", "WRITE_OPTION", "family", "make_engine", "prepare_sqlite"]

#: Execution option that marks a connection's transactions as writes (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "zhengai_write"

#: The driver used when a URL names only the database ("postgresql://", "mysql://").
DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}
_EXTRAS = {
    "postgresql": "zhengai[postgres]",
    "mysql": "zhengai[mysql]",
    "mariadb": "zhengai[mysql]",
}
_SUPPORTED = "sqlite:///file.db, postgresql+psycopg://user@host/db, mysql+pymysql://user@host/db"


def family(dialect_name: str) -> str:
    """``sqlite``, ``postgresql`` or ``mysql`` (MariaDB counts as MySQL)."""
    return "mysql" if dialect_name in ("mysql", "mariadb") else dialect_name


def _parse(url: str | URL) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BadStoreURL(
            f"cannot parse database URL {str(url)!r}", hint=f"use {_SUPPORTED}"
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql", "mysql", "mariadb"):
        raise BadStoreURL(
            f"unsupported database {backend!r} in {parsed.render_as_string()!r}",
            hint=f"zhengai stores to SQLite, PostgreSQL or MySQL/MariaDB: {_SUPPORTED}",
        )
    if backend in DRIVERS and "+" not in parsed.drivername:
        parsed = parsed.set(drivername=f"{backend}+{DRIVERS[backend]}")
    if family(backend) == "mysql" and "charset" not in parsed.query:
        # utf8mb4, not MySQL's three-byte "utf8": rare Chinese names need four bytes.
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and real transactions."""
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite":
        # Campus servers drop idle connections (MySQL wait_timeout, firewalls); test first.
        kwargs.setdefault("pool_pre_ping", True)
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        backend = parsed.get_backend_name()
        raise BadStoreURL(
            f"the driver for {parsed.drivername!r} is not installed",
            hint=f"pip install '{_EXTRAS.get(backend, 'zhengai[all]')}'",
        ) from exc
    if engine.dialect.name == "sqlite":
        prepare_sqlite(engine)
    return engine


def prepare_sqlite(engine: Engine) -> None:
    """Foreign keys, WAL and real transactions on every new SQLite connection of ``engine``.

    The driver's implicit transaction handling is replaced by an explicit ``BEGIN``
    (the SQLAlchemy-documented recipe): Python's sqlite3 module otherwise opens
    transactions late, so a SAVEPOINT released inside a Session commits for real
    and a read-then-write slips outside the transaction.  Connections an engine
    pooled before it reached the store keep their old settings.
    """
    if event.contains(engine, "connect", _on_connect):
        return
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "connect", _autocommit_driver)
    event.listen(engine, "begin", _emit_begin)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets readers run beside the single writer; a no-op for :memory:.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Wait for the writer lock instead of failing at once under a worker pool.
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _emit_begin(connection: Any) -> None:
    # A write transaction takes the write lock up front (BEGIN IMMEDIATE): a deferred
    # transaction that reads first cannot upgrade once another writer committed in WAL
    # mode, and fails at once instead of waiting for busy_timeout.
    mode = connection.get_execution_options().get(WRITE_OPTION)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if mode else "BEGIN")
