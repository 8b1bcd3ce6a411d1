"""The docs site builds with ``mkdocs build --strict`` and holds the references it promises.

One strict build per test session (≈ 10–20 s) into a temporary folder; the checks then
read the built HTML and mkdocstrings' objects inventory.  Needs the ``docs`` extra
(mkdocs, mkdocs-material, mkdocstrings[python]).
"""

from __future__ import annotations

import html
import importlib.util
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import zhengai

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None,
    reason="the docs extra (mkdocs, mkdocs-material, mkdocstrings[python]) is not installed",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin", "HOME": str(out)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return out


def _inventory(site: Path) -> set[str]:
    raw = (site / "objects.inv").read_bytes()
    # Sphinx inventory v2: four header lines, then zlib-compressed "name domain:role ..." lines.
    body = raw.split(b"\n", 4)[4]
    return {line.split(" ", 1)[0] for line in zlib.decompress(body).decode().splitlines()}


def _text(page: Path) -> str:
    # Plain text of a page without any whitespace (markup adds spaces around code spans, so
    # texts are compared with all whitespace removed; see _bare).
    raw = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
    return _bare(html.unescape(raw))


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _first_sentence(doc: str) -> str:
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from griffe_doctest import strip_roles
    finally:
        sys.path.remove(str(ROOT / "docs"))
    first = " ".join(strip_roles(doc).strip().split("\n\n")[0].split())
    # Docstrings mark code with backticks; the site shows it as code, without them.
    return first.replace("`", "").split(". ")[0][:60]


def test_every_public_name_is_in_the_api_reference_with_its_docstring(site: Path) -> None:
    inventory = _inventory(site)
    page = _text(site / "reference" / "api" / "index.html")
    for name in zhengai.__all__:
        if name == "__version__":
            assert "zhengai.__version__" in page
            continue
        obj = getattr(zhengai, name)
        canonical = f"{obj.__module__}.{obj.__qualname__}"
        assert f"zhengai.{name}" in inventory or canonical in inventory, name
        doc = obj.__doc__
        assert doc, f"zhengai.{name} has no docstring"
        assert _bare(_first_sentence(doc)) in page, f"the docstring of zhengai.{name} is not shown"


def test_the_error_reference_lists_every_code(site: Path) -> None:
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from hooks import all_error_codes, load_fixes
    finally:
        sys.path.remove(str(ROOT / "docs"))
    page = _text(site / "reference" / "errors" / "index.html")
    fixes = load_fixes()
    for code, cls in all_error_codes().items():
        assert _bare(f"{code} {cls.__qualname__} {cls.__module__}") in page, code
        assert _bare(fixes[code].replace("`", "").split("。")[0][:30]) in page, code


def test_the_cli_reference_shows_every_command(site: Path) -> None:
    page = _text(site / "reference" / "cli" / "index.html")
    for command in ["zhengai run", "zhengai pack validate", "zhengai pack test", "zhengai demo"]:
        assert _bare(f"Usage: {command} [OPTIONS]") in page, command


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("concepts/spiral", "stateDiagram-v2"),
        ("concepts/levels", "flowchart BT"),
        ("concepts/chains", "classDef good"),
        ("concepts/packs", "example_college --> loudi_2017"),
        ("concepts/scoring", "flowchart LR"),
        ("concepts/warnings", "stateDiagram-v2"),
        ("concepts/runs", "sequenceDiagram"),
    ],
)
def test_every_concept_has_its_picture(site: Path, page: str, expected: str) -> None:
    text = (site / page / "index.html").read_text(encoding="utf-8")
    diagrams = re.findall(r'<pre class="mermaid"><code>(.*?)</code></pre>', text, re.DOTALL)
    assert diagrams, f"{page} has no diagram"
    assert any(expected in html.unescape(d) for d in diagrams), page


def test_no_page_loads_anything_from_the_network(site: Path) -> None:
    # Campus intranets are often offline: no external scripts, stylesheets or fonts.
    pattern = re.compile(r"<(?:script|link)[^>]+(?:src|href)=\"https?://", re.IGNORECASE)
    offenders = [
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
