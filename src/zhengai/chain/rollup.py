"""Attainment (达成度) roll-up over a compiled goal chain, full and incremental.

**Input.**  Actual values per goal and indicator, in one of three forms:

* a mapping ``{goal_id: {indicator: actual}}`` (indicator id, or Chinese name when the
  chain has a catalog; ``None`` = reported missing);
* :class:`GoalValues`, three aligned columns ``goal_ids, indicators, values``;
* :class:`SlotValues`, what :meth:`GoalChain.actuals` resolves either of the above to
  (resolve once, roll up many times).

``zhengai.chain.observations.actuals_from_observations`` builds the input from state
data, keyed by each goal's owner subject.

**Per indicator** (a *slot*): ``actual / target`` when higher is better, ``target /
actual`` when lower is better (the catalog gives the direction), or with
``scale="progress"`` the linear progress from baseline (0) to target (1) where a
baseline is set; clipped to ``[0, cap]`` (default cap 1.2).  A goal's own attainment
is the indicator-weighted mean of its slots that have data.

**Per goal**, in one pass up the cached topological order: a parent (``auto`` /
``weighted_mean``) is the weighted mean of its children and, at ``own_weight``, its own
indicators; ``min`` takes the lowest child; ``sum`` adds the children's actual values of
each of its indicators and compares them with its own target; ``manual`` uses the value
entered by hand.  Missing parts are left out of the mean and lower the **coverage**
(the weighted share of the goal that has data): a goal with coverage below 1 is
*partial*, one with no data at all has attainment NaN — never a silent zero.

**Health** compares attainment with the elapsed share ``e`` of the goal's cycle at
``as_of`` (1 when not given): on track when attainment ≥ ``on_track·e``, at risk when ≥
``off_track·e``, off track below; a parent takes its worst child's health.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from zhengai.chain.compiled import (
    KIND_MANUAL,
    KIND_MEAN,
    KIND_MIN,
    KIND_OWN,
    KIND_SUM,
    Compiled,
)
from zhengai.chain.errors import BadActuals, UnknownGoal
from zhengai.errors import did_you_mean
from zhengai.model.goal import Health
from zhengai.model.period import Period

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Actuals",
    "GoalAttainment",
    "GoalValues",
    "Rollup",
    "SlotValues",
    "resolve_actuals",
    "rollup",
    "update",
]

F64 = NDArray[np.float64]
_HEALTH = (Health.UNKNOWN, Health.ON_TRACK, Health.AT_RISK, Health.OFF_TRACK)


@dataclass(frozen=True)
class GoalValues:
    """Actual values as three aligned columns (the columnar input of the roll-up)."""

    goal_ids: Sequence[str] | NDArray[Any]
    indicators: Sequence[str] | NDArray[Any]
    values: Sequence[float | None] | NDArray[Any]


@dataclass(frozen=True, eq=False)
class SlotValues:
    """Actual values resolved to the slots of one compiled chain (NaN = missing)."""

    compiled: Compiled
    actual: F64


#: What the roll-up accepts as actual values (see the module docstring).
Actuals: TypeAlias = Mapping[str, Mapping[str, float | None]] | GoalValues


@dataclass(frozen=True)
class GoalAttainment:
    """One goal's roll-up: attainment (None = no data), coverage, health, missing parts."""

    goal_id: str
    attainment: float | None
    coverage: float
    partial: bool
    health: Health
    own_attainment: float | None
    expected: float
    missing: tuple[str, ...]


@dataclass(eq=False)
class Rollup:
    """The attainment of every goal of a chain; arrays are aligned with ``compiled.ids``.

    :meth:`GoalChain.update` changes it in place (an incremental recompute).
    """

    compiled: Compiled
    cap: float
    progress: bool
    on_track: float
    off_track: float
    expected: F64
    slot_actual: F64
    slot_coverage: F64
    slot_attainment: F64
    own_attainment: F64
    own_coverage: F64
    attainment: F64
    coverage: F64
    health_code: NDArray[np.int8]
    _derived: NDArray[np.bool_] = field(repr=False)

    def __getitem__(self, goal_id: str) -> GoalAttainment:
        c = self.compiled
        i = _goal_index(c, goal_id)
        lo, hi = int(c.slot_start[i]), int(c.slot_stop[i])
        missing = tuple(
            c.indicator_ids[int(c.slot_indicator[s])]
            for s in range(lo, hi)
            if math.isnan(self.slot_actual[s])
        )
        att = float(self.attainment[i])
        own = float(self.own_attainment[i])
        cov = float(self.coverage[i])
        return GoalAttainment(
            goal_id=goal_id,
            attainment=None if math.isnan(att) else att,
            coverage=cov,
            partial=not math.isnan(att) and cov < 1 - 1e-12,
            health=_HEALTH[int(self.health_code[i])],
            own_attainment=None if math.isnan(own) else own,
            expected=float(self.expected[i]),
            missing=missing,
        )

    def __iter__(self) -> Iterator[GoalAttainment]:
        return (self[gid] for gid in self.compiled.ids)

    def get(self, goal_id: str) -> float | None:
        """The attainment of ``goal_id`` (None when it has no data at all)."""
        return self[goal_id].attainment

    def health(self, goal_id: str) -> Health:
        """The health of ``goal_id``."""
        return _HEALTH[int(self.health_code[_goal_index(self.compiled, goal_id)])]

    def partial(self) -> list[str]:
        """Goals whose attainment stands on part of their data (coverage below 1)."""
        mask = ~np.isnan(self.attainment) & (self.coverage < 1 - 1e-12)
        return [self.compiled.ids[i] for i in np.flatnonzero(mask)]

    def gaps(self) -> list[tuple[str, str]]:
        """``(goal_id, indicator)`` of every counted indicator with no actual value (数据缺失)."""
        c = self.compiled
        counts = (c.kind == KIND_OWN) | (c.kind == KIND_SUM) | (c.own_share > 0)
        mask = np.isnan(self.slot_actual) & ~self._derived & counts[c.slot_goal]
        return [
            (c.ids[int(c.slot_goal[s])], c.indicator_ids[int(c.slot_indicator[s])])
            for s in np.flatnonzero(mask)
        ]

    def as_dict(self) -> dict[str, float | None]:
        """``{goal_id: attainment}`` (None = no data; archived goals are None)."""
        return {
            gid: (None if math.isnan(a) else float(a))
            for gid, a in zip(self.compiled.ids, self.attainment.tolist(), strict=True)
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per goal: attainment, coverage, partial, health, expected (needs pandas)."""
        import pandas as pd

        c = self.compiled
        return pd.DataFrame(
            {
                "goal_id": c.ids,
                "attainment": self.attainment,
                "coverage": self.coverage,
                "partial": ~np.isnan(self.attainment) & (self.coverage < 1 - 1e-12),
                "health": [_HEALTH[h].value for h in self.health_code.tolist()],
                "expected": self.expected,
                "active": c.active,
            }
        )


def _goal_index(c: Compiled, goal_id: str) -> int:
    i = c.index.get(goal_id)
    if i is None:
        raise UnknownGoal(f"目标链中没有目标 {goal_id!r}", hint=did_you_mean(goal_id, c.ids))
    return i


# -- input -------------------------------------------------------------------------------
def _as_float(value: object, goal_id: str, indicator: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise BadActuals(f"目标 {goal_id!r} 指标 {indicator!r} 的实际值不是数值：{value!r}")
    return float(value)


def _indicator_index(c: Compiled, name: str, goal_id: str) -> int:
    ii = c.indicator_lookup.get(name)
    if ii is None:
        raise BadActuals(
            f"目标 {goal_id!r} 没有指标 {name!r}",
            hint=did_you_mean(name, c.indicator_lookup),
        )
    return ii


def resolve_actuals(c: Compiled, values: Actuals | SlotValues | None) -> SlotValues:
    """Map actual values to slots; unknown goals and indicators are errors, not ignored."""
    actual = np.full(len(c.slot_goal), np.nan)
    if values is None:
        return SlotValues(c, actual)
    if isinstance(values, SlotValues):
        if values.compiled is not c:
            raise BadActuals("这些实际值解析自另一版本的目标链，请用 chain.actuals() 重新解析")
        return values
    slots, vals = _slots_and_values(c, values)
    actual[slots] = vals
    return SlotValues(c, actual)


def _slots_and_values(c: Compiled, values: Actuals) -> tuple[NDArray[np.int64], F64]:
    if isinstance(values, GoalValues):
        return _columnar(c, values)
    slots: list[int] = []
    vals: list[float] = []
    for goal_id, by_indicator in values.items():
        g = c.index.get(goal_id)
        if g is None:
            raise UnknownGoal(f"目标链中没有目标 {goal_id!r}", hint=did_you_mean(goal_id, c.ids))
        if not c.active[g]:
            continue  # archived goals left the roll-up; their values are not an error
        for name, value in by_indicator.items():
            s = c.slot_of(g, _indicator_index(c, name, goal_id))
            if s < 0:
                raise BadActuals(f"目标 {goal_id!r} 没有指标 {name!r}")
            slots.append(s)
            vals.append(_as_float(value, goal_id, name))
    return np.asarray(slots, dtype=np.int64), np.asarray(vals, dtype=np.float64)


def _columnar(c: Compiled, values: GoalValues) -> tuple[NDArray[np.int64], F64]:
    goal_ids = np.asarray(values.goal_ids, dtype=str)
    names = np.asarray(values.indicators, dtype=str)
    try:
        vals = np.asarray(
            [np.nan if v is None else v for v in values.values]
            if not isinstance(values.values, np.ndarray)
            else values.values,
            dtype=np.float64,
        )
    except (TypeError, ValueError) as exc:
        raise BadActuals(f"实际值列不是数值：{exc}") from None
    if not len(goal_ids) == len(names) == len(vals):
        raise BadActuals("goal_ids、indicators、values 三列长度不一致")
    sorted_ids, order = c.sorted_ids()
    pos = np.minimum(np.searchsorted(sorted_ids, goal_ids), max(len(sorted_ids) - 1, 0))
    bad = np.flatnonzero(sorted_ids[pos] != goal_ids) if len(sorted_ids) else np.arange(len(pos))
    if len(bad):
        gid = str(goal_ids[bad[0]])
        raise UnknownGoal(f"目标链中没有目标 {gid!r}", hint=did_you_mean(gid, c.ids))
    goals = order[pos]
    keep = c.active[goals]  # archived goals left the roll-up; their values are not an error
    goals, names, vals, goal_ids = goals[keep], names[keep], vals[keep], goal_ids[keep]
    uniq, inverse = np.unique(names, return_inverse=True)
    ind = np.asarray([c.indicator_lookup.get(str(u), -1) for u in uniq], dtype=np.int64)[inverse]
    keys = goals * max(len(c.indicator_ids), 1) + ind
    at = np.minimum(np.searchsorted(c.slot_key, keys), max(len(c.slot_key) - 1, 0))
    ok = (ind >= 0) & (c.slot_key[at] == keys) if len(c.slot_key) else ind < -1
    if not ok.all():
        k = int(np.flatnonzero(~ok)[0])
        raise BadActuals(f"目标 {goal_ids[k]!s} 没有指标 {names[k]!s}")
    return c.slot_key_order[at], vals


# -- arithmetic shared by the full pass and the incremental one -----------------------------
def _slot_attainment(
    actual: F64, target: F64, sign: F64, base: F64, cap: float, progress: bool
) -> F64:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        higher = np.where(target > 0, actual / target, np.where(actual >= target, 1.0, 0.0))
        lower = np.where(
            actual > 0,
            target / actual,
            np.where(target > actual, cap, np.where(target == actual, 1.0, 0.0)),
        )
        ratio = np.where(sign > 0, higher, lower)
        if progress:
            use = ~np.isnan(base) & (base != target)
            ratio = np.where(use, (actual - base) / (target - base), ratio)
    out: F64 = np.minimum(np.maximum(ratio, 0.0), cap)
    out[np.isnan(actual)] = np.nan
    return out


def _slot_scalar(
    actual: float, target: float, sign: float, base: float, cap: float, progress: bool
) -> float:
    if math.isnan(actual):
        return math.nan
    if progress and not math.isnan(base) and base != target:
        ratio = (actual - base) / (target - base)
    elif sign > 0:
        ratio = actual / target if target > 0 else (1.0 if actual >= target else 0.0)
    elif actual > 0:
        ratio = target / actual
    else:
        ratio = cap if target > actual else (1.0 if target == actual else 0.0)
    return min(max(ratio, 0.0), cap)


def _health_codes(att: F64, expected: F64, on: float, off: float) -> NDArray[np.int8]:
    code = np.where(att >= on * expected, 1, np.where(att >= off * expected, 2, 3))
    return np.where(np.isnan(att), 0, code).astype(np.int8)


def _health_scalar(att: float, expected: float, on: float, off: float) -> int:
    if math.isnan(att):
        return 0
    if att >= on * expected:
        return 1
    return 2 if att >= off * expected else 3


def _month_position(as_of: Period | date | str) -> float:
    if isinstance(as_of, str):
        as_of = Period.parse(as_of)
    if isinstance(as_of, Period):
        return float(as_of.end_index() + 1)
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    days = calendar.monthrange(as_of.year, as_of.month)[1]
    return as_of.year * 12 + as_of.month - 1 + (as_of.day - 1) / days


def expected_share(c: Compiled, as_of: Period | date | str | None) -> F64:
    """The elapsed share of each goal's cycle at ``as_of`` (1 without ``as_of`` or a cycle)."""
    if as_of is None:
        return np.ones(c.n)
    m = _month_position(as_of)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (m - c.start_month) / (c.end_month - c.start_month)
    out: F64 = np.where(np.isnan(share), 1.0, np.clip(share, 0.0, 1.0))
    return out


# -- full pass -------------------------------------------------------------------------------
def rollup(
    c: Compiled,
    values: Actuals | SlotValues | None,
    *,
    cap: float = 1.2,
    as_of: Period | date | str | None = None,
    scale: str = "ratio",
    on_track: float = 0.9,
    off_track: float = 0.7,
) -> Rollup:
    """Compute every goal's attainment, coverage and health in one topological pass."""
    if scale not in ("ratio", "progress"):
        raise BadActuals(f"未知的达成度算法 scale={scale!r}", hint="use 'ratio' or 'progress'")
    if not (cap > 0 and 0 <= off_track <= on_track):
        raise BadActuals(f"参数不合理：cap={cap}, on_track={on_track}, off_track={off_track}")
    n = c.n
    actual = resolve_actuals(c, values).actual.copy()
    slot_cov = (~np.isnan(actual)).astype(np.float64)
    derived = c.se_stop > c.se_start
    for lo, hi in c.se_height_slices:
        if hi <= lo:
            continue
        ps, local = np.unique(c.se_parent[lo:hi], return_inverse=True)
        v = actual[c.se_child[lo:hi]]
        has = ~np.isnan(v)
        k = len(ps)
        total = np.bincount(local, np.where(has, v, 0.0), minlength=k)
        count = np.bincount(local, has.astype(np.float64), minlength=k)
        covsum = np.bincount(local, slot_cov[c.se_child[lo:hi]], minlength=k)
        actual[ps] = np.where(count > 0, total, np.nan)
        slot_cov[ps] = covsum / np.bincount(local, minlength=k)
    progress = scale == "progress"
    slot_att = _slot_attainment(actual, c.slot_target, c.slot_sign, c.slot_baseline, cap, progress)
    present = ~np.isnan(slot_att)
    w = c.slot_weight
    own_num = np.bincount(c.slot_goal, np.where(present, w * slot_att, 0.0), minlength=n)
    own_den = np.bincount(c.slot_goal, np.where(present, w, 0.0), minlength=n)
    own_tot = np.bincount(c.slot_goal, w, minlength=n)
    own_cnum = np.bincount(c.slot_goal, w * slot_cov, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        own_att = np.where(own_den > 0, own_num / own_den, np.nan)
        own_cov = np.where(own_tot > 0, own_cnum / own_tot, 0.0)

    expected = expected_share(c, as_of)
    manual = c.kind == KIND_MANUAL
    att = np.where(manual, c.manual, own_att)
    cov = np.where(manual, (~np.isnan(c.manual)).astype(np.float64), own_cov)
    att[~c.active] = np.nan
    cov[~c.active] = 0.0
    health = _health_codes(att, expected, on_track, off_track)

    for (lo, hi), ps, local in zip(c.height_slices, c.height_parents, c.height_local, strict=True):
        ch = c.e_child[lo:hi]
        ew = c.e_weight[lo:hi]
        a = att[ch]
        has = ~np.isnan(a)
        k = len(ps)
        osh = c.own_share[ps]
        oa = own_att[ps]
        ohas = ~np.isnan(oa) & (osh > 0)
        # bincount adds each edge's term in edge order, as the incremental pass does
        num: F64 = np.bincount(local, np.where(has, ew * a, 0.0), minlength=k).astype(
            np.float64, copy=False
        ) + np.where(ohas, osh * oa, 0.0)
        den: F64 = np.bincount(local, np.where(has, ew, 0.0), minlength=k).astype(
            np.float64, copy=False
        ) + np.where(ohas, osh, 0.0)
        cnum: F64 = np.bincount(local, ew * cov[ch], minlength=k).astype(np.float64, copy=False) + (
            osh * own_cov[ps]
        )
        tw = c.total_weight[ps]
        starts = c.child_start[ps] - lo
        kp = c.kind[ps]
        is_mean, is_min = kp == KIND_MEAN, kp == KIND_MIN
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_att = np.where(den > 0, num / den, np.nan)
            mean_cov = np.where(tw > 0, cnum / tw, 0.0)
            min_cov = np.bincount(local, cov[ch], minlength=k) / np.bincount(local, minlength=k)
        min_att = np.fmin.reduceat(a, starts)
        att[ps] = np.where(is_mean, mean_att, np.where(is_min, min_att, att[ps]))
        cov[ps] = np.where(is_mean, mean_cov, np.where(is_min, min_cov, cov[ps]))
        worst = np.maximum.reduceat(health[ch], starts)
        hown = np.where(
            is_mean & (osh > 0), _health_codes(oa, expected[ps], on_track, off_track), 0
        )
        health[ps] = np.where(is_mean | is_min, np.maximum(worst, hown), health[ps]).astype(np.int8)

    return Rollup(
        compiled=c,
        cap=cap,
        progress=progress,
        on_track=on_track,
        off_track=off_track,
        expected=expected,
        slot_actual=actual,
        slot_coverage=slot_cov,
        slot_attainment=slot_att,
        own_attainment=own_att,
        own_coverage=own_cov,
        attainment=att,
        coverage=cov,
        health_code=health,
        _derived=derived,
    )


# -- incremental -------------------------------------------------------------------------------
class _Lists:
    """Python-list copies of the compiled arrays the incremental pass reads.

    Reading one element of a numpy array costs ~100 ns and yields a numpy scalar; the
    incremental pass reads a few hundred of them, so it reads lists made once per chain.
    """

    def __init__(self, c: Compiled) -> None:
        self.slot_start = c.slot_start.tolist()
        self.slot_stop = c.slot_stop.tolist()
        self.se_start = c.se_start.tolist()
        self.se_stop = c.se_stop.tolist()
        self.se_child = c.se_child.tolist()
        self.slot_target = c.slot_target.tolist()
        self.slot_sign = c.slot_sign.tolist()
        self.slot_baseline = c.slot_baseline.tolist()
        self.slot_weight = c.slot_weight.tolist()
        self.kind = c.kind.tolist()
        self.height = c.height.tolist()
        self.active = c.active.tolist()
        self.own_share = c.own_share.tolist()
        self.total_weight = c.total_weight.tolist()
        self.manual = c.manual.tolist()
        self.child_start = c.child_start.tolist()
        self.child_stop = c.child_stop.tolist()
        self.parent_start = c.parent_start.tolist()
        self.parent_stop = c.parent_stop.tolist()
        self.parent_by_child = c.parent_by_child.tolist()


def _lists(c: Compiled) -> _Lists:
    found = c.cache.get("lists")
    if not isinstance(found, _Lists):
        found = c.cache["lists"] = _Lists(c)
    return found


def update(result: Rollup, values: Actuals) -> frozenset[str]:
    """Set new actuals in ``result`` and recompute only their goals and those goals' ancestors.

    The arithmetic is the full pass's, term by term in the same order, so the result is
    bit-for-bit what a full roll-up of the new values gives.
    """
    c = result.compiled
    lists = _lists(c)
    slots, vals = _slots_and_values(c, values)
    result.slot_actual[slots] = vals
    affected: set[int] = set()
    stack = list(set(c.slot_goal[slots].tolist()))
    while stack:
        g = stack.pop()
        if g in affected:
            continue
        affected.add(g)
        stack.extend(lists.parent_by_child[lists.parent_start[g] : lists.parent_stop[g]])
    height = lists.height
    for g in sorted(affected, key=lambda i: (height[i], i)):
        if lists.active[g]:
            _recompute(result, lists, g)
    return frozenset(c.ids[g] for g in affected)


def _recompute(r: Rollup, lists: _Lists, g: int) -> None:
    c = r.compiled
    actual, slot_cov, slot_att = r.slot_actual, r.slot_coverage, r.slot_attainment
    own_num = own_den = own_tot = own_cnum = 0.0
    for s in range(lists.slot_start[g], lists.slot_stop[g]):
        lo, hi = lists.se_start[s], lists.se_stop[s]
        if hi > lo:
            kids = lists.se_child[lo:hi]
            total = count = covsum = 0.0
            for v, cv in zip(actual[kids].tolist(), slot_cov[kids].tolist(), strict=True):
                if v == v:  # not NaN
                    total += v
                    count += 1.0
                covsum += cv
            actual[s] = total if count > 0 else math.nan
            slot_cov[s] = covsum / (hi - lo)
        else:
            slot_cov[s] = 0.0 if math.isnan(actual[s]) else 1.0
        a = _slot_scalar(
            float(actual[s]),
            lists.slot_target[s],
            lists.slot_sign[s],
            lists.slot_baseline[s],
            r.cap,
            r.progress,
        )
        slot_att[s] = a
        w = lists.slot_weight[s]
        if a == a:
            own_num += w * a
            own_den += w
        own_tot += w
        own_cnum += w * float(slot_cov[s])
    own_att = own_num / own_den if own_den > 0 else math.nan
    own_cov = own_cnum / own_tot if own_tot > 0 else 0.0
    r.own_attainment[g] = own_att
    r.own_coverage[g] = own_cov
    kind = lists.kind[g]
    exp = float(r.expected[g])
    on, off = r.on_track, r.off_track
    if kind in (KIND_OWN, KIND_SUM, KIND_MANUAL):
        if kind == KIND_MANUAL:
            att = lists.manual[g]
            cov = 0.0 if math.isnan(att) else 1.0
        else:
            att, cov = own_att, own_cov
        r.attainment[g], r.coverage[g] = att, cov
        r.health_code[g] = _health_scalar(att, exp, on, off)
        return
    lo, hi = lists.child_start[g], lists.child_stop[g]
    children = c.e_child[lo:hi]
    # plain Python floats from one gather per array: the same IEEE operations as the
    # full pass's bincount, term by term in edge order, without per-element numpy scalars
    atts = r.attainment[children].tolist()
    covs = r.coverage[children].tolist()
    worst = max(r.health_code[children].tolist(), default=0)
    if kind == KIND_MIN:
        present = [a for a in atts if a == a]
        r.attainment[g] = min(present) if present else math.nan
        covsum = 0.0
        for cv in covs:
            covsum += cv
        r.coverage[g] = covsum / (hi - lo)
        r.health_code[g] = worst
        return
    num = den = cnum = 0.0
    for a, w, cv in zip(atts, c.e_weight[lo:hi].tolist(), covs, strict=True):
        if a == a:  # not NaN
            num += w * a
            den += w
        cnum += w * cv
    osh = lists.own_share[g]
    if osh > 0 and not math.isnan(own_att):
        num = num + osh * own_att
        den = den + osh
    cnum = cnum + osh * own_cov
    tw = lists.total_weight[g]
    r.attainment[g] = num / den if den > 0 else math.nan
    r.coverage[g] = cnum / tw if tw > 0 else 0.0
    hown = _health_scalar(own_att, exp, on, off) if osh > 0 else 0
    r.health_code[g] = max(worst, hown)
