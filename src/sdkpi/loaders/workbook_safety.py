"""A workbook is a zip of XML parts, and may be hostile: caps on members, sizes and
compression ratio (zip bombs), no DTD or entity declarations (billion laughs), a root element
within the first MB. `inspect_workbook` checks a file before any reader opens it and lists its
worksheets; `inflate` decompresses one member within a byte budget. The limits are module
constants here: a deployment or a test changes them on this module."""

from __future__ import annotations

import codecs
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml  # noqa: F401  (imported before openpyxl so that openpyxl parses through it)
import defusedxml.ElementTree as SafeET

from ..errors import InputError
from . import paths

#: Hostile-workbook caps (module constants so that a deployment or a test can change them).
MAX_ZIP_MEMBERS = 10_000
MAX_UNCOMPRESSED_BYTES = 1 << 30  # 1 GiB, summed over the members
MAX_COMPRESSION_RATIO = 200  # uncompressed / compressed, for members over RATIO_MIN_BYTES
RATIO_MIN_BYTES = 1 << 20
MAX_XML_PROLOG_BYTES = 1 << 20  # an XML part whose root element starts later than this is rejected

ZIP_MAGIC = b"PK\x03\x04"

DAMAGED_ZIP = (
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    KeyError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
)


@dataclass(frozen=True)
class Worksheet:
    name: str
    member: str | None  # zip member of the worksheet XML
    visible: bool


@dataclass
class WorkbookInfo:
    sheets: list[Worksheet]
    date1904: bool = False  # serial numbers count days from 1904-01-01 (old Mac Excel)

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]


def _bomb(path: Path, sheet: str | None, what: str) -> InputError:
    return InputError(
        f"rejected: {what} (a zip bomb?)",
        file=str(path),
        sheet=sheet,
        hint="if this is a genuine export, open it in Excel and save it again; otherwise do not use it",
    )


def inspect_workbook(path: Path, sheet: str | None) -> WorkbookInfo:
    """Check the zip directory and every XML prolog before any parsing; list the worksheets."""
    try:
        paths.open_data(path).close()  # a regular file (a FIFO named .xlsx must not block the zip reader)
    except OSError as err:
        raise InputError(f"cannot open the file: {err.strerror or err}", file=str(path), sheet=sheet) from err
    try:
        zf = zipfile.ZipFile(path)
    except DAMAGED_ZIP as err:
        raise InputError(
            f"not a readable .xlsx workbook: {err}",
            file=str(path),
            sheet=sheet,
            hint="the file is damaged or not an Excel workbook; open it in Excel and save as .xlsx",
        ) from err
    with zf, paths.open_data(path) as fh:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise _bomb(path, sheet, f"{len(infos)} zip members (limit {MAX_ZIP_MEMBERS})")
        declared = sum(i.file_size for i in infos)
        if declared > MAX_UNCOMPRESSED_BYTES:
            raise _bomb(path, sheet, f"{declared} bytes uncompressed (limit {MAX_UNCOMPRESSED_BYTES})")
        for info in infos:
            if info.flag_bits & 0x1:
                raise InputError(
                    "the workbook is encrypted",
                    file=str(path),
                    sheet=sheet,
                    hint="save it again in Excel without a password",
                )
            if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
                info.compress_size, 1
            ):
                raise _bomb(
                    path,
                    sheet,
                    f"member {info.filename} expands {info.file_size // max(info.compress_size, 1)}:1 "
                    f"(limit {MAX_COMPRESSION_RATIO}:1)",
                )
        for info in infos:
            if is_xml(info.filename):
                _check_prolog(fh, info, path, sheet)
        return _workbook_sheets(zf, path, sheet)


def is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def inflate(
    fh: Any, info: zipfile.ZipInfo, path: Path, sheet: str | None, limit: int, chunk: int = 1 << 20
) -> Iterator[bytes]:
    """The member's bytes, inflated by us: never more than `limit` bytes, whatever the zip claims."""
    fh.seek(info.header_offset)
    local = fh.read(30)
    if len(local) < 30 or local[:4] != ZIP_MAGIC:
        raise InputError(f"damaged workbook (member {info.filename})", file=str(path), sheet=sheet)
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    remaining = info.compress_size
    produced = 0
    if info.compress_type == zipfile.ZIP_STORED:
        inflater = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    else:
        raise InputError(
            f"unsupported compression in member {info.filename}",
            file=str(path),
            sheet=sheet,
            hint="open the workbook in Excel and save it again",
        )
    while remaining > 0:
        data = fh.read(min(chunk, remaining))
        if not data:
            break
        remaining -= len(data)
        while data:
            if inflater is None:
                out, data = data, b""
            else:
                try:
                    out = inflater.decompress(data, chunk)
                except zlib.error as err:
                    raise InputError(
                        f"damaged workbook (member {info.filename}: {err})", file=str(path), sheet=sheet
                    ) from err
                data = inflater.unconsumed_tail
            produced += len(out)
            if produced > limit or produced > info.file_size:
                raise _bomb(
                    path,
                    sheet,
                    f"member {info.filename} inflates to more than it declares or more than {limit} bytes",
                )
            if out:
                yield out
            if inflater is not None and inflater.eof:
                return


_XML_START = re.compile(rb"<[A-Za-z_]")
_ENTITY_DECL = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _check_prolog(fh: Any, info: zipfile.ZipInfo, path: Path, sheet: str | None) -> None:
    """Reject DOCTYPE/ENTITY declarations (billion laughs, external entities) before any parsing."""
    head = b""
    for chunk in inflate(fh, info, path, sheet, MAX_UNCOMPRESSED_BYTES, chunk=1 << 16):
        head += chunk
        probe = head
        if probe[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00", b"\x00<"):
            probe = probe.replace(b"\x00", b"")  # UTF-16 XML: the ASCII markup without its zero bytes
        if _ENTITY_DECL.search(probe):
            raise InputError(
                f"rejected: XML entity declarations (DOCTYPE/ENTITY in {info.filename})",
                file=str(path),
                sheet=sheet,
                hint="a workbook saved by Excel never holds these; the file may be crafted to attack "
                "the reader. Open and re-save it in Excel only if you trust its origin",
            )
        if _XML_START.search(_strip_prolog_items(probe)):
            return
        if len(head) > MAX_XML_PROLOG_BYTES:
            raise InputError(
                f"rejected: XML part {info.filename} has no root element within {MAX_XML_PROLOG_BYTES} bytes",
                file=str(path),
                sheet=sheet,
            )


_PROLOG_ITEMS = re.compile(rb"<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _strip_prolog_items(head: bytes) -> bytes:
    """The head without its complete processing instructions and comments (their '<' start no element)."""
    cut = head.rfind(b"<!--")
    if cut >= 0 and head.find(b"-->", cut) < 0:
        head = head[:cut]  # an unterminated comment: what follows is still the prolog
    return _PROLOG_ITEMS.sub(b"", head)


_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _workbook_sheets(zf: zipfile.ZipFile, path: Path, sheet: str | None) -> WorkbookInfo:
    names = set(zf.namelist())

    def parse(member: str) -> Any:
        try:
            return SafeET.fromstring(zf.read(member))
        except Exception as err:
            raise InputError(
                f"damaged workbook: {member} cannot be parsed ({err})",
                file=str(path),
                sheet=sheet,
                hint="open it in Excel and save it again",
            ) from err

    workbook = "xl/workbook.xml"
    if "_rels/.rels" in names:
        for rel in parse("_rels/.rels").iter(f"{{{_PKG_REL_NS}}}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook = rel.get("Target", workbook).lstrip("/")
    if workbook not in names:
        raise InputError(
            "not an Excel workbook (no workbook part in the zip)",
            file=str(path),
            sheet=sheet,
            hint="open it in Excel and save as .xlsx",
        )
    base = posixpath.dirname(workbook)
    rels_member = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
    targets: dict[str, str] = {}
    if rels_member in names:
        for rel in parse(rels_member).iter(f"{{{_PKG_REL_NS}}}Relationship"):
            target = rel.get("Target", "")
            member = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(base, target))
            )
            targets[rel.get("Id", "")] = member
    sheets = []
    date1904 = False
    for element in parse(workbook).iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "workbookPr":
            date1904 = element.get("date1904", "").lower() in ("1", "true")
        if tag != "sheet":
            continue
        rid = element.get(f"{{{_REL_NS}}}id", "")
        member = targets.get(rid)
        sheets.append(
            Worksheet(
                element.get("name", ""),
                member if member in names else None,
                element.get("state", "visible") == "visible",
            )
        )
    return WorkbookInfo(sheets, date1904)
