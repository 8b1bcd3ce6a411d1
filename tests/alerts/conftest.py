"""The fixture pack and a compact way to write subjects and observations."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import zhengai.alerts  # noqa: F401 - registers the self-test checker
from zhengai.data import Observations, Subjects
from zhengai.packs import Pack, load_pack

FIXTURE = Path(__file__).resolve().parents[1] / "packs" / "fixtures" / "warning"

#: subject -> period -> indicator id -> value
Table = Mapping[str, Mapping[str, Mapping[str, float | None]]]


@pytest.fixture(scope="session")
def pack() -> Pack:
    """The fixture pack with one rule of every shape."""
    return load_pack(FIXTURE)


def make_data(
    table: Table, *, level: str = "student", attributes: Mapping[str, Mapping[str, Any]] = {}
) -> tuple[Subjects, Observations]:
    """Subjects (all of ``level``) and observations from a nested mapping."""
    ids = list(table)
    keys = sorted({k for a in attributes.values() for k in a})
    subjects = Subjects(
        ids,
        [level] * len(ids),
        attributes={k: [attributes.get(i, {}).get(k) for i in ids] for k in keys},
    )
    rows = [
        (subject, indicator, period, value)
        for subject, periods in table.items()
        for period, values in periods.items()
        for indicator, value in values.items()
    ]
    observations = Observations(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )
    return subjects, observations


@pytest.fixture
def data() -> Any:
    """``data(table, level=…, attributes=…)`` → (Subjects, Observations)."""
    return make_data
