"""Ranks, rank bands (奖励前15%、问责后10%) and grade bands, hand-checked."""

from __future__ import annotations

import numpy as np
import pytest

from zhengai.scoring import Grade, RankBand, assign_grades, assign_rank_bands, rank_scores

REWARD_ACCOUNT = [RankBand(label="奖励", top=0.15), RankBand(label="问责", bottom=0.10)]
GRADES = [
    Grade(label="优秀", min=90),
    Grade(label="良好", min=80),
    Grade(label="合格", min=60),
    Grade(label="不合格", min=0),
]


def test_competition_ranks_share_ties_and_skip() -> None:
    rank, better, worse = rank_scores([70, 90, 80, 80, np.nan, 60])
    assert rank[[0, 1, 2, 3, 5]].tolist() == [4, 1, 2, 2, 5]
    assert np.isnan(rank[4])
    assert better[[0, 1, 2, 3, 5]].tolist() == [3, 0, 1, 1, 4]
    assert worse[[0, 1, 2, 3, 5]].tolist() == [1, 4, 2, 2, 0]


def test_float_noise_does_not_break_a_tie() -> None:
    rank, _, _ = rank_scores([0.1 + 0.2, 0.3, 0.29])
    assert rank.tolist() == [1, 1, 3]


def test_partitioned_ranking_per_college() -> None:
    scores = [90, 80, 85, 70, 95, 80]
    college = ["机电", "机电", "信息", "信息", "信息", "机电"]
    rank, _, _ = rank_scores(scores, college)
    # 机电: 90 → 1, 80/80 → 2; 信息: 95 → 1, 85 → 2, 70 → 3
    assert rank.tolist() == [1, 2, 2, 3, 1, 2]


def test_twenty_subjects_give_three_rewards_and_two_accountable() -> None:
    scores = np.arange(20, dtype=float)  # 0..19, no ties; 0.15·20 = 3, 0.10·20 = 2
    band = assign_rank_bands(scores, REWARD_ACCOUNT)
    assert np.flatnonzero(band == "奖励").tolist() == [17, 18, 19]
    assert np.flatnonzero(band == "问责").tolist() == [0, 1]
    assert (band == None).sum() == 15  # noqa: E711 — numpy element-wise comparison


def test_ties_at_the_top_edge_all_share_the_band() -> None:
    # 3rd, 4th and 5th best tie at 17: each ranks 3 ≤ 0.15·20 → all 奖励 (5 subjects).
    scores = np.array([float(x) for x in range(15)] + [17, 17, 17, 18, 19])
    band = assign_rank_bands(scores, REWARD_ACCOUNT)
    assert sorted(scores[band == "奖励"].tolist()) == [17, 17, 17, 18, 19]


def test_ties_just_outside_the_top_edge_all_stay_out() -> None:
    # 19, 18, 17.5 strictly above the tied 17s → the 17s rank 4 > 3 → out.
    scores = np.array([float(x) for x in range(15)] + [17, 17, 17.5, 18, 19])
    band = assign_rank_bands(scores, REWARD_ACCOUNT)
    assert sorted(scores[band == "奖励"].tolist()) == [17.5, 18, 19]


def test_ties_at_the_bottom_edge_share_accountability() -> None:
    scores = np.array([1.0, 1.0, 1.0, *range(10, 27)])  # 20 subjects, 3-way tie at the bottom
    band = assign_rank_bands(scores, REWARD_ACCOUNT)
    assert band[:3].tolist() == ["问责", "问责", "问责"]
    assert band[3] is None


def test_rank_bands_within_partitions() -> None:
    # Each college of 10: top 0.15·10 = 1.5 → rank ≤ 1.5 → only the best;
    # bottom 0.10·10 = 1 → rank from the bottom ≤ 1 → only the worst.
    scores = np.concatenate([np.arange(10.0), np.arange(10.0) + 50])
    college = np.array(["A"] * 10 + ["B"] * 10, dtype=object)
    band = assign_rank_bands(scores, REWARD_ACCOUNT, college)
    assert np.flatnonzero(band == "奖励").tolist() == [9, 19]
    assert np.flatnonzero(band == "问责").tolist() == [0, 10]


def test_missing_scores_get_no_band_and_do_not_count() -> None:
    scores = np.array([np.nan] * 5 + list(range(20)), dtype=float)
    band = assign_rank_bands(scores, REWARD_ACCOUNT)
    assert band[:5].tolist() == [None] * 5
    assert (band == "奖励").sum() == 3


def test_a_group_smaller_than_the_quota_gets_no_band() -> None:
    # 0.15·5 = 0.75 < rank 1: a college of five rewards nobody and holds nobody to account.
    band = assign_rank_bands([50.0, 60, 70, 80, 90], REWARD_ACCOUNT)
    assert band.tolist() == [None] * 5


def test_first_declared_band_wins() -> None:
    bands = [RankBand(label="奖励", top=0.5), RankBand(label="关注", bottom=1.0)]
    assert assign_rank_bands([90.0, 80.0], bands).tolist() == ["奖励", "关注"]


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "优秀"),
        (90, "优秀"),
        (89.99999999999999, "优秀"),  # float noise of a weighted sum reads as 90
        (89.9, "良好"),
        (80, "良好"),
        (60, "合格"),
        (59.99, "不合格"),
        (0, "不合格"),
        (-1, None),
        (float("nan"), None),
    ],
)
def test_grades_by_score(score: float, grade: str | None) -> None:
    assert assign_grades([score], GRADES).tolist() == [grade]


def test_no_bands_declared() -> None:
    assert assign_rank_bands([1.0, 2.0], []).tolist() == [None, None]
    assert assign_grades([1.0], []).tolist() == [None]
