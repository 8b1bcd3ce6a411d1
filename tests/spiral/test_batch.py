"""The population path (numpy) gives exactly what the single path (the machine) gives."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengai.errors import ZhengaiError
from zhengai.spiral import (
    GuardContext,
    GuardInputs,
    GuardInputsMismatch,
    IllegalTrigger,
    Spiral,
    SubjectState,
    shipped_loops,
)

SPIRALS = {name: Spiral(d) for name, d in shipped_loops().items()}
AT = datetime(2026, 10, 1, tzinfo=UTC)
INDICATORS = ["attendance_rate", "employment_rate", "pass_rate"]


def contexts() -> st.SearchStrategy[GuardContext]:
    maybe = st.floats(0.5, 1.0) | st.none()
    return st.builds(
        GuardContext,
        targets=st.dictionaries(st.sampled_from(INDICATORS), maybe, min_size=1),
        covered=st.frozensets(st.sampled_from(INDICATORS)),
        data_ratio=st.sampled_from([0.5, 0.89, 0.9, 0.95, 1.0, math.nan]),
        red_alerts_unacknowledged=st.frozensets(st.sampled_from(["R1", "R2"]), max_size=1),
        gaps=st.dictionaries(st.sampled_from(["g1", "g2", "g3"]), st.booleans()),
        revision_approved=st.booleans(),
        action_opened=st.booleans(),
        alert_resolved=st.booleans(),
    )


@st.composite
def populations(draw: Any) -> tuple[str, list[SubjectState], list[GuardContext], str]:
    name = draw(st.sampled_from(sorted(SPIRALS)))
    spiral = SPIRALS[name]
    small = spiral.definition.small_loop
    n = draw(st.integers(1, 25))
    subjects = []
    for i in range(n):
        state = draw(st.sampled_from(spiral.state_ids))
        inner = draw(st.sampled_from(spiral.small_ids)) if small and state == small.host else None
        subjects.append(SubjectState(f"S{i:03d}", state, inner, draw(st.integers(1, 3)), AT))
    ctxs = [draw(contexts()) for _ in range(n)]
    triggers = [*spiral.machine.events, *spiral.small_machine.events]  # type: ignore[union-attr]
    return name, subjects, ctxs, draw(st.sampled_from(sorted(triggers)))


@settings(max_examples=75, deadline=None)
@given(populations())
def test_single_and_batch_give_identical_results(
    case: tuple[str, list[SubjectState], list[GuardContext], str],
) -> None:
    name, subjects, ctxs, trigger = case
    spiral = SPIRALS[name]
    result = spiral.advance(
        spiral.states_of(subjects), trigger, GuardInputs.from_contexts(ctxs), actor="a", at=AT
    )
    after = spiral.subjects_of(result.states)
    audit = list(result.audit.records())
    moved_records = iter(audit)
    for i, (subject, ctx) in enumerate(zip(subjects, ctxs, strict=True)):
        failure: ZhengaiError | None = None
        try:
            single, record = spiral.trigger(subject, trigger, ctx, actor="a", at=AT)
        except ZhengaiError as exc:
            failure = exc
        if failure is not None:
            err = result.error(i)
            assert not result.moved[i]
            assert type(err) is type(failure)
            assert str(err) == str(failure)
            assert after[i] == subject
            if isinstance(failure, IllegalTrigger):
                assert i in result.illegal
            else:
                assert i in result.failed_by_guard[failure.guard]  # type: ignore[attr-defined]
            continue
        assert result.moved[i]
        assert result.error(i) is None
        assert after[i] == single
        batch_record = next(moved_records)
        assert batch_record == record
    assert next(moved_records, None) is None
    assert int(result.moved.sum()) + sum(map(len, result.failed_by_guard.values())) + len(
        result.illegal
    ) == len(subjects)


def test_advance_reports_failures_per_guard_and_writes_audit_rows(h: Any) -> None:
    spiral = SPIRALS["five_step"]
    n = 10_000
    states = spiral.population([f"S{i}" for i in range(n)], at=h.T0)
    targets = np.full((n, 2), 0.9)
    targets[::10, 1] = np.nan  # every tenth subject lacks a target
    inputs = GuardInputs(n=n, indicators=("a", "b"), targets=targets)
    result = spiral.advance(states, "set_targets", inputs, actor="质管办", at=h.at(1))
    assert int(result.moved.sum()) == n - n // 10
    assert list(result.failed_by_guard) == ["targets_set"]
    assert np.array_equal(result.failed_by_guard["targets_set"], np.arange(0, n, 10))
    assert len(result.audit) == n - n // 10
    assert set(result.audit.dest) == {"targeted"}
    assert result.error(10) is not None
    assert result.error(10).missing == ("b",)  # type: ignore[union-attr]
    hist = spiral.histogram(result.states)
    assert (hist["draft"], hist["targeted"]) == (n // 10, n - n // 10)
    # a trigger the state does not allow leaves everyone in place
    again = spiral.advance(result.states, "diagnose", inputs, at=h.at(2))
    assert not again.moved.any()
    assert len(again.illegal) == n
    assert len(again.audit) == 0


def test_unknown_trigger_is_refused_once_for_the_batch() -> None:
    spiral = SPIRALS["radar"]
    with pytest.raises(Exception, match="has no trigger 'diagnose'"):
        spiral.advance(spiral.population(["M1"]), "diagnose")


def test_guard_inputs_must_line_up_with_the_population() -> None:
    spiral = SPIRALS["five_step"]
    with pytest.raises(GuardInputsMismatch) as info:
        spiral.advance(spiral.population(["M1", "M2"]), "set_targets", GuardInputs(n=3))
    assert info.value.code == "loop.guard_inputs_mismatch"
    assert info.value.message == "guard inputs have 3 rows but the population has 2 subjects"
    with pytest.raises(
        GuardInputsMismatch, match="one subject needs guard inputs of one row, not 2"
    ):
        spiral.trigger(spiral.subject("M1"), "set_targets", GuardInputs(n=2))
