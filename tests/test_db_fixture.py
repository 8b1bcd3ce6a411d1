"""The db_url fixture gives each test a real, clean database of every kind."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, inspect, select


def test_round_trip(db_url: str) -> None:
    engine = create_engine(db_url)
    meta = MetaData()
    table = Table(
        "probe", meta, Column("id", Integer, primary_key=True), Column("name", String(20))
    )
    try:
        assert inspect(engine).get_table_names() == []  # a clean schema per test
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": 1, "name": "到课率"}, {"id": 2, "name": "评教"}])
        with engine.connect() as conn:
            rows = conn.execute(select(table.c.name).order_by(table.c.id)).scalars().all()
        assert rows == ["到课率", "评教"]
        assert engine.dialect.name in {"sqlite", "postgresql", "mysql"}
    finally:
        engine.dispose()
