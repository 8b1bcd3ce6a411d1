"""The nightly batch a campus data platform schedules: ingest, run, write alerts, summarise.

::

    python examples/nightly_job.py --store postgresql+psycopg://zhengai@db/zhengai \\
        --exports /srv/exports/2026-06-30 --pack academic-warning --period 2025-2026-2 \\
        --out /srv/zhengai/alerts

1. Reads yesterday's exports, a folder of CSV/Excel files: ``subjects*.csv`` (or
   ``*主体*``) are rosters (诊改主体), every other file is state data (状态数据) in long
   or wide form, checked against the pack's indicators and the stored roster.
2. Ingests them.  The store skips rows it holds already, so exports that overlap
   (a platform re-exporting the whole term every night) add only what is new.
3. Runs the pack for the period and stores the run with its alerts, gaps and
   scores — unless nothing new arrived since the last run of the same pack version
   for that period, in which case that run is reused.  So running the job twice
   adds nothing and writes no second run (``--force`` runs anyway, e.g. after a
   roster change).
4. Writes the run's alerts to ``<out>/alerts-<period>.csv`` (UTF-8 with BOM, so
   Excel opens it) for the platform to pick up, and prints a summary.

Exit code 0 on success, 2 on bad input with one line naming the file and row.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import zhengai
from zhengai.packs import Pack
from zhengai.store import Store
from zhengai.store.schema import observations as observations_table
from zhengai.store.schema import runs as runs_table

__all__ = ["Nightly", "main", "nightly"]

#: Export files read, by suffix.
SUFFIXES = (".csv", ".xlsx")
#: The columns of the alerts file.
ALERT_COLUMNS = ("rule", "subject_id", "severity", "status", "streak", "since_period", "message")


@dataclass
class Nightly:
    """What one night did: files and rows ingested, the run used, its alerts."""

    roster_files: int = 0
    subjects_new: int = 0
    subjects_total: int = 0
    data_files: int = 0
    rows: int = 0
    added: int = 0
    run_id: int = 0
    reused: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    severities: dict[str, int] = field(default_factory=dict)
    alerts_file: Path | None = None

    def lines(self, pack: Pack, period: str) -> list[str]:
        """The summary a person reads in the job's log."""
        how = "沿用 reused (no new data)" if self.reused else "新建 new"
        by_severity = ", ".join(f"{k} {v}" for k, v in self.severities.items()) or "—"
        out = [
            f"诊改主体 subjects: {self.roster_files} roster files, "
            f"{self.subjects_new} new, {self.subjects_total} in the store",
            f"状态数据 state data: {self.data_files} files, {self.rows} rows, "
            f"{self.added} new, {self.rows - self.added} already stored",
            f"运行 run {self.run_id}: {pack.name} {pack.version} {period} ({how})",
            f"预警 alerts: {self.counts.get('alerts', 0)} ({by_severity})",
            f"数据缺失 gaps: {self.counts.get('gaps', 0)}",
            f"评分 scores: {self.counts.get('scores', 0)}",
        ]
        if self.alerts_file is not None:
            out.append(f"预警文件 alerts file: {self.alerts_file}")
        return out


def _is_roster(path: Path) -> bool:
    return path.stem.lower().startswith("subjects") or "主体" in path.stem


def _latest_run(store: Store, pack: Pack, period: str) -> dict[str, Any] | None:
    """The newest stored run of this pack version for ``period`` (None if there is none)."""
    c = runs_table.c
    query = (
        select(runs_table)
        .where(
            c.school_id == store.school,
            c.pack_name == pack.name,
            c.pack_hash == pack.identity.hash,
            c.period == period,
        )
        .order_by(c.id.desc())
        .limit(1)
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)


def _newest_data(store: Store) -> Any:
    """When the school's newest observation was recorded (None without data)."""
    c = observations_table.c
    with store.engine.connect() as conn:
        return conn.execute(
            select(func.max(c.recorded_at)).where(c.school_id == store.school)
        ).scalar()


def nightly(
    store: Store,
    exports: Path,
    pack: Pack,
    period: str,
    *,
    out: Path | None = None,
    force: bool = False,
) -> Nightly:
    """Ingest ``exports``, run ``pack`` for ``period`` (or reuse an up-to-date run)."""
    done = Nightly()
    files = sorted(p for p in exports.iterdir() if p.suffix.lower() in SUFFIXES)
    store.add_indicators(pack.catalog)
    known = {s.id for s in store.subjects()}
    for path in filter(_is_roster, files):
        roster = zhengai.load_subjects(path)
        store.add_subjects(roster)
        done.roster_files += 1
        done.subjects_new += len(set(roster.ids.tolist()) - known)
        known.update(roster.ids.tolist())
    done.subjects_total = len(known)

    catalog, subjects = store.indicators(), store.subjects()
    for path in files:
        if _is_roster(path):
            continue
        data = zhengai.load_observations(path, catalog=catalog, subjects=subjects)
        ingested = store.ingest(data)
        done.data_files += 1
        done.rows += ingested.submitted
        done.added += ingested.added

    previous = _latest_run(store, pack, period)
    newest = _newest_data(store)
    up_to_date = (
        previous is not None
        and done.added == 0
        and (newest is None or _naive(newest) <= _naive(previous["as_of"]))
    )
    if up_to_date and not force:
        assert previous is not None
        done.run_id, done.reused, done.counts = int(previous["id"]), True, dict(previous["counts"])
    else:
        result = zhengai.run(pack, store, period)
        assert result.run_id is not None
        done.run_id, done.counts = result.run_id, result.counts()

    alerts = store.rows("zg_alerts", run_id=done.run_id)
    order = {s.id: i for i, s in enumerate(pack.severities)}
    tally = Counter(str(a["severity"]) for a in alerts)
    done.severities = dict(sorted(tally.items(), key=lambda kv: order.get(kv[0], len(order))))
    if out is not None:
        done.alerts_file = _write_alerts(out / f"alerts-{period}.csv", alerts)
    return done


def _naive(moment: datetime) -> datetime:
    # Drivers differ: naive UTC from SQLite, aware times from PostgreSQL; compare in naive UTC.
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _write_alerts(path: Path, alerts: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ALERT_COLUMNS)
        writer.writerows([a[c] for c in ALERT_COLUMNS] for a in alerts)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run one night, print the summary; the process exit code."""
    parser = argparse.ArgumentParser(description="zhengai 夜间批处理 / the nightly batch")
    parser.add_argument("--store", required=True, help="数据库 URL / store URL")
    parser.add_argument("--exports", required=True, type=Path, help="导出文件夹 / exports folder")
    parser.add_argument("--pack", required=True, help="规则包 / built-in pack name or folder")
    parser.add_argument("--period", required=True, help="诊改周期 / period, e.g. 2025-2026-2")
    parser.add_argument("--school", default="default", help="学校代码 / school id")
    parser.add_argument("--out", type=Path, default=None, help="预警文件夹 / where alerts go")
    parser.add_argument("--force", action="store_true", help="run even when nothing is new")
    args = parser.parse_args(argv)
    try:
        if not args.exports.is_dir():
            print(f"error: {args.exports}: no such folder", file=sys.stderr)
            return 2
        store = Store(args.store, school=args.school)
        if store.current_revision() is None:
            store.upgrade()  # a new store; an old schema is upgraded by the operator, not here
        pack = zhengai.load_pack(args.pack)
        period = str(zhengai.Period.parse(args.period))
        done = nightly(store, args.exports, pack, period, out=args.out, force=args.force)
    except zhengai.ZhengaiError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join(done.lines(pack, period)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
