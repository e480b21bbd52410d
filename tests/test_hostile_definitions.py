"""Hostile KPI definition files: nothing in them can run, every one ends in a clean error.

Extends test_expr.py (the basic attack list) and test_definitions.py (field and line
checks) with the attacks of bad-input.md "Definitions file": unicode look-alikes,
invisible characters, resource exhaustion (huge numbers, deep nesting, long input)
and YAML tricks. A Python audit hook watches every attack: no code compiled or
executed, no process started, no file opened for writing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sdkpi import expr as ex
from sdkpi.definitions import load_definitions, parse_definitions
from sdkpi.errors import DefinitionError, ExpressionError
from sdkpi.evaluate import infer

KINDS = {
    "menu_priced": "bool",
    "customer_type": "text",
    "labor_hours_sold": "number",
    "promised_at": "datetime",
}

# --------------------------------------------------------------------------- the watchdog

_EXECUTING = {"exec", "compile", "os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn"}
_watch: list[tuple[str, tuple[Any, ...]]] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _watch is None:
        return
    writing = event == "open" and isinstance(args[1], str) and any(m in args[1] for m in "wax+")
    if event in _EXECUTING or event.startswith(("os.fork", "socket.")) or writing:
        _watch.append((event, args))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it does nothing unless armed


@pytest.fixture
def nothing_runs(tmp_path: Path) -> Iterator[Path]:
    """Arm the audit hook; fail if the test executed code, spawned or wrote a file."""
    global _watch
    canary = tmp_path / "CANARY"
    _watch = []
    try:
        yield canary
    finally:
        events, _watch = _watch, None
    assert events == [], f"something ran: {events}"
    assert not canary.exists()


def test_the_watchdog_sees_execution(nothing_runs: Path) -> None:
    global _watch
    assert _watch is not None
    exec("x = 1")
    seen, _watch = _watch, []
    assert [event for event, _ in seen] == ["compile", "exec"]


# --------------------------------------------------------------------------- expressions

ATTACKS = {
    "fullwidth dunder import": "＿＿import＿＿('os').system('touch CANARY')",
    "fullwidth dunder name": "＿＿builtins＿＿",
    "fullwidth power": "９**９",
    "power tower": "9**9**9",
    "huge exponent literal": "labor_hours_sold > 9e999",
    "huge integer literal": "labor_hours_sold > " + "9" * 400,
    "huge duration": "promised_at > promised_at - 99999999999d",
    "10000 parentheses": "(" * 10_000 + "menu_priced" + ")" * 10_000,
    "100 kB of text": "menu_priced or " * 7_000 + "menu_priced",
    "arithmetic chain 1000 long": "labor_hours_sold" + " + 1" * 495 + " > 0",
    "product chain": "labor_hours_sold" + "*1" * 900 + " > 0",
    "negation chain": "-" * 1_000 + "labor_hours_sold > 0",
    "NUL byte": "menu_priced\x00 or true",
    "NUL inside quotes": "customer_type == 'in\x00ternal'",
    "bidi override": "customer_type == 'internal' \u202e and menu_priced",
    "bidi inside quotes": "customer_type == '\u202elanretni'",
    "zero-width space in a name": "menu\u200b_priced",
    "byte order mark": "\ufeffmenu_priced",
    "escape sequences are not decoded": "\\x5f\\x5fimport\\x5f\\x5f('os')",
    "attribute access on a literal": "'a'.join(customer_type)",
    "attribute via quoted name": "named_by(customer_type.__class__)",
    "dunder in backticks": "`__class__` == 1",
    "call of a column": "customer_type('x') == 1",
    "keyword argument": "named_by(column=customer_type)",
    "nested call": "named_by(named_by(customer_type))",
    "generator": "any(x for x in customer_type)",
    "set comprehension": "{x for x in customer_type}",
    "walrus": "(x := 1) == 1",
    "starred": "*customer_type",
    "subscript": "customer_type[0:1] == 'i'",
    "@ local": "labor_hours_sold > @limit",
    "pandas backtick python": "`menu_priced`.sum() > 0",
    "semicolon": "menu_priced; __import__('os')",
    "comment": "menu_priced # __import__('os')",
    "string concatenation": "customer_type == 'a' 'b'",
    "bitwise ops": "menu_priced & ~menu_priced | menu_priced",
    "chained comparison": "0 < labor_hours_sold < 9",
    "ternary": "menu_priced if true else false",
    "lambda": "(lambda: __import__('os'))()",
    "unknown function": "sum(labor_hours_sold) > 1",
    "newline then statement": "menu_priced\nimport os",
}


@pytest.mark.parametrize("text", ATTACKS.values(), ids=ATTACKS.keys())
def test_expression_attacks_are_refused_and_nothing_runs(text: str, nothing_runs: Path) -> None:
    with pytest.raises(ExpressionError) as err:
        infer(ex.parse(text), KINDS)
    assert err.value.message  # a message a user can read
    assert len(str(err.value)) < 10_000  # never echoes 100 kB of attack back


def test_nesting_is_capped_not_a_recursion_error() -> None:
    """a + 1 + 1 + ... builds a tree one level deeper per link; the parser stops it at MAX_DEPTH."""
    fine = "labor_hours_sold" + " + 1" * (ex.MAX_DEPTH - 1) + " > 0"
    assert infer(ex.parse(fine), KINDS) == "bool"
    with pytest.raises(ExpressionError, match="nested deeper"):
        ex.parse("labor_hours_sold" + " + 1" * (ex.MAX_DEPTH + 1) + " > 0")


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\u202e", "\u2066", "\u200b", "\ufeff", "\ue000"])
def test_invisible_characters_are_named_with_their_code_point(char: str) -> None:
    with pytest.raises(ExpressionError, match=f"U\\+{ord(char):04X}"):
        ex.parse(f"customer_type == 'a{char}b'")


def test_fullwidth_lookalike_column_gets_a_did_you_mean() -> None:
    with pytest.raises(ExpressionError, match="did you mean 'menu_priced'"):
        infer(ex.parse("ｍｅｎｕ_priced"), KINDS)


def test_ordinary_whitespace_is_still_accepted() -> None:
    assert infer(ex.parse("menu_priced\r\n\tand\u3000labor_hours_sold > 1"), KINDS) == "bool"


# --------------------------------------------------------------------------- definition files

SMALL = """\
version: 1
stages:
  - id: workshop
    name: {zh: 车间, en: Workshop}
kpis:
  - id: my_rate
    name: {zh: 我的, en: Mine}
    stage: workshop
    sheet: work_orders
    period: opened_at
    denominator: {count: rows}
    numerator: {count: rows, where: "menu_priced"}
"""


def _laughs(levels: int) -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nstages: *l{levels - 1}\nkpis: *l{levels - 1}\n"


YAML_ATTACKS = {
    "python object apply": "!!python/object/apply:os.system ['touch CANARY']",
    "python object new": "x: !!python/object/new:subprocess.Popen [[touch, CANARY]]\n",
    "python name": "stages: !!python/name:os.system\nkpis: []\n",
    "python module": "stages: !!python/module:os\nkpis: []\n",
    "tag deep inside a KPI": SMALL.replace('"menu_priced"', "!!python/object/apply:os.system [touch CANARY]"),
    "local tag": "stages: !evil x\nkpis: []\n",
    "billion laughs": _laughs(9),
    "2000 nested lists": "stages: " + "[" * 2_000 + "]" * 2_000 + "\nkpis: []\n",
    "2000 nested maps": "stages: " + "{a: " * 2_000 + "1" + "}" * 2_000 + "\nkpis: []\n",
    "5000-digit integer": "version: " + "9" * 5_000 + "\nstages: []\nkpis: []\n",
    "NUL byte": "stages: []\x00\nkpis: []\n",
    "expression in a where": SMALL.replace('"menu_priced"', "\"__import__('os').system('touch CANARY')\""),
    "expression in an exclusion": SMALL
    + "    exclude: [{when: \"open('CANARY', 'w')\", reason: {zh: x, en: x}}]\n",
    "bidi in an expression": SMALL.replace('"menu_priced"', '"menu_priced \u202e or true"'),
    "not a mapping": "- just\n- a list\n",
    "empty": "",
}


@pytest.mark.parametrize("text", YAML_ATTACKS.values(), ids=YAML_ATTACKS.keys())
def test_hostile_definition_files_end_in_a_definition_error(text: str, nothing_runs: Path) -> None:
    with pytest.raises(DefinitionError) as err:
        parse_definitions(text, source="evil.yaml")
    assert err.value.file == "evil.yaml"
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        (SMALL.replace("    period: opened_at\n", "    period: opened_at\n    period: closed_at\n"), 11, 5),
        (SMALL.replace("{count: rows}", "{count: rows, count: rows}"), 11, 32),
        (SMALL + "stages: []\n", 13, 1),
        (SMALL.replace("    name: {zh: 车间, en: Workshop}", "    name: {zh: 车间, zh: 车间}"), 4, 20),
    ],
    ids=["kpi field", "flow mapping", "top level", "nested text"],
)
def test_duplicate_keys_are_refused_with_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(DefinitionError, match="duplicate key") as err:
        parse_definitions(text, source="evil.yaml")
    assert (err.value.line, err.value.hint) == (line, f"column {column}")


def test_python_tags_are_refused_with_the_tag_named() -> None:
    with pytest.raises(DefinitionError, match=r"python/object/apply:os\.system") as err:
        parse_definitions("stages: !!python/object/apply:os.system [ls]\n", source="evil.yaml")
    assert (err.value.line, err.value.hint) == (1, "column 9")


def test_yaml_aliases_are_not_expanded_into_memory() -> None:
    """9 levels of 9 aliases is 387 million strings if expanded; it must fail on the first level."""
    with pytest.raises(DefinitionError, match="stages"):
        parse_definitions(_laughs(9), source="evil.yaml")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00s\x00t", "not UTF-8 text"),
        (b"stages: []\nkpis: []\n# " + b"x" * 2_100_000, "larger than 2 MB"),
    ],
    ids=["utf-16 bytes", "3 MB file"],
)
def test_unreadable_definition_files(tmp_path: Path, content: bytes, message: str) -> None:
    file = tmp_path / "defs.yaml"
    file.write_bytes(content)
    with pytest.raises(DefinitionError, match=message):
        load_definitions(file)


def test_a_folder_or_missing_file_as_definitions(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="cannot read definitions file"):
        load_definitions(tmp_path)
    with pytest.raises(DefinitionError, match="cannot read definitions file"):
        load_definitions(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [
        ("sheet: work_orders", "sheet: workorders", "did you mean 'work_orders'", 9),
        ('where: "menu_priced"', "where: \"menu_priced and customer_typ == 'x'\"", "'customer_type'", 12),
        ("{count: rows}", "{count_distinct: vn}", "did you mean 'vin'", 11),
        ("{count: rows}", "{sum: labor_hours_sol}", "did you mean 'labor_hours_sold'", 11),
    ],
)
def test_unknown_names_get_a_line_and_a_did_you_mean(old: str, new: str, message: str, line: int) -> None:
    with pytest.raises(DefinitionError, match=message) as err:
        parse_definitions(SMALL.replace(old, new), source="defs.yaml")
    assert err.value.line == line


# --------------------------------------------------------------------------- every command


@pytest.mark.parametrize(
    "command",
    [
        ["compute", "--format", "json"],
        ["explain", "first_time_fix_rate", "--format", "json"],
        ["trend", "--last", "2"],
        ["report", "--last", "1", "--output", "REPORT"],
        ["check", "--format", "json"],
    ],
    ids=["compute", "explain", "trend", "report", "check"],
)
def test_every_command_refuses_a_hostile_file_and_touches_nothing(
    tmp_path: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the CLI (whose imports would trip the audit hook): `touch CANARY` would land
    in the working folder, which must hold exactly the two files the test wrote."""
    from typer.testing import CliRunner

    from conftest import CONFORMANCE
    from sdkpi.cli import app

    monkeypatch.chdir(tmp_path)  # no sdkpi.toml
    defs = tmp_path / "evil.yaml"
    defs.write_text(SMALL.replace('"menu_priced"', "\"__import__('os').system('touch CANARY')\""), "utf-8")
    report = tmp_path / "report.xlsx"
    report.write_bytes(b"last month's report")
    args = [a.replace("REPORT", str(report)) for a in command]
    period = [] if command[0] == "check" else ["--month", "2024-05"]
    result = CliRunner().invoke(
        app, [*args, "--data", str(CONFORMANCE / "store-a"), *period, "--defs", str(defs)]
    )
    assert result.exit_code == 2, result.output
    assert "evil.yaml:12" in result.stderr and "not allowed" in result.stderr
    assert result.stdout == ""
    assert report.read_bytes() == b"last month's report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.yaml", "report.xlsx"]


EVIL_NAMES = ['=HYPERLINK("http://evil.example","x")', "<script>alert(1)</script>", "[/bold]", "\x1b[2Jclear"]


def test_hostile_kpi_names_come_out_inert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Names and texts in a shared definitions file reach the terminal, the HTML and the workbook."""
    import json
    import re
    import zipfile

    from typer.testing import CliRunner

    from conftest import CONFORMANCE, REPO
    from sdkpi.cli import app

    monkeypatch.chdir(tmp_path)
    names = iter(EVIL_NAMES * 20)
    text = (REPO / "kpi_definitions.yaml").read_text(encoding="utf-8")
    text = re.sub(
        r"name: \{zh: [^,]+, en: [^}]+\}", lambda _: f"name: {{zh: x, en: {json.dumps(next(names))}}}", text
    )
    defs = tmp_path / "evil.yaml"
    defs.write_text(text, encoding="utf-8")
    base = ["--data", str(CONFORMANCE / "store-a"), "--month", "2024-05", "--defs", str(defs)]
    runner = CliRunner()
    table = runner.invoke(app, ["compute", *base])
    assert table.exit_code == 0, table.stderr
    assert "[/bold]" in table.stdout and "\x1b" not in table.stdout
    for suffix in ("html", "xlsx"):
        report = tmp_path / f"report.{suffix}"
        done = runner.invoke(app, ["report", *base, "--last", "1", "--output", str(report)])
        assert done.exit_code == 0, done.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    with zipfile.ZipFile(tmp_path / "report.xlsx") as book:
        sheets = [book.read(n) for n in book.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)
