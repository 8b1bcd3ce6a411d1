"""The checked tree: what the compiler produces and every backend reads.

Nodes are built only by :mod:`zhengai.expr.compiler` after all static checks,
so backends may trust them: types are known, names are canonical, literals are
plain Python values, and history functions are already expanded into
:class:`Shift` nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:
    from zhengai.expr.functions import Function

__all__ = [
    "Arith",
    "BoolOp",
    "Call",
    "Cmp",
    "Cond",
    "GoalRef",
    "Lit",
    "Member",
    "Node",
    "Not",
    "Pow",
    "Ref",
    "Shift",
    "Type",
    "Unary",
    "children",
]

#: Static types. ``any`` is an attribute of unknown type; ``null`` is the ``None`` literal.
Type: TypeAlias = Literal["number", "bool", "string", "any", "null"]
LitValue: TypeAlias = float | int | str | bool | None


@dataclass(eq=False)
class Node:
    """Base of checked nodes: static type, 1-based column and the source text it came from."""

    type: Type
    column: int
    text: str


@dataclass(eq=False)
class Lit(Node):
    """A literal (numbers, strings, booleans, None), including inlined pack constants."""

    value: LitValue = None


@dataclass(eq=False)
class Ref(Node):
    """A name read from the row: an indicator id, an attribute or a free numeric name."""

    name: str = ""
    kind: Literal["indicator", "attribute", "free"] = "free"
    label: str = ""


@dataclass(eq=False)
class Unary(Node):
    """Unary minus (``op == "-"``) or plus."""

    op: str = "-"
    operand: Node = field(default_factory=lambda: Lit("null", 0, ""))


@dataclass(eq=False)
class Arith(Node):
    """Binary arithmetic ``+ - * / // %``; division by zero is missing."""

    op: str = "+"
    left: Node = field(default_factory=lambda: Lit("null", 0, ""))
    right: Node = field(default_factory=lambda: Lit("null", 0, ""))


@dataclass(eq=False)
class Pow(Node):
    """``base ** exponent`` with a bounded integer literal exponent (repeated multiplication)."""

    base: Node = field(default_factory=lambda: Lit("null", 0, ""))
    exponent: int = 1


@dataclass(eq=False)
class Cmp(Node):
    """One decimal-faithful comparison (chains are expanded into ``and``)."""

    op: str = "=="
    left: Node = field(default_factory=lambda: Lit("null", 0, ""))
    right: Node = field(default_factory=lambda: Lit("null", 0, ""))


@dataclass(eq=False)
class BoolOp(Node):
    """Kleene ``and`` / ``or`` over two or more operands."""

    op: str = "and"
    values: list[Node] = field(default_factory=list)


@dataclass(eq=False)
class Not(Node):
    """Kleene ``not``."""

    operand: Node = field(default_factory=lambda: Lit("null", 0, ""))


@dataclass(eq=False)
class Cond(Node):
    """``body if test else orelse``; a missing test gives a missing result."""

    test: Node = field(default_factory=lambda: Lit("null", 0, ""))
    body: Node = field(default_factory=lambda: Lit("null", 0, ""))
    orelse: Node = field(default_factory=lambda: Lit("null", 0, ""))


@dataclass(eq=False)
class Member(Node):
    """``operand in (literals…)`` or ``not in``; numbers compare decimal-faithfully."""

    operand: Node = field(default_factory=lambda: Lit("null", 0, ""))
    values: tuple[LitValue, ...] = ()
    negate: bool = False


@dataclass(eq=False)
class Shift(Node):
    """``operand`` evaluated ``k`` periods back (what history functions expand to)."""

    operand: Node = field(default_factory=lambda: Lit("null", 0, ""))
    k: int = 1


@dataclass(eq=False)
class GoalRef(Node):
    """The subject's goal value of ``kind`` (``target``/``baseline``) for an indicator."""

    kind: str = "target"
    name: str = ""


@dataclass(eq=False)
class Call(Node):
    """A call of a native registered function (macros are expanded before this)."""

    function: Function | None = None
    args: list[Node] = field(default_factory=list)
    static: dict[str, int] = field(default_factory=dict)


def children(node: Node) -> list[Node]:
    """The direct sub-nodes of ``node``, left to right."""
    if isinstance(node, Unary | Not | Shift):
        return [node.operand]
    if isinstance(node, Member):
        return [node.operand]
    if isinstance(node, Arith | Cmp):
        return [node.left, node.right]
    if isinstance(node, Pow):
        return [node.base]
    if isinstance(node, BoolOp):
        return list(node.values)
    if isinstance(node, Cond):
        return [node.test, node.body, node.orelse]
    if isinstance(node, Call):
        return list(node.args)
    return []
