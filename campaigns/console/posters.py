"""A community's poster: an A4 page with a QR code to the resident page's walk-in report for that
community (`<public address>/report?c=<community>`), the address written out, and a short instruction
in the community's language (English or Mandarin). As a PDF to print (fpdf2; the QR code drawn as
vector squares, so it stays sharp at any size) and as a PNG to share (Pillow, A4 at 150 dpi).

Fonts come from the machine as for the printed lists (printing.font_files): a Unicode body font, and a
CJK font for Chinese text (the whole of a Mandarin poster, a Chinese community name on an English one).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional
from urllib.parse import quote, unquote, urlencode

import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from campaigns.console import printing

REPORT_PATH = "/report"  # the resident page's walk-in report, served at the public address
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 18.0  # A4, mm
QR_MM = 115.0  # the code's side: a phone reads it from a few metres
DPI = 150  # the PNG: A4 at 150 dots per inch, 1240 x 1754 pixels
PX = DPI / 25.4  # pixels per mm


@dataclass(frozen=True)
class Words:
    title: str
    lead: str
    community: str  # with {community}
    steps: tuple[str, str, str]
    open_instead: str  # with {url}
    promise: str  # with {office}
    emergency: str  # with {number}


WORDS = {
    "en": Words(
        title="Health check", lead="Report your temperature and symptoms from your phone",
        community="Community: {community}",
        steps=("Scan the code with your phone's camera.",
               "Answer a few questions for each person in your home: temperature and symptoms. "
               "It takes about two minutes.",
               "Need medicine, food or medical care? Press “I need help”."),
        open_instead="Or open {url}", promise="Free, no sign-in. Your answers go only to {office}.",
        emergency="In an emergency, call {number}."),
    "zh": Words(
        title="健康自查", lead="用手机上报体温和症状", community="社区：{community}",
        steps=("用手机相机扫描二维码。", "按提示回答家中每个人的体温和症状，大约两分钟。",
               "需要药品、食物或就医？请点“我需要帮助”。"),
        open_instead="或在浏览器中打开 {url}", promise="免费，无需登录。您的回答只发给{office}。",
        emergency="紧急情况请拨打 {number}。"),
}
LANGUAGES = tuple(WORDS)


class NoFont(RuntimeError):
    """The machine has no font for the poster's language; the message says what to install."""


@dataclass(frozen=True)
class Poster:
    community: str
    language: str  # a key of WORDS
    url: str  # what the QR code holds
    office: str
    emergency: str


def report_url(public_url: str, community: str) -> str:
    """The walk-in report's address for a community: `https://host/report?c=North%20Side`."""
    return f"{public_url.rstrip('/')}{REPORT_PATH}?{urlencode({'c': community}, quote_via=quote)}"


def lines_of(poster: Poster) -> list[tuple[str, float, bool]]:
    """The poster's text from top to bottom, the QR code at "": (text, size in points, bold)."""
    words = WORDS[poster.language]
    steps = [(f"{number}. {step}", 14, False) for number, step in enumerate(words.steps, 1)]
    return [(poster.office, 12, False), (words.title, 34, True), (words.lead, 18, False),
            (words.community.format(community=poster.community), 16, True), ("", 0, False),
            (words.open_instead.format(url=shown_url(poster)), 10, False), *steps,
            (words.promise.format(office=poster.office), 11, False),
            (words.emergency.format(number=poster.emergency), 14, True)]


def shown_url(poster: Poster) -> str:
    """The address as a person types it: the community in its own letters ("?c=东城区"), unless its name
    holds a character that must stay encoded; the QR code holds the encoded one."""
    if any(char in poster.community for char in " &#?%+/=") or not poster.community.isprintable():
        return poster.url
    return unquote(poster.url)


def qr_matrix(url: str) -> tuple[bytearray, ...]:
    """The code's modules (1 dark), without its quiet zone; error correction M or better (segno raises
    it while the symbol stays the same size), so a worn poster still scans."""
    return segno.make_qr(url, error="m").matrix


def pdf_bytes(poster: Poster) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(WORDS[poster.language].title)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    family = _pdf_fonts(pdf, poster.language, "".join(text for text, _, _ in lines_of(poster)))
    pdf.add_page()
    pdf.set_y(MARGIN)
    for text, size, bold in lines_of(poster):
        if not text:
            _pdf_qr(pdf, qr_matrix(poster.url))
            continue
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(0, size * 0.45, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(size * 0.2)
    return bytes(pdf.output())


def _pdf_fonts(pdf: FPDF, language: str, text: str) -> str:
    found = printing.font_files()
    if language == "zh" and found.fallback is None:
        raise NoFont("no font with Chinese characters on this machine: install fonts-noto-cjk "
                     "(or fonts-droid-fallback) for a Mandarin poster")
    if found.body is None:
        return "helvetica"  # Latin-1 only: an English poster still prints
    pdf.add_font("body", "", found.body[0])
    pdf.add_font("body", "B", found.body[1])
    if found.fallback and not set(map(ord, text)) <= _coverage(found.body[0], 0):  # a CJK font takes seconds
        pdf.add_font("cjk", "", found.fallback, collection_font_number=_collection_index(found.fallback))
        pdf.set_fallback_fonts(["cjk"], exact_match=False)  # bold Chinese in the regular face
    return "body"


def _pdf_qr(pdf: FPDF, matrix: tuple[bytearray, ...]) -> None:
    module = QR_MM / len(matrix)
    left, top = (PAGE_W - QR_MM) / 2, pdf.get_y() + 4
    pdf.set_fill_color(0, 0, 0)
    for row, modules in enumerate(matrix):
        for start, length in _dark_runs(modules):  # one rectangle per run of dark modules
            pdf.rect(left + start * module, top + row * module, length * module, module, style="F")
    pdf.set_y(top + QR_MM + 4)


def _dark_runs(modules: bytearray) -> list[tuple[int, int]]:
    runs, start = [], None
    for index, dark in enumerate([*modules, 0]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            runs.append((start, index - start))
            start = None
    return runs


def png_bytes(poster: Poster) -> bytes:
    """The same page as a picture: white, the code in the middle, each line of text centred."""
    image = Image.new("L", (round(PAGE_W * PX), round(PAGE_H * PX)), 255)
    draw = ImageDraw.Draw(image)
    y = MARGIN * PX
    for text, size, bold in lines_of(poster):
        if not text:
            y = _png_qr(image, qr_matrix(poster.url), y + 4 * PX) + 4 * PX
            continue
        fonts = _png_fonts(round(size * DPI / 72), bold)
        for line in printing._wrap_paragraph(text, (PAGE_W - 2 * MARGIN) * PX, lambda t: _width(t, fonts)):
            x, baseline = (image.width - _width(line, fonts)) / 2, y + size * 0.36 * PX
            for run, font in _runs(line, fonts):
                draw.text((x, baseline), run, font=font, fill=0, anchor="ls")  # one baseline for both fonts
                x += font.getlength(run)
            y += size * 0.45 * PX
        y += size * 0.2 * PX
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _png_qr(image: Image.Image, matrix: tuple[bytearray, ...], top: float) -> float:
    module = round(QR_MM * PX / len(matrix))  # whole pixels a module: sharp edges for the camera
    side = module * len(matrix)
    left, top = (image.width - side) // 2, round(top)
    draw = ImageDraw.Draw(image)
    for row, modules in enumerate(matrix):
        for start, length in _dark_runs(modules):
            draw.rectangle((left + start * module, top + row * module,
                            left + (start + length) * module - 1, top + (row + 1) * module - 1), fill=0)
    return top + side


@dataclass(frozen=True)
class _Face:
    font: ImageFont.FreeTypeFont
    covers: Optional[frozenset[int]]  # the characters it has; None: take it for everything


def _png_fonts(pixels: int, bold: bool) -> list[_Face]:
    """The body font, then the CJK font for what it lacks (as the PDF falls back)."""
    found, faces = printing.font_files(), []
    if found.body:
        path = found.body[1 if bold else 0]
        faces.append(_Face(ImageFont.truetype(path, pixels), _coverage(path, 0)))
    if found.fallback:
        index = _collection_index(found.fallback)
        faces.append(_Face(ImageFont.truetype(found.fallback, pixels, index=index), None))
    return faces or [_Face(ImageFont.load_default(pixels), None)]


def _runs(text: str, faces: list[_Face]) -> list[tuple[str, ImageFont.FreeTypeFont]]:
    runs: list[tuple[str, ImageFont.FreeTypeFont]] = []
    for char in text:
        font = next((f.font for f in faces if f.covers is None or ord(char) in f.covers), faces[-1].font)
        if runs and runs[-1][1] is font:
            runs[-1] = (runs[-1][0] + char, font)
        else:
            runs.append((char, font))
    return runs


def _width(text: str, faces: list[_Face]) -> float:
    return sum(font.getlength(run) for run, font in _runs(text, faces))


@lru_cache(maxsize=8)
def _coverage(path: str, index: int) -> frozenset[int]:
    return frozenset(TTFont(path, fontNumber=index, lazy=True).getBestCmap())


def _collection_index(path: str) -> int:
    """Which face of a font collection: Noto Sans CJK's Simplified Chinese (its Japanese, the first,
    draws some characters differently)."""
    return 2 if "NotoSansCJK" in path and path.endswith(".ttc") else 0
