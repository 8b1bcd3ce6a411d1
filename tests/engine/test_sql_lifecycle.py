"""run(..., backend="sql") on a store: the lifecycle decided and the alerts written by the database.

Two schools of one database get the same subjects and state data; one is run
with ``backend="columns"`` and one with ``backend="sql"`` over four terms, each
term continuing the stored alerts of the one before.  Every result and every
stored row must be the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from zhengai.engine import RunResult, previous_alerts, run
from zhengai.engine import indb as indb_module
from zhengai.engine import runner as runner_module
from zhengai.engine.stored import StoredAlertSet
from zhengai.model import Period, Subject
from zhengai.packs import load_pack
from zhengai.store import Store
from zhengai.store.schema import alerts as alerts_table
from zhengai.store.schema import data_gaps as gaps_table
from zhengai.store.schema import runs as runs_table

TERMS = ["2024-2025-1", "2024-2025-2", "2025-2026-1", "2025-2026-2"]

PACK = {
    "pack.yaml": """\
        name: sqllife
        version: 1.0.0
        title: 数据库内生命周期测试包
        severities: [红, 橙, 黄, 蓝]
        attributes: {专业: string, 年级: number, 住校: bool}
        """,
    "indicators.yaml": """\
        indicators:
          - {id: failed_credits, name: 不及格学分, levels: [学生]}
          - {id: attendance_rate, name: 到课率, levels: [学生]}
          - {id: conduct, name: 违纪次数, levels: [学生]}
        """,
    "rules/student.yaml": """\
        rules:
          - id: credits_ladder
            name: 不及格学分阶梯
            level: 学生
            resolve_after: 2
            ladder:
              - {severity: 红, when: 不及格学分 >= 20}
              - {severity: 橙, when: 不及格学分 >= 15}
              - {severity: 黄, when: 不及格学分 >= 10}
            message: >-
              {subject_name} {不及格学分:g} 学分（{不及格学分:.1f}/{不及格学分}）{severity}
              第{streak}期 {period} {rule} {subject}
          - id: sustained_absence
            name: 连续两学期到课率低
            level: 学生
            for_periods: 2
            when: 到课率 < 0.8
            severity: 黄
            message: "{subject_name} 到课率 {到课率:.1%}（{到课率:.0%}，{到课率:.2f}）"
          - id: young_absence
            name: 低年级到课率低
            level: 学生
            applies_to: 年级 >= 2024
            when: 到课率 < 0.7
            severity: 橙
            message: "{专业} {年级} {住校} {到课率:.2f}"
          - id: sustained_ladder
            name: 持续两学期的阶梯
            level: 学生
            for_periods: 2
            resolve_after: 3
            ladder:
              - {severity: 红, when: 不及格学分 >= 20}
              - {severity: 黄, when: 到课率 < 0.8}
            message: "{subject_name} {不及格学分:.0f} 学分，到课率 {到课率:.0%}"
          - id: conduct_first
            name: 违纪优先
            level: 学生
            resolve_after: 1
            ladder:
              - {severity: 红, when: 违纪次数 > 5}
              - {severity: 蓝, when: 不及格学分 >= 17}
            message: "{专业}：违纪 {违纪次数:.0f} 次，不及格 {不及格学分:g}"
        """,
}

CREDITS = [None, 0.0, 5.0, 10.0, 12.5, 15.0, 17.25, 20.0, 25.0, 2.675, 1e-05, 1234567.0]
ATTENDANCE = [None, 0.5, 0.6949999999999999, 0.7, 0.79, 0.845, 0.125, 0.9, 1.0]
CONDUCT = [None, None, 3.0, 6.0, 0.5]


@pytest.fixture
def pack_dir(write_folder: Callable[..., Path]) -> Path:
    return write_folder("sqllife", PACK)


def _students(n: int) -> list[Subject]:
    majors = ["机电", "护理", None]
    out = []
    for i in range(n):
        attributes: dict[str, Any] = {"年级": 2022 + i % 4}
        if majors[i % 3] is not None:
            attributes["专业"] = majors[i % 3]
        if i % 5:
            attributes["住校"] = bool(i % 2)
        name = "" if i % 11 == 0 else f"学生{i}"
        out.append(Subject(id=f"s{i:03d}", level="student", name=name, attributes=attributes))
    return out


def _fill(store: Store, pack_dir: Path, n: int, seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    store.upgrade()
    store.add_indicators(load_pack(pack_dir).catalog)
    store.add_subjects(_students(n))
    columns: dict[str, list[Any]] = {"subject_id": [], "indicator": [], "period": [], "value": []}
    for term in TERMS:
        for indicator, choices in (
            ("failed_credits", CREDITS),
            ("attendance_rate", ATTENDANCE),
            ("conduct", CONDUCT),
        ):
            for i in range(n):
                value = choices[int(rng.integers(len(choices)))]
                if value is None:
                    continue
                columns["subject_id"].append(f"s{i:03d}")
                columns["indicator"].append(indicator)
                columns["period"].append(term)
                columns["value"].append(value)
    store.ingest(columns, recorded_at=datetime(2026, 9, 1, tzinfo=UTC))


def _pair(db_url: str, pack_dir: Path, n: int = 90) -> tuple[Store, Store]:
    columns = Store(db_url, school="by_columns")
    _fill(columns, pack_dir, n)
    sql = columns.for_school("by_sql")
    _fill(sql, pack_dir, n)
    return columns, sql


def _outcome(result: RunResult) -> dict[str, Any]:
    data = result.to_dict()
    return {"alerts": data["alerts"], "gaps": data["gaps"], "counts": data["counts"]}


def _stored(store: Store, run_id: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    a, g = alerts_table.c, gaps_table.c
    with store.engine.connect() as conn:
        alerts = conn.execute(
            select(
                a.rule,
                a.subject_id,
                a.period,
                a.severity,
                a.status,
                a.message,
                a.input_values,
                a.streak,
                a.quiet,
                a.since_period,
            ).where(a.school_id == store.school, a.run_id == run_id)
        ).all()
        gaps = conn.execute(
            select(g.rule, g.subject_id, g.period, g.missing).where(
                g.school_id == store.school, g.run_id == run_id
            )
        ).all()
    return sorted(tuple(r) for r in alerts), sorted(
        (r.rule, r.subject_id, r.period, tuple(r.missing)) for r in gaps
    )


def _records(result: RunResult) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "explanation"} for r in result.alerts.to_records()]


def test_four_terms_of_lifecycle_equal_the_columns_backend(
    db_url: str, pack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks: rows the database cannot render (all on MariaDB) come back in pages.
    monkeypatch.setattr(indb_module, "CHUNK", 7)
    by_columns, by_sql = _pair(db_url, pack_dir)
    statuses: set[str] = set()
    for term in TERMS:
        columns = run(str(pack_dir), by_columns, term, backend="columns")
        sql = run(str(pack_dir), by_sql, term, backend="sql")
        assert isinstance(sql.alerts, StoredAlertSet)
        assert _outcome(sql) == _outcome(columns), term
        assert sql.summary() == columns.summary()
        assert sql.alerts.summary(["rule", "status"]) == columns.alerts.summary(["rule", "status"])
        assert _records(sql) == _records(columns)
        assert sql.alerts.gap_records() == columns.alerts.gap_records()
        assert sql.run_id is not None
        assert columns.run_id is not None
        assert _stored(by_sql, sql.run_id) == _stored(by_columns, columns.run_id)
        statuses |= {a["status"] for a in columns.to_dict()["alerts"]}
    # The data walk every alert through every status of its lifecycle.
    assert statuses == {"new", "ongoing", "escalated", "de_escalated", "resolved"}


def test_the_lazy_view_answers_counts_and_summaries_without_loading(
    db_url: str, pack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_columns, by_sql = _pair(db_url, pack_dir, n=40)
    original = indb_module._RuleWriter._alert_row
    by_python: list[dict[str, Any]] = []

    def spy(writer: Any, *args: Any) -> dict[str, Any]:
        row = original(writer, *args)
        by_python.append(row)
        return row

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the run loaded its alerts into Python")

    for term in TERMS[:2]:
        columns = run(str(pack_dir), by_columns, term, backend="columns")
        with monkeypatch.context() as patched:
            patched.setattr(StoredAlertSet, "_read", refuse)
            patched.setattr(indb_module._RuleWriter, "_alert_row", spy)
            sql = run(str(pack_dir), by_sql, term, backend="sql")
            assert len(sql.alerts) == len(columns.alerts)
            assert sql.counts() == columns.counts()
            assert sql.summary() == columns.summary()
            assert repr(sql).startswith("RunResult(sqllife 1.0.0")
        if by_sql.dialect != "mysql":  # MariaDB renders every message in Python, in chunks
            # Python renders only a boolean attribute (young_absence's 住校) and, on
            # PostgreSQL, a value outside the exact range of the float formatting (1e-05).
            assert {r["rule"] for r in by_python} <= {"young_absence", "credits_ladder"}
            assert all(
                r["rule"] == "young_absence"
                or (by_sql.dialect == "postgresql" and r["input_values"]["failed_credits"] == 1e-05)
                for r in by_python
            )
        # Anything that needs the alerts themselves loads them once, on access.
        assert sql.alerts.alerts == [
            a.model_copy(update={"explanation": ""}) for a in columns.alerts.alerts
        ]
        assert sql.alerts.open().summary() == columns.alerts.open().summary()
        assert (
            sql.alerts.filter(rule="credits_ladder").gaps
            == columns.alerts.filter(rule="credits_ladder").gaps
        )


def test_a_failure_halfway_leaves_the_store_as_it_was_and_a_retry_succeeds(
    db_url: str, pack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_columns, by_sql = _pair(db_url, pack_dir, n=40)
    run(str(pack_dir), by_sql, TERMS[0], backend="sql")

    def rows() -> tuple[int, int, int]:
        with by_sql.engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (runs_table, alerts_table, gaps_table)
            )

    before = rows()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")  # after the alerts and gaps were inserted

    with monkeypatch.context() as patched:
        patched.setattr(runner_module, "_insert_scores", fail)
        with pytest.raises(RuntimeError, match="disk full"):
            run(str(pack_dir), by_sql, TERMS[1], backend="sql")
    assert rows() == before

    retried = run(str(pack_dir), by_sql, TERMS[1], backend="sql")
    run(str(pack_dir), by_columns, TERMS[0], backend="columns")
    expected = run(str(pack_dir), by_columns, TERMS[1], backend="columns")
    assert _outcome(retried) == _outcome(expected)
    # Running the same term again continues the same previous run: the same result.
    again = run(str(pack_dir), by_sql, TERMS[1], backend="sql")
    assert _outcome(again) == _outcome(retried)
    assert again.run_id != retried.run_id


def test_an_explicit_previous_keeps_the_in_memory_lifecycle(db_url: str, pack_dir: Path) -> None:
    by_columns, by_sql = _pair(db_url, pack_dir, n=30)
    run(str(pack_dir), by_sql, TERMS[0], backend="sql")
    previous = previous_alerts(by_sql, load_pack(pack_dir), Period.parse(TERMS[1]))
    given = run(str(pack_dir), by_sql, TERMS[1], backend="sql", previous=previous)
    assert not isinstance(given.alerts, StoredAlertSet)
    run(str(pack_dir), by_columns, TERMS[0], backend="columns")
    expected = run(str(pack_dir), by_columns, TERMS[1], backend="columns")
    assert _outcome(given) == _outcome(expected)
