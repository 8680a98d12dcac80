"""Form 08 and the breach record as PDF for signing (fpdf2 with DejaVu Serif for Vietnamese).

fpdf2 draws from the same page model the HTML prints (`form08_text.Page`), so the two
documents cannot say different things. DejaVu Serif has every Vietnamese glyph
(Liberation Serif lacks the stacked diacritics); the Makefile installs it on Debian.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from playbooks.form08 import Form08
from playbooks.form08_text import Fill, Page, pages
from playbooks.minutes import Minutes

# fontTools says it drops DejaVu's FFTM table (a timestamp) each time it subsets the font.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

FONTS = Path("/usr/share/fonts/truetype/dejavu")
FACES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}
WIDTH = 165.0  # A4 less the 30 mm and 15 mm margins of a Vietnamese administrative document


BLOCK_MM = 28.0  # the signature block's height under the signer's title


@dataclass(frozen=True, slots=True)
class Place:
    """Where a signature block goes: a page (from 0) and a box in points from bottom left."""

    page: int
    box: tuple[int, int, int, int]


def points(mm: float) -> int:
    return round(mm * 72 / 25.4)


class FontMissing(RuntimeError):
    """The serif font with Vietnamese glyphs is not installed."""


def text(value: str) -> str:
    """Precomposed characters: the font has them, combining marks would stack badly."""
    return unicodedata.normalize("NFC", value)


class Sheet:
    """An A4 document with the few moves a notice needs."""

    def __init__(self, title: str) -> None:
        missing = [f for f in FACES.values() if not (FONTS / f).exists()]
        if missing:
            raise FontMissing(
                f"{FONTS / missing[0]} is missing: install fonts-dejavu-core and fonts-dejavu-extra"
            )
        self.pdf = FPDF(orientation="P", unit="mm", format="A4")
        self.pdf.set_title(text(title))
        self.pdf.set_creator("Vigil")
        self.pdf.set_margins(30, 20, 15)
        self.pdf.set_auto_page_break(True, 20)
        for style, name in FACES.items():
            self.pdf.add_font("Serif", style, str(FONTS / name))
        self.pdf.set_font("Serif", size=13)

    def page(self) -> None:
        self.pdf.add_page()

    def say(self, value: str, style: str = "", size: float = 13, align: str = "J") -> None:
        self.pdf.set_font("Serif", style, size)
        self.pdf.multi_cell(
            WIDTH, size * 0.5, text(value), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def gap(self, mm: float = 2) -> None:
        self.pdf.ln(mm)

    def columns(self, left: Sequence[tuple[str, str]], right: Sequence[tuple[str, str]]) -> None:
        """Two centred columns of (text, style) lines: the heading and the signature block."""
        top, bottom = self.pdf.get_y(), self.pdf.get_y()
        for x, width, lines in ((30.0, 70.0, left), (100.0, 95.0, right)):
            self.pdf.set_xy(x, top)
            for line, style in lines:
                self.pdf.set_font("Serif", style, 12)
                self.pdf.set_x(x)
                self.pdf.multi_cell(
                    width, 5.5, text(line), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
                )
            bottom = max(bottom, self.pdf.get_y())
        self.pdf.set_xy(30, bottom + 2)

    def table(self, rows: Sequence[Sequence[str]], widths: Sequence[int] = (32, 68)) -> None:
        self.pdf.set_font("Serif", size=11.5 if len(widths) == 2 else 10)
        with self.pdf.table(
            col_widths=widths,
            width=WIDTH,
            text_align="LEFT",
            first_row_as_headings=False,
            line_height=5.5,
            padding=1.2,
        ) as table:
            for cells in rows:
                row = table.row()
                for cell in cells:
                    row.cell(text(cell))

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    def place_below(self) -> Place | None:
        """Room under the signer's column for a signature block, or None (no room left)."""
        top = self.pdf.get_y()
        if top + BLOCK_MM > self.pdf.h - self.pdf.b_margin:
            return None
        bottom = self.pdf.h - top - BLOCK_MM
        box = (points(100), points(bottom), points(195), points(bottom + BLOCK_MM))
        return Place(self.pdf.page - 1, box)  # the signer's column spans 100 to 195 mm


def shown(item: Fill, blank: str) -> str:
    value = item.text or f"……………… [{blank}]"
    return f"{item.label} {value}" if item.label else value


def draw(sheet: Sheet, page: Page) -> None:
    sheet.page()
    sheet.columns(
        [(page.organisation or f"……… [{page.blank}]", "B"), ("", ""), (page.number, "")]
        + [(page.about, "")],
        [(page.state[0], "B"), (page.state[1], "B"), ("", ""), (page.dated, "I")],
    )
    sheet.say(page.form_no[0], "B", 11, "R")
    sheet.say(page.form_no[1], "I", 10, "R")
    sheet.gap()
    sheet.say(page.title[0], "B", 14, "C")
    sheet.say(page.title[1], "B", 13, "C")
    sheet.gap()
    sheet.say(page.to, "", 13, "C")
    sheet.gap()
    sheet.say(page.intro)
    for line in page.phase:
        sheet.say(line)
    for part in page.parts:
        sheet.gap(3)
        sheet.say(part.title, "B")
        if part.rows:
            sheet.table(
                [(r.label, "\n".join(shown(v, page.blank) for v in r.values)) for r in part.rows]
            )
        for paragraph in part.paragraphs:
            sheet.say(paragraph)
    sheet.gap(6)
    sheet.columns(
        [(line, "I" if n == 0 else "") for n, line in enumerate(page.recipients)],
        [(page.signer[0], "B"), (page.signer[1], "I")],
    )


def record_pdf(minutes: Minutes) -> bytes:
    """The biên bản, every entry in Hanoi time, for signature."""
    sheet = Sheet(f"Biên bản / Record {minutes.breach.id}")
    sheet.page()
    o = minutes.organisation
    sheet.say((o.name or o.name_en or "……………").upper(), "B", 12, "L")
    sheet.gap()
    sheet.say(
        "BIÊN BẢN XÁC NHẬN VỀ VIỆC XẢY RA VI PHẠM QUY ĐỊNH VỀ BẢO VỆ DỮ LIỆU CÁ NHÂN", "B", 13, "C"
    )
    sheet.say("Record confirming a personal data protection violation", "I", 11, "C")
    sheet.gap()
    breach = minutes.breach
    sheet.say(f"Hồ sơ / File: {breach.id} — {breach.summary}", "", 11, "L")
    sheet.say(f"Xảy ra / Occurred: {minutes.occurred.vi} (giờ Hà Nội)", "", 11, "L")
    sheet.say(f"Phát hiện / Detected: {minutes.detected.vi} (giờ Hà Nội)", "", 11, "L")
    chain = (
        "BỊ THAY ĐỔI / BROKEN: " + "; ".join(minutes.problems)
        if minutes.problems
        else ("toàn vẹn / intact")
    )
    sheet.say(f"Chuỗi băm / Hash chain: {chain}; mã băm cuối / head {minutes.head}", "", 10, "L")
    sheet.gap()
    rows = [("#", "Thời điểm", "Sự việc / What happened")]
    rows += [
        (str(m.seq), m.at.vi if m.at else "—", f"{m.what.vi}\n{m.what.en}") for m in minutes.lines
    ]
    sheet.table(rows, (7, 23, 70))
    sheet.gap(8)
    sheet.columns(
        [("NGƯỜI LẬP BIÊN BẢN", "B"), ("(Ký, ghi rõ họ tên)", "I")],
        [("NGƯỜI PHỤ TRÁCH BẢO VỆ DỮ LIỆU CÁ NHÂN", "B"), ("(Ký, ghi rõ họ tên)", "I")],
    )
    return sheet.output()


def form_pdf(form: Form08) -> bytes:
    """Form 08 for signature: the Vietnamese form, then its English translation."""
    return placed_form_pdf(form)[0]


def placed_form_pdf(form: Form08) -> tuple[bytes, Place | None]:
    """Form 08, and where its signature goes: under the Vietnamese form's signer, the
    version that binds (None: that page is full, the signer picks a place)."""
    sheet = Sheet(f"Mẫu số 08 / Form 08: {form.breach_id}")
    place = None
    for number, page in enumerate(pages(form)):
        draw(sheet, page)
        if number == 0:
            place = sheet.place_below()
    return sheet.output(), place
