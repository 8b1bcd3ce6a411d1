"""``zhengai demo``: the bundled example college, end to end, on an SQLite file.

It generates the example college, stores its subjects and state data in an
SQLite store in a working folder, runs the default pack for the latest term and
the latest academic year (alerts with their lifecycle, data gaps, the teaching
ranking, the goal chain's attainment), puts the majors on the five-step spiral
and advances them as far as their guards allow, prints a concise summary, and writes the
school's 质量年度报告 and one teacher's 自我诊改报告 in every report format.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhengai.chain import GoalChain
from zhengai.cli.common import reports_errors
from zhengai.data import Observations, Subjects
from zhengai.engine import RunResult, run
from zhengai.engine.spirals import guard_inputs
from zhengai.examples import SIZES, College, college
from zhengai.model import Level
from zhengai.packs import Pack, load_pack
from zhengai.reports import ReportData, write_all
from zhengai.spiral import Spiral, SpiralStates
from zhengai.spiral.persist import StoredSpiral
from zhengai.spiral.shipped import shipped_loop
from zhengai.store import Store

__all__ = ["DEFAULT_PACK", "SPIRAL_STEPS", "demo"]

#: The pack the demo runs: 娄底 diagnosis-point rules + 学业预警 + 常州 teaching ranking.
DEFAULT_PACK = "example-college"
#: The triggers the demo tries, in order, on the majors' five-step loop.
SPIRAL_STEPS = ("set_targets", "set_standards", "start", "diagnose")


@click.command()
@click.option("--out", default="zhengai-demo", show_default=True, type=click.Path(path_type=Path))
@click.option("--size", default="medium", show_default=True, type=click.Choice(list(SIZES)))
@click.option("--seed", default=0, show_default=True, help="示例学院的随机种子 / generator seed.")
@click.option("--pack", "pack_name", default=DEFAULT_PACK, show_default=True, help="规则包 / pack.")
@reports_errors
def demo(out: Path, size: str, seed: int, pack_name: str) -> None:
    """在示例学院上端到端运行一次诊断 / run the example college end to end."""
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    db = out / "zhengai.db"
    started = time.perf_counter()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:

        def step(text: str) -> None:
            progress.add_task(text, total=None)

        step("生成示例学院 / generating the example college")
        example = college(seed=seed, size=size)  # type: ignore[arg-type]
        step("写入状态数据 / storing subjects and state data")
        store = Store(f"sqlite:///{db}")
        store.upgrade()
        store.add_indicators(example.catalog)
        store.add_subjects(example.subjects)
        ingested = store.ingest(example.observations)
        pack = load_pack(pack_name)
        chain = GoalChain.from_records(example.goals, example.edges, catalog=example.catalog)
        term, year = example.periods.latest_term, example.periods.latest_year
        # The period before each is run first, so the alert lifecycle (new, ongoing,
        # escalated, resolved) continues from a stored run as it would in production.
        step(f"诊断 {term.prev()} 与 {term} / diagnosing the last two terms")
        prior_run = run(pack, store, term.prev())
        term_run = run(pack, store, term, chain=chain, chain_period=year)
        step(f"诊断 {year.prev()} 与 {year} / diagnosing the last two years")
        run(pack, store, year.prev())
        year_run = run(pack, store, year)
        step("推进诊改螺旋 / advancing the majors' spirals")
        # Majors run their spiral per 学年 (004 §四(五)1), so the year's run feeds the guards.
        spirals, blocked = _advance_spirals(store, pack, example, chain, year_run)
        step("撰写报告 / writing the reports")
        # The self-diagnosis report follows the teacher planted at the bottom of the ranking.
        teacher = example.planted_of("low_evaluation")[0].subject_ids[0]
        data = ReportData.from_run(
            term_run,
            pack=pack,
            school=example.name,
            subjects=example.subjects,
            observations=example.observations,
            history=[prior_run.alerts],
        )
        reports = write_all(data, out / "reports", subject=teacher)

    console.print(f"示例学院 {example!r}")
    console.print(
        f"状态数据 / state data: {ingested.added} 条新增（共提交 {ingested.submitted} 条）"
    )
    for result in (term_run, year_run):
        _print_alerts(console, pack, result)
    _print_bands(console, term_run)
    _print_chain(console, chain, term_run, str(year))
    _print_spirals(console, spirals, blocked)
    console.print(f"报告 / reports ({teacher} 自我诊改报告, 学校质量年度报告):")
    for key, path in sorted(reports.items()):
        console.print(f"  {key:12} {path}")
    console.print(f"存储 / store: {db}   用时 / took {time.perf_counter() - started:.1f} s")


def _advance_spirals(
    store: Store, pack: Pack, example: College, chain: GoalChain, result: RunResult
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Put the majors on the five-step loop and advance them as far as the guards allow."""
    stored = StoredSpiral(Spiral(shipped_loop("five_step")), store)
    if not store.spiral_states(stored.loop):
        stored.start(level=Level.MAJOR.value, who="质管办")
    subjects = Subjects.from_subjects(example.subjects)
    observations: Observations = example.observations

    def inputs(states: SpiralStates) -> object:
        return guard_inputs(
            [str(s) for s in states.subject_ids],
            pack=pack,
            subjects=subjects,
            observations=observations,
            period=result.period,
            alerts=result.alerts,
            chain=chain,
        )

    blocked: dict[str, dict[str, int]] = {}
    for trigger in SPIRAL_STEPS:
        moved = stored.advance(
            trigger,
            inputs,  # type: ignore[arg-type]
            who="质管办",
            reason=f"{result.period} 诊断运行",
        )
        failed = {
            guard: len(rows) for guard, rows in moved.result.failed_by_guard.items() if len(rows)
        }
        if failed:
            blocked[trigger] = failed
    return store.state_counts(stored.loop), blocked


def _print_alerts(console: Console, pack: Pack, result: RunResult) -> None:
    records = result.alerts.to_records()
    table = Table(title=f"{result.period} 预警 / alerts — {pack.name} {pack.version}")
    table.add_column("严重度 severity")
    table.add_column("责任部门 owner")
    table.add_column("数量 count", justify="right")
    counts = Counter((r["severity"], r["owner"] or "—") for r in records)
    order = {s.id: i for i, s in enumerate(pack.severities)}
    for (severity, owner), n in sorted(
        counts.items(), key=lambda kv: (order.get(kv[0][0], 99), -kv[1], kv[0][1])
    )[:12]:
        table.add_row(str(severity), str(owner), str(n))
    console.print(table)
    status = Counter(str(r["status"]) for r in records)
    console.print(
        "  状态 / lifecycle: "
        + ", ".join(f"{k} {v}" for k, v in sorted(status.items()))
        + f"; 数据缺失 / data gaps: {result.alerts.count_gaps()}"
    )


def _print_bands(console: Console, result: RunResult) -> None:
    for scorecard, scores in result.scores.items():
        records = scores.records()
        for band in ("奖励", "问责"):
            ids = [r["subject_id"] for r in records if r["band"] == band]
            shown = ", ".join(str(i) for i in ids[:8]) + (" …" if len(ids) > 8 else "")
            console.print(f"  {scorecard} {band}: {len(ids)} — {shown}")


def _print_chain(console: Console, chain: GoalChain, result: RunResult, year: str) -> None:
    table = Table(title=f"{year} 学校规划达成度 / attainment of the school's plans")
    table.add_column("目标 goal")
    table.add_column("达成度 attainment", justify="right")
    table.add_column("健康 health")
    rollup = result.rollup
    assert rollup is not None
    roots = [g.id for g in chain.goals if not chain.parents(g.id)]
    for root in roots:
        for goal_id in [root, *chain.children(root)]:
            item = rollup[goal_id]
            value = "—" if item.attainment is None else f"{item.attainment:.1%}"
            table.add_row(chain.goal(goal_id).title, value, str(item.health))
    console.print(table)
    codes = Counter(f.code for f in result.findings)
    console.print(
        "  目标链检查 / chain findings: " + (", ".join(f"{k} {v}" for k, v in codes.items()) or "0")
    )


def _print_spirals(
    console: Console, counts: dict[str, int], blocked: dict[str, dict[str, int]]
) -> None:
    console.print(
        "专业诊改螺旋 / majors on the five-step spiral: "
        + ", ".join(f"{state} {n}" for state, n in sorted(counts.items()))
    )
    for trigger, guards in blocked.items():
        reasons = ", ".join(f"{guard} {n}" for guard, n in guards.items())
        console.print(f"  {trigger} 未通过的守卫 / held by guards: {reasons}")
