"""``zhengai run`` (DESIGN.md §5) and ``zhengai report``: one diagnosis, and its reports."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
import numpy as np

from zhengai.alerts import Backend
from zhengai.chain import GoalChain
from zhengai.cli.chain import load_chain
from zhengai.cli.common import (
    data_file_options,
    echo_json,
    json_option,
    lang,
    open_store,
    parse_period,
    reports_errors,
    tr,
)
from zhengai.cli.data import import_files, store_catalog
from zhengai.cli.demo import DEFAULT_PACK
from zhengai.data import Observations, Subjects, load_observations, load_subjects
from zhengai.engine import RunResult, previous_alerts
from zhengai.engine import run as run_diagnosis
from zhengai.errors import Where, did_you_mean
from zhengai.model import Period
from zhengai.model.loop import LoopDefinition
from zhengai.packs import Pack, load_pack
from zhengai.reports import FORMATS, ReportData, UnknownReportSubject, write_all
from zhengai.spiral import AuditRecord, Spiral, SpiralStates, StoredSpiral
from zhengai.store import Store

__all__ = ["report", "run"]

_chain = click.option(
    "--chain",
    "chain_path",
    type=click.Path(exists=True, path_type=Path),
    help="目标链（goals.csv 所在文件夹或文件）/ goal chain folder or file.",
)
_chain_period = click.option(
    "--chain-period", default=None, help="目标链达成度期间 / period of the chain's actuals."
)
_school = click.option("--school", default="default", show_default=True, help="学校 / school id.")


@click.command()
@click.argument("pack_name", metavar="PACK")
@data_file_options
@click.option("--period", required=True, help="诊断期间 / period, e.g. 2025-2026-1.")
@click.option("--store", "url", default=None, help="数据库 URL 或 SQLite 文件 / store.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="结果 JSON 文件 / write the result as JSON here.",
)
@click.option(
    "--backend",
    type=click.Choice(["columns", "row", "sql"]),
    default="columns",
    show_default=True,
    help="求值后端 / evaluation backend.",
)
@_chain
@_chain_period
@_school
@json_option
@reports_errors
def run(
    pack_name: str,
    subjects_path: Path | None,
    observations_path: Path | None,
    period: str,
    url: str | None,
    out: Path | None,
    backend: Backend,
    chain_path: Path | None,
    chain_period: str | None,
    school: str,
    as_json: bool,
) -> None:
    """运行一次诊断 / run one diagnosis of PACK for a period.

    \b
    不用 --store 时从文件读取主体和状态数据，不存储；用 --store 时先导入给出的文件，
    再从数据库运行、延续上一期的预警状态，并存储本次运行。结果 JSON 含
    alerts、gaps、scores、spirals。

    Without --store the subjects and state data come from the files and nothing
    is stored.  With --store the files (when given) are imported first, then the
    run reads the store, continues the alert lifecycle from the stored run of the
    period before, and is stored with its alerts, gaps and scores.  The result
    JSON has alerts, gaps, scores and spirals (DESIGN.md §5).
    """
    if url is None and (subjects_path is None or observations_path is None):
        raise click.UsageError(
            tr(
                "不用 --store 时须同时给出 --subjects 和 --observations",
                "without --store, give both --subjects and --observations",
            )
        )
    target = parse_period(period)
    chain_at = None if chain_period is None else parse_period(chain_period, "--chain-period")
    pack = load_pack(pack_name)
    chain = None if chain_path is None else load_chain(chain_path, None, pack.catalog)
    result: RunResult
    if url is None:
        assert subjects_path is not None
        assert observations_path is not None
        subjects = load_subjects(subjects_path)
        observations = load_observations(observations_path, catalog=pack.catalog, subjects=subjects)
        result = run_diagnosis(
            pack,
            (subjects, observations),
            target,
            backend=backend,
            chain=chain,
            chain_period=chain_at,
        )
    else:
        store = open_store(url, school)
        if subjects_path is not None or observations_path is not None:
            catalog = store_catalog(store, pack_name)
            import_files(store, catalog, subjects_path, observations_path)
        result = run_diagnosis(
            pack, store, target, backend=backend, chain=chain, chain_period=chain_at
        )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.to_json(), encoding="utf-8")
    if as_json:
        click.echo(result.to_json(indent=None))
        return
    _summary(result, pack, out)


def _summary(result: RunResult, pack: Pack, out: Path | None) -> None:
    counts = result.counts()
    severities = Counter(a.severity for a in result.alerts.alerts)
    by_severity = (
        "，".join(f"{s.id} {severities[s.id]}" for s in pack.severities if severities[s.id]) or "—"
    )
    click.echo(
        tr(
            f"{result.pack.name} {result.pack.version} 诊断 {result.period}："
            f"预警 {counts['alerts']} 条（{by_severity}），数据缺失 {counts['gaps']} 条，"
            f"评分 {counts['scores']} 个，螺旋 {counts['spirals']} 个",
            f"{result.pack.name} {result.pack.version} for {result.period}: "
            f"{counts['alerts']} alerts ({by_severity.replace('，', ', ')}), "
            f"{counts['gaps']} data gaps, {counts['scores']} scores, {counts['spirals']} spirals",
        )
    )
    if result.findings:
        click.echo(
            tr(f"目标链发现 {counts['findings']} 项", f"{counts['findings']} chain findings")
        )
    if result.run_id is not None:
        click.echo(tr(f"已存储为运行 #{result.run_id}", f"stored as run #{result.run_id}"))
    if out is not None:
        click.echo(tr(f"结果已写入 {out}", f"result written to {out}"))


@click.command()
@click.option("--store", "url", required=True, help="数据库 URL 或 SQLite 文件 / store.")
@click.option("--period", required=True, help="诊断期间 / period, e.g. 2025-2026-1.")
@click.option(
    "--format",
    "formats",
    type=click.Choice(list(FORMATS)),
    multiple=True,
    default=("html",),
    show_default=True,
    help="报告格式，可重复 / report format (repeat for several).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="输出文件夹 / output folder.",
)
@click.option(
    "--pack",
    "pack_name",
    default=DEFAULT_PACK,
    show_default=True,
    help="规则包 / pack to diagnose with.",
)
@click.option("--subject", default=None, help="自我诊改报告的主体 / subject of a self report.")
@click.option("--scope", default=None, help="年度报告范围（默认学校）/ annual report scope.")
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="学校自定义模板 / folder of templates overriding the built-in ones.",
)
@_chain
@_chain_period
@_school
@json_option
@reports_errors
def report(
    url: str,
    period: str,
    formats: tuple[str, ...],
    out: Path,
    pack_name: str,
    subject: str | None,
    scope: str | None,
    templates: Path | None,
    chain_path: Path | None,
    chain_period: str | None,
    school: str,
    as_json: bool,
) -> None:
    """生成质量年度报告和自我诊改报告 / write the annual and self-diagnosis reports.

    \b
    在内存中对数据库中的数据做本期诊断（不写入数据库），按每个 --format 写出
    --scope（默认全校）的质量年度报告，以及 --subject 的自我诊改报告。

    The store's data are diagnosed for the period in memory (nothing is written
    to the store); the 质量年度报告 of --scope (default: the school) and, with
    --subject, that subject's 自我诊改报告 are written into --out in every
    --format (md, html, docx, xlsx, json).
    """
    target = parse_period(period)
    chain_at = None if chain_period is None else parse_period(chain_period, "--chain-period")
    pack = load_pack(pack_name)
    chain = None if chain_path is None else load_chain(chain_path, None, pack.catalog)
    store = open_store(url, school)
    subjects = Subjects.from_subjects(store.subjects())
    for option, wanted in (("--subject", subject), ("--scope", scope)):
        # Checked before the diagnosis runs, so a typo fails at once.
        if wanted is not None and wanted not in subjects:
            raise UnknownReportSubject(
                f"unknown subject {wanted!r} for the report",
                where=Where(field=option),
                hint=did_you_mean(wanted, subjects.ids.tolist()),
            )
    data = _report_data(store, subjects, pack, target, chain, chain_at)
    paths = write_all(
        data, out, subject=subject, scope=scope, formats=tuple(formats), templates=templates
    )
    if as_json:
        echo_json({key: str(path) for key, path in paths.items()})
        return
    for key, path in paths.items():
        kind = key.split(".")[0]
        label = {"annual": "质量年度报告", "self": "自我诊改报告"}[kind] if lang() == "zh" else kind
        click.echo(f"{label}\t{path}")


def _report_data(
    store: Store,
    subjects: Subjects,
    pack: Pack,
    period: Period,
    chain: GoalChain | None,
    chain_at: Period | None,
) -> ReportData:
    """Everything the reports show, diagnosed from the store without writing to it."""
    read = store.observations()  # every period: the reports draw trends
    observations = Observations(
        read.subject_id, read.indicator, read.period, read.value, read.source, read.recorded_at
    )
    previous = previous_alerts(store, pack, period)
    result = run_diagnosis(
        pack,
        (subjects, observations),
        period,
        previous=previous,
        chain=chain,
        chain_period=chain_at,
    )
    spiral, states, history = _spiral_view(store, pack)
    schools = np.flatnonzero(subjects.levels == "school")
    return ReportData(
        school=str(subjects.names[schools[0]]) if len(schools) else store.school,
        period=period,
        pack=pack,
        subjects=subjects,
        observations=observations,
        alerts=result.alerts,
        scores=tuple(result.scores.values()),
        chain=result.chain,
        rollup=result.rollup,
        findings=tuple(result.findings),
        spiral=spiral,
        spiral_states=states,
        spiral_history=history,
        history=() if previous is None else (previous,),
    )


def _spiral_view(
    store: Store, pack: Pack
) -> tuple[Spiral | None, SpiralStates | None, list[AuditRecord]]:
    """The pack's main loop (five_step when it has it) with its stored states and trail."""
    loops: dict[str, LoopDefinition] = dict(pack.sections.get("loops", {}))
    if not loops:
        return None, None, []
    loop_id = "five_step" if "five_step" in loops else sorted(loops)[0]
    spiral = Spiral(loops[loop_id], catalog=pack.catalog)
    stored = StoredSpiral(spiral, store)
    states = stored.load()
    if not len(states):
        return None, None, []
    return spiral, states, stored.history()
