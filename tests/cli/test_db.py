"""``zhengai db upgrade``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from zhengai.store import Store

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
    assert result.stderr.startswith("zhengai: error [store.bad_url] unsupported database 'oracle'")
    assert len(result.stderr.splitlines()) == 1
