"""Rule cadence (`cadence:` on a rule and per level in pack.yaml) and constants as windows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from zhengai.errors import PackError
from zhengai.expr import BadArguments
from zhengai.model import Level, PeriodKind
from zhengai.packs import BadExpression, PackSchemaError, load_pack

WritePack = Callable[..., Path]

#: Two student rules: `own` sets its cadence, `plain` does not (line 7 is `own`'s cadence).
RULES = """\
rules:
  - id: own
    name: 自带周期
    level: 学生
    when: 到课率 < 0.9
    severity: 黄
    cadence: 月
  - id: plain
    name: 不写周期
    level: 学生
    when: 平均绩点 < 2
    severity: 红
"""


def _error(root: Path, cls: type[PackError]) -> PackError:
    with pytest.raises(PackError) as caught:
        load_pack(root)
    assert type(caught.value) is cls, caught.value
    return caught.value


def test_unknown_cadence_on_a_rule(write_pack: WritePack) -> None:
    root = write_pack(files={"rules/student.yaml": RULES.replace("cadence: 月", "cadence: 学周")})
    error = _error(root, PackSchemaError)
    assert error.code == "pack.schema"
    assert (error.where.file, error.where.line, error.where.field) == (
        "rules/student.yaml",
        7,
        "rules[0].cadence",
    )
    assert (
        error.message == "unknown cadence '学周', use one of year (学年), term (学期), month (月)"
    )


def test_unknown_cadence_in_pack_yaml(write_pack: WritePack, pack_yaml: str) -> None:
    root = write_pack(files={"pack.yaml": pack_yaml + "cadence: {学生: 学期, 教师: weekly}\n"})
    error = _error(root, PackSchemaError)
    assert error.code == "pack.schema"
    assert str(error) == (
        "pack.yaml:7 cadence.教师: unknown cadence 'weekly', "
        "use one of year (学年), term (学期), month (月)"
    )


def test_unknown_level_in_pack_cadence(write_pack: WritePack, pack_yaml: str) -> None:
    root = write_pack(files={"pack.yaml": pack_yaml + "cadence: {学森: year}\n"})
    error = _error(root, PackSchemaError)
    assert (error.where.line, error.where.field, error.message) == (
        7,
        "cadence.学森",
        "unknown level '学森'",
    )


@pytest.mark.parametrize(
    ("written", "kind"),
    [("学期", PeriodKind.TERM), ("term", PeriodKind.TERM), ("学年", PeriodKind.YEAR),
     ("Year", PeriodKind.YEAR), ("月", PeriodKind.MONTH), ("month", PeriodKind.MONTH)],
)  # fmt: skip
def test_cadence_in_english_or_chinese(write_pack: WritePack, written: str, kind: str) -> None:
    pack = load_pack(write_pack(files={"rules/student.yaml": RULES.replace("月", written)}))
    assert pack.rules["own"].cadence == kind
    assert pack.rules["plain"].cadence is None  # no default: every period


def test_level_default_and_extends_override(write_pack: WritePack, pack_yaml: str) -> None:
    parent = load_pack(
        write_pack(
            files={
                "pack.yaml": pack_yaml + "cadence: {学生: 学期, 教师: 学年}\n",
                "rules/student.yaml": RULES,
            }
        )
    )
    # `plain` inherits the level's default, `own` keeps its month.
    assert parent.cadence == {Level.STUDENT: PeriodKind.TERM, Level.TEACHER: PeriodKind.YEAR}
    assert (parent.rules["plain"].cadence, parent.rules["own"].cadence) == ("term", "month")

    child_yaml = "name: child\nversion: '1'\nextends: ../school\ncadence: {student: year}\n"
    files: dict[str, str | None] = {"pack.yaml": child_yaml}
    files |= {"indicators.yaml": None, "rules/student.yaml": None}
    child = load_pack(write_pack("child", files))
    # The child overrides 学生 only; 教师 stays the parent's.  The inherited rule
    # without its own cadence follows the child's default, like a constant.
    assert child.cadence == {Level.STUDENT: PeriodKind.YEAR, Level.TEACHER: PeriodKind.YEAR}
    assert (child.rules["plain"].cadence, child.rules["own"].cadence) == ("year", "month")
    # The cadence decides which periods a rule runs at, so it is part of the identity.
    assert child.to_dict()["cadence"] == {"student": "year", "teacher": "year"}
    # The effective pack prints each rule's effective cadence.
    printed = {r["id"]: r.get("cadence") for r in child.to_dict()["rules"]}
    assert printed == {"own": "month", "plain": "year"}
    assert child.identity.hash != parent.identity.hash


def test_a_case_expecting_a_rule_that_does_not_run_at_its_period(
    write_pack: WritePack, rules_yaml: str
) -> None:
    rules = rules_yaml.replace("    severity: 黄\n", "    severity: 黄\n    cadence: 学年\n")
    case = """\
    cases:
      - name: 学年规则放在学期里
        period: 2025-2026-1
        subjects: [{id: s1, level: 学生}]
        observations: {s1: {到课率: 0.5}}
        expect:
          alerts:
            - {rule: low_attendance, subject: s1}
    """
    root = write_pack(files={"rules/student.yaml": rules, "tests/a.yaml": case})
    error = _error(root, PackSchemaError)
    assert (error.where.file, error.where.line, error.where.field) == (
        "tests/a.yaml",
        8,
        "cases[0].expect.alerts[0].rule",
    )
    assert error.message == (
        "rule 'low_attendance' is evaluated each 学年 (cadence: year), but the case's "
        "period 2025-2026-1 is a 学期: the rule does not run"
    )
    assert error.hint == "give the case a 学年 period"


WINDOW_RULE = """\
rules:
  - id: falling
    name: 绩点连续下降
    level: 学生
    when: decreasing(平均绩点, 窗口)
    severity: 黄
    message: "近 {窗口} 期绩点下降"
"""


def test_a_constant_as_the_window_of_a_history_function(
    write_pack: WritePack, pack_yaml: str
) -> None:
    with_window = pack_yaml.replace("{最低到课率: 0.9}", "{最低到课率: 0.9, 窗口: 3}")
    parent = load_pack(
        write_pack(files={"pack.yaml": with_window, "rules/student.yaml": WINDOW_RULE})
    )
    # decreasing(x, 3) reads 2 periods back.
    assert parent.rules["falling"].history_depth == 2
    child_yaml = "name: child\nversion: '1'\nextends: ../school\nconstants: {窗口: 5}\n"
    files: dict[str, str | None] = {"pack.yaml": child_yaml}
    files |= {"indicators.yaml": None, "rules/student.yaml": None}
    child = load_pack(write_pack("child", files))
    # A school that overrides the window reads further back: the rule recompiles.
    assert child.rules["falling"].history_depth == 4
    assert child.rules["falling"].rule.when == "decreasing(平均绩点, 窗口)"


@pytest.mark.parametrize("value", ["30", "2.5", "true"])
def test_a_constant_window_out_of_range_is_a_located_error(
    write_pack: WritePack, pack_yaml: str, value: str
) -> None:
    with_window = pack_yaml.replace("{最低到课率: 0.9}", f"{{最低到课率: 0.9, 窗口: {value}}}")
    root = write_pack(files={"pack.yaml": with_window, "rules/student.yaml": WINDOW_RULE})
    error = _error(root, BadExpression)
    assert (error.where.file, error.where.line, error.where.field) == (
        "rules/student.yaml",
        5,
        "rules[0].when",
    )
    cause = error.cause  # type: ignore[attr-defined]
    assert type(cause) is BadArguments
    assert "decreasing() 的参数 n 必须是 2–20 的整数字面量" in cause.message
