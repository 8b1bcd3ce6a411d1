"""Alerts and data gaps computed and written by the database, inside the run's transaction.

For ``run(pack, store, period, backend="sql")``: per level, the pivot of the
period and its history window and every rule's flags (``zhengai.alerts.sql``)
are materialised once into a temporary table; then, per rule, one
``INSERT … SELECT`` writes its alerts and one its data gaps.  The alert rows
join the temporary table to the open alerts of the same rule in the stored run
of the period before (``zg_alerts``) and decide the lifecycle in SQL with the
semantics of :mod:`zhengai.alerts.core`:

* per period ``k`` of the ``for_periods`` window, ``holds`` (a step held, and
  the rule applies), ``unknown`` (a step was missing before any step held) and
  the rank of the first step that held;
* ``breach`` = held in every period of the window, at the least severe of
  their ranks; ``gap`` = unknown somewhere and false nowhere;
* against last period's open alert: ``new`` (none), ``escalated`` /
  ``de-escalated`` (a more / less severe rank), ``ongoing``; an open alert
  whose condition is definitely false counts ``quiet`` periods and is
  ``resolved`` when they reach ``resolve_after``; a missing condition carries
  it unchanged; ``streak`` grows by one and ``since`` is kept.

Messages and values JSON are rendered by the database where it renders them
exactly (:mod:`zhengai.alerts.sqlformat`); other rows (every row on
MySQL/MariaDB) come back in chunks of :data:`CHUNK` and are rendered and
inserted from Python, so Python's memory never grows with the population.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Double,
    Integer,
    String,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, FromClause, Select, TableClause
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

from zhengai.alerts.batch import rules_by_level
from zhengai.alerts.sql import LevelQuery, attribute_names, level_query
from zhengai.alerts.sqlformat import (
    BOOLEAN,
    NUMBER,
    STRING,
    MessageColumns,
    message_sql,
    register_sqlite,
    values_json_sql,
)
from zhengai.model import AlertStatus, Period
from zhengai.packs import CompiledRule, Pack
from zhengai.store.connect import family
from zhengai.store.schema import alerts as alerts_table
from zhengai.store.schema import data_gaps as gaps_table

__all__ = ["CHUNK", "Written", "write_alerts"]

Col = ColumnElement[Any]

#: Rows rendered in Python per round trip when the database cannot render them.
CHUNK = 5_000


@dataclass(frozen=True)
class Written:
    """How many alerts and gaps a run wrote, and how many alerts Python rendered."""

    alerts: int
    gaps: int
    rendered_in_python: int


class _CreateTempAs(Executable, ClauseElement):
    """``CREATE TEMPORARY TABLE name AS SELECT …`` (no implicit commit on MySQL/MariaDB)."""

    inherit_cache = False

    def __init__(self, name: str, query: Select[Any], index: Sequence[str] = ()) -> None:
        self.name = name
        self.query = query
        self.index = tuple(index)


@compiles(_CreateTempAs)
def _compile_create_temp_as(element: _CreateTempAs, compiler: SQLCompiler, **kw: Any) -> str:
    name = compiler.preparer.quote(element.name)
    index = ""
    if element.index and compiler.dialect.name in ("mysql", "mariadb"):
        # Declared in the CREATE: a CREATE INDEX would commit the transaction there.
        index = f" (INDEX ({', '.join(compiler.preparer.quote(c) for c in element.index)}))"
    return f"CREATE TEMPORARY TABLE {name}{index} AS {compiler.process(element.query, **kw)}"


def _drop(conn: Connection, name: str) -> None:
    drop = "DROP TEMPORARY TABLE" if family(conn.dialect.name) == "mysql" else "DROP TABLE"
    conn.execute(text(f"{drop} {conn.dialect.identifier_preparer.quote(name)}"))


@contextmanager
def _open_alerts(conn: Connection, school: str, run_id: int | None) -> Iterator[FromClause | None]:
    """The open alerts of the previous run in a temporary table (None without a run).

    Joining the flags to ``zg_alerts`` directly lets SQLite walk the run's index
    once per subject (quadratic); a small table of its own is hashed by
    PostgreSQL, indexed automatically by SQLite and declared indexed on MySQL.
    """
    if run_id is None:
        yield None
        return
    a = alerts_table.c
    query = select(
        a.rule.label("p_rule"),
        a.subject_id.label("p_sid"),
        a.severity.label("p_sev"),
        a.streak.label("p_streak"),
        a.quiet.label("p_quiet"),
        a.since_period.label("p_since"),
    ).where(a.school_id == school, a.run_id == run_id, a.status != AlertStatus.RESOLVED.value)
    name = f"zg_tmp_open_{uuid.uuid4().hex[:12]}"
    conn.execute(_CreateTempAs(name, query, index=("p_sid",)))
    columns: list[tuple[str, Any]] = [
        ("p_rule", String()),
        ("p_sid", String()),
        ("p_sev", String()),
    ]
    columns += [("p_streak", Integer()), ("p_quiet", Integer()), ("p_since", String())]
    yield table(name, *(column(k, t) for k, t in columns))
    _drop(conn, name)


@contextmanager
def _temporary(
    conn: Connection, built: LevelQuery, types: Mapping[str, str]
) -> Iterator[TableClause]:
    name = f"zg_tmp_flags_{uuid.uuid4().hex[:12]}"
    conn.execute(_CreateTempAs(name, built.query))
    kinds: dict[str, Any] = {}
    for key in built.query.selected_columns.keys():  # noqa: SIM118 (iteration yields columns)
        if key in ("subject_id", "name", "parent_id"):
            kinds[key] = String()
        elif key.startswith("v"):
            kinds[key] = Double()
        elif key in built.attributes:
            kinds[key] = {NUMBER: Double(), BOOLEAN: Integer()}.get(types.get(key, ""), String())
        else:
            kinds[key] = Integer()
    yield table(name, *(column(k, t) for k, t in kinds.items()))
    # Only reached on success: a failed transaction rolls the table back on SQLite and
    # PostgreSQL; on MySQL/MariaDB it lives until the connection closes (a unique name).
    _drop(conn, name)


def write_alerts(
    conn: Connection,
    *,
    school: str,
    pack: Pack,
    period: Period,
    run_id: int,
    previous_run: int | None,
    subjects: FromClause,
    observations: FromClause,
) -> Written:
    """Compute and insert the alerts and gaps of ``run_id`` (see the module docstring)."""
    dialect = family(conn.dialect.name)
    if dialect == "sqlite":
        register_sqlite(conn)
    elif dialect == "postgresql":
        # float8out (casts, json_build_object) prints the shortest exact decimal only
        # with extra_float_digits ≥ 1 (the default since PostgreSQL 12, but settable).
        conn.execute(text("SET LOCAL extra_float_digits = 1"))
    attrs = attribute_names(pack)
    types = {a: str(pack.attributes.get(a, STRING)) for a in attrs}
    totals = [0, 0, 0]
    with _open_alerts(conn, school, previous_run) as opened:
        for level, rules in rules_by_level(pack, period).items():
            built = level_query(level, rules, period, subjects, observations, attrs)
            with _temporary(conn, built, types) as flags:
                for r, rule in enumerate(rules):
                    writer = _RuleWriter(conn, dialect, school, pack, period, run_id, flags, built)
                    alerts, rendered = writer.alerts(r, rule, opened)
                    totals[0] += alerts
                    totals[2] += rendered
                    totals[1] += writer.gaps(r, rule)
    return Written(alerts=totals[0], gaps=totals[1], rendered_in_python=totals[2])


def _holds(flag: Col) -> Col:
    return func.coalesce(flag, 0) == 1


def _int(condition: Col) -> Col:
    # Truth as 0/1 integers from here on: no NOT over an OR (SQLite renders it unsafely),
    # and MySQL/MariaDB have no boolean type to select.
    return case((condition, literal(1)), else_=literal(0))


def _largest(values: Sequence[Col]) -> Col:
    out = values[0]
    for value in values[1:]:
        out = case((value > out, value), else_=out)
    return out


@dataclass
class _RuleWriter:
    conn: Connection
    dialect: str
    school: str
    pack: Pack
    period: Period
    run_id: int
    flags: TableClause
    built: LevelQuery

    def _truth(self, r: int, rule: CompiledRule) -> list[Col]:
        """Per period of the window: h{k} (holds), u{k} (unknown), r{k} (first rank)."""
        c = self.flags.c
        applicable = _holds(c[f"a{r}"]) if rule.applies_to is not None else None
        out: list[Col] = []
        for k in range(rule.rule.for_periods):
            steps = [c[f"f{r}_{k}_{i}"] for i in range(len(rule.steps))]
            holds = or_(*(_holds(f) for f in steps))
            unknown = or_(
                *(
                    and_(f.is_(None), *(func.coalesce(g, 0) == 0 for g in steps[:i]))
                    for i, f in enumerate(steps)
                )
            )
            if applicable is not None:
                holds, unknown = and_(applicable, holds), and_(applicable, unknown)
            rank = case(
                *((_holds(f), literal(s.rank)) for f, s in zip(steps, rule.steps, strict=True))
            )
            out += [_int(holds).label(f"h{k}"), _int(unknown).label(f"u{k}"), rank.label(f"r{k}")]
        return out

    def _shown(self, rule: CompiledRule) -> list[Col]:
        """The columns a message and the values JSON read: name, attributes, current values."""
        c = self.flags.c
        names = self.built.names
        shown: list[Col] = [c.subject_id.label("sid"), c.name.label("name")]
        shown += [c[t].label(f"t_{t}") for t in _attribute_targets(rule)]
        shown += [c[f"v{names.index(n)}_0"].label(f"x{j}") for j, n in enumerate(rule.indicators)]
        return shown

    # -- alerts --------------------------------------------------------------------------
    def alerts(self, r: int, rule: CompiledRule, opened: FromClause | None) -> tuple[int, int]:
        """Insert the rule's alerts; returns (alerts written, of which rendered in Python)."""
        rows = self._rows(r, rule, opened)
        f = rows.c
        severities = self.pack.severities
        severity = case(
            *((f.rank == i, literal(s.id)) for i, s in enumerate(severities)),
            else_=literal(severities[-1].id),
        )
        columns = MessageColumns(
            subject_id=f.sid,
            name=f.name,
            severity=severity,
            streak=f.streak,
            period=str(self.period),
            values={n: f[f"x{j}"] for j, n in enumerate(rule.indicators)},
            attributes={t: (f[f"t_{t}"], _kind(self.pack, t)) for t in _attribute_targets(rule)},
        )
        rendered = message_sql(rule, self.dialect, columns)
        written = 0
        if rendered is not None and not _needs_python(rule, self.pack):
            message, exact = rendered
            ok = and_(*exact) if exact else None
            values = values_json_sql(
                list(rule.indicators),
                [f[f"x{j}"] for j in range(len(rule.indicators))],
                self.dialect,
            )
            if self.dialect == "postgresql":
                values = cast(values, JSON)
            query = select(
                literal(self.school).label("school_id"),
                literal(self.run_id).label("run_id"),
                literal(rule.id).label("rule"),
                f.sid,
                literal(str(self.period)).label("period"),
                severity,
                f.status,
                message,
                values,
                f.streak,
                f.quiet,
                f.since,
            ).select_from(rows)
            if ok is not None:
                query = query.where(ok)
            target = [
                "school_id", "run_id", "rule", "subject_id", "period", "severity", "status",
                "message", "input_values", "streak", "quiet", "since_period",
            ]  # fmt: skip
            insert = alerts_table.insert().from_select(target, query)
            # SQLAlchemy reports INSERT row counts only when asked to keep them.
            result = self.conn.execute(insert.execution_options(preserve_rowcount=True))
            written = max(result.rowcount, 0)
            if ok is None:
                return written, 0
            leftover = _int(ok) == 0
        else:
            leftover = None
        python = self._render_in_python(rule, rows, leftover)
        return written + python, python

    def _rows(self, r: int, rule: CompiledRule, opened: FromClause | None) -> FromClause:
        """The rule's alert rows with their lifecycle: columns sid, name, t_*, x*, rank,
        status, streak, quiet, since."""
        c = self.flags.c
        prior = str(self.period.prev())
        shown = self._shown(rule)
        truth = self._truth(r, rule)
        ranks = {s.id: i for i, s in enumerate(self.pack.severities)}
        if opened is not None:
            o = opened.c
            prev = (
                select(
                    o.p_sid,
                    o.p_sev,
                    o.p_streak,
                    o.p_quiet,
                    func.coalesce(o.p_since, prior).label("p_since"),
                )
                .where(o.p_rule == rule.id)
                .subquery("prev")
            )
            p = prev.c
            # A severity the pack no longer declares counts as its least severe.
            lifecycle: list[Col] = [
                _int(p.p_sid.isnot(None)).label("o"),
                case(
                    *((p.p_sev == sid, literal(rank)) for sid, rank in ranks.items()),
                    else_=literal(len(ranks) - 1),
                ).label("prank"),
                p.p_streak.label("pstreak"),
                p.p_quiet.label("pquiet"),
                p.p_since.label("psince"),
            ]
            source: FromClause = self.flags.outerjoin(prev, p.p_sid == c.subject_id)
        else:
            lifecycle = [
                literal(0).label("o"),
                literal(0).label("prank"),
                literal(0).label("pstreak"),
                literal(0).label("pquiet"),
                literal(prior).label("psince"),
            ]
            source = self.flags
        d = select(*shown, *truth, *lifecycle).select_from(source).subquery("d")
        n = rule.rule.for_periods
        breach: Col = d.c.h0
        for k in range(1, n):
            breach = breach * d.c[f"h{k}"]
        passed = [d.c[col.name] for col in shown]
        e = (
            select(
                *passed,
                breach.label("b"),
                _largest([d.c[f"r{k}"] for k in range(n)]).label("sev"),
                _int(and_(d.c.o == 1, d.c.h0 == 0, d.c.u0 == 0, breach == 0)).label("calm"),
                d.c.h0,
                d.c.o,
                d.c.prank,
                d.c.pstreak,
                d.c.pquiet,
                d.c.psince,
            )
            .select_from(d)
            .subquery("e")
        )
        g = e.c
        status = case(
            (g.o == 0, literal(AlertStatus.NEW.value)),
            (and_(g.b == 1, g.sev < g.prank), literal(AlertStatus.ESCALATED.value)),
            (and_(g.b == 1, g.sev > g.prank), literal(AlertStatus.DE_ESCALATED.value)),
            (
                and_(g.calm == 1, g.pquiet + 1 >= rule.rule.resolve_after),
                literal(AlertStatus.RESOLVED.value),
            ),
            else_=literal(AlertStatus.ONGOING.value),
        )
        return (
            select(
                *(g[col.name] for col in shown),
                case((g.b == 1, g.sev), else_=g.prank).label("rank"),
                status.label("status"),
                case((g.o == 1, g.pstreak + 1), else_=literal(1)).label("streak"),
                case(
                    (g.b == 1, literal(0)),
                    (and_(g.o == 1, g.h0 == 1), literal(0)),
                    (g.o == 1, g.pquiet + g.calm),
                    else_=literal(0),
                ).label("quiet"),
                case((g.o == 1, g.psince), else_=literal(str(self.period))).label("since"),
            )
            .select_from(e)
            .where(or_(g.b == 1, g.o == 1))
            .subquery("rows")
        )

    def _render_in_python(self, rule: CompiledRule, rows: FromClause, only: Col | None) -> int:
        """Fetch the rows the database did not render, in chunks by subject id; insert them."""
        f = rows.c
        done = 0
        last: str | None = None
        attributes = _attribute_targets(rule)
        while True:
            query = select(rows)
            if only is not None:
                query = query.where(only)
            if last is not None:
                query = query.where(f.sid > last)
            chunk = self.conn.execute(query.order_by(f.sid).limit(CHUNK)).mappings().all()
            if not chunk:
                return done
            self.conn.execute(
                alerts_table.insert(),
                [self._alert_row(rule, row, attributes) for row in chunk],
            )
            done += len(chunk)
            last = chunk[-1]["sid"]
            if len(chunk) < CHUNK:
                return done

    def _alert_row(self, rule: CompiledRule, row: Any, attributes: Sequence[str]) -> dict[str, Any]:
        # The same fields AlertSet gives a template (zhengai.alerts.alertset._fields).
        values = {
            n: None if row[f"x{j}"] is None else float(row[f"x{j}"])
            for j, n in enumerate(rule.indicators)
        }
        severities = self.pack.severities
        severity = severities[min(int(row["rank"]), len(severities) - 1)].id
        shown: dict[str, object] = {}
        for name, (kind, target) in rule.fields.items():
            if kind == "indicator":
                shown[name] = values.get(target)
            elif kind == "attribute":
                shown[name] = _plain(row[f"t_{target}"], _kind(self.pack, target))
            elif kind == "constant":
                shown[name] = rule.constants.get(target)
            else:
                shown[name] = {
                    "subject": str(row["sid"]),
                    "subject_name": str(row["name"] or row["sid"]),
                    "severity": severity,
                    "period": str(self.period),
                    "rule": rule.rule.name,
                    "streak": int(row["streak"]),
                }[target]
        return {
            "school_id": self.school,
            "run_id": self.run_id,
            "rule": rule.id,
            "subject_id": str(row["sid"]),
            "period": str(self.period),
            "severity": severity,
            "status": row["status"],
            "message": rule.template.render(shown),
            "input_values": values,
            "streak": int(row["streak"]),
            "quiet": int(row["quiet"]),
            "since_period": str(row["since"]),
        }

    # -- gaps ----------------------------------------------------------------------------
    def gaps(self, r: int, rule: CompiledRule) -> int:
        """Insert the rule's data gaps (undecided for missing data); returns how many."""
        c = self.flags.c
        names = self.built.names
        depth = rule.rule.for_periods - 1 + rule.history_depth
        absent = [
            _int(or_(*(c[f"v{names.index(n)}_{k}"].is_(None) for k in range(depth + 1)))).label(
                f"m{j}"
            )
            for j, n in enumerate(rule.indicators)
        ]
        d = select(c.subject_id.label("sid"), *self._truth(r, rule), *absent).subquery("d")
        n = rule.rule.for_periods
        unknown: Col = d.c.u0
        for k in range(1, n):
            unknown = unknown + d.c[f"u{k}"]
        decided = [d.c[f"h{k}"] + d.c[f"u{k}"] > 0 for k in range(n)]  # not definitely false
        condition = and_(unknown > 0, *decided) if n > 1 else d.c.u0 == 1
        pieces: list[Col] = [
            case((d.c[f"m{j}"] == 1, literal("," + json.dumps(name))), else_=literal(""))
            for j, name in enumerate(rule.indicators)
        ]
        listed: Col = literal("", String)
        for piece in pieces:
            listed = listed + piece
        missing: Col = literal("[", String) + func.substr(listed, 2) + literal("]", String)
        if self.dialect == "postgresql":
            missing = cast(missing, JSON)
        query = select(
            literal(self.school).label("school_id"),
            literal(self.run_id).label("run_id"),
            literal(rule.id).label("rule"),
            d.c.sid,
            literal(str(self.period)).label("period"),
            missing.label("missing"),
        ).where(condition)
        target = ["school_id", "run_id", "rule", "subject_id", "period", "missing"]
        insert = gaps_table.insert().from_select(target, query)
        result = self.conn.execute(insert.execution_options(preserve_rowcount=True))
        return max(result.rowcount, 0)


def _attribute_targets(rule: CompiledRule) -> list[str]:
    return list(dict.fromkeys(t for kind, t in rule.fields.values() if kind == "attribute"))


def _kind(pack: Pack, attribute: str) -> str:
    declared = str(pack.attributes.get(attribute, STRING))
    return declared if declared in (NUMBER, BOOLEAN) else STRING


def _needs_python(rule: CompiledRule, pack: Pack) -> bool:
    # Boolean attributes come back from SQL as 1/0 on SQLite: Python shows True/False.
    return any(_kind(pack, t) == BOOLEAN for t in _attribute_targets(rule))


def _plain(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == NUMBER:
        return float(value)
    if kind == BOOLEAN:
        return bool(value)
    return value if isinstance(value, str) else str(value)
