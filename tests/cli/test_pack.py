"""``zhengai pack list|validate|test|show``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from zhengai.packs import builtin_packs, load_pack

Invoke = Callable[..., Result]

MINIMAL = Path(__file__).resolve().parents[2] / "examples" / "packs" / "minimal"


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    """A copy of the minimal example pack to break."""
    return Path(shutil.copytree(MINIMAL, tmp_path / "minimal"))


def test_list(invoke: Invoke) -> None:
    result = invoke("pack", "list", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == sorted(builtin_packs())
    assert invoke("pack", "list").stdout.splitlines() == sorted(builtin_packs())


def test_validate(invoke: Invoke) -> None:
    pack = load_pack(MINIMAL)
    line = f"ok minimal {pack.version} sha256:{pack.identity.hash[:12]} "
    result = invoke("pack", "validate", str(MINIMAL))
    assert result.exit_code == 0
    assert result.stdout == line + f"（规则 {len(pack.rules)} 条，指标 {len(pack.catalog)} 个）\n"
    english = invoke("--lang", "en", "pack", "validate", str(MINIMAL))
    assert english.stdout == line + f"({len(pack.rules)} rules, {len(pack.catalog)} indicators)\n"


def test_validate_names_file_line_and_field(invoke: Invoke, pack_copy: Path) -> None:
    rules = pack_copy / "rules" / "student.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("when: 到课率 <", "when: 到课律 <", 1),
        encoding="utf-8",
    )
    result = invoke("pack", "validate", str(pack_copy))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "zhengai: error [pack.bad_expression] rules/student.yaml:5 rules[0].when: "
        "未知名称 (unknown name '到课律'), did you mean '到课率'?\n"
    )


def test_unknown_pack(invoke: Invoke) -> None:
    result = invoke("pack", "show", "no-such-pack")
    assert result.exit_code == 2
    assert result.stderr == (
        "zhengai: error [pack.not_found] unknown pack 'no-such-pack': "
        "not a folder, a built-in pack or an installed plugin\n"
    )


def test_self_test_passes(invoke: Invoke) -> None:
    result = invoke("pack", "test", str(MINIMAL), "--json")
    assert result.exit_code == 0
    (report,) = json.loads(result.stdout)
    assert report["passed"] is True
    assert len(report["cases"]) == len(load_pack(MINIMAL).tests)


def test_a_failing_case_exits_1(invoke: Invoke, pack_copy: Path) -> None:
    cases = pack_copy / "tests" / "student.yaml"
    text = cases.read_text(encoding="utf-8")
    cases.write_text(text.replace("张三 到课率 85%", "张三 到课率 80%", 1), encoding="utf-8")
    result = invoke("pack", "test", str(pack_copy))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL tests/student.yaml:2 ")
    assert lines[1] == (
        "    ~ alert low_attendance s1: message expected '张三 到课率 80%，低于 90%', "
        "got '张三 到课率 85%，低于 90%'"
    )
    assert lines[-1] == f"minimal: {len(load_pack(MINIMAL).tests) - 1} passed, 1 failed"


def test_show_prints_the_effective_pack(invoke: Invoke) -> None:
    result = invoke("pack", "show", str(MINIMAL), "--json")
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert shown["name"] == "minimal"
    assert invoke("pack", "show", str(MINIMAL)).stdout == load_pack(MINIMAL).to_yaml() + "\n"
