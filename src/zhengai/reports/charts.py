"""Charts of the reports, drawn with matplotlib (no pyplot, no display, no network).

Each ``*_chart`` function returns a :class:`matplotlib.figure.Figure`; call it inside
:func:`figure_svg` / :func:`figure_png`, which set the CJK font (``zhengai.reports.fonts``)
before anything is drawn, because a text keeps the font family it was created with.
SVG text is written as paths, so an HTML report needs no font on the reader's machine.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from zhengai.reports.errors import MissingReportDependency

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "ATTAINMENT_COLORS",
    "alert_distribution_chart",
    "bar_chart",
    "chain_chart",
    "figure_png",
    "figure_svg",
    "radar_chart",
    "trend_chart",
]

#: Attainment bands of the goal-chain chart (lowest attainment, fill, edge), best first;
#: the same thresholds as ``zhengai.chain.export.BANDS`` (≥ 90 % green, ≥ 70 % amber).
ATTAINMENT_COLORS: tuple[tuple[float, str, str], ...] = (
    (0.9, "#c8e6c9", "#2e7d32"),
    (0.7, "#ffe0b2", "#ef6c00"),
    (-math.inf, "#ffcdd2", "#c62828"),
)
_NO_DATA = ("#eeeeee", "#9e9e9e")
# matplotlib's tab10 colours; lines beyond ten also change their marker.
_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
_MARKERS = ("o", "s", "^", "D")
_PNG_DPI = 150


@contextmanager
def _style() -> Iterator[None]:
    try:
        import matplotlib as mpl
    except ModuleNotFoundError as exc:  # pragma: no cover - matplotlib is a reports dependency
        raise MissingReportDependency(
            "charts need matplotlib", hint="pip install 'zhengai[reports]'"
        ) from exc
    from zhengai.reports.fonts import cjk_family

    family = cjk_family()
    sans = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    with mpl.rc_context(
        {
            "font.family": "sans-serif",
            "font.sans-serif": sans,
            "axes.unicode_minus": False,  # the CJK font has no U+2212 minus glyph
            "svg.fonttype": "path",
            "svg.hashsalt": "zhengai",  # stable ids: the same data gives the same file
            "font.size": 9,
        }
    ):
        yield


def figure_svg(draw: Callable[[], Figure]) -> str:
    """Draw a figure and return it as an inline ``<svg>`` element (no XML prolog)."""
    with _style():
        fig = draw()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # Natural size (width/height in pt) with a class: CSS shrinks it on narrow pages.
    return text.replace("<svg ", '<svg class="chart" ', 1)


def figure_png(draw: Callable[[], Figure]) -> bytes:
    """Draw a figure and return PNG bytes."""
    with _style():
        fig = draw()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=_PNG_DPI, bbox_inches="tight")
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _wrap(text: str, width: int) -> str:
    # Chinese has no spaces: wrap by characters.
    lines = textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False)
    return "\n".join(lines) or text


def radar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    peer: Sequence[float | None] | None = None,
    *,
    name: str = "本主体",
    peer_name: str = "同类中位数",
    top: float = 100.0,
) -> Figure:
    """A radar of first-level scores (0–``top``) against the peers' median; None plots as 0."""
    n = len(labels)
    fig = _figure(5.2, 4.6)
    ax: Any = fig.add_subplot(projection="polar")
    angles = [2 * math.pi * i / n for i in range(n)]
    closed = [*angles, angles[0]]

    def ring(data: Sequence[float | None]) -> list[float]:
        points = [0.0 if v is None or v != v else float(v) for v in data]
        return [*points, points[0]]

    if peer is not None:
        ax.plot(closed, ring(peer), color="#9e9e9e", linewidth=1.2, linestyle="--")
        ax.fill(closed, ring(peer), color="#9e9e9e", alpha=0.12, label=peer_name)
    ax.plot(closed, ring(values), color=_PALETTE[0], linewidth=2)
    ax.fill(closed, ring(values), color=_PALETTE[0], alpha=0.25, label=name)
    # The first indicator at the top, clockwise; ring labels between two axes, off the lines.
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_rlabel_position(180 / n)
    ax.set_xticks(angles)
    ax.set_xticklabels([_wrap(label, 6) for label in labels])
    ax.set_ylim(0, top)
    ax.set_yticks([top * k / 4 for k in range(1, 5)])
    ax.tick_params(axis="y", labelsize=7, colors="#757575")
    ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.12), fontsize=8, frameon=False)
    return fig


def trend_chart(
    periods: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    ylabel: str = "",
    percent: bool = False,
    colors: Sequence[str | None] | None = None,
) -> Figure:
    """Lines over periods, one per series; a missing value leaves a gap in its line.

    ``colors`` gives each series its colour (a severity's own colour), else tab10.
    """
    fig = _figure(6.4, 3.4)
    ax: Any = fig.add_subplot()
    x = list(range(len(periods)))
    for i, (label, values) in enumerate(series.items()):
        y = [math.nan if v is None else float(v) for v in values]
        marker = _MARKERS[(i // len(_PALETTE)) % len(_MARKERS)]
        color = colors[i] if colors is not None and i < len(colors) else None
        ax.plot(
            x,
            y,
            marker=marker,
            markersize=4,
            color=color or _PALETTE[i % len(_PALETTE)],
            label=label,
        )
    ax.set_xticks(x)
    ax.set_xticklabels(periods, rotation=20 if len(periods) > 4 else 0, fontsize=8)
    if percent:
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def alert_distribution_chart(
    groups: Sequence[str],
    severities: Sequence[tuple[str, str | None]],
    counts: Mapping[tuple[str, str], int],
    *,
    xlabel: str = "预警数",
) -> Figure:
    """Horizontal bars per group (an owner or a level), stacked by severity.

    ``severities`` are ``(label, colour)`` from most to least severe; ``counts`` is keyed
    by ``(group, severity label)``.
    """
    fig = _figure(6.4, max(2.2, 0.42 * len(groups) + 1.2))
    ax: Any = fig.add_subplot()
    left = [0.0] * len(groups)
    y = list(range(len(groups)))
    for i, (label, color) in enumerate(severities):
        widths = [float(counts.get((g, label), 0)) for g in groups]
        ax.barh(
            y,
            widths,
            left=left,
            color=color or _PALETTE[i % len(_PALETTE)],
            edgecolor="#616161",
            linewidth=0.4,
            label=label,
        )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for yi, total in zip(y, left, strict=True):
        ax.text(total, yi, f" {total:.0f}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(groups)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        fontsize=8,
        frameon=False,
        ncols=len(severities),
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
    )
    return fig


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, ylabel: str = "", color: str | None = None
) -> Figure:
    """Vertical bars with their values written on top (distributions, state counts)."""
    fig = _figure(6.0, 3.0)
    ax: Any = fig.add_subplot()
    x = list(range(len(labels)))
    bars = ax.bar(x, values, color=color or _PALETTE[0])
    ax.bar_label(bars, fmt="%g", fontsize=8)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=8, rotation=20 if len(labels) > 6 else 0)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _band(value: float | None) -> tuple[str, str]:
    if value is None or value != value:
        return _NO_DATA
    for low, fill, edge in ATTAINMENT_COLORS:
        if value >= low:
            return fill, edge
    return _NO_DATA  # pragma: no cover - the last band starts at -inf


def chain_chart(
    nodes: Sequence[tuple[str, str, float | None]],
    edges: Sequence[tuple[str, str, bool]],
) -> Figure:
    """A goal chain drawn left to right by depth, each box coloured by attainment.

    ``nodes`` are ``(id, label, attainment)``; ``edges`` are ``(parent, child,
    supports)`` where supporting links (左右呼应) are dashed blue arcs.  Columns come
    from the longest path from a root, so a plan sits left of the plans it decomposes
    into; left to right keeps a wide chain readable on a portrait A4 page.
    """
    import networkx as nx

    graph: Any = nx.DiGraph()
    for gid, _label, _value in nodes:
        graph.add_node(gid)
    tree = [(a, b) for a, b, supports in edges if not supports and a in graph and b in graph]
    graph.add_edges_from(tree)
    depth: dict[str, int] = {}
    for gid in nx.topological_sort(graph):
        preds = list(graph.predecessors(gid))
        depth[gid] = 1 + max((depth[p] for p in preds), default=-1)
    layers: dict[int, list[str]] = {}
    for gid, _label, _value in nodes:
        layers.setdefault(depth[gid], []).append(gid)
    tallest = max(len(v) for v in layers.values())
    fig = _figure(2.3 * len(layers) + 0.4, max(1.6, 0.62 * tallest + 0.4))
    ax: Any = fig.add_subplot()
    pos: dict[str, tuple[float, float]] = {}
    for d, members in layers.items():
        for i, gid in enumerate(members):
            pos[gid] = (float(d), -(i + 0.5) / len(members) * tallest)
    boxes: dict[str, Any] = {}
    for gid, label, value in nodes:
        fill, edge = _band(value)
        shown = "数据缺失" if value is None else f"{value:.0%}"
        boxes[gid] = ax.text(
            *pos[gid],
            f"{_wrap(label, 12)} {shown}",
            ha="center",
            va="center",
            fontsize=7,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": fill, "edgecolor": edge},
            zorder=3,
        )
    for a, b, supports in edges:
        if a not in boxes or b not in boxes:
            continue
        if supports:
            # 左右呼应: a dashed arc along the right side of two boxes of one column.
            start, end, style = (1.0, 0.5), (1.0, 0.5), "arc3,rad=-0.4"
        else:
            # 上下衔接: from the right of the parent's box to the left of the child's.
            start, end, style = (1.0, 0.5), (0.0, 0.5), "arc3,rad=0"
        ax.annotate(
            "",
            xy=end,
            xycoords=boxes[b],
            xytext=start,
            textcoords=boxes[a],
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#1565c0" if supports else "#9e9e9e",
                "linewidth": 0.7,
                "linestyle": "--" if supports else "-",
                "connectionstyle": style,
                "shrinkA": 1,
                "shrinkB": 1,
            },
            zorder=1,
        )
    ax.set_xlim(-0.5, len(layers) - 0.5)
    ax.set_ylim(-tallest, 0)
    ax.axis("off")
    return fig
