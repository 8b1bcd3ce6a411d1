"""Scorecards (考核性诊断): weighting methods, leaf scoring, bands and explanations."""

from zhengai.scoring.errors import (
    BadJudgementMatrix,
    BadWeightTable,
    InconsistentJudgements,
    MissingScoringInput,
    UnknownBandOrScore,
    UnknownScoredSubject,
)
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
    "BadWeightTable",
    "EntropyResult",
    "InconsistentJudgements",
    "MissingScoringInput",
    "UnknownBandOrScore",
    "UnknownScoredSubject",
    "ahp",
    "combined",
    "entropy_weights",
]
