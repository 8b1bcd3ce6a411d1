"""Warning rules into alerts: ladders, sustained breaches, lifecycle, explanations, data gaps.

``evaluate(pack, subjects, observations, period, backend=…, previous=…)``
returns an :class:`AlertSet`.  Importing this package also registers the
``alerts``/``gaps`` expectations of pack self-tests with ``zhengai.packs``.
"""

from zhengai.alerts import selftest as _selftest  # registers the self-test checker
from zhengai.alerts.alertset import STATUS_CODES, AlertSet, RuleAlerts, RuleGaps
from zhengai.alerts.batch import BACKENDS, Backend, evaluate, evaluate_populations
from zhengai.alerts.errors import PreviousMismatch, UnknownBackend, UnknownSummaryKey
from zhengai.alerts.frames import FramePopulation
from zhengai.alerts.selftest import run_case

__all__ = [
    "BACKENDS",
    "STATUS_CODES",
    "AlertSet",
    "Backend",
    "FramePopulation",
    "PreviousMismatch",
    "RuleAlerts",
    "RuleGaps",
    "UnknownBackend",
    "UnknownSummaryKey",
    "evaluate",
    "evaluate_populations",
    "run_case",
]

del _selftest
