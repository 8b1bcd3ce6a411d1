"""Building chains from records (pack/YAML/store), tables (DataFrames/CSV) and YAML.

All builders go through :func:`chain_from_records`: goal dicts with the ``Goal`` fields
(plus the shorthands ``parent``, ``weight`` and ``supports``) and edge dicts.  A bad
record raises :class:`~zhengai.chain.errors.BadGoal` / ``BadEdge`` naming the file and the
field path or table row; nothing is added to the chain when any record is bad.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from zhengai.chain.compiled import gc_paused
from zhengai.chain.errors import BadEdge, BadGoal
from zhengai.errors import Where, ZhengaiError
from zhengai.model.goal import EdgeKind, Goal

if TYPE_CHECKING:
    from zhengai.chain.graph import GoalChain

__all__ = ["chain_from_csv", "chain_from_records", "chain_from_tables", "chain_from_yaml"]

_SHORTHANDS = ("parent", "parents", "weight", "supports")


def _loc(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return loc, first["msg"]


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return [str(value)]


def chain_from_records(
    chain: GoalChain,
    goals: Iterable[Mapping[str, Any] | Goal],
    edges: Iterable[Mapping[str, Any]] = (),
    *,
    file: str | None = None,
    where_of: Any = None,
) -> GoalChain:
    """Fill ``chain`` from goal and edge records; see the module docstring.

    ``where_of(kind, i, field)`` may return the :class:`Where` of record ``i`` of ``kind``
    (``"goals"`` or ``"edges"``), e.g. a table row; by default a field path is used.
    """
    with gc_paused():
        return _fill(chain, goals, edges, file=file, where_of=where_of)


def _fill(
    chain: GoalChain,
    goals: Iterable[Mapping[str, Any] | Goal],
    edges: Iterable[Mapping[str, Any]],
    *,
    file: str | None,
    where_of: Any,
) -> GoalChain:

    def where(kind: str, i: int, fld: str | None = None) -> Where:
        if where_of is not None:
            found: Where = where_of(kind, i, fld)
            return found
        path = f"{kind}[{i}]" + (f".{fld}" if fld else "")
        return Where(file=file, field=path)

    def later(kind: str, i: int, fld: str | None = None) -> Callable[[], Where]:
        # built only when a link is refused: 100k eager Where objects cost a second
        return lambda: where(kind, i, fld)

    parsed: list[Goal] = []
    links: list[tuple[str, str, str, float | None, Callable[[], Where]]] = []
    for i, record in enumerate(goals):
        if isinstance(record, Goal):
            parsed.append(record)
            continue
        if not isinstance(record, Mapping):
            raise BadGoal(
                f"目标记录须为映射 (dict)，实为 {type(record).__name__}", where=where("goals", i)
            )
        body = {k: v for k, v in record.items() if k not in _SHORTHANDS}
        try:
            goal = Goal.model_validate(body)
        except ValidationError as exc:
            loc, msg = _loc(exc)
            raise BadGoal(f"目标记录无效：{msg}", where=where("goals", i, loc or None)) from None
        except ZhengaiError as exc:
            raise BadGoal(f"目标记录无效：{exc.message}", where=where("goals", i)) from None
        parsed.append(goal)
        parent_ids = _as_list(record.get("parent")) + _as_list(record.get("parents"))
        weight = _weight(record.get("weight"), later("goals", i, "weight"))
        if weight is not None and len(parent_ids) != 1:
            raise BadEdge(
                "weight 简写只能与唯一的 parent 一起使用", where=where("goals", i, "weight")
            )
        for p in parent_ids:
            links.append(
                (p, goal.id, EdgeKind.DECOMPOSES.value, weight, later("goals", i, "parent"))
            )
        for t in _as_list(record.get("supports")):
            links.append((goal.id, t, EdgeKind.SUPPORTS.value, None, later("goals", i, "supports")))
    for i, record in enumerate(edges):
        source = record.get("source", record.get("parent"))
        target = record.get("target", record.get("child"))
        if not source or not target:
            raise BadEdge(
                "链接记录须有 source 和 target (或 parent 和 child)", where=where("edges", i)
            )
        kind = record.get("kind") or EdgeKind.DECOMPOSES.value
        weight = _weight(record.get("weight"), later("edges", i, "weight"))
        links.append((str(source), str(target), str(kind), weight, later("edges", i)))

    staged = chain.copy()
    staged.add_goals(parsed)
    staged._add_edges(links)
    chain.graph = staged.graph
    chain._changed()
    return chain


def _weight(value: object, where: Callable[[], Where]) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(value)
        return float(value)
    except (TypeError, ValueError):
        raise BadEdge(f"权重须为数值，实为 {value!r}", where=where()) from None


def chain_from_yaml(chain: GoalChain, source: str | Path) -> GoalChain:
    """Fill ``chain`` from YAML (a path or the text) with ``goals:`` and ``edges:`` lists."""
    file: str | None = None
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))
    ):
        file = str(source)
        text = Path(source).read_text(encoding="utf-8")
    else:
        text = str(source)
    try:
        data = yaml.safe_load(text) or {}
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        raise BadGoal(f"YAML 语法错误：{exc}", where=Where(file=file, line=line)) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("goals", []), list):
        raise BadGoal(
            "目标链 YAML 须含 goals: 列表 (以及可选的 edges: 列表)", where=Where(file=file)
        )
    lines = _item_lines(root)

    def where_of(kind: str, i: int, fld: str | None) -> Where:
        # the line of the record; the field path says where inside it
        found = lines.get(kind, [])
        path = f"{kind}[{i}]" + (f".{fld}" if fld else "")
        return Where(file=file, line=found[i] if i < len(found) else None, field=path)

    return chain_from_records(
        chain, data.get("goals", []), data.get("edges") or [], file=file, where_of=where_of
    )


def _item_lines(root: yaml.Node | None) -> dict[str, list[int]]:
    """The 1-based line of each item of the top-level ``goals`` and ``edges`` lists."""
    lines: dict[str, list[int]] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(value, yaml.SequenceNode):
                lines[str(key.value)] = [item.start_mark.line + 1 for item in value.value]
    return lines


# -- tables ------------------------------------------------------------------------------
_GOAL_COLUMNS = (
    "id", "title", "owner", "level", "start", "end", "task_class", "responsible", "status",
    "progress", "own_weight", "manual_attainment", "manual_note", "parent", "weight", "supports",
)  # fmt: skip
_INDICATOR_COLUMNS = {
    "indicator": "indicator",
    "target": "target",
    "baseline": "baseline",
    "indicator_weight": "weight",
}


def _blank(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def chain_from_tables(
    chain: GoalChain,
    goal_rows: list[dict[Any, Any]],
    edge_rows: list[dict[Any, Any]],
    *,
    files: tuple[str | None, str | None],
) -> GoalChain:
    """Fill ``chain`` from a long goals table (one row per goal indicator) and an edges table.

    Goal columns: ``id, title, owner, level, start, end, task_class, responsible, status,
    progress, own_weight, manual_attainment, manual_note, parent, weight, supports``
    (``parent``/``supports`` may list several ids separated by ``;``); indicator columns:
    ``indicator, target, baseline, indicator_weight``.  Edge columns: ``source, target,
    kind, weight``.
    """
    records: dict[str, dict[str, Any]] = {}
    first_row: list[int] = []
    indicator_rows: list[list[int]] = []
    position: dict[str, int] = {}
    for r, row in enumerate(goal_rows):
        gid = row.get("id")
        if _blank(gid):
            raise BadGoal(
                "目标表的 id 列不能为空", where=Where(file=files[0], row=r + 2, column="id")
            )
        gid = str(gid)
        rec = records.get(gid)
        if rec is None:
            rec = records[gid] = {"indicators": []}
            position[gid] = len(first_row)
            first_row.append(r)
            indicator_rows.append([])
            for col in _GOAL_COLUMNS:
                value = row.get(col)
                if _blank(value):
                    continue
                if col in ("parent", "supports"):
                    value = [v.strip() for v in str(value).split(";") if v.strip()]
                rec[col] = value
        if not _blank(row.get("indicator")):
            indicator_rows[position[gid]].append(r)
            rec["indicators"].append(
                {
                    key: row[col]
                    for col, key in _INDICATOR_COLUMNS.items()
                    if not _blank(row.get(col))
                }
            )

    def where_of(kind: str, i: int, fld: str | None) -> Where:
        if kind == "edges":
            return Where(file=files[1], row=i + 2, column=fld)
        column = None if fld is None else fld.split(".")[0]
        row = first_row[i]
        parts = [] if fld is None else fld.split(".")
        if column == "indicators" and len(parts) > 1 and parts[1].isdigit():
            # indicators.<k>.<field>: point at the row and column of that indicator
            row = indicator_rows[i][int(parts[1])]
            column = _TABLE_NAME.get(parts[2], parts[2]) if len(parts) > 2 else "indicator"
        return Where(file=files[0], row=row + 2, column=column)

    edges = [{k: v for k, v in row.items() if not _blank(v)} for row in edge_rows]
    return chain_from_records(chain, list(records.values()), edges, where_of=where_of)


_TABLE_NAME = {"weight": "indicator_weight"}


def chain_from_csv(chain: GoalChain, goals: str | Path, edges: str | Path | None) -> GoalChain:
    """Fill ``chain`` from a goals CSV and an optional edges CSV (UTF-8, BOM allowed)."""

    def read(path: str | Path) -> list[dict[Any, Any]]:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    goal_rows = read(goals)
    edge_rows = [] if edges is None else read(edges)
    return chain_from_tables(
        chain, goal_rows, edge_rows, files=(str(goals), None if edges is None else str(edges))
    )
