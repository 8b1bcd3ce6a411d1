"""A population on a loop shows its counts per state, with Chinese labels, in Jupyter."""

from __future__ import annotations

import numpy as np

from zhengai.spiral import Population, Spiral, SpiralStates, shipped_loop


def test_population_counts_and_html() -> None:
    spiral = Spiral(shipped_loop("five_step"))
    codes = {s: i for i, s in enumerate(spiral.state_ids)}
    state = np.array([codes["draft"], codes["running"], codes["running"]], dtype=np.int16)
    states = SpiralStates(
        subject_ids=np.array(["m1", "m2", "m3"], dtype=object),
        state=state,
        small=np.full(3, -1, dtype=np.int16),
        cycle=np.ones(3, dtype=np.int32),
        entered_at=np.full(3, np.datetime64("2026-09-01T00:00:00"), dtype="datetime64[us]"),
    )
    population = Population(spiral, states)
    assert population.histogram()["running"] == 2
    assert population.histogram()["draft"] == 1
    records = {r["state"]: r for r in population.to_records()}
    assert records["running"] == {
        "state": "running",
        "label": "运行",
        "step": "implement",
        "subjects": 2,
    }
    html = population._repr_html_()
    assert "<td>运行</td><td>running</td><td style='text-align:right'>2</td>" in html
    assert "五步诊改循环" in html
    assert repr(population) == "Population(five_step: 3 subjects; draft 1, running 2)"
