"""The 自我诊改报告 of one subject, from :class:`~zhengai.reports.ReportData`.

001 附件1 asks for "试点专业的自我诊改报告" and "各职能部门、各专业提交自我整改报告": a
subject's goals and attainment, the standards it met and missed, its alerts with their
explanations, its score taken apart with the gap to the next band, its trends, its
spiral and history, and its improvement actions.  A section whose data are absent is
left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zhengai.model import Level
from zhengai.reports.data import ReportData
from zhengai.reports.document import Cell, Report, Section, Table
from zhengai.reports.parts import (
    _GOAL_COLUMNS,
    _chain_chart,
    _check_subject,
    _finding_rows,
    _goal_rows,
    _indicator_rows,
    _level_of,
    _meta,
    _neighbourhood,
    _num,
    _numbered,
    _rule_name,
    _score_section,
    _severity_label,
    _spiral_state,
    _trend_section,
)

__all__ = ["self_report"]


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
