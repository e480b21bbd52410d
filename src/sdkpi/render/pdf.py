"""The report's summary as a one-page PDF (reportlab), for a phone: drawn from `ReportData` only.

One A4 page: the store (name, brand, address), the month, the status counts and every
KPI by stage with its value, target, status, previous month and change; the same figures
and words as the HTML summary (`render.html.kpi_row`). No browser and no font file:
Latin text is set in Helvetica, anything else (Chinese names, ≥) in reportlab's built-in
CID font STSong-Light, which every PDF viewer renders with its own Chinese font. When
there are more KPIs than fit at a readable size, the rows get smaller, never a second page.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..report import ReportData, generated_label
from .formatting import STATUS_LABELS, text
from .html import kpi_row, period_range

PAGE_W, PAGE_H = 595.27, 841.89  # A4 in points
MARGIN = 30.0
LATIN, LATIN_BOLD, CJK = "Helvetica", "Helvetica-Bold", "STSong-Light"
NAVY, INK, MUTED, LINE, BAND = "#1f3864", "#1f2937", "#6b7280", "#e5e7eb", "#eef2fa"
# status -> (fill, text): the palette of the HTML page and the workbook
COLOURS = {
    "met": ("#c6efce", "#006100"),
    "missed": ("#ffc7ce", "#9c0006"),
    "no_target": ("#ddebf7", "#1f4e79"),
    "reference": ("#f2f2f2", "#404040"),  # shown, never judged: neutral
    "no_data": ("#ededed", "#595959"),
}
# columns: (key, share of the table's width, alignment)
COLUMNS = (
    ("name", 0.38, "left"),
    ("value", 0.12, "right"),
    ("target", 0.12, "right"),
    ("status", 0.12, "center"),
    ("previous", 0.14, "right"),
    ("change", 0.12, "right"),
)
MAX_ROW, MIN_ROW = 17.0, 9.0  # row height in points: as roomy as fits, never below readable


def render_pdf(report: ReportData) -> bytes:
    """The page as PDF bytes."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    if CJK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    words = report.words
    canvas.setTitle(f"{report.store} · {words['title']} · {report.result.period.label}")
    canvas.setAuthor("sdkpi")
    Page(canvas, report).draw()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def write_pdf(report: ReportData, path: str | Path) -> None:
    """Write the page atomically: the old file stays whole if anything fails."""
    data = render_pdf(report)
    write_atomic(path, lambda handle: handle.write(data))


def runs(value: str, bold: bool = False) -> list[tuple[str, str]]:
    """`value` cut into runs of one font: Helvetica for what its encoding holds (so digits,
    ¥ and · look the same in every line), the CJK font for the rest."""
    out: list[tuple[str, str]] = []
    for ch in value:
        try:
            ch.encode("cp1252")
            name = LATIN_BOLD if bold else LATIN
        except UnicodeEncodeError:
            name = CJK
        if out and out[-1][1] == name:
            out[-1] = (out[-1][0] + ch, name)
        else:
            out.append((ch, name))
    return out


def width_of(parts: list[tuple[str, str]], size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(part, name, size) for part, name in parts)


class Page:
    """Draws the one page top-down; `y` is the baseline of the next line."""

    def __init__(self, canvas: Any, report: ReportData) -> None:
        self.c = canvas
        self.r = report
        self.y = PAGE_H - MARGIN
        self.width = PAGE_W - 2 * MARGIN

    # ------------------------------------------------------------------ text

    def text(self, x: float, y: float, value: str, size: float, colour: str = INK, **kw: Any) -> None:
        """One line at baseline `y`, aligned on `x`, cut with "…" to `width` when given."""
        bold, align, width = kw.get("bold", False), kw.get("align", "left"), kw.get("width")
        parts = runs(value, bold)
        if width is not None and width_of(parts, size) > width:
            while value and width_of(runs(value + "…", bold), size) > width:
                value = value[:-1]
            parts = runs(value.rstrip() + "…", bold)
        total = width_of(parts, size)
        x -= {"right": total, "center": total / 2}.get(align, 0.0)
        self.c.setFillColor(colour)
        for part, name in parts:
            self.c.setFont(name, size)
            self.c.drawString(x, y, part)
            if bold and name == CJK:  # the CID font has no bold face: a second print, a hair right
                self.c.drawString(x + size * 0.04, y, part)
            x += width_of([(part, name)], size)

    # ------------------------------------------------------------------ parts

    def draw(self) -> None:
        self.head()
        self.cards()
        self.table()
        self.foot()

    def head(self) -> None:
        r, words = self.r, self.r.words
        self.y -= 18
        self.text(MARGIN, self.y, r.store, 18, NAVY, bold=True, width=self.width * 0.68)
        right = PAGE_W - MARGIN
        self.text(right, self.y, r.result.period.label, 18, NAVY, bold=True, align="right")
        self.y -= 15
        if r.store_line:
            self.text(MARGIN, self.y, r.store_line, 10, INK, width=self.width * 0.68)
        self.text(right, self.y, period_range(r), 9, MUTED, align="right")
        self.y -= 13
        self.text(MARGIN, self.y, words["title"], 10, MUTED)
        self.text(right, self.y, f"{words['generated']} {generated_label(r.result)}", 8, MUTED, align="right")
        self.y -= 8
        self.c.setStrokeColor(NAVY)
        self.c.setLineWidth(1.5)
        self.c.line(MARGIN, self.y, PAGE_W - MARGIN, self.y)

    def cards(self) -> None:
        r = self.r
        counts = r.result.summary()
        labels = STATUS_LABELS[r.lang]
        shown = [s for s in COLOURS if counts.get(s) or s != "reference"]
        boxes = [(counts[s], labels[s], *COLOURS[s]) for s in shown]
        boxes.append((len(r.result.data_issues), r.words["issues"], "#ffffff", INK))
        gap, height = 8.0, 36.0
        box_w = (self.width - gap * (len(boxes) - 1)) / len(boxes)
        top = self.y - 10
        for index, (count, label, fill, colour) in enumerate(boxes):
            x = MARGIN + index * (box_w + gap)
            self.c.setFillColor(fill)
            self.c.setStrokeColor(LINE if fill == "#ffffff" else fill)
            self.c.roundRect(x, top - height, box_w, height, 5, stroke=1, fill=1)
            self.text(x + 8, top - 19, f"{count:,}", 16, colour, bold=True)
            self.text(x + 8, top - 31, label, 8, colour, width=box_w - 12)
        self.y = top - height - 10

    def table(self) -> None:
        r, words = self.r, self.r.words
        stages = [(text(s.name, r.lang), [kpi_row(k, r) for k in s.kpis]) for s in r.stages]
        rows = 1 + sum(1 + len(kpis) for _, kpis in stages)
        room = self.y - MARGIN - 34  # the footer's lines
        row_h = max(MIN_ROW, min(MAX_ROW, room / rows))
        size = round(row_h * 0.5, 1)
        xs = [MARGIN]
        for _, share, _ in COLUMNS:
            xs.append(xs[-1] + share * self.width)
        headings = {
            "name": words["kpi"],
            "value": words["value"],
            "target": words["target"],
            "status": words["status"],
            "previous": f"{words['previous']} {r.previous_period.label}",
            "change": words["change"],
        }
        self.band(row_h, NAVY)
        for index, (key, _, align) in enumerate(COLUMNS):
            self.cell(xs, index, align, headings[key], size, "#ffffff", row_h, bold=True)
        self.y -= row_h
        for stage, kpis in stages:
            self.band(row_h, BAND)
            self.text(xs[0] + 4, self.y - row_h * 0.68, stage, size, NAVY, bold=True, width=self.width - 8)
            self.y -= row_h
            for kpi in kpis:
                self.kpi_line(kpi, xs, row_h, size)

    def band(self, row_h: float, fill: str) -> None:
        self.c.setFillColor(fill)
        self.c.rect(MARGIN, self.y - row_h, self.width, row_h, stroke=0, fill=1)

    def cell(
        self,
        xs: list[float],
        index: int,
        align: str,
        value: str,
        size: float,
        colour: str,
        row_h: float,
        **kw: Any,
    ) -> None:
        left, right = xs[index] + 4, xs[index + 1] - 4
        x = {"left": left, "right": right, "center": (left + right) / 2}[align]
        self.text(x, self.y - row_h * 0.68, value, size, colour, align=align, width=right - left, **kw)

    def kpi_line(self, kpi: dict[str, Any], xs: list[float], row_h: float, size: float) -> None:
        status = kpi["status"]
        fill, colour = COLOURS[status]
        name = kpi["name"] + (" *" if kpi["provisional"] else "")
        self.cell(xs, 0, "left", "  " + name, size, INK, row_h)
        missed = status == "missed"
        self.cell(
            xs, 1, "right", kpi["value"], size, COLOURS["missed"][1] if missed else INK, row_h, bold=missed
        )
        self.cell(xs, 2, "right", kpi["target"], size, INK, row_h)
        pill_l, pill_r = xs[3] + 6, xs[4] - 6
        self.c.setFillColor(fill)
        self.c.roundRect(
            pill_l, self.y - row_h + 2, pill_r - pill_l, row_h - 4, (row_h - 4) / 2, stroke=0, fill=1
        )
        self.cell(xs, 3, "center", STATUS_LABELS[self.r.lang][status], size, colour, row_h, bold=True)
        self.cell(xs, 4, "right", kpi["previous"], size, MUTED, row_h)
        change_colour = {"better": COLOURS["met"][1], "worse": COLOURS["missed"][1]}.get(
            kpi["change_class"], INK
        )
        self.cell(xs, 5, "right", kpi["change"], size, change_colour, row_h)
        self.c.setStrokeColor(LINE)
        self.c.setLineWidth(0.5)
        self.c.line(MARGIN, self.y - row_h, PAGE_W - MARGIN, self.y - row_h)
        self.y -= row_h

    def foot(self) -> None:
        from .. import __version__

        r = self.r
        notes = []
        dates = [k.result.provisional_until for k in r.kpis if k.result.provisional_until]
        if dates:
            notes.append(r.words["provisional"].format(date=max(dates).isoformat()))
        notes.append(f"{r.words['footer'].format(version=__version__)} · {r.store} · {r.result.period.label}")
        y = MARGIN + 12 * (len(notes) - 1)
        for note in notes:
            self.text(MARGIN, y, note, 7.5, MUTED, width=self.width)
            y -= 12
