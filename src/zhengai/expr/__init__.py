"""The safe expression language (DESIGN.md §3, §7)."""

from zhengai.expr.frame import Frame

__all__ = ["Frame"]
