"""Alembic, driven from code: the Config is built here and no ``alembic.ini`` is needed.

The revisions ship inside the package (``zhengai/store/migrations``), so an
installed wheel can upgrade any database it is pointed at.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

__all__ = [
    "VERSION_TABLE",
    "alembic_config",
    "current_revision",
    "head_revision",
    "known_revisions",
    "upgrade",
]

#: Our own version table, so a campus system's Alembic history in the same schema is untouched.
VERSION_TABLE = "zg_alembic_version"

_SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config for the shipped revisions, bound to ``connection`` when given."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest revision this version of zhengai ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "zhengai ships at least one revision"
    return head


@cache
def known_revisions() -> tuple[str, ...]:
    """Every shipped revision, oldest first (the files do not change while running)."""
    script = ScriptDirectory.from_config(alembic_config())
    return tuple(rev.revision for rev in reversed(list(script.walk_revisions())))


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when the store was never created there."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Upgrade the database behind ``connection`` to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(connection), revision)
