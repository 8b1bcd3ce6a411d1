"""The loudi-2017 pack: the 附件2 diagnosis catalog as the source has it, and its rules at work.

The source table's own note says "本表设5个诊断项目，15个诊断要素，37个诊断点"; the
catalog must agree.  The source is irregular in ways the catalog keeps on purpose
(domain.md §4): the tasks of 2.2.1 are numbered 1, 2, 4, 5; the code cells of 3.1.2
and 3.2.2 are cut at a page break; two code cells lack a separator; eight points have
no code; only items and elements are numbered, so point ids (1.1.1 …) are ours.
"""

from __future__ import annotations

import pytest

from zhengai.alerts import evaluate
from zhengai.examples import College, college
from zhengai.model import DiagnosisCatalog
from zhengai.packs import load_pack


@pytest.fixture(scope="module")
def catalog() -> DiagnosisCatalog:
    return load_pack("loudi-2017").catalogs["loudi-2017-diagnosis"]


def test_counts_agree_with_the_tables_own_note(catalog: DiagnosisCatalog) -> None:
    assert catalog.counts() == (5, 15, 37)
    assert "5个诊断项目，15个诊断要素，37个诊断点" in catalog.note
    points_per_item = [sum(len(e.points) for e in item.elements) for item in catalog.items]
    assert points_per_item == [9, 9, 4, 5, 10]
    assert [len(item.elements) for item in catalog.items] == [4, 3, 2, 2, 4]


def test_every_point_carries_factors_requirements_and_source(catalog: DiagnosisCatalog) -> None:
    for point in catalog.points():
        assert point.factors, point.id
        assert point.requirements, point.id
        assert point.source is not None
        assert point.source.startswith("001 附件2 "), point.id
        assert point.name in point.source
    assert sum(len(p.requirements) for p in catalog.points()) == 165


def test_point_ids_are_made_up_from_the_element_numbers(catalog: DiagnosisCatalog) -> None:
    for item in catalog.items:
        for element in item.elements:
            assert element.id.startswith(f"{item.id}.")
            for k, point in enumerate(element.points, 1):
                assert point.id == f"{element.id}.{k}"


def test_task_numbers_of_2_2_1_skip_3_as_in_the_source(catalog: DiagnosisCatalog) -> None:
    point = next(p for p in catalog.points() if p.id == "2.2.1")
    assert point.name == "诊改制度与运行"
    assert [r.number for r in point.requirements] == ["1", "2", "4", "5"]


def test_eight_points_have_no_platform_code(catalog: DiagnosisCatalog) -> None:
    uncoded = [p.id for p in catalog.points() if not p.platform_codes]
    assert uncoded == ["4.2.1", "5.1.1", "5.1.2", "5.2.2", "5.3.1", "5.3.2", "5.3.3", "5.4.1"]


def test_irregular_code_cells_are_read_as_documented(catalog: DiagnosisCatalog) -> None:
    codes = {p.id: p.platform_codes for p in catalog.points()}
    assert codes["2.1.3"] == ("3.4", "4", "5.1", "5.2", "6", "7.4", "7.5")  # "5.2 6"
    assert codes["2.3.3"] == ("3.4", "7.2", "8.1", "8.2", "8.5", "8.6", "8.7")  # "8.2 8.5"
    assert codes["3.1.2"] == ("5.2", "7.1", "7.2", "8.1")  # cut after "8.1／"
    assert codes["3.2.2"][-1] == "8"  # cut as "8."


def test_quantitative_requirements_are_backed_by_rules(catalog: DiagnosisCatalog) -> None:
    pack = load_pack("loudi-2017")
    linked = {(p.id, r.number): r.rule for p in catalog.points() for r in p.requirements}
    assert linked["1.1.3", "1"] == "course_attendance_below_standard"
    assert linked["3.2.2", "6"] == "student_evaluation_below_standard"
    assert linked["3.1.1", "5"] == "plan_completion_below_standard"
    assert linked["5.2.1", "3"] == "complaints_not_all_handled"
    assert linked["5.3.2", "4"] == "standards_not_revised"
    for rule in filter(None, linked.values()):
        assert rule in pack.rules
    # Every requirement that states a number or a trend in the text names a rule…
    for point in catalog.points():
        for req in point.requirements:
            if "90%" in req.text or "70%" in req.text or "100%" in req.text:
                assert req.rule is not None, (point.id, req.number)
    # …and every rule of the pack is referenced by some requirement or is its twin at
    # another level (course listening, school-level plan completion and complaints).
    referenced = set(filter(None, linked.values()))
    twins = {
        "course_listening_below_standard",
        "plan_completion_below_standard_school",
        "school_complaints_not_all_handled",
        "student_evaluation_not_rising",
    }
    assert set(pack.rules) - referenced == twins


def test_coverage_splits_points_into_automated_and_self_assessed(
    catalog: DiagnosisCatalog,
) -> None:
    automated = [p.id for p in catalog.points() if any(r.rule for r in p.requirements)]
    assert "1.1.3" in automated
    assert "5.4.1" not in automated
    assert 0 < len(automated) < 37


@pytest.fixture(scope="module")
def example() -> College:
    return college(seed=0, size="small")


@pytest.fixture(scope="module")
def example_alerts(example: College) -> dict[tuple[str, str], str]:
    pack = load_pack("loudi-2017")
    found: dict[tuple[str, str], str] = {}
    for period in ("2025-2026-2", "2025-2026"):
        result = evaluate(pack, example.to_subjects(), example.to_observations(), period)
        found |= {(a.rule, a.subject_id): a.severity for a in result.alerts}
    return found


@pytest.mark.parametrize(
    ("rule", "kind"),
    [
        ("course_attendance_below_standard", "attendance_falling"),
        ("student_evaluation_below_standard", "low_evaluation"),
        ("plan_completion_below_standard", "plan_completion_low"),
        ("complaints_not_all_handled", "complaints_unhandled"),
        ("major_outcomes_not_rising", "employment_falling"),
    ],
)
def test_the_example_colleges_planted_problems_are_found(
    example: College, example_alerts: dict[tuple[str, str], str], rule: str, kind: str
) -> None:
    (problem,) = example.planted_of(kind)
    subject = next(s for s in problem.subject_ids if example.subject(s).level.value != "school")
    assert (rule, subject) in example_alerts
