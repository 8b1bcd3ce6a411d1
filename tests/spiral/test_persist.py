"""The spiral on a store: compare-and-set moves, batch moves, replay, and a race."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from zhengai.errors import ConcurrencyConflict
from zhengai.model import Subject
from zhengai.model.loop import UnknownState
from zhengai.spiral import (
    GuardContext,
    GuardInputs,
    Spiral,
    StandardsMissing,
    shipped_loop,
    stuck,
)
from zhengai.spiral.persist import StoredSpiral
from zhengai.store import Store

pytestmark = pytest.mark.db
SPIRAL = Spiral(shipped_loop("five_step"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store(db_url, school="s1")
    st.upgrade()
    st.add_subjects([Subject(id=f"M{i:02d}", level="major", name=f"专业{i}") for i in range(20)])
    yield st
    st.engine.dispose()


def test_one_subject_walks_a_cycle_and_the_stored_trail_replays(store: Store, h: Any) -> None:
    stored = StoredSpiral(SPIRAL, store)
    stored.start(subjects=["M00"])  # its count: see the store (PostgreSQL reports -1 today)
    assert stored.state("M00") is not None
    walk = [
        "set_targets",
        "set_standards",
        "start",
        "warn",
        "acknowledge",
        "verify",
        "diagnose",
        "improve",
        "close",
        "next_cycle",
    ]
    for trigger in walk:
        state = stored.trigger("M00", trigger, h.PASS_ALL, who="质管办")
        if trigger == "start":
            assert state.small_state == "monitoring"
    final = stored.state("M00")
    assert final is not None
    assert (final.state, final.small_state, final.cycle) == ("targeted", None, 2)
    assert final.version == len(walk) + 1
    replayed = stored.replay("M00")["M00"]
    assert (replayed.state, replayed.small_state, replayed.cycle) == ("targeted", None, 2)
    (cycle,) = store.cycles("M00", "five_step")
    assert cycle["cycle"] == 1
    assert cycle["snapshot"]["met"] == [True, False]
    # a refused guard writes nothing
    with pytest.raises(StandardsMissing):
        stored.trigger("M00", "set_standards", replace(h.PASS_ALL, covered=set()))
    assert stored.state("M00") == final
    assert len(stored.history("M00")) == len(walk)


def test_batch_move_equals_the_in_memory_result(store: Store, h: Any) -> None:
    stored = StoredSpiral(SPIRAL, store)
    stored.start()
    assert store.state_counts("five_step") == {"draft": 20}
    targets = np.full((20, 1), 0.9)
    targets[[3, 7], 0] = np.nan
    inputs = GuardInputs(n=20, indicators=("a",), targets=targets)
    done = stored.advance("set_targets", inputs, who="质管办")
    assert done.stored == 18
    assert done.result.failed_by_guard["targets_set"].tolist() == [3, 7]
    assert store.state_counts("five_step") == {"draft": 2, "targeted": 18}
    covered = GuardInputs(n=20, indicators=("a",), targets=targets, covered=np.ones((20, 1), bool))
    stored.advance("set_standards", covered)
    entered = stored.advance("start")
    assert entered.stored == 18
    assert store.state_counts("five_step", track="small_state") == {"monitoring": 18}
    loaded = stored.load()
    assert SPIRAL.subjects_of(loaded)[4].small_state == "monitoring"
    assert np.isnat(loaded.entered_at).all()  # not read unless asked for
    stamped = stored.load(entered_at=True)
    assert not np.isnat(stamped.entered_at).any()
    assert stuck(SPIRAL, stamped, timedelta(days=1)).tolist() == []
    assert np.array_equal(loaded.state, entered.result.states.state)
    trail = [t for t in store.transitions(loop="five_step") if t.trigger == "start"]
    assert len(trail) == 18
    assert {t.from_state for t in trail} == {"standardized"}
    replayed = stored.replay()
    assert {k: v.state for k, v in replayed.items()} == {
        s.subject_id: s.state for s in SPIRAL.subjects_of(loaded) if s.state != "draft"
    }
    # rows in a state the definition does not know are refused, not silently coded
    store.start_spirals("radar", "bogus", subjects=["M00"])
    with pytest.raises(UnknownState) as info:
        StoredSpiral(Spiral(shipped_loop("radar")), store).load()
    assert info.value.message == (
        "1 subject(s) on loop 'radar' are in a state the loop 'radar' does not have: M00"
    )


def test_two_writers_one_wins_the_other_conflicts(store: Store, db_url: str, h: Any) -> None:
    stored_a = StoredSpiral(SPIRAL, store)
    other = Store(db_url, school="s1")
    stored_b = StoredSpiral(Spiral(shipped_loop("five_step")), other)
    stored_a.start(subjects=["M01"])
    seen_a, seen_b = stored_a.state("M01"), stored_b.state("M01")
    stored_a.trigger("M01", "set_targets", h.PASS_ALL, who="A", known=seen_a)
    with pytest.raises(ConcurrencyConflict) as info:
        stored_b.trigger("M01", "set_targets", h.PASS_ALL, who="B", known=seen_b)
    assert info.value.code == "store.concurrency_conflict"
    # a lost race at the close leaves no frozen snapshot behind in memory either
    closing = replace(seen_b, state="improved")
    with pytest.raises(ConcurrencyConflict):
        stored_b.trigger("M01", "close", h.PASS_ALL, who="B", known=closing)
    assert stored_b.spiral.snapshots == []
    moves = [t for t in store.transitions(subject_id="M01") if t.trigger == "set_targets"]
    assert [t.who for t in moves] == ["A"]
    other.engine.dispose()


def _race(url: str, who: str, barrier: Any, outcome: Any) -> None:
    """One process: read the subject, wait for the other, then try to move it."""
    store = Store(url, school="s1")
    stored = StoredSpiral(Spiral(shipped_loop("five_step")), store)
    known = stored.state("M02")
    context = GuardContext(targets={"a": 0.9})
    barrier.wait(timeout=30)
    try:
        stored.trigger("M02", "set_targets", context, who=who, known=known)
        outcome.put((who, "won"))
    except ConcurrencyConflict:
        outcome.put((who, "conflict"))
    finally:
        store.engine.dispose()


def test_two_processes_race_for_one_subject(store: Store, db_url: str) -> None:
    StoredSpiral(SPIRAL, store).start(subjects=["M02"])
    ctx = multiprocessing.get_context("fork")
    barrier, outcome = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(db_url, w, barrier, outcome)) for w in ("P1", "P2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    results = dict(outcome.get(timeout=5) for _ in procs)
    assert sorted(results.values()) == ["conflict", "won"]
    winner = next(k for k, v in results.items() if v == "won")
    moves = [t for t in store.transitions(subject_id="M02") if t.trigger == "set_targets"]
    assert [t.who for t in moves] == [winner]  # exactly one audit row, the winner's
    state = store.spiral_state("M02", "five_step")
    assert state is not None
    assert (state.state, state.version) == ("targeted", 2)


def test_a_batch_that_lost_subjects_to_another_writer_rolls_back(store: Store, h: Any) -> None:
    stored = StoredSpiral(SPIRAL, store)
    stored.start()
    inputs = GuardInputs(n=20, indicators=("a",), targets=np.full((20, 1), 0.9))
    # another writer moves M05 between our read and our write
    stale = stored.load()
    stored.trigger("M05", "set_targets", h.PASS_ALL)
    stored.load = lambda subjects=None: stale  # type: ignore[method-assign]
    with pytest.raises(ConcurrencyConflict, match="1 of 20 subjects in 'draft'"):
        stored.advance("set_targets", inputs)
    assert store.state_counts("five_step") == {"draft": 19, "targeted": 1}
