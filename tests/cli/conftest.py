"""Fixtures for the command's tests: a runner, the small example college as files, a store."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from zhengai.cli import main
from zhengai.examples import college

Invoke = Callable[..., Result]


@pytest.fixture
def invoke() -> Invoke:
    """Run ``zhengai <args>`` in-process; stdout and stderr are kept apart."""
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, list(args), prog_name="zhengai", catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def college_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """subjects.csv, observations.csv, goals.csv and edges.csv of the small example college."""
    return college(size="small").write_csv(tmp_path_factory.mktemp("college"))


@pytest.fixture(scope="session")
def _loaded_store(tmp_path_factory: pytest.TempPathFactory, college_files: dict[str, Path]) -> Path:
    path = tmp_path_factory.mktemp("store") / "zhengai.db"
    runner = CliRunner()
    for args in (
        ["db", "upgrade", f"sqlite:///{path}"],
        [
            "import",
            "--store",
            f"sqlite:///{path}",
            "--subjects",
            str(college_files["subjects"]),
            "--observations",
            str(college_files["observations"]),
        ],
    ):
        result = runner.invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def loaded_store(tmp_path: Path, _loaded_store: Path) -> str:
    """A URL of an SQLite store holding the small example college (a fresh copy per test)."""
    # SQLite runs in WAL mode: the latest writes may still be in the -wal file.
    for source in _loaded_store.parent.glob(f"{_loaded_store.name}*"):
        shutil.copy(source, tmp_path / source.name)
    return f"sqlite:///{tmp_path / _loaded_store.name}"


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a small file in ``tmp_path`` (``write("o.csv", text)``) and return its path."""

    def put(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return path

    return put
