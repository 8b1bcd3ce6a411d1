"""The Python example in README.md runs as written and prints what its last comment says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_block() -> str:
    """The first ```python block of the README."""
    match = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert match, "README.md has no ```python block"
    return match.group(1)


def test_readme_example_prints_its_promised_output() -> None:
    code = python_block()
    last = code.rstrip().splitlines()[-1]
    assert "#" in last, "the example's last line must end with '# <expected output>'"
    expected = last.rsplit("#", 1)[1].strip()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    assert out.getvalue().strip() == expected
