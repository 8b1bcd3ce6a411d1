"""The built-in packs' scorecards score the way their seeds say (self-tests cover alerts only)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from zhengai.packs import load_pack
from zhengai.scoring import score


def test_changzhou_rewards_the_top_15_percent_and_holds_the_bottom_10_percent_to_account() -> None:
    pack = load_pack("changzhou")
    card = pack.sections["scorecards"]["teaching_ranking"]
    n = 20
    ids = [f"t{i:02d}" for i in range(n)]
    values = {
        "course_teaching_score": np.linspace(60, 100, n),
        "learning_attainment_rate": np.linspace(0.6, 1.0, n),
        "student_evaluation": np.linspace(0.5, 1.0, n),
    }
    result = score(card, ids, values=values, catalog=pack.catalog)
    bands = Counter(b for b in result.band if b is not None)
    assert bands == {"奖励": 3, "问责": 2}  # 15% and 10% of 20
    assert list(result.band[-3:]) == ["奖励"] * 3
    assert list(result.band[:2]) == ["问责"] * 2
    assert result.total[0] == 0.0  # every leaf at its floor
    assert result.total[-1] == 100.0  # every leaf at its target
