"""Spiral states: compare-and-set moves, batch moves, the audit trail and races."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from zhengai.errors import ConcurrencyConflict
from zhengai.model import Subject
from zhengai.store import IntegrityViolation, RowNotFound, Store

from .conftest import roster

pytestmark = pytest.mark.db

LOOP = "five_step"  # 目标-标准-运行-诊断-改进


@pytest.fixture
def started(store: Store) -> Store:
    store.add_subjects(roster(6))
    assert store.start_spirals(LOOP, "goal", level="student") == 6
    return store


def test_start_puts_subjects_on_the_loop_once_with_an_audit_row(started: Store) -> None:
    assert started.start_spirals(LOOP, "goal", level="student") == 0
    assert started.start_spirals(LOOP, "goal", subjects=["m1"]) == 1
    assert started.state_counts(LOOP) == {"goal": 7}
    state = started.spiral_state("st0", LOOP)
    assert state is not None
    assert (state.state, state.small_state, state.cycle, state.version) == ("goal", None, 1, 1)
    trail = started.transitions(loop=LOOP)
    assert len(trail) == 7
    assert {(t.from_state, t.to_state, t.trigger) for t in trail} == {(None, "goal", "start")}
    assert started.spiral_state("st0", "radar") is None


def test_starting_an_unknown_subject_is_refused(started: Store) -> None:
    with pytest.raises(IntegrityViolation) as err:
        started.start_spirals("radar", "results", subjects=["st0", "ghost"])
    assert err.value.code == "store.integrity"
    assert err.value.message == f"1 subject(s) are not in school {started.school!r}: ghost"
    assert started.state_counts("radar") == {}


def test_a_single_move_is_compare_and_set_and_audited(started: Store) -> None:
    moved = started.move_spiral(
        "st0",
        LOOP,
        source="goal",
        dest="standard",
        trigger="set_standards",
        expected_version=1,
        who="质管办",
        reason="目标已设定",
        guards={"goals_have_targets": True},
    )
    assert (moved.state, moved.version) == ("standard", 2)
    last = started.transitions(subject_id="st0")[-1]
    assert (last.from_state, last.to_state, last.trigger) == ("goal", "standard", "set_standards")
    assert (last.who, last.reason, dict(last.guards)) == (
        "质管办",
        "目标已设定",
        {"goals_have_targets": True},
    )
    assert started.state_counts(LOOP) == {"goal": 5, "standard": 1}


def test_a_move_from_the_wrong_state_is_a_conflict_and_leaves_no_trace(started: Store) -> None:
    before = len(started.transitions())
    with pytest.raises(ConcurrencyConflict) as err:
        started.move_spiral("st1", LOOP, source="diagnose", dest="improve", trigger="diagnose")
    assert err.value.code == "store.concurrency_conflict"
    assert err.value.message == (
        "subject 'st1' on loop 'five_step' is in state 'goal' at version 1, not 'diagnose'; "
        "another writer moved it first and this transaction was rolled back"
    )
    with pytest.raises(ConcurrencyConflict) as stale:
        started.move_spiral(
            "st1", LOOP, source="goal", dest="standard", trigger="t", expected_version=5
        )
    assert stale.value.message.endswith(
        "not 'goal' at version 5; another writer moved it first and this transaction was "
        "rolled back"
    )
    assert len(started.transitions()) == before
    state = started.spiral_state("st1", LOOP)
    assert state is not None
    assert (state.state, state.version) == ("goal", 1)


def test_a_subject_not_on_the_loop_is_not_found(started: Store) -> None:
    with pytest.raises(RowNotFound) as err:
        started.move_spiral("st0", "radar", source="a", dest="b", trigger="t")
    assert err.value.code == "store.not_found"
    assert err.value.message == f"subject 'st0' is not on loop 'radar' in school {started.school!r}"


def test_a_batch_move_moves_each_source_state_and_audits_exactly_those(started: Store) -> None:
    started.move_spiral("st0", LOOP, source="goal", dest="standard", trigger="t")
    started.move_spiral("st1", LOOP, source="goal", dest="run", trigger="t")
    result = started.advance_spirals(
        LOOP, source=["goal", "standard"], dest="diagnose", trigger="diagnose", who="系统"
    )
    assert result.moved == {"goal": 4, "standard": 1}
    assert result.total == 5
    assert started.state_counts(LOOP) == {"diagnose": 5, "run": 1}
    audit = [t for t in started.transitions() if t.trigger == "diagnose"]
    assert Counter(t.from_state for t in audit) == {"goal": 4, "standard": 1}
    assert {t.move_id for t in audit} == set(result.move_ids.values())
    assert started.spiral_state("st1", LOOP).state == "run"  # type: ignore[union-attr]


def test_a_batch_move_can_be_narrowed_by_subjects_or_level(started: Store) -> None:
    started.start_spirals(LOOP, "goal", subjects=["m1", "c1"])
    some = started.advance_spirals(
        LOOP, source="goal", dest="standard", trigger="t", subjects=["st2", "st4", "m1"]
    )
    assert some.moved == {"goal": 3}
    by_level = started.advance_spirals(
        LOOP, source="goal", dest="standard", trigger="t", level="班级"
    )
    assert by_level.moved == {"goal": 1}
    standard = {s.subject_id for s in started.spiral_states(LOOP, state="standard")}
    assert standard == {"st2", "st4", "m1", "c1"}


def test_closing_a_cycle_and_the_small_loop(started: Store) -> None:
    started.advance_spirals(LOOP, source="goal", dest="run", trigger="t")
    started.advance_spirals(
        LOOP, source=["run"], dest="monitor", trigger="start_monitoring", track="small_state"
    )
    assert started.state_counts(LOOP, track="small_state") == {}  # small_state was NULL
    started.move_spiral("st0", LOOP, source="run", dest="improve", trigger="t")
    closed = started.advance_spirals(
        LOOP, source="improve", dest="goal", trigger="close_cycle", new_cycle=True
    )
    assert closed.moved == {"improve": 1}
    state = started.spiral_state("st0", LOOP)
    assert state is not None
    assert (state.state, state.cycle, state.version) == ("goal", 2, 4)
    started.save_cycle("st0", LOOP, 1, {"targets": {"gpa": 3.2}}, period="2025-2026-1")
    assert [c["cycle"] for c in started.cycles("st0", LOOP)] == [1]
    with pytest.raises(IntegrityViolation):
        started.save_cycle("st0", LOOP, 1, {"again": True})


def test_single_and_batch_moves_give_identical_results(store: Store) -> None:
    store.add_subjects(roster(5))
    single = store
    batch = store.for_school(f"{store.school}-batch")
    batch.add_subjects(roster(5))
    for st in (single, batch):
        st.start_spirals(LOOP, "goal", level="student")
    chosen = ["st0", "st2", "st3"]
    for sid in chosen:
        single.move_spiral(sid, LOOP, source="goal", dest="standard", trigger="t", who="w")
    batch.advance_spirals(
        LOOP, source="goal", dest="standard", trigger="t", who="w", subjects=chosen
    )

    def states(st: Store) -> list[tuple[str, str, int, int]]:
        return [(s.subject_id, s.state, s.cycle, s.version) for s in st.spiral_states(LOOP)]

    def trail(st: Store) -> list[tuple[str, str, str, str, int]]:
        return sorted(
            (t.subject_id, t.from_state or "", t.to_state, t.trigger, t.cycle)
            for t in st.transitions()
        )

    assert states(single) == states(batch)
    assert trail(single) == trail(batch)


def test_replaying_the_audit_trail_reproduces_the_current_states(started: Store) -> None:
    started.advance_spirals(LOOP, source="goal", dest="standard", trigger="a")
    started.move_spiral("st3", LOOP, source="standard", dest="run", trigger="b")
    started.advance_spirals(LOOP, source=["run"], dest="diagnose", trigger="c")
    started.move_spiral("st5", LOOP, source="standard", dest="goal", trigger="d", new_cycle=True)
    replayed: dict[str, str] = {}
    for t in started.transitions(loop=LOOP):
        if t.track == "state":
            assert replayed.get(t.subject_id) == t.from_state
            replayed[t.subject_id] = t.to_state
    assert replayed == {s.subject_id: s.state for s in started.spiral_states(LOOP)}


def test_two_writers_racing_for_one_subject_one_wins(store: Store) -> None:
    store.add_subjects([Subject(id="m1", level="major")])
    store.start_spirals(LOOP, "diagnose")
    outcome: list[object] = []

    def loser() -> None:
        try:
            store.move_spiral("m1", LOOP, source="diagnose", dest="improve", trigger="second")
            outcome.append("moved")
        except ConcurrencyConflict as exc:
            outcome.append(exc)

    with store.transaction() as conn:
        store.move_spiral("m1", LOOP, source="diagnose", dest="improve", trigger="first", conn=conn)
        racer = threading.Thread(target=loser)
        racer.start()
        time.sleep(0.5)  # the second writer is now waiting for the row (or file) lock
    racer.join(timeout=30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConcurrencyConflict)
    assert "is in state 'improve' at version 2, not 'diagnose'" in outcome[0].message
    trail = [t for t in store.transitions(subject_id="m1") if t.from_state is not None]
    assert [(t.from_state, t.to_state, t.trigger) for t in trail] == [
        ("diagnose", "improve", "first")
    ]


def test_the_generic_compare_and_set_bumps_the_version_or_conflicts(started: Store) -> None:
    key = {"subject_id": "st0", "loop_id": LOOP}
    assert started.compare_and_set("zg_spiral_states", key, 1, {"small_state": "monitor"}) == 2
    state = started.spiral_state("st0", LOOP)
    assert state is not None
    assert (state.small_state, state.version) == ("monitor", 2)
    with pytest.raises(ConcurrencyConflict) as err:
        started.compare_and_set("zg_spiral_states", key, 1, {"small_state": "warn"})
    assert err.value.message == (
        f"zg_spiral_states row school_id={started.school!r}, subject_id='st0', "
        "loop_id='five_step' is at version 2, not 1; another writer changed it first and "
        "this transaction was rolled back"
    )
    with pytest.raises(RowNotFound) as missing:
        started.compare_and_set("zg_spiral_states", {"subject_id": "x", "loop_id": LOOP}, 1, {})
    assert missing.value.code == "store.not_found"
    # Another school's row with the same key is invisible: the store adds its school_id.
    other = started.for_school(f"{started.school}-b")
    with pytest.raises(RowNotFound):
        other.compare_and_set("zg_spiral_states", key, 2, {"small_state": "warn"})


def test_batch_and_single_moves_running_together_keep_the_audit_exact(store: Store) -> None:
    n = 300
    store.add_subjects([Subject(id=f"s{i:04d}", level="student") for i in range(n)])
    store.start_spirals(LOOP, "goal")
    singles: list[object] = []

    def single_mover() -> None:
        for i in range(0, n, 7):
            try:
                store.move_spiral(f"s{i:04d}", LOOP, source="goal", dest="run", trigger="single")
                singles.append("moved")
            except ConcurrencyConflict:
                singles.append("lost")

    racer = threading.Thread(target=single_mover)
    racer.start()
    batch = store.advance_spirals(LOOP, source="goal", dest="standard", trigger="batch")
    racer.join(timeout=60)
    counts = store.state_counts(LOOP)
    assert counts.get("standard", 0) == batch.total
    assert counts.get("run", 0) == singles.count("moved")
    assert batch.total + singles.count("moved") == n
    replayed: dict[str, str] = {}
    for t in store.transitions(loop=LOOP):
        assert replayed.get(t.subject_id) == t.from_state  # no move is audited twice or lost
        replayed[t.subject_id] = t.to_state
    assert replayed == {s.subject_id: s.state for s in store.spiral_states(LOOP)}
