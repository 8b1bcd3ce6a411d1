"""Connections, schools, subjects, indicators and packs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from zhengai.model import Indicator, Level, Subject
from zhengai.store import BadSchoolId, BadStoreURL, IntegrityViolation, Store, UnknownTable

from .conftest import roster

pytestmark = pytest.mark.db


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "cannot parse database URL 'not a url'"),
        ("oracle://scott@db/orcl", "unsupported database 'oracle' in 'oracle://scott@db/orcl'"),
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(BadStoreURL) as err:
        Store(url)
    assert err.value.code == "store.bad_url"
    assert err.value.message == message
    assert err.value.hint is not None
    assert "sqlite:///" in err.value.hint


def test_a_missing_driver_names_the_extra_to_install() -> None:
    with pytest.raises(BadStoreURL) as err:
        Store("postgresql+nosuchdriver://u@h/db")
    assert err.value.message == "the driver for 'postgresql+nosuchdriver' is not installed"
    assert err.value.hint == "pip install 'zhengai[postgres]'"


def test_bad_school_ids_are_refused() -> None:
    with pytest.raises(BadSchoolId) as err:
        Store("sqlite://", school=" ")
    assert err.value.code == "store.bad_school_id"
    assert err.value.message == "bad school id ' '"
    assert err.value.hint == "a school id is 1–64 characters, e.g. '10001'"


def test_default_drivers_are_filled_in() -> None:
    st = Store("postgresql://u@localhost/db")
    assert st.engine.url.drivername == "postgresql+psycopg"
    my = Store("mysql://u@localhost/db")
    assert my.engine.url.drivername == "mysql+pymysql"
    assert my.engine.url.query["charset"] == "utf8mb4"


def test_sqlite_connections_have_foreign_keys_and_wal(tmp_path: Path) -> None:
    st = Store(f"sqlite:///{tmp_path / 'z.db'}")
    with st.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_subjects_round_trip_with_hierarchy_and_attributes(store: Store) -> None:
    assert store.add_subjects(roster(3)) == 6
    subjects = {s.id: s for s in store.subjects()}
    assert subjects["m1"].attributes == {"系": "商学院"}
    assert subjects["st2"].parent_id == "c1"
    assert subjects["st2"].level is Level.STUDENT
    assert [s.id for s in store.subjects(level="专业")] == ["m1"]
    store.add_subjects([Subject(id="m1", level="major", name="电子商务（新）", parent_id="school")])
    assert {s.id: s.name for s in store.subjects(level="major")} == {"m1": "电子商务（新）"}


def test_a_subject_with_an_unknown_parent_is_refused_and_nothing_is_written(store: Store) -> None:
    store.add_subjects(roster(1))
    with pytest.raises(IntegrityViolation) as err:
        store.add_subjects(
            [Subject(id="c9", level="class", parent_id="nope"), Subject(id="c8", level="class")]
        )
    assert err.value.code == "store.integrity"
    assert err.value.message.startswith("the database refused the write: ")
    assert sorted(s.id for s in store.subjects()) == ["c1", "m1", "school", "st0"]


def test_schools_never_see_each_other(store: Store) -> None:
    store.add_subjects(roster(2))
    other = store.for_school(f"{store.school}-b")
    assert other.subjects() == []
    other.add_subjects([Subject(id="m1", level="major", name="机电一体化")])
    assert {s.name for s in other.subjects()} == {"机电一体化"}
    assert {s.id: s.name for s in store.subjects(level="major")} == {"m1": "电子商务"}
    other.add_school("第二职业学院")
    schools = store.schools()
    assert schools[store.school] == store.school
    assert schools[other.school] == "第二职业学院"


def test_indicators_round_trip_as_a_catalog(store: Store) -> None:
    items = [
        Indicator(id="attendance_rate", name="到课率", aliases=("出勤率",), valid_range=(0, 1)),
        Indicator(id="complaints", name="投诉数", direction="lower_better", aggregator="sum"),
    ]
    assert store.add_indicators(items) == 2
    catalog = store.indicators()
    assert catalog.resolve("出勤率") == items[0]
    assert catalog["complaints"] == items[1]


def test_packs_are_stored_once_per_content(store: Store) -> None:
    first = store.save_pack("core", "1.0", "name: core\n")
    assert store.save_pack("core", "1.0", "name: core\n") == first
    assert store.save_pack("core", "1.1", "name: core\nrules: []\n") != first


def test_an_engine_and_a_session_can_be_passed(db_url: str) -> None:
    engine = create_engine(db_url)
    Store(engine).upgrade()
    Store(engine, school="s1").add_subjects([Subject(id="m1", level="major")])
    with Session(engine) as session:
        st = Store(session, school="s1")
        st.add_subjects([Subject(id="m2", level="major")])
        assert [s.id for s in st.subjects()] == ["m1", "m2"]
        session.rollback()  # the caller owns the transaction
    assert [s.id for s in Store(engine, school="s1").subjects()] == ["m1"]
    with Session(engine) as session:
        Store(session, school="s1").add_subjects([Subject(id="m3", level="major")])
        session.commit()
    assert [s.id for s in Store(engine, school="s1").subjects()] == ["m1", "m3"]
    engine.dispose()


def test_one_store_serves_many_threads(store: Store) -> None:
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for j in range(5):
                store.add_subjects([Subject(id=f"t{k}-{j}", level="teacher")])
                store.subjects(level="teacher")
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.subjects(level="teacher")) == 20


def test_evaluator_records_go_in_and_out_per_school(store: Store) -> None:
    pack = store.save_pack("core", "1.0", "name: core\n")
    now = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    store.insert_rows(
        "zg_runs",
        [
            {
                "pack_id": pack,
                "pack_name": "core",
                "pack_version": "1.0",
                "pack_hash": "abc",
                "period": "2025-2026-1",
                "as_of": now,
                "backend": "sql",
                "started_at": now,
                "finished_at": now,
                "timings": {"alerts": 1.5},
                "counts": {"alerts": 2},
            }
        ],
    )
    (run,) = store.rows("zg_runs")
    assert (run["backend"], run["counts"], run["as_of"]) == ("sql", {"alerts": 2}, now)
    alert = {
        "run_id": run["id"],
        "rule": "attendance_low",
        "subject_id": "st0",
        "period": "2025-2026-1",
        "severity": "黄",
        "status": "new",
        "message": "到课率 0.82 低于 0.9",
        "input_values": {"attendance_rate": 0.82},
    }
    assert store.insert_rows("zg_alerts", [alert, {**alert, "subject_id": "st1"}]) == 2
    assert [a["subject_id"] for a in store.rows("zg_alerts", run_id=run["id"])] == ["st0", "st1"]
    assert store.for_school(f"{store.school}-b").rows("zg_alerts") == []
    with pytest.raises(UnknownTable) as err:
        store.rows("zg_alert")
    assert err.value.code == "store.unknown_table"
    assert err.value.message == "no store table 'zg_alert'"
    assert err.value.hint == "did you mean 'zg_alerts'?"
