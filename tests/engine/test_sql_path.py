"""run(..., backend="sql") on a store: the population stays in the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, text

from zhengai.engine import EngineError, RunResult, run
from zhengai.engine.sqlrun import indicators_read, refresh_statistics, subjects_query
from zhengai.examples import College, college
from zhengai.model import Subject
from zhengai.packs import load_pack
from zhengai.store import Store

TERM, BEFORE = "2025-2026-1", "2024-2025-2"

PACK = {
    "pack.yaml": """\
        name: sqlpath
        version: 1.0.0
        title: 数据库内评估测试包
        severities: [红, 黄]
        attributes: {专业: string, 年级: number, 住校: bool}
        """,
    "indicators.yaml": """\
        indicators:
          - {id: attendance_rate, name: 到课率, levels: [学生], valid_range: [0, 1]}
          - {id: gpa, name: 平均绩点, levels: [学生]}
        """,
    "rules/student.yaml": """\
        rules:
          - id: low_attendance_in_major
            name: 重点专业到课率偏低
            level: 学生
            applies_to: 专业 in ['机电', '护理']
            when: 到课率 < 0.8
            severity: 黄
            message: "{subject_name}（{专业}）到课率 {到课率:.0%}"
            owner: 学生工作处
            source: 测试
          - id: gpa_drop_senior_boarders
            name: 高年级住校生绩点下滑
            level: 学生
            applies_to: 年级 >= 2024 and 住校
            when: prev(平均绩点) - 平均绩点 >= 0.5
            severity: 红
            message: "{subject_name} 绩点 {平均绩点:.2f}"
            owner: 教务处
            source: 测试
        """,
}


@pytest.fixture
def pack_dir(write_folder: Callable[..., Path]) -> Path:
    return write_folder("sqlpath", PACK)


def _students(n: int) -> list[Subject]:
    majors = ["机电", "护理", "会计", None]
    out = []
    for i in range(n):
        attributes: dict[str, Any] = {}
        if majors[i % 4] is not None:
            attributes["专业"] = majors[i % 4]
        if i % 5:
            attributes["年级"] = 2022 + i % 4
        if i % 3:
            attributes["住校"] = bool(i % 2)
        out.append(Subject(id=f"s{i:03d}", level="student", name=f"学生{i}", attributes=attributes))
    return out


def _store(db_url: str, pack_dir: Path, n: int = 60) -> Store:
    rng = np.random.default_rng(7)
    store = Store(db_url)
    store.upgrade()
    store.add_indicators(load_pack(pack_dir).catalog)
    store.add_subjects(_students(n))
    ids = [f"s{i:03d}" for i in range(n)]
    columns: dict[str, list[Any]] = {"subject_id": [], "indicator": [], "period": [], "value": []}
    for period in (BEFORE, TERM):
        for indicator, values in (
            ("attendance_rate", rng.uniform(0.5, 1.0, n)),
            ("gpa", rng.uniform(1.0, 4.0, n)),
        ):
            kept = rng.random(n) > 0.1  # some values missing: gaps
            columns["subject_id"] += [s for s, k in zip(ids, kept, strict=True) if k]
            columns["indicator"] += [indicator] * int(kept.sum())
            columns["period"] += [period] * int(kept.sum())
            columns["value"] += [float(v) for v in values[kept]]
    store.ingest(columns, recorded_at=datetime(2026, 1, 1, tzinfo=UTC))
    return store


def _outcome(result: RunResult) -> dict[str, Any]:
    data = result.to_dict()
    return {"alerts": data["alerts"], "gaps": data["gaps"], "scores": data["scores"]}


def test_attributes_come_out_of_the_json_column_typed(db_url: str, pack_dir: Path) -> None:
    store = _store(db_url, pack_dir, n=12)
    query = subjects_query(store, load_pack(pack_dir))
    with store.engine.connect() as conn:
        rows = {r.subject_id: r for r in conn.execute(select(query)).all()}
    for subject in _students(12):
        row = rows[subject.id]
        assert (row.level, row.name, row.parent_id) == ("student", subject.name, None)
        assert row.专业 == subject.attributes.get("专业")
        grade = subject.attributes.get("年级")
        assert row.年级 == (None if grade is None else pytest.approx(grade))
        boards = subject.attributes.get("住校")
        assert (None if row.住校 is None else bool(row.住校)) == boards


def test_sql_run_equals_columns_with_string_number_and_bool_scopes(
    db_url: str, pack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(db_url, pack_dir)
    columns = run(str(pack_dir), store, TERM, backend="columns")
    fired = {a["rule"] for a in columns.to_dict()["alerts"]}
    assert fired == {"low_attendance_in_major", "gpa_drop_senior_boarders"}
    in_scope = {s.id for s in _students(60) if s.attributes.get("专业") in ("机电", "护理")}
    assert {
        a["subject_id"]
        for a in columns.to_dict()["alerts"]
        if a["rule"] == "low_attendance_in_major"
    } <= in_scope

    # No scorecard and no chain: the sql path reads neither subjects nor observations.
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the sql path loaded the population into Python")

    monkeypatch.setattr(Store, "subjects", refuse)
    monkeypatch.setattr(Store, "observations", refuse)
    sql = run(str(pack_dir), store, TERM, backend="sql")
    assert _outcome(sql) == _outcome(columns)
    assert sql.to_dict()["alerts"][0]["message"].startswith("学生")


def test_sql_run_reads_only_the_scorecards_indicators(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    small: College = college(seed=3, size="small")
    store = Store(db_url)
    store.upgrade()
    store.add_indicators(small.catalog)
    store.add_subjects(small.subjects)
    store.ingest(small.observations, recorded_at=datetime(2026, 9, 1, tzinfo=UTC))
    term = small.periods.terms[-1]
    columns = run("changzhou", store, term, backend="columns")

    asked: list[list[str] | None] = []
    original = Store.observations

    def spy(self: Store, **kwargs: Any) -> Any:
        indicators = kwargs.get("indicators")
        asked.append(None if indicators is None else list(indicators))
        return original(self, **kwargs)

    monkeypatch.setattr(Store, "observations", spy)
    sql = run("changzhou", store, term, backend="sql")
    assert _outcome(sql) == _outcome(columns)
    assert sql.to_dict()["scores"]
    wanted = indicators_read(load_pack("changzhou"), None)
    assert asked == [wanted]
    rules_read = {i for r in load_pack("changzhou").rules.values() for i in r.indicators}
    assert rules_read - set(wanted), "indicators only the rules read stay in the database"


def test_fresh_tables_are_analysed_once_before_the_planner_sees_them(
    db_url: str, pack_dir: Path
) -> None:
    store = _store(db_url, pack_dir, n=12)
    with store.engine.begin() as conn:
        first = refresh_statistics(conn)
    with store.engine.begin() as conn:
        second = refresh_statistics(conn)
    if store.engine.dialect.name == "postgresql":
        # Never analysed after loading (the subjects; the observations unless the ingest
        # analysed them itself): analysed once, then fresh.
        assert "zg_subjects" in first
        assert set(first) <= {"zg_observations", "zg_subjects"}
        with store.engine.connect() as conn:
            never = conn.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE relname IN"
                    " ('zg_observations', 'zg_subjects')"
                    " AND COALESCE(last_analyze, last_autoanalyze) IS NULL"
                )
            ).all()
        assert never == []
    else:
        assert first == []
    assert second == []


def test_sql_run_on_a_store_without_subjects_is_refused(db_url: str, pack_dir: Path) -> None:
    store = Store(db_url)
    store.upgrade()
    with pytest.raises(EngineError) as info:
        run(str(pack_dir), store, TERM, backend="sql")
    assert info.value.code == "engine"
    assert str(info.value) == "没有诊改主体 (no subjects): load subjects before running"
