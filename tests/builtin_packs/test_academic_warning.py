"""The academic-warning pack finds the example college's planted students at their level."""

from __future__ import annotations

import pytest

from zhengai.alerts import evaluate
from zhengai.examples import college
from zhengai.packs import load_pack


@pytest.fixture(scope="module")
def alerts_at_last_term() -> dict[str, str]:
    example = college(seed=0, size="small")
    result = evaluate(
        load_pack("academic-warning"),
        example.to_subjects(),
        example.to_observations(),
        "2025-2026-2",
    )
    planted = {p.subject_ids[0]: p for p in example.planted if p.kind.startswith("academic_")}
    found = {a.subject_id: a.severity for a in result.alerts if a.subject_id in planted}
    return {str(planted[s].expected["label"]): sev for s, sev in found.items()}


@pytest.mark.parametrize("label", ["蓝", "黄", "橙", "红"])
def test_planted_student_is_warned_at_its_level(
    alerts_at_last_term: dict[str, str], label: str
) -> None:
    assert alerts_at_last_term[label] == label
