"""The SQL backend: pivot, evaluate and decide each step inside the database.

Inputs are two selectables on one connection: observations with columns
``subject_id, indicator, period, value`` and subjects with ``subject_id,
level, name, parent_id`` plus one column per attribute the rules read.  (The
store's tables feed it directly; in-memory data are copied into scratch tables
that are dropped afterwards.)  For each level one query builds the pivot of
the period and its history window — one row per subject, one column per
indicator and lag, ``MAX(CASE …)`` over the observations — and a second
``SELECT`` over it computes every rule's ``applies_to`` and every ladder step
at every period of its ``for_periods`` window as 1 / 0 / NULL, with the
compiled ``Expression.to_sql``.  Only those flags and the values shown in
alerts are fetched; the lifecycle is then decided by the same numpy code as
the other backends.  (A run on a store does not fetch them:
:mod:`zhengai.engine.indb` materialises :func:`level_query` in a temporary
table and decides and writes the alerts there.)

When the same (subject, indicator, period) was observed more than once, the
pivot keeps the largest value, whereas the in-memory pivot keeps the one
recorded last: give the database one row per key (the store does).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Double,
    Engine,
    MetaData,
    String,
    Table,
    and_,
    case,
    create_engine,
    func,
    literal,
    select,
)
from sqlalchemy.sql import ColumnElement, FromClause, Select, null
from sqlalchemy.sql.elements import Grouping
from sqlalchemy.types import TypeEngine

from zhengai.alerts.batch import history_needed, rules_by_level
from zhengai.alerts.core import RuleOutcome
from zhengai.alerts.frames import FramePopulation, _base
from zhengai.data import Observations, Subjects
from zhengai.expr import Frame
from zhengai.model import Level, Period
from zhengai.packs import CompiledRule, Pack

__all__ = ["LevelQuery", "attribute_names", "level_query", "scratch_tables", "sql_outcomes"]

Col = ColumnElement[Any]


@contextmanager
def _connect(connection: Connection | Engine | None) -> Iterator[Connection]:
    if isinstance(connection, Connection):
        yield connection
        return
    engine = connection if isinstance(connection, Engine) else create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        if connection is None:
            engine.dispose()


def attribute_names(pack: Pack) -> list[str]:
    """The subject attributes the pack's rules read or show (and their peer groups)."""
    names: dict[str, None] = {}
    for rule in pack.rules.values():
        names.update(dict.fromkeys(a for a in rule.attributes if a not in ("level", "parent_id")))
        names.update(dict.fromkeys(t for kind, t in rule.fields.values() if kind == "attribute"))
        if rule.rule.peer_group and rule.rule.peer_group not in ("level", "parent_id"):
            names[rule.rule.peer_group] = None
    return list(names)


@contextmanager
def scratch_tables(
    conn: Connection, pack: Pack, subjects: Subjects, observations: Observations
) -> Iterator[tuple[Table, Table]]:
    """Copy in-memory subjects and observations into two uniquely named tables, dropped after."""
    suffix = uuid.uuid4().hex[:10]
    metadata = MetaData()
    types: dict[str, TypeEngine[Any]] = {
        "number": Double(),
        "bool": Boolean(),
        "string": String(255),
        "any": String(255),
    }
    attrs = attribute_names(pack)
    subject_table = Table(
        f"zhengai_scratch_subjects_{suffix}",
        metadata,
        Column("subject_id", String(255), primary_key=True),
        Column("level", String(32), nullable=False),
        Column("name", String(255)),
        Column("parent_id", String(255)),
        *(Column(a, types[pack.attributes.get(a, "any")]) for a in attrs),
    )
    observation_table = Table(
        f"zhengai_scratch_observations_{suffix}",
        metadata,
        Column("subject_id", String(255), nullable=False),
        Column("indicator", String(255), nullable=False),
        Column("period", String(32), nullable=False),
        Column("value", Double()),
    )
    metadata.create_all(conn)
    try:
        subject_rows = [
            {
                "subject_id": str(subjects.ids[i]),
                "level": str(subjects.levels[i]),
                "name": subjects.names[i],
                "parent_id": subjects.parent_ids[i],
                **{a: _cell(subjects, a, i, pack.attributes.get(a, "any")) for a in attrs},
            }
            for i in range(len(subjects))
        ]
        if subject_rows:
            conn.execute(subject_table.insert(), subject_rows)
        value = observations.value
        rows = [
            {"subject_id": s, "indicator": ind, "period": p, "value": None if v != v else float(v)}
            for s, ind, p, v in zip(
                observations.subject_id.tolist(),
                observations.indicator.tolist(),
                observations.period.tolist(),
                value.tolist(),
                strict=True,
            )
        ]
        if rows:
            conn.execute(observation_table.insert(), rows)
        yield subject_table, observation_table
    finally:
        metadata.drop_all(conn)


def _cell(subjects: Subjects, name: str, i: int, kind: str) -> Any:
    try:
        value = subjects.column(name)[i]
    except KeyError:
        return None
    if value is None:
        return None
    if kind == "number":
        return float(value)
    if kind == "bool":
        return bool(value)
    return str(value)


def sql_outcomes(
    pack: Pack,
    subjects: Subjects,
    observations: Observations,
    period: Period,
    *,
    connection: Connection | Engine | None = None,
    observations_table: FromClause | None = None,
    subjects_table: FromClause | None = None,
) -> list[RuleOutcome]:
    """Rule outcomes computed inside the database (see the module docstring)."""
    with _connect(connection) as conn:
        if observations_table is not None and subjects_table is not None:
            return _outcomes(conn, pack, period, subjects_table, observations_table)
        with scratch_tables(conn, pack, subjects, observations) as (subject_t, observation_t):
            return _outcomes(
                conn,
                pack,
                period,
                subjects_table if subjects_table is not None else subject_t,
                observations_table if observations_table is not None else observation_t,
            )


def _outcomes(
    conn: Connection,
    pack: Pack,
    period: Period,
    subject_t: FromClause,
    observation_t: FromClause,
) -> list[RuleOutcome]:
    out: list[RuleOutcome] = []
    attrs = attribute_names(pack)
    for level, rules in rules_by_level(pack, period).items():
        out.extend(_level_outcomes(conn, level, rules, period, subject_t, observation_t, attrs))
    return out


@dataclass(frozen=True)
class LevelQuery:
    """The pivot-and-flags ``SELECT`` of one level, and how its columns are named.

    One row per subject of the level: ``subject_id``, ``name``, ``parent_id``,
    the attribute columns, then ``a{r}`` (rule ``r``'s ``applies_to``),
    ``f{r}_{k}_{i}`` (ladder step ``i`` ``k`` periods back) as 1 / 0 / NULL, and
    ``v{j}_{k}`` (indicator ``names[j]`` ``k`` periods back, ``k ≤ depth``).
    """

    query: Select[Any]
    rules: tuple[CompiledRule, ...]
    names: tuple[str, ...]
    depth: int
    attributes: tuple[str, ...]


def level_query(
    level: Level,
    rules: Sequence[CompiledRule],
    period: Period,
    subject_t: FromClause,
    observation_t: FromClause,
    attrs: Sequence[str],
) -> LevelQuery:
    """The pivot of ``level``'s subjects for ``period`` and every rule's flags (unordered)."""
    depth = history_needed(rules)
    periods = [str(period.prev(k)) for k in range(depth + 1)]
    names = list(dict.fromkeys(i for r in rules for i in r.indicators))
    s, o = subject_t.c, observation_t.c
    # The observations are pivoted on their own (one scan, grouped by subject),
    # then joined to the level's subjects, so subjects without data still get a row.
    cells = [
        func.max(case((and_(o.indicator == name, o.period == p), o.value))).label(f"v{j}_{k}")
        for j, name in enumerate(names)
        for k, p in enumerate(periods)
    ]
    wide = (
        select(o.subject_id.label("sid"), *cells)
        .where(o.period.in_(periods), o.indicator.in_(names or [""]))
        .group_by(o.subject_id)
        .subquery("wide")
    )
    wide_cells = [wide.c[f"v{j}_{k}"] for j in range(len(names)) for k in range(len(periods))]
    pivot = (
        select(s.subject_id, s.level, s.name, s.parent_id, *(s[a] for a in attrs), *wide_cells)
        .select_from(subject_t.outerjoin(wide, wide.c.sid == s.subject_id))
        .where(s.level == level.value)
        .subquery("pivot")
    )
    p = pivot.c

    def lag(name: str, k: int) -> Col:
        return p[f"v{names.index(name)}_{k}"]

    def target(rule: CompiledRule, k: int) -> dict[str, Any]:
        history = {n: [lag(n, k + m) for m in range(1, depth - k + 1)] for n in names}
        columns: dict[str, Any] = {n: lag(n, k) for n in names}
        columns.update({"level": p.level, "parent_id": p.parent_id})
        columns.update({a: p[a] for a in attrs})
        group = rule.rule.peer_group
        return {
            "columns": columns,
            "history": history,
            "partition_by": None if group is None else columns[group],
        }

    flags: list[Col] = []
    for r, rule in enumerate(rules):
        if rule.applies_to is not None:
            flags.append(_flag(rule.applies_to.to_sql(**target(rule, 0))).label(f"a{r}"))
        for k in range(rule.rule.for_periods):
            spec = target(rule, k)
            flags.extend(
                _flag(step.expression.to_sql(**spec)).label(f"f{r}_{k}_{i}")
                for i, step in enumerate(rule.steps)
            )
    values = [lag(n, k).label(f"v{j}_{k}") for j, n in enumerate(names) for k in range(depth + 1)]
    shown = [p.name, p.parent_id, *(p[a] for a in attrs)]
    return LevelQuery(
        query=select(p.subject_id, *shown, *flags, *values),
        rules=tuple(rules),
        names=tuple(names),
        depth=depth,
        attributes=tuple(attrs),
    )


def _level_outcomes(
    conn: Connection,
    level: Level,
    rules: Sequence[CompiledRule],
    period: Period,
    subject_t: FromClause,
    observation_t: FromClause,
    attrs: Sequence[str],
) -> list[RuleOutcome]:
    built = level_query(level, rules, period, subject_t, observation_t, attrs)
    names, depth = list(built.names), built.depth
    query = built.query.order_by(built.query.selected_columns.subject_id)
    result = conn.execute(query)
    columns = list(result.keys())
    # One object matrix from the fetched rows; columns are converted by numpy, not per row.
    fetched = np.empty((0, len(columns)), dtype=object)
    rows = [tuple(row) for row in result.fetchall()]
    if rows:
        fetched = np.empty((len(rows), len(columns)), dtype=object)
        fetched[:] = rows
    table: dict[str, NDArray[Any]] = {name: fetched[:, i] for i, name in enumerate(columns)}
    ids = table["subject_id"].astype(object)
    # Names and attributes come from the database too, aligned with its row order.
    aligned = Subjects(
        ids,
        [level.value] * len(ids),
        [v or "" for v in table["name"].tolist()],
        table["parent_id"],
        {a: table[a] for a in attrs},
    )
    floats = {
        f"v{j}_{k}": _floats(table[f"v{j}_{k}"])
        for j in range(len(names))
        for k in range(depth + 1)
    }
    frame_columns: dict[str, NDArray[Any]] = {n: floats[f"v{j}_0"] for j, n in enumerate(names)}
    for key, column in aligned.attributes.items():
        frame_columns.setdefault(key, column)
    frame = Frame(
        columns=frame_columns,
        history={n: [floats[f"v{j}_{k}"] for k in range(1, depth + 1)] for j, n in enumerate(names)}
        if depth
        else {},
    )
    population = FramePopulation(ids, frame, aligned)
    out: list[RuleOutcome] = []
    for r, rule in enumerate(rules):
        applicable = (
            np.ones(len(ids), dtype=bool) if rule.applies_to is None else _true(table[f"a{r}"])
        )
        true = [
            [_true(table[f"f{r}_{k}_{i}"]) for i in range(len(rule.steps))]
            for k in range(rule.rule.for_periods)
        ]
        missing = [
            [_null(table[f"f{r}_{k}_{i}"]) for i in range(len(rule.steps))]
            for k in range(rule.rule.for_periods)
        ]
        out.append(
            RuleOutcome(
                applicable=applicable, true=true, missing=missing, **_base(population, rule)
            )
        )
    return out


def _flag(condition: Col) -> Col:
    # 1 / 0 / NULL: SQL's three-valued logic is the language's Kleene logic.  Not
    # ``NOT cond``: on SQLite SQLAlchemy renders it as ``cond = 0`` without
    # parentheses, which binds to the last operand of an OR.
    grouped = Grouping(condition)
    return case((grouped, literal(1)), (grouped.is_(None), null()), else_=literal(0))


def _null(column: NDArray[Any]) -> NDArray[np.bool_]:
    return np.array([v is None for v in column.tolist()], dtype=np.bool_)


def _floats(column: NDArray[Any]) -> NDArray[np.float64]:
    # Databases hand back Decimal, int or float; None is missing.
    return np.where(_null(column), np.nan, column).astype(np.float64)


def _true(column: NDArray[Any]) -> NDArray[np.bool_]:
    return np.asarray(np.equal(column, 1), dtype=bool)
