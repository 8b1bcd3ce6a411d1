"""The outcome of scoring: :class:`ScoreSet`, with explanations and improvement gaps.

Contributions add up: a node's *weight* is its effective share of the total
for that subject (the product of the local weights on its path, after any
renormalisation for missing data), its *contribution* is ``weight × score``
and its *loss* ``weight × (100 − score)`` — the points the subject left on the
table there.  ``explain`` lists the first-level indicators from the largest
loss down, each with the leaves behind it; ``gap_to`` inverts one leaf at a
time to say which single improvement reaches a band, grade or score.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from zhengai.model.scorecard import (
    MAX_POINTS,
    BandsScoring,
    ExpressionScoring,
    LinearScoring,
    RankScoring,
    RatingScoring,
    ScorecardNode,
    TasksScoring,
    ThresholdScoring,
)
from zhengai.scoring import leaves as lf
from zhengai.scoring.bands import SCORE_DECIMALS, group_codes
from zhengai.scoring.errors import UnknownBandOrScore, UnknownScoredSubject

if TYPE_CHECKING:
    from zhengai.scoring.engine import CompiledScorecard
    from zhengai.scoring.weights import AHPResult, EntropyResult

__all__ = ["Contribution", "Explanation", "GapPlan", "Improvement", "ScoreSet"]

FloatArray = NDArray[np.float64]
#: How many rows ``_repr_html_`` shows.
HTML_ROWS = 20


def _fmt(value: float) -> str:
    if value != value:
        return "缺失"
    if abs(value) < 10:
        return f"{value:.2f}"
    return f"{value:.1f}"


def _num(value: float) -> float | None:
    return None if value != value else round(float(value), SCORE_DECIMALS)


@dataclass(frozen=True)
class Contribution:
    """One node's part in a subject's total (see the module docstring)."""

    node_id: str
    name: str
    score: float
    weight: float
    contribution: float
    loss: float
    details: tuple[str, ...] = ()
    leaves: tuple[Contribution, ...] = ()

    def __str__(self) -> str:
        head = f"{self.name} −{self.loss:.1f} 分"
        return f"{head}: {'; '.join(self.details)}" if self.details else head


@dataclass(frozen=True)
class Explanation:
    """A subject's total taken apart, first-level indicators from the largest loss down."""

    subject_id: str
    total: float
    partial: bool
    items: tuple[Contribution, ...]

    def __str__(self) -> str:
        flag = " (部分得分 partial)" if self.partial else ""
        lines = [f"{self.subject_id}: {_fmt(self.total)} 分{flag}"]
        lines.extend(f"  {item}" for item in self.items if item.loss > 0)
        return "\n".join(lines)


@dataclass(frozen=True)
class Improvement:
    """One single-leaf improvement that reaches the target on its own."""

    leaf_id: str
    name: str
    current_value: object
    needed_value: object
    current_score: float
    needed_score: float
    gain: float

    def __str__(self) -> str:
        if self.needed_value is None:
            return f"{self.name}: 得分 {_fmt(self.current_score)} → {_fmt(self.needed_score)}"
        return (
            f"{self.name}: {_show(self.current_value)} → {_show(self.needed_value)} "
            f"(得分 {_fmt(self.current_score)} → {_fmt(self.needed_score)}, +{self.gain:.1f} 分)"
        )


def _show(value: object) -> str:
    return _fmt(float(value)) if isinstance(value, int | float) else str(value)


@dataclass(frozen=True)
class GapPlan:
    """What lifts a subject to ``target`` (a band, grade or score): the points needed and
    the single-leaf improvements that each achieve it, easiest first."""

    subject_id: str
    target: str
    current: float
    needed: float
    improvements: tuple[Improvement, ...]

    @property
    def reached(self) -> bool:
        """Whether the subject is there already."""
        return self.current >= self.needed - 10**-SCORE_DECIMALS

    def __str__(self) -> str:
        head = f"{self.subject_id}: {_fmt(self.current)} → {self.target} ({_fmt(self.needed)} 分)"
        if self.reached:
            return f"{head}: 已达到"
        if not self.improvements:
            return f"{head}: 没有单项改进可以达到"
        return "\n".join([head, *(f"  {imp}" for imp in self.improvements)])


@dataclass(frozen=True, eq=False)
class ScoreSet:
    """Scores of a population on one scorecard (see :func:`zhengai.scoring.score`).

    Arrays are aligned with ``subject_ids``: ``total`` (NaN when the ``fail``
    policy withheld a score), ``rank`` (1 = best, within the partition),
    ``band`` and ``grade`` (``None`` when none applies), ``partial`` (some
    leaves missing, remaining weights renormalised) and ``failed``.
    ``node_scores[node_id]`` / ``node_weights[node_id]`` give every node's score
    and effective weight; ``source_scores[(node_id, source)]`` each assessor
    source's score; ``task_class_scores[(leaf_id, class)]`` each task class's.
    """

    plan: CompiledScorecard
    subject_ids: NDArray[np.object_]
    total: FloatArray
    rank: FloatArray
    band: NDArray[np.object_]
    grade: NDArray[np.object_]
    partial: NDArray[np.bool_]
    failed: NDArray[np.bool_]
    missing: NDArray[np.bool_]
    leaf_order: tuple[str, ...]
    node_scores: dict[str, FloatArray]
    child_weights: dict[str, tuple[tuple[str, ...], FloatArray]]
    policy: str
    source_scores: dict[tuple[str, str], FloatArray]
    leaf_values: dict[str, NDArray[Any]]
    leaf_targets: dict[str, FloatArray]
    task_class_scores: dict[tuple[str, str], FloatArray]
    partition: NDArray[Any] | None
    derived: dict[str, AHPResult | EntropyResult | FloatArray] = field(default_factory=dict)

    @cached_property
    def node_weights(self) -> dict[str, FloatArray]:
        """Every node's effective weight in each subject's total (computed on first use).

        The product of the local weights down the path, where under ``exclude`` a
        parent's weights are renormalised over the children present and under
        ``fail`` a parent without a score passes on no weight.
        """
        out: dict[str, FloatArray] = {}
        above: dict[str, FloatArray] = {"": np.ones(len(self))}
        scores = dict(self.node_scores)
        scores[""] = self.total
        for parent in ["", *self.plan.nodes]:
            if parent not in self.child_weights:
                continue
            children, w = self.child_weights[parent]
            present = [~np.isnan(scores[c]) for c in children]
            if self.policy == "exclude":
                total = sum(
                    (p * wi for p, wi in zip(present, w.tolist(), strict=True)), np.zeros(len(self))
                )
                with np.errstate(invalid="ignore", divide="ignore"):
                    shares = [
                        np.where(total > 0, p * wi / total, 0.0)
                        for p, wi in zip(present, w.tolist(), strict=True)
                    ]
            elif self.policy == "fail":
                alive = ~np.isnan(scores[parent])
                shares = [alive * wi for wi in w.tolist()]
            else:
                shares = [np.full(len(self), wi) for wi in w.tolist()]
            for child, share in zip(children, shares, strict=True):
                weight = np.asarray(share * above[parent], dtype=np.float64)
                out[child] = above[child] = weight
        return out

    def __len__(self) -> int:
        return int(self.subject_ids.size)

    def __repr__(self) -> str:
        sc = self.plan.scorecard
        scored = int((~np.isnan(self.total)).sum())
        return (
            f"ScoreSet({sc.id!r}, {len(self)} subjects, {scored} scored, "
            f"{int(self.partial.sum())} partial, {int(self.failed.sum())} failed)"
        )

    # lookups -------------------------------------------------------------

    def index(self, subject_id: str) -> int:
        """Row of ``subject_id``; :class:`UnknownScoredSubject` when it was not scored."""
        hits = np.flatnonzero(self.subject_ids == subject_id)
        if hits.size == 0:
            raise UnknownScoredSubject(f"subject {subject_id!r} is not in this score set")
        return int(hits[0])

    def contribution(self, node_id: str) -> FloatArray:
        """Each subject's weighted contribution of ``node_id`` to the total."""
        return np.asarray(
            np.nan_to_num(self.node_scores[node_id]) * self.node_weights[node_id], np.float64
        )

    def missing_leaves(self, subject_id: str) -> list[str]:
        """The leaves whose data the subject lacks."""
        row = self.missing[:, self.index(subject_id)]
        return [leaf for leaf, gap in zip(self.leaf_order, row, strict=True) if gap]

    def gaps(self) -> list[dict[str, object]]:
        """Data gaps (数据缺失): one record per subject and missing leaf, naming what it reads."""
        out: list[dict[str, object]] = []
        rows, cols = np.nonzero(self.missing)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            leaf = self.plan.leaves[self.leaf_order[r]]
            out.append(
                {
                    "scorecard": self.plan.scorecard.id,
                    "subject_id": str(self.subject_ids[c]),
                    "leaf": leaf.node.id,
                    "missing": leaf.column or leaf.node.value or leaf.node.id,
                    "failed": bool(self.failed[c]),
                }
            )
        return out

    # exports -------------------------------------------------------------

    def records(self) -> list[dict[str, object]]:
        """One record per subject: ``scorecard, subject_id, score, rank, band, grade,
        partial, failed`` (the ``scores`` rows of the run JSON, DESIGN.md §5)."""
        sc = self.plan.scorecard.id
        return [
            {
                "scorecard": sc,
                "subject_id": str(sid),
                "score": _num(t),
                "rank": None if r != r else int(r),
                "band": b,
                "grade": g,
                "partial": bool(p),
                "failed": bool(f),
            }
            for sid, t, r, b, g, p, f in zip(
                self.subject_ids.tolist(),
                self.total.tolist(),
                self.rank.tolist(),
                self.band.tolist(),
                self.grade.tolist(),
                self.partial.tolist(),
                self.failed.tolist(),
                strict=True,
            )
        ]

    def _node_columns(self) -> dict[str, list[float | None]]:
        cols: dict[str, list[float | None]] = {}
        for node_id in self.plan.nodes:
            cols[node_id] = [_num(v) for v in self.node_scores[node_id].tolist()]
            cols[f"{node_id}.contribution"] = [_num(v) for v in self.contribution(node_id).tolist()]
        for (node_id, source), arr in self.source_scores.items():
            cols[f"{node_id}@{source}"] = [_num(v) for v in arr.tolist()]
        for (leaf_id, klass), arr in self.task_class_scores.items():
            cols[f"{leaf_id}[{klass}]"] = [_num(v) for v in arr.tolist()]
        return cols

    def to_frame(self) -> Any:
        """A pandas DataFrame: the record columns, then each node's score and
        ``<node>.contribution``, each source's ``<node>@<source>`` and each task
        class's ``<leaf>[<class>]`` (needs the ``pandas`` extra)."""
        import pandas as pd

        frame = pd.DataFrame.from_records(self.records())
        extra = pd.DataFrame(self._node_columns(), dtype="float64")
        return pd.concat([frame, extra], axis=1)

    def to_json(self, *, indent: int | None = None) -> str:
        """The score set as JSON: ``{"scorecard", "scores": [record + "nodes" + "missing"]}``."""
        cols = self._node_columns()
        records = self.records()
        for i, rec in enumerate(records):
            rec["nodes"] = {k: v[i] for k, v in cols.items()}
            rec["missing"] = [
                leaf
                for leaf, gap in zip(self.leaf_order, self.missing[:, i].tolist(), strict=True)
                if gap
            ]
        return json.dumps(
            {"scorecard": self.plan.scorecard.id, "scores": records},
            ensure_ascii=False,
            indent=indent,
        )

    def _repr_html_(self) -> str:
        heads = ["subject_id", "score", "rank", "band", "grade", "partial"]
        firsts = [n.id for n in self.plan.scorecard.indicators]
        rows = []
        for rec_i, rec in enumerate(self.records()[:HTML_ROWS]):
            cells = [rec[h] for h in heads] + [_num(self.node_scores[f][rec_i]) for f in firsts]
            rows.append(
                "<tr>"
                + "".join(f"<td>{html.escape('' if c is None else str(c))}</td>" for c in cells)
                + "</tr>"
            )
        names = heads + [self.plan.nodes[f].label for f in firsts]
        head = "".join(f"<th>{html.escape(h)}</th>" for h in names)
        more = f"<p>… {len(self) - HTML_ROWS} more</p>" if len(self) > HTML_ROWS else ""
        title = html.escape(f"{self.plan.scorecard.name} ({self.plan.scorecard.id})")
        return f"<p><b>{title}</b></p><table><tr>{head}</tr>{''.join(rows)}</table>{more}"

    # explanations --------------------------------------------------------

    def _leaf_detail(self, node: ScorecardNode, i: int) -> str:
        leaf = self.plan.leaves[node.id]
        spec = node.scoring
        # The indicator's own name reads better than a first-level leaf repeating its label.
        name = leaf.title or node.label
        sources = self.plan.sources_of(node.id)
        if isinstance(spec, TasksScoring):
            if sources:
                shown = ", ".join(
                    f"{s} {_fmt(float(self.source_scores[(node.id, s)][i]))}" for s in sources
                )
                return f"{name} {shown}"
            parts = [
                f"{k}类 {_fmt(float(arr[i]))}"
                for (lid, k), arr in self.task_class_scores.items()
                if lid == node.id and arr[i] == arr[i]
            ]
            return f"{name} {', '.join(parts) or '无任务'}"
        if isinstance(spec, ExpressionScoring):
            return f"{name} 得分 {_fmt(float(self.node_scores[node.id][i]))}"
        if sources:
            shown = ", ".join(
                f"{s} {_show(self.leaf_values[f'{node.id}@{s}'][i])}" for s in sources
            )
            return f"{name} {shown}"
        value = self.leaf_values[node.id][i]
        shown = _show(value) if not isinstance(value, float) or value == value else "缺失"
        if isinstance(spec, LinearScoring):
            target = spec.target if spec.target != "goal" else self.leaf_targets[node.id][i]
            return f"{name} {shown}, target {_show(target)}"
        if isinstance(spec, ThresholdScoring):
            sign = "≤" if leaf.direction.value == "lower_better" else "≥"
            return f"{name} {shown}, 标准 {sign} {_show(spec.value)}"
        if isinstance(spec, BandsScoring):
            return f"{name} {shown}, {_fmt(float(self.node_scores[node.id][i]))} 分档"
        if isinstance(spec, RankScoring):
            return (
                f"{name} {shown}, 百分位 {_fmt(float(self.node_scores[node.id][i]) / MAX_POINTS)}"
            )
        return f"{name} {shown}"

    def _contribution(self, node: ScorecardNode, i: int) -> Contribution:
        s = float(self.node_scores[node.id][i])
        w = float(self.node_weights[node.id][i])
        sv = 0.0 if s != s else s
        loss = w * (MAX_POINTS - sv)
        if node.is_leaf:
            return Contribution(
                node.id, node.label, s, w, w * sv, loss, (self._leaf_detail(node, i),)
            )
        kids = sorted((self._contribution(c, i) for c in node.children), key=lambda c: -c.loss)
        leaves = _flatten(kids)
        details = tuple(d for leaf in leaves if leaf.loss > 0 for d in leaf.details)
        return Contribution(node.id, node.label, s, w, w * sv, loss, details, tuple(leaves))

    def explain(self, subject_id: str) -> Explanation:
        """The subject's first-level contributions from the largest loss down, each with
        the leaves behind it (``"质量控制 −6.3 分: 到课率 0.82, target 0.90"``)."""
        i = self.index(subject_id)
        items = sorted(
            (self._contribution(n, i) for n in self.plan.scorecard.indicators),
            key=lambda c: -c.loss,
        )
        return Explanation(subject_id, float(self.total[i]), bool(self.partial[i]), tuple(items))

    # gaps ----------------------------------------------------------------

    def _threshold(self, i: int, target: str | float | None) -> tuple[str, float]:
        sc = self.plan.scorecard
        current = float(self.total[i])
        grades = sorted(sc.grades, key=lambda g: g.min)
        if target is None:
            band = self.band[i]
            bottoms = {b.label: b for b in sc.rank_bands if b.bottom is not None}
            if band in bottoms:
                return f"脱离{band}", self._leave_bottom(i, bottoms[band].bottom or 0.0)
            above = [g for g in grades if g.min > current + 10**-SCORE_DECIMALS]
            if not above:
                raise UnknownBandOrScore(
                    f"{self.subject_ids[i]} is in the top grade already",
                    hint="name a band or a score",
                )
            return above[0].label, above[0].min
        if isinstance(target, int | float):
            return _fmt(float(target)), float(target)
        for g in grades:
            if g.label == target:
                return g.label, g.min
        for b in sc.rank_bands:
            if b.label == target:
                if b.top is None:
                    raise UnknownBandOrScore(
                        f"{target} is a bottom band",
                        hint="gap_to aims upward: name a grade or top band",
                    )
                return b.label, self._enter_top(i, b.top)
        labels = [g.label for g in grades] + [b.label for b in sc.rank_bands]
        raise UnknownBandOrScore(
            f"scorecard {sc.id!r} has no band or grade {target!r}",
            hint=f"known: {', '.join(labels) or 'none'}",
        )

    def _others(self, i: int) -> FloatArray:
        codes = group_codes(self.partition, len(self))
        mask = (codes == codes[i]) & ~np.isnan(self.total)
        mask[i] = False
        return np.asarray(np.round(self.total[mask], SCORE_DECIMALS), np.float64)

    def _enter_top(self, i: int, quantile: float) -> float:
        others = np.sort(self._others(i))[::-1]
        n = others.size + 1
        # In the band when 1 + (others strictly higher) ≤ q·n: at most k − 1 above, k = ⌊q·n⌋.
        k = math.floor(round(quantile * n, 9))
        if k <= 0:
            return math.inf
        return float(others[k - 1]) if k <= others.size else -math.inf

    def _leave_bottom(self, i: int, quantile: float) -> float:
        others = np.sort(self._others(i))
        n = others.size + 1
        # Out of the band once at least k = ⌊q·n⌋ others score strictly lower.
        k = math.floor(round(quantile * n, 9))
        if k <= 0:
            return -math.inf
        if k > others.size:
            return math.inf
        return float(others[k - 1]) + 10**-SCORE_DECIMALS

    def gap_to(self, subject_id: str, target: str | float | None = None) -> GapPlan:
        """Which single-leaf improvements lift ``subject_id`` to ``target`` — a grade, a top
        rank band, a score, or by default the next grade up (or out of a bottom band)."""
        i = self.index(subject_id)
        label, needed = self._threshold(i, target)
        current = float(self.total[i])
        if current != current:
            raise UnknownBandOrScore(
                f"{subject_id} has no score (missing data)", hint="supply the missing leaves first"
            )
        improvements: list[Improvement] = []
        if needed > current and math.isfinite(needed):
            for leaf_id in self.leaf_order:
                found = self._improve(leaf_id, i, needed - current)
                if found is not None:
                    improvements.append(found)
        improvements.sort(key=lambda imp: (imp.needed_score - imp.current_score) / MAX_POINTS)
        return GapPlan(subject_id, label, current, needed, tuple(improvements))

    def _improve(self, leaf_id: str, i: int, delta: float) -> Improvement | None:
        leaf = self.plan.leaves[leaf_id]
        node = leaf.node
        w = float(self.node_weights[leaf_id][i])
        s = float(self.node_scores[leaf_id][i])
        if w <= 0 or s != s:
            return None
        needed = s + delta / w
        if needed > MAX_POINTS + 10**-SCORE_DECIMALS:
            return None
        spec = node.scoring
        current_value: object = None
        needed_value: object = None
        sourced = bool(self.plan.sources_of(leaf_id))
        if not sourced and leaf_id in self.leaf_values:
            current_value = self.leaf_values[leaf_id][i]
        if sourced or isinstance(spec, ExpressionScoring | TasksScoring):
            pass
        elif isinstance(spec, LinearScoring):
            target = spec.target if spec.target != "goal" else float(self.leaf_targets[leaf_id][i])
            needed_value = lf.invert_linear(needed, spec, float(target))
        elif isinstance(spec, ThresholdScoring):
            if spec.pass_points < needed - 10**-SCORE_DECIMALS:
                return None
            needed, needed_value = spec.pass_points, spec.value
        elif isinstance(spec, BandsScoring):
            band = lf.invert_bands(needed, spec)
            if band is None:
                return None
            needed = next(
                b.points for b in spec.bands if b.label == band[0] and b.points >= needed - 1e-9
            )
            needed_value = band[1]
        elif isinstance(spec, RatingScoring):
            label = lf.invert_rating(needed, spec)
            if label is None:
                return None
            needed = next(lv.points for lv in spec.levels if lv.label == label)
            needed_value = label
        elif isinstance(spec, RankScoring):
            needed_value = self._rank_value(leaf_id, i, needed / MAX_POINTS)
        return Improvement(
            leaf_id, node.label, current_value, needed_value, s, needed, (needed - s) * w
        )

    def _rank_value(self, leaf_id: str, i: int, pct: float) -> float:
        values = np.asarray(self.leaf_values[leaf_id], dtype=np.float64)
        codes = group_codes(self.partition, len(self))
        peers = values[(codes == codes[i]) & ~np.isnan(values)]
        peers = np.sort(np.delete(peers, np.flatnonzero(peers == values[i])[:1]))
        lower = self.plan.leaves[leaf_id].direction.value == "lower_better"
        position = min(math.ceil(round(pct * peers.size, 9)), peers.size)
        if position == 0:
            return float(values[i])
        return float(-np.sort(-peers)[position - 1]) if lower else float(peers[position - 1])


def _flatten(items: list[Contribution]) -> list[Contribution]:
    out: list[Contribution] = []
    for item in items:
        out.extend(_flatten(list(item.leaves)) if item.leaves else [item])
    return sorted(out, key=lambda c: -c.loss)
