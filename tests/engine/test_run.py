"""zhengai.run: one diagnosis, in memory and through a store on every database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from zhengai.alerts import evaluate
from zhengai.chain import GoalChain
from zhengai.data import Observations
from zhengai.engine import EngineError, RunResult, run
from zhengai.examples import College, college
from zhengai.packs import load_pack
from zhengai.store import Store
from zhengai.store.schema import alerts, data_gaps, runs, scores


@pytest.fixture(scope="module")
def small() -> College:
    return college(seed=3, size="small")


def _stored(db_url: str, example: College) -> Store:
    store = Store(db_url)
    store.upgrade()
    store.add_indicators(example.catalog)
    store.add_subjects(example.subjects)
    store.ingest(example.observations, recorded_at=datetime(2026, 9, 1, tzinfo=UTC))
    return store


def _count(store: Store, table: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _comparable(result: RunResult) -> dict[str, Any]:
    data = result.to_dict()
    data.pop("run_id")
    return data


def test_in_memory_run_has_the_design_shape(small: College) -> None:
    term = small.periods.terms[-1]
    result = run("changzhou", (small.subjects, small.observations), term)
    data = json.loads(result.to_json())
    assert set(data) >= {"alerts", "gaps", "scores", "spirals", "pack", "period", "as_of"}
    assert data["period"] == str(term)
    assert data["pack"]["name"] == "changzhou"
    assert len(data["pack"]["hash"]) == 64
    assert data["alerts"], "the planted bottom-ranked teacher raises an alert"
    assert set(data["alerts"][0]) >= {
        "rule",
        "subject_id",
        "severity",
        "status",
        "message",
        "values",
    }
    assert set(data["gaps"][0]) == {"rule", "subject_id", "missing"}
    assert data["scores"]
    assert set(data["scores"][0]) >= {
        "scorecard",
        "subject_id",
        "score",
        "band",
        "rank",
    }
    bands = {s["band"] for s in data["scores"]}
    assert {"奖励", "问责"} <= bands  # 奖励前15%、问责后10% (003 §五(三)2)
    # The run is the evaluators composed: the same alerts as evaluating the pack directly.
    direct = evaluate("changzhou", small.subjects, small.observations, term)
    assert result.alert_records() == [
        {
            k: r.get(k)
            for k in (
                "rule",
                "subject_id",
                "severity",
                "status",
                "message",
                "values",
                "owner",
                "streak",
            )
        }
        for r in direct.to_records()
    ]


def test_a_run_needs_subjects() -> None:
    with pytest.raises(EngineError) as info:
        run("academic-warning", ([], []), "2025-2026-1")
    assert info.value.code == "engine"
    assert str(info.value) == "没有诊改主体 (no subjects): load subjects before running"


def test_chain_rollup_is_part_of_the_run(small: College) -> None:
    chain = GoalChain.from_records(small.goals, small.edges, catalog=small.catalog)
    year = small.periods.years[-1]
    result = run(
        "academic-warning",
        (small.subjects, small.observations),
        small.periods.terms[-1],
        chain=chain,
        chain_period=year,
    )
    assert result.rollup is not None
    attainment = result.to_dict()["attainment"]
    school_goal = next(g.id for g in chain.goals if not chain.parents(g.id))
    assert attainment[school_goal] == pytest.approx(result.rollup[school_goal].attainment)
    planted = small.planted_of("targets_not_adding_up")[0]
    assert any(
        f.code == "target_consistency" and set(planted.goal_ids) & set(f.goals)
        for f in result.findings
    )


def test_store_run_writes_one_transaction_and_continues_the_lifecycle(
    db_url: str, small: College
) -> None:
    store = _stored(db_url, small)
    before, term = small.periods.terms[-2], small.periods.terms[-1]
    first = run("academic-warning", store, before)
    second = run("academic-warning", store, term)
    assert first.run_id is not None
    assert second.run_id == first.run_id + 1
    stored_alerts = store.rows("zg_alerts", run_id=second.run_id)
    assert len(stored_alerts) == len(second.alerts.alerts) > 0
    assert len(store.rows("zg_data_gaps", run_id=second.run_id)) == len(second.alerts.gaps)
    (run_row,) = store.rows("zg_runs", id=second.run_id)
    assert run_row["pack_hash"] == load_pack("academic-warning").identity.hash
    assert run_row["counts"]["alerts"] == len(stored_alerts)
    # The lifecycle read back from the store equals the in-memory one.
    previous = evaluate("academic-warning", small.subjects, small.observations, before)
    direct = evaluate(
        "academic-warning", small.subjects, small.observations, term, previous=previous
    )
    key = lambda r: (r["rule"], r["subject_id"])  # noqa: E731
    assert sorted(
        [(key(r), r["status"], r["streak"], r["severity"]) for r in second.alerts.to_records()]
    ) == sorted([(key(r), r["status"], r["streak"], r["severity"]) for r in direct.to_records()])
    assert {str(r["status"]) for r in direct.to_records()} > {"new"}


def test_rerun_as_of_the_same_time_is_identical_and_as_of_reproduces(
    db_url: str, small: College
) -> None:
    store = _stored(db_url, small)
    term = small.periods.terms[-1]
    as_of = datetime(2026, 9, 2, tzinfo=UTC)
    first = run("academic-warning", store, term, as_of=as_of)
    again = run("academic-warning", store, term, as_of=as_of)
    assert _comparable(first) == _comparable(again)
    # A correction recorded later changes a later run but not a run as of before it.
    warned = first.alert_records()[0]
    correction = Observations(
        [warned["subject_id"]] * 2,
        ["failed_credits", "cum_failed_credits"],
        [str(term)] * 2,
        [0.0, 0.0],
    )
    store.ingest(correction, recorded_at=as_of + timedelta(days=1))
    later = run("academic-warning", store, term)
    past = run("academic-warning", store, term, as_of=as_of)
    assert _comparable(past)["alerts"] == _comparable(first)["alerts"]
    assert _comparable(later)["alerts"] != _comparable(first)["alerts"]


def test_a_failure_while_writing_leaves_the_store_as_it_was(
    db_url: str, small: College, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _stored(db_url, small)
    term = small.periods.terms[-1]
    original = Store.insert_rows

    def failing(self: Store, table: Any, rows: Any, **kwargs: Any) -> int:
        if table == "zg_scores":
            raise ConnectionError("injected: the connection dropped while writing scores")
        return original(self, table, rows, **kwargs)

    monkeypatch.setattr(Store, "insert_rows", failing)
    with pytest.raises(ConnectionError, match="injected"):
        run("changzhou", store, term)
    assert [_count(store, t) for t in (runs, alerts, data_gaps, scores)] == [0, 0, 0, 0]
    monkeypatch.setattr(Store, "insert_rows", original)
    retried = run("changzhou", store, term)
    assert retried.run_id is not None
    assert _count(store, runs) == 1
    assert _count(store, scores) == len(retried.score_records()) > 0


def test_sql_backend_on_stored_data_equals_columns(db_url: str, small: College) -> None:
    store = _stored(db_url, small)
    term = small.periods.terms[-1]
    columns = run("academic-warning", store, term)
    sql = run("academic-warning", store, term, backend="sql")
    assert _comparable(sql)["alerts"] == _comparable(columns)["alerts"]
    assert _comparable(sql)["gaps"] == _comparable(columns)["gaps"]
