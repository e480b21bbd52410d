"""The report opened in real clients: LibreOffice for the workbook, headless Chromium for the page.

Each test is skipped cleanly when its program is not installed (CI may not have them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import CONFORMANCE, TODAY
from sdkpi.api import compute
from sdkpi.render.html import write_html
from sdkpi.render.xlsx import write_xlsx
from sdkpi.report import build_report
from test_report_xlsx import store_a

STORE_A = CONFORMANCE / "store-a"


def program(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"{' / '.join(names)} not installed")


@pytest.fixture(scope="module")
def report():
    return build_report(store_a(), "2024-05", today=TODAY, record_limit=10)  # few pages: quick to print


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> str:
    """One private LibreOffice profile for the module: parallel or user sessions do not clash."""
    return tmp_path_factory.mktemp("lo-profile").as_uri()


def soffice_convert(soffice: str, profile: str, source: Path, target_format: str, out_dir: Path) -> Path:
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", target_format]
    subprocess.run(
        [*command, "--outdir", str(out_dir), str(source)], check=True, capture_output=True, timeout=180
    )
    converted = out_dir / f"{source.stem}.{target_format.split(':')[0]}"
    assert converted.is_file(), f"LibreOffice wrote no {converted.name}"
    return converted


def test_libreoffice_reads_the_same_numbers_as_compute_json(report, profile, tmp_path):
    soffice = program("soffice", "libreoffice")
    source = tmp_path / "report.xlsx"
    write_xlsx(report, source)
    out = tmp_path / "lo"
    out.mkdir()
    # LibreOffice opens the workbook and saves it again; its writer keeps 15 significant digits
    resaved = soffice_convert(soffice, profile, source, "xlsx", out)
    expected = json.loads(json.dumps(compute(STORE_A, month="2024-05", today=TODAY).to_dict()))
    ws = openpyxl.load_workbook(resaved)["Summary"]
    names = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    for kpi in expected["kpis"]:
        row = names[kpi["name"]["en"]]
        assert ws.cell(row, 2).value == pytest.approx(kpi["value"], rel=1e-15, abs=0), kpi["id"]
        assert ws.cell(row, 5).value == pytest.approx(kpi["numerator"], rel=1e-15), kpi["id"]
        assert ws.cell(row, 6).value == pytest.approx(kpi["denominator"], rel=1e-15), kpi["id"]


def test_libreoffice_prints_the_workbook_to_pdf(report, profile, tmp_path):
    soffice = program("soffice", "libreoffice")
    source = tmp_path / "report.xlsx"
    write_xlsx(report, source)
    pdf = soffice_convert(soffice, profile, source, "pdf", tmp_path)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page\n") + data.count(b"/Type/Page") >= 1
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Service KPI report" in text and "33.3%" in text and "MISSED" in text


def test_chromium_renders_the_page(report, tmp_path):
    chromium = program("chromium", "chromium-browser", "google-chrome")
    page = tmp_path / "report.html"
    write_html(report, page)
    shot = tmp_path / "shot.png"
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    url = page.as_uri()
    subprocess.run(
        [*base, "--window-size=1366,900", f"--screenshot={shot}", url], capture_output=True, timeout=120
    )
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
