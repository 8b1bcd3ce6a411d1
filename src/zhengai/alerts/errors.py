"""Errors of alert evaluation: bad arguments to :func:`zhengai.alerts.evaluate`."""

from __future__ import annotations

from zhengai.errors import DataError

__all__ = ["PreviousMismatch", "UnknownBackend", "UnknownSummaryKey"]


class UnknownBackend(DataError):
    """A backend name other than ``columns``, ``row`` or ``sql``, or sql without a database."""

    code = "data.unknown_backend"


class UnknownSummaryKey(DataError):
    """``AlertSet.summary`` by something other than rule, severity, owner, level, status."""

    code = "data.unknown_summary_key"


class PreviousMismatch(DataError):
    """A ``previous`` AlertSet that is not from the period right before, or from another pack."""

    code = "data.previous_mismatch"
