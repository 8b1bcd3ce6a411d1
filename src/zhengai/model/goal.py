"""Goals of the goal chain (目标链): the goal, its indicators, revisions and statuses.

A :class:`Goal` belongs to one owner subject (the school, a department, a
major, a course or a teacher) and carries indicators with a target and an
optional baseline.  Goals are linked in a ``zhengai.chain.GoalChain`` by
``decomposes`` edges (parent → child, 上下衔接) and ``supports`` edges
(horizontal, 左右呼应).  Once a goal is approved its targets are locked: a
change needs a :class:`Revision` (who, when, why — the 规划调整 record that
S001 5.3.1 asks for: "规划变更调整…按规定程序办理").
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zhengai.model.core import AttributeValue
from zhengai.model.enums import Level
from zhengai.model.period import Period

__all__ = [
    "ChainEdge",
    "ChainTemplate",
    "EdgeKind",
    "Goal",
    "GoalIndicator",
    "GoalStatus",
    "Health",
    "ProgressMethod",
    "Revision",
    "TaskClass",
]


_LEVELS: dict[str, Level] = {
    key: level for level in Level for key in (level.value, level.label, level.name.lower())
}


@lru_cache(maxsize=1024)
def _parse_period(text: str) -> Period:
    # Periods are immutable; a chain repeats a handful of cycle texts across many goals.
    return Period.parse(text)


class GoalStatus(StrEnum):
    """Where a goal is in its approval life: draft, approved (targets locked), archived."""

    DRAFT = "draft"
    APPROVED = "approved"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        """The Chinese label (草拟 / 已审定 / 已归档)."""
        return {"draft": "草拟", "approved": "已审定", "archived": "已归档"}[self.value]


class ProgressMethod(StrEnum):
    """How a goal's attainment (达成度) is computed.

    ``auto``: a leaf from its own indicators; a parent from its children's weighted
    attainment plus its own indicators at ``own_weight``.  ``indicators``: only its own
    indicators.  ``weighted_mean``: like ``auto`` for a parent.  ``sum``: each of its
    indicators' actual value is the sum of its children's values of that indicator
    (for counts such as 技术服务到款额), compared with its own target.  ``min``: the
    lowest attainment among its children ("every child must reach").  ``manual``:
    entered by hand with a note (``manual_attainment``, ``manual_note``).
    """

    AUTO = "auto"
    INDICATORS = "indicators"
    WEIGHTED_MEAN = "weighted_mean"
    SUM = "sum"
    MIN = "min"
    MANUAL = "manual"


class Health(StrEnum):
    """Progress against time, kept apart from attainment (a parent takes its worst child's)."""

    UNKNOWN = "unknown"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self) -> str:
        """The Chinese label."""
        return _HEALTH_LABELS[self.value]


_HEALTH_LABELS = {
    "unknown": "数据缺失",
    "on_track": "进展正常",
    "at_risk": "存在风险",
    "off_track": "严重滞后",
}


class EdgeKind(StrEnum):
    """The two kinds of links in a goal chain."""

    DECOMPOSES = "decomposes"
    SUPPORTS = "supports"

    @property
    def label(self) -> str:
        """The Chinese label (上下衔接 / 左右呼应)."""
        return {"decomposes": "分解", "supports": "支撑"}[self.value]


class TaskClass(StrEnum):
    """The seeds' task classes: A 规划重点, B 常规, C 临时开放性 (S000 (三)1)."""

    A = "A"
    B = "B"
    C = "C"


class GoalIndicator(BaseModel):
    """One indicator of a goal: its target, optional baseline and weight in the goal.

    ``indicator`` is an indicator id; a chain with a catalog also accepts the Chinese
    name or an alias and stores the id.
    """

    model_config = ConfigDict(frozen=True)

    indicator: Annotated[str, Field(min_length=1)]
    target: float
    baseline: float | None = None
    weight: Annotated[float, Field(gt=0)] = 1.0


class Revision(BaseModel):
    """A recorded change of a locked target: who, when, why (规划调整记录)."""

    model_config = ConfigDict(frozen=True)

    indicator: Annotated[str, Field(min_length=1)]
    old: float | None
    new: float | None
    by: Annotated[str, Field(min_length=1)]
    at: datetime
    reason: Annotated[str, Field(min_length=1)]


class Goal(BaseModel):
    """A goal of the chain: 总规划, 专项规划, 二级学院规划, 专业/课程建设方案, 教师发展规划, task.

    ``owner`` is the subject id that owns it and whose observations measure it;
    ``start``/``end`` bound its cycle (``end`` defaults to ``start``); ``own_weight`` is the
    share of the goal's own indicators when it also has children (children's weights plus
    ``own_weight`` should sum to 1).
    """

    model_config = ConfigDict(frozen=True)

    id: Annotated[str, Field(min_length=1)]
    title: str = ""
    owner: Annotated[str, Field(min_length=1)]
    level: Level
    start: Period | None = None
    end: Period | None = None
    indicators: tuple[GoalIndicator, ...] = ()
    task_class: TaskClass | None = None
    responsible: str | None = None
    status: GoalStatus = GoalStatus.DRAFT
    progress: ProgressMethod = ProgressMethod.AUTO
    own_weight: Annotated[float, Field(ge=0, le=1)] = 0.0
    manual_attainment: Annotated[float, Field(ge=0)] | None = None
    manual_note: str | None = None
    revisions: tuple[Revision, ...] = ()
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        if isinstance(value, str):
            # chains hold 100k goals: a dict lookup first, the full parser for errors
            return _LEVELS.get(value) or Level.parse(value)
        return value

    @field_validator("start", "end", mode="before")
    @classmethod
    def _period(cls, value: object) -> object:
        return _parse_period(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> Goal:
        names = [gi.indicator for gi in self.indicators]
        if len(set(names)) != len(names):
            raise ValueError(f"an indicator appears twice in goal {self.id!r}")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"goal {self.id!r} ends ({self.end}) before it starts ({self.start})")
        if self.manual_attainment is not None and not (self.manual_note or "").strip():
            raise ValueError(
                "a manual attainment needs a note (manual_note) saying where it is from"
            )
        return self

    @property
    def locked(self) -> bool:
        """Whether the targets are locked (the goal is approved)."""
        return self.status is GoalStatus.APPROVED

    @property
    def period_end(self) -> Period | None:
        """The last period of the goal's cycle (``end``, else ``start``)."""
        return self.end if self.end is not None else self.start

    def target(self, indicator: str) -> float | None:
        """The target of ``indicator`` (id as stored), or None when the goal has none."""
        for gi in self.indicators:
            if gi.indicator == indicator:
                return gi.target
        return None


class ChainEdge(BaseModel):
    """One link of a goal-chain template: ``source`` → ``target`` of a kind, with a weight."""

    model_config = ConfigDict(frozen=True)

    source: Annotated[str, Field(min_length=1)]
    target: Annotated[str, Field(min_length=1)]
    kind: EdgeKind = EdgeKind.DECOMPOSES
    weight: Annotated[float, Field(ge=0, le=1)] | None = None


class ChainTemplate(BaseModel):
    """A goal-chain template a pack ships in ``chains/*.yaml`` (常州 1+8+7, 上海城建 三级规划).

    The goals are the plans and their owners as roles; a school copies the template
    with :meth:`zhengai.GoalChain.from_template`, renames owners to its own subjects
    and adds indicators and targets.
    """

    model_config = ConfigDict(frozen=True)

    id: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    source: Annotated[str, Field(min_length=1)]
    goals: tuple[Goal, ...]
    edges: tuple[ChainEdge, ...] = ()
