"""Schema lifecycle: upgrade, revision checks, and data surviving an upgrade."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from zhengai.store import (
    SchemaNotUpgraded,
    SchemaOutOfDate,
    SchemaTooNew,
    Store,
)
from zhengai.store.migrate import VERSION_TABLE, known_revisions
from zhengai.store.schema import metadata

pytestmark = pytest.mark.db


def test_upgrade_creates_the_schema_at_head(db_url: str) -> None:
    st = Store(db_url, school="s1")
    assert st.current_revision() is None
    st.upgrade()
    assert st.current_revision() == Store.head_revision() == known_revisions()[-1]
    tables = set(inspect(st.engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert VERSION_TABLE in tables
    st.upgrade()  # idempotent
    assert st.current_revision() == Store.head_revision()
    st.engine.dispose()


def test_a_store_without_schema_says_to_upgrade(db_url: str) -> None:
    st = Store(db_url, school="s1")
    with pytest.raises(SchemaNotUpgraded) as err:
        st.subjects()
    assert err.value.code == "store.schema_not_upgraded"
    assert (
        str(err.value)
        == "the database has no zhengai schema, run store.upgrade() once to create it"
    )
    st.engine.dispose()


def test_an_old_schema_says_to_upgrade(db_url: str) -> None:
    st = Store(db_url, school="s1")
    st.upgrade("0001")
    with pytest.raises(SchemaOutOfDate) as err:
        st.subjects()
    assert err.value.code == "store.schema_out_of_date"
    assert (
        err.value.message
        == f"the schema is at revision 0001, this zhengai needs {Store.head_revision()}"
    )
    assert err.value.hint is not None
    assert "store.upgrade()" in err.value.hint
    st.upgrade()
    assert st.subjects() == []
    st.engine.dispose()


def test_a_newer_schema_is_refused(db_url: str) -> None:
    st = Store(db_url, school="s1")
    st.upgrade()
    with st.engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew) as err:
        st.subjects()
    assert err.value.code == "store.schema_too_new"
    assert "9999" in err.value.message
    st.engine.dispose()


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
    assert versions.recorded_at[0] == at.replace(second=0, tzinfo=UTC)
    latest = st.observations(period="2025-2026-1")
    assert len(latest) == 1
    assert latest.recorded_at[0].second == 2
    state = st.spiral_state("m1", "five_step")
    assert state is not None
    assert (state.state, state.cycle, state.version) == ("diagnose", 2, 7)
    names = {ix["name"] for ix in inspect(st.engine).get_indexes("zg_observations")}
    assert "ix_zg_observations_key" in names
    st.engine.dispose()


def test_the_migrations_build_exactly_the_declared_schema(db_url: str) -> None:
    st = Store(db_url, school="s1")
    st.upgrade()
    with st.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, metadata) if _relevant(d)]
    assert diff == []
    st.engine.dispose()


def _relevant(change: object) -> bool:
    # Alembic reports its own version table as "not in the metadata"; everything else counts.
    return not (
        isinstance(change, tuple)
        and change[0] == "remove_table"
        and change[1].name == VERSION_TABLE
    )


def test_downgrade_to_base_and_back(db_url: str) -> None:
    st = Store(db_url, school="s1")
    st.upgrade()
    from alembic import command

    from zhengai.store.migrate import alembic_config

    with st.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert st.current_revision() is None
    assert not set(metadata.tables) & set(inspect(st.engine).get_table_names())
    st.upgrade()
    assert st.current_revision() == Store.head_revision()
    st.engine.dispose()


def test_no_alembic_ini_is_needed(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(str(tmp_path))
    engine = create_engine("sqlite://")
    st = Store(engine)
    st.upgrade()
    assert st.current_revision() == Store.head_revision()
