"""``zhengai import``: subjects and state data from CSV or Excel into a store."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click
import numpy as np

from zhengai.cli.common import (
    data_file_options,
    echo_json,
    json_option,
    open_store,
    parse_period,
    reports_errors,
    tr,
)
from zhengai.data import (
    SUBJECT_COLUMNS,
    DataLoadFailed,
    MissingParent,
    Subjects,
    check_subjects,
    load_observations,
    load_subjects,
)
from zhengai.data.tables import Table, read_table
from zhengai.errors import Where
from zhengai.model import IndicatorCatalog, Subject
from zhengai.packs import load_pack
from zhengai.store import IngestResult, Store

__all__ = ["import_data", "import_files", "store_catalog"]

#: The pack whose indicator catalog checks state data when the store has none yet.
DEFAULT_CATALOG_PACK = "core"


@click.command("import")
@click.option("--store", "url", required=True, help="数据库 URL 或 SQLite 文件 / store URL.")
@data_file_options
@click.option("--period", default=None, help="缺省期间 / default period, e.g. 2025-2026-1.")
@click.option(
    "--form",
    type=click.Choice(["auto", "long", "wide"]),
    default="auto",
    show_default=True,
    help="状态数据格式 / long or wide state data.",
)
@click.option(
    "--errors",
    type=click.Choice(["raise", "collect"]),
    default="raise",
    show_default=True,
    help="首个问题即停，或列出全部问题 / stop at the first problem or list them all.",
)
@click.option("--sheet", default=None, help="Excel 工作表 / sheet of the state data workbook.")
@click.option(
    "--pack",
    "pack_name",
    default=None,
    help="指标库所在规则包 / pack whose indicators to use (default: the store's, else core).",
)
@click.option("--school", default="default", show_default=True, help="学校编号 / school id.")
@json_option
@reports_errors
def import_data(
    url: str,
    subjects_path: Path | None,
    observations_path: Path | None,
    period: str | None,
    form: Literal["auto", "long", "wide"],
    errors: Literal["raise", "collect"],
    sheet: str | None,
    pack_name: str | None,
    school: str,
    as_json: bool,
) -> None:
    """导入诊改主体和状态数据 / import subjects and state data into a store.

    \b
    先完整检查两个文件，有问题即以退出码 2 报告文件、行和列，不写入任何数据；
    状态数据按文件及库中已有的主体和指标库检查；重复导入同一文件不会新增数据。

    Both files are checked in full before anything is written: a problem stops
    the import with exit code 2 and names the file, row and column.  State data
    are checked against the subjects of the file and those already stored, and
    against the indicator catalog.  Observations are append-only: importing the
    same file again adds nothing.
    """
    if subjects_path is None and observations_path is None:
        raise click.UsageError(
            tr(
                "请至少给出 --subjects 或 --observations 之一",
                "give --subjects, --observations or both",
            )
        )
    store = open_store(url, school)
    catalog = store_catalog(store, pack_name)
    indicators, written, result = import_files(
        store,
        catalog,
        subjects_path,
        observations_path,
        period=period,
        form=form,
        errors=errors,
        sheet=sheet,
    )
    _print(indicators, written, result, as_json)


def store_catalog(store: Store, pack_name: str | None) -> IndicatorCatalog:
    """The store's indicators plus the pack's (the core pack's when the store has none)."""
    stored = store.indicators()
    catalog = IndicatorCatalog(stored.values())
    if pack_name is not None or not len(stored):
        for indicator in load_pack(pack_name or DEFAULT_CATALOG_PACK).catalog.values():
            catalog.add(indicator)
    return catalog


def import_files(
    store: Store,
    catalog: IndicatorCatalog,
    subjects_path: Path | None,
    observations_path: Path | None,
    *,
    period: str | None = None,
    form: Literal["auto", "long", "wide"] = "auto",
    errors: Literal["raise", "collect"] = "raise",
    sheet: str | None = None,
) -> tuple[int, int, IngestResult | None]:
    """Check both files in full, then store indicators, subjects and state data.

    Returns how many indicators and subjects were written and what the ingest did.
    """
    subjects = None if subjects_path is None else _load_subjects(store, subjects_path, errors)
    observations = None
    if observations_path is not None:
        observations = load_observations(
            observations_path,
            catalog=catalog,
            subjects=_known(store.subjects(), subjects),
            period=None if period is None else parse_period(period),
            form=form,
            errors=errors,
            sheet=sheet,
        )
    with store.transaction() as conn:
        indicators = store.add_indicators(catalog, conn=conn)
        written = 0 if subjects is None else store.add_subjects(subjects, conn=conn)
    result = None if observations is None else store.ingest(observations)
    return indicators, written, result


def _load_subjects(store: Store, path: Path, errors: Literal["raise", "collect"]) -> Subjects:
    """Subjects from a file whose parents may be in the file or already in the store.

    New students arrive each year under classes stored before: a parent that is
    stored is not a missing parent.  Every other problem is reported as the loader
    reports it.
    """
    try:
        return load_subjects(path, errors=errors)
    except (MissingParent, DataLoadFailed) as error:
        if isinstance(error, DataLoadFailed) and not any(
            isinstance(p, MissingParent) for p in error.problems
        ):
            raise
        problems = error.problems if isinstance(error, DataLoadFailed) else check_subjects(path)
    table = read_table(path)
    stored = {s.id: s for s in store.subjects()}
    found: dict[str, Subject] = {}
    remaining = []
    for problem in problems:
        parent = _cell(table, problem.where) if isinstance(problem, MissingParent) else None
        if parent is not None and parent in stored:
            found[parent] = stored[parent]
        else:
            remaining.append(problem)
    if remaining:
        raise remaining[0] if errors == "raise" else DataLoadFailed(remaining, file=str(path))
    # Load again with the stored parents as extra rows, then leave them out: they are
    # stored already, with attributes this file does not carry.
    header = _headers(table)
    records = [
        dict(zip(table.headers, row, strict=True)) for row in zip(*table.columns, strict=True)
    ]
    records += [
        {
            header["subject_id"]: s.id,
            header["level"]: s.level.value,
            header.get("name", "name"): s.name,
            header.get("parent_id", "parent_id"): s.parent_id,
        }
        for s in found.values()
    ]
    loaded = load_subjects(records)
    return loaded.where(~np.isin(loaded.ids, list(found)))


def _cell(table: Table, where: Where) -> str | None:
    """The text of the cell a problem points at (None when it points at no cell)."""
    if where.row is None or where.column not in table.headers:
        return None
    at = np.flatnonzero(table.rows == where.row)
    if not len(at):
        return None
    value = table.columns[table.headers.index(str(where.column))][int(at[0])]
    return None if value is None else str(value).strip()


def _headers(table: Table) -> dict[str, str]:
    """The header the table uses for each subject column (``学号`` for ``subject_id``…)."""
    names = {alias.casefold(): key for key, aliases in SUBJECT_COLUMNS.items() for alias in aliases}
    found: dict[str, str] = {}
    for header in table.headers:
        key = names.get(header.casefold())
        if key is not None:
            found.setdefault(key, header)
    return found


def _known(stored: list[Subject], loaded: Subjects | None) -> Subjects:
    """The subjects observations may name: those in the file and those stored."""
    stored_ids = np.array([s.id for s in stored], dtype=object)
    if loaded is not None:
        stored_ids = stored_ids[~np.isin(stored_ids, loaded.ids)]
    ids = stored_ids if loaded is None else np.concatenate([loaded.ids, stored_ids])
    # Only ids are looked up; the level of a stored subject does not matter here.
    levels = np.concatenate(
        [
            loaded.levels if loaded is not None else np.array([], dtype=object),
            np.full(len(stored_ids), "school", dtype=object),
        ]
    )
    return Subjects(ids, levels)


def _print(indicators: int, written: int, result: IngestResult | None, as_json: bool) -> None:
    obs = {
        "submitted": 0 if result is None else result.submitted,
        "added": 0 if result is None else result.added,
        "skipped": 0 if result is None else result.skipped,
    }
    if as_json:
        echo_json({"indicators": indicators, "subjects": written, "observations": obs})
        return
    click.echo(
        tr(
            f"已导入：指标 {indicators} 个，主体 {written} 个，"
            f"状态数据 {obs['submitted']} 条（新增 {obs['added']}，已有 {obs['skipped']}）",
            f"imported: {indicators} indicators, {written} subjects, "
            f"{obs['submitted']} observations ({obs['added']} added, "
            f"{obs['skipped']} already stored)",
        )
    )
