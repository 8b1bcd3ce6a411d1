"""The reports in every format, on the small example college (see conftest.py)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from zhengai.model import Level
from zhengai.reports import (
    CJK_FONT,
    FORMATS,
    LIST_LIMIT,
    Report,
    ReportData,
    UnknownReportFormat,
    UnknownReportKind,
    UnknownReportSubject,
    build,
    cjk_family,
    cjk_font_file,
    render,
    write_all,
)

COURSE = "K00015"  # conftest.COURSE: the course whose 到课率 falls two terms running
RED_STUDENT = "2023000032"  # planted on the red rung of the 学业预警 ladder


@pytest.fixture(scope="module")
def self_report(data: ReportData) -> Report:
    return build(data, "self", subject=COURSE)


@pytest.fixture(scope="module")
def annual(data: ReportData) -> Report:
    return build(data, "annual")


# -- content ------------------------------------------------------------------------------


def test_self_report_has_every_part_the_seeds_ask_for(self_report: Report) -> None:
    titles = [s.title for s in self_report.sections]
    assert self_report.title == "软件测试自我诊改报告"
    assert titles == [
        "一、基本情况",
        "二、目标与达成度",
        "三、监测预警",
        "四、考核性诊断得分",
        "五、状态数据趋势",
        "六、诊改螺旋",
        "七、改进措施与整改任务",
    ]


def test_self_report_scores_come_from_the_score_set(data: ReportData, self_report: Report) -> None:
    scores = data.scores[0]
    i = scores.index(COURSE)
    section = self_report.section("scores")
    assert f"得分 {round(float(scores.total[i]), 2)}" in section.paragraphs[0]
    assert f"名次 {int(scores.rank[i])}/{len(scores)}" in section.paragraphs[0]
    breakdown = section.tables[0]
    explained = scores.explain(COURSE)
    assert [row[0] for row in breakdown.rows] == [item.name for item in explained.items]
    gap = scores.gap_to(COURSE)
    assert section.tables[1].title == f"课程质量考核：达到{gap.target}的单项改进"
    assert [row[0] for row in section.tables[1].rows] == [imp.name for imp in gap.improvements]
    assert [c.key for c in section.charts] == ["radar_course_quality"]


def test_self_report_trends_show_the_falling_attendance(
    data: ReportData, self_report: Report
) -> None:
    terms = self_report.section("trends").tables[0]
    row = next(r for r in terms.rows if r[0] == "到课率")
    # The planted values (0.884, 0.853) for the last two terms, as percentages.
    assert row[-2:] == ["88.4%", "85.3%"]


def test_self_report_goals_are_the_subjects_own(data: ReportData, self_report: Report) -> None:
    assert data.chain is not None
    assert data.rollup is not None
    own = [g for g in data.chain.goals if g.owner == COURSE]
    goals = self_report.section("goals").tables[0]
    assert [r[0] for r in goals.rows] == [g.title for g in own]
    attainment = data.rollup.get(own[0].id)
    assert attainment is not None
    assert goals.rows[0][3] == f"{attainment:.1%}"


def test_a_student_report_lists_standards_met_and_missed(data: ReportData) -> None:
    report = build(data, "self", subject=RED_STUDENT)
    standards = report.section("standards").tables[0]
    assert standards.rows[0][:2] == ["学业预警", "未达标（红色预警）"]
    alerts = report.section("alerts").tables[0]
    assert alerts.rows[0][1] == "红色预警"
    assert "累计不及格" in str(alerts.rows[0][5])
    actions = report.section("actions").tables[0]
    assert actions.rows[0][0] == "学业红色预警：制定学业帮扶计划"


def test_annual_report_counts_match_the_alert_set(data: ReportData, annual: Report) -> None:
    assert data.alerts is not None
    by_severity = annual.section("alerts").tables[0]
    expected = data.alerts.open().summary()
    labels = {s.id: s.display for s in data.alerts.severities}
    assert {r[0]: r[1] for r in by_severity.rows} == {labels[k]: expected.get(k, 0) for k in labels}
    listing = next(t for t in annual.tables() if t.key == "alert_list")
    assert len(listing.rows) == len(data.alerts.open())
    assert len(listing.shown) == min(LIST_LIMIT, len(listing.rows))
    assert listing.rows[0][3] == "红色预警"


def test_annual_report_top_and_bottom_lists_are_ordered(data: ReportData, annual: Report) -> None:
    scores = data.scores[0]
    top = next(t for t in annual.tables() if t.key == "top_course_quality")
    bottom = next(t for t in annual.tables() if t.key == "bottom_course_quality")
    ranked = np.sort(scores.total[~np.isnan(scores.total)])
    assert top.rows[0][2] == round(float(ranked[-1]), 2)
    assert bottom.rows[0][2] == round(float(ranked[0]), 2)
    totals = [float(str(r[2])) for r in top.rows]
    assert totals == sorted(totals, reverse=True)


def test_annual_report_of_a_college_covers_only_its_subjects(data: ReportData) -> None:
    assert data.table is not None
    inside = set(data.table.descendants("C01").ids.tolist())
    report = build(data, "annual", subject="C01")
    assert report.title == f"{data.name_of('C01')}质量年度报告"
    listing = next(t for t in report.tables() if t.key == "alert_list")
    ids = {re.search(r"（(\w+)）$", str(r[0])).group(1) for r in listing.rows}  # type: ignore[union-attr]
    assert ids
    assert ids <= inside
    assert data.alerts is not None
    everywhere = data.alerts.open().filter(subject=inside)
    assert len(listing.rows) == len(everywhere)


def test_annual_report_for_one_level(data: ReportData) -> None:
    report = build(data, "annual", level="学生")
    assert report.title == "示例职业技术学院学生质量年度报告"
    counts = report.section("overview").tables[0]
    assert counts.rows == [[Level.STUDENT.label, 300]]


def test_a_report_renders_whatever_parts_are_present(data: ReportData) -> None:
    only_alerts = ReportData(alerts=data.alerts)
    text = render(only_alerts, "annual", "md")
    assert isinstance(text, str)
    assert "监测预警" in text
    assert "目标达成" not in text
    bare = build(ReportData(), "self", subject="X1")
    assert [s.key for s in bare.sections] == ["overview"]


# -- formats --------------------------------------------------------------------------------


def test_markdown_writes_its_charts_beside_it(self_report: Report, tmp_path: Path) -> None:
    path = render(self_report, fmt="md", path=tmp_path / "r.md")
    assert isinstance(path, Path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# 软件测试自我诊改报告")
    assert "## 四、考核性诊断得分" in text
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) == len(self_report.charts())
    assert all((tmp_path / image).stat().st_size > 1000 for image in images)


def test_html_is_self_contained(annual: Report) -> None:
    html = render(annual, fmt="html")
    assert isinstance(html, str)
    assert "<h1>示例职业技术学院质量年度报告</h1>" in html
    assert html.count("<svg") == len(annual.charts())
    # Offline intranets: no script, stylesheet, font or image from the network.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "<script" not in html


def test_docx_has_headings_tables_charts_and_a_cjk_font(self_report: Report) -> None:
    blob = render(self_report, fmt="docx")
    assert isinstance(blob, bytes)
    document = Document(io.BytesIO(blob))
    headings = [
        p.text
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert "一、基本情况" in headings
    assert "四、考核性诊断得分" in headings
    fonts = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == CJK_FONT
    heading_fonts = document.styles["Heading 1"].element.rPr.find(qn("w:rFonts"))
    assert heading_fonts.get(qn("w:eastAsia"))
    assert len(document.inline_shapes) == len(self_report.charts())
    # the meta table, then one Word table per report table
    assert len(document.tables) == 1 + len(self_report.tables())
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert f"软件测试（{COURSE}）" in cells


def test_xlsx_has_one_sheet_per_table(annual: Report) -> None:
    blob = render(annual, fmt="xlsx")
    assert isinstance(blob, bytes)
    book = load_workbook(io.BytesIO(blob))
    assert book.sheetnames[0] == "概要"
    assert len(book.sheetnames) == 1 + len(annual.tables())
    listing = next(t for t in annual.tables() if t.key == "alert_list")
    sheet = book[listing.title]
    assert [c.value for c in sheet[1]] == listing.columns
    # Excel keeps every row (readable formats stop at LIST_LIMIT).
    assert sheet.max_row - 1 == len(listing.rows) > LIST_LIMIT
    top = next(t for t in annual.tables() if t.key == "top_course_quality")
    assert isinstance(book[top.title]["C2"].value, float)


def test_json_holds_the_tables(annual: Report) -> None:
    text = render(annual, fmt="json")
    assert isinstance(text, str)
    loaded = json.loads(text)
    assert loaded["kind"] == "annual"
    assert [s["title"] for s in loaded["sections"]] == [s.title for s in annual.sections]
    alerts = next(s for s in loaded["sections"] if s["key"] == "alerts")
    assert alerts["tables"][0]["columns"] == ["等级", "数量", "占比"]


def test_write_all_writes_every_format(data: ReportData, tmp_path: Path) -> None:
    paths = write_all(data, tmp_path, subject=RED_STUDENT, formats=("md", "json", "xlsx"))
    assert set(paths) == {f"{k}.{f}" for k in ("annual", "self") for f in ("md", "json", "xlsx")}
    assert paths["annual.md"].name == "示例职业技术学院质量年度报告.md"
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    assert set(FORMATS) == {"md", "html", "docx", "xlsx", "json"}


# -- templates ------------------------------------------------------------------------------


def test_a_school_template_overrides_the_builtin_one(self_report: Report, tmp_path: Path) -> None:
    (tmp_path / "self.md.j2").write_text(
        '{% extends "builtin/report.md.j2" %}'
        "{% block header %}# 某某职业学院 · {{ report.title }}\n{% endblock %}",
        encoding="utf-8",
    )
    (tmp_path / "report.html.j2").write_text(
        "<html><body>{{ report.title }}：{{ report.sections | length }} 部分</body></html>",
        encoding="utf-8",
    )
    md = render(self_report, fmt="md", templates=tmp_path)
    assert isinstance(md, str)
    assert md.startswith("# 某某职业学院 · 软件测试自我诊改报告")
    assert "## 一、基本情况" in md  # the built-in sections block is kept
    html = render(self_report, fmt="html", templates=tmp_path)
    assert (
        html == f"<html><body>软件测试自我诊改报告：{len(self_report.sections)} 部分</body></html>"
    )


# -- fonts and errors -------------------------------------------------------------------------


def test_charts_have_a_font_with_chinese_glyphs() -> None:
    from matplotlib.ft2font import FT2Font

    path = cjk_font_file()
    assert path is not None
    font = FT2Font(str(path))
    assert all(font.get_char_index(ord(ch)) for ch in "诊改报告预警达成度")
    assert cjk_family() == "Noto Sans CJK SC"


def test_unknown_kind_format_and_subject_are_refused(data: ReportData) -> None:
    with pytest.raises(UnknownReportKind) as kind:
        build(data, "monthly")
    assert kind.value.code == "data.unknown_report_kind"
    assert kind.value.message == "unknown report kind 'monthly'"
    assert kind.value.hint == "use one of self, annual"
    with pytest.raises(UnknownReportKind) as no_subject:
        build(data, "self")
    assert no_subject.value.message == "a self-diagnosis report (自我诊改报告) needs a subject"
    with pytest.raises(UnknownReportFormat) as fmt:
        render(data, "annual", "pdf")
    assert fmt.value.code == "data.unknown_report_format"
    assert str(fmt.value) == "unknown report format 'pdf', use one of md, html, docx, xlsx, json"
    with pytest.raises(UnknownReportSubject) as subject:
        build(data, "self", subject="K0015")
    assert subject.value.code == "data.unknown_report_subject"
    assert subject.value.message == "unknown subject 'K0015' for the report"
    assert subject.value.hint is not None
    assert "K00015" in subject.value.hint


def test_a_report_shows_its_tables_in_jupyter(self_report: Report) -> None:
    html = self_report._repr_html_()
    assert html.startswith("<h3>软件测试自我诊改报告</h3>")
    assert html.count("<table>") == len(self_report.tables())
    assert "<svg" not in html  # charts are left to the HTML format


def test_spiral_rows_and_a_pack_identity_are_enough(data: ReportData) -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Row:  # the shape of zhengai.engine's SpiralRow
        subject_id: str
        loop: str
        state: str
        cycle: int
        small_state: str | None = None

    assert data.alerts is not None
    rows = [
        Row(COURSE, "five_step", "running", 2, "monitoring"),
        Row("K00016", "five_step", "diagnosed", 1),
    ]
    light = ReportData(
        subjects=data.subjects, pack=data.alerts.pack, alerts=data.alerts, spirals=rows
    )
    report = build(light, "self", subject=COURSE)
    overview = {r[0]: r[1] for r in report.section("overview").tables[0].rows}
    assert str(overview["诊改螺旋"]).startswith("第 2 轮 · 运行")
    assert (
        report.meta["规则包"] == f"academic-warning（academic-warning {data.alerts.pack.version}）"
    )
    annual = build(light, "annual")
    states = annual.section("spirals").tables[0]
    assert {r[0]: r[1] for r in states.rows if r[1]} == {"运行": 1, "诊断": 1}


def test_html_escapes_text_and_draws_chinese_with_the_cjk_font(self_report: Report) -> None:
    from zhengai.reports import Section, Table

    tricky = Report(
        "self",
        "<script>alert(1)</script> & 报告",
        "",
        {"学校": "A&B <职业> 学院"},
        [Section("s", "一、说明", ["x < y"], [Table("t", "表", ["列"], [["<b>"]])])],
    )
    html = render(tricky, fmt="html")
    assert isinstance(html, str)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 报告" in html
    assert '<td class="short">&lt;b&gt;</td>' in html
    # Chart text is drawn as glyph paths of the CJK font, never DejaVu's empty boxes.
    charts = render(self_report, fmt="html")
    assert isinstance(charts, str)
    assert 'id="NotoSansCJKsc-Regular-' in charts
    assert "DejaVuSans-" not in charts
    assert '<a href="#scores">四、考核性诊断得分</a>' in charts


def test_chain_findings_follow_the_scope(data: ReportData, annual: Report) -> None:
    assert data.chain is not None
    school = next(t for t in annual.tables() if t.key == "chain_findings")
    assert len(school.rows) == len(data.findings)
    major = build(data, "annual", subject="M004")
    found = [t for t in major.tables() if t.key == "chain_findings"]
    owners = {"M004"} | set(data.table.descendants("M004").ids.tolist())  # type: ignore[union-attr]
    expected = [f for f in data.findings if owners & {data.chain.goal(g).owner for g in f.goals}]
    got = len(found[0].rows) if found else 0
    assert got == len(expected)
    assert len(expected) < len(data.findings)


def test_report_data_from_a_run_result(data: ReportData) -> None:
    from types import SimpleNamespace

    assert data.alerts is not None
    scores = data.scores[0]
    result = SimpleNamespace(  # the attributes zhengai.engine.RunResult has
        pack=data.alerts.pack,
        period=data.alerts.period,
        alerts=data.alerts,
        scores={scores.plan.scorecard.id: scores},
        chain=data.chain,
        rollup=data.rollup,
        findings=data.findings,
        spirals=[],
    )
    built = ReportData.from_run(result, school="示例职业技术学院", pack=data.pack)
    assert built.scores == [scores]
    assert built.pack is data.pack
    assert built.the_period == data.alerts.period
    report = build(built, "annual")
    # no subjects or observations here: no trends, no tier below, no spirals
    assert [s.key for s in report.sections] == ["overview", "alerts", "goals", "scores"]


def test_the_tier_below_shows_the_planted_complaint_rate(data: ReportData, annual: Report) -> None:
    colleges = next(t for t in annual.section("children").tables if t.title.startswith("二级学院"))
    row = next(r for r in colleges.rows if r[0] == "投诉处理率")
    by_unit = dict(zip(colleges.columns[1:], row[1:], strict=True))
    assert by_unit[data.name_of("C03")] == "92.0%"  # 二级学院 C03's planted 0.92 < 100 %
    offices = next(t for t in annual.section("children").tables if t.title.startswith("职能部门"))
    assert offices.columns == ["单位", "投诉处理率", "规划目标完成度"]
    assert {r[0]: r[2] for r in offices.rows}[data.name_of("D08")] == "84.0%"


def test_distributions_count_missing_values_only_where_an_indicator_applies(
    data: ReportData,
) -> None:
    report = build(data, "annual", level="课程")
    courses = report.section("distributions").tables[0]
    attendance = next(r for r in courses.rows if r[0] == "到课率")
    obs = data.observations
    assert obs is not None
    latest = (obs.indicator == "attendance_rate") & (obs.period == "2025-2026-2")
    course_ids = [s.id for s in data.subjects or [] if s.level is Level.COURSE]
    rows = latest & np.isin(obs.subject_id, course_ids)
    known = obs.value[rows][~np.isnan(obs.value[rows])]
    assert attendance[1:4] == ["2025-2026-2", known.size, len(course_ids) - known.size]
    assert attendance[6] == f"{float(np.median(known)):.1%}"
    assert int(str(attendance[3])) >= 1  # the planted gap: K00003's 到课率 is missing, not 0


def test_without_a_cjk_font_charts_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    from zhengai.reports import NoCJKFont, fonts

    monkeypatch.setattr(fonts, "cjk_font_file", lambda: None)
    monkeypatch.setattr(fonts, "SYSTEM_CJK_FAMILIES", ("没有这种字体",))
    with pytest.warns(NoCJKFont, match="no CJK font found"):
        assert fonts.cjk_family.__wrapped__() is None


def test_a_missing_optional_library_is_named(
    self_report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from zhengai.reports import MissingReportDependency

    monkeypatch.setitem(sys.modules, "docx", None)
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(MissingReportDependency) as word:
        render(self_report, fmt="docx")
    assert word.value.code == "data.missing_report_dependency"
    assert str(word.value) == "Word reports need python-docx, pip install 'zhengai[reports]'"
    with pytest.raises(MissingReportDependency, match="Excel reports need openpyxl"):
        render(self_report, fmt="xlsx")
