"""zhengai inside a campus web service: a small FastAPI app around ONE shared ``Store``.

Run it (any SQLAlchemy URL the store accepts)::

    pip install 'zhengai[examples]'
    ZHENGAI_STORE_URL=sqlite:///zhengai.db uvicorn app:app --workers 2

What it shows:

* **One Store per process, shared by every request.**  The lifespan creates the
  ``Store`` (and with it the SQLAlchemy engine and its connection pool) once, when a
  worker process starts; request handlers are plain ``def`` functions that FastAPI runs
  in its thread pool, and a Store built on a URL is safe to share between threads
  (every call takes its own pooled connection and transaction).  With ``--workers N``
  each process builds its own engine in its own lifespan: an engine must never be
  carried across a fork.
* **One school never reads another's data.**  The school comes from the request
  (the ``X-School`` header; behind a campus gateway it would come from the login), and
  every handler works on ``store.for_school(school)`` — the same engine and pool, but
  every query filtered by that school.  The only handler-level queries of our own
  (alerts of a department) filter on ``school_id`` too.
* **Errors keep their codes.**  A :class:`zhengai.ZhengaiError` becomes a JSON body
  ``{"code", "message", "where"}`` with 400 (bad input), 404 (not found) or 409
  (a guard, a race or a schema that needs upgrading).

Endpoints (all take the ``X-School`` header):

====================================  ==============================================
``POST /packs/{pack}/install``        register a built-in pack's indicators
``POST /subjects``                    upload subjects (CSV/Excel) → ``store.add_subjects``
``POST /observations``                upload state data → ``load_observations`` →
                                      ``store.ingest`` (idempotent: re-uploading adds 0)
``POST /runs``                        run a pack for a period → ``zhengai.run``
``GET  /alerts``                      a run's alerts for one department (二级学院)
``POST /spirals/{loop}/start``        put subjects on an improvement loop
``POST /spirals/{loop}/advance``      move them with one trigger (``StoredSpiral``)
``GET  /spirals/{loop}``              subjects per state
``GET  /runs/{run_id}/report``        a 自我诊改报告 / 质量年度报告 (md, html, docx, xlsx,
                                      json) rebuilt from the data as of the run
====================================  ==============================================
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, File, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from numpy.typing import NDArray
from pydantic import BaseModel, Field
from sqlalchemy import select

import zhengai
from zhengai.data import Observations
from zhengai.engine import previous_alerts
from zhengai.errors import (
    ConcurrencyConflict,
    GuardFailed,
    LoopError,
    ZhengaiError,
)
from zhengai.model import AlertStatus, Level, Period
from zhengai.packs import Pack, builtin_packs
from zhengai.reports import FORMATS, ReportData, render
from zhengai.spiral import RED_SEVERITIES, GuardInputs, Spiral, StoredSpiral
from zhengai.store import (
    RowNotFound,
    SchemaNotUpgraded,
    SchemaOutOfDate,
    SchemaTooNew,
    SchoolMismatch,
    Store,
)
from zhengai.store.schema import alerts as alerts_table
from zhengai.store.schema import runs as runs_table
from zhengai.store.schema import subjects as subjects_table

__all__ = ["app", "create_app"]

#: The media type of each report format.
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A school id travels in a header and names rows in a shared database: keep it plain.
_SCHOOL_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


# -- the shared store ------------------------------------------------------------------------
def create_app(url: str | None = None, *, upgrade: bool = True) -> FastAPI:
    """The service on the store at ``url`` (default ``$ZHENGAI_STORE_URL``, else SQLite).

    ``upgrade`` creates or upgrades the schema at startup; a deployment that
    migrates as a separate step passes False.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One Store, hence one engine and one pool, per worker process.
        store = Store(url or os.environ.get("ZHENGAI_STORE_URL", "sqlite:///zhengai.db"))
        if upgrade:
            store.upgrade()
        app.state.store = store
        yield
        store.engine.dispose()

    app = FastAPI(title="zhengai 诊改服务", lifespan=lifespan)
    app.add_exception_handler(ZhengaiError, _zhengai_error)  # type: ignore[arg-type]
    app.add_exception_handler(ServiceError, _service_error)  # type: ignore[arg-type]
    app.include_router(_routes())
    return app


def school_store(
    request: Request, x_school: Annotated[str, Header(description="学校代码 / school id")]
) -> Store:
    """The shared store seen as the requesting school: every query is limited to it."""
    if not _SCHOOL_ID.fullmatch(x_school):
        raise ServiceError(400, "bad_school", f"bad X-School header {x_school!r}")
    shared: Store = request.app.state.store
    return shared.for_school(x_school)


SchoolStore = Annotated[Store, Depends(school_store)]


class ServiceError(Exception):
    """A refusal of this service (unknown run, pack or loop; a bad upload), shaped like a
    library error: ``{"code", "message", "where"}`` with an HTTP status."""

    def __init__(
        self, status: int, code: str, message: str, where: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.where = where


async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
    return JSONResponse(
        status_code=exc.status,
        content={"code": exc.code, "message": exc.message, "where": exc.where},
    )


async def _zhengai_error(request: Request, exc: ZhengaiError) -> JSONResponse:
    status = 400
    if isinstance(exc, RowNotFound | SchoolMismatch):
        status = 404
    elif isinstance(
        exc,
        ConcurrencyConflict
        | GuardFailed
        | LoopError
        | SchemaNotUpgraded
        | SchemaOutOfDate
        | SchemaTooNew,
    ):
        status = 409
    where = exc.where
    return JSONResponse(
        status_code=status,
        content={
            "code": exc.code,
            "message": str(exc),
            "where": None
            if where is None
            else {"file": where.file, "row": where.row, "column": where.column},
        },
    )


@cache
def _pack(name: str) -> Pack:
    # Only built-in packs by name: a request must never make the server read a path.
    if name not in builtin_packs():
        raise ServiceError(404, "unknown_pack", f"no built-in pack {name!r}")
    return zhengai.load_pack(name)


@contextmanager
def _uploaded(upload: UploadFile) -> Iterator[Path]:
    """The upload as a file under the name the user gave it, in a private folder.

    The loaders name the file in their errors; those errors leave here naming the
    uploaded file only, never the server's temporary folder.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(upload.filename or "upload.csv").name
        path.write_bytes(upload.file.read())
        try:
            yield path
        except ZhengaiError as exc:
            where = exc.where
            raise ServiceError(
                400,
                exc.code,
                str(exc).replace(str(path), path.name),
                {
                    "file": path.name,
                    "row": None if where is None else where.row,
                    "column": None if where is None else where.column,
                },
            ) from exc


# -- request bodies ----------------------------------------------------------------------------
class RunRequest(BaseModel):
    """``POST /runs``: which built-in pack to run for which period."""

    pack: str
    period: str


class StartRequest(BaseModel):
    """``POST /spirals/{loop}/start``: the loop's pack and which subjects to put on it."""

    pack: str = "core"
    level: str | None = None
    subjects: list[str] | None = None


class AdvanceRequest(BaseModel):
    """``POST /spirals/{loop}/advance``: one trigger for a population, with guard inputs.

    ``department`` and ``level`` narrow the population; ``run_id`` reads the open
    alerts of that run: ``alerted_only`` keeps only subjects with one (the small
    loop's ``warn``), and its open red alerts feed ``no_unacknowledged_red_alert``.
    The other inputs hold for every selected subject.
    """

    trigger: str
    pack: str = "core"
    level: str | None = None
    department: str | None = None
    run_id: int | None = None
    alerted_only: bool = False
    targets: dict[str, float] | None = None
    covered: list[str] | None = None
    data_ratio: float | None = None
    revision_approved: bool | None = None
    action_opened: bool | None = None
    alert_resolved: bool | None = None
    who: str = "system"
    reason: str = ""


class AlertOut(BaseModel):
    """One alert of a run, with the subject's name and department."""

    rule: str
    subject_id: str
    subject_name: str
    level: str
    department: str | None
    severity: str
    status: str
    message: str
    values: dict[str, Any] = Field(default_factory=dict)


# -- helpers over the store ---------------------------------------------------------------------
def _department_of(row: dict[str, Any]) -> str | None:
    # A department (二级学院/职能部门) is its own department; everyone below names theirs.
    if row["level"] == "department":
        return str(row["id"])
    value = (row["attributes"] or {}).get("department")
    return None if value is None else str(value)


def _run_row(store: Store, run_id: int | None) -> dict[str, Any]:
    query = select(runs_table).where(runs_table.c.school_id == store.school)
    query = query.where(runs_table.c.id == run_id) if run_id is not None else query
    with store.engine.connect() as conn:
        row = conn.execute(query.order_by(runs_table.c.id.desc()).limit(1)).mappings().first()
    if row is None:
        what = "no runs yet" if run_id is None else f"no run {run_id}"
        raise ServiceError(404, "unknown_run", what)
    return dict(row)


def _run_alerts(store: Store, run_id: int) -> list[dict[str, Any]]:
    """The stored alerts of one run joined with their subjects (this school only)."""
    a, s = alerts_table.c, subjects_table.c
    query = (
        select(
            a.rule,
            a.subject_id,
            a.severity,
            a.status,
            a.message,
            a.input_values,
            s.id,
            s.name,
            s.level,
            s.attributes,
        )
        .join_from(
            alerts_table,
            subjects_table,
            (s.school_id == a.school_id) & (s.id == a.subject_id),
        )
        .where(a.school_id == store.school, a.run_id == run_id)
        .order_by(a.id)
    )
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def _spiral(pack_name: str, loop: str) -> Spiral:
    pack = _pack(pack_name)
    loops = pack.sections.get("loops", {})
    if loop not in loops:
        raise ServiceError(
            404, "unknown_loop", f"pack {pack_name!r} has no loop {loop!r}: {', '.join(loops)}"
        )
    return Spiral(
        loops[loop],
        catalog=pack.catalog,
        attributes=tuple(pack.attributes),
        constants=dict(pack.constants),
    )


def _broadcast(request: AdvanceRequest, ids: NDArray[Any], red: dict[str, set[str]]) -> GuardInputs:
    """Guard inputs for ``ids`` (the loaded states' order) from one request.

    ``red`` maps a rule to the subjects with an open red alert of it.
    """
    n = len(ids)

    def flag(value: bool | None) -> NDArray[np.bool_] | None:
        return None if value is None else np.full(n, value, dtype=bool)

    indicators = tuple(sorted({*(request.targets or {}), *(request.covered or ())}))
    targets = covered = None
    if request.targets is not None:
        row = [request.targets.get(i, np.nan) for i in indicators]
        targets = np.tile(np.array(row, dtype=np.float64), (n, 1)).reshape(n, len(indicators))
    if request.covered is not None:
        row_c = [i in set(request.covered) for i in indicators]
        covered = np.tile(np.array(row_c, dtype=bool), (n, 1)).reshape(n, len(indicators))
    # One column per red rule; a subject's cell is set when it has that rule open.
    rules = tuple(sorted(red))
    red_matrix = np.zeros((n, len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        red_matrix[:, j] = np.isin(ids.astype(str), sorted(red[rule]))
    return GuardInputs(
        n=n,
        indicators=indicators,
        targets=targets,
        covered=covered,
        data_ratio=None if request.data_ratio is None else np.full(n, request.data_ratio),
        alert_rules=rules,
        red_unacknowledged=red_matrix,
        revision_approved=flag(request.revision_approved),
        action_opened=flag(request.action_opened),
        alert_resolved=flag(request.alert_resolved),
    )


def _selection(
    store: Store, level: str | None, department: str | None, only: Iterable[str] | None
) -> list[str] | None:
    if level is None and department is None and only is None:
        return None
    rows = store.rows(
        "zg_subjects", **({} if level is None else {"level": Level.parse(level).value})
    )
    wanted = None if only is None else set(only)
    return [
        str(r["id"])
        for r in rows
        if (department is None or _department_of(r) == department)
        and (wanted is None or r["id"] in wanted)
    ]


# -- the routes -----------------------------------------------------------------------------------
def _routes() -> APIRouter:
    router = APIRouter()

    @router.post("/packs/{pack}/install")
    def install_pack(pack: str, store: SchoolStore) -> dict[str, Any]:
        """Register a built-in pack's indicator catalog for this school."""
        loaded = _pack(pack)
        return {"pack": loaded.name, "indicators": store.add_indicators(loaded.catalog)}

    @router.post("/subjects")
    def upload_subjects(store: SchoolStore, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
        """Upload subjects (诊改主体): CSV or Excel with subject_id, level, name, parent_id…"""
        with _uploaded(file) as path:
            loaded = zhengai.load_subjects(path)
        return {"subjects": store.add_subjects(loaded)}

    @router.post("/observations")
    def upload_observations(
        store: SchoolStore, file: Annotated[UploadFile, File()]
    ) -> dict[str, Any]:
        """Upload state data (状态数据), checked against this school's catalog and roster."""
        catalog = store.indicators()
        if not len(catalog):
            raise ServiceError(
                409, "no_indicators", "this school has no indicators yet: install a pack first"
            )
        with _uploaded(file) as path:
            loaded = zhengai.load_observations(path, catalog=catalog, subjects=store.subjects())
        result = store.ingest(loaded)
        return {"submitted": result.submitted, "added": result.added, "skipped": result.skipped}

    @router.post("/runs")
    def run_pack(body: RunRequest, store: SchoolStore) -> dict[str, Any]:
        """Run a built-in pack for a period on this school's data; alerts, gaps and scores
        are stored with the run."""
        result = zhengai.run(_pack(body.pack), store, body.period)
        return {"run_id": result.run_id, "counts": result.counts(), "summary": result.summary()}

    @router.get("/alerts")
    def department_alerts(
        store: SchoolStore,
        department: Annotated[str, Query(description="二级学院/部门的主体编号")],
        run_id: int | None = None,
    ) -> dict[str, Any]:
        """The alerts of a run (default: the school's latest) for one department."""
        run = _run_row(store, run_id)
        rows = [r for r in _run_alerts(store, run["id"]) if _department_of(r) == department]
        return {
            "run_id": run["id"],
            "pack": run["pack_name"],
            "period": run["period"],
            "department": department,
            "alerts": [
                AlertOut(
                    rule=r["rule"],
                    subject_id=r["subject_id"],
                    subject_name=r["name"],
                    level=r["level"],
                    department=_department_of(r),
                    severity=r["severity"],
                    status=r["status"],
                    message=r["message"],
                    values=r["input_values"] or {},
                ).model_dump()
                for r in rows
            ],
        }

    @router.post("/spirals/{loop}/start")
    def start_spirals(loop: str, body: StartRequest, store: SchoolStore) -> dict[str, Any]:
        """Put this school's subjects (all, one level or some ids) on a loop."""
        stored = StoredSpiral(_spiral(body.pack, loop), store)
        return {"loop": loop, "started": stored.start(subjects=body.subjects, level=body.level)}

    @router.post("/spirals/{loop}/advance")
    def advance_spirals(loop: str, body: AdvanceRequest, store: SchoolStore) -> dict[str, Any]:
        """Move the selected subjects with one trigger; guards decide who moves."""
        stored = StoredSpiral(_spiral(body.pack, loop), store)
        red: dict[str, set[str]] = {}
        alerted: set[str] | None = None
        if body.run_id is not None:
            run = _run_row(store, body.run_id)
            open_rows = [
                r for r in _run_alerts(store, run["id"]) if AlertStatus(r["status"]).is_open
            ]
            alerted = {r["subject_id"] for r in open_rows}
            for r in open_rows:
                if r["severity"] in RED_SEVERITIES:
                    red.setdefault(r["rule"], set()).add(r["subject_id"])
        selected = _selection(
            store, body.level, body.department, alerted if body.alerted_only else None
        )
        if selected is not None and not selected:
            return {"loop": loop, "trigger": body.trigger, "moved": 0, "selected": 0}
        outcome = stored.advance(
            body.trigger,
            lambda states: _broadcast(body, states.subject_ids, red),
            subjects=selected,
            who=body.who,
            reason=body.reason,
        )
        result = outcome.result
        failed = {guard: len(rows) for guard, rows in result.failed_by_guard.items()}
        first = next(
            (int(i) for i in np.flatnonzero(~result.moved)),
            None,
        )
        return {
            "loop": loop,
            "trigger": body.trigger,
            "selected": len(result.moved),
            "moved": outcome.stored,
            "failed_by_guard": failed,
            "illegal": len(result.illegal),
            "first_refusal": None if first is None else str(result.error(first)),
            "states": store.state_counts(loop),
            "small_states": store.state_counts(loop, track="small_state"),
        }

    @router.get("/spirals/{loop}")
    def spiral_counts(loop: str, store: SchoolStore) -> dict[str, Any]:
        """How many of this school's subjects are in each state of a loop."""
        return {
            "loop": loop,
            "states": store.state_counts(loop),
            "small_states": store.state_counts(loop, track="small_state"),
        }

    @router.get("/runs/{run_id}/report")
    def report(
        run_id: int,
        store: SchoolStore,
        kind: str = "annual",
        fmt: str = "md",
        subject: str | None = None,
    ) -> Response:
        """A report of a stored run, rebuilt from the state data as of the run's time.

        The run is evaluated again in memory with the same pack (by content hash),
        period and ``as_of``, so the report shows exactly what the run saw even when
        data arrived since.
        """
        if fmt not in FORMATS:
            raise ServiceError(400, "bad_format", f"fmt is one of {', '.join(FORMATS)}")
        run = _run_row(store, run_id)
        pack = _pack(run["pack_name"])
        if pack.identity.hash != run["pack_hash"]:
            raise ServiceError(
                409,
                "pack_changed",
                f"pack {pack.name} changed since run {run_id}; "
                "rebuild the report with the pack version the run used",
            )
        period = Period.parse(run["period"])
        subjects = store.subjects()
        # Every period, not only the rules' window: the reports draw trends over terms.
        read = store.observations(as_of=run["as_of"])
        observations = Observations(
            read.subject_id, read.indicator, read.period, read.value, read.source, read.recorded_at
        )
        again = zhengai.evaluate(
            pack, subjects, observations, period, previous=previous_alerts(store, pack, period)
        )
        data = ReportData(
            school=store.schools().get(store.school, store.school),
            period=period,
            pack=pack,
            subjects=subjects,
            observations=observations,
            alerts=again.alerts,
            scores=list(again.scores.values()),
        )
        body = render(data, kind, fmt, subject=subject)
        content = body.encode("utf-8") if isinstance(body, str) else body
        assert isinstance(content, bytes)
        return Response(
            content=content,
            media_type=MEDIA_TYPES[fmt],
            headers={
                "Content-Disposition": f'attachment; filename="run-{run_id}-{kind}{FORMATS[fmt]}"',
                "X-Zhengai-Alerts": str(len(again.alerts.alerts)),
            },
        )

    return router


#: The app for ``uvicorn app:app``.
app = create_app()
