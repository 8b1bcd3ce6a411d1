"""Shared fixtures: ``db_url`` runs a test on SQLite, PostgreSQL and MariaDB.

Without ``ZHENGAI_TEST_POSTGRES_URL`` / ``ZHENGAI_TEST_MYSQL_URL`` a server is
skipped with the reason; with ``ZHENGAI_REQUIRE_DBS=1`` (CI) a missing or
unreachable server fails the test instead. Each test gets a clean schema
(PostgreSQL) or database (MariaDB) that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

SERVER_ENV = {"postgresql": "ZHENGAI_TEST_POSTGRES_URL", "mysql": "ZHENGAI_TEST_MYSQL_URL"}
_exercised: Counter[str] = Counter()
_unreachable: dict[str, str] = {}


def _require() -> bool:
    return os.environ.get("ZHENGAI_REQUIRE_DBS") == "1"


def _unavailable(kind: str, reason: str) -> None:
    if _require():
        pytest.fail(f"{kind}: {reason} (ZHENGAI_REQUIRE_DBS=1)", pytrace=False)
    pytest.skip(f"{kind}: {reason}")


def _server_url(kind: str) -> URL:
    env = SERVER_ENV[kind]
    raw = os.environ.get(env)
    if not raw:
        _unavailable(kind, f"set {env} to run this test against a real {kind} server")
    assert raw is not None
    if kind in _unreachable:
        _unavailable(kind, _unreachable[kind])
    return make_url(raw)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each kind, cleaned up after the test."""
    kind: str = request.param
    if kind == "sqlite":
        _exercised[kind] += 1
        yield f"sqlite:///{tmp_path / 'zhengai.db'}"
        return
    server = _server_url(kind)
    name = f"zt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(text(f'CREATE SCHEMA "{name}"'))
            else:
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    except SQLAlchemyError as exc:
        admin.dispose()
        _unreachable[kind] = f"cannot reach {server.render_as_string()}: {exc.__class__.__name__}"
        _unavailable(kind, _unreachable[kind])
    if kind == "postgresql":
        url = server.update_query_dict({"options": f"-csearch_path={name}"})
    else:
        url = server.set(database=name)
        url = url.update_query_dict({"charset": "utf8mb4"})
    _exercised[kind] += 1
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which databases the db_url tests really ran on, so CI logs show it."""
    if _exercised:
        counts = ", ".join(
            f"{kind} {_exercised[kind]}" for kind in ("sqlite", "postgresql", "mysql")
        )
        terminalreporter.write_line(f"databases exercised (tests per server): {counts}")
