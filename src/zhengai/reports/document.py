"""The format-independent content of a report: sections of paragraphs, tables and charts.

Every output format renders the same :class:`Report`: Markdown and HTML through Jinja2
templates, Word with python-docx, Excel one sheet per :class:`Table`, JSON as a dict.
Charts are drawn only when a format needs them (``Chart.svg()`` / ``Chart.png()``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Cell", "Chart", "Report", "Section", "Table"]

#: One table cell: text, a number, or None (shown as "—": missing is not zero).
Cell = str | int | float | None


def show(value: Cell) -> str:
    """A cell as text: None → ``—``, fractions kept short, integers plain."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value != value:
            return "—"
        if value.is_integer() and abs(value) >= 1:
            return f"{value:.0f}"
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:.1f}"
    return str(value)


@dataclass
class Table:
    """A titled table; ``key`` names it in JSON.

    ``intro`` is a sentence shown above it and ``note`` one below.  Documents meant to be
    read (Markdown, HTML, Word) show the first ``limit`` rows (all when None) and say
    how many more there are; Excel and JSON always hold every row.
    """

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""
    intro: str = ""
    limit: int | None = None

    @property
    def shown(self) -> list[list[Cell]]:
        """The rows a readable document shows (the first ``limit``)."""
        return self.rows if self.limit is None else self.rows[: self.limit]

    @property
    def more(self) -> str:
        """ "共 N 行，此处列出前 M 行" when rows are left out of a readable document, else ''."""
        if self.limit is None or len(self.rows) <= self.limit:
            return ""
        return f"共 {len(self.rows)} 行，此处列出前 {self.limit} 行，完整清单见 Excel 版。"

    def text_rows(self) -> list[list[str]]:
        """The shown rows with every cell as text."""
        return [[show(c) for c in row] for row in self.shown]

    def records(self) -> list[dict[str, Cell]]:
        """One dict per row, keyed by the column titles."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Chart:
    """A chart drawn on demand by ``draw`` (a matplotlib Figure), cached as SVG and PNG."""

    key: str
    title: str
    draw: Callable[[], Figure] = field(repr=False)
    _svg: str | None = field(default=None, repr=False)
    _png: bytes | None = field(default=None, repr=False)

    def svg(self) -> str:
        """The chart as an inline ``<svg>`` element (text drawn as paths: no font needed)."""
        if self._svg is None:
            from zhengai.reports.charts import figure_svg

            self._svg = figure_svg(self.draw)
        return self._svg

    def png(self) -> bytes:
        """The chart as PNG bytes (for Word and Markdown)."""
        if self._png is None:
            from zhengai.reports.charts import figure_png

            self._png = figure_png(self.draw)
        return self._png


@dataclass
class Section:
    """One heading of a report with its paragraphs, tables and charts, in that order."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the section has nothing to show."""
        return not (self.paragraphs or self.tables or self.charts)


@dataclass
class Report:
    """A whole report: ``kind`` is ``self`` (自我诊改报告) or ``annual`` (质量年度报告)."""

    kind: str
    title: str
    subtitle: str
    meta: dict[str, str]
    sections: list[Section]

    def section(self, key: str) -> Section:
        """The section with this key; KeyError when the report has none."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def tables(self) -> list[Table]:
        """Every table of every section, in order."""
        return [t for s in self.sections for t in s.tables]

    def charts(self) -> list[Chart]:
        """Every chart of every section, in order."""
        return [c for s in self.sections for c in s.charts]

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (the JSON format): tables as lists of records."""
        return {
            "kind": self.kind,
            "title": self.title,
            "subtitle": self.subtitle,
            "meta": dict(self.meta),
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "paragraphs": list(s.paragraphs),
                    "tables": [
                        {
                            "key": t.key,
                            "title": t.title,
                            "columns": list(t.columns),
                            "rows": [list(r) for r in t.rows],
                            "note": t.note,
                            "intro": t.intro,
                        }
                        for t in s.tables
                    ],
                    "charts": [{"key": c.key, "title": c.title} for c in s.charts],
                }
                for s in self.sections
            ],
        }

    def _repr_html_(self) -> str:
        # Jupyter: the headings and tables without charts (drawing them is the slow part).
        parts = [f"<h3>{html.escape(self.title)}</h3><p>{html.escape(self.subtitle)}</p>"]
        for s in self.sections:
            parts.append(f"<h4>{html.escape(s.title)}</h4>")
            parts.extend(f"<p>{html.escape(p)}</p>" for p in s.paragraphs)
            parts.extend(_html_table(t) for t in s.tables)
        return "".join(parts)


def _html_table(table: Table, limit: int = 20) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in table.text_rows()[:limit]
    )
    more = f"<p>… {len(table) - limit} more</p>" if len(table) > limit else ""
    return f"<p><b>{html.escape(table.title)}</b></p><table><tr>{head}</tr>{body}</table>{more}"
