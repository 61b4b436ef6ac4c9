"""Streamed XLSX workbooks: each sheet's XML is written row by row into a zip that stream-zip streams.

Nothing is built in a temporary file first: the first bytes leave as soon as the first rows are
read, and memory stays flat whatever the row count. Cells are typed by their Python value: text
(an inline string: never a formula, never an error value), int and float (numbers), and datetimes
(a date-time number with a yyyy-mm-dd hh:mm:ss format; an aware one in UTC); None and "" are empty
cells. Cells carry no reference (each is the next column), which keeps the XML short and fast to
write. Text must already be fit for XML (export.text_cell drops what XML 1.0 refuses).

Rows of known columns are written faster by a `cells` function of the caller's, built from
`text_xml`, `number_xml` and `date_xml` (see console/exports.py): the same XML.
"""
from __future__ import annotations

import stat
import zlib
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

from stream_zip import ZIP_32, stream_zip

SHEET_ROWS = 1_048_576  # Excel's rows per sheet, the header included
# A sheet's XML must stay under 4 GiB, as the zip is plain (no zip64, which not every reader takes): a new
# sheet starts past this many bytes even before the row limit. A million ordinary rows are ~0.5 GB.
SHEET_BYTES = 3_500_000_000
ROWS_PER_CHUNK = 500  # rows joined into one piece of XML before it is compressed
KNOWN_CELLS = 20_000  # distinct text cells remembered per sheet: a few MB at most
# Deflate level 1: several times faster than the default 9 and the file is still ~8x smaller than its XML.
LEVEL = 1
EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's (1900) date system, as used after 1900-03-01
EXCEL_EPOCH_UTC = EXCEL_EPOCH.replace(tzinfo=timezone.utc)
DATE_STYLE = 1  # cellXfs index of the date-time format below
_MODE = stat.S_IFREG | 0o644
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_OPEN = f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData>'.encode()
_SHEET_CLOSE = b"</sheetData></worksheet>"
_SPACE = " \t\n\r"
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')


def stream_workbook(rows: Iterable[Sequence[Any]], *, header: Sequence[str], title: str,
                    modified: datetime, sheet_rows: int = SHEET_ROWS, sheet_bytes: int = SHEET_BYTES,
                    cells: Optional[Callable[[Any], str]] = None) -> Iterator[bytes]:
    """The XLSX file of `rows` as chunks of bytes. Each sheet starts with `header` and holds at most
    `sheet_rows` rows with it; the first is named `title`, the next `title 2`, and so on.
    There is always a first sheet, if only with its header. `cells`, if given, writes the XML of
    a row's cells (a row is then whatever it takes); by default each value is typed as it comes."""
    if sheet_rows < 2:
        raise ValueError("a sheet needs room for the header and at least one row")
    return stream_zip(_members(iter(rows), header, title, modified.replace(tzinfo=None), sheet_rows, sheet_bytes,
                               cells),
                      get_compressobj=lambda: zlib.compressobj(level=LEVEL, wbits=-zlib.MAX_WBITS))


def _members(rows: Iterator, header, title: str, modified: datetime, sheet_rows: int, sheet_bytes: int, cells):
    """The zip's members, lazily: sheets while rows remain (stream-zip reads one member to its end
    before asking for the next), then the parts that name the sheets."""
    titles: list[str] = []
    header_xml = cells_xml(header, {})
    first = next(rows, None)
    while first is not None or not titles:
        titles.append(title if not titles else f"{title} {len(titles) + 1}")
        rest: list = []  # the row that did not fit this sheet, if any
        known: dict = {}
        yield (f"xl/worksheets/sheet{len(titles)}.xml", modified, _MODE, ZIP_32,
               _sheet(first, rows, header_xml, cells or (lambda row: cells_xml(row, known)), sheet_rows,
                      sheet_bytes, rest))
        first = rest[0] if rest else None
    for name, text in _parts(titles):
        yield name, modified, _MODE, ZIP_32, (text.encode(),)


def _sheet(first: Optional[Sequence], rows: Iterator, header_xml: str, cells: Callable[[Any], str],
           sheet_rows: int, sheet_bytes: int, rest: list) -> Iterator[bytes]:
    """One sheet's XML: the header, `first`, then rows until the sheet is full (the row that would
    not fit is put in `rest`) or there are none left."""
    yield _SHEET_OPEN
    written = len(_SHEET_OPEN)
    piece, number = [f'<row r="1">{header_xml}</row>'], 1
    row = first
    while row is not None:
        number += 1
        piece.append(f'<row r="{number}">{cells(row)}</row>')
        if len(piece) >= ROWS_PER_CHUNK:
            data = "".join(piece).encode()
            written, piece = written + len(data), []
            yield data
        row = next(rows, None)
        if row is not None and (number >= sheet_rows or written >= sheet_bytes):
            rest.append(row)
            break
    yield "".join(piece).encode() + _SHEET_CLOSE


def cells_xml(values: Sequence[Any], known: dict) -> str:
    """The cells of one `<row>`, each typed by its value. Cells carry no reference: each is the next
    column, an empty one an empty `<c/>`. `known` holds the XML of text (and empty) cells already
    written: an export repeats most."""
    out = []
    for value in values:
        kind = value.__class__
        if kind is str or value is None:
            out.append(known.get(value) or _remembered(value, known))
        elif kind is int or kind is float:
            out.append(f"<c><v>{value!r}</v></c>")
        elif kind is datetime:
            out.append(f'<c s="{DATE_STYLE}"><v>{excel_serial(value)!r}</v></c>')
        else:
            raise TypeError(f"cannot write a {kind.__name__} to an XLSX cell")
    return "".join(out)


def _remembered(value: Optional[str], known: dict) -> str:
    cell = text_xml(value) if value else "<c/>"
    if len(known) >= KNOWN_CELLS:
        known.clear()  # unique values (ids, phones) filled it: start again, the common ones come back at once
    if value is None or len(value) <= 100:
        known[value] = cell
    return cell


def text_xml(value: Optional[str]) -> str:
    """A text cell (an inline string: never a formula, never an error value); "" and None are empty."""
    if not value:
        return "<c/>"
    if "&" in value or "<" in value or ">" in value or "\r" in value:
        value = _escape(value)
    if value[0] in _SPACE or value[-1] in _SPACE:  # Excel trims blanks at the ends unless told not to
        return f'<c t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def number_xml(value: Optional[float]) -> str:
    """A number cell for an int or a float; None is empty."""
    kind = value.__class__
    if kind is int or kind is float:
        return f"<c><v>{value!r}</v></c>"
    if value is None:
        return "<c/>"
    raise TypeError(f"cannot write a {kind.__name__} to an XLSX number cell")


def date_xml(value: Optional[datetime]) -> str:
    """A date-time cell (see excel_serial); None is empty."""
    if value is None:
        return "<c/>"
    return f'<c s="{DATE_STYLE}"><v>{excel_serial(value)!r}</v></c>'


def _escape(value: str) -> str:
    """Text as XML character data; a carriage return as a reference, which XML would read as a line feed."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def excel_serial(value: datetime) -> float:
    """A datetime as Excel's day number (days since 1899-12-30, the time as the fraction); an aware
    one by its UTC wall time, as Excel has no time zones."""
    delta = value - (EXCEL_EPOCH if value.tzinfo is None else EXCEL_EPOCH_UTC)
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def _parts(titles: list[str]) -> list[tuple[str, str]]:
    """The workbook, its relationships, the styles and the content types, for these sheets."""
    count = len(titles)
    sheets = "".join(f'<sheet name="{_attribute(t)}" sheetId="{i}" r:id="rId{i}"/>' for i, t in enumerate(titles, 1))
    links = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, count + 1))
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
                        for i in range(1, count + 1))
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return [
        ("xl/workbook.xml", f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>'),
        ("xl/_rels/workbook.xml.rels",
         f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{links}<Relationship Id="rId{count + 1}" '
         f'Type="{_REL}/styles" Target="styles.xml"/></Relationships>'),
        ("xl/styles.xml", _STYLES),
        ("_rels/.rels", f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
                        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        ("[Content_Types].xml",
         f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
         '<Default Extension="xml" ContentType="application/xml"/>'
         f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
         f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>{overrides}</Types>'),
    ]


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
