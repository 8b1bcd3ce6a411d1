"""Pack self-tests: run ``tests/*.yaml`` and show a readable diff for each failing case.

The pack format owns the cases (subjects, observations, expectations), but
the evaluators that produce alerts or scores sit above ``zhengai.packs``.  They
plug in with :func:`register_checker` (``zhengai.alerts`` registers
``alerts`` and ``gaps`` when imported), the way transitions adds behaviour by
extensions, so this module never imports upward.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from zhengai.packs.errors import PackSelfTestError
from zhengai.packs.loader import load_pack
from zhengai.packs.pack import Pack, SelfTestSource

__all__ = ["CaseResult", "Checker", "SelfTestReport", "register_checker", "self_test", "test"]

#: Checks one case against a pack; returns diff lines, empty when the case passes.
Checker = Callable[[Pack, SelfTestSource, frozenset[str]], list[str]]

_CHECKERS: dict[frozenset[str], Checker] = {}


def register_checker(kinds: Sequence[str], checker: Checker) -> None:
    """Let ``checker`` verify the expectation kinds ``kinds`` (``expect: {alerts: …}``).

    The checker receives the pack, the case and the kinds of the case it must
    check, and returns the diff lines of what differs.
    """
    _CHECKERS[frozenset(kinds)] = checker


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case: passed, or the diff lines saying what differs."""

    name: str
    file: str
    line: int | None
    diff: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when nothing differs."""
        return not self.diff

    def __str__(self) -> str:
        head = f"{'PASS' if self.passed else 'FAIL'} {self.file}:{self.line} {self.name}"
        return "\n".join([head, *(f"    {line}" for line in self.diff)])


@dataclass(frozen=True)
class SelfTestReport:
    """All case results of one pack; ``str()`` is the readable report."""

    pack: str
    results: tuple[CaseResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """True when every case passed."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        """The failing cases."""
        return tuple(r for r in self.results if not r.passed)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        lines = [str(r) for r in self.results]
        failed = len(self.failures)
        lines.append(
            f"{self.pack}: {len(self.results) - failed} passed, {failed} failed"
            if self.results
            else f"{self.pack}: no self-tests"
        )
        return "\n".join(lines)


def self_test(pack: Pack | str | os.PathLike[str], *, inherited: bool = False) -> SelfTestReport:
    """Run the pack's self-tests and return a :class:`SelfTestReport`.

    With ``inherited`` the cases of the packs it extends run too, against this
    pack's effective rules: a school that changed a threshold sees which of the
    parent's cases change.
    """
    loaded = load_pack(pack)
    sources: list[SelfTestSource] = list(loaded.tests)
    if inherited:
        sources = [*_inherited_tests(loaded), *sources]
    results = [_run_case(loaded, source) for source in sources]
    return SelfTestReport(pack=loaded.name, results=tuple(results))


#: ``zhengai.packs.test(pack)``: the name the issue and the CLI use for :func:`self_test`.
test = self_test


def _inherited_tests(pack: Pack) -> list[SelfTestSource]:
    # A parent reached twice through a diamond of extends contributes its cases once.
    out: dict[int, SelfTestSource] = {}
    for parent in pack.parents:
        for source in [*_inherited_tests(parent), *parent.tests]:
            out.setdefault(id(source), source)
    return list(out.values())


def _run_case(pack: Pack, source: SelfTestSource) -> CaseResult:
    kinds = set(source.case.expect) or {"alerts", "gaps"}
    diff: list[str] = []
    handled: set[str] = set()
    for covered, checker in _CHECKERS.items():
        mine = frozenset(kinds & covered)
        if mine:
            diff.extend(checker(pack, source, mine))
            handled |= mine
    unknown = kinds - handled
    if unknown:
        raise PackSelfTestError(
            f"no evaluator is registered for expectations {sorted(unknown)}; "
            "import the package that evaluates them (zhengai.alerts, zhengai.scoring)",
        )
    return CaseResult(source.case.name, source.file, source.line, tuple(diff))
