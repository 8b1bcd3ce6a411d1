"""Errors the command itself raises (bad files given to it), one code each."""

from __future__ import annotations

from zhengai.errors import ChainError, DataError, StoreError

__all__ = ["BadGuardInputs", "StoreUnreachable", "UnknownRevision", "UnreadableChainFile"]


class UnreadableChainFile(ChainError):
    """A goal-chain source the command cannot read: no goals file in a folder, not UTF-8."""

    code = "chain.unreadable_file"


class BadGuardInputs(DataError):
    """A guard-inputs table for ``zhengai spiral advance`` with a bad or unknown cell."""

    code = "data.bad_guard_inputs"


class StoreUnreachable(StoreError):
    """The database named by ``--store`` is not available: server down, no such folder, locked."""

    code = "store.unreachable"


class UnknownRevision(StoreError):
    """``zhengai db upgrade --revision`` names a schema revision zhengai does not ship."""

    code = "store.unknown_revision"
