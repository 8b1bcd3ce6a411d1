"""One diagnosis run (DESIGN.md §3): data → alerts → scores → chain → spirals → store.

``run(pack, store | (subjects, observations), period)`` returns a
:class:`RunResult`; with a store everything is written in one transaction with a
run record (pack identity, as-of time, backend, timings, counts).
"""

from zhengai.engine.result import RunResult, SpiralRow
from zhengai.engine.runner import EngineError, evaluate, evaluate_all, previous_alerts, run

__all__ = [
    "EngineError",
    "RunResult",
    "SpiralRow",
    "evaluate",
    "evaluate_all",
    "previous_alerts",
    "run",
]
