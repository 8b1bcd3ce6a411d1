"""Mermaid and Graphviz text of a loop, drawn from its shared ``transitions`` machines.

The edges come from the machines (``transitions`` is the one source of what is
legal and of what the docs draw); labels, guards and the small loop's placement
come from the definition.  ``current`` highlights one state; ``counts`` adds the
number of subjects per state of a population.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from zhengai.errors import LoopError

if TYPE_CHECKING:
    from transitions import Machine

    from zhengai.spiral.engine import Spiral

__all__ = ["UnknownDiagramFormat", "refresh_markdown", "render"]

_HIGHLIGHT = "#ffb74d"


class UnknownDiagramFormat(LoopError):
    """A diagram format other than ``mermaid`` or ``dot``."""

    code = "loop.unknown_diagram_format"


def _edges(machine: Machine) -> Iterator[tuple[str, str, str]]:
    for name, event in machine.events.items():
        for source, transitions in event.transitions.items():
            for t in transitions:
                yield source, str(t.dest), name


def _edge_label(spiral: Spiral, trigger: str) -> str:
    definition = spiral.definition
    transitions = list(definition.transitions)
    if definition.small_loop:
        transitions += definition.small_loop.transitions
    t = next(t for t in transitions if t.trigger == trigger)
    guards = [g.name for g in t.guards]
    text = f"{trigger}（{t.label}）" if t.label else trigger
    return f"{text} [{', '.join(guards)}]" if guards else text


def _node_label(spiral: Spiral, state: str, counts: Mapping[str, int] | None) -> str:
    label = spiral.label(state)
    if counts is not None:
        label = f"{label} · {counts.get(state, 0)}"
    return label


def _mermaid(spiral: Spiral, current: str | None, counts: Mapping[str, int] | None) -> str:
    d = spiral.definition
    lines = ["stateDiagram-v2", "    direction LR"]
    for s in d.all_states():
        lines.append(f'    state "{_node_label(spiral, s.id, counts)}" as {s.id}')
    lines.append(f"    [*] --> {d.initial}")
    for source, dest, trigger in _edges(spiral.machine):
        lines.append(f"    {source} --> {dest}: {_edge_label(spiral, trigger)}")
    lines.append(f"    {d.close} --> [*]")
    if d.small_loop is not None and spiral.small_machine is not None:
        lines.append(f"    state {d.small_loop.host} {{")
        lines.append(f"        [*] --> {d.small_loop.initial}")
        for source, dest, trigger in _edges(spiral.small_machine):
            lines.append(f"        {source} --> {dest}: {_edge_label(spiral, trigger)}")
        lines.append("    }")
    if current is not None:
        spiral.label(current)  # an unknown state fails here, not silently in the picture
        lines.append(f"    classDef current fill:{_HIGHLIGHT},stroke:#e65100,stroke-width:3px")
        lines.append(f"    class {current} current")
    return "\n".join(lines) + "\n"


def _dot(spiral: Spiral, current: str | None, counts: Mapping[str, int] | None) -> str:
    d = spiral.definition
    small_ids = {s.id for s in d.small_loop.states} if d.small_loop else set()

    def node(state: str, indent: str) -> str:
        label = f"{_node_label(spiral, state, counts)}\\n{state}"
        style = (
            f', style="rounded,filled", fillcolor="{_HIGHLIGHT}", penwidth=3'
            if state == current
            else ""
        )
        return f'{indent}{state} [label="{label}"{style}];'

    lines = [
        f'digraph "{d.id}" {{',
        "    rankdir=LR;",
        '    node [shape=box, style=rounded, fontname="Noto Sans CJK SC"];',
        '    edge [fontname="Noto Sans CJK SC", fontsize=10];',
        '    start [shape=point, label=""];',
    ]
    if current is not None:
        spiral.label(current)
    lines += [node(s.id, "    ") for s in d.states]
    lines.append(f"    start -> {d.initial};")
    for source, dest, trigger in _edges(spiral.machine):
        lines.append(f'    {source} -> {dest} [label="{_edge_label(spiral, trigger)}"];')
    if d.small_loop is not None and spiral.small_machine is not None:
        lines.append("    subgraph cluster_small {")
        lines.append(f'        label="{spiral.label(d.small_loop.host)}中的小循环";')
        lines.append("        style=dashed;")
        lines += [node(s, "        ") for s in (s.id for s in d.small_loop.states)]
        for source, dest, trigger in _edges(spiral.small_machine):
            lines.append(f'        {source} -> {dest} [label="{_edge_label(spiral, trigger)}"];')
        lines.append("    }")
        lines.append(
            f"    {d.small_loop.host} -> {d.small_loop.initial} "
            '[style=dashed, arrowhead=none, label="小循环"];'
        )
    assert all(s in small_ids or s in spiral.state_ids for s in small_ids)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(
    spiral: Spiral,
    fmt: str = "mermaid",
    *,
    current: str | None = None,
    counts: Mapping[str, int] | None = None,
) -> str:
    """The loop as ``mermaid`` (stateDiagram-v2) or ``dot`` (Graphviz) text."""
    if fmt == "mermaid":
        return _mermaid(spiral, current, counts)
    if fmt == "dot":
        return _dot(spiral, current, counts)
    raise UnknownDiagramFormat(f"unknown diagram format {fmt!r}", hint="use 'mermaid' or 'dot'")


_BLOCK = re.compile(
    r"(<!-- diagram:(?P<loop>[a-z_]+) -->\n```mermaid\n)(?P<body>.*?)(```\n<!-- /diagram -->)",
    re.DOTALL,
)


def refresh_markdown(text: str) -> str:
    """Regenerate every ``<!-- diagram:<loop id> -->`` Mermaid block of a Markdown page."""
    from zhengai.spiral.engine import Spiral
    from zhengai.spiral.shipped import shipped_loop

    def block(match: re.Match[str]) -> str:
        body = Spiral(shipped_loop(match["loop"])).diagram()
        return f"{match.group(1)}{body}{match.group(4)}"

    return _BLOCK.sub(block, text)
