"""The store's tables as SQLAlchemy Core metadata (the schema at the head revision).

Every table carries ``school_id`` so that one database serves many schools; the
:class:`~zhengai.store.Store` filters every query by its school.  Tables are
prefixed ``zg_`` so the store can live inside a campus system's own database.
This module is the source for queries; the Alembic revisions in
``migrations/versions`` create the same schema step by step, and a test checks
that the two agree.  Nothing outside tests calls ``metadata.create_all``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from zhengai.store.types import BigId, UtcDateTime

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.schema import SchemaItem
    from sqlalchemy.sql.compiler import DDLCompiler
    from sqlalchemy.sql.ddl import BaseDDLElement

__all__ = [
    "ACTION_STATUSES",
    "DIALECT_INDEXES",
    "action_events",
    "actions",
    "alerts",
    "data_gaps",
    "goal_edges",
    "goals",
    "index_applies",
    "indicators",
    "metadata",
    "observations",
    "packs",
    "runs",
    "schools",
    "scores",
    "spiral_cycles",
    "spiral_states",
    "spiral_transitions",
    "subjects",
]

#: The statuses of an improvement action (整改任务), in their usual order.
ACTION_STATUSES = ("open", "in_progress", "done", "verified")

# Constraint names are explicit so that migrations can refer to them on every database.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SCHOOL = String(64)
SUBJECT = String(128)
NAME = String(255)
KEY = String(64)


def _school(*, primary_key: bool = False) -> Column[str]:
    return Column(
        "school_id", SCHOOL, ForeignKey("zg_schools.id"), nullable=False, primary_key=primary_key
    )


def _id() -> Column[int]:
    return Column("id", BigId, primary_key=True, autoincrement=True)


schools = Table(
    "zg_schools",
    metadata,
    Column("id", SCHOOL, primary_key=True),
    Column("name", NAME, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

subjects = Table(
    "zg_subjects",
    metadata,
    _school(primary_key=True),
    Column("id", SUBJECT, primary_key=True),
    Column("level", String(16), nullable=False),
    Column("name", NAME, nullable=False),
    Column("parent_id", SUBJECT, nullable=True),
    Column("attributes", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # The hierarchy stays inside one school: the parent key includes school_id.
    ForeignKeyConstraint(
        ["school_id", "parent_id"],
        ["zg_subjects.school_id", "zg_subjects.id"],
        name="fk_zg_subjects_parent",
    ),
)

indicators = Table(
    "zg_indicators",
    metadata,
    _school(primary_key=True),
    Column("id", KEY, primary_key=True),
    Column("name", NAME, nullable=False),
    Column("unit", String(32), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("aggregator", String(8), nullable=False),
    Column("source", String(64), nullable=True),
    # The whole Indicator model (aliases, levels, range…) so it round-trips exactly.
    Column("definition", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

packs = Table(
    "zg_packs",
    metadata,
    _id(),
    _school(),
    Column("name", NAME, nullable=False),
    Column("version", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("effective_yaml", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("school_id", "content_hash"),
)

goals = Table(
    "zg_goals",
    metadata,
    _school(primary_key=True),
    Column("id", SUBJECT, primary_key=True),
    Column("subject_id", SUBJECT, nullable=True),
    Column("indicator", KEY, nullable=True),
    Column("period", String(16), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("value", Double, nullable=True),
    Column("title", NAME, nullable=False),
    Column("plan", NAME, nullable=True),
    Column("pack_id", BigId, ForeignKey("zg_packs.id"), nullable=True),
    Column("attributes", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

goal_edges = Table(
    "zg_goal_edges",
    metadata,
    _school(primary_key=True),
    Column("parent_id", SUBJECT, primary_key=True),
    Column("child_id", SUBJECT, primary_key=True),
    # "decompose" (上下衔接) or "align" (左右呼应).
    Column("relation", String(16), primary_key=True),
    Column("weight", Double, nullable=True),
    ForeignKeyConstraint(
        ["school_id", "parent_id"],
        ["zg_goals.school_id", "zg_goals.id"],
        name="fk_zg_goal_edges_parent",
    ),
    ForeignKeyConstraint(
        ["school_id", "child_id"],
        ["zg_goals.school_id", "zg_goals.id"],
        name="fk_zg_goal_edges_child",
    ),
)

# Append-only state data.  No foreign key to subjects or indicators: state data may
# arrive before the roster, and a per-row key check would halve bulk-ingest speed;
# zhengai.data checks references before ingest.
observations = Table(
    "zg_observations",
    metadata,
    _id(),
    Column("school_id", SCHOOL, nullable=False),
    Column("subject_id", SUBJECT, nullable=False),
    Column("indicator", KEY, nullable=False),
    Column("period", String(16), nullable=False),
    Column("period_kind", String(8), nullable=False),
    Column("period_ordinal", Integer, nullable=False),
    Column("value", Double, nullable=True),
    Column("source", NAME, nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("supersedes", BigId, nullable=True),
)

runs = Table(
    "zg_runs",
    metadata,
    _id(),
    _school(),
    Column("pack_id", BigId, ForeignKey("zg_packs.id"), nullable=True),
    Column("pack_name", NAME, nullable=False),
    Column("pack_version", String(64), nullable=False),
    Column("pack_hash", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("as_of", UtcDateTime(), nullable=False),
    Column("backend", String(16), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("timings", JSON, nullable=False),
    Column("counts", JSON, nullable=False),
)

alerts = Table(
    "zg_alerts",
    metadata,
    _id(),
    _school(),
    Column("run_id", BigId, ForeignKey("zg_runs.id"), nullable=False),
    Column("rule", KEY, nullable=False),
    Column("subject_id", SUBJECT, nullable=False),
    Column("period", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("input_values", JSON, nullable=False),
    Column("first_run_id", BigId, nullable=True),
    # The lifecycle the next period's run continues (revision 0003).
    Column("streak", Integer, nullable=False, server_default="1"),
    Column("quiet", Integer, nullable=False, server_default="0"),
    Column("since_period", String(16), nullable=True),
)

data_gaps = Table(
    "zg_data_gaps",
    metadata,
    _id(),
    _school(),
    Column("run_id", BigId, ForeignKey("zg_runs.id"), nullable=False),
    Column("rule", KEY, nullable=False),
    Column("subject_id", SUBJECT, nullable=False),
    Column("period", String(16), nullable=False),
    Column("missing", JSON, nullable=False),
)

scores = Table(
    "zg_scores",
    metadata,
    _id(),
    _school(),
    Column("run_id", BigId, ForeignKey("zg_runs.id"), nullable=False),
    Column("scorecard", KEY, nullable=False),
    Column("subject_id", SUBJECT, nullable=False),
    Column("period", String(16), nullable=False),
    Column("score", Double, nullable=True),
    Column("band", String(32), nullable=True),
    Column("rank_position", Integer, nullable=True),
    Column("details", JSON, nullable=False),
)

spiral_states = Table(
    "zg_spiral_states",
    metadata,
    _school(primary_key=True),
    Column("subject_id", SUBJECT, primary_key=True),
    Column("loop_id", KEY, primary_key=True),
    Column("state", KEY, nullable=False),
    # The small loop (监测 → 预警 → 改进) inside 运行 is a second flat machine on its own column.
    Column("small_state", KEY, nullable=True),
    Column("cycle", Integer, nullable=False),
    # Optimistic lock: every change bumps it; a writer holding an old version loses.
    Column("version", Integer, nullable=False),
    Column("entered_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # Tags the rows one batch move changed, so its audit rows are selected exactly.
    Column("move_id", String(32), nullable=True),
    ForeignKeyConstraint(
        ["school_id", "subject_id"],
        ["zg_subjects.school_id", "zg_subjects.id"],
        name="fk_zg_spiral_states_subject",
    ),
)

spiral_transitions = Table(
    "zg_spiral_transitions",
    metadata,
    _id(),
    Column("school_id", SCHOOL, nullable=False),
    Column("subject_id", SUBJECT, nullable=False),
    Column("loop_id", KEY, nullable=False),
    # Which column moved: "state" (the big loop) or "small_state".
    Column("track", String(16), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("from_state", KEY, nullable=True),
    Column("to_state", KEY, nullable=False),
    Column("trigger_name", KEY, nullable=False),
    Column("who", NAME, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("guards", JSON, nullable=False),
    Column("move_id", String(32), nullable=False),
)

spiral_cycles = Table(
    "zg_spiral_cycles",
    metadata,
    _id(),
    _school(),
    Column("subject_id", SUBJECT, nullable=False),
    Column("loop_id", KEY, nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("period", String(16), nullable=True),
    Column("closed_at", UtcDateTime(), nullable=False),
    Column("snapshot", JSON, nullable=False),
    UniqueConstraint("school_id", "subject_id", "loop_id", "cycle"),
)

actions = Table(
    "zg_actions",
    metadata,
    _id(),
    _school(),
    Column("subject_id", SUBJECT, nullable=False),
    Column("alert_id", BigId, ForeignKey("zg_alerts.id"), nullable=True),
    Column("title", Text, nullable=False),
    Column("owner", NAME, nullable=False),
    Column("due", Date, nullable=True),
    Column("status", String(16), nullable=False),
    Column("overdue", Boolean, nullable=False),
    Column("escalation", Integer, nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("details", JSON, nullable=False),
)

action_events = Table(
    "zg_action_events",
    metadata,
    _id(),
    Column("school_id", SCHOOL, nullable=False),
    Column("action_id", BigId, ForeignKey("zg_actions.id"), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("who", NAME, nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("changes", JSON, nullable=False),
    Column("reason", Text, nullable=False),
)

#: Indexes that only some databases have (revision 0004), by name: SQLite and
#: MySQL/MariaDB keep the b-tree key index of observations; PostgreSQL has a BRIN index
#: on the period columns and a hash index on ``subject_id`` instead.
DIALECT_INDEXES: dict[str, tuple[str, ...]] = {
    "ix_zg_observations_key": ("sqlite", "mysql", "mariadb"),
    "ix_zg_observations_period": ("postgresql",),
    "ix_zg_observations_subject": ("postgresql",),
}


def index_applies(name: str | None, dialect: str) -> bool:
    """Whether the index ``name`` of this metadata exists on a database of ``dialect``."""
    return name not in DIALECT_INDEXES or dialect in DIALECT_INDEXES[name]


def _only_where_it_applies(index: Index) -> None:
    name = str(index.name)

    def check(
        ddl: BaseDDLElement,
        target: SchemaItem | str,
        bind: Connection | None,
        tables: list[Table] | None = None,
        state: Any | None = None,
        *,
        dialect: Dialect,
        compiler: DDLCompiler | None = None,
        checkfirst: bool,
    ) -> bool:
        return index_applies(name, dialect.name)

    index.ddl_if(callable_=check)


# Revision 0002: the read and batch paths.  Revision 0004 replaces the observations key
# index on PostgreSQL: state data is append-only, so a BRIN index finds a period's
# blocks at almost no cost per loaded row, and a hash index serves the point reads.
_only_where_it_applies(
    Index(
        "ix_zg_observations_key",
        observations.c.school_id,
        observations.c.period_kind,
        observations.c.period_ordinal,
        observations.c.indicator,
        observations.c.subject_id,
    )
)
_only_where_it_applies(
    Index(
        "ix_zg_observations_period",
        observations.c.school_id,
        observations.c.period_kind,
        observations.c.period_ordinal,
        postgresql_using="brin",
        postgresql_with={"autosummarize": "on"},
    )
)
_only_where_it_applies(
    Index("ix_zg_observations_subject", observations.c.subject_id, postgresql_using="hash")
)
Index(
    "ix_zg_spiral_states_loop_id_state",
    spiral_states.c.school_id,
    spiral_states.c.loop_id,
    spiral_states.c.state,
)
Index(
    "ix_zg_spiral_transitions_subject",
    spiral_transitions.c.school_id,
    spiral_transitions.c.subject_id,
    spiral_transitions.c.loop_id,
)
Index("ix_zg_actions_status", actions.c.school_id, actions.c.status, actions.c.due)
Index("ix_zg_alerts_run", alerts.c.school_id, alerts.c.run_id)
Index("ix_zg_scores_run", scores.c.school_id, scores.c.run_id)
# Revision 0005.
Index("ix_zg_data_gaps_run", data_gaps.c.school_id, data_gaps.c.run_id)
