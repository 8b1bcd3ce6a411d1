"""Helpers shared by the CLI commands: error reporting and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import click

from zhengai.errors import ZhengaiError

__all__ = ["EXIT_BAD_INPUT", "EXIT_CHECK_FAILED", "reports_errors"]

P = ParamSpec("P")
R = TypeVar("R")

#: Exit code for bad input (a malformed file, an unknown indicator, a bad period…).
EXIT_BAD_INPUT = 2
#: Exit code for a check that ran and found problems (a failing self-test).
EXIT_CHECK_FAILED = 1


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`ZhengaiError` into a one-line reason on stderr and exit code 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ZhengaiError as error:
            text = str(error)
            first_line = text.splitlines()[0] if text else error.code
            click.echo(f"zhengai: error [{error.code}] {first_line}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper
