"""Hostile and broken workbooks, built in code (each is a few kB on disk).

Every builder writes one file and returns its path. The workbooks start from a
small genuine openpyxl workbook (a `callbacks` sheet) whose parts are then replaced
or forged, so that only the hostile feature differs from a file that loads.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path

SHEET_PART = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADERS = ["callback_id", "ro_number", "due_at", "called_at", "result", "satisfied"]
ROWS = [["C1", "RO1", "2024-05-03 10:00", "2024-05-04 09:00", "reached", "是"]]


def genuine_parts(rows: list[list[object]] | None = None) -> dict[str, bytes]:
    """The parts of a small valid workbook holding a callbacks sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "callbacks"
    for row in [HEADERS, *(ROWS if rows is None else rows)]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_zip(path: Path, parts: Mapping[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def genuine(path: Path) -> Path:
    return write_zip(path, genuine_parts())


def _sheet_with_cell(text: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN_NS}"><sheetData>'
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>callback_id</t></is></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{text}</t></is></c></row>'
        f"</sheetData></worksheet>"
    ).encode()


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)


def billion_laughs(path: Path, part: str = SHEET_PART) -> Path:
    """Nine levels of ten entity references: 10**9 'lol's if a parser expands them."""
    parts = genuine_parts()
    if part == SHEET_PART:
        parts[part] = _sheet_with_cell("&lol9;", LAUGHS)
    else:  # the same declaration in front of another genuine part
        body = parts[part].split(b"?>", 1)[-1]
        parts[part] = b'<?xml version="1.0" encoding="UTF-8"?>' + LAUGHS.encode() + body
    return write_zip(path, parts)


def external_entity(path: Path, secret: Path) -> Path:
    """An entity that would pull a local file's content into a cell (XXE)."""
    parts = genuine_parts()
    prolog = f'<!DOCTYPE ws [<!ENTITY xxe SYSTEM "file://{secret.as_posix()}">]>'
    parts[SHEET_PART] = _sheet_with_cell("&xxe;", prolog)
    return write_zip(path, parts)


def hidden_doctype(path: Path, padding: int = 200_000) -> Path:
    """The DOCTYPE behind a long comment, where a quick look at the first bytes misses it."""
    parts = genuine_parts()
    prolog = "<!--" + "x" * padding + "-->" + LAUGHS
    parts[SHEET_PART] = _sheet_with_cell("&lol9;", prolog)
    return write_zip(path, parts)


def utf16_doctype(path: Path) -> Path:
    parts = genuine_parts()
    text = _sheet_with_cell("&lol9;", LAUGHS).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    parts[SHEET_PART] = text.encode("utf-16")
    return write_zip(path, parts)


def ratio_bomb(path: Path, megabytes: int = 20) -> Path:
    """A 20 MB sheet of blanks that deflates to ~20 kB (1000:1)."""
    parts = genuine_parts()
    xml = parts[SHEET_PART]
    cut = xml.index(b"<sheetData>")
    parts[SHEET_PART] = xml[:cut] + b" " * (megabytes << 20) + xml[cut:]
    return write_zip(path, parts)


def _forge_sizes(data: bytearray, member: str, size: int) -> None:
    """Rewrite the uncompressed size of `member` in its local header and central directory."""
    name = member.encode()
    local = 0
    while True:
        local = data.index(b"PK\x03\x04", local)
        name_len = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30 : local + 30 + name_len] == name:
            struct.pack_into("<I", data, local + 22, size)
            break
        local += 4
    central = data.index(b"PK\x01\x02")
    while True:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<I", data, central + 24, size)
            return
        central = data.index(b"PK\x01\x02", central + 4)


def declared_huge(path: Path) -> Path:
    """A tiny file whose zip directory claims a 4 GB sheet."""
    genuine(path)
    data = bytearray(path.read_bytes())
    _forge_sizes(data, SHEET_PART, 0xFFFF0000 - 1)
    path.write_bytes(bytes(data))
    return path


def lying_sizes(path: Path, megabytes: int = 8) -> Path:
    """A sheet that declares 1 kB but inflates to 8 MB (defeats checks that trust the directory)."""
    ratio_bomb(path, megabytes)
    data = bytearray(path.read_bytes())
    _forge_sizes(data, SHEET_PART, 1000)
    path.write_bytes(bytes(data))
    return path


def many_members(path: Path, count: int = 10_001) -> Path:
    parts = genuine_parts()
    parts.update({f"xl/media/pad{i}.bin": b"" for i in range(count)})
    return write_zip(path, parts, zipfile.ZIP_STORED)


def sheet_part_not_named_xml(path: Path) -> Path:
    """The worksheet part renamed (the rels point to it), entity bomb inside."""
    parts = genuine_parts()
    del parts[SHEET_PART]
    parts["xl/worksheets/sheet1.dat"] = _sheet_with_cell("&lol9;", LAUGHS)
    for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        parts[name] = parts[name].replace(b"worksheets/sheet1.xml", b"worksheets/sheet1.dat")
    return write_zip(path, parts)


def not_a_workbook_zip(path: Path) -> Path:
    return write_zip(path, {"readme.txt": b"just a zip"})


def truncated(path: Path) -> Path:
    genuine(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def csv_named_xlsx(path: Path) -> Path:
    path.write_text("callback_id,due_at\nC1,2024-05-03\n", encoding="utf-8")
    return path


def html_named_xlsx(path: Path) -> Path:
    path.write_text(
        "<html><body><table><tr><td>callback_id</td></tr><tr><td>C1</td></tr></table></body></html>",
        encoding="utf-8",
    )
    return path


def ole_xls(path: Path) -> Path:
    """The first bytes of an old binary .xls (OLE2 compound file)."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    return path


def xml_spreadsheet_2003(path: Path) -> Path:
    path.write_text(
        '<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
        encoding="utf-8",
    )
    return path


def undecodable_csv(path: Path) -> Path:
    """Bytes valid in no supported encoding (UTF-8, GB18030, UTF-16)."""
    path.write_bytes(b"callback_id,due_at\nC1,\x80\xff\xfe\x81\x30\n")
    return path


def wide_csv(path: Path, columns: int = 5_000) -> Path:
    """A small file with an absurd number of columns (each would be parsed on its own)."""
    header = ",".join(HEADERS + [f"extra{i}" for i in range(columns - len(HEADERS))])
    path.write_text(header + "\n" + ",".join(["1"] * columns) + "\n", encoding="utf-8")
    return path


def wide_workbook(path: Path, columns: int = 1_001) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "callbacks"
    sheet.append(HEADERS + [f"extra{i}" for i in range(columns - len(HEADERS))])
    sheet.append([*ROWS[0], *(["x"] * (columns - len(HEADERS)))])
    book.save(path)
    return path


def dense(path: Path, rows: int = 200, strings: int = 0) -> Path:
    """A sheet of `rows` full rows (the shape of a dense bomb within the size caps, small),
    and optionally a shared-strings part of `strings` entries."""
    parts = genuine_parts()
    header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADERS)
    value = '<c t="s"><v>0</v></c>' if strings else "<c><v>1</v></c>"
    body = f"<row>{value * len(HEADERS)}</row>" * rows
    parts[SHEET_PART] = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
        f"<row>{header}</row>{body}</sheetData></worksheet>"
    ).encode()
    if strings:
        entries = "<si><t>x</t></si>" * strings
        parts["xl/sharedStrings.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">{entries}</sst>'
        ).encode()
        rels = "xl/_rels/workbook.xml.rels"
        parts[rels] = parts[rels].replace(
            b"</Relationships>",
            b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/sharedStrings"/></Relationships>',
        )
    return write_zip(path, parts)
