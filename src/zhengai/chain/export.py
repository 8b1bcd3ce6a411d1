"""Export a goal chain: Mermaid and Graphviz DOT text, DataFrames, HTML for Jupyter.

Colours follow attainment when a roll-up is given: green ≥ 0.9, amber ≥ 0.7, red below,
grey without data (the thresholds of :data:`BANDS`).  ``supports`` links are dashed.
No graphviz binary is needed: this module only writes text.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

from zhengai.model.goal import EdgeKind, GoalStatus

if TYPE_CHECKING:
    import pandas as pd

    from zhengai.chain.graph import GoalChain
    from zhengai.chain.rollup import Rollup

__all__ = ["BANDS", "to_dot", "to_frames", "to_html", "to_mermaid"]

#: (name, lowest attainment, fill colour, stroke colour), best first; "none" = no data.
BANDS: tuple[tuple[str, float, str, str], ...] = (
    ("good", 0.9, "#c8e6c9", "#2e7d32"),
    ("warn", 0.7, "#ffe0b2", "#ef6c00"),
    ("bad", -math.inf, "#ffcdd2", "#c62828"),
)
_NONE = ("none", "#eeeeee", "#9e9e9e")


def _band(value: float | None) -> tuple[str, str, str]:
    if value is None or math.isnan(value):
        return _NONE
    for name, low, fill, stroke in BANDS:
        if value >= low:
            return name, fill, stroke
    return _NONE


def _label(chain: GoalChain, gid: str, result: Rollup | None) -> tuple[str, float | None]:
    goal = chain.goal(gid)
    text = goal.title or gid
    if result is None:
        return text, None
    value = result.get(gid)
    if value is None:
        return f"{text}\n数据缺失", None
    mark = "*" if result[gid].partial else ""
    return f"{text}\n{value:.0%}{mark}", value


def _mermaid_text(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br/>")


def to_mermaid(chain: GoalChain, result: Rollup | None = None, *, direction: str = "TD") -> str:
    """Mermaid ``flowchart`` text; ``*`` after a percentage marks a partial attainment."""
    ids = {gid: f"g{i}" for i, gid in enumerate(chain.graph.nodes)}
    lines = [f"flowchart {direction}"]
    used: set[str] = set()
    for gid in chain.graph.nodes:
        text, value = _label(chain, gid, result)
        goal = chain.goal(gid)
        lines.append(f'    {ids[gid]}["{_mermaid_text(text)}"]')
        if goal.status is GoalStatus.ARCHIVED:
            lines.append(f"    class {ids[gid]} archived")
            used.add("archived")
        elif result is not None:
            band = _band(value)[0]
            lines.append(f"    class {ids[gid]} {band}")
            used.add(band)
    for s, t, d in chain.graph.edges(data=True):
        if d["kind"] == EdgeKind.SUPPORTS:
            lines.append(f"    {ids[s]} -.支撑.-> {ids[t]}")
        elif d["weight"] is not None:
            lines.append(f'    {ids[s]} -->|"{d["weight"]:g}"| {ids[t]}')
        else:
            lines.append(f"    {ids[s]} --> {ids[t]}")
    styles = {name: (fill, stroke) for name, _, fill, stroke in BANDS}
    styles[_NONE[0]] = _NONE[1:]
    styles["archived"] = ("#fafafa", "#bdbdbd")
    for name in sorted(used):
        fill, stroke = styles[name]
        lines.append(f"    classDef {name} fill:{fill},stroke:{stroke}")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(chain: GoalChain, result: Rollup | None = None) -> str:
    """Graphviz DOT text (``digraph``), filled by attainment band when ``result`` is given."""
    lines = [
        "digraph goal_chain {",
        "    rankdir=TB;",
        '    node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="sans-serif"];',
    ]
    for gid in chain.graph.nodes:
        text, value = _label(chain, gid, result)
        attrs = [f"label={_dot_quote(text)}"]
        if chain.goal(gid).status is GoalStatus.ARCHIVED:
            attrs.append('style="rounded,dashed"')
        elif result is not None:
            _, fill, stroke = _band(value)
            attrs += [f'fillcolor="{fill}"', f'color="{stroke}"']
        lines.append(f"    {_dot_quote(gid)} [{', '.join(attrs)}];")
    for s, t, d in chain.graph.edges(data=True):
        if d["kind"] == EdgeKind.SUPPORTS:
            edge_attrs = 'style=dashed, label="支撑", constraint=false'
        else:
            edge_attrs = "" if d["weight"] is None else f'label="{d["weight"]:g}"'
        lines.append(
            f"    {_dot_quote(s)} -> {_dot_quote(t)}"
            + (f" [{edge_attrs}]" if edge_attrs else "")
            + ";"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_frames(chain: GoalChain, result: Rollup | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(goals, edges)`` DataFrames; goals gain attainment columns when ``result`` is given."""
    import pandas as pd

    rows: list[dict[str, object]] = []
    for goal in chain:
        row: dict[str, object] = {
            "id": goal.id,
            "title": goal.title,
            "owner": goal.owner,
            "level": goal.level.value,
            "start": None if goal.start is None else str(goal.start),
            "end": None if goal.period_end is None else str(goal.period_end),
            "status": goal.status.value,
            "progress": goal.progress.value,
            "task_class": None if goal.task_class is None else goal.task_class.value,
            "responsible": goal.responsible,
            "indicators": ";".join(gi.indicator for gi in goal.indicators),
        }
        if result is not None:
            item = result[goal.id]
            row.update(
                attainment=item.attainment,
                coverage=item.coverage,
                partial=item.partial,
                health=item.health.value,
            )
        rows.append(row)  # one dict per goal: DataFrame builds the columns
    edges = [
        {"source": s, "target": t, "kind": d["kind"], "weight": d["weight"]}
        for s, t, d in chain.graph.edges(data=True)
    ]
    return pd.DataFrame(rows), pd.DataFrame(edges, columns=["source", "target", "kind", "weight"])


def to_html(chain: GoalChain, result: Rollup | None = None, *, limit: int = 50) -> str:
    """An HTML table of the first ``limit`` goals (what Jupyter shows for a chain)."""
    head = ["目标", "名称", "主体", "层面", "状态"] + (["达成度", "健康"] if result else [])
    out = [
        f"<div><b>目标链</b>：{len(chain)} 个目标，{chain.graph.number_of_edges()} 条链接",
        "<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>",
    ]
    for i, goal in enumerate(chain):
        if i >= limit:
            out.append(
                f"<tr><td colspan='{len(head)}'>… 另有 {len(chain) - limit} 个目标</td></tr>"
            )
            break
        cells = [goal.id, goal.title, goal.owner, goal.level.label, goal.status.label]
        style = ""
        if result is not None:
            item = result[goal.id]
            value = "数据缺失" if item.attainment is None else f"{item.attainment:.1%}"
            cells += [value + ("*" if item.partial else ""), item.health.label]
            style = f" style='background:{_band(item.attainment)[1]}'"
        out.append(
            f"<tr{style}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"
        )
    out.append("</tbody></table></div>")
    return "\n".join(out)
