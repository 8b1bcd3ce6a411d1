"""A deadlock victim comes out as ConcurrencyConflict: rolled back, safe to retry.

Found in CI: on MariaDB a single spiral move racing a batch move was chosen as the
deadlock victim (error 1213) and escaped as a raw driver error.
"""

from __future__ import annotations

from pathlib import Path

import pymysql
import pytest
from sqlalchemy.exc import OperationalError

from zhengai.errors import ConcurrencyConflict
from zhengai.store import Store


class _PgDeadlock(Exception):
    sqlstate = "40P01"


@pytest.mark.parametrize(
    ("driver_error", "reason"),
    [
        (
            pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock"),
            "(1213, 'Deadlock found when trying to get lock')",
        ),
        (_PgDeadlock("deadlock detected"), "deadlock detected"),
    ],
)
def test_a_deadlock_victim_is_a_concurrency_conflict(
    tmp_path: Path, driver_error: Exception, reason: str
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'z.db'}")
    store.upgrade()
    with pytest.raises(ConcurrencyConflict) as info, store.transaction():
        raise OperationalError("UPDATE zg_spiral_states …", {}, driver_error)
    assert info.value.code == "store.concurrency_conflict"
    assert info.value.message == f"another writer held the same rows; rolled back ({reason})"
    assert info.value.hint == "nothing of this call was written; reload and retry it"


def test_other_operational_errors_pass_through(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'z.db'}")
    store.upgrade()
    error = OperationalError("SELECT 1", {}, pymysql.err.OperationalError(1146, "no such table"))
    with pytest.raises(OperationalError), store.transaction():
        raise error
