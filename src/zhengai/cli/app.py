"""The command group and its sub-commands."""

from __future__ import annotations

import click

from zhengai import __version__
from zhengai.cli.demo import demo
from zhengai.cli.pack import pack

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zhengai")
def main() -> None:
    """zhengai 诊改 — 高职院校内部质量保证体系诊断与改进引擎。

    Diagnosis-and-improvement engine for the internal quality assurance of
    vocational colleges.
    """


main.add_command(demo)
main.add_command(pack)
