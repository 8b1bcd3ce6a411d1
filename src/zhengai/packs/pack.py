"""The effective pack: a pack with everything it extends folded in, every expression compiled.

:class:`Pack` is what ``zhengai.packs.load_pack`` returns and what
``zhengai.alerts.evaluate`` reads.  Each rule keeps its provenance (the pack
and file it came from, and the pack whose rule it overrides), the pack has an
identity (name, version, content hash) that every evaluation records, and
:meth:`Pack.to_yaml` prints the effective pack.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zhengai.expr import Expression
from zhengai.model import (
    DiagnosisCatalog,
    IndicatorCatalog,
    Level,
    PackIdentity,
    Period,
    PeriodKind,
    SeverityDef,
    WarningRule,
)
from zhengai.packs.schema import AttributeType, ConstantValue, SelfTestCase, SourceRef

__all__ = [
    "STANDARD_FIELDS",
    "CompiledRule",
    "CompiledStep",
    "Pack",
    "RuleOrigin",
    "SelfTestSource",
    "Template",
]

#: Placeholders every message template may use besides the rule's values.
STANDARD_FIELDS: dict[str, str] = {
    "subject": "the subject id",
    "subject_name": "the subject's name",
    "severity": "the severity",
    "period": "the period",
    "rule": "the rule's name",
    "streak": "the periods the alert has been open",
}


@dataclass(frozen=True)
class RuleOrigin:
    """Where a rule came from: the pack, its file and line, and the pack it overrides."""

    pack: str
    file: str
    line: int | None = None
    overrides: str | None = None


@dataclass(frozen=True)
class CompiledStep:
    """One rung of a compiled ladder; ``rank`` 0 is the pack's most severe severity."""

    severity: str
    rank: int
    expression: Expression


@dataclass(frozen=True)
class Template:
    """A checked message template: literal text and ``(name, format spec)`` placeholders.

    Rendering never goes through ``str.format``, so a template cannot reach
    attributes of its values; a missing value renders as ``—``.
    """

    pieces: tuple[tuple[str, str | None, str], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        """Split ``text`` into pieces; ValueError on a malformed template."""
        pieces = tuple(
            (literal, name, spec or "")
            for literal, name, spec, _conversion in string.Formatter().parse(text)
        )
        return cls(pieces)

    def names(self) -> tuple[str, ...]:
        """The placeholder names, in order."""
        return tuple(name for _, name, _ in self.pieces if name is not None)

    def render(self, values: Mapping[str, object]) -> str:
        """Fill the placeholders from ``values`` (missing or None → ``—``)."""
        out: list[str] = []
        for literal, name, spec in self.pieces:
            out.append(literal)
            if name is None:
                continue
            value = values.get(name)
            if value is None or (isinstance(value, float) and value != value):
                out.append("—")
            else:
                try:
                    out.append(format(value, spec))
                except (ValueError, TypeError):
                    out.append(str(value))
        return "".join(out)


@dataclass(frozen=True)
class CompiledRule:
    """A warning rule with its expressions compiled against the effective pack.

    ``indicators`` are the ids the rule reads (conditions and message), in a
    stable order; ``fields`` maps each message placeholder to its kind
    (``indicator``, ``constant``, ``attribute``, ``standard``) and target, and
    ``constants`` holds the values of the constants the message shows.
    ``cadence`` is the effective cadence: the rule's own, else the pack's
    default for its level, else None (evaluated at every period).
    """

    rule: WarningRule
    origin: RuleOrigin
    applies_to: Expression | None
    steps: tuple[CompiledStep, ...]
    indicators: tuple[str, ...]
    attributes: tuple[str, ...]
    template: Template
    fields: Mapping[str, tuple[str, str]]
    history_depth: int
    constants: Mapping[str, ConstantValue] = field(default_factory=dict)
    cadence: PeriodKind | None = None

    @property
    def id(self) -> str:
        """The rule id."""
        return self.rule.id

    def runs_at(self, period: Period | PeriodKind) -> bool:
        """Whether the rule is evaluated at ``period`` (a period or a period kind)."""
        kind = period.kind if isinstance(period, Period) else period
        return self.cadence is None or self.cadence == kind


@dataclass(frozen=True)
class SelfTestSource:
    """A self-test case with the file and line it was written at."""

    case: SelfTestCase
    file: str
    line: int | None


@dataclass(frozen=True)
class Pack:
    """An effective, validated rule pack (see the module docstring)."""

    name: str
    version: str
    title: str
    description: str
    extends: tuple[str, ...]
    sources: tuple[SourceRef, ...]
    severities: tuple[SeverityDef, ...]
    constants: Mapping[str, ConstantValue]
    attributes: Mapping[str, AttributeType]
    catalog: IndicatorCatalog
    rules: Mapping[str, CompiledRule]
    disabled: tuple[str, ...]
    catalogs: Mapping[str, DiagnosisCatalog]
    sections: Mapping[str, Mapping[str, Any]]
    tests: tuple[SelfTestSource, ...]
    root: Path | None = None
    parents: tuple[Pack, ...] = ()
    #: Default cadence per level (``pack.yaml`` ``cadence:``, merged over ``extends``).
    cadence: Mapping[Level, PeriodKind] = field(default_factory=dict)
    _identity: list[PackIdentity] = field(default_factory=list, repr=False, compare=False)

    def __repr__(self) -> str:
        return (
            f"Pack({self.name!r}, version={self.version!r}, rules={len(self.rules)}, "
            f"indicators={len(self.catalog)})"
        )

    @property
    def identity(self) -> PackIdentity:
        """Name, version and the sha256 of the effective content (cached)."""
        if not self._identity:
            content = json.dumps(
                self.to_dict(provenance=False, tests=False),
                sort_keys=True,
                ensure_ascii=False,
                separators=(",", ":"),
            )
            digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
            self._identity.append(PackIdentity(name=self.name, version=self.version, hash=digest))
        return self._identity[0]

    def severity_rank(self, severity: str) -> int:
        """Position of ``severity`` in the pack's order (0 = most severe); KeyError if unknown."""
        for rank, item in enumerate(self.severities):
            if item.id == severity:
                return rank
        raise KeyError(severity)

    def origin(self, rule_id: str) -> RuleOrigin:
        """Which pack (and file) rule ``rule_id`` came from."""
        return self.rules[rule_id].origin

    def to_dict(self, *, provenance: bool = True, tests: bool = True) -> dict[str, Any]:
        """The effective pack as plain data (what :meth:`to_yaml` prints).

        With ``provenance`` each rule carries ``from`` (its pack and file); the
        content hash is computed without provenance and tests, since neither
        changes what an evaluation produces.
        """
        rules: list[dict[str, Any]] = []
        for compiled in self.rules.values():
            data = compiled.rule.model_dump(mode="json", exclude_defaults=True)
            if compiled.cadence is not None:
                # The effective cadence (own or the level's default): it decides
                # which periods the rule runs at, so it is part of the identity.
                data["cadence"] = compiled.cadence.value
            if provenance:
                origin = compiled.origin
                data["from"] = f"{origin.pack}:{origin.file}" + (
                    f":{origin.line}" if origin.line else ""
                )
                if origin.overrides:
                    data["overrides"] = origin.overrides
            rules.append(data)
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "extends": list(self.extends),
            "sources": [s.model_dump(mode="json", exclude_none=True) for s in self.sources],
            "severities": [s.model_dump(mode="json", exclude_none=True) for s in self.severities],
            "constants": dict(self.constants),
            "attributes": dict(self.attributes),
            **(
                {"cadence": {lv.value: k.value for lv, k in self.cadence.items()}}
                if self.cadence
                else {}
            ),
            "disable": list(self.disabled),
            "indicators": [
                ind.model_dump(mode="json", exclude_defaults=True) for ind in self.catalog.values()
            ],
            "rules": rules,
            "catalog": [
                c.model_dump(mode="json", exclude_defaults=True) for c in self.catalogs.values()
            ],
        }
        for folder, definitions in self.sections.items():
            out[folder] = [_plain(d) for d in definitions.values()]
        if tests:
            out["tests"] = [
                t.case.model_dump(mode="json", exclude_defaults=True) for t in self.tests
            ]
        return out

    def to_yaml(self) -> str:
        """The effective pack as YAML, each rule with the pack it came from."""
        return yaml.safe_dump(
            self.to_dict(), allow_unicode=True, sort_keys=False, default_flow_style=False
        )


def _plain(definition: Any) -> Any:
    if hasattr(definition, "model_dump"):
        return definition.model_dump(mode="json", exclude_defaults=True)
    return definition
