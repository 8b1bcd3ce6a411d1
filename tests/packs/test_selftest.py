"""Pack self-tests: passing packs, readable diffs, inherited cases, unknown expectation kinds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import zhengai.alerts  # noqa: F401 - registers the alert self-test checker
from zhengai import packs
from zhengai.packs import PackSelfTestError

WritePack = Callable[..., Path]
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "packs" / "minimal"

CASE = """\
cases:
  - name: 到课率 0.85 触发黄色
    period: 2025-2026-1
    subjects: [{id: s1, level: 学生}, {id: s2, level: 学生}]
    observations:
      s1: {到课率: 0.85}
      s2: {到课率: 0.95}
    expect:
      alerts:
        - {rule: low_attendance, subject: s1, severity: 黄, message: 到课率 85%}
"""


def test_documented_example_pack_passes_its_self_tests() -> None:
    report = packs.test(EXAMPLE)
    assert report.passed
    assert len(report.results) == 6
    assert str(report).endswith("minimal: 6 passed, 0 failed")


def test_passing_case(write_pack: WritePack) -> None:
    report = packs.test(write_pack(files={"tests/a.yaml": CASE}))
    assert [(r.name, r.passed, r.line) for r in report.results] == [
        ("到课率 0.85 触发黄色", True, 2)
    ]


def test_threshold_change_shows_a_readable_diff(write_pack: WritePack, pack_yaml: str) -> None:
    # The school raises the threshold to 0.96: s2 now fires too, and the message differs.
    root = write_pack(
        files={
            "pack.yaml": pack_yaml.replace("0.9", "0.96"),
            "tests/a.yaml": CASE.replace("message: 到课率 85%", "message: 到课率 80%"),
        }
    )
    report = packs.test(root)
    assert not report.passed
    (failure,) = report.failures
    assert failure.diff == (
        "~ alert low_attendance s1: message expected '到课率 80%', got '到课率 85%'",
        "+ unexpected alert low_attendance s2: 黄 new streak=1 «到课率 95%»",
    )
    assert str(report).splitlines() == [
        "FAIL tests/a.yaml:2 到课率 0.85 触发黄色",
        "    ~ alert low_attendance s1: message expected '到课率 80%', got '到课率 85%'",
        "    + unexpected alert low_attendance s2: 黄 new streak=1 «到课率 95%»",
        "school: 0 passed, 1 failed",
    ]


def test_missing_alert_and_gap_are_reported(write_pack: WritePack) -> None:
    case = """\
    cases:
      - name: 期望与实际不同
        period: 2025-2026-1
        subjects: [{id: s1, level: 学生}, {id: s2, level: 学生}]
        observations: {s1: {到课率: 0.95}}
        expect:
          alerts: [{rule: low_attendance, subject: s1, severity: 黄}]
          gaps: [{rule: low_attendance, subject: s1}]
    """
    (result,) = packs.test(write_pack(files={"tests/a.yaml": case})).results
    assert result.diff == (
        "- missing alert low_attendance s1: expected 黄",
        "- missing data gap low_attendance s1",
        "+ unexpected data gap low_attendance s2: missing ['attendance_rate']",
    )


def test_not_exact_allows_other_alerts(write_pack: WritePack) -> None:
    case = CASE.replace("s2: {到课率: 0.95}", "s2: {到课率: 0.5}") + "    exact: false\n"
    assert packs.test(write_pack(files={"tests/a.yaml": case})).passed


def test_inherited_cases_run_against_the_child(write_pack: WritePack, pack_yaml: str) -> None:
    write_pack(
        "national",
        {"pack.yaml": pack_yaml.replace("school", "national"), "tests/a.yaml": CASE},
    )
    child = write_pack(
        "child",
        {
            "pack.yaml": "name: child\nversion: '1'\nextends: ../national\n"
            "constants: {最低到课率: 0.8}\n",
            "indicators.yaml": None,
            "rules/student.yaml": None,
        },
    )
    assert packs.test(child).results == ()
    inherited = packs.test(child, inherited=True)
    (result,) = inherited.results
    # With 0.8 the parent's case no longer fires: the school sees exactly which case changed.
    assert result.diff == ("- missing alert low_attendance s1: expected 黄",)


def test_expectation_without_an_evaluator(write_pack: WritePack) -> None:
    case = """\
    cases:
      - name: 例
        period: 2025-2026-1
        subjects: [{id: s1, level: 学生}]
        expect: {widgets: [1]}
    """
    with pytest.raises(PackSelfTestError) as caught:
        packs.test(write_pack(files={"tests/a.yaml": case}))
    assert caught.value.code == "pack.self_test"
    assert "['widgets']" in caught.value.message
