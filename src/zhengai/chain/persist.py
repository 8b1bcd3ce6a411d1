"""Goal chains in the store (``zg_goals``, ``zg_goal_edges``): save a chain, build it back.

One row per goal keeps the queryable columns (owner subject, title, the plan period,
the first indicator and its target) and the whole :class:`~zhengai.model.goal.Goal`,
revisions included, in ``attributes``; one row per edge keeps its relation
(``decompose`` = 上下衔接, ``align`` = 左右呼应) and weight.  A school has one
current chain: saving replaces it in one transaction, so a reader sees the old
chain or the new one, never a mix.  This year's and last year's plans are compared
with :meth:`GoalChain.diff` before saving.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select

from zhengai.chain.graph import GoalChain
from zhengai.model import EdgeKind, Indicator, IndicatorCatalog
from zhengai.store import Store
from zhengai.store.schema import goal_edges, goals

__all__ = ["load_chain", "save_chain"]

#: Edge kinds of the chain ↔ the store's ``relation`` column.
RELATIONS: dict[str, str] = {
    EdgeKind.DECOMPOSES.value: "decompose",
    EdgeKind.SUPPORTS.value: "align",
}
_KINDS = {relation: kind for kind, relation in RELATIONS.items()}


def save_chain(chain: GoalChain, store: Store, *, plan: str | None = None) -> int:
    """Replace the store school's goal chain with ``chain``; return the number of goals.

    ``plan`` names the plan the goals belong to (e.g. ``十四五规划 2025 修订``).
    """
    records, edges = chain.to_records()
    now = datetime.now(UTC)
    goal_rows = [
        {
            "school_id": store.school,
            "id": g["id"],
            "subject_id": g["owner"],
            "indicator": g["indicators"][0]["indicator"] if g["indicators"] else None,
            "period": g["end"],
            "kind": "goal",
            "value": g["indicators"][0]["target"] if g["indicators"] else None,
            "title": g["title"] or g["id"],
            "plan": plan,
            "attributes": g,
            "updated_at": now,
        }
        for g in records
    ]
    edge_rows = [
        {
            "school_id": store.school,
            "parent_id": e["source"],
            "child_id": e["target"],
            "relation": RELATIONS[str(e["kind"])],
            "weight": e["weight"],
        }
        for e in edges
    ]
    with store.transaction() as conn:
        conn.execute(delete(goal_edges).where(goal_edges.c.school_id == store.school))
        conn.execute(delete(goals).where(goals.c.school_id == store.school))
        if goal_rows:
            conn.execute(goals.insert(), goal_rows)
        if edge_rows:
            conn.execute(goal_edges.insert(), edge_rows)
    return len(goal_rows)


def load_chain(
    store: Store, *, catalog: IndicatorCatalog | Iterable[Indicator] | None = None
) -> GoalChain:
    """The store school's goal chain (empty when none was saved).

    ``catalog`` defaults to the store's indicators, which give each goal indicator
    its direction and aggregator.
    """
    with store.transaction() as conn:
        goal_rows = (
            conn.execute(
                select(goals.c.attributes)
                .where(goals.c.school_id == store.school)
                .order_by(goals.c.id)
            )
            .scalars()
            .all()
        )
        edge_rows = conn.execute(
            select(
                goal_edges.c.parent_id,
                goal_edges.c.child_id,
                goal_edges.c.relation,
                goal_edges.c.weight,
            )
            .where(goal_edges.c.school_id == store.school)
            .order_by(goal_edges.c.parent_id, goal_edges.c.child_id)
        ).all()
    edges: list[dict[str, Any]] = [
        {"source": p, "target": c, "kind": _KINDS[r], "weight": w} for p, c, r, w in edge_rows
    ]
    return GoalChain.from_records(
        list(goal_rows),
        edges,
        catalog=store.indicators() if catalog is None else catalog,
        file=f"store:{store.school}",
    )
