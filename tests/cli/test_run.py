"""``zhengai run`` (the DESIGN.md §5 contract) and ``zhengai report``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from zhengai.data import load_observations, load_subjects
from zhengai.engine import run
from zhengai.packs import load_pack
from zhengai.store import Store

Invoke = Callable[..., Result]
Write = Callable[..., Path]

PACK = "academic-warning"
TERM = "2025-2026-2"


@pytest.fixture(scope="module")
def expected(college_files: dict[str, Path]) -> dict[str, object]:
    """What the library's own run gives on the same files."""
    pack = load_pack(PACK)
    subjects = load_subjects(college_files["subjects"])
    observations = load_observations(college_files["observations"], catalog=pack.catalog)
    return run(pack, (subjects, observations), TERM).to_dict()


def _files(college_files: dict[str, Path]) -> list[str]:
    subjects, observations = college_files["subjects"], college_files["observations"]
    return ["--subjects", str(subjects), "--observations", str(observations)]


def test_run_writes_the_design_contract_json(
    invoke: Invoke, college_files: dict[str, Path], expected: dict[str, object], tmp_path: Path
) -> None:
    out = tmp_path / "result.json"
    result = invoke(
        "--lang", "en", "run", PACK, *_files(college_files), "--period", TERM, "--out", str(out)
    )
    assert result.exit_code == 0, result.stderr
    written = json.loads(out.read_text(encoding="utf-8"))
    for key in ("alerts", "gaps", "scores", "spirals"):
        assert written[key] == expected[key]
    assert written["alerts"], "the example college has planted warnings"
    assert set(written["alerts"][0]) >= {"rule", "subject_id", "severity", "status", "message"}
    assert set(written["gaps"][0]) == {"rule", "subject_id", "missing"}
    counts = written["counts"]
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{PACK} 1.0.0 for {TERM}: {counts['alerts']} alerts (")
    assert lines[0].endswith(f"), {counts['gaps']} data gaps, 0 scores, 0 spirals")
    assert lines[1] == f"result written to {out}"


def test_run_json_on_stdout_with_each_backend(
    invoke: Invoke, college_files: dict[str, Path], expected: dict[str, object]
) -> None:
    for backend in ("row", "sql"):
        result = invoke(
            "run", PACK, *_files(college_files), "--period", TERM, "--backend", backend, "--json"
        )
        assert result.exit_code == 0, result.stderr
        shown = json.loads(result.stdout)
        assert shown["backend"] == backend
        assert shown["alerts"] == expected["alerts"]


def test_run_on_a_store_is_stored_and_continues_the_lifecycle(
    invoke: Invoke, loaded_store: str
) -> None:
    first = invoke("run", PACK, "--store", loaded_store, "--period", "2025-2026-1", "--json")
    second = invoke("run", PACK, "--store", loaded_store, "--period", TERM)
    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 0, second.stderr
    assert json.loads(first.stdout)["run_id"] == 1
    assert second.stdout.splitlines()[-1] == "已存储为运行 #2"
    statuses = {
        a["status"]
        for a in json.loads(
            invoke("run", PACK, "--store", loaded_store, "--period", TERM, "--json").stdout
        )["alerts"]
    }
    assert statuses - {"new"}, "alerts of the term before continue (ongoing, resolving…)"


def test_run_with_a_goal_chain(invoke: Invoke, college_files: dict[str, Path]) -> None:
    result = invoke(
        "run",
        "core",
        *_files(college_files),
        "--period",
        TERM,
        "--chain",
        str(college_files["goals"].parent),
        "--chain-period",
        "2025-2026",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert 0 < shown["attainment"]["G-SCH"] < 1.2
    assert [f["code"] for f in shown["findings"]] == ["no_source", "target_consistency"]


def test_run_bad_observations_name_file_and_row(
    invoke: Invoke, college_files: dict[str, Path], write: Write
) -> None:
    observations = write(
        "o.csv",
        "subject_id,indicator,period,value\nSCH,到课率,2025-2026-2,0.9\nSCH,到课律,2025-2026-2,0.9\n",
    )
    result = invoke(
        "run",
        PACK,
        "--subjects",
        str(college_files["subjects"]),
        "--observations",
        str(observations),
        "--period",
        TERM,
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"zhengai: error [data.unknown_indicator] {observations} row 3 column indicator: "
        "unknown indicator '到课律', did you mean '到课率'?\n"
    )


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (
            ["--period", "2025-2026-3"],
            "zhengai: error [data.bad_period] --period: bad period '2025-2026-3', expected an "
            "academic year '2025-2026', a term '2025-2026-1' or a month '2025-10'\n",
        ),
        (["--period", TERM, "--pack-typo"], "Error: No such option '--pack-typo'.\n"),
    ],
)
def test_run_bad_arguments_exit_2(
    invoke: Invoke, college_files: dict[str, Path], args: list[str], stderr: str
) -> None:
    result = invoke("run", PACK, *_files(college_files), *args)
    assert result.exit_code == 2
    assert result.stderr.endswith(stderr)


def test_run_unknown_pack(invoke: Invoke, college_files: dict[str, Path]) -> None:
    result = invoke("run", "academic-warnin", *_files(college_files), "--period", TERM)
    assert result.exit_code == 2
    assert result.stderr == (
        "zhengai: error [pack.not_found] unknown pack 'academic-warnin': not a folder, a "
        "built-in pack or an installed plugin, did you mean 'academic-warning'?\n"
    )


def test_run_without_data_is_a_usage_error(invoke: Invoke, college_files: dict[str, Path]) -> None:
    result = invoke(
        "--lang", "en", "run", PACK, "--subjects", str(college_files["subjects"]), "--period", TERM
    )
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: without --store, give both --subjects and --observations\n"
    )


def test_report_writes_the_annual_and_a_self_report(
    invoke: Invoke, loaded_store: str, tmp_path: Path
) -> None:
    major = Store(loaded_store).subjects(level="major")[0]
    out = tmp_path / "reports"
    args = ["--store", loaded_store, "--period", TERM, "--format", "md", "--out", str(out)]
    result = invoke("report", *args, "--subject", major.id)
    assert result.exit_code == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [label for label, _ in lines] == ["质量年度报告", "自我诊改报告"]
    annual, self_report = (Path(path) for _, path in lines)
    assert annual.parent == out
    assert "质量年度报告" in annual.read_text(encoding="utf-8")
    assert self_report.name == f"{major.name}自我诊改报告.md"
    assert major.name in self_report.read_text(encoding="utf-8")


def test_report_unknown_subject_writes_nothing(
    invoke: Invoke, loaded_store: str, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    result = invoke(
        "report",
        "--store",
        loaded_store,
        "--period",
        TERM,
        "--format",
        "json",
        "--out",
        str(out),
        "--subject",
        "M999",
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "zhengai: error [data.unknown_report_subject] --subject: "
        "unknown subject 'M999' for the report\n"
    )
    assert not any(out.glob("*.json"))


def test_report_unknown_format_is_a_usage_error(invoke: Invoke, loaded_store: str) -> None:
    result = invoke("report", "--store", loaded_store, "--period", TERM, "--format", "pdf")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for '--format': 'pdf' is not one of "
        "'md', 'html', 'docx', 'xlsx', 'json'.\n"
    )


def test_run_on_a_store_with_a_bad_file_stores_nothing(
    invoke: Invoke, college_files: dict[str, Path], write: Write, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'z.db'}"
    assert invoke("db", "upgrade", url).exit_code == 0
    observations = write("o.csv", "subject_id,indicator,period,value\nSCH,到课率,2025-2026-2,9\n")
    result = invoke(
        "run",
        PACK,
        "--store",
        url,
        "--subjects",
        str(college_files["subjects"]),
        "--observations",
        str(observations),
        "--period",
        TERM,
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"zhengai: error [data.out_of_range] {observations} row 2 column value: value 9 of "
        "到课率 (attendance_rate) is outside its valid range 0–1, looks like a percentage; "
        "divide by 100\n"
    )
    assert Store(url).subjects() == []
