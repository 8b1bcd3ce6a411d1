"""Improvement actions (整改任务): lifecycle, verification by data, escalation, overdue.

The lifecycle is a model-less ``transitions`` Machine like the loops: open →
in_progress → done → verified, with ``reopen`` from done.  An action opened
from an alert is verified by the next period's data, never by hand: if the alert
is resolved the action is verified, otherwise a done action is reopened and
escalated and an overdue one escalated (:meth:`ActionBook.verify_from_data`).
Every change appends an :class:`~zhengai.model.action.ActionEvent`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from transitions import Machine

from zhengai.errors import did_you_mean
from zhengai.model.action import Action, ActionEvent, ActionEventKind, ActionStatus
from zhengai.model.period import Period
from zhengai.spiral.errors import IllegalActionChange, ReplayMismatch

__all__ = [
    "ACTION_TRANSITIONS",
    "ActionBook",
    "Decision",
    "Verification",
    "decide",
    "next_status",
    "overdue_by_owner",
]

#: The lifecycle of an improvement action, as ``transitions`` data.
ACTION_TRANSITIONS: tuple[dict[str, object], ...] = (
    {"trigger": "start", "source": ["open"], "dest": "in_progress"},
    {"trigger": "complete", "source": ["open", "in_progress"], "dest": "done"},
    {"trigger": "verify", "source": ["open", "in_progress", "done"], "dest": "verified"},
    {"trigger": "reopen", "source": ["done"], "dest": "open"},
)


@lru_cache(maxsize=1)
def _machine() -> Machine:
    return Machine(
        model=None,
        states=[s.value for s in ActionStatus],
        transitions=[dict(t) for t in ACTION_TRANSITIONS],
        initial=ActionStatus.OPEN.value,
        auto_transitions=False,
    )


class _Carrier:
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass(frozen=True, slots=True)
class Decision:
    """What the next period's data mean for one action opened from an alert."""

    trigger: str | None
    escalate: bool
    reason: str


def decide(
    status: ActionStatus, alert: str, *, resolved: bool, overdue: bool, period: Period | None
) -> Decision | None:
    """The verification rule, shared by the in-memory and the stored action books.

    Resolved alert → verify; alert persists and the action was marked done → reopen
    and escalate; alert persists and the action is overdue → escalate; else nothing.
    """
    when = f"（{period} 数据）" if period else ""
    if status is ActionStatus.VERIFIED:
        return None
    if resolved:
        return Decision("verify", False, f"预警 {alert} 已解除{when}")
    if status is ActionStatus.DONE:
        return Decision("reopen", True, f"预警 {alert} 仍未解除{when}")
    if overdue:
        return Decision(None, True, "整改逾期")
    return None


def next_status(status: ActionStatus, trigger: str) -> ActionStatus | None:
    """The status the lifecycle machine gives for ``trigger`` from ``status`` (None: illegal)."""
    machine = _machine()
    if trigger not in machine.events:
        return None
    moves = machine.get_transitions(trigger, status.value)
    return ActionStatus(str(moves[0].dest)) if moves else None


@dataclass(frozen=True)
class Verification:
    """What one verification run did: ids verified, reopened and escalated."""

    verified: tuple[str, ...]
    reopened: tuple[str, ...]
    escalated: tuple[str, ...]


class ActionBook:
    """The improvement actions of a population, in memory, with their append-only events."""

    def __init__(self, actions: Iterable[Action] = ()) -> None:
        self._actions: dict[str, Action] = {}
        self.events: list[ActionEvent] = []
        for action in actions:
            self._actions[action.id] = action

    def __iter__(self) -> Iterator[Action]:
        return iter(self._actions.values())

    def __len__(self) -> int:
        return len(self._actions)

    def __getitem__(self, action_id: str) -> Action:
        try:
            return self._actions[action_id]
        except KeyError:
            raise IllegalActionChange(
                f"no improvement action {action_id!r}",
                hint=did_you_mean(action_id, list(self._actions)),
            ) from None

    def open(
        self, action: Action, *, actor: str = "system", at: datetime | None = None, reason: str = ""
    ) -> Action:
        """Record a new action (status open)."""
        if action.id in self._actions:
            raise IllegalActionChange(f"improvement action {action.id!r} exists already")
        action = action.model_copy(update={"status": ActionStatus.OPEN})
        self._actions[action.id] = action
        self._event(action, ActionEventKind.OPENED, None, actor, at, reason)
        return action

    def open_from_alert(
        self,
        alert_id: str,
        subject_id: str,
        title: str,
        *,
        owner: str,
        due: date,
        period: Period | None = None,
        cycle: int = 1,
        actor: str = "system",
        at: datetime | None = None,
    ) -> Action:
        """Open the action of an alert (one per alert: the same alert never opens two)."""
        for existing in self._actions.values():
            if existing.source_alert == alert_id and existing.is_open:
                return existing
        action = Action(
            id=f"{alert_id}#{sum(a.source_alert == alert_id for a in self) + 1}",
            subject_id=subject_id,
            title=title,
            owner=owner,
            due=due,
            source_alert=alert_id,
            opened_period=period,
            cycle=cycle,
        )
        return self.open(action, actor=actor, at=at, reason=f"由预警 {alert_id} 生成")

    def change(
        self,
        action_id: str,
        trigger: str,
        *,
        actor: str,
        at: datetime | None = None,
        reason: str = "",
    ) -> Action:
        """Move an action with a lifecycle trigger (start, complete, reopen).

        ``verify`` by hand is refused for actions opened from an alert: those are
        verified by data (:meth:`verify_from_data`).
        """
        action = self[action_id]
        if trigger == "verify" and action.source_alert is not None:
            raise IllegalActionChange(
                f"整改任务 {action_id} 由预警 {action.source_alert} 产生，只能由下一期数据验证",
            )
        return self._move(action, trigger, actor=actor, at=at, reason=reason)

    def _move(
        self,
        action: Action,
        trigger: str,
        *,
        actor: str,
        at: datetime | None,
        reason: str,
        update: dict[str, object] | None = None,
    ) -> Action:
        machine = _machine()
        carrier = _Carrier(action.status.value)
        if trigger not in machine.events or not machine.get_transitions(trigger, carrier.state):
            allowed = machine.get_triggers(carrier.state)
            raise IllegalActionChange(
                f"整改任务 {action.id} 处于 {action.status.label}，不能执行 {trigger!r}",
                hint=f"allowed here: {', '.join(allowed) or 'none'}",
            )
        machine.events[trigger].trigger(carrier)
        new = action.model_copy(
            update={
                "status": ActionStatus(carrier.state),
                "version": action.version + 1,
                **(update or {}),
            }
        )
        self._actions[action.id] = new
        self._event(new, ActionEventKind.STATUS, action.status, actor, at, reason)
        return new

    def escalate(
        self,
        action_id: str,
        *,
        owner: str | None = None,
        actor: str = "system",
        at: datetime | None = None,
        reason: str = "",
    ) -> Action:
        """Raise an action's escalation level, optionally handing it to a higher owner."""
        action = self[action_id]
        new = action.model_copy(
            update={
                "escalation": action.escalation + 1,
                "owner": owner or action.owner,
                "version": action.version + 1,
            }
        )
        self._actions[action_id] = new
        self._event(new, ActionEventKind.ESCALATED, action.status, actor, at, reason)
        return new

    def verify_from_data(
        self,
        resolved_alerts: Collection[str],
        *,
        today: date,
        period: Period | None = None,
        escalate_to: Callable[[Action], str] | None = None,
        at: datetime | None = None,
    ) -> Verification:
        """Close the small loop with the next period's data.

        For every action opened from an alert and not verified yet: the alert is
        resolved → verified; not resolved and the action was marked done →
        reopened and escalated; not resolved and overdue → escalated.
        """
        resolved = set(resolved_alerts)
        verified: list[str] = []
        reopened: list[str] = []
        escalated: list[str] = []
        for action in list(self._actions.values()):
            if action.source_alert is None:
                continue
            decision = decide(
                action.status,
                action.source_alert,
                resolved=action.source_alert in resolved,
                overdue=action.is_overdue(today),
                period=period,
            )
            if decision is None:
                continue
            if decision.trigger is not None:
                self._move(action, decision.trigger, actor="data", at=at, reason=decision.reason)
                (verified if decision.trigger == "verify" else reopened).append(action.id)
            if decision.escalate:
                owner = escalate_to(action) if escalate_to else None
                why = "整改未见成效" if decision.trigger == "reopen" else decision.reason
                self.escalate(action.id, owner=owner, actor="data", at=at, reason=why)
                escalated.append(action.id)
        return Verification(tuple(verified), tuple(reopened), tuple(escalated))

    def overdue(self, today: date) -> list[Action]:
        """Actions past their due date and not done yet."""
        return [a for a in self._actions.values() if a.is_overdue(today)]

    def open_for(self, subject_id: str) -> list[Action]:
        """A subject's actions that are not verified (they carry into the next cycle)."""
        return [a for a in self._actions.values() if a.subject_id == subject_id and a.is_open]

    def _event(
        self,
        action: Action,
        kind: ActionEventKind,
        source: ActionStatus | None,
        actor: str,
        at: datetime | None,
        reason: str,
    ) -> None:
        self.events.append(
            ActionEvent(
                action_id=action.id,
                kind=kind,
                source=source,
                dest=action.status,
                at=at or datetime.now(UTC),
                actor=actor,
                reason=reason,
                owner=action.owner,
                escalation=action.escalation,
            )
        )

    @staticmethod
    def replay(events: Iterable[ActionEvent]) -> dict[str, tuple[ActionStatus, str, int]]:
        """Status, owner and escalation of each action from its events alone."""
        machine = _machine()
        out: dict[str, tuple[ActionStatus, str, int]] = {}
        for number, event in enumerate(events, start=1):
            before = out.get(event.action_id)
            if event.kind is ActionEventKind.STATUS:
                if before is None or before[0] != event.source:
                    raise ReplayMismatch(
                        f"action event {number} of {event.action_id!r} leaves {event.source}, "
                        f"the replay is in {before[0] if before else None}"
                    )
                legal = any(
                    t.dest == event.dest.value
                    for trig in machine.get_triggers(before[0].value)
                    for t in machine.get_transitions(trig, before[0].value)
                )
                if not legal:
                    raise ReplayMismatch(
                        f"action event {number} of {event.action_id!r}: {event.source} → "
                        f"{event.dest} is not a legal change"
                    )
            out[event.action_id] = (event.dest, event.owner or "", event.escalation)
        return out


def overdue_by_owner(actions: Iterable[Action], today: date) -> dict[str, list[Action]]:
    """Overdue actions grouped by owner, owners with the most overdue first."""
    groups: dict[str, list[Action]] = {}
    for action in actions:
        if action.is_overdue(today):
            groups.setdefault(action.owner, []).append(action)
    return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))
