"""The second level of the cache: a month's computed result, for a re-run on unchanged inputs.

`speed.sheet_cache` keeps parsed sheets, so a what-if run that changes the definitions
or one sheet re-reads only what changed. When nothing changed at all (a cron job
run twice, the same month rendered as JSON after the table, a report re-drawn),
this module hands back the result itself: no sheet is read, no KPI evaluated,
and not even pandas is imported.

An entry is valid for exactly what produced it:

- every file under the data folder, at any depth (a dealer group's store folders,
  a mapping naming `exports/2024/may/wo.csv`; for a workbook given as the data
  with a mapping file, every file of its folder): name, size, modification and
  change time (ns) and inode; a file added, removed, touched or replaced is a miss.
  A run reads data files inside the data folder only (`loaders.paths`), so these
  are every file a run can read. Over 10,000 files: not cached;
- the definitions file's bytes (a target edited is a miss), or for definitions
  given as an object (a store's sdkpi.toml applied: its settings, targets, targets
  file and currency) a digest of all that object holds (`api.definitions_digest`);
  and the mapping file's bytes;
- the period, the KPIs asked for, the store, today's date (which decides
  "provisional"), the sdkpi version and a fingerprint of its code.

Stored as JSON beside the parsed sheets (`sheet_cache.cache_dir`), one slot per
data folder and question, written by rename, behind a checksum of its bytes
(`sheet_cache.seal`): an entry damaged or edited by hand is a miss (and deleted),
and so is one whose numbers are not what the engine produces (a number that is not
finite, a status that its value and target do not give). Off with
``SDKPI_NO_CACHE=1`` or ``--no-cache``, like the sheet cache.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..issues import DataIssue
from ..results import ComputeResult, KpiResult, Period, SheetInfo, TargetSpec
from .sheet_cache import files_fingerprint, seal, unseal

FORMAT = 2
_MAX_FILES = 10_000  # a data folder is a few sheet files; a huge tree is not worth listing


@functools.cache
def package_fingerprint() -> str:
    """Size and mtime of every module and data file of sdkpi: a result is as good as the code."""
    root = Path(__file__).parents[1]
    return files_fingerprint(root, sorted([*root.rglob("*.py"), *root.rglob("*.yaml")]))


def _files(data: Path, *, folder_of_file: bool = False) -> list[list[Any]] | None:
    """Every file under the data folder, at any depth, with its `_stamp`; None: don't cache.

    Links to folders are not followed (a file read through one lies inside the data folder,
    where it is listed by its real path); a link to a file is stamped as its target.
    folder_of_file: a workbook given as the data is keyed on its whole folder (the files a
    mapping file names are read from there).
    """
    if data.is_file():
        if not folder_of_file:
            return [[str(data), *_stamp(data.stat())]]
        data = data.parent
    found: list[list[Any]] = []
    pending = [data]
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                    continue
                try:
                    stat = entry.stat()
                except OSError:  # a dangling link: what is there is the link itself
                    stat = entry.stat(follow_symlinks=False)
                found.append([entry.path, *_stamp(stat)])
                if len(found) > _MAX_FILES:
                    return None
    return sorted(found)


def _stamp(stat: os.stat_result) -> list[int]:
    """What changes when a file is rewritten: size, modification and change time (ns), inode
    (an editor that saves by renaming a new file over the old one changes the inode)."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _digest(path: Path | None) -> str | None:
    return None if path is None else hashlib.sha256(path.read_bytes()).hexdigest()


def key(
    data: str | Path,
    *,
    period: Period,
    definitions: Path | tuple[str, str],
    mapping: Path | None,
    kpis: list[str] | None,
    store: str | None,
    today: date,
) -> dict[str, Any] | None:
    """What a stored result is valid for; None when the inputs cannot be looked at.

    definitions: the definitions file (keyed on its bytes), or definitions given as an
    object: where they come from (which names the slot) and the digest of all they hold
    (`api.definitions_digest`)."""
    try:
        folder = Path(data).resolve()
        files = _files(folder, folder_of_file=mapping is not None)
        if files is None:
            return None
        return {
            "format": FORMAT,
            "sdkpi": __version__,
            "code": package_fingerprint(),
            "data": str(folder),
            "files": files,
            "definitions": (
                [str(definitions.resolve()), _digest(definitions)]
                if isinstance(definitions, Path)
                else list(definitions)
            ),
            "mapping": [str(mapping.resolve()), _digest(mapping)] if mapping else None,
            "period": period.to_dict(),
            "kpis": kpis,
            "store": store,
            "today": today.isoformat(),
        }
    except OSError:
        return None


def _path(directory: Path, key: dict[str, Any]) -> Path:
    """One slot per data folder and question: a newer answer replaces the older one."""
    slot = {k: key[k] for k in ("data", "definitions", "mapping", "period", "kpis", "store")}
    slot["definitions"] = slot["definitions"][0]
    slot["mapping"] = slot["mapping"][0] if slot["mapping"] else None
    digest = hashlib.sha256(json.dumps(slot, sort_keys=True).encode()).hexdigest()[:40]
    return directory / f"result-{digest}.json"


def get(directory: Path, key: dict[str, Any] | None) -> ComputeResult | None:
    """The stored answer to this question, or None (none, stale, damaged or edited)."""
    if key is None:
        return None
    path = _path(directory, key)
    try:
        entry = json.loads(unseal(path.read_bytes()).decode("utf-8"))
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None  # another version of the inputs: its slot is rewritten
        return _restore(entry["result"])
    except FileNotFoundError:
        return None
    except Exception:  # damaged, edited, torn or foreign: compute again (and drop it)
        with contextlib.suppress(OSError):
            path.unlink()
        return None


def put(directory: Path, key: dict[str, Any] | None, result: ComputeResult) -> bool:
    if key is None:
        return False
    from .sheet_cache import replace_file

    try:
        text = seal(json.dumps({"key": key, "result": _store(result)}, ensure_ascii=False).encode("utf-8"))
    except UnicodeEncodeError:  # a path not valid UTF-8 (Linux names are bytes): not cached
        return False
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        replace_file(_path(directory, key), lambda handle: handle.write(text))
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------- (de)serialisation


def _store(result: ComputeResult) -> dict[str, Any]:
    return {
        "period": result.period.to_dict(),
        "kpis": [_kpi_dict(k) for k in result.kpis],
        "data_issues": [asdict(i) for i in result.data_issues],
        "sheets": [asdict(s) for s in result.sheets],
        "source": result.source,
        "definitions": result.definitions,
        "store": result.store,
        "stage_order": result.stage_order,
    }


def _kpi_dict(kpi: KpiResult) -> dict[str, Any]:
    out = asdict(kpi)  # the target as its dataclass fields (not its report form, `to_dict`)
    out["provisional_until"] = kpi.provisional_until.isoformat() if kpi.provisional_until else None
    out["numerator_type"] = type(kpi.numerator).__name__  # 3 and 3.0 print differently
    out["denominator_type"] = type(kpi.denominator).__name__
    return out


def _number(value: Any, kind: str) -> float | int:
    number = int(value) if kind == "int" else float(value)
    if not math.isfinite(number):
        raise ValueError("a cached count or sum that is not finite")
    return number


def _check(kpi: KpiResult) -> KpiResult:
    """A restored KPI as the engine makes one: finite numbers, and "met"/"missed" only
    where its value and target give that status; ValueError otherwise."""
    if kpi.value is not None and not math.isfinite(kpi.value):
        raise ValueError(f"cached value of {kpi.id} is not finite")
    if kpi.status in ("met", "missed"):
        if kpi.value is None or kpi.target is None:
            raise ValueError(f"cached {kpi.id} has a status without a value and a target")
        if ("met" if kpi.target.is_met(kpi.value) else "missed") != kpi.status:
            raise ValueError(f"cached status of {kpi.id} does not follow from its value")
    return kpi


def _restore(stored: dict[str, Any]) -> ComputeResult:
    kpis = []
    for raw in stored["kpis"]:
        fields = dict(raw)
        fields["target"] = TargetSpec(**raw["target"]) if raw["target"] else None
        fields["provisional_until"] = (
            date.fromisoformat(raw["provisional_until"]) if raw["provisional_until"] else None
        )
        fields["numerator"] = _number(raw["numerator"], fields.pop("numerator_type"))
        fields["denominator"] = _number(raw["denominator"], fields.pop("denominator_type"))
        kpis.append(_check(KpiResult(**fields)))
    period = stored["period"]
    return ComputeResult(
        period=Period(date.fromisoformat(period["start"]), date.fromisoformat(period["end"])),
        kpis=kpis,
        data_issues=[DataIssue(**i) for i in stored["data_issues"]],
        sheets=[SheetInfo(**s) for s in stored["sheets"]],
        source=stored["source"],
        generated_at=datetime.now(),
        definitions=stored["definitions"],
        store=stored["store"],
        stage_order=list(stored["stage_order"]),
    )
