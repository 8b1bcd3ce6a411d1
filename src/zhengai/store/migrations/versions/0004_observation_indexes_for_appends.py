"""PostgreSQL: block-range and hash indexes on observations instead of the b-tree key index.

State data only grows, a term at a time, and each ingest appends a contiguous run of
blocks.  On PostgreSQL the five-column b-tree ``ix_zg_observations_key`` made every
loaded row cost an index insertion: a 2M-row load took about four times a plain
``COPY``.  A BRIN index on ``(school_id, period_kind, period_ordinal)`` finds a
period's blocks at almost no cost per row (``autosummarize`` lets autovacuum summarise
each finished block range), and a hash index on ``subject_id`` serves the point reads
(one subject's versions, a selection of subjects, the ``supersedes`` link of a
correction).  SQLite and MySQL/MariaDB keep the b-tree: they have no BRIN, and their
loads pay far less for it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "zg_observations"
KEY = ["school_id", "period_kind", "period_ordinal", "indicator", "subject_id"]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    """On PostgreSQL, replace ``ix_zg_observations_key`` by the BRIN and hash indexes."""
    if not _postgresql():
        return
    op.create_index(
        "ix_zg_observations_period",
        TABLE,
        ["school_id", "period_kind", "period_ordinal"],
        postgresql_using="brin",
        postgresql_with={"autosummarize": "on"},
    )
    op.create_index("ix_zg_observations_subject", TABLE, ["subject_id"], postgresql_using="hash")
    op.drop_index("ix_zg_observations_key", table_name=TABLE)


def downgrade() -> None:
    """On PostgreSQL, put the b-tree key index back and drop the other two."""
    if not _postgresql():
        return
    op.create_index("ix_zg_observations_key", TABLE, KEY)
    op.drop_index("ix_zg_observations_subject", table_name=TABLE)
    op.drop_index("ix_zg_observations_period", table_name=TABLE)
