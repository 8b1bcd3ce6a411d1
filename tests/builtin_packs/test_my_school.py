"""The school-pack example: extends loudi-2017, overrides two constants, adds one rule."""

from __future__ import annotations

from pathlib import Path

import pytest

import zhengai.alerts  # noqa: F401  (registers the alerts/gaps self-test checker)
from zhengai.packs import Pack, load_pack, self_test

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "packs" / "my-school"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(EXAMPLE)


def test_it_extends_the_builtin_loudi_pack(pack: Pack) -> None:
    assert pack.extends == ("loudi-2017",)
    (parent,) = pack.parents
    assert parent.name == "loudi-2017"
    assert pack.catalogs.keys() == parent.catalogs.keys()


def test_it_overrides_exactly_two_of_the_parents_constants(pack: Pack) -> None:
    parent = pack.parents[0]
    changed = {k for k in parent.constants if pack.constants[k] != parent.constants[k]}
    assert changed == {"最低到课率", "最低评教满意度"}
    assert (pack.constants["最低到课率"], parent.constants["最低到课率"]) == (0.92, 0.9)


def test_it_adds_one_rule_and_inherits_the_rest(pack: Pack) -> None:
    parent = pack.parents[0]
    own = [rid for rid, r in pack.rules.items() if r.origin.pack == "my-school"]
    assert own == ["course_pass_rate_below_standard"]
    assert set(pack.rules) - set(parent.rules) == {"course_pass_rate_below_standard"}
    assert pack.origin("course_attendance_below_standard").pack == "loudi-2017"


def test_its_self_tests_pass(pack: Pack) -> None:
    report = self_test(pack)
    assert report.passed, str(report)
    assert len(report.results) == 3


def test_the_parents_cases_show_which_verdicts_the_new_thresholds_change(pack: Pack) -> None:
    report = self_test(pack, inherited=True)
    loudi_cases = {t.case.name for t in pack.parents[0].tests}
    changed = {
        r.name
        for r in report.failures
        if r.name in loudi_cases and any("unexpected alert" in d for d in r.diff)
    }
    assert changed == {
        "课程到课率、听课率恰为 90% 不预警，低于 90% 预警",
        "学生评教满意度恰为 70% 不预警，69.9% 预警；有责任教学事故即红色",
    }
