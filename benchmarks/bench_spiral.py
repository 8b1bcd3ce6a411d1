"""The spiral for a million students: one transition with guards and audit rows.

Measured: the in-memory population path (:meth:`Spiral.advance`, numpy guards and a
columnar audit batch), the single-subject path through the shared machine, the
persistent path on SQLite and PostgreSQL (:class:`StoredSpiral`: load the states,
guards in numpy, then per source state one ``UPDATE`` and one ``INSERT … SELECT`` of
audit rows) against a bare ``UPDATE`` of the same rows, and the naive way: attaching
every subject to a ``transitions`` Machine as its own model (quadratic, so run at a
smaller N and said so).
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import create_engine, insert, text, update
from sqlalchemy.engine import make_url
from transitions import Machine

from zhengai.spiral import GuardContext, GuardInputs, Spiral, SubjectState, shipped_loop
from zhengai.spiral.persist import StoredSpiral
from zhengai.store import Store
from zhengai.store.schema import spiral_states, subjects

LOOP = shipped_loop("five_step")
POSTGRES = os.environ.get(
    "ZHENGAI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _peak(fn: Callable[[], Any]) -> tuple[float, int]:
    """Seconds and peak bytes allocated by Python (tracemalloc, numpy buffers included)."""
    tracemalloc.start()
    try:
        start = time.perf_counter()
        fn()
        seconds = time.perf_counter() - start
        return seconds, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _inputs(n: int, rng: np.random.Generator) -> GuardInputs:
    # 2% of subjects have incomplete data, 1% an unacknowledged red alert.
    return GuardInputs(
        n=n,
        data_ratio=np.where(rng.random(n) < 0.02, 0.5, 0.99),
        alert_rules=("R1", "R2"),
        red_unacknowledged=rng.random((n, 2)) < 0.005,
    )


def in_memory(n: int) -> list[str]:
    """The population path and the single path, in memory."""
    spiral = Spiral(LOOP)
    rng = np.random.default_rng(0)
    states = spiral.population([f"S{i:07d}" for i in range(n)])
    running = spiral.state_ids.index("running")
    states = type(states)(
        states.subject_ids,
        np.full(n, running, dtype=np.int16),
        np.zeros(n, dtype=np.int16),
        states.cycle,
        states.entered_at,
    )
    inputs = _inputs(n, rng)
    seconds, _ = _timed(lambda: spiral.advance(states, "diagnose", inputs, actor="bench"))
    _, peak = _peak(lambda: spiral.advance(states, "diagnose", inputs, actor="bench"))
    result = spiral.advance(states, "diagnose", inputs, actor="bench")
    failed = {k: len(v) for k, v in result.failed_by_guard.items()}
    subject = SubjectState("S1", "running", "monitoring")
    context = GuardContext(data_ratio=0.99, red_alerts_unacknowledged=())
    k = 20_000
    single, _ = _timed(lambda: [spiral.trigger(subject, "diagnose", context) for _ in range(k)])
    return [
        f"| in memory: `Spiral.advance` ({n:,} subjects, 2 guards + small-loop exit, audit batch) "
        f"| {seconds:.2f} s | {n / seconds:,.0f} | {peak / 2**20:,.0f} MiB "
        f"| moved {int(result.moved.sum()):,}, failed {failed} |",
        f"| in memory: `Spiral.trigger` one subject at a time ({k:,} triggers) "
        f"| {single:.2f} s | {k / single:,.0f} | — | {single / k * 1e6:.0f} µs per trigger |",
    ]


class _Model:
    """A subject attached to its own machine model, the naive way."""

    def __init__(self, ratio: float) -> None:
        self.ratio = ratio

    def complete(self) -> bool:
        return self.ratio >= 0.9


def naive(n: int) -> str:
    """Each subject added to a transitions Machine as a model (quadratic add_model)."""
    states = [s.id for s in LOOP.states]
    spec = [
        {"trigger": "diagnose", "source": "running", "dest": "diagnosed", "conditions": "complete"}
    ]

    def run() -> None:
        machine = Machine(
            model=None, states=states, transitions=spec, initial="running", auto_transitions=False
        )
        models = [_Model(0.99) for _ in range(n)]
        for m in models:
            machine.add_model(m)
        for m in models:
            m.diagnose()  # type: ignore[attr-defined]

    seconds, _ = _timed(run)
    _, peak = _peak(run)
    return (
        f"| naive: one `transitions` model per subject ({n:,} subjects — quadratic, so a "
        f"smaller N) | {seconds:.2f} s | {n / seconds:,.0f} | {peak / 2**20:,.0f} MiB "
        f"| {peak / n / 1024:.1f} KiB per subject |"
    )


def _populate(store: Store, n: int) -> None:
    """Setup, not measured: n students on the loop in ``draft``."""
    store.upgrade()
    store.add_school("bench")
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {
            "school_id": store.school,
            "id": f"S{i:07d}",
            "level": "student",
            "name": "",
            "parent_id": None,
            "attributes": {},
            "updated_at": now,
        }
        for i in range(n)
    ]
    with store.engine.begin() as conn:
        for start in range(0, n, 50_000):
            conn.execute(insert(subjects), rows[start : start + 50_000])
    store.start_spirals(LOOP.id, LOOP.initial, trigger="enter_loop")


def _reset(store: Store) -> None:
    c = spiral_states.c
    with store.engine.begin() as conn:
        conn.execute(update(spiral_states).where(c.loop_id == LOOP.id).values(state="draft"))


def on_database(url: str, label: str, n: int) -> list[str]:
    """Persistent path vs a bare UPDATE of the same rows."""
    store = Store(url, school="bench")
    setup, _ = _timed(lambda: _populate(store, n))
    stored = StoredSpiral(Spiral(LOOP), store)
    all_set = GuardInputs(n=n, indicators=("a",), targets=np.full((n, 1), 0.9))
    lines = []
    c = spiral_states.c

    def bare() -> None:
        with store.engine.begin() as conn:
            conn.execute(
                update(spiral_states)
                .where(c.school_id == store.school, c.loop_id == LOOP.id, c.state == "draft")
                .values(state="targeted", version=c.version + 1)
            )

    _reset(store)
    ceiling, _ = _timed(bare)
    lines.append(
        f"| {label}: bare `UPDATE` of the same rows (the ceiling) | {ceiling:.2f} s "
        f"| {n / ceiling:,.0f} | — | no guards, no audit |"
    )
    _reset(store)
    seconds, done = _timed(lambda: stored.advance("set_targets", all_set, who="bench"))
    lines.append(
        f"| {label}: `StoredSpiral.advance`, guard `targets_set`, audit rows (all pass) "
        f"| {seconds:.2f} s | {n / seconds:,.0f} | — | {seconds / ceiling:.1f}× the bare "
        f"UPDATE; moved {done.stored:,} |"
    )
    _reset(store)
    targets = np.full((n, 1), 0.9)
    targets[::10, 0] = np.nan
    some = GuardInputs(n=n, indicators=("a",), targets=targets)
    seconds, done = _timed(lambda: stored.advance("set_targets", some, who="bench"))
    lines.append(
        f"| {label}: same, 10% fail the guard (ids of the 90% through a temp table) "
        f"| {seconds:.2f} s | {n / seconds:,.0f} | — | {seconds / ceiling:.1f}× the bare "
        f"UPDATE; moved {done.stored:,} |"
    )
    lines.append(
        f"| {label}: setup (insert {n:,} students and start them, not measured above) "
        f"| {setup:.1f} s | | | |"
    )
    store.engine.dispose()
    return lines


def _fresh_schema(url: str) -> str:
    """A new, empty PostgreSQL schema for this run (dropped and recreated)."""
    server = make_url(url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS zg_bench_spiral CASCADE"))
        conn.execute(text("CREATE SCHEMA zg_bench_spiral"))
    admin.dispose()
    fresh = server.update_query_dict({"options": "-csearch_path=zg_bench_spiral"})
    return fresh.render_as_string(hide_password=False)


def main(quick: bool) -> str:
    """Run the spiral benchmark and return its Markdown section."""
    n = 20_000 if quick else 1_000_000
    naive_sizes = (2_000, 5_000) if quick else (10_000, 20_000)
    rows = in_memory(n)
    rows += [naive(k) for k in naive_sizes]
    sqlite_path = "/tmp/zhengai_bench_spiral.db"
    if os.path.exists(sqlite_path):
        os.remove(sqlite_path)
    rows += on_database(f"sqlite:///{sqlite_path}", "SQLite", n)
    try:
        rows += on_database(_fresh_schema(POSTGRES), "PostgreSQL", n)
    except Exception as exc:
        rows.append(f"| PostgreSQL: not measured ({exc.__class__.__name__}) | | | | |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return "\n".join(
        [
            "## Spiral: advancing a population through one transition",
            "",
            f"{n:,} student subjects; five-step loop (`rules/core/loops/five_step.yaml`). "
            "Peak memory is what Python allocated during the step (tracemalloc, numpy "
            f"buffers included); the process peaked at {rss:,.0f} MiB RSS over the whole run.",
            "",
            "| what | time | subjects/s | peak memory | notes |",
            "| --- | ---: | ---: | ---: | --- |",
            *rows,
            "",
        ]
    )
