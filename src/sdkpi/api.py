"""The library API: what the CLI calls, usable without it.

from sdkpi import compute
result = compute("examples/store-demo", month="2024-05")
print(result.kpi("appointment_rate").value)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, UsageError
from .results import CheckResult, ComputeResult, KpiResult, Period

if TYPE_CHECKING:
    from .dataset import Dataset, SheetData
    from .definitions import Definitions
    from .loaders.group import Progress

# pandas, pydantic and the engine are imported where they are needed, not here: a re-run
# answered from the result cache (`sdkpi.result_cache`) never needs them.

MAPPING_FILE_NAME = "sdkpi-mapping.yaml"


def parse_period(month: str | None = None, start: str | None = None, end: str | None = None) -> Period:
    """`--month YYYY-MM`, or `--from` / `--to` dates (both inclusive)."""
    if month and (start or end):
        raise UsageError("give either --month or --from/--to, not both")
    if month:
        try:
            year, number = month.split("-")
            if len(year) != 4 or not 1 <= int(number) <= 12:
                raise ValueError
            return Period.month(f"{int(year)}-{int(number)}")
        except ValueError:
            raise UsageError(f"--month must look like 2024-05, not {month!r}") from None
    if start and end:
        first, last = _date(start, "--from"), _date(end, "--to")
        if last < first:
            raise UsageError(f"--to {end} is before --from {start}")
        return Period(first, last + timedelta(days=1))
    raise UsageError("say which period: --month 2024-05, or --from 2024-05-01 --to 2024-05-31")


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} must be a date like 2024-05-01, not {text!r}") from None


def load_data(
    data: str | Path,
    mapping: str | Path | None = None,
    *,
    store: str | None = None,
    progress: Progress | None = None,
    cache: bool = True,
    columns: Mapping[str, Collection[str]] | None = None,
    write_behind: bool = False,
    on_sheet: Callable[[SheetData], None] | None = None,
) -> Dataset:
    """Read a data folder (or workbook), using a mapping file if one is given or found.

    A folder of store folders (`DATA/<store>/<sheets>`) is read as a dealer group;
    `store` keeps only that store's rows of a group (see `sdkpi.loaders.group`).
    `cache`: reuse sheets parsed by an earlier run from unchanged files (`sdkpi.cache`;
    also off with SDKPI_NO_CACHE=1). `columns`: sheet -> the columns the caller will
    read; other clean text columns may be left out of the frames (see `load_dataset`).
    `write_behind`: return before the sheet cache's new entries are written (they are
    written on a background thread); `sdkpi.cache.wait_for_writes()` waits for them.
    `on_sheet`: called with each sheet of one store's folder as soon as it is loaded, on
    its loading thread (not for a dealer group's, whose sheets are stacked afterwards).
    """
    from .safety import require_defused_xml

    require_defused_xml()  # before a reader is imported: a clear error, never a plain XML parser
    from .loaders.group import load_group, select_store, store_folders

    folder = Path(data)
    stores = store_folders(folder)
    if stores:

        def one(sub: Path) -> Dataset:
            return _load_one(sub, mapping, folder, cache=cache, columns=columns, background=write_behind)

        dataset = load_group(folder, stores, one, progress)
    else:
        dataset = _load_one(
            folder, mapping, cache=cache, columns=columns, background=write_behind, on_sheet=on_sheet
        )
    if not dataset.sheets and all(reason == "sheet missing" for reason in dataset.missing.values()):
        raise InputError(
            "no record sheets found",
            file=str(folder),
            hint="expected files such as work_orders.csv or 维修工单.xlsx (see `sdkpi check` and the README)",
        )
    return select_store(dataset, store) if store else dataset


def _load_one(
    folder: Path,
    mapping: str | Path | None,
    group: Path | None = None,
    *,
    cache: bool = True,
    columns: Mapping[str, Collection[str]] | None = None,
    background: bool = False,
    on_sheet: Callable[[SheetData], None] | None = None,
) -> Dataset:
    """One store: its own mapping file, else the given one, else the group folder's."""
    from .cache import SheetCache
    from .loaders.sheets import load_dataset

    mapping_path = mapping_file(folder, mapping, group)
    options = None
    if mapping_path is not None:
        from .loaders.mapping import load_mapping

        options = load_mapping(mapping_path)
    sheet_cache = SheetCache.default(background=background) if cache else None
    return load_dataset(
        folder, options=options, cache=sheet_cache, columns=columns, on_sheet=on_sheet, root=group
    )


def mapping_file(folder: Path, mapping: str | Path | None, group: Path | None = None) -> Path | None:
    """The mapping file a store folder is read with: its own, else the given one, else the group's."""
    mapping_path = Path(mapping) if mapping else None
    if folder.is_dir() and (folder / MAPPING_FILE_NAME).is_file() and (mapping_path is None or group):
        return folder / MAPPING_FILE_NAME
    if mapping_path is None and group is not None and (group / MAPPING_FILE_NAME).is_file():
        return group / MAPPING_FILE_NAME
    return mapping_path


def check(
    data: str | Path,
    *,
    mapping: str | Path | None = None,
    definitions: str | Path | Definitions | None = None,
    store: str | None = None,
    cache: bool = True,
) -> CheckResult:
    """Read the data as `compute` would, without computing: sheets, header maps, data issues,
    and the KPIs that will have no data because a sheet or a column is missing."""
    from .definitions import Definitions, load_definitions
    from .engine import sheet_infos

    defs = definitions if isinstance(definitions, Definitions) else load_definitions(definitions)
    dataset = load_data(data, mapping, store=store, cache=cache, columns=columns_shown(defs))
    used = mapping_file(Path(data), mapping)
    blocked = []
    for kpi_id, compiled in defs.compiled.items():
        sheet_name = compiled.definition.sheet
        sheet = dataset.sheets.get(sheet_name)
        if sheet is None:
            reason = f"{sheet_name}: {dataset.missing.get(sheet_name, 'sheet missing')}"
        elif absent := sorted(compiled.columns & sheet.missing_columns):
            reason = f"{sheet_name}: column {', '.join(absent)} missing"
        else:
            continue
        blocked.append({"kpi": kpi_id, "sheet": sheet_name, "reason": reason})
    return CheckResult(
        source=str(data),
        mapping=str(used) if used else None,
        sheets=sheet_infos(dataset),
        data_issues=list(dataset.issues),
        kpis_without_data=blocked,
    )


def columns_read(definitions: Definitions, kpis: list[str] | None = None) -> dict[str, set[str]]:
    """Sheet -> the columns the (chosen) KPIs read."""
    from .contract import SHEETS

    wanted: dict[str, set[str]] = {name: set() for name in SHEETS}
    for kpi_id, compiled in definitions.compiled.items():
        if not kpis or kpi_id in kpis:
            wanted[compiled.definition.sheet].update(compiled.columns)
    return wanted


def columns_shown(
    definitions: Definitions, kpis: list[str] | None = None, extra: Collection[str] = ()
) -> dict[str, set[str]]:
    """`columns_read` plus what a list of records shows: each sheet's key, the context
    columns (store, advisor ...), each KPI's period column, and `extra` (a --by column)."""
    from .contract import SHEETS
    from .drilldown import CONTEXT_COLUMNS

    wanted = columns_read(definitions, kpis)
    for kpi_id, compiled in definitions.compiled.items():
        if not kpis or kpi_id in kpis:
            wanted[compiled.definition.sheet].add(compiled.definition.period)
    for name, columns in wanted.items():
        key = SHEETS[name].key
        columns.update([*([key] if key else []), *CONTEXT_COLUMNS, *extra])
    return wanted


def compute(
    data: str | Path,
    *,
    month: str | None = None,
    start: str | None = None,
    end: str | None = None,
    definitions: str | Path | Definitions | None = None,
    mapping: str | Path | None = None,
    kpis: list[str] | None = None,
    today: date | None = None,
    store: str | None = None,
    cache: bool = True,
) -> ComputeResult:
    """Compute the KPIs of one period from a folder of record sheets.

    With `cache`, a question asked before of unchanged files, definitions and code is
    answered from the result cache, and a sheet unchanged since an earlier run is taken
    from the sheet cache (`sdkpi.result_cache`, `sdkpi.cache`).
    """
    period = parse_period(month, start, end)
    stored = _result_key(data, period, definitions, mapping, kpis, store, today) if cache else None
    if stored is not None:
        from . import result_cache

        directory, key = stored
        hit = result_cache.get(directory, key)
        if hit is not None:
            return hit
    _read_early(data, mapping, cache=cache)
    try:
        from .definitions import Definitions, load_definitions
        from .engine import Engine, evaluate_sheet

        defs = definitions if isinstance(definitions, Definitions) else load_definitions(definitions)
        if kpis:
            for kpi_id in kpis:
                defs.kpi(kpi_id)
        done: dict[str, KpiResult] = {}

        def evaluate(sheet: SheetData) -> None:  # as each sheet is loaded, while others load
            done.update(evaluate_sheet(defs, sheet, period, kpis, today))

        # the sheet cache's new entries are written while the engine computes; a sheet's KPIs
        # are evaluated as soon as it is loaded (not when one store is picked from a group)
        dataset = load_data(
            data,
            mapping,
            store=store,
            cache=cache,
            columns=columns_read(defs, kpis),
            write_behind=True,
            on_sheet=evaluate if store is None else None,
        )
        result = Engine(defs, dataset).compute(period, kpis, today, done=done)
    finally:
        from .cache import wait_for_writes
        from .loaders import typed_read

        typed_read.discard()
        wait_for_writes()
    result.store = store
    result.definitions = (
        str(definitions) if definitions and not isinstance(definitions, Definitions) else "default"
    )
    if stored is not None:
        from . import result_cache

        result_cache.put(*stored, result)
    return result


def _read_early(data: str | Path, mapping: str | Path | None, *, cache: bool) -> None:
    """Begin reading the biggest CSV files of a store's folder while pandas, pydantic and the
    definitions load (`loaders.typed_read.start`): not with a mapping file (which may change
    how a file is read), nor for a file whose sheet the sheet cache holds."""
    folder = Path(data)
    if not folder.is_dir() or mapping_file(folder, mapping) is not None:
        return
    from .cache import SheetCache
    from .loaders import typed_read

    sheet_cache = SheetCache.default() if cache else None
    typed_read.start(folder, cached=sheet_cache.holds if sheet_cache else lambda path: False)


def _result_key(
    data: str | Path,
    period: Period,
    definitions: object,
    mapping: str | Path | None,
    kpis: list[str] | None,
    store: str | None,
    today: date | None,
) -> tuple[Path, dict[str, object]] | None:
    """Where and under which key the result cache keeps this question (None: not cached)."""
    from . import result_cache
    from .cache import cache_dir, cache_disabled

    if cache_disabled() or not isinstance(definitions, (str, Path, type(None))):
        return None  # definitions given as an object: nothing on disk to key them on
    folder = Path(data)
    if not folder.exists():
        return None  # the loader reports it
    from .config import default_definitions_path

    defs_path = Path(definitions) if definitions is not None else default_definitions_path()
    key = result_cache.key(
        folder,
        period=period,
        definitions=defs_path,
        mapping=mapping_file(folder, mapping),
        kpis=list(kpis) if kpis else None,
        store=store,
        today=today or date.today(),
    )
    return None if key is None else (cache_dir(), key)
