"""``GoalChain``: goals and their links in a plain ``networkx.DiGraph``.

Every node of ``chain.graph`` is a goal id with the :class:`~zhengai.model.goal.Goal`
under the ``"goal"`` attribute; every edge has ``kind`` (``"decomposes"`` parent →
child, or ``"supports"`` for a horizontal link) and ``weight`` (the child's share of
the parent, None = an equal share of what the given weights leave).  The graph is
plain data: hand it to any networkx algorithm.  Arithmetic (roll-up, risk paths)
runs over arrays compiled from the graph once and cached until the next change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from zhengai.chain.errors import (
    BadEdge,
    BadRevision,
    DuplicateGoal,
    LockedTarget,
    UnknownGoal,
)
from zhengai.errors import Where, did_you_mean
from zhengai.model import IndicatorCatalog
from zhengai.model.goal import (
    ChainTemplate,
    EdgeKind,
    Goal,
    GoalStatus,
    ProgressMethod,
    Revision,
)
from zhengai.model.period import Period

if TYPE_CHECKING:
    import pandas as pd

    from zhengai.chain.analysis import ChainDiff, Impact, RiskPath
    from zhengai.chain.checks import Finding
    from zhengai.chain.compiled import Compiled
    from zhengai.chain.rollup import Actuals, Rollup, SlotValues
    from zhengai.data import Observations
    from zhengai.model import Observation
    from zhengai.store import Store

__all__ = ["GoalChain"]


class GoalChain:
    """A goal chain (目标链): goals linked by ``decomposes`` and ``supports`` edges.

    >>> from zhengai.model.goal import Goal
    >>> chain = GoalChain()
    >>> _ = chain.add_goal(Goal(id="G", owner="school", level="school"))
    >>> _ = chain.add_goal(Goal(id="G1", owner="jwc", level="department"))
    >>> chain.decompose("G", "G1", weight=1.0)
    >>> chain.children("G")
    ['G1']
    """

    def __init__(self, catalog: IndicatorCatalog | Iterable[Any] | None = None) -> None:
        #: The plain networkx graph: nodes are goal ids, see the module docstring.
        self.graph: nx.DiGraph = nx.DiGraph()
        #: The indicator catalog that gives directions, aggregators and sources (optional).
        self.catalog: IndicatorCatalog | None = (
            None if catalog is None else IndicatorCatalog.coerce(catalog)
        )
        self._compiled: Compiled | None = None

    # -- goals -------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.graph.number_of_nodes())

    def __contains__(self, goal_id: object) -> bool:
        return goal_id in self.graph

    def __iter__(self) -> Iterator[Goal]:
        for _, data in self.graph.nodes(data=True):
            yield data["goal"]

    def __repr__(self) -> str:
        return f"GoalChain({len(self)} goals, {self.graph.number_of_edges()} links)"

    @property
    def goals(self) -> list[Goal]:
        """Every goal, in insertion order."""
        return list(self)

    def goal(self, goal_id: str) -> Goal:
        """The goal with ``goal_id``; :class:`UnknownGoal` (with a suggestion) otherwise."""
        data = self.graph.nodes.get(goal_id)
        if data is None:
            raise self._unknown(goal_id)
        goal: Goal = data["goal"]
        return goal

    def _unknown(self, goal_id: str, where: Where | None = None) -> UnknownGoal:
        return UnknownGoal(
            f"目标链中没有目标 {goal_id!r}",
            where=where,
            hint=did_you_mean(str(goal_id), (str(n) for n in self.graph.nodes)),
        )

    def add_goal(self, goal: Goal) -> Goal:
        """Add one goal; indicator names are resolved to ids through the catalog."""
        if goal.id in self.graph:
            raise DuplicateGoal(f"目标 {goal.id!r} 已在目标链中")
        goal = self._resolve_indicators(goal)
        self.graph.add_node(goal.id, goal=goal)
        self._changed()
        return goal

    def add_goals(self, goals: Iterable[Goal]) -> None:
        """Add many goals at once (all or none: a duplicate id adds nothing)."""
        resolved = [self._resolve_indicators(g) for g in goals]
        seen: set[str] = set()
        for goal in resolved:
            if goal.id in self.graph or goal.id in seen:
                raise DuplicateGoal(f"目标 {goal.id!r} 已在目标链中")
            seen.add(goal.id)
        self.graph.add_nodes_from((g.id, {"goal": g}) for g in resolved)
        self._changed()

    def _resolve_indicators(self, goal: Goal) -> Goal:
        if self.catalog is None or all(gi.indicator in self.catalog for gi in goal.indicators):
            return goal
        fixed = tuple(
            gi
            if gi.indicator in self.catalog
            else gi.model_copy(update={"indicator": self.catalog.resolve(gi.indicator).id})
            for gi in goal.indicators
        )
        return Goal.model_validate({**goal.model_dump(), "indicators": fixed})

    def replace_goal(self, goal: Goal) -> Goal:
        """Replace a goal by a new version with the same id.

        An approved goal's targets are locked: every changed (added, removed) target needs
        a new :class:`~zhengai.model.goal.Revision` in ``goal.revisions`` recording it, or
        :class:`LockedTarget` is raised and the chain keeps the old version.
        """
        old = self.goal(goal.id)
        goal = self._resolve_indicators(goal)
        if old.locked:
            _require_revisions(old, goal)
        self.graph.nodes[goal.id]["goal"] = goal
        self._changed()
        return goal

    def remove_goal(self, goal_id: str) -> None:
        """Remove a goal and its links (to retire a goal but keep its history, archive it)."""
        self.goal(goal_id)
        self.graph.remove_node(goal_id)
        self._changed()

    def approve(self, goal_id: str) -> Goal:
        """Mark a goal approved (已审定): from now on its targets are locked."""
        return self._set(goal_id, status=GoalStatus.APPROVED)

    def archive(self, goal_id: str) -> Goal:
        """Archive a goal: it stays in the graph but leaves checks and the roll-up."""
        return self._set(goal_id, status=GoalStatus.ARCHIVED)

    def set_manual(self, goal_id: str, attainment: float, note: str) -> Goal:
        """Enter a goal's attainment by hand, with a note saying where it comes from."""
        if not note.strip():
            raise BadRevision(
                f"目标 {goal_id!r} 手工填报达成度须附说明 (note)", where=Where(field="note")
            )
        return self._set(
            goal_id,
            progress=ProgressMethod.MANUAL,
            manual_attainment=attainment,
            manual_note=note,
        )

    def _set(self, goal_id: str, **update: object) -> Goal:
        old = self.goal(goal_id)
        goal = Goal.model_validate({**old.model_dump(), **update})
        self.graph.nodes[goal_id]["goal"] = goal
        self._changed()
        return goal

    def revise_target(
        self,
        goal_id: str,
        indicator: str,
        target: float,
        *,
        by: str,
        reason: str,
        at: datetime | None = None,
    ) -> Goal:
        """Change a target and record who changed it, when and why (规划调整).

        Works for draft and approved goals alike; the revision is kept in ``goal.revisions``.
        """
        old = self.goal(goal_id)
        if not by.strip() or not reason.strip():
            raise BadRevision(
                f"目标 {goal_id!r} 的调整记录须写明调整人 (by) 和原因 (reason)",
                where=Where(field="by" if not by.strip() else "reason"),
            )
        ind = self._indicator_id(indicator)
        current = old.target(ind)
        if current is None:
            raise BadRevision(
                f"目标 {goal_id!r} 没有指标 {indicator!r}",
                hint=did_you_mean(ind, [gi.indicator for gi in old.indicators]),
            )
        revision = Revision(
            indicator=ind,
            old=current,
            new=target,
            by=by,
            at=at or datetime.now(UTC),
            reason=reason,
        )
        indicators = tuple(
            gi.model_copy(update={"target": target}) if gi.indicator == ind else gi
            for gi in old.indicators
        )
        return self._set(goal_id, indicators=indicators, revisions=(*old.revisions, revision))

    def _indicator_id(self, name: str) -> str:
        if self.catalog is None or name in self.catalog:
            return name
        found = self.catalog.get_by_name(name)
        return name if found is None else found.id

    # -- links -------------------------------------------------------------------
    def decompose(self, parent: str, child: str, weight: float | None = None) -> None:
        """Link ``parent`` → ``child`` (上下衔接); ``weight`` is the child's share of the parent."""
        self.add_edge(parent, child, EdgeKind.DECOMPOSES, weight)

    def support(self, source: str, target: str) -> None:
        """Link ``source`` supports ``target`` (左右呼应, a horizontal link)."""
        self.add_edge(source, target, EdgeKind.SUPPORTS)

    def add_edge(
        self,
        source: str,
        target: str,
        kind: EdgeKind | str = EdgeKind.DECOMPOSES,
        weight: float | None = None,
        *,
        where: Where | None = None,
    ) -> None:
        """Add one link of either kind; :class:`BadEdge` or :class:`UnknownGoal` when refused.

        A cycle of ``decomposes`` links is accepted here so that :meth:`check` can name it;
        the roll-up refuses such a chain with :class:`~zhengai.chain.errors.ChainCycle`.
        """
        self._add_edges([(source, target, kind, weight, where)])

    def add_edges(self, edges: Iterable[tuple[str, str, EdgeKind | str, float | None]]) -> None:
        """Add many links at once (all or none)."""
        self._add_edges([(s, t, k, w, None) for s, t, k, w in edges])

    def _add_edges(
        self, edges: Sequence[tuple[str, str, EdgeKind | str, float | None, _LazyWhere]]
    ) -> None:
        rows: list[tuple[str, str, dict[str, Any]]] = []
        pending: dict[tuple[str, str], str] = {}
        for source, target, kind, weight, where in edges:
            rows.append(self._edge_row(source, target, kind, weight, where, pending))
        self.graph.add_edges_from(rows)
        self._changed()

    def _edge_row(
        self,
        source: str,
        target: str,
        kind: EdgeKind | str,
        weight: float | None,
        lazy: _LazyWhere,
        pending: dict[tuple[str, str], str],
    ) -> tuple[str, str, dict[str, Any]]:
        for end in (source, target):
            if end not in self.graph:
                raise self._unknown(end, _resolve(lazy)) from None
        try:
            edge_kind = EdgeKind(kind)
        except ValueError:
            raise BadEdge(
                f"未知的链接类型 {kind!r}",
                where=_resolve(lazy),
                hint=did_you_mean(str(kind), [k.value for k in EdgeKind]),
            ) from None
        if source == target:
            raise BadEdge(f"目标 {source!r} 不能链接到自身", where=_resolve(lazy))
        if weight is not None:
            if edge_kind is EdgeKind.SUPPORTS:
                raise BadEdge(f"支撑链接 {source!r} → {target!r} 没有权重", where=_resolve(lazy))
            if not _valid_weight(weight):
                raise BadEdge(
                    f"分解链接 {source!r} → {target!r} 的权重须为非负数，实为 {weight!r}",
                    where=_resolve(lazy),
                )
        for a, b in ((source, target), (target, source)):
            other = pending.get((a, b))
            if other is None and self.graph.has_edge(a, b):
                other = self.graph.edges[a, b]["kind"]
            if other is None:
                continue
            if (a, b) != (source, target) and other == edge_kind == EdgeKind.SUPPORTS:
                continue  # mutual support is fine: 左右呼应 runs both ways
            raise BadEdge(
                f"目标 {a!r} → {b!r} 之间已有{EdgeKind(other).label}链接",
                where=_resolve(lazy),
            )
        pending[(source, target)] = edge_kind.value
        return source, target, {"kind": edge_kind.value, "weight": weight}

    def set_weight(self, parent: str, child: str, weight: float | None) -> None:
        """Change the weight of the ``decomposes`` link ``parent`` → ``child``."""
        data = self.graph.edges.get((parent, child))
        if data is None or data["kind"] != EdgeKind.DECOMPOSES:
            raise BadEdge(f"目标 {parent!r} → {child!r} 之间没有分解链接")
        if not _valid_weight(weight):
            raise BadEdge(f"分解链接 {parent!r} → {child!r} 的权重须为非负数，实为 {weight!r}")
        data["weight"] = weight
        self._changed()

    def remove_edge(self, source: str, target: str) -> None:
        """Remove the link ``source`` → ``target``."""
        if not self.graph.has_edge(source, target):
            raise BadEdge(f"目标 {source!r} → {target!r} 之间没有链接")
        self.graph.remove_edge(source, target)
        self._changed()

    def children(self, goal_id: str) -> list[str]:
        """The goals ``goal_id`` decomposes into, in link order."""
        self.goal(goal_id)
        return [c for c, d in self.graph.succ[goal_id].items() if d["kind"] == EdgeKind.DECOMPOSES]

    def parents(self, goal_id: str) -> list[str]:
        """The goals that decompose into ``goal_id``."""
        self.goal(goal_id)
        return [p for p, d in self.graph.pred[goal_id].items() if d["kind"] == EdgeKind.DECOMPOSES]

    def supported(self, goal_id: str) -> list[str]:
        """The goals that ``goal_id`` supports (horizontal links out of it)."""
        self.goal(goal_id)
        return [c for c, d in self.graph.succ[goal_id].items() if d["kind"] == EdgeKind.SUPPORTS]

    def edges(self, kind: EdgeKind | str | None = None) -> list[tuple[str, str, float | None]]:
        """``(source, target, weight)`` of every link, or of one kind."""
        wanted = None if kind is None else EdgeKind(kind).value
        return [
            (s, t, d["weight"])
            for s, t, d in self.graph.edges(data=True)
            if wanted is None or d["kind"] == wanted
        ]

    def decomposition(self) -> nx.DiGraph:
        """A read-only view of the ``decomposes`` links only (for networkx algorithms)."""
        graph = self.graph

        def keep(u: str, v: str) -> bool:
            return bool(graph.edges[u, v]["kind"] == EdgeKind.DECOMPOSES)

        return nx.subgraph_view(graph, filter_edge=keep)

    # -- compiled arrays -----------------------------------------------------------
    def refresh(self) -> None:
        """Drop the cached arrays; call it after editing ``chain.graph`` by hand.

        Changes made through the chain's methods refresh it themselves.
        """
        self._compiled = None

    def _changed(self) -> None:
        self._compiled = None

    def compiled(self) -> Compiled:
        """The cached array form of the chain (rebuilt after any change)."""
        if self._compiled is None:
            from zhengai.chain.compiled import compile_chain

            self._compiled = compile_chain(self)
        return self._compiled

    # -- builders --------------------------------------------------------------------
    @classmethod
    def from_records(
        cls,
        goals: Iterable[Mapping[str, Any] | Goal],
        edges: Iterable[Mapping[str, Any]] = (),
        *,
        catalog: IndicatorCatalog | Iterable[Any] | None = None,
        file: str | None = None,
    ) -> GoalChain:
        """Build a chain from goal dicts and edge dicts (what a pack, YAML or the store holds).

        A goal dict has the :class:`~zhengai.model.goal.Goal` fields, and may also name
        ``parent`` (an id or a list), ``weight`` (its share of that parent) and ``supports``
        (ids it supports).  An edge dict has ``source``/``target`` (or ``parent``/``child``),
        ``kind`` (default ``decomposes``) and ``weight``.  Errors name ``file`` and the field
        path (``goals[3].indicators.0.target``).
        """
        from zhengai.chain.io import chain_from_records

        return chain_from_records(cls(catalog), goals, edges, file=file)

    @classmethod
    def from_yaml(
        cls,
        source: str | Path,
        *,
        catalog: IndicatorCatalog | Iterable[Any] | None = None,
    ) -> GoalChain:
        """Build a chain from a YAML file or text with ``goals:`` and ``edges:`` lists."""
        from zhengai.chain.io import chain_from_yaml

        return chain_from_yaml(cls(catalog), source)

    @classmethod
    def from_frames(
        cls,
        goals: pd.DataFrame,
        edges: pd.DataFrame | None = None,
        *,
        catalog: IndicatorCatalog | Iterable[Any] | None = None,
    ) -> GoalChain:
        """Build a chain from a goals table and an edges table (see ``docs/chain.md``).

        The goals table is long: one row per goal indicator (``indicator``, ``target``,
        ``baseline``, ``indicator_weight``); the goal's own columns repeat or are left blank
        on its later rows.  Errors name the row (header = row 1) and column.
        """
        from zhengai.chain.io import chain_from_tables

        goal_rows = goals.to_dict("records")
        edge_rows = [] if edges is None else edges.to_dict("records")
        return chain_from_tables(cls(catalog), goal_rows, edge_rows, files=(None, None))

    @classmethod
    def from_csv(
        cls,
        goals: str | Path,
        edges: str | Path | None = None,
        *,
        catalog: IndicatorCatalog | Iterable[Any] | None = None,
    ) -> GoalChain:
        """Build a chain from a goals CSV and an edges CSV (UTF-8, with or without BOM)."""
        from zhengai.chain.io import chain_from_csv

        return chain_from_csv(cls(catalog), goals, edges)

    @classmethod
    def from_template(
        cls,
        template: ChainTemplate,
        *,
        owners: Mapping[str, str] | None = None,
        catalog: IndicatorCatalog | Iterable[Any] | None = None,
    ) -> GoalChain:
        """A chain from a pack's goal-chain template (``pack.sections["chains"][id]``).

        ``owners`` renames the template's role owners to the school's subject ids
        (``{"学校": "S001"}``); goals keep their ids, titles, levels and weights.
        """
        rename = dict(owners or {})
        goals = [
            g.model_copy(update={"owner": rename.get(g.owner, g.owner)}) for g in template.goals
        ]
        edges = [e.model_dump(mode="json") for e in template.edges]
        return cls.from_records(goals, edges, catalog=catalog, file=f"chains/{template.id}")

    @classmethod
    def from_store(
        cls, store: Store, *, catalog: IndicatorCatalog | Iterable[Any] | None = None
    ) -> GoalChain:
        """The goal chain the store holds for its school (see ``chain.persist.load_chain``)."""
        from zhengai.chain.persist import load_chain

        return load_chain(store, catalog=catalog)

    def save(self, store: Store, *, plan: str | None = None) -> int:
        """Replace the store school's chain with this one; return the number of goals saved."""
        from zhengai.chain.persist import save_chain

        return save_chain(self, store, plan=plan)

    def to_records(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``(goals, edges)`` as JSON-ready dicts; :meth:`from_records` reads them back."""
        goals = [g.model_dump(mode="json") for g in self]
        edges = [
            {"source": s, "target": t, "kind": d["kind"], "weight": d["weight"]}
            for s, t, d in self.graph.edges(data=True)
        ]
        return goals, edges

    def copy(self) -> GoalChain:
        """An independent copy (goals are immutable, so they are shared)."""
        other = GoalChain(self.catalog)
        other.graph = self.graph.copy()
        return other

    # -- analysis (implemented in sibling modules) -----------------------------------
    def check(
        self,
        *,
        as_of: Period | date | str | None = None,
        rollup: Rollup | None = None,
        tolerance: float = 1e-6,
    ) -> list[Finding]:
        """Run every check of 上下衔接、左右呼应; see :func:`zhengai.chain.checks.check_chain`."""
        from zhengai.chain.checks import check_chain

        return check_chain(self, as_of=as_of, rollup=rollup, tolerance=tolerance)

    def actuals(self, values: Actuals) -> SlotValues:
        """Resolve actual values once (goal/indicator → array slot) for repeated roll-ups."""
        from zhengai.chain.rollup import resolve_actuals

        return resolve_actuals(self.compiled(), values)

    def observed(
        self, observations: Observations | Iterable[Observation], period: Period | str
    ) -> SlotValues:
        """Actual values in ``period`` from state data, keyed by each goal's owner subject."""
        from zhengai.chain.observations import actuals_from_observations

        return actuals_from_observations(self, observations, period)

    def rollup(
        self,
        values: Actuals | SlotValues | None = None,
        *,
        cap: float = 1.2,
        as_of: Period | date | str | None = None,
        scale: str = "ratio",
        on_track: float = 0.9,
        off_track: float = 0.7,
    ) -> Rollup:
        """Attainment (达成度) of every goal in one pass; see :mod:`zhengai.chain.rollup`."""
        from zhengai.chain.rollup import rollup

        return rollup(
            self.compiled(),
            values,
            cap=cap,
            as_of=as_of,
            scale=scale,
            on_track=on_track,
            off_track=off_track,
        )

    def update(self, result: Rollup, values: Actuals) -> frozenset[str]:
        """Apply new actuals to ``result`` in place, recomputing only their goals' ancestors.

        Returns the ids of the goals recomputed.
        """
        from zhengai.chain.rollup import update

        if result.compiled is not self.compiled():
            from zhengai.chain.errors import BadActuals

            raise BadActuals("该达成度结果来自已修改前的目标链，请重新计算 rollup")
        return update(result, values)

    def risk_paths(
        self, goal_id: str, result: Rollup, *, top: int = 10, threshold: float | None = None
    ) -> list[RiskPath]:
        """The leaves that cost ``goal_id`` most; see :func:`zhengai.chain.analysis.risk_paths`."""
        from zhengai.chain.analysis import risk_paths

        return risk_paths(self, goal_id, result, top=top, threshold=threshold)

    def impact(self, goal_id: str, result: Rollup | None = None) -> list[Impact]:
        """The goals ``goal_id`` feeds into, with path weights (see ``analysis.impact``)."""
        from zhengai.chain.analysis import impact

        return impact(self, goal_id, result)

    def diff(self, other: GoalChain) -> ChainDiff:
        """What changed from this chain to ``other`` (last year's plan → this year's)."""
        from zhengai.chain.analysis import diff

        return diff(self, other)

    # -- export ---------------------------------------------------------------------------
    def to_mermaid(self, result: Rollup | None = None, *, direction: str = "TD") -> str:
        """Mermaid flowchart text, coloured by attainment when ``result`` is given."""
        from zhengai.chain.export import to_mermaid

        return to_mermaid(self, result, direction=direction)

    def to_dot(self, result: Rollup | None = None) -> str:
        """Graphviz DOT text, coloured by attainment when ``result`` is given."""
        from zhengai.chain.export import to_dot

        return to_dot(self, result)

    def to_frames(self, result: Rollup | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(goals, edges)`` pandas DataFrames (needs pandas), with attainment columns."""
        from zhengai.chain.export import to_frames

        return to_frames(self, result)

    def to_html(self, result: Rollup | None = None, *, limit: int = 50) -> str:
        """An HTML table of the first ``limit`` goals, with attainment and health when given."""
        from zhengai.chain.export import to_html

        return to_html(self, result, limit=limit)

    def _repr_html_(self) -> str:
        return self.to_html()


#: Where a link came from, or a function building it only when the link is refused.
_LazyWhere = Where | Callable[[], Where] | None


def _valid_weight(weight: object) -> bool:
    if weight is None:
        return True
    if isinstance(weight, bool) or not isinstance(weight, int | float):
        return False
    return math.isfinite(weight) and weight >= 0


def _resolve(lazy: _LazyWhere) -> Where | None:
    return lazy() if callable(lazy) else lazy


def _require_revisions(old: Goal, new: Goal) -> None:
    """Raise :class:`LockedTarget` unless every changed target has a new revision record."""
    before = {gi.indicator: gi.target for gi in old.indicators}
    after = {gi.indicator: gi.target for gi in new.indicators}
    fresh = [r for r in new.revisions if r not in old.revisions]
    for ind in sorted(before.keys() | after.keys()):
        was, now = before.get(ind), after.get(ind)
        if was == now:
            continue
        if not any(r.indicator == ind and r.old == was and r.new == now for r in fresh):
            raise LockedTarget(
                f"目标 {old.id!r} 已审定，指标 {ind!r} 的目标值由 {was} 改为 {now} 须附调整记录"
                " (Revision: 调整人、时间、原因)",
                where=Where(field=f"indicators.{ind}.target"),
                hint="use GoalChain.revise_target(goal_id, indicator, target, by=..., reason=...)",
            )
