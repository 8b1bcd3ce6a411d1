"""Properties that hold for any data: contributions add up, policies agree without gaps,
bands are monotone in the score and respect their quota."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from zhengai.model.scorecard import RankBand, Scorecard
from zhengai.scoring import assign_rank_bands, score

CARD = {
    "id": "p",
    "name": "性质",
    "level": "major",
    "indicators": [
        {
            "id": "g1",
            "weight": 0.45,
            "children": [
                {
                    "id": "a",
                    "indicator": "a",
                    "weight": 0.7,
                    "scoring": {"kind": "linear", "floor": 0, "target": 1},
                },
                {
                    "id": "b",
                    "indicator": "b",
                    "weight": 0.3,
                    "scoring": {"kind": "threshold", "value": 0.5},
                },
            ],
        },
        {
            "id": "g2",
            "weight": 0.55,
            "children": [
                {"id": "c", "indicator": "c", "weight": 0.2, "scoring": {"kind": "rank"}},
                {
                    "id": "d",
                    "indicator": "d",
                    "weight": 0.8,
                    "scoring": {"kind": "linear", "floor": 1, "target": 0},
                },
            ],
        },
    ],
}

values = arrays(
    np.float64,
    st.integers(1, 30).map(lambda n: (4, n)),
    elements=st.one_of(st.floats(0, 1, allow_nan=False), st.just(math.nan)),
)


def columns(table: np.ndarray) -> dict[str, np.ndarray]:
    return dict(zip("abcd", table, strict=True))


@settings(max_examples=120, deadline=None)
@given(values)
def test_contributions_add_up_to_the_total(table: np.ndarray) -> None:
    sc = Scorecard.model_validate(CARD)
    n = table.shape[1]
    result = score(sc, [f"s{i}" for i in range(n)], values=columns(table))
    scored = ~np.isnan(result.total)
    first = result.contribution("g1") + result.contribution("g2")
    assert np.allclose(first[scored], result.total[scored])
    leaves = sum(result.contribution(leaf) for leaf in "abcd")
    assert np.allclose(leaves[scored], result.total[scored])
    weights = sum(result.node_weights[leaf] for leaf in "abcd")
    assert np.allclose(weights[scored], 1.0)
    assert ((result.total[scored] >= 0) & (result.total[scored] <= 100)).all()
    # partial exactly when some leaf is missing but a score was given
    assert (result.partial == (np.isnan(table).any(axis=0) & scored)).all()


@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, st.tuples(st.just(4), st.integers(1, 20)), elements=st.floats(0, 1)))
def test_policies_agree_when_nothing_is_missing(table: np.ndarray) -> None:
    ids = [f"s{i}" for i in range(table.shape[1])]
    totals = [
        score(
            Scorecard.model_validate({**CARD, "missing": policy}), ids, values=columns(table)
        ).total
        for policy in ("zero", "exclude", "fail")
    ]
    assert np.allclose(totals[0], totals[1])
    assert np.allclose(totals[1], totals[2])


@settings(max_examples=150, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 60), elements=st.integers(0, 10).map(float)),
    st.floats(0.05, 0.5),
)
def test_rank_bands_are_monotone_and_tie_safe(scores: np.ndarray, q: float) -> None:
    band = assign_rank_bands(scores, [RankBand(label="top", top=q)])
    inside = band == "top"
    if inside.any():
        lowest_in = scores[inside].min()
        # everyone scoring at least the lowest banded score is banded too (ties share)
        assert inside[scores >= lowest_in].all()
        # the band never reaches below the ⌊q·n⌋-th best score
        k = max(math.floor(round(q * scores.size, 9)), 1)
        assert lowest_in >= np.sort(scores)[::-1][k - 1]
    else:
        assert math.floor(round(q * scores.size, 9)) == 0


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.just(4), st.integers(2, 12)), elements=st.floats(0, 1)),
    st.floats(40, 95),
)
def test_every_gap_improvement_reaches_its_target(table: np.ndarray, target: float) -> None:
    sc = Scorecard.model_validate(CARD)
    ids = [f"s{i}" for i in range(table.shape[1])]
    result = score(sc, ids, values=columns(table))
    plan = result.gap_to("s0", target)
    for imp in plan.improvements:
        if imp.leaf_id not in ("a", "b", "d") or imp.needed_value is None:
            continue  # rank leaves move with the population; checked by score, not value
        changed = table.copy()
        changed["abcd".index(imp.leaf_id), 0] = float(imp.needed_value)  # type: ignore[arg-type]
        again = score(sc, ids, values=columns(changed))
        assert again.total[0] >= plan.needed - 1e-6
