"""load_subjects / check_subjects and the Subjects container."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import zhengai.data._columns as columns_module
from zhengai.data import (
    BadValue,
    DataLoadFailed,
    DuplicateSubject,
    MissingColumn,
    MissingParent,
    ParentCycle,
    Subjects,
    UnknownSubject,
    check_subjects,
    load_subjects,
)
from zhengai.errors import Where
from zhengai.model import Level, Subject, UnknownLevel


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


TREE = (
    "编号,层面,名称,上级,院系,入学年份\n"
    "sch,学校,某职业技术学院,,,\n"
    "d1,部门,信息学院,sch,信息学院,\n"
    "m1,major,软件技术,d1,信息学院,\n"
    "c1,班级,软件1班,m1,信息学院,2024\n"
    "s1,学生,张三,c1,信息学院,2024\n"
    "s2,student,李四,c1,信息学院,2024\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_load_subjects_with_chinese_headers(tmp_path: Path, encoding: str) -> None:
    subjects = load_subjects(write(tmp_path / "s.csv", TREE, encoding))
    assert len(subjects) == 6
    assert subjects.ids.tolist() == ["sch", "d1", "m1", "c1", "s1", "s2"]
    assert subjects.levels.tolist() == [
        "school",
        "department",
        "major",
        "class",
        "student",
        "student",
    ]
    assert subjects.parent_ids.tolist() == [None, "sch", "d1", "m1", "c1", "c1"]
    assert subjects.attributes["院系"].tolist()[:2] == [None, "信息学院"]
    s1 = subjects.get("s1")
    assert s1 == Subject(
        id="s1",
        level=Level.STUDENT,
        name="张三",
        parent_id="c1",
        attributes={"院系": "信息学院", "入学年份": "2024"},
    )


def test_subjects_from_xlsx_and_dataframe(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    pd = pytest.importorskip("pandas")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["subject_id", "level", "name", "parent_id", "credits"])
    sheet.append(["m1", "专业", "软件技术", None, None])
    sheet.append([101, "课程", "Python 程序设计", "m1", 4])
    path = tmp_path / "s.xlsx"
    book.save(path)
    subjects = load_subjects(path)
    assert subjects.ids.tolist() == ["m1", "101"]
    assert subjects.get("101") == Subject(
        id="101", level="course", name="Python 程序设计", parent_id="m1", attributes={"credits": 4}
    )
    frame = pd.DataFrame(subjects.to_records())
    again = load_subjects(frame)
    assert list(again) == list(subjects)


SUBJECT_CASES = [
    pytest.param(
        "s9,学生,王五,cl1",
        MissingParent,
        "上级",
        "parent 'cl1' is not a subject",
        "did you mean 'c1'?",
        id="missing_parent",
    ),
    pytest.param(
        "s9,学生们,王五,c1",
        UnknownLevel,
        "层面",
        "unknown level '学生们'",
        "did you mean '学生'?",
        id="unknown_level",
    ),
    pytest.param(
        "s1,学生,王五,c1",
        DuplicateSubject,
        "编号",
        "subject id 's1' is also on row 3",
        None,
        id="duplicate_subject",
    ),
    pytest.param(
        ",学生,王五,c1",
        BadValue,
        "编号",
        "empty subject id",
        None,
        id="empty_id",
    ),
]


@pytest.mark.parametrize(("line", "cls", "column", "message", "hint"), SUBJECT_CASES)
def test_each_subject_problem(
    tmp_path: Path, line: str, cls: type[Exception], column: str, message: str, hint: str | None
) -> None:
    path = write(
        tmp_path / "s.csv", "编号,层面,名称,上级\nc1,班级,软件1班,\ns1,学生,张三,c1\n" + line
    )
    with pytest.raises(cls) as info:
        load_subjects(path)
    error = info.value
    assert type(error) is cls
    assert error.code == cls.code  # type: ignore[attr-defined]
    assert error.where == Where(file=str(path), row=4, column=column)  # type: ignore[attr-defined]
    assert error.message == message  # type: ignore[attr-defined]
    assert error.hint == hint  # type: ignore[attr-defined]
    assert [str(p) for p in check_subjects(path)] == [str(error)]


def test_parent_cycle_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.csv",
        "subject_id,level,parent_id\n"
        "sch,school,\n"
        "a,department,c\n"
        "b,major,a\n"
        "c,class,b\n"
        "x,student,a\n"  # below the cycle, not in it
        "self,student,self\n",
    )
    problems = check_subjects(path)
    assert [type(p) for p in problems] == [ParentCycle, ParentCycle]
    first, second = problems
    assert first.code == "data.parent_cycle"
    assert first.where == Where(file=str(path), row=3, column="parent_id")
    assert first.message == "parents form a cycle: a → c → b → a"  # each arrow points to a parent
    assert second.where == Where(file=str(path), row=7, column="parent_id")
    assert second.message == "parents form a cycle: self → self"


def test_collect_mode_and_missing_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "id,name\na,甲\n")
    with pytest.raises(MissingColumn) as info:
        load_subjects(path)
    assert info.value.where == Where(file=str(path), row=1, column="level")
    assert info.value.message == "missing column 'level' (层面/层级)"

    path = write(tmp_path / "t.csv", "id,level,parent_id\na,学生,zz\na,学生,\nb,,a\n")
    with pytest.raises(DataLoadFailed) as failed:
        load_subjects(path, errors="collect")
    assert [(type(p), p.where.row, p.where.column) for p in failed.value.problems] == [
        (MissingParent, 2, "parent_id"),
        (DuplicateSubject, 3, "id"),
        (BadValue, 4, "level"),
    ]
    assert str(failed.value).splitlines()[0] == f"{path}: 3 problems found; nothing was loaded:"


# -- the container -------------------------------------------------------------------------
def test_hierarchy_navigation(tmp_path: Path) -> None:
    subjects = load_subjects(write(tmp_path / "s.csv", TREE))
    assert [s.id for s in subjects.ancestors("s1")] == ["c1", "m1", "d1", "sch"]
    assert subjects.ancestors("sch") == []
    assert subjects.children("c1").ids.tolist() == ["s1", "s2"]
    assert subjects.descendants("m1").ids.tolist() == ["c1", "s1", "s2"]
    assert subjects.of_level("学生").ids.tolist() == ["s1", "s2"]
    assert subjects.of_level(Level.SCHOOL).names.tolist() == ["某职业技术学院"]
    assert subjects.where(subjects.levels == "class").ids.tolist() == ["c1"]
    assert "s2" in subjects
    assert "s9" not in subjects
    assert subjects.get("s9") is None
    with pytest.raises(UnknownSubject) as info:
        subjects.children("s11")
    assert info.value.code == "data.unknown_subject"
    assert info.value.hint == "did you mean 's1'?"


def test_round_trip_through_model_objects(students: Subjects) -> None:
    items = list(students)
    assert all(isinstance(s, Subject) for s in items)
    assert items[3].attributes == {"gender": "女", "age": 19}
    assert items[5].attributes == {"gender": "女"}  # a missing attribute is absent
    again = Subjects.coerce(items)
    assert list(again) == items
    assert Subjects.coerce(again) is again
    assert len(Subjects.coerce(None)) == 0


def test_constructor_checks() -> None:
    with pytest.raises(DuplicateSubject) as info:
        Subjects(["a", "b", "a"], ["student"] * 3)
    assert info.value.message == "subject id 'a' appears more than once"
    with pytest.raises(UnknownLevel):
        Subjects(["a"], ["学僧"])
    with pytest.raises(ValueError, match="names has 1 entries for 2 subjects"):
        Subjects(["a", "b"], ["student"] * 2, names=["x"])
    subjects = Subjects(np.array(["a", "b"]), [Level.STUDENT, "学生"])
    assert subjects.levels.tolist() == ["student", "student"]
    assert subjects.column("level") is subjects.levels
