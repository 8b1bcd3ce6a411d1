"""The Python snippets of the tutorials, how-tos and concept pages run as written.

A block runs when the line before its ```` ```python ```` fence is ``<!-- test -->``.
The blocks of one page run in order in one namespace (a page is one story), inside a
fresh working folder, against the bundled example college.  Each snippet asserts what
it shows, so a page whose code stops working, or stops giving what the text says,
fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
# The pages of the docs site that this suite owns; the guides by other authors test
# their own examples (tests/chain/test_docs.py, tests/packs/…).
OWNED = ["index.md", "concepts", "tutorials", "howto", "reference"]
BLOCK = re.compile(r"^<!-- test -->\n```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _pages() -> list[Path]:
    pages: list[Path] = []
    for name in OWNED:
        path = DOCS / name
        pages += sorted(path.rglob("*.md")) if path.is_dir() else [path]
    return [p for p in pages if BLOCK.search(p.read_text(encoding="utf-8"))]


def snippets(page: Path) -> list[tuple[int, str]]:
    """The runnable blocks of a page with the line each starts on."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def test_the_marked_pages_are_found() -> None:
    found = {p.relative_to(DOCS).as_posix() for p in _pages()}
    # Each tutorial and the how-tos with Python in them must be exercised.
    for page in [
        "tutorials/quality-office.md",
        "tutorials/rule-author.md",
        "tutorials/developer.md",
        "howto/custom-function.md",
        "howto/loop-definition.md",
        "howto/import-platform.md",
        "howto/multi-school.md",
    ]:
        assert page in found, f"{page} has no runnable snippet"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_snippets_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # A how-to registers an expression function: give the registry back as it was, so that
    # no other test sees it.
    from zhengai.expr import FUNCTIONS

    saved = dict(FUNCTIONS)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    try:
        for line, source in snippets(page):
            code = compile(source, f"{page.relative_to(DOCS)}:{line}", "exec")
            exec(code, namespace)  # the documentation's own code, run as a reader would
    finally:
        FUNCTIONS.clear()
        FUNCTIONS.update(saved)


ANY_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize(
    "page",
    [
        p
        for name in OWNED
        for p in ((DOCS / name).rglob("*.md") if (DOCS / name).is_dir() else [DOCS / name])
    ],
    ids=lambda p: p.relative_to(DOCS).as_posix(),
)
def test_every_python_block_is_valid_python(page: Path) -> None:
    # Blocks that need a server (PostgreSQL, FastAPI) are not run, but they must at least parse.
    text = page.read_text(encoding="utf-8")
    for match in ANY_BLOCK.finditer(text):
        line = text.count("\n", 0, match.start(1)) + 1
        compile(match.group(1), f"{page.relative_to(DOCS)}:{line}", "exec")
