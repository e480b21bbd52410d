"""The library API: what the CLI calls, usable without it.

from sdkpi import compute
result = compute("examples/store-demo", month="2024-05")
print(result.kpi("appointment_rate").value)
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Collection, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from . import speed
from .data_folders import load_months, load_one, load_store, mapping_file, named_files, say_layout
from .errors import InputError, UsageError
from .reasons import Reason
from .results import CheckResult, ComputeResult, KpiResult, Period

if TYPE_CHECKING:
    from .dataset import Dataset, SheetData
    from .definitions import Definitions
    from .issues import DataIssue
    from .loaders.group import Progress

# pandas, pydantic and the engine are imported where they are needed, not here: a re-run
# answered from the result cache (`sdkpi.speed.result_cache`) never needs them.


#: The dates a period may span: DMS exports hold nothing older, and pandas' timestamps end
#: in 2262 (a trend's months before, a KPI's settling days after stay inside them).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
#: Month words for scheduled runs (cron, Windows Task Scheduler): months back from today's.
MONTH_WORDS = {"last": 1, "this": 0}


def month_named(month: str, today: date | None = None) -> str:
    """`last` (the previous calendar month, by the machine's local date) and `this` as
    YYYY-MM; any other text as it is (`parse_period` checks it)."""
    back = MONTH_WORDS.get(month.strip().lower())
    if back is None:
        return month
    day = today or date.today()
    index = day.year * 12 + day.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_period(
    month: str | None = None, start: str | None = None, end: str | None = None, *, today: date | None = None
) -> Period:
    """`--month YYYY-MM` (or `last`, `this`: see `month_named`), or `--from` / `--to` dates
    (both inclusive), between 1900-01-01 and 2199-12-31."""
    if month and (start or end):
        raise UsageError("give either --month or --from/--to, not both")
    if month:
        month = month_named(month, today)
        try:
            year, number = month.split("-")
            if len(year) != 4 or not 1 <= int(number) <= 12:
                raise ValueError
            first = date(int(year), int(number), 1)
        except ValueError:
            raise UsageError(f"--month must look like 2024-05 (or be last or this), not {month!r}") from None
        _within(first, "--month", month)
        return Period.month(f"{first.year}-{first.month}")
    if start and end:
        first, last = _date(start, "--from"), _date(end, "--to")
        _within(first, "--from", start)
        _within(last, "--to", end)
        if last < first:
            raise UsageError(f"--to {end} is before --from {start}")
        return Period(first, last + timedelta(days=1))
    if start or end:
        given, missing = ("--from", "--to") if start else ("--to", "--from")
        raise UsageError(f"{given} needs {missing} too: --from 2024-05-01 --to 2024-05-31")
    raise UsageError("say which period: --month 2024-05, or --from 2024-05-01 --to 2024-05-31")


def _within(day: date, option: str, text: str) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UsageError(
            f"{option} {text} is outside the dates sdkpi reads "
            f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})"
        )


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
    fast: bool = True,
) -> Dataset:
    """Read a data folder (or workbook), using a mapping file if one is given or found.

    A folder of store folders (`DATA/<store>/<sheets>`) is read as a dealer group;
    `store` keeps only that store's rows of a group (see `sdkpi.loaders.group`).
    `cache`: reuse sheets parsed by an earlier run from unchanged files (`sdkpi.speed`'s
    sheet cache; also off with SDKPI_NO_CACHE=1). `columns`: sheet -> the columns the caller will
    read; other clean text columns may be left out of the frames (see `load_dataset`).
    `write_behind`: return before the sheet cache's new entries are written (they are
    written on a background thread); `sdkpi.speed.wait_for_writes()` waits for them.
    `on_sheet`: called with each sheet of one store's folder as soon as it is loaded, on
    its loading thread (not for a dealer group's, whose sheets are stacked afterwards).
    `fast`: read through the speed lane (`sdkpi.speed`: the sheet cache, clean CSV files
    read straight into typed columns); False: the reference path only, no cache either.
    """
    from .safety import require_defused_xml

    require_defused_xml()  # before a reader is imported: a clear error, never a plain XML parser
    from .loaders.discover import layout
    from .loaders.group import load_group, select_store

    folder = Path(data)
    found = layout(folder, named_files(mapping_file(folder, mapping)))
    lane = speed.lane(cache=cache, write_behind=write_behind) if fast else None
    if found.kind == "group":

        def one(sub: Path) -> Dataset:
            return load_store(sub, mapping, folder, lane=lane, columns=columns)

        dataset = load_group(folder, found.parts, one, progress)
    elif found.kind == "months":
        dataset = load_months(folder, found.parts, mapping, None, lane=lane, columns=columns)
    else:
        dataset = load_one(folder, mapping, lane=lane, columns=columns, on_sheet=on_sheet)
    say_layout(dataset, folder, found)
    if not dataset.sheets and all(reason == "sheet missing" for reason in dataset.missing.values()):
        unread = ", ".join(p.name + "/" for p in found.ignored)
        raise InputError(
            "no record sheets found",
            file=str(folder),
            hint="expected files such as work_orders.csv or 维修工单.xlsx; for exports named and headed as "
            f"another DMS writes them, `sdkpi map --data {shlex.quote(str(folder))}` drafts a mapping file"
            + (f"; sub-folders without sheet files, not read: {unread}" if unread else ""),
        )
    return select_store(dataset, store) if store else dataset


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
            why = dataset.missing.get(sheet_name, Reason("sheet_missing"))
            reason = Reason("sheet_reason", sheet=sheet_name, why=why)
        elif unsure := sorted(compiled.columns & set(sheet.column_reasons)):
            each = [Reason("columns_unsure", columns=c, why=sheet.column_reasons[c]) for c in unsure]
            reason = each[0] if len(each) == 1 else Reason("several", parts=each)  # as compute says it
        elif absent := sorted(compiled.columns & sheet.missing_columns):
            reason = Reason("check_columns_missing", sheet=sheet_name, columns=", ".join(absent))
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
            if compiled.definition.roster is not None:  # divides by the staff roster
                wanted["staff"].update(("name", "role", "from", "to", "fte"))
    return wanted


def columns_shown(
    definitions: Definitions, kpis: list[str] | None = None, extra: Collection[str] = ()
) -> dict[str, set[str]]:
    """`columns_read` plus what a list of records shows: each sheet's key, the context
    columns (store, advisor ...), each KPI's period column, and `extra` (a --by column)."""
    from .contract import CONTEXT_COLUMNS, SHEETS

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
    from the sheet cache (`sdkpi.speed`).
    """
    period = parse_period(month, start, end, today=today)  # `last`/`this` from `today` too
    stored = _result_key(data, period, definitions, mapping, kpis, store, today) if cache else None
    if stored is not None:
        directory, key = stored
        hit = speed.recall_result(directory, key)
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
        result.data_issues.extend(no_rows_issues(dataset, defs, period, result.kpis))
    finally:
        speed.settle()
    result.store = store
    result.definitions = (
        str(definitions) if definitions and not isinstance(definitions, Definitions) else "default"
    )
    if stored is not None:
        speed.keep_result(*stored, result)
    return result


NO_ROWS = "no_rows_in_period"


def no_rows_issues(
    dataset: Dataset, definitions: Definitions, period: Period, results: list[KpiResult]
) -> list[DataIssue]:
    """A data issue per sheet that holds no row dated in the period, saying which dates it does
    hold: an error when no sheet has any (24 x "no data" is then a wrong month or an old
    export, not a quiet month: exit 3), a warning when only some sheets have none.

    Looked at only for a sheet whose KPIs all have an empty denominator (no cost otherwise);
    the dates are those of the sheet's period columns (`opened_at` ...), as the engine reads them.
    """
    import numpy as np

    from .issues import DataIssue

    empty_kpis: dict[str, list[KpiResult]] = {}
    busy = set()
    for kpi in results:
        sheet = definitions.compiled[kpi.id].definition.sheet if kpi.id in definitions.compiled else None
        if sheet is None or sheet not in dataset.sheets:
            continue
        if kpi.denominator:
            busy.add(sheet)
        else:
            empty_kpis.setdefault(sheet, []).append(kpi)
    start, end = np.datetime64(period.start, "ns"), np.datetime64(period.end, "ns")
    found: list[tuple[str, list[str], str | None]] = []  # sheet, period columns, dates it holds
    for sheet, kpis in empty_kpis.items():
        if sheet in busy:
            continue
        data = dataset.sheets[sheet]
        columns = sorted(
            {definitions.compiled[k.id].definition.period for k in kpis} & set(data.frame.columns)
        )
        dated = [data.frame[c].to_numpy(dtype="datetime64[ns]") for c in columns]
        if any(((values >= start) & (values < end)).any() for values in dated):
            continue  # rows in the period, filtered out by the KPIs' own conditions
        known = [values[~np.isnat(values)] for values in dated]
        known = [values for values in known if len(values)]
        held = None
        if known:
            first = min(values.min() for values in known).astype("datetime64[D]")
            last = max(values.max() for values in known).astype("datetime64[D]")
            held = f"{first}..{last}"
        found.append((sheet, columns, held))
    loaded = {definitions.compiled[k.id].definition.sheet for k in results if k.id in definitions.compiled}
    everywhere = {sheet for sheet, _, _ in found} == (loaded & set(dataset.sheets)) and bool(found)
    issues = []
    for sheet, columns, held in found:
        data = dataset.sheets[sheet]
        holds = f"its dates run from {held.replace('..', ' to ')}" if held else "it holds no readable date"
        issues.append(
            DataIssue(
                severity="error" if everywhere else "warning",
                code=NO_ROWS,
                reason=f"{sheet}: no row dated in {period.label} ({', '.join(columns) or 'no date column'}); "
                f"{holds}",
                sheet=sheet,
                file=data.file,
                column=", ".join(columns) or None,
                value=held,
            )
        )
    return issues


def _read_early(data: str | Path, mapping: str | Path | None, *, cache: bool) -> None:
    """Begin reading the biggest CSV files of a store's folder while pandas, pydantic and the
    definitions load (`speed.read_early`): not with a mapping file (which may change
    how a file is read), nor for a file whose sheet the sheet cache holds."""
    folder = Path(data)
    if not folder.is_dir() or mapping_file(folder, mapping) is not None:
        return
    speed.read_early(folder, cache=cache)


def _result_key(
    data: str | Path,
    period: Period,
    definitions: object,
    mapping: str | Path | None,
    kpis: list[str] | None,
    store: str | None,
    today: date | None,
) -> tuple[Path, dict[str, object]] | None:
    """Where and under which key the result cache keeps this question (None: not cached).

    Definitions given as a file are keyed on its bytes; given as an object (a store's
    sdkpi.toml applied, `Definitions.for_store`), on `definitions_digest`."""
    if speed.cache_disabled():
        return None
    folder = Path(data)
    if not folder.exists():
        return None  # the loader reports it
    defs: Path | tuple[str, str]
    if isinstance(definitions, (str, Path, type(None))):
        from .config import default_definitions_path

        defs = Path(definitions) if definitions is not None else default_definitions_path()
    else:
        from .definitions import Definitions

        digest = definitions_digest(definitions) if isinstance(definitions, Definitions) else None
        if digest is None or not isinstance(definitions, Definitions):
            return None  # nothing it can be keyed on exactly: computed every time
        overrides = definitions.store_overrides
        defs = (f"<definitions object from {overrides.source if overrides else 'the caller'}>", digest)
    return speed.result_key(
        folder,
        period=period,
        definitions=defs,
        mapping=mapping_file(folder, mapping),
        kpis=list(kpis) if kpis else None,
        store=store,
        today=today or date.today(),
    )


def definitions_digest(definitions: Definitions) -> str | None:
    """A digest (sha256, hex) of everything in a definitions object that can change a result:
    its fields as loaded (stages, KPIs with their settings' defaults and targets, extra
    columns, currency) and the store's own (`store_overrides`: the config file, the store,
    its settings, its target rules with their sources, its currency). The same on every
    run and in every process for equal objects; None for what it cannot vouch for (a
    subclass, which may compute otherwise, or a value it does not know how to spell)."""
    import dataclasses
    import hashlib
    import json

    from .definitions import Definitions

    if type(definitions) is not Definitions or set(Definitions.__private_attributes__) != {"_store"}:
        return None  # a new private attribute may change a result: keyed when added here
    compiled = vars(definitions).get("compiled")  # compiled already: from the KPIs it holds now?
    if compiled is not None and (
        len(compiled) != len(definitions.kpis)
        or any(getattr(compiled.get(k.id), "definition", None) is not k for k in definitions.kpis)
    ):
        return None  # its list of KPIs was changed in place after it was compiled
    overrides = definitions.store_overrides
    whole = {
        "definitions": definitions.model_dump(),
        "store": dataclasses.asdict(overrides) if overrides is not None else None,
    }
    try:
        text = json.dumps(whole, sort_keys=True, ensure_ascii=False, default=_spelled)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _spelled(value: object) -> object:
    """A value JSON does not hold, spelled with its type (a date is not the text of one)."""
    import datetime as dt
    import json
    from enum import Enum

    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return {type(value).__name__: value.model_dump()}
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return {type(value).__name__: str(value)}
    if isinstance(value, Enum):
        return {type(value).__name__: value.value}
    if isinstance(value, (set, frozenset)):
        return {"set": sorted(json.dumps(v, sort_keys=True, default=_spelled) for v in value)}
    raise TypeError(f"{type(value).__name__} is not keyed")
