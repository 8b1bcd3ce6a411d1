"""The alert lifecycle on stored alerts: streak, quiet periods and the period it began.

A run continues the lifecycle of the stored run of the period before (new,
ongoing with its streak, escalated, de-escalated, resolved after quiet periods),
so the stored alerts keep what the next run needs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``streak``, ``quiet`` and ``since_period`` to ``zg_alerts`` (old rows: 1, 0, NULL)."""
    with op.batch_alter_table("zg_alerts") as batch:
        batch.add_column(sa.Column("streak", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("quiet", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("since_period", sa.String(16), nullable=True))


def downgrade() -> None:
    """Drop the three columns again."""
    with op.batch_alter_table("zg_alerts") as batch:
        batch.drop_column("since_period")
        batch.drop_column("quiet")
        batch.drop_column("streak")
