"""Loading packs: paths, built-in names, plugins, extends with overrides, identity, sections."""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import zhengai.alerts  # noqa: F401 - registers the alert self-test checker
import zhengai.packs.loader as loader
from zhengai.alerts import evaluate
from zhengai.data import Observations, Subjects
from zhengai.packs import DuplicateId, Pack, load_pack, locate

WritePack = Callable[..., Path]

SCHOOL_PACK = """\
name: my-school
version: 2.0.0
extends: ../national
constants: {最低到课率: 0.8}
disable: [low_gpa]
"""

NATIONAL_RULES = """\
rules:
  - id: low_attendance
    name: 到课率偏低
    level: 学生
    when: 到课率 < 最低到课率
    severity: 黄
  - id: low_gpa
    name: 绩点偏低
    level: 学生
    when: 平均绩点 < 2
    severity: 蓝
  - id: failed
    name: 不及格
    level: 学生
    when: 不及格学分 >= 10
    severity: 橙
"""

SCHOOL_RULES = """\
rules:
  - id: failed
    name: 不及格（本校）
    level: 学生
    when: 不及格学分 >= 5
    severity: 橙
  - id: own_rule
    name: 本校新增
    level: 学生
    when: 到课率 < 0.5
    severity: 红
"""


@pytest.fixture
def school(write_pack: WritePack, pack_yaml: str) -> Path:
    write_pack(
        "national",
        {
            "pack.yaml": pack_yaml.replace("school", "national"),
            "rules/student.yaml": NATIONAL_RULES,
        },
    )
    return write_pack(
        "my-school",
        {"pack.yaml": SCHOOL_PACK, "indicators.yaml": None, "rules/student.yaml": SCHOOL_RULES},
    )


def test_extends_overrides_disables_and_adds(school: Path) -> None:
    pack = load_pack(school)
    assert list(pack.rules) == ["low_attendance", "failed", "own_rule"]
    assert pack.disabled == ("low_gpa",)
    assert pack.constants["最低到课率"] == 0.8
    assert [s.id for s in pack.severities] == ["红", "橙", "黄", "蓝"]  # inherited
    assert pack.catalog.resolve("到课率").id == "attendance_rate"  # inherited indicators
    inherited, overridden, own = (pack.origin(r) for r in ("low_attendance", "failed", "own_rule"))
    assert (inherited.pack, inherited.file, inherited.line, inherited.overrides) == (
        "national",
        "rules/student.yaml",
        2,
        None,
    )
    assert (overridden.pack, overridden.overrides) == ("my-school", "national")
    assert (own.pack, own.overrides) == ("my-school", None)
    assert pack.parents[0].name == "national"


def test_override_of_constant_changes_the_inherited_rule(school: Path) -> None:
    subjects = Subjects(["a", "b"], ["student", "student"])
    observations = Observations(
        ["a", "b", "a", "b"],
        ["attendance_rate", "attendance_rate", "failed_credits", "failed_credits"],
        ["2025-2026-1"] * 4,
        [0.85, 0.75, 6, 0],
    )
    national = evaluate(
        load_pack(school.parent / "national"), subjects, observations, "2025-2026-1"
    )
    school_alerts = evaluate(load_pack(school), subjects, observations, "2025-2026-1")
    # national: 到课率 < 0.9 catches both, 不及格 >= 10 nobody; 平均绩点 missing → gaps
    assert {(a.rule, a.subject_id) for a in national} == {
        ("low_attendance", "a"),
        ("low_attendance", "b"),
    }
    assert {g.rule for g in national.gaps} == {"low_gpa"}
    # school: 到课率 < 0.8 catches only b; its own 不及格 >= 5 catches a; low_gpa is disabled
    assert {(a.rule, a.subject_id) for a in school_alerts} == {
        ("low_attendance", "b"),
        ("failed", "a"),
    }
    assert school_alerts.gaps == []


def test_effective_pack_prints_provenance(school: Path) -> None:
    printed = yaml.safe_load(load_pack(school).to_yaml())
    assert printed["name"] == "my-school"
    assert printed["disable"] == ["low_gpa"]
    origins = {r["id"]: (r["from"], r.get("overrides")) for r in printed["rules"]}
    assert origins == {
        "low_attendance": ("national:rules/student.yaml:2", None),
        "failed": ("my-school:rules/student.yaml:2", "national"),
        "own_rule": ("my-school:rules/student.yaml:7", None),
    }
    assert [i["id"] for i in printed["indicators"]] == ["attendance_rate", "failed_credits", "gpa"]


def test_identity_is_stable_and_follows_content(write_pack: WritePack, pack_yaml: str) -> None:
    first = load_pack(write_pack("one")).identity
    again = load_pack(write_pack("one")).identity
    assert first == again
    assert (first.name, first.version, len(first.hash)) == ("school", "1.0.0", 64)
    changed = load_pack(write_pack("two", {"pack.yaml": pack_yaml.replace("0.9", "0.85")})).identity
    assert changed.hash != first.hash
    # Self-tests do not change what an evaluation produces, so not the identity either.
    tests = "cases:\n  - {name: 空, period: 2025-2026-1, subjects: []}\n"
    with_tests = load_pack(write_pack("three", {"tests/t.yaml": tests})).identity
    assert with_tests.hash == first.hash


def test_rule_from_two_parents_must_be_resolved(write_pack: WritePack, pack_yaml: str) -> None:
    write_pack("p1", {"pack.yaml": pack_yaml.replace("school", "p1")})
    write_pack("p2", {"pack.yaml": pack_yaml.replace("school", "p2")})
    child = write_pack(
        "child",
        {
            "pack.yaml": "name: child\nversion: '1'\nextends: [../p1, ../p2]\n",
            "indicators.yaml": None,
            "rules/student.yaml": None,
        },
    )
    with pytest.raises(DuplicateId) as caught:
        load_pack(child)
    assert caught.value.message == (
        "rule 'low_attendance' comes from both p1 and p2; override or disable it here"
    )
    assert (caught.value.where.file, caught.value.where.line) == ("pack.yaml", 3)


def test_diamond_extends_loads_the_common_parent_once(
    write_pack: WritePack, pack_yaml: str
) -> None:
    write_pack("core", {"pack.yaml": pack_yaml.replace("school", "core")})
    for name in ("left", "right"):
        write_pack(
            name,
            {
                "pack.yaml": f"name: {name}\nversion: '1'\nextends: ../core\n",
                "indicators.yaml": None,
                "rules/student.yaml": None,
            },
        )
    top = write_pack(
        "top",
        {
            "pack.yaml": "name: top\nversion: '1'\nextends: [../left, ../right]\n",
            "indicators.yaml": None,
            "rules/student.yaml": None,
        },
    )
    pack = load_pack(top)
    assert list(pack.rules) == ["low_attendance"]
    assert pack.origin("low_attendance").pack == "core"
    assert pack.parents[0].parents[0] is pack.parents[1].parents[0]


def test_builtin_name_is_found_under_rules(
    write_pack: WritePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_pack("rules/academic")
    monkeypatch.setattr(loader, "_builtin_roots", lambda: [root.parent])
    assert loader.builtin_packs() == {"academic": root}
    assert locate("academic") == root
    assert load_pack("academic").name == "school"


def test_builtin_roots_fall_back_to_the_repository() -> None:
    roots = loader._builtin_roots()
    repository_rules = Path(__file__).resolve().parents[2] / "rules"
    assert repository_rules in roots


def test_plugin_entry_point(
    write_pack: WritePack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installed plugin: a Python package whose folder is the pack.
    root = write_pack("site/vendor_pack")
    (root / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    entry = importlib.metadata.EntryPoint(
        name="vendor", value="vendor_pack", group=loader.ENTRY_POINT_GROUP
    )
    monkeypatch.setattr(loader, "_plugin_packs", lambda: {"vendor": entry})
    monkeypatch.setattr(loader, "builtin_packs", dict)
    try:
        pack = load_pack("vendor")
    finally:
        sys.modules.pop("vendor_pack", None)
    assert isinstance(pack, Pack)
    assert Path(pack.root or "").resolve() == root.resolve()


def test_extends_a_builtin_by_name(
    write_pack: WritePack, monkeypatch: pytest.MonkeyPatch, pack_yaml: str
) -> None:
    core = write_pack("rules/core", {"pack.yaml": pack_yaml.replace("school", "core")})
    monkeypatch.setattr(loader, "_builtin_roots", lambda: [core.parent])
    child = write_pack(
        "child",
        {
            "pack.yaml": "name: child\nversion: '1'\nextends: core\n",
            "indicators.yaml": None,
            "rules/student.yaml": None,
        },
    )
    assert load_pack(child).origin("low_attendance").pack == "core"


def test_catalog_section_is_validated_and_kept(write_pack: WritePack) -> None:
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
                factors: [到课率]
                platform_codes: ["8.2"]
                requirements:
                  - {text: 到课率达到90%以上, rule: low_attendance}
                  - {text: 无重大责任事故}
    """
    pack = load_pack(write_pack(files={"catalog/loudi.yaml": catalog}))
    assert pack.catalogs["loudi"].counts() == (1, 1, 1)
    point = next(pack.catalogs["loudi"].points())
    assert [r.rule for r in point.requirements] == ["low_attendance", None]


def test_raw_section_needs_an_id(write_pack: WritePack, monkeypatch: pytest.MonkeyPatch) -> None:
    from zhengai.packs import PackSchemaError
    from zhengai.packs import sections as registry

    # The registry is module state: register the test's folder for this test only.
    monkeypatch.setitem(registry._SECTIONS, "widgets", registry.Section("widgets"))
    pack = load_pack(write_pack("a", {"widgets/one.yaml": "id: w1\nanything: 1\n"}))
    assert pack.sections["widgets"]["w1"] == {"id": "w1", "anything": 1}
    with pytest.raises(PackSchemaError) as caught:
        load_pack(write_pack("b", {"widgets/one.yaml": "anything: 1\n"}))
    assert caught.value.where.file == "widgets/one.yaml"
    assert caught.value.message == "a definition file needs a string `id`"


def test_loop_errors_keep_their_class_and_get_file_and_line(write_pack: WritePack) -> None:
    loop = pytest.importorskip("zhengai.model.loop")
    text = """\
    id: mini
    name: 小循环
    initial: draft
    close: closed
    states:
      - {id: draft, label: 草拟}
      - {id: closed, label: 闭环}
    transitions:
      - {trigger: close, source: draft, dest: closed}
      - {trigger: reopen, source: closed, dest: drafty}
    """
    with pytest.raises(loop.UnknownState) as caught:
        load_pack(write_pack(files={"loops/mini.yaml": text}))
    assert caught.value.where.file == "loops/mini.yaml"
    assert caught.value.where.line is not None


def test_loop_expression_guards_compile_at_load(write_pack: WritePack) -> None:
    pytest.importorskip("zhengai.model.loop")
    from zhengai.packs import BadExpression

    text = """\
    id: mini
    name: 小循环
    initial: draft
    close: closed
    states:
      - {id: draft, label: 草拟}
      - {id: closed, label: 闭环}
    transitions:
      - trigger: close
        source: draft
        dest: closed
        guards:
          - {id: enough, expr: 到课律 >= 0.9}
      - {trigger: reopen, source: closed, dest: draft, new_cycle: true}
    """
    with pytest.raises(BadExpression) as caught:
        load_pack(write_pack(files={"loops/mini.yaml": text}))
    assert (caught.value.where.file, caught.value.where.line) == ("loops/mini.yaml", 13)
    assert caught.value.where.field == "transitions[0].guards[0].expr"


def test_scorecard_expressions_compile_at_load(write_pack: WritePack) -> None:
    pytest.importorskip("zhengai.model.scorecard")
    from zhengai.packs import BadExpression

    card = """\
    id: card
    name: 考核
    level: 学生
    indicators:
      - id: a
        weight: 1
        value: 到课律 * 100
        scoring: {kind: linear, floor: 60, target: 100}
    """
    with pytest.raises(BadExpression) as caught:
        load_pack(write_pack(files={"scorecards/card.yaml": card}))
    where = caught.value.where
    assert (where.file, where.line, where.field) == (
        "scorecards/card.yaml",
        7,
        "indicators[0].value",
    )
    assert caught.value.hint == "did you mean '到课率'?"


def test_a_stray_folder_does_not_hide_a_builtin(
    write_pack: WritePack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = write_pack("rules/core")
    monkeypatch.setattr(loader, "_builtin_roots", lambda: [core.parent])
    (tmp_path / "here" / "core").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "here")
    assert locate("core") == core
