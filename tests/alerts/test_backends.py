"""The three backends give identical AlertSets (SQL on SQLite, PostgreSQL and MariaDB)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import Column, Double, MetaData, String, Table, create_engine

from zhengai.alerts import AlertSet, evaluate
from zhengai.data import Observations, Subjects
from zhengai.model import Period
from zhengai.packs import Pack

PERIODS = [str(Period.parse("2023-2024-1").next(k)) for k in range(5)]
MAJORS = ["护理", "机电", "会计", None]


def population(seed: int = 7, n: int = 48) -> tuple[Subjects, Observations]:
    """Students and teachers with 5 terms of data, 10% missing, values on the thresholds."""
    rng = np.random.default_rng(seed)
    students = [f"s{i:03d}" for i in range(n)]
    teachers = [f"t{i:02d}" for i in range(n // 4)]
    ids = students + teachers
    subjects = Subjects(
        ids,
        ["student"] * len(students) + ["teacher"] * len(teachers),
        names=[f"名{i}" for i in range(len(ids))],
        attributes={
            "major": [MAJORS[i % 4] for i in range(len(ids))],
            "grade": [float(rng.integers(1, 4)) if i % 5 else None for i in range(len(ids))],
        },
    )
    rows: list[tuple[str, str, str, float | None]] = []
    for period in PERIODS:
        for s in students:
            rows.append(
                (s, "failed_credits", period, float(rng.choice([0, 4.9, 5, 10, 15, 20, 25])))
            )
            rows.append(
                (s, "attendance_rate", period, float(rng.choice([0.7, 0.8, 0.85, 0.9, 0.95])))
            )
            rows.append((s, "gpa", period, float(rng.choice([1.8, 2.3, 2.8, 3.3, 3.0]))))
        for t in teachers:
            rows.append((t, "satisfaction", period, float(rng.choice([0.6, 0.7, 0.8, 0.85, 0.9]))))
    keep = rng.random(len(rows)) > 0.1
    rows = [r for r, k in zip(rows, keep, strict=True) if k]
    # A value reported missing (a row with NULL), not just absent.
    rows = [r for r in rows if r[:3] != ("s000", "gpa", PERIODS[-1])]
    rows.append(("s000", "gpa", PERIODS[-1], None))
    observations = Observations(*(list(c) for c in zip(*rows, strict=True)))
    return subjects, observations


def run(pack: Pack, backend: str, **kw: Any) -> list[AlertSet]:
    subjects, observations = population()
    out: list[AlertSet] = []
    previous = None
    for period in PERIODS[1:]:
        previous = evaluate(
            pack, subjects, observations, period, backend=backend, previous=previous, **kw
        )  # type: ignore[arg-type]
        out.append(previous)
    return out


def assert_same(left: list[AlertSet], right: list[AlertSet]) -> None:
    for a, b in zip(left, right, strict=True):
        assert a.to_records() == b.to_records()
        assert a.gap_records() == b.gap_records()


@pytest.fixture(scope="module")
def reference(pack: Pack) -> list[AlertSet]:
    result = run(pack, "columns")
    # The data must exercise what the backends could disagree on.
    statuses = {a.status.value for r in result for a in r}
    assert statuses == {"new", "ongoing", "escalated", "de_escalated", "resolved"}
    assert all(r.gaps for r in result)
    assert {a.rule for r in result for a in r} == {
        "credits",
        "attendance",
        "gpa_drop",
        "gpa_bottom",
        "satisfaction",
    }
    return result


def test_row_backend_matches_columns(pack: Pack, reference: list[AlertSet]) -> None:
    assert_same(reference, run(pack, "row"))


@pytest.mark.db
def test_sql_backend_matches_columns(pack: Pack, reference: list[AlertSet], db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert_same(reference, run(pack, "sql", connection=engine))
    finally:
        engine.dispose()


@pytest.mark.db
def test_sql_backend_reads_given_tables(pack: Pack, reference: list[AlertSet], db_url: str) -> None:
    subjects, observations = population()
    metadata = MetaData()
    subject_table = Table(
        "subjects",
        metadata,
        Column("subject_id", String(64), primary_key=True),
        Column("level", String(32)),
        Column("name", String(64)),
        Column("parent_id", String(64)),
        Column("major", String(64)),
        Column("grade", Double()),
    )
    observation_table = Table(
        "observations",
        metadata,
        Column("subject_id", String(64)),
        Column("indicator", String(64)),
        Column("period", String(16)),
        Column("value", Double()),
    )
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
            conn.execute(subject_table.insert(), subjects.to_records())
            conn.execute(observation_table.insert(), observations.to_records())
        with engine.connect() as conn:
            got = run(
                pack,
                "sql",
                connection=conn,
                observations_table=observation_table,
                subjects_table=subject_table,
            )
        assert_same(reference, got)
    finally:
        engine.dispose()
