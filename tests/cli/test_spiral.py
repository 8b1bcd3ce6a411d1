"""``zhengai spiral start|status|advance`` on a store holding the small example college."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from zhengai.store import Store

Invoke = Callable[..., Result]
Write = Callable[..., Path]

STATES = ["draft", "targeted", "standardized", "running", "diagnosed", "improved", "closed"]
LABELS = ["草拟", "目标", "标准", "运行", "诊断", "改进", "闭环"]


@pytest.fixture
def majors(invoke: Invoke, loaded_store: str) -> list[str]:
    """The majors of the example college, put on the five-step loop."""
    ids = [s.id for s in Store(loaded_store).subjects(level="major")]
    assert len(ids) >= 3
    result = invoke("spiral", "start", "--store", loaded_store, "--level", "专业")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"纳入循环 five_step：{len(ids)} 个主体\n"
    return ids


def test_start_is_idempotent(invoke: Invoke, loaded_store: str, majors: list[str]) -> None:
    again = invoke("spiral", "start", "--store", loaded_store, "--level", "major", "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout) == {"loop": "five_step", "started": 0}


def test_status_counts_subjects_per_state(
    invoke: Invoke, loaded_store: str, majors: list[str]
) -> None:
    result = invoke("spiral", "status", "--store", loaded_store)
    assert result.exit_code == 0
    n = len(majors)
    assert result.stdout.splitlines() == [
        "\t".join(["", *LABELS]),
        "\t".join(["合计", str(n), *["0"] * 6]),
        f"循环 five_step 上共 {n} 个主体",
    ]
    english = invoke("--lang", "en", "spiral", "status", "--store", loaded_store, "--by-level")
    assert english.stdout.splitlines() == [
        "\t".join(["level", *STATES]),
        "\t".join(["major", str(n), *["0"] * 6]),
        f"{n} subjects on five_step",
    ]


def test_advance_moves_those_whose_guards_hold(
    invoke: Invoke, write: Write, loaded_store: str, majors: list[str]
) -> None:
    first, second, *rest = majors
    inputs = write(
        "inputs.csv",
        f"subject_id,target:初次就业率,目标:到课率\n{first},0.9,0.95\n{second},0.88,\n",
    )
    result = invoke(
        "spiral",
        "advance",
        "set_targets",
        "--store",
        loaded_store,
        "--inputs",
        str(inputs),
        "--who",
        "质管办",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "set_targets：推进 1 个，状态不允许 0 个",
        f"  未通过守卫 targets_set：{len(rest) + 1} 个",
        f"    例如 {second} 不能执行 set_targets（草拟 → 目标）："
        "以下目标指标未设定目标值：attendance_rate",
    ]
    store = Store(loaded_store)
    assert store.state_counts("five_step") == {"draft": len(rest) + 1, "targeted": 1}
    assert store.spiral_state(first, "five_step").state == "targeted"  # type: ignore[union-attr]
    assert store.transitions(subject_id=first, loop="five_step")[-1].who == "质管办"
    status = json.loads(invoke("spiral", "status", "--store", loaded_store, "--json").stdout)
    assert status["states"]["*"]["targeted"] == 1


def test_advance_json_lists_who_was_held_and_why(
    invoke: Invoke, write: Write, loaded_store: str, majors: list[str]
) -> None:
    inputs = write("inputs.csv", f"subject_id,target:到课率\n{majors[0]},0.9\n")
    result = invoke(
        "spiral",
        "advance",
        "set_targets",
        "--store",
        loaded_store,
        "--inputs",
        str(inputs),
        "--subject",
        majors[0],
        "--subject",
        majors[1],
        "--json",
    )
    report = json.loads(result.stdout)
    assert (report["moved"], report["illegal"], report["failed_by_guard"]) == (
        1,
        0,
        {"targets_set": 1},
    )
    assert [h["subject_id"] for h in report["held"]] == [majors[1]]
    assert "以下目标指标未设定目标值：attendance_rate" in report["held"][0]["reason"]


def test_a_trigger_the_state_does_not_allow_moves_nobody(
    invoke: Invoke, loaded_store: str, majors: list[str]
) -> None:
    result = invoke("--lang", "en", "spiral", "advance", "start", "--store", loaded_store)
    assert result.exit_code == 0
    assert result.stdout == f"start: 0 moved, {len(majors)} not allowed in their state\n"


def test_missing_guard_input_names_the_inputs_column(
    invoke: Invoke, loaded_store: str, majors: list[str]
) -> None:
    result = invoke("--lang", "en", "spiral", "advance", "set_targets", "--store", loaded_store)
    assert result.exit_code == 2
    assert result.stderr == (
        "zhengai: error [loop.missing_guard_input] guard 'targets_set' needs the guard input "
        "'targets', which was not given, give --inputs with a target:<指标> column\n"
    )
    assert Store(loaded_store).state_counts("five_step") == {"draft": len(majors)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["sett"],
            "[loop.unknown_trigger] loop 'five_step' has no trigger 'sett', did you mean 'start'?",
        ),
        (
            ["start", "--loop", "five_stp"],
            "[loop.unknown_loop] pack 'core' has no loop 'five_stp', did you mean 'five_step'?",
        ),
    ],
)
def test_unknown_trigger_or_loop(
    invoke: Invoke, loaded_store: str, majors: list[str], args: list[str], message: str
) -> None:
    result = invoke("spiral", "advance", *args, "--store", loaded_store)
    assert result.exit_code == 2
    assert result.stderr == f"zhengai: error {message}\n"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "subject_id,data_ratio\n{m},abc\n",
            "[data.bad_guard_inputs] {f} row 2 column data_ratio: 'abc' is not a number",
        ),
        (
            "subject_id,action_opened\n{m},maybe\n",
            "[data.bad_guard_inputs] {f} row 2 column action_opened: 'maybe' is not a yes/no "
            "value, write true/false, 1/0 or 是/否",
        ),
        (
            "subject_id,target:到课率\nM999,0.9\n",
            "[data.bad_guard_inputs] {f} row 2 column subject_id: subject 'M999' is not among "
            "the subjects being advanced",
        ),
        (
            "subject_id,target:到课律\n{m},0.9\n",
            "[data.unknown_indicator] {f} row 1 column target:到课律: unknown indicator '到课律', "
            "did you mean '到课率'?",
        ),
        (
            "subject_id,data_ratio\n{m},0.9\n{m},0.8\n",
            "[data.bad_guard_inputs] {f} row 3 column subject_id: subject '{m}' is also on row 2",
        ),
        (
            "subjct_id,data_ratio\n{m},0.9\n",
            "[data.bad_guard_inputs] {f} row 1 column subject_id: missing column 'subject_id', "
            "did you mean 'subjct_id'?",
        ),
    ],
)
def test_bad_guard_inputs(
    invoke: Invoke, write: Write, loaded_store: str, majors: list[str], table: str, message: str
) -> None:
    inputs = write("inputs.csv", table.format(m=majors[0]))
    result = invoke(
        "spiral", "advance", "set_targets", "--store", loaded_store, "--inputs", str(inputs)
    )
    assert result.exit_code == 2
    assert result.stderr == f"zhengai: error {message.format(f=inputs, m=majors[0])}\n"
    assert Store(loaded_store).state_counts("five_step") == {"draft": len(majors)}


def test_status_of_an_empty_loop(invoke: Invoke, loaded_store: str) -> None:
    result = invoke("spiral", "status", "--store", loaded_store, "--loop", "radar", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["total"] == 0
    assert set(report["states"]["*"].values()) == {0}


def test_one_major_round_the_whole_loop(
    invoke: Invoke, write: Write, loaded_store: str, majors: list[str]
) -> None:
    major = majors[0]
    steps = [
        ("set_targets", "subject_id,目标:到课率\n{m},0.9\n"),
        ("set_standards", "subject_id,covered:到课率,覆盖:初次就业率\n{m},是,TRUE\n"),
        ("start", None),
        ("diagnose", "subject_id,data_ratio,red:low_attendance\n{m},0.97,否\n"),
        ("improve", "subject_id,gap:standard:S1,差距:alert:A2\n{m},true,1\n"),
        ("close", None),
    ]
    for trigger, table in steps:
        args = ["spiral", "advance", trigger, "--store", loaded_store, "--subject", major, "--json"]
        if table is not None:
            args += ["--inputs", str(write(f"{trigger}.csv", table.format(m=major)))]
        result = invoke(*args)
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["moved"] == 1, (trigger, result.stdout)
    state = Store(loaded_store).spiral_state(major, "five_step")
    assert state is not None
    assert state.state == "closed"


@pytest.mark.parametrize(
    ("table", "guard", "why"),
    [
        ("subject_id,data_ratio,red:r1\n{m},0.5,否\n", "data_complete", "本期数据完整率 50.0%"),
        ("subject_id,data_ratio,red:r1\n{m},0.99,是\n", "no_unacknowledged_red_alert", "r1"),
        ("subject_id,data_ratio,red:r1\n{m},,否\n", "data_complete", "本期数据完整率 未知"),
        ("subject_id,data_ratio,red:r1\n{o},0.99,否\n", "data_complete", "本期数据完整率 未知"),
    ],
)
def test_diagnose_is_held_by_its_guards(
    invoke: Invoke,
    write: Write,
    loaded_store: str,
    majors: list[str],
    table: str,
    guard: str,
    why: str,
) -> None:
    major = majors[0]
    store = Store(loaded_store)
    for source, dest, trigger in [
        ("draft", "targeted", "set_targets"),
        ("targeted", "standardized", "set_standards"),
    ]:
        store.move_spiral(major, "five_step", source=source, dest=dest, trigger=trigger)
    assert invoke("spiral", "advance", "start", "--store", loaded_store).exit_code == 0
    inputs = write("inputs.csv", table.format(m=major, o=majors[1]))
    result = invoke(
        "spiral",
        "advance",
        "diagnose",
        "--store",
        loaded_store,
        "--inputs",
        str(inputs),
        "--subject",
        major,
        "--subject",
        majors[1],
        "--json",
    )
    report = json.loads(result.stdout)
    assert report["moved"] == 0
    assert report["illegal"] == 1  # the other major is still a draft
    assert report["failed_by_guard"] == {guard: 1}
    assert why in report["held"][0]["reason"]


def test_unknown_level_names_the_option(invoke: Invoke, loaded_store: str) -> None:
    for command in (["start"], ["advance", "start"]):
        result = invoke("spiral", *command, "--store", loaded_store, "--level", "学神")
        assert result.exit_code == 2
        assert (
            result.stderr == "zhengai: error [data.unknown_level] --level: unknown level '学神'\n"
        )
