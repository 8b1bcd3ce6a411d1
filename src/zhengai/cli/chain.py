"""``zhengai chain check|show``: check and draw a goal chain (目标链) from files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from zhengai.chain import Finding, GoalChain, Rollup, Severity
from zhengai.cli.common import (
    EXIT_CHECK_FAILED,
    echo_json,
    json_option,
    lang,
    parse_period,
    reports_errors,
    tr,
)
from zhengai.cli.errors import UnreadableChainFile
from zhengai.data import load_observations
from zhengai.errors import Where
from zhengai.model import IndicatorCatalog
from zhengai.packs import load_pack

__all__ = ["chain", "load_chain"]

#: The pack whose indicator catalog (directions, aggregators, sources) checks a chain.
DEFAULT_CATALOG_PACK = "core"

_YAML = (".yaml", ".yml")


@click.group()
def chain() -> None:
    """检查和展示目标链 / check and draw goal chains.

    \b
    目标链可来自 goals.csv（及 edges.csv）、含 goals: 和 edges: 的 YAML 文件，
    或存放它们的文件夹。

    A chain is read from a goals table and an edges table (goals.csv edges.csv),
    from a folder holding goals.csv (and edges.csv) or chain.yaml, or from a
    YAML file with goals: and edges: lists (see docs/chain.md).
    """


_source = click.argument("source", type=click.Path(exists=True, path_type=Path))
_edges = click.argument(
    "edges", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
_pack = click.option(
    "--pack",
    "pack_name",
    default=DEFAULT_CATALOG_PACK,
    show_default=True,
    help="指标库所在规则包 / pack whose indicator catalog to use.",
)
_observations = click.option(
    "--observations",
    "observations_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="用于计算达成度的状态数据 / state data to roll attainment up from.",
)
_period = click.option("--period", default=None, help="达成度所属期间 / period of the actuals.")
_as_of = click.option("--as-of", default=None, help="检查时点 / the date or period checked at.")


@chain.command()
@_source
@_edges
@_pack
@_observations
@_period
@_as_of
@json_option
@reports_errors
def check(
    source: Path,
    edges: Path | None,
    pack_name: str,
    observations_path: Path | None,
    period: str | None,
    as_of: str | None,
    as_json: bool,
) -> None:
    """检查目标链（上下衔接、左右呼应）/ check a goal chain; exit 1 on an error finding.

    \b
    逐行列出发现的问题（错误在前）；存在错误级问题（循环、断链、层级倒置）时退出码为 1。

    Prints one line per finding, errors first.  Warnings and notes do not change
    the exit code; a finding of severity error (a cycle, an orphan, a level
    inversion) makes it 1.
    """
    goals, catalog = _load(source, edges, pack_name)
    rollup = _rollup(goals, catalog, observations_path, period, as_of)
    findings = goals.check(as_of=as_of, rollup=rollup)
    errors = sum(f.severity is Severity.ERROR for f in findings)
    if as_json:
        echo_json(
            {
                "goals": len(goals.goals),
                "errors": errors,
                "findings": [_finding(f) for f in findings],
            }
        )
    else:
        for finding in findings:
            click.echo(str(finding))
        warnings = len(findings) - errors
        click.echo(
            tr(
                f"目标 {len(goals.goals)} 个：错误 {errors} 项，其他发现 {warnings} 项",
                f"{len(goals.goals)} goals: {errors} errors, {warnings} other findings",
            )
        )
    if errors:
        sys.exit(EXIT_CHECK_FAILED)


@chain.command()
@_source
@_edges
@_pack
@_observations
@_period
@_as_of
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot", "table"]),
    default="table",
    show_default=True,
    help="输出格式 / output format.",
)
@json_option
@reports_errors
def show(
    source: Path,
    edges: Path | None,
    pack_name: str,
    observations_path: Path | None,
    period: str | None,
    as_of: str | None,
    fmt: str,
    as_json: bool,
) -> None:
    """展示目标链（Mermaid、DOT 或表格）/ print a goal chain as Mermaid, DOT or a table.

    \b
    给出 --observations 和 --period 时显示各目标的达成度并按其着色。

    With --observations and --period the goals carry their attainment (达成度)
    and are coloured by it.
    """
    goals, catalog = _load(source, edges, pack_name)
    rollup = _rollup(goals, catalog, observations_path, period, as_of)
    if as_json:
        records, links = goals.to_records()
        if rollup is not None:
            for record in records:
                item = rollup[record["id"]]
                record["attainment"] = item.attainment
                record["health"] = item.health.value
        echo_json({"goals": records, "edges": links})
    elif fmt == "mermaid":
        click.echo(goals.to_mermaid(rollup), nl=False)
    elif fmt == "dot":
        click.echo(goals.to_dot(rollup), nl=False)
    else:
        _table(goals, rollup)


def _load(source: Path, edges: Path | None, pack_name: str) -> tuple[GoalChain, IndicatorCatalog]:
    catalog = load_pack(pack_name).catalog
    return load_chain(source, edges, catalog), catalog


def load_chain(source: Path, edges: Path | None, catalog: IndicatorCatalog) -> GoalChain:
    """A goal chain from goals/edges CSV files, a YAML file, or a folder holding them."""
    if source.is_dir():
        for name in ("chain.yaml", "chain.yml", "goals.yaml", "goals.yml"):
            if (source / name).is_file():
                return GoalChain.from_yaml(source / name, catalog=catalog)
        if not (source / "goals.csv").is_file():
            raise UnreadableChainFile(
                tr(
                    "文件夹中没有 goals.csv 或 chain.yaml",
                    "the folder has neither goals.csv nor chain.yaml",
                ),
                where=Where(file=str(source)),
            )
        found = source / "edges.csv"
        edges = edges or (found if found.is_file() else None)
        source = source / "goals.csv"
    for path in (source, edges):
        if path is not None:
            _require_utf8(path)
    if source.suffix.lower() in _YAML:
        return GoalChain.from_yaml(source, catalog=catalog)
    return GoalChain.from_csv(source, edges, catalog=catalog)


def _require_utf8(path: Path) -> None:
    """The chain readers take UTF-8 only: name the file and row, not a traceback."""
    data = path.read_bytes()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableChainFile(
            tr("不是 UTF-8 编码", "not UTF-8"),
            where=Where(file=str(path), row=data.count(b"\n", 0, error.start) + 1),
            hint=tr("请另存为 UTF-8 CSV", "save it as UTF-8 CSV"),
        ) from error


def _rollup(
    goals: GoalChain,
    catalog: IndicatorCatalog,
    observations_path: Path | None,
    period: str | None,
    as_of: str | None,
) -> Rollup | None:
    if observations_path is None:
        if period is not None:
            raise click.UsageError(
                tr("--period 需与 --observations 一起使用", "--period needs --observations")
            )
        return None
    if period is None:
        raise click.UsageError(
            tr("--observations 需与 --period 一起使用", "--observations needs --period")
        )
    actual_period = parse_period(period)
    observations = load_observations(observations_path, catalog=catalog)
    return goals.rollup(goals.observed(observations, actual_period), as_of=as_of)


def _finding(finding: Finding) -> dict[str, object]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "goals": list(finding.goals),
        "indicator": finding.indicator,
        "message": finding.message,
    }


def _table(goals: GoalChain, rollup: Rollup | None) -> None:
    english = lang() == "en"
    head = ["id", "title", "owner", "level"] if english else ["编号", "目标", "责任主体", "层面"]
    if rollup is not None:
        head += ["attainment", "health"] if english else ["达成度", "健康"]
    rows = [head]
    for goal in goals.goals:
        row = [goal.id, goal.title, goal.owner, goal.level.value if english else goal.level.label]
        if rollup is not None:
            item = rollup[goal.id]
            row.append("—" if item.attainment is None else f"{item.attainment:.1%}")
            row.append(item.health.value if english else item.health.label)
        rows.append(row)
    for row in rows:
        click.echo("\t".join(row))
