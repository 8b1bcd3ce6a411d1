"""``zhengai spiral start|status|advance``: the improvement loop (8字螺旋) on a store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np
from numpy.typing import NDArray

from zhengai.cli.common import (
    echo_json,
    json_option,
    lang,
    open_store,
    parse_level,
    reports_errors,
    tr,
)
from zhengai.cli.errors import BadGuardInputs
from zhengai.data.tables import Table, read_table
from zhengai.errors import Where, did_you_mean
from zhengai.expr import Frame
from zhengai.model import IndicatorCatalog, UnknownIndicator
from zhengai.model.loop import LoopDefinition
from zhengai.packs import Pack, load_pack
from zhengai.spiral import (
    GuardInputs,
    MissingGuardInput,
    Spiral,
    SpiralStates,
    StoredSpiral,
    UnknownLoop,
)
from zhengai.spiral.views import state_histogram
from zhengai.store import Store

__all__ = ["spiral"]

#: Guard inputs with one number or flag per subject, by column name.
_FLAGS = ("revision_approved", "action_opened", "alert_resolved")
#: The --inputs column that carries each guard input.
_INPUT_COLUMNS = {
    "targets": "target:<指标>",
    "covered": "covered:<指标>",
    "data_ratio": "data_ratio",
    "red_unacknowledged": "red:<规则>",
    "gaps_open": "gap:<差距>",
    "revision_approved": "revision_approved",
    "action_opened": "action_opened",
    "alert_resolved": "alert_resolved",
}
#: Column prefixes of per-indicator (``target:到课率``), per-rule and per-gap inputs.
_MATRICES = ("target", "achieved", "covered", "red", "gap", "gap_open")
_ALIASES = {
    "目标": "target",
    "实际": "achieved",
    "覆盖": "covered",
    "红色预警": "red",
    "差距": "gap",
}
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"0", "false", "no", "n", "否", "f", ""}


@click.group()
def spiral() -> None:
    """诊改螺旋：状态分布与批量推进 / the improvement loop: status and advancing."""


_store = click.option("--store", "url", required=True, help="数据库 URL 或 SQLite 文件 / store.")
_loop = click.option(
    "--loop", "loop_id", default="five_step", show_default=True, help="诊改循环 / loop id."
)
_pack = click.option(
    "--pack",
    "pack_name",
    default="core",
    show_default=True,
    help="循环定义所在规则包 / pack holding the loop.",
)
_school = click.option("--school", default="default", show_default=True, help="学校 / school id.")
_level = click.option("--level", default=None, help="只含该层面 / only this level (专业, course…).")
_subjects = click.option(
    "--subject", "subject_ids", multiple=True, help="只含这些主体 / only these subjects (repeat)."
)


@spiral.command()
@_store
@_loop
@_pack
@_school
@_level
@_subjects
@click.option("--who", default="system", show_default=True, help="操作人 / actor.")
@json_option
@reports_errors
def start(
    url: str,
    loop_id: str,
    pack_name: str,
    school: str,
    level: str | None,
    subject_ids: tuple[str, ...],
    who: str,
    as_json: bool,
) -> None:
    """把主体纳入诊改循环 / put subjects on a loop at its initial state.

    \b
    已在循环中的主体保持不变，可随新主体加入重复运行。

    Subjects already on the loop are left alone, so it can be run again as new
    subjects arrive.
    """
    store = open_store(url, school)
    stored = StoredSpiral(_spiral(pack_name, loop_id), store)
    wanted = parse_level(level)
    started = stored.start(
        subjects=list(subject_ids) or None,
        level=None if wanted is None else wanted.value,
        who=who,
    )
    if as_json:
        echo_json({"loop": loop_id, "started": started})
    else:
        click.echo(
            tr(f"纳入循环 {loop_id}：{started} 个主体", f"{started} subjects put on {loop_id}")
        )


@spiral.command()
@_store
@_loop
@_pack
@_school
@click.option("--by-level", is_flag=True, help="按层面分组 / one row per level.")
@json_option
@reports_errors
def status(
    url: str, loop_id: str, pack_name: str, school: str, by_level: bool, as_json: bool
) -> None:
    """各状态的主体数 / how many subjects are in each state of a loop."""
    store = open_store(url, school)
    machine = _spiral(pack_name, loop_id)
    states = StoredSpiral(machine, store).load()
    by = _levels(store, states.subject_ids) if by_level else None
    table = state_histogram(machine, states, by=by)
    if as_json:
        echo_json({"loop": loop_id, "total": len(states), "states": table})
        return
    names = list(machine.state_ids)
    english = lang() == "en"
    header = ["" if by_level else "state", *names] if english else ["", *map(machine.label, names)]
    click.echo("\t".join(["level" if english else "层面", *header[1:]] if by_level else header))
    for group, counts in table.items():
        label = tr("合计", "all") if group == "*" else group
        click.echo("\t".join([label, *(str(counts[s]) for s in names)]))
    click.echo(
        tr(f"循环 {loop_id} 上共 {len(states)} 个主体", f"{len(states)} subjects on {loop_id}")
    )


@spiral.command()
@click.argument("trigger")
@_store
@_loop
@_pack
@_school
@_level
@_subjects
@click.option(
    "--inputs",
    "inputs_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="守卫输入表 / guard inputs (subject_id, data_ratio, target:<指标>, …).",
)
@click.option("--who", default="system", show_default=True, help="操作人 / actor.")
@click.option("--reason", default="", help="原因 / reason recorded in the audit trail.")
@json_option
@reports_errors
def advance(
    trigger: str,
    url: str,
    loop_id: str,
    pack_name: str,
    school: str,
    level: str | None,
    subject_ids: tuple[str, ...],
    inputs_path: Path | None,
    who: str,
    reason: str,
    as_json: bool,
) -> None:
    """以一个触发事件推进一批主体 / move a population on a loop through TRIGGER.

    \b
    状态允许且守卫通过的主体在一个事务中推进，其余保持原状并按未通过的守卫计数。
    守卫输入来自 --inputs 表（每个主体一行）：data_ratio、target:<指标>、
    covered:<指标>、red:<规则>、gap:<差距> 等列。

    Every selected subject whose state allows TRIGGER and whose guards hold
    moves, in one transaction; the others stay and are counted by the guard that
    held them.  Guards read --inputs, a CSV/Excel table with one row per subject:
    data_ratio, revision_approved, action_opened, alert_resolved, target:<指标>
    columns for targets_set, and indicator columns for expression guards.
    """
    store = open_store(url, school)
    pack = load_pack(pack_name)
    machine = _spiral(pack_name, loop_id, pack)
    selected = _selection(store, level, subject_ids)
    stored = StoredSpiral(machine, store)

    def inputs(states: SpiralStates) -> GuardInputs:
        if inputs_path is None:
            return GuardInputs(n=len(states))
        return _read_inputs(inputs_path, states.subject_ids, pack.catalog)

    try:
        done = stored.advance(trigger, inputs, subjects=selected, who=who, reason=reason)
    except MissingGuardInput as error:
        # The library's hint names a Python argument; say which --inputs column it is.
        column = next((c for a, c in _INPUT_COLUMNS.items() if repr(a) in error.message), None)
        raise MissingGuardInput(
            error.message,
            where=error.where,
            hint=tr(
                f"请用 --inputs 提供含 {column} 列的表",
                f"give --inputs with a {column} column",
            )
            if column
            else error.hint,
        ) from error
    result = done.result
    failed = {guard: len(rows) for guard, rows in result.failed_by_guard.items()}
    if as_json:
        echo_json(
            {
                "loop": loop_id,
                "trigger": trigger,
                "moved": done.stored,
                "illegal": len(result.illegal),
                "failed_by_guard": failed,
                "held": [
                    {"subject_id": str(result.states.subject_ids[i]), "reason": str(why)}
                    for i in _held(result.failed_by_guard)
                    if (why := result.error(int(i))) is not None
                ],
            }
        )
        return
    click.echo(
        tr(
            f"{trigger}：推进 {done.stored} 个，状态不允许 {len(result.illegal)} 个",
            f"{trigger}: {done.stored} moved, {len(result.illegal)} not allowed in their state",
        )
    )
    for guard, rows in result.failed_by_guard.items():
        click.echo(
            tr(f"  未通过守卫 {guard}：{len(rows)} 个", f"  held by guard {guard}: {len(rows)}")
        )
        example = result.error(int(rows[0])) if len(rows) else None
        if example is not None:
            click.echo(tr(f"    例如 {example.message}", f"    e.g. {example.message}"))


def _spiral(pack_name: str, loop_id: str, pack: Pack | None = None) -> Spiral:
    """The loop ``loop_id`` of a pack, ready to run with the pack's catalog and constants."""
    pack = pack or load_pack(pack_name)
    loops: dict[str, LoopDefinition] = dict(pack.sections.get("loops", {}))
    if loop_id not in loops:
        raise UnknownLoop(
            f"pack {pack.name!r} has no loop {loop_id!r}",
            hint=did_you_mean(loop_id, list(loops)) or f"loops: {', '.join(sorted(loops))}",
        )
    return Spiral(
        loops[loop_id],
        catalog=pack.catalog,
        attributes=tuple(pack.attributes),
        constants=dict(pack.constants),
    )


def _selection(store: Store, level: str | None, subject_ids: Sequence[str]) -> list[str] | None:
    wanted = parse_level(level)
    if wanted is None:
        return list(subject_ids) or None
    of_level = [s.id for s in store.subjects(level=wanted)]
    if subject_ids:
        named = set(subject_ids)
        return [s for s in of_level if s in named]
    return of_level


def _levels(store: Store, ids: NDArray[Any]) -> NDArray[Any]:
    """The level of each subject in ``ids`` (aligned), from the store."""
    subjects = store.subjects()
    known = np.array([s.id for s in subjects], dtype=object)
    levels = np.array([s.level.value for s in subjects], dtype=object)
    order = np.argsort(known)
    at = order[np.searchsorted(known[order], ids)] if len(known) else np.zeros(0, dtype=np.intp)
    return levels[at]


def _held(failed: dict[str, NDArray[np.intp]]) -> NDArray[np.intp]:
    rows = [r for r in failed.values() if len(r)]
    return np.sort(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.intp)


def _read_inputs(path: Path, order: NDArray[Any], catalog: IndicatorCatalog) -> GuardInputs:
    """Guard inputs from a table, aligned with the loaded states (``order`` = their ids).

    Subjects without a row get missing inputs, and missing inputs never pass a guard.
    """
    table = read_table(path)
    if table.problems:
        raise table.problems[0]
    headers = [h.strip() for h in table.headers]
    if "subject_id" not in headers:
        raise BadGuardInputs(
            "missing column 'subject_id'",
            where=table.where(1, "subject_id"),
            hint=did_you_mean("subject_id", headers),
        )
    ids = [str(c) for c in table.columns[headers.index("subject_id")]]
    position = {sid: i for i, sid in enumerate(order.tolist())}
    rows = np.array([position.get(sid, -1) for sid in ids], dtype=np.intp)
    if (rows < 0).any():
        bad = int(np.flatnonzero(rows < 0)[0])
        raise BadGuardInputs(
            f"subject {ids[bad]!r} is not among the subjects being advanced",
            where=table.where(int(table.rows[bad]), "subject_id"),
            hint=did_you_mean(ids[bad], position),
        )
    # A second row for one subject would silently win: refuse the first such row.
    by_subject = np.argsort(rows, kind="stable")
    repeats = np.flatnonzero(rows[by_subject][1:] == rows[by_subject][:-1])
    if len(repeats):
        k = int(np.argmin(by_subject[repeats + 1]))
        later, earlier = int(by_subject[repeats[k] + 1]), int(by_subject[repeats[k]])
        raise BadGuardInputs(
            f"subject {ids[later]!r} is also on row {int(table.rows[earlier])}",
            where=table.where(int(table.rows[later]), "subject_id"),
        )
    cells = _Cells(table, rows, len(order))
    fields: dict[str, Any] = {}
    by_kind: dict[str, dict[str, NDArray[Any]]] = {kind: {} for kind in _MATRICES}
    columns: dict[str, NDArray[Any]] = {}
    for header, column in zip(headers, table.columns, strict=True):
        kind, _, name = header.partition(":")
        kind = _ALIASES.get(kind.strip(), kind.strip())
        if header == "subject_id":
            continue
        if header == "data_ratio":
            fields[header] = cells.numbers(column, header)
        elif header in _FLAGS:
            fields[header] = cells.flags(column, header)
        elif name and kind in ("target", "achieved", "covered"):
            indicator = _indicator(catalog, name.strip(), table.where(1, header))
            values = cells.flags(column, header) if kind == "covered" else None
            by_kind[kind][indicator] = (
                values if values is not None else cells.numbers(column, header)
            )
        elif name and kind == "red":
            by_kind[kind][name.strip()] = cells.flags(column, header)
        elif name and kind == "gap":
            by_kind["gap_open"][name.strip()] = cells.present(column)
            by_kind["gap"][name.strip()] = cells.flags(column, header)
        else:
            found = catalog.get_by_name(header)
            columns[found.id if found is not None else header] = cells.numbers(column, header)
    indicators = tuple(
        sorted({k for kind in ("target", "achieved", "covered") for k in by_kind[kind]})
    )
    if indicators:
        fields["indicators"] = indicators
    for kind, attr, fill in (
        ("target", "targets", np.nan),
        ("achieved", "achieved", np.nan),
        ("covered", "covered", False),
    ):
        if by_kind[kind]:
            fields[attr] = _matrix(by_kind[kind], indicators, len(order), fill)
    if by_kind["red"]:
        fields["alert_rules"] = tuple(sorted(by_kind["red"]))
        fields["red_unacknowledged"] = _matrix(
            by_kind["red"], fields["alert_rules"], len(order), False
        )
    if by_kind["gap"]:
        keys = tuple(sorted(by_kind["gap"]))
        fields["gap_keys"] = keys
        fields["gaps_open"] = _matrix(by_kind["gap_open"], keys, len(order), False)
        fields["gaps_handled"] = _matrix(by_kind["gap"], keys, len(order), False)
    if columns:
        fields["frame"] = Frame(columns=columns)
    return GuardInputs(n=len(order), **fields)


def _indicator(catalog: IndicatorCatalog, name: str, where: Where) -> str:
    try:
        return catalog.resolve(name).id
    except UnknownIndicator as error:
        raise UnknownIndicator(error.message, where=where, hint=error.hint) from None


def _matrix(
    found: dict[str, NDArray[Any]], names: tuple[str, ...], n: int, fill: Any
) -> NDArray[Any]:
    dtype = np.float64 if isinstance(fill, float) else np.bool_
    return np.column_stack([found.get(k, np.full(n, fill, dtype=dtype)) for k in names])


class _Cells:
    """Turns table columns into per-subject arrays aligned with the states."""

    def __init__(self, table: Table, rows: NDArray[np.intp], n: int) -> None:
        self.table, self.rows, self.n = table, rows, n

    def _text(self, column: NDArray[Any], lower: bool = False) -> NDArray[Any]:
        text = ["" if c is None else str(c).strip() for c in column.tolist()]
        return np.array([t.lower() for t in text] if lower else text, dtype=object)

    def _place(self, values: NDArray[Any], fill: Any) -> NDArray[Any]:
        out = np.full(self.n, fill, dtype=values.dtype)
        out[self.rows] = values
        return out

    def present(self, column: NDArray[Any]) -> NDArray[np.bool_]:
        """True where a cell is filled in."""
        return self._place(self._text(column) != "", False)

    def numbers(self, column: NDArray[Any], header: str) -> NDArray[np.float64]:
        """Numbers (NaN for an empty cell); a cell that is not a number is an error."""
        text = self._text(column)
        out = np.full(len(text), np.nan)
        filled = text != ""
        try:
            out[filled] = text[filled].astype(np.float64)
        except ValueError:
            for i in np.flatnonzero(filled):
                try:
                    float(text[i])
                except ValueError:
                    raise BadGuardInputs(
                        f"{text[i]!r} is not a number",
                        where=self.table.where(int(self.table.rows[i]), header),
                    ) from None
        return self._place(out, np.nan)

    def flags(self, column: NDArray[Any], header: str) -> NDArray[np.bool_]:
        """Yes/no cells (an empty cell is no)."""
        text = self._text(column, lower=True)
        truthy = np.isin(text, list(_TRUE))
        known = truthy | np.isin(text, list(_FALSE))
        if not known.all():
            i = int(np.flatnonzero(~known)[0])
            raise BadGuardInputs(
                f"{text[i]!r} is not a yes/no value",
                where=self.table.where(int(self.table.rows[i]), header),
                hint="write true/false, 1/0 or 是/否",
            )
        return self._place(truthy, False)
