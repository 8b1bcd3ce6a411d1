"""A scratch PostgreSQL schema for a benchmark run, shared by the benchmarks that need one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

#: The PostgreSQL the benchmarks use (this machine's by default).
PG_URL = os.environ.get(
    "ZHENGAI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_schema(prefix: str) -> tuple[str, Callable[[], None]] | str:
    """A URL to a fresh schema and the function that drops it, or why PostgreSQL is skipped."""
    try:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    except (SQLAlchemyError, ImportError) as exc:
        return f"PostgreSQL skipped: cannot reach {PG_URL} ({exc.__class__.__name__})"

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()

    return f"{PG_URL}?options=-csearch_path%3D{name}", drop
