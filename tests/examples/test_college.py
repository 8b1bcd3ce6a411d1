"""The example college: determinism, sizes, hierarchy, realism and the planted problems."""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

from zhengai.chain import GoalChain
from zhengai.data import UnknownSubject, load_observations, load_subjects
from zhengai.examples import (
    MISSING_SHARE,
    RATE_INDICATORS,
    SIZES,
    WARNING_LADDER,
    BadExampleOption,
    College,
    college,
)
from zhengai.examples.names import SPECIAL_PLANS
from zhengai.model import Level, Period, System
from zhengai.model.goal import Goal


@pytest.fixture(scope="module")
def small() -> College:
    return college(seed=0, size="small")


@pytest.fixture(scope="module")
def medium() -> College:
    return college(seed=1, size="medium")


def _columns(c: College) -> dict[str, Any]:
    obs = c.observations
    return {
        "subject_id": obs.subject_id,
        "indicator": obs.indicator,
        "period": obs.period,
        "value": obs.value,
    }


def _wide(c: College, level: Level, indicator: str, periods: list[str]) -> dict[str, list[float]]:
    """Values of one indicator for every subject of ``level``, NaN where missing or absent."""
    ids = {s.id for s in c.subjects_at(level)}
    cols = _columns(c)
    out: dict[str, list[float]] = {i: [math.nan] * len(periods) for i in ids}
    slot = {p: k for k, p in enumerate(periods)}
    rows = np.flatnonzero(cols["indicator"] == indicator)
    for i in rows.tolist():
        sid, per = cols["subject_id"][i], cols["period"][i]
        if sid in ids and per in slot:
            out[sid][slot[per]] = float(cols["value"][i])
    return out


# -- determinism ------------------------------------------------------------------------
def test_same_seed_gives_identical_college() -> None:
    a, b = college(seed=7, size="small"), college(seed=7, size="small")
    assert a.subjects == b.subjects
    for name, column in _columns(a).items():
        other = _columns(b)[name]
        if name == "value":
            assert np.array_equal(column, other, equal_nan=True)
        else:
            assert column.tolist() == other.tolist()
    assert a.goals == b.goals
    assert a.edges == b.edges
    assert a.planted == b.planted


_DIGEST = """
import hashlib, json
from zhengai.examples import college
c = college(5, "small")
h = hashlib.sha256(c.observations.value.tobytes())
h.update("".join(c.observations.subject_id.tolist()).encode())
h.update(json.dumps([c.goals, c.edges], ensure_ascii=False, sort_keys=True).encode())
h.update(repr([s.model_dump() for s in c.subjects]).encode())
h.update(repr(c.planted).encode())
print(h.hexdigest())
"""


def test_same_seed_gives_identical_college_across_processes() -> None:
    digests = {
        subprocess.run(
            [sys.executable, "-c", _DIGEST],
            env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in (1, 2)
    }
    assert len(digests) == 1
    assert len(digests.pop().strip()) == 64


def test_another_seed_gives_another_college() -> None:
    a, b = college(seed=7, size="small"), college(seed=8, size="small")
    assert [s.name for s in a.subjects_at(Level.STUDENT)] != [
        s.name for s in b.subjects_at(Level.STUDENT)
    ]
    assert not np.array_equal(a.observations.value, b.observations.value, equal_nan=True)


# -- sizes ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "students", "majors", "colleges", "courses", "teachers"),
    [
        ("small", (250, 350), (6, 6), (3, 3), (30, 40), (12, 36)),
        ("medium", (4500, 5500), (38, 42), (6, 8), (450, 700), (250, 400)),
        ("large", (28000, 32000), (75, 85), (10, 12), (1800, 2200), (1200, 1700)),
    ],
)
def test_sizes(
    size: str,
    students: tuple[int, int],
    majors: tuple[int, int],
    colleges: tuple[int, int],
    courses: tuple[int, int],
    teachers: tuple[int, int],
) -> None:
    c = college(seed=0, size=size)  # type: ignore[arg-type]
    counts = c.counts()
    second_level = [
        s for s in c.subjects_at(Level.DEPARTMENT) if s.attributes.get("kind") == "二级学院"
    ]
    assert students[0] <= counts[Level.STUDENT] <= students[1]
    assert majors[0] <= counts[Level.MAJOR] <= majors[1]
    assert colleges[0] <= len(second_level) <= colleges[1]
    assert courses[0] <= counts[Level.COURSE] <= courses[1]
    assert teachers[0] <= counts[Level.TEACHER] <= teachers[1]
    assert counts[Level.SCHOOL] == 1
    assert counts[Level.MAJOR_GROUP] >= len(second_level)


def test_sizes_table_names_three_sizes() -> None:
    assert list(SIZES) == ["small", "medium", "large"]


# -- structure ------------------------------------------------------------------------------
def test_departments_cover_the_five_systems(medium: College) -> None:
    departments = [
        s for s in medium.subjects_at(Level.DEPARTMENT) if s.attributes["kind"] != "教研室"
    ]
    systems = {System(str(s.attributes["system"])) for s in departments}
    assert systems == set(System)
    colleges = [s for s in departments if s.attributes["kind"] == "二级学院"]
    assert all(s.attributes["system"] == System.QUALITY.value for s in colleges)
    assert all(s.parent_id == "SCH" for s in departments)


_PARENT_LEVEL = {
    Level.STUDENT: {Level.CLASS},
    Level.CLASS: {Level.MAJOR},
    Level.MAJOR: {Level.MAJOR_GROUP},
    Level.MAJOR_GROUP: {Level.DEPARTMENT},
    Level.COURSE: {Level.MAJOR},
    Level.TEACHER: {Level.DEPARTMENT},
    Level.DEPARTMENT: {Level.DEPARTMENT, Level.SCHOOL},
}


def test_hierarchy_is_consistent(medium: College) -> None:
    ids = [s.id for s in medium.subjects]
    assert len(ids) == len(set(ids))
    graph = nx.DiGraph()
    for s in medium.subjects:
        if s.parent_id is None:
            assert s.level is Level.SCHOOL
            continue
        parent = medium.subject(s.parent_id)  # KeyError if the parent does not exist
        assert parent.level in _PARENT_LEVEL[s.level], (s.id, parent.id)
        graph.add_edge(s.parent_id, s.id)
    assert nx.is_directed_acyclic_graph(graph)
    assert set(nx.descendants(graph, "SCH")) == set(ids) - {"SCH"}
    # teachers sit in a 教研室 of a 二级学院
    for teacher in medium.subjects_at(Level.TEACHER):
        office = medium.subject(str(teacher.parent_id))
        assert office.attributes["kind"] == "教研室"
        assert medium.subject(str(office.parent_id)).attributes["kind"] == "二级学院"


def test_students_carry_their_attributes(small: College) -> None:
    for student in small.subjects_at(Level.STUDENT):
        a = student.attributes
        klass = small.subject(str(a["class"]))
        assert student.parent_id == klass.id
        assert klass.parent_id == a["major"]
        assert small.subject(str(a["department"])).attributes["kind"] == "二级学院"
        assert a["grade"] == f"{a['cohort']}级"
        assert a["gender"] in ("男", "女")
    cohorts = Counter(s.attributes["cohort"] for s in small.subjects_at(Level.STUDENT))
    assert set(cohorts) == {2023, 2024, 2025}


def test_every_teacher_teaches_a_course(medium: College) -> None:
    taught = {c.attributes["teacher"] for c in medium.subjects_at(Level.COURSE)}
    assert taught == {t.id for t in medium.subjects_at(Level.TEACHER)}


def test_periods_are_three_years_of_terms(small: College) -> None:
    assert [str(t) for t in small.periods.terms] == [
        "2023-2024-1",
        "2023-2024-2",
        "2024-2025-1",
        "2024-2025-2",
        "2025-2026-1",
        "2025-2026-2",
    ]
    assert [str(y) for y in small.periods.years] == ["2023-2024", "2024-2025", "2025-2026"]
    assert str(small.periods.latest_term) == "2025-2026-2"
    assert str(small.periods.latest_year) == "2025-2026"
    assert small.periods.all() == sorted(small.periods.all())
    observed = set(_columns(small)["period"].tolist())
    assert observed == {str(p) for p in small.periods.all()}


def test_first_year_moves_the_whole_college() -> None:
    c = college(seed=0, size="small", first_year=2020)
    assert str(c.periods.latest_term) == "2022-2023-2"
    assert {s.attributes["cohort"] for s in c.subjects_at(Level.STUDENT)} == {2020, 2021, 2022}
    assert c.goals[0]["end"] == "2022-2023"


# -- the data -------------------------------------------------------------------------------
def test_every_value_is_in_its_indicators_range_and_level(medium: College) -> None:
    cols = _columns(medium)
    levels = {s.id: s.level for s in medium.subjects}
    for indicator in set(cols["indicator"].tolist()):
        spec = medium.catalog[indicator]  # every observed indicator is in the catalog
        rows = cols["indicator"] == indicator
        values = cols["value"][rows]
        values = values[~np.isnan(values)]
        low, high = spec.valid_range or (None, None)
        assert low is None or values.min() >= low, indicator
        assert high is None or values.max() <= high, indicator
        observed_levels = {levels[s] for s in set(cols["subject_id"][rows].tolist())}
        assert observed_levels <= set(spec.levels), indicator


def test_rates_are_fractions_not_percents(medium: College) -> None:
    cols = _columns(medium)
    rates = np.isin(cols["indicator"], list(RATE_INDICATORS))
    values = cols["value"][rates]
    values = values[~np.isnan(values)]
    assert len(values) > 10_000
    assert values.max() <= 1.0
    assert values.min() > 0.3  # no rate was written as 0 or in percent
    assert {"attendance_rate", "initial_employment_rate", "student_evaluation"} <= RATE_INDICATORS


def test_missing_values_are_nan_not_zero(medium: College, small: College) -> None:
    cols = _columns(medium)
    missing = np.isnan(cols["value"])
    member_level = np.isin(
        cols["indicator"], ["gpa", "attendance_rate", "student_evaluation", "failed_credits"]
    )
    share = missing[member_level].mean()
    assert 0.02 <= share <= 0.05
    assert abs(share - MISSING_SHARE) < 0.01
    # the Python objects carry None for a missing value
    obs = small.observations
    row = int(np.flatnonzero(np.isnan(obs.value))[0])
    first_missing = next(
        o
        for o in small.to_observations()
        if o.subject_id == obs.subject_id[row]
        and o.indicator == obs.indicator[row]
        and str(o.period) == obs.period[row]
    )
    assert first_missing.value is None
    # rates that are missing were not replaced by zeros
    rate_rows = np.isin(cols["indicator"], list(RATE_INDICATORS))
    assert not (cols["value"][rate_rows] == 0).any()


def test_no_duplicate_observations(small: College) -> None:
    cols = _columns(small)
    keys = list(zip(cols["subject_id"], cols["indicator"], cols["period"], strict=True))
    assert len(keys) == len(set(keys))


def test_attendance_falls_with_failed_credits(medium: College) -> None:
    cols = _columns(medium)
    students = {s.id for s in medium.subjects_at(Level.STUDENT)}
    pairs: dict[tuple[str, str], dict[str, float]] = {}
    for indicator in ("attendance_rate", "failed_credits"):
        rows = np.flatnonzero(cols["indicator"] == indicator)
        for i in rows.tolist():
            sid = cols["subject_id"][i]
            if sid in students:
                pairs.setdefault((sid, cols["period"][i]), {})[indicator] = cols["value"][i]
    both = np.array(
        [(v["attendance_rate"], v["failed_credits"]) for v in pairs.values() if len(v) == 2]
    )
    both = both[~np.isnan(both).any(axis=1)]
    assert np.corrcoef(both[:, 0], both[:, 1])[0, 1] < -0.1


def test_senior_teachers_publish_more(medium: College) -> None:
    year = str(medium.periods.latest_year)
    papers: dict[str, list[float]] = {}
    for teacher in medium.subjects_at(Level.TEACHER):
        value = medium.value(teacher.id, "reform_papers", year)
        if value is not None:
            papers.setdefault(str(teacher.attributes["title"]), []).append(value)
    means = [np.mean(papers[title]) for title in ("助教", "讲师", "副教授", "教授")]
    assert means == sorted(means)


def test_teacher_evaluation_persists_across_terms(medium: College) -> None:
    terms = [str(t) for t in medium.periods.terms]
    wide = np.array(list(_wide(medium, Level.TEACHER, "student_evaluation", terms).values()))
    first, last = wide[:, 0], wide[:, -1]
    ok = ~np.isnan(first) & ~np.isnan(last)
    assert np.corrcoef(first[ok], last[ok])[0, 1] > 0.5
    assert 0.85 < np.nanmean(wide) < 0.95


def test_employment_rates_sit_around_ninety_percent(medium: College) -> None:
    years = [str(y) for y in medium.periods.years]
    wide = np.array(list(_wide(medium, Level.MAJOR, "initial_employment_rate", years).values()))
    assert 0.88 < np.nanmean(wide) < 0.94
    assert np.nanstd(wide) < 0.05


def test_aggregates_follow_their_aggregator(small: College) -> None:
    year = str(small.periods.latest_year)
    colleges = [
        s.id for s in small.subjects_at(Level.DEPARTMENT) if s.attributes["kind"] == "二级学院"
    ]
    checked = 0
    for indicator in ("tech_service_income", "reform_papers"):
        assert small.catalog[indicator].aggregator.value == "sum"
        for period in small.periods.years:
            parts = [small.value(c, indicator, period) for c in colleges]
            present = [v for v in parts if v is not None]
            if len(present) == len(parts):  # a missing part cannot be summed
                school = small.value("SCH", indicator, period)
                assert school == pytest.approx(sum(present), abs=0.2), (indicator, period)
                checked += 1
    assert checked >= 3
    departments = [
        s.id for s in small.subjects_at(Level.DEPARTMENT) if s.attributes["kind"] != "教研室"
    ]
    handled = [small.value(d, "complaint_handling_rate", year) for d in departments]
    assert small.value("SCH", "complaint_handling_rate", year) == min(
        v for v in handled if v is not None
    )


# -- planted problems -----------------------------------------------------------------------
_KINDS = {
    "attendance_falling",
    "low_evaluation",
    "employment_falling",
    "academic_warning_blue",
    "academic_warning_yellow",
    "academic_warning_orange",
    "academic_warning_red",
    "targets_not_adding_up",
    "fitness_below_standard",
    "plan_completion_low",
    "complaints_unhandled",
    "data_gap",
}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_kind_is_planted_once_where_it_says(seed: int) -> None:
    c = college(seed=seed, size="small")
    assert Counter(p.kind for p in c.planted) == dict.fromkeys(_KINDS, 1)
    goal_ids = {g["id"] for g in c.goals}
    periods = {str(p) for p in c.periods.all()}
    for problem in c.planted:
        assert problem.description
        for sid in problem.subject_ids:
            c.subject(sid)
        assert set(problem.goal_ids) <= goal_ids
        assert set(problem.periods) <= periods
        assert problem.indicator is None or problem.indicator in c.catalog


@pytest.mark.parametrize("size", ["small", "medium"])
def test_planted_course_attendance_falls_two_terms_below_ninety(size: str) -> None:
    c = college(seed=0, size=size)  # type: ignore[arg-type]
    (problem,) = c.planted_of("attendance_falling")
    (course,) = problem.subject_ids
    assert c.subject(course).level is Level.COURSE
    values = [v for v in c.series(course, "attendance_rate", "term").values() if v is not None]
    assert len(values) == 6
    before, first, second = values[-3:]
    assert before >= 0.9 > first > second


def test_planted_teacher_is_in_the_bottom_tenth(medium: College) -> None:
    (problem,) = medium.planted_of("low_evaluation")
    (teacher,) = problem.subject_ids
    latest = str(medium.periods.latest_term)
    values = np.array(
        [
            v[0]
            for v in _wide(medium, Level.TEACHER, "student_evaluation", [latest]).values()
            if not math.isnan(v[0])
        ]
    )
    mine = medium.value(teacher, "student_evaluation", latest)
    assert mine is not None
    assert mine < 0.7
    assert mine <= np.quantile(values, 0.1)
    assert mine == values.min()


def test_planted_major_employment_keeps_falling(medium: College) -> None:
    (problem,) = medium.planted_of("employment_falling")
    (major,) = problem.subject_ids
    assert medium.subject(major).level is Level.MAJOR
    values = [v for v in medium.series(major, "initial_employment_rate").values() if v is not None]
    assert len(values) == 3
    assert values[0] > values[1] > values[2]


def _warning_level(values: dict[str, float]) -> str | None:
    """The highest rung of WARNING_LADDER whose predicates any value meets."""
    found = None
    for level, rule in WARNING_LADDER.items():
        hit = (
            values["failed_courses"] >= rule.get("failed_courses_min", math.inf)
            or values["cum_failed_courses"] >= rule.get("cum_failed_courses_min", math.inf)
            or values["cum_failed_credits"] >= rule.get("cum_failed_credits_min", math.inf)
            or values["earned_credits"] < rule.get("earned_credits_below", -math.inf)
            or values["gpa"] < rule.get("gpa_below", -math.inf)
        )
        if hit:
            found = level
    return found


@pytest.mark.parametrize("level", ["blue", "yellow", "orange", "red"])
def test_planted_students_reach_each_warning_level(medium: College, level: str) -> None:
    (problem,) = medium.planted_of(f"academic_warning_{level}")
    (student,) = problem.subject_ids
    assert medium.subject(student).level is Level.STUDENT
    latest = str(medium.periods.latest_term)
    names = (
        "failed_courses",
        "failed_credits",
        "cum_failed_courses",
        "cum_failed_credits",
        "earned_credits",
        "gpa",
    )
    values = {name: medium.value(student, name, latest) for name in names}
    assert None not in values.values()
    data = {k: float(v) for k, v in values.items() if v is not None}
    assert _warning_level(data) == level
    assert data == {k: problem.expected[k] for k in names}
    # cumulative values are the sums of the term values
    for term_name, cum_name in (
        ("failed_courses", "cum_failed_courses"),
        ("failed_credits", "cum_failed_credits"),
    ):
        terms = medium.series(student, term_name)
        assert sum(v for v in terms.values() if v is not None) == data[cum_name]


def test_planted_goals_do_not_add_up_and_the_rest_do(medium: College) -> None:
    (problem,) = medium.planted_of("targets_not_adding_up")
    parent, *children = problem.goal_ids
    goals = {g["id"]: g for g in medium.goals}

    def target(gid: str) -> float:
        return float(
            next(
                i["target"]
                for i in goals[gid]["indicators"]
                if i["indicator"] == "tech_service_income"
            )
        )

    kids = [e["child"] for e in medium.edges if e["parent"] == parent and e["kind"] == "decomposes"]
    assert sorted(kids) == sorted(children)
    assert sum(target(k) for k in children) < target(parent)
    assert problem.expected["parent_target"] == target(parent)
    chain = GoalChain.from_records(medium.goals, medium.edges, catalog=medium.catalog)
    findings = [f for f in chain.check() if f.code == "target_consistency"]
    assert len(findings) == 1
    assert set(findings[0].goals) == {parent, *children}


def test_planted_department_values(small: College) -> None:
    year = str(small.periods.latest_year)
    for kind, threshold in (
        ("fitness_below_standard", 0.85),
        ("plan_completion_low", 0.9),
        ("complaints_unhandled", 1.0),
    ):
        (problem,) = small.planted_of(kind)
        assert problem.expected["threshold"] == threshold
        for sid in problem.subject_ids:
            value = small.value(sid, str(problem.indicator), year)
            assert value == problem.expected["value"], (kind, sid)
            assert value is not None
            assert value < threshold


def test_planted_gap_is_missing_not_zero(small: College) -> None:
    (problem,) = small.planted_of("data_gap")
    (course,) = problem.subject_ids
    series = small.series(course, "attendance_rate", "term")
    assert list(series) == [str(t) for t in small.periods.terms]
    assert series[str(small.periods.latest_term)] is None
    assert all(v is not None for v in list(series.values())[:-1])


# -- goals ----------------------------------------------------------------------------------
def test_goals_reference_existing_subjects_and_goals(medium: College) -> None:
    ids = {g["id"] for g in medium.goals}
    assert len(ids) == len(medium.goals)
    for goal in medium.goals:
        owner = medium.subject(goal["owner"])
        assert owner.level.value == goal["level"]
        medium.subject(goal["responsible"])
        Goal.model_validate(goal)
        for gi in goal["indicators"]:
            assert gi["indicator"] in medium.catalog
    for edge in medium.edges:
        assert edge["parent"] in ids
        assert edge["child"] in ids
        assert edge["kind"] in ("decomposes", "supports")


def test_goal_chain_shape(medium: College) -> None:
    goals = {g["id"]: g for g in medium.goals}
    graph = nx.DiGraph(
        (e["parent"], e["child"], {"weight": e["weight"]})
        for e in medium.edges
        if e["kind"] == "decomposes"
    )
    assert nx.is_directed_acyclic_graph(graph)
    roots = [g for g in goals if graph.in_degree(g) == 0]
    assert roots == ["G-SCH"]
    plans = list(graph.successors("G-SCH"))
    assert [goals[p]["title"].split("（")[0] for p in plans] == [p.name for p in SPECIAL_PLANS]
    # 总规划 → 子规划 → 二级学院 → 专业 → 课程 → 教师
    levels = [Level.SCHOOL, Level.DEPARTMENT, Level.MAJOR, Level.COURSE, Level.TEACHER]
    by_level = Counter(Level(g["level"]) for g in goals.values())
    assert all(by_level[level] > 0 for level in levels)
    for gid in goals:
        out = sum(d["weight"] for _, _, d in graph.out_edges(gid, data=True))
        if out:
            assert out + goals[gid]["own_weight"] == pytest.approx(1.0, abs=1e-9), gid
    for parent, child in graph.edges:
        p, c = goals[parent], goals[child]
        assert Level(c["level"]).rank >= Level(p["level"]).rank
        assert Period.parse(p["start"]) <= Period.parse(c["start"])
        assert Period.parse(c["end"]) <= Period.parse(p["end"])
    assert {g["task_class"] for g in goals.values()} == {"A", "B", "C"}


# -- files ----------------------------------------------------------------------------------
def test_write_csv_round_trips_through_the_loaders(small: College, tmp_path: Path) -> None:
    paths = small.write_csv(tmp_path / "college")
    assert set(paths) == {"subjects", "observations", "goals", "edges"}
    with paths["observations"].open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == ["subject_id", "indicator", "period", "value"]
    subjects = load_subjects(paths["subjects"])
    assert subjects.ids.tolist() == [s.id for s in small.subjects]
    observations = load_observations(
        paths["observations"], catalog=small.catalog, subjects=subjects
    )
    assert len(observations) == len(small.observations)
    assert np.array_equal(observations.value, small.observations.value, equal_nan=True)
    chain = GoalChain.from_csv(paths["goals"], paths["edges"], catalog=small.catalog)
    assert len(chain) == len(small.goals)
    codes = {f.code for f in chain.check()}
    assert "target_consistency" in codes
    assert not codes & {"cycle", "orphan", "level_inversion", "weights"}


# -- bad options ----------------------------------------------------------------------------
def test_unknown_size_is_refused() -> None:
    with pytest.raises(BadExampleOption) as info:
        college(size="huge")  # type: ignore[arg-type]
    assert info.value.code == "data.bad_example_option"
    assert str(info.value) == "unknown example size 'huge', use one of small, medium, large"


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_bad_seed_is_refused(seed: Any) -> None:
    with pytest.raises(BadExampleOption) as info:
        college(seed=seed)
    assert info.value.code == "data.bad_example_option"
    assert info.value.message == f"the seed must be a non-negative integer, got {seed!r}"


def test_unknown_subject_names_a_close_one(small: College) -> None:
    with pytest.raises(UnknownSubject) as info:
        small.subject("SCHH")
    assert info.value.code == "data.unknown_subject"
    assert str(info.value) == "unknown subject 'SCHH', did you mean 'SCH'?"


def test_bad_first_year_is_refused() -> None:
    with pytest.raises(BadExampleOption) as info:
        college(first_year=1999)
    assert info.value.message == "first_year 1999 is out of range 2000–2100"


def test_year_figures_are_the_mean_of_their_terms(small: College) -> None:
    (problem,) = small.planted_of("low_evaluation")
    (teacher,) = problem.subject_ids
    terms = [v for v in small.series(teacher, "student_evaluation", "term").values() if v]
    years = list(small.series(teacher, "student_evaluation", "year").values())
    assert len(terms) == 6
    means = [round((a + b) / 2, 4) for a, b in zip(terms[0::2], terms[1::2], strict=True)]
    assert years == means
    (gap,) = small.planted_of("data_gap")[0].subject_ids
    assert small.value(gap, "attendance_rate", small.periods.latest_year) is None


def test_goals_are_measured_by_the_data(medium: College) -> None:
    chain = GoalChain.from_records(medium.goals, medium.edges, catalog=medium.catalog)
    year = medium.periods.latest_year
    rollup = chain.rollup(chain.observed(medium.observations, year), as_of=year)
    plans = ["G-SCH", *(f"G-P{i}" for i in range(1, len(SPECIAL_PLANS) + 1))]
    for gid in plans:
        attainment = rollup[gid].attainment
        assert attainment is not None
        assert 0.5 < attainment < 1.2
    assert np.isnan(rollup.attainment).mean() < 0.1
    # the planted shortfall shows: the 社会服务规划's own target is out of reach
    (problem,) = medium.planted_of("targets_not_adding_up")
    own = rollup[problem.goal_ids[0]].own_attainment
    assert own is not None
    assert own < 0.9
