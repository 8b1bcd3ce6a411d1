"""Render a pack as a Chinese Markdown page: rules, constants, catalog, scorecards, loops.

``render(pack)`` returns the page; ``python -m zhengai.packs.docgen [DIR]`` writes
``DIR/<name>.md`` (default ``docs/packs``) for every built-in pack, so the pages
in the repository are always the generator's output (a test compares them).

A constant is documented by the YAML comment lines right above it (or above the
run of constants it heads) in ``pack.yaml`` or ``constants.yaml``; the page shows
that comment next to the value, so a default the seed gives no number for says
so where people read it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from zhengai.model import DiagnosisCatalog, Indicator
from zhengai.packs.loader import builtin_packs, load_pack
from zhengai.packs.pack import CompiledRule, Pack

__all__ = ["constant_notes", "main", "render", "render_index", "write_builtin_docs"]

_KEY = re.compile(r"^\s+([^\s#:][^:]*?):\s*\S")
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
_PERIOD_LABELS = {"year": "学年", "term": "学期", "month": "月"}
_HEADER = "<!-- 本页由 python -m zhengai.packs.docgen 从规则包生成，请勿手工编辑。 -->"


def _cell(value: object) -> str:
    text = " ".join(("" if value is None else str(value)).split())
    # YAML's folded scalars put a space at each line break; Chinese text has none.
    text = _CJK_GAP.sub("", text)
    return text.replace("|", "\\|") or "—"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return [*lines, ""]


def _file_notes(path: Path, names: Iterable[str]) -> dict[str, str]:
    wanted = set(names)
    notes: dict[str, str] = {}
    # A comment block documents the run of keys right below it (最低到课率, 最低听课率).
    pending: list[str] = []
    after_key = True
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if after_key:
                pending, after_key = [], False
            pending.append(stripped.lstrip("#").strip())
            continue
        after_key = True
        match = _KEY.match(line)
        if match is None:
            pending = []
        elif match.group(1) in wanted and pending:
            notes[match.group(1)] = " ".join(pending)
    return notes


def constant_notes(pack: Pack) -> dict[str, str]:
    """The comment above each constant in the pack's (and its parents') YAML files."""
    notes: dict[str, str] = {}
    for parent in pack.parents:
        notes.update(constant_notes(parent))
    if pack.root is not None:
        for name in ("pack.yaml", "constants.yaml"):
            if (pack.root / name).is_file():
                notes.update(_file_notes(pack.root / name, pack.constants))
    return notes


def _condition(rule: CompiledRule) -> str:
    steps = rule.rule.steps()
    if len(steps) == 1:
        return steps[0].when
    return "；".join(f"{s.severity}：{s.when}" for s in steps)


def _indicator_rows(indicators: Iterable[Indicator]) -> list[list[object]]:
    rows: list[list[object]] = []
    for ind in indicators:
        low, high = ind.valid_range or (None, None)
        rows.append(
            [
                ind.id,
                ind.name,
                "、".join(ind.aliases),
                "、".join(level.label for level in ind.levels),
                ind.unit,
                "越高越好" if ind.direction.value == "higher_better" else "越低越好",
                ind.aggregator.value,
                ""
                if ind.valid_range is None
                else f"{low:g}–{'∞' if high is None else f'{high:g}'}",
                ind.source,
                ind.description,
            ]
        )
    return rows


def _catalog_lines(catalog: DiagnosisCatalog, rules: Iterable[str]) -> list[str]:
    known = set(rules)
    items, elements, points = catalog.counts()
    out = [f"### {catalog.name}", "", f"出处：{catalog.source or '—'}。{catalog.note}", ""]
    out += [f"诊断项目 {items} 个，诊断要素 {elements} 个，诊断点 {points} 个。", ""]
    coverage: list[list[object]] = []
    for item in catalog.items:
        out += [f"#### {item.id} {item.name}", ""]
        for element in item.elements:
            out += [f"##### {element.id} {element.name}", ""]
            for point in element.points:
                codes = "／".join(point.platform_codes) or "无"
                out += [f"**{point.id} {point.name}**（{point.source}；平台编号：{codes}）", ""]
                out += [f"影响因素：{'；'.join(point.factors) or '—'}", ""]
                out += _table(
                    ["编号", "主要工作任务及要求", "检查方式"],
                    (
                        [
                            r.number,
                            r.text,
                            f"自动预警 `{r.rule}`" if r.rule in known else "自评定级 + 佐证材料",
                        ]
                        for r in point.requirements
                    ),
                )
                automated = [r.rule for r in point.requirements if r.rule in known]
                coverage.append(
                    [
                        point.id,
                        point.name,
                        len(point.requirements),
                        len(automated),
                        "、".join(f"`{r}`" for r in dict.fromkeys(automated)),
                        "部分自动 + 其余自评" if automated else "自评定级 + 佐证材料",
                    ]
                )
    covered = sum(1 for row in coverage if row[3])
    out += ["#### 覆盖情况", ""]
    out += [
        f"{len(coverage)} 个诊断点中 {covered} 个有自动预警规则支撑，"
        f"其余 {len(coverage) - covered} 个须自评定级并上传佐证材料。",
        "",
    ]
    out += _table(["诊断点", "名称", "任务数", "自动检查任务数", "规则", "方式"], coverage)
    return out


def _scoring_text(node: Any) -> str:
    scoring = node.scoring
    if scoring is None:
        return ""
    if scoring.kind == "linear":
        target = "目标值" if scoring.target == "goal" else f"{scoring.target:g}"
        return f"线性 {scoring.floor:g} → {target}"
    if scoring.kind == "threshold":
        return f"达到 {scoring.value:g} 得 {scoring.pass_points:g} 分"
    if scoring.kind == "rating":
        return "评级 " + "/".join(f"{lv.label} {lv.points:g}" for lv in scoring.levels)
    if scoring.kind == "tasks":
        return "任务 " + "；".join(
            f"{name} {c.weight:g}（进度 {c.progress:g}、质量 {c.quality:g}、"
            f"绩效 {c.performance:g}）"
            for name, c in scoring.classes.items()
        )
    return str(scoring.kind)


def _node_rows(nodes: Sequence[Any], depth: int = 0) -> list[list[object]]:
    rows: list[list[object]] = []
    for node in nodes:
        rows.append(
            [
                "　" * depth + node.label,
                "" if node.weight is None else f"{node.weight:g}",
                _scoring_text(node),
                (node.indicator or node.value or "")
                + (
                    "；来源 " + "、".join(f"{k} {w:g}" for k, w in node.sources.items())
                    if node.sources
                    else ""
                ),
                node.description,
            ]
        )
        rows += _node_rows(node.children, depth + 1)
    return rows


def _scorecard_lines(card: Any) -> list[str]:
    out = [f"### {card.name}（`{card.id}`，{card.level.label}）", ""]
    out += [f"出处：{card.source or '—'}。{_cell(card.description)}", ""]
    out += _table(["指标", "权重", "评分", "读取", "说明与出处"], _node_rows(card.indicators))
    marks = [f"{g.label} ≥ {g.min:g}" for g in card.grades]
    marks += [
        f"{b.label}（{'前' if b.top else '后'} {(b.top or b.bottom or 0):.0%}）"
        for b in card.rank_bands
    ]
    if marks:
        out += ["等级与排名段：" + "；".join(marks), ""]
    return out


def _loop_lines(loop: Any) -> list[str]:
    out = [f"### {loop.name}（`{loop.id}`）", "", _cell(loop.description), ""]
    out += ["出处：" + "；".join(loop.source), ""]
    cycle = "、".join(
        f"{level.label} {_PERIOD_LABELS.get(kind.value, kind.value)}"
        for level, kind in loop.cycle.items()
    )
    out += [f"周期：{cycle or '—'}", ""]
    rows = (
        [t.trigger, "、".join(t.source), t.dest, t.label, "、".join(g.name for g in t.guards)]
        for t in loop.transitions
    )
    return out + _table(["触发", "从", "到", "说明", "守卫"], rows)


def _rules_lines(rules: Sequence[CompiledRule]) -> list[str]:
    rows = (
        [
            f"`{r.id}`"
            + (f"（覆盖 {r.origin.overrides} 的同名规则）" if r.origin.overrides else ""),
            r.rule.name,
            r.rule.level.label,
            # The effective cadence (own or the level's default); none = every period.
            r.cadence.label if r.cadence is not None else "每期",
            _condition(r),
            "/".join(s.severity for s in r.rule.steps()),
            r.rule.owner,
            r.rule.source,
        ]
        for r in rules
    )
    return _table(["规则", "名称", "层面", "评估周期", "条件", "等级", "责任", "出处"], rows)


def render(pack: Pack) -> str:
    """The pack's Markdown page (see the module docstring)."""
    out = [_HEADER, "", f"# {pack.title or pack.name}（`{pack.name}` {pack.version}）", ""]
    out += [_cell(pack.description), ""]
    if pack.extends:
        out += ["扩展：" + "、".join(f"`{p}`" for p in pack.extends), ""]
    if pack.sources:
        out += ["## 出处", ""]
        for s in pack.sources:
            clause = f"（{s.clause}）" if s.clause else ""
            out.append(f"- {s.title}{clause}" + (f" <{s.url}>" if s.url else ""))
        out.append("")
    if pack.severities:
        out += ["预警等级（从重到轻）：" + " > ".join(s.display for s in pack.severities), ""]
    if pack.cadence:
        defaults = "；".join(f"{lv.label} {k.label}" for lv, k in pack.cadence.items())
        out += ["各层面规则的默认评估周期（规则自己的 `cadence` 优先）：" + defaults, ""]
    own_rules = [r for r in pack.rules.values() if r.origin.pack == pack.name]
    if own_rules:
        out += ["## 预警规则", "", *_rules_lines(own_rules)]
    if pack.disabled:
        out += ["停用的规则：" + "、".join(f"`{r}`" for r in pack.disabled), ""]
    if pack.constants:
        notes = constant_notes(pack)
        rows = ([k, v, notes.get(k, "")] for k, v in pack.constants.items())
        out += ["## 常量（学校可覆盖）", "", *_table(["常量", "值", "说明"], rows)]
    if pack.extends:
        used = dict.fromkeys(i for r in own_rules for i in r.indicators)
        indicators, title = [pack.catalog[i] for i in used], "## 本包规则读取的指标"
    else:
        indicators, title = list(pack.catalog.values()), "## 指标"
    if indicators:
        headers = [
            "编号",
            "名称",
            "别名",
            "层面",
            "单位",
            "方向",
            "汇总",
            "范围",
            "平台编号",
            "说明",
        ]
        out += [title, "", *_table(headers, _indicator_rows(indicators))]
    inherited_catalogs = {c for p in pack.parents for c in p.catalogs}
    for ident, catalog in pack.catalogs.items():
        if ident not in inherited_catalogs:
            out += ["## 诊断框架", "", *_catalog_lines(catalog, pack.rules)]
    for folder, title in (("scorecards", "## 考核性诊断评分表"), ("loops", "## 诊改循环")):
        inherited = {k for p in pack.parents for k in p.sections.get(folder, {})}
        own = [d for k, d in pack.sections.get(folder, {}).items() if k not in inherited]
        if own:
            out += [title, ""]
            for item in own:
                out += _scorecard_lines(item) if folder == "scorecards" else _loop_lines(item)
    if pack.tests:
        rows = ([t.file, t.case.name] for t in pack.tests)
        out += ["## 自测用例", "", *_table(["文件", "用例"], rows)]
    return "\n".join(out).rstrip() + "\n"


def render_index(packs: Sequence[Pack]) -> str:
    """The index page: one row per pack with its title, size and main source."""
    rows = (
        [
            f"[`{p.name}`]({p.name}.md)",
            p.title,
            "、".join(p.extends),
            sum(1 for r in p.rules.values() if r.origin.pack == p.name),
            len(p.constants),
            "、".join(f"{c.counts()[2]} 个诊断点" for c in p.catalogs.values()),
            p.sources[0].clause if p.sources else "",
        ]
        for p in packs
    )
    head = [_HEADER, "", "# 内置规则包", ""]
    head += [
        '按名称加载：`zhengai.load_pack("loudi-2017")`；学校扩展示例见 examples/packs/my-school。',
        "",
    ]
    headers = ["规则包", "标题", "扩展", "本包规则数", "常量数", "诊断框架", "出处"]
    return "\n".join([*head, *_table(headers, rows)]).rstrip() + "\n"


def write_builtin_docs(directory: Path) -> list[Path]:
    """Write ``<name>.md`` for every built-in pack and ``index.md`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    packs = [load_pack(name) for name in sorted(builtin_packs())]
    written: list[Path] = []
    for pack in packs:
        path = directory / f"{pack.name}.md"
        path.write_text(render(pack), encoding="utf-8")
        written.append(path)
    index = directory / "index.md"
    index.write_text(render_index(packs), encoding="utf-8")
    return [*written, index]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m zhengai.packs.docgen [DIR]``: regenerate the built-in packs' pages."""
    args = list(sys.argv[1:] if argv is None else argv)
    for path in write_builtin_docs(Path(args[0] if args else "docs/packs")):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
