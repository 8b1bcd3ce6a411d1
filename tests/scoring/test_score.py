"""Scoring populations on scorecards: every leaf function, missing-data policy, source
mixing, task classes, weighting methods, outputs, explanations and gaps — expected
scores computed by hand in the comments."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pytest

from zhengai.model import Direction, Indicator, Observation, Period, Subject
from zhengai.scoring import (
    BadScorecard,
    InconsistentJudgements,
    MissingScoringInput,
    Scorecard,
    ScorecardWarning,
    UnknownBandOrScore,
    UnknownScoredSubject,
    WeightsDoNotSumToOne,
    score,
)

NAN = float("nan")


def card(indicators: list[dict[str, Any]], **extra: Any) -> Scorecard:
    return Scorecard.model_validate(
        {"id": "card", "name": "考核", "level": "department", "indicators": indicators, **extra}
    )


def leaf(id_: str, scoring: dict[str, Any], weight: float = 1.0, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": id_, "weight": weight, "scoring": scoring, **extra}
    if (
        "indicator" not in extra
        and "value" not in extra
        and scoring["kind"] not in ("expression", "tasks")
    ):
        body["indicator"] = id_
    return body


def one_leaf(scoring: dict[str, Any], values: list[Any], **extra: Any) -> list[float]:
    sc = card([leaf("x", scoring, **extra)])
    ids = [f"s{i}" for i in range(len(values))]
    result = score(sc, ids, values={"x": np.array(values)})
    return [round(v, 6) for v in result.total.tolist()]


class TestLeafFunctions:
    def test_linear_higher_better(self) -> None:
        # floor 0.6, target 0.9: 0.82 → (0.22/0.3)·100 = 73.333333; capped at both ends.
        got = one_leaf({"kind": "linear", "floor": 0.6, "target": 0.9}, [0.82, 0.5, 0.9, 0.95, 0.6])
        assert got == [73.333333, 0.0, 100.0, 100.0, 0.0]

    def test_linear_lower_better(self) -> None:
        # 投诉率 floor 0.10, target 0.02: 0.06 → (0.06−0.10)/(0.02−0.10) = 0.5 → 50.
        got = one_leaf({"kind": "linear", "floor": 0.10, "target": 0.02}, [0.06, 0.01, 0.12])
        assert got == [50.0, 100.0, 0.0]

    def test_linear_against_each_subjects_goal(self) -> None:
        sc = card([leaf("x", {"kind": "linear", "floor": 0, "target": "goal"})])
        result = score(
            sc,
            ["a", "b", "c"],
            values={"x": np.array([40.0, 40.0, 40.0])},
            goals={"target": {"x": np.array([80.0, 50.0, NAN])}},
        )
        # 40/80 → 50; 40/50 → 80; no goal → missing → nothing left → no score.
        assert result.total[:2].tolist() == [50.0, 80.0]
        assert np.isnan(result.total[2])

    def test_threshold_with_direction(self) -> None:
        got = one_leaf({"kind": "threshold", "value": 0.7}, [0.7, 0.69, 0.1 * 7])
        assert got == [100.0, 0.0, 100.0]  # 0.1·7 = 0.7000000000000001 still meets 0.7
        got = one_leaf(
            {"kind": "threshold", "value": 0.05, "pass_points": 100, "fail_points": 20},
            [0.03, 0.06],
            direction="lower_better",
        )
        assert got == [100.0, 20.0]

    def test_bands(self) -> None:
        spec = {
            "kind": "bands",
            "bands": [
                {"label": "优", "min": 0.9, "points": 100},
                {"label": "良", "min": 0.8, "max": 0.9, "points": 85},
                {"label": "中", "min": 0.7, "max": 0.8, "points": 70},
            ],
            "otherwise": 0,
        }
        assert one_leaf(spec, [0.95, 0.9, 0.85, 0.8, 0.7, 0.69]) == [100, 100, 85, 85, 70, 0]

    def test_rank(self) -> None:
        # pct_rank ascending: 10 → 0, 20/20 → 1/3, 40 → 1 → points 0, 33.33, 33.33, 100.
        got = one_leaf({"kind": "rank"}, [10.0, 20.0, 20.0, 40.0])
        assert got == [0.0, 33.333333, 33.333333, 100.0]
        got = one_leaf({"kind": "rank"}, [10.0, 20.0, 20.0, 40.0], direction="lower_better")
        assert got == [100.0, 33.333333, 33.333333, 0.0]

    def test_rank_within_partition(self) -> None:
        sc = card([leaf("x", {"kind": "rank"})], rank_within="college")
        subjects = [
            Subject(id=f"d{i}", level="department", attributes={"college": c})
            for i, c in enumerate(["机电", "机电", "信息", "信息", "信息"])
        ]
        result = score(sc, subjects, values={"x": np.array([1.0, 2.0, 5.0, 7.0, 6.0])})
        assert result.total.tolist() == [0.0, 100.0, 0.0, 100.0, 50.0]
        assert result.rank.tolist() == [2, 1, 3, 1, 2]

    def test_rating_by_label_and_code(self) -> None:
        spec = {"kind": "rating"}  # 达成 100 / 基本达成 70 / 未达成 0, coded 1/2/3
        got = one_leaf(
            spec, np.array(["达成", "基本达成", "未达成", "不知道"], dtype=object).tolist()
        )
        assert got[:3] == [100.0, 70.0, 0.0]
        assert np.isnan(got[3])
        assert one_leaf(spec, [1.0, 2.0, 3.0]) == [100.0, 70.0, 0.0]

    def test_expression_leaf(self) -> None:
        sc = card([leaf("e", {"kind": "expression", "expression": "x * 100"})])
        result = score(sc, ["a", "b", "c"], values={"x": np.array([0.5, 2.0, NAN])})
        assert result.total[:2].tolist() == [50.0, 100.0]  # clipped to 100
        assert np.isnan(result.total[2])

    def test_value_expression_with_chinese_names(self) -> None:
        catalog = [
            Indicator(id="passed", name="合格人数"),
            Indicator(id="enrolled", name="在籍人数"),
        ]
        sc = card(
            [
                leaf(
                    "rate",
                    {"kind": "linear", "floor": 0.5, "target": 1.0},
                    value="ratio(合格人数, 在籍人数)",
                )
            ]
        )
        values = {"passed": np.array([45.0, 30.0, 5.0]), "enrolled": np.array([50.0, 0.0, 10.0])}
        result = score(sc, ["a", "b", "c"], values=values, catalog=catalog)
        # 0.9 → 80; ratio by zero → missing; 0.5 → 0
        assert result.total[[0, 2]].tolist() == pytest.approx([80.0, 0.0])
        assert np.isnan(result.total[1])
        assert result.explain("a").items[0].details == ("rate 0.90, target 1.00",)


TWO = [
    {
        "id": "quality",
        "name": "质量控制",
        "weight": 0.6,
        "children": [
            leaf("att", {"kind": "linear", "floor": 0.6, "target": 0.9}, 0.5, name="到课率"),
            leaf("pass", {"kind": "threshold", "value": 0.8}, 0.5, name="合格率"),
        ],
    },
    leaf("output", {"kind": "linear", "floor": 0, "target": 10}, 0.4, name="工作业绩"),
]
VALUES = {
    "att": np.array([0.75, NAN, NAN]),
    "pass": np.array([0.9, 0.85, NAN]),
    "output": np.array([5.0, 10.0, NAN]),
}


class TestMissingPolicy:
    def test_exclude_renormalises_and_flags_partial(self) -> None:
        result = score(card(TWO), ["a", "b", "c"], values=VALUES)
        # a: att 50, pass 100 → quality 75; output 50 → 0.6·75 + 0.4·50 = 65.
        # b: att missing → quality = pass = 100; output 100 → 100 (partial).
        # c: nothing → no score.
        assert result.total[:2].tolist() == pytest.approx([65.0, 100.0])
        assert np.isnan(result.total[2])
        assert result.partial.tolist() == [False, True, False]
        assert result.failed.tolist() == [False, False, True]
        # b's effective weights: pass carries the whole 0.6 of quality.
        assert result.node_weights["pass"][1] == pytest.approx(0.6)
        assert result.node_weights["att"][1] == 0.0
        assert result.missing_leaves("b") == ["att"]

    def test_zero_counts_missing_as_nothing(self) -> None:
        result = score(card(TWO, missing="zero"), ["a", "b", "c"], values=VALUES)
        # b: quality = 0.5·0 + 0.5·100 = 50 → 0.6·50 + 0.4·100 = 70; c: 0.
        assert result.total.tolist() == pytest.approx([65.0, 70.0, 0.0])
        assert not result.partial.any()

    def test_fail_withholds_the_score_and_reports_gaps(self) -> None:
        result = score(card(TWO, missing="fail"), ["a", "b", "c"], values=VALUES)
        assert result.total[0] == pytest.approx(65.0)
        assert np.isnan(result.total[1:]).all()
        assert result.failed.tolist() == [False, True, True]
        gaps = [(g["subject_id"], g["missing"]) for g in result.gaps()]
        assert gaps == [("b", "att"), ("c", "att"), ("c", "pass"), ("c", "output")]
        assert np.isnan(result.rank[1:]).all()  # failed subjects are not ranked
        assert result.records()[1]["score"] is None


SOURCED = (
    leaf(
        "sat",
        {"kind": "linear", "floor": 0, "target": 1},
        name="评教",
        sources={"自评": 0.3, "集中考核": 0.7},
    ),
)


class TestSources:
    def test_mixing_keeps_each_source(self) -> None:
        values = {"sat@自评": np.array([0.9, 0.8]), "sat@集中考核": np.array([0.6, NAN])}
        result = score(card(list(SOURCED)), ["a", "b"], values=values)
        # a: 0.3·90 + 0.7·60 = 69; b: only 自评 → 80, partial.
        assert result.total.tolist() == pytest.approx([69.0, 80.0])
        assert result.source_scores[("sat", "自评")].tolist() == pytest.approx([90.0, 80.0])
        assert result.source_scores[("sat", "集中考核")][0] == pytest.approx(60.0)
        assert result.partial.tolist() == [False, True]
        frame = result.to_frame()
        assert frame["sat@集中考核"].tolist()[0] == pytest.approx(60.0)

    def test_node_level_sources_aggregate_per_source(self) -> None:
        spec = [
            {
                "id": "teach",
                "name": "教学",
                "weight": 1.0,
                "sources": {"学生评教": 0.5, "督导": 0.5},
                "children": [
                    leaf("a1", {"kind": "linear", "floor": 0, "target": 100}, 0.5),
                    leaf("a2", {"kind": "linear", "floor": 0, "target": 100}, 0.5),
                ],
            }
        ]
        values = {
            "a1@学生评教": np.array([80.0]),
            "a1@督导": np.array([60.0]),
            "a2@学生评教": np.array([100.0]),
            "a2@督导": np.array([40.0]),
        }
        result = score(card(spec), ["t"], values=values)
        # a1 = 70, a2 = 70 → 70; per source: 学生评教 (80+100)/2 = 90, 督导 (60+40)/2 = 50.
        assert result.total.tolist() == pytest.approx([70.0])
        assert result.source_scores[("teach", "学生评教")].tolist() == pytest.approx([90.0])
        assert result.source_scores[("teach", "督导")].tolist() == pytest.approx([50.0])

    def test_source_weights_must_sum_to_one(self) -> None:
        bad = [leaf("sat", {"kind": "rank"}, sources={"自评": 0.3, "集中考核": 0.6})]
        with pytest.raises(WeightsDoNotSumToOne) as caught:
            card(bad)
        assert caught.value.where.field == "indicators[0]"
        assert caught.value.message == "sources of sat weights sum to 0.9, not 1"


TASKS = {
    "A": {"label": "重点", "weight": 0.5, "progress": 0.3, "quality": 0.3, "performance": 0.4},
    "B": {"label": "常规", "weight": 0.3, "progress": 0.5, "quality": 0.5, "performance": 0.0},
    "C": {
        "label": "临时开放性",
        "weight": 0.2,
        "progress": 0.2,
        "quality": 0.4,
        "performance": 0.4,
    },
}


class TestTasks:
    def table(self) -> dict[str, list[Any]]:
        return {
            "subject_id": ["a", "a", "a", "a", "b", "b"],
            "class": ["A", "A", "B", "C", "A", "B"],
            "progress": [100, 80, 90, 50, 60, 100],
            "quality": [90, 70, 70, 50, 60, NAN],
            "performance": [80, 60, 0, 100, 60, 0],
        }

    def test_class_weights_and_per_task_weights(self) -> None:
        sc = card([leaf("tasks", {"kind": "tasks", "classes": TASKS}, name="目标任务")])
        result = score(sc, ["a", "b", "c"], values={}, tasks=self.table())
        # a: A tasks 0.3·100+0.3·90+0.4·80 = 89 and 0.3·80+0.3·70+0.4·60 = 69 → A = 79;
        #    B 0.5·90 + 0.5·70 = 80; C 0.2·50+0.4·50+0.4·100 = 70
        #    → 0.5·79 + 0.3·80 + 0.2·70 = 77.5.
        # b: A 60; B task lacks quality → exclude renormalises within the task: progress
        #    alone (performance weight 0) → 100 → (0.5·60 + 0.3·100)/0.8 = 75 (no C tasks).
        # c: no tasks → missing.
        assert result.total[:2].tolist() == pytest.approx([77.5, 75.0])
        assert np.isnan(result.total[2])
        assert result.partial.tolist() == [False, True, False]  # b's B task lacks quality
        assert result.task_class_scores[("tasks", "A")][0] == pytest.approx(79.0)
        assert np.isnan(result.task_class_scores[("tasks", "C")][1])

    def test_task_class_weights_must_sum(self) -> None:
        bad = dict(TASKS, A={"weight": 0.5, "progress": 0.3, "quality": 0.3, "performance": 0.3})
        with pytest.raises(
            WeightsDoNotSumToOne, match=r"progress \+ quality \+ performance weights sum to 0\.9"
        ):
            card([leaf("tasks", {"kind": "tasks", "classes": bad})])

    def test_undeclared_class(self) -> None:
        sc = card([leaf("tasks", {"kind": "tasks", "classes": TASKS})])
        table = self.table()
        table["class"][0] = "D"
        with pytest.raises(MissingScoringInput) as caught:
            score(sc, ["a"], values={}, tasks=table)
        assert caught.value.message == "task class(es) D not declared by tasks"
        assert caught.value.hint == "declared: A, B, C"

    def test_self_and_central_assessment_of_tasks(self) -> None:
        sc = card(
            [
                leaf(
                    "tasks",
                    {"kind": "tasks", "classes": TASKS},
                    sources={"自评": 0.4, "集中考核": 0.6},
                )
            ]
        )
        table = {
            "subject_id": ["a", "a"],
            "class": ["A", "A"],
            "source": ["自评", "集中考核"],
            "progress": [100, 80],
            "quality": [100, 80],
            "performance": [100, 50],
        }
        result = score(sc, ["a"], values={}, tasks=table)
        # 自评 100; 集中考核 0.3·80 + 0.3·80 + 0.4·50 = 68 → 0.4·100 + 0.6·68 = 80.8
        assert result.total.tolist() == pytest.approx([80.8])
        assert result.source_scores[("tasks", "集中考核")].tolist() == pytest.approx([68.0])


class TestWeighting:
    def test_ahp_weights_children(self) -> None:
        spec = [
            {
                "id": "root",
                "weight": 1,
                "weighting": {"method": "ahp", "matrix": [[1, 3], ["1/3", 1]]},
                "children": [leaf("p", {"kind": "rank"}, 0), leaf("q", {"kind": "rank"}, 0)],
            }
        ]
        result = score(
            card(spec), ["a", "b"], values={"p": np.array([1.0, 0.0]), "q": np.array([0.0, 1.0])}
        )
        assert result.total.tolist() == pytest.approx([75.0, 25.0])

    def test_inconsistent_ahp_is_rejected_with_its_place(self) -> None:
        matrix = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]
        spec = [
            {
                "id": "root",
                "weight": 1,
                "weighting": {"method": "ahp", "matrix": matrix},
                "children": [leaf(k, {"kind": "rank"}) for k in ("p", "q", "r")],
            }
        ]
        with pytest.raises(InconsistentJudgements) as caught:
            score(card(spec), ["a"], values={"p": [1.0], "q": [1.0], "r": [1.0]})
        assert caught.value.where.field == "indicators[0].weighting"

    def test_entropy_and_combined(self) -> None:
        # p separates the subjects, q is constant: entropy gives p all the weight.
        values = {"p": np.array([0.0, 1.0]), "q": np.array([0.5, 0.5])}
        children = [
            leaf("p", {"kind": "linear", "floor": 0, "target": 1}),
            leaf("q", {"kind": "linear", "floor": 0, "target": 1}),
        ]
        entropy = [
            {"id": "root", "weight": 1, "weighting": {"method": "entropy"}, "children": children}
        ]
        result = score(card(entropy), ["a", "b"], values=values)
        assert result.total.tolist() == pytest.approx([0.0, 100.0])
        mixed = [
            {
                "id": "root",
                "weight": 1,
                "weighting": {
                    "method": "combined",
                    "first": {"method": "ahp", "matrix": [[1, 1], [1, 1]]},
                    "second": {"method": "entropy"},
                    "mix": 0.5,
                },
                "children": children,
            }
        ]
        result = score(card(mixed), ["a", "b"], values=values)
        # weights 0.5·(.5,.5) + 0.5·(1,0) = (.75,.25):
        # a = .25·50 = 12.5; b = .75·100 + .25·50 = 87.5
        assert result.total.tolist() == pytest.approx([12.5, 87.5])


class TestDefinition:
    def test_weights_must_sum_to_one(self) -> None:
        with pytest.raises(WeightsDoNotSumToOne) as caught:
            card([leaf("a", {"kind": "rank"}, 0.5), leaf("b", {"kind": "rank"}, 0.4)])
        assert caught.value.code == "scoring.weights_do_not_sum_to_one"
        assert (
            str(caught.value)
            == "indicators: a、b weights sum to 0.9, not 1, fix the weights or set normalize: true"
        )

    def test_normalize_rescales_with_a_warning(self) -> None:
        with pytest.warns(ScorecardWarning, match=r"weights sum to 0\.9; rescaled to 1"):
            sc = card(
                [leaf("a", {"kind": "rank"}, 0.45), leaf("b", {"kind": "rank"}, 0.45)],
                normalize=True,
            )
        assert [n.weight for n in sc.indicators] == [0.5, 0.5]

    def test_tolerance(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sc = card(
                [leaf(k, {"kind": "rank"}, w) for k, w in (("a", 0.33), ("b", 0.33), ("c", 0.3395))]
            )
        assert len(sc.leaves()) == 3

    @pytest.mark.parametrize(
        ("indicators", "message", "field"),
        [
            (
                [{"id": "a", "weight": 1}],
                "a: a node needs children or a scoring function",
                "indicators[0]",
            ),
            (
                [leaf("a", {"kind": "rank"}, 1, indicator="a", value="x * 2")],
                "a: a leaf reads exactly one of indicator or value",
                "indicators[0]",
            ),
            (
                [leaf("a", {"kind": "linear", "floor": 1, "target": 1})],
                "a: linear floor and target are equal",
                "indicators[0]",
            ),
            (
                [
                    {
                        "id": "g",
                        "weight": 1,
                        "children": [leaf("a", {"kind": "rank"}), leaf("a", {"kind": "rank"}, 0)],
                    }
                ],
                "node id 'a' is used twice (also at indicators[0].children[0])",
                "indicators[0].children[1]",
            ),
            (
                [
                    {
                        "id": "g",
                        "weight": 1,
                        "children": [{"id": "a", "scoring": {"kind": "rank"}, "indicator": "a"}],
                    }
                ],
                "a: weight missing and the parent declares no weighting",
                "indicators[0].children",
            ),
        ],
    )
    def test_bad_trees(self, indicators: list[dict[str, Any]], message: str, field: str) -> None:
        with pytest.raises(BadScorecard) as caught:
            card(indicators)
        assert caught.value.message == message
        assert caught.value.where.field == field

    def test_rank_band_needs_one_side(self) -> None:
        with pytest.raises(
            BadScorecard, match="rank band '奖励' needs exactly one of top or bottom"
        ):
            card(
                [leaf("a", {"kind": "rank"})],
                rank_bands=[{"label": "奖励", "top": 0.1, "bottom": 0.1}],
            )

    def test_unknown_indicator_with_catalog(self) -> None:
        catalog = [Indicator(id="attendance_rate", name="到课率")]
        sc = card([leaf("a", {"kind": "rank"}, indicator="到课律")])
        with pytest.raises(BadScorecard) as caught:
            score(sc, ["s"], values={}, catalog=catalog)
        assert caught.value.message == "a: unknown indicator '到课律'"
        assert caught.value.hint == "did you mean '到课率'?"
        assert caught.value.where.field == "indicators[0].indicator"

    def test_missing_column(self) -> None:
        with pytest.raises(MissingScoringInput) as caught:
            score(card([leaf("att", {"kind": "rank"})]), ["s"], values={"atx": [1.0]})
        assert caught.value.code == "scoring.missing_input"
        assert str(caught.value) == "no column 'att' in the values, did you mean 'atx'?"


FIVE = [
    {
        "id": "target",
        "name": "目标任务",
        "weight": 0.3,
        "children": [
            leaf(
                "plan", {"kind": "linear", "floor": 0.5, "target": 1.0}, 1.0, name="规划目标完成度"
            )
        ],
    },
    {
        "id": "quality",
        "name": "质量控制",
        "weight": 0.3,
        "children": [
            leaf(
                "att",
                {"kind": "linear", "floor": 0.6, "target": 0.9},
                0.7,
                name="到课率",
                indicator="到课率",
            ),
            leaf("sat", {"kind": "threshold", "value": 0.7}, 0.3, name="评教满意度"),
        ],
    },
    leaf(
        "result",
        {
            "kind": "bands",
            "bands": [
                {"label": "优", "min": 90, "points": 100},
                {"label": "良", "min": 80, "max": 90, "points": 85},
                {"label": "中", "min": 60, "max": 80, "points": 70},
            ],
        },
        0.4,
        name="工作业绩",
    ),
]
GRADES = [
    {"label": "优秀", "min": 90},
    {"label": "良好", "min": 80},
    {"label": "合格", "min": 60},
    {"label": "不合格", "min": 0},
]


def five_result() -> Any:
    sc = card(
        FIVE,
        grades=GRADES,
        rank_bands=[{"label": "奖励", "top": 0.34}, {"label": "问责", "bottom": 0.34}],
    )
    catalog = [
        Indicator(id="att", name="到课率", direction=Direction.HIGHER_BETTER),
        Indicator(id="plan", name="规划目标完成度"),
        Indicator(id="sat", name="评教满意度"),
        Indicator(id="result", name="工作业绩"),
    ]
    values = {
        "plan": np.array([0.9, 1.0, 0.6]),
        "att": np.array([0.82, 0.95, 0.7]),
        "sat": np.array([0.75, 0.9, 0.6]),
        "result": np.array([85.0, 95.0, 65.0]),
    }
    return score(sc, ["机电系", "信息系", "经管系"], values=values, catalog=catalog)


class TestOutputs:
    def test_totals_ranks_bands_grades(self) -> None:
        r = five_result()
        # 机电系: plan (0.4/0.5)·100 = 80 → 24; att 73.33·0.7 + sat 100·0.3 = 81.33 → 24.4;
        #         result 良 85 → 34 → 82.4 良好.
        # 信息系: 30 + 30 + 40 = 100.  经管系: plan 20 → 6; att 33.33·0.7 = 23.33 → 7;
        #         result 中 70 → 28 → 41 不合格.
        assert r.total.tolist() == pytest.approx([82.4, 100.0, 41.0])
        assert r.rank.tolist() == [2, 1, 3]
        assert r.band.tolist() == [None, "奖励", "问责"]
        assert r.grade.tolist() == ["良好", "优秀", "不合格"]
        assert r.contribution("quality")[0] == pytest.approx(24.4)

    def test_explain_from_largest_loss(self) -> None:
        e = five_result().explain("机电系")
        # losses: 目标任务 0.3·20 = 6; 质量控制 0.3·18.67 = 5.6; 工作业绩 0.4·15 = 6
        # (a tie keeps declaration order).
        assert [i.name for i in e.items] == ["目标任务", "工作业绩", "质量控制"]
        lines = str(e).splitlines()
        assert lines[0] == "机电系: 82.4 分"
        assert lines[1] == "  目标任务 −6.0 分: 规划目标完成度 0.90, target 1.00"
        assert lines[3] == "  质量控制 −5.6 分: 到课率 0.82, target 0.90"

    def test_gap_to_next_grade(self) -> None:
        plan = five_result().gap_to("机电系")
        # 82.4 → 优秀 (90): 7.6 points. plan weight 0.3 → needs 80 + 25.33 = 105.3 > 100: no.
        # att weight 0.21 → 73.33 + 36.19 > 100: no. result 0.4 → 85 + 19 = 104 → no band gives it…
        # result 优 gives 100 → +6 only: no. So nothing single reaches 90.
        assert plan.target == "优秀"
        assert plan.needed == 90
        assert plan.improvements == ()
        assert str(plan).endswith("没有单项改进可以达到")

    def test_gap_to_a_score(self) -> None:
        plan = five_result().gap_to("经管系", 60)
        # 41 → 60: 19 points.  plan: weight .3 → 20 + 63.33 = 83.33
        #   → value 0.5 + .8333·0.5 = 0.9167.
        # att: weight .21 → 33.33 + 90.48 > 100 no; sat: weight .09 → no; result: weight .4 →
        # 70 + 47.5 = 117.5 no.
        assert [i.leaf_id for i in plan.improvements] == ["plan"]
        imp = plan.improvements[0]
        assert imp.needed_value == pytest.approx(0.916667, abs=1e-6)
        assert imp.gain == pytest.approx(19.0)
        assert str(imp) == "规划目标完成度: 0.60 → 0.92 (得分 20.0 → 83.3, +19.0 分)"

    def test_gap_out_of_the_bottom_band(self) -> None:
        r = five_result()
        plan = r.gap_to("经管系")
        assert plan.target == "脱离问责"
        assert plan.needed == pytest.approx(82.4 + 1e-6)
        assert plan.improvements == ()

    def test_gap_to_top_band_and_errors(self) -> None:
        r = five_result()
        plan = r.gap_to("机电系", "奖励")
        assert plan.needed == pytest.approx(100.0)
        with pytest.raises(UnknownBandOrScore) as caught:
            r.gap_to("机电系", "卓越")
        assert caught.value.message == "scorecard 'card' has no band or grade '卓越'"
        assert caught.value.hint == "known: 不合格, 合格, 良好, 优秀, 奖励, 问责"
        with pytest.raises(UnknownBandOrScore, match="问责 is a bottom band"):
            r.gap_to("机电系", "问责")
        with pytest.raises(
            UnknownScoredSubject, match=r"subject '外语系' is not in this score set"
        ):
            r.explain("外语系")

    def test_to_json_and_html(self) -> None:
        r = five_result()
        data = json.loads(r.to_json())
        assert data["scorecard"] == "card"
        first = data["scores"][0]
        assert first["subject_id"] == "机电系"
        assert first["grade"] == "良好"
        assert first["nodes"]["quality.contribution"] == pytest.approx(24.4)
        assert first["missing"] == []
        html = r._repr_html_()
        assert "<th>质量控制</th>" in html
        assert "<td>机电系</td>" in html

    def test_bands_with_rank_within_from_subject_attributes(self) -> None:
        sc = card(
            [leaf("x", {"kind": "linear", "floor": 0, "target": 100})],
            rank_within="college",
            rank_bands=[{"label": "奖励", "top": 0.5}],
        )
        subjects = [
            Subject(id=f"m{i}", level="department", attributes={"college": c})
            for i, c in enumerate(["A", "A", "B", "B"])
        ]
        r = score(sc, subjects, values={"x": np.array([10.0, 20.0, 30.0, 40.0])})
        assert r.band.tolist() == [None, "奖励", None, "奖励"]


class TestObservationInput:
    def test_long_form_observations_of_one_period(self) -> None:
        p, q = Period.parse("2025-2026"), Period.parse("2024-2025")
        rows = [
            Observation(subject_id="a", indicator="pass", period=p, value=0.9),
            Observation(subject_id="a", indicator="att", period=p, value=0.75),
            Observation(subject_id="a", indicator="output", period=p, value=5),
            Observation(subject_id="a", indicator="output", period=q, value=10),
            Observation(subject_id="b", indicator="pass", period=p, value=0.85),
            Observation(subject_id="b", indicator="output", period=p, value=10),
            Observation(subject_id="z", indicator="output", period=p, value=10),
        ]
        result = score(card(TWO), ["a", "b"], rows, "2025-2026")
        assert result.total.tolist() == pytest.approx([65.0, 100.0])

    def test_long_form_dataframe_with_sources(self) -> None:
        pd = pytest.importorskip("pandas")
        df = pd.DataFrame(
            {
                "subject_id": ["a", "a", "b"],
                "indicator": ["sat", "sat", "sat"],
                "period": ["2025-2026"] * 3,
                "value": [0.9, 0.6, 0.8],
                "source": ["自评", "集中考核", "自评"],
            }
        )
        result = score(card(list(SOURCED)), ["a", "b"], df, "2025-2026")
        assert result.total.tolist() == pytest.approx([69.0, 80.0])

    def test_observations_table_with_history_and_sources(self) -> None:
        from zhengai.data import Observations, Subjects

        obs = Observations(
            ["a", "a", "b", "b", "a", "a", "b"],
            ["x", "x", "x", "x", "sat", "sat", "sat"],
            [
                "2024-2025",
                "2025-2026",
                "2024-2025",
                "2025-2026",
                "2025-2026",
                "2025-2026",
                "2025-2026",
            ],
            [10.0, 14.0, 10.0, 9.0, 0.9, 0.6, 0.8],
            [None, None, None, None, "自评", "集中考核", "自评"],
        )
        sc = card(
            [
                leaf("growth", {"kind": "threshold", "value": 0}, 0.5, value="delta(x)"),
                dict(SOURCED[0], weight=0.5),
            ]
        )
        subjects = Subjects.from_subjects(
            [Subject(id="a", level="department"), Subject(id="b", level="department")]
        )
        result = score(sc, subjects, obs, "2025-2026")
        # a: delta +4 ≥ 0 → 100; sat 0.3·90 + 0.7·60 = 69 → 84.5.
        # b: delta −1 → 0; sat only 自评 → 80 → 40 (partial).
        assert result.total.tolist() == pytest.approx([84.5, 40.0])
        assert result.partial.tolist() == [False, True]

    def test_needs_a_period(self) -> None:
        with pytest.raises(MissingScoringInput, match="needs the period"):
            score(card(TWO), ["a"], [])

    def test_no_data(self) -> None:
        with pytest.raises(MissingScoringInput, match="score\\(\\) needs observations or values"):
            score(card(TWO), ["a"])


def test_expressions_are_listed_for_the_pack_loader() -> None:
    from zhengai.model.scorecard import scorecard_expressions

    sc = card(
        [
            {
                "id": "g",
                "weight": 1,
                "children": [
                    leaf("a", {"kind": "rank"}, 0.5, value="x / 2"),
                    leaf("b", {"kind": "expression", "expression": "y * 10"}, 0.5),
                ],
            }
        ]
    )
    assert list(scorecard_expressions(sc)) == [
        (("indicators", 0, "children", 0, "value"), "x / 2"),
        (("indicators", 0, "children", 1, "scoring", "expression"), "y * 10"),
    ]


def test_text_in_a_numeric_leaf_is_refused() -> None:
    from zhengai.scoring import NonNumericInput

    sc = card([leaf("x", {"kind": "linear", "floor": 0, "target": 1}, name="到课率")])
    with pytest.raises(NonNumericInput) as caught:
        score(sc, ["a"], values={"x": np.array(["九成"], dtype=object)})
    assert caught.value.code == "scoring.non_numeric"
    assert str(caught.value) == (
        "到课率 is not numeric, rating leaves read text; other leaves need numbers"
    )


def test_gap_to_refuses_a_subject_without_score_and_a_top_subject() -> None:
    ids = ["a", "b", "c"]
    result = score(card(TWO, missing="fail", grades=GRADES), ids, values=VALUES)
    with pytest.raises(UnknownBandOrScore) as caught:
        result.gap_to("b", 90)
    assert caught.value.message == "b has no score (missing data)"
    top = score(card(TWO, grades=GRADES), ids, values=VALUES)
    with pytest.raises(UnknownBandOrScore, match="b is in the top grade already"):
        top.gap_to("b")
    assert top.gap_to("a", 60).reached


def test_subjects_are_narrowed_to_the_scorecards_level() -> None:
    sc = card([leaf("x", {"kind": "linear", "floor": 0, "target": 100})])  # level: department
    subjects = [
        Subject(id="学校", level="school"),
        Subject(id="机电系", level="department", parent_id="学校"),
        Subject(id="信息系", level="部门", parent_id="学校"),
    ]
    obs = [
        Observation(subject_id=s, indicator="x", period=Period.parse("2025-2026"), value=v)
        for s, v in (("学校", 99.0), ("机电系", 60.0), ("信息系", 80.0))
    ]
    result = score(sc, subjects, obs, "2025-2026")
    assert result.subject_ids.tolist() == ["机电系", "信息系"]
    assert result.total.tolist() == [60.0, 80.0]
