"""The Observations container: construction, export, concat, frame() and coverage()."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zhengai.data._columns as columns_module
from zhengai.data import ColumnClash, DuplicateSubject, MissingColumn, Observations, Subjects
from zhengai.expr import Frame
from zhengai.model import BadPeriod, Observation, Period


@pytest.fixture(params=["pandas", "numpy"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with pandas and with the numpy-only fallback."""
    if request.param == "numpy":
        monkeypatch.setattr(columns_module, "_USE_PANDAS", False)
    else:
        pytest.importorskip("pandas")
    return str(request.param)


def sample() -> Observations:
    return Observations(
        ["s1", "s2", "s1", "s1", "s2", "s3", "s1"],
        ["a", "a", "b", "a", "a", "a", "a"],
        [
            "2025-2026-1",
            "2025-2026-1",
            "2025-2026-1",
            "2024-2025-2",
            "2024-2025-1",
            "2025-9",
            "2025-2026-1",
        ],
        [0.5, None, 3.0, 0.4, 0.3, 0.9, 0.6],
        recorded_at=[
            datetime(2025, 10, 1),
            None,
            None,
            None,
            None,
            None,
            datetime(2025, 9, 1),  # recorded earlier: loses to row 0 despite coming later
        ],
    )


def test_columns_and_model_objects(backend: str) -> None:
    obs = sample()
    assert len(obs) == 7
    assert obs.subject_id.tolist() == ["s1", "s2", "s1", "s1", "s2", "s3", "s1"]
    assert obs.period.tolist()[5] == "2025-09"
    assert np.isnan(obs.value[1])
    assert obs.indicators == ["a", "b"]
    assert obs.periods == [
        Period.parse(p) for p in ["2024-2025-1", "2024-2025-2", "2025-2026-1", "2025-09"]
    ]
    first = next(iter(obs))
    assert first == Observation(
        subject_id="s1",
        indicator="a",
        period="2025-2026-1",
        value=0.5,
        recorded_at=datetime(2025, 10, 1),
    )
    assert list(obs)[1].value is None


def test_records_round_trip_concat_and_pandas(backend: str) -> None:
    obs = sample()
    records = obs.to_records()
    assert records[1] == {
        "subject_id": "s2",
        "indicator": "a",
        "period": "2025-2026-1",
        "value": None,
        "source": None,
        "recorded_at": None,
    }
    again = Observations.from_records(records)
    assert again.to_records() == records
    assert Observations.from_records(list(obs)).to_records() == records
    both = Observations.concat([obs, Observations(["s9"], ["c"], ["2025-10"], [1.0], ["教务"])])
    assert len(both) == 8
    assert both.to_records()[:7] == records
    assert both.to_records()[7]["source"] == "教务"
    assert len(Observations.concat([])) == 0
    if backend == "pandas":
        frame = obs.to_frame()
        assert list(frame.columns) == [
            "subject_id",
            "indicator",
            "period",
            "value",
            "source",
            "recorded_at",
        ]
        assert frame["value"].isna().sum() == 1


def test_where_keeps_rows_in_order(backend: str) -> None:
    obs = sample()
    term = obs.where(obs.period == "2025-2026-1")
    assert term.subject_id.tolist() == ["s1", "s2", "s1", "s1"]
    assert term.indicators == ["a", "b"]
    assert term.periods == [Period.parse("2025-2026-1")]
    assert term.recorded_at[0] == np.datetime64("2025-10-01")
    assert len(obs.where(np.zeros(len(obs), dtype=bool))) == 0


def test_constructor_rejects_bad_input() -> None:
    with pytest.raises(BadPeriod):
        Observations(["s1"], ["a"], ["2025-2026-3"], [1.0])
    with pytest.raises(ValueError, match="value has 2 entries for 1 observations"):
        Observations(["s1"], ["a"], ["2025-10"], [1.0, 2.0])
    from zhengai.data import BadValue

    with pytest.raises(BadValue, match="value 'x' at position 0 is not a number"):
        Observations(["s1"], ["a"], ["2025-10"], ["x"])


def test_frame_pivots_one_period_with_history(backend: str) -> None:
    obs = sample()
    ids, frame = obs.frame("2025-2026-1", ["s3", "s1", "s2", "s4"], history=2)
    assert isinstance(frame, Frame)
    assert ids.tolist() == ["s3", "s1", "s2", "s4"]
    assert sorted(frame.columns) == ["a", "b"]
    np.testing.assert_array_equal(frame.columns["a"], [np.nan, 0.5, np.nan, np.nan])
    np.testing.assert_array_equal(frame.columns["b"], [np.nan, 3.0, np.nan, np.nan])
    np.testing.assert_array_equal(frame.history["a"][0], [np.nan, 0.4, np.nan, np.nan])
    np.testing.assert_array_equal(frame.history["a"][1], [np.nan, np.nan, 0.3, np.nan])
    np.testing.assert_array_equal(frame.lag("a", 2), frame.history["a"][1])
    assert len(frame.history["b"]) == 2
    assert frame.partition is None
    _, month = obs.frame(Period.parse("2025-09"), ["s3"], names=["a", "zz"])
    assert month.columns["a"].tolist() == [0.9]
    assert np.isnan(month.columns["zz"][0])  # asked for, never observed: all missing
    assert month.history == {}


def test_frame_with_subjects_brings_attributes_and_partition(
    backend: str, students: Subjects
) -> None:
    obs = Observations(["s1", "s2", "s3"], ["a"] * 3, ["2025-2026-1"] * 3, [0.5, 0.6, 0.7])
    population = students.of_level("student")
    ids, frame = obs.frame("2025-2026-1", population, partition="gender")
    assert ids.tolist() == ["s1", "s2", "s3"]
    assert frame.columns["gender"].tolist() == ["女", "男", "女"]
    np.testing.assert_array_equal(frame.columns["age"], [19.0, 20.0, np.nan])
    assert frame.partition is not None
    assert frame.partition.tolist() == ["女", "男", "女"]
    _, by_class = obs.frame("2025-2026-1", population, partition="parent_id")
    assert by_class.partition is not None
    assert by_class.partition.tolist() == ["c1", "c1", "c1"]
    with pytest.raises(MissingColumn) as info:
        obs.frame("2025-2026-1", population, partition="gendr")
    assert info.value.code == "data.missing_column"
    assert info.value.message == "no subject attribute 'gendr' to partition by"
    assert info.value.hint == "did you mean 'gender'?"
    with pytest.raises(MissingColumn, match="the population is bare ids"):
        obs.frame("2025-2026-1", ["s1"], partition="gender")
    with pytest.raises(ColumnClash) as clash:
        obs.frame("2025-2026-1", population, names=["a", "age"])
    assert clash.value.code == "data.column_clash"
    with pytest.raises(DuplicateSubject):
        obs.frame("2025-2026-1", ["s1", "s1"])


def test_coverage(backend: str, students: Subjects) -> None:
    obs = Observations(
        ["s1", "s2", "s1", "s9"],
        ["a", "a", "b", "b"],
        ["2025-2026-1"] * 4,
        [0.5, None, 1.0, 1.0],
    )
    population = students.of_level("student")
    assert obs.coverage(population, ["a", "b", "c"], "2025-2026-1") == {
        "a": pytest.approx(1 / 3),
        "b": pytest.approx(1 / 3),
        "c": 0.0,
    }
    empty = obs.coverage([], ["a"], "2025-2026-1")
    assert math.isnan(empty["a"])


# -- frame() against a plain-Python pivot ---------------------------------------------------
PERIODS = ["2024-2025-1", "2024-2025-2", "2025-2026-1"]
rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["s1", "s2", "s3", "s4"]),
        st.sampled_from(["a", "b"]),
        st.sampled_from(PERIODS),
        st.one_of(st.none(), st.floats(-5, 5, allow_nan=False)),
        st.one_of(st.none(), st.integers(0, 3)),
    ),
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, use_pandas=st.booleans())
def test_frame_matches_a_plain_python_pivot(
    rows: list[tuple[str, str, str, float | None, int | None]], use_pandas: bool
) -> None:
    previous = columns_module._USE_PANDAS
    columns_module._USE_PANDAS = use_pandas
    try:
        times = [None if t is None else datetime(2025, 1, 1 + t) for *_, t in rows]
        obs = Observations(
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
            [r[3] for r in rows],
            recorded_at=times,
        )
        population = ["s4", "s2", "s1", "s5"]
        ids, frame = obs.frame("2025-2026-1", population, names=["a", "b"], history=2)
    finally:
        columns_module._USE_PANDAS = previous
    # the expected winner: latest recorded_at (unknown = oldest), then the later row
    best: dict[tuple[str, str, str], tuple[tuple[float, int], float]] = {}
    for i, ((s, ind, p, v, _), t) in enumerate(zip(rows, times, strict=True)):
        rank = (-math.inf if t is None else t.timestamp(), i)
        if (s, ind, p) not in best or rank > best[(s, ind, p)][0]:
            best[(s, ind, p)] = (rank, math.nan if v is None else v)
    assert ids.tolist() == population
    for name in ["a", "b"]:
        for k, period in enumerate(reversed(PERIODS)):
            got = frame.lag(name, k)
            assert got is not None
            want = [best.get((s, name, period), (None, math.nan))[1] for s in population]
            np.testing.assert_array_equal(got, want)
