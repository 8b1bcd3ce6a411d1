"""The array form of a goal chain, compiled once from the graph and cached.

networkx holds the structure; arithmetic runs here, over numpy arrays laid out in a
topological order (NOTES.md: a networkx walk per roll-up is 3–8× slower than arrays).

* Goals are numbered in insertion order.  Archived goals stay numbered but are
  ``active = False`` and have no edges.
* ``height`` is the longest ``decomposes`` path down to a leaf (leaves are 0), found by
  peeling leaves level by level; what cannot be peeled lies on a cycle.
* Edges (active ``decomposes`` links) are sorted by (parent height, parent, link
  order), so the edges of one height are one slice and a parent's edges are contiguous.
* Slots are (goal, indicator) pairs with target, baseline, weight and direction sign.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from zhengai.chain.errors import ChainCycle
from zhengai.model.enums import Direction
from zhengai.model.goal import EdgeKind, GoalStatus, ProgressMethod

if TYPE_CHECKING:
    from zhengai.chain.graph import GoalChain

__all__ = [
    "KIND_MANUAL",
    "KIND_MEAN",
    "KIND_MIN",
    "KIND_OWN",
    "KIND_SUM",
    "Compiled",
    "compile_chain",
    "gc_paused",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: How a compiled goal computes its attainment (a leaf always uses its own indicators).
KIND_OWN, KIND_MEAN, KIND_MIN, KIND_MANUAL, KIND_SUM = 0, 1, 2, 3, 4


@dataclass(eq=False)
class Compiled:
    """Arrays of one chain version; see the module docstring for the layout."""

    ids: list[str]
    index: dict[str, int]
    active: NDArray[np.bool_]
    kind: NDArray[np.int8]
    height: I64
    own_share: F64  # weight of the goal's own indicators among its parts
    total_weight: F64  # children's weights plus own_share
    manual: F64
    start_month: F64  # first month index of the goal's cycle (NaN: none)
    end_month: F64  # one past the last month
    # edges, sorted by (parent height, parent, link order)
    e_parent: I64
    e_child: I64
    e_weight: F64
    e_share: F64  # the child's share of the parent's attainment (risk and impact)
    height_slices: list[tuple[int, int]]  # edge [start, stop) per height 1..max
    height_parents: list[I64]  # distinct parents per height, in edge order
    height_local: list[I64]  # each edge's parent position within height_parents
    child_start: I64  # per goal, its edges' [start, stop)
    child_stop: I64
    parent_by_child: I64  # parents of goal g: parent_by_child[parent_start[g]:parent_stop[g]]
    parent_start: I64
    parent_stop: I64
    # slots
    indicator_ids: list[str]
    slot_goal: I64
    slot_indicator: I64
    slot_target: F64
    slot_baseline: F64
    slot_weight: F64
    slot_sign: F64
    slot_start: I64  # per goal, its slots' [start, stop)
    slot_stop: I64
    slot_key: I64  # goal * n_indicators + indicator, sorted, for lookups
    slot_key_order: I64
    # sum slots: parent slot gets the sum of its children's slots of the same indicator
    se_parent: I64
    se_child: I64
    se_height_slices: list[tuple[int, int]]
    se_start: I64  # per slot, its slot-edges' [start, stop)
    se_stop: I64
    indicator_lookup: dict[str, int]  # ids, and catalog names and aliases, to slot indicator
    _sorted_ids: tuple[NDArray[np.str_], I64] | None = None
    #: Derived forms built on first use by the modules that need them (e.g. Python lists).
    cache: dict[str, object] = field(default_factory=dict)

    def sorted_ids(self) -> tuple[NDArray[np.str_], I64]:
        """Goal ids sorted (for vectorised lookups) and the goal index of each."""
        if self._sorted_ids is None:
            ids = np.asarray(self.ids, dtype=str)
            order = np.argsort(ids, kind="stable").astype(np.int64)
            self._sorted_ids = (ids[order], order)
        return self._sorted_ids

    @property
    def n(self) -> int:
        """Number of goals (archived included)."""
        return len(self.ids)

    def parents_of(self, goal: int) -> list[int]:
        """The active parents of goal number ``goal``."""
        found: list[int] = self.parent_by_child[
            self.parent_start[goal] : self.parent_stop[goal]
        ].tolist()
        return found

    def slot_of(self, goal: int, indicator: int) -> int:
        """The slot of (goal, indicator), or -1."""
        key = goal * len(self.indicator_ids) + indicator
        pos = int(np.searchsorted(self.slot_key, key))
        if pos < len(self.slot_key) and self.slot_key[pos] == key:
            return int(self.slot_key_order[pos])
        return -1


def _ranges(sorted_keys: I64, n: int) -> tuple[I64, I64]:
    starts = np.searchsorted(sorted_keys, np.arange(n), side="left").astype(np.int64)
    stops = np.searchsorted(sorted_keys, np.arange(n), side="right").astype(np.int64)
    return starts, stops


def peel_heights(n: int, parent: I64, child: I64, active: NDArray[np.bool_]) -> I64:
    """Longest path down to a leaf per goal; -1 for goals on or above a cycle.

    Kahn's algorithm run level by level over whole arrays: each round removes the
    goals with no remaining children.
    """
    height = np.full(n, -1, dtype=np.int64)
    remaining = np.bincount(parent, minlength=n)
    frontier = np.flatnonzero((remaining == 0) & active)
    level = 0
    edge_done = np.zeros(len(parent), dtype=bool)
    while len(frontier):
        height[frontier] = level
        done_child = np.zeros(n, dtype=bool)
        done_child[frontier] = True
        hit = done_child[child] & ~edge_done
        edge_done |= hit
        remaining = remaining - np.bincount(parent[hit], minlength=n)
        candidates = np.unique(parent[hit])
        frontier = candidates[remaining[candidates] == 0]
        level += 1
    return height


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Building 100k goals allocates millions of containers and no cycles worth collecting;
    with the collector on, its repeated full passes took about half the build time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compile_chain(chain: GoalChain) -> Compiled:
    """Compile ``chain`` into arrays; :class:`ChainCycle` names a cycle if there is one."""
    with gc_paused():
        return _compile(chain)


def _compile(chain: GoalChain) -> Compiled:
    goals = chain.goals
    ids = [g.id for g in goals]
    index = {gid: i for i, gid in enumerate(ids)}
    n = len(ids)
    active = np.fromiter((g.status is not GoalStatus.ARCHIVED for g in goals), bool, n)

    # edges among active goals, in link order
    src: list[int] = []
    dst: list[int] = []
    raw: list[float] = []
    for s, t, d in chain.graph.edges(data=True):
        if d["kind"] != EdgeKind.DECOMPOSES:
            continue
        i, j = index[s], index[t]
        if active[i] and active[j]:
            src.append(i)
            dst.append(j)
            raw.append(np.nan if d["weight"] is None else float(d["weight"]))
    parent = np.asarray(src, dtype=np.int64)
    child = np.asarray(dst, dtype=np.int64)
    weight = np.asarray(raw, dtype=np.float64)

    height = peel_heights(n, parent, child, active)
    stuck = active & (height < 0)
    if stuck.any():
        sub = chain.decomposition().subgraph([ids[i] for i in np.flatnonzero(stuck)])
        cycle = [u for u, _ in nx.find_cycle(sub)]
        raise ChainCycle(
            "目标分解链接成环：" + " → ".join([*cycle, cycle[0]]),
            hint="remove one of these decomposes links",
        )

    # progress kinds; a goal without active children uses its own indicators
    has_children = np.bincount(parent, minlength=n) > 0
    method_kind = {
        ProgressMethod.AUTO: KIND_MEAN,
        ProgressMethod.WEIGHTED_MEAN: KIND_MEAN,
        ProgressMethod.INDICATORS: KIND_OWN,
        ProgressMethod.MIN: KIND_MIN,
        ProgressMethod.MANUAL: KIND_MANUAL,
        ProgressMethod.SUM: KIND_SUM,
    }
    kind = np.fromiter((method_kind[g.progress] for g in goals), np.int8, n)
    kind[(~has_children) & ((kind == KIND_MEAN) | (kind == KIND_MIN))] = KIND_OWN
    n_slots = np.fromiter((len(g.indicators) for g in goals), np.int64, n)
    own_weight = np.fromiter((g.own_weight for g in goals), np.float64, n)
    own_share = np.where(kind == KIND_MEAN, np.where(n_slots > 0, own_weight, 0.0), 1.0)

    # weights left unset share what the given weights leave of 1
    unset = np.isnan(weight)
    given = np.bincount(parent, weights=np.where(unset, 0.0, weight), minlength=n)
    n_unset = np.bincount(parent, weights=unset.astype(np.float64), minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.maximum(0.0, 1.0 - own_share - given) / n_unset
    weight = np.where(unset, fill[parent] if len(parent) else weight, weight)
    total_weight = np.bincount(parent, weights=weight, minlength=n).astype(np.float64) + np.where(
        kind == KIND_MEAN, own_share, 0.0
    )
    n_children = np.bincount(parent, minlength=n).astype(np.float64)

    order = np.lexsort((np.arange(len(parent)), parent, height[parent]))
    parent, child, weight = parent[order], child[order], weight[order]
    pk = kind[parent]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.select(
            [pk == KIND_MEAN, (pk == KIND_MIN) | (pk == KIND_SUM)],
            [
                np.where(total_weight[parent] > 0, weight / total_weight[parent], 0.0),
                1.0 / n_children[parent],
            ],
            0.0,
        )

    max_h = int(height.max()) if n else 0
    eh = height[parent]
    height_slices: list[tuple[int, int]] = []
    height_parents: list[I64] = []
    height_local: list[I64] = []
    for h in range(1, max_h + 1):
        lo, hi = int(np.searchsorted(eh, h, "left")), int(np.searchsorted(eh, h, "right"))
        height_slices.append((lo, hi))
        ps, local = np.unique(parent[lo:hi], return_inverse=True)
        # np.unique sorts; edges are sorted by parent within a height, so order agrees
        height_parents.append(ps.astype(np.int64))
        height_local.append(local.astype(np.int64))
    # a parent's edges are contiguous (one parent, one height), so a range per goal
    child_start = np.zeros(n, dtype=np.int64)
    child_stop = np.zeros(n, dtype=np.int64)
    if len(parent):
        uniq, first, counts = np.unique(parent, return_index=True, return_counts=True)
        child_start[uniq] = first
        child_stop[uniq] = first + counts
    # parents per goal as a second CSR (edges sorted by child)
    by_child = np.argsort(child, kind="stable")
    parent_by_child = parent[by_child]
    parent_start, parent_stop = _ranges(child[by_child], n)

    # slots
    catalog = chain.catalog
    indicator_ids: list[str] = []
    ind_index: dict[str, int] = {}
    s_goal: list[int] = []
    s_ind: list[int] = []
    s_target: list[float] = []
    s_base: list[float] = []
    s_weight: list[float] = []
    s_sign: list[float] = []
    for gi_, goal in enumerate(goals):
        if not active[gi_]:
            continue
        for gind in goal.indicators:
            ii = ind_index.get(gind.indicator)
            if ii is None:
                ii = ind_index[gind.indicator] = len(indicator_ids)
                indicator_ids.append(gind.indicator)
            s_goal.append(gi_)
            s_ind.append(ii)
            s_target.append(gind.target)
            s_base.append(np.nan if gind.baseline is None else gind.baseline)
            s_weight.append(gind.weight)
            found = None if catalog is None else catalog.get(gind.indicator)
            lower = found is not None and found.direction is Direction.LOWER_BETTER
            s_sign.append(-1.0 if lower else 1.0)
    slot_goal = np.asarray(s_goal, dtype=np.int64)
    slot_indicator = np.asarray(s_ind, dtype=np.int64)
    slot_start, slot_stop = _ranges(slot_goal, n)
    n_ind = max(len(indicator_ids), 1)
    keys = slot_goal * n_ind + slot_indicator
    key_order = np.argsort(keys, kind="stable").astype(np.int64)

    # sum slots
    se_p: list[int] = []
    se_c: list[int] = []
    sum_goals = set(np.flatnonzero(kind == KIND_SUM).tolist())
    slot_lookup = {(g, i): s for s, (g, i) in enumerate(zip(s_goal, s_ind, strict=True))}
    for p, c in zip(parent.tolist(), child.tolist(), strict=True):
        if p not in sum_goals:
            continue
        for s in range(int(slot_start[p]), int(slot_stop[p])):
            cs = slot_lookup.get((c, s_ind[s]))
            if cs is not None:
                se_p.append(s)
                se_c.append(cs)
    se_parent = np.asarray(se_p, dtype=np.int64)
    se_child = np.asarray(se_c, dtype=np.int64)
    se_order = np.lexsort((np.arange(len(se_parent)), se_parent, height[slot_goal[se_parent]]))
    se_parent, se_child = se_parent[se_order], se_child[se_order]
    seh = height[slot_goal[se_parent]] if len(se_parent) else np.zeros(0, dtype=np.int64)
    se_height_slices = [
        (int(np.searchsorted(seh, h, "left")), int(np.searchsorted(seh, h, "right")))
        for h in range(1, max_h + 1)
    ]
    # a parent slot's slot-edges are contiguous (sorted by height, then slot)
    se_start = np.zeros(len(slot_goal), dtype=np.int64)
    se_stop = np.zeros(len(slot_goal), dtype=np.int64)
    if len(se_parent):
        uniq, first, counts = np.unique(se_parent, return_index=True, return_counts=True)
        se_start[uniq] = first
        se_stop[uniq] = first + counts

    start_month = np.fromiter(
        (np.nan if g.start is None else g.start.start_index() for g in goals), np.float64, n
    )
    end_month = np.fromiter(
        (np.nan if g.period_end is None else g.period_end.end_index() + 1 for g in goals),
        np.float64,
        n,
    )
    manual = np.fromiter(
        (np.nan if g.manual_attainment is None else g.manual_attainment for g in goals),
        np.float64,
        n,
    )
    return Compiled(
        ids=ids,
        index=index,
        active=active,
        kind=kind,
        height=height,
        own_share=own_share,
        total_weight=total_weight,
        manual=manual,
        start_month=start_month,
        end_month=end_month,
        e_parent=parent,
        e_child=child,
        e_weight=weight,
        e_share=share,
        height_slices=height_slices,
        height_parents=height_parents,
        height_local=height_local,
        child_start=child_start,
        child_stop=child_stop,
        parent_by_child=parent_by_child,
        parent_start=parent_start,
        parent_stop=parent_stop,
        indicator_ids=indicator_ids,
        slot_goal=slot_goal,
        slot_indicator=slot_indicator,
        slot_target=np.asarray(s_target, dtype=np.float64),
        slot_baseline=np.asarray(s_base, dtype=np.float64),
        slot_weight=np.asarray(s_weight, dtype=np.float64),
        slot_sign=np.asarray(s_sign, dtype=np.float64),
        slot_start=slot_start,
        slot_stop=slot_stop,
        slot_key=keys[key_order],
        slot_key_order=key_order,
        se_parent=se_parent,
        se_child=se_child,
        se_height_slices=se_height_slices,
        se_start=se_start,
        se_stop=se_stop,
        indicator_lookup=_lookup(indicator_ids, chain),
    )


def _lookup(indicator_ids: list[str], chain: GoalChain) -> dict[str, int]:
    lookup = {ind: i for i, ind in enumerate(indicator_ids)}
    if chain.catalog is not None:
        for i, ind in enumerate(indicator_ids):
            found = chain.catalog.get(ind)
            for name in () if found is None else found.names():
                lookup.setdefault(name, i)
    return lookup
