"""Indexes for the read and batch paths, and the batch-move tag on spiral states.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_zg_observations_key": (
        "zg_observations",
        ["school_id", "period_kind", "period_ordinal", "indicator", "subject_id"],
    ),
    "ix_zg_spiral_states_loop_id_state": ("zg_spiral_states", ["school_id", "loop_id", "state"]),
    "ix_zg_spiral_transitions_subject": (
        "zg_spiral_transitions",
        ["school_id", "subject_id", "loop_id"],
    ),
    "ix_zg_actions_status": ("zg_actions", ["school_id", "status", "due"]),
    "ix_zg_alerts_run": ("zg_alerts", ["school_id", "run_id"]),
    "ix_zg_scores_run": ("zg_scores", ["school_id", "run_id"]),
}


def upgrade() -> None:
    """Add the indexes and ``zg_spiral_states.move_id`` (existing rows keep NULL)."""
    with op.batch_alter_table("zg_spiral_states") as batch:
        batch.add_column(sa.Column("move_id", sa.String(32), nullable=True))
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    """Drop the indexes and the column again."""
    for name, (table, columns) in INDEXES.items():
        if op.get_bind().dialect.name in ("mysql", "mariadb") and columns[0] == "school_id":
            # MySQL lets an index that leads with school_id serve the school foreign key
            # and refuses to drop it; give the key its own index first.
            op.create_index(f"{name}_fk", table, ["school_id"])
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("zg_spiral_states") as batch:
        batch.drop_column("move_id")
