"""examples/embed_fastapi: the service's answers checked against zhengai run in memory.

Every number the service returns is recomputed here without the service (the
example college and ``zhengai.run`` on in-memory data), on SQLite, PostgreSQL and
MariaDB; two schools with overlapping ids share one database and never see each
other's data.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 in its test client; httpx is what FastAPI documents.
    warnings.filterwarnings("ignore", message="Using `httpx`")
    from fastapi.testclient import TestClient

import zhengai
from zhengai.examples import College, college
from zhengai.model import Level

pytestmark = pytest.mark.db

APP = Path(__file__).resolve().parents[2] / "examples" / "embed_fastapi" / "app.py"
PACK = "academic-warning"
A, B = {"X-School": "10001"}, {"X-School": "10002"}


def _load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("zhengai_example_fastapi", APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def service() -> ModuleType:
    return _load_app()


@pytest.fixture(scope="module")
def colleges(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[College, Path]]:
    """Two different colleges with the same ids: school A gets seed 0, school B seed 1."""
    out = {}
    for school, seed in (("10001", 0), ("10002", 1)):
        made = college(seed=seed, size="small")
        folder = tmp_path_factory.mktemp(f"college{seed}")
        made.write_csv(folder)
        out[school] = (made, folder)
    return out


@pytest.fixture
def client(service: ModuleType, db_url: str) -> Iterator[TestClient]:
    with TestClient(service.create_app(db_url)) as test_client:
        yield test_client


def _upload(client: TestClient, headers: dict[str, str], route: str, path: Path) -> Any:
    response = client.post(route, headers=headers, files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    return response.json()


def _load(client: TestClient, headers: dict[str, str], folder: Path) -> dict[str, Any]:
    assert client.post(f"/packs/{PACK}/install", headers=headers).status_code == 200
    _upload(client, headers, "/subjects", folder / "subjects.csv")
    return dict(_upload(client, headers, "/observations", folder / "observations.csv"))


_EXPECTED: dict[int, list[zhengai.RunResult]] = {}


def _expected_runs(made: College) -> list[zhengai.RunResult]:
    """The last two terms in memory, the second continuing the first's alert lifecycle
    (computed once per college, for all three databases)."""
    if made.seed not in _EXPECTED:
        prior, term = made.periods.terms[-2:]
        data = (made.subjects, made.observations)
        first = zhengai.run(PACK, data, prior)
        _EXPECTED[made.seed] = [first, zhengai.run(PACK, data, term, previous=first.alerts)]
    return _EXPECTED[made.seed]


def _department(made: College, subject_id: str) -> str | None:
    subject = made.subject(subject_id)
    if subject.level is Level.DEPARTMENT:
        return subject.id
    value = subject.attributes.get("department")
    return None if value is None else str(value)


def _keys(records: list[dict[str, Any]]) -> Counter[tuple[str, str, str, str]]:
    return Counter(
        (r["rule"], r["subject_id"], str(r["severity"]), str(r["status"])) for r in records
    )


def test_upload_run_alerts_spiral_report_per_school(
    client: TestClient, colleges: dict[str, tuple[College, Path]]
) -> None:
    made_a, folder_a = colleges["10001"]
    made_b, folder_b = colleges["10002"]
    rows_a = len(made_a.observations)

    # Upload: everything is added once; the same file again adds nothing.
    first = _load(client, A, folder_a)
    assert first == {"submitted": rows_a, "added": rows_a, "skipped": 0}
    again = _upload(client, A, "/observations", folder_a / "observations.csv")
    assert again == {"submitted": rows_a, "added": 0, "skipped": rows_a}

    # Before school B loads anything it sees none of A's data.
    refused = client.post("/runs", headers=B, json={"pack": PACK, "period": "2025-2026-2"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "engine"
    assert client.get("/alerts", headers=B, params={"department": "C01"}).status_code == 404

    # Run the last two terms for A; counts equal the in-memory runs.
    expected_a = _expected_runs(made_a)
    run_ids = []
    for want in expected_a:
        got = client.post("/runs", headers=A, json={"pack": PACK, "period": str(want.period)})
        assert got.status_code == 200, got.text
        assert got.json()["counts"] == want.counts()
        assert got.json()["summary"]["alerts_by_status"] == want.summary()["alerts_by_status"]
        run_ids.append(got.json()["run_id"])
    latest = expected_a[-1]

    # School B: the other college under the same ids, in the same database.
    _load(client, B, folder_b)
    expected_b = _expected_runs(made_b)
    for want in expected_b:
        got = client.post("/runs", headers=B, json={"pack": PACK, "period": str(want.period)})
        assert got.json()["counts"] == want.counts()

    # Alerts of one department (the latest run by default): exactly the in-memory ones.
    for school, made, want in (("10001", made_a, latest), ("10002", made_b, expected_b[-1])):
        listed = client.get("/alerts", headers={"X-School": school}, params={"department": "C01"})
        body = listed.json()
        assert body["period"] == str(want.period)
        records = [r for r in want.alert_records() if _department(made, r["subject_id"]) == "C01"]
        assert records, "the example college has alerts in C01"
        assert _keys(body["alerts"]) == _keys(records)
        assert {a["department"] for a in body["alerts"]} == {"C01"}
    # The two colleges differ, so equal listings would mean a leak.
    assert _keys(latest.alert_records()) != _keys(expected_b[-1].alert_records())
    # A's run ids are not B's: neither their alerts nor their reports can be read as B.
    for run_id in run_ids:
        for response in (
            client.get("/alerts", headers=B, params={"department": "C01", "run_id": run_id}),
            client.get(f"/runs/{run_id}/report", headers=B),
        ):
            assert response.status_code == 404
            assert response.json() == {
                "code": "unknown_run",
                "message": f"no run {run_id}",
                "where": None,
            }

    _spiral_steps(client, made_a, latest, run_ids[-1])
    assert client.get("/spirals/five_step", headers=B).json()["states"] == {}

    _reports(client, made_a, latest, run_ids[-1])


def _spiral_steps(
    client: TestClient, made: College, latest: zhengai.RunResult, run_id: int
) -> None:
    students = made.subjects_at(Level.STUDENT)
    in_c01 = {s.id for s in students if s.attributes.get("department") == "C01"}
    alerted = {
        r["subject_id"]
        for r in latest.alert_records()
        if r["subject_id"] in in_c01 and r["status"] != "resolved"
    }
    assert 0 < len(alerted) < len(in_c01)

    def advance(**body: Any) -> dict[str, Any]:
        response = client.post("/spirals/five_step/advance", headers=A, json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    started = client.post("/spirals/five_step/start", headers=A, json={"level": "student"})
    assert started.json()["started"] == len(students)
    moved = advance(trigger="set_targets", department="C01", targets={"gpa": 2.5})
    assert (moved["moved"], moved["failed_by_guard"]) == (len(in_c01), {})
    others = len(students) - len(in_c01)
    assert moved["states"] == {"draft": others, "targeted": len(in_c01)}
    # A missing standard holds everyone back, and says why.
    held = advance(
        trigger="set_standards", department="C01", targets={"gpa": 2.5}, covered=["attendance_rate"]
    )
    assert held["moved"] == 0
    assert held["failed_by_guard"] == {"standards_cover_goals": len(in_c01)}
    assert "gpa" in held["first_refusal"]
    advance(trigger="set_standards", department="C01", targets={"gpa": 2.5}, covered=["gpa"])
    assert advance(trigger="start", department="C01")["moved"] == len(in_c01)
    # The small loop: students with an open alert in the run go to 预警.
    warned = advance(trigger="warn", department="C01", run_id=run_id, alerted_only=True)
    assert warned["moved"] == len(alerted)
    assert warned["small_states"] == {
        "monitoring": len(in_c01) - len(alerted),
        "warning": len(alerted),
    }
    # Diagnosis: the warned cannot leave 运行 while their small loop is open.
    diagnosed = advance(trigger="diagnose", department="C01", run_id=run_id, data_ratio=1.0)
    red_in_c01 = {
        r["subject_id"]
        for r in latest.alert_records()
        if r["subject_id"] in in_c01 and r["severity"] == "红" and r["status"] != "resolved"
    }
    assert red_in_c01 <= alerted
    assert diagnosed["moved"] == len(in_c01) - len(alerted)
    assert sum(diagnosed["failed_by_guard"].values()) == len(alerted)
    assert diagnosed["states"]["diagnosed"] == len(in_c01) - len(alerted)


def _reports(client: TestClient, made: College, latest: zhengai.RunResult, run_id: int) -> None:
    record = next(r for r in latest.alert_records() if _department(made, r["subject_id"]) == "C01")
    md = client.get(
        f"/runs/{run_id}/report",
        headers=A,
        params={"kind": "self", "subject": record["subject_id"]},
    )
    assert md.status_code == 200, md.text
    assert md.headers["content-type"].startswith("text/markdown")
    # Rebuilt from the data as of the run: the same alerts as the run stored.
    assert int(md.headers["x-zhengai-alerts"]) == latest.counts()["alerts"]
    assert md.text.startswith(f"# {made.subject(record['subject_id']).name}自我诊改报告")
    assert record["message"] in md.text
    docx = client.get(
        f"/runs/{run_id}/report",
        headers=A,
        params={"kind": "self", "subject": record["subject_id"], "fmt": "docx"},
    )
    assert docx.status_code == 200
    assert docx.content[:2] == b"PK"  # a zip container: the .docx
    assert docx.headers["content-disposition"] == f'attachment; filename="run-{run_id}-self.docx"'
    bad = client.get(f"/runs/{run_id}/report", headers=A, params={"fmt": "pdf"})
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_format")


def test_bad_requests_get_the_library_error(
    service: ModuleType, tmp_path: Path, colleges: dict[str, tuple[College, Path]]
) -> None:
    made, folder = colleges["10001"]
    with TestClient(service.create_app(f"sqlite:///{tmp_path / 'z.db'}")) as client:
        # State data before any indicators: the service says what to do first.
        early = client.post(
            "/observations",
            headers=A,
            files={"file": ("observations.csv", (folder / "observations.csv").read_bytes())},
        )
        assert (early.status_code, early.json()["code"]) == (409, "no_indicators")
        _load(client, A, folder)
        # An unknown indicator: the loader's own error, code and message, naming the file.
        bad = tmp_path / "出勤导出.csv"
        bad.write_text(
            "subject_id,indicator,period,value\n2023000001,到客率,2025-2026-2,0.9\n",
            encoding="utf-8",
        )
        with pytest.raises(zhengai.ZhengaiError) as direct:
            zhengai.load_observations(bad, catalog=zhengai.load_pack(PACK).catalog)
        response = client.post(
            "/observations", headers=A, files={"file": (bad.name, bad.read_bytes())}
        )
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == direct.value.code == "data.unknown_indicator"
        assert body["where"] == {"file": "出勤导出.csv", "row": 2, "column": "indicator"}
        assert direct.value.where.row == 2
        # The same message, naming the uploaded file and not the server's temporary folder.
        assert body["message"] == str(direct.value).replace(str(bad), bad.name)
        assert body["message"].startswith("出勤导出.csv row 2")
        assert "到课率" in body["message"]  # did you mean
        # Nothing of the refused file was stored.
        stored = _upload(client, A, "/observations", folder / "observations.csv")
        assert stored["added"] == 0
        assert stored["skipped"] == len(made.observations)
        # A school id that could not be a school, an unknown pack, an unknown loop.
        assert client.get("/spirals/five_step", headers={"X-School": "a b"}).status_code == 400
        assert client.get("/spirals/five_step").status_code == 422  # no header at all
        unknown = client.post(
            "/runs", headers=A, json={"pack": "../../etc", "period": "2025-2026-2"}
        )
        assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_pack")
        loop = client.post("/spirals/eight/start", headers=A, json={"level": "student"})
        assert (loop.status_code, loop.json()["code"]) == (404, "unknown_loop")
        # A trigger the loop does not have is the spiral's error.
        client.post("/spirals/five_step/start", headers=A, json={"level": "major"})
        trigger = client.post("/spirals/five_step/advance", headers=A, json={"trigger": "fly"})
        assert trigger.status_code == 409
        assert trigger.json()["code"] == "loop.unknown_trigger"


def test_one_store_shared_by_concurrent_requests(
    client: TestClient,
    colleges: dict[str, tuple[College, Path]],
    db_url: str,
) -> None:
    """Requests of two schools at once through the app's one Store (its thread pool):
    each school's upload is added exactly once, and the runs see only their own school."""
    for school, (_made, folder) in colleges.items():
        headers = {"X-School": school}
        assert client.post(f"/packs/{PACK}/install", headers=headers).status_code == 200
        _upload(client, headers, "/subjects", folder / "subjects.csv")

    def upload(school: str) -> tuple[str, dict[str, int]]:
        path = colleges[school][1] / "observations.csv"
        return school, _upload(client, {"X-School": school}, "/observations", path)

    with ThreadPoolExecutor(4) as pool:
        uploads = list(pool.map(upload, ["10001", "10002", "10001", "10002"]))
    for school, (made, _folder) in colleges.items():
        added = sorted(body["added"] for who, body in uploads if who == school)
        assert added == [0, len(made.observations)]

    term = str(colleges["10001"][0].periods.latest_term)

    def run(school: str) -> tuple[str, Any]:
        body = {"pack": PACK, "period": term}
        return school, client.post("/runs", headers={"X-School": school}, json=body).json()

    with ThreadPoolExecutor(2) as pool:
        runs = dict(pool.map(run, ["10001", "10002"]))
    for school, (made, _folder) in colleges.items():
        # The first run of the term (no earlier run stored): no lifecycle carried in.
        want = zhengai.run(PACK, (made.subjects, made.observations), term)
        assert runs[school]["counts"] == want.counts()
