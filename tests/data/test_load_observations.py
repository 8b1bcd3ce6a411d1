"""load_observations / check_observations: forms, sources and every validation case."""

from __future__ import annotations

import math
import pickle
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

import zhengai.data._columns as columns_module
from zhengai.data import (
    BadEncoding,
    BadValue,
    DataLoadFailed,
    DuplicateColumn,
    DuplicateObservation,
    MissingColumn,
    OutOfRange,
    Subjects,
    UnknownSubject,
    UnreadableSource,
    check_observations,
    load_observations,
)
from zhengai.errors import Where
from zhengai.model import BadPeriod, IndicatorCatalog, Observation, UnknownIndicator

HEADER = "subject_id,indicator,period,value\n"


@pytest.fixture(autouse=True, params=["pandas", "numpy"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with pandas (its CSV parser) and on the numpy-only fallback."""
    if request.param == "numpy":
        monkeypatch.setattr(columns_module, "_USE_PANDAS", False)
    return str(request.param)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` in ``encoding`` with the CRLF line endings Excel writes."""
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def as_dict(obs: object) -> dict[tuple[str, str, str], float]:
    """(subject, indicator, period) -> value, NaN for missing."""
    return {
        (r["subject_id"], r["indicator"], r["period"]): (
            math.nan if r["value"] is None else r["value"]
        )
        for r in obs.to_records()  # type: ignore[attr-defined]
    }


# -- loading what is right ----------------------------------------------------------------
def test_long_csv_resolves_names_and_keeps_missing_as_nan(
    tmp_path: Path, catalog: IndicatorCatalog, students: Subjects
) -> None:
    path = write(
        tmp_path / "o.csv",
        HEADER + "s1,到课率,2025-2026-1,0.82\n"
        "s2,attendance_rate,2025-2026-1,\n"
        "s3,出勤率,2025-2026-1, 0.9 \n"
        "s1,论文数,2025-9,3\n",
    )
    obs = load_observations(path, catalog=catalog, subjects=students)
    got = as_dict(obs)
    assert len(obs) == 4
    assert got[("s1", "attendance_rate", "2025-2026-1")] == 0.82
    assert math.isnan(got[("s2", "attendance_rate", "2025-2026-1")])  # empty is missing, not 0
    assert got[("s3", "attendance_rate", "2025-2026-1")] == 0.9
    assert got[("s1", "papers", "2025-09")] == 3.0  # the period is canonical text
    assert obs.value.dtype == np.float64


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_chinese_csv_in_every_encoding_excel_writes(
    tmp_path: Path, catalog: IndicatorCatalog, encoding: str
) -> None:
    text = (
        "学号,指标,学期,值,来源\n"
        "s1,到课率,2025-2026-1,0.8,教务系统\n"
        "s2,评教满意度,2025-2026-1,0.9,\n"
    )
    path = write(tmp_path / "o.csv", text, encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    obs = load_observations(path, catalog=catalog)
    assert as_dict(obs) == {
        ("s1", "attendance_rate", "2025-2026-1"): 0.8,
        ("s2", "satisfaction", "2025-2026-1"): 0.9,
    }
    assert obs.source.tolist() == ["教务系统", None]


def test_explicit_encoding_and_tab_separated(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    path = write(
        tmp_path / "o.txt", "主体编号\t指标\t期间\t数值\ns1\t到课率\t2025-10\t0.5\n", "gbk"
    )
    obs = load_observations(path, catalog=catalog, encoding="gbk")
    assert as_dict(obs) == {("s1", "attendance_rate", "2025-10"): 0.5}


def test_undecodable_file_names_its_row(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    data = (HEADER + "s1,到课率,2025-2026-1,0.8\n").encode() + b"s2,\xff\xfe,2025-2026-1,0.8\n"
    path = tmp_path / "o.csv"
    path.write_bytes(data)
    with pytest.raises(BadEncoding) as info:
        load_observations(path, catalog=catalog)
    error = info.value
    assert error.code == "data.encoding"
    assert error.where == Where(file=str(path), row=3)
    offset = data.index(b"\xff")
    assert error.message == (
        f"cannot decode the file as utf-8 or gb18030 (byte 0xff at offset {offset})"
    )
    assert error.hint == "save it as CSV UTF-8, or pass encoding="


def test_period_argument_fills_a_missing_period_column(
    tmp_path: Path, catalog: IndicatorCatalog
) -> None:
    path = write(tmp_path / "o.csv", "subject_id,indicator,value\ns1,到课率,0.7\n")
    obs = load_observations(path, catalog=catalog, period="2024-2025-2")
    assert as_dict(obs) == {("s1", "attendance_rate", "2024-2025-2"): 0.7}


def test_same_value_twice_is_kept_once_and_versions_are_not_duplicates(
    catalog: IndicatorCatalog,
) -> None:
    rows = [
        {"subject_id": "s1", "indicator": "到课率", "period": "2025-2026-1", "value": 0.8},
        {"subject_id": "s1", "indicator": "attendance_rate", "period": "2025-2026-1", "value": 0.8},
        {"subject_id": "s2", "indicator": "到课率", "period": "2025-2026-1", "value": None},
        {"subject_id": "s2", "indicator": "到课率", "period": "2025-2026-1", "value": None},
        {
            "subject_id": "s3",
            "indicator": "到课率",
            "period": "2025-2026-1",
            "value": 0.5,
            "recorded_at": "2025-10-01 08:00",
        },
        {
            "subject_id": "s3",
            "indicator": "到课率",
            "period": "2025-2026-1",
            "value": 0.6,
            "recorded_at": datetime(2025, 11, 1, 8, 0),
        },
    ]
    obs = load_observations(rows, catalog=catalog)
    assert len(obs) == 4  # one s1, one s2, both s3 versions
    assert obs.subject_id.tolist() == ["s1", "s2", "s3", "s3"]
    assert obs.recorded_at[3] == np.datetime64("2025-11-01T08:00")
    _, frame = obs.frame("2025-2026-1", ["s3"])
    assert frame.columns["attendance_rate"].tolist() == [0.6]  # the later record wins


def test_dataframe_and_observation_sources(catalog: IndicatorCatalog) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "subject_id": ["s1", "s2"],
            "indicator": ["到课率", "到课率"],
            "period": ["2025-2026-1", "2025-2026-1"],
            "value": [0.8, np.nan],
        }
    )
    obs = load_observations(frame, catalog=catalog)
    assert list(obs.subject_id) == ["s1", "s2"]
    assert math.isnan(obs.value[1])
    again = load_observations(list(obs), catalog=catalog)
    assert as_dict(again) == as_dict(obs)
    assert all(isinstance(o, Observation) for o in again)
    indexed = frame.set_index("subject_id")  # a named index is a column too
    assert as_dict(load_observations(indexed, catalog=catalog)) == as_dict(obs)


# -- wide form ------------------------------------------------------------------------------
def test_wide_form_with_period_argument(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    path = write(
        tmp_path / "w.csv",
        "学号,姓名,到课率,satisfaction,论文数\ns1,张三,0.8,0.9,\ns2,李四,,0.7,2\n",
        "gbk",
    )
    obs = load_observations(path, catalog=catalog, period="2025-2026-1")
    assert obs.subject_id.tolist() == ["s1"] * 3 + ["s2"] * 3  # file order
    got = as_dict(obs)
    assert got[("s1", "attendance_rate", "2025-2026-1")] == 0.8
    assert got[("s1", "satisfaction", "2025-2026-1")] == 0.9
    assert math.isnan(got[("s1", "papers", "2025-2026-1")])
    assert math.isnan(got[("s2", "attendance_rate", "2025-2026-1")])
    assert got[("s2", "papers", "2025-2026-1")] == 2.0


def test_wide_form_with_period_column_and_its_errors(
    tmp_path: Path, catalog: IndicatorCatalog
) -> None:
    path = write(
        tmp_path / "w.csv",
        "subject_id,period,到课率,到课律\ns1,2025-2026-1,0.8,1\ns2,2025-2026-2,95,1\n",
    )
    problems = check_observations(path, catalog=catalog)
    assert [type(p) for p in problems] == [UnknownIndicator, OutOfRange]
    unknown, outside = problems
    assert unknown.code == "data.unknown_indicator"
    assert unknown.where == Where(file=str(path), row=1, column="到课律")
    assert unknown.message == "column '到课律' is not an indicator"
    assert unknown.hint == "did you mean '到课率'?"
    assert outside.where == Where(file=str(path), row=3, column="到课率")
    assert outside.hint == "looks like a percentage; divide by 100"
    fixed = write(tmp_path / "ok.csv", "subject_id,period,到课率\ns1,2025-2026-1,0.8\n")
    obs = load_observations(fixed, catalog=catalog, form="wide")
    assert as_dict(obs) == {("s1", "attendance_rate", "2025-2026-1"): 0.8}


def test_wide_form_without_period_is_a_missing_column(
    tmp_path: Path, catalog: IndicatorCatalog
) -> None:
    path = write(tmp_path / "w.csv", "subject_id,到课率\ns1,0.8\n")
    with pytest.raises(MissingColumn) as info:
        load_observations(path, catalog=catalog)
    assert info.value.code == "data.missing_column"
    assert info.value.where == Where(file=str(path), row=1, column="period")
    assert info.value.message == "missing column 'period' (期间/学期/学年/月份)"
    assert info.value.hint == "add a period column or pass period="


# -- xlsx --------------------------------------------------------------------------------
def test_xlsx_named_and_first_sheet(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    first = book.active
    first.title = "说明"
    first.append(["subject_id", "indicator", "period", "value"])
    first.append(["s9", "到课率", "2025-2026-1", 0.1])
    sheet = book.create_sheet("状态数据")
    sheet.append(["学号", "指标", "期间", "值"])
    sheet.append([2023001, "到课率", "2025-2026-1", 0.8])  # ids typed as numbers
    sheet.append([2023002.0, "到课率", datetime(2025, 10, 1), None])  # Excel made a date
    sheet.append([None, None, None, None])  # an empty row keeps its number
    sheet.append(["2023003", "到课率", "2025-2026-1", "120"])
    path = tmp_path / "o.xlsx"
    book.save(path)

    assert as_dict(load_observations(path, catalog=catalog)) == {
        ("s9", "attendance_rate", "2025-2026-1"): 0.1
    }
    with pytest.raises(OutOfRange) as info:
        load_observations(path, catalog=catalog, sheet="状态数据")
    assert info.value.where == Where(file=f"{path}[状态数据]", row=5, column="值")
    assert info.value.message == (
        "value 120 of 到课率 (attendance_rate) is outside its valid range 0–1"
    )
    assert info.value.hint is None  # 120 cannot be a percentage of a rate

    sheet.delete_rows(5)
    book.save(path)
    obs = load_observations(path, catalog=catalog, sheet="状态数据")
    got = as_dict(obs)
    assert got[("2023001", "attendance_rate", "2025-2026-1")] == 0.8
    assert math.isnan(got[("2023002", "attendance_rate", "2025-10")])


def test_xlsx_missing_sheet(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "状态数据"
    path = tmp_path / "o.xlsx"
    book.save(path)
    from zhengai.data import MissingSheet

    with pytest.raises(MissingSheet) as info:
        load_observations(path, catalog=catalog, sheet="状态数椐")
    assert info.value.code == "data.missing_sheet"
    assert info.value.where == Where(file=str(path))
    assert info.value.message == "no sheet '状态数椐'; the workbook has ['状态数据']"
    assert info.value.hint == "did you mean '状态数据'?"


# -- each validation case ----------------------------------------------------------------
CASES = [
    pytest.param(
        "s11,到课率,2025-2026-1,0.8",
        UnknownSubject,
        "subject_id",
        "unknown subject 's11'",
        "did you mean 's1'?",
        id="unknown_subject",
    ),
    pytest.param(
        "s1,到课律,2025-2026-1,0.8",
        UnknownIndicator,
        "indicator",
        "unknown indicator '到课律'",
        "did you mean '到课率'?",
        id="unknown_indicator",
    ),
    pytest.param(
        "s1,到课率,2025-2026-1,八十",
        BadValue,
        "value",
        "value '八十' is not a number",
        None,
        id="bad_value",
    ),
    pytest.param(
        "s1,到课率,2025-2026-1,95%",
        BadValue,
        "value",
        "value '95%' is not a number",
        "write 0.95 rather than '95%'",
        id="percent_text",
    ),
    pytest.param(
        's1,论文数,2025-2026-1,"1,234"',
        BadValue,
        "value",
        "value '1,234' is not a number",
        "remove the thousands separators",
        id="thousands_separator",
    ),
    pytest.param(
        "s1,到课率,2025-2026-1,95",
        OutOfRange,
        "value",
        "value 95 of 到课率 (attendance_rate) is outside its valid range 0–1",
        "looks like a percentage; divide by 100",
        id="rate_as_percent",
    ),
    pytest.param(
        "s1,论文数,2025-2026-1,-2",
        OutOfRange,
        "value",
        "value -2 of 论文数 (papers) is outside its valid range 0–",
        None,
        id="below_range",
    ),
    pytest.param(
        "s1,到课率,2025-2026-3,0.8",
        BadPeriod,
        "period",
        "bad period '2025-2026-3'",
        "expected an academic year '2025-2026', a term '2025-2026-1' or a month '2025-10'",
        id="bad_period",
    ),
    pytest.param(
        "s1,到课率,,0.8",
        BadPeriod,
        "period",
        "empty period",
        None,
        id="empty_period",
    ),
    pytest.param(
        "s1,到课率,2025-2026-1,0.9",
        DuplicateObservation,
        "value",
        "s1 / attendance_rate / 2025-2026-1 is given again with another value: 0.9 here, "
        "0.8 on row 2",
        None,
        id="duplicate_observation",
    ),
    pytest.param(
        ",到课率,2025-2026-1,0.8",
        BadValue,
        "subject_id",
        "empty subject id",
        None,
        id="empty_subject",
    ),
    pytest.param(
        "s1,到课率,2025-2026-1,0.8,extra",
        BadValue,
        "#5",
        "row has 5 cells but the header has 4; extra cell 'extra'",
        "quote cells that contain the delimiter",
        id="extra_cell",
    ),
]


@pytest.mark.parametrize(("line", "cls", "column", "message", "hint"), CASES)
def test_each_problem_names_class_code_file_row_and_column(
    tmp_path: Path,
    catalog: IndicatorCatalog,
    students: Subjects,
    line: str,
    cls: type[Exception],
    column: str,
    message: str,
    hint: str | None,
) -> None:
    # row 2 is good; the bad line is row 4, after a blank row 3
    path = write(tmp_path / "o.csv", HEADER + "s1,到课率,2025-2026-1,0.8\n\n" + line + "\n")
    with pytest.raises(cls) as info:
        load_observations(path, catalog=catalog, subjects=students)
    error = info.value
    assert type(error) is cls
    assert error.code == cls.code  # type: ignore[attr-defined]
    assert error.where == Where(file=str(path), row=4, column=column)  # type: ignore[attr-defined]
    assert error.message == message  # type: ignore[attr-defined]
    assert error.hint == hint  # type: ignore[attr-defined]
    expected = f"{path} row 4 column {column}: {message}" + (f", {hint}" if hint else "")
    assert str(error) == expected
    problems = check_observations(path, catalog=catalog, subjects=students)
    assert [(type(p), str(p)) for p in problems] == [(cls, expected)]


def test_missing_and_repeated_columns(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    path = write(tmp_path / "o.csv", "学号,subject_id,indicator,valeu\ns1,s1,到课率,0.8\n")
    problems = check_observations(path, catalog=catalog, form="long")
    assert [type(p) for p in problems] == [DuplicateColumn, MissingColumn, MissingColumn]
    repeated, period, value = problems
    assert repeated.code == "data.duplicate_column"
    assert repeated.where == Where(file=str(path), row=1, column="subject_id")
    assert repeated.message == "column 'subject_id' repeats column '学号' (both mean subject_id)"
    assert period.where == Where(file=str(path), row=1, column="period")
    assert value.message == "missing column 'value' (值/数值)"
    assert value.hint == "did you mean 'valeu'?"


def test_raise_mode_raises_the_first_problem_in_file_order(
    tmp_path: Path, catalog: IndicatorCatalog, students: Subjects
) -> None:
    # the subject check runs before the value check, but row 2 comes first in the file
    path = write(tmp_path / "o.csv", HEADER + "s1,到课率,2025-2026-1,x\ns9,到课率,2025-2026-1,1\n")
    with pytest.raises(BadValue) as info:
        load_observations(path, catalog=catalog, subjects=students)
    assert info.value.where.row == 2


def test_collect_mode_reports_every_problem_at_once(
    tmp_path: Path, catalog: IndicatorCatalog, students: Subjects
) -> None:
    path = write(
        tmp_path / "o.csv",
        HEADER + "s1,到课率,2025-2026-1,0.8\n"
        "s11,到课律,2025-13,abc\n"
        "s2,评教满意度,2025-2026-1,85\n"
        "s1,到课率,2025-2026-1,0.7\n",
    )
    with pytest.raises(DataLoadFailed) as info:
        load_observations(path, catalog=catalog, subjects=students, errors="collect")
    failed = info.value
    assert failed.code == "data.load_failed"
    assert failed.where == Where(file=str(path))
    assert [type(p) for p in failed.problems] == [
        UnknownSubject,
        UnknownIndicator,
        BadPeriod,
        BadValue,
        OutOfRange,
        DuplicateObservation,
    ]
    assert [(p.where.row, p.where.column) for p in failed.problems] == [
        (3, "subject_id"),
        (3, "indicator"),
        (3, "period"),
        (3, "value"),
        (4, "value"),
        (5, "value"),
    ]
    assert str(failed).splitlines() == [
        f"{path}: 6 problems found; nothing was loaded:",
        f"  {path} row 3 column subject_id: unknown subject 's11', did you mean 's1'?",
        f"  {path} row 3 column indicator: unknown indicator '到课律', did you mean '到课率'?",
        f"  {path} row 3 column period: bad period '2025-13': month 13 is not 1–12",
        f"  {path} row 3 column value: value 'abc' is not a number",
        f"  {path} row 4 column value: value 85 of 评教满意度 (satisfaction) is outside its "
        "valid range 0–1, looks like a percentage; divide by 100",
        f"  {path} row 5 column value: s1 / attendance_rate / 2025-2026-1 is given again with "
        "another value: 0.7 here, 0.8 on row 2",
    ]
    assert [str(p) for p in check_observations(path, catalog=catalog, subjects=students)] == [
        str(p) for p in failed.problems
    ]


def test_collect_mode_wraps_unreadable_sources(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(DataLoadFailed) as info:
        load_observations(missing, catalog=catalog, errors="collect")
    (problem,) = info.value.problems
    assert type(problem) is UnreadableSource
    assert problem.code == "data.unreadable_source"
    assert str(problem) == f"{missing}: no such file {str(missing)!r}"
    old = write(tmp_path / "o.xls", "x")
    with pytest.raises(UnreadableSource) as raised:
        load_observations(old, catalog=catalog)
    assert raised.value.hint == "save it as .xlsx or CSV"


def test_records_are_numbered_like_a_sheet(catalog: IndicatorCatalog) -> None:
    rows = [
        {"subject_id": "s1", "indicator": "到课率", "period": "2025-2026-1", "value": 0.8},
        {"subject_id": "s2", "indicator": "到课率", "period": "2025-2026-1", "value": "?"},
    ]
    with pytest.raises(BadValue) as info:
        load_observations(rows, catalog=catalog)
    assert info.value.where == Where(row=3, column="value")
    assert str(info.value) == "row 3 column value: value '?' is not a number"


def test_clean_data_has_no_problems(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    path = write(tmp_path / "o.csv", HEADER + "s1,到课率,2025-2026-1,0.8\n")
    assert check_observations(path, catalog=catalog) == []
    with pytest.raises(ValueError, match="errors must be"):
        load_observations(
            write(tmp_path / "b.csv", HEADER + "s1,x,2025-2026-1,1\n"),
            catalog=catalog,
            errors="ignore",  # type: ignore[arg-type]
        )


def test_blank_rows_and_blank_cells_are_nothing(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    path = write(
        tmp_path / "o.csv",
        HEADER + ",,,\n\ns1,到课率,2025-2026-1,   \ns2,到课率,2025-2026-1,0.5\n",
    )
    obs = load_observations(path, catalog=catalog)
    assert obs.subject_id.tolist() == ["s1", "s2"]
    assert np.isnan(obs.value[0])  # a cell of spaces is empty, and empty is missing
    bad = write(tmp_path / "b.csv", HEADER + ",,,\n\ns1,到课率,2025-2026-1,x\n")
    (problem,) = check_observations(bad, catalog=catalog)
    assert problem.where.row == 4  # skipped rows still count


def test_xlsx_without_openpyxl_says_what_to_install(
    tmp_path: Path, catalog: IndicatorCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "o.xlsx", "not really a workbook")
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # makes `import openpyxl` fail
    with pytest.raises(UnreadableSource) as info:
        load_observations(path, catalog=catalog)
    assert info.value.message == "reading .xlsx needs openpyxl"
    assert info.value.hint == "pip install 'zhengai[excel]'"
    assert info.value.where == Where(file=str(path))


def test_corrupt_xlsx_is_unreadable(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    pytest.importorskip("openpyxl")
    path = write(tmp_path / "o.xlsx", "not really a workbook")
    with pytest.raises(UnreadableSource) as info:
        load_observations(path, catalog=catalog)
    assert info.value.message.startswith("cannot open the workbook")


def test_load_failed_survives_pickling(tmp_path: Path, catalog: IndicatorCatalog) -> None:
    path = write(tmp_path / "o.csv", HEADER + "s1,x,2025-2026-1,1\ns1,到课率,2025-2026-1,y\n")
    with pytest.raises(DataLoadFailed) as info:
        load_observations(path, catalog=catalog, errors="collect")
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is DataLoadFailed
    assert str(again) == str(info.value)
    assert [str(p) for p in again.problems] == [str(p) for p in info.value.problems]
    assert [type(p) for p in again.problems] == [UnknownIndicator, BadValue]


def test_auto_form_with_a_typo_in_value_asks_for_value(
    tmp_path: Path, catalog: IndicatorCatalog
) -> None:
    path = write(tmp_path / "o.csv", "subject_id,indicator,period,valeu\ns1,到课率,2025-10,0.8\n")
    (problem,) = check_observations(path, catalog=catalog)
    assert type(problem) is MissingColumn
    assert problem.message == "missing column 'value' (值/数值)"
    assert problem.hint == "did you mean 'valeu'?"
