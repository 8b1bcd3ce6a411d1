"""examples/nightly_job.py: three nights on SQLite, PostgreSQL and MariaDB.

Night 1 loads the example college and runs the pack; night 2 gets the same exports
again and must ingest nothing and reuse the run; night 3 brings one correction and
must add one row and run again.  Every printed count is recomputed in memory.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

import zhengai
from zhengai.examples import College, college

pytestmark = pytest.mark.db

JOB = Path(__file__).resolve().parents[2] / "examples" / "nightly_job.py"
PACK = "academic-warning"
TERM = "2025-2026-2"
# The correction: a student without any alert reaches 16 cumulative failed credits (红 ≥ 15).
FIXED = ("2023000002", "cum_failed_credits", TERM, "16")


@pytest.fixture(scope="module")
def job() -> ModuleType:
    spec = importlib.util.spec_from_file_location("zhengai_example_nightly", JOB)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def made() -> College:
    return college(seed=0, size="small")


@pytest.fixture(scope="module")
def exports(made: College, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Night 1/2's folder (roster + state data split by year) and night 3's correction."""
    full = tmp_path_factory.mktemp("full")
    made.write_csv(full)
    nightly = tmp_path_factory.mktemp("exports")
    (nightly / "subjects.csv").write_bytes((full / "subjects.csv").read_bytes())
    with (full / "observations.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    # Two export files, as a platform writes one per academic year.
    for year in ("2023-2024", "2024-2025", "2025-2026"):
        _write(nightly / f"状态数据-{year}.csv", header, [r for r in body if r[2].startswith(year)])
    fixed = tmp_path_factory.mktemp("correction")
    _write(fixed / "状态数据-更正.csv", header, [list(FIXED)])
    corrected = [list(FIXED) if tuple(r[:3]) == FIXED[:3] else r for r in body]
    assert corrected != body, "the corrected value exists in the college"
    _write(full / "corrected.csv", header, corrected)
    return {"nightly": nightly, "correction": fixed, "corrected": full / "corrected.csv"}


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _night(job: ModuleType, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert job.main(list(args)) == 0
    return capsys.readouterr().out


def _severities(result: zhengai.RunResult) -> str:
    order = [s.id for s in zhengai.load_pack(PACK).severities]
    tally = Counter(str(r["severity"]) for r in result.alert_records())
    return ", ".join(f"{s} {tally[s]}" for s in order if tally[s])


@pytest.fixture(scope="module")
def expected(made: College, exports: dict[str, Path]) -> dict[str, zhengai.RunResult]:
    """The run in memory before and after the correction (once for all databases)."""
    catalog = zhengai.load_pack(PACK).catalog
    corrected = zhengai.load_observations(exports["corrected"], catalog=catalog)
    return {
        "before": zhengai.run(PACK, (made.subjects, made.observations), TERM),
        "after": zhengai.run(PACK, (made.subjects, corrected), TERM),
    }


def test_three_nights(
    job: ModuleType,
    made: College,
    exports: dict[str, Path],
    expected: dict[str, zhengai.RunResult],
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "alerts"
    common = ["--store", db_url, "--pack", PACK, "--period", TERM, "--out", str(out)]
    rows = len(made.observations)
    before, after = expected["before"], expected["after"]

    first = _night(job, capsys, *common, "--exports", str(exports["nightly"]))
    assert f"诊改主体 subjects: 1 roster files, {len(made.subjects)} new, " in first
    assert f"状态数据 state data: 3 files, {rows} rows, {rows} new, 0 already stored" in first
    found = re.search(r"运行 run (\d+): academic-warning 1.0.0 2025-2026-2 \(新建 new\)", first)
    assert found is not None, first
    run_id = int(found[1])
    assert f"预警 alerts: {before.counts()['alerts']} ({_severities(before)})" in first
    assert f"数据缺失 gaps: {before.counts()['gaps']}" in first
    written = list(csv.DictReader((out / f"alerts-{TERM}.csv").open(encoding="utf-8-sig")))
    assert Counter((r["subject_id"], r["severity"]) for r in written) == Counter(
        (r["subject_id"], str(r["severity"])) for r in before.alert_records()
    )

    # The same exports again: nothing new, the run is reused, the same counts printed.
    second = _night(job, capsys, *common, "--exports", str(exports["nightly"]))
    assert f"诊改主体 subjects: 1 roster files, 0 new, {len(made.subjects)} in the store" in second
    assert f"状态数据 state data: 3 files, {rows} rows, 0 new, {rows} already stored" in second
    assert f"运行 run {run_id}: academic-warning 1.0.0 2025-2026-2 (沿用 reused" in second
    assert first.splitlines()[3:] == second.splitlines()[3:]  # alerts, gaps, scores, file
    store = zhengai.Store(db_url)
    assert [r["id"] for r in store.rows("zg_runs")] == [run_id]

    # A correction: one new version, a new run that sees it.
    third = _night(job, capsys, *common, "--exports", str(exports["correction"]))
    assert "状态数据 state data: 1 files, 1 rows, 1 new, 0 already stored" in third
    assert "(新建 new)" in third
    assert after.counts()["alerts"] == before.counts()["alerts"] + 1
    assert f"预警 alerts: {after.counts()['alerts']} ({_severities(after)})" in third
    assert len(store.rows("zg_runs")) == 2


def test_bad_export_exits_2_naming_file_and_row(
    job: ModuleType,
    made: College,
    tmp_path: Path,
    exports: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "exports"
    bad.mkdir()
    (bad / "subjects.csv").write_bytes((exports["nightly"] / "subjects.csv").read_bytes())
    (bad / "考勤.csv").write_text(
        "subject_id,indicator,period,value\nK00001,到课率,2025-2026-2,0.9\nK00001,到课率,2025-13,0.8\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'z.db'}"
    args = ["--store", url, "--exports", str(bad), "--pack", PACK, "--period", TERM]
    assert job.main(args) == 2
    printed = capsys.readouterr()
    with pytest.raises(zhengai.ZhengaiError) as direct:
        zhengai.load_observations(bad / "考勤.csv", catalog=zhengai.load_pack(PACK).catalog)
    assert printed.err == f"error: {direct.value}\n"
    assert "考勤.csv" in printed.err
    assert direct.value.where.row == 3
    assert printed.out == ""
    # Nothing of the refused file reached the store; the roster did.
    store = zhengai.Store(url)
    assert len(store.observations()) == 0
    assert len(store.subjects()) == len(made.subjects)
