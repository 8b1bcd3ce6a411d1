"""The one-object-per-file sections of a pack and the models that validate them.

``catalog/*.yaml`` (diagnosis catalogs), ``loops/*.yaml`` (loop definitions) and
``scorecards/*.yaml`` (scorecards) and ``chains/*.yaml`` (goal-chain templates) each
hold one definition per file.  A
section is validated by a pydantic model from ``zhengai.model`` and may name
the expressions inside it, so the loader compiles them at load time like rule
conditions.  A section whose model is not registered is kept as raw mappings
that only need an ``id``; :func:`register_section` plugs a model in.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from zhengai.model import ChainTemplate, DiagnosisCatalog
from zhengai.packs.source import PathKey

__all__ = ["ExpressionSite", "Section", "register_section", "section", "sections"]

#: Where an expression sits in a definition (a field path) and its text.
ExpressionSite = tuple[tuple[PathKey, ...], str]
#: Lists the expressions inside one validated definition.
ExpressionCollector = Callable[[Any], Iterable[ExpressionSite]]


@dataclass(frozen=True)
class Section:
    """How one folder of a pack is validated: its model and its expression collector."""

    folder: str
    model: type[BaseModel] | None = None
    expressions: ExpressionCollector | None = None


_SECTIONS: dict[str, Section] = {}


def register_section(
    folder: str, model: type[BaseModel] | None, expressions: ExpressionCollector | None = None
) -> None:
    """Validate ``<folder>/*.yaml`` of every pack with ``model`` from now on.

    ``expressions(definition)`` yields ``(field_path, text)`` for every
    expression in a definition; the loader compiles each against the pack's
    catalog, attributes and constants and reports errors at that field's line.
    """
    _SECTIONS[folder] = Section(folder, model, expressions)


def section(folder: str) -> Section:
    """The registered section for ``folder`` (raw when no model is registered)."""
    return _SECTIONS.get(folder) or Section(folder)


def sections() -> tuple[str, ...]:
    """The folders of a pack that hold one definition per file."""
    return tuple(_SECTIONS)


def _loop_expressions(definition: Any) -> Iterator[ExpressionSite]:
    # Guards written as {expr: …, id: …} are expressions over the subject's data.
    for prefix, transitions in (
        (("transitions",), definition.transitions),
        (
            ("small_loop", "transitions"),
            definition.small_loop.transitions if definition.small_loop else (),
        ),
    ):
        for i, transition in enumerate(transitions):
            for j, guard in enumerate(transition.guards):
                text = getattr(guard, "expr", None)
                if isinstance(text, str):
                    yield (*prefix, i, "guards", j, "expr"), text


def _optional(module: str, name: str) -> Any:
    # Scorecard and loop definitions are written by other parts of zhengai.model;
    # without them a section is validated only as raw mappings with ids.
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _model(found: Any) -> type[BaseModel] | None:
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


register_section("catalog", DiagnosisCatalog)
register_section("chains", ChainTemplate)
register_section(
    "scorecards",
    _model(_optional("zhengai.model.scorecard", "Scorecard")),
    _optional("zhengai.model.scorecard", "scorecard_expressions"),
)
register_section(
    "loops", _model(_optional("zhengai.model.loop", "LoopDefinition")), _loop_expressions
)
