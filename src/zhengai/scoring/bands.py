"""Ranking, rank bands by quantile and grade bands by score, vectorised with numpy.

Scores are rounded to :data:`SCORE_DECIMALS` before they are compared, so two
subjects whose totals differ only by floating-point noise (89.99999999999999
and 90.0) tie, and a total of 89.99999999999999 reaches the 90-point grade —
numbers compare the way a person reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from zhengai.model.scorecard import Grade, RankBand

FloatArray = NDArray[np.float64]

__all__ = ["SCORE_DECIMALS", "assign_grades", "assign_rank_bands", "group_codes", "rank_scores"]

#: Scores are compared after rounding to this many decimal places.
SCORE_DECIMALS: Final = 6


def group_codes(partition: ArrayLike | None, n: int) -> NDArray[np.intp]:
    """Integer group codes for a partition key array (all zeros without one)."""
    if partition is None:
        return np.zeros(n, dtype=np.intp)
    keys = np.asarray(partition)
    if keys.shape != (n,):
        raise ValueError(f"partition has shape {keys.shape}, expected ({n},)")
    if keys.dtype == object:
        # Missing attribute values (None/NaN) form their own group rather than failing np.unique.
        keys = np.array(["" if k is None or k != k else str(k) for k in keys.tolist()])
    _, codes = np.unique(keys, return_inverse=True)
    return np.asarray(codes, dtype=np.intp).reshape(n)


def _rounded(scores: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(np.round(np.asarray(scores, dtype=np.float64), SCORE_DECIMALS), np.float64)


def rank_scores(
    scores: ArrayLike, partition: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Competition ranks (1, 2, 2, 4) by descending score within each group.

    Returns ``(rank, better, worse)``: the rank (NaN for a missing score), how
    many subjects of the group score strictly higher and strictly lower.
    """
    s = _rounded(scores)
    n = s.size
    if partition is None:
        return _rank_whole(s)
    codes = group_codes(partition, n)
    valid = ~np.isnan(s)
    key = np.where(valid, s, -np.inf)
    # Sorted by group, then valid first, then score descending.
    order = np.lexsort((-key, ~valid, codes))
    g, k = codes[order], key[order]
    idx = np.arange(n)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = g[1:] != g[:-1]
    new_run = new_group.copy()
    new_run[1:] |= k[1:] != k[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, idx, 0))
    run_start = np.maximum.accumulate(np.where(new_run, idx, 0))
    run_id = np.cumsum(new_run) - 1
    run_len = np.bincount(run_id)[run_id]
    sizes = np.bincount(codes, weights=valid.astype(np.float64), minlength=codes.max(initial=0) + 1)
    size = sizes[g]
    better_sorted = (run_start - group_start).astype(np.float64)
    worse_sorted = size - better_sorted - run_len
    rank, better, worse = (np.full(n, np.nan) for _ in range(3))
    rank[order] = better_sorted + 1
    better[order] = better_sorted
    worse[order] = worse_sorted
    rank[~valid] = better[~valid] = worse[~valid] = np.nan
    return rank, better, worse


def tie_runs(
    s: NDArray[np.float64],
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp], int]:
    """One argsort of ``s`` (NaN last) and, in sorted order, where each tie run starts
    and how long it is: ``(order, run_start, run_len, m)`` with ``m`` valid values."""
    order = np.argsort(s)  # NaN sorts last
    m = int((~np.isnan(s)).sum())
    ordered = s[order[:m]]
    new_run = np.ones(m, dtype=bool)
    new_run[1:] = ordered[1:] != ordered[:-1]
    idx = np.arange(m)
    run_start = np.maximum.accumulate(np.where(new_run, idx, 0)) if m else idx
    run_id = np.cumsum(new_run) - 1
    run_len = np.bincount(run_id)[run_id] if m else idx
    return order, run_start, run_len, m


def _rank_whole(s: NDArray[np.float64]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`rank_scores` for one group: a single argsort."""
    order, run_start, run_len, m = tie_runs(s)
    worse = np.full(s.size, np.nan)
    better = np.full(s.size, np.nan)
    valid_rows = order[:m]
    worse[valid_rows] = run_start
    better[valid_rows] = m - run_start - run_len
    return better + 1.0, better, worse


def assign_rank_bands(
    scores: ArrayLike,
    bands: Sequence[RankBand],
    partition: ArrayLike | None = None,
    *,
    ranked: tuple[FloatArray, FloatArray, FloatArray] | None = None,
) -> NDArray[np.object_]:
    """The rank band of each subject (``None`` for none); bands are tried in declared order.

    A ``top: q`` band takes the subjects whose competition rank in their group
    is at most ``q·n`` (fewer than ``q·n`` subjects strictly better, counting
    the subject itself), a ``bottom: q`` band those whose rank from the bottom
    is at most ``q·n``; equal scores share a rank and so always share a band
    (a tie at the edge may put a few more than ``q·n`` subjects in the band).
    """
    s = np.asarray(scores, dtype=np.float64)
    out = np.full(s.size, None, dtype=object)
    if not bands:
        return out
    _, better, worse = ranked if ranked is not None else rank_scores(s, partition)
    # Group size from the ranks themselves: better + worse + the tie run = n of the group.
    valid = ~np.isnan(s)
    if partition is None:
        size = np.full(s.size, float(valid.sum()))
    else:
        codes = group_codes(partition, s.size)
        counts = np.bincount(codes, weights=valid.astype(np.float64))
        size = counts[codes]
    free = valid.copy()
    for band in bands:
        quantile = band.top if band.top is not None else band.bottom
        assert quantile is not None  # RankBand guarantees one side
        quota = np.round(quantile * size, 9)
        count = better if band.top is not None else worse
        hit = free & (count + 1 <= quota)
        out[hit] = band.label
        free &= ~hit
    return out


def assign_grades(scores: ArrayLike, grades: Sequence[Grade]) -> NDArray[np.object_]:
    """The grade of each subject: the highest grade whose ``min`` the score reaches."""
    s = _rounded(scores)
    out = np.full(s.size, None, dtype=object)
    if not grades:
        return out
    ordered = sorted(grades, key=lambda g: g.min)
    mins = np.array([g.min for g in ordered])
    labels = np.array([g.label for g in ordered], dtype=object)
    pos = np.searchsorted(mins, np.where(np.isnan(s), -np.inf, s), side="right") - 1
    hit = (pos >= 0) & ~np.isnan(s)
    out[hit] = labels[pos[hit]]
    return out
