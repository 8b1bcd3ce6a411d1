"""docs/packs.md cannot drift: its listings are the example's files, its outputs are real."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import zhengai.alerts  # noqa: F401 - registers the alert self-test checker
from zhengai import packs

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "packs.md").read_text(encoding="utf-8")
LISTING = re.compile(r"`(examples/packs/minimal/[^`]+)`:\n\n```yaml\n(.*?)```", re.S)


def test_every_example_file_is_listed_verbatim() -> None:
    listed = dict(LISTING.findall(DOC))
    files = {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for p in (ROOT / "examples" / "packs" / "minimal").rglob("*.yaml")
    }
    assert listed == files


def test_self_test_output_is_what_the_pack_prints() -> None:
    report = packs.test(ROOT / "examples" / "packs" / "minimal")
    assert report.passed
    assert f"```text\n{report}\n```" in DOC


def test_evaluation_snippet_prints_what_the_page_shows() -> None:
    found = re.search(
        r"```python\n(import zhengai.alerts as alerts\n.*?)```\n\n```text\n(.*?)```", DOC, re.S
    )
    assert found is not None
    snippet, shown = found.groups()
    out = io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out):
        exec(compile(snippet, "docs/packs.md", "exec"), {})
    assert out.getvalue() == shown
