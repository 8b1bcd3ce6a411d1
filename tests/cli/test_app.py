"""The command group: help in both languages, version, --lang, usage errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from zhengai import __version__
from zhengai.cli import main
from zhengai.store import Store

Invoke = Callable[..., Result]

COMMANDS = ["chain", "db", "demo", "import", "pack", "report", "run", "spiral"]


def test_help_lists_every_command_in_chinese_and_english(invoke: Invoke) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "高职院校内部质量保证体系诊断与改进引擎" in result.stdout
    assert "Diagnosis-and-improvement engine" in result.stdout
    for name in COMMANDS:
        assert f"\n  {name} " in result.stdout


@pytest.mark.parametrize(
    ("args", "chinese", "english"),
    [
        (["db", "upgrade"], "创建或升级数据库结构", "create or upgrade the schema"),
        (["import"], "导入诊改主体和状态数据", "import subjects and state data"),
        (["chain", "check"], "检查目标链", "check a goal chain"),
        (["chain", "show"], "展示目标链", "print a goal chain"),
        (["spiral", "start"], "把主体纳入诊改循环", "put subjects on a loop"),
        (["spiral", "status"], "各状态的主体数", "how many subjects"),
        (["spiral", "advance"], "以一个触发事件推进一批主体", "move a population"),
        (["pack", "validate"], "校验规则包", "validate packs"),
        (["run"], "运行一次诊断", "run one diagnosis"),
        (["report"], "生成质量年度报告和自我诊改报告", "write the annual and self-diagnosis"),
    ],
)
def test_every_command_has_bilingual_help(
    invoke: Invoke, args: list[str], chinese: str, english: str
) -> None:
    result = invoke(*args, "--help")
    assert result.exit_code == 0
    assert chinese in result.stdout
    assert english in result.stdout


def test_version(invoke: Invoke) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"zhengai, version {__version__}\n"


def test_unknown_command_is_a_usage_error_with_exit_2(invoke: Invoke) -> None:
    result = invoke("rn")
    assert result.exit_code == 2
    assert result.stderr == (
        "Usage: zhengai [OPTIONS] COMMAND [ARGS]...\n"
        "Try 'zhengai --help' for help.\n\n"
        "Error: No such command 'rn'. Did you mean 'run'?\n"
    )


def test_unknown_language_is_refused_with_exit_2(invoke: Invoke) -> None:
    result = invoke("--lang", "fr", "db", "upgrade", "x.db")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for '--lang': 'fr' is not one of 'zh', 'en'.\n"
    )


def test_language_comes_from_the_environment(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("ZHENGAI_LANG", "en")
    result = invoke("db", "upgrade", f"sqlite:///{tmp_path}/a.db")
    assert result.exit_code == 0
    assert result.stdout == f"schema upgraded: (empty) -> {Store.head_revision()}\n"


def test_docs_cover_every_command() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        subcommands = getattr(command, "commands", {})
        for sub in subcommands or [""]:
            usage = f"zhengai {name} {sub}".strip()
            assert usage in page, f"docs/cli.md does not show `{usage}`"


@pytest.mark.parametrize(
    ("args", "chinese"),
    [
        (["import"], "先完整检查两个文件"),
        (["run"], "延续上一期的预警状态"),
        (["spiral", "advance"], "守卫输入来自 --inputs 表"),
        (["chain", "check"], "存在错误级问题（循环、断链、层级倒置）时退出码为 1"),
    ],
)
def test_help_explains_in_chinese_too(invoke: Invoke, args: list[str], chinese: str) -> None:
    assert chinese in invoke(*args, "--help").stdout
