"""Scorecards (考核性诊断): weighting methods, leaf scoring, bands and explanations."""

from zhengai.model.scorecard import (
    BadScorecard,
    Grade,
    RankBand,
    Scorecard,
    ScorecardNode,
    ScorecardWarning,
    WeightsDoNotSumToOne,
)
from zhengai.scoring.bands import assign_grades, assign_rank_bands, rank_scores
from zhengai.scoring.engine import CompiledScorecard, compile_scorecard, score
from zhengai.scoring.errors import (
    BadJudgementMatrix,
    BadWeightTable,
    InconsistentJudgements,
    MissingScoringInput,
    NonNumericInput,
    UnknownBandOrScore,
    UnknownScoredSubject,
)
from zhengai.scoring.result import Contribution, Explanation, GapPlan, Improvement, ScoreSet
from zhengai.scoring.weights import (
    MAX_CONSISTENCY_RATIO,
    RANDOM_INDEX,
    AHPResult,
    EntropyResult,
    ahp,
    combined,
    entropy_weights,
)

__all__ = [
    "MAX_CONSISTENCY_RATIO",
    "RANDOM_INDEX",
    "AHPResult",
    "BadJudgementMatrix",
    "BadScorecard",
    "BadWeightTable",
    "CompiledScorecard",
    "Contribution",
    "EntropyResult",
    "Explanation",
    "GapPlan",
    "Grade",
    "Improvement",
    "InconsistentJudgements",
    "MissingScoringInput",
    "NonNumericInput",
    "RankBand",
    "ScoreSet",
    "Scorecard",
    "ScorecardNode",
    "ScorecardWarning",
    "UnknownBandOrScore",
    "UnknownScoredSubject",
    "WeightsDoNotSumToOne",
    "ahp",
    "assign_grades",
    "assign_rank_bands",
    "combined",
    "compile_scorecard",
    "entropy_weights",
    "rank_scores",
    "score",
]
