"""Errors the command itself raises (bad files given to it), one code each."""

from __future__ import annotations

from zhengai.errors import ChainError, DataError

__all__ = ["BadGuardInputs", "UnreadableChainFile"]


class UnreadableChainFile(ChainError):
    """A goal-chain source the command cannot read: no goals file in a folder, not UTF-8."""

    code = "chain.unreadable_file"


class BadGuardInputs(DataError):
    """A guard-inputs table for ``zhengai spiral advance`` with a bad or unknown cell."""

    code = "data.bad_guard_inputs"
