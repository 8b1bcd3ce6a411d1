"""The goal-chain templates the seed packs ship: 常州 1+8+7 and 上海城建's three planning tiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengai.chain import GoalChain
from zhengai.model import Level
from zhengai.packs import PackSchemaError, load_pack


def test_changzhou_one_eight_seven() -> None:
    template = load_pack("changzhou").sections["chains"]["one_eight_seven"]
    assert template.source.startswith("003 §四(二)1")
    chain = GoalChain.from_template(template, owners={"学校": "S001", "二级学院一": "C01"})
    roots = [g.id for g in chain.goals if not chain.parents(g.id)]
    assert roots == ["master"]
    assert len(chain.children("master")) == 8  # 8 专项规划
    assert len(chain.children("majors")) == 7  # 7 二级学院专业建设子规划
    assert chain.goal("master").owner == "S001"
    assert chain.goal("college_1").owner == "C01"
    assert chain.goal("college_2").owner == "二级学院二"  # owners not renamed stay roles
    assert chain.supported("majors") == ["courses"]
    # A template is structure without indicators: the only findings are unmeasured leaves.
    assert {f.code for f in chain.check()} == {"unmeasured"}


def test_shanghai_planning_hierarchy() -> None:
    template = load_pack("shanghai-chengjian").sections["chains"]["planning_hierarchy"]
    chain = GoalChain.from_template(template)
    levels = {g.id: g.level for g in chain.goals}
    assert levels["master"] is Level.SCHOOL
    assert (levels["major_plan"], levels["course_plan"], levels["teacher_plan"]) == (
        Level.MAJOR,
        Level.COURSE,
        Level.TEACHER,
    )
    assert len(chain.children("master")) == 8  # 7 专项规划 + 院（部）发展规划
    assert sorted(chain.parents("major_plan")) == ["college", "majors_talent"]
    assert {f.code for f in chain.check()} == {"unmeasured"}


def test_a_template_without_its_source_is_refused_at_load(tmp_path: Path) -> None:
    root = tmp_path / "school"
    (root / "chains").mkdir(parents=True)
    (root / "pack.yaml").write_text("name: school\nversion: '1'\n", encoding="utf-8")
    (root / "chains" / "plan.yaml").write_text(
        "id: plan\nname: 规划\ngoals:\n  - {id: g, owner: 学校, level: 学校}\n", encoding="utf-8"
    )
    with pytest.raises(PackSchemaError) as info:
        load_pack(root)
    assert info.value.code == "pack.schema"
    assert info.value.where.file == "chains/plan.yaml"
    assert info.value.where.field == "source"
