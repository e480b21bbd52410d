"""The second level of the cache: a month's computed result, for a re-run on unchanged inputs.

`sdkpi.cache` keeps parsed sheets, so a what-if run that changes the definitions
or one sheet re-reads only what changed. When nothing changed at all (a cron job
run twice, the same month rendered as JSON after the table, a report re-drawn),
this module hands back the result itself: no sheet is read, no KPI evaluated,
and not even pandas is imported.

An entry is valid for exactly what produced it:

- every file under the data folder (two levels, for a dealer group's store
  folders): name, size, modification and change time (ns) and inode; a file
  added, removed, touched or replaced is a miss;
- the definitions file's bytes (a target edited is a miss) and the mapping
  file's bytes;
- the period, the KPIs asked for, the store, today's date (which decides
  "provisional"), the sdkpi version and a fingerprint of its code.

Stored as JSON beside the parsed sheets (`sdkpi.cache.cache_dir`), one slot per
data folder and question, written by rename; anything unexpected in an entry is
a miss. Off with ``SDKPI_NO_CACHE=1`` or ``--no-cache``, like the sheet cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import __version__
from .cache import files_fingerprint
from .issues import DataIssue
from .results import ComputeResult, KpiResult, Period, SheetInfo, TargetSpec

FORMAT = 1
_MAX_FILES = 10_000  # a data folder is a few sheet files; a huge tree is not worth listing


@functools.cache
def package_fingerprint() -> str:
    """Size and mtime of every module and data file of sdkpi: a result is as good as the code."""
    root = Path(__file__).parent
    return files_fingerprint(root, sorted([*root.rglob("*.py"), *root.rglob("*.yaml")]))


def _files(data: Path) -> list[list[Any]] | None:
    """Every file under the data folder, two levels deep, with size and mtime; None: don't cache."""
    if data.is_file():
        return [[str(data.resolve()), *_stamp(data.stat())]]
    found: list[list[Any]] = []
    pending = [(data, 0)]
    while pending:
        folder, depth = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir():
                    if depth < 1:
                        pending.append((Path(entry.path), depth + 1))
                    continue
                found.append([entry.path, *_stamp(entry.stat())])
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
    definitions: Path,
    mapping: Path | None,
    kpis: list[str] | None,
    store: str | None,
    today: date,
) -> dict[str, Any] | None:
    """What a stored result is valid for; None when the inputs cannot be looked at."""
    try:
        folder = Path(data).resolve()
        files = _files(folder)
        if files is None:
            return None
        return {
            "format": FORMAT,
            "sdkpi": __version__,
            "code": package_fingerprint(),
            "data": str(folder),
            "files": files,
            "definitions": [str(definitions.resolve()), _digest(definitions)],
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
    if key is None:
        return None
    try:
        entry = json.loads(_path(directory, key).read_text(encoding="utf-8"))
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        return _restore(entry["result"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # torn, foreign or from another version: compute again


def put(directory: Path, key: dict[str, Any] | None, result: ComputeResult) -> bool:
    if key is None:
        return False
    from .cache import _replace

    text = json.dumps({"key": key, "result": _store(result)}, ensure_ascii=False).encode("utf-8")
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        _replace(_path(directory, key), lambda handle: handle.write(text))
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
    out = asdict(kpi)
    out["target"] = kpi.target.to_dict() if kpi.target else None
    out["provisional_until"] = kpi.provisional_until.isoformat() if kpi.provisional_until else None
    out["numerator_type"] = type(kpi.numerator).__name__  # 3 and 3.0 print differently
    out["denominator_type"] = type(kpi.denominator).__name__
    return out


def _number(value: Any, kind: str) -> float | int:
    return int(value) if kind == "int" else float(value)


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
        kpis.append(KpiResult(**fields))
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
