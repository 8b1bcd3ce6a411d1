"""A scorecard shipped in a pack's ``scorecards/`` folder loads, locates its errors and scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zhengai.packs import load_pack
from zhengai.scoring import WeightsDoNotSumToOne, compile_scorecard, score

PACK = """\
name: school-scoring
version: 1.0.0
title: 部门考核
extends: [core]
"""

CARD = """\
id: 课程考核
name: 课程质量考核
level: course
indicators:
  - id: 课堂
    weight: 0.6
    indicator: 到课率
    scoring: {kind: linear, floor: 0.7, target: 0.9}
  - id: 合格
    weight: {weight}
    value: 课程合格率 * 100
    scoring: {kind: linear, floor: 60, target: 100}
"""


def write_pack(root: Path, weight: str) -> Path:
    (root / "scorecards").mkdir(parents=True)
    (root / "pack.yaml").write_text(PACK, encoding="utf-8")
    (root / "scorecards" / "课程.yaml").write_text(
        CARD.replace("{weight}", weight), encoding="utf-8"
    )
    return root


def test_a_pack_scorecard_scores_with_the_pack_catalog(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path / "p", "0.4"))
    card = pack.sections["scorecards"]["课程考核"]
    plan = compile_scorecard(
        card, pack.catalog, attributes=pack.attributes, constants=pack.constants
    )
    values = {
        "attendance_rate": np.array([0.8, 0.95]),
        "course_pass_rate": np.array([0.8, np.nan]),
    }
    result = score(plan, ["c1", "c2"], values=values)
    # c1: 0.6·50 + 0.4·50 = 50; c2: 到课率 100, 合格率 missing → 100 (partial)
    assert result.total.tolist() == pytest.approx([50.0, 100.0])
    assert result.partial.tolist() == [False, True]
    assert "到课率 0.80, target 0.90" in str(result.explain("c1"))


def test_bad_weights_are_reported_at_their_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(WeightsDoNotSumToOne) as caught:
        load_pack(write_pack(tmp_path / "p", "0.3"))
    where = caught.value.where
    assert where.file is not None
    assert where.file.endswith("课程.yaml")
    assert where.line == 4
    assert caught.value.message == "课堂、合格 weights sum to 0.9, not 1"
