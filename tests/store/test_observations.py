"""Append-only observations: bulk ingest, idempotence, versions, as-of reads, faults."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select, text

from zhengai.data import Observations
from zhengai.model import Observation
from zhengai.store import BadObservations, ConnectionLost, Store
from zhengai.store.schema import observations as obs_table

pytestmark = pytest.mark.db

T0 = datetime(2025, 10, 1, tzinfo=UTC)


def columns(n: int, *, value: float = 0.9, period: str = "2025-2026-1") -> dict[str, Any]:
    """n students × 2 indicators as a dict of columns; every third value missing."""
    ids = [f"st{i:05d}" for i in range(n)]
    values = np.full(2 * n, value)
    values[::3] = np.nan
    return {
        "subject_id": ids + ids,
        "indicator": ["attendance_rate"] * n + ["gpa"] * n,
        "period": [period] * (2 * n),
        "value": values,
        "source": ["7.2"] * (2 * n),
    }


def stored_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        query = select(func.count()).where(obs_table.c.school_id == store.school)
        return int(conn.execute(query).scalar_one())


def test_ingest_stores_every_row_with_missing_values_as_null(store: Store) -> None:
    result = store.ingest(columns(50), recorded_at=T0)
    assert (result.submitted, result.added, result.skipped) == (100, 100, 0)
    got = store.observations(period="2025-2026-1")
    assert len(got) == 100
    assert int(np.isnan(got.value).sum()) == 34
    assert set(got.indicator) == {"attendance_rate", "gpa"}
    assert got.recorded_at[0] == np.datetime64(T0.replace(tzinfo=None), "us")
    assert got.to_models()[0].recorded_at == T0
    assert got.source[0] == "7.2"


def test_resubmitting_the_same_rows_adds_nothing(store: Store) -> None:
    store.ingest(columns(30))
    again = store.ingest(columns(30))
    assert (again.submitted, again.added) == (60, 0)
    assert stored_rows(store) == 60


def test_a_correction_is_a_new_version_that_supersedes_the_old(store: Store) -> None:
    store.ingest(columns(5, value=0.8), recorded_at=T0)
    first = store.observations(period="2025-2026-1")
    fix = {k: v[1:2] for k, v in columns(5, value=0.95).items()}
    result = store.ingest(fix, recorded_at=T0 + timedelta(days=3))
    assert result.added == 1
    versions = store.observation_versions("st00001", "attendance_rate", "2025-2026-1")
    assert len(versions) == 2
    assert versions.value.tolist() == [0.8, 0.95]
    assert versions.supersedes[1] == int(versions.id[0])
    latest = store.observations(period="2025-2026-1", subjects=["st00001"])
    by_indicator = dict(zip(latest.indicator, latest.value.tolist(), strict=True))
    assert by_indicator["attendance_rate"] == 0.95
    assert stored_rows(store) == len(first) + 1  # nothing was updated in place


def test_as_of_reproduces_what_a_past_reader_saw(store: Store) -> None:
    store.ingest(columns(3, value=0.7), recorded_at=T0)
    store.ingest(columns(3, value=0.6), recorded_at=T0 + timedelta(days=10))
    before = store.observations(period="2025-2026-1", as_of=T0 + timedelta(days=1))
    after = store.observations(period="2025-2026-1")
    assert sorted(set(before.value[~np.isnan(before.value)].tolist())) == [0.7]
    assert sorted(set(after.value[~np.isnan(after.value)].tolist())) == [0.6]
    assert store.observations(period="2025-2026-1", as_of=T0 - timedelta(days=1)).id.size == 0


def test_reads_filter_by_period_indicator_and_subject(store: Store) -> None:
    store.ingest(columns(4, period="2024-2025-2"))
    store.ingest(columns(4, period="2025-2026-1"))
    store.ingest(columns(4, period="2025-09"))
    assert len(store.observations()) == 24
    assert len(store.observations(period=["2024-2025-2", "2025-2026-1"])) == 16
    one = store.observations(period="2025-9", indicators=["gpa"], subjects=["st00001", "st00003"])
    assert sorted(one.subject_id) == ["st00001", "st00003"]
    assert set(one.indicator) == {"gpa"}
    assert set(one.period) == {"2025-09"}


def test_schools_do_not_see_each_others_observations(store: Store) -> None:
    store.ingest(columns(3))
    other = store.for_school(f"{store.school}-b")
    assert len(other.observations()) == 0
    assert other.ingest(columns(3)).added == 6  # the same rows are new for another school


def test_model_rows_and_columnar_observations_are_accepted(store: Store) -> None:
    rows = [
        Observation(subject_id="m1", indicator="employment_rate", period="2024-2025", value=0.93),
        Observation(
            subject_id="m2",
            indicator="employment_rate",
            period="2024-2025",
            value=None,
            source="9.1",
            recorded_at=T0,
        ),
    ]
    assert store.ingest(rows).added == 2
    data = Observations(
        ["m1", "m2", "m3"],
        ["employment_rate"] * 3,
        ["2024-2025"] * 3,
        [0.93, np.nan, 0.88],
        [None, "9.1", None],
        [None, T0.replace(tzinfo=None), None],
    )
    assert store.ingest(data).added == 1  # m1 and m2 are stored already
    back = store.observations(period="2024-2025").to_data()
    assert sorted(back.subject_id.tolist()) == ["m1", "m2", "m3"]


def test_progress_is_reported_per_batch(store: Store) -> None:
    seen: list[tuple[int, int]] = []
    store.ingest(
        columns(25), batch_size=20, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(20, 50), (40, 50), (50, 50)]


class Boom(RuntimeError):
    """The injected fault."""


def test_a_failure_halfway_leaves_the_store_as_it_was_and_a_retry_succeeds(store: Store) -> None:
    store.ingest(columns(10, period="2024-2025-2"))
    before = stored_rows(store)

    def explode(done: int, total: int) -> None:
        if done >= total // 2:
            raise Boom(f"killed at {done}/{total}")

    with pytest.raises(Boom):
        store.ingest(columns(40), batch_size=10, progress=explode)
    assert stored_rows(store) == before
    assert len(store.observations(period="2025-2026-1")) == 0
    result = store.ingest(columns(40), batch_size=10)
    assert result.added == 80
    assert stored_rows(store) == before + 80


def _kill_other_sessions(db_url: str) -> None:
    """Kill the store's server connections from outside, as an operator or a crash would."""
    admin = create_engine(db_url)
    with admin.connect() as conn:
        if admin.dialect.name == "postgresql":
            # Only the backend that is inside our ingest (others share this database):
            # its one COPY of the whole load is still running.
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE state IN ('active', 'idle in transaction') "
                    "AND query LIKE 'COPY zg\\_%' AND pid <> pg_backend_pid()"
                )
            )
        else:
            ids = conn.execute(
                text(
                    "SELECT id FROM information_schema.processlist "
                    "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
                )
            ).scalars()
            for pid in list(ids):
                conn.execute(text(f"KILL {int(pid)}"))
    admin.dispose()


def test_a_killed_connection_halfway_leaves_the_store_as_it_was(store: Store) -> None:
    if store.dialect == "sqlite":
        pytest.skip("an SQLite file has no server connection to kill")
    store.ingest(columns(10, period="2024-2025-2"))
    before = stored_rows(store)

    def kill(done: int, total: int) -> None:
        if done >= total // 2:
            _kill_other_sessions(store.engine.url.render_as_string(hide_password=False))

    with pytest.raises(ConnectionLost) as err:
        store.ingest(columns(40), batch_size=10, progress=kill)
    assert err.value.code == "store.connection_lost"
    assert err.value.hint == "nothing of this call was written; retry it"
    assert stored_rows(store) == before
    assert store.ingest(columns(40), batch_size=10).added == 80


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"period": ["2025-2026-1", "2025-2026-3"]},
            "store.bad_observations",
            "bad period '2025-2026-3'",
        ),
        ({"subject_id": ["a", ""]}, "store.bad_observations", "observation 2 has no subject_id"),
        ({"value": [1.0]}, "store.bad_observations", "column value has 1 values for 2 subject ids"),
        (
            {"value": [1.0, "很好"]},
            "store.bad_observations",
            "observation 2 has value '很好', which is not a number",
        ),
        (
            {"indicator": ["gpa", "g\x00pa"]},
            "store.bad_observations",
            "observation 2 has a NUL character in its indicator",
        ),
        (
            {"subject_id": ["a", "x" * 129]},
            "store.bad_observations",
            "observation 2 has a subject_id longer than 128 characters",
        ),
    ],
)
def test_bad_input_is_refused_with_its_row(
    store: Store, change: dict[str, Any], code: str, message: str
) -> None:
    data: dict[str, Any] = {
        "subject_id": ["a", "b"],
        "indicator": ["gpa", "gpa"],
        "period": ["2025-2026-1", "2025-2026-1"],
        "value": [1.0, 2.0],
    }
    data.update(change)
    with pytest.raises(BadObservations) as err:
        store.ingest(data)
    assert err.value.code == code
    assert err.value.message == message
    assert stored_rows(store) == 0


def test_a_missing_column_is_named(store: Store) -> None:
    with pytest.raises(BadObservations) as err:
        store.ingest({"subject_id": ["a"], "period": ["2025-2026-1"]})
    assert err.value.message == "observation columns missing: indicator, value"


def test_every_kind_of_cell_reads_back_as_it_was_given(store: Store) -> None:
    # The PostgreSQL load assembles binary COPY rows with numpy: texts of mixed widths
    # and scripts, NULLs in every nullable column, several periods of several kinds in
    # one call (one written non-canonically), given and missing times, both load paths.
    given = datetime(2025, 3, 1, 9, 30, 15, 123456)
    data = Observations(
        ["学生甲", "s", "st-000000000042", "学生甲", "m1", "m1", "学生乙"],
        ["到课率", "gpa", "attendance_rate", "gpa", "employment_rate", "到课率", "gpa"],
        [
            "2025-2026-1",
            "2025-2026-1",
            "2025-2026-2",
            "2025-2026-1",
            "2024-2025",
            "2025-9",
            "2025-2026-1",
        ],
        [0.875, np.nan, -1e300, 5e-324, 93.0, 0.0, np.nan],
        ["7.2", None, "", "教务系统", None, "7.2", None],
        np.array([given, None, None, given, given, None, None], dtype="datetime64[us]"),
    )
    assert store.ingest(data, recorded_at=T0, batch_size=3).added == 7

    def stored() -> set[tuple[Any, ...]]:
        back = store.observations(period=["2025-2026-1", "2025-2026-2", "2024-2025", "2025-09"])
        return {
            (s, i, p, None if np.isnan(v) else float(v), src, t.item())
            for s, i, p, v, src, t in zip(
                back.subject_id,
                back.indicator,
                back.period,
                back.value,
                back.source,
                back.recorded_at,
                strict=True,
            )
        }

    t0 = T0.replace(tzinfo=None)
    expected = {
        ("学生甲", "到课率", "2025-2026-1", 0.875, "7.2", given),
        ("s", "gpa", "2025-2026-1", None, None, t0),
        ("st-000000000042", "attendance_rate", "2025-2026-2", -1e300, "", t0),
        ("学生甲", "gpa", "2025-2026-1", 5e-324, "教务系统", given),
        ("m1", "employment_rate", "2024-2025", 93.0, None, given),
        ("m1", "到课率", "2025-09", 0.0, "7.2", t0),
        ("学生乙", "gpa", "2025-2026-1", None, None, t0),
    }
    assert stored() == expected
    # The periods hold data now: the staged path, with the same cells and one change.
    again = Observations(
        data.subject_id,
        data.indicator,
        data.period,
        np.where(np.arange(7) == 1, 0.5, data.value),
        data.source,
        data.recorded_at,
    )
    later = T0 + timedelta(days=1)
    assert store.ingest(again, recorded_at=later, batch_size=2).added == 1
    expected.remove(("s", "gpa", "2025-2026-1", None, None, t0))
    expected.add(("s", "gpa", "2025-2026-1", 0.5, None, later.replace(tzinfo=None)))
    assert stored() == expected
    versions = store.observation_versions("s", "gpa", "2025-2026-1")
    assert versions.value.tolist()[1] == 0.5
    assert versions.supersedes[1] == versions.id[0]


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One upgraded SQLite store for the property test; each example takes a new school."""
    st_ = Store(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'z.db'}")
    st_.upgrade()
    yield st_
    st_.engine.dispose()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    loads=st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["a", "b"]),
                st.sampled_from(["gpa", "attendance_rate"]),
                st.one_of(st.none(), st.sampled_from([0.5, 0.75, 1.0])),
            ),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_sequence_of_loads_reads_back_as_the_newest_added_values(
    sqlite_store: Store, loads: list[list[tuple[str, str, float | None]]]
) -> None:
    # A model of the contract: a row is added unless an identical row was stored before
    # this call; rows of one call are added in order, so the last added row per key wins.
    store = sqlite_store.for_school(f"p-{uuid.uuid4().hex[:10]}")
    stored: set[tuple[str, str, float | None]] = set()
    latest: dict[tuple[str, str], float | None] = {}
    for k, rows in enumerate(loads):
        new = [row for row in rows if row not in stored]
        for row in new:
            latest[row[:2]] = row[2]
        stored.update(new)
        result = store.ingest(
            {
                "subject_id": [r[0] for r in rows],
                "indicator": [r[1] for r in rows],
                "period": ["2025-2026-1"] * len(rows),
                "value": [r[2] for r in rows],
            },
            recorded_at=T0 + timedelta(minutes=k),
        )
        assert result.added == len(new)
    got = store.observations(period="2025-2026-1")
    read = {
        (s, i): (None if np.isnan(v) else float(v))
        for s, i, v in zip(got.subject_id, got.indicator, got.value, strict=True)
    }
    assert read == latest
