"""docs/chain.md: the worked example runs and prints what the page shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).parents[2] / "docs" / "chain.md"


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_worked_example_matches_the_page() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = text[text.index("## Worked example") : text.index("## Errors")]
    code = _blocks(example, "python")
    outputs = _blocks(example, "text")
    assert len(code) == len(outputs) == 3
    namespace: dict[str, object] = {}
    for block, expected in zip(code, outputs, strict=True):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(block, str(DOC), "exec"), namespace)
        assert buffer.getvalue() == expected
    assert _blocks(example, "mermaid") == [namespace["mermaid"]]
