"""Hostile files in, inert files out (bad-input.md "Hostile files and outputs").

In: every hostile or mislabelled workbook (tests/hostile/workbooks.py) put in a
store folder ends in a clean, documented error for its sheet, found before any
XML is parsed; the other sheets are still computed. Out: text from the data that
looks like a formula or markup comes out of the Excel report, the HTML report and
the CSV record list as inert text.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import zipfile
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE
from hostile import workbooks
from sdkpi.cli import app
from sdkpi.errors import EXIT_INPUT, EXIT_OK, InputError
from sdkpi.loaders import workbook
from sdkpi.safety import require_defused_xml

MAY = ["--month", "2024-05"]
SECRET = "SECRET-TOKEN-4f9a"


@pytest.fixture(autouse=True)
def _no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def store_with(tmp_path: Path, name: str, build: Callable[[Path], Any]) -> Path:
    """store-a with its callbacks sheet replaced by the file `build` writes."""
    folder = tmp_path / "store"
    shutil.copytree(CONFORMANCE / "store-a", folder)
    (folder / "callbacks.csv").unlink()
    build(folder / name)
    return folder


# --------------------------------------------------------------------------- watchers

_opened: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], str):
        _opened.append(args[0])


sys.addaudithook(_audit)  # permanent, but records only while a test arms it


@pytest.fixture
def secret(tmp_path: Path) -> Iterator[Path]:
    """A local file an external entity points at; it must never be opened."""
    global _opened
    file = tmp_path / "secret.txt"
    file.write_text(SECRET, encoding="utf-8")
    _opened = []
    try:
        yield file
    finally:
        opened, _opened = _opened, None
    assert str(file) not in opened, "an external entity was resolved"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every workbook handed to an XML/grid parser (calamine or openpyxl)."""
    calls: list[str] = []
    for name in ("_grid_calamine", "_grid_openpyxl"):
        real = getattr(workbook, name)

        def spy(path: Path, *args: Any, _real: Any = real, **kw: Any) -> Any:
            calls.append(Path(path).name)
            return _real(path, *args, **kw)

        monkeypatch.setattr(workbook, name, spy)
    return calls


# --------------------------------------------------------------------------- hostile workbooks

REJECTED_BEFORE_PARSING = {
    "billion laughs in the sheet": (workbooks.billion_laughs, "entity declarations"),
    "billion laughs in workbook.xml": (
        lambda p: workbooks.billion_laughs(p, "xl/workbook.xml"),
        "entity declarations (doctype/entity in xl/workbook.xml)",
    ),
    "billion laughs in [Content_Types].xml": (
        lambda p: workbooks.billion_laughs(p, "[Content_Types].xml"),
        "entity declarations",
    ),
    "DOCTYPE behind a 200 kB comment": (workbooks.hidden_doctype, "entity declarations"),
    "DOCTYPE in UTF-16 XML": (workbooks.utf16_doctype, "entity declarations"),
    "zip bomb: ratio 1000:1": (workbooks.ratio_bomb, "expands 1002:1 (limit 200:1)"),
    "zip bomb: 4 GB declared": (workbooks.declared_huge, "bytes uncompressed (limit 1073741824)"),
    "zip bomb: sizes that lie": (workbooks.lying_sizes, "inflates to more than it declares"),
    "zip bomb: 10001 members": (workbooks.many_members, "zip members (limit 10000)"),
    "truncated workbook": (workbooks.truncated, "not a readable .xlsx"),
    "a zip that is no workbook": (workbooks.not_a_workbook_zip, "no workbook part"),
}


@pytest.mark.parametrize(
    ("build", "message"), REJECTED_BEFORE_PARSING.values(), ids=REJECTED_BEFORE_PARSING.keys()
)
def test_hostile_workbook_is_rejected_before_any_parsing(
    tmp_path: Path, build: Callable[[Path], Any], message: str, parsed: list[str]
) -> None:
    folder = store_with(tmp_path, "callbacks.xlsx", build)
    code, out, err = run("compute", "--data", folder, *MAY, "--format", "json")
    assert code == EXIT_INPUT
    result = json.loads(out)
    errors = [i for i in result["data_issues"] if i["severity"] == "error"]
    assert [(e["sheet"], e["code"]) for e in errors] == [("callbacks", "unreadable")]
    assert message in errors[0]["reason"].lower()
    assert errors[0]["file"].endswith("callbacks.xlsx")
    assert parsed == [], "the checks must run before the workbook reaches an XML parser"
    statuses = {k["id"]: k["status"] for k in result["kpis"]}
    assert statuses["callback_rate"] == "no_data" and statuses["appointment_rate"] in ("met", "missed")
    assert "unreadable" in err


@pytest.mark.parametrize(
    ("build", "name", "columns"),
    [(workbooks.wide_csv, "callbacks.csv", 5000), (workbooks.wide_workbook, "callbacks.xlsx", 1001)],
    ids=["csv", "xlsx"],
)
def test_absurdly_wide_sheets_are_refused_before_typing_each_column(
    tmp_path: Path, build: Callable[[Path], Any], name: str, columns: int
) -> None:
    """100 000 columns in a 1 MB CSV took ~50 s to parse column by column; now refused at once."""
    folder = store_with(tmp_path, name, build)
    code, out, _ = run("compute", "--data", folder, *MAY, "--format", "json")
    assert code == EXIT_INPUT
    [error] = [i for i in json.loads(out)["data_issues"] if i["severity"] == "error"]
    assert f"{columns} columns (limit 1000)" in error["reason"]


@pytest.mark.parametrize(
    ("build", "name", "message"),
    [
        (workbooks.billion_laughs, "callbacks.xlsx", "entity declarations"),
        (workbooks.ratio_bomb, "callbacks.xlsx", "zip bomb"),
        (workbooks.lying_sizes, "callbacks.xlsx", "inflates to more than it declares"),
        (workbooks.html_named_xlsx, "callbacks.xlsx", "html page"),
        (workbooks.wide_csv, "callbacks.csv", "columns (limit 1000)"),
        (workbooks.undecodable_csv, "callbacks.csv", "byte offset"),
    ],
    ids=["billion laughs", "zip bomb", "lying sizes", "html as xlsx", "wide csv", "undecodable csv"],
)
def test_check_reports_the_hostile_sheet(
    tmp_path: Path, build: Callable[[Path], Any], name: str, message: str, parsed: list[str]
) -> None:
    folder = store_with(tmp_path, name, build)
    code, out, _ = run("check", "--data", folder, "--format", "json")
    assert code == EXIT_INPUT
    report = json.loads(out)
    assert report["ok"] is False and report["summary"]["error"] == 1
    sheets = {s["sheet"]: s for s in report["sheets"]}
    assert sheets["callbacks"]["status"] != "ok" and message in sheets["callbacks"]["reason"].lower()
    others = (s for n, s in sheets.items() if n not in ("callbacks", "staff"))  # staff: optional roster
    assert all(s["status"] == "ok" for s in others)
    assert {k["kpi"] for k in report["kpis_without_data"]} == {"callback_rate", "satisfaction_rate"}
    assert parsed == []


@pytest.mark.parametrize("shared", [False, True], ids=["cells", "shared strings"])
def test_too_many_cells_are_refused_before_parsing(
    tmp_path: Path, shared: bool, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 5 MB workbook within the size and ratio caps can hold ~60M cells (~1 kB of memory each
    once read); the cells are counted while the XML is inflated. Limit lowered to stay small."""
    monkeypatch.setattr(workbook, "MAX_CELLS", 1_000)
    shape = (10, 2_000) if shared else (200, 0)  # 60 cells and 2000 strings, or 1200 cells
    folder = store_with(tmp_path, "callbacks.xlsx", lambda p: workbooks.dense(p, *shape))
    code, out, _ = run("compute", "--data", folder, *MAY, "--format", "json")
    assert code == EXIT_INPUT
    [error] = [i for i in json.loads(out)["data_issues"] if i["severity"] == "error"]
    what = "shared strings" if shared else "cells"
    assert f"holds more than 1000 {what}: too large to read safely" in error["reason"]
    assert parsed == []


def test_a_sheet_under_the_cell_limit_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook, "MAX_CELLS", 1_206)  # 200 x 6 cells + the header row
    folder = store_with(tmp_path, "callbacks.xlsx", lambda p: workbooks.dense(p, 200))
    _, out, _ = run("check", "--data", folder, "--format", "json")
    sheets = {s["sheet"]: s for s in json.loads(out)["sheets"]}
    assert sheets["callbacks"]["status"] == "ok" and sheets["callbacks"]["rows_read"] == 200, out[:300]


def test_the_genuine_workbook_the_hostile_ones_start_from_loads(tmp_path: Path, parsed: list[str]) -> None:
    folder = store_with(tmp_path, "callbacks.xlsx", workbooks.genuine)
    code, out, _ = run("compute", "--data", folder, *MAY, "--format", "json")
    assert code == EXIT_OK, out
    assert parsed == ["callbacks.xlsx"]
    assert json.loads(out)["data_issues"] == []


def test_external_entity_is_never_resolved(tmp_path: Path, secret: Path) -> None:
    folder = store_with(tmp_path, "callbacks.xlsx", lambda p: workbooks.external_entity(p, secret))
    code, out, err = run("compute", "--data", folder, *MAY, "--format", "json")
    assert code == EXIT_INPUT
    assert "entity declarations" in out
    assert SECRET not in out + err


def test_entity_in_a_part_not_named_xml_is_not_expanded(tmp_path: Path, secret: Path) -> None:
    """The prolog check looks at *.xml parts; a sheet part named .dat reaches the parsers,
    which refuse the undeclared entity (calamine) or any DTD (openpyxl via defusedxml)."""
    folder = store_with(tmp_path, "callbacks.xlsx", workbooks.sheet_part_not_named_xml)
    code, out, _ = run("compute", "--data", folder, *MAY, "--format", "json")
    assert code == EXIT_INPUT
    [error] = [i for i in json.loads(out)["data_issues"] if i["severity"] == "error"]
    assert "cannot be read" in error["reason"] and "lol" * 10 not in out


def test_hostile_workbook_through_the_report(tmp_path: Path) -> None:
    """`sdkpi report` writes its report for the readable sheets and lists the rejected one."""
    folder = store_with(tmp_path, "callbacks.xlsx", workbooks.billion_laughs)
    report = tmp_path / "report.xlsx"
    code, _, err = run("report", "--data", folder, *MAY, "--last", "1", "--output", report)
    assert code == EXIT_INPUT, err
    texts = " ".join(
        str(cell.value) for ws in openpyxl.load_workbook(report) for row in ws.iter_rows() for cell in row
    )
    assert "entity declarations" in texts


# --------------------------------------------------------------------------- file type by first bytes


@pytest.mark.parametrize(
    ("build", "name", "message"),
    [
        (workbooks.csv_named_xlsx, "callbacks.xlsx", "named .xlsx but is a text (csv) file"),
        (workbooks.html_named_xlsx, "callbacks.xlsx", "named .xlsx but is an html page"),
        (workbooks.ole_xls, "callbacks.xlsx", "named .xlsx but is an old binary excel .xls"),
        (workbooks.xml_spreadsheet_2003, "callbacks.xlsx", "excel 2003 xml spreadsheet"),
        (workbooks.html_named_xlsx, "callbacks.csv", "html page"),
        (workbooks.genuine, "callbacks.csv", "excel workbook"),
    ],
    ids=["csv as xlsx", "html as xlsx", "xls as xlsx", "xml 2003 as xlsx", "html as csv", "xlsx as csv"],
)
def test_the_first_bytes_decide_the_file_type(
    tmp_path: Path, build: Callable[[Path], Any], name: str, message: str
) -> None:
    folder = store_with(tmp_path, name, build)
    code, out, _ = run("compute", "--data", folder, *MAY, "--format", "json")
    assert code == EXIT_INPUT
    [error] = [i for i in json.loads(out)["data_issues"] if i["severity"] == "error"]
    assert message in error["reason"].lower()
    assert "hint:" in error["reason"]  # says what to do


# --------------------------------------------------------------------------- defusedxml


def test_defusedxml_is_in_use() -> None:
    require_defused_xml()
    assert openpyxl.DEFUSEDXML is True


def test_openpyxl_without_defusedxml_is_refused_before_openpyxl_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A CSV-only run does not import openpyxl; the check reads openpyxl's own switch then."""
    monkeypatch.delitem(sys.modules, "openpyxl")
    monkeypatch.setenv("OPENPYXL_DEFUSEDXML", "False")
    with pytest.raises(InputError, match="not using defusedxml"):
        require_defused_xml()
    monkeypatch.setenv("OPENPYXL_DEFUSEDXML", "True")
    require_defused_xml()


def test_no_data_is_read_when_openpyxl_would_parse_without_defusedxml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(InputError, match="not using defusedxml"):
        require_defused_xml()
    code, out, err = run("compute", "--data", CONFORMANCE / "store-a", *MAY, "--format", "json")
    assert (code, out) == (EXIT_INPUT, "")
    assert "OPENPYXL_DEFUSEDXML" in err and "Traceback" not in err


def test_missing_defusedxml_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "defusedxml.ElementTree", None)  # import now fails
    with pytest.raises(InputError, match="defusedxml is not installed"):
        require_defused_xml()


# --------------------------------------------------------------------------- inert outputs

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}{% raw %}",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """store-a whose advisor, technician and customer names are attacks."""
    folder = tmp_path_factory.mktemp("hostile") / "store"
    shutil.copytree(CONFORMANCE / "store-a", folder)
    path = folder / "work_orders.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for i, row in enumerate(rows):
        row["advisor"] = HOSTILE[i % len(HOSTILE)]
        row["technician"] = HOSTILE[(i + 3) % len(HOSTILE)]
        row["customer_id"] = HOSTILE[(i + 5) % len(HOSTILE)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_excel_report_holds_no_formula(hostile_store: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.xlsx"
    code, _, err = run("report", "--data", hostile_store, *MAY, "--last", "1", "--output", report)
    assert code in (EXIT_OK, EXIT_INPUT), err
    with zipfile.ZipFile(report) as archive:
        parts = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert parts and not any(b"<f>" in xml or b"<f " in xml for xml in parts)
    strings = set()
    for ws in openpyxl.load_workbook(report):
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    strings.add(cell.value)
    assert {h for h in HOSTILE if not h.startswith(("\t", "\r"))} <= strings  # kept, as text


class _Markup(HTMLParser):
    """Every tag and attribute of a page, and its text as a browser shows it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_report_escapes_everything(hostile_store: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    code, _, err = run("report", "--data", hostile_store, *MAY, "--last", "1", "--output", report)
    assert code in (EXIT_OK, EXIT_INPUT), err
    markup = _Markup()
    markup.feed(report.read_text(encoding="utf-8"))
    assert not markup.tags & {"script", "img", "iframe", "object", "embed"}
    assert not [name for name, _ in markup.attributes if name.startswith("on")]
    assert not [v for _, v in markup.attributes if v and v.strip().lower().startswith("javascript:")]
    text = "".join(markup.text)
    for attack in ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}{% raw %}"):
        assert attack in text  # shown to the reader as the text it is; never a template


def test_csv_record_list_cells_are_inert(hostile_store: Path) -> None:
    code, out, err = run(
        "explain", "delivery_explanation_rate", "--data", hostile_store, *MAY, "--format", "csv"
    )
    assert code in (EXIT_OK, EXIT_INPUT), err
    rows = list(csv.reader(io.StringIO(out)))
    cells = [cell for row in rows[1:] for cell in row]
    assert any(cell.startswith("'") for cell in cells), "the attacks are in the list, neutralised"
    for cell in cells:
        if cell.startswith(FORMULA_START):
            float(cell)  # only a plain negative number may start with '-'


def test_json_output_carries_the_text_verbatim(hostile_store: Path) -> None:
    code, out, _ = run(
        "explain", "delivery_explanation_rate", "--data", hostile_store, *MAY, "--format", "json"
    )
    assert code in (EXIT_OK, EXIT_INPUT)
    text = json.dumps(json.loads(out), ensure_ascii=False)
    assert any(json.dumps(h, ensure_ascii=False)[1:-1] in text for h in HOSTILE)


def test_every_template_escapes_and_none_opts_out() -> None:
    """Autoescaping is on for every template the package ships, and no template or
    renderer switches it off for a value (`|safe`, `{% autoescape false %}`, Markup)."""
    from sdkpi.render import html

    env = html.environment()
    names = env.list_templates()
    assert "report.html.j2" in names
    for name in names:
        assert env.autoescape(name) if callable(env.autoescape) else env.autoescape, name
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        assert "|safe" not in source.replace(" ", "") and "autoescape false" not in source, name
    renderers = Path(html.__file__).parent
    for module in renderers.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert "Markup(" not in text and "autoescape=False" not in text, module.name


# --------------------------------------------------------------------------- a mapping file in the data


@pytest.mark.parametrize(
    "target",
    [
        "SECRET",
        "../secret.txt",
        "sub/../../secret.txt",
        "~/secret.txt",
        "C:\\\\secret.txt",
        "\\\\\\\\srv\\\\s\\\\x.csv",
    ],
    ids=["absolute", "parent", "climbing subfolder", "home", "windows drive", "unc"],
)
def test_a_mapping_file_cannot_point_outside_the_data_folder(
    tmp_path: Path, secret: Path, target: str
) -> None:
    """DATA/sdkpi-mapping.yaml is applied automatically; one that names /etc/passwd made sdkpi read
    it and print its lines as 'headers found' in the data issues and the report."""
    folder = tmp_path / "store"
    shutil.copytree(CONFORMANCE / "store-a", folder)
    name = str(secret) if target == "SECRET" else target
    (folder / "sdkpi-mapping.yaml").write_text(f"sheets:\n  callbacks:\n    file: '{name}'\n", "utf-8")
    code, out, err = run("check", "--data", folder, "--format", "json")
    assert code == 2 and out == ""
    assert "is outside the data folder" in err and "sdkpi-mapping.yaml[callbacks]:3" in err
    assert SECRET not in err


def test_a_mapping_file_may_name_a_file_in_a_subfolder(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    shutil.copytree(CONFORMANCE / "store-a", folder)
    (folder / "exports").mkdir()
    (folder / "callbacks.csv").rename(folder / "exports" / "回访.csv")
    (folder / "sdkpi-mapping.yaml").write_text("sheets:\n  callbacks:\n    file: exports/回访.csv\n", "utf-8")
    code, out, _ = run("check", "--data", folder, "--format", "json")
    sheets = {s["sheet"]: s for s in json.loads(out)["sheets"]}
    assert code == EXIT_OK and sheets["callbacks"]["rows_read"] > 0


# --------------------------------------------------------------------------- the terminal

TERMINAL_ATTACKS = ["[/bold]", "[link=http://evil.example]click[/link]", "\x1b[2J\x1b[31mALL MET", "a\u202eb"]


@pytest.fixture(scope="module")
def terminal_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """store-a whose advisors and technicians are rich markup and terminal escape sequences."""
    folder = tmp_path_factory.mktemp("terminal") / "store"
    shutil.copytree(CONFORMANCE / "store-a", folder)
    path = folder / "work_orders.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for i, row in enumerate(rows):
        row["advisor"] = TERMINAL_ATTACKS[i % len(TERMINAL_ATTACKS)]
        row["technician"] = TERMINAL_ATTACKS[(i + 1) % len(TERMINAL_ATTACKS)]
        if i < len(TERMINAL_ATTACKS):  # bad yes/no values: listed by check as data issues
            row["walkaround"] = TERMINAL_ATTACKS[i]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


@pytest.mark.parametrize(
    "command",
    [
        ["compute", *MAY, "--by", "advisor"],
        ["explain", "delivery_explanation_rate", *MAY, "--limit", "0"],
        ["check", "--all"],
    ],
    ids=["compute --by", "explain", "check"],
)
def test_terminal_tables_show_markup_and_escapes_as_text(terminal_store: Path, command: list[str]) -> None:
    """A cell reading `[/bold]` crashed the table (rich markup); ESC sequences reached the terminal."""
    code, out, err = run(*command, "--data", terminal_store)
    assert code in (EXIT_OK, EXIT_INPUT), err  # check: the bad yes/no values are errors
    assert "\x1b" not in out and "\u202e" not in out  # no style codes off a terminal; none from the data
    # the ESC itself is removed when the file is read (a control character: loaders.values);
    # the rest of the cell is shown as text
    assert "[/bold]" in out and "[2J[31mALL MET" in out.replace("\n", "").replace("\\x1b", "")
