"""``zhengai demo``: the bundled example college, end to end, on an SQLite file.

It generates the example college, stores its subjects and state data in an
SQLite store in a working folder, evaluates the warning rules of the default
pack for the latest term (with the term before it for the alert lifecycle),
rolls up the goal chain for the latest year, and prints a concise summary.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from zhengai.alerts import AlertSet, evaluate
from zhengai.chain import GoalChain
from zhengai.chain.observations import actuals_from_observations
from zhengai.cli.common import reports_errors
from zhengai.data import Observations
from zhengai.examples import SIZES, college
from zhengai.model import Level
from zhengai.packs import Pack, builtin_packs, load_pack
from zhengai.store import Store

__all__ = ["DEFAULT_PACK", "demo"]

#: The pack the demo runs when none is named: the common 学业预警 ladder plus the core catalog.
DEFAULT_PACK = "academic-warning"


def _default_pack() -> Pack:
    # The built-in packs arrive pack by pack; until the default one is shipped the demo
    # falls back to the complete small example pack of docs/packs.md.
    if DEFAULT_PACK in builtin_packs():
        return load_pack(DEFAULT_PACK)
    return load_pack(Path(__file__).resolve().parents[3] / "examples" / "packs" / "minimal")


@click.command()
@click.option("--out", default="zhengai-demo", show_default=True, type=click.Path(path_type=Path))
@click.option("--size", default="medium", show_default=True, type=click.Choice(list(SIZES)))
@click.option("--seed", default=0, show_default=True, help="示例学院的随机种子 / generator seed.")
@click.option("--pack", "pack_name", default=None, help="规则包 / pack name or path.")
@reports_errors
def demo(out: Path, size: str, seed: int, pack_name: str | None) -> None:
    """在示例学院上端到端运行一次诊断 / run the example college end to end."""
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with console.status("生成示例学院 / generating the example college…"):
        example = college(seed=seed, size=size)  # type: ignore[arg-type]
    console.print(f"示例学院 {example!r}")

    store = Store(f"sqlite:///{out / 'zhengai.db'}")
    with console.status("写入状态数据 / storing the state data…"):
        store.upgrade()
        store.add_indicators(example.catalog)
        store.add_subjects(example.subjects)
        ingested = store.ingest(example.observations)
    console.print(f"状态数据入库 {ingested}")

    pack = load_pack(pack_name) if pack_name else _default_pack()
    term, prior = example.periods.terms[-1], example.periods.terms[-2]
    with console.status(f"评估预警规则 {pack.name} / evaluating {len(pack.rules)} rules…"):
        read = store.observations(period=[str(p) for p in example.periods.terms])
        stored = Observations(read.subject_id, read.indicator, read.period, read.value)
        subjects = store.subjects()
        previous = evaluate(pack, subjects, stored, prior)
        alerts = evaluate(pack, subjects, stored, term, previous=previous)
    _print_alerts(console, pack, alerts, str(term))

    year = example.periods.years[-1]
    chain = GoalChain.from_records(example.goals, example.edges, catalog=example.catalog)
    rollup = chain.rollup(actuals_from_observations(chain, example.observations, year))
    findings = chain.check(rollup=rollup)
    _print_chain(console, chain, rollup, len(findings), str(year))
    console.print(f"存储 / store: {out / 'zhengai.db'}  用时 {time.perf_counter() - started:.1f} s")


def _print_alerts(console: Console, pack: Pack, alerts: AlertSet, term: str) -> None:
    records = alerts.to_records()
    table = Table(title=f"{term} 预警 / alerts ({pack.name} {pack.version})")
    table.add_column("严重度 severity")
    table.add_column("责任部门 owner")
    table.add_column("数量 count", justify="right")
    counts = Counter((r["severity"], r["owner"] or "—") for r in records)
    order = {s.id: i for i, s in enumerate(pack.severities)}
    for (severity, owner), n in sorted(
        counts.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])
    ):
        table.add_row(str(severity), str(owner), str(n))
    console.print(table)
    status = Counter(r["status"] for r in records)
    console.print(
        "状态 / lifecycle: "
        + ", ".join(f"{k} {v}" for k, v in sorted(status.items()))
        + f"; 数据缺失 / data gaps: {len(alerts.gap_records())}"
    )


def _print_chain(
    console: Console, chain: GoalChain, rollup: object, findings: int, year: str
) -> None:
    table = Table(title=f"{year} 学校规划达成度 / attainment of the school's plans")
    table.add_column("目标 goal")
    table.add_column("达成度 attainment", justify="right")
    table.add_column("健康 health")
    roots = [g for g in chain.goals if not chain.parents(g.id) and g.level == Level.SCHOOL]
    for root in roots:
        for goal_id in [root.id, *chain.children(root.id)]:
            item = rollup[goal_id]  # type: ignore[index]
            value = "—" if item.attainment is None else f"{item.attainment:.1%}"
            table.add_row(chain.goal(goal_id).title, value, str(item.health))
    console.print(table)
    console.print(f"目标链检查 / chain check findings: {findings}")
