"""Alembic environment: always runs on the connection the Store hands over.

There is no ``alembic.ini``: :mod:`zhengai.store.migrate` builds the Config in
code and puts an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from zhengai.store.migrate import VERSION_TABLE
from zhengai.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("zhengai migrations run through Store.upgrade(), which passes a connection")
_run(connection)
