"""Build the content of the two reports the seeds ask for, from :class:`ReportData`.

- 自我诊改报告 (``kind="self"``, one subject; 001 附件1 "试点专业的自我诊改报告",
  "各职能部门、各专业提交自我整改报告"): its goals and attainment, the standards it met
  and missed, its alerts with their explanations, its score taken apart with the gap
  to the next band, its spiral and history, its improvement actions, its trends.
- 质量年度报告 (``kind="annual"``, a school, an 二级学院 or a major with everything below
  it, optionally one level; 001 附件1 "各职能部门、各专业发布年度质量报告", 003 §四(四)2
  "编制学校教育质量年度报告 … 专业、课程质量年度报告"): summaries, distributions, trends
  over periods, top and bottom lists, and the diagnosis catalog's coverage.

A section whose data are absent is left out, so a report shows what a run has.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.data import Subjects
from zhengai.errors import did_you_mean
from zhengai.model import Level, Period, PeriodKind
from zhengai.reports import charts
from zhengai.reports.data import ReportData, SpiralPosition
from zhengai.reports.document import Cell, Chart, Report, Section, Table
from zhengai.reports.errors import UnknownReportSubject
from zhengai.scoring import ScoreSet, UnknownBandOrScore

__all__ = ["LIST_LIMIT", "TOP_N", "annual_report", "self_report"]

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


# -- the self-diagnosis report --------------------------------------------------------------


def self_report(data: ReportData, subject_id: str) -> Report:
    """The 自我诊改报告 of one subject (see the module docstring)."""
    _check_subject(data, subject_id)
    name = data.name_of(subject_id)
    level = _level_of(data, subject_id)
    period = data.the_period
    title = f"{name}自我诊改报告"
    subtitle = f"{period} 诊改周期" if period is not None else ""
    sections: list[Section | None] = [
        _self_overview(data, subject_id, level),
        _self_goals(data, subject_id),
        _self_standards(data, subject_id, level),
        _self_alerts(data, subject_id),
        _score_section(data, subject_id),
        _trend_section(data, subject_id, "trends", "状态数据趋势"),
        _self_spiral(data, subject_id),
        _self_actions(data, subject_id),
    ]
    meta = _meta(data, 诊改主体=f"{name}（{subject_id}）")
    if level is not None:
        meta["层面"] = level.label
    return Report("self", title, subtitle, meta, _numbered(sections))


def _self_overview(data: ReportData, subject_id: str, level: Level | None) -> Section:
    section = Section("overview", "基本情况")
    table = data.table
    parent = None
    if table is not None:
        parent = table.parent_ids[table.position(subject_id)]
    facts: list[list[Cell]] = [
        ["诊改主体", f"{data.name_of(subject_id)}（{subject_id}）"],
        ["层面", level.label if level is not None else None],
        ["上级", data.name_of(parent) if parent else None],
    ]
    if data.alerts is not None:
        mine = data.alerts.filter(subject=subject_id)
        open_alerts = mine.open()
        facts.append(["未解除预警", len(open_alerts)])
        facts.append(["数据缺失", len(mine.gaps)])
    for scores in data.scores:
        if subject_id in set(scores.subject_ids.tolist()):
            i = scores.index(subject_id)
            facts.append([f"{scores.plan.scorecard.name}得分", _num(scores.total[i])])
    state = _spiral_state(data, subject_id)
    if state is not None:
        facts.append(["诊改螺旋", state])
    if data.actions:
        facts.append(
            [
                "未验证整改任务",
                sum(1 for a in data.actions if a.subject_id == subject_id and a.is_open),
            ]
        )
    section.tables.append(Table("overview", "概要", ["项目", "内容"], facts))
    return section


def _self_goals(data: ReportData, subject_id: str) -> Section | None:
    chain = data.chain
    if chain is None:
        return None
    own = [g.id for g in chain.goals if g.owner == subject_id]
    if not own:
        return None
    section = Section("goals", "目标与达成度")
    section.paragraphs.append(
        f"本主体承担目标 {len(own)} 项；达成度按目标链逐级汇总（≥90% 进展正常，70%–90% 存在风险）。"
    )
    section.tables.append(Table("goals", "目标达成情况", _GOAL_COLUMNS, _goal_rows(data, own)))
    section.tables.append(
        Table(
            "goal_indicators",
            "目标指标：基线、目标值与实际值",
            ["目标", "指标", "基线", "目标值", "实际值", "单项达成度"],
            _indicator_rows(data, own),
        )
    )
    chart = _chain_chart(
        data, _neighbourhood(data, own), "目标链（上级目标、本主体目标与分解目标）"
    )
    if chart is not None:
        section.charts.append(chart)
    return section


def _self_standards(data: ReportData, subject_id: str, level: Level | None) -> Section | None:
    pack = data.rules_pack
    rows: list[list[Cell]] = []
    if pack is not None and data.alerts is not None and level is not None:
        mine = data.alerts.filter(subject=subject_id)
        fired = {a.rule: a for a in mine.alerts if a.status.is_open}
        gaps = {g.rule: g for g in mine.gaps}
        for rule in pack.rules.values():
            if rule.rule.level is not level:
                continue
            if rule.id in fired:
                alert = fired[rule.id]
                result = f"未达标（{_severity_label(data, alert.severity)}）"
            elif rule.id in gaps:
                missing = "、".join(data.indicator_name(m) for m in gaps[rule.id].missing)
                result = f"无法判断（数据缺失：{missing}）"
            else:
                result = "达标"
            rows.append([rule.rule.name, result, rule.rule.owner, rule.rule.source])
    finding_rows = _finding_rows(data, {subject_id})
    if not rows and not finding_rows:
        return None
    section = Section("standards", "标准达成情况")
    if rows:
        met = sum(1 for r in rows if r[1] == "达标")
        section.paragraphs.append(
            f"适用于本主体的监测标准 {len(rows)} 项：达标 {met} 项，"
            f"未达标 {sum(1 for r in rows if str(r[1]).startswith('未达标'))} 项，"
            f"数据缺失无法判断 {sum(1 for r in rows if str(r[1]).startswith('无法'))} 项。"
        )
        section.tables.append(
            Table("standards", "标准（预警规则）达成情况", ["标准", "结果", "责任", "依据"], rows)
        )
    if finding_rows:
        section.tables.append(
            Table("chain_findings", "目标链检查发现", ["严重度", "代码", "说明"], finding_rows)
        )
    return section


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


def _self_alerts(data: ReportData, subject_id: str) -> Section | None:
    if data.alerts is None:
        return None
    mine = data.alerts.filter(subject=subject_id)
    alerts = mine.alerts
    gaps = mine.gaps
    section = Section("alerts", "监测预警")
    if not alerts and not gaps:
        section.paragraphs.append("本周期没有预警，也没有数据缺失。")
        return section
    if alerts:
        section.tables.append(
            Table(
                "alerts",
                "预警及说明",
                ["规则", "等级", "状态", "连续期数", "起始", "预警信息", "诊断说明"],
                [
                    [
                        a.rule_name,
                        _severity_label(data, a.severity),
                        a.status.label,
                        a.streak,
                        str(a.since),
                        a.message,
                        a.explanation or None,
                    ]
                    for a in alerts
                ],
            )
        )
    if gaps:
        section.tables.append(
            Table(
                "gaps",
                "数据缺失（规则无法判断）",
                ["规则", "缺失指标"],
                [
                    [_rule_name(data, g.rule), "、".join(data.indicator_name(m) for m in g.missing)]
                    for g in gaps
                ],
            )
        )
    return section


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


def _self_spiral(data: ReportData, subject_id: str) -> Section | None:
    state = _spiral_state(data, subject_id)
    history = [r for r in data.spiral_history if r.subject_id == subject_id]
    if state is None and not history:
        return None
    section = Section("spiral", "诊改螺旋")
    if state is not None and data.spiral is not None:
        section.paragraphs.append(f"{data.spiral.definition.name}：当前处于{state}。")
    if history:
        spiral = data.spiral

        def label(state_id: str) -> str:
            return spiral.label(state_id) if spiral is not None else state_id

        actions = _transition_labels(data)

        section.tables.append(
            Table(
                "spiral_history",
                "螺旋历程",
                ["时间", "轮次", "操作", "由", "至", "操作人", "原因"],
                [
                    [
                        r.at.strftime("%Y-%m-%d %H:%M"),
                        r.cycle,
                        actions.get(r.trigger, r.trigger),
                        label(r.source),
                        label(r.dest),
                        r.actor,
                        r.reason or None,
                    ]
                    for r in sorted(history, key=lambda r: r.at)
                ],
            )
        )
    return section


def _transition_labels(data: ReportData) -> dict[str, str]:
    """Trigger → the Chinese label of its transition (确立目标…), from the loop definition."""
    if data.spiral is None:
        return {}
    definition = data.spiral.definition
    small = definition.small_loop.transitions if definition.small_loop else ()
    return {t.trigger: t.label for t in (*definition.transitions, *small) if t.label}


def _action_rows(data: ReportData, actions: Sequence[Any]) -> list[list[Cell]]:
    today = data.as_of_day()
    return [
        [
            a.title,
            data.name_of(a.subject_id),
            a.owner,
            a.due.isoformat(),
            a.status.label + ("（逾期）" if a.is_overdue(today) else ""),
            a.escalation,
            a.source_alert or a.source_finding,
        ]
        for a in actions
    ]


_ACTION_COLUMNS = ["整改任务", "诊改主体", "责任人", "期限", "状态", "升级次数", "来源"]


def _self_actions(data: ReportData, subject_id: str) -> Section | None:
    mine = [a for a in data.actions if a.subject_id == subject_id]
    if not mine:
        return None
    section = Section("actions", "改进措施与整改任务")
    section.tables.append(Table("actions", "整改任务", _ACTION_COLUMNS, _action_rows(data, mine)))
    return section


# -- the annual quality report -------------------------------------------------------------------


def annual_report(
    data: ReportData, scope: str | None = None, level: Level | str | None = None
) -> Report:
    """The 质量年度报告 of ``scope`` (a subject id: the school, an 二级学院, a major) and
    everything under it, optionally limited to one ``level`` (专业质量年度报告…)."""
    scope = scope or data.school_id()
    wanted = Level.parse(level) if isinstance(level, str) else level
    if scope is not None:
        _check_subject(data, scope)
    members = _members(data, scope, wanted)
    name = data.name_of(scope) if scope else (data.school or "全校")
    period = data.the_period
    title = f"{name}{wanted.label if wanted else ''}质量年度报告"
    subtitle = f"{period} 诊改周期" if period is not None else ""
    sections: list[Section | None] = [
        _annual_overview(data, members, scope, wanted),
        _annual_alerts(data, members),
        _annual_goals(data, scope, _members(data, scope, None)),
        _annual_scores(data, members),
        _annual_distributions(data, members, wanted),
        _trend_section(data, scope, "trends", "主要指标趋势") if scope else None,
        _annual_children(data, scope),
        _annual_spirals(data, members),
        _annual_actions(data, members),
        _annual_coverage(data),
    ]
    meta = _meta(data, 报告范围=name)
    if wanted is not None:
        meta["层面"] = wanted.label
    return Report("annual", title, subtitle, meta, _numbered(sections))


def _members(data: ReportData, scope: str | None, level: Level | None) -> set[str] | None:
    """The subject ids a report covers (None = no subject table: everything)."""
    table = data.table
    if table is None:
        return None
    if scope is None:
        chosen = table
    else:
        below = table.descendants(scope)
        ids = set(below.ids.tolist()) | {scope}
        chosen = table.where(_isin(table.ids, ids))
    if level is not None:
        chosen = chosen.of_level(level)
    return set(chosen.ids.tolist())


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


def _annual_overview(
    data: ReportData, members: set[str] | None, scope: str | None, level: Level | None
) -> Section:
    section = Section("overview", "概况")
    period = data.the_period
    text = f"本报告依据状态数据与诊改运行结果编制，范围为{data.name_of(scope) if scope else '全校'}"
    if level is not None:
        text += f"的{level.label}层面"
    text += f"，诊改周期 {period}。" if period is not None else "。"
    section.paragraphs.append(text)
    table = data.table
    if table is not None and members is not None:
        inside = table.where(_in(members, table.ids))
        counts = Counter(inside.levels.tolist())
        rows: list[list[Cell]] = [
            [lv.label, counts[lv.value]] for lv in Level if counts.get(lv.value)
        ]
        section.tables.append(Table("subjects", "诊改主体数量", ["层面", "数量"], rows))
    if data.alerts is not None:
        scoped = _scoped_alerts(data, members)
        assert scoped is not None
        summary = "，".join(
            f"{_severity_label(data, k)} {v}" for k, v in scoped.open().summary().items()
        )
        section.paragraphs.append(
            f"本周期未解除预警 {len(scoped.open())} 条（{summary or '无'}），"
            f"数据缺失 {len(scoped.gaps)} 项。"
        )
    return section


def _scoped_alerts(data: ReportData, members: set[str] | None) -> Any:
    if data.alerts is None:
        return None
    if members is None:
        return data.alerts
    return data.alerts.filter(subject=members)


def _annual_alerts(data: ReportData, members: set[str] | None) -> Section | None:
    scoped = _scoped_alerts(data, members)
    if scoped is None:
        return None
    section = Section("alerts", "监测预警")
    severities = [(s.id, s.display, s.color) for s in scoped.severities]
    open_alerts = scoped.open()
    by_sev = open_alerts.summary("severity")
    total = max(1, len(open_alerts))
    section.tables.append(
        Table(
            "alerts_by_severity",
            "预警等级分布（未解除）",
            ["等级", "数量", "占比"],
            [
                [label, by_sev.get(sid, 0), _pct(by_sev.get(sid, 0) / total)]
                for sid, label, _ in severities
            ],
        )
    )
    by_owner = open_alerts.summary(["owner", "severity"])
    owners = sorted({str(k[0] or "—") for k in by_owner}, key=str)
    counts = {(str(k[0] or "—"), _severity_label(data, k[1])): v for k, v in by_owner.items()}
    if owners:
        section.tables.append(
            Table(
                "alerts_by_owner",
                "预警责任分布（未解除）",
                ["责任", *(label for _, label, _ in severities), "合计"],
                [
                    [
                        o,
                        *(counts.get((o, label), 0) for _, label, _ in severities),
                        sum(counts.get((o, label), 0) for _, label, _ in severities),
                    ]
                    for o in owners
                ],
            )
        )
        section.charts.append(
            Chart(
                "alerts_by_owner",
                "预警按责任与等级分布",
                lambda: charts.alert_distribution_chart(
                    owners, [(label, color) for _, label, color in severities], counts
                ),
            )
        )
    by_level = open_alerts.summary(["level", "severity"])
    if by_level:
        levels = sorted({Level(k[0]) for k in by_level}, key=lambda lv: lv.rank)
        section.tables.append(
            Table(
                "alerts_by_level",
                "预警层面分布（未解除）",
                ["层面", *(label for _, label, _ in severities)],
                [
                    [lv.label, *(by_level.get((lv.value, sid), 0) for sid, _, _ in severities)]
                    for lv in levels
                ],
            )
        )
    by_status = scoped.summary("status")
    if by_status:
        from zhengai.model import AlertStatus

        section.tables.append(
            Table(
                "alerts_by_status",
                "预警状态（与上期相比）",
                ["状态", "数量"],
                [[s.label, by_status[s.value]] for s in AlertStatus if s.value in by_status],
            )
        )
    history = [h.filter(subject=members) if members is not None else h for h in data.history]
    if history:
        sets = [*history, scoped]
        periods = [str(h.period) for h in sets]
        trend = {
            label: [float(h.open().summary().get(sid, 0)) for h in sets]
            for sid, label, _ in severities
        }
        section.tables.append(
            Table(
                "alerts_trend",
                "预警数量趋势（未解除）",
                ["等级", *periods],
                [[label, *(int(v) for v in values)] for label, values in trend.items()],
            )
        )
        section.charts.append(
            Chart(
                "alerts_trend",
                "预警数量按周期的趋势",
                partial(
                    charts.trend_chart,
                    periods,
                    trend,
                    ylabel="预警数",
                    colors=[color for _, _, color in severities],
                ),
            )
        )
    alerts = sorted(
        open_alerts.alerts,
        key=lambda a: (_rank(scoped, a.severity), -a.streak, a.subject_id),
    )
    if alerts:
        section.tables.append(
            Table(
                "alert_list",
                "预警清单（按等级）",
                ["诊改主体", "层面", "规则", "等级", "状态", "连续期数", "预警信息"],
                [
                    [
                        f"{data.name_of(a.subject_id)}（{a.subject_id}）",
                        a.level.label,
                        a.rule_name,
                        _severity_label(data, a.severity),
                        a.status.label,
                        a.streak,
                        a.message,
                    ]
                    for a in alerts
                ],
                limit=LIST_LIMIT,
            )
        )
    gaps = Counter(g.rule for g in scoped.gaps)
    if gaps:
        section.tables.append(
            Table(
                "gaps",
                "数据缺失（规则无法判断）",
                ["规则", "缺失主体数"],
                [[_rule_name(data, r), n] for r, n in sorted(gaps.items())],
                note="缺失不按 0 计：这些主体的规则结果未知，需补齐数据后再判断。",
            )
        )
    return section


def _rank(alerts: Any, severity: str) -> int:
    for i, s in enumerate(alerts.severities):
        if s.id == severity:
            return i
    return len(alerts.severities)


def _annual_goals(data: ReportData, scope: str | None, members: set[str] | None) -> Section | None:
    chain = data.chain
    if chain is None:
        return None
    tops = [g.id for g in chain.goals if scope is None or g.owner == scope]
    if not tops:
        return None
    roots = [g for g in tops if not any(p in tops for p in chain.parents(g))]
    section = Section("goals", "目标达成")
    section.tables.append(Table("goals", "规划目标达成情况", _GOAL_COLUMNS, _goal_rows(data, tops)))
    shown: list[str] = []
    frontier = roots
    while frontier and len(shown) + len(frontier) <= _CHAIN_NODES:
        shown.extend(frontier)
        frontier = [c for g in frontier for c in chain.children(g) if c not in shown]
    chart = _chain_chart(data, shown, "目标链达成度（绿 ≥90%，橙 70%–90%，红 <70%，灰 数据缺失）")
    if chart is not None:
        section.charts.append(chart)
    findings = _finding_rows(data, members)
    if findings:
        section.tables.append(
            Table(
                "chain_findings",
                "目标链检查发现（上下衔接、左右呼应）",
                ["严重度", "代码", "说明"],
                findings,
                limit=LIST_LIMIT,
            )
        )
    return section


def _annual_scores(data: ReportData, members: set[str] | None) -> Section | None:
    section = Section("scores", "考核性诊断结果")
    for scores in data.scores:
        keep = _in(members, scores.subject_ids) & ~np.isnan(scores.total)
        if not keep.any():
            continue
        card = scores.plan.scorecard
        totals = scores.total[keep]
        section.paragraphs.append(
            f"{card.name}：参评 {int(keep.sum())} 个，平均 {float(np.mean(totals)):.1f} 分，"
            f"中位数 {float(np.median(totals)):.1f} 分，最高 {float(totals.max()):.1f}，"
            f"最低 {float(totals.min()):.1f}。"
        )
        edges = [0, 60, 70, 80, 90, 100.0001]
        labels = ["<60", "60–70", "70–80", "80–90", "≥90"]
        hist = np.histogram(totals, bins=edges)[0].tolist()
        rows: list[list[Cell]] = [[lb, n] for lb, n in zip(labels, hist, strict=True)]
        bands = Counter(b for b in scores.band[keep].tolist() if b is not None)
        grades = Counter(g for g in scores.grade[keep].tolist() if g is not None)
        section.tables.append(
            Table(f"dist_{card.id}", f"{card.name}：得分分布", ["分数段", "数量"], rows)
        )
        if bands or grades:
            section.tables.append(
                Table(
                    f"bands_{card.id}",
                    f"{card.name}：等级与档次",
                    ["等级/档次", "数量"],
                    [[k, v] for k, v in [*grades.items(), *bands.items()]],
                )
            )
        section.charts.append(
            Chart(
                f"dist_{card.id}",
                f"{card.name}：得分分布",
                partial(charts.bar_chart, labels, [float(x) for x in hist], ylabel="数量"),
            )
        )
        idx = np.flatnonzero(keep)
        order = idx[np.argsort(-scores.total[idx], kind="stable")]
        columns = ["名次", "诊改主体", "得分", "等级", "档次"]
        n = min(TOP_N, len(order))
        section.tables.append(
            Table(
                f"top_{card.id}",
                f"{card.name}：前 {n} 名",
                columns,
                [_score_row(data, scores, i) for i in order[:n]],
            )
        )
        section.tables.append(
            Table(
                f"bottom_{card.id}",
                f"{card.name}：后 {n} 名",
                columns,
                [_score_row(data, scores, i) for i in order[::-1][:n]],
            )
        )
    return section if not section.empty else None


def _annual_distributions(
    data: ReportData, members: set[str] | None, level: Level | None
) -> Section | None:
    """Each level's indicators in their latest period: how many have data, spread, quantiles."""
    table, obs = data.table, data.observations
    if table is None or obs is None:
        return None
    inside = table.where(_in(members, table.ids))
    present = {Level.parse(str(v)) for v in np.unique(inside.levels.astype(str)).tolist()}
    levels = [level] if level is not None else sorted(present, key=lambda lv: lv.rank)
    until = data.the_period
    section = Section("distributions", "指标分布")
    for lv in levels:
        ids = inside.of_level(lv).ids
        if len(ids) < 3:  # one or two subjects make no distribution
            continue
        mask = _isin(obs.subject_id, ids.tolist())
        subject = obs.subject_id[mask]
        indicator, period, value = obs.indicator[mask], obs.period[mask], obs.value[mask]
        rows: list[list[Cell]] = []
        for ind in sorted(set(indicator.tolist())):
            here = indicator == ind
            periods = [Period.parse(p) for p in set(period[here].tolist())]
            periods = [p for p in periods if _before(p, until)]
            if not periods:
                continue
            latest = max(periods, key=lambda p: p.start_index())
            values = value[here & (period == str(latest))]
            known = values[~np.isnan(values)]
            if not known.size:
                continue
            # Subjects that ever had this indicator are the ones it applies to (职能部门
            # have no 到课率): the others are not "no data".
            applies = int(np.unique(subject[here]).size)
            fmt = _pct if data.indicator_unit(ind) in _RATE_UNITS else _num
            p10, p50, p90 = np.quantile(known, [0.1, 0.5, 0.9]).tolist()
            rows.append(
                [
                    data.indicator_name(ind),
                    str(latest),
                    int(known.size),
                    applies - int(known.size),
                    fmt(float(known.mean())),
                    fmt(p10),
                    fmt(p50),
                    fmt(p90),
                ]
            )
        if rows:
            section.tables.append(
                Table(
                    f"distribution_{lv.value}",
                    f"{lv.label}（{len(ids)} 个）：指标分布",
                    ["指标", "期别", "有数据", "无数据", "平均", "P10", "中位数", "P90"],
                    rows,
                    note="无数据：采集该指标、但没有该期数值的主体（缺失不按 0 计）。",
                )
            )
    return section if not section.empty else None


def _score_row(data: ReportData, scores: ScoreSet, i: int) -> list[Cell]:
    sid = str(scores.subject_ids[i])
    r = scores.rank[i]
    return [
        None if r != r else int(r),
        f"{data.name_of(sid)}（{sid}）",
        _num(scores.total[i]),
        scores.grade[i],
        scores.band[i],
    ]


def _annual_children(data: ReportData, scope: str | None) -> Section | None:
    table, obs = data.table, data.observations
    if table is None or obs is None or scope is None:
        return None
    children = table.children(scope)
    # The tier below: for a school, its 二级学院 (the departments with a kind of their own
    # are 职能部门 too; compare only subjects that have state data).
    ids = children.ids
    if not len(ids):
        return None
    rows_mask = _isin(obs.subject_id, ids.tolist())
    if not rows_mask.any():
        return None
    until = data.the_period
    latest: dict[str, Period] = {}
    for ind, per in set(
        zip(obs.indicator[rows_mask].tolist(), obs.period[rows_mask].tolist(), strict=True)
    ):
        p = Period.parse(per)
        if not _before(p, until):
            continue
        if ind not in latest or p.start_index() > latest[ind].start_index():
            latest[ind] = p
    if not latest:
        return None
    indicators = sorted(latest)
    values: dict[tuple[str, str], float | None] = {}
    for sid, ind, per, val in zip(
        obs.subject_id[rows_mask].tolist(),
        obs.indicator[rows_mask].tolist(),
        obs.period[rows_mask].tolist(),
        obs.value[rows_mask].tolist(),
        strict=True,
    ):
        if ind in latest and str(latest[ind]) == per:
            values[(sid, ind)] = None if val != val else float(val)
    observed = [sid for sid in ids.tolist() if any((sid, i) in values for i in indicators)]
    if not observed:
        return None
    section = Section("children", "下级单位对比")
    section.paragraphs.append(
        "各下级单位最近一期的指标值；每类单位只列出它们采集的指标（— 表示数据缺失）。"
    )
    for group, members in _groups(children, observed).items():
        columns = [i for i in indicators if any((sid, i) in values for sid in members)]

        def cell(sid: str, ind: str) -> Cell:
            v = values.get((sid, ind))
            return _pct(v) if data.indicator_unit(ind) in _RATE_UNITS else _num(v)

        note = "期别：" + "，".join(f"{data.indicator_name(i)} {latest[i]}" for i in columns)
        key, title = f"children_{len(section.tables) + 1}", f"{group}：指标对比"
        if len(members) < len(columns):
            # Few units, many indicators (二级学院): units as columns keeps the page readable.
            section.tables.append(
                Table(
                    key,
                    title,
                    ["指标", *(data.name_of(sid) for sid in members)],
                    [[data.indicator_name(i), *(cell(sid, i) for sid in members)] for i in columns],
                    note=note,
                )
            )
        else:
            section.tables.append(
                Table(
                    key,
                    title,
                    ["单位", *(data.indicator_name(i) for i in columns)],
                    [[data.name_of(sid), *(cell(sid, i) for i in columns)] for sid in members],
                    note=note,
                )
            )
    return section


def _groups(children: Subjects, observed: Sequence[str]) -> dict[str, list[str]]:
    """The observed children grouped by level and ``kind`` (职能部门 / 二级学院…)."""
    kinds = children.attributes.get("kind")
    out: dict[str, list[str]] = {}
    for sid in observed:
        i = children.position(sid)
        kind = kinds[i] if kinds is not None else None
        label = str(kind) if kind else Level.parse(str(children.levels[i])).label
        out.setdefault(label, []).append(sid)
    return out


def _annual_spirals(data: ReportData, members: set[str] | None) -> Section | None:
    section = Section("spirals", "诊改螺旋运行")
    spiral, states = data.spiral, data.spiral_states
    if spiral is not None and states is not None and len(states):
        keep = _in(members, states.subject_ids)
        if keep.any():
            counts = np.bincount(states.state[keep], minlength=len(spiral.state_ids)).tolist()
            labels = [spiral.label(s) for s in spiral.state_ids]
            cycles = float(np.mean(states.cycle[keep]))
            _spiral_part(section, spiral.definition.name, labels, counts, cycles)
    if section.empty and data.spirals:
        by_loop: dict[str, list[SpiralPosition]] = {}
        for position in data.spirals:
            if members is None or position.subject_id in members:
                by_loop.setdefault(position.loop, []).append(position)
        for loop_id, positions in by_loop.items():
            definition = data.loop_definition(loop_id)
            tally = Counter(p.state for p in positions)
            order = [st.id for st in definition.states] if definition is not None else []
            order += sorted(set(tally) - set(order))
            _spiral_part(
                section,
                definition.name if definition is not None else loop_id,
                [_label_in(data, loop_id, st) for st in order],
                [tally.get(st, 0) for st in order],
                sum(p.cycle for p in positions) / len(positions),
            )
    return section if not section.empty else None


def _spiral_part(
    section: Section, name: str, labels: list[str], counts: list[int], mean_cycle: float
) -> None:
    n = len(section.tables) + 1
    section.paragraphs.append(f"{name}：{sum(counts)} 个诊改主体，平均处于第 {mean_cycle:.1f} 轮。")
    rows: list[list[Cell]] = [[lb, c] for lb, c in zip(labels, counts, strict=True)]
    section.tables.append(
        Table(f"spiral_states_{n}", f"{name}：螺旋状态分布", ["状态", "主体数"], rows)
    )
    section.charts.append(
        Chart(
            f"spiral_states_{n}",
            f"{name}：状态分布",
            partial(charts.bar_chart, labels, [float(c) for c in counts], ylabel="主体数"),
        )
    )


def _annual_actions(data: ReportData, members: set[str] | None) -> Section | None:
    actions = [a for a in data.actions if members is None or a.subject_id in members]
    if not actions:
        return None
    from zhengai.model import ActionStatus

    today = data.as_of_day()
    section = Section("actions", "改进与整改")
    owners = sorted({a.owner for a in actions})
    statuses = list(ActionStatus)
    rows: list[list[Cell]] = []
    for owner in owners:
        mine = [a for a in actions if a.owner == owner]
        rows.append(
            [
                owner,
                len(mine),
                *(sum(1 for a in mine if a.status is s) for s in statuses),
                sum(1 for a in mine if a.is_overdue(today)),
            ]
        )
    section.paragraphs.append(
        f"整改任务 {len(actions)} 项，已验证 "
        f"{sum(1 for a in actions if a.status is ActionStatus.VERIFIED)} 项，"
        f"截至 {today.isoformat()} 逾期 {sum(1 for a in actions if a.is_overdue(today))} 项。"
    )
    section.tables.append(
        Table(
            "actions_by_owner",
            "整改任务按责任人",
            ["责任人", "合计", *(s.label for s in statuses), "逾期"],
            rows,
        )
    )
    return section


def _annual_coverage(data: ReportData) -> Section | None:
    pack = data.rules_pack
    if pack is None or not pack.catalogs:
        return None
    section = Section("coverage", "诊断框架覆盖情况")
    for catalog in pack.catalogs.values():
        items, elements, points = catalog.counts()
        rows: list[list[Cell]] = []
        all_req = auto = 0
        for item in catalog.items:
            reqs = [r for e in item.elements for p in e.points for r in p.requirements]
            checked = sum(1 for r in reqs if r.rule)
            all_req += len(reqs)
            auto += checked
            rows.append(
                [
                    f"{item.id} {item.name}",
                    len(item.elements),
                    sum(len(e.points) for e in item.elements),
                    len(reqs),
                    checked,
                    _pct(checked / len(reqs)) if reqs else None,
                ]
            )
        section.paragraphs.append(
            f"{catalog.name}（{catalog.source or catalog.id}）：{items} 个诊断项目、{elements} 个"
            f"诊断要素、{points} 个诊断点；{all_req} 项主要工作任务中 {auto} 项由预警规则自动检查，"
            "其余由责任部门自评并提供佐证。"
        )
        section.tables.append(
            Table(
                f"coverage_{catalog.id}",
                f"{catalog.name}：自动检查覆盖",
                ["诊断项目", "诊断要素", "诊断点", "任务要求", "自动检查", "覆盖率"],
                rows,
            )
        )
    return section
