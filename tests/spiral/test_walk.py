"""Every shipped loop walked through a full cycle and into the next, with audit and replay."""

from __future__ import annotations

from typing import Any

import pytest

from zhengai.model.loop import LoopDefinition
from zhengai.spiral import (
    AuditLog,
    AuditRecord,
    IllegalTrigger,
    ReplayMismatch,
    Spiral,
    SubjectState,
    UnknownTrigger,
    replay,
    shipped_loop,
)


def walk(
    spiral: Spiral, h: Any, log: AuditLog, subject: SubjectState, clock: list[int]
) -> SubjectState:
    """One full cycle on the main path, with a round of the small loop inside its host."""
    small = spiral.definition.small_loop
    for trigger in h.main_path(spiral.definition):
        if small is not None and subject.state == small.host:
            for inner in ("warn", "acknowledge", "verify"):
                clock[0] += 1
                subject, record = spiral.trigger(subject, inner, h.PASS_ALL, at=h.at(clock[0]))
                log.append(record)
            assert subject.small_state == small.initial
        clock[0] += 1
        subject, record = spiral.trigger(
            subject, trigger, h.PASS_ALL, actor="质管办", reason="按计划", at=h.at(clock[0])
        )
        log.append(record)
    return subject


def test_full_cycle_and_into_next(loop: LoopDefinition, h: Any) -> None:
    spiral = Spiral(loop)
    log = AuditLog()
    clock = [0]
    subject = walk(spiral, h, log, spiral.subject("M01", at=h.T0), clock)
    assert subject.state == loop.close
    assert subject.cycle == 1
    assert subject.small_state is None
    first_cycle = len(log)
    subject, record = spiral.trigger(subject, h.next_cycle_trigger(loop), h.PASS_ALL, at=h.at(99))
    log.append(record)
    assert subject.cycle == 2
    assert record.cycle == 2
    assert record.source == loop.close
    assert subject.state == next(t.dest for t in loop.transitions if t.new_cycle)
    # the second cycle runs to its close as well (the path from its entry point)
    rest = h.main_path(loop)
    entry = h.main_path(loop).index(
        next(t.trigger for t in loop.transitions if t.dest == subject.state)
    )
    for trigger in rest[entry + 1 :]:
        if loop.small_loop and subject.state == loop.small_loop.host:
            assert subject.small_state == loop.small_loop.initial
        subject, record = spiral.trigger(subject, trigger, h.PASS_ALL, at=h.at(200))
        log.append(record)
    assert (subject.state, subject.cycle) == (loop.close, 2)
    assert len(log) > first_cycle + 1
    # every move is in the trail, and replaying it reproduces the current state
    assert replay(spiral, log.records()) == {"M01": subject}
    assert all(r.actor in {"质管办", "system"} for r in log.records())
    # the snapshot callback froze each closing cycle
    assert [int(s.cycle[0]) for s in spiral.snapshots] == [1, 2]


def test_illegal_trigger_is_refused_with_what_is_allowed(h: Any) -> None:
    spiral = Spiral(shipped_loop("five_step"))
    subject = spiral.subject("M01")
    with pytest.raises(IllegalTrigger) as info:
        spiral.trigger(subject, "diagnose", h.PASS_ALL)
    err = info.value
    assert type(err) is IllegalTrigger
    assert err.code == "loop.illegal_trigger"
    assert str(err) == "M01 处于 draft（草拟），不能执行 'diagnose', allowed here: set_targets"


def test_small_loop_trigger_outside_its_host_is_illegal(h: Any) -> None:
    spiral = Spiral(shipped_loop("five_step"))
    with pytest.raises(IllegalTrigger) as info:
        spiral.trigger(spiral.subject("M01"), "warn", h.PASS_ALL)
    assert info.value.message == "M01 处于 draft（草拟，小循环未开始），不能执行 'warn'"


def test_unknown_trigger_suggests_a_name() -> None:
    spiral = Spiral(shipped_loop("five_step"))
    with pytest.raises(UnknownTrigger) as info:
        spiral.trigger(spiral.subject("M01"), "diagnoze")
    assert info.value.code == "loop.unknown_trigger"
    assert info.value.hint == "did you mean 'diagnose'?"


def test_the_machine_is_shared_and_has_no_models() -> None:
    a, b = Spiral(shipped_loop("radar")), Spiral(shipped_loop("radar"))
    assert a.machine is b.machine
    assert a.machine.models == []


def test_replay_refuses_a_tampered_trail(h: Any) -> None:
    spiral = Spiral(shipped_loop("five_step"))
    subject, first = spiral.trigger(spiral.subject("M01"), "set_targets", h.PASS_ALL, at=h.T0)
    _, second = spiral.trigger(subject, "set_standards", h.PASS_ALL, at=h.at(1))
    forged = AuditRecord("M01", "loop", 1, "start", "draft", "running", "x", h.at(2))
    with pytest.raises(ReplayMismatch) as info:
        replay(spiral, [first, second, forged])
    assert info.value.code == "loop.replay_mismatch"
    assert info.value.message == (
        "audit record 3 of 'M01' moves 'start' from 'draft', but the replay is in 'standardized'"
    )
    wrong_dest = AuditRecord("M01", "loop", 1, "set_standards", "targeted", "running", "x", h.T0)
    with pytest.raises(ReplayMismatch, match="the machine gives 'standardized'"):
        replay(spiral, [first, wrong_dest])
