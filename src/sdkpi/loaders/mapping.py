"""The mapping file (`sdkpi-mapping.yaml`): what detection cannot know about an export.

Header detection, the contract's Chinese aliases and the value vocabulary read most
DMS exports as they are. What is left is the user's own: their header names, their
codes (工单类型 A/B/C), which row holds the header, the date order, what marks a
total row. The file says it per sheet::

    sheets:
      work_orders:                 # or the Chinese sheet name: 维修工单
        file: 工单明细.csv          # relative to the data folder
        header_row: 3              # as Excel shows it
        encoding: gb18030
        date_order: dmy            # 03/05/2024 is 3 May
        columns: {单据号: ro_number, 接车日期: opened_at}
        values:
          customer_type: {A: retail, B: warranty, C: internal}
          walkaround: {有: true, 无: false}
        total_markers: [合计, 本页小计]

It is safe-loaded (no YAML tags), validated with pydantic, and every mistake is a
`UsageError` (exit 2) naming the file, the line and the closest valid name.
"""

from __future__ import annotations

import codecs
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..contract import SHEETS, Column, Sheet, find_sheet
from ..errors import UsageError
from ..yaml_lines import LineDict, YamlProblem, line_of, load_yaml
from .readers import normalize_header
from .sheets import SheetOptions

MAX_MAPPING_BYTES = 1_000_000
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_TRUE = {"true", "1", "yes", "y", "是", "√"}
_FALSE = {"false", "0", "no", "n", "否", "×"}

Scalar = str | bool | int | float | None


class _SheetMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str | None = None
    worksheet: str | None = None
    header_row: int | None = Field(default=None, ge=1)
    encoding: str | None = None
    delimiter: str | None = None
    date_order: Literal["dmy", "mdy"] | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, Scalar]] = Field(default_factory=dict)
    total_markers: list[str] | None = None


class _MappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sheets: dict[str, _SheetMapping] = Field(default_factory=dict)


# --------------------------------------------------------------------------- loading


def load_mapping(path: str | Path) -> dict[str, SheetOptions]:
    """Read and validate a mapping file: canonical sheet name -> `SheetOptions`."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read the mapping file: {err.strerror or err}", file=str(file)) from None
    if len(raw) > MAX_MAPPING_BYTES:
        raise UsageError("mapping file is larger than 1 MB", file=str(file))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UsageError(
            f"the mapping file is not UTF-8 text (byte offset {err.start})",
            file=str(file),
            hint="save it as UTF-8",
        ) from None
    return parse_mapping(text, source=str(file))


def parse_mapping(text: str, source: str = "<mapping>") -> dict[str, SheetOptions]:
    data = _parse_yaml(text, source)
    if data is None:
        return {}
    if not isinstance(data, LineDict):
        raise UsageError("the mapping file must hold a mapping with 'sheets'", file=source, line=1)
    stray = [key for key in data if key != "sheets" and find_sheet(key) is not None]
    if stray:
        raise UsageError(
            f"{stray[0]!r} must sit under 'sheets:'",
            file=source,
            line=data.key_lines[stray[0]],
            hint="sheets:\n    " + stray[0] + ": ...",
        )
    try:
        model = _MappingFile.model_validate(data)
    except ValidationError as err:
        raise _validation_error(err, data, source) from None
    sheets_node = data.get("sheets")
    options: dict[str, SheetOptions] = {}
    for name, sheet_mapping in model.sheets.items():
        sheet = find_sheet(name)
        if sheet is None:
            raise UsageError(
                f"unknown sheet {name!r}{_did_you_mean(name, _sheet_names())}",
                file=source,
                line=line_of(sheets_node, name),
                hint=f"sheets: {', '.join(SHEETS)} (or their Chinese names)",
            )
        if sheet.name in options:
            raise UsageError(
                f"sheet {sheet.name!r} is given twice", file=source, line=line_of(sheets_node, name)
            )
        node = sheets_node[name] if isinstance(sheets_node, LineDict) else None
        options[sheet.name] = _sheet_options(sheet, sheet_mapping, node, source)
    return options


def _parse_yaml(text: str, source: str) -> Any:
    try:
        return load_yaml(text)
    except YamlProblem as problem:
        column = f"column {problem.column}" if problem.column else None
        raise UsageError(problem.message, file=source, line=problem.line, hint=column) from None


def _validation_error(err: ValidationError, data: LineDict, source: str) -> UsageError:
    first = err.errors()[0]
    loc = tuple(str(part) for part in first["loc"])
    where = ".".join(loc)
    more = f" (and {err.error_count() - 1} more problems)" if err.error_count() > 1 else ""
    message = f"{where}: {first['msg']}{more}"
    if first["type"] == "extra_forbidden":
        fields = list(_MappingFile.model_fields) if len(loc) == 1 else list(_SheetMapping.model_fields)
        message = f"{where}: unknown key{_did_you_mean(loc[-1], fields)}{more}"
    return UsageError(message, file=source, line=line_of(data, *loc))


# --------------------------------------------------------------------------- one sheet


def _sheet_options(sheet: Sheet, given: _SheetMapping, node: Any, source: str) -> SheetOptions:
    def fail(message: str, *path: str, hint: str | None = None) -> UsageError:
        return UsageError(message, file=source, sheet=sheet.name, line=line_of(node, *path), hint=hint)

    if given.encoding is not None:
        try:
            codecs.lookup(given.encoding)
        except LookupError:
            raise fail(
                f"unknown encoding {given.encoding!r}", "encoding", hint="utf-8, gb18030 or utf-16"
            ) from None
    delimiter = given.delimiter
    if delimiter is not None:
        delimiter = _DELIMITER_NAMES.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1:
            raise fail(
                f"delimiter must be one character, not {given.delimiter!r}", "delimiter", hint="',', tab, ';'"
            )
    columns = {}
    for header, target in given.columns.items():
        canonical = _column_name(sheet, target)
        if canonical is None:
            raise fail(
                f"columns: {header!r} is mapped to {target!r}, which is not a column of "
                f"{sheet.name}{_did_you_mean(target, _column_names(sheet))}",
                "columns",
                header,
                hint=f"columns of {sheet.name}: {', '.join(sheet.column_names)}",
            )
        columns[header] = canonical
    values = {}
    for name, value_map in given.values.items():
        canonical = _column_name(sheet, name) or _column_name(sheet, given.columns.get(name, ""))
        if canonical is None:
            raise fail(
                f"values: unknown column {name!r} of {sheet.name}{_did_you_mean(name, _column_names(sheet))}",
                "values",
                name,
            )
        column = sheet.column(canonical)
        assert column is not None
        values[canonical] = {key: _target(column, name, key, value, fail) for key, value in value_map.items()}
    if given.file and not _inside_data_folder(given.file):
        raise fail(
            f"file {given.file!r} is outside the data folder",
            "file",
            hint="name a file in the data folder (subfolders allowed, no '..', no absolute path): "
            "a mapping file that came with the data must not make sdkpi read other files",
        )
    markers = tuple(m for m in given.total_markers if m.strip()) if given.total_markers is not None else None
    return SheetOptions(
        file=given.file,
        worksheet=given.worksheet,
        header_row=given.header_row,
        encoding=given.encoding,
        delimiter=delimiter,
        date_order=given.date_order,
        columns=columns,
        values=values,
        total_markers=markers,
    )


def _inside_data_folder(name: str) -> bool:
    """A relative path without '..', on POSIX and Windows alike ('C:x', '\\\\server' are not)."""
    windows = PureWindowsPath(name)
    posix = PurePosixPath(name.replace("\\", "/"))
    return not (
        posix.is_absolute() or windows.drive or windows.root or ".." in posix.parts or name.startswith("~")
    )


def _target(column: Column, name: str, key: str, value: Scalar, fail: Any) -> str:
    """A value-map target as the value parser reads it; checked against the column type."""
    if value is None:
        return ""  # mapped to missing
    text = str(value).strip() if not isinstance(value, bool) else ("true" if value else "false")
    if column.type == "bool":
        folded = text.lower()
        if folded not in _TRUE | _FALSE:
            raise fail(
                f"values.{column.name}: {key!r} -> {value!r} is not yes/no ({column.name} is yes/no)",
                "values",
                name,
                key,
                hint="map to true or false",
            )
        return "true" if folded in _TRUE else "false"
    if column.type == "enum":
        for canonical, spellings in column.values.items():
            if text.lower() == canonical or text in spellings:
                return canonical
        accepted = list(column.values)
        raise fail(
            f"values.{column.name}: {key!r} -> {value!r} is not one of {', '.join(accepted)}"
            f"{_did_you_mean(text, accepted)}",
            "values",
            name,
            key,
        )
    return text


# --------------------------------------------------------------------------- names


def _column_name(sheet: Sheet, name: str) -> str | None:
    """The canonical column a name stands for: canonical, Chinese or an alias (after NFKC)."""
    wanted = normalize_header(name)
    if not wanted:
        return None
    for column in sheet.columns:
        if wanted in {normalize_header(n) for n in (column.name, column.zh, *column.aliases)}:
            return column.name
    return None


def _column_names(sheet: Sheet) -> list[str]:
    return [n for c in sheet.columns for n in (c.name, c.zh)]


def _sheet_names() -> list[str]:
    return [n for s in SHEETS.values() for n in (s.name, *s.file_names)]


def _did_you_mean(name: str, choices: list[str]) -> str:
    from ..evaluate import did_you_mean

    return did_you_mean(name, set(choices))
