"""Shared helpers of the spiral tests: a context that passes every guard, and a walker."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta

import pytest

from zhengai.model.loop import LoopDefinition
from zhengai.spiral import GuardContext, shipped_loops

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

#: Satisfies every built-in guard of the shipped loops.
PASS_ALL = GuardContext(
    targets={"attendance_rate": 0.9, "employment_rate": 0.95},
    achieved={"attendance_rate": 0.92, "employment_rate": 0.93},
    covered={"attendance_rate", "employment_rate"},
    data_ratio=0.97,
    red_alerts_unacknowledged=(),
    gaps={"target:employment_rate": True},
    revision_approved=True,
    action_opened=True,
    alert_resolved=True,
)


def main_path(definition: LoopDefinition) -> list[str]:
    """Triggers of the shortest path from the initial state to the cycle's close."""
    edges = [(s, t.dest, t.trigger) for t in definition.transitions for s in t.source]
    todo: deque[tuple[str, list[str]]] = deque([(definition.initial, [])])
    seen = {definition.initial}
    while todo:
        state, path = todo.popleft()
        if state == definition.close:
            return path
        for source, dest, trigger in edges:
            if source == state and dest not in seen:
                seen.add(dest)
                todo.append((dest, [*path, trigger]))
    raise AssertionError("no path to the close")


def next_cycle_trigger(definition: LoopDefinition) -> str:
    """The trigger that opens the next cycle."""
    return next(t.trigger for t in definition.transitions if t.new_cycle)


class Helpers:
    """What the spiral tests share (importlib mode: fixtures rather than imports)."""

    T0 = T0
    PASS_ALL = PASS_ALL
    main_path = staticmethod(main_path)
    next_cycle_trigger = staticmethod(next_cycle_trigger)

    @staticmethod
    def at(hours: int) -> datetime:
        """A point in time ``hours`` after T0."""
        return T0 + timedelta(hours=hours)


@pytest.fixture
def h() -> type[Helpers]:
    """The shared helpers."""
    return Helpers


@pytest.fixture(params=sorted(shipped_loops()))
def loop(request: pytest.FixtureRequest) -> LoopDefinition:
    """Each shipped loop definition."""
    return shipped_loops()[request.param]
