"""An index on ``zg_data_gaps`` by run, like the ones alerts and scores have.

A run stored by ``backend="sql"`` hands its data gaps back lazily, reading them by
``(school_id, run_id)``; without an index every such read scanned every gap of
every run.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NAME, TABLE = "ix_zg_data_gaps_run", "zg_data_gaps"


def upgrade() -> None:
    """Add ``ix_zg_data_gaps_run``."""
    op.create_index(NAME, TABLE, ["school_id", "run_id"])


def downgrade() -> None:
    """Drop it again."""
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        # MySQL lets an index that leads with school_id serve the school foreign key
        # and refuses to drop it; give the key its own index first (as in 0002).
        op.create_index(f"{NAME}_fk", TABLE, ["school_id"])
    op.drop_index(NAME, table_name=TABLE)
