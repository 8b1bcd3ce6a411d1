"""Shared fixtures of the engine tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

WriteFolder = Callable[[str, Mapping[str, str]], Path]


@pytest.fixture
def write_folder(tmp_path: Path) -> WriteFolder:
    """``write_folder(name, files)`` writes ``files`` (path → dedented text) in a new folder."""

    def write(name: str, files: Mapping[str, str]) -> Path:
        root = tmp_path / name
        for relative, content in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        return root

    return write
