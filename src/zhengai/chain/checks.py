"""Checks of a goal chain: 上下衔接 (vertical) and 左右呼应 (horizontal), per domain.md §2.

``check_chain(chain)`` returns :class:`Finding` objects, each with a stable ``code``, a
severity, the goals involved and a message in Chinese.  Archived goals are left out.

=========================  ========  ===========================================================
code                       severity  what
=========================  ========  ===========================================================
``cycle``                  error     ``decomposes`` links form a cycle (the cycle is named)
``orphan``                 error     a goal below the top level with no parent (上下衔接断开)
``level_inversion``        error     a child owned at a higher level than its parent
``weights``                warning   children's weights plus ``own_weight`` do not sum to 1
``own_weight_unused``      info      ``own_weight`` set on a goal without indicators
``target_consistency``     warning   children's targets, aggregated by the catalog's aggregator,
                                     fall short of the parent's target
``alignment_target``       warning   supporting / same-owner goals with contradicting targets
``alignment_period``       warning   supporting goals, or siblings sharing an indicator, whose
                                     periods do not overlap
``period_outside_parent``  warning   a child's cycle is not inside its parent's
``no_source``              warning   an indicator without a state-data source (no observations)
``unmeasured``             warning   a leaf with neither indicators nor a manual attainment
``no_attainment``          warning   a goal past its period (at ``as_of``) with no attainment
=========================  ========  ===========================================================
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

import networkx as nx

from zhengai.chain.compiled import gc_paused
from zhengai.model.enums import Aggregator, Direction
from zhengai.model.goal import EdgeKind, Goal, GoalStatus, ProgressMethod
from zhengai.model.period import Period

if TYPE_CHECKING:
    from zhengai.chain.graph import GoalChain
    from zhengai.chain.rollup import Rollup

__all__ = ["Finding", "Severity", "check_chain"]


class Severity(StrEnum):
    """How serious a finding is."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_AGG_LABEL = {"sum": "求和", "mean": "加权平均", "min": "取最小", "max": "取最大"}


@dataclass(frozen=True)
class Finding:
    """One problem found by :func:`check_chain`."""

    code: str
    severity: Severity
    goals: tuple[str, ...]
    message: str
    indicator: str | None = None
    values: dict[str, float] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"[{self.severity.value}] {self.code}: {self.message}"


def _months(goal: Goal) -> tuple[int, int] | None:
    return _span(goal.start, goal.period_end)


@lru_cache(maxsize=4096)
def _span(start: Period | None, end: Period | None) -> tuple[int, int] | None:
    # first and last month index; cached because a chain repeats a few cycles many times
    if start is None or end is None:
        return None
    return start.start_index(), end.end_index()


def _overlap(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    return a is None or b is None or (a[0] <= b[1] and b[0] <= a[1])


def _fmt(x: float) -> str:
    return f"{x:g}"


def check_chain(
    chain: GoalChain,
    *,
    as_of: Period | date | str | None = None,
    rollup: Rollup | None = None,
    tolerance: float = 1e-6,
) -> list[Finding]:
    """Every finding for ``chain``, errors first (see the module docstring for the codes).

    ``as_of`` enables ``no_attainment`` (goals whose cycle ended by then); ``rollup`` is
    the attainment to look in (without it, only manual attainments count as recorded).
    """
    with gc_paused():
        return _check(chain, as_of, rollup, tolerance)


def _check(
    chain: GoalChain, as_of: Period | date | str | None, rollup: Rollup | None, tolerance: float
) -> list[Finding]:
    goals = {g.id: g for g in chain if g.status is not GoalStatus.ARCHIVED}
    tree = nx.DiGraph()
    tree.add_nodes_from(goals)
    weights: dict[tuple[str, str], float | None] = {}
    supports: list[tuple[str, str]] = []
    for s, t, d in chain.graph.edges(data=True):
        if s in goals and t in goals:
            if d["kind"] == EdgeKind.DECOMPOSES:
                weights[s, t] = d["weight"]
            else:
                supports.append((s, t))
    tree.add_edges_from(weights)
    out: list[Finding] = []
    out += _cycles(tree)
    out += _orphans(tree, goals)
    out += _levels(tree, goals)
    out += _weights(tree, goals, weights, tolerance)
    out += _targets(chain, tree, goals, weights, tolerance)
    out += _alignment(chain, tree, goals, supports, tolerance)
    out += _periods(tree, goals)
    out += _sources(chain, goals)
    out += _unmeasured(tree, goals)
    if as_of is not None:
        out += _overdue(goals, as_of, rollup)
    out.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], f.code, f.goals))
    return out


def _cycles(tree: nx.DiGraph) -> list[Finding]:
    if nx.is_directed_acyclic_graph(tree):
        return []
    out = []
    for comp in nx.strongly_connected_components(tree):
        if len(comp) < 2:
            continue
        cycle = [u for u, _ in nx.find_cycle(tree.subgraph(comp))]
        out.append(
            Finding(
                "cycle",
                Severity.ERROR,
                tuple(cycle),
                "目标分解成环：" + " → ".join([*cycle, cycle[0]]),
            )
        )
    return out


def _orphans(tree: nx.DiGraph, goals: dict[str, Goal]) -> list[Finding]:
    if not goals:
        return []
    top = min(g.level.rank for g in goals.values())
    return [
        Finding(
            "orphan",
            Severity.ERROR,
            (gid,),
            f"目标 {gid} ({g.level.label}) 没有上级目标，上下衔接断开",
        )
        for gid, g in goals.items()
        if g.level.rank > top and tree.in_degree(gid) == 0
    ]


def _levels(tree: nx.DiGraph, goals: dict[str, Goal]) -> list[Finding]:
    out = []
    for p, c in tree.edges:
        gp, gc = goals[p], goals[c]
        if gc.level.rank < gp.level.rank:
            out.append(
                Finding(
                    "level_inversion",
                    Severity.ERROR,
                    (p, c),
                    f"{gc.level.label}层面的目标 {c} 不能分解{gp.level.label}层面的目标 {p}"
                    f"（子目标的层级高于上级目标）",
                )
            )
    return out


def _weights(
    tree: nx.DiGraph,
    goals: dict[str, Goal],
    weights: dict[tuple[str, str], float | None],
    tol: float,
) -> list[Finding]:
    out = []
    for gid, g in goals.items():
        if g.own_weight > 0 and not g.indicators:
            out.append(
                Finding(
                    "own_weight_unused",
                    Severity.INFO,
                    (gid,),
                    f"目标 {gid} 设置了 own_weight={_fmt(g.own_weight)} 但没有自身指标，该权重不计",
                )
            )
        kids = list(tree.successors(gid))
        if not kids or g.progress not in (ProgressMethod.AUTO, ProgressMethod.WEIGHTED_MEAN):
            continue
        given = [weights[gid, k] for k in kids]
        total = sum(w for w in given if w is not None)
        if g.indicators:
            total += g.own_weight
        unset = sum(w is None for w in given)
        bad = total > 1 + tol if unset else abs(total - 1) > tol
        if unset and total >= 1 - tol:
            bad = True
        if bad:
            extra = f"，另有 {unset} 个未设权重的子目标分不到权重" if unset else ""
            out.append(
                Finding(
                    "weights",
                    Severity.WARNING,
                    (gid, *kids),
                    f"目标 {gid} 的子目标权重"
                    + ("与自身指标权重" if g.indicators and g.own_weight else "")
                    + f"之和为 {_fmt(round(total, 9))}，应为 1{extra}",
                    values={"sum": total},
                )
            )
    return out


def _aggregate(agg: Aggregator, targets: list[float], shares: list[float]) -> float:
    if agg is Aggregator.SUM:
        return sum(targets)
    if agg is Aggregator.MIN:
        return min(targets)
    if agg is Aggregator.MAX:
        return max(targets)
    total = sum(shares)
    if total <= 0:
        return sum(targets) / len(targets)
    return sum(t * s for t, s in zip(targets, shares, strict=True)) / total


def _targets(
    chain: GoalChain,
    tree: nx.DiGraph,
    goals: dict[str, Goal],
    weights: dict[tuple[str, str], float | None],
    tol: float,
) -> list[Finding]:
    out = []
    catalog = chain.catalog
    for gid, g in goals.items():
        if not g.indicators:
            continue
        kids = list(tree.successors(gid))
        if not kids:
            continue
        for gi in g.indicators:
            found = None if catalog is None else catalog.get(gi.indicator)
            agg = Aggregator.MEAN if found is None else found.aggregator
            lower = found is not None and found.direction is Direction.LOWER_BETTER
            holders = [k for k in kids if goals[k].target(gi.indicator) is not None]
            if not holders:
                continue
            targets = [goals[k].target(gi.indicator) or 0.0 for k in holders]
            shares = [
                1.0 if weights[gid, k] is None else float(weights[gid, k] or 0.0) for k in holders
            ]
            value = _aggregate(agg, targets, shares)
            short = value > gi.target + tol if lower else value < gi.target - tol
            if short:
                name = gi.indicator if found is None else found.name
                word = "高于" if lower else "低于"
                out.append(
                    Finding(
                        "target_consistency",
                        Severity.WARNING,
                        (gid, *holders),
                        f"子目标 {', '.join(holders)} 的「{name}」目标"
                        f"按{_AGG_LABEL[agg.value]}汇总为 "
                        f"{_fmt(round(value, 9))}，{word}上级目标 {gid} 的 {_fmt(gi.target)}",
                        indicator=gi.indicator,
                        values={"aggregate": value, "target": gi.target},
                    )
                )
    return out


def _worse(a: float, b: float, lower: bool, tol: float) -> bool:
    return a > b + tol if lower else a < b - tol


def _alignment(
    chain: GoalChain,
    tree: nx.DiGraph,
    goals: dict[str, Goal],
    supports: list[tuple[str, str]],
    tol: float,
) -> list[Finding]:
    out = []
    catalog = chain.catalog

    def name_of(ind: str) -> str:
        found = None if catalog is None else catalog.get(ind)
        return ind if found is None else found.name

    def lower_of(ind: str) -> bool:
        found = None if catalog is None else catalog.get(ind)
        return found is not None and found.direction is Direction.LOWER_BETTER

    for s, t in supports:
        gs, gt = goals[s], goals[t]
        if not _overlap(_months(gs), _months(gt)):
            out.append(
                Finding(
                    "alignment_period",
                    Severity.WARNING,
                    (s, t),
                    f"支撑目标 {s} ({gs.start}–{gs.period_end}) 与被支撑目标 {t} "
                    f"({gt.start}–{gt.period_end}) 的周期不重叠",
                )
            )
        for gi in gs.indicators:
            other = gt.target(gi.indicator)
            if other is not None and _worse(gi.target, other, lower_of(gi.indicator), tol):
                out.append(
                    Finding(
                        "alignment_target",
                        Severity.WARNING,
                        (s, t),
                        f"支撑目标 {s} 的「{name_of(gi.indicator)}」目标 {_fmt(gi.target)} "
                        f"达不到被支撑目标 {t} 要求的 {_fmt(other)}",
                        indicator=gi.indicator,
                    )
                )
    # same owner, same indicator, overlapping cycles: one subject cannot have two targets
    groups: dict[tuple[str, str], list[Goal]] = defaultdict(list)
    for g in goals.values():
        for gi in g.indicators:
            groups[g.owner, gi.indicator].append(g)
    for (owner, ind), members in groups.items():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                ta, tb = a.target(ind), b.target(ind)
                if ta is None or tb is None or abs(ta - tb) <= tol:
                    continue
                if a.level is not b.level or not _overlap(_months(a), _months(b)):
                    continue
                if tree.has_edge(a.id, b.id) or tree.has_edge(b.id, a.id):
                    continue
                out.append(
                    Finding(
                        "alignment_target",
                        Severity.WARNING,
                        (a.id, b.id),
                        f"目标 {a.id} 与 {b.id} 为同一主体 {owner} 的「{name_of(ind)}」"
                        f"设定了矛盾的目标值 {_fmt(ta)} 与 {_fmt(tb)}",
                        indicator=ind,
                    )
                )
    # siblings at one level sharing an indicator should run over a common cycle; in each
    # group the latest start and the earliest end are the pair that fails first
    for p in tree.nodes:
        by_key: dict[tuple[str, str], list[tuple[tuple[int, int], Goal]]] = defaultdict(list)
        for k in tree.successors(p):
            g = goals[k]
            span = _months(g)
            if span is not None:
                for gi in g.indicators:
                    by_key[g.level.value, gi.indicator].append((span, g))
        for (_, ind), spans in by_key.items():
            late = max(spans, key=lambda x: x[0][0])
            early = min(spans, key=lambda x: x[0][1])
            if late[0][0] <= early[0][1]:
                continue
            a, b = early[1], late[1]
            out.append(
                Finding(
                    "alignment_period",
                    Severity.WARNING,
                    (a.id, b.id),
                    f"同级目标 {a.id} 与 {b.id} 共享指标「{name_of(ind)}」但周期不重叠"
                    f" ({a.start}–{a.period_end} / {b.start}–{b.period_end})",
                    indicator=ind,
                )
            )
    return out


def _periods(tree: nx.DiGraph, goals: dict[str, Goal]) -> list[Finding]:
    out = []
    for p, c in tree.edges:
        mp, mc = _months(goals[p]), _months(goals[c])
        if mp is None or mc is None or (mp[0] <= mc[0] and mc[1] <= mp[1]):
            continue
        gp, gc = goals[p], goals[c]
        out.append(
            Finding(
                "period_outside_parent",
                Severity.WARNING,
                (p, c),
                f"子目标 {c} 的周期 ({gc.start}–{gc.period_end}) 超出上级目标 {p} 的周期 "
                f"({gp.start}–{gp.period_end})",
            )
        )
    return out


def _sources(chain: GoalChain, goals: dict[str, Goal]) -> list[Finding]:
    if chain.catalog is None:
        return []
    users: dict[str, list[str]] = defaultdict(list)
    for g in goals.values():
        for gi in g.indicators:
            users[gi.indicator].append(g.id)
    out = []
    for ind, ids in users.items():
        found = chain.catalog.get(ind)
        if found is not None and not found.source:
            out.append(
                Finding(
                    "no_source",
                    Severity.WARNING,
                    tuple(ids),
                    f"指标「{found.name}」没有状态数据来源 (source)，"
                    f"{len(ids)} 个目标无法由观测数据计算达成度",
                    indicator=ind,
                )
            )
    return out


def _unmeasured(tree: nx.DiGraph, goals: dict[str, Goal]) -> list[Finding]:
    return [
        Finding(
            "unmeasured",
            Severity.WARNING,
            (gid,),
            f"目标 {gid} 没有下级目标，也没有指标或手工达成度，无法计算达成度",
        )
        for gid, g in goals.items()
        if tree.out_degree(gid) == 0
        and not g.indicators
        and g.progress is not ProgressMethod.MANUAL
    ]


def _overdue(
    goals: dict[str, Goal], as_of: Period | date | str, rollup: Rollup | None
) -> list[Finding]:
    from zhengai.chain.rollup import _month_position

    now = _month_position(as_of)
    out = []
    for gid, g in goals.items():
        end = g.period_end
        if end is None or end.end_index() + 1 > now:
            continue
        recorded = g.manual_attainment is not None
        if rollup is not None and gid in rollup.compiled.index:
            value = float(rollup.attainment[rollup.compiled.index[gid]])
            recorded = recorded or not math.isnan(value)
        if not recorded:
            out.append(
                Finding(
                    "no_attainment",
                    Severity.WARNING,
                    (gid,),
                    f"目标 {gid} 的周期已于 {end} 结束，但没有达成度记录",
                )
            )
    return out
