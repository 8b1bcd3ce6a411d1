"""docs/packs/<name>.md is exactly what the generator renders, so the pages never go stale."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from zhengai.packs import Pack, builtin_packs, load_pack
from zhengai.packs.docgen import constant_notes, render, render_index, write_builtin_docs


@functools.cache
def pack_named(name: str) -> Pack:
    """Load a built-in pack once per test module (packs are immutable)."""
    return load_pack(name)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "packs"


@pytest.mark.parametrize("name", sorted(builtin_packs()))
def test_committed_page_matches_the_generator(name: str) -> None:
    page = DOCS / f"{name}.md"
    assert page.is_file(), f"run: python -m zhengai.packs.docgen docs/packs ({page} missing)"
    assert page.read_text(encoding="utf-8") == render(pack_named(name)), (
        f"{page} is stale; run: python -m zhengai.packs.docgen docs/packs"
    )


def test_committed_index_matches_the_generator() -> None:
    packs = [pack_named(name) for name in sorted(builtin_packs())]
    index = DOCS / "index.md"
    assert index.read_text(encoding="utf-8") == render_index(packs)
    for name in builtin_packs():
        assert f"[`{name}`]({name}.md)" in index.read_text(encoding="utf-8")


def test_constant_notes_come_from_the_comment_above_a_run_of_constants() -> None:
    notes = constant_notes(pack_named("loudi-2017"))
    assert notes["最低到课率"] == notes["最低听课率"]
    assert "90%" in notes["最低到课率"]
    assert "默认值" in notes["生师比上限"]
    assert "默认值" not in notes["最低评教满意度"]


def test_loudi_page_shows_the_catalog_and_its_coverage() -> None:
    page = render(pack_named("loudi-2017"))
    assert "诊断项目 5 个，诊断要素 15 个，诊断点 37 个。" in page
    assert "**1.1.3 质量文化建设**" in page
    assert "自动预警 `course_attendance_below_standard`" in page
    assert "37 个诊断点中" in page


def test_every_table_row_has_as_many_cells_as_its_header(tmp_path: Path) -> None:
    written = write_builtin_docs(tmp_path)
    assert {p.name for p in written} == {f"{n}.md" for n in builtin_packs()} | {"index.md"}
    for path in written:
        width = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("|"):
                width = 0
                continue
            cells = len(re.findall(r"(?<!\\)\|", line))
            width = width or cells
            assert cells == width, (path.name, line)
