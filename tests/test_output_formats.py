"""Output formats are declared once (`sdkpi.render.formats`) and every command writes through them.

A format registered by a test (nothing else changed) is offered by `--format` of the commands
whose kind of result it renders, and used: typer reads a command's `--format` choices
(`cli.common.format_choice`) each time it builds the command line, which `CliRunner.invoke`
does on every call, so no app needs rebuilding by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import CONFORMANCE
from sdkpi.cli import app
from sdkpi.render.formats import COMMAND_KINDS, FORMATS, REPORT, Format, Options, names, register, unregister

STORE = str(CONFORMANCE / "store-a")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def shout_kpis(result: Any, options: Options) -> None:
    missed = [k.id for k in result.kpis if k.status == "missed"]
    print(f"SHOUT {result.period.label} {options.lang} {len(result.kpis)} kpis, missed: {' '.join(missed)}")


def shout_check(result: Any, options: Options) -> None:
    print(f"SHOUT check ok={result.ok} issues={len(result.data_issues)} limit={options.limit}")


@pytest.fixture
def shout() -> Iterator[Format]:
    """A throwaway format for compute's KPIs and check (not for --by, explain, diff, trend)."""
    fmt = register(Format("shout", {"kpis": shout_kpis, "check": shout_check}))
    try:
        yield fmt
    finally:
        unregister("shout")
    assert "shout" not in FORMATS


def test_a_registered_format_is_offered_and_used_by_compute(shout: Format) -> None:
    code, out, _ = run("compute", "--data", STORE, "--month", "2024-05", "--format", "shout", "--lang", "zh")
    payload_code, payload, _ = run("compute", "--data", STORE, "--month", "2024-05", "--format", "json")
    kpis = json.loads(payload)["kpis"]
    missed = " ".join(k["id"] for k in kpis if k["status"] == "missed")
    assert out == f"SHOUT 2024-05 zh {len(kpis)} kpis, missed: {missed}\n"
    assert code == payload_code  # the exit code is the command's, whatever the format
    _, help_text, _ = run("compute", "--help")
    assert "<table|json|shout>" in help_text


def test_a_registered_format_is_offered_and_used_by_check(shout: Format) -> None:
    code, out, _ = run("check", "--data", STORE, "--format", "shout", "--limit", "2")
    json_code, payload, _ = run("check", "--data", STORE, "--format", "json")
    issues = json.loads(payload)["data_issues"]
    assert out == f"SHOUT check ok={json_code == 0} issues={len(issues)} limit=2\n"
    assert code == json_code


def test_a_format_is_offered_only_by_the_commands_whose_result_it_renders(shout: Format) -> None:
    code, _, err = run("trend", "--data", STORE, "--month", "2024-05", "--format", "shout")
    assert code == 2 and "'shout' is not one of 'table', 'json'" in err
    code, _, err = run(
        "compute", "--data", STORE, "--month", "2024-05", "--format", "shout", "--by", "advisor"
    )
    assert code == 2 and "--format shout cannot show this output: use table or json" in err


def test_an_unregistered_format_is_gone_from_every_command() -> None:
    assert "shout" not in FORMATS
    code, _, err = run("compute", "--data", STORE, "--month", "2024-05", "--format", "shout")
    assert code == 2 and "'shout' is not one of 'table', 'json'" in err


def test_every_command_kind_and_the_report_have_their_formats() -> None:
    for kind in COMMAND_KINDS:
        assert names(kind)[:2] == ["table", "json"], kind
    assert names("explain") == ["table", "json", "csv"]
    assert names(REPORT) == ["xlsx", "html", "pdf"]
    assert [f.name for f in FORMATS.values() if f.brief] == ["table"]  # lists cut to a first page
    for fmt in FORMATS.values():  # every renderer named exists
        for kind in fmt.renders:
            assert callable(fmt.renderer(kind)), (fmt.name, kind)


def test_a_name_is_declared_once() -> None:
    with pytest.raises(ValueError, match="declared already"):
        register(Format("json", {"kpis": shout_kpis}))
    assert FORMATS["json"].renders["kpis"] == "sdkpi.render.stdout:as_json"


def test_the_report_s_formats_by_suffix(tmp_path: Path) -> None:
    from sdkpi.render.formats import by_suffix, suffixes

    assert by_suffix(tmp_path / "May.HTM") is FORMATS["html"]
    assert by_suffix(tmp_path / "may.json") is None  # json renders no report
    assert suffixes() == [".xlsx", ".html", ".htm", ".pdf"]


def test_the_report_s_data_imports_no_renderer() -> None:
    """report.py builds what the renderers draw: it sits below them and never imports one."""
    import ast

    import sdkpi

    package = Path(sdkpi.__file__).parent
    for name in ("report.py", "report_words.py", "labels.py"):
        tree = ast.parse((package / name).read_text(encoding="utf-8"))
        imported = [
            node.module or ""
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 1
        ]
        assert not [m for m in imported if m == "render" or m.startswith("render.")], name
