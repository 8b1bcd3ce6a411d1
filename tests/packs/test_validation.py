"""Every validation error of a pack: exact class, code, file, line, field path and hint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from zhengai.errors import PackError
from zhengai.expr import UnknownName
from zhengai.packs import (
    BadExpression,
    BadTemplate,
    DanglingReference,
    DuplicateId,
    DuplicateKey,
    ExtendsCycle,
    PackNotFound,
    PackSchemaError,
    UnknownSeverity,
    YamlSyntaxError,
    load_pack,
)

WritePack = Callable[..., Path]
#: A valid one-rule file; tests break one line of it (line 5 is `when`, line 6 `severity`).
RULE = "rules:\n  - id: x\n    name: X\n    level: 学生\n    when: 到课率 < 0.9\n    severity: 黄\n"


def _error(root: Path, cls: type[PackError]) -> PackError:
    with pytest.raises(PackError) as caught:
        load_pack(root)
    assert type(caught.value) is cls, caught.value
    return caught.value


RULES_WITH_TYPO = """\
rules:
  - id: low_attendance
    name: 到课率偏低
    level: 学生
    when: 到课率 < 0.9
    severity: 黄
  - id: second
    name: 第二条
    level: 学生
    when: 到课率 < 0.8
    severity: 黄
  - id: third
    name: 第三条
    level: 学生
    when: 到课律 < 0.9
    severity: 黄
"""


def test_unknown_indicator_names_file_line_field_and_suggestion(write_pack: WritePack) -> None:
    error = _error(write_pack(files={"rules/student.yaml": RULES_WITH_TYPO}), BadExpression)
    assert error.code == "pack.bad_expression"
    assert (error.where.file, error.where.line, error.where.field) == (
        "rules/student.yaml",
        15,
        "rules[2].when",
    )
    assert str(error) == (
        "rules/student.yaml:15 rules[2].when: 未知名称 (unknown name '到课律'), "
        "did you mean '到课率'?"
    )
    assert isinstance(error.__cause__, UnknownName)


def test_yaml_syntax_error_has_line(write_pack: WritePack) -> None:
    root = write_pack(files={"rules/student.yaml": "rules:\n  - id: x\n    name: [unclosed\n"})
    error = _error(root, YamlSyntaxError)
    assert error.code == "pack.yaml_syntax"
    assert error.where.file == "rules/student.yaml"
    assert error.where.line == 4
    assert error.message.startswith("invalid YAML")


def test_duplicate_key(write_pack: WritePack, pack_yaml: str) -> None:
    root = write_pack(files={"pack.yaml": pack_yaml + "version: 2.0.0\n"})
    error = _error(root, DuplicateKey)
    assert error.code == "pack.duplicate_key"
    assert (error.where.file, error.where.line, error.where.field) == ("pack.yaml", 7, "version")
    assert error.message == "key 'version' appears twice"


def test_missing_required_field(write_pack: WritePack) -> None:
    rules = "rules:\n  - id: x\n    level: 学生\n    when: 到课率 < 0.9\n    severity: 黄\n"
    error = _error(write_pack(files={"rules/student.yaml": rules}), PackSchemaError)
    assert error.code == "pack.schema"
    assert str(error) == "rules/student.yaml:2 rules[0].name: required field is missing"


def test_unknown_field(write_pack: WritePack) -> None:
    rules = RULE.replace("when:", "wehn:")
    error = _error(write_pack(files={"rules/student.yaml": rules}), PackSchemaError)
    assert str(error) == "rules/student.yaml:5 rules[0].wehn: unknown field"


def test_unknown_level(write_pack: WritePack) -> None:
    rules = RULE.replace("学生", "学森")
    error = _error(write_pack(files={"rules/student.yaml": rules}), PackSchemaError)
    assert (error.where.line, error.where.field) == (4, "rules[0].level")
    assert error.message == "unknown level '学森'"


def test_when_and_ladder_together(write_pack: WritePack) -> None:
    rules = """\
    rules:
      - id: x
        name: X
        level: 学生
        when: 到课率 < 0.9
        severity: 黄
        ladder:
          - {severity: 红, when: 到课率 < 0.5}
    """
    error = _error(write_pack(files={"rules/student.yaml": rules}), PackSchemaError)
    assert (error.where.line, error.where.field) == (2, "rules[0]")
    assert error.message == "give either `ladder` or `when` with `severity`, not both"


def test_duplicate_rule_id(write_pack: WritePack) -> None:
    other = (
        "rules:\n  - {id: low_attendance, name: 重复, level: 学生, when: 到课率 < 1, severity: 蓝}"
    )
    other += "\n"
    error = _error(write_pack(files={"rules/z_other.yaml": other}), DuplicateId)
    assert error.code == "pack.duplicate_id"
    assert (error.where.file, error.where.line, error.where.field) == (
        "rules/z_other.yaml",
        2,
        "rules[0].id",
    )
    assert error.message == "rule id 'low_attendance' is used twice"
    assert error.hint == "first defined at rules/student.yaml:2"


def test_unknown_severity_suggests(write_pack: WritePack) -> None:
    rules = RULE.replace("severity: 黄", "severity: 黃")
    error = _error(write_pack(files={"rules/student.yaml": rules}), UnknownSeverity)
    assert error.code == "pack.unknown_severity"
    assert str(error) == (
        "rules/student.yaml:6 rules[0].severity: unknown severity '黃' "
        "(the pack declares 红, 橙, 黄, 蓝)"
    )


def test_ladder_severity_out_of_order(write_pack: WritePack) -> None:
    rules = """\
    rules:
      - id: x
        name: X
        level: 学生
        ladder:
          - {severity: 黄, when: 到课率 < 0.9}
          - {severity: 红, when: 到课率 < 0.5}
    """
    error = _error(write_pack(files={"rules/student.yaml": rules}), PackSchemaError)
    assert (error.where.line, error.where.field) == (7, "rules[0].ladder[1].severity")
    assert error.message.startswith("ladder steps must go from the most to the least severe")


def test_number_is_not_a_condition(write_pack: WritePack) -> None:
    rules = (
        "rules:\n  - id: x\n    name: X\n    level: 学生\n    when: 到课率 * 2\n    severity: 黄\n"
    )
    error = _error(write_pack(files={"rules/student.yaml": rules}), PackSchemaError)
    assert (error.where.line, error.where.field) == (5, "rules[0].when")
    assert error.message == "a rule condition must be true or false, this is a number"


def test_extends_cycle(write_pack: WritePack, pack_yaml: str) -> None:
    write_pack("a", {"pack.yaml": pack_yaml.replace("school", "a") + "extends: ../b\n"})
    root_b = write_pack("b", {"pack.yaml": pack_yaml.replace("school", "b") + "extends: [../a]\n"})
    error = _error(root_b, ExtendsCycle)
    assert error.code == "pack.extends_cycle"
    assert error.where.line == 7
    assert error.where.field == "extends[0]"
    assert error.where.file is not None
    assert error.where.file.endswith("a/pack.yaml")
    assert error.message == "packs extend each other in a circle: b → a → b"


def test_disable_unknown_rule(write_pack: WritePack, pack_yaml: str) -> None:
    root = write_pack(files={"pack.yaml": pack_yaml + "disable: [low_attendanse]\n"})
    error = _error(root, DanglingReference)
    assert error.code == "pack.dangling_reference"
    assert str(error) == (
        "pack.yaml:7 disable[0]: cannot disable unknown rule 'low_attendanse', "
        "did you mean 'low_attendance'?"
    )


def test_catalog_requirement_names_unknown_rule(write_pack: WritePack) -> None:
    catalog = """\
    id: loudi
    name: 诊断框架
    items:
      - id: "1"
        name: 体系总体构架
        elements:
          - id: "1.1"
            name: 质量文化建设
            points:
              - id: "1.1.3"
                name: 校风学风
                requirements:
                  - {text: 到课率达到90%以上, rule: low_atendance}
    """
    error = _error(write_pack(files={"catalog/loudi.yaml": catalog}), DanglingReference)
    assert error.where.file == "catalog/loudi.yaml"
    assert error.where.line == 13
    assert error.where.field == "items[0].elements[0].points[0].requirements[0].rule"
    assert error.hint == "did you mean 'low_attendance'?"


def test_unknown_placeholder_in_message(write_pack: WritePack) -> None:
    rules = RULES_YAML_WITH("message: 到课率 {到课律:.0%}")
    error = _error(write_pack(files={"rules/student.yaml": rules}), BadTemplate)
    assert error.code == "pack.bad_template"
    assert (error.where.line, error.where.field) == (7, "rules[0].message")
    assert error.message == "unknown placeholder {到课律} in the message"
    assert error.hint == "did you mean '到课率'?"


def test_attribute_access_in_message_is_refused(write_pack: WritePack) -> None:
    rules = RULES_YAML_WITH("message: '{到课率.__class__}'")
    error = _error(write_pack(files={"rules/student.yaml": rules}), BadTemplate)
    assert "without attribute access" in error.message


def test_bad_format_spec(write_pack: WritePack) -> None:
    rules = RULES_YAML_WITH("message: '{到课率:.0Q}'")
    error = _error(write_pack(files={"rules/student.yaml": rules}), BadTemplate)
    assert error.message.startswith("bad format '.0Q' for {到课率}")


def RULES_YAML_WITH(message_line: str) -> str:  # noqa: N802 - reads like the constant it extends
    return (
        "rules:\n  - id: x\n    name: X\n    level: 学生\n    when: 到课率 < 0.9\n"
        f"    severity: 黄\n    {message_line}\n"
    )


def test_constant_named_like_an_indicator(write_pack: WritePack) -> None:
    root = write_pack(files={"constants.yaml": "constants:\n  到课率: 0.9\n"})
    error = _error(root, DuplicateId)
    assert (error.where.file, error.where.line, error.where.field) == (
        "constants.yaml",
        2,
        "constants.到课率",
    )


def test_constant_in_both_places(write_pack: WritePack) -> None:
    root = write_pack(files={"constants.yaml": "constants:\n  最低到课率: 0.8\n"})
    error = _error(root, DuplicateId)
    assert error.message == "constant '最低到课率' is set in both pack.yaml and constants.yaml"


def test_unknown_pack_name_suggests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zhengai.packs.loader as loader

    monkeypatch.setattr(loader, "builtin_packs", lambda: {"academic-warning": tmp_path})
    monkeypatch.setattr(loader, "_plugin_packs", dict)
    with pytest.raises(PackNotFound) as caught:
        load_pack("academic-warnings")
    assert caught.value.code == "pack.not_found"
    assert caught.value.hint == "did you mean 'academic-warning'?"


def test_folder_without_pack_yaml(tmp_path: Path) -> None:
    with pytest.raises(PackNotFound, match=r"the folder has no pack\.yaml"):
        load_pack(tmp_path)


def test_self_test_names_unknown_rule(write_pack: WritePack) -> None:
    tests = """\
    cases:
      - name: 例
        period: 2025-2026-1
        subjects: [{id: s1, level: 学生}]
        expect:
          alerts:
            - {rule: low_atendance, subject: s1}
    """
    error = _error(write_pack(files={"tests/a.yaml": tests}), DanglingReference)
    assert (error.where.file, error.where.line, error.where.field) == (
        "tests/a.yaml",
        7,
        "cases[0].expect.alerts[0].rule",
    )
    assert error.hint == "did you mean 'low_attendance'?"


def test_self_test_observation_of_unknown_indicator(write_pack: WritePack) -> None:
    tests = """\
    cases:
      - name: 例
        period: 2025-2026-1
        subjects: [{id: s1, level: 学生}]
        observations:
          - {subject: s1, indicator: 到课律, period: 2025-2026-1, value: 0.5}
    """
    error = _error(write_pack(files={"tests/a.yaml": tests}), DanglingReference)
    assert (error.where.line, error.where.field) == (6, "cases[0].observations[0].indicator")
    assert error.hint == "did you mean '到课率'?"


def test_duplicate_indicator_id(write_pack: WritePack) -> None:
    indicators = (
        "indicators:\n  - {id: attendance_rate, name: 到课率}\n"
        "  - {id: attendance_rate, name: 听课率}\n"
    )
    error = _error(write_pack(files={"indicators.yaml": indicators}), DuplicateId)
    assert (error.where.line, error.where.field) == (3, "indicators[1].id")
    assert error.hint == "first at line 2"


def test_applies_to_reads_only_attributes(write_pack: WritePack) -> None:
    rules = RULES_YAML_WITH("applies_to: majr == '护理'")
    error = _error(write_pack(files={"rules/student.yaml": rules}), BadExpression)
    assert (error.where.line, error.where.field) == (7, "rules[0].applies_to")
    assert error.hint == "did you mean 'major'?"


def test_peer_group_must_be_an_attribute(write_pack: WritePack) -> None:
    rules = RULES_YAML_WITH("peer_group: majr")
    error = _error(write_pack(files={"rules/student.yaml": rules}), DanglingReference)
    assert (error.where.line, error.where.field) == (7, "rules[0].peer_group")


def test_indicator_of_another_level(write_pack: WritePack) -> None:
    from zhengai.packs import LevelMismatch

    error = _error(
        write_pack(files={"rules/student.yaml": RULE.replace("学生", "教师")}), LevelMismatch
    )
    assert error.code == "pack.level_mismatch"
    assert str(error) == (
        "rules/student.yaml:5 rules[0].when: indicator '到课率' exists for 学生, "
        "not for the rule's level 教师"
    )
