"""YAML files of a pack, read with the line of every value kept.

PyYAML's composer gives a node tree with positions; the data is built from
the nodes here (scalars through PyYAML's own safe constructor, so types are
YAML's) while recording ``path -> line`` for every mapping value and list
item.  Pydantic's error locations and our own checks use the map to name the
line of the field they are about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from zhengai.errors import Where
from zhengai.packs.errors import DuplicateKey, PackSchemaError, YamlSyntaxError

__all__ = ["PathKey", "YamlDoc", "field_path", "read_yaml"]

#: One step of a field path: a mapping key or a list index.
PathKey = str | int


def field_path(path: Sequence[PathKey]) -> str:
    """``("rules", 2, "when")`` → ``"rules[2].when"``."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text


@dataclass
class YamlDoc:
    """One YAML file of a pack: its data and the line of every field path in it."""

    file: str
    data: Any
    lines: dict[tuple[PathKey, ...], int] = field(default_factory=dict)

    def line(self, path: Sequence[PathKey]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            found = self.lines.get(key)
            if found is not None:
                return found
            key = key[:-1]
        return self.lines.get(())

    def where(self, path: Sequence[PathKey]) -> Where:
        """A :class:`Where` naming this file, the line of ``path`` and the field path."""
        return Where(file=self.file, line=self.line(path), field=field_path(path) or None)

    def schema_error(
        self, error: ValidationError, prefix: Sequence[PathKey] = ()
    ) -> PackSchemaError:
        """Turn pydantic's first error into a :class:`PackSchemaError` at its line."""
        first = error.errors(include_url=False)[0]
        path = list(prefix) + self._data_path(first["loc"], prefix)
        message = _schema_message(first)
        return PackSchemaError(message, where=self.where(path))

    def _data_path(self, loc: Sequence[Any], prefix: Sequence[PathKey]) -> list[PathKey]:
        # Pydantic locations interleave union and validator tags with real keys;
        # keep only the steps that exist in the data (a missing field is kept last).
        node: Any = self.data
        for key in prefix:
            if isinstance(node, dict):
                node = node.get(key)
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                node = None
        path: list[PathKey] = []
        for step in loc:
            inside_dict = isinstance(node, dict) and step in node
            inside_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
            if inside_dict or inside_list:
                path.append(step)
                node = node[step]
            elif isinstance(node, dict) and isinstance(step, str) and "[" not in step:
                path.append(step)
                node = None
        return path


def _schema_message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def read_yaml(path: Path, name: str) -> YamlDoc:
    """Read one YAML file; ``name`` is how errors call it (relative to the pack)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError("file is not UTF-8 text", where=Where(file=name)) from exc
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlDoc:
    """Parse YAML text into a :class:`YamlDoc` (an empty file is an empty mapping)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        doc = YamlDoc(file=name, data={})
        if node is not None:
            doc.data = _build(loader, node, (), doc)
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(
            f"invalid YAML: {problem}", where=Where(file=name, line=line)
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", where=Where(file=name)) from exc
    finally:
        loader.dispose()


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, path: tuple[PathKey, ...], doc: YamlDoc
) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                raise PackSchemaError(
                    "mapping keys must be plain strings",
                    where=Where(file=doc.file, line=key_node.start_mark.line + 1),
                )
            key = key if isinstance(key, str) else str(key)
            child = (*path, key)
            if key in result:
                raise DuplicateKey(
                    f"key {key!r} appears twice",
                    where=Where(
                        file=doc.file, line=key_node.start_mark.line + 1, field=field_path(child)
                    ),
                )
            doc.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, child, doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), doc) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
