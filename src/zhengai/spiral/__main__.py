"""Regenerate the loop diagrams of Markdown pages: ``python -m zhengai.spiral docs/spiral.md``."""

from __future__ import annotations

import sys
from pathlib import Path

from zhengai.spiral.diagram import refresh_markdown


def main(paths: list[str]) -> None:
    """Rewrite every ``<!-- diagram:<loop id> -->`` block of each page in place."""
    for name in paths:
        page = Path(name)
        page.write_text(refresh_markdown(page.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
