"""The vectorised lifecycle agrees with a plain per-subject reference, on random histories."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from tempfile import mkdtemp

from hypothesis import given, settings
from hypothesis import strategies as st

from zhengai.alerts import AlertSet, evaluate
from zhengai.data import Observations, Subjects
from zhengai.model import Period
from zhengai.packs import Pack, load_pack

THRESHOLDS = (20.0, 15.0, 10.0, 5.0)  # 红 橙 黄 蓝
SEVERITIES = ("红", "橙", "黄", "蓝")
VALUES = st.sampled_from([None, 0.0, 4.9, 5.0, 10.0, 14.99, 15.0, 20.0, 30.0])


@cache
def ladder_pack(for_periods: int, resolve_after: int) -> Pack:
    root = Path(mkdtemp()) / f"p{for_periods}{resolve_after}"
    (root / "rules").mkdir(parents=True)
    (root / "pack.yaml").write_text(
        "name: prop\nversion: '1'\nseverities: [红, 橙, 黄, 蓝]\n", encoding="utf-8"
    )
    (root / "indicators.yaml").write_text(
        "indicators: [{id: x, name: 不及格学分}]\n", encoding="utf-8"
    )
    steps = "".join(
        f"      - {{severity: {s}, when: x >= {t}}}\n"
        for s, t in zip(SEVERITIES, THRESHOLDS, strict=True)
    )
    (root / "rules" / "r.yaml").write_text(
        "rules:\n  - id: r\n    name: 阶梯\n    level: 学生\n"
        f"    for_periods: {for_periods}\n    resolve_after: {resolve_after}\n"
        f"    ladder:\n{steps}",
        encoding="utf-8",
    )
    return load_pack(root)


@dataclass
class Open:
    rank: int
    streak: int
    quiet: int
    since: int


def rank_of(value: float | None) -> int | None:
    """Ladder rank of a value: None when missing, -1 when no step holds."""
    if value is None:
        return None
    return next((i for i, t in enumerate(THRESHOLDS) if value >= t), -1)


Report = tuple[str, str, int, int, int]


def reference(
    history: list[float | None], for_periods: int, resolve_after: int, start: int = 0
) -> list[tuple[Report | None, bool]]:
    """Per period: the alert (severity, status, streak, quiet, since) or None, and 'is a gap'.

    The lifecycle starts at period ``start`` (no alert before it); windows still
    read the periods before it.
    """
    out: list[tuple[Report | None, bool]] = []
    state: Open | None = None
    for t in range(len(history)):
        if t < start:
            out.append((None, False))
            continue
        window = [rank_of(history[t - k]) if t - k >= 0 else None for k in range(for_periods)]
        false_somewhere = any(r == -1 for r in window)
        breach = all(r is not None and r >= 0 for r in window)
        gap = any(r is None for r in window) and not false_somewhere
        now = window[0]
        report: Report | None = None
        if breach:
            severity = max(r for r in window if r is not None)
            if state is None:
                state = Open(severity, 1, 0, t)
                status = "new"
            else:
                status = (
                    "escalated"
                    if severity < state.rank
                    else "de_escalated"
                    if severity > state.rank
                    else "ongoing"
                )
                state = Open(severity, state.streak + 1, 0, state.since)
            report = (SEVERITIES[state.rank], status, state.streak, 0, state.since)
        elif state is not None:
            quiet = state.quiet
            if now is not None and now >= 0:
                quiet = 0
            elif now == -1:
                quiet += 1
            state = Open(state.rank, state.streak + 1, quiet, state.since)
            status = "resolved" if now == -1 and quiet >= resolve_after else "ongoing"
            report = (SEVERITIES[state.rank], status, state.streak, quiet, state.since)
            if status == "resolved":
                state = None
        out.append((report, gap))
    return out


def observed(
    result: AlertSet, ids: list[str], periods: list[Period]
) -> dict[str, tuple[Report | None, bool]]:
    """Each subject's alert in ``result`` (as a reference report) and whether it is a gap."""
    alerts = {a.subject_id: a for a in result.alerts}
    gaps = {g.subject_id for g in result.gaps}
    out: dict[str, tuple[Report | None, bool]] = {}
    for s in ids:
        alert = alerts.get(s)
        report: Report | None = None
        if alert is not None:
            since = periods.index(alert.since)
            report = (alert.severity, alert.status.value, alert.streak, alert.quiet, since)
        out[s] = (report, s in gaps)
    return out


@settings(max_examples=120, deadline=None)
@given(
    histories=st.lists(st.lists(VALUES, min_size=6, max_size=6), min_size=1, max_size=5),
    for_periods=st.integers(1, 3),
    resolve_after=st.integers(1, 3),
)
def test_lifecycle_matches_the_reference(
    histories: list[list[float | None]], for_periods: int, resolve_after: int
) -> None:
    pack = ladder_pack(for_periods, resolve_after)
    periods = [Period.parse("2023-2024-1").next(k) for k in range(6)]
    ids = [f"s{i}" for i in range(len(histories))]
    rows = [
        (s, "x", str(p), v)
        for s, history in zip(ids, histories, strict=True)
        for p, v in zip(periods, history, strict=True)
        if v is not None
    ]
    subjects = Subjects(ids, ["student"] * len(ids))
    observations = Observations(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )
    previous: AlertSet | None = None
    got: dict[str, list[tuple[Report | None, bool]]] = {s: [] for s in ids}
    for period in periods:
        previous = evaluate(pack, subjects, observations, period, previous=previous)
        for s, seen in observed(previous, ids, periods).items():
            got[s].append(seen)
    for s, history in zip(ids, histories, strict=True):
        assert got[s] == reference(history, for_periods, resolve_after), (s, history)


def reference_with_absences(
    history: list[float | None], present: list[bool], for_periods: int, resolve_after: int
) -> list[tuple[Report | None, bool] | None]:
    """The reference for a subject that leaves the population in some periods.

    A period without the subject has no result (None); its open alert is gone with
    it, so when it comes back its history starts afresh (the data window still
    reads the observations of the periods it missed).
    """
    out: list[tuple[Report | None, bool] | None] = []
    start = 0
    for t in range(len(history)):
        if not present[t]:
            out.append(None)
            start = t + 1
            continue
        # Replay from the period it (re)joined: earlier periods only feed the window.
        out.append(reference(history[: t + 1], for_periods, resolve_after, start)[t])
    return out


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    histories=st.lists(st.lists(VALUES, min_size=5, max_size=5), min_size=2, max_size=6),
    for_periods=st.integers(1, 2),
    resolve_after=st.integers(1, 2),
)
def test_lifecycle_follows_subjects_when_the_population_changes(
    data: st.DataObject,
    histories: list[list[float | None]],
    for_periods: int,
    resolve_after: int,
) -> None:
    """Subjects reordered, leaving and returning between periods: alerts follow the id."""
    pack = ladder_pack(for_periods, resolve_after)
    periods = [Period.parse("2023-2024-1").next(k) for k in range(5)]
    ids = [f"s{i}" for i in range(len(histories))]
    present = {
        s: data.draw(st.lists(st.booleans(), min_size=5, max_size=5), label=f"present {s}")
        for s in ids
    }
    rows = [
        (s, "x", str(p), v)
        for s, history in zip(ids, histories, strict=True)
        for p, v in zip(periods, history, strict=True)
        if v is not None
    ]
    observations = Observations(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )
    previous: AlertSet | None = None
    got: dict[str, list[tuple[Report | None, bool] | None]] = {s: [] for s in ids}
    for t, period in enumerate(periods):
        here = data.draw(st.permutations([s for s in ids if present[s][t]]), label="order")
        for s in ids:
            if not present[s][t]:
                got[s].append(None)
        if not here:
            previous = None  # nobody to evaluate: the next period starts afresh
            for s in ids:
                present[s][t] = False
            continue
        subjects = Subjects(here, ["student"] * len(here))
        previous = evaluate(pack, subjects, observations, period, previous=previous)
        for s, seen in observed(previous, here, periods).items():
            got[s].append(seen)
    for s, history in zip(ids, histories, strict=True):
        expected = reference_with_absences(history, present[s], for_periods, resolve_after)
        assert got[s] == expected, (s, history, present[s])
