"""A Griffe extension: render zhengai's reStructuredText-flavoured docstrings as Markdown.

The docstrings of zhengai are plain text with two reStructuredText habits:

* examples are doctests (``>>> ...`` followed by the output).  Rendered as Markdown,
  ``>>>`` would be a block quote and an output such as ``[0.75, 0.25]`` a reference
  link; every run of doctest lines is wrapped in a ```` ```pycon ```` fence;
* cross-references are Sphinx roles (``:class:`~zhengai.store.Store```); they become
  inline code (``Store``), the name a reader would look up on the API page.

The source files are not touched.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

# :func:`x`, :class:`~a.b.C`, :data:`X` … ; "~" shows only the last component (as Sphinx does).
ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|data|mod|exc|obj|const):`(~?)([^`]+)`")


def strip_roles(text: str) -> str:
    """Replace Sphinx cross-reference roles by inline code."""

    def code(match: re.Match[str]) -> str:
        name = match.group(2)
        return f"`{name.rsplit('.', 1)[-1] if match.group(1) else name}`"

    return ROLE.sub(code, text)


def fence_doctests(text: str) -> str:
    """Wrap each doctest run (prompt lines and their output, up to a blank line) in a fence."""
    out: list[str] = []
    inside = False
    fence_depth = 0
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```"):
            fence_depth ^= 1  # an author's own fence: leave its content alone
        if not inside and fence_depth == 0 and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            inside = True
        elif inside and not stripped:
            out.append(f"{indent}```")
            inside = False
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the doctests and turn the roles of every docstring Griffe loads into code."""

    def on_instance(self, *, node: Any, obj: griffe.Object, agent: Any, **kwargs: Any) -> None:
        """Rewrite the object's docstring in place."""
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(strip_roles(obj.docstring.value))
