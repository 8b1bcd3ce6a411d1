"""The ``alerts`` and ``gaps`` expectations of pack self-tests (registered with zhengai.packs)."""

from __future__ import annotations

from zhengai.alerts.alertset import AlertSet
from zhengai.alerts.batch import evaluate
from zhengai.data import Observations, Subjects
from zhengai.model import Alert, DataGap, Subject
from zhengai.packs import Pack, register_checker
from zhengai.packs.pack import SelfTestSource
from zhengai.packs.schema import ExpectedAlert, ExpectedGap, SelfTestCase

__all__ = ["check_case", "run_case"]


def run_case(pack: Pack, case: SelfTestCase) -> AlertSet:
    """Evaluate a case: each period from ``start`` (or only ``period``), chaining ``previous``."""
    subjects = Subjects.from_subjects(
        Subject(id=s.id, level=s.level, name=s.name, parent_id=s.parent_id, attributes=s.attributes)
        for s in case.subjects
    )
    observations = Observations(
        [o.subject for o in case.observations],
        [_indicator_id(pack, o.indicator) for o in case.observations],
        [o.period for o in case.observations],
        [o.value for o in case.observations],
    )
    period = case.start or case.period
    result: AlertSet | None = None
    while True:
        result = evaluate(pack, subjects, observations, period, previous=result)
        if period >= case.period:
            return result
        period = period.next()


def _indicator_id(pack: Pack, name: str) -> str:
    found = pack.catalog.get_by_name(name)
    return found.id if found is not None else name


def check_case(pack: Pack, source: SelfTestSource, kinds: frozenset[str]) -> list[str]:
    """Diff lines between what the case expects and what the pack produces."""
    case = source.case
    result = run_case(pack, case)
    diff: list[str] = []
    if "alerts" in kinds:
        expected = [ExpectedAlert.model_validate(e) for e in case.expect.get("alerts", [])]
        diff.extend(_diff_alerts(expected, result.alerts, exact=case.exact))
    if "gaps" in kinds:
        gaps = [ExpectedGap.model_validate(e) for e in case.expect.get("gaps", [])]
        diff.extend(_diff_gaps(pack, gaps, result.gaps, exact=case.exact))
    return diff


def _describe(alert: Alert) -> str:
    return (
        f"{alert.rule} {alert.subject_id}: {alert.severity} {alert.status.value} "
        f"streak={alert.streak} «{alert.message}»"
    )


def _diff_alerts(expected: list[ExpectedAlert], actual: list[Alert], *, exact: bool) -> list[str]:
    found = {(a.rule, a.subject_id): a for a in actual}
    lines: list[str] = []
    for want in expected:
        got = found.pop((want.rule, want.subject), None)
        if got is None:
            lines.append(
                f"- missing alert {want.rule} {want.subject}"
                + (f": expected {want.severity}" if want.severity else "")
            )
            continue
        for name in ("severity", "status", "streak", "message"):
            wanted = getattr(want, name)
            value = getattr(got, name)
            value = getattr(value, "value", value)
            if wanted is not None and wanted != value:
                lines.append(
                    f"~ alert {want.rule} {want.subject}: {name} expected {wanted!r}, got {value!r}"
                )
    if exact:
        lines.extend(f"+ unexpected alert {_describe(a)}" for a in found.values())
    return lines


def _diff_gaps(
    pack: Pack, expected: list[ExpectedGap], actual: list[DataGap], *, exact: bool
) -> list[str]:
    found = {(g.rule, g.subject_id): g for g in actual}
    lines: list[str] = []
    for want in expected:
        got = found.pop((want.rule, want.subject), None)
        if got is None:
            lines.append(f"- missing data gap {want.rule} {want.subject}")
            continue
        if want.missing is not None:
            wanted = sorted(_indicator_id(pack, m) for m in want.missing)
            if wanted != sorted(got.missing):
                lines.append(
                    f"~ data gap {want.rule} {want.subject}: missing expected {wanted}, "
                    f"got {sorted(got.missing)}"
                )
    if exact:
        lines.extend(
            f"+ unexpected data gap {g.rule} {g.subject_id}: missing {list(g.missing)}"
            for g in found.values()
        )
    return lines


register_checker(("alerts", "gaps"), check_case)
