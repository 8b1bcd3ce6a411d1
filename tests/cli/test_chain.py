"""``zhengai chain check|show``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from zhengai.chain import GoalChain
from zhengai.data import load_observations
from zhengai.packs import load_pack

Invoke = Callable[..., Result]
Write = Callable[..., Path]

GOALS = """id,title,owner,level,start,parent,weight,indicator,target
G,总规划,SCH,school,2025-2026,,,,
P1,专业建设规划,D01,department,2025-2026,G,0.6,初次就业率,0.9
P2,课程建设规划,D01,department,2025-2026,,,到课率,0.95
K1,高等数学课程建设方案,C1,course,2025-2026,P1,1,到课率,0.9
"""


def _library(files: dict[str, Path]) -> GoalChain:
    return GoalChain.from_csv(files["goals"], files["edges"], catalog=load_pack("core").catalog)


def test_check_the_example_college_folder(invoke: Invoke, college_files: dict[str, Path]) -> None:
    chain = _library(college_files)
    findings = chain.check()
    assert all(f.severity.value != "error" for f in findings)
    result = invoke("chain", "check", str(college_files["goals"].parent))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        *map(str, findings),
        f"目标 {len(chain.goals)} 个：错误 0 项，其他发现 {len(findings)} 项",
    ]


def test_an_error_finding_exits_1(invoke: Invoke, write: Write) -> None:
    goals = write("goals.csv", GOALS)
    result = invoke("chain", "check", str(goals))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "[error] orphan: 目标 P2 (部门) 没有上级目标，上下衔接断开",
        "[warning] weights: 目标 G 的子目标权重之和为 0.6，应为 1",
        "目标 4 个：错误 1 项，其他发现 1 项",
    ]
    english = invoke("--lang", "en", "chain", "check", str(goals.parent), "--json")
    assert english.exit_code == 1
    report = json.loads(english.stdout)
    assert (report["goals"], report["errors"]) == (4, 1)
    assert [(f["code"], f["severity"], f["goals"]) for f in report["findings"]] == [
        ("orphan", "error", ["P2"]),
        ("weights", "warning", ["G", "P1"]),
    ]


def test_warnings_alone_exit_0(invoke: Invoke, write: Write) -> None:
    goals = write(
        "goals.csv",
        GOALS.replace("D01,department,2025-2026,,,到课率", "D01,department,2025-2026,G,0.4,到课率"),
    )
    result = invoke("--lang", "en", "chain", "check", str(goals))
    assert result.exit_code == 0
    assert result.stdout == "4 goals: 0 errors, 0 other findings\n"


def test_bad_cell_names_file_row_and_column(invoke: Invoke, write: Write) -> None:
    goals = write("goals.csv", GOALS.replace("G,0.6,", "G,abc,"))
    result = invoke("chain", "check", str(goals))
    assert result.exit_code == 2
    assert result.stderr == (
        f"zhengai: error [chain.bad_edge] {goals} row 3 column weight: 权重须为数值，实为 'abc'\n"
    )


def test_edge_to_an_unknown_goal(invoke: Invoke, write: Write) -> None:
    goals, edges = (
        write("goals.csv", GOALS),
        write("edges.csv", "source,target,kind,weight\nG,P9,decomposes,\n"),
    )
    result = invoke("chain", "check", str(goals), str(edges))
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"zhengai: error [chain.unknown_goal] {edges} row 2: 目标链中没有目标 'P9'\n"
    )


def test_a_gbk_file_names_the_file_and_row(invoke: Invoke, write: Write) -> None:
    goals = write("goals.csv", GOALS, encoding="gbk")
    result = invoke("--lang", "en", "chain", "check", str(goals))
    assert result.exit_code == 2
    assert result.stderr == (
        f"zhengai: error [chain.unreadable_file] {goals} row 2: not UTF-8, save it as UTF-8 CSV\n"
    )


def test_a_folder_without_goals(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("chain", "show", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"zhengai: error [chain.unreadable_file] {tmp_path}: 文件夹中没有 goals.csv 或 chain.yaml\n"
    )


def test_a_missing_path_is_a_usage_error(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("chain", "check", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"Error: Invalid value for 'SOURCE': Path '{tmp_path / 'nope.csv'}' does not exist.\n"
    )


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_show_diagrams_match_the_library(
    invoke: Invoke, college_files: dict[str, Path], fmt: str
) -> None:
    chain = _library(college_files)
    result = invoke(
        "chain", "show", str(college_files["goals"]), str(college_files["edges"]), "--format", fmt
    )
    assert result.exit_code == 0
    assert result.stdout == (chain.to_mermaid() if fmt == "mermaid" else chain.to_dot())


def test_show_a_table_with_attainment(invoke: Invoke, college_files: dict[str, Path]) -> None:
    chain = _library(college_files)
    observations = load_observations(college_files["observations"], catalog=chain.catalog)
    rollup = chain.rollup(chain.observed(observations, "2025-2026"))
    result = invoke(
        "--lang",
        "en",
        "chain",
        "show",
        str(college_files["goals"].parent),
        "--observations",
        str(college_files["observations"]),
        "--period",
        "2025-2026",
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "id\ttitle\towner\tlevel\tattainment\thealth"
    assert len(lines) == len(chain.goals) + 1
    school = rollup["G-SCH"]
    assert lines[1].split("\t")[4:] == [f"{school.attainment:.1%}", school.health.value]


def test_show_json(invoke: Invoke, write: Write) -> None:
    result = invoke("chain", "show", str(write("goals.csv", GOALS)), "--json")
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert [g["id"] for g in shown["goals"]] == ["G", "P1", "P2", "K1"]
    assert {(e["source"], e["target"]) for e in shown["edges"]} == {("G", "P1"), ("P1", "K1")}


def test_period_without_observations_is_a_usage_error(invoke: Invoke, write: Write) -> None:
    result = invoke(
        "--lang", "en", "chain", "show", str(write("goals.csv", GOALS)), "--period", "2025-2026"
    )
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: --period needs --observations\n")


def test_bad_period(invoke: Invoke, college_files: dict[str, Path]) -> None:
    result = invoke(
        "chain",
        "show",
        str(college_files["goals"].parent),
        "--observations",
        str(college_files["observations"]),
        "--period",
        "2025学年",
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "zhengai: error [data.bad_period] --period: bad period '2025学年', expected an academic "
        "year '2025-2026', a term '2025-2026-1' or a month '2025-10'\n"
    )
