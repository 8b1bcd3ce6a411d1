"""Helpers to write small packs into a temporary folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

PACK_YAML = """\
name: school
version: 1.0.0
title: 测试包
severities: [红, 橙, 黄, 蓝]
attributes: {major: string, grade: number}
constants: {最低到课率: 0.9}
"""

INDICATORS_YAML = """\
indicators:
  - {id: attendance_rate, name: 到课率, levels: [学生], valid_range: [0, 1]}
  - {id: failed_credits, name: 不及格学分, levels: [学生], direction: lower_better}
  - {id: gpa, name: 平均绩点, levels: [学生]}
"""

RULES_YAML = """\
rules:
  - id: low_attendance
    name: 到课率偏低
    level: 学生
    when: 到课率 < 最低到课率
    severity: 黄
    message: "到课率 {到课率:.0%}"
    owner: 学生工作处
    source: 001 附件2 1.1.3
"""

WritePack = Callable[..., Path]


@pytest.fixture
def pack_yaml() -> str:
    """The default pack.yaml text (6 lines), to extend in a test."""
    return PACK_YAML


@pytest.fixture
def rules_yaml() -> str:
    """The default rules/student.yaml text."""
    return RULES_YAML


@pytest.fixture
def write_pack(tmp_path: Path) -> WritePack:
    """``write_pack(name, files)`` writes a pack folder; defaults fill pack/indicators/rules."""

    def write(folder: str = "school", files: dict[str, str] | None = None) -> Path:
        root = tmp_path / folder
        contents = {
            "pack.yaml": PACK_YAML,
            "indicators.yaml": INDICATORS_YAML,
            "rules/student.yaml": RULES_YAML,
        }
        contents.update(files or {})
        for relative, text in contents.items():
            if text is None:
                continue
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return write
