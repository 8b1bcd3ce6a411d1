"""Schema lifecycle: upgrade, revision checks, and data surviving an upgrade."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, inspect, text

from zhengai.store import (
    SchemaNotUpgraded,
    SchemaOutOfDate,
    SchemaTooNew,
    Store,
)
from zhengai.store.migrate import VERSION_TABLE, alembic_config, known_revisions
from zhengai.store.schema import index_applies, metadata

pytestmark = pytest.mark.db


def test_schema_lifecycle_from_nothing_to_head_and_back(db_url: str) -> None:
    st = Store(db_url, school="s1")
    assert st.current_revision() is None
    with pytest.raises(SchemaNotUpgraded) as missing:
        st.subjects()
    assert missing.value.code == "store.schema_not_upgraded"
    assert (
        str(missing.value)
        == "the database has no zhengai schema, run store.upgrade() once to create it"
    )

    st.upgrade("0001")
    with pytest.raises(SchemaOutOfDate) as old:
        st.subjects()
    assert old.value.code == "store.schema_out_of_date"
    assert (
        old.value.message
        == f"the schema is at revision 0001, this zhengai needs {Store.head_revision()}"
    )
    assert old.value.hint == "run store.upgrade() (back up the database first)"

    st.upgrade()
    st.upgrade()  # a second upgrade is a no-op
    assert st.current_revision() == Store.head_revision() == known_revisions()[-1]
    assert st.subjects() == []
    tables = set(inspect(st.engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert VERSION_TABLE in tables
    with st.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": False, "include_object": _on_this_database(conn)}
        )
        assert [d for d in compare_metadata(context, metadata) if _relevant(d)] == []

    with st.engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    fresh = Store(st.engine, school="s1")  # a new process meeting a newer schema
    with pytest.raises(SchemaTooNew) as new:
        fresh.subjects()
    assert new.value.code == "store.schema_too_new"
    assert new.value.message == (
        f"the schema is at revision 9999, unknown to this zhengai (newest {Store.head_revision()})"
    )
    with st.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {VERSION_TABLE} SET version_num = :v"), {"v": Store.head_revision()}
        )
        command.downgrade(alembic_config(conn), "base")
    assert st.current_revision() is None
    assert not set(metadata.tables) & set(inspect(st.engine).get_table_names())
    st.engine.dispose()


def _on_this_database(conn: Connection) -> Callable[..., bool]:
    """Alembic's filter: leave out the indexes the metadata declares for other databases."""

    def include(obj: object, name: str | None, type_: str, reflected: bool, other: object) -> bool:
        return type_ != "index" or index_applies(name, conn.dialect.name)

    return include


def _relevant(change: object) -> bool:
    # Alembic reports its own version table as "not in the metadata"; everything else counts.
    return not (
        isinstance(change, tuple)
        and change[0] == "remove_table"
        and change[1].name == VERSION_TABLE
    )


def test_upgrading_from_the_first_revision_keeps_every_row(db_url: str) -> None:
    st = Store(db_url, school="s1")
    st.upgrade("0001")
    at = datetime(2025, 10, 1, 8, 30, 15, 123456)
    with st.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO zg_schools (id, name, created_at) VALUES ('s1', '一校', :at)"),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO zg_subjects (school_id, id, level, name, parent_id, attributes, "
                "updated_at) VALUES ('s1', 'm1', 'major', '电子商务', NULL, :attrs, :at)"
            ),
            {"at": at, "attrs": '{"系": "商学院"}'},
        )
        for i, value in enumerate([0.91, 0.87, None]):
            conn.execute(
                text(
                    "INSERT INTO zg_observations (school_id, subject_id, indicator, period, "
                    "period_kind, period_ordinal, value, source, recorded_at, supersedes) VALUES "
                    "('s1', 'm1', 'attendance_rate', '2025-2026-1', 'term', 4050, :v, '7.2', "
                    ":at, NULL)"
                ),
                {"v": value, "at": at.replace(second=i)},
            )
        conn.execute(
            text(
                "INSERT INTO zg_spiral_states (school_id, subject_id, loop_id, state, small_state, "
                "cycle, version, entered_at, updated_at) VALUES "
                "('s1', 'm1', 'five_step', 'diagnose', NULL, 2, 7, :at, :at)"
            ),
            {"at": at},
        )
    st.upgrade()
    assert st.current_revision() == Store.head_revision()
    assert [(s.id, s.name, s.attributes) for s in st.subjects()] == [
        ("m1", "电子商务", {"系": "商学院"})
    ]
    versions = st.observation_versions("m1", "attendance_rate", "2025-2026-1")
    assert len(versions) == 3
    assert versions.value[:2].tolist() == [0.91, 0.87]
    assert versions.recorded_at[0] == np.datetime64(at.replace(second=0), "us")
    latest = st.observations(period="2025-2026-1")
    assert len(latest) == 1
    assert latest.recorded_at[0] == np.datetime64(at.replace(second=2), "us")
    state = st.spiral_state("m1", "five_step")
    assert state is not None
    assert (state.state, state.cycle, state.version) == ("diagnose", 2, 7)
    names = {ix["name"] for ix in inspect(st.engine).get_indexes("zg_observations")}
    if st.engine.dialect.name == "postgresql":
        # Revision 0004: BRIN on the period columns and hash on subject_id instead.
        assert names == {"ix_zg_observations_period", "ix_zg_observations_subject"}
        with st.engine.connect() as conn:
            definitions = dict(
                conn.execute(
                    text(
                        "SELECT indexname, indexdef FROM pg_indexes "
                        "WHERE tablename = 'zg_observations' AND indexname LIKE 'ix_%'"
                    )
                ).all()
            )
        assert (
            "USING brin (school_id, period_kind, period_ordinal)"
            in (definitions["ix_zg_observations_period"])
        )
        assert definitions["ix_zg_observations_period"].endswith("WITH (autosummarize='on')")
        assert "USING hash (subject_id)" in definitions["ix_zg_observations_subject"]
    else:
        assert names == {"ix_zg_observations_key"}
    gap_indexes = {
        ix["name"]: ix["column_names"] for ix in inspect(st.engine).get_indexes("zg_data_gaps")
    }
    assert gap_indexes["ix_zg_data_gaps_run"] == ["school_id", "run_id"]  # revision 0005
    st.engine.dispose()


def test_no_alembic_ini_is_needed(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(str(tmp_path))
    engine = create_engine("sqlite://")
    st = Store(engine)
    st.upgrade()
    assert st.current_revision() == Store.head_revision()
