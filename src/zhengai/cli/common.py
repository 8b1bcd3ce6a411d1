"""Helpers shared by the CLI commands: error reporting, exit codes, language, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, Literal, NoReturn, ParamSpec, TypeVar

import click
from sqlalchemy.exc import OperationalError

from zhengai.cli.errors import StoreUnreachable
from zhengai.data import DataLoadFailed
from zhengai.errors import Where, ZhengaiError
from zhengai.model import BadPeriod, Level, Period, UnknownLevel
from zhengai.store import Store

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CHECK_FAILED",
    "LANGS",
    "Lang",
    "data_file_options",
    "echo_json",
    "json_option",
    "lang",
    "open_store",
    "parse_level",
    "parse_period",
    "reports_errors",
    "set_lang",
    "store_url",
    "tr",
]

P = ParamSpec("P")
R = TypeVar("R")

#: Exit code for bad input (a malformed file, an unknown indicator, a bad period…).
EXIT_BAD_INPUT = 2
#: Exit code for a check that ran and found problems (a failing self-test).
EXIT_CHECK_FAILED = 1

Lang = Literal["zh", "en"]
#: The languages of the command's own messages (``--lang`` / ``ZHENGAI_LANG``).
LANGS: tuple[Lang, ...] = ("zh", "en")
_LANG_KEY = "zhengai.lang"


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`ZhengaiError` into a one-line reason on stderr and exit code 2.

    The line is ``zhengai: error [<code>] <where>: <message>`` in every language, so
    scripts can parse it; the message is the library's own.  A load with
    ``errors="collect"`` adds one such line per problem after its summary.
    """

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OperationalError as error:
            # The store turns lost connections into StoreError, but not a database that
            # cannot be reached at all; that is bad input to the command, not a crash.
            reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
            _report(
                StoreUnreachable(
                    tr(f"数据库不可用：{reason}", f"the database is not available: {reason}")
                )
            )
        except ZhengaiError as error:
            _report(error)

    return wrapper


#: Hints that name a command instead of the library call the error's own hint names.
_CLI_HINTS = {
    "store.schema_not_upgraded": (
        "先运行 zhengai db upgrade <URL> 创建数据库结构",
        "run zhengai db upgrade <URL> once to create it",
    ),
    "store.schema_out_of_date": (
        "先备份数据库，再运行 zhengai db upgrade <URL>",
        "back up the database, then run zhengai db upgrade <URL>",
    ),
}


def _report(error: ZhengaiError) -> NoReturn:
    text = str(_with_cli_hint(error))
    first_line = text.splitlines()[0] if text else error.code
    click.echo(f"zhengai: error [{error.code}] {first_line}", err=True)
    if isinstance(error, DataLoadFailed):
        for problem in error.problems:
            click.echo(f"zhengai: error [{problem.code}] {problem}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _with_cli_hint(error: ZhengaiError) -> ZhengaiError:
    hint = _CLI_HINTS.get(error.code)
    if hint is None:
        return error
    return ZhengaiError(error.message, where=error.where, hint=tr(*hint))


def set_lang(ctx: click.Context, value: Lang) -> None:
    """Remember the message language for every sub-command of this invocation."""
    # ``meta`` is shared by a context and all its children, unlike ``obj`` defaults.
    ctx.meta[_LANG_KEY] = value


def lang() -> Lang:
    """The language chosen with ``--lang`` (Chinese when the command runs outside a group)."""
    ctx = click.get_current_context(silent=True)
    found = None if ctx is None else ctx.meta.get(_LANG_KEY)
    return "en" if found == "en" else "zh"


def tr(zh: str, en: str) -> str:
    """The Chinese or the English text of one message, by ``--lang``."""
    return en if lang() == "en" else zh


def json_option(func: Callable[P, R]) -> Callable[P, R]:
    """The ``--json`` flag of every command that prints a result."""
    return click.option("--json", "as_json", is_flag=True, help="机器可读输出 / JSON output.")(func)


def echo_json(value: Any) -> None:
    """Print ``value`` as one JSON document (Chinese kept readable, not escaped)."""
    click.echo(json.dumps(value, ensure_ascii=False, default=str))


def parse_period(text: str, option: str = "--period") -> Period:
    """A period given on the command line; a bad one names the option it came from."""
    try:
        return Period.parse(text)
    except BadPeriod as error:
        raise BadPeriod(error.message, where=Where(field=option), hint=error.hint) from None


def parse_level(text: str | None, option: str = "--level") -> Level | None:
    """A level given on the command line (``专业`` or ``major``); a bad one names the option."""
    if text is None:
        return None
    try:
        return Level.parse(text)
    except UnknownLevel as error:
        raise UnknownLevel(error.message, where=Where(field=option), hint=error.hint) from None


def store_url(text: str) -> str:
    """A database URL; a bare path (``zhengai.db``) means an SQLite file there."""
    return text if "://" in text else f"sqlite:///{text}"


def open_store(url: str, school: str = "default") -> Store:
    """The :class:`~zhengai.store.Store` at ``url`` (a URL or an SQLite file path)."""
    return Store(store_url(url), school=school)


def data_file_options(func: Callable[P, R]) -> Callable[P, R]:
    """The ``--subjects`` and ``--observations`` file options that ``import`` and ``run`` share."""
    files = click.Path(path_type=Path, dir_okay=False)
    func = click.option(
        "--observations",
        "observations_path",
        type=files,
        help="状态数据 CSV/Excel / state data file.",
    )(func)
    return click.option(
        "--subjects", "subjects_path", type=files, help="诊改主体 CSV/Excel / subjects file."
    )(func)
