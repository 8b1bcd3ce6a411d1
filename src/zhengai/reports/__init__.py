"""Reports: 自我诊改报告 per subject and 质量年度报告 per level and tier.

>>> from zhengai.reports import ReportData, render            # doctest: +SKIP
>>> data = ReportData(school="示例职业技术学院", pack=pack, subjects=subjects,
...                   alerts=alerts, chain=chain, rollup=rollup)
>>> render(data, "self", "html", subject="M004", path="M004.html")
>>> render(data, "annual", "docx", path="年度报告.docx")

Formats: Markdown, self-contained HTML (charts inline as SVG, nothing loaded from the
network), Word (.docx, CJK font set), Excel (.xlsx, one sheet per table) and JSON.
Markdown and HTML come from Jinja2 templates a school can override.  See docs/reports.md.
"""

from zhengai.reports.annual import annual_report
from zhengai.reports.data import ReportData, SpiralPosition
from zhengai.reports.document import Cell, Chart, Report, Section, Table
from zhengai.reports.errors import (
    MissingReportDependency,
    UnknownReportFormat,
    UnknownReportKind,
    UnknownReportSubject,
)
from zhengai.reports.fonts import NoCJKFont, cjk_family, cjk_font_file
from zhengai.reports.parts import LIST_LIMIT, TOP_N
from zhengai.reports.render import (
    CJK_FONT,
    FORMATS,
    KINDS,
    Format,
    Kind,
    build,
    render,
    render_report,
    write_all,
)
from zhengai.reports.selfreport import self_report

__all__ = [
    "CJK_FONT",
    "FORMATS",
    "KINDS",
    "LIST_LIMIT",
    "TOP_N",
    "Cell",
    "Chart",
    "Format",
    "Kind",
    "MissingReportDependency",
    "NoCJKFont",
    "Report",
    "ReportData",
    "Section",
    "SpiralPosition",
    "Table",
    "UnknownReportFormat",
    "UnknownReportKind",
    "UnknownReportSubject",
    "annual_report",
    "build",
    "cjk_family",
    "cjk_font_file",
    "render",
    "render_report",
    "self_report",
    "write_all",
]
