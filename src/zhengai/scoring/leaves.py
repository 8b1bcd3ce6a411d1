"""Leaf scoring functions, vectorised: values in, 0–100 points out (NaN = missing).

Each function here has an inverse used by ``gap_to``: the value a leaf must
reach for a given score.  Comparisons are decimal-faithful (the difference is
rounded to :data:`COMPARE_DECIMALS` places first), so a pass rate of
0.7 − 1e-17 meets a 0.7 threshold.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from zhengai.model import Direction
from zhengai.model.scorecard import (
    MAX_POINTS,
    BandsScoring,
    LinearScoring,
    RatingScoring,
    ThresholdScoring,
)
from zhengai.scoring.bands import group_codes, tie_runs

__all__ = [
    "COMPARE_DECIMALS",
    "bands_points",
    "invert_bands",
    "invert_linear",
    "invert_rating",
    "linear_points",
    "pct_rank",
    "rank_points",
    "rating_points",
    "threshold_points",
]

#: Comparisons round the difference to this many decimal places (decimal-faithful floats).
COMPARE_DECIMALS: Final = 9

FloatArray = NDArray[np.float64]


#: ``round(v − b, COMPARE_DECIMALS) ≥ 0`` is ``v − b ≥ −HALF_STEP``: one pass, no rounding.
HALF_STEP: Final = 0.5 * 10**-COMPARE_DECIMALS


def _at_least(value: FloatArray, bound: float | FloatArray) -> NDArray[np.bool_]:
    with np.errstate(invalid="ignore"):
        return np.asarray(value - bound >= -HALF_STEP)


def linear_points(
    value: FloatArray,
    spec: LinearScoring,
    target: FloatArray | float,
    out: FloatArray | None = None,
) -> FloatArray:
    """``100 · clip((v − floor) / (target − floor), 0, 1)``; NaN when v or target is missing."""
    # One output array, updated in place: temporaries cost page faults at population size.
    out = np.subtract(value, spec.floor, out=out)
    with np.errstate(invalid="ignore", divide="ignore"):
        if isinstance(target, float | int):
            # (t − f) / (t − f) is exactly 1 in IEEE arithmetic: a value on the target scores 100.
            out /= target - spec.floor
        else:
            out /= np.where(np.isclose(target, spec.floor), np.nan, target - spec.floor)
    np.clip(out, 0.0, 1.0, out=out)
    out *= MAX_POINTS
    return out


def invert_linear(points: float, spec: LinearScoring, target: float) -> float:
    """The value that scores ``points`` on a linear leaf."""
    return spec.floor + points / MAX_POINTS * (target - spec.floor)


def threshold_points(
    value: FloatArray,
    spec: ThresholdScoring,
    direction: Direction,
    out: FloatArray | None = None,
) -> FloatArray:
    """``pass_points`` when the value meets the threshold in its direction, else ``fail_points``."""
    out = np.subtract(value, spec.value, out=out)
    if direction is Direction.LOWER_BETTER:
        np.negative(out, out=out)
    passed = out >= -HALF_STEP
    missing = np.isnan(out)
    out.fill(spec.fail_points)
    out[passed] = spec.pass_points
    out[missing] = np.nan
    return out


def bands_points(
    value: FloatArray, spec: BandsScoring, out: FloatArray | None = None
) -> FloatArray:
    """Points of the first band whose ``min ≤ v < max``; ``otherwise`` outside all bands."""
    if out is None:
        out = np.empty(value.shape)
    out.fill(spec.otherwise)
    # Later bands first, so that the first declared band wins where ranges overlap.
    for band in reversed(spec.bands):
        inside = _at_least(value, band.min)
        if np.isfinite(band.max):
            inside &= ~_at_least(value, band.max)
        out[inside] = band.points
    out[np.isnan(value)] = np.nan
    return out


def invert_bands(points: float, spec: BandsScoring) -> tuple[str, float] | None:
    """The band (label, lowest value) with the fewest points that still reach ``points``."""
    reaching = [b for b in spec.bands if b.points >= points - 10**-COMPARE_DECIMALS]
    if not reaching:
        return None
    band = min(reaching, key=lambda b: b.points)
    return band.label, band.min if np.isfinite(band.min) else band.max


def pct_rank(value: FloatArray, partition: NDArray[np.generic] | None) -> FloatArray:
    """SQL ``PERCENT_RANK``: ``(rank − 1) / (n − 1)`` ascending within each group; ties share
    the lowest rank; 0 for a group of one; NaN for missing values."""
    n = value.size
    valid = ~np.isnan(value)
    if partition is None:
        order, run_start, _, m = tie_runs(np.round(value, COMPARE_DECIMALS))
        out = np.full(n, np.nan)
        out[order[:m]] = run_start / (m - 1) if m > 1 else 0.0
        return out
    codes = group_codes(partition, n)
    key = np.where(valid, np.round(value, COMPARE_DECIMALS), np.inf)
    order = np.lexsort((key, ~valid, codes))
    g, k = codes[order], key[order]
    idx = np.arange(n)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = g[1:] != g[:-1]
    new_run = new_group.copy()
    new_run[1:] |= k[1:] != k[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, idx, 0))
    run_start = np.maximum.accumulate(np.where(new_run, idx, 0))
    size = np.bincount(codes, weights=valid.astype(np.float64))[g]
    with np.errstate(invalid="ignore", divide="ignore"):
        pct_sorted = np.where(size > 1, (run_start - group_start) / (size - 1), 0.0)
    out = np.full(n, np.nan)
    out[order] = pct_sorted
    out[~valid] = np.nan
    return out


def rank_points(
    value: FloatArray, direction: Direction, partition: NDArray[np.generic] | None
) -> FloatArray:
    """``100 · pct_rank`` (of the negated value for lower-is-better indicators)."""
    signed = -value if direction is Direction.LOWER_BETTER else value
    return pct_rank(signed, partition) * MAX_POINTS


def rating_points(value: NDArray[np.generic], spec: RatingScoring) -> FloatArray:
    """Points of the rating whose label (text data) or code (numeric data) the value is."""
    arr = np.asarray(value)
    out = np.full(arr.shape, np.nan)
    if arr.dtype.kind in "fiub":
        numeric = arr.astype(np.float64)
        for level in spec.levels:
            out[np.isclose(numeric, float(level.code or 0.0))] = level.points
        return out
    text = arr.astype(object)
    for level in spec.levels:
        out[text == level.label] = level.points
        if level.code is not None:
            out[text == level.code] = level.points
    return out


def invert_rating(points: float, spec: RatingScoring) -> str | None:
    """The lowest rating that still reaches ``points``."""
    reaching = [lv for lv in spec.levels if lv.points >= points - 10**-COMPARE_DECIMALS]
    return min(reaching, key=lambda lv: lv.points).label if reaching else None
