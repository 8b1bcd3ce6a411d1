"""Weighting methods for when a school derives weights instead of writing them down.

* :func:`ahp` — the analytic hierarchy process (层次分析法): weights from a
  pairwise comparison matrix on Saaty's 1–9 scale, by the principal
  eigenvector (特征根法, Saaty's method), the normalised geometric mean of rows
  (根法/方根法) or the row mean of the column-normalised matrix (和法/和积法).
  The Chinese literature uses all three and they differ in the third decimal,
  so the method is always explicit.  Consistency: ``CI = (λmax − n)/(n − 1)``,
  ``CR = CI / RI(n)`` with Saaty's random index; ``CR ≥ 0.1`` is rejected with
  the judgements that disagree most with the derived weights.
* :func:`entropy_weights` — the entropy weight method (熵权法) from observed data:
  direction-aware min–max normalisation, ``p_ij = y_ij / Σ_i y_ij``,
  ``e_j = −(1/ln m) Σ_i p_ij ln p_ij``, ``w_j = (1 − e_j) / Σ_k (1 − e_k)``.
* :func:`combined` — a declared mix of two weightings (主客观组合赋权).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from zhengai.model import Direction
from zhengai.scoring.errors import BadJudgementMatrix, BadWeightTable, InconsistentJudgements

__all__ = [
    "MAX_CONSISTENCY_RATIO",
    "RANDOM_INDEX",
    "AHPMethod",
    "AHPResult",
    "EntropyResult",
    "ahp",
    "combined",
    "entropy_weights",
    "parse_judgement",
]

#: Saaty's random consistency index RI for n = 1..11 (index 0 is n = 1).
RANDOM_INDEX: Final[tuple[float, ...]] = (
    0.0,
    0.0,
    0.58,
    0.90,
    1.12,
    1.24,
    1.32,
    1.41,
    1.45,
    1.49,
    1.51,
)
#: A matrix is acceptably consistent when CR is below this (Saaty).
MAX_CONSISTENCY_RATIO: Final = 0.1
#: Saaty's scale runs from 1/9 to 9; a little slack admits rounded reciprocals like 0.111.
SCALE_SLACK: Final = 1e-3
#: ``a_ij * a_ji`` may differ from 1 by this much: people type 0.33 for 1/3.
RECIPROCAL_TOLERANCE: Final = 0.02
#: How many of the most inconsistent judgements an error names.
NAMED_JUDGEMENTS: Final = 3

AHPMethod = Literal["eigen", "geometric", "arithmetic"]
_METHOD_LABELS: Final = {"eigen": "特征根法", "geometric": "根法", "arithmetic": "和法"}


@dataclass(frozen=True)
class AHPResult:
    """The outcome of :func:`ahp`.

    ``weights`` sum to 1 in the order of the matrix rows; ``lambda_max`` is the
    principal eigenvalue (for the approximate methods, the textbook estimate
    ``mean((A w)_i / w_i)``); ``ci``, ``ri`` and ``cr`` are the consistency
    index, random index and consistency ratio.
    """

    weights: NDArray[np.float64]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    method: AHPMethod
    labels: tuple[str, ...]

    @property
    def consistent(self) -> bool:
        """Whether CR is below :data:`MAX_CONSISTENCY_RATIO`."""
        return self.cr < MAX_CONSISTENCY_RATIO

    def as_dict(self) -> dict[str, float]:
        """Weights by label."""
        return dict(zip(self.labels, (float(w) for w in self.weights), strict=True))


@dataclass(frozen=True)
class EntropyResult:
    """The outcome of :func:`entropy_weights`: weights, entropies ``e_j`` and the
    divergences ``d_j = 1 − e_j``, with the number of complete rows used."""

    weights: NDArray[np.float64]
    entropy: NDArray[np.float64]
    divergence: NDArray[np.float64]
    rows: int
    labels: tuple[str, ...]

    def as_dict(self) -> dict[str, float]:
        """Weights by label."""
        return dict(zip(self.labels, (float(w) for w in self.weights), strict=True))


def parse_judgement(value: object) -> float:
    """One matrix entry: a number, or a fraction written as text (``"1/3"``)."""
    if isinstance(value, bool):
        raise BadJudgementMatrix(f"judgement {value!r} is not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            pass
    raise BadJudgementMatrix(f"judgement {value!r} is not a number or a fraction like '1/3'")


def _as_matrix(matrix: ArrayLike | Sequence[Sequence[object]]) -> NDArray[np.float64]:
    if isinstance(matrix, np.ndarray):
        return np.asarray(matrix, dtype=np.float64)
    rows = [[parse_judgement(v) for v in row] for row in matrix]  # type: ignore[union-attr]
    if len({len(r) for r in rows}) > 1:
        raise BadJudgementMatrix("judgement matrix rows have different lengths")
    return np.array(rows, dtype=np.float64)


def _check_matrix(a: NDArray[np.float64], labels: tuple[str, ...]) -> None:
    n = a.shape[0]
    if a.ndim != 2 or a.shape[1] != n or n == 0:
        raise BadJudgementMatrix(f"judgement matrix must be square, got shape {a.shape}")
    if n > len(RANDOM_INDEX):
        raise BadJudgementMatrix(
            f"judgement matrix of order {n}: Saaty's random index is tabulated up to "
            f"{len(RANDOM_INDEX)}",
            hint="group the criteria into sub-criteria (Saaty recommends at most 9)",
        )
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise BadJudgementMatrix("judgements must be positive numbers")
    if not np.allclose(np.diag(a), 1.0):
        raise BadJudgementMatrix("judgement matrix diagonal must be 1 (a criterion equals itself)")
    out_of_scale = (a < 1 / 9 - SCALE_SLACK) | (a > 9 + SCALE_SLACK)
    if out_of_scale.any():
        i, j = (int(k) for k in np.argwhere(out_of_scale)[0])
        raise BadJudgementMatrix(
            f"judgement {_pair(labels, i, j)} = {a[i, j]:g} is outside Saaty's 1–9 scale"
        )
    product = a * a.T
    bad = np.abs(product - 1.0) > RECIPROCAL_TOLERANCE
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise BadJudgementMatrix(
            f"judgement matrix is not reciprocal: {_pair(labels, i, j)} = {a[i, j]:g} but "
            f"{_pair(labels, j, i)} = {a[j, i]:g}",
            hint=f"set {_pair(labels, j, i)} to {1 / a[i, j]:.4g}",
        )


def _pair(labels: tuple[str, ...], i: int, j: int) -> str:
    return f"{labels[i]} : {labels[j]}"


def ahp(
    matrix: ArrayLike | Sequence[Sequence[object]],
    method: AHPMethod = "eigen",
    *,
    labels: Sequence[str] | None = None,
    max_cr: float | None = MAX_CONSISTENCY_RATIO,
) -> AHPResult:
    """Weights from a pairwise comparison matrix by the analytic hierarchy process.

    ``matrix[i][j]`` says how much more important criterion *i* is than *j* on
    Saaty's 1–9 scale; entries may be numbers or fractions as text (``"1/3"``).
    ``method`` is ``"eigen"`` (principal eigenvector, default), ``"geometric"``
    (根法) or ``"arithmetic"`` (和法).  With ``max_cr`` (default 0.1) a matrix
    whose CR reaches it raises :class:`InconsistentJudgements` naming the
    judgements that disagree most with the weights (largest ``|a_ij w_j / w_i − 1|``);
    ``max_cr=None`` returns the result anyway.

    >>> r = ahp([[1, 3], ["1/3", 1]])
    >>> [round(w, 2) for w in r.weights]
    [0.75, 0.25]
    """
    a = _as_matrix(matrix)
    n = a.shape[0] if a.ndim == 2 else 0
    names = tuple(labels) if labels is not None else tuple(f"C{i + 1}" for i in range(n))
    if len(names) != n:
        raise BadJudgementMatrix(f"{len(names)} labels for a judgement matrix of order {n}")
    _check_matrix(a, names)
    if method == "eigen":
        values, vectors = np.linalg.eig(a)
        k = int(np.argmax(values.real))
        # The Perron vector of a positive matrix has one sign; abs() removes eig's arbitrary one.
        weights = np.abs(vectors[:, k].real)
        weights /= weights.sum()
        lambda_max = float(values[k].real)
    elif method == "geometric":
        weights = np.exp(np.log(a).mean(axis=1))
        weights /= weights.sum()
        lambda_max = float(np.mean(a @ weights / weights))
    elif method == "arithmetic":
        weights = (a / a.sum(axis=0)).mean(axis=1)
        weights /= weights.sum()
        lambda_max = float(np.mean(a @ weights / weights))
    else:
        raise BadJudgementMatrix(
            f"unknown AHP method {method!r}", hint="use 'eigen', 'geometric' or 'arithmetic'"
        )
    ci = (lambda_max - n) / (n - 1) if n > 1 else 0.0
    ci = max(ci, 0.0)  # rounding can push a consistent matrix a hair below n
    ri = RANDOM_INDEX[n - 1]
    cr = ci / ri if ri > 0 else 0.0
    result = AHPResult(weights, lambda_max, ci, ri, cr, method, names)
    if max_cr is not None and cr >= max_cr:
        raise _inconsistent(a, result, max_cr)
    return result


def _inconsistent(
    a: NDArray[np.float64], result: AHPResult, max_cr: float
) -> InconsistentJudgements:
    w = result.weights
    implied = w[:, None] / w[None, :]
    deviation = np.abs(a / implied - 1.0)
    # Each judgement appears twice (a_ij and its reciprocal); report the one stated > 1.
    deviation[a < 1.0] = -1.0
    np.fill_diagonal(deviation, -1.0)
    order = np.argsort(deviation, axis=None)[::-1][:NAMED_JUDGEMENTS]
    worst = []
    for flat in order:
        i, j = divmod(int(flat), a.shape[0])
        if deviation[i, j] < 0:
            break
        worst.append((i, j, float(a[i, j]), float(implied[i, j])))
    named = "; ".join(
        f"{_pair(result.labels, i, j)} = {aij:g} (权重隐含 {imp:.2f})" for i, j, aij, imp in worst
    )
    return InconsistentJudgements(
        f"判断矩阵一致性不足: CR = {result.cr:.3f} ≥ {max_cr:g} "
        f"({_METHOD_LABELS[result.method]}, λmax = {result.lambda_max:.3f}); "
        f"最不一致的判断: {named}",
        cr=result.cr,
        judgements=tuple(worst),
        hint="revise these judgements",
    )


def entropy_weights(
    table: ArrayLike,
    directions: Sequence[Direction | str] | None = None,
    *,
    labels: Sequence[str] | None = None,
    normalize: Literal["minmax", "none"] = "minmax",
) -> EntropyResult:
    """Weights from a subjects × indicators table by the entropy weight method (熵权法).

    Rows with a missing value (NaN) are left out (complete cases).  With
    ``normalize="minmax"`` each column is rescaled to 0–1 in its direction
    (``higher_better``: ``(x − min)/(max − min)``; ``lower_better``:
    ``(max − x)/(max − min)``); ``"none"`` uses the values as given (they must
    be ≥ 0, all higher-is-better): ``p_ij = x_ij / Σ_i x_ij``, the form of Shannon
    entropy most English papers use (Xu 2004; Hwang & Yoon).  A column whose values
    are all equal carries no information: its entropy is 1 and its weight 0.
    """
    x = np.asarray(table, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] == 0:
        raise BadWeightTable(
            f"entropy weighting needs a 2-D subjects × indicators table, got {x.shape}"
        )
    m_all, n = x.shape
    names = tuple(labels) if labels is not None else tuple(f"C{j + 1}" for j in range(n))
    if len(names) != n:
        raise BadWeightTable(f"{len(names)} labels for {n} indicator columns")
    dirs = (
        [Direction(d) for d in directions]
        if directions is not None
        else [Direction.HIGHER_BETTER] * n
    )
    if len(dirs) != n:
        raise BadWeightTable(f"{len(dirs)} directions for {n} indicator columns")
    x = x[~np.isnan(x).any(axis=1)]
    m = x.shape[0]
    if m < 2:
        raise BadWeightTable(
            f"entropy weighting needs at least 2 subjects with every indicator, got {m} of {m_all}"
        )
    if normalize == "minmax":
        low, high = x.min(axis=0), x.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        lower = np.array([d is Direction.LOWER_BETTER for d in dirs])
        y = np.where(lower, high - x, x - low) / span
    elif normalize == "none":
        if np.any(x < 0):
            raise BadWeightTable("normalize='none' needs values ≥ 0", hint="use normalize='minmax'")
        if any(d is Direction.LOWER_BETTER for d in dirs):
            raise BadWeightTable(
                "normalize='none' uses the values as they are: it has no lower-is-better columns",
                hint="use normalize='minmax', or turn those columns round first",
            )
        y = x
    else:
        raise BadWeightTable(f"unknown normalisation {normalize!r}", hint="use 'minmax' or 'none'")
    totals = y.sum(axis=0)
    informative = totals > 0
    p = np.divide(y, totals, out=np.zeros_like(y), where=informative)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = np.where(informative, -plogp.sum(axis=0) / np.log(m), 1.0)
    entropy = np.clip(entropy, 0.0, 1.0)
    divergence = 1.0 - entropy
    if divergence.sum() <= 0:
        raise BadWeightTable("every indicator has the same value for all subjects: no information")
    return EntropyResult(divergence / divergence.sum(), entropy, divergence, m, names)


def combined(
    first: AHPResult | EntropyResult | ArrayLike,
    second: AHPResult | EntropyResult | ArrayLike,
    mix: float,
    *,
    how: Literal["linear", "multiplicative"] = "linear",
) -> NDArray[np.float64]:
    """Combine two weightings of the same criteria (主客观组合赋权).

    ``linear``: ``mix · w1 + (1 − mix) · w2``; ``multiplicative`` (乘法合成):
    ``w1^mix · w2^(1−mix)`` renormalised.  ``mix`` is the share of ``first``.
    """
    w1, w2 = _weights_of(first), _weights_of(second)
    if w1.shape != w2.shape:
        raise BadWeightTable(f"cannot combine {w1.size} weights with {w2.size}")
    if not 0.0 <= mix <= 1.0:
        raise BadWeightTable(f"mix must lie in 0–1, got {mix:g}")
    if how == "linear":
        out = mix * w1 + (1.0 - mix) * w2
    elif how == "multiplicative":
        out = np.power(w1, mix) * np.power(w2, 1.0 - mix)
    else:
        raise BadWeightTable(
            f"unknown combination {how!r}", hint="use 'linear' or 'multiplicative'"
        )
    total = out.sum()
    if total <= 0:
        raise BadWeightTable("combined weights are all zero")
    return np.asarray(out / total, dtype=np.float64)


def _weights_of(value: AHPResult | EntropyResult | ArrayLike) -> NDArray[np.float64]:
    if isinstance(value, AHPResult | EntropyResult):
        return value.weights
    w = np.asarray(value, dtype=np.float64)
    if w.ndim != 1 or np.any(w < 0) or not np.isclose(w.sum(), 1.0, atol=1e-6):
        raise BadWeightTable("weights must be a 1-D vector of non-negative numbers summing to 1")
    return w
