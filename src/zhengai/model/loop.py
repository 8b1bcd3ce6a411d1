"""Loop definitions: the 8字 improvement spiral as a pack declares it in ``loops/*.yaml``.

A loop is data, never a Python subclass (DESIGN.md §7): states with a Chinese
label and the 8字 step each maps to, transitions (trigger, source, dest) with
guards that are either named built-in guards or expressions, explicitly declared
callbacks, the small real-time loop inside 运行 as a second flat machine, the
cycle length per level and the target-raising policy for the next cycle.

:meth:`LoopDefinition.model_validate` checks the structure and raises a
:class:`~zhengai.errors.LoopError` subclass naming the field; :func:`load_loop`
adds the file and line.  The engine that runs a definition is ``zhengai.spiral``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zhengai.errors import LoopError, Where, did_you_mean
from zhengai.model.enums import Level
from zhengai.model.period import PeriodKind

__all__ = [
    "BUILTIN_CALLBACKS",
    "BuiltinGuard",
    "DeadEndState",
    "DuplicateName",
    "ExprGuard",
    "GuardName",
    "GuardSpec",
    "InvalidLoop",
    "LevelNotInLoop",
    "LoopDefinition",
    "RaisingPolicy",
    "RaisingPolicyKind",
    "SmallLoopDefinition",
    "SmallLoopWithoutExit",
    "StateDefinition",
    "Step",
    "TransitionDefinition",
    "UnknownCallbackName",
    "UnknownGuard",
    "UnknownState",
    "UnreachableState",
    "load_loop",
]

_ID = r"^[a-z_][a-z0-9_]*$"


class InvalidLoop(LoopError):
    """A loop file that is not a valid definition (wrong type, missing field, bad YAML)."""

    code = "loop.invalid"


class UnknownState(LoopError):
    """A transition, the initial state, the close state or the small loop names no state."""

    code = "loop.unknown_state"


class DuplicateName(LoopError):
    """Two states share an id, or a trigger is used by both the big and the small loop."""

    code = "loop.duplicate_name"


class UnreachableState(LoopError):
    """A state that no sequence of transitions from the initial state reaches."""

    code = "loop.unreachable_state"


class DeadEndState(LoopError):
    """A state without an outgoing transition that is not the cycle's close."""

    code = "loop.dead_end"


class LevelNotInLoop(LoopError):
    """A level that a loop does not declare a cycle length for."""

    code = "loop.level_not_in_loop"


class UnknownGuard(LoopError):
    """A guard name that is not a built-in guard (custom guards are ``expr:``)."""

    code = "loop.unknown_guard"


class UnknownCallbackName(LoopError):
    """A callback name the engine does not know (neither built in nor registered)."""

    code = "loop.unknown_callback"


class SmallLoopWithoutExit(LoopError):
    """A small loop whose states cannot get back to a state from which 运行 may be left."""

    code = "loop.small_loop_without_exit"


class Step(StrEnum):
    """The ten steps of the 8字形质量改进螺旋 plus the small loop's 监测/预警 (domain.md §1)."""

    TARGET = "target"
    STANDARD = "standard"
    DESIGN = "design"
    ORGANIZE = "organize"
    IMPLEMENT = "implement"
    DIAGNOSE = "diagnose"
    INCENTIVIZE = "incentivize"
    LEARN = "learn"
    INNOVATE = "innovate"
    IMPROVE = "improve"
    MONITOR = "monitor"
    WARN = "warn"

    @property
    def label(self) -> str:
        """The Chinese name of the step."""
        return _STEP_LABELS[self.value]


_STEP_LABELS = {
    "target": "目标",
    "standard": "标准",
    "design": "设计",
    "organize": "组织",
    "implement": "实施",
    "diagnose": "诊断",
    "incentivize": "激励",
    "learn": "学习",
    "innovate": "创新",
    "improve": "改进",
    "monitor": "监测",
    "warn": "预警",
}


class GuardName(StrEnum):
    """The built-in guards; each reads one kind of guard input (see ``zhengai.spiral``)."""

    #: every goal indicator of the subject has a target value (目标)
    TARGETS_SET = "targets_set"
    #: every goal indicator is covered by at least one standard (标准)
    STANDARDS_COVER_GOALS = "standards_cover_goals"
    #: the period's data are complete at least to ``min_ratio`` (诊断)
    DATA_COMPLETE = "data_complete"
    #: no red alert is waiting to be acknowledged (诊断)
    NO_UNACKNOWLEDGED_RED_ALERT = "no_unacknowledged_red_alert"
    #: every gap has an improvement action or a reasoned acceptance (改进)
    GAPS_ADDRESSED = "gaps_addressed"
    #: a mid-cycle target revision has an approval record (目标调整)
    REVISION_APPROVED = "revision_approved"
    #: the warning has an improvement action with owner and due date (小循环 预警 → 改进)
    ACTION_OPENED = "action_opened"
    #: the next data show the alert resolved (小循环 改进 → 监测)
    ALERT_RESOLVED = "alert_resolved"


#: Callbacks the engine provides; a loop may name others registered with the engine.
BUILTIN_CALLBACKS = frozenset({"freeze_snapshot"})


class BuiltinGuard(BaseModel):
    """A named built-in guard with its parameters (``data_complete: {min_ratio: 0.95}``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    guard: GuardName
    min_ratio: Annotated[float, Field(ge=0, le=1)] = 1.0

    @property
    def name(self) -> str:
        """The name results and errors are reported under."""
        return self.guard.value


class ExprGuard(BaseModel):
    """A custom guard: an expression over the subject's data that must be true."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    expr: Annotated[str, Field(min_length=1)]
    id: Annotated[str, Field(pattern=_ID)]
    message: str = ""

    @property
    def name(self) -> str:
        """The name results and errors are reported under (the guard's ``id``)."""
        return self.id


GuardSpec = BuiltinGuard | ExprGuard


def _parse_guard(value: object, where: str) -> object:
    """Accept the YAML forms ``name``, ``{name: {params}}`` and ``{expr: …, id: …}``."""
    if isinstance(value, str):
        value = {value: {}}
    if isinstance(value, BaseModel):
        return value
    if isinstance(value, Mapping) and "expr" not in value and "guard" not in value:
        if len(value) != 1:
            raise InvalidLoop(
                "a guard is a built-in name, {name: {params}} or {expr: …, id: …}",
                where=Where(field=where),
            )
        ((name, params),) = value.items()
        if str(name) not in GuardName.__members__.values():
            raise UnknownGuard(
                f"unknown guard {name!r}; custom guards are written as {{expr: …, id: …}}",
                where=Where(field=where),
                hint=did_you_mean(str(name), [g.value for g in GuardName]),
            )
        return {"guard": name, **(dict(params) if isinstance(params, Mapping) else {})}
    return value


def _parse_guards(transitions: object, prefix: str) -> object:
    if not isinstance(transitions, Sequence) or isinstance(transitions, str):
        return transitions
    out: list[object] = []
    for i, t in enumerate(transitions):
        guards = t.get("guards") if isinstance(t, Mapping) else None
        if isinstance(guards, Sequence) and not isinstance(guards, str):
            t = dict(t)
            t["guards"] = [
                _parse_guard(g, f"{prefix}[{i}].guards[{j}]") for j, g in enumerate(guards)
            ]
        out.append(t)
    return out


class StateDefinition(BaseModel):
    """One state of a loop: id, Chinese label and the 8字 step it maps to (None for 草拟/闭环)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=_ID)]
    label: Annotated[str, Field(min_length=1)]
    step: Step | None = None


class TransitionDefinition(BaseModel):
    """One transition: ``trigger`` moves a subject from any of ``source`` to ``dest``.

    ``guards`` are checked in order and the first that fails is reported;
    ``callbacks`` run after a move (declared here because a shared machine cannot
    find ``on_enter_<state>`` methods on subjects); ``new_cycle`` marks the
    transition that opens the next cycle of the spiral.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    trigger: Annotated[str, Field(pattern=_ID)]
    source: tuple[str, ...]
    dest: str
    label: str = ""
    guards: tuple[BuiltinGuard | ExprGuard, ...] = ()
    callbacks: tuple[str, ...] = ()
    new_cycle: bool = False

    @field_validator("source", mode="before")
    @classmethod
    def _source(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @field_validator("guards", mode="before")
    @classmethod
    def _guards(cls, value: object) -> object:
        if isinstance(value, Sequence) and not isinstance(value, str):
            return [_parse_guard(item, f"guards[{i}]") for i, item in enumerate(value)]
        return value


class SmallLoopDefinition(BaseModel):
    """The real-time small loop (监测 → 预警 → 改进 → 监测) living inside one big-loop state.

    It is a second flat machine on its own column: entering ``host`` starts it in
    ``initial``; ``host`` may be left only while the small loop is in one of ``exits``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str
    initial: str
    exits: tuple[str, ...]
    states: tuple[StateDefinition, ...]
    transitions: tuple[TransitionDefinition, ...]


class RaisingPolicyKind(StrEnum):
    """How the next cycle's targets follow from this cycle's (domain.md §1.3, spiral guard)."""

    #: never ratchet down: max(previous target, achieved) for higher_better, min() for lower
    NEVER_DOWN = "never_down"
    #: never down, plus a step ``step`` toward the long-range plan target (步步逼近规划目标)
    STEP_TO_PLAN = "step_to_plan"


class RaisingPolicy(BaseModel):
    """The target-raising policy; lowering a target always needs an approved adjustment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: RaisingPolicyKind = RaisingPolicyKind.NEVER_DOWN
    step: Annotated[float, Field(ge=0, lt=1)] = 0.0


class LoopDefinition(BaseModel):
    """A whole loop: states, transitions, small loop, cycle lengths and raising policy.

    ``close`` is the state that ends a cycle (the only state allowed to be a dead
    end); a transition with ``new_cycle: true`` leaves it into the next cycle.
    ``cycle`` maps each level that may run this loop to its cycle length
    (专业 学年, 课程 学期, 教师 年度 — 004 §四(五)).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=_ID)]
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    source: tuple[str, ...] = ()
    cycle: dict[Level, PeriodKind] = Field(default_factory=dict)
    states: tuple[StateDefinition, ...]
    initial: str
    close: str
    transitions: tuple[TransitionDefinition, ...]
    small_loop: SmallLoopDefinition | None = None
    raising: RaisingPolicy = RaisingPolicy()

    @model_validator(mode="before")
    @classmethod
    def _guard_paths(cls, data: Any) -> Any:
        # Parse guards here, where the transition's index is known, so an unknown
        # guard names its full field path (transitions[4].guards[1]).
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        data["transitions"] = _parse_guards(data.get("transitions"), "transitions")
        small = data.get("small_loop")
        if isinstance(small, Mapping):
            small = dict(small)
            small["transitions"] = _parse_guards(small.get("transitions"), "small_loop.transitions")
            data["small_loop"] = small
        return data

    @field_validator("source", mode="before")
    @classmethod
    def _sources(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @field_validator("cycle", mode="before")
    @classmethod
    def _cycle(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return {
                Level.parse(k) if isinstance(k, str) else k: _parse_kind(v)
                for k, v in value.items()
            }
        return value

    @model_validator(mode="after")
    def _check(self) -> LoopDefinition:
        _check_flat(self.states, self.transitions, self.initial, "")
        ids = [s.id for s in self.states]
        if self.close not in ids:
            raise UnknownState(
                f"close state {self.close!r} is not a state of loop {self.id!r}",
                where=Where(field="close"),
                hint=did_you_mean(self.close, ids),
            )
        reach = _reachable(self.initial, self.transitions)
        for state in self.states:
            if state.id not in reach:
                raise UnreachableState(
                    f"state {state.id!r}（{state.label}）cannot be reached from {self.initial!r}",
                    where=Where(field=f"states[{ids.index(state.id)}]"),
                )
        has_exit = {s for t in self.transitions for s in t.source}
        for state in self.states:
            if state.id not in has_exit and state.id != self.close:
                raise DeadEndState(
                    f"state {state.id!r}（{state.label}）has no outgoing transition and is not "
                    f"the cycle's close {self.close!r}",
                    where=Where(field=f"states[{ids.index(state.id)}]"),
                )
        for i, t in enumerate(self.transitions):
            if t.new_cycle and self.close not in t.source:
                raise InvalidLoop(
                    f"transition {t.trigger!r} opens a new cycle but does not leave the close "
                    f"state {self.close!r}",
                    where=Where(field=f"transitions[{i}].new_cycle"),
                )
        if self.small_loop is not None:
            self._check_small(self.small_loop, ids)
        return self

    def _check_small(self, small: SmallLoopDefinition, big_ids: list[str]) -> None:
        if small.host not in big_ids:
            raise UnknownState(
                f"small loop host {small.host!r} is not a state of loop {self.id!r}",
                where=Where(field="small_loop.host"),
                hint=did_you_mean(small.host, big_ids),
            )
        _check_flat(small.states, small.transitions, small.initial, "small_loop.")
        small_ids = [s.id for s in small.states]
        clash = set(small_ids) & set(big_ids)
        if clash:
            raise DuplicateName(
                f"small-loop state ids {sorted(clash)} are also big-loop states",
                where=Where(field="small_loop.states"),
            )
        big_triggers = {t.trigger for t in self.transitions}
        for i, t in enumerate(small.transitions):
            if t.trigger in big_triggers:
                raise DuplicateName(
                    f"trigger {t.trigger!r} is used by both the big and the small loop",
                    where=Where(field=f"small_loop.transitions[{i}].trigger"),
                )
        if not small.exits:
            raise SmallLoopWithoutExit(
                f"the small loop inside {small.host!r} declares no exit state",
                where=Where(field="small_loop.exits"),
            )
        for j, e in enumerate(small.exits):
            if e not in small_ids:
                raise UnknownState(
                    f"small-loop exit {e!r} is not a small-loop state",
                    where=Where(field=f"small_loop.exits[{j}]"),
                    hint=did_you_mean(e, small_ids),
                )
        reach = _reachable(small.initial, small.transitions)
        for state in small.states:
            if state.id not in reach:
                raise UnreachableState(
                    f"small-loop state {state.id!r}（{state.label}）cannot be reached from "
                    f"{small.initial!r}",
                    where=Where(field=f"small_loop.states[{small_ids.index(state.id)}]"),
                )
            if not _reachable(state.id, small.transitions) & set(small.exits):
                raise SmallLoopWithoutExit(
                    f"small-loop state {state.id!r}（{state.label}）never gets back to an exit "
                    f"{list(small.exits)}, so {small.host!r} could never be left",
                    where=Where(field=f"small_loop.states[{small_ids.index(state.id)}]"),
                )
        if small.host not in {s for t in self.transitions for s in t.source}:
            raise SmallLoopWithoutExit(
                f"the host state {small.host!r} of the small loop has no outgoing transition",
                where=Where(field="small_loop.host"),
            )

    def state(self, state_id: str) -> StateDefinition:
        """The big- or small-loop state with this id."""
        for s in self.all_states():
            if s.id == state_id:
                return s
        raise UnknownState(
            f"loop {self.id!r} has no state {state_id!r}",
            hint=did_you_mean(state_id, [s.id for s in self.all_states()]),
        )

    def period_kind(self, level: Level | str) -> PeriodKind:
        """The cycle length of this loop at ``level`` (专业 学年, 课程 学期 — 004 §四(五))."""
        parsed = Level.parse(level) if isinstance(level, str) else level
        if parsed not in self.cycle:
            raise LevelNotInLoop(
                f"loop {self.id!r} declares no cycle for {parsed.label}（{parsed.value}）",
                where=Where(field="cycle"),
                hint=f"declared: {', '.join(lv.value for lv in self.cycle) or 'none'}",
            )
        return self.cycle[parsed]

    def all_states(self) -> tuple[StateDefinition, ...]:
        """Big-loop states followed by the small loop's states."""
        return self.states + (self.small_loop.states if self.small_loop else ())


def _parse_kind(value: object) -> object:
    if isinstance(value, str):
        names = {"学年": "year", "年度": "year", "学期": "term", "月": "month", "月度": "month"}
        return PeriodKind(names.get(value, value))
    return value


def _check_flat(
    states: Sequence[StateDefinition],
    transitions: Sequence[TransitionDefinition],
    initial: str,
    prefix: str,
) -> None:
    ids = [s.id for s in states]
    seen: set[str] = set()
    for i, s in enumerate(states):
        if s.id in seen:
            raise DuplicateName(
                f"state id {s.id!r} is declared twice", where=Where(field=f"{prefix}states[{i}]")
            )
        seen.add(s.id)
    if initial not in seen:
        raise UnknownState(
            f"initial state {initial!r} is not declared",
            where=Where(field=f"{prefix}initial"),
            hint=did_you_mean(initial, ids),
        )
    for i, t in enumerate(transitions):
        for j, name in enumerate(t.source):
            if name not in seen:
                raise UnknownState(
                    f"transition {t.trigger!r} leaves unknown state {name!r}",
                    where=Where(field=f"{prefix}transitions[{i}].source[{j}]"),
                    hint=did_you_mean(name, ids),
                )
        if t.dest not in seen:
            raise UnknownState(
                f"transition {t.trigger!r} enters unknown state {t.dest!r}",
                where=Where(field=f"{prefix}transitions[{i}].dest"),
                hint=did_you_mean(t.dest, ids),
            )


def _reachable(start: str, transitions: Sequence[TransitionDefinition]) -> set[str]:
    edges: dict[str, set[str]] = {}
    for t in transitions:
        for s in t.source:
            edges.setdefault(s, set()).add(t.dest)
    seen, todo = {start}, deque([start])
    while todo:
        for nxt in edges.get(todo.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _line_of(root: yaml.Node | None, field: str | None) -> int | None:
    """The 1-based line of a dotted field path (``transitions[2].dest``) in a YAML tree."""
    if root is None or not field:
        return None
    node: yaml.Node = root
    for part in field.replace("]", "").replace("[", ".").split("."):
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if getattr(k, "value", None) == part]
            if not match:
                break
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
        else:
            break
    return node.start_mark.line + 1


def load_loop(path: str | Path) -> LoopDefinition:
    """Load and validate one ``loops/*.yaml`` file; errors name the file, line and field."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidLoop(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            where=Where(file=str(path), line=mark.line + 1 if mark else None),
        ) from None
    try:
        return LoopDefinition.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(
            f"[{p}]" if isinstance(p, int) else str(p) for p in first["loc"] if p != "guard"
        ).replace(".[", "[")
        raise InvalidLoop(
            first["msg"],
            where=Where(file=str(path), line=_line_of(root, field), field=field or None),
        ) from None
    except LoopError as exc:
        raise type(exc)(
            exc.message,
            where=Where(
                file=str(path), line=_line_of(root, exc.where.field), field=exc.where.field
            ),
            hint=exc.hint,
        ) from None
