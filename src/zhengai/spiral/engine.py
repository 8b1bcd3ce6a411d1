"""The generic spiral engine: one model-less ``transitions`` Machine per loop definition.

Attaching subjects to a ``transitions`` Machine is quadratic (NOTES.md), so the
machines here have no models: they are built once per definition and process,
cached, and a subject is only its ``state`` (and small-loop state, and cycle).
A single subject goes through the machine itself (:meth:`Spiral.trigger`); a
population goes through numpy (:meth:`Spiral.advance`), reading from the same
machine which source states allow a trigger, and running the same compiled
guards over all rows at once.  Both give identical results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from transitions import Machine

from zhengai.errors import Where, did_you_mean
from zhengai.model.loop import (
    BUILTIN_CALLBACKS,
    LoopDefinition,
    SmallLoopDefinition,
    StateDefinition,
    TransitionDefinition,
    UnknownState,
)
from zhengai.spiral.audit import AuditBatch, AuditRecord, MachineName
from zhengai.spiral.cycles import CycleSnapshot, NextCycle, open_next_cycle, snapshot
from zhengai.spiral.errors import (
    GuardInputsMismatch,
    IllegalTrigger,
    SmallLoopOpen,
    SubjectGuardFailed,
    UnknownCallback,
    UnknownTrigger,
)
from zhengai.spiral.guards import CompiledGuard, GuardContext, GuardInputs, compile_guard

if TYPE_CHECKING:
    from zhengai.model.action import Action
    from zhengai.model.enums import Direction

__all__ = [
    "AdvanceResult",
    "Callback",
    "Spiral",
    "SpiralStates",
    "SubjectState",
    "TransitionBatch",
]

Bools = NDArray[np.bool_]
Codes = NDArray[np.int16]
#: Code of "not in the small loop" in :attr:`SpiralStates.small`.
OUTSIDE = -1
_SMALL_EXIT = "small_loop_exit"


@dataclass(frozen=True, slots=True)
class SubjectState:
    """Where one subject stands: big-loop state, small-loop state (inside 运行), cycle."""

    subject_id: str
    state: str
    small_state: str | None = None
    cycle: int = 1
    entered_at: datetime | None = None


@dataclass(frozen=True)
class SpiralStates:
    """A population's states as columns: state codes index :attr:`Spiral.state_ids`.

    ``small`` holds small-loop codes (index :attr:`Spiral.small_ids`) or -1 outside
    the small loop; ``entered_at`` is when the current big-loop state was entered.
    """

    subject_ids: NDArray[Any]
    state: Codes
    small: Codes
    cycle: NDArray[np.int32]
    entered_at: NDArray[np.datetime64]

    def __len__(self) -> int:
        return len(self.subject_ids)


@dataclass(frozen=True)
class TransitionBatch:
    """What a callback receives: the subjects one transition just moved (rows of a population)."""

    spiral: Spiral
    transition: TransitionDefinition
    rows: NDArray[np.intp]
    states: SpiralStates
    inputs: GuardInputs
    at: datetime
    actor: str


#: A callback declared in a loop definition: runs once per transition and batch.
Callback = Callable[[TransitionBatch], None]


@dataclass(frozen=True)
class _Compiled:
    """One transition of a machine, compiled: codes, guards and callbacks."""

    index: int
    definition: TransitionDefinition
    sources: NDArray[np.int16]
    dest: int
    guards: tuple[CompiledGuard, ...]
    leaves_host: bool


@dataclass(frozen=True)
class AdvanceResult:
    """The outcome of moving a population with one trigger.

    ``moved`` marks subjects that moved; ``failed_by_guard`` maps a guard name to
    the rows whose first failing guard it was; ``illegal`` lists rows whose state
    does not allow the trigger.  :meth:`error` words the failure of one row exactly
    as the single-subject path raises it.
    """

    states: SpiralStates
    moved: Bools
    failed_by_guard: dict[str, NDArray[np.intp]]
    illegal: NDArray[np.intp]
    audit: AuditBatch
    #: Which transition moved which rows, in the order they were applied.
    groups: tuple[tuple[TransitionDefinition, NDArray[np.intp]], ...]
    _spiral: Spiral = field(repr=False)
    _machine: MachineName = field(repr=False)
    _trigger: str = field(repr=False)
    _before: SpiralStates = field(repr=False)
    _inputs: GuardInputs = field(repr=False)
    _first_fail: NDArray[np.int32] = field(repr=False)
    _failures: tuple[tuple[_Compiled, CompiledGuard | None], ...] = field(repr=False)

    def error(self, row: int) -> SubjectGuardFailed | IllegalTrigger | None:
        """The error the single-subject path raises for this row (None if it moved)."""
        if self.moved[row]:
            return None
        code = int(self._first_fail[row])
        if code < 0:
            return self._spiral._illegal(self._before, row, self._machine, self._trigger)
        transition, guard = self._failures[code]
        return self._spiral._guard_error(
            self._before, row, self._machine, transition, guard, self._inputs
        )


class _Carrier:
    """What the shared machine sees of a subject in the single path: its state only."""

    __slots__ = ("failures", "inputs", "small", "spiral", "state")

    def __init__(self, spiral: Spiral, state: str, small: int, inputs: GuardInputs) -> None:
        self.spiral, self.state, self.small, self.inputs = spiral, state, small, inputs
        self.failures: list[tuple[_Compiled, CompiledGuard | None]] = []


class _Condition:
    """A condition of the shared machine: runs one compiled guard on the carrier's row."""

    def __init__(self, machine: MachineName, transition: int, guard: int) -> None:
        self.machine, self.transition, self.guard = machine, transition, guard

    def __call__(self, event: Any) -> bool:
        carrier: _Carrier = event.model
        return carrier.spiral._check_one(carrier, self.machine, self.transition, self.guard)


def _machine_spec(
    states: Sequence[StateDefinition],
    transitions: Sequence[TransitionDefinition],
    initial: str,
    machine: MachineName,
    host: str | None,
) -> Machine:
    specs = []
    for i, t in enumerate(transitions):
        conditions: list[_Condition] = []
        if host is not None and host in t.source:
            conditions.append(_Condition(machine, i, -1))
        conditions += [_Condition(machine, i, j) for j in range(len(t.guards))]
        specs.append(
            {
                "trigger": t.trigger,
                "source": list(t.source),
                "dest": t.dest,
                "conditions": conditions,
            }
        )
    return Machine(
        model=None,
        states=[s.id for s in states],
        transitions=specs,
        initial=initial,
        auto_transitions=False,
        send_event=True,
    )


@lru_cache(maxsize=64)
def _machines(definition_json: str) -> tuple[Machine, Machine | None]:
    """Build the big and small machines of a definition once per process."""
    definition = LoopDefinition.model_validate_json(definition_json)
    small = definition.small_loop
    big = _machine_spec(
        definition.states,
        definition.transitions,
        definition.initial,
        "loop",
        small.host if small else None,
    )
    little = (
        _machine_spec(small.states, small.transitions, small.initial, "small", None)
        if small
        else None
    )
    return big, little


class Spiral:
    """Run one loop definition for any number of subjects.

    >>> from zhengai.spiral import shipped_loop
    >>> spiral = Spiral(shipped_loop("five_step"))
    >>> spiral.subject("M01").state
    'draft'

    ``callbacks`` registers the callbacks a definition names beyond the built-in
    ones; ``catalog``, ``attributes`` and ``constants`` are passed to
    :class:`zhengai.expr.Expression` when compiling expression guards.
    """

    def __init__(
        self,
        definition: LoopDefinition,
        *,
        callbacks: Mapping[str, Callback] | None = None,
        catalog: Any = None,
        attributes: Sequence[str] = (),
        constants: Mapping[str, Any] | None = None,
    ) -> None:
        self.definition = definition
        self.machine, self.small_machine = _machines(definition.model_dump_json())
        self.state_ids: tuple[str, ...] = tuple(s.id for s in definition.states)
        small = definition.small_loop
        self.small_ids: tuple[str, ...] = tuple(s.id for s in small.states) if small else ()
        self._code = {s: i for i, s in enumerate(self.state_ids)}
        self._small_code = {s: i for i, s in enumerate(self.small_ids)}
        self._labels = {s.id: s.label for s in definition.all_states()}
        self.snapshots: list[CycleSnapshot] = []
        options = {"catalog": catalog, "attributes": attributes, "constants": constants}
        self._callbacks: dict[str, Callback] = {"freeze_snapshot": self._freeze_snapshot}
        self._callbacks.update(callbacks or {})
        self._compiled: dict[MachineName, tuple[_Compiled, ...]] = {
            "loop": self._compile(definition.transitions, "transitions", "loop", small, options),
            "small": self._compile(
                small.transitions if small else (), "small_loop.transitions", "small", None, options
            ),
        }
        self._host = self._code[small.host] if small else OUTSIDE
        self._exit_set = (
            frozenset(self._small_code[e] for e in small.exits) if small else frozenset()
        )
        self._exits = (
            np.array([self._small_code[e] for e in small.exits], dtype=np.int16)
            if small
            else np.zeros(0, dtype=np.int16)
        )

    # -- construction -----------------------------------------------------------------

    def _compile(
        self,
        transitions: Sequence[TransitionDefinition],
        prefix: str,
        machine: MachineName,
        small: SmallLoopDefinition | None,
        options: Mapping[str, Any],
    ) -> tuple[_Compiled, ...]:
        codes = self._code if machine == "loop" else self._small_code
        out = []
        for i, t in enumerate(transitions):
            for j, name in enumerate(t.callbacks):
                if name not in self._callbacks and name not in BUILTIN_CALLBACKS:
                    raise UnknownCallback(
                        f"callback {name!r} of {t.trigger!r} is neither built in nor registered",
                        where=Where(field=f"{prefix}[{i}].callbacks[{j}]"),
                        hint=did_you_mean(name, [*self._callbacks, *BUILTIN_CALLBACKS]),
                    )
            guards = tuple(
                compile_guard(g, f"{prefix}[{i}].guards[{j}]", options)
                for j, g in enumerate(t.guards)
            )
            out.append(
                _Compiled(
                    index=i,
                    definition=t,
                    sources=np.array([codes[s] for s in t.source], dtype=np.int16),
                    dest=codes[t.dest],
                    guards=guards,
                    leaves_host=small is not None and small.host in t.source,
                )
            )
        return tuple(out)

    # -- lookups --------------------------------------------------------------------------

    def label(self, state_id: str) -> str:
        """The Chinese label of a big- or small-loop state (:class:`UnknownState` if none)."""
        try:
            return self._labels[state_id]
        except KeyError:
            raise UnknownState(
                f"loop {self.definition.id!r} has no state {state_id!r}",
                hint=did_you_mean(state_id, list(self._labels)),
            ) from None

    def machine_of(self, trigger: str) -> MachineName:
        """Which machine defines ``trigger``; :class:`UnknownTrigger` if none does."""
        if trigger in self.machine.events:
            return "loop"
        if self.small_machine is not None and trigger in self.small_machine.events:
            return "small"
        known = [*self.machine.events, *(self.small_machine.events if self.small_machine else ())]
        raise UnknownTrigger(
            f"loop {self.definition.id!r} has no trigger {trigger!r}",
            hint=did_you_mean(trigger, known),
        )

    def triggers(self, state: str) -> tuple[str, ...]:
        """The triggers the shared machines allow from a big- or small-loop state."""
        if state in self._code:
            return tuple(self.machine.get_triggers(state))
        if self.small_machine is not None and state in self._small_code:
            return tuple(self.small_machine.get_triggers(state))
        return ()

    def is_legal(self, machine: MachineName, trigger: str, state: str | None) -> bool:
        """Whether ``trigger`` may leave ``state`` in that machine (guards aside)."""
        m = self.machine if machine == "loop" else self.small_machine
        return (
            m is not None
            and state is not None
            and trigger in m.events
            and bool(m.get_transitions(trigger, state))
        )

    def subject(self, subject_id: str, *, at: datetime | None = None) -> SubjectState:
        """A subject at the start of its first cycle."""
        return SubjectState(subject_id, self.definition.initial, None, 1, at)

    def population(
        self, subject_ids: Sequence[str] | NDArray[Any], *, at: datetime | None = None
    ) -> SpiralStates:
        """A population at the start of its first cycle."""
        ids = np.asarray(subject_ids, dtype=object)
        n = len(ids)
        when = _dt64(at or _now())
        return SpiralStates(
            ids,
            np.full(n, self._code[self.definition.initial], dtype=np.int16),
            np.full(n, OUTSIDE, dtype=np.int16),
            np.ones(n, dtype=np.int32),
            np.full(n, when, dtype="datetime64[s]"),
        )

    def states_of(self, subjects: Sequence[SubjectState]) -> SpiralStates:
        """Columns from single subject states (the inverse of :meth:`subjects_of`)."""
        return SpiralStates(
            np.array([s.subject_id for s in subjects], dtype=object),
            np.array([self._code[s.state] for s in subjects], dtype=np.int16),
            np.array(
                [
                    OUTSIDE if s.small_state is None else self._small_code[s.small_state]
                    for s in subjects
                ],
                dtype=np.int16,
            ),
            np.array([s.cycle for s in subjects], dtype=np.int32),
            np.array(
                [_dt64(s.entered_at or _now()) for s in subjects],
                dtype="datetime64[s]",
            ),
        )

    def subjects_of(self, states: SpiralStates) -> list[SubjectState]:
        """Single subject states from columns."""
        return [self._row(states, i) for i in range(len(states))]

    def _row(self, states: SpiralStates, i: int) -> SubjectState:
        small = int(states.small[i])
        return SubjectState(
            str(states.subject_ids[i]),
            self.state_ids[int(states.state[i])],
            None if small == OUTSIDE else self.small_ids[small],
            int(states.cycle[i]),
            _aware(states.entered_at[i]),
        )

    # -- the single-subject path ----------------------------------------------------------

    def trigger(
        self,
        subject: SubjectState,
        trigger: str,
        context: GuardContext | GuardInputs | None = None,
        *,
        actor: str = "system",
        reason: str = "",
        at: datetime | None = None,
    ) -> tuple[SubjectState, AuditRecord]:
        """Move one subject through the shared machine: guards, then the move, then callbacks.

        Raises :class:`IllegalTrigger` when the state does not allow the trigger and
        the first failing guard's :class:`~zhengai.errors.GuardFailed` subclass otherwise.
        """
        machine_name = self.machine_of(trigger)
        at = at or _now()
        inputs = _one_row(context)
        states = self.states_of([replace(subject, entered_at=subject.entered_at or at)])
        if machine_name == "small":
            if subject.state != self.definition.small_loop.host or subject.small_state is None:  # type: ignore[union-attr]
                raise self._illegal(states, 0, "small", trigger)
            machine, here = self.small_machine, subject.small_state
        else:
            machine, here = self.machine, subject.state
        assert machine is not None
        if not machine.get_transitions(trigger, here):
            raise self._illegal(states, 0, machine_name, trigger)
        carrier = _Carrier(self, here, int(states.small[0]), inputs)
        if not machine.events[trigger].trigger(carrier):
            transition, guard = carrier.failures[0]
            raise self._guard_error(states, 0, machine_name, transition, guard, inputs)
        taken = self._taken(machine_name, trigger, here, carrier.state)
        after = self._moved(states, np.array([0], dtype=np.intp), machine_name, taken, at)
        self._run_callbacks(taken, after, np.array([0], dtype=np.intp), inputs, at, actor)
        new = self._row(after, 0)
        record = AuditRecord(
            subject.subject_id,
            machine_name,
            new.cycle,
            trigger,
            here,
            carrier.state,
            actor,
            at,
            reason,
            self._guard_names(taken),
        )
        return new, record

    def _taken(self, machine: MachineName, trigger: str, source: str, dest: str) -> _Compiled:
        codes = self._code if machine == "loop" else self._small_code
        for t in self._compiled[machine]:
            if (
                t.definition.trigger == trigger
                and codes[source] in t.sources
                and t.dest == codes[dest]
            ):
                return t
        raise AssertionError("the machine took a transition the definition does not have")

    def _check_one(self, carrier: _Carrier, machine: MachineName, index: int, guard: int) -> bool:
        transition = self._compiled[machine][index]
        if guard < 0:
            ok = carrier.state != self.definition.small_loop.host or (  # type: ignore[union-attr]
                carrier.small in self._exit_set
            )
            if not ok:
                carrier.failures.append((transition, None))
            return ok
        compiled = transition.guards[guard]
        ok = bool(compiled.evaluate(carrier.inputs)[0])
        if not ok:
            carrier.failures.append((transition, compiled))
        return ok

    def apply(
        self, subject: SubjectState, machine: MachineName, trigger: str, *, at: datetime | None
    ) -> SubjectState:
        """The state after a legal move, without guards or callbacks (used by replay)."""
        here = subject.state if machine == "loop" else subject.small_state
        m = self.machine if machine == "loop" else self.small_machine
        assert m is not None
        assert here is not None
        dest = str(m.get_transitions(trigger, here)[0].dest)
        taken = self._taken(machine, trigger, here, dest)
        states = self.states_of([subject])
        after = self._moved(states, np.array([0], dtype=np.intp), machine, taken, at or _now())
        return self._row(after, 0)

    # -- the population path --------------------------------------------------------------

    def advance(
        self,
        states: SpiralStates,
        trigger: str,
        inputs: GuardInputs | None = None,
        *,
        actor: str = "system",
        reason: str = "",
        at: datetime | None = None,
    ) -> AdvanceResult:
        """Move every subject that may take ``trigger`` and whose guards hold, all at once.

        The trigger is validated once; each guard runs once over the whole population.
        Subjects whose state does not allow the trigger are listed in ``illegal``;
        each subject that fails is counted under its first failing guard.
        """
        machine_name = self.machine_of(trigger)
        at = at or _now()
        n = len(states)
        inputs = inputs if inputs is not None else GuardInputs(n=n)
        if inputs.n != n:
            raise GuardInputsMismatch(
                f"guard inputs have {inputs.n} rows but the population has {n} subjects",
                hint="build GuardInputs in the order of the states (StoredSpiral: by subject id)",
            )
        here = states.state if machine_name == "loop" else states.small
        m = self.machine if machine_name == "loop" else self.small_machine
        assert m is not None
        # Legal sources come from the shared machine: it is the one source of what is legal.
        legal_sources = [
            (self._code if machine_name == "loop" else self._small_code)[s]
            for s in m.events[trigger].transitions
        ]
        pending = np.isin(here, np.array(legal_sources, dtype=np.int16))
        if machine_name == "small":
            pending &= states.state == self._host
        illegal = np.flatnonzero(~pending)
        dest = here.copy()
        moved = np.zeros(n, dtype=bool)
        first_fail = np.full(n, -1, dtype=np.int32)
        failures: list[tuple[_Compiled, CompiledGuard | None]] = []
        taken_by: list[tuple[_Compiled, NDArray[np.intp]]] = []
        for transition in self._compiled[machine_name]:
            if transition.definition.trigger != trigger:
                continue
            ok = pending & np.isin(here, transition.sources)
            checks: list[tuple[CompiledGuard | None, Bools]] = []
            if transition.leaves_host:
                checks.append(
                    (None, (states.state != self._host) | np.isin(states.small, self._exits))
                )
            for compiled in transition.guards:
                if ok.any():
                    checks.append((compiled, np.asarray(compiled.evaluate(inputs), dtype=bool)))
            for guard, passed in checks:
                failing = ok & ~passed
                if failing.any():
                    fresh = failing & (first_fail < 0)
                    first_fail[fresh] = len(failures)
                    failures.append((transition, guard))
                ok &= passed
            rows = np.flatnonzero(ok)
            dest[rows] = transition.dest
            moved[rows] = True
            pending &= ~ok
            if len(rows):
                taken_by.append((transition, rows))
        # A row illegal for the trigger has first_fail -1 and is not reported under a guard.
        first_fail[moved] = -1
        failed: dict[str, list[NDArray[np.intp]]] = {}
        for code, (_, failing_guard) in enumerate(failures):
            rows = np.flatnonzero(first_fail == code)
            if len(rows):
                name = failing_guard.name if failing_guard else _SMALL_EXIT
                failed.setdefault(name, []).append(rows)
        after = states
        for transition, rows in taken_by:
            after = self._moved(after, rows, machine_name, transition, at)
        for transition, rows in taken_by:
            self._run_callbacks(transition, after, rows, inputs, at, actor)
        rows = np.flatnonzero(moved)
        ids = self.state_ids if machine_name == "loop" else self.small_ids
        names = np.array(ids, dtype=object)
        audit = AuditBatch(
            states.subject_ids[rows],
            names[here[rows]],
            names[dest[rows]],
            after.cycle[rows],
            machine_name,
            trigger,
            actor,
            at,
            reason,
            self._guard_names(taken_by[0][0]) if len(taken_by) == 1 else (),
        )
        return AdvanceResult(
            after,
            moved,
            {k: np.sort(np.concatenate(v)) for k, v in failed.items()},
            illegal,
            audit,
            tuple((t.definition, rows) for t, rows in taken_by),
            self,
            machine_name,
            trigger,
            states,
            inputs,
            first_fail,
            tuple(failures),
        )

    def _moved(
        self,
        states: SpiralStates,
        rows: NDArray[np.intp],
        machine: MachineName,
        transition: _Compiled,
        at: datetime,
    ) -> SpiralStates:
        """New columns with ``rows`` moved by ``transition`` (small loop and cycle follow)."""
        state, small = states.state.copy(), states.small.copy()
        cycle, entered = states.cycle, states.entered_at
        if machine == "small":
            small[rows] = transition.dest
            return replace(states, small=small)
        source = state[rows]
        state[rows] = transition.dest
        entered = entered.copy()
        entered[rows] = _dt64(at)
        if self._host != OUTSIDE:
            # The small loop lives inside its host state: entering the host starts it in its
            # initial state, leaving the host ends it.
            initial = self._small_code[self.definition.small_loop.initial]  # type: ignore[union-attr]
            small[rows] = initial if transition.dest == self._host else OUTSIDE
            stays = rows[(source == self._host) & (transition.dest == self._host)]
            small[stays] = states.small[stays]
        if transition.definition.new_cycle:
            cycle = cycle.copy()
            cycle[rows] += 1
        return SpiralStates(states.subject_ids, state, small, cycle, entered)

    def _run_callbacks(
        self,
        transition: _Compiled,
        states: SpiralStates,
        rows: NDArray[np.intp],
        inputs: GuardInputs,
        at: datetime,
        actor: str,
    ) -> None:
        for name in transition.definition.callbacks:
            batch = TransitionBatch(self, transition.definition, rows, states, inputs, at, actor)
            self._callbacks[name](batch)

    def _freeze_snapshot(self, batch: TransitionBatch) -> None:
        """Built-in ``freeze_snapshot``: keep the closing cycle's targets and attainment."""
        self.snapshots.append(snapshot(batch))

    # -- errors -----------------------------------------------------------------------------

    @staticmethod
    def _guard_names(transition: _Compiled) -> tuple[str, ...]:
        names = [g.name for g in transition.guards]
        return ((_SMALL_EXIT,) if transition.leaves_host else ()) + tuple(names)

    def _illegal(
        self, states: SpiralStates, row: int, machine: MachineName, trigger: str
    ) -> IllegalTrigger:
        subject = self._row(states, row)
        here = subject.state if machine == "loop" else subject.small_state
        if here is None:
            here_text = f"{subject.state}（{self.label(subject.state)}，小循环未开始）"
            allowed: tuple[str, ...] = ()
        else:
            here_text = f"{here}（{self.label(here)}）"
            allowed = self.triggers(here)
        return IllegalTrigger(
            f"{subject.subject_id} 处于 {here_text}，不能执行 {trigger!r}",
            hint=f"allowed here: {', '.join(allowed) or 'none'}",
        )

    def _guard_error(
        self,
        states: SpiralStates,
        row: int,
        machine: MachineName,
        transition: _Compiled,
        guard: CompiledGuard | None,
        inputs: GuardInputs,
    ) -> SubjectGuardFailed:
        subject = self._row(states, row)
        t = transition.definition
        source = subject.state if machine == "loop" else subject.small_state or ""
        head = (
            f"{subject.subject_id} 不能执行 {t.trigger}"
            f"（{self.label(source)} → {self.label(t.dest)}）"
        )
        prefix = "transitions" if machine == "loop" else "small_loop.transitions"
        if guard is None:
            small = self.definition.small_loop
            assert small is not None
            assert subject.small_state is not None
            exits = "、".join(self.label(e) for e in small.exits)
            return SmallLoopOpen(
                f"{head}：小循环处于 {self.label(subject.small_state)}，须回到 {exits} "
                f"才能离开 {self.label(small.host)}",
                subject_id=subject.subject_id,
                trigger=t.trigger,
                source=source,
                dest=t.dest,
                guard=_SMALL_EXIT,
                missing=(subject.small_state,),
                where=Where(field=f"{prefix}[{transition.index}]"),
            )
        missing = guard.explain(inputs, row)
        return guard.error(
            f"{head}：{guard.describe(missing)}",
            subject_id=subject.subject_id,
            trigger=t.trigger,
            source=source,
            dest=t.dest,
            guard=guard.name,
            missing=missing,
            where=Where(field=guard.field),
        )

    # -- cycles -----------------------------------------------------------------------------

    def open_next_cycle(
        self,
        closed: CycleSnapshot,
        directions: Sequence[Direction | str],
        *,
        plan: NDArray[np.float64] | None = None,
        actions: Iterable[Action] = (),
    ) -> NextCycle:
        """The next cycle after ``closed`` under this loop's declared raising policy."""
        return open_next_cycle(
            closed, directions, self.definition.raising, plan=plan, actions=actions
        )

    # -- views ------------------------------------------------------------------------------

    def histogram(self, states: SpiralStates) -> dict[str, int]:
        """Subjects per big-loop state, every state listed (zeros included)."""
        counts = np.bincount(states.state, minlength=len(self.state_ids))
        return {s: int(c) for s, c in zip(self.state_ids, counts, strict=True)}

    def diagram(
        self,
        fmt: str = "mermaid",
        *,
        current: str | None = None,
        counts: Mapping[str, int] | None = None,
    ) -> str:
        """Mermaid (``mermaid``) or Graphviz (``dot``) text drawn from the shared machines."""
        from zhengai.spiral.diagram import render

        return render(self, fmt, current=current, counts=counts)


def _one_row(context: GuardContext | GuardInputs | None) -> GuardInputs:
    if context is None:
        return GuardInputs(n=1)
    if isinstance(context, GuardInputs):
        if context.n != 1:
            raise GuardInputsMismatch(
                f"one subject needs guard inputs of one row, not {context.n}",
                hint="pass a GuardContext, or use Spiral.advance for a population",
            )
        return context
    return GuardInputs.from_contexts([context])


def _aware(value: np.datetime64) -> datetime | None:
    """A numpy time (UTC, no zone) as an aware datetime; NaT (not loaded) as None."""
    if np.isnat(value):
        return None
    moment: datetime = value.astype(datetime)
    return moment.replace(tzinfo=UTC)


def _dt64(at: datetime) -> np.datetime64:
    """Seconds since the epoch in UTC (numpy datetimes carry no time zone)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(at, "s")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
