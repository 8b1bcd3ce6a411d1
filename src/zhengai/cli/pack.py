"""``zhengai pack validate|test|show|list``: check and inspect rule packs."""

from __future__ import annotations

import json
import sys

import click

# Importing the evaluators registers their self-test checkers (alerts, scores) with packs.
import zhengai.alerts
import zhengai.scoring  # noqa: F401
from zhengai.cli.common import EXIT_CHECK_FAILED, reports_errors, tr
from zhengai.packs import builtin_packs, load_pack, self_test

__all__ = ["pack"]


@click.group()
def pack() -> None:
    """校验、自测和查看规则包 / validate, self-test and inspect rule packs."""


@pack.command("list")
@click.option("--json", "as_json", is_flag=True, help="机器可读输出 / JSON output.")
def list_packs(as_json: bool) -> None:
    """列出内置规则包 / list the built-in packs."""
    names = sorted(builtin_packs())
    if as_json:
        click.echo(json.dumps(names))
    else:
        for name in names:
            click.echo(name)


@pack.command()
@click.argument("packs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="机器可读输出 / JSON output.")
@reports_errors
def validate(packs: tuple[str, ...], as_json: bool) -> None:
    """校验规则包（路径或内置名称）/ validate packs given by path or built-in name.

    Every expression is compiled; the first problem is reported with its file,
    line and field path, and the exit code is 2.
    """
    loaded = [load_pack(name) for name in packs]
    if as_json:
        click.echo(json.dumps([p.identity.model_dump() for p in loaded], ensure_ascii=False))
        return
    for item in loaded:
        identity = item.identity
        counts = tr(
            f"（规则 {len(item.rules)} 条，指标 {len(item.catalog)} 个）",
            f"({len(item.rules)} rules, {len(item.catalog)} indicators)",
        )
        click.echo(f"ok {identity.name} {identity.version} sha256:{identity.hash[:12]} {counts}")


@pack.command("test")
@click.argument("packs", nargs=-1, required=True)
@click.option(
    "--inherited", is_flag=True, help="也运行所继承规则包的用例 / run parents' cases too."
)
@click.option("--json", "as_json", is_flag=True, help="机器可读输出 / JSON output.")
@reports_errors
def test_packs(packs: tuple[str, ...], inherited: bool, as_json: bool) -> None:
    """运行规则包自测 / run the packs' self-tests; exit 1 when a case fails."""
    reports = [self_test(name, inherited=inherited) for name in packs]
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "pack": r.pack,
                        "passed": r.passed,
                        "cases": [
                            {"name": c.name, "file": c.file, "line": c.line, "diff": list(c.diff)}
                            for c in r.results
                        ],
                    }
                    for r in reports
                ],
                ensure_ascii=False,
            )
        )
    else:
        for report in reports:
            click.echo(str(report))
    if not all(r.passed for r in reports):
        sys.exit(EXIT_CHECK_FAILED)


@pack.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="机器可读输出 / JSON output.")
@reports_errors
def show(name: str, as_json: bool) -> None:
    """打印生效的规则包（含继承与覆盖）/ print the effective pack, with provenance."""
    loaded = load_pack(name)
    if as_json:
        click.echo(json.dumps(loaded.to_dict(), ensure_ascii=False, default=str))
    else:
        click.echo(loaded.to_yaml())
