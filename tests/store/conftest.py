"""Fixtures for the store tests: an upgraded store on each database of ``db_url``.

Upgrading a fresh MariaDB schema takes one to two seconds, so the server databases
are upgraded once per test session and every test gets its own school in them:
the store's multi-school isolation keeps tests apart, and is exercised by every
one of them.  SQLite files are cheap and stay one per test.  Tests that need an
empty database (migrations) use ``db_url`` directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from zhengai.model import Subject
from zhengai.store import Store


@pytest.fixture(scope="session")
def _shared_databases() -> Iterator[dict[str, tuple[str, str, str]]]:
    """kind → (URL, server URL, name) of a database upgraded once, dropped at the end."""
    created: dict[str, tuple[str, str, str]] = {}
    yield created
    for kind, (_url, server, name) in created.items():
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


def _shared_url(kind: str, db_url: str, cache: dict[str, tuple[str, str, str]]) -> str:
    if kind in cache:
        return cache[kind][0]
    parsed = make_url(db_url)
    name = f"zt_shared_{uuid.uuid4().hex[:10]}"
    if kind == "postgresql":
        server = parsed.difference_update_query(["options"])
    else:
        server = parsed.set(database="test").difference_update_query(["charset"])
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if kind == "postgresql":
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        else:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    admin.dispose()
    if kind == "postgresql":
        url = server.update_query_dict({"options": f"-csearch_path={name}"})
    else:
        url = server.set(database=name).update_query_dict({"charset": "utf8mb4"})
    rendered = url.render_as_string(hide_password=False)
    shared = Store(rendered)
    shared.upgrade()
    shared.engine.dispose()
    cache[kind] = (rendered, server.render_as_string(hide_password=False), name)
    return rendered


@pytest.fixture
def store(db_url: str, _shared_databases: dict[str, tuple[str, str, str]]) -> Iterator[Store]:
    """A store for a school of its own on an upgraded database of each kind."""
    kind = make_url(db_url).get_backend_name()
    if kind == "sqlite":
        st = Store(db_url, school="s1")
        st.upgrade()
    else:
        st = Store(_shared_url(kind, db_url, _shared_databases), school=f"s-{uuid.uuid4().hex[:8]}")
    yield st
    st.engine.dispose()


def roster(n_students: int = 4) -> list[Subject]:
    """A school → major → class → students hierarchy (children listed before parents)."""
    students = [
        Subject(id=f"st{i}", level="学生", name=f"学生{i}", parent_id="c1")
        for i in range(n_students)
    ]
    return [
        *students,
        Subject(id="c1", level="class", name="电商2301班", parent_id="m1"),
        Subject(
            id="m1", level="major", name="电子商务", parent_id="school", attributes={"系": "商学院"}
        ),
        Subject(id="school", level="school", name="某某职业技术学院"),
    ]
