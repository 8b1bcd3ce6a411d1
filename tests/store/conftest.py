"""Fixtures for the store tests: an upgraded store on each database of ``db_url``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zhengai.model import Subject
from zhengai.store import Store


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store for school ``s1`` on an upgraded, empty database."""
    st = Store(db_url, school="s1")
    st.upgrade()
    yield st
    st.engine.dispose()


def roster(n_students: int = 4) -> list[Subject]:
    """A school → major → class → students hierarchy (children listed before parents)."""
    students = [
        Subject(id=f"st{i}", level="学生", name=f"学生{i}", parent_id="c1")
        for i in range(n_students)
    ]
    return [
        *students,
        Subject(id="c1", level="class", name="电商2301班", parent_id="m1"),
        Subject(
            id="m1", level="major", name="电子商务", parent_id="school", attributes={"系": "商学院"}
        ),
        Subject(id="school", level="school", name="某某职业技术学院"),
    ]
