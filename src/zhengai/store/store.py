"""The :class:`Store`: one school's view of a zhengai database."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from zhengai.errors import ConcurrencyConflict, did_you_mean
from zhengai.model import Indicator, IndicatorCatalog, Level, Subject
from zhengai.store import actions as _actions
from zhengai.store import ingest as _ingest
from zhengai.store import migrate
from zhengai.store import spirals as _spirals
from zhengai.store._sql import insert_ignore, upsert
from zhengai.store.connect import WRITE_OPTION, family, make_engine, prepare_sqlite
from zhengai.store.errors import (
    BadSchoolId,
    BadStoreURL,
    ConnectionLost,
    IntegrityViolation,
    SchemaNotUpgraded,
    SchemaOutOfDate,
    SchemaTooNew,
    UnknownTable,
)
from zhengai.store.ingest import ObservationInput, ProgressCallback, StoredObservations
from zhengai.store.locking import compare_and_set
from zhengai.store.records import (
    ActionEvent,
    ActionRecord,
    IngestResult,
    MoveResult,
    SpiralState,
    Transition,
)
from zhengai.store.schema import indicators, metadata, packs, schools, subjects
from zhengai.store.types import utcnow

__all__ = ["Store"]

DEFAULT_URL = "sqlite:///zhengai.db"


class Store:
    """Persistence for one school (``school``) in a SQLite, PostgreSQL or MySQL database.

    ``target`` is a URL (``sqlite:///zhengai.db`` by default), an existing
    :class:`~sqlalchemy.engine.Engine` or an existing :class:`~sqlalchemy.orm.Session`.
    With a URL or an Engine every call takes its own pooled connection and
    transaction, so one Store may be shared by a web server's worker threads.  With
    a Session every call runs inside that session's transaction (under a SAVEPOINT,
    so a failed call undoes only itself) and the caller commits; a Session is not
    thread-safe, and neither is a Store built on one.

    Every query filters by the store's school; :meth:`for_school` gives a view of
    another school over the same engine.  The schema must be at the revision this
    version ships (:meth:`upgrade`); calls raise :class:`SchemaNotUpgraded` or
    :class:`SchemaOutOfDate` otherwise.
    """

    def __init__(
        self,
        target: str | URL | Engine | Session = DEFAULT_URL,
        *,
        school: str = "default",
    ) -> None:
        if not isinstance(school, str) or not school.strip() or len(school) > 64:
            raise BadSchoolId(
                f"bad school id {school!r}", hint="a school id is 1–64 characters, e.g. '10001'"
            )
        self._school = school
        self._session: Session | None = None
        if isinstance(target, Session):
            self._session = target
            bind = target.get_bind()
            if not isinstance(bind, Engine):
                bind = bind.engine
            self._engine = bind
        elif isinstance(target, Engine):
            self._engine = target
        else:
            self._engine = make_engine(target)
        if family(self._engine.dialect.name) not in ("sqlite", "postgresql", "mysql"):
            raise BadStoreURL(f"unsupported database {self._engine.dialect.name!r}")
        if self._engine.dialect.name == "sqlite" and not isinstance(target, str | URL):
            prepare_sqlite(self._engine)
        self._checked = threading.Event()
        self._school_known = threading.Event()

    # -- identity -------------------------------------------------------------------
    @property
    def school(self) -> str:
        """The school every query of this store is limited to."""
        return self._school

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (shared with :meth:`for_school` views)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite``, ``postgresql`` or ``mysql`` (MariaDB included)."""
        return family(self._engine.dialect.name)

    def for_school(self, school: str) -> Store:
        """The same database seen as another school (no new engine, no new pool)."""
        target: Engine | Session = self._session if self._session is not None else self._engine
        other = Store(target, school=school)
        if self._checked.is_set():
            other._checked.set()
        return other

    def __repr__(self) -> str:
        url = self._engine.url.render_as_string(hide_password=True)
        return f"Store({url!r}, school={self._school!r})"

    # -- schema -----------------------------------------------------------------------
    def upgrade(self, revision: str = "head") -> None:
        """Create or upgrade the schema to ``revision`` (default: the newest shipped)."""
        with self._engine.begin() as conn:
            migrate.upgrade(conn, revision)
        self._checked.clear()

    def current_revision(self) -> str | None:
        """The schema revision of the database, or None before the first :meth:`upgrade`."""
        with self._engine.connect() as conn:
            return migrate.current_revision(conn)

    @staticmethod
    def head_revision() -> str:
        """The newest schema revision this version of zhengai ships."""
        return migrate.head_revision()

    def _check_schema(self, conn: Connection) -> None:
        if self._checked.is_set():
            return
        current = migrate.current_revision(conn)
        head = migrate.head_revision()
        if current == head:
            self._checked.set()
            return
        if current is None:
            raise SchemaNotUpgraded(
                "the database has no zhengai schema", hint="run store.upgrade() once to create it"
            )
        if current in migrate.known_revisions():
            raise SchemaOutOfDate(
                f"the schema is at revision {current}, this zhengai needs {head}",
                hint="run store.upgrade() (back up the database first)",
            )
        raise SchemaTooNew(
            f"the schema is at revision {current}, unknown to this zhengai (newest {head})",
            hint="upgrade the zhengai package",
        )

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside one transaction: commit on success, roll back on any error.

        Pass it as ``conn=`` to the store's write methods to make several of them one
        unit (a spiral move plus an action, say).  Database integrity errors come out
        as :class:`IntegrityViolation` after the rollback.
        """
        try:
            if self._session is None:
                if not self._school_known.is_set():
                    # The school row commits in its own short transaction first, so no
                    # other thread ever writes rows whose school row is uncommitted.
                    with self._write_connection() as conn, conn.begin():
                        self._check_schema(conn)
                        self._register_school(conn)
                    self._school_known.set()
                with self._write_connection() as conn, conn.begin():
                    self._check_schema(conn)
                    yield conn
            else:
                with self._session.begin_nested():
                    conn = self._session.connection()
                    self._check_schema(conn)
                    self._register_school(conn)
                    yield conn
        except IntegrityError as exc:
            raise IntegrityViolation(
                f"the database refused the write: {str(exc.orig).splitlines()[0]}"
            ) from exc
        except DBAPIError as exc:
            if _is_deadlock(exc):
                # The database chose this transaction as a deadlock victim and rolled it
                # back: the same outcome as losing a compare-and-set, and as safe to retry.
                reason = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
                raise ConcurrencyConflict(
                    f"another writer held the same rows; rolled back ({reason})",
                    hint="nothing of this call was written; reload and retry it",
                ) from exc
            if not exc.connection_invalidated:
                raise
            raise ConnectionLost(
                f"lost the connection to {self._engine.url.get_backend_name()}: "
                f"{str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__}",
                hint="nothing of this call was written; retry it",
            ) from exc

    def _write_connection(self) -> Connection:
        return self._engine.connect().execution_options(**{WRITE_OPTION: True})

    @contextmanager
    def _tx(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
            return
        with self.transaction() as own:
            yield own

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._session is not None:
            conn = self._session.connection()
            self._check_schema(conn)
            yield conn
            return
        with self._engine.connect() as conn:
            self._check_schema(conn)
            yield conn

    def _register_school(self, conn: Connection) -> None:
        insert_ignore(
            conn, schools, [{"id": self._school, "name": self._school, "created_at": utcnow()}]
        )

    # -- optimistic locking ------------------------------------------------------------
    def compare_and_set(
        self,
        table: str | Table,
        key: Mapping[str, Any],
        expected_version: int,
        values: Mapping[str, Any],
        *,
        conn: Connection | None = None,
    ) -> int:
        """Update one row of a versioned table if nobody changed it since ``expected_version``.

        ``table`` is a table of :mod:`zhengai.store.schema` (``zg_spiral_states``,
        ``zg_actions``) or its name; ``key`` names the row without ``school_id``,
        which the store adds.  Returns the new version; a stale version raises
        :class:`ConcurrencyConflict` and the transaction rolls back.
        """
        resolved = self._table(table)
        if "version" not in resolved.c:
            raise UnknownTable(f"table {resolved.name} has no version column to lock on")
        with self._tx(conn) as c:
            return compare_and_set(
                c, resolved, {"school_id": self._school, **key}, expected_version, values
            )

    # -- generic rows ---------------------------------------------------------------------
    def insert_rows(
        self,
        table: str | Table,
        rows: Sequence[Mapping[str, Any]],
        *,
        conn: Connection | None = None,
    ) -> int:
        """Insert ``rows`` (dicts without ``school_id``) into a store table, as one executemany.

        For the evaluators' own records (runs, alerts, gaps, scores, goals…); the store
        adds its school to every row.  Returns the number of rows inserted.
        """
        resolved = self._table(table)
        stamped = [{**row, "school_id": self._school} for row in rows]
        if not stamped:
            return 0
        with self._tx(conn) as c:
            c.execute(resolved.insert(), stamped)
        return len(stamped)

    def rows(self, table: str | Table, **equal: Any) -> list[dict[str, Any]]:
        """This school's rows of a store table where each ``column=value`` holds, by key."""
        resolved = self._table(table)
        query = select(resolved).where(
            resolved.c.school_id == self._school,
            *(resolved.c[name] == value for name, value in equal.items()),
        )
        query = query.order_by(*resolved.primary_key.columns)
        with self._read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    @staticmethod
    def _table(table: str | Table) -> Table:
        resolved = metadata.tables.get(table) if isinstance(table, str) else table
        if resolved is None or "school_id" not in resolved.c:
            raise UnknownTable(
                f"no store table {table!r}",
                hint=did_you_mean(str(table), metadata.tables) or "see zhengai.store.schema",
            )
        return resolved

    # -- schools ----------------------------------------------------------------------------
    def add_school(self, name: str) -> None:
        """Register or rename this school with a display name, e.g. ``某某职业技术学院``."""
        with self._tx(None) as conn:
            upsert(
                conn,
                schools,
                [{"id": self._school, "name": name, "created_at": utcnow()}],
                ["id"],
            )
        self._school_known.set()

    def schools(self) -> dict[str, str]:
        """Every school in the database, id → name (the one query that crosses schools)."""
        with self._read() as conn:
            rows = conn.execute(select(schools.c.id, schools.c.name).order_by(schools.c.id))
            return {row.id: row.name for row in rows}

    # -- subjects and indicators ------------------------------------------------------------------
    def add_subjects(self, items: Iterable[Subject], *, conn: Connection | None = None) -> int:
        """Insert or update subjects (诊改主体); parents may come in the same call.

        A parent that is neither in the call nor already stored is refused with
        :class:`IntegrityViolation`.  Returns the number of subjects written.
        """
        batch = list(items)
        now = utcnow()
        rows = [
            {
                "school_id": self._school,
                "id": s.id,
                "level": s.level.value,
                "name": s.name,
                "parent_id": s.parent_id,
                "attributes": dict(s.attributes),
                "updated_at": now,
            }
            for s in _parents_first(batch)
        ]
        with self._tx(conn) as c:
            upsert(c, subjects, rows, ["school_id", "id"])
        return len(rows)

    def subjects(self, *, level: Level | str | None = None) -> list[Subject]:
        """This school's subjects, optionally of one level, ordered by id."""
        query = select(subjects).where(subjects.c.school_id == self._school)
        if level is not None:
            query = query.where(subjects.c.level == Level.parse(str(level)).value)
        with self._read() as conn:
            rows = conn.execute(query.order_by(subjects.c.id)).mappings().all()
        return [
            Subject(
                id=r["id"],
                level=r["level"],
                name=r["name"],
                parent_id=r["parent_id"],
                attributes=r["attributes"],
            )
            for r in rows
        ]

    def add_indicators(
        self, items: Iterable[Indicator] | IndicatorCatalog, *, conn: Connection | None = None
    ) -> int:
        """Insert or update indicator definitions; returns how many were written."""
        values = items.values() if isinstance(items, IndicatorCatalog) else items
        now = utcnow()
        rows = [
            {
                "school_id": self._school,
                "id": i.id,
                "name": i.name,
                "unit": i.unit,
                "direction": i.direction.value,
                "aggregator": i.aggregator.value,
                "source": i.source,
                "definition": i.model_dump(mode="json"),
                "updated_at": now,
            }
            for i in values
        ]
        with self._tx(conn) as c:
            upsert(c, indicators, rows, ["school_id", "id"])
        return len(rows)

    def indicators(self) -> IndicatorCatalog:
        """This school's indicators as a catalog (resolvable by id, Chinese name or alias)."""
        query = (
            select(indicators.c.definition)
            .where(indicators.c.school_id == self._school)
            .order_by(indicators.c.id)
        )
        with self._read() as conn:
            return IndicatorCatalog(
                Indicator.model_validate(d) for d in conn.execute(query).scalars()
            )

    # -- packs ---------------------------------------------------------------------------
    def save_pack(
        self, name: str, version: str, effective_yaml: str, *, conn: Connection | None = None
    ) -> int:
        """Record a pack's effective YAML; the same content returns the same id."""
        digest = hashlib.sha256(effective_yaml.encode("utf-8")).hexdigest()
        row = {
            "school_id": self._school,
            "name": name,
            "version": version,
            "content_hash": digest,
            "effective_yaml": effective_yaml,
            "created_at": utcnow(),
        }
        with self._tx(conn) as c:
            insert_ignore(c, packs, [row])
            found = c.execute(
                select(packs.c.id).where(
                    packs.c.school_id == self._school, packs.c.content_hash == digest
                )
            ).scalar_one()
        return int(found)

    # -- observations ---------------------------------------------------------------------------
    def ingest(
        self,
        observations: ObservationInput,
        *,
        batch_size: int = 50_000,
        progress: ProgressCallback | None = None,
        recorded_at: datetime | None = None,
    ) -> IngestResult:
        """Append state data in one transaction: all rows or none, and nothing twice.

        ``observations`` is a columnar :class:`zhengai.data.Observations`, a mapping of
        equal-length columns (``subject_id, indicator, period, value`` and optional
        ``source, recorded_at``) or an iterable of :class:`~zhengai.model.Observation`.
        A row whose subject, indicator, period, value and source (and ``recorded_at``
        when given) are stored already is skipped, so re-running the same file adds
        nothing; any other row for a stored key is a new version that supersedes it.
        Rows without ``recorded_at`` get ``recorded_at`` (default: now).  ``progress``
        is called as ``progress(rows_done, rows_total)`` after each batch; an exception
        from it (or anything else) rolls the whole call back.
        """
        # On MySQL/MariaDB the lock is held on its own connection from before this
        # transaction starts until after it commits: a waiting ingest then begins its
        # snapshot after the other's rows are committed, and cannot add them again.  In
        # a caller's Session the caller commits, so the lock stays inside the transaction.
        outer = (
            _ingest.school_lock(self._engine, self._school)
            if self._session is None
            else nullcontext(False)
        )
        with outer as held, self._tx(None) as conn:
            return _ingest.ingest(
                conn,
                self._school,
                observations,
                batch_size=batch_size,
                progress=progress,
                now=recorded_at or utcnow(),
                locked=held,
            )

    def observations(
        self,
        *,
        period: str | Iterable[str] | None = None,
        as_of: datetime | None = None,
        indicators: Iterable[str] | None = None,
        subjects: Sequence[str] | None = None,
    ) -> StoredObservations:
        """The latest version of each value as of ``as_of`` (default: now), as columns.

        ``period`` is one period or several (a history window); ``indicators`` and
        ``subjects`` narrow the rows.  A version is visible when its ``recorded_at``
        is not after ``as_of``; among visible versions the newest ``recorded_at`` wins.
        """
        with self._read() as conn:
            return _ingest.read_latest(
                conn,
                self._school,
                periods=_ingest.as_periods(period),
                as_of=as_of,
                indicators=None if indicators is None else list(indicators),
                subjects=subjects,
            )

    def observation_versions(
        self, subject_id: str, indicator: str, period: str
    ) -> StoredObservations:
        """Every stored version of one value, oldest first (the correction history)."""
        with self._read() as conn:
            return _ingest.read_versions(conn, self._school, subject_id, indicator, period)

    # -- spirals ----------------------------------------------------------------------------------
    def start_spirals(
        self,
        loop: str,
        state: str,
        *,
        subjects: Sequence[str] | None = None,
        level: Level | str | None = None,
        small_state: str | None = None,
        cycle: int = 1,
        who: str = "system",
        reason: str = "",
        trigger: str = "start",
        conn: Connection | None = None,
    ) -> int:
        """Put subjects on ``loop`` in ``state`` (with an audit row each); returns how many.

        Subjects already on the loop are left alone, so the call can be repeated as
        new subjects arrive.  Without ``subjects`` and ``level`` every subject starts.
        """
        with self._tx(conn) as c:
            return _spirals.start(
                c,
                self._school,
                loop,
                state,
                subjects=subjects,
                level=None if level is None else Level.parse(str(level)).value,
                small_state=small_state,
                cycle=cycle,
                who=who,
                reason=reason,
                trigger=trigger,
            )

    def spiral_state(self, subject_id: str, loop: str) -> SpiralState | None:
        """One subject's state on ``loop``, or None when it is not on the loop."""
        with self._read() as conn:
            return _spirals.get(conn, self._school, subject_id, loop)

    def spiral_states(
        self, loop: str, *, state: str | None = None, subjects: Sequence[str] | None = None
    ) -> list[SpiralState]:
        """States on ``loop`` (optionally in one state or for some subjects), by subject id."""
        with self._read() as conn:
            return _spirals.list_states(conn, self._school, loop, state=state, subjects=subjects)

    def state_counts(self, loop: str, *, track: str = "state") -> dict[str, int]:
        """How many subjects are in each state of ``loop`` (``track="small_state"`` too)."""
        with self._read() as conn:
            return _spirals.counts(conn, self._school, loop, track)

    def move_spiral(
        self,
        subject_id: str,
        loop: str,
        *,
        source: str,
        dest: str,
        trigger: str,
        expected_version: int | None = None,
        track: str = "state",
        new_cycle: bool = False,
        who: str = "system",
        reason: str = "",
        guards: Mapping[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> SpiralState:
        """Compare-and-set one subject from ``source`` to ``dest`` and audit it.

        The update only applies while the subject is still in ``source`` (and at
        ``expected_version`` when given); otherwise :class:`ConcurrencyConflict` is
        raised and the transaction rolls back, so the loser of a race leaves no trace.
        """
        with self._tx(conn) as c:
            return _spirals.move_one(
                c,
                self._school,
                subject_id,
                loop,
                _spirals.Move(source, dest, trigger, track, new_cycle, who, reason, guards or {}),
                expected_version,
            )

    def advance_spirals(
        self,
        loop: str,
        *,
        source: str | Iterable[str],
        dest: str,
        trigger: str,
        subjects: Sequence[str] | None = None,
        level: Level | str | None = None,
        track: str = "state",
        new_cycle: bool = False,
        who: str = "system",
        reason: str = "",
        guards: Mapping[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> MoveResult:
        """Move every selected subject in a source state to ``dest`` in one transaction.

        For each source state: one ``UPDATE`` (state, version + 1, a move tag) and
        one ``INSERT … SELECT`` of audit rows for exactly the rows that update
        changed; nothing passes through Python per subject.  ``subjects`` (ids) and
        ``level`` narrow the population; subjects in other states are left alone.
        Returns the number moved per source state.
        """
        sources = [source] if isinstance(source, str) else list(source)
        with self._tx(conn) as c:
            return _spirals.move_batch(
                c,
                self._school,
                loop,
                sources,
                _spirals.Move("", dest, trigger, track, new_cycle, who, reason, guards or {}),
                subjects=subjects,
                level=None if level is None else Level.parse(str(level)).value,
            )

    def transitions(
        self, *, subject_id: str | None = None, loop: str | None = None
    ) -> list[Transition]:
        """The audit trail (oldest first), optionally for one subject and/or loop."""
        with self._read() as conn:
            return _spirals.history(conn, self._school, subject_id, loop)

    def save_cycle(
        self,
        subject_id: str,
        loop: str,
        cycle: int,
        snapshot: Mapping[str, Any],
        *,
        period: str | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Freeze the snapshot of a closed cycle (targets, attainment, alerts…); returns its id."""
        with self._tx(conn) as c:
            return _spirals.save_cycle(c, self._school, subject_id, loop, cycle, snapshot, period)

    def cycles(self, subject_id: str, loop: str) -> list[dict[str, Any]]:
        """The frozen snapshots of ``subject_id`` on ``loop``, oldest cycle first."""
        with self._read() as conn:
            return _spirals.list_cycles(conn, self._school, subject_id, loop)

    # -- improvement actions ----------------------------------------------------------------------
    def open_action(
        self,
        subject_id: str,
        *,
        title: str,
        owner: str,
        due: date | None = None,
        alert_id: int | None = None,
        details: Mapping[str, Any] | None = None,
        who: str = "system",
        reason: str = "",
        conn: Connection | None = None,
    ) -> ActionRecord:
        """Open an improvement action (整改任务) with status ``open`` and its first event."""
        with self._tx(conn) as c:
            return _actions.open_action(
                c,
                self._school,
                _actions.NewAction(subject_id, title, owner, due, alert_id, dict(details or {})),
                who,
                reason,
            )

    def update_action(
        self,
        action_id: int,
        *,
        expected_version: int,
        who: str,
        reason: str = "",
        conn: Connection | None = None,
        **changes: Any,
    ) -> ActionRecord:
        """Change an action if nobody changed it since ``expected_version``.

        ``changes`` may set ``status`` (open, in_progress, done, verified), ``owner``,
        ``due``, ``overdue``, ``escalation``, ``title`` or ``details``.  A stale version
        raises :class:`ConcurrencyConflict` (rolled back); an action of another school
        :class:`SchoolMismatch`; an unknown id :class:`RowNotFound`.
        """
        with self._tx(conn) as c:
            return _actions.update_action(
                c, self._school, action_id, expected_version, changes, who, reason
            )

    def action(self, action_id: int) -> ActionRecord:
        """One action of this school (:class:`RowNotFound` / :class:`SchoolMismatch` otherwise)."""
        with self._read() as conn:
            return _actions.get_action(conn, self._school, action_id)

    def actions(
        self,
        *,
        status: str | Iterable[str] | None = None,
        subject_id: str | None = None,
        overdue_on: date | None = None,
    ) -> list[ActionRecord]:
        """This school's actions; ``overdue_on`` keeps those unfinished and due before that day."""
        with self._read() as conn:
            return _actions.list_actions(conn, self._school, status, subject_id, overdue_on)

    def action_events(self, action_id: int) -> list[ActionEvent]:
        """An action's history, oldest first."""
        with self._read() as conn:
            return _actions.events(conn, self._school, action_id)


def _parents_first(items: list[Subject]) -> list[Subject]:
    """Order a batch so every parent precedes its children (MySQL checks keys row by row)."""
    by_id = {s.id: s for s in items}
    depth: dict[str, int] = {}

    def level_of(subject: Subject) -> int:
        chain: list[Subject] = []
        node: Subject | None = subject
        while node is not None and node.id not in depth:
            if node in chain:
                break  # a cycle: the database will refuse it; keep the order stable
            chain.append(node)
            node = by_id.get(node.parent_id) if node.parent_id is not None else None
        base = depth.get(node.id, 0) if node is not None else -1
        for offset, item in enumerate(reversed(chain), start=1):
            depth[item.id] = base + offset
        return depth[subject.id]

    return sorted(items, key=level_of)


#: Deadlock and serialization failures: MySQL/MariaDB error numbers, PostgreSQL SQLSTATEs.
_MYSQL_DEADLOCKS = frozenset({1205, 1213})
_POSTGRES_DEADLOCKS = frozenset({"40P01", "40001"})


def _is_deadlock(exc: DBAPIError) -> bool:
    """Whether the database rolled the transaction back to break a deadlock or a lock wait."""
    orig = exc.orig
    code = getattr(orig, "sqlstate", None)
    if code in _POSTGRES_DEADLOCKS:
        return True
    args: tuple[object, ...] = tuple(getattr(orig, "args", ()))
    return bool(args) and args[0] in _MYSQL_DEADLOCKS
