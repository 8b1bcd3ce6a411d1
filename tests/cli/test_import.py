"""``zhengai import``: subjects and state data into a store, checked first."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from zhengai.store import Store

Invoke = Callable[..., Result]
Write = Callable[..., Path]

SUBJECTS = """subject_id,level,name,parent_id
SCH,school,示例学院,
C1,course,高等数学,SCH
C2,course,大学英语,SCH
"""
OBSERVATIONS = """subject_id,indicator,period,value
C1,到课率,2025-2026-1,0.95
C2,attendance_rate,2025-2026-1,0.8
C2,attendance_rate,2025-2026-2,
"""


@pytest.fixture
def store(tmp_path: Path, invoke: Invoke) -> str:
    url = f"sqlite:///{tmp_path / 'z.db'}"
    assert invoke("db", "upgrade", url).exit_code == 0
    return url


def test_import_prints_counts_and_a_second_run_adds_nothing(
    invoke: Invoke, write: Write, store: str
) -> None:
    subjects, observations = write("s.csv", SUBJECTS), write("o.csv", OBSERVATIONS)
    args = ["import", "--store", store, "--subjects", str(subjects)]
    args += ["--observations", str(observations)]
    first = invoke(*args)
    assert first.exit_code == 0, first.stderr
    # 52 = the indicators of the built-in core pack, used when the store has none
    assert first.stdout == "已导入：指标 52 个，主体 3 个，状态数据 3 条（新增 3，已有 0）\n"
    again = invoke("--lang", "en", *args, "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout) == {
        "indicators": 52,
        "subjects": 3,
        "observations": {"submitted": 3, "added": 0, "skipped": 3},
    }
    stored = Store(store).observations(period="2025-2026-1")
    assert sorted(zip(stored.subject_id, stored.value, strict=True)) == [("C1", 0.95), ("C2", 0.8)]


def test_english_messages(invoke: Invoke, write: Write, store: str) -> None:
    result = invoke(
        "--lang", "en", "import", "--store", store, "--subjects", str(write("s.csv", SUBJECTS))
    )
    assert result.exit_code == 0
    assert result.stdout == (
        "imported: 52 indicators, 3 subjects, 0 observations (0 added, 0 already stored)\n"
    )


def test_observations_may_name_subjects_already_stored(
    invoke: Invoke, write: Write, store: str
) -> None:
    assert (
        invoke("import", "--store", store, "--subjects", str(write("s.csv", SUBJECTS))).exit_code
        == 0
    )
    result = invoke(
        "import", "--store", store, "--observations", str(write("o.csv", OBSERVATIONS)), "--json"
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["observations"]["added"] == 3


def test_wide_form_with_a_default_period(invoke: Invoke, write: Write, store: str) -> None:
    invoke("import", "--store", store, "--subjects", str(write("s.csv", SUBJECTS)))
    wide = write("w.csv", "subject_id,到课率,课程合格率\nC1,0.9,0.8\nC2,0.7,\n")
    result = invoke(
        "import",
        "--store",
        store,
        "--observations",
        str(wide),
        "--form",
        "wide",
        "--period",
        "2025-2026-2",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["observations"] == {"submitted": 4, "added": 4, "skipped": 0}
    stored = Store(store).observations(period="2025-2026-2", indicators=["course_pass_rate"])
    assert list(stored.subject_id) == ["C1", "C2"]


def test_unknown_indicator_names_file_row_and_column(
    invoke: Invoke, write: Write, store: str
) -> None:
    observations = write(
        "o.csv", OBSERVATIONS.replace("C2,attendance_rate,2025-2026-1", "C2,到课律,2025-2026-1")
    )
    result = invoke(
        "import",
        "--store",
        store,
        "--subjects",
        str(write("s.csv", SUBJECTS)),
        "--observations",
        str(observations),
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"zhengai: error [data.unknown_indicator] {observations} row 3 column indicator: "
        "unknown indicator '到课律', did you mean '到课率'?\n"
    )
    assert Store(store).subjects() == []  # nothing is written when a file has a problem


def test_collect_lists_every_problem(invoke: Invoke, write: Write, store: str) -> None:
    observations = write(
        "o.csv",
        "subject_id,indicator,period,value\nC1,到课律,2025-2026-1,0.95\nC9,到课率,2025-2026-1,95%\n",
    )
    result = invoke(
        "import",
        "--store",
        store,
        "--subjects",
        str(write("s.csv", SUBJECTS)),
        "--observations",
        str(observations),
        "--errors",
        "collect",
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"zhengai: error [data.load_failed] {observations}: 3 problems found; nothing was loaded:",
        f"zhengai: error [data.unknown_indicator] {observations} row 2 column indicator: "
        "unknown indicator '到课律', did you mean '到课率'?",
        f"zhengai: error [data.unknown_subject] {observations} row 3 column subject_id: "
        "unknown subject 'C9'",
        f"zhengai: error [data.bad_value] {observations} row 3 column value: "
        "value '95%' is not a number, write 0.95 rather than '95%'",
    ]


def test_unknown_subject(invoke: Invoke, write: Write, store: str) -> None:
    observations = write("o.csv", "subject_id,indicator,period,value\nX1,到课率,2025-2026-1,0.9\n")
    result = invoke("import", "--store", store, "--observations", str(observations))
    assert result.exit_code == 2
    assert result.stderr == (
        f"zhengai: error [data.unknown_subject] {observations} row 2 column subject_id: "
        "unknown subject 'X1'\n"
    )


def test_bad_subjects_file(invoke: Invoke, write: Write, store: str) -> None:
    subjects = write("s.csv", SUBJECTS + "C3,lesson,线性代数,SCH\n")
    result = invoke("import", "--store", store, "--subjects", str(subjects))
    assert result.exit_code == 2
    assert result.stderr == (
        f"zhengai: error [data.unknown_level] {subjects} row 5 column level: "
        "unknown level 'lesson'\n"
    )


def test_missing_file(invoke: Invoke, store: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result = invoke("import", "--store", store, "--observations", str(missing))
    assert result.exit_code == 2
    assert result.stderr == (
        f"zhengai: error [data.unreadable_source] {missing}: no such file '{missing}'\n"
    )


def test_a_store_without_schema_points_to_db_upgrade(
    invoke: Invoke, write: Write, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    subjects = str(write("s.csv", SUBJECTS))
    result = invoke("import", "--store", url, "--subjects", subjects)
    assert result.exit_code == 2
    assert result.stderr == (
        "zhengai: error [store.schema_not_upgraded] the database has no zhengai schema, "
        "先运行 zhengai db upgrade <URL> 创建数据库结构\n"
    )
    english = invoke("--lang", "en", "import", "--store", url, "--subjects", subjects)
    assert english.stderr.endswith("run zhengai db upgrade <URL> once to create it\n")


def test_nothing_to_import_is_a_usage_error(invoke: Invoke, store: str) -> None:
    result = invoke("--lang", "en", "import", "--store", store)
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: give --subjects, --observations or both\n")


def test_unknown_pack(invoke: Invoke, write: Write, store: str) -> None:
    result = invoke(
        "import", "--store", store, "--subjects", str(write("s.csv", SUBJECTS)), "--pack", "nosuch"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "zhengai: error [pack.not_found] unknown pack 'nosuch': "
        "not a folder, a built-in pack or an installed plugin\n"
    )


def test_upgrade_and_import_on_every_database(invoke: Invoke, write: Write, db_url: str) -> None:
    assert invoke("db", "upgrade", db_url).exit_code == 0
    args = ["import", "--store", db_url, "--subjects", str(write("s.csv", SUBJECTS))]
    args += ["--observations", str(write("o.csv", OBSERVATIONS)), "--json"]
    first, again = invoke(*args), invoke(*args)
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["observations"] == {"submitted": 3, "added": 3, "skipped": 0}
    assert json.loads(again.stdout)["observations"] == {"submitted": 3, "added": 0, "skipped": 3}
    assert [s.id for s in Store(db_url).subjects()] == ["C1", "C2", "SCH"]


def test_excel_workbook_sheet(invoke: Invoke, write: Write, store: str, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2025秋"
    for row in [("学号", "指标", "学期", "值"), ("C1", "到课率", "2025-2026-1", 0.9)]:
        sheet.append(row)
    path = tmp_path / "状态数据.xlsx"
    book.save(path)
    invoke("import", "--store", store, "--subjects", str(write("s.csv", SUBJECTS)))
    result = invoke("import", "--store", store, "--observations", str(path), "--sheet", "2025秋")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("状态数据 1 条（新增 1，已有 0）\n")
    wrong = invoke("import", "--store", store, "--observations", str(path), "--sheet", "2025春")
    assert wrong.exit_code == 2
    assert wrong.stderr == (
        f"zhengai: error [data.missing_sheet] {path}: no sheet '2025春'; "
        "the workbook has ['2025秋'], did you mean '2025秋'?\n"
    )


def test_new_subjects_may_hang_under_stored_parents(
    invoke: Invoke, write: Write, store: str
) -> None:
    invoke("import", "--store", store, "--subjects", str(write("s.csv", SUBJECTS)))
    before = {s.id: s for s in Store(store).subjects()}
    later = write(
        "later.csv", "编号,层面,名称,上级,院系\nC3,course,线性代数,SCH,数学\nC4,课程,物理,C9,物理\n"
    )
    failed = invoke("import", "--store", store, "--subjects", str(later))
    assert failed.exit_code == 2
    assert failed.stderr == (
        f"zhengai: error [data.missing_parent] {later} row 3 column 上级: "
        "parent 'C9' is not a subject\n"
    )
    later.write_text(later.read_text(encoding="utf-8").replace(",C9,", ",C3,"), encoding="utf-8")
    result = invoke("import", "--store", store, "--subjects", str(later), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["subjects"] == 2
    after = {s.id: s for s in Store(store).subjects()}
    assert after["SCH"] == before["SCH"]  # the stored parent is not rewritten
    assert (after["C4"].parent_id, after["C4"].attributes) == ("C3", {"院系": "物理"})
