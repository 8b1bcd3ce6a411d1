"""Guard inputs and the evaluation of built-in and expression guards over a population.

Guards are evaluated column-wise: a :class:`GuardInputs` holds one row per
subject (targets per goal indicator, standard coverage, data completeness, red
alerts, gaps, approvals, and an expression :class:`~zhengai.expr.Frame`), and
every guard turns it into one boolean per subject.  The single-subject path
builds a one-row :class:`GuardInputs` from a :class:`GuardContext` and runs the
very same code, which is what makes single and batch results identical.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.errors import ExpressionError, Where
from zhengai.expr import Expression, Frame
from zhengai.model.alert import Alert
from zhengai.model.loop import BuiltinGuard, ExprGuard, GuardName
from zhengai.spiral.errors import (
    ActionMissing,
    AlertUnresolved,
    DataIncomplete,
    ExpressionGuardFailed,
    GapsUnaddressed,
    MissingGuardInput,
    RedAlertUnacknowledged,
    RevisionNotApproved,
    StandardsMissing,
    SubjectGuardFailed,
    TargetsMissing,
)

__all__ = [
    "RED_SEVERITIES",
    "CompiledGuard",
    "GuardContext",
    "GuardInputs",
    "alert_inputs",
    "compile_guard",
]

Bools = NDArray[np.bool_]
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class GuardContext:
    """What the guards need to know about ONE subject (the single-subject path).

    ``targets`` maps each goal indicator to its target (None = not set);
    ``covered`` lists indicators covered by at least one standard;
    ``data_ratio`` is the share of expected observations present this period;
    ``red_alerts_unacknowledged`` names red alerts (by rule) still unacknowledged;
    ``gaps`` maps each gap (unmet target, failed standard, open alert) to whether
    it has an improvement action or a reasoned acceptance; ``values`` are the
    subject's data for expression guards.  Fields a transition's guards do not
    read may stay None.
    """

    targets: Mapping[str, float | None] | None = None
    covered: Collection[str] | None = None
    data_ratio: float | None = None
    red_alerts_unacknowledged: Collection[str] | None = None
    gaps: Mapping[str, bool] | None = None
    revision_approved: bool | None = None
    action_opened: bool | None = None
    alert_resolved: bool | None = None
    values: Mapping[str, float | str | None] | None = None
    achieved: Mapping[str, float | None] | None = None


@dataclass(frozen=True)
class GuardInputs:
    """Guard inputs for a population: one row per subject, aligned with its state array.

    Matrices are ``[subjects, columns]`` with the column names alongside
    (``indicators``, ``alert_rules``, ``gap_keys``); ``targets`` and ``achieved``
    use NaN for "not set"; ``goal_mask`` says which indicators are goals of each
    subject (all of them when None).  ``frame`` is read by expression guards.
    """

    n: int
    indicators: tuple[str, ...] = ()
    targets: Floats | None = None
    achieved: Floats | None = None
    goal_mask: Bools | None = None
    covered: Bools | None = None
    data_ratio: Floats | None = None
    alert_rules: tuple[str, ...] = ()
    red_unacknowledged: Bools | None = None
    gap_keys: tuple[str, ...] = ()
    gaps_open: Bools | None = None
    gaps_handled: Bools | None = None
    revision_approved: Bools | None = None
    action_opened: Bools | None = None
    alert_resolved: Bools | None = None
    frame: Frame | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_contexts(cls, contexts: Sequence[GuardContext]) -> GuardInputs:
        """Stack per-subject contexts into columns (the union of their names)."""
        n = len(contexts)
        indicators = _union(c.targets or {} for c in contexts)
        indicators = tuple(sorted({*indicators, *_union(c.achieved or {} for c in contexts)}))
        rules = _union(c.red_alerts_unacknowledged or () for c in contexts)
        gap_keys = _union(c.gaps or {} for c in contexts)
        targets = achieved = goal_mask = covered = None
        if any(c.targets is not None for c in contexts):
            targets = np.array(
                [[_num((c.targets or {}).get(i)) for i in indicators] for c in contexts],
                dtype=np.float64,
            ).reshape(n, len(indicators))
            goal_mask = np.array(
                [[i in (c.targets or {}) for i in indicators] for c in contexts], dtype=bool
            ).reshape(n, len(indicators))
        if any(c.achieved is not None for c in contexts):
            achieved = np.array(
                [[_num((c.achieved or {}).get(i)) for i in indicators] for c in contexts],
                dtype=np.float64,
            ).reshape(n, len(indicators))
        if any(c.covered is not None for c in contexts):
            covered = np.array(
                [[i in set(c.covered or ()) for i in indicators] for c in contexts], dtype=bool
            ).reshape(n, len(indicators))
        red = None
        if any(c.red_alerts_unacknowledged is not None for c in contexts):
            red = np.array(
                [[r in set(c.red_alerts_unacknowledged or ()) for r in rules] for c in contexts],
                dtype=bool,
            ).reshape(n, len(rules))
        gaps_open = gaps_handled = None
        if any(c.gaps is not None for c in contexts):
            gaps_open = np.array(
                [[k in (c.gaps or {}) for k in gap_keys] for c in contexts], dtype=bool
            ).reshape(n, len(gap_keys))
            gaps_handled = np.array(
                [[bool((c.gaps or {}).get(k, False)) for k in gap_keys] for c in contexts],
                dtype=bool,
            ).reshape(n, len(gap_keys))
        frame = None
        if any(c.values is not None for c in contexts):
            names = _union(c.values or {} for c in contexts)
            frame = Frame(
                columns={name: _column([c.values or {} for c in contexts], name) for name in names}
            )
        return cls(
            n=n,
            indicators=indicators,
            targets=targets,
            achieved=achieved,
            goal_mask=goal_mask,
            covered=covered,
            data_ratio=_flags(contexts, "data_ratio", np.float64),
            alert_rules=rules,
            red_unacknowledged=red,
            gap_keys=gap_keys,
            gaps_open=gaps_open,
            gaps_handled=gaps_handled,
            revision_approved=_flags(contexts, "revision_approved", np.bool_),
            action_opened=_flags(contexts, "action_opened", np.bool_),
            alert_resolved=_flags(contexts, "alert_resolved", np.bool_),
            frame=frame,
        )

    def take(self, rows: NDArray[np.intp]) -> GuardInputs:
        """The inputs of some rows only (the expression frame is kept whole on purpose:
        population functions such as ``pct_rank`` must see the whole population)."""
        changes: dict[str, Any] = {"n": len(rows)}
        for name in _ROW_ARRAYS:
            value = getattr(self, name)
            if value is not None:
                changes[name] = np.asarray(value)[rows]
        return replace(self, **changes)

    def with_(self, **changes: Any) -> GuardInputs:
        """A copy with some inputs replaced."""
        return replace(self, **changes)


_ROW_ARRAYS = (
    "targets",
    "achieved",
    "goal_mask",
    "covered",
    "data_ratio",
    "red_unacknowledged",
    "gaps_open",
    "gaps_handled",
    "revision_approved",
    "action_opened",
    "alert_resolved",
)


def _union(groups: Any) -> tuple[str, ...]:
    # Sorted, so a subject's columns come in the same order alone or in any population,
    # and the single and batch paths word their failures identically.
    return tuple(sorted({str(name) for group in groups for name in group}))


def _num(value: object) -> float:
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def _flags(contexts: Sequence[GuardContext], name: str, dtype: Any) -> NDArray[Any] | None:
    values = [getattr(c, name) for c in contexts]
    if all(v is None for v in values):
        return None
    if dtype is np.bool_:
        return np.array([bool(v) for v in values], dtype=bool)
    return np.array([_num(v) for v in values], dtype=np.float64)


def _column(rows: Sequence[Mapping[str, float | str | None]], name: str) -> NDArray[Any]:
    values = [row.get(name) for row in rows]
    if any(isinstance(v, str) for v in values):
        return np.array(values, dtype=object)
    return np.array([_num(v) for v in values], dtype=np.float64)


#: Explains why row ``i`` failed: the names of what is missing.
Explain = Callable[[GuardInputs, int], tuple[str, ...]]


@dataclass(frozen=True)
class CompiledGuard:
    """A guard ready to run: ``evaluate(inputs) -> bool[n]`` plus how to word a failure."""

    name: str
    field: str
    error: type[SubjectGuardFailed]
    evaluate: Callable[[GuardInputs], Bools]
    explain: Explain
    describe: Callable[[tuple[str, ...]], str]


def _need(inputs: GuardInputs, attr: str, guard: str) -> NDArray[Any]:
    value = getattr(inputs, attr)
    if value is None:
        raise MissingGuardInput(
            f"guard '{guard}' needs the guard input {attr!r}, which was not given",
            hint=f"pass GuardInputs({attr}=…) or GuardContext with it",
        )
    return np.asarray(value)


def _goal_mask(inputs: GuardInputs, shape: tuple[int, ...]) -> Bools:
    if inputs.goal_mask is None:
        return np.ones(shape, dtype=bool)
    return np.asarray(inputs.goal_mask, dtype=bool)


def _names(names: tuple[str, ...], row: Bools) -> tuple[str, ...]:
    return tuple(name for name, flag in zip(names, row, strict=True) if flag)


def _none(flags: NDArray[Any]) -> Bools:
    """True per row where no column is flagged (a subject with no columns passes)."""
    return np.asarray(~np.asarray(flags, dtype=bool).any(axis=1), dtype=bool)


def _one_row(explain: Explain) -> Explain:
    # Explaining a failure reads one row; slicing first keeps it O(1) in the population.
    return lambda x, i: explain(x.take(np.array([i], dtype=np.intp)), 0)


def _builtin(guard: BuiltinGuard, field_path: str) -> CompiledGuard:
    compiled = _builtin_all_rows(guard, field_path)
    return replace(compiled, explain=_one_row(compiled.explain))


def _builtin_all_rows(guard: BuiltinGuard, field_path: str) -> CompiledGuard:
    name = guard.guard
    if name is GuardName.TARGETS_SET:

        def missing_targets(x: GuardInputs) -> Bools:
            targets = _need(x, "targets", name)
            return np.asarray(_goal_mask(x, targets.shape) & np.isnan(targets), dtype=bool)

        return CompiledGuard(
            name.value,
            field_path,
            TargetsMissing,
            lambda x: _none(missing_targets(x)),
            lambda x, i: _names(x.indicators, missing_targets(x)[i]),
            lambda m: f"以下目标指标未设定目标值：{', '.join(m)}",
        )
    if name is GuardName.STANDARDS_COVER_GOALS:

        def uncovered(x: GuardInputs) -> Bools:
            covered = _need(x, "covered", name)
            return np.asarray(_goal_mask(x, covered.shape) & ~covered, dtype=bool)

        return CompiledGuard(
            name.value,
            field_path,
            StandardsMissing,
            lambda x: _none(uncovered(x)),
            lambda x, i: _names(x.indicators, uncovered(x)[i]),
            lambda m: f"以下目标指标未被任何标准覆盖：{', '.join(m)}",
        )
    if name is GuardName.DATA_COMPLETE:
        least = guard.min_ratio

        def ratio_text(x: GuardInputs, i: int) -> tuple[str, ...]:
            ratio = float(_need(x, "data_ratio", name)[i])
            return ("未知",) if np.isnan(ratio) else (f"{ratio:.1%}",)

        return CompiledGuard(
            name.value,
            field_path,
            DataIncomplete,
            # NaN (completeness unknown) compares False: unknown data never passes.
            lambda x: np.asarray(_need(x, "data_ratio", name) >= least, dtype=bool),
            ratio_text,
            lambda m: f"本期数据完整率 {m[0]} 低于要求的 {least:.1%}",
        )
    if name is GuardName.NO_UNACKNOWLEDGED_RED_ALERT:
        return CompiledGuard(
            name.value,
            field_path,
            RedAlertUnacknowledged,
            lambda x: _none(_need(x, "red_unacknowledged", name)),
            lambda x, i: _names(x.alert_rules, _need(x, "red_unacknowledged", name)[i]),
            lambda m: f"以下红色预警尚未确认：{', '.join(m)}",
        )
    if name is GuardName.GAPS_ADDRESSED:

        def unaddressed(x: GuardInputs) -> Bools:
            gaps = _need(x, "gaps_open", name) & ~_need(x, "gaps_handled", name)
            return np.asarray(gaps, dtype=bool)

        return CompiledGuard(
            name.value,
            field_path,
            GapsUnaddressed,
            lambda x: _none(unaddressed(x)),
            lambda x, i: _names(x.gap_keys, unaddressed(x)[i]),
            lambda m: f"以下差距既无整改任务也无说明理由的接受：{', '.join(m)}",
        )
    flags: dict[GuardName, tuple[str, type[SubjectGuardFailed], str]] = {
        GuardName.REVISION_APPROVED: (
            "revision_approved",
            RevisionNotApproved,
            "期中目标调整缺少审批记录",
        ),
        GuardName.ACTION_OPENED: (
            "action_opened",
            ActionMissing,
            "预警尚未建立有责任人和期限的整改任务",
        ),
        GuardName.ALERT_RESOLVED: (
            "alert_resolved",
            AlertUnresolved,
            "下一期数据未显示预警解除",
        ),
    }
    attr, error, text = flags[name]
    return CompiledGuard(
        name.value,
        field_path,
        error,
        lambda x: np.asarray(_need(x, attr, name), dtype=bool),
        lambda x, i: (attr,),
        lambda m: text,
    )


def _load_expression(guard: ExprGuard, field_path: str, options: Mapping[str, Any]) -> Expression:
    try:
        return Expression(
            guard.expr,
            options.get("catalog"),
            attributes=options.get("attributes", ()),
            constants=options.get("constants"),
        )
    except ExpressionError as exc:
        # Same error class and position inside the expression, plus where the guard is.
        raise type(exc)(
            exc.message,
            where=Where(file=exc.where.file, column=exc.where.column, field=field_path),
            hint=exc.hint,
        ) from None


def _expression(guard: ExprGuard, field_path: str, options: Mapping[str, Any]) -> CompiledGuard:
    expression = _load_expression(guard, field_path, options)
    # The last frame evaluated and its result: explaining many failed rows of one batch
    # must not re-run the expression over the whole population for each row.
    last: list[tuple[Frame, np.ma.MaskedArray[Any, Any]]] = []

    def values(x: GuardInputs) -> np.ma.MaskedArray[Any, Any]:
        if x.frame is None:
            raise MissingGuardInput(
                f"expression guard {guard.id!r} needs the guard input 'frame', which was not given"
            )
        entry = last[0] if last else None  # one read: other threads may replace it
        if entry is not None and entry[0] is x.frame:
            return entry[1]
        result = np.ma.asarray(expression.evaluate_columns(x.frame))
        last[:] = [(x.frame, result)]
        return result

    def passed(x: GuardInputs) -> Bools:
        result = values(x)
        # Unknown (missing data) never passes: missing is not zero (DESIGN.md §4).
        return np.asarray(np.ma.filled(result.astype(bool), False), dtype=bool)

    def explain(x: GuardInputs, i: int) -> tuple[str, ...]:
        return ("数据缺失",) if np.ma.getmaskarray(values(x))[i] else ("不成立",)

    text = guard.message or f"条件 {guard.expr}"
    return CompiledGuard(
        guard.id,
        field_path,
        ExpressionGuardFailed,
        passed,
        explain,
        lambda m: f"{text}（{m[0]}）",
    )


def compile_guard(
    guard: BuiltinGuard | ExprGuard, field_path: str, options: Mapping[str, Any]
) -> CompiledGuard:
    """Compile one guard of a definition; ``options`` holds catalog/attributes/constants."""
    if isinstance(guard, BuiltinGuard):
        return _builtin(guard, field_path)
    return _expression(guard, field_path, options)


#: Severities that count as red (the pack's severity ladder names them; 红 in Chinese packs).
RED_SEVERITIES = frozenset({"red", "红", "红色"})


def alert_inputs(
    subject_ids: Sequence[str] | NDArray[Any],
    alerts: Iterable[Alert],
    *,
    handled: Collection[tuple[str, str]] = (),
    red: Collection[str] = RED_SEVERITIES,
) -> dict[str, Any]:
    """Guard-input columns from a period's alerts, aligned with ``subject_ids``.

    ``handled`` holds ``(subject_id, rule)`` pairs that have an improvement action
    or a reasoned acceptance.  Returns ``alert_rules`` / ``red_unacknowledged`` (open
    red alerts not handled) and ``gap_keys`` / ``gaps_open`` / ``gaps_handled`` (every
    open alert is a gap ``alert:<rule>``), for ``GuardInputs(n=…, **alert_inputs(…))``
    or ``inputs.with_(**alert_inputs(…))``.  Alerts of subjects not listed are ignored.
    """
    row_of = {str(s): i for i, s in enumerate(subject_ids)}
    open_alerts = [a for a in alerts if a.status.is_open and a.subject_id in row_of]
    rules = tuple(sorted({a.rule for a in open_alerts}))
    col_of = {r: j for j, r in enumerate(rules)}
    n, k = len(row_of), len(rules)
    rows = np.array([row_of[a.subject_id] for a in open_alerts], dtype=np.intp)
    cols = np.array([col_of[a.rule] for a in open_alerts], dtype=np.intp)
    is_red = np.array([a.severity in red for a in open_alerts], dtype=bool)
    done = set(handled)
    is_handled = np.array([(a.subject_id, a.rule) in done for a in open_alerts], dtype=bool)
    gaps_open = np.zeros((n, k), dtype=bool)
    gaps_open[rows, cols] = True
    gaps_handled = np.zeros((n, k), dtype=bool)
    gaps_handled[rows[is_handled], cols[is_handled]] = True
    red_open = np.zeros((n, k), dtype=bool)
    pick = is_red & ~is_handled
    red_open[rows[pick], cols[pick]] = True
    return {
        "alert_rules": rules,
        "red_unacknowledged": red_open,
        "gap_keys": tuple(f"alert:{r}" for r in rules),
        "gaps_open": gaps_open,
        "gaps_handled": gaps_handled,
    }
