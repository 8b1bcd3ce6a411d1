"""Loop definitions: the shipped ones load; broken ones fail with the field and line."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from zhengai.errors import LoopError, Where
from zhengai.model import Level, PeriodKind, Step
from zhengai.model.loop import (
    DeadEndState,
    DuplicateName,
    InvalidLoop,
    LevelNotInLoop,
    LoopDefinition,
    SmallLoopWithoutExit,
    UnknownGuard,
    UnknownState,
    UnreachableState,
    load_loop,
)
from zhengai.spiral import Spiral, UnknownCallback, UnknownLoop, loops_dir, shipped_loop

FIVE = yaml.safe_load((loops_dir() / "five_step.yaml").read_text(encoding="utf-8"))


def test_the_four_shipped_loops_cite_their_seeds() -> None:
    ids = sorted(p.stem for p in loops_dir().glob("*.yaml"))
    assert ids == ["eight_ten_step", "five_step", "four_step", "radar"]
    for name in ids:
        loop = shipped_loop(name)
        assert loop.source
        assert all(s[:3].isdigit() or s.startswith("domain.md") for s in loop.source)


def test_eight_ten_step_has_the_ten_steps_in_order_and_the_small_loop_in_implementing() -> None:
    loop = shipped_loop("eight_ten_step")
    steps = [s.step.label for s in loop.states if s.step]
    assert steps == ["目标", "标准", "设计", "组织", "实施", "诊断", "激励", "学习", "创新", "改进"]
    assert loop.small_loop is not None
    assert loop.small_loop.host == "implementing"
    assert [s.step for s in loop.small_loop.states] == [Step.MONITOR, Step.WARN, Step.IMPROVE]


def test_cycle_length_per_level() -> None:
    five = shipped_loop("five_step")
    assert five.cycle[Level.MAJOR] is PeriodKind.YEAR
    assert five.cycle[Level.COURSE] is PeriodKind.TERM
    assert five.cycle[Level.TEACHER] is PeriodKind.YEAR
    assert shipped_loop("four_step").cycle == {
        Level.SCHOOL: PeriodKind.YEAR,
        Level.DEPARTMENT: PeriodKind.YEAR,
    }


def test_period_kind_per_level() -> None:
    assert shipped_loop("five_step").period_kind("课程") is PeriodKind.TERM
    assert shipped_loop("radar").period_kind(Level.MAJOR) is PeriodKind.YEAR
    with pytest.raises(LevelNotInLoop) as info:
        shipped_loop("radar").period_kind("student")
    assert info.value.code == "loop.level_not_in_loop"
    assert info.value.message == "loop 'radar' declares no cycle for 学生（student）"
    assert info.value.hint == "declared: major"


def test_unknown_shipped_loop() -> None:
    with pytest.raises(UnknownLoop) as info:
        shipped_loop("five_steps")
    assert info.value.hint == "did you mean 'five_step'?"


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(FIVE)
    change(data)
    return data


def _states(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["states"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "error", "field", "message"),
    [
        (
            lambda d: _states(d).append({"id": "orphan", "label": "孤立"}),
            UnreachableState,
            "states[7]",
            "state 'orphan'（孤立）cannot be reached from 'draft'",
        ),
        (
            lambda d: (
                d["transitions"].append(
                    {"trigger": "park", "source": "diagnosed", "dest": "parked"}
                )
                or _states(d).append({"id": "parked", "label": "搁置"})
            ),
            DeadEndState,
            "states[7]",
            "state 'parked'（搁置）has no outgoing transition and is not the cycle's close "
            "'closed'",
        ),
        (
            lambda d: d["transitions"][4]["guards"].append("data_completeness"),
            UnknownGuard,
            "transitions[4].guards[2]",
            "unknown guard 'data_completeness'; custom guards are written as {expr: …, id: …}",
        ),
        (
            lambda d: d["small_loop"].update(exits=[]),
            SmallLoopWithoutExit,
            "small_loop.exits",
            "the small loop inside 'running' declares no exit state",
        ),
        (
            lambda d: d["small_loop"]["transitions"].pop(3),
            SmallLoopWithoutExit,
            "small_loop.states[2]",
            "small-loop state 'correcting'（整改）never gets back to an exit ['monitoring'], "
            "so 'running' could never be left",
        ),
        (
            lambda d: d["transitions"][2].update(dest="runing"),
            UnknownState,
            "transitions[2].dest",
            "transition 'start' enters unknown state 'runing'",
        ),
        (
            lambda d: d["small_loop"]["transitions"][0].update(trigger="diagnose"),
            DuplicateName,
            "small_loop.transitions[0].trigger",
            "trigger 'diagnose' is used by both the big and the small loop",
        ),
        (
            lambda d: d.update(close="done"),
            UnknownState,
            "close",
            "close state 'done' is not a state of loop 'five_step'",
        ),
    ],
)
def test_validation_names_the_field(
    tmp_path: Path, change: Any, error: type[LoopError], field: str, message: str
) -> None:
    data = broken(change)
    with pytest.raises(LoopError) as info:
        LoopDefinition.model_validate(data)
    assert type(info.value) is error
    assert info.value.where == Where(field=field)
    assert info.value.message == message
    # through a file, the error also names the file and the line of the field
    path = tmp_path / "loop.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(LoopError) as from_file:
        load_loop(path)
    assert type(from_file.value) is error
    assert from_file.value.where.file == str(path)
    assert from_file.value.where.field == field
    line = from_file.value.where.line
    assert line is not None
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    leaf = field.rsplit(".", 1)[-1].split("[")[0]
    assert leaf in text or text.lstrip().startswith("-")


def test_a_type_error_in_the_file_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    data = broken(lambda d: d["raising"].update(step=2))
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InvalidLoop) as info:
        load_loop(path)
    assert info.value.code == "loop.invalid"
    assert info.value.where.field == "raising.step"
    assert info.value.message == "Input should be less than 1"
    line = info.value.where.line
    assert line is not None
    assert "step: 2" in path.read_text(encoding="utf-8").splitlines()[line - 1]


def test_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nstates: [\n", encoding="utf-8")
    with pytest.raises(InvalidLoop) as info:
        load_loop(path)
    assert info.value.where.file == str(path)
    assert info.value.where.line == 3


def test_a_callback_the_engine_does_not_know() -> None:
    data = broken(lambda d: d["transitions"][6].update(callbacks=["notify_dean"]))
    loop = LoopDefinition.model_validate(data)
    with pytest.raises(UnknownCallback) as info:
        Spiral(loop)
    assert info.value.where == Where(field="transitions[6].callbacks[0]")
    seen: list[int] = []
    spiral = Spiral(loop, callbacks={"notify_dean": lambda batch: seen.append(len(batch.rows))})
    states = spiral.states_of([spiral.subject("M1"), spiral.subject("M2")])
    states = type(states)(
        states.subject_ids,
        states.state * 0 + spiral.state_ids.index("improved"),
        states.small,
        states.cycle,
        states.entered_at,
    )
    result = spiral.advance(states, "close")
    assert result.moved.all()
    assert seen == [2]  # once per batch, not once per subject
