"""AlertSet: the alerts and data gaps of one evaluation, columnar inside, friendly outside.

An evaluation over a whole population keeps its results as arrays per rule
(subject ids, severity ranks, statuses, streaks, values); :class:`Alert` and
:class:`DataGap` objects, messages and explanations are built only when
someone looks (``alerts``, ``to_records()``, ``to_frame()``…), so the
bookkeeping of a large evaluation stays close to the cost of the expressions.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhengai.alerts.errors import UnknownSummaryKey
from zhengai.errors import did_you_mean
from zhengai.model import (
    Alert,
    AlertStatus,
    AlertValue,
    DataGap,
    Level,
    PackIdentity,
    Period,
    SeverityDef,
)
from zhengai.packs import CompiledRule, Pack

__all__ = ["STATUS_CODES", "AlertSet", "RuleAlerts", "RuleGaps", "Scope"]

#: Status codes stored in the arrays, in this order.
STATUS_CODES: tuple[AlertStatus, ...] = (
    AlertStatus.NEW,
    AlertStatus.ONGOING,
    AlertStatus.ESCALATED,
    AlertStatus.DE_ESCALATED,
    AlertStatus.RESOLVED,
)

ObjectArray = NDArray[np.object_]
IntArray = NDArray[np.int64]

#: Builds the explanation of alert ``i`` of a rule (from the backend's data), lazily.
Explainer = Callable[[int], str]


@dataclass(frozen=True)
class Scope:
    """One level's population as a backend saw it, shared by the alerts of its rules.

    ``values`` and ``attributes`` are whole-population columns; ``explain(row)``
    explains the subject at ``row``.  Alerts keep row numbers into these arrays
    and gather only when someone looks.  ``stored`` holds the alert objects of
    an AlertSet rebuilt from records (:meth:`AlertSet.from_records`).
    """

    ids: ObjectArray
    names: ObjectArray
    values: Mapping[str, NDArray[Any]]
    attributes: Mapping[str, ObjectArray]
    explain: Explainer | None = None
    stored: Sequence[Alert] | None = None


@dataclass
class RuleAlerts:
    """The alerts of one rule, as aligned arrays (one entry per alert)."""

    rule: CompiledRule
    scope: Scope
    rows: IntArray
    rank: IntArray
    status: NDArray[np.int8]
    streak: IntArray
    quiet: IntArray
    since: IntArray

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def ids(self) -> ObjectArray:
        """The subject ids of the alerts."""
        return self.scope.ids[self.rows]

    def take(self, keep: NDArray[np.bool_]) -> RuleAlerts:
        """The alerts where ``keep`` is True."""
        return RuleAlerts(
            rule=self.rule,
            scope=self.scope,
            rows=self.rows[keep],
            rank=self.rank[keep],
            status=self.status[keep],
            streak=self.streak[keep],
            quiet=self.quiet[keep],
            since=self.since[keep],
        )


@dataclass
class RuleGaps:
    """The data gaps of one rule: subjects and, per indicator, whether it was missing.

    Like :class:`RuleAlerts`, gaps point into the population arrays (``population``
    ids and ``absent``, per indicator whether it was missing at each row) and
    gather ids and flags only when someone looks: an evaluation of a large, patchy
    population has many gaps and few readers.  ``where`` selects the gaps' rows,
    either as a boolean mask over the population (how a backend finds them) or
    as row numbers.  Build one from explicit arrays with :meth:`of`.
    """

    rule: CompiledRule
    population: ObjectArray
    where: NDArray[Any]
    absent: Mapping[str, NDArray[np.bool_]]
    _rows: IntArray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(
        cls, rule: CompiledRule, ids: ObjectArray, missing: Mapping[str, NDArray[np.bool_]]
    ) -> RuleGaps:
        """Gaps as aligned arrays: ``ids[i]`` lacks the indicators flagged at ``i``."""
        return cls(rule, ids, np.arange(len(ids), dtype=np.int64), missing)

    def __len__(self) -> int:
        if self.where.dtype == np.bool_:
            return int(np.count_nonzero(self.where))
        return len(self.where)

    @property
    def rows(self) -> IntArray:
        """The population rows of the gaps, in row order."""
        if self._rows is None:
            where = self.where
            self._rows = (
                np.flatnonzero(where) if where.dtype == np.bool_ else where.astype(np.int64)
            )
        return self._rows

    @property
    def ids(self) -> ObjectArray:
        """The subject ids of the gaps."""
        return self.population[self.rows]

    @property
    def missing(self) -> dict[str, NDArray[np.bool_]]:
        """Per indicator of the rule, whether each gap's subject lacks it."""
        rows = self.rows
        return {name: flags[rows] for name, flags in self.absent.items()}

    def take(self, keep: NDArray[np.bool_]) -> RuleGaps:
        """The gaps where ``keep`` is True."""
        return RuleGaps(self.rule, self.population, self.rows[keep], self.absent)


@dataclass
class AlertSet:
    """The alerts and data gaps of evaluating one pack for one period.

    ``alerts`` lists every alert including those ``resolved`` this period (use
    :meth:`open` for the ones still open); ``gaps`` lists the rule × subject
    pairs that could not be decided for missing data.  ``pack`` is the pack's
    identity, so a result can be reproduced.  ``skipped`` names the rules not
    evaluated because their cadence is another kind of period (a 学年 rule at
    a 学期): they have neither alerts nor gaps here, by design.
    """

    pack: PackIdentity
    period: Period
    severities: tuple[SeverityDef, ...]
    backend: str
    rules: dict[str, RuleAlerts] = field(default_factory=dict)
    gap_sets: dict[str, RuleGaps] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    _alerts: list[Alert] | None = field(default=None, repr=False)
    _gaps: list[DataGap] | None = field(default=None, repr=False)

    @classmethod
    def from_records(
        cls,
        pack: Pack,
        period: str | Period,
        alerts: Iterable[Alert | Mapping[str, Any]],
        gaps: Iterable[DataGap | Mapping[str, Any]] = (),
    ) -> AlertSet:
        """An AlertSet rebuilt from stored alerts (``to_records()`` output or Alert objects).

        This is how a previous period's alerts come back from a store to serve as
        ``previous`` for the lifecycle; alerts of rules the pack no longer has are
        dropped, and a severity it no longer declares counts as its least severe.
        """
        target = Period.parse(period)
        result = cls(
            pack=pack.identity, period=target, severities=pack.severities, backend="records"
        )
        rank_of = {s.id: i for i, s in enumerate(pack.severities)}
        grouped: dict[str, list[Alert]] = {}
        for item in alerts:
            alert = item if isinstance(item, Alert) else Alert.model_validate(item)
            if alert.rule in pack.rules:
                grouped.setdefault(alert.rule, []).append(alert)
        for rule_id, items in grouped.items():
            ids = np.array([a.subject_id for a in items], dtype=object)
            scope = Scope(
                ids=ids,
                names=np.full(len(items), "", dtype=object),
                values={},
                attributes={},
                stored=tuple(items),
            )
            result.rules[rule_id] = RuleAlerts(
                rule=pack.rules[rule_id],
                scope=scope,
                rows=np.arange(len(items), dtype=np.int64),
                rank=np.array(
                    [rank_of.get(a.severity, len(rank_of) - 1) for a in items], dtype=np.int64
                ),
                status=np.array([STATUS_CODES.index(a.status) for a in items], dtype=np.int8),
                streak=np.array([a.streak for a in items], dtype=np.int64),
                quiet=np.array([a.quiet for a in items], dtype=np.int64),
                since=np.array([a.since.ordinal for a in items], dtype=np.int64),
            )
        result._gaps = [g if isinstance(g, DataGap) else DataGap.model_validate(g) for g in gaps]
        return result

    # -- objects, built lazily ------------------------------------------------------
    @property
    def alerts(self) -> list[Alert]:
        """Every alert as an :class:`Alert`, by rule then subject id."""
        if self._alerts is None:
            self._alerts = [a for part in self.rules.values() for a in self._materialize(part)]
        return self._alerts

    @property
    def gaps(self) -> list[DataGap]:
        """Every data gap as a :class:`DataGap`, by rule then subject id."""
        if self._gaps is None:
            out: list[DataGap] = []
            for part in self.gap_sets.values():
                ids, missing = part.ids, part.missing
                order = np.argsort(ids.astype(str), kind="stable")
                for i in order.tolist():
                    out.append(
                        DataGap(
                            rule=part.rule.id,
                            subject_id=str(ids[i]),
                            level=part.rule.rule.level,
                            period=self.period,
                            missing=tuple(n for n, flags in missing.items() if flags[i]),
                        )
                    )
            self._gaps = out
        return self._gaps

    def _materialize(self, part: RuleAlerts) -> list[Alert]:
        rule, scope = part.rule, part.scope
        order = np.argsort(part.ids.astype(str), kind="stable")
        out: list[Alert] = []
        for i in order.tolist():
            row = int(part.rows[i])
            if scope.stored is not None:
                out.append(scope.stored[row])
                continue
            values = {k: _plain(scope.values[k][row]) for k in rule.indicators}
            severity = self.severities[int(part.rank[i])].id
            status = STATUS_CODES[int(part.status[i])]
            fields = self._fields(part, i, row, values, severity)
            out.append(
                Alert(
                    rule=rule.id,
                    rule_name=rule.rule.name,
                    subject_id=str(scope.ids[row]),
                    level=rule.rule.level,
                    period=self.period,
                    severity=severity,
                    status=status,
                    streak=int(part.streak[i]),
                    quiet=int(part.quiet[i]),
                    since=Period.from_ordinal(self.period.kind, int(part.since[i])),
                    values=values,
                    message=rule.template.render(fields),
                    explanation=scope.explain(row) if scope.explain is not None else "",
                    owner=rule.rule.owner,
                    source=rule.rule.source,
                )
            )
        return out

    def _fields(
        self, part: RuleAlerts, i: int, row: int, values: Mapping[str, AlertValue], severity: str
    ) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, (kind, target) in part.rule.fields.items():
            if kind == "indicator":
                out[name] = values.get(target)
            elif kind == "attribute":
                column = part.scope.attributes.get(target)
                out[name] = None if column is None else _plain(column[row])
            elif kind == "constant":
                out[name] = part.rule.constants.get(target)
            else:
                out[name] = {
                    "subject": str(part.scope.ids[row]),
                    "subject_name": str(part.scope.names[row] or part.scope.ids[row]),
                    "severity": severity,
                    "period": str(self.period),
                    "rule": part.rule.rule.name,
                    "streak": int(part.streak[i]),
                }[target]
        return out

    # -- views ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return sum(len(p) for p in self.rules.values())

    def __iter__(self) -> Iterator[Alert]:
        return iter(self.alerts)

    def count_gaps(self) -> int:
        """How many data gaps there are (without building :class:`DataGap` objects)."""
        if self._gaps is not None:  # built already, or given as records
            return len(self._gaps)
        return sum(len(g) for g in self.gap_sets.values())

    #: Appended to the repr by views of this class (a stored run says so).
    _repr_note = ""

    def __repr__(self) -> str:
        return (
            f"AlertSet({self.pack.name} {self.period}: {len(self)} alerts, "
            f"{self.count_gaps()} gaps"
            + (f", {len(self.skipped)} rules not due" if self.skipped else "")
            + f"{self._repr_note})"
        )

    def open(self) -> AlertSet:
        """The alerts still open (every status but ``resolved``)."""
        resolved = STATUS_CODES.index(AlertStatus.RESOLVED)
        return self._filter_alerts(lambda part: part.status != resolved, gaps=True)

    def filter(
        self,
        *,
        level: str | Level | Iterable[str | Level] | None = None,
        severity: str | Iterable[str] | None = None,
        owner: str | Iterable[str] | None = None,
        subject: str | Iterable[str] | None = None,
        rule: str | Iterable[str] | None = None,
        status: str | AlertStatus | Iterable[str | AlertStatus] | None = None,
    ) -> AlertSet:
        """The alerts (and gaps) matching every given criterion; each takes one value or several."""
        levels = None if level is None else {Level.parse(str(v)) for v in _many(level)}
        severities = None if severity is None else set(_many(severity))
        owners = None if owner is None else set(_many(owner))
        subjects = None if subject is None else {str(s) for s in _many(subject)}
        rules = None if rule is None else set(_many(rule))
        statuses = None if status is None else {AlertStatus(str(s)) for s in _many(status)}
        rank_of = {s.id: i for i, s in enumerate(self.severities)}

        def keep_rule(compiled: CompiledRule) -> bool:
            return (
                (levels is None or compiled.rule.level in levels)
                and (owners is None or compiled.rule.owner in owners)
                and (rules is None or compiled.id in rules)
            )

        def alerts(part: RuleAlerts) -> NDArray[np.bool_]:
            keep = np.full(len(part), keep_rule(part.rule))
            if severities is not None:
                keep &= np.isin(part.rank, [rank_of[s] for s in severities if s in rank_of])
            if statuses is not None:
                keep &= np.isin(part.status, [STATUS_CODES.index(s) for s in statuses])
            if subjects is not None:
                keep &= np.isin(part.ids.astype(str), list(subjects))
            return keep

        out = self._filter_alerts(alerts, gaps=False)
        gap_sets: dict[str, RuleGaps] = {}
        for rid, gaps in self.gap_sets.items():
            if not keep_rule(gaps.rule) or severities is not None or statuses is not None:
                continue
            keep = np.ones(len(gaps), dtype=bool)
            if subjects is not None:
                keep &= np.isin(gaps.ids.astype(str), list(subjects))
            gap_sets[rid] = gaps.take(keep)
        out.gap_sets = gap_sets
        return out

    def _filter_alerts(
        self, keep: Callable[[RuleAlerts], NDArray[np.bool_]], *, gaps: bool
    ) -> AlertSet:
        return replace(
            self,
            rules={rid: part.take(keep(part)) for rid, part in self.rules.items()},
            gap_sets=dict(self.gap_sets) if gaps else {},
            _alerts=None,
            _gaps=None,
        )

    # -- summaries and exports -------------------------------------------------------------
    def summary(self, by: str | Sequence[str] = "severity") -> dict[Any, int]:
        """Counts of alerts by ``rule``, ``severity``, ``owner``, ``level`` or ``status``.

        With several keys the result is keyed by tuples: ``summary(["rule", "severity"])``.
        """
        keys = [by] if isinstance(by, str) else list(by)
        allowed = ("rule", "severity", "owner", "level", "status")
        for name in keys:
            if name not in allowed:
                raise UnknownSummaryKey(
                    f"cannot summarise alerts by {name!r}", hint=did_you_mean(name, allowed)
                )
        counts: Counter[Any] = Counter()
        for rule, severity, status, count in self._tallies():
            record = {
                "rule": rule.id,
                "severity": severity,
                "owner": rule.rule.owner,
                "level": rule.rule.level.value,
                "status": status.value,
            }
            key = tuple(record[k] for k in keys)
            counts[key[0] if len(key) == 1 else key] += count
        order = {s.id: i for i, s in enumerate(self.severities)}
        if keys == ["severity"]:
            return {k: counts[k] for k in sorted(counts, key=lambda s: order.get(s, len(order)))}
        return dict(sorted(counts.items(), key=lambda kv: str(kv[0])))

    def _tallies(self) -> Iterator[tuple[CompiledRule, str, AlertStatus, int]]:
        """How many alerts each (rule, severity, status) has, for :meth:`summary`."""
        width = len(STATUS_CODES)
        for part in self.rules.values():
            # Rule, owner and level are the same for a whole part: count the
            # (severity, status) pairs with numpy, then name them.
            pairs, tally = np.unique(part.rank * width + part.status, return_counts=True)
            for pair, count in zip(pairs.tolist(), tally.tolist(), strict=True):
                yield (
                    part.rule,
                    self.severities[pair // width].id,
                    STATUS_CODES[pair % width],
                    count,
                )

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per alert: rule, subject_id, severity, status, message, values…"""
        return [a.model_dump(mode="json") for a in self.alerts]

    def gap_records(self) -> list[dict[str, Any]]:
        """One plain dict per data gap (rule, subject_id, missing…)."""
        return [g.model_dump(mode="json") for g in self.gaps]

    def to_json(self, **kwargs: Any) -> str:
        """``{"pack", "period", "alerts", "gaps", "skipped"}`` as JSON (kwargs go to json.dumps).

        ``skipped`` lists the rules not evaluated because their cadence is another
        kind of period.
        """
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(
            {
                "pack": self.pack.model_dump(mode="json"),
                "period": str(self.period),
                "alerts": self.to_records(),
                "gaps": self.gap_records(),
                "skipped": list(self.skipped),
            },
            **kwargs,
        )

    def to_frame(self) -> Any:
        """The alerts as a pandas DataFrame (pandas is the optional ``pandas`` extra)."""
        import pandas as pd  # optional dependency: only this method needs it

        columns = [
            "rule",
            "rule_name",
            "subject_id",
            "level",
            "period",
            "severity",
            "status",
            "streak",
            "since",
            "message",
            "owner",
            "source",
        ]
        records = self.to_records()
        return pd.DataFrame.from_records(records, columns=[*columns, "values", "explanation"])

    def _repr_html_(self) -> str:
        rows = self.alerts[:200]
        colors = {s.id: s.color for s in self.severities if s.color}
        body = "".join(
            "<tr>"
            f"<td>{html.escape(a.rule_name)}</td><td>{html.escape(a.subject_id)}</td>"
            f"<td style='color:{html.escape(colors.get(a.severity) or 'inherit')}'>"
            f"{html.escape(a.severity)}</td><td>{a.status.label}</td>"
            f"<td>{html.escape(a.message)}</td><td>{html.escape(a.owner or '')}</td></tr>"
            for a in rows
        )
        more = f"<p>… {len(self) - len(rows)} more</p>" if len(self) > len(rows) else ""
        summary = "，".join(f"{k} {v}" for k, v in self.summary().items()) or "无预警"
        return (
            f"<div><p><b>{html.escape(self.pack.name)}</b> {self.period}：{summary}；"
            f"数据缺失 {self.count_gaps()}"
            + (f"；本期不评估的规则 {len(self.skipped)} 条" if self.skipped else "")
            + "</p><table><thead><tr><th>规则</th><th>主体</th>"
            "<th>等级</th><th>状态</th><th>说明</th><th>责任</th></tr></thead>"
            f"<tbody>{body}</tbody></table>{more}</div>"
        )


def _many(value: Any) -> list[Any]:
    if isinstance(value, str | Level | AlertStatus):
        return [value]
    return list(value)


def _plain(value: Any) -> AlertValue:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return float(value)
    return str(value)
