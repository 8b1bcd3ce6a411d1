"""Only the rules whose cadence matches the period's kind are evaluated, in every backend."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from zhengai.alerts import AlertSet, FramePopulation, evaluate, evaluate_populations
from zhengai.alerts.batch import history_needed, rules_by_level
from zhengai.data import Observations, Subjects
from zhengai.model import AlertStatus, Level, Period
from zhengai.packs import Pack, load_pack

PACK = {
    "pack.yaml": """\
        name: cadence
        version: 1.0.0
        severities: [红, 黄]
        """,
    "indicators.yaml": """\
        indicators:
          - {id: attendance_rate, name: 到课率, levels: [学生]}
        """,
    # Three rules on the same condition; only their cadence differs.
    "rules/student.yaml": """\
        rules:
          - {id: each_term, name: 学期, level: 学生, when: 到课率<0.9, severity: 黄, cadence: 学期}
          - {id: each_year, name: 学年, level: 学生, when: 到课率<0.9, severity: 红, cadence: year}
          - {id: always, name: 每期, level: 学生, when: 到课率 < 0.9, severity: 黄}
          - id: year_falling
            name: 逐年下降
            level: 学生
            cadence: 学年
            when: decreasing(到课率, 2)
            severity: 黄
        """,
}


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    root = tmp_path_factory.mktemp("cadence")
    for name, text in PACK.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return load_pack(Path(root))


def population() -> tuple[Subjects, Observations]:
    """s1 is low in the term and in the year; s2 has no data at all.

    s1's attendance: 0.95 in 2024-2025, 0.80 in 2025-2026-1 and 0.85 in 2025-2026:
    compared year with year it fell (0.95 → 0.85); the term value must not be
    what the year rule compares with (0.80 → 0.85 would be a rise).
    """
    subjects = Subjects(["s1", "s2"], ["student", "student"])
    rows = [
        ("s1", "2024-2025", 0.95),
        ("s1", "2025-2026-1", 0.80),
        ("s1", "2025-2026", 0.85),
    ]
    observations = Observations(
        [r[0] for r in rows], ["attendance_rate"] * len(rows), [r[1] for r in rows],
        [r[2] for r in rows],
    )  # fmt: skip
    return subjects, observations


def _summary(result: AlertSet) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    alerts = {(a.rule, a.subject_id, a.severity) for a in result.alerts}
    gaps = {(g.rule, g.subject_id) for g in result.gaps}
    return alerts, gaps


#: Hand-computed: at a term the year rules do not run (no alert, no gap), and vice versa.
AT_TERM = (
    {("each_term", "s1", "黄"), ("always", "s1", "黄")},
    {("each_term", "s2"), ("always", "s2")},
)
AT_YEAR = (
    {("each_year", "s1", "红"), ("always", "s1", "黄"), ("year_falling", "s1", "黄")},
    {("each_year", "s2"), ("always", "s2"), ("year_falling", "s2")},
)


def _run(pack: Pack, period: str, backend: str, **kwargs: Any) -> AlertSet:
    subjects, observations = population()
    return evaluate(pack, subjects, observations, period, backend=backend, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["columns", "row"])
def test_in_memory_backends(pack: Pack, backend: str) -> None:
    term = _run(pack, "2025-2026-1", backend)
    assert _summary(term) == AT_TERM
    assert term.skipped == ("each_year", "year_falling")
    year = _run(pack, "2025-2026", backend)
    assert _summary(year) == AT_YEAR
    assert year.skipped == ("each_term",)
    assert "1 rules not due" in repr(year)
    assert json.loads(year.to_json())["skipped"] == ["each_term"]


def test_sql_backend(pack: Pack, db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        term = _run(pack, "2025-2026-1", "sql", connection=engine)
        year = _run(pack, "2025-2026", "sql", connection=engine)
    finally:
        engine.dispose()
    assert (_summary(term), term.skipped) == (AT_TERM, ("each_year", "year_falling"))
    assert (_summary(year), year.skipped) == (AT_YEAR, ("each_term",))


def test_evaluate_populations_filters_too(pack: Pack) -> None:
    subjects, observations = population()
    period = Period.parse("2025-2026")
    rules = rules_by_level(pack, period)[Level.STUDENT]
    assert [r.id for r in rules] == ["each_year", "always", "year_falling"]
    ids, frame = observations.frame(
        period, subjects, ["attendance_rate"], history=history_needed(rules)
    )
    populations = {Level.STUDENT: FramePopulation(ids, frame, subjects)}
    result = evaluate_populations(pack, period, populations)
    assert (_summary(result), result.skipped) == (AT_YEAR, ("each_term",))


def test_lifecycle_of_a_year_rule_across_years(pack: Pack) -> None:
    subjects = Subjects(["s1"], ["student"])
    observations = Observations(
        ["s1", "s1", "s1"],
        ["attendance_rate"] * 3,
        ["2024-2025", "2025-2026-1", "2025-2026"],
        [0.5, 0.95, 0.5],
    )
    last_year = evaluate(pack, subjects, observations, "2024-2025")
    now = evaluate(pack, subjects, observations, "2025-2026", previous=last_year)
    (alert,) = now.filter(rule="each_year").alerts
    # The term in between (0.95) is not a year: the year rule's alert goes on.
    assert (alert.status, alert.streak, str(alert.since)) == (
        AlertStatus.ONGOING,
        2,
        "2024-2025",
    )
