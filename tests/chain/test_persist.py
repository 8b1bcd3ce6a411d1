"""A goal chain saved in the store comes back equal, on every database."""

from __future__ import annotations

import pytest

from zhengai.chain import GoalChain
from zhengai.examples import college
from zhengai.model import Goal
from zhengai.store import Store


def test_the_example_chain_round_trips_through_the_store(db_url: str) -> None:
    made = college(seed=2, size="small")
    store = Store(db_url)
    store.upgrade()
    store.add_indicators(made.catalog)
    chain = GoalChain.from_records(made.goals, made.edges, catalog=made.catalog)
    assert chain.save(store, plan="十四五规划") == len(chain) > 0
    back = GoalChain.from_store(store)
    goals, edges = chain.to_records()
    goals_back, edges_back = back.to_records()
    assert sorted(goals_back, key=lambda g: g["id"]) == sorted(goals, key=lambda g: g["id"])

    def key(e: dict[str, object]) -> tuple[str, str]:
        return str(e["source"]), str(e["target"])

    assert sorted(edges_back, key=key) == sorted(edges, key=key)
    year = made.periods.latest_year
    assert back.rollup().as_dict() == chain.rollup().as_dict()
    assert [f.code for f in back.check(as_of=year)] == [f.code for f in chain.check(as_of=year)]
    assert not back.diff(chain)


def test_saving_replaces_the_schools_chain_and_leaves_other_schools_alone(db_url: str) -> None:
    store = Store(db_url)
    store.upgrade()
    other = store.for_school("another")
    first = GoalChain()
    first.add_goal(Goal(id="g1", title="总规划", owner="school", level="学校"))
    first.add_goal(Goal(id="g2", title="专业建设", owner="school", level="学校"))
    first.decompose("g1", "g2", 1.0)
    first.save(store)
    first.save(other)
    revised = GoalChain()
    revised.add_goal(Goal(id="g1", title="总规划（修订）", owner="school", level="学校"))
    revised.save(store)
    assert [g.title for g in GoalChain.from_store(store)] == ["总规划（修订）"]
    assert GoalChain.from_store(store).edges() == []
    assert [g.id for g in GoalChain.from_store(other)] == ["g1", "g2"]
    assert GoalChain.from_store(other).edges() == [("g1", "g2", pytest.approx(1.0))]


def test_a_store_without_a_chain_gives_an_empty_one(db_url: str) -> None:
    store = Store(db_url)
    store.upgrade()
    assert len(GoalChain.from_store(store)) == 0
