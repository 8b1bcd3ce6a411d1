"""Render a :class:`Report` as Markdown, self-contained HTML, Word, Excel or JSON.

Markdown and HTML come from Jinja2 templates: ``<kind>.<fmt>.j2`` first (``self.html.j2``,
``annual.md.j2``), then ``report.<fmt>.j2``, looked up in the school's ``templates``
folder before the built-in ones, so a school overrides one report or all of them by
dropping a file of that name in its folder (``{% extends "builtin/report.html.j2" %}``
reaches the built-in template to change only some blocks).  The HTML inlines its
charts as SVG and its style: it loads nothing from the network (campus intranets are
often offline).  Word uses python-docx with a CJK East Asian font on every style, so
Chinese does not fall back to a Latin font; Excel puts each table on its own sheet.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import jinja2

from zhengai.model import Level
from zhengai.reports.annual import annual_report
from zhengai.reports.data import ReportData
from zhengai.reports.document import Report, Table, show
from zhengai.reports.errors import (
    MissingReportDependency,
    UnknownReportFormat,
    UnknownReportKind,
)
from zhengai.reports.selfreport import self_report

__all__ = [
    "CJK_FONT",
    "FORMATS",
    "KINDS",
    "Format",
    "Kind",
    "build",
    "render",
    "render_report",
    "write_all",
]

Kind = Literal["self", "annual"]
Format = Literal["md", "html", "docx", "xlsx", "json"]
#: The report kinds: 自我诊改报告 and 质量年度报告.
KINDS: dict[str, str] = {"self": "自我诊改报告", "annual": "质量年度报告"}
#: The output formats and their file suffixes.
FORMATS: dict[str, str] = {
    "md": ".md",
    "html": ".html",
    "docx": ".docx",
    "xlsx": ".xlsx",
    "json": ".json",
}
#: The East Asian font Word documents ask for (installed with Office on Chinese Windows;
#: WPS and LibreOffice substitute a CJK font of their own when it is missing).
CJK_FONT = "宋体"
_LATIN_FONT = "Times New Roman"
_HEADING_FONT = "黑体"


def build(
    data: ReportData,
    kind: Kind | str = "self",
    *,
    subject: str | None = None,
    level: Level | str | None = None,
) -> Report:
    """The content of a report: ``self`` needs ``subject``; ``annual`` takes an optional
    ``subject`` (the scope: school, 二级学院 or major; default the school) and ``level``."""
    if kind == "self":
        if subject is None:
            raise UnknownReportKind(
                "a self-diagnosis report (自我诊改报告) needs a subject",
                hint="pass subject='<subject id>'",
            )
        return self_report(data, subject)
    if kind == "annual":
        return annual_report(data, subject, level)
    raise UnknownReportKind(f"unknown report kind {kind!r}", hint=f"use one of {', '.join(KINDS)}")


def render(
    data: ReportData | Report,
    kind: Kind | str = "self",
    fmt: Format | str = "html",
    *,
    path: str | os.PathLike[str] | None = None,
    subject: str | None = None,
    level: Level | str | None = None,
    templates: str | os.PathLike[str] | None = None,
) -> Path | str | bytes:
    """Build a report and render it in ``fmt``.

    With ``path`` the result is written there and the path returned; without it
    Markdown, HTML and JSON come back as text and Word and Excel as bytes.
    ``templates`` is a folder searched before the built-in templates.
    """
    if fmt not in FORMATS:
        raise UnknownReportFormat(
            f"unknown report format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}"
        )
    report = data if isinstance(data, Report) else build(data, kind, subject=subject, level=level)
    target = None if path is None else Path(path)
    out = render_report(report, fmt, templates=templates, assets=target)
    if target is None:
        return out
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(out, bytes):
        target.write_bytes(out)
    else:
        target.write_text(out, encoding="utf-8")
    return target


def render_report(
    report: Report,
    fmt: Format | str,
    *,
    templates: str | os.PathLike[str] | None = None,
    assets: Path | None = None,
) -> str | bytes:
    """Render built content; ``assets`` is where a Markdown file will be written (its
    chart images go into ``<stem>_files/`` beside it; without it Markdown embeds them)."""
    if fmt == "md":
        return _markdown(report, templates, assets)
    if fmt == "html":
        return _template(report, "html", templates, {"svg": lambda chart: chart.svg()})
    if fmt == "docx":
        return _docx(report)
    if fmt == "xlsx":
        return _xlsx(report)
    if fmt == "json":
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
    raise UnknownReportFormat(
        f"unknown report format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}"
    )


def write_all(
    data: ReportData,
    folder: str | os.PathLike[str],
    *,
    subject: str | None = None,
    scope: str | None = None,
    formats: tuple[str, ...] = tuple(FORMATS),
    templates: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """Write the annual report of ``scope`` (default the school) in every format, and the
    self-diagnosis report of ``subject`` when given, into ``folder``.

    Returns the paths keyed ``"annual.html"``, ``"self.docx"``…; each report's
    content (and charts) is built once and shared by its formats.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, Report]] = [("annual", build(data, "annual", subject=scope))]
    if subject is not None:
        jobs.append(("self", build(data, "self", subject=subject)))
    paths: dict[str, Path] = {}
    for kind, report in jobs:
        stem = _safe(f"{report.title}")
        for fmt in formats:
            path = out / f"{stem}{FORMATS[fmt]}"
            paths[f"{kind}.{fmt}"] = Path(
                str(render(report, kind, fmt, path=path, templates=templates))
            )
    return paths


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("_") or "report"


# -- Markdown and HTML through Jinja2 -------------------------------------------------------------


def _environment(templates: str | os.PathLike[str] | None) -> jinja2.Environment:
    builtin = jinja2.PackageLoader("zhengai.reports", "templates")
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(os.fspath(templates)))
    loaders.append(builtin)
    loader = jinja2.PrefixLoader({"builtin": builtin}, delimiter="/")
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([*loaders, loader]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = show
    env.filters["md_cell"] = _md_cell
    return env


def _md_cell(value: Any) -> str:
    return show(value).replace("|", "\\|").replace("\n", " ")


def _template(
    report: Report,
    suffix: str,
    templates: str | os.PathLike[str] | None,
    extra: Mapping[str, Any],
) -> str:
    env = _environment(templates)
    template = env.select_template([f"{report.kind}.{suffix}.j2", f"report.{suffix}.j2"])
    return template.render(report=report, **extra)


def _markdown(report: Report, templates: str | os.PathLike[str] | None, assets: Path | None) -> str:
    def image(chart: Any) -> str:
        png = chart.png()
        if assets is None:
            return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        folder = assets.parent / f"{assets.stem}_files"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{chart.key}.png").write_bytes(png)
        return f"{folder.name}/{chart.key}.png"

    return _template(report, "md", templates, {"image": image})


# -- Word --------------------------------------------------------------------------------


def _east_asian(style_or_run: Any, latin: str, east_asian: str) -> None:
    """Set both the Latin and the East Asian font (python-docx sets only the Latin one)."""
    from docx.oxml.ns import qn

    style_or_run.font.name = latin
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)


def _docx(report: Report) -> bytes:
    try:
        import docx
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm, Pt, RGBColor
    except ModuleNotFoundError as exc:
        raise MissingReportDependency(
            "Word reports need python-docx", hint="pip install 'zhengai[reports]'"
        ) from exc
    document = docx.Document()
    styles = document.styles
    _east_asian(styles["Normal"], _LATIN_FONT, CJK_FONT)
    styles["Normal"].font.size = Pt(10.5)
    for name in ("Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Caption"):
        _east_asian(styles[name], _LATIN_FONT, _HEADING_FONT)
        styles[name].font.color.rgb = RGBColor(0x1A, 0x1A, 0x1A)
    section = document.sections[0]
    # A4 (python-docx's default template is US Letter); 2.2 cm margins.
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)

    title = document.add_heading(report.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if report.subtitle:
        sub = document.add_paragraph(report.subtitle, style="Subtitle")
        sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _docx_table(
        document, Table("meta", "", ["项目", "内容"], [[k, v] for k, v in report.meta.items()])
    )
    for part in report.sections:
        document.add_heading(part.title, level=1)
        for text in part.paragraphs:
            document.add_paragraph(text)
        for table in part.tables:
            document.add_heading(table.title, level=3)
            if table.intro:
                document.add_paragraph(table.intro)
            _docx_table(document, table)
            for text in (table.more, table.note):
                if text:
                    document.add_paragraph(text, style="Caption")
        for chart in part.charts:
            png = chart.png()
            document.add_picture(io.BytesIO(png), width=min(Cm(15), _png_width(png)))
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption = document.add_paragraph(f"图：{chart.title}", style="Caption")
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _png_width(png: bytes) -> Any:
    """The natural width of a chart PNG (drawn at 150 dpi) as a Word length."""
    from docx.shared import Inches

    width = int.from_bytes(png[16:20], "big")  # the IHDR chunk's width field
    return Inches(width / 150)


#: The width of the text on an A4 page with 2.2 cm margins, in cm.
_TEXT_WIDTH_CM = 16.6


def _column_widths(table: Table) -> list[float]:
    """Column widths in cm, shared out by the longest text in each column (first rows).

    Word gives every column the same width otherwise, which squeezes a long message
    column into a sliver; a column gets at least 1.4 cm and at most half the page.
    """
    rows = table.text_rows()[:50]
    longest = [
        max([len(c) for c in (r[j] for r in rows)] + [len(col)])
        for j, col in enumerate(table.columns)
    ]
    weights = [min(max(n, 3), 40) for n in longest]
    total = sum(weights)
    widths = [max(1.4, _TEXT_WIDTH_CM * w / total) for w in weights]
    scale = _TEXT_WIDTH_CM / sum(widths)
    return [w * scale for w in widths]


def _docx_table(document: Any, table: Table) -> None:
    from docx.shared import Cm, Pt

    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.autofit = False
    for cell, text in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.font.bold = True
            run.font.size = Pt(9)
    for row in table.text_rows():
        cells = grid.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(9)
    for column, width in zip(grid.columns, _column_widths(table), strict=True):
        # Word reads the cells' widths, LibreOffice and WPS the table grid's: set both.
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


# -- Excel -------------------------------------------------------------------------------


def _sheet_name(title: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ , unique within the workbook.
    base = re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "表"
    name, n = base, 2
    while name in used:
        suffix = f"_{n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def _xlsx(report: Report) -> bytes:
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter
    except ModuleNotFoundError as exc:
        raise MissingReportDependency(
            "Excel reports need openpyxl", hint="pip install 'zhengai[reports]'"
        ) from exc
    book = Workbook()
    first = book.active
    first.title = "概要"
    first.append([report.title])
    first["A1"].font = Font(bold=True, size=14)
    if report.subtitle:
        first.append([report.subtitle])
    for key, value in report.meta.items():
        first.append([key, value])
    first.append([])
    first.append(["表", "工作表", "行数"])
    used = {"概要"}
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for table in report.tables():
        name = _sheet_name(table.title, used)
        first.append([table.title, name, len(table)])
        sheet = book.create_sheet(name)
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in table.rows:
            sheet.append([_excel(c) for c in row])
        for text in (table.intro, table.note):
            if text:
                sheet.append([])
                sheet.append([text])
        sheet.freeze_panes = "A2"
        for i, column in enumerate(table.columns, start=1):
            longest = max([len(show(r[i - 1])) for r in table.rows[:200]] + [len(column)])
            sheet.column_dimensions[get_column_letter(i)].width = min(60, 4 + 1.8 * longest)
    first.column_dimensions["A"].width = 40
    first.column_dimensions["B"].width = 36
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _excel(value: Any) -> Any:
    # Numbers stay numbers (so a school can sort and sum); missing stays an empty cell.
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value
