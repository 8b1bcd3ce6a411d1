"""The built-in packs' scorecards score the way their seeds say (self-tests cover alerts only)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from zhengai.packs import load_pack
from zhengai.scoring import score


def test_changzhou_rewards_the_top_15_percent_and_holds_the_bottom_10_percent_to_account() -> None:
    pack = load_pack("changzhou")
    card = pack.sections["scorecards"]["teaching_ranking"]
    n = 20
    ids = [f"t{i:02d}" for i in range(n)]
    values = {
        "student_evaluation": np.linspace(0.5, 1.0, n),
        "learning_attainment_rate": np.linspace(0.6, 1.0, n),
    }
    result = score(card, ids, values=values, catalog=pack.catalog)
    bands = Counter(b for b in result.band if b is not None)
    assert bands == {"奖励": 3, "问责": 2}  # 15% and 10% of 20
    assert list(result.band[-3:]) == ["奖励"] * 3
    assert list(result.band[:2]) == ["问责"] * 2
    assert result.total[0] == 0.0  # every leaf at its floor
    assert result.total[-1] == 100.0  # every leaf at its target


def test_shanghai_teachers_compare_current_values_with_their_own_targets() -> None:
    pack = load_pack("shanghai-chengjian")
    card = pack.sections["scorecards"]["teacher_goal_attainment"]
    ids = ["met", "half", "short"]
    values = {
        "student_evaluation": np.array([0.90, 0.70, 0.50]),
        "course_teaching_score": np.array([90.0, 75.0, 60.0]),
        "teacher_training_hours": np.array([40.0, 20.0, 0.0]),
    }
    # Each teacher's own targets (教师自我发展规划): the same here, so only values differ.
    goals = {
        "target": {
            "student_evaluation": np.full(3, 0.90),
            "course_teaching_score": np.full(3, 90.0),
            "teacher_training_hours": np.full(3, 40.0),
        }
    }
    result = score(card, ids, values=values, goals=goals, catalog=pack.catalog)
    assert list(result.grade) == ["达成", "未达成", "未达成"]
    assert result.total[0] == 100.0
    assert result.total[1] == 50.0  # halfway from each floor to each target
    assert result.total[2] == 0.0


def test_major_radar_scores_results_against_each_majors_own_targets() -> None:
    pack = load_pack("major-radar")
    card = pack.sections["scorecards"]["major_annual_review"]
    ids = ["excellent", "basic", "behind"]
    values = {
        "initial_employment_rate": np.array([0.95, 0.95, 0.70]),
        "relevant_employment_rate": np.array([0.80, 0.80, 0.40]),
        "enterprise_satisfaction": np.array([0.90, 0.90, 0.60]),
        "radar_approach_rating": np.array([1.0, 2.0, 3.0]),
        "radar_deploy_rating": np.array([1.0, 2.0, 3.0]),
        "radar_assess_rating": np.array([1.0, 2.0, 3.0]),
    }
    goals = {
        "target": {
            "initial_employment_rate": np.full(3, 0.95),
            "relevant_employment_rate": np.full(3, 0.80),
            "enterprise_satisfaction": np.full(3, 0.90),
        }
    }
    result = score(card, ids, values=values, goals=goals, catalog=pack.catalog)
    # results at target (40) + three ratings: 达成 3 × 20 = 100; 基本达成 3 × 14 = 82; 0.
    assert np.allclose(result.total, [100.0, 82.0, 0.0])
    assert list(result.grade) == ["卓越", "良好", "待改进"]


def test_major_group_tasks_weigh_classes_progress_quality_performance_and_assessors() -> None:
    pandas = pytest.importorskip("pandas")
    pack = load_pack("major-group")
    card = pack.sections["scorecards"]["major_group_tasks"]

    def task(group: str, cls: str, p: float, q: float, f: float, source: str) -> dict[str, object]:
        return {
            "subject_id": group,
            "class": cls,
            "progress": p,
            "quality": q,
            "performance": f,
            "source": source,
        }

    tasks = pandas.DataFrame(
        [
            task("g1", "A", 100, 100, 100, "自评"),
            task("g1", "A", 100, 100, 100, "集中考核"),
            task("g2", "A", 100, 50, 0, "自评"),  # 100×0.3 + 50×0.4 + 0×0.3 = 50
            task("g2", "B", 100, 100, 100, "自评"),
            task("g2", "A", 100, 100, 100, "集中考核"),
            task("g2", "B", 100, 100, 100, "集中考核"),
        ]
    )
    result = score(card, ["g1", "g2"], values={}, tasks=tasks, catalog=pack.catalog)
    self_score = (0.5 * 50 + 0.3 * 100) / (0.5 + 0.3)  # only classes A and B have tasks
    assert result.total[0] == 100.0
    assert result.total[1] == pytest.approx(0.3 * self_score + 0.7 * 100)
    assert list(result.grade) == ["优秀", "优秀"]
