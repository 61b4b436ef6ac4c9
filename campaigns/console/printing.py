"""PDF copies of the printed lists (fpdf2): A4 portrait, a title and what the list holds, then one
section per community, each starting a page, its table's header repeated on every page.

Text is set in a Unicode font found on the machine (DejaVu Sans, Debian's fonts-dejavu-core), with
a CJK font as fallback for names in Chinese, Japanese or Korean (fonts-droid-fallback, WenQuanYi
or Noto CJK); without any of them, in Helvetica, where a character it lacks prints as "?". Cells
wrap on their own: fpdf2's multi_cell costs milliseconds a cell, too slow for a long list.
"""
from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

from fpdf import FPDF

from campaigns.console.i18n import N_

MAX_ROWS = 2000  # a longer PDF takes too long to make in a request: print one community at a time
MAX_LINES = 12  # lines of one cell; a longer text ends with "…"
PAGE_WIDTH, MARGIN, FONT_PT, LINE_MM, PAD_MM = 210.0, 10.0, 8.0, 3.6, 1.0
BODY_FONTS = [  # (regular, bold), Debian's paths
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
]
FALLBACK_FONTS = ["/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
                  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"]
log = logging.getLogger(__name__)


class TooManyRows(ValueError):
    """The list is longer than a PDF is made for; the message says what to do."""


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # mm; the columns of a list add up to PAGE_WIDTH - 2 * MARGIN


@dataclass(frozen=True)
class Section:
    heading: str  # the community
    rows: Iterable[list[str]]


def pdf_bytes(*, title: str, subtitle: str, columns: list[Column], sections: Iterable[Section],
              empty: str, max_rows: Optional[int] = None) -> bytes:
    """The whole document; raises TooManyRows past `max_rows` rows (MAX_ROWS unless given)."""
    max_rows = max_rows or MAX_ROWS
    sheet = _Sheet(title, columns)
    sheet.start(subtitle)
    count = 0
    for section in sections:
        sheet.section(section.heading)
        for row in section.rows:
            count += 1
            if count > max_rows:
                raise TooManyRows(N_("more than %(most)s rows: too many for one PDF; choose one community, or "
                                     "print the page from the browser", most=f"{max_rows:,}"))
            sheet.row(row)
    if count == 0:
        sheet.note(empty)
    return bytes(sheet.pdf.output())


class _Sheet:
    """A document being written: fonts, the current page, and each section's table."""

    def __init__(self, title: str, columns: list[Column]) -> None:
        self.title, self.columns = title, columns
        self.pdf = _Pdf(title)
        self.unicode = _add_fonts(self.pdf)
        self.fallbacks = [font for key, font in self.pdf.fonts.items() if key == "fallback"]
        self.pdf.set_auto_page_break(False)
        self.sections = 0

    def start(self, subtitle: str) -> None:
        self.pdf.add_page()
        self._font("B", 14)
        self.pdf.cell(0, 7, self._text(self.title), new_x="LMARGIN", new_y="NEXT")
        self._font("", 9)
        for line in self._wrap(subtitle, PAGE_WIDTH - 2 * MARGIN):
            self.pdf.cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")

    def section(self, heading: str) -> None:
        if self.sections:
            self.pdf.add_page()  # a community a page (or more): each goes to its own field worker
        self.sections += 1
        self.pdf.ln(2)
        self._font("B", 11)
        self.pdf.cell(0, 6, self._text(heading), new_x="LMARGIN", new_y="NEXT")
        self._header()

    def row(self, cells: list[str], *, bold: bool = False) -> None:
        self._font("B" if bold else "", FONT_PT)
        lines = [self._wrap(text, column.width - 2 * PAD_MM) for text, column in zip(cells, self.columns)]
        height = max(len(cell) for cell in lines) * LINE_MM + PAD_MM
        if not bold and self.pdf.get_y() + height > self.pdf.h - MARGIN - 6:
            self.pdf.add_page()
            self._header()
            self._font("", FONT_PT)
        x, y = MARGIN, self.pdf.get_y()
        for cell, column in zip(lines, self.columns):
            for number, line in enumerate(cell):
                self.pdf.set_xy(x + PAD_MM, y + PAD_MM / 2 + number * LINE_MM)
                self.pdf.cell(column.width - 2 * PAD_MM, LINE_MM, line)
            x += column.width
        self.pdf.line(MARGIN, y + height, x, y + height)
        self.pdf.set_xy(MARGIN, y + height)

    def note(self, text: str) -> None:
        self._font("", 10)
        self.pdf.ln(4)
        self.pdf.cell(0, 6, self._text(text), new_x="LMARGIN", new_y="NEXT")

    def _header(self) -> None:
        self.row([column.title for column in self.columns], bold=True)

    def _font(self, style: str, size: float) -> None:
        self.pdf.set_font("body" if self.unicode else "helvetica", style, size)

    def _text(self, text: str) -> str:
        """What the font can print: control characters dropped; without a Unicode font, Latin-1 only."""
        text = "".join(c for c in text if c == "\n" or unicodedata.category(c)[0] != "C")
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def _wrap(self, text: str, width: float) -> list[str]:
        lines: list[str] = []
        for paragraph in self._text(text or "").split("\n"):
            lines.extend(_wrap_paragraph(paragraph, width, self._width))
        if len(lines) > MAX_LINES:
            lines = lines[:MAX_LINES - 1] + [lines[MAX_LINES - 1] + " …"]
        return lines or [""]

    def _width(self, text: str) -> float:
        return _text_width(self.pdf, text, self.fallbacks)


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.list_title = title
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_title(title)

    def footer(self) -> None:
        self.set_y(-8)
        family = "body" if "body" in self.fonts else "helvetica"
        self.set_font(family, "", 7)
        self.cell(0, 4, f"{self.page_no()}", align="R")


def _wrap_paragraph(text: str, width: float, measure) -> list[str]:
    """Greedy: words while they fit; a word wider than the line (or text without spaces, as Chinese
    is written) is broken between characters."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if measure(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if line and measure(line + char) > width:
                lines.append(line)
                line = ""
            line += char
    lines.append(line)
    return lines


def _text_width(pdf: FPDF, text: str, fallbacks: list) -> float:
    """The width of `text` in mm in the current font, a fallback font's for characters it lacks
    (what fpdf2 prints them in); from the fonts' width tables, without fpdf2's per-call text work."""
    font = pdf.current_font
    if font.type != "TTF":
        return pdf.get_string_width(text)
    total = 0.0
    for char in text:
        code = ord(char)
        owner = font if code in font.cw else next((f for f in fallbacks if code in f.cw), font)
        total += owner.cw[code]
    return total * pdf.font_size_pt * 0.001 / pdf.k


def _add_fonts(pdf: FPDF) -> bool:
    """Add the body font and any CJK fallback; False when there is no Unicode font (Helvetica then)."""
    found = font_files()
    if found.body is None:
        return False
    pdf.add_font("body", "", found.body[0])
    pdf.add_font("body", "B", found.body[1])
    if found.fallback:
        pdf.add_font("fallback", "", found.fallback)
        pdf.set_fallback_fonts(["fallback"], exact_match=False)
    return True


@dataclass(frozen=True)
class FontFiles:
    body: Optional[tuple[str, str]]  # regular and bold
    fallback: Optional[str]


@lru_cache(maxsize=1)
def font_files() -> FontFiles:
    """The fonts this machine has for PDFs, found once."""
    body = next((pair for pair in BODY_FONTS if all(Path(path).exists() for path in pair)), None)
    fallback = next((path for path in FALLBACK_FONTS if Path(path).exists()), None)
    if body is None:
        log.warning("no Unicode font for PDFs (install fonts-dejavu-core): names outside Latin-1 print as '?'")
    return FontFiles(body, fallback)
