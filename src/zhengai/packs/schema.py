"""The schema of a pack's files: ``pack.yaml``, ``constants.yaml``, ``indicators.yaml``,
``rules/*.yaml``, ``catalog/*.yaml`` and the self-tests ``tests/*.yaml``.

The definition models themselves live in ``zhengai.model`` (rules, catalogs,
indicators); this module holds the file wrappers around them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from zhengai.model import Indicator, Level, Period, PeriodKind, SeverityDef, WarningRule
from zhengai.model.core import AttributeValue
from zhengai.model.rule import parse_level, parse_period_kind

__all__ = [
    "AttributeType",
    "ConstantValue",
    "ConstantsFile",
    "ExpectedAlert",
    "ExpectedGap",
    "IndicatorEntry",
    "IndicatorsFile",
    "PackManifest",
    "RulesFile",
    "SelfTestCase",
    "SelfTestFile",
    "SourceRef",
    "TestObservation",
    "TestSubject",
]

#: The type a pack declares for a subject attribute its expressions read.
AttributeType = Literal["number", "string", "bool", "any"]
#: A named constant's value (a threshold, a label).
ConstantValue = bool | int | float | str

#: A level written in English or Chinese (``专业``), located when unknown.
_LevelKey = Annotated[Level, BeforeValidator(parse_level)]
#: A period kind written in English or Chinese (``学年``), located when unknown.
_Cadence = Annotated[PeriodKind, BeforeValidator(parse_period_kind)]

_Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


class SourceRef(BaseModel):
    """A document a pack follows: a seed file and clause, or a public document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Annotated[str, Field(min_length=1)]
    clause: str | None = None
    url: str | None = None


class PackManifest(BaseModel):
    """``pack.yaml``: who the pack is, what it extends, its severities and constants.

    ``cadence`` gives the default cadence of the rules of a level
    (``{专业: year, 课程: term}``); a rule's own ``cadence`` wins.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: _Name
    version: Annotated[str, Field(min_length=1)]
    title: str = ""
    description: str = ""
    extends: tuple[str, ...] = ()
    sources: tuple[SourceRef, ...] = ()
    severities: tuple[SeverityDef, ...] = ()
    constants: dict[str, ConstantValue] = Field(default_factory=dict)
    attributes: dict[str, AttributeType] = Field(default_factory=dict)
    cadence: dict[_LevelKey, _Cadence] = Field(default_factory=dict)
    disable: tuple[str, ...] = ()

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: object) -> object:
        # `version: 1.0` arrives from YAML as a float.
        return str(value) if isinstance(value, int | float) else value

    @field_validator("extends", "disable", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("severities", mode="before")
    @classmethod
    def _severities(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"id": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("sources", mode="before")
    @classmethod
    def _sources(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"title": v} if isinstance(v, str) else v for v in value]
        return value


class ConstantsFile(BaseModel):
    """``constants.yaml``: named thresholds a school overrides instead of editing rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    constants: dict[str, ConstantValue] = Field(default_factory=dict)


class IndicatorEntry(Indicator):
    """An indicator as written in ``indicators.yaml`` (unknown fields are errors)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("levels", mode="before")
    @classmethod
    def _levels(cls, value: object) -> object:
        # Same as Indicator's, but an unknown level is a located schema error.
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            return tuple(parse_level(v) for v in value)
        return value

    def plain(self) -> Indicator:
        """The same indicator as a plain :class:`Indicator`."""
        return Indicator.model_validate(self.model_dump())


class IndicatorsFile(BaseModel):
    """``indicators.yaml``: the pack's indicator catalog."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicators: tuple[IndicatorEntry, ...] = ()


class RulesFile(BaseModel):
    """``rules/*.yaml``: warning rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[WarningRule, ...] = ()


class TestSubject(BaseModel):
    """A subject of a self-test case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(min_length=1)]
    level: Level
    name: str = ""
    parent_id: str | None = None
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return parse_level(value)


class TestObservation(BaseModel):
    """One observation of a self-test case; ``indicator`` may be the id or Chinese name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: Annotated[str, Field(min_length=1)]
    indicator: Annotated[str, Field(min_length=1)]
    period: Period
    value: float | None


class ExpectedAlert(BaseModel):
    """An alert a case expects; fields left out are not compared."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    subject: str
    severity: str | None = None
    status: str | None = None
    streak: int | None = None
    message: str | None = None


class ExpectedGap(BaseModel):
    """A data gap a case expects; ``missing`` (indicator ids or names) is compared when given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    subject: str
    missing: tuple[str, ...] | None = None


class SelfTestCase(BaseModel):
    """One self-test: subjects, observations, the period, and what must come out.

    ``start`` evaluates every period from ``start`` to ``period`` in turn, each with
    the previous result, so lifecycle expectations (ongoing, resolved…) can be tested.
    ``observations`` is a list of ``{subject, indicator, period, value}`` or a
    mapping ``subject -> {indicator: value}`` (the case's period) or
    ``subject -> {period: {indicator: value}}``.  ``expect`` maps a kind
    (``alerts``, ``gaps``, later ``scores``…) to expectations; with
    ``exact: false`` other alerts and gaps may occur too.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1)]
    period: Period
    start: Period | None = None
    subjects: tuple[TestSubject, ...]
    observations: tuple[TestObservation, ...] = ()
    expect: dict[str, Any] = Field(default_factory=dict)
    exact: bool = True

    @field_validator("observations", mode="before")
    @classmethod
    def _observations(cls, value: object, info: Any) -> object:
        if not isinstance(value, dict):
            return value
        period = info.data.get("period")
        rows: list[dict[str, object]] = []
        for subject, by in value.items():
            if not isinstance(by, dict):
                raise ValueError(f"observations of {subject!r} must be a mapping")
            for key, inner in by.items():
                if isinstance(inner, dict):
                    rows.extend(
                        {"subject": subject, "indicator": ind, "period": key, "value": v}
                        for ind, v in inner.items()
                    )
                else:
                    if period is None:
                        raise ValueError("observations without a period need the case's period")
                    rows.append(
                        {"subject": subject, "indicator": key, "period": period, "value": inner}
                    )
        return rows


class SelfTestFile(BaseModel):
    """``tests/*.yaml``: self-test cases."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cases: tuple[SelfTestCase, ...] = ()
