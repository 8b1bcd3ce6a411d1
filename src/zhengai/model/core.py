"""Subjects, indicators, observations and the indicator catalog (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhengai.errors import DataError, did_you_mean
from zhengai.model.enums import Aggregator, Direction, Level
from zhengai.model.period import Period

__all__ = [
    "AttributeValue",
    "DuplicateIndicator",
    "Indicator",
    "IndicatorCatalog",
    "Observation",
    "Subject",
    "UnknownIndicator",
]

#: The value of a free subject attribute (department, system, major, class…).
AttributeValue = str | int | float | bool | None


class UnknownIndicator(DataError):
    """A name that is neither an indicator id, nor its Chinese name, nor an alias."""

    code = "data.unknown_indicator"


class DuplicateIndicator(DataError):
    """Two indicators of one catalog share an id, or a name that would resolve to both."""

    code = "data.duplicate_indicator"


def _parse_level(value: object) -> object:
    return Level.parse(value) if isinstance(value, str) else value


class Subject(BaseModel):
    """A diagnosis subject (诊改主体): the school, a department, major, course, teacher…

    Free attributes (``department``, ``system``, ``major``, ``class``…) are kept in
    ``attributes`` and may be read by expressions by name.
    """

    model_config = ConfigDict(frozen=True)

    id: Annotated[str, Field(min_length=1)]
    level: Level
    name: str = ""
    parent_id: str | None = None
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)

    _level = field_validator("level", mode="before")(_parse_level)


class Indicator(BaseModel):
    """A state-data indicator (状态数据指标) that observations report values of.

    ``source`` is the table number of the 人才培养工作状态数据采集平台 (e.g. ``7.2``);
    ``valid_range`` bounds plausible values (a rate is 0–1); ``aggregator`` says how
    children's values combine into a parent's (sum for counts, mean for rates).
    """

    model_config = ConfigDict(frozen=True)

    id: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    name: Annotated[str, Field(min_length=1)]
    aliases: tuple[str, ...] = ()
    levels: tuple[Level, ...] = ()
    unit: str = ""
    direction: Direction = Direction.HIGHER_BETTER
    valid_range: tuple[float | None, float | None] | None = None
    aggregator: Aggregator = Aggregator.MEAN
    source: str | None = None
    description: str = ""

    @field_validator("levels", mode="before")
    @classmethod
    def _levels(cls, value: object) -> object:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, Iterable):
            return tuple(_parse_level(v) for v in value)
        return value

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @field_validator("valid_range")
    @classmethod
    def _ordered_range(
        cls, value: tuple[float | None, float | None] | None
    ) -> tuple[float | None, float | None] | None:
        if value is not None and None not in value and value[0] > value[1]:  # type: ignore[operator]
            raise ValueError(f"valid_range {value} has its bounds inverted")
        return value

    @property
    def is_rate(self) -> bool:
        """True when the valid range is 0–1, so a value like 95 is probably a percent."""
        return self.valid_range is not None and tuple(self.valid_range) == (0, 1)

    def names(self) -> tuple[str, ...]:
        """Every name this indicator answers to: id, Chinese name and aliases."""
        return (self.id, self.name, *self.aliases)

    def in_range(self, value: float) -> bool:
        """Whether ``value`` lies inside ``valid_range`` (always True without one)."""
        if self.valid_range is None:
            return True
        low, high = self.valid_range
        return (low is None or value >= low) and (high is None or value <= high)


class Observation(BaseModel):
    """One value of state data: ``subject_id, indicator, period, value``.

    ``indicator`` is the indicator id.  ``value`` None means "reported missing".
    """

    model_config = ConfigDict(frozen=True)

    subject_id: Annotated[str, Field(min_length=1)]
    indicator: Annotated[str, Field(min_length=1)]
    period: Period
    value: float | None
    source: str | None = None
    recorded_at: datetime | None = None


class IndicatorCatalog(Mapping[str, Indicator]):
    """Indicators by id, resolvable by id, Chinese name or alias.

    >>> cat = IndicatorCatalog([Indicator(id="attendance_rate", name="到课率")])
    >>> cat.resolve("到课率").id
    'attendance_rate'
    """

    def __init__(self, indicators: Iterable[Indicator] = ()) -> None:
        self._by_id: dict[str, Indicator] = {}
        self._by_name: dict[str, Indicator] = {}
        for indicator in indicators:
            self.add(indicator)

    def add(self, indicator: Indicator) -> None:
        """Add one indicator; a name that already means another indicator is an error."""
        if indicator.id in self._by_id:
            raise DuplicateIndicator(f"duplicate indicator id {indicator.id!r}")
        for name in indicator.names():
            other = self._by_name.get(name)
            if other is not None and other.id != indicator.id:
                raise DuplicateIndicator(
                    f"indicator name {name!r} of {indicator.id!r} already names {other.id!r}"
                )
        self._by_id[indicator.id] = indicator
        for name in indicator.names():
            self._by_name[name] = indicator

    def __getitem__(self, key: str) -> Indicator:
        return self._by_id[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"IndicatorCatalog({len(self)} indicators)"

    def get_by_name(self, name: str) -> Indicator | None:
        """The indicator that ``name`` (id, Chinese name or alias) means, or None."""
        return self._by_name.get(name)

    def all_names(self) -> list[str]:
        """Every name that resolves: ids, Chinese names and aliases."""
        return list(self._by_name)

    def resolve(self, name: str) -> Indicator:
        """The indicator ``name`` means; :class:`UnknownIndicator` with a suggestion otherwise."""
        found = self._by_name.get(name)
        if found is None:
            raise UnknownIndicator(
                f"unknown indicator {name!r}", hint=did_you_mean(name, self._by_name)
            )
        return found

    @classmethod
    def coerce(cls, value: IndicatorCatalog | Iterable[Indicator] | None) -> IndicatorCatalog:
        """Accept a catalog, any iterable of indicators, or None (an empty catalog)."""
        if isinstance(value, IndicatorCatalog):
            return value
        return cls(value or ())
