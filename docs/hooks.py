"""MkDocs hooks: pages generated from the code at every build, so they never go stale.

* ``reference/errors.md``: every ``code`` of :data:`zhengai.errors.ERROR_CODES` after
  importing every subpackage, with its class, its meaning (the class docstring) and the
  fix (``docs/reference/error_fixes.yaml``).  A code without a fix, or a fix for a code
  that no longer exists, fails the build: a new error class must come with its fix.
* ``reference/cli.md``: the ``--help`` of every ``zhengai`` command, taken from click.

Nothing here touches the network.  ``python docs/hooks.py errors`` (or ``cli``) prints a
page, for looking at it without a build.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

DOCS = Path(__file__).resolve().parent
FIXES = DOCS / "reference" / "error_fixes.yaml"

# Families in the order a reader meets them (DESIGN.md §3), with their Chinese titles.
FAMILIES = {
    "zhengai": "根 Root",
    "data": "数据 Data",
    "expr": "表达式 Expressions",
    "pack": "规则包 Packs",
    "store": "存储 Store",
    "chain": "目标链 Goal chain",
    "scoring": "考核性诊断 Scoring",
    "loop": "螺旋 Spiral (loops)",
    "engine": "运行 Engine",
}


class StaleErrorReference(Exception):
    """ERROR_CODES and error_fixes.yaml disagree: a code without a fix, or a fix without a code."""


def all_error_codes() -> dict[str, type[Exception]]:
    """Import every zhengai module (errors register on import) and return ERROR_CODES."""
    import zhengai

    for module in pkgutil.walk_packages(zhengai.__path__, "zhengai."):
        # Migration scripts and ``__main__`` modules run code on import; they define no errors.
        if ".migrations" in module.name or module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
    from zhengai.errors import ERROR_CODES

    return dict(ERROR_CODES)


def load_fixes() -> dict[str, str]:
    """The fix for every error code, from ``docs/reference/error_fixes.yaml``."""
    data = yaml.safe_load(FIXES.read_text(encoding="utf-8"))
    return {str(code): str(fix).strip() for code, fix in data.items()}


def _family(code: str) -> str:
    return code.split(".", 1)[0]


def _cell(text: str) -> str:
    # A "|" would end the table cell, and an escaped one shows its backslash inside code.
    return " ".join(text.split()).replace("|", "/")


def _meaning(cls: type[Exception]) -> str:
    return _cell(cls.__doc__ or "")


def errors_page() -> str:
    """The Markdown of reference/errors.md."""
    codes = all_error_codes()
    fixes = load_fixes()
    missing = sorted(set(codes) - set(fixes))
    extra = sorted(set(fixes) - set(codes))
    if missing or extra:
        raise StaleErrorReference(
            f"{FIXES.name}: codes without a fix: {missing}; fixes for unknown codes: {extra}"
        )
    lines = [
        "<!-- 本页由 docs/hooks.py 在每次构建时从 zhengai.errors.ERROR_CODES 生成。 -->",
        "",
        "# 错误代码 Error codes",
        "",
        "Every error zhengai raises on bad input is a `ZhengaiError` with a stable `code`, a",
        "`where` (file, line, row, column, field) and a one-line message. Catch a family with",
        "its root class (`except zhengai.PackError`) or test `err.code`; the code never",
        "changes between releases. This page is generated from the code at every build:",
        f"{len(codes)} codes in {len({_family(c) for c in codes})} families.",
        "",
        "每个错误都有稳定的 `code`，以及出错位置 `where`（文件、行、数据行、列、字段）。",
        "下表由代码生成：含义来自错误类的说明，处理办法见“怎么改 (fix)”一栏。",
        "",
    ]
    order = list(FAMILIES)
    families = sorted(
        {_family(c) for c in codes},
        key=lambda f: (f not in order, order.index(f) if f in order else 0, f),
    )
    for family in families:
        lines += [f"## {FAMILIES.get(family, family)} · `{family}`", ""]
        lines += ["| code | class | meaning 含义 | fix 怎么改 |", "| --- | --- | --- | --- |"]
        for code in sorted(c for c in codes if _family(c) == family):
            cls = codes[code]
            # The class name, with its module in small print: the column stays narrow.
            name = f"`{cls.__qualname__}`<br><small>{cls.__module__}</small>"
            fix = _cell(fixes[code])
            lines.append(f"| `{code}` | {name} | {_meaning(cls)} | {fix} |")
        lines.append("")
    return "\n".join(lines)


def _commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    import click

    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _commands(command.commands[name], [*path, name])


def cli_page() -> str:
    """The Markdown of reference/cli.md: every command's ``--help``."""
    import click

    from zhengai.cli import main

    lines = [
        "<!-- 本页由 docs/hooks.py 在每次构建时从 click 命令生成。 -->",
        "",
        "# 命令行 CLI reference",
        "",
    ]
    if (DOCS / "cli.md").exists():
        lines += ["A guided tour with examples is in [the CLI guide](../cli.md).", ""]
    lines += [
        "`zhengai` is a thin shell over the library. Exit codes: **0** success, **1** a check",
        "found problems (a failing self-test, an invalid pack), **2** bad input, with one line",
        "on stderr naming the file and the line or row. This page is the `--help` of every",
        "command, generated at each build.",
        "",
    ]
    for path, command in _commands(main, ["zhengai"]):
        with click.Context(command, info_name=" ".join(path), terminal_width=100) as ctx:
            text = command.get_help(ctx)
        level = "#" * min(len(path) + 1, 4)
        lines += [f"{level} `{' '.join(path)}`", "", "```text", text, "```", ""]
    return "\n".join(lines)


def _add_pack_pages(nav: Any) -> bool:
    # Built-in pack pages are generated by zhengai.packs.docgen, one per pack: list them
    # beside packs/index.md so that a new pack appears in the navigation by itself.
    if isinstance(nav, list):
        if "packs/index.md" in nav:
            listed = {item for item in nav if isinstance(item, str)}
            pages = sorted(p.name for p in (DOCS / "packs").glob("*.md") if p.name != "index.md")
            nav.extend(f"packs/{name}" for name in pages if f"packs/{name}" not in listed)
            return True
        return any(_add_pack_pages(item) for item in nav)
    if isinstance(nav, dict):
        return any(_add_pack_pages(value) for value in nav.values())
    return False


def on_config(config: Any) -> Any:
    """Complete the navigation with the generated pages of the built-in packs."""
    _add_pack_pages(config["nav"])
    return config


# -- diagrams the code exports, put into pages at build time -------------------------------
# A page asks for one with a marker line: <!-- zhengai:spiral five_step -->.


def _spiral_diagram(loop: str = "five_step", direction: str = "LR") -> str:
    from zhengai.spiral import Spiral, shipped_loop

    text = Spiral(shipped_loop(loop)).diagram("mermaid")
    # The exported diagram runs left to right; in a page column top to bottom reads better.
    return text.replace("direction LR", f"direction {direction}", 1)


def _levels_diagram() -> str:
    from zhengai.model import Level, System, Tier

    # 层面 (levels) from zhengai.model.Level, parents as DESIGN.md §4 gives them.
    edges = [
        ("student", "class"), ("class", "major"), ("course", "major"), ("teacher", "department"),
        ("major", "major_group"), ("major_group", "department"), ("major", "department"),
        ("department", "school"),
    ]  # fmt: skip
    lines = ["flowchart BT"]
    # Mermaid reserves words such as "class": prefix the node ids.
    lines += [f'    lv_{lv.value}["{lv.label} {lv.value}"]' for lv in Level]
    lines += [f"    lv_{child} --> lv_{parent}" for child, parent in edges]
    tiers = " → ".join(f"{t.label}" for t in Tier)
    systems = "、".join(s.label for s in System)
    lines += [
        f'    tiers["三层级 tiers：{tiers}"]',
        f'    systems["纵向五系统 systems：{systems}"]',
        "    systems -.-> lv_department",
        "    tiers -.-> lv_school",
    ]
    return "\n".join(lines)


def _chain_diagram() -> str:
    from zhengai import GoalChain

    span = {"start": "2021-2022", "end": "2025-2026"}
    # id, title, owner, level, parent, weight, indicator, target
    rows = [
        ("G", "事业发展总规划", "school", "学校", None, None, None, None),
        ("P1", "专业建设规划", "教务处", "部门", "G", 0.6, None, None),
        ("P2", "师资队伍建设规划", "人事处", "部门", "G", 0.4, "dual", 0.6),
        ("M1", "机电一体化专业建设方案", "M001", "专业", "P1", 0.5, "emp", 0.95),
        ("M2", "软件技术专业建设方案", "M002", "专业", "P1", 0.5, "emp", 0.93),
        ("K1", "Python程序设计课程建设方案", "K001", "课程", "M2", 1.0, "pass", 0.9),
    ]
    goals: list[dict[str, Any]] = []
    for gid, title, owner, level, parent, weight, indicator, target in rows:
        goal: dict[str, Any] = {"id": gid, "title": title, "owner": owner, "level": level, **span}
        if parent is not None:
            goal |= {"parent": parent, "weight": weight}
        if indicator is not None:
            goal["indicators"] = [{"indicator": indicator, "target": target}]
        goals.append(goal)
    edges = [{"source": "P2", "target": "P1", "kind": "supports"}]
    chain = GoalChain.from_records(goals, edges)
    result = chain.rollup(
        {"P2": {"dual": 0.57}, "M1": {"emp": 0.91}, "M2": {"emp": 0.95}, "K1": {"pass": 0.72}}
    )
    return chain.to_mermaid(result)


def _packs_diagram() -> str:
    from zhengai.packs import builtin_packs, load_pack

    lines = ["flowchart BT"]
    for name in sorted(builtin_packs()):
        pack = load_pack(name)
        node = name.replace("-", "_")
        lines.append(f'    {node}["{name}<br/>{len(pack.rules)} 条规则"]')
        lines += [f"    {node} --> {parent.replace('-', '_')}" for parent in pack.extends]
    return "\n".join(lines)


def _scorecard_diagram(pack_name: str = "major-radar", card: str = "major_annual_review") -> str:
    from zhengai.packs import load_pack

    scorecard = load_pack(pack_name).sections["scorecards"][card]
    lines = ["flowchart LR", f'    root["{scorecard.name}"]']
    counter = iter(range(10_000))

    def walk(nodes: Any, parent: str) -> None:
        for item in nodes:
            node = f"n{next(counter)}"
            kind = f"<br/>{item.scoring.kind}" if getattr(item, "scoring", None) else ""
            lines.append(f'    {node}["{item.name or item.id}{kind}"]')
            weight = "" if item.weight is None else f"|{item.weight:g}|"
            lines.append(f"    {parent} -->{weight} {node}")
            walk(item.children, node)

    walk(scorecard.indicators, "root")
    return "\n".join(lines)


DIAGRAMS: dict[str, Any] = {
    "spiral": _spiral_diagram,
    "levels": _levels_diagram,
    "chain": _chain_diagram,
    "packs": _packs_diagram,
    "scorecard": _scorecard_diagram,
}
MARKER = re.compile(r"^<!-- zhengai:(\w+)((?: [\w-]+)*) -->$", re.MULTILINE)


def render_markers(markdown: str) -> str:
    """Replace each diagram marker line with the diagram's Mermaid fence."""

    def replace(match: re.Match[str]) -> str:
        name, args = match.group(1), match.group(2).split()
        if name not in DIAGRAMS:
            raise KeyError(f"unknown diagram marker {name!r}; known: {sorted(DIAGRAMS)}")
        return f"```mermaid\n{DIAGRAMS[name](*args).rstrip()}\n```"

    return MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Put the diagrams the code exports into the pages that ask for them."""
    return render_markers(markdown) if "<!-- zhengai:" in markdown else markdown


GENERATED = {"reference/errors.md": errors_page, "reference/cli.md": cli_page}


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages to the site."""
    from mkdocs.structure.files import File

    for uri, make in GENERATED.items():
        files.append(File.generated(config, uri, content=make()))
    return files


if __name__ == "__main__":  # pragma: no cover - a convenience for authors
    page = sys.argv[1] if len(sys.argv) > 1 else "errors"
    if page in DIAGRAMS:
        print(DIAGRAMS[page](*sys.argv[2:]))
    else:
        print(GENERATED[f"reference/{page}.md"]())
