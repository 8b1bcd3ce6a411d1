"""``zhengai db upgrade``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from zhengai.store import Store
from zhengai.store.migrate import known_revisions

Invoke = Callable[..., Result]

HEAD = Store.head_revision()


def test_upgrade_creates_then_reports_up_to_date(invoke: Invoke, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'z.db'}"
    first = invoke("db", "upgrade", url)
    assert first.exit_code == 0
    assert first.stdout == f"数据库结构已升级：（空） → {HEAD}\n"
    assert Store(url).current_revision() == HEAD
    again = invoke("--lang", "en", "db", "upgrade", url)
    assert again.exit_code == 0
    assert again.stdout == f"schema already at revision {HEAD}\n"


def test_a_bare_path_is_an_sqlite_file(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    result = invoke("db", "upgrade", str(path), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"before": None, "after": HEAD, "head": HEAD}
    assert path.is_file()


def test_an_unsupported_database_url_exits_2(invoke: Invoke) -> None:
    result = invoke("db", "upgrade", "oracle://scott@db/orcl")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "zhengai: error [store.bad_url] unsupported database 'oracle' in 'oracle://scott@db/orcl', "
        "zhengai stores to SQLite, PostgreSQL or MySQL/MariaDB: sqlite:///file.db, "
        "postgresql+psycopg://user@host/db, mysql+pymysql://user@host/db\n"
    )


def test_an_unknown_revision_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("db", "upgrade", str(tmp_path / "z.db"), "--revision", "9999")
    assert result.exit_code == 2
    shipped = ", ".join(known_revisions())
    assert result.stderr == (
        f"zhengai: error [store.unknown_revision] 没有数据库结构版本 '9999', 可用版本：{shipped}\n"
    )


def test_a_database_that_cannot_be_opened_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "z.db"
    result = invoke("--lang", "en", "db", "upgrade", f"sqlite:///{missing}")
    assert result.exit_code == 2
    assert result.stderr == (
        "zhengai: error [store.unreachable] the database is not available: "
        "unable to open database file\n"
    )
