"""The build hooks: the error reference cannot go stale, doctests render as code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS))
import griffe_doctest  # noqa: E402
import hooks  # noqa: E402

sys.path.remove(str(DOCS))


def test_every_error_code_has_a_fix_and_every_fix_a_code() -> None:
    codes = hooks.all_error_codes()
    fixes = hooks.load_fixes()
    assert set(codes) == set(fixes)
    assert all(fix.strip() for fix in fixes.values())


def test_the_errors_page_has_one_row_per_code() -> None:
    page = hooks.errors_page()
    codes = hooks.all_error_codes()
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(rows) == len(codes)
    assert "| `pack.not_found` | `PackNotFound`<br><small>zhengai.packs.errors</small> |" in page
    assert "YYYY-YYYY-1/2" in page  # a "|" in a docstring does not break the table


def test_a_code_without_a_fix_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    fixes = hooks.load_fixes()
    del fixes["expr.syntax"]
    monkeypatch.setattr(hooks, "load_fixes", lambda: fixes)
    with pytest.raises(hooks.StaleErrorReference, match=r"codes without a fix: \['expr.syntax'\]"):
        hooks.errors_page()


def test_diagram_markers_become_mermaid_fences() -> None:
    page = hooks.render_markers("text\n<!-- zhengai:spiral radar -->\nmore")
    assert page.startswith("text\n```mermaid\nstateDiagram-v2")
    assert 'state "A&R 评价改进" as assess_refine' in page
    with pytest.raises(KeyError, match="unknown diagram marker 'nope'"):
        hooks.render_markers("<!-- zhengai:nope -->")


def test_builtin_pack_pages_join_the_navigation() -> None:
    nav: list[object] = [{"参考": [{"内置规则包": ["packs/index.md"]}]}]
    assert hooks._add_pack_pages(nav)
    pages = nav[0]["参考"][0]["内置规则包"]  # type: ignore[index]
    assert pages[0] == "packs/index.md"
    assert "packs/academic-warning.md" in pages


def test_doctests_are_fenced_and_other_text_is_not() -> None:
    doc = "Weights.\n\n>>> r = ahp([[1, 3], ['1/3', 1]])\n>>> r.weights\n[0.75, 0.25]\n\nAfter."
    assert griffe_doctest.fence_doctests(doc) == (
        "Weights.\n\n```pycon\n>>> r = ahp([[1, 3], ['1/3', 1]])\n>>> r.weights\n"
        "[0.75, 0.25]\n```\n\nAfter."
    )
    fenced = "```python\n>>> x\n```"
    assert griffe_doctest.fence_doctests(fenced) == fenced


def test_sphinx_roles_become_inline_code() -> None:
    text = "See :func:`zhengai.run` and :class:`~zhengai.store.Store`, not :foo:`x`."
    assert griffe_doctest.strip_roles(text) == "See `zhengai.run` and `Store`, not :foo:`x`."
