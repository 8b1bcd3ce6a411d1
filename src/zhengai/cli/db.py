"""``zhengai db upgrade``: create or upgrade a store's schema."""

from __future__ import annotations

import click

from zhengai.cli.common import echo_json, json_option, open_store, reports_errors, tr
from zhengai.cli.errors import UnknownRevision
from zhengai.errors import did_you_mean
from zhengai.store.migrate import known_revisions

__all__ = ["db"]


@click.group()
def db() -> None:
    """管理诊改数据库 / manage the zhengai database."""


@db.command()
@click.argument("url")
@click.option(
    "--revision", default="head", show_default=True, help="目标版本 / target schema revision."
)
@json_option
@reports_errors
def upgrade(url: str, revision: str, as_json: bool) -> None:
    """创建或升级数据库结构 / create or upgrade the schema at URL.

    \b
    URL 为数据库地址或 SQLite 文件路径；已是最新版本时不做任何改动。

    URL is a database URL (sqlite:///zhengai.db, postgresql+psycopg://user@host/db,
    mysql+pymysql://user@host/db) or the path of an SQLite file.  Running it again
    on an up-to-date database changes nothing.
    """
    store = open_store(url)
    before = store.current_revision()
    shipped = known_revisions()
    if revision != "head" and revision not in shipped:
        listed = ", ".join(shipped)
        raise UnknownRevision(
            tr(f"没有数据库结构版本 {revision!r}", f"no schema revision {revision!r}"),
            hint=did_you_mean(revision, shipped)
            or tr(f"可用版本：{listed}", f"use one of {listed}"),
        )
    store.upgrade(revision)
    after = store.current_revision()
    if as_json:
        echo_json({"before": before, "after": after, "head": store.head_revision()})
        return
    if before == after:
        click.echo(tr(f"数据库结构已是最新版本 {after}", f"schema already at revision {after}"))
    else:
        click.echo(
            tr(
                f"数据库结构已升级：{before or '（空）'} → {after}",
                f"schema upgraded: {before or '(empty)'} -> {after}",
            )
        )
