"""Locating and loading rule packs: folders, built-in names and installed plugins.

``load_pack(name_or_path)`` accepts a folder, the name of a built-in pack (a
folder under the repository's ``rules/``, shipped in the wheel as
``zhengai/rules``) or the name of a plugin registered in the entry point group
``zhengai.packs``.  The pack and everything it ``extends`` are read, validated
with pydantic, composed (constants and rules overridden by id, rules
disabled), and every expression is compiled, so a bad rule fails here and not
during an evaluation.
"""

from __future__ import annotations

import copy
import importlib.metadata
import importlib.resources
import os
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from zhengai.errors import DataError, ExpressionError, Where, ZhengaiError, did_you_mean
from zhengai.expr import Expression
from zhengai.model import (
    DiagnosisCatalog,
    Indicator,
    IndicatorCatalog,
    Level,
    PeriodKind,
    SeverityDef,
    WarningRule,
)
from zhengai.packs.errors import (
    BadExpression,
    BadTemplate,
    DanglingReference,
    DuplicateId,
    ExtendsCycle,
    LevelMismatch,
    PackNotFound,
    PackSchemaError,
    UnknownSeverity,
)
from zhengai.packs.pack import (
    STANDARD_FIELDS,
    CompiledRule,
    CompiledStep,
    Pack,
    RuleOrigin,
    SelfTestSource,
    Template,
)
from zhengai.packs.schema import (
    AttributeType,
    ConstantsFile,
    ConstantValue,
    ExpectedAlert,
    ExpectedGap,
    IndicatorsFile,
    PackManifest,
    RulesFile,
    SelfTestFile,
)
from zhengai.packs.sections import section, sections
from zhengai.packs.source import PathKey, YamlDoc, field_path, read_yaml

__all__ = ["BUILTIN_ATTRIBUTES", "ENTRY_POINT_GROUP", "builtin_packs", "load_pack", "locate"]

#: The entry point group installed packages register packs under.
ENTRY_POINT_GROUP = "zhengai.packs"
#: Subject attributes every pack may read without declaring them.
BUILTIN_ATTRIBUTES: dict[str, AttributeType] = {"level": "string", "parent_id": "string"}

_M = TypeVar("_M", bound=BaseModel)


# -- locating ------------------------------------------------------------------


def builtin_packs() -> dict[str, Path]:
    """Built-in packs by name: ``zhengai/rules/<name>/`` in a wheel, else the repo's ``rules/``."""
    found: dict[str, Path] = {}
    for folder in _builtin_roots():
        if folder.is_dir():
            for child in sorted(folder.iterdir()):
                if (child / "pack.yaml").is_file():
                    found.setdefault(child.name, child)
    return found


def _builtin_roots() -> list[Path]:
    roots: list[Path] = []
    shipped = importlib.resources.files("zhengai") / "rules"
    if isinstance(shipped, Path):
        roots.append(shipped)
    # An editable checkout: src/zhengai/packs/loader.py → the repository's rules/.
    roots.append(Path(__file__).resolve().parents[3] / "rules")
    return roots


def _plugin_packs() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _plugin_root(entry: importlib.metadata.EntryPoint) -> Path:
    # A plugin may point at a package (its folder is the pack), a path, or a
    # callable returning either.
    target: Any = entry.load()
    if callable(target) and not isinstance(target, ModuleType | type):
        target = target()
    if isinstance(target, ModuleType):
        target = importlib.resources.files(target)
    if isinstance(target, str | os.PathLike):
        return Path(target)
    raise PackNotFound(
        f"plugin {entry.name!r} ({entry.value}) does not point at a pack folder",
        where=Where(field=f"entry point {ENTRY_POINT_GROUP}"),
    )


def locate(name_or_path: str | os.PathLike[str], *, base: Path | None = None) -> Path:
    """The folder of a pack given a path, a built-in name or a plugin name.

    A string with a path separator or a leading dot, or naming a folder that
    holds a ``pack.yaml``, is a path (relative to ``base`` when given);
    otherwise built-in packs are looked up first, then plugins.
    """
    text = os.fspath(name_or_path)
    looks_like_path = (
        isinstance(name_or_path, os.PathLike)
        or "/" in text
        or os.sep in text
        or text.startswith(".")
    )
    candidate = Path(text) if base is None else base / text
    # A bare name is a path only when that folder really is a pack; otherwise a
    # stray folder called "core" must not hide the built-in pack.
    if looks_like_path or (candidate / "pack.yaml").is_file():
        if (candidate / "pack.yaml").is_file():
            return candidate
        if candidate.is_file() and candidate.name == "pack.yaml":
            return candidate.parent
        raise PackNotFound(f"no pack at {text!r}: the folder has no pack.yaml")
    builtin = builtin_packs()
    if text in builtin:
        return builtin[text]
    plugins = _plugin_packs()
    if text in plugins:
        root = _plugin_root(plugins[text])
        if (root / "pack.yaml").is_file():
            return root
        raise PackNotFound(f"plugin pack {text!r} has no pack.yaml at {root}")
    raise PackNotFound(
        f"unknown pack {text!r}: not a folder, a built-in pack or an installed plugin",
        hint=did_you_mean(text, [*builtin, *plugins]),
    )


def load_pack(name_or_path: str | os.PathLike[str] | Pack) -> Pack:
    """Load, compose, validate and compile a pack (see the module docstring).

    Raises a :class:`~zhengai.errors.PackError` subclass naming the file, the
    line and the field path of the first problem.
    """
    if isinstance(name_or_path, Pack):
        return name_or_path
    return _Loader().load(locate(name_or_path), ())


# -- loading -------------------------------------------------------------------


@dataclass
class _RuleEntry:
    rule: WarningRule
    origin: RuleOrigin
    where: Callable[[Sequence[PathKey]], Where]
    path: tuple[PathKey, ...]


def _validate(
    model: type[_M], doc: YamlDoc, data: Any = None, prefix: Sequence[PathKey] = ()
) -> _M:
    try:
        return model.model_validate(doc.data if data is None else data)
    except ValidationError as exc:
        raise doc.schema_error(exc, prefix) from None
    except ZhengaiError as exc:
        raise _relocate(exc, doc, prefix) from None


_FIELD_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _relocate(error: ZhengaiError, doc: YamlDoc, prefix: Sequence[PathKey]) -> ZhengaiError:
    # Model validators of other packages raise their own errors naming a field path
    # but no file; keep the class and code, and add the file and line.
    path: list[PathKey] = list(prefix)
    for name, index in _FIELD_STEP.findall(error.where.field or ""):
        path.append(int(index) if index else name)
    moved = copy.copy(error)
    moved.where = Where(
        file=doc.file,
        line=doc.line(path),
        row=error.where.row,
        column=error.where.column,
        field=field_path(path) or None,
    )
    moved.args = (str(moved),)
    return moved


def _compile(
    text: str,
    where: Where,
    catalog: IndicatorCatalog,
    attributes: Mapping[str, AttributeType],
    constants: Mapping[str, ConstantValue],
) -> Expression:
    try:
        return Expression(
            text,
            catalog,
            attributes=attributes,
            constants=constants,
        )
    except ExpressionError as exc:
        raise BadExpression(exc, where=where) from exc


class _Loader:
    """One load: caches packs by folder so a diamond of ``extends`` loads each once."""

    def __init__(self) -> None:
        self._cache: dict[Path, Pack] = {}

    def load(self, root: Path, stack: tuple[tuple[Path, str], ...]) -> Pack:
        """The effective pack at ``root``; ``stack`` is the chain of packs extending it."""
        real = root.resolve()
        cached = self._cache.get(real)
        if cached is not None:
            return cached
        doc = read_yaml(root / "pack.yaml", _display(root, "pack.yaml", stack))
        manifest = _validate(PackManifest, doc)
        here = (*stack, (real, manifest.name))
        parents: list[Pack] = []
        for i, ref in enumerate(manifest.extends):
            where = doc.where(("extends", i))
            try:
                parent_root = locate(ref, base=root).resolve()
            except PackNotFound as exc:
                raise PackNotFound(exc.message, where=where, hint=exc.hint) from None
            chain = [name for path, name in here if path == parent_root]
            if chain:
                names = " → ".join(name for _, name in here) + f" → {chain[0]}"
                raise ExtendsCycle(f"packs extend each other in a circle: {names}", where=where)
            parents.append(self.load(parent_root, here))
        pack = _Composer(root, manifest, doc, tuple(parents), stack).compose()
        self._cache[real] = pack
        return pack


def _display(root: Path, name: str, stack: Sequence[tuple[Path, str]]) -> str:
    # Files of the pack being loaded are named relative to it; files of packs it
    # extends carry the parent pack's folder so the message says which pack.
    return name if not stack else str(root / name)


class _Composer:
    """Reads one pack's own files and folds its parents in."""

    def __init__(
        self,
        root: Path,
        manifest: PackManifest,
        doc: YamlDoc,
        parents: tuple[Pack, ...],
        stack: tuple[tuple[Path, str], ...],
    ) -> None:
        self.root = root
        self.manifest = manifest
        self.doc = doc
        self.parents = parents
        self.stack = stack

    def _read(self, relative: str) -> YamlDoc:
        return read_yaml(self.root / relative, _display(self.root, relative, self.stack))

    def _files(self, folder: str) -> list[str]:
        directory = self.root / folder
        if not directory.is_dir():
            return []
        return [
            f"{folder}/{p.name}"
            for p in sorted(directory.iterdir())
            if p.suffix in (".yaml", ".yml") and p.is_file()
        ]

    def compose(self) -> Pack:
        """Read this pack's files, fold the parents in, compile, and check references."""
        m = self.manifest
        severities = self._severities()
        attributes: dict[str, AttributeType] = dict(BUILTIN_ATTRIBUTES)
        for parent in self.parents:
            attributes.update(parent.attributes)
        attributes.update(m.attributes)
        catalog = self._catalog()
        constants = self._constants(catalog, attributes)
        entries = self._rules()
        for i, rule_id in enumerate(m.disable):
            if rule_id not in entries:
                raise DanglingReference(
                    f"cannot disable unknown rule {rule_id!r}",
                    where=self.doc.where(("disable", i)),
                    hint=did_you_mean(rule_id, entries),
                )
            del entries[rule_id]
        rank = {s.id: i for i, s in enumerate(severities)}
        cadence = self._cadence()
        rules = {
            rid: self._compile_rule(e, catalog, attributes, constants, rank, cadence)
            for rid, e in entries.items()
        }
        known_rules = set(rules) | set(m.disable)
        for parent in self.parents:
            known_rules |= set(parent.disabled)
        catalogs = self._catalogs(known_rules)
        other = self._sections(catalog, attributes, constants)
        tests = self._tests(catalog, rules, rank)
        return Pack(
            name=m.name,
            version=m.version,
            title=m.title,
            description=m.description,
            extends=m.extends,
            sources=m.sources,
            severities=severities,
            constants=constants,
            attributes={k: v for k, v in attributes.items() if k not in BUILTIN_ATTRIBUTES},
            catalog=catalog,
            rules=rules,
            disabled=tuple(
                dict.fromkeys([*(d for p in self.parents for d in p.disabled), *m.disable])
            ),
            catalogs=catalogs,
            sections=other,
            tests=tests,
            root=self.root,
            parents=self.parents,
            cadence=cadence,
        )

    # -- severities, constants, indicators -------------------------------------

    def _severities(self) -> tuple[SeverityDef, ...]:
        own = self.manifest.severities
        seen: dict[str, int] = {}
        for i, severity in enumerate(own):
            if severity.id in seen:
                raise DuplicateId(
                    f"severity {severity.id!r} is declared twice",
                    where=self.doc.where(("severities", i)),
                )
            seen[severity.id] = i
        if own:
            return own
        inherited = [p.severities for p in self.parents if p.severities]
        if any(s != inherited[0] for s in inherited[1:]):
            raise PackSchemaError(
                "the packs this pack extends declare different severities; "
                "declare `severities` here",
                where=self.doc.where(("extends",)),
            )
        return inherited[0] if inherited else ()

    def _cadence(self) -> dict[Level, PeriodKind]:
        # Like constants: parents in order, then this pack's own, level by level.
        merged: dict[Level, PeriodKind] = {}
        for parent in self.parents:
            merged.update(parent.cadence)
        merged.update(self.manifest.cadence)
        return merged

    def _constants(
        self, catalog: IndicatorCatalog, attributes: Mapping[str, AttributeType]
    ) -> dict[str, ConstantValue]:
        constants: dict[str, ConstantValue] = {}
        for parent in self.parents:
            constants.update(parent.constants)
        own: list[tuple[str, ConstantValue, YamlDoc, tuple[PathKey, ...]]] = [
            (k, v, self.doc, ("constants", k)) for k, v in self.manifest.constants.items()
        ]
        if (self.root / "constants.yaml").is_file():
            doc = self._read("constants.yaml")
            extra = _validate(ConstantsFile, doc)
            for key, value in extra.constants.items():
                if key in self.manifest.constants:
                    raise DuplicateId(
                        f"constant {key!r} is set in both pack.yaml and constants.yaml",
                        where=doc.where(("constants", key)),
                    )
                own.append((key, value, doc, ("constants", key)))
        for key, value, doc, path in own:
            if catalog.get_by_name(key) is not None or key in attributes:
                raise DuplicateId(
                    f"constant {key!r} has the name of an indicator or attribute",
                    where=doc.where(path),
                )
            constants[key] = value
        return constants

    def _catalog(self) -> IndicatorCatalog:
        merged: dict[str, Indicator] = {}
        for parent in self.parents:
            merged.update(parent.catalog)
        own: dict[str, tuple[Indicator, Where]] = {}
        if (self.root / "indicators.yaml").is_file():
            doc = self._read("indicators.yaml")
            parsed = _validate(IndicatorsFile, doc)
            for i, entry in enumerate(parsed.indicators):
                where = doc.where(("indicators", i, "id"))
                if entry.id in own:
                    raise DuplicateId(
                        f"indicator {entry.id!r} is defined twice",
                        where=where,
                        hint=f"first at line {own[entry.id][1].line}",
                    )
                own[entry.id] = (entry.plain(), where)
        for indicator, _ in own.values():
            merged[indicator.id] = indicator
        try:
            return IndicatorCatalog(merged.values())
        except DataError as exc:
            culprit = next((w for ind, w in own.values() if ind.id in exc.message), None)
            raise DuplicateId(exc.message, where=culprit or self.doc.where(())) from None

    # -- rules -----------------------------------------------------------------

    def _rules(self) -> dict[str, _RuleEntry]:
        entries: dict[str, _RuleEntry] = {}
        inherited_from: dict[str, str] = {}
        for parent in self.parents:
            for rid, compiled in parent.rules.items():
                known = entries.get(rid)
                if known is not None and known.origin != compiled.origin:
                    inherited_from[rid] = f"{inherited_from[rid]} and {parent.name}"
                else:
                    inherited_from[rid] = parent.name
                parent_where = _origin_where(parent, compiled.origin)
                entries[rid] = _RuleEntry(compiled.rule, compiled.origin, parent_where, ())
        own: dict[str, _RuleEntry] = {}
        for relative in self._files("rules"):
            doc = self._read(relative)
            parsed = _validate(RulesFile, doc)
            for i, rule in enumerate(parsed.rules):
                path: tuple[PathKey, ...] = ("rules", i)
                line = doc.line((*path, "id"))
                if rule.id in own:
                    first = own[rule.id].origin
                    raise DuplicateId(
                        f"rule id {rule.id!r} is used twice",
                        where=doc.where((*path, "id")),
                        hint=f"first defined at {first.file}:{first.line}",
                    )
                overrides = inherited_from.get(rule.id)
                origin = RuleOrigin(self.manifest.name, relative, line, overrides)
                own[rule.id] = _RuleEntry(rule, origin, doc.where, path)
        for rid, names in inherited_from.items():
            if " and " in names and rid not in own and rid not in self.manifest.disable:
                raise DuplicateId(
                    f"rule {rid!r} comes from both {names}; override or disable it here",
                    where=self.doc.where(("extends",)),
                )
        entries.update(own)
        return entries

    def _compile_rule(
        self,
        entry: _RuleEntry,
        catalog: IndicatorCatalog,
        attributes: Mapping[str, AttributeType],
        constants: Mapping[str, ConstantValue],
        rank: Mapping[str, int],
        cadence: Mapping[Level, PeriodKind],
    ) -> CompiledRule:
        rule, at = entry.rule, entry.path

        def where(*steps: PathKey) -> Where:
            return entry.where((*at, *steps))

        applies_to = None
        if rule.applies_to is not None:
            applies_to = _compile(
                rule.applies_to, where("applies_to"), IndicatorCatalog(), attributes, constants
            )
        steps: list[CompiledStep] = []
        for i, step in enumerate(rule.steps()):
            sev_path: tuple[PathKey, ...] = (
                ("ladder", i, "severity") if rule.ladder else ("severity",)
            )
            when_path: tuple[PathKey, ...] = ("ladder", i, "when") if rule.ladder else ("when",)
            if step.severity not in rank:
                raise UnknownSeverity(
                    f"unknown severity {step.severity!r}"
                    + (
                        f" (the pack declares {', '.join(rank)})"
                        if rank
                        else " (the pack declares none)"
                    ),
                    where=where(*sev_path),
                    hint=did_you_mean(step.severity, rank),
                )
            if steps and rank[step.severity] <= steps[-1].rank:
                raise PackSchemaError(
                    "ladder steps must go from the most to the least severe, each severity once",
                    where=where(*sev_path),
                )
            expression = _compile(step.when, where(*when_path), catalog, attributes, constants)
            _require_condition(expression, where(*when_path))
            _require_level(rule, expression, catalog, where(*when_path))
            steps.append(CompiledStep(step.severity, rank[step.severity], expression))
        if rule.peer_group is not None and rule.peer_group not in attributes:
            raise DanglingReference(
                f"peer_group names unknown attribute {rule.peer_group!r}",
                where=where("peer_group"),
                hint=did_you_mean(rule.peer_group, attributes),
            )
        template, fields = _template(rule.message, where("message"), catalog, attributes, constants)
        indicators: dict[str, None] = {}
        attrs: dict[str, None] = {}
        for compiled in steps:
            indicators.update(dict.fromkeys(_indicator_ids(compiled.expression, catalog)))
        for kind, target in fields.values():
            if kind == "indicator":
                indicators[target] = None
            elif kind == "attribute":
                attrs[target] = None
        for read in [applies_to, *(s.expression for s in steps)]:
            if read is not None:
                attrs.update(dict.fromkeys(n for n in _names(read) if n in attributes))
        depth = max((s.expression.history_depth for s in steps), default=0)
        return CompiledRule(
            rule=rule,
            origin=entry.origin,
            applies_to=applies_to,
            steps=tuple(steps),
            indicators=tuple(indicators),
            attributes=tuple(attrs),
            template=template,
            fields=fields,
            history_depth=depth,
            constants={t: constants[t] for kind, t in fields.values() if kind == "constant"},
            cadence=rule.cadence if rule.cadence is not None else cadence.get(rule.level),
        )

    # -- catalogs, other sections, tests --------------------------------------------

    def _catalogs(self, known_rules: set[str]) -> dict[str, DiagnosisCatalog]:
        catalogs: dict[str, DiagnosisCatalog] = {}
        for parent in self.parents:
            catalogs.update(parent.catalogs)
        seen: dict[str, str] = {}
        for relative in self._files("catalog"):
            doc = self._read(relative)
            parsed = _validate(DiagnosisCatalog, doc)
            if parsed.id in seen:
                raise DuplicateId(
                    f"catalog id {parsed.id!r} is used twice",
                    where=doc.where(("id",)),
                    hint=f"first in {seen[parsed.id]}",
                )
            seen[parsed.id] = relative
            _check_catalog(parsed, doc, known_rules)
            catalogs[parsed.id] = parsed
        return catalogs

    def _sections(
        self,
        catalog: IndicatorCatalog,
        attributes: Mapping[str, AttributeType],
        constants: Mapping[str, ConstantValue],
    ) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for folder in sections():
            if folder == "catalog":
                continue
            spec = section(folder)
            merged: dict[str, Any] = {}
            for parent in self.parents:
                merged.update(parent.sections.get(folder, {}))
            seen: dict[str, str] = {}
            for relative in self._files(folder):
                doc = self._read(relative)
                definition: Any
                if spec.model is not None:
                    definition = _validate(spec.model, doc)
                    ident = str(getattr(definition, "id", relative))
                else:
                    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("id"), str):
                        raise PackSchemaError(
                            "a definition file needs a string `id`", where=doc.where(("id",))
                        )
                    definition, ident = doc.data, doc.data["id"]
                if ident in seen:
                    raise DuplicateId(
                        f"{folder} id {ident!r} is used twice",
                        where=doc.where(("id",)),
                        hint=f"first in {seen[ident]}",
                    )
                seen[ident] = relative
                if spec.expressions is not None:
                    for path, text in spec.expressions(definition):
                        _compile(text, doc.where(path), catalog, attributes, constants)
                merged[ident] = definition
            if merged:
                out[folder] = merged
        return out

    def _tests(
        self, catalog: IndicatorCatalog, rules: Mapping[str, CompiledRule], rank: Mapping[str, int]
    ) -> tuple[SelfTestSource, ...]:
        out: list[SelfTestSource] = []
        for relative in self._files("tests"):
            doc = self._read(relative)
            parsed = _validate(SelfTestFile, doc)
            for i, case in enumerate(parsed.cases):
                prefix: tuple[PathKey, ...] = ("cases", i)
                _check_case(case, doc, prefix, catalog, rules, rank)
                out.append(SelfTestSource(case, relative, doc.line(prefix)))
        return tuple(out)


def _origin_where(parent: Pack, origin: RuleOrigin) -> Callable[[Sequence[PathKey]], Where]:
    # An inherited rule recompiled under this pack's constants is reported at its
    # own file in the parent pack.
    def where(path: Sequence[PathKey]) -> Where:
        file = str(parent.root / origin.file) if parent.root else origin.file
        return Where(file=file, line=origin.line, field=field_path(path) or None)

    return where


def _require_condition(expression: Expression, where: Where) -> None:
    kind = getattr(expression, "result_type", None)
    if kind is not None and str(getattr(kind, "value", kind)) in ("number", "string"):
        raise PackSchemaError(
            f"a rule condition must be true or false, this is a {getattr(kind, 'value', kind)}",
            where=where,
        )


def _require_level(
    rule: WarningRule, expression: Expression, catalog: IndicatorCatalog, where: Where
) -> None:
    for ident in _indicator_ids(expression, catalog):
        indicator = catalog.get(ident)
        if indicator is not None and indicator.levels and rule.level not in indicator.levels:
            levels = "、".join(level.label for level in indicator.levels)
            raise LevelMismatch(
                f"indicator {indicator.name!r} exists for {levels}, "
                f"not for the rule's level {rule.level.label}",
                where=where,
            )


def _names(expression: Expression) -> tuple[str, ...]:
    return tuple(str(n) for n in getattr(expression, "names", ()))


def _indicator_ids(expression: Expression, catalog: IndicatorCatalog) -> list[str]:
    ids: list[str] = []
    for item in getattr(expression, "indicators", ()):
        ident = item.id if isinstance(item, Indicator) else str(item)
        found = catalog.get_by_name(ident)
        ids.append(found.id if found is not None else ident)
    return ids


def _template(
    text: str,
    where: Where,
    catalog: IndicatorCatalog,
    attributes: Mapping[str, AttributeType],
    constants: Mapping[str, ConstantValue],
) -> tuple[Template, dict[str, tuple[str, str]]]:
    try:
        template = Template.parse(text)
    except ValueError as exc:
        raise BadTemplate(f"bad message template: {exc}", where=where) from None
    fields: dict[str, tuple[str, str]] = {}
    for _literal, name, spec, conversion in _raw_fields(text):
        if name is None:
            continue
        if not name or "." in name or "[" in name or conversion or "{" in spec:
            raise BadTemplate(
                f"placeholder {{{name}}} may only name a value, without attribute access, "
                "index or conversion",
                where=where,
            )
        indicator = catalog.get_by_name(name)
        sample: object
        if name in STANDARD_FIELDS:
            fields[name], sample = ("standard", name), "x" if name != "streak" else 1
        elif indicator is not None:
            fields[name], sample = ("indicator", indicator.id), 0.5
        elif name in constants:
            fields[name], sample = ("constant", name), constants[name]
        elif name in attributes:
            fields[name], sample = ("attribute", name), "x"
        else:
            candidates = [*STANDARD_FIELDS, *catalog.all_names(), *constants, *attributes]
            raise BadTemplate(
                f"unknown placeholder {{{name}}} in the message",
                where=where,
                hint=did_you_mean(name, candidates),
            )
        try:
            format(sample, spec)
        except (ValueError, TypeError) as exc:
            raise BadTemplate(f"bad format {spec!r} for {{{name}}}: {exc}", where=where) from None
    return template, fields


def _raw_fields(text: str) -> Iterable[tuple[str, str | None, str, str | None]]:
    for literal, name, spec, conversion in string.Formatter().parse(text):
        yield literal, name, spec or "", conversion


def _check_catalog(catalog: DiagnosisCatalog, doc: YamlDoc, known_rules: set[str]) -> None:
    seen: set[str] = set()

    def unique(ident: str, path: tuple[PathKey, ...]) -> None:
        if ident in seen:
            raise DuplicateId(
                f"catalog entry id {ident!r} is used twice", where=doc.where((*path, "id"))
            )
        seen.add(ident)

    for i, item in enumerate(catalog.items):
        unique(item.id, ("items", i))
        for j, element in enumerate(item.elements):
            unique(element.id, ("items", i, "elements", j))
            for k, point in enumerate(element.points):
                path: tuple[PathKey, ...] = ("items", i, "elements", j, "points", k)
                unique(point.id, path)
                for r, requirement in enumerate(point.requirements):
                    if requirement.rule is not None and requirement.rule not in known_rules:
                        raise DanglingReference(
                            f"requirement names unknown rule {requirement.rule!r}",
                            where=doc.where((*path, "requirements", r, "rule")),
                            hint=did_you_mean(requirement.rule, known_rules),
                        )


def _check_case(
    case: Any,
    doc: YamlDoc,
    prefix: tuple[PathKey, ...],
    catalog: IndicatorCatalog,
    rules: Mapping[str, CompiledRule],
    rank: Mapping[str, int],
) -> None:
    subject_ids: set[str] = set()
    for i, subject in enumerate(case.subjects):
        if subject.id in subject_ids:
            raise DuplicateId(
                f"test subject {subject.id!r} appears twice",
                where=doc.where((*prefix, "subjects", i, "id")),
            )
        subject_ids.add(subject.id)
    for i, observation in enumerate(case.observations):
        at = (*prefix, "observations", i)
        if observation.subject not in subject_ids:
            raise DanglingReference(
                f"observation of unknown test subject {observation.subject!r}",
                where=doc.where((*at, "subject")),
                hint=did_you_mean(observation.subject, subject_ids),
            )
        if catalog.get_by_name(observation.indicator) is None:
            raise DanglingReference(
                f"unknown indicator {observation.indicator!r}",
                where=doc.where((*at, "indicator")),
                hint=did_you_mean(observation.indicator, catalog.all_names()),
            )
    models: dict[str, type[BaseModel]] = {"alerts": ExpectedAlert, "gaps": ExpectedGap}
    for kind, items in case.expect.items():
        model = models.get(kind)
        if model is None:
            continue  # expectations of later evaluators (scores…) are checked by them
        at = (*prefix, "expect", kind)
        if not isinstance(items, list):
            raise PackSchemaError(f"`expect.{kind}` must be a list", where=doc.where(at))
        for j, raw in enumerate(items):
            item = _validate(model, doc, raw, (*at, j))
            rule_id = getattr(item, "rule", None)
            if rule_id not in rules:
                raise DanglingReference(
                    f"expectation names unknown rule {rule_id!r}",
                    where=doc.where((*at, j, "rule")),
                    hint=did_you_mean(str(rule_id), rules),
                )
            cadence = rules[str(rule_id)].cadence
            if cadence is not None and cadence != case.period.kind:
                raise PackSchemaError(
                    f"rule {rule_id!r} is evaluated each {cadence.label} (cadence: "
                    f"{cadence.value}), but the case's period {case.period} is a "
                    f"{case.period.kind.label}: the rule does not run",
                    where=doc.where((*at, j, "rule")),
                    hint=f"give the case a {cadence.label} period",
                )
            if getattr(item, "subject", None) not in subject_ids:
                raise DanglingReference(
                    f"expectation names unknown test subject {getattr(item, 'subject', None)!r}",
                    where=doc.where((*at, j, "subject")),
                )
            severity = getattr(item, "severity", None)
            if severity is not None and severity not in rank:
                raise UnknownSeverity(
                    f"unknown severity {severity!r}",
                    where=doc.where((*at, j, "severity")),
                    hint=did_you_mean(severity, rank),
                )
