"""Pieces both reports share: formatting, the subject, trends, goals, scores, findings.

Names starting with ``_`` are internal to ``zhengai.reports``; ``selfreport`` and
``annual`` assemble them into the two reports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.errors import did_you_mean
from zhengai.model import Level, Period, PeriodKind
from zhengai.reports import charts
from zhengai.reports.data import ReportData
from zhengai.reports.document import Cell, Chart, Section, Table
from zhengai.reports.errors import UnknownReportSubject
from zhengai.scoring import ScoreSet, UnknownBandOrScore

__all__ = ["LIST_LIMIT", "TOP_N"]

#: How many subjects the top and bottom lists of an annual report show.
TOP_N = 10
#: How many rows of a detail list (alerts, findings) a readable document shows; Excel and
#: JSON hold them all.
LIST_LIMIT = 30
# The goal-chain chart stays readable up to about this many boxes.
_CHAIN_NODES = 36
_RATE_UNITS = {"比率", "%", "ratio"}


def _pct(value: float | None) -> Cell:
    if value is None or value != value:
        return None
    return f"{value:.1%}"


def _num(value: Any) -> Cell:
    if value is None:
        return None
    number = float(value)
    return None if number != number else round(number, 2)


def _numbered(sections: Sequence[Section | None]) -> list[Section]:
    """The sections present, titled 一、二、三… in order."""
    kept = [s for s in sections if s is not None]
    numerals = "一二三四五六七八九十"
    for i, section in enumerate(kept):
        section.title = f"{numerals[i] if i < len(numerals) else i + 1}、{section.title}"
    return kept


# -- the subject behind a report ----------------------------------------------------------


def _check_subject(data: ReportData, subject_id: str) -> None:
    table = data.table
    if table is not None and subject_id not in table:
        raise UnknownReportSubject(
            f"unknown subject {subject_id!r} for the report",
            hint=did_you_mean(subject_id, table.ids.tolist()),
        )


def _level_of(data: ReportData, subject_id: str) -> Level | None:
    table = data.table
    if table is None or subject_id not in table:
        return None
    return Level.parse(str(table.levels[table.position(subject_id)]))


def _meta(data: ReportData, **extra: str) -> dict[str, str]:
    meta: dict[str, str] = {}
    if data.school:
        meta["学校"] = data.school
    period = data.the_period
    if period is not None:
        meta["诊改周期"] = str(period)
    ident = data.identity
    if ident is not None:
        title = data.rules_pack.title if data.rules_pack is not None else ""
        meta["规则包"] = f"{title or ident.name}（{ident.name} {ident.version}）"
        meta["规则包摘要"] = ident.hash[:12]
    meta.update(extra)
    return meta


# -- trends from the state data -------------------------------------------------------------


def _before(period: Period, until: Period | None) -> bool:
    # A year counts once the diagnosis period falls inside it (its data may be provisional).
    return until is None or period.start_index() <= until.end_index()


def _series(
    data: ReportData, subject_id: str
) -> tuple[list[Period], dict[str, dict[Period, float | None]]]:
    obs = data.observations
    if obs is None:
        return [], {}
    rows = np.flatnonzero(obs.subject_id == subject_id)
    until = data.the_period
    out: dict[str, dict[Period, float | None]] = {}
    periods: set[Period] = set()
    for ind, per, val in zip(
        obs.indicator[rows].tolist(),
        obs.period[rows].tolist(),
        obs.value[rows].tolist(),
        strict=True,
    ):
        p = Period.parse(per)
        if not _before(p, until):
            continue
        out.setdefault(str(ind), {})[p] = None if val != val else float(val)
        periods.add(p)
    return sorted(periods, key=lambda p: (p.start_index(), p.kind.value)), out


def _trend_section(data: ReportData, subject_id: str, key: str, title: str) -> Section | None:
    periods, series = _series(data, subject_id)
    if not series:
        return None
    section = Section(key, title)
    by_kind: dict[PeriodKind, list[Period]] = {}
    for p in periods:
        by_kind.setdefault(p.kind, []).append(p)
    for kind, kind_periods in by_kind.items():
        names = [i for i in series if any(p in series[i] for p in kind_periods)]
        if not names:
            continue
        label = {"year": "学年", "term": "学期", "month": "月"}.get(kind.value, kind.value)
        rows: list[list[Cell]] = []
        for ind in names:
            unit = data.indicator_unit(ind)
            values = [series[ind].get(p) for p in kind_periods]
            shown = [_pct(v) if unit in _RATE_UNITS else _num(v) for v in values]
            rows.append([data.indicator_name(ind), unit or "—", *shown])
        section.tables.append(
            Table(
                f"trend_{kind.value}",
                f"按{label}的指标值",
                ["指标", "单位", *(str(p) for p in kind_periods)],
                rows,
                note="— 表示数据缺失（不是 0）",
            )
        )
        rates = {
            data.indicator_name(i): [series[i].get(p) for p in kind_periods]
            for i in names
            if data.indicator_unit(i) in _RATE_UNITS
        }
        if len(kind_periods) >= 2 and rates:
            ticks = [str(p) for p in kind_periods]
            section.charts.append(
                Chart(
                    f"trend_{kind.value}",
                    f"比率类指标按{label}的趋势",
                    partial(charts.trend_chart, ticks, rates, percent=True),
                )
            )
    return section


# -- goals ------------------------------------------------------------------------------------


def _goal_rows(data: ReportData, goal_ids: Sequence[str]) -> list[list[Cell]]:
    chain, rollup = data.chain, data.rollup
    assert chain is not None
    rows: list[list[Cell]] = []
    for gid in goal_ids:
        goal = chain.goal(gid)
        cycle = "—" if goal.start is None else f"{goal.start}–{goal.period_end}"
        if rollup is None:
            rows.append(
                [goal.title or gid, data.name_of(goal.owner), cycle, None, None, None, None]
            )
            continue
        item = rollup[gid]
        rows.append(
            [
                goal.title or gid,
                data.name_of(goal.owner),
                cycle,
                _pct(item.attainment),
                _pct(item.coverage),
                item.health.label,
                "、".join(data.indicator_name(m) for m in item.missing) or None,
            ]
        )
    return rows


_GOAL_COLUMNS = ["目标", "责任主体", "周期", "达成度", "数据覆盖", "进展", "缺失指标"]


def _indicator_rows(data: ReportData, goal_ids: Sequence[str]) -> list[list[Cell]]:
    chain, rollup = data.chain, data.rollup
    assert chain is not None
    rows: list[list[Cell]] = []
    for gid in goal_ids:
        goal = chain.goal(gid)
        actual: dict[str, float] = {}
        reached: dict[str, float] = {}
        if rollup is not None:
            c = rollup.compiled
            i = c.index[gid]
            for s in range(int(c.slot_start[i]), int(c.slot_stop[i])):
                ind = c.indicator_ids[int(c.slot_indicator[s])]
                actual[ind] = float(rollup.slot_actual[s])
                reached[ind] = float(rollup.slot_attainment[s])
        for gi in goal.indicators:
            unit = data.indicator_unit(gi.indicator)
            fmt = _pct if unit in _RATE_UNITS else _num
            rows.append(
                [
                    goal.title or gid,
                    data.indicator_name(gi.indicator),
                    fmt(gi.baseline),
                    fmt(gi.target),
                    fmt(actual.get(gi.indicator)),
                    _pct(reached.get(gi.indicator)),
                ]
            )
    return rows


def _chain_chart(data: ReportData, goal_ids: Iterable[str], title: str) -> Chart | None:
    chain, rollup = data.chain, data.rollup
    if chain is None:
        return None
    keep = list(dict.fromkeys(goal_ids))[:_CHAIN_NODES]
    if not keep:
        return None
    kept = set(keep)
    nodes = [
        (gid, chain.goal(gid).title or gid, None if rollup is None else rollup.get(gid))
        for gid in keep
    ]
    edges = [
        (a, b, str(d["kind"]) == "supports")
        for a, b, d in chain.graph.edges(data=True)
        if a in kept and b in kept
    ]
    return Chart("chain", title, lambda: charts.chain_chart(nodes, edges))


def _neighbourhood(data: ReportData, own: Sequence[str]) -> list[str]:
    chain = data.chain
    assert chain is not None
    out: list[str] = []
    for gid in own:
        out.extend(chain.parents(gid))
    out.extend(own)
    for gid in own:
        out.extend(chain.children(gid))
    return out


# -- scores ------------------------------------------------------------------------------------


def _peers(scores: ScoreSet, i: int) -> NDArray[np.bool_]:
    if scores.partition is None:
        return np.ones(len(scores), dtype=bool)
    keys = np.asarray(scores.partition, dtype=object)
    return np.asarray(keys == keys[i], dtype=bool)


def _score_section(data: ReportData, subject_id: str) -> Section | None:
    section = Section("scores", "考核性诊断得分")
    for scores in data.scores:
        if subject_id not in set(scores.subject_ids.tolist()):
            continue
        card = scores.plan.scorecard
        i = scores.index(subject_id)
        peers = _peers(scores, i)
        scored = int((peers & ~np.isnan(scores.total)).sum())
        rank = scores.rank[i]
        total = float(scores.total[i])
        head = (
            f"{card.name}：得分 {_num(total) if total == total else '缺失'}"
            f"，名次 {'—' if rank != rank else int(rank)}/{scored}"
        )
        if scores.grade[i] is not None:
            head += f"，等级 {scores.grade[i]}"
        if scores.band[i] is not None:
            head += f"，{scores.band[i]}"
        if bool(scores.partial[i]):
            head += "（部分数据缺失，按剩余权重计分）"
        section.paragraphs.append(head + "。")
        explanation = scores.explain(subject_id)
        section.tables.append(
            Table(
                f"score_{card.id}",
                f"{card.name}：一级指标得分与失分",
                ["一级指标", "权重", "得分", "贡献", "失分", "主要原因"],
                [
                    [
                        item.name,
                        _num(item.weight),
                        _num(item.score),
                        _num(item.contribution),
                        _num(item.loss),
                        "；".join(item.details[:3]) or None,
                    ]
                    for item in explanation.items
                ],
            )
        )
        firsts = list(card.indicators)
        mine = [_num(scores.node_scores[n.id][i]) for n in firsts]
        median = [
            _num(np.nanmedian(scores.node_scores[n.id][peers]))
            if np.any(~np.isnan(scores.node_scores[n.id][peers]))
            else None
            for n in firsts
        ]
        if len(firsts) >= 3:
            labels = [n.label for n in firsts]
            own = [v if isinstance(v, float | int) else None for v in mine]
            peer = [v if isinstance(v, float | int) else None for v in median]
            name = data.name_of(subject_id)
            section.charts.append(
                Chart(
                    f"radar_{card.id}",
                    f"{card.name}：一级指标得分与同类中位数",
                    partial(charts.radar_chart, labels, own, peer, name=name),
                )
            )
        _gap_part(section, scores, subject_id, card.id, card.name, total)
    return section if not section.empty else None


def _gap_part(
    section: Section, scores: ScoreSet, subject_id: str, card_id: str, name: str, total: float
) -> None:
    if total != total:
        return
    try:
        plan = scores.gap_to(subject_id)
    except UnknownBandOrScore:
        section.paragraphs.append(f"{name}：已处于最高等级。")
        return
    if plan.reached:
        section.paragraphs.append(f"{name}：已达到{plan.target}。")
        return
    if not plan.improvements:
        section.paragraphs.append(
            f"{name}：距{plan.target}（{_num(plan.needed)} 分）差 "
            f"{_num(plan.needed - plan.current)} 分，没有单项改进可以单独达到，需多项同时改进。"
        )
        return
    section.tables.append(
        Table(
            f"gap_{card_id}",
            f"{name}：达到{plan.target}的单项改进",
            ["指标", "当前值", "需达到", "指标得分", "需得分", "总分增加"],
            [
                [
                    imp.name,
                    _plain(imp.current_value),
                    _plain(imp.needed_value),
                    _num(imp.current_score),
                    _num(imp.needed_score),
                    _num(imp.gain),
                ]
                for imp in plan.improvements
            ],
            intro=(
                f"距{plan.target}（{_num(plan.needed)} 分）差 "
                f"{_num(plan.needed - plan.current)} 分；下列任一单项改进即可达到："
            ),
        )
    )


def _plain(value: object) -> Cell:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if value != value or math.isinf(value) else round(value, 3)
    if isinstance(value, int | str):
        return value
    return str(value)


_FINDING_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


def _finding_rows(data: ReportData, owners: set[str] | None) -> list[list[Cell]]:
    """Chain findings on goals owned by ``owners`` (every finding when None)."""
    chain = data.chain
    rows: list[list[Cell]] = []
    for f in data.findings:
        if owners is not None:
            if chain is None:
                continue
            if not owners & {chain.goal(g).owner for g in f.goals if g in chain}:
                continue
        rows.append([_FINDING_LABELS.get(f.severity.value, f.severity.value), f.code, f.message])
    return rows


def _severity_label(data: ReportData, severity: str) -> str:
    if data.alerts is not None:
        for s in data.alerts.severities:
            if s.id == severity:
                return s.display
    return severity


def _rule_name(data: ReportData, rule_id: str) -> str:
    pack = data.rules_pack
    if pack is not None and rule_id in pack.rules:
        return pack.rules[rule_id].rule.name
    return rule_id


def _label_in(data: ReportData, loop_id: str, state_id: str) -> str:
    definition = data.loop_definition(loop_id)
    if definition is not None:
        for state in definition.all_states():
            if state.id == state_id:
                return state.label
    return state_id


def _spiral_state(data: ReportData, subject_id: str) -> str | None:
    spiral, states = data.spiral, data.spiral_states
    if spiral is not None and states is not None:
        hits = np.flatnonzero(states.subject_ids == subject_id)
        if hits.size:
            row = int(hits[0])
            state = spiral.state_ids[int(states.state[row])]
            text = f"第 {int(states.cycle[row])} 轮 · {spiral.label(state)}"
            small = int(states.small[row])
            if 0 <= small < len(spiral.small_ids):
                text += f"（小循环：{spiral.label(spiral.small_ids[small])}）"
            return text
    for position in data.spirals:
        if position.subject_id == subject_id:
            text = f"第 {position.cycle} 轮 · {_label_in(data, position.loop, position.state)}"
            if position.small_state:
                text += f"（小循环：{_label_in(data, position.loop, position.small_state)}）"
            return text
    return None


def _isin(cells: NDArray[Any], wanted: Iterable[str]) -> NDArray[np.bool_]:
    """True where a cell is one of ``wanted``, by hashing.

    numpy's ``isin`` on object arrays compares every cell with every wanted value
    (30k students × 1M observations took minutes); pandas hashes when it is there.
    """
    keep = set(wanted)
    try:
        import pandas as pd
    except ModuleNotFoundError:  # pandas is optional: a set lookup per cell is still linear
        return np.fromiter((c in keep for c in cells.tolist()), dtype=bool, count=len(cells))
    return np.asarray(pd.Series(cells, dtype=object).isin(keep), dtype=bool)


def _in(members: set[str] | None, ids: NDArray[Any]) -> NDArray[np.bool_]:
    if members is None:
        return np.ones(len(ids), dtype=bool)
    return _isin(ids, members)
