"""Spiral guard inputs derived from a run: data completeness follows the rules' cadence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zhengai.data import Observations, Subjects
from zhengai.engine.spirals import guard_inputs, watched_indicators
from zhengai.model import Level, Period
from zhengai.packs import Pack, load_pack

RULES = """\
rules:
  - {id: yearly, name: 就业率低, level: 专业, cadence: 学年, when: 就业率 < 0.9, severity: 黄}
  - {id: termly, name: 到课率低, level: 专业, cadence: 学期, when: 到课率 < 0.9, severity: 黄}
  - {id: always, name: 满意度低, level: 专业, when: 满意度 < 0.8, severity: 黄}
"""


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    root: Path = tmp_path_factory.mktemp("cadence") / "p"
    (root / "rules").mkdir(parents=True)
    (root / "pack.yaml").write_text("name: p\nversion: '1'\nseverities: [黄]\n", encoding="utf-8")
    (root / "indicators.yaml").write_text(
        "indicators:\n"
        "  - {id: employment, name: 就业率, levels: [专业]}\n"
        "  - {id: attendance, name: 到课率, levels: [专业]}\n"
        "  - {id: satisfaction, name: 满意度, levels: [专业]}\n",
        encoding="utf-8",
    )
    (root / "rules" / "r.yaml").write_text(RULES, encoding="utf-8")
    return load_pack(root)


def test_watched_indicators_by_period(pack: Pack) -> None:
    assert watched_indicators(pack) == {Level.MAJOR: {"employment", "attendance", "satisfaction"}}
    year = watched_indicators(pack, Period.parse("2025-2026"))
    term = watched_indicators(pack, Period.parse("2025-2026-1"))
    assert year == {Level.MAJOR: {"employment", "satisfaction"}}
    assert term == {Level.MAJOR: {"attendance", "satisfaction"}}


def test_a_year_does_not_expect_term_figures(pack: Pack) -> None:
    subjects = Subjects(["M1", "M2"], ["major", "major"])
    # M1 has both yearly figures; M2 lacks 满意度.  Neither has 到课率 for the year:
    # it is a term figure, so it must not count as missing.
    observations = Observations(
        ["M1", "M1", "M2", "M1", "M2"],
        ["employment", "satisfaction", "employment", "attendance", "attendance"],
        ["2025-2026", "2025-2026", "2025-2026", "2025-2026-1", "2025-2026-1"],
        [0.95, 0.9, 0.95, 0.97, 0.96],
    )
    year = guard_inputs(
        ["M1", "M2"], pack=pack, subjects=subjects, observations=observations, period="2025-2026"
    )
    assert year.data_ratio.tolist() == [1.0, 0.5]
    term = guard_inputs(
        ["M1", "M2"], pack=pack, subjects=subjects, observations=observations, period="2025-2026-1"
    )
    # In the term: 到课率 present for both, 满意度 (no cadence: every period) missing.
    assert term.data_ratio.tolist() == [0.5, 0.5]
    assert np.all(year.covered == term.covered)
