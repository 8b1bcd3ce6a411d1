"""Two ingests of the same rows at the same time add them once, on every database.

Found by the FastAPI example: on MySQL/MariaDB the school's ingest lock was released
before the commit and the waiting ingest read a snapshot from before the other's
commit, so both added every row.
"""

from __future__ import annotations

import threading

from zhengai.examples import college
from zhengai.store import Store


def test_simultaneous_resubmissions_add_the_rows_once(db_url: str) -> None:
    store = Store(db_url)
    store.upgrade()
    made = college(seed=5, size="small")
    store.add_indicators(made.catalog)
    store.add_subjects(made.subjects)
    added: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            added.append(store.ingest(made.observations).added)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for _round in range(3):
        threads = [threading.Thread(target=submit) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sum(added) == len(made.observations)
    assert len(store.observations()) == len(made.observations)
