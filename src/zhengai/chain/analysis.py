"""Risk paths, impact and diff of goal chains.

* **Risk paths** answer "why is the school's 专业建设 goal at 82%?": every goal whose own
  indicators (or manual value) feed the goal is weighted by its *path weight* — the product
  of the shares along each path down from the goal, summed over paths — and ranked by
  weighted shortfall ``path_weight × (1 − min(attainment, 1))``.  A child's share is its
  weight over the parent's total weight (weighted mean), ``1/n`` under ``min`` and ``sum``,
  and 0 under ``indicators`` and ``manual`` (children do not count there).
* **Impact** is the other direction: the ancestors a goal feeds, with path weights.
* **Diff** compares two chains (last year's plan → this year's): added, removed and
  re-parented goals, changed targets (with the revision that recorded them) and weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from zhengai.chain.compiled import KIND_MEAN, KIND_MIN, Compiled
from zhengai.chain.errors import BadActuals
from zhengai.model.goal import EdgeKind, Health, Revision

if TYPE_CHECKING:
    from zhengai.chain.graph import GoalChain
    from zhengai.chain.rollup import Rollup

__all__ = [
    "ChainDiff",
    "Impact",
    "Reparented",
    "RiskPath",
    "TargetChange",
    "WeightChange",
    "diff",
    "impact",
    "risk_paths",
]


@dataclass(frozen=True)
class RiskPath:
    """A goal (leaf, or a parent's own indicators) that costs the queried goal attainment."""

    goal_id: str
    title: str
    attainment: float | None
    path_weight: float
    shortfall: float | None  # path_weight × (1 − min(attainment, 1)); None = no data
    path: tuple[str, ...]  # the heaviest path, from the queried goal down to this one
    own_part: bool  # True when it is the own indicators of a goal that also has children


@dataclass(frozen=True)
class Impact:
    """An ancestor that a goal feeds into, with the goal's path weight in it."""

    goal_id: str
    path_weight: float
    attainment: float | None
    health: Health | None


def _check_result(chain: GoalChain, result: Rollup) -> Compiled:
    c = chain.compiled()
    if result.compiled is not c:
        raise BadActuals("该达成度结果来自已修改前的目标链，请重新计算 rollup")
    return c


def _share(c: Compiled, parent: int, child: int) -> float:
    lo, hi = int(c.child_start[parent]), int(c.child_stop[parent])
    at = np.flatnonzero(c.e_child[lo:hi] == child)
    return float(c.e_share[lo + int(at[0])]) if len(at) else 0.0


def _down_weights(c: Compiled, g: int) -> np.ndarray:
    pw = np.zeros(c.n)
    pw[g] = 1.0
    top = int(c.height[g])
    for h in range(top, 0, -1):
        lo, hi = c.height_slices[h - 1]
        if hi > lo:
            pw += np.bincount(
                c.e_child[lo:hi], pw[c.e_parent[lo:hi]] * c.e_share[lo:hi], minlength=c.n
            )
    return pw


def _heaviest_path(c: Compiled, pw: np.ndarray, g: int, leaf: int) -> tuple[str, ...]:
    path = [leaf]
    node = leaf
    while node != g:
        options = [(pw[p] * _share(c, p, node), p) for p in c.parents_of(node) if pw[p] > 0]
        if not options:
            break
        node = max(options)[1]
        path.append(node)
    return tuple(c.ids[i] for i in reversed(path))


def risk_paths(
    chain: GoalChain,
    goal_id: str,
    result: Rollup,
    *,
    top: int = 10,
    threshold: float | None = None,
) -> list[RiskPath]:
    """The ``top`` contributors to ``goal_id``'s shortfall, largest first.

    With ``threshold``, a goal at or above it has no risk paths (an empty list).  Goals
    without data come after the ranked ones, heaviest first, with ``shortfall`` None.
    """
    c = _check_result(chain, result)
    chain.goal(goal_id)  # UnknownGoal, with a suggestion
    g = c.index[goal_id]
    att_g = result.attainment[g]
    if threshold is not None and not math.isnan(att_g) and att_g >= threshold:
        return []
    pw = _down_weights(c, g)
    arithmetic_parent = (c.kind == KIND_MEAN) | (c.kind == KIND_MIN)
    has_children = c.child_stop > c.child_start
    leaf = ~(arithmetic_parent & has_children)
    own_part = arithmetic_parent & has_children & (c.own_share > 0) & (c.total_weight > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(leaf, pw, np.where(own_part, pw * c.own_share / c.total_weight, 0.0))
    value = np.where(leaf, result.attainment, result.own_attainment)
    shortfall = weight * (1.0 - np.minimum(value, 1.0))
    candidates = np.flatnonzero((weight > 0) & c.active)
    known = candidates[~np.isnan(shortfall[candidates])]
    unknown = candidates[np.isnan(shortfall[candidates])]
    known = known[np.argsort(-shortfall[known], kind="stable")]
    unknown = unknown[np.argsort(-weight[unknown], kind="stable")]
    ranked = np.concatenate([known, unknown])[:top].tolist()
    out = []
    for i in ranked:
        a = float(value[i])
        s = float(shortfall[i])
        out.append(
            RiskPath(
                goal_id=c.ids[i],
                title=chain.goal(c.ids[i]).title,
                attainment=None if math.isnan(a) else a,
                path_weight=float(weight[i]),
                shortfall=None if math.isnan(s) else s,
                path=_heaviest_path(c, pw, g, i),
                own_part=bool(own_part[i]),
            )
        )
    return out


def impact(chain: GoalChain, goal_id: str, result: Rollup | None = None) -> list[Impact]:
    """Every goal that ``goal_id`` feeds into, heaviest path weight first."""
    chain.goal(goal_id)
    c = chain.compiled() if result is None else _check_result(chain, result)
    g = c.index[goal_id]
    ancestors: set[int] = set()
    stack = list(c.parents_of(g))
    while stack:
        p = stack.pop()
        if p not in ancestors:
            ancestors.add(p)
            stack.extend(c.parents_of(p))
    pw: dict[int, float] = {g: 1.0}
    for p in sorted(ancestors, key=lambda i: (int(c.height[i]), i)):
        lo, hi = int(c.child_start[p]), int(c.child_stop[p])
        pw[p] = sum(
            pw.get(int(ch), 0.0) * float(sh)
            for ch, sh in zip(c.e_child[lo:hi], c.e_share[lo:hi], strict=True)
        )
    out = []
    for p in ancestors:
        att = None if result is None else float(result.attainment[p])
        out.append(
            Impact(
                goal_id=c.ids[p],
                path_weight=pw[p],
                attainment=None if att is None or math.isnan(att) else att,
                health=None if result is None else result.health(c.ids[p]),
            )
        )
    out.sort(key=lambda x: (-x.path_weight, x.goal_id))
    return out


# -- diff ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reparented:
    """A goal whose parents changed."""

    goal_id: str
    old_parents: tuple[str, ...]
    new_parents: tuple[str, ...]


@dataclass(frozen=True)
class TargetChange:
    """A target that changed, appeared or disappeared, with the revision that recorded it."""

    goal_id: str
    indicator: str
    old: float | None
    new: float | None
    revision: Revision | None = None


@dataclass(frozen=True)
class WeightChange:
    """A ``decomposes`` link whose weight changed."""

    parent: str
    child: str
    old: float | None
    new: float | None


@dataclass(frozen=True)
class ChainDiff:
    """What changed between two chains (the 规划调整 record)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reparented: tuple[Reparented, ...] = ()
    targets: tuple[TargetChange, ...] = ()
    weights: tuple[WeightChange, ...] = ()
    status: tuple[tuple[str, str, str], ...] = field(default=())
    names: dict[str, str] = field(default_factory=dict, compare=False)  # indicator id → name

    def __bool__(self) -> bool:
        return any(
            (self.added, self.removed, self.reparented, self.targets, self.weights, self.status)
        )

    def to_markdown(self) -> str:
        """The diff as a Chinese Markdown list (for a 规划调整 report)."""
        lines = ["## 目标链调整", ""]
        if not self:
            return "\n".join([*lines, "无调整。", ""])
        for gid in self.added:
            lines.append(f"- 新增目标 {gid}")
        for gid in self.removed:
            lines.append(f"- 删除目标 {gid}")
        for r in self.reparented:
            lines.append(
                f"- 目标 {r.goal_id} 的上级由 {'、'.join(r.old_parents) or '无'}"
                f" 调整为 {'、'.join(r.new_parents) or '无'}"
            )
        for t in self.targets:
            why = "" if t.revision is None else f"（{t.revision.by}，{t.revision.reason}）"
            name = self.names.get(t.indicator, t.indicator)
            lines.append(
                f"- 目标 {t.goal_id} 的「{name}」目标值 {_num(t.old)} → {_num(t.new)}{why}"
            )
        for w in self.weights:
            lines.append(f"- 分解 {w.parent} → {w.child} 的权重 {_num(w.old)} → {_num(w.new)}")
        for gid, old, new in self.status:
            lines.append(f"- 目标 {gid} 的状态 {old} → {new}")
        return "\n".join([*lines, ""])


def _num(value: float | None) -> str:
    return "无" if value is None else f"{value:g}"


def _decomposes(chain: GoalChain) -> dict[tuple[str, str], float | None]:
    return {
        (s, t): d["weight"]
        for s, t, d in chain.graph.edges(data=True)
        if d["kind"] == EdgeKind.DECOMPOSES
    }


def diff(old: GoalChain, new: GoalChain) -> ChainDiff:
    """Compare ``old`` with ``new``: added, removed, re-parented goals, targets and weights."""
    old_ids = list(old.graph.nodes)
    new_ids = list(new.graph.nodes)
    old_set, new_set = set(old_ids), set(new_ids)
    both = [g for g in new_ids if g in old_set]
    e_old, e_new = _decomposes(old), _decomposes(new)
    reparented = []
    targets: list[TargetChange] = []
    status = []
    for gid in both:
        po = tuple(
            sorted(p for p, d in old.graph.pred[gid].items() if d["kind"] == EdgeKind.DECOMPOSES)
        )
        pn = tuple(
            sorted(p for p, d in new.graph.pred[gid].items() if d["kind"] == EdgeKind.DECOMPOSES)
        )
        if po != pn:
            reparented.append(Reparented(gid, po, pn))
        go, gn = old.goal(gid), new.goal(gid)
        if go.status != gn.status:
            status.append((gid, go.status.value, gn.status.value))
        before = {gi.indicator: gi.target for gi in go.indicators}
        after = {gi.indicator: gi.target for gi in gn.indicators}
        for ind in [*before, *(i for i in after if i not in before)]:
            was, now = before.get(ind), after.get(ind)
            if was == now:
                continue
            revision = next(
                (
                    r
                    for r in reversed(gn.revisions)
                    if r.indicator == ind and r.new == now and r not in go.revisions
                ),
                None,
            )
            targets.append(TargetChange(gid, ind, was, now, revision))
    weights = [
        WeightChange(p, c, e_old[p, c], w)
        for (p, c), w in e_new.items()
        if (p, c) in e_old and e_old[p, c] != w
    ]
    return ChainDiff(
        added=tuple(g for g in new_ids if g not in old_set),
        removed=tuple(g for g in old_ids if g not in new_set),
        reparented=tuple(reparented),
        targets=tuple(targets),
        weights=tuple(weights),
        status=tuple(status),
        names={
            ind: found.name
            for cat in (old.catalog, new.catalog)
            if cat is not None
            for ind, found in cat.items()
        },
    )
