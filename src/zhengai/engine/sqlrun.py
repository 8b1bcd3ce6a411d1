"""The store side of ``run(..., backend="sql")``: the population stays in the database.

The alerts SQL backend reads two selectables.  Observations come from
:func:`zhengai.store.latest_query`; subjects from :func:`subjects_query`, a
``SELECT`` over the store's ``zg_subjects`` table with one column per pack
attribute taken out of the JSON ``attributes`` column and typed as the pack
declares it.  Python then only reads what the in-memory steps need: the
subjects of the scorecards' levels and the observations of the indicators that
scorecards and the goal chain read (:func:`indicators_read`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.sql import ColumnElement, Subquery, null

from zhengai.chain import GoalChain
from zhengai.packs import Pack
from zhengai.packs.schema import AttributeType
from zhengai.scoring import compile_scorecard
from zhengai.store import Store, analyze_stale
from zhengai.store.schema import observations as observations_table
from zhengai.store.schema import subjects as subjects_table

__all__ = ["count_subjects", "indicators_read", "refresh_statistics", "subjects_query"]


def subjects_query(store: Store, pack: Pack) -> Subquery:
    """The store's subjects as the alerts SQL backend reads them.

    Columns ``subject_id, level, name, parent_id`` and one per attribute the
    pack declares (``pack.attributes``), extracted from the JSON column as a
    number, a boolean or a string; a subject without the attribute has NULL,
    as it has None in memory.
    """
    s = subjects_table.c
    attributes = [
        _attribute(s.attributes, name, kind).label(name) for name, kind in pack.attributes.items()
    ]
    return (
        select(
            s.id.label("subject_id"),
            s.level,
            s.name,
            s.parent_id,
            *attributes,
        )
        .where(s.school_id == store.school)
        .subquery("subjects")
    )


def _attribute(document: Any, name: str, kind: AttributeType) -> ColumnElement[Any]:
    # SQLAlchemy's JSON serializer escapes non-ASCII (json.dumps' default), and
    # SQLite (before its JSONB rewrite) and MariaDB match path keys against the
    # raw key text: "专业" is stored as "\u4e13\u4e1a".  PostgreSQL and MySQL
    # decode keys.  Both spellings are tried, so either way of storing works.
    spellings = list(dict.fromkeys([name, json.dumps(name)[1:-1]]))
    typed = [_typed(document[key], kind) for key in spellings]
    return typed[0] if len(typed) == 1 else func.coalesce(*typed)


def _typed(value: Any, kind: AttributeType) -> ColumnElement[Any]:
    if kind == "number":
        return value.as_float()  # type: ignore[no-any-return]
    if kind == "bool":
        # MySQL's as_boolean() renders CASE … ELSE false: a missing key would be false.
        return case((value.is_(None), null()), else_=value.as_boolean())
    return value.as_string()  # type: ignore[no-any-return]


def count_subjects(store: Store) -> int:
    """How many subjects the store's school has (without loading them)."""
    query = select(func.count()).where(subjects_table.c.school_id == store.school)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def indicators_read(pack: Pack, chain: GoalChain | None) -> list[str]:
    """The indicators the in-memory steps read: the pack's scorecards and the goal chain."""
    names: dict[str, None] = {}
    scorecards: Mapping[str, Any] = pack.sections.get("scorecards", {})
    for scorecard in scorecards.values():
        plan = compile_scorecard(scorecard, pack.catalog)
        # A sourced leaf reads "<indicator>@<source>": the observation is the indicator's.
        names.update(dict.fromkeys(column.split("@", 1)[0] for column in plan.columns()))
    if chain is not None:
        names.update(dict.fromkeys(chain.compiled().indicator_ids))
    return list(names)


def refresh_statistics(conn: Connection) -> list[str]:
    """On PostgreSQL, ``ANALYZE`` the store tables whose planner statistics are missing or stale.

    Right after a bulk ingest, before autovacuum has analysed the tables, the
    planner believes ``zg_subjects`` holds one row and nests the pivot of every
    observation inside a loop over the subjects: measured 50 s instead of 0.4 s
    for 2,000 students, quadratic in the population.  Returns the tables
    analysed (none on SQLite and MySQL/MariaDB, whose statistics need no help).
    """
    return analyze_stale(conn, [subjects_table.name, observations_table.name])
