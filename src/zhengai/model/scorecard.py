"""Scorecard definitions (考核性诊断) as a pack declares them in ``scorecards/*.yaml``.

A scorecard is a tree: first-level indicators (一级指标, e.g. 目标任务 / 项目建设 /
质量控制 / 工作业绩 / 创新贡献, seed 001 §五(一)1) → second-level → leaves
(observation points).  Each node has a ``weight`` among its siblings; siblings'
weights sum to 1 (checked with :data:`WEIGHT_TOLERANCE`, or rescaled with a
warning when the scorecard says ``normalize: true``), unless the parent derives
them with a ``weighting`` (AHP, entropy, combined).

A leaf scores one indicator, one value expression, or a task list on a 0–100
scale with a declared function (``linear``, ``threshold``, ``bands``, ``rank``,
``expression``, ``rating``, ``tasks``).  Expressions are kept as text here;
``zhengai.packs`` compiles them when it loads a pack and ``zhengai.scoring``
evaluates them.

Definition errors are :class:`~zhengai.errors.ScoringError` subclasses carrying
the field path of the offending node (``indicators[2].children[0]``); they
propagate out of ``Scorecard.model_validate`` unchanged.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Annotated, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zhengai.errors import ScoringError, Where
from zhengai.model.enums import Direction, Level
from zhengai.model.rule import ID_PATTERN

__all__ = [
    "DEFAULT_RATINGS",
    "MAX_POINTS",
    "WEIGHT_TOLERANCE",
    "AHPWeighting",
    "BadScorecard",
    "BandRange",
    "BandsScoring",
    "CombinedWeighting",
    "EntropyWeighting",
    "ExpressionScoring",
    "Grade",
    "LeafScoring",
    "LinearScoring",
    "MissingPolicy",
    "RankBand",
    "RankScoring",
    "RatingLevel",
    "RatingScoring",
    "Scorecard",
    "ScorecardNode",
    "ScorecardWarning",
    "TaskClassWeights",
    "TasksScoring",
    "ThresholdScoring",
    "Weighting",
    "WeightsDoNotSumToOne",
    "scorecard_expressions",
]

#: Siblings' weights may miss 1 by this much (people write 0.33 + 0.33 + 0.34).
WEIGHT_TOLERANCE: Final = 1e-3
#: Every leaf scores on a 0–MAX_POINTS scale.
MAX_POINTS: Final = 100.0


class BadScorecard(ScoringError):
    """A scorecard definition that cannot be scored (structure, leaf, bands)."""

    code = "scoring.bad_scorecard"


class WeightsDoNotSumToOne(BadScorecard):
    """Sibling weights that do not sum to 1 and ``normalize`` is off."""

    code = "scoring.weights_do_not_sum_to_one"


class ScorecardWarning(UserWarning):
    """A scorecard was accepted after a change (weights rescaled by ``normalize: true``)."""


class MissingPolicy:
    """What a missing leaf value does to a score (a named constant set, explicit per scorecard).

    ``zero``: the leaf scores 0.  ``exclude`` (default): the remaining siblings'
    weights are renormalised and the score is marked partial.  ``fail``: the
    subject gets no score and a data gap naming the missing leaves.
    """

    ZERO: Final = "zero"
    EXCLUDE: Final = "exclude"
    FAIL: Final = "fail"


_Frozen = ConfigDict(frozen=True, extra="forbid")


class LinearScoring(BaseModel):
    """Linear from ``floor`` (0 points) to ``target`` (100 points), capped at both ends.

    Direction-aware by construction: for a lower-is-better indicator the floor is
    the worst acceptable value and lies above the target (投诉率 floor 0.10,
    target 0.02).  ``target: goal`` takes each subject's own target from its goals.
    """

    model_config = _Frozen

    kind: Literal["linear"] = "linear"
    floor: float
    target: float | Literal["goal"]


class ThresholdScoring(BaseModel):
    """Pass/fail: ``pass_points`` when the value meets ``value`` in the indicator's
    direction (≥ for higher-is-better, ≤ for lower-is-better), else ``fail_points``."""

    model_config = _Frozen

    kind: Literal["threshold"] = "threshold"
    value: float
    pass_points: float = MAX_POINTS
    fail_points: float = 0.0


class BandRange(BaseModel):
    """One value range of a ``bands`` leaf: ``min ≤ value < max`` gives ``points``."""

    model_config = _Frozen

    label: str = ""
    min: float = -math.inf
    max: float = math.inf
    points: float


class BandsScoring(BaseModel):
    """Points by value ranges (优/良/中/差 → 100/85/70/0); ``otherwise`` outside all ranges."""

    model_config = _Frozen

    kind: Literal["bands"] = "bands"
    bands: Annotated[tuple[BandRange, ...], Field(min_length=1)]
    otherwise: float = 0.0


class RankScoring(BaseModel):
    """``100 × pct_rank`` in the population (ties share a rank, as SQL ``PERCENT_RANK``),
    reversed for lower-is-better indicators; within ``rank_within`` when the scorecard has one."""

    model_config = _Frozen

    kind: Literal["rank"] = "rank"


class ExpressionScoring(BaseModel):
    """Points from an expression returning a number (clipped to 0–100)."""

    model_config = _Frozen

    kind: Literal["expression"] = "expression"
    expression: Annotated[str, Field(min_length=1)]


class RatingLevel(BaseModel):
    """One grade of a qualitative self-assessment: its label, points and numeric code."""

    model_config = _Frozen

    label: Annotated[str, Field(min_length=1)]
    points: float
    code: float | None = None


#: The usual 达成/基本达成/未达成 self-assessment, coded 1/2/3 in declared order.
DEFAULT_RATINGS: Final = (
    RatingLevel(label="达成", points=100.0, code=1),
    RatingLevel(label="基本达成", points=70.0, code=2),
    RatingLevel(label="未达成", points=0.0, code=3),
)


class RatingScoring(BaseModel):
    """A qualitative rating mapped to points; data give the label or its numeric ``code``
    (by default the 1-based position in ``levels``)."""

    model_config = _Frozen

    kind: Literal["rating"] = "rating"
    levels: Annotated[tuple[RatingLevel, ...], Field(min_length=1)] = DEFAULT_RATINGS

    @model_validator(mode="after")
    def _codes(self) -> Self:
        levels = tuple(
            lv if lv.code is not None else lv.model_copy(update={"code": float(i + 1)})
            for i, lv in enumerate(self.levels)
        )
        object.__setattr__(self, "levels", levels)
        codes = [lv.code for lv in levels]
        labels = [lv.label for lv in levels]
        if len(set(codes)) != len(codes) or len(set(labels)) != len(labels):
            raise BadScorecard("rating levels must have distinct labels and codes")
        return self


class TaskClassWeights(BaseModel):
    """A task class (A 重点 / B 常规 / C 临时开放性, seed 000 §(三)1): its weight among
    classes and the weights of a task's progress (时间进度), quality (质量) and
    performance (绩效) scores."""

    model_config = _Frozen

    label: str = ""
    weight: Annotated[float, Field(ge=0)]
    progress: Annotated[float, Field(ge=0)]
    quality: Annotated[float, Field(ge=0)]
    performance: Annotated[float, Field(ge=0)]

    @model_validator(mode="after")
    def _sum(self) -> Self:
        total = self.progress + self.quality + self.performance
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise WeightsDoNotSumToOne(
                f"task class {self.label}: progress + quality + performance weights sum "
                f"to {total:g}, not 1"
            )
        return self


class TasksScoring(BaseModel):
    """A subject's task score: each task scores ``progress·wp + quality·wq +
    performance·wf`` (each 0–100); a class scores the mean of its tasks; the leaf
    scores the class-weighted mean over the classes the subject has tasks in."""

    model_config = _Frozen

    kind: Literal["tasks"] = "tasks"
    classes: Annotated[dict[str, TaskClassWeights], Field(min_length=1)]


LeafScoring = Annotated[
    LinearScoring
    | ThresholdScoring
    | BandsScoring
    | RankScoring
    | ExpressionScoring
    | RatingScoring
    | TasksScoring,
    Field(discriminator="kind"),
]


class AHPWeighting(BaseModel):
    """Children's weights from a pairwise comparison matrix (rows in children order)."""

    model_config = _Frozen

    method: Literal["ahp"] = "ahp"
    matrix: tuple[tuple[float | str, ...], ...]
    ahp_method: Literal["eigen", "geometric", "arithmetic"] = "eigen"


class EntropyWeighting(BaseModel):
    """Children's weights by the entropy method over the scored population's child scores."""

    model_config = _Frozen

    method: Literal["entropy"] = "entropy"


class CombinedWeighting(BaseModel):
    """``mix · first + (1 − mix) · second`` (or the multiplicative synthesis)."""

    model_config = _Frozen

    method: Literal["combined"] = "combined"
    first: AHPWeighting | EntropyWeighting
    second: AHPWeighting | EntropyWeighting
    mix: Annotated[float, Field(ge=0, le=1)]
    how: Literal["linear", "multiplicative"] = "linear"


Weighting = Annotated[
    AHPWeighting | EntropyWeighting | CombinedWeighting, Field(discriminator="method")
]


class ScorecardNode(BaseModel):
    """A node of the scorecard tree: an inner node with ``children`` or a leaf with ``scoring``.

    A leaf reads ``indicator`` (id, Chinese name or alias) or ``value`` (an
    expression) — except ``expression`` leaves, whose expression is the score,
    and ``tasks`` leaves, which read the task table.  ``direction`` overrides the
    indicator's (threshold and rank leaves need one; default higher-is-better
    when there is no catalog).  ``sources`` mixes assessor
    sources (自评, 集中考核, 学生评教, 督导…) with declared weights; it applies to
    every leaf below, and each source's score is kept in the output.
    ``weight`` may be omitted when the parent declares a ``weighting``.
    """

    model_config = _Frozen

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: str = ""
    weight: Annotated[float, Field(ge=0)] | None = None
    children: tuple[ScorecardNode, ...] = ()
    weighting: Weighting | None = None
    sources: dict[str, Annotated[float, Field(ge=0)]] | None = None
    indicator: str | None = None
    value: str | None = None
    direction: Direction | None = None
    scoring: LeafScoring | None = None
    description: str = ""

    @property
    def label(self) -> str:
        """The Chinese name when there is one, else the id."""
        return self.name or self.id

    @property
    def is_leaf(self) -> bool:
        """Whether this node scores data itself."""
        return self.scoring is not None

    def walk(self) -> list[ScorecardNode]:
        """This node and every node below it, parents before children."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


class RankBand(BaseModel):
    """A rank band by quantile: ``top: 0.15`` → 奖励, ``bottom: 0.10`` → 问责 (seed 003 §五(三)2).

    A subject is in a ``top`` band when its competition rank in its group (1 +
    the number scoring strictly higher) is at most ``top × n``, and in a
    ``bottom`` band when its rank from the bottom is at most ``bottom × n``;
    equal scores share a rank, so they always share a band.
    """

    model_config = _Frozen

    label: Annotated[str, Field(min_length=1)]
    top: Annotated[float, Field(gt=0, le=1)] | None = None
    bottom: Annotated[float, Field(gt=0, le=1)] | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Self:
        if (self.top is None) == (self.bottom is None):
            raise BadScorecard(f"rank band {self.label!r} needs exactly one of top or bottom")
        return self


class Grade(BaseModel):
    """A grade band by score: ``min`` inclusive (优秀 ≥ 90, 良好 ≥ 80…)."""

    model_config = _Frozen

    label: Annotated[str, Field(min_length=1)]
    min: float


class Scorecard(BaseModel):
    """A weighted scorecard for one level of subjects (see the module docstring)."""

    model_config = _Frozen

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: Annotated[str, Field(min_length=1)]
    level: Level
    indicators: Annotated[tuple[ScorecardNode, ...], Field(min_length=1)]
    weighting: Weighting | None = None
    missing: Literal["zero", "exclude", "fail"] = MissingPolicy.EXCLUDE
    normalize: bool = False
    rank_within: str | None = None
    rank_bands: tuple[RankBand, ...] = ()
    grades: tuple[Grade, ...] = ()
    source: str | None = None
    description: str = ""

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return Level.parse(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_tree(self) -> Self:
        ids: dict[str, str] = {}
        indicators = tuple(
            _check_node(n, f"indicators[{i}]", ids, self.normalize)
            for i, n in enumerate(self.indicators)
        )
        object.__setattr__(
            self,
            "indicators",
            _check_siblings(indicators, self.weighting, "indicators", self.normalize),
        )
        labels = [g.label for g in self.grades] + [b.label for b in self.rank_bands]
        if len(set(labels)) != len(labels):
            raise BadScorecard(
                "grade and rank band labels must be distinct", where=Where(field="grades")
            )
        return self

    def walk(self) -> list[ScorecardNode]:
        """Every node, parents before children."""
        out: list[ScorecardNode] = []
        for node in self.indicators:
            out.extend(node.walk())
        return out

    def leaves(self) -> list[ScorecardNode]:
        """Every leaf, in declaration order."""
        return [n for n in self.walk() if n.is_leaf]


def scorecard_expressions(card: Scorecard) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every expression of a scorecard with its field path, for the pack loader to compile
    at load time (``register_section("scorecards", Scorecard, scorecard_expressions)``)."""

    def visit(
        node: ScorecardNode, path: tuple[str | int, ...]
    ) -> Iterator[tuple[tuple[str | int, ...], str]]:
        if node.value is not None:
            yield (*path, "value"), node.value
        if isinstance(node.scoring, ExpressionScoring):
            yield (*path, "scoring", "expression"), node.scoring.expression
        for i, child in enumerate(node.children):
            yield from visit(child, (*path, "children", i))

    for i, node in enumerate(card.indicators):
        yield from visit(node, ("indicators", i))


def _check_node(
    node: ScorecardNode, path: str, ids: dict[str, str], normalize: bool
) -> ScorecardNode:
    where = Where(field=path)
    if node.id in ids:
        raise BadScorecard(
            f"node id {node.id!r} is used twice (also at {ids[node.id]})", where=where
        )
    ids[node.id] = path
    if node.sources is not None:
        _check_weights(
            list(node.sources.values()), f"sources of {node.label}", where, normalize=False
        )
    if node.is_leaf:
        if node.children:
            raise BadScorecard(
                f"{node.label}: a leaf (with scoring) cannot have children", where=where
            )
        if node.weighting is not None:
            raise BadScorecard(f"{node.label}: a leaf has no children to weight", where=where)
        _check_leaf(node, where)
        return node
    if not node.children:
        raise BadScorecard(
            f"{node.label}: a node needs children or a scoring function", where=where
        )
    if node.indicator is not None or node.value is not None:
        raise BadScorecard(f"{node.label}: only leaves read an indicator or value", where=where)
    children = tuple(
        _check_node(c, f"{path}.children[{i}]", ids, normalize) for i, c in enumerate(node.children)
    )
    children = _check_siblings(children, node.weighting, f"{path}.children", normalize)
    return node.model_copy(update={"children": children})


def _check_leaf(node: ScorecardNode, where: Where) -> None:
    scoring = node.scoring
    reads = [x for x in (node.indicator, node.value) if x is not None]
    if isinstance(scoring, ExpressionScoring | TasksScoring):
        if reads:
            raise BadScorecard(
                f"{node.label}: a {scoring.kind} leaf reads no indicator or value", where=where
            )
        return
    if len(reads) != 1:
        raise BadScorecard(
            f"{node.label}: a leaf reads exactly one of indicator or value", where=where
        )
    if isinstance(scoring, LinearScoring) and scoring.target == scoring.floor:
        raise BadScorecard(f"{node.label}: linear floor and target are equal", where=where)


def _check_weights(
    weights: list[float], what: str, where: Where, *, normalize: bool
) -> list[float]:
    total = math.fsum(weights)
    if abs(total - 1.0) <= WEIGHT_TOLERANCE:
        return weights
    if normalize and total > 0:
        warnings.warn(
            f"{where}: {what} weights sum to {total:g}; rescaled to 1 (normalize: true)",
            ScorecardWarning,
            stacklevel=6,
        )
        return [w / total for w in weights]
    raise WeightsDoNotSumToOne(
        f"{what} weights sum to {total:g}, not 1",
        where=where,
        hint="fix the weights or set normalize: true",
    )


def _check_siblings(
    nodes: tuple[ScorecardNode, ...], weighting: object, path: str, normalize: bool
) -> tuple[ScorecardNode, ...]:
    where = Where(field=path)
    if weighting is not None:
        if isinstance(weighting, AHPWeighting) and len(weighting.matrix) != len(nodes):
            raise BadScorecard(
                f"AHP matrix of order {len(weighting.matrix)} for {len(nodes)} children",
                where=where,
            )
        return nodes
    missing = [n.label for n in nodes if n.weight is None]
    if missing:
        raise BadScorecard(
            f"{', '.join(missing)}: weight missing and the parent declares no weighting",
            where=where,
        )
    names = "、".join(n.label for n in nodes)
    weights = _check_weights([n.weight or 0.0 for n in nodes], names, where, normalize=normalize)
    return tuple(
        n if n.weight == w else n.model_copy(update={"weight": w})
        for n, w in zip(nodes, weights, strict=True)
    )
