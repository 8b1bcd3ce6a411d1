"""Every built-in pack loads, cites its sources, and passes its own self-tests."""

from __future__ import annotations

import functools
import re

import pytest

from zhengai.alerts import evaluate
from zhengai.examples import College, college
from zhengai.packs import Pack, builtin_packs, load_pack, self_test
from zhengai.packs.schema import ExpectedAlert
from zhengai.spiral import Spiral


@functools.cache
def pack_named(name: str) -> Pack:
    """Load a built-in pack once per test module (packs are immutable)."""
    return load_pack(name)


PACKS = sorted(builtin_packs())
#: A citation names a seed file (000–004) with a clause, domain.md, or a public document.
CITATION = re.compile(r"(00[0-4] ?(附件|§|\()|domain\.md|教[职发高]|https?://)")


def _own_rules(pack: Pack) -> list[str]:
    return [rid for rid, rule in pack.rules.items() if rule.origin.pack == pack.name]


def test_the_issue_packs_are_built_in() -> None:
    expected = {
        "core",
        "loudi-2017",
        "changzhou",
        "shanghai-chengjian",
        "major-radar",
        "major-group",
        "academic-warning",
    }
    assert expected <= set(PACKS)


@pytest.mark.parametrize("name", PACKS)
def test_pack_loads_and_its_self_tests_pass(name: str) -> None:
    pack = pack_named(name)
    assert pack.name == name
    assert pack.title
    assert pack.version
    report = self_test(pack)
    assert report.passed, str(report)


@pytest.mark.parametrize("name", PACKS)
def test_every_rule_cites_its_source_and_owner(name: str) -> None:
    pack = pack_named(name)
    for rid in _own_rules(pack):
        rule = pack.rules[rid].rule
        assert CITATION.search(rule.source or ""), f"{name}:{rid} has no citation"
        assert rule.owner, f"{name}:{rid} names nobody who must act"
        assert rule.message, f"{name}:{rid} has no message"


@pytest.mark.parametrize("name", [n for n in PACKS if n != "core"])
def test_every_rule_is_tested_on_both_sides(name: str) -> None:
    """Each own rule fires in some case, and some exact case has a subject it spares."""
    pack = pack_named(name)
    fired: set[str] = set()
    spared: set[str] = set()
    for source in pack.tests:
        case = source.case
        expected = [ExpectedAlert.model_validate(a) for a in case.expect.get("alerts", [])]
        hit = {(a.rule, a.subject) for a in expected}
        fired |= {rule for rule, _ in hit}
        if not case.exact or "alerts" not in case.expect:
            continue
        for rid, compiled in pack.rules.items():
            level = compiled.rule.level
            if any(s.level == level and (rid, s.id) not in hit for s in case.subjects):
                spared.add(rid)
    own = set(_own_rules(pack))
    assert own, f"{name} has no rules of its own"
    assert own - fired == set(), f"rules never expected to fire: {sorted(own - fired)}"
    assert own - spared == set(), f"rules never shown not firing: {sorted(own - spared)}"


@pytest.mark.parametrize("name", PACKS)
def test_catalogs_scorecards_and_loops_cite_sources(name: str) -> None:
    pack = pack_named(name)
    for catalog in pack.catalogs.values():
        assert catalog.source
        for point in catalog.points():
            assert CITATION.search(point.source or ""), point.id
    for scorecard in pack.sections.get("scorecards", {}).values():
        assert CITATION.search(scorecard.source or ""), scorecard.id
        for node in scorecard.walk():
            # ScorecardNode has no `source` field: the citation is in its description.
            assert CITATION.search(node.description), f"{scorecard.id}.{node.id}"
    for loop in pack.sections.get("loops", {}).values():
        assert loop.source, loop.id
        assert all(CITATION.search(s) for s in loop.source), loop.id


@pytest.mark.parametrize("name", PACKS)
def test_indicators_the_rules_read_are_in_the_catalog_with_a_direction(name: str) -> None:
    pack = pack_named(name)
    for compiled in pack.rules.values():
        for ident in compiled.indicators:
            indicator = pack.catalog[ident]
            assert indicator.levels, ident
            assert indicator.description, ident


@pytest.fixture(scope="module")
def example() -> College:
    return college(seed=0, size="small")


@pytest.mark.parametrize("name", PACKS)
def test_pack_runs_on_the_example_college(name: str, example: College) -> None:
    """Indicator ids are shared with the example college, so every pack runs on it as is."""
    pack = pack_named(name)
    for ident, indicator in example.catalog.items():
        assert pack.catalog[ident].name == indicator.name
    subjects, observations = example.to_subjects(), example.to_observations()
    for period in ("2025-2026-2", "2025-2026"):
        result = evaluate(pack, subjects, observations, period)
        assert all(a.rule in pack.rules for a in result.alerts)


def test_shanghai_finds_the_planted_fitness_problem(example: College) -> None:
    (problem,) = example.planted_of("fitness_below_standard")
    result = evaluate(
        pack_named("shanghai-chengjian"),
        example.to_subjects(),
        example.to_observations(),
        problem.periods[0],
    )
    fired = {(a.rule, a.subject_id) for a in result.alerts}
    assert ("fitness_below_standard", problem.subject_ids[0]) in fired


def test_changzhou_holds_the_planted_lowest_teacher_to_account(example: College) -> None:
    (problem,) = example.planted_of("low_evaluation")
    result = evaluate(
        pack_named("changzhou"), example.to_subjects(), example.to_observations(), "2025-2026-2"
    )
    fired = {a.subject_id for a in result.alerts if a.rule == "teaching_evaluation_bottom"}
    assert problem.subject_ids[0] in fired
    teachers = len(example.subjects_at("teacher"))
    assert len(fired) <= max(1, round(0.10 * teachers))


@pytest.mark.parametrize("name", PACKS)
def test_the_spiral_engine_runs_every_loop_the_pack_declares(name: str) -> None:
    for loop in pack_named(name).sections.get("loops", {}).values():
        spiral = Spiral(loop)
        subject = spiral.subject("S1")
        assert subject.state == loop.initial
        assert spiral.triggers(loop.initial), loop.id
