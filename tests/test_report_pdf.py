"""The one-page PDF summary: one page whatever the number of KPIs, CJK text without a font
file, the store's identity, written atomically, and `sdkpi report --format pdf`."""

from __future__ import annotations

import base64
import re
import zlib

import pytest
from typer.testing import CliRunner

from conftest import TODAY
from sdkpi.cli import app
from sdkpi.config import StoreIdentity
from sdkpi.render import pdf
from sdkpi.report import build_report
from test_report_xlsx import STORE_A, store_a


def pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


def page_text(data: bytes) -> bytes:
    """The page's content streams, inflated: the drawn strings can be searched in them."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", data, re.S)
    out = b""
    for stream in streams:
        raw = stream.strip()
        if raw.endswith(b"~>"):  # reportlab's ASCII85 wrapping
            raw = base64.a85decode(raw if raw.startswith(b"<~") else b"<~" + raw, adobe=True)
        try:
            out += zlib.decompress(raw)
        except zlib.error:
            out += raw
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_summary_is_one_page(lang):
    report = build_report(store_a(), "2024-05", today=TODAY, lang=lang, last=2)
    data = pdf.render_pdf(report)
    assert data.startswith(b"%PDF-") and pages(data) == 1
    fonts = set(re.findall(rb"/BaseFont\s*/([\w-]+)", data))
    assert b"Helvetica" in fonts
    assert lang == "en" or b"STSong-Light" in fonts  # Chinese needs no font file


def test_many_kpis_still_fit_one_page():
    report = build_report(store_a(), "2024-05", today=TODAY, last=1)
    stage = report.stages[0]
    report.stages = [*report.stages, *[stage] * 12]  # ~60 more rows than a page holds roomily
    assert pages(pdf.render_pdf(report)) == 1


def test_values_and_identity_are_on_the_page():
    identity = StoreIdentity("Nanshan (Service)", "VW", "1 Keyuan Rd")
    report = build_report(store_a(), "2024-05", today=TODAY, last=1, identity=identity)
    drawn = page_text(pdf.render_pdf(report))
    for text in (b"Nanshan \\(Service\\)", b"VW \\267 1 Keyuan Rd", b"DCRC contact rate", b"MISSED"):
        assert text in drawn, text
    kpi = next(k for k in report.kpis if k.result.id == "dcrc_contact_rate")
    assert f"{kpi.result.value:.1%}".encode() in drawn


def test_runs_split_latin_and_chinese():
    assert pdf.runs("预约率 ≥ 65% · A") == [
        ("预约率", pdf.CJK),
        (" ", pdf.LATIN),
        ("≥", pdf.CJK),
        (" 65% · A", pdf.LATIN),
    ]


def test_cli_writes_the_pdf(tmp_path):
    out = tmp_path / "summary.pdf"
    args = ["report", "-d", str(STORE_A), "-m", "2024-05", "--last", "1", "-o", str(out), "--lang", "zh"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.stderr
    assert pages(out.read_bytes()) == 1
    again = CliRunner().invoke(app, [*args[:-4], "-o", str(tmp_path / "s.PDF"), "--format", "pdf"])
    assert again.exit_code in (0, 1), again.stderr
    assert (tmp_path / "s.PDF").read_bytes().startswith(b"%PDF-")


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    out = tmp_path / "summary.pdf"
    out.write_bytes(b"old")
    report = build_report(store_a(), "2024-05", today=TODAY, last=1)

    def boom(_report):
        raise RuntimeError("no")

    monkeypatch.setattr(pdf, "render_pdf", boom)
    with pytest.raises(RuntimeError):
        pdf.write_pdf(report, out)
    assert out.read_bytes() == b"old"
