"""How the sheet cache holds a parsed sheet on disk: an Arrow IPC table (typed columns, row
numbers, bad-cell masks) and the sidecar's description of it (`to_arrow`), written with its
checksum (`write_table`), read back only once its bytes match and Arrow validates it
(`read_table`), and rebuilt column by column against what the sidecar promises (`restore`).
See `sheet_cache` for what is checked in which order."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..issues import DataIssue

if TYPE_CHECKING:
    import pandas as pd

    from ..dataset import SheetData

FORMAT = 6


def checksum(data: Any) -> str:
    """XXH3-128 of bytes or any buffer (a memory-mapped Arrow file).

    A checksum against damage and hand edits, not a signature (whoever can write the cache
    folder could recompute any digest): so the fastest good one. Measured on the busy 2-core
    VM over 200 MB: BLAKE2b ~190 MB/s, SHA-256 ~400 MB/s, XXH3-128 ~2.6-4.8 GB/s; a what-if
    re-run at 1M work orders hashes ~180 MB of entries."""
    import xxhash

    return xxhash.xxh3_128_hexdigest(data)


_META_FIELDS = ("name", "file", "worksheet", "file_format", "encoding", "header_row", "rows_in_file")
_ISSUE_FIELDS = tuple(f.name for f in dataclasses.fields(DataIssue))


def to_arrow(data: SheetData, issues: list[DataIssue]) -> tuple[Any, dict[str, Any]]:
    import numpy as np
    import pyarrow as pa

    arrays: dict[str, Any] = {}
    columns: list[list[str]] = []
    categories: dict[str, list[str]] = {}
    for i, (name, series) in enumerate(data.frame.items()):
        kind = _kind(series)
        columns.append([str(name), kind])
        if kind == "bool":  # a byte per value and per mask, as pandas holds them: no copy either way
            values, empty = _bool_bytes(series.array)
            arrays[f"c{i}"] = pa.array(values.view(np.uint8))
            arrays[f"m{i}"] = pa.array(empty.view(np.uint8))
        elif kind == "text":
            arrays[f"c{i}"] = pa.array(series.to_numpy(dtype=object), type=pa.string())
        elif kind == "category":  # the codes as pandas holds them (-1: empty), the values in the sidecar
            arrays[f"c{i}"] = pa.array(np.asarray(series.array.codes))
            categories[str(i)] = [str(value) for value in series.array.categories]
        elif kind == "arrow_text":  # already Arrow strings (in one piece: see columns.arrow_text)
            text = series.array.__arrow_array__()
            arrays[f"c{i}"] = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
        elif kind == "datetime":  # int64 ns with NaT as its value: read back without a copy
            arrays[f"c{i}"] = pa.array(series.to_numpy().view(np.int64))
        else:
            arrays[f"c{i}"] = pa.array(series.to_numpy())
    numbers = np.asarray(data.row_numbers)
    if numbers.dtype != np.int32:
        numbers = numbers.astype(np.int64)
    first = int(numbers[0]) if len(numbers) else 2
    if len(numbers) and numbers[-1] - first == len(numbers) - 1 and (np.diff(numbers) == 1).all():
        counted = {"first": first, "type": str(numbers.dtype)}  # every row kept: nothing to store
    else:
        arrays["row_numbers"] = pa.array(numbers)
        counted = None
    bad = sorted(data.bad)
    for i, name in enumerate(bad):
        arrays[f"b{i}"] = pa.array(np.asarray(data.bad[name], dtype=bool))
    meta = {
        "format": FORMAT,
        "rows": len(data.frame),
        "sheet": {field: getattr(data, field) for field in _META_FIELDS},
        "header_map": data.header_map,
        "missing_columns": sorted(data.missing_columns),
        "columns": columns,
        "categories": categories,
        "bad": bad,
        "row_range": counted,
        "issues": [[getattr(issue, f) for f in _ISSUE_FIELDS] for issue in issues],
    }
    return pa.table(arrays), meta


def _bool_bytes(array: Any) -> tuple[Any, Any]:
    """A BooleanArray's value and mask bytes: its own two numpy arrays (no copy), else copies."""
    import numpy as np

    values, empty = getattr(array, "_data", None), getattr(array, "_mask", None)
    if (
        isinstance(values, np.ndarray)
        and isinstance(empty, np.ndarray)
        and values.dtype == empty.dtype == bool
    ):
        return values, empty
    return array.to_numpy(dtype=bool, na_value=False), np.asarray(array.isna(), dtype=bool)


def _kind(series: pd.Series) -> str:
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.BooleanDtype):
        return "bool"
    from ..columns import ARROW_TEXT

    if dtype == ARROW_TEXT:
        return "arrow_text"
    if isinstance(dtype, pd.CategoricalDtype) and not dtype.ordered:
        return "category"
    if dtype == np.float64:
        return "number"
    if dtype == np.dtype("datetime64[ns]"):
        return "datetime"
    if dtype == np.dtype(object):
        return "text"
    raise TypeError(f"no cache format for dtype {dtype}")


class _Hashing:
    """A file being written that hashes what goes through it (the entry's checksum costs no
    second pass over the bytes)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        import xxhash

        self.hash = xxhash.xxh3_128()
        self.closed = False

    def write(self, data: Any) -> int:
        self.hash.update(data)
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()

    def close(self) -> None:
        self.closed = True  # the real handle is closed by `replace_file`


def write_table(handle: IO[bytes], table: Any) -> str:
    """Write the table as an Arrow IPC file; its checksum (`checksum` of the file's bytes)."""
    import pyarrow as pa

    sink = _Hashing(handle)
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.hash.hexdigest()


def read_table(path: Path, digest: str) -> Any:
    """The table of an entry, once its bytes match their checksum and Arrow's full
    validation holds; ValueError (or pyarrow's error) otherwise."""
    import pyarrow as pa

    # Memory-mapped: numbers, datetimes and Arrow text are used in place, nothing is copied
    # to the heap. (A read would put the whole record batch in one heap buffer that any
    # column used in place keeps alive, converted columns included.) Entries are replaced by
    # rename, never rewritten in place, so a mapped file does not change under us; the bytes
    # hashed are the bytes parsed.
    with pa.memory_map(str(path), "r") as source:
        buffer = source.read_buffer()
    if checksum(buffer) != digest:
        raise ValueError("cached table does not match its checksum")
    table = pa.ipc.open_file(buffer).read_all()
    table.validate(full=True)  # offsets, lengths, UTF-8: before any value is read
    return table


_ARROW_TYPES = {
    "bool": ("uint8",),
    "number": ("double",),
    "datetime": ("int64",),
    "text": ("string",),
    "arrow_text": ("large_string",),
    "category": ("int8", "int16", "int32"),
}


def restore(meta: dict[str, Any], table: Any) -> tuple[SheetData, list[DataIssue]]:
    """Rebuild the sheet, checking every column against what the sidecar promises."""
    import numpy as np
    import pandas as pd

    from ..dataset import SheetData

    entry = (table.schema.metadata or {}).get(b"sdkpi-entry", b"").decode()
    if not entry or entry != meta.get("entry"):
        raise ValueError("cache table and sidecar come from different writes")
    if meta["format"] != FORMAT or table.num_rows != int(meta["rows"]):
        raise ValueError("cache entry does not match its sidecar")
    frame_columns: dict[str, Any] = {}
    for i, (name, kind) in enumerate(meta["columns"]):
        column = table.column(f"c{i}")
        if str(column.type) not in _ARROW_TYPES[kind]:
            raise ValueError(f"cached column {name!r} is {column.type}, not {kind}")
        if kind == "bool":
            mask = table.column(f"m{i}")
            if str(mask.type) != "uint8":
                raise ValueError(f"cached mask of {name!r} is {mask.type}")
            frame_columns[str(name)] = _booleans(column, mask)
        elif kind == "category":
            frame_columns[str(name)] = _categories(column, meta["categories"][str(i)])
        else:
            frame_columns[str(name)] = _series(column, kind)
    from ..columns import frame_of

    frame = frame_of(frame_columns, table.num_rows)
    frame.index = pd.RangeIndex(table.num_rows)
    counted = meta["row_range"]
    if counted is not None:  # consecutive rows: numbered again, not stored
        if counted["type"] not in ("int64", "int32"):
            raise ValueError("cached row numbers are not integers")
        first = int(counted["first"])
        row_numbers = np.arange(first, first + table.num_rows, dtype=counted["type"])
    else:
        stored = table.column("row_numbers")
        if str(stored.type) not in ("int64", "int32"):
            raise ValueError("cached row numbers are not integers")
        row_numbers = stored.to_numpy()
    bad = {}
    for i, name in enumerate(meta["bad"]):
        mask = table.column(f"b{i}")
        if str(mask.type) != "bool":
            raise ValueError("cached bad-cell mask is not boolean")
        bad[str(name)] = mask.to_numpy()
    sheet = meta["sheet"]
    data = SheetData(
        name=str(sheet["name"]),
        frame=frame,
        row_numbers=row_numbers,
        bad=bad,
        missing_columns={str(c) for c in meta["missing_columns"]},
        header_map={str(k): str(v) for k, v in dict(meta["header_map"]).items()},
        **{field: sheet[field] for field in _META_FIELDS if field != "name"},
    )
    if any(len(issue) != len(_ISSUE_FIELDS) for issue in meta["issues"]):
        raise ValueError("malformed cached data issue")
    return data, [DataIssue(*issue) for issue in meta["issues"]]


def _booleans(column: Any, mask: Any) -> pd.Series:
    import numpy as np
    import pandas as pd

    values = column.to_numpy().view(np.bool_)  # in place in the memory-mapped file
    empty = mask.to_numpy().view(np.bool_)
    if (values.view(np.uint8) > 1).any() or (empty.view(np.uint8) > 1).any():
        raise ValueError("cached booleans are not 0 or 1")
    return pd.Series(pd.arrays.BooleanArray(values, empty, copy=False), copy=False)


def _categories(column: Any, values: list[str]) -> pd.Series:
    import pandas as pd

    codes = column.to_numpy()  # in place in the memory-mapped file
    categories = pd.Index([str(v) for v in values], dtype=object)
    if not categories.is_unique or (len(codes) and (codes.min() < -1 or codes.max() >= len(categories))):
        raise ValueError("cached category codes do not fit their values")
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), copy=False)


def _series(column: Any, kind: str) -> pd.Series:
    import pandas as pd

    if kind == "text":
        from ..columns import arrow_strings

        return pd.Series(arrow_strings(column), dtype=object, copy=False)
    if kind == "arrow_text":
        from ..columns import arrow_text

        return arrow_text(column)
    # copy=False: pandas 3 copies a numpy array handed to Series() unless told not to
    if kind == "datetime":
        return pd.Series(column.to_numpy().view("datetime64[ns]"), copy=False)
    return pd.Series(column.to_numpy(), copy=False)
