"""Diagnosis catalogs (诊断框架) of a rule pack: 诊断项目 → 诊断要素 → 诊断点.

A point carries its 影响因素 (``factors``), its 主要工作任务及要求 as checkable
``requirements`` and the 数据管理平台相应编号 (``platform_codes``).  A
requirement backed by an automated warning rule names it in ``rule``; the pack
loader checks that every such reference exists, and ``zhengai.standards``
reports the coverage.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DiagnosisCatalog",
    "DiagnosisElement",
    "DiagnosisItem",
    "DiagnosisPoint",
    "Requirement",
]

# Catalog entries are numbered in the source (``1.1.3``), so ids may start with a digit.
_Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]*$")]


class Requirement(BaseModel):
    """One 主要工作任务及要求 of a point; ``rule`` is the warning rule that checks it, if any."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: Annotated[str, Field(min_length=1)]
    rule: str | None = None
    number: str | None = None


class DiagnosisPoint(BaseModel):
    """A 诊断点 with its factors, requirements, platform codes and source clause."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: _Id
    name: Annotated[str, Field(min_length=1)]
    factors: tuple[str, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    platform_codes: tuple[str, ...] = ()
    source: str | None = None


class DiagnosisElement(BaseModel):
    """A 诊断要素: a group of points."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: _Id
    name: Annotated[str, Field(min_length=1)]
    points: tuple[DiagnosisPoint, ...] = ()
    source: str | None = None


class DiagnosisItem(BaseModel):
    """A 诊断项目: a group of elements."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: _Id
    name: Annotated[str, Field(min_length=1)]
    elements: tuple[DiagnosisElement, ...] = ()
    source: str | None = None


class DiagnosisCatalog(BaseModel):
    """A diagnosis framework as written in ``catalog/*.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: _Id
    name: Annotated[str, Field(min_length=1)]
    items: tuple[DiagnosisItem, ...] = ()
    source: str | None = None
    note: str = ""

    def points(self) -> Iterator[DiagnosisPoint]:
        """Every point, in catalog order."""
        for item in self.items:
            for element in item.elements:
                yield from element.points

    def counts(self) -> tuple[int, int, int]:
        """(items, elements, points), to compare with the source's own note."""
        elements = sum(len(item.elements) for item in self.items)
        return len(self.items), elements, sum(1 for _ in self.points())
