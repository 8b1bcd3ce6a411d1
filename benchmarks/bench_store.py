"""Store: bulk ingest of state data against a plain load of the same rows.

``N`` students × 20 indicators for one term (quick: 5,000 × 20 = 100k rows; full:
500,000 × 20 = 10M), measured in the same run on SQLite and PostgreSQL:

* **zhengai**: ``Store.ingest`` of a columnar ``zhengai.data.Observations`` —
  staging (``COPY`` on PostgreSQL, ``executemany`` on SQLite), period parsing,
  the idempotence check, ``supersedes`` links and the read index, in one
  transaction;
* **plain load**: the driver's own ``COPY`` / ``executemany`` of the same rows
  into a bare table with the same columns and no index (the ceiling);
* **plain + index**: the same plain load into a table that carries the store's
  read index (what any real schema pays);
* **re-submission**: ``Store.ingest`` of the same rows again (adds nothing);
* **correction**: ``Store.ingest`` of new values for 1% of the students (each a new
  version that supersedes the stored one);
* **read back**: ``Store.observations`` of the term (the newest versions).

On PostgreSQL the store's read indexes are BRIN on the period columns and hash on
``subject_id`` (revision 0004); the "plain + index" column keeps a b-tree for reference.

PostgreSQL is skipped (with the reason) when ``ZHENGAI_BENCH_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) cannot be reached.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, text

from benchmarks._pg import postgres_schema
from zhengai.data import Observations
from zhengai.store import Store

INDICATORS = 20
PERIOD = "2025-2026-1"
COLUMNS = "subject_id, indicator, period, value, source, recorded_at"
BARE = (
    "(id INTEGER PRIMARY KEY, subject_id VARCHAR(128), indicator VARCHAR(64), "
    "period VARCHAR(16), value DOUBLE PRECISION, source VARCHAR(255), recorded_at TIMESTAMP)"
)


def make_data(students: int, seed: int = 7) -> Observations:
    """``students`` × 20 indicators for one term; about 3% of values missing."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"st{i:07d}" for i in range(students)], dtype=object)
    indicators = np.array([f"ind_{k:02d}" for k in range(INDICATORS)], dtype=object)
    values = rng.random(students * INDICATORS)
    values[rng.random(values.size) < 0.03] = np.nan
    n = students * INDICATORS
    return Observations(
        np.repeat(ids, INDICATORS),
        np.tile(indicators, students),
        np.full(n, PERIOD, dtype=object),
        values,
        np.full(n, "7.2", dtype=object),
    )


def _rows(data: Observations) -> list[tuple[Any, ...]]:
    values = data.value.astype(object)
    values[np.isnan(data.value)] = None
    return list(
        zip(
            data.subject_id.tolist(),
            data.indicator.tolist(),
            data.period.tolist(),
            values.tolist(),
            data.source.tolist(),
            [None] * len(values),
            strict=True,
        )
    )


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _plain_sqlite(path: Path, data: Observations, *, index: bool) -> float:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE plain {BARE}")
    if index:
        conn.execute("CREATE INDEX plain_key ON plain (period, indicator, subject_id)")

    def load() -> None:
        rows = _rows(data)
        conn.executemany(f"INSERT INTO plain ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.commit()

    seconds = _timed(load)
    conn.close()
    return seconds


def _plain_postgres(url: str, data: Observations, *, index: bool) -> float:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE plain {BARE.replace('INTEGER PRIMARY KEY', 'BIGSERIAL PRIMARY KEY')}"
            )
        )
        if index:
            conn.execute(text("CREATE INDEX plain_key ON plain (period, indicator, subject_id)"))

    def load() -> None:
        rows = _rows(data)
        with engine.begin() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            # Binary COPY, the fastest plain load psycopg offers: the strictest ceiling.
            with cursor.copy(f"COPY plain ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["varchar", "varchar", "varchar", "float8", "varchar", "timestamp"])
                for row in rows:
                    copy.write_row(row)

    seconds = _timed(load)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE plain"))
    engine.dispose()
    return seconds


def _correction(data: Observations) -> Observations:
    """New values for the first 1% of the students (all their indicators)."""
    n = max(1, len(data.value) // 100)
    return Observations(
        data.subject_id[:n],
        data.indicator[:n],
        data.period[:n],
        np.round(np.nan_to_num(data.value[:n]) + 0.5, 6),
        data.source[:n],
    )


def _ours(url: str, data: Observations) -> tuple[float, float, float, float]:
    store = Store(url, school="bench")
    store.upgrade()
    first = store.ingest(data, batch_size=100_000)
    assert first.added == len(data.value)
    again = store.ingest(data, batch_size=100_000)
    assert again.added == 0
    fix = _correction(data)
    corrected = store.ingest(fix, batch_size=100_000)
    assert corrected.added == len(fix.value)
    started = time.perf_counter()
    back = store.observations(period=PERIOD)
    read = time.perf_counter() - started
    assert len(back) == len(data.value)
    store.engine.dispose()
    return first.seconds, again.seconds, corrected.seconds, read


def main(quick: bool, students: int | None = None) -> str:
    """Run the ingest comparison and return the Markdown section.

    ``students`` overrides the size (× 20 indicators); otherwise quick is 5,000
    students (100k rows) and full 500,000 (10M rows), or ``ZHENGAI_BENCH_STORE_STUDENTS``.
    """
    if students is None:
        from_env = os.environ.get("ZHENGAI_BENCH_STORE_STUDENTS")
        students = int(from_env) if from_env else 5_000 if quick else 500_000
    data = make_data(students)
    n = len(data.value)
    lines = [
        "## Store: bulk ingest",
        "",
        f"{students:,} students × {INDICATORS} indicators = {n:,} observations, one term, "
        "one transaction. Rows per second; ratio = plain load time ÷ zhengai time "
        "(target: zhengai within 2× of the plain load, i.e. ratio ≥ 0.5).",
        "",
        "| database | zhengai ingest | plain load (no index) | plain load + index | "
        "re-submission (adds 0) | correction (1% of rows) | read back (newest versions) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]

    def row(
        name: str, ours: float, plain: float, indexed: float, again: float, fix: float, read: float
    ) -> str:
        def rate(seconds: float, rows: int = n) -> str:
            return f"{rows / seconds:,.0f}/s ({seconds:.1f} s)"

        return (
            f"| {name} | {rate(ours)} | {rate(plain)}, ratio {plain / ours:.2f} | "
            f"{rate(indexed)}, ratio {indexed / ours:.2f} | {rate(again)} | "
            f"{rate(fix, max(1, n // 100))} | {rate(read)} |"
        )

    notes: list[str] = []
    # The machine is shared: best of three in quick mode (each on a fresh database).
    reps = 3 if quick else 1
    with tempfile.TemporaryDirectory() as tmp:
        runs = [_ours(f"sqlite:///{Path(tmp) / f'z{k}.db'}", data) for k in range(reps)]
        plain = min(_plain_sqlite(Path(tmp) / f"p{k}.db", data, index=False) for k in range(reps))
        indexed = min(_plain_sqlite(Path(tmp) / f"i{k}.db", data, index=True) for k in range(reps))
        ours, again, fix, read = (min(r[i] for r in runs) for i in range(4))
        lines.append(row("SQLite (file, WAL)", ours, plain, indexed, again, fix, read))
    pg_runs: list[tuple[float, float, float, float, float, float]] = []
    for _ in range(reps):
        target = postgres_schema("bench")
        if isinstance(target, str):
            notes.append(target)
            break
        url, drop = target
        try:
            ours, again, fix, read = _ours(url, data)
            pg_runs.append(
                (
                    ours,
                    _plain_postgres(url, data, index=False),
                    _plain_postgres(url, data, index=True),
                    again,
                    fix,
                    read,
                )
            )
        finally:
            drop()
    if pg_runs:
        best = [min(r[i] for r in pg_runs) for i in range(6)]
        lines.append(row("PostgreSQL (binary COPY)", *best))
    lines += ["", *notes] if notes else []
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=None, help="students (× 20 indicators)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(main(quick=args.quick, students=args.students))
