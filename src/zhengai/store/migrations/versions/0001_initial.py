"""Initial schema: schools, subjects, indicators, packs, goals, observations, runs,
alerts, gaps, scores, spirals and improvement actions.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhengai.store.types import BigId, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHOOL = sa.String(64)
SUBJECT = sa.String(128)
NAME = sa.String(255)
KEY = sa.String(64)


def _id() -> sa.Column[int]:
    return sa.Column("id", BigId, primary_key=True, autoincrement=True)


def _school_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["school_id"], ["zg_schools.id"], name=f"fk_{table}_school_id_zg_schools"
    )


def _school_col(*, primary_key: bool = False) -> sa.Column[str]:
    return sa.Column("school_id", SCHOOL, nullable=False, primary_key=primary_key)


def upgrade() -> None:
    """Create every table of the first release."""
    op.create_table(
        "zg_schools",
        sa.Column("id", SCHOOL, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zg_schools"),
    )
    op.create_table(
        "zg_subjects",
        _school_col(),
        sa.Column("id", SUBJECT, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("parent_id", SUBJECT, nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "id", name="pk_zg_subjects"),
        _school_fk("zg_subjects"),
        sa.ForeignKeyConstraint(
            ["school_id", "parent_id"],
            ["zg_subjects.school_id", "zg_subjects.id"],
            name="fk_zg_subjects_parent",
        ),
    )
    op.create_table(
        "zg_indicators",
        _school_col(),
        sa.Column("id", KEY, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("aggregator", sa.String(8), nullable=False),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "id", name="pk_zg_indicators"),
        _school_fk("zg_indicators"),
    )
    op.create_table(
        "zg_packs",
        _id(),
        _school_col(),
        sa.Column("name", NAME, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("effective_yaml", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zg_packs"),
        _school_fk("zg_packs"),
        sa.UniqueConstraint("school_id", "content_hash", name="uq_zg_packs_school_id_content_hash"),
    )
    op.create_table(
        "zg_goals",
        _school_col(),
        sa.Column("id", SUBJECT, nullable=False),
        sa.Column("subject_id", SUBJECT, nullable=True),
        sa.Column("indicator", KEY, nullable=True),
        sa.Column("period", sa.String(16), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("title", NAME, nullable=False),
        sa.Column("plan", NAME, nullable=True),
        sa.Column("pack_id", BigId, nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "id", name="pk_zg_goals"),
        _school_fk("zg_goals"),
        sa.ForeignKeyConstraint(["pack_id"], ["zg_packs.id"], name="fk_zg_goals_pack_id_zg_packs"),
    )
    op.create_table(
        "zg_goal_edges",
        _school_col(),
        sa.Column("parent_id", SUBJECT, nullable=False),
        sa.Column("child_id", SUBJECT, nullable=False),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column("weight", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint(
            "school_id", "parent_id", "child_id", "relation", name="pk_zg_goal_edges"
        ),
        _school_fk("zg_goal_edges"),
        sa.ForeignKeyConstraint(
            ["school_id", "parent_id"],
            ["zg_goals.school_id", "zg_goals.id"],
            name="fk_zg_goal_edges_parent",
        ),
        sa.ForeignKeyConstraint(
            ["school_id", "child_id"],
            ["zg_goals.school_id", "zg_goals.id"],
            name="fk_zg_goal_edges_child",
        ),
    )
    op.create_table(
        "zg_observations",
        _id(),
        sa.Column("school_id", SCHOOL, nullable=False),
        sa.Column("subject_id", SUBJECT, nullable=False),
        sa.Column("indicator", KEY, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("period_kind", sa.String(8), nullable=False),
        sa.Column("period_ordinal", sa.Integer(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("source", NAME, nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("supersedes", BigId, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_zg_observations"),
    )
    op.create_table(
        "zg_runs",
        _id(),
        _school_col(),
        sa.Column("pack_id", BigId, nullable=True),
        sa.Column("pack_name", NAME, nullable=False),
        sa.Column("pack_version", sa.String(64), nullable=False),
        sa.Column("pack_hash", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("backend", sa.String(16), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zg_runs"),
        _school_fk("zg_runs"),
        sa.ForeignKeyConstraint(["pack_id"], ["zg_packs.id"], name="fk_zg_runs_pack_id_zg_packs"),
    )
    op.create_table(
        "zg_alerts",
        _id(),
        _school_col(),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("rule", KEY, nullable=False),
        sa.Column("subject_id", SUBJECT, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("input_values", sa.JSON(), nullable=False),
        sa.Column("first_run_id", BigId, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_zg_alerts"),
        _school_fk("zg_alerts"),
        sa.ForeignKeyConstraint(["run_id"], ["zg_runs.id"], name="fk_zg_alerts_run_id_zg_runs"),
    )
    op.create_table(
        "zg_data_gaps",
        _id(),
        _school_col(),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("rule", KEY, nullable=False),
        sa.Column("subject_id", SUBJECT, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zg_data_gaps"),
        _school_fk("zg_data_gaps"),
        sa.ForeignKeyConstraint(["run_id"], ["zg_runs.id"], name="fk_zg_data_gaps_run_id_zg_runs"),
    )
    op.create_table(
        "zg_scores",
        _id(),
        _school_col(),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("scorecard", KEY, nullable=False),
        sa.Column("subject_id", SUBJECT, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("band", sa.String(32), nullable=True),
        sa.Column("rank_position", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zg_scores"),
        _school_fk("zg_scores"),
        sa.ForeignKeyConstraint(["run_id"], ["zg_runs.id"], name="fk_zg_scores_run_id_zg_runs"),
    )
    op.create_table(
        "zg_spiral_states",
        _school_col(),
        sa.Column("subject_id", SUBJECT, nullable=False),
        sa.Column("loop_id", KEY, nullable=False),
        sa.Column("state", KEY, nullable=False),
        sa.Column("small_state", KEY, nullable=True),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entered_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "subject_id", "loop_id", name="pk_zg_spiral_states"),
        _school_fk("zg_spiral_states"),
        sa.ForeignKeyConstraint(
            ["school_id", "subject_id"],
            ["zg_subjects.school_id", "zg_subjects.id"],
            name="fk_zg_spiral_states_subject",
        ),
    )
    op.create_table(
        "zg_spiral_transitions",
        _id(),
        sa.Column("school_id", SCHOOL, nullable=False),
        sa.Column("subject_id", SUBJECT, nullable=False),
        sa.Column("loop_id", KEY, nullable=False),
        sa.Column("track", sa.String(16), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("from_state", KEY, nullable=True),
        sa.Column("to_state", KEY, nullable=False),
        sa.Column("trigger_name", KEY, nullable=False),
        sa.Column("who", NAME, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("guards", sa.JSON(), nullable=False),
        sa.Column("move_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zg_spiral_transitions"),
    )
    op.create_table(
        "zg_spiral_cycles",
        _id(),
        _school_col(),
        sa.Column("subject_id", SUBJECT, nullable=False),
        sa.Column("loop_id", KEY, nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(16), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zg_spiral_cycles"),
        _school_fk("zg_spiral_cycles"),
        sa.UniqueConstraint(
            "school_id",
            "subject_id",
            "loop_id",
            "cycle",
            name="uq_zg_spiral_cycles_school_id_subject_id_loop_id_cycle",
        ),
    )
    op.create_table(
        "zg_actions",
        _id(),
        _school_col(),
        sa.Column("subject_id", SUBJECT, nullable=False),
        sa.Column("alert_id", BigId, nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner", NAME, nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zg_actions"),
        _school_fk("zg_actions"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["zg_alerts.id"], name="fk_zg_actions_alert_id_zg_alerts"
        ),
    )
    op.create_table(
        "zg_action_events",
        _id(),
        sa.Column("school_id", SCHOOL, nullable=False),
        sa.Column("action_id", BigId, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("who", NAME, nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zg_action_events"),
        sa.ForeignKeyConstraint(
            ["action_id"], ["zg_actions.id"], name="fk_zg_action_events_action_id_zg_actions"
        ),
    )


def downgrade() -> None:
    """Drop every table, children first."""
    for table in (
        "zg_action_events",
        "zg_actions",
        "zg_spiral_cycles",
        "zg_spiral_transitions",
        "zg_spiral_states",
        "zg_scores",
        "zg_data_gaps",
        "zg_alerts",
        "zg_runs",
        "zg_observations",
        "zg_goal_edges",
        "zg_goals",
        "zg_packs",
        "zg_indicators",
        "zg_subjects",
        "zg_schools",
    ):
        op.drop_table(table)
