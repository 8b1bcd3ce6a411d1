"""Warning-rule definitions of a rule pack (预警规则), as pydantic models.

A rule names the subjects it applies to (``level`` plus an optional
``applies_to`` expression on subject attributes) and either one condition
``when`` with one ``severity``, or a **severity ladder**: steps evaluated in
order, the first that holds wins.  ``for_periods`` asks for a sustained breach
(the condition held that many consecutive periods, like Prometheus' ``for:``)
and ``resolve_after`` for a sustained recovery before an open alert is resolved.

These models hold the rule text only; ``zhengai.packs`` compiles the
expressions when it loads a pack, and ``zhengai.alerts`` evaluates them.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zhengai.model.enums import Level, UnknownLevel
from zhengai.model.period import PeriodKind

__all__ = [
    "ID_PATTERN",
    "LadderStep",
    "PackIdentity",
    "SeverityDef",
    "WarningRule",
    "parse_level",
    "parse_period_kind",
]

#: Ids of rules, severities, catalog entries: a letter or CJK character first, no spaces.
ID_PATTERN = r"^[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]*$"


def parse_level(value: object) -> object:
    """``学生`` or ``student`` → Level; an unknown name is a ValueError pydantic can locate."""
    if not isinstance(value, str):
        return value
    try:
        return Level.parse(value)
    except UnknownLevel as exc:
        raise ValueError(str(exc)) from None


#: Chinese names of the period kinds a cadence may be written with.
_KIND_ALIASES: dict[str, PeriodKind] = {kind.label: kind for kind in PeriodKind}


def parse_period_kind(value: object) -> object:
    """``学期`` / ``term``, ``学年`` / ``year``, ``月`` / ``month`` → PeriodKind.

    An unknown name is a ValueError pydantic can locate (file, line and field).
    """
    if not isinstance(value, str) or isinstance(value, PeriodKind):
        return value
    text = value.strip()
    if text in _KIND_ALIASES:
        return _KIND_ALIASES[text]
    try:
        return PeriodKind(text.lower())
    except ValueError:
        names = ", ".join(f"{k.value} ({k.label})" for k in PeriodKind)
        raise ValueError(f"unknown cadence {value!r}, use one of {names}") from None


class SeverityDef(BaseModel):
    """One severity a pack declares (``红``); the pack lists them from most to least severe."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    label: str = ""
    color: str | None = None

    @property
    def display(self) -> str:
        """The label when there is one, else the id."""
        return self.label or self.id


class LadderStep(BaseModel):
    """One rung of a severity ladder: the severity given when ``when`` holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    severity: Annotated[str, Field(min_length=1)]
    when: Annotated[str, Field(min_length=1)]


class WarningRule(BaseModel):
    """A warning rule (预警规则) as written in ``rules/*.yaml``.

    Exactly one of ``when`` (with ``severity``) or ``ladder`` is given.
    ``message`` is a Chinese template filled with the values the rule read,
    e.g. ``"到课率 {到课率:.0%} 低于 {最低到课率:.0%}"``; ``owner`` is the role or
    department that must act and ``source`` the seed file and clause it encodes.
    ``peer_group`` names a subject attribute that partitions population
    functions (``pct_rank``, ``peer_mean``…); without it the whole level is one group.
    ``cadence`` is the kind of period the rule is evaluated at (``term`` /
    ``学期``, ``year`` / ``学年``, ``month`` / ``月``); None means at every period,
    unless the pack sets a default for the rule's level.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: Annotated[str, Field(min_length=1)]
    level: Level
    applies_to: str | None = None
    when: str | None = None
    severity: str | None = None
    ladder: tuple[LadderStep, ...] = ()
    for_periods: Annotated[int, Field(ge=1, le=24)] = 1
    resolve_after: Annotated[int, Field(ge=1, le=24)] = 1
    peer_group: str | None = None
    cadence: PeriodKind | None = None
    message: str = ""
    owner: str | None = None
    source: str | None = None
    description: str = ""

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return parse_level(value)

    @field_validator("cadence", mode="before")
    @classmethod
    def _cadence(cls, value: object) -> object:
        return parse_period_kind(value)

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if self.ladder and (self.when is not None or self.severity is not None):
            raise ValueError("give either `ladder` or `when` with `severity`, not both")
        if not self.ladder:
            if self.when is None:
                raise ValueError("a rule needs `when` (with `severity`) or a `ladder`")
            if self.severity is None:
                raise ValueError("a rule with `when` needs a `severity`")
        seen: set[str] = set()
        for step in self.ladder:
            if step.severity in seen:
                raise ValueError(f"severity {step.severity!r} appears twice in the ladder")
            seen.add(step.severity)
        return self

    def steps(self) -> tuple[LadderStep, ...]:
        """The ladder, or the single ``when`` as a one-step ladder."""
        if self.ladder:
            return self.ladder
        assert self.when is not None
        assert self.severity is not None
        return (LadderStep(severity=self.severity, when=self.when),)


class PackIdentity(BaseModel):
    """What makes an evaluation reproducible: pack name, version and content hash."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

    def __str__(self) -> str:
        return f"{self.name}@{self.version} ({self.hash[:12]})"
