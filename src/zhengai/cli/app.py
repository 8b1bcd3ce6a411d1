"""The command group and its sub-commands."""

from __future__ import annotations

import click

from zhengai import __version__
from zhengai.cli.chain import chain
from zhengai.cli.common import LANGS, Lang, set_lang
from zhengai.cli.data import import_data
from zhengai.cli.db import db
from zhengai.cli.demo import demo
from zhengai.cli.pack import pack
from zhengai.cli.run import report, run
from zhengai.cli.spiral import spiral

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zhengai")
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="zh",
    show_default=True,
    envvar="ZHENGAI_LANG",
    help="提示信息的语言 / language of messages (env ZHENGAI_LANG).",
)
@click.pass_context
def main(ctx: click.Context, lang: Lang) -> None:
    """zhengai 诊改 — 高职院校内部质量保证体系诊断与改进引擎。

    Diagnosis-and-improvement engine for the internal quality assurance of
    vocational colleges.

    退出码 / exit codes: 0 成功 success; 1 检查发现问题 a check found problems;
    2 输入有误 bad input (one line on stderr naming the file and row).
    """
    set_lang(ctx, lang)


main.add_command(chain)
main.add_command(db)
main.add_command(demo)
main.add_command(import_data)
main.add_command(pack)
main.add_command(report)
main.add_command(run)
main.add_command(spiral)
