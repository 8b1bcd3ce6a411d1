"""examples/*.ipynb: executed with nbclient; what they print is checked against numbers
recomputed here — by hand (AHP eigenvector, entropy, every course's weighted score) or
from what the example college plants on purpose."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import zhengai
from zhengai.examples import College, college

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = ("quickstart.ipynb", "scoring_and_weights.ipynb")


@pytest.fixture(scope="module")
def made() -> College:
    return college(seed=0, size="small")


def _execute(name: str, cwd: Path) -> tuple[Any, dict[str, Any]]:
    book = nbformat.read(EXAMPLES / name, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    printed = [
        line
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "stream"
        for line in out.text.splitlines()
    ]
    results = [line.removeprefix("RESULT ") for line in printed if line.startswith("RESULT ")]
    assert len(results) == 1, printed[-5:]
    return book, json.loads(results[0])


def _html_outputs(book: Any) -> list[str]:
    return [
        out.data["text/html"]
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "execute_result" and "text/html" in out.data
    ]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_stored_without_outputs(name: str) -> None:
    book = nbformat.read(EXAMPLES / name, as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(book)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_quickstart(made: College, tmp_path: Path) -> None:
    book, got = _execute("quickstart.ipynb", tmp_path)
    term = made.periods.latest_term
    assert got["college"] == repr(made)
    assert got["term"] == str(term)

    # The alerts: the planted students on each warning level are there, at their level.
    data = (made.subjects, made.observations)
    before = zhengai.run("academic-warning", data, made.periods.terms[-2])
    after = zhengai.run("academic-warning", data, term, previous=before.alerts)
    assert got["by_severity"] == dict(Counter(a.severity for a in after.alerts.alerts))
    assert got["alerts"] == sum(got["by_severity"].values())
    assert got["gaps"] == len(after.alerts.gaps)
    planted_red = set(made.planted_of("academic_warning_red")[0].subject_ids)
    assert planted_red <= set(got["red_subjects"])

    # The planted teacher: 0.6 · linear(评教, 0.5 → 1.0), 学习达标率 missing → excluded.
    teacher = made.planted_of("low_evaluation")[0].subject_ids[0]
    assert got["teacher"] == teacher
    evaluation = made.value(teacher, "student_evaluation", term)
    assert evaluation is not None
    assert got["teacher_score"] == pytest.approx(100 * (evaluation - 0.5) / 0.5, abs=1e-6)
    assert got["teacher_band"] == "问责"

    # The chain: every goal, and the planted targets that do not add up are found.
    assert got["goals"] == len(made.goals)
    assert "target_consistency" in got["findings"]
    chain = zhengai.GoalChain.from_records(made.goals, made.edges, catalog=made.catalog)
    rollup = chain.rollup(chain.observed(made.observations, made.periods.years[-1]))
    assert got["school_attainment"] == pytest.approx(rollup[got["school_goal"]].attainment)

    # The report was written where the notebook ran, about its student.
    report = tmp_path / got["report"]
    assert got["student"] in got["red_subjects"]
    assert report.is_file()
    page = report.read_text(encoding="utf-8")
    assert f"{made.subject(got['student']).name}自我诊改报告" in page
    assert not re.search(r"(src|href)=[\"']https?://", page)  # nothing loaded from the network

    html = _html_outputs(book)
    assert any("诊断运行" in h for h in html)  # RunResult's table
    assert any("示例职业技术学院" in h for h in html)  # the chain's table


def _course_table(made: College, indicators: list[str]) -> tuple[list[str], np.ndarray]:
    term = made.periods.latest_term
    ids = [s.id for s in made.subjects_at("course")]
    values = [[made.value(k, i, term) for i in indicators] for k in ids]
    return ids, np.array([[np.nan if v is None else v for v in row] for row in values])


def test_scoring_and_weights(made: College, tmp_path: Path) -> None:
    _book, got = _execute("scoring_and_weights.ipynb", tmp_path)

    # AHP by the principal eigenvector, and Saaty's CR with RI(4) = 0.90.
    a = np.array([[1, 3, 1, 2], [1 / 3, 1, 1 / 3, 1 / 2], [1, 3, 1, 2], [1 / 2, 2, 1 / 2, 1]])
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    w_ahp = np.abs(vectors[:, k].real) / np.abs(vectors[:, k].real).sum()
    assert got["ahp"] == pytest.approx(w_ahp.tolist(), abs=1e-9)
    assert got["cr"] == pytest.approx((values[k].real - 4) / 3 / 0.90, abs=1e-9)

    # 熵权法 by its formula over the complete rows, every indicator higher-is-better.
    indicators = ["attendance_rate", "listening_rate", "student_evaluation", "course_pass_rate"]
    ids, table = _course_table(made, indicators)
    complete = table[~np.isnan(table).any(axis=1)]
    y = (complete - complete.min(axis=0)) / (complete.max(axis=0) - complete.min(axis=0))
    p = y / y.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(len(complete))
    w_entropy = (1 - e) / (1 - e).sum()
    assert got["entropy_rows"] == len(complete)
    assert got["entropy"] == pytest.approx(w_entropy.tolist(), abs=1e-9)
    weights = 0.5 * w_ahp + 0.5 * w_entropy
    assert got["combined"] == pytest.approx(weights.tolist(), abs=1e-9)

    # Every course's score: linear leaves, a missing leaf dropped and the rest renormalised.
    floors = np.array([0.80, 0.80, 0.70, 0.80])
    targets = np.array([0.95, 0.95, 0.95, 0.98])
    leaf = 100 * np.clip((table - floors) / (targets - floors), 0, 1)
    present = ~np.isnan(table)
    total = np.nansum(leaf * weights, axis=1) / (present * weights).sum(axis=1)
    assert got["scores"] == pytest.approx(dict(zip(ids, total.tolist(), strict=True)), abs=1e-9)
    assert got["partial"] == sorted(np.array(ids)[~present.all(axis=1)].tolist())

    # Bands: the top ⌊15 % · 36⌋ = 5 and the bottom ⌊10 % · 36⌋ = 3 (no ties here).
    order = np.argsort(-total)
    assert len(set(np.round(total, 6))) == len(total)
    assert got["奖励"] == sorted(np.array(ids)[order[:5]].tolist())
    assert got["问责"] == sorted(np.array(ids)[order[-3:]].tolist())
    assert got["worst"] == ids[int(order[-1])]
