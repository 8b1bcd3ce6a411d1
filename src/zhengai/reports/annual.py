"""The 质量年度报告 of a school, an 二级学院 or a major, from :class:`~zhengai.reports.ReportData`.

001 附件1 "各职能部门、各专业发布年度质量报告" and 003 §四(四)2 "编制学校教育质量年度报告
… 专业、课程质量年度报告": for a scope (a subject and everything below it, optionally
one level) its summaries, alert distributions and trends, goal attainment, score
distributions with top and bottom lists, indicator distributions and trends, the tier
below compared, spirals, improvement actions and the diagnosis catalog's coverage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from zhengai.data import Subjects
from zhengai.model import Level, Period
from zhengai.reports import charts
from zhengai.reports.data import ReportData, SpiralPosition
from zhengai.reports.document import Cell, Chart, Report, Section, Table
from zhengai.reports.parts import (
    _CHAIN_NODES,
    _GOAL_COLUMNS,
    _RATE_UNITS,
    LIST_LIMIT,
    TOP_N,
    _before,
    _chain_chart,
    _check_subject,
    _finding_rows,
    _goal_rows,
    _in,
    _isin,
    _label_in,
    _meta,
    _num,
    _numbered,
    _pct,
    _rule_name,
    _severity_label,
    _trend_section,
)
from zhengai.scoring import ScoreSet

__all__ = ["annual_report"]


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
