"""The read step, CSV text: decode the file's bytes (UTF-8 with or without BOM, GB18030,
UTF-16; never a latin-1 fallback), read the first records with Python's csv module, and
choose the delimiter. The body below the header is parsed in `csv_body`."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .locate import HEADER_SCAN_ROWS, detect_header, is_blank_record
from .sheet_source import Ctx

_HEAD_BYTES = 1 << 16
_DELIMITERS = (",", "\t", ";")
_HIGH_BYTES = bytes(range(0x80, 0x100))
#: what ends a line in a CSV file (the csv module's rule; Arrow and the line counts follow it)
LINE_BREAK = r"\r\n|\r|\n"
_EOL = re.compile(LINE_BREAK.encode())
#: how a CSV cell is quoted (Python's csv and Arrow's parser both read it so)
QUOTE = '"'

# a CSV field may legitimately be long (notes); Python's default limit is 128 KiB
csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))


@dataclass
class Text:
    buf: bytes  # UTF-8, BOM removed
    encoding: str  # as reported in RawSheet.encoding
    raw: bytes  # the file's bytes
    verified: bool  # the whole buffer is known to be valid UTF-8


@dataclass
class _Rec:
    line: int  # physical line where the record starts (1-based)
    end_line: int
    end: int  # byte offset in buf just after the record
    cells: list[str]


class NotUtf8(Exception):
    """The body was not valid UTF-8 although the head was."""


def decode(raw: bytes, ctx: Ctx) -> Text:
    forced = ctx.options.encoding
    if forced:
        try:
            name = codecs.lookup(forced).name
        except LookupError as err:
            raise ctx.error(
                f"unknown encoding {forced!r}", value=forced, hint="use utf-8, gb18030 or utf-16"
            ) from err
        if name in ("utf-8", "utf-8-sig"):
            if raw.startswith(codecs.BOM_UTF8):
                return Text(raw[3:], "utf-8-sig", raw, False)
            return Text(raw, "utf-8", raw, False)
        label = {"gbk": "gb18030", "gb2312": "gb18030", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}.get(
            name, name
        )
        return _transcode(raw, name, label, ctx)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _transcode(raw, "utf-16", "utf-16", ctx)
    if raw.startswith(codecs.BOM_UTF8):
        return decode_8bit(raw, ctx)
    utf16 = _utf16_without_bom(raw[:4096])
    if utf16:
        return _transcode(raw, utf16, "utf-16", ctx)
    return decode_8bit(raw, ctx)


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM: every other byte is zero in ASCII-heavy text."""
    if len(head) < 8 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _transcode(raw: bytes, codec: str, label: str, ctx: Ctx) -> Text:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as err:
        line = raw[: err.start].decode(codec, "replace").count("\n") + 1
        raise undecodable(raw, ctx, [(codec, err.start)], line=line) from err
    if text.startswith("\ufeff"):
        text = text[1:]
    return Text(text.encode("utf-8"), label, raw, True)


def decode_8bit(raw: bytes, ctx: Ctx, *, after_arrow: bool = False) -> Text:
    """Strict UTF-8 (BOM stripped), else GB18030; never a latin-1 fallback."""
    bom = 3 if raw.startswith(codecs.BOM_UTF8) else 0
    body = raw[bom:] if bom else raw
    if not after_arrow:
        head = body[:_HEAD_BYTES]
        if len(body) > _HEAD_BYTES:
            cut = head.rfind(b"\n")
            head = head[: cut + 1] if cut >= 0 else head
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            decoder.decode(head, final=len(body) <= _HEAD_BYTES)
            return Text(body, "utf-8-sig" if bom else "utf-8", raw, False)
        except UnicodeDecodeError:
            pass
    try:
        body.decode("utf-8")
        return Text(body, "utf-8-sig" if bom else "utf-8", raw, True)
    except UnicodeDecodeError as err:
        utf8_error = err.start
    prefix = body[:utf8_error]
    non_ascii = len(prefix) - len(prefix.translate(None, _HIGH_BYTES))
    if bom or non_ascii >= 16:
        # UTF-8 text up to there (a BOM, or Chinese that decoded fine): damaged, not GB18030
        raise undecodable(raw, ctx, [("UTF-8", utf8_error + bom)], damaged=True)
    try:
        text = body.decode("gb18030")
    except UnicodeDecodeError as err:
        raise undecodable(raw, ctx, [("UTF-8", utf8_error + bom), ("GB18030", err.start + bom)]) from err
    return Text(text.encode("utf-8"), "gb18030", raw, True)


def undecodable(
    raw: bytes, ctx: Ctx, failures: list[tuple[str, int]], *, damaged: bool = False, line: int = 0
) -> InputError:
    offset = min(o for _, o in failures)
    line = line or raw.count(b"\n", 0, offset) + 1
    tried = ", ".join(f"{name} fails at byte offset {o}" for name, o in failures)
    if damaged:
        message = (
            f"the file is UTF-8 text but the bytes at byte offset {offset} (line {line}) are not valid "
            "UTF-8: the file looks damaged"
        )
    else:
        message = f"undecodable bytes at byte offset {offset} (line {line}): {tried}"
    return ctx.error(
        message,
        row=line,
        value=raw[offset : offset + 8].hex(" "),
        hint="save the file again as 'CSV UTF-8' from Excel, or set encoding in the mapping file",
    )


def csv_reader(lines: Iterable[str], delimiter: str, *, strict: bool = False) -> Any:
    """Python's csv reader as every CSV read here uses it (a quote inside a quoted cell is doubled)."""
    return csv.reader(lines, delimiter=delimiter, quotechar=QUOTE, doublequote=True, strict=strict)


def _lines(buf: bytes, start: int, ends: list[int]) -> Iterator[str]:
    """Decoded lines of buf from start, each with its terminator; ends[i] = end offset of line i."""
    pos = start
    n = len(buf)
    while pos < n:
        m = _EOL.search(buf, pos)
        end = m.end() if m else n
        ends.append(end)
        yield buf[pos:end].decode("utf-8")
        pos = end


def head_records(buf: bytes, delimiter: str, want: int, want_line: int = 0) -> tuple[list[_Rec], bool]:
    """The first records of the file (up to `want` non-blank ones and past want_line); at EOF?"""
    ends: list[int] = []
    reader = csv_reader(_lines(buf, 0, ends), delimiter)
    records: list[_Rec] = []
    nonblank = 0
    prev = 0
    for cells in reader:
        rec = _Rec(prev + 1, reader.line_num, ends[reader.line_num - 1], cells)
        prev = reader.line_num
        records.append(rec)
        if not is_blank_record(cells):
            nonblank += 1
        if nonblank >= want and rec.end_line >= want_line:
            return records, rec.end >= len(buf)
    return records, True


def choose_delimiter(buf: bytes, ctx: Ctx, want: int, header_line: int, text: Text) -> tuple[str, list[_Rec]]:
    forced = ctx.options.delimiter
    if forced:
        delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}.get(forced.lower(), forced)
        return delimiter, head_records(buf, delimiter, want, header_line)[0]
    order = ("\t", ",", ";") if text.encoding == "utf-16" else _DELIMITERS
    best: tuple[tuple[int, int, int], str, list[_Rec]] | None = None
    for rank, delimiter in enumerate(order):
        records, _ = head_records(buf, delimiter, want, header_line)
        rows = [(r.line, r.cells) for r in records if not is_blank_record(r.cells)]
        _, matches = detect_header(rows, ctx, strict=False)
        widest = max((len(cells) for _, cells in rows[:HEADER_SCAN_ROWS]), default=0)
        score = (matches, widest, -rank)
        if best is None or score > best[0]:
            best = (score, delimiter, records)
    assert best is not None
    return best[1], best[2]
