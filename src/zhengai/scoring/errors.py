"""Errors raised while deriving weights or scoring a population.

Errors about a scorecard's *definition* (weights that do not sum to one, a leaf
without an indicator…) live next to the definition models in
:mod:`zhengai.model.scorecard`, because the pack loader validates definitions
before anything is scored; they are re-exported by :mod:`zhengai.scoring`.
"""

from __future__ import annotations

from zhengai.errors import ScoringError

__all__ = [
    "BadJudgementMatrix",
    "BadWeightTable",
    "InconsistentJudgements",
    "MissingScoringInput",
    "NonNumericInput",
    "UnknownBandOrScore",
    "UnknownScoredSubject",
]


class BadJudgementMatrix(ScoringError):
    """A pairwise comparison matrix that is not square, not positive, not reciprocal
    or outside Saaty's 1–9 scale."""

    code = "scoring.bad_judgement_matrix"


class InconsistentJudgements(ScoringError):
    """A pairwise comparison matrix whose consistency ratio CR is 0.1 or more.

    ``judgements`` lists the most inconsistent entries as ``(i, j, a_ij,
    implied)`` where ``implied = w_i / w_j`` is what the derived weights say the
    judgement should have been; ``cr`` is the consistency ratio.
    """

    code = "scoring.inconsistent_judgements"

    def __init__(
        self,
        message: str,
        *,
        cr: float,
        judgements: tuple[tuple[int, int, float, float], ...],
        hint: str | None = None,
    ) -> None:
        self.cr = cr
        self.judgements = judgements
        super().__init__(message, hint=hint)


class BadWeightTable(ScoringError):
    """A subjects × indicators table that entropy weighting cannot use."""

    code = "scoring.bad_weight_table"


class MissingScoringInput(ScoringError):
    """A leaf's indicator, source column or task table is absent from the input."""

    code = "scoring.missing_input"


class NonNumericInput(ScoringError):
    """A numeric leaf read text (or an expression that gives no numbers)."""

    code = "scoring.non_numeric"


class UnknownScoredSubject(ScoringError):
    """``explain``/``gap_to`` asked about a subject that is not in the score set."""

    code = "scoring.unknown_subject"


class UnknownBandOrScore(ScoringError):
    """``gap_to`` was given a band or grade label the scorecard does not declare."""

    code = "scoring.unknown_band"
