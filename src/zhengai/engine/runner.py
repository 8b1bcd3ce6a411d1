"""One diagnosis run: data → alerts → scores → chain → spirals → store (DESIGN.md §2, §3).

``run(pack, store, period)`` reads the population and the state data *as of* one
time from the store, evaluates the pack's warning rules (with the alert
lifecycle continued from the stored run of the period before), scores every
scorecard of the pack, rolls up a goal chain when there is one, reads the
spirals' states, and writes the run record, alerts, data gaps and scores in one
transaction.  ``run(pack, (subjects, observations), period)`` does the same in
memory and writes nothing.  The same pack on the same data as of the same time
gives the same result.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from zhengai.alerts import AlertSet, Backend
from zhengai.alerts import evaluate as evaluate_alerts
from zhengai.alerts.batch import history_needed, skipped_for_cadence
from zhengai.chain import GoalChain
from zhengai.chain.observations import actuals_from_observations
from zhengai.data import Observations, Subjects
from zhengai.engine.indb import write_alerts
from zhengai.engine.result import RunResult, SpiralRow
from zhengai.engine.sqlrun import (
    count_subjects,
    indicators_read,
    refresh_statistics,
    subjects_query,
)
from zhengai.engine.stored import StoredAlertSet
from zhengai.errors import ZhengaiError
from zhengai.model import Observation, Period, Subject
from zhengai.packs import Pack, load_pack
from zhengai.scoring import ScoreSet, score
from zhengai.store import Store, latest_query
from zhengai.store.schema import alerts as alerts_table
from zhengai.store.schema import runs as runs_table

__all__ = ["EngineError", "evaluate", "evaluate_all", "previous_alerts", "run"]

DataInput = tuple[
    Subjects | Iterable[Subject], Observations | Iterable[Observation | Mapping[str, Any]]
]


class EngineError(ZhengaiError):
    """A run that cannot start: no population, a period the data do not cover…"""

    code = "engine"


def run(
    pack: Pack | str,
    data: Store | DataInput,
    period: Period | str,
    *,
    backend: Backend = "columns",
    as_of: datetime | None = None,
    previous: AlertSet | None = None,
    chain: GoalChain | None = None,
    chain_period: Period | str | None = None,
    loops: Iterable[str] | None = None,
) -> RunResult:
    """Run one diagnosis of ``pack`` for ``period``; see the module docstring.

    ``data`` is a :class:`~zhengai.store.Store` or a ``(subjects, observations)``
    pair.  ``as_of`` fixes which versions of the state data the run sees (default:
    now), so a past run can be reproduced.  ``chain`` is rolled up with the
    observations of ``chain_period`` (default: ``period``; goals are usually
    yearly while warnings run per term).  ``loops`` names the spiral loops whose
    states to report (default: the pack's loops).

    With a store and ``backend="sql"`` the database computes the alerts, their
    lifecycle against the stored run of the period before, and writes them and
    the data gaps with ``INSERT … SELECT`` inside the run's transaction
    (:mod:`zhengai.engine.indb`); ``result.alerts`` is then a
    :class:`~zhengai.engine.stored.StoredAlertSet` that counts and summarises in
    SQL and loads the rows only when asked.  Given an explicit ``previous``,
    the rule flags come back from the database and the lifecycle is decided in
    Python, as for the other backends.
    """
    started = time.perf_counter()
    loaded = load_pack(pack)
    target = Period.parse(period)
    when = as_of or datetime.now(UTC)
    timings: dict[str, float] = {}
    store = data if isinstance(data, Store) else None

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 4)
        return now

    tick = started
    in_database = backend == "sql" and store is not None
    # With the previous period's alerts in the store (not passed in), the database
    # decides the lifecycle and writes the alerts itself: nothing per subject in Python.
    written_by_database = in_database and previous is None
    if store is not None:
        periods = _window(loaded, target, chain_period)
        if in_database:
            # The rules run inside the database; Python reads only what scoring
            # and the chain need (none of it when the pack has neither).
            if not count_subjects(store):
                raise EngineError("没有诊改主体 (no subjects): load subjects before running")
            subjects = _scored_subjects(store, loaded)
            wanted = indicators_read(loaded, chain)
            observations = (
                store.observations(period=periods, as_of=when, indicators=wanted).to_data()
                if wanted
                else Observations([], [], [], [])
            )
        else:
            subjects = Subjects.from_subjects(store.subjects())
            observations = store.observations(period=periods, as_of=when).to_data()
        if previous is None and not written_by_database:
            previous = previous_alerts(store, loaded, target)
    else:
        assert not isinstance(data, Store)
        subjects_in, observations_in = data
        subjects = Subjects.coerce(subjects_in)
        observations = (
            observations_in
            if isinstance(observations_in, Observations)
            else Observations.from_records(list(observations_in))
        )
    if not in_database and not len(subjects):
        raise EngineError("没有诊改主体 (no subjects): load subjects before running")
    tick = lap("read", tick)

    if written_by_database:
        assert store is not None
        with store.engine.begin() as conn:
            refresh_statistics(conn)
        # Filled in by _write_in_database inside the run's transaction.
        alerts = AlertSet(
            pack=loaded.identity, period=target, severities=loaded.severities, backend=backend
        )
    elif in_database:
        assert store is not None
        alerts = _alerts_in_store(store, loaded, target, when, previous)
    else:
        alerts = evaluate_alerts(
            loaded, subjects, observations, target, backend=backend, previous=previous
        )
    tick = lap("alerts", tick)
    scores = evaluate_all(loaded, subjects, observations, target)
    tick = lap("scores", tick)

    rollup, findings = None, []
    if chain is not None:
        chain_at = Period.parse(chain_period) if chain_period is not None else target
        rollup = chain.rollup(actuals_from_observations(chain, observations, chain_at))
        findings = chain.check(rollup=rollup)
    tick = lap("chain", tick)

    spirals = _spirals(store, loaded, loops) if store is not None else []
    tick = lap("spirals", tick)

    result = RunResult(
        pack=loaded.identity,
        period=target,
        as_of=when,
        backend=backend,
        alerts=alerts,
        scores=scores,
        chain=chain,
        rollup=rollup,
        findings=findings,
        spirals=spirals,
        timings=timings,
    )
    if written_by_database:
        assert store is not None
        result.run_id = _write_in_database(store, loaded, result, started)
        lap("write", tick)
    elif store is not None:
        result.run_id = _write(store, loaded, result, started)
        lap("write", tick)
    timings["total"] = round(time.perf_counter() - started, 4)
    return result


def evaluate(
    pack: Pack | str,
    subjects: Subjects | Iterable[Subject],
    observations: Observations | Iterable[Observation | Mapping[str, Any]],
    period: Period | str,
    *,
    backend: Backend = "columns",
    previous: AlertSet | None = None,
) -> RunResult:
    """Evaluate ``pack`` on in-memory data for ``period``: alerts, gaps and scores, nothing stored.

    The same as ``run(pack, (subjects, observations), period)``.
    """
    return run(pack, (subjects, observations), period, backend=backend, previous=previous)


def _alerts_in_store(
    store: Store,
    pack: Pack,
    period: Period,
    as_of: datetime,
    previous: AlertSet | None,
) -> AlertSet:
    """Rule flags computed by the database over the store's own tables, decided in Python.

    Only for a run given an explicit ``previous`` AlertSet (otherwise the
    database decides and writes everything: :func:`_write_in_database`).  The
    rules compile to SQL over the newest visible version of each value (the
    same as-of read as the other backends) and over the store's subjects with
    their attributes taken out of the JSON column (:func:`subjects_query`); one
    row of flags and values per subject of each level comes back.
    """
    depth = history_needed(pack.rules.values())
    periods = [period.prev(k) for k in range(depth + 1)]
    latest = latest_query(store.school, periods=periods, as_of=as_of).subquery("latest")
    with store.engine.begin() as conn:
        refresh_statistics(conn)
    with store.engine.connect() as conn:
        # With both selectables given, evaluate reads neither in-memory argument.
        return evaluate_alerts(
            pack,
            Subjects.coerce(None),
            None,
            period,
            backend="sql",
            previous=previous,
            connection=conn,
            observations_table=latest,
            subjects_table=subjects_query(store, pack),
        )


def _scored_subjects(store: Store, pack: Pack) -> Subjects:
    """The subjects of the levels the pack's scorecards score (none without scorecards)."""
    scorecards: Mapping[str, Any] = pack.sections.get("scorecards", {})
    levels = list(dict.fromkeys(s.level for s in scorecards.values()))
    return Subjects.from_subjects(
        subject for level in levels for subject in store.subjects(level=level)
    )


def evaluate_all(
    pack: Pack, subjects: Subjects, observations: Observations, period: Period
) -> dict[str, ScoreSet]:
    """Score every scorecard of ``pack`` over the subjects of its level."""
    scorecards: Mapping[str, Any] = pack.sections.get("scorecards", {})
    out: dict[str, ScoreSet] = {}
    for scorecard_id, scorecard in scorecards.items():
        if not len(subjects.of_level(scorecard.level)):
            continue  # nobody of this level in the population: nothing to score
        out[scorecard_id] = score(scorecard, subjects, observations, period, catalog=pack.catalog)
    return out


def _window(pack: Pack, period: Period, chain_period: Period | str | None) -> list[str]:
    # The rules read `depth` periods back; the chain reads its own period.
    depth = history_needed(pack.rules.values())
    periods = [str(period.prev(k)) for k in range(depth + 1)]
    if chain_period is not None:
        periods.append(str(Period.parse(chain_period)))
    return sorted(set(periods))


def _spirals(store: Store, pack: Pack, loops: Iterable[str] | None) -> list[SpiralRow]:
    names = list(loops) if loops is not None else list(pack.sections.get("loops", {}))
    rows: list[SpiralRow] = []
    for loop in names:
        rows.extend(
            SpiralRow(s.subject_id, s.loop, s.state, s.cycle, s.small_state)
            for s in store.spiral_states(loop)
        )
    return rows


def previous_alerts(store: Store, pack: Pack, period: Period) -> AlertSet | None:
    """The alerts of the latest stored run of ``pack`` for the period before ``period``.

    They continue the lifecycle (streaks, quiet periods, since when) into this
    run; None when no such run was stored.
    """
    prior = period.prev()
    with store.transaction() as conn:
        run_id = _previous_run(conn, store, pack, period)
        if run_id is None:
            return None
        rows = (
            conn.execute(
                select(alerts_table)
                .where(alerts_table.c.school_id == store.school, alerts_table.c.run_id == run_id)
                .order_by(alerts_table.c.id)
            )
            .mappings()
            .all()
        )
    records = []
    for row in map(dict, rows):
        compiled = pack.rules.get(row["rule"])
        if compiled is None:
            continue  # a rule the pack no longer has leaves no lifecycle behind
        records.append(
            {
                "rule": row["rule"],
                "rule_name": compiled.rule.name,
                "subject_id": row["subject_id"],
                "level": compiled.rule.level,
                "period": prior,
                "severity": row["severity"],
                "status": row["status"],
                "streak": row["streak"],
                "quiet": row["quiet"],
                "since": row["since_period"] or str(prior),
                "values": row["input_values"],
                "message": row["message"],
            }
        )
    return AlertSet.from_records(pack, prior, records)


def _previous_run(conn: Connection, store: Store, pack: Pack, period: Period) -> int | None:
    """The id of the latest stored run of ``pack`` for the period before ``period``."""
    found = conn.execute(
        select(runs_table.c.id)
        .where(
            runs_table.c.school_id == store.school,
            runs_table.c.pack_name == pack.name,
            runs_table.c.period == str(period.prev()),
        )
        .order_by(runs_table.c.id.desc())
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def _run_row(store: Store, pack_id: int, result: RunResult) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "school_id": store.school,
        "pack_id": pack_id,
        "pack_name": result.pack.name,
        "pack_version": result.pack.version,
        "pack_hash": result.pack.hash,
        "period": str(result.period),
        "as_of": result.as_of,
        "backend": result.backend,
        "started_at": now,
        "finished_at": now,
    }


def _write_in_database(store: Store, pack: Pack, result: RunResult, started: float) -> int:
    """The run record, then alerts and gaps by ``INSERT … SELECT``, then scores: one transaction.

    The alerts continue the lifecycle of the latest stored run of the period
    before (:mod:`zhengai.engine.indb`); ``result.alerts`` becomes a
    :class:`StoredAlertSet` over the rows written.  Returns the run id.
    """
    period = result.period
    depth = history_needed(pack.rules.values())
    periods = [period.prev(k) for k in range(depth + 1)]
    latest = latest_query(store.school, periods=periods, as_of=result.as_of).subquery("latest")
    with store.transaction() as conn:
        pack_id = store.save_pack(pack.name, pack.version, pack.to_yaml(), conn=conn)
        inserted = conn.execute(
            runs_table.insert().values(**_run_row(store, pack_id, result), timings={}, counts={})
        ).inserted_primary_key
        assert inserted is not None
        run_id = int(inserted[0])
        tick = time.perf_counter()
        written = write_alerts(
            conn,
            school=store.school,
            pack=pack,
            period=period,
            run_id=run_id,
            previous_run=_previous_run(conn, store, pack, period),
            subjects=subjects_query(store, pack),
            observations=latest,
        )
        result.timings["alerts"] = round(
            result.timings.get("alerts", 0.0) + time.perf_counter() - tick, 4
        )
        if written.rendered_in_python:
            result.timings["alerts_rendered_in_python"] = written.rendered_in_python
        result.alerts = StoredAlertSet(
            store,
            pack,
            period,
            run_id=run_id,
            backend=result.backend,
            skipped=skipped_for_cadence(pack, period),
            alerts=written.alerts,
            gaps=written.gaps,
        )
        _insert_scores(store, conn, run_id, result)
        conn.execute(
            runs_table.update()
            .where(runs_table.c.id == run_id)
            .values(
                finished_at=datetime.now(UTC),
                timings={**result.timings, "before_write": round(time.perf_counter() - started, 4)},
                counts=result.counts(),
            )
        )
    return run_id


def _insert_scores(store: Store, conn: Connection, run_id: int, result: RunResult) -> None:
    period = str(result.period)
    store.insert_rows(
        "zg_scores",
        [
            {
                "run_id": run_id,
                "scorecard": s["scorecard"],
                "subject_id": s["subject_id"],
                "period": period,
                "score": s["score"],
                "band": s["band"],
                "rank_position": s["rank"],
                "details": {
                    "grade": s["grade"],
                    "partial": s["partial"],
                    "failed": s["failed"],
                },
            }
            for s in result.score_records()
        ],
        conn=conn,
    )


def _write(store: Store, pack: Pack, result: RunResult, started: float) -> int:
    """Write the run, its alerts, gaps and scores in one transaction; return the run id."""
    period = str(result.period)
    with store.transaction() as conn:
        pack_id = store.save_pack(pack.name, pack.version, pack.to_yaml(), conn=conn)
        counts = result.counts()
        inserted = conn.execute(
            runs_table.insert().values(
                school_id=store.school,
                pack_id=pack_id,
                pack_name=result.pack.name,
                pack_version=result.pack.version,
                pack_hash=result.pack.hash,
                period=period,
                as_of=result.as_of,
                backend=result.backend,
                started_at=datetime.now(UTC),
                finished_at=datetime.now(UTC),
                timings={**result.timings, "before_write": round(time.perf_counter() - started, 4)},
                counts=counts,
            )
        ).inserted_primary_key
        assert inserted is not None
        run_id = inserted[0]
        store.insert_rows(
            "zg_alerts",
            [
                {
                    "run_id": run_id,
                    "rule": a.rule,
                    "subject_id": a.subject_id,
                    "period": period,
                    "severity": a.severity,
                    "status": str(a.status),
                    "message": a.message,
                    "input_values": _plain(a.values),
                    "streak": a.streak,
                    "quiet": a.quiet,
                    "since_period": str(a.since),
                }
                for a in result.alerts.alerts
            ],
            conn=conn,
        )
        store.insert_rows(
            "zg_data_gaps",
            [
                {
                    "run_id": run_id,
                    "rule": g.rule,
                    "subject_id": g.subject_id,
                    "period": period,
                    "missing": list(g.missing),
                }
                for g in result.alerts.gaps
            ],
            conn=conn,
        )
        _insert_scores(store, conn, run_id, result)
    return int(run_id)


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    # JSON columns take plain numbers and strings; NaN is not JSON.
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, float) and value != value:
            out[key] = None
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:
            out[key] = value
    return out
