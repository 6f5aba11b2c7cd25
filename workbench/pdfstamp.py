"""Write the contents' page numbers onto LibreOffice's print of a report, without printing again.

Terms:

- **Placeholder**: what stands in each contents entry's page field when the
  document is printed: three FIGURE SPACEs (U+2007), blanks as wide as three
  digits, right-aligned at the entry's dotted tab. The print is laid out as it
  will be with the numbers (nothing can move to another line or page), and its
  text (pdftotext) shows nothing there.
- **Leader**: the dots LibreOffice draws from the title to the placeholder.
- **Stamp**: the page number drawn on a contents page in place of its
  placeholder: right-aligned where the placeholder ends, on its baseline, at its
  size, in Helvetica (a standard PDF font, nothing to embed, metric-compatible
  with Arial and Liberation Sans, which the contents are printed in), bold where
  the entry is; the leader goes on up to the number in the page's own font, as
  LibreOffice draws it in a print with the numbers, so that the page looks and
  reads (pdftotext) the same.

The stamps go into an incremental update of the PDF: LibreOffice's bytes are
kept as they are, and the update gives each contents page a new drawing (its
own, less the placeholders, then the stamps) and the stamp fonts. Every other
page is byte for byte what LibreOffice printed. When the placeholders are not
one per entry, nothing is stamped and the caller prints the numbered document.

The pages are read with pypdf's content-stream parser, following the text state
(fonts, matrices, TJ adjustments) and each font's widths and ToUnicode map: one
parse of each contents page both finds the placeholders and rewrites the page.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)

PLACEHOLDER = "\u2007" * 3
# The width of every digit in Helvetica, Arial and Liberation Sans, regular and bold (em).
DIGIT_WIDTH = 0.556
FONTS = {False: "Helvetica", True: "Helvetica-Bold"}
FONT_NAMES = {False: "WbStamp", True: "WbStampBold"}  # resource names on the stamped pages
PAGES_SCANNED = 20  # the contents start within the first pages, or they are not found
_HEX = r"<([0-9A-Fa-f]+)>"
_BFCHAR = re.compile(r"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(r"beginbfrange(.*?)endbfrange", re.S)
_PAIR = re.compile(rf"{_HEX}\s*{_HEX}")
_RANGE = re.compile(rf"{_HEX}\s*{_HEX}\s*{_HEX}")


@dataclass(frozen=True)
class Leader:
    """The dots before a placeholder: where they end and how the page draws one."""

    end: float  # where the last dot ends
    pitch: float  # the width of one dot
    font: str  # the page's resource name of the font the dots are drawn in
    code: bytes  # the character code of one dot in that font


@dataclass(frozen=True)
class Placeholder:
    """Where a placeholder stands on a page (PDF points, origin bottom left)."""

    page: int  # index of the page, from 0
    x: float  # where the placeholder begins
    end: float  # where it ends: the right tab the page number is aligned to
    y: float  # its baseline
    size: float  # the font size, as printed
    bold: bool
    leader: Leader | None  # the dots before it, when there are any
    operation: int  # the index of the operation drawing it in the page's content stream


@dataclass(frozen=True)
class _Font:
    """What the stamping needs to know of a simple font: widths, and text of its codes."""

    name: str  # its resource name on the page
    bold: bool
    widths: dict[int, float]  # code → width, thousandths of an em
    text: dict[int, str]  # code → Unicode, from its ToUnicode map


@dataclass(frozen=True)
class _Show:
    """One operation showing text, where it starts and ends on the page."""

    operation: int
    text: str
    font: _Font
    codes: bytes
    x: float
    end: float
    y: float
    size: float


@dataclass
class _TextState:
    """The parts of the PDF graphics and text state that place glyphs on a line."""

    ctm: list[float] = field(default_factory=lambda: [1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    tm: list[float] = field(default_factory=lambda: [1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    line: list[float] = field(default_factory=lambda: [1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    font: _Font | None = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scaling: float = 1.0
    leading: float = 0.0

    def copy(self) -> _TextState:
        return _TextState(
            list(self.ctm),
            list(self.tm),
            list(self.line),
            self.font,
            self.size,
            self.char_spacing,
            self.word_spacing,
            self.scaling,
            self.leading,
        )

    def move(self, tx: float, ty: float) -> None:
        """Start a new line offset from the start of the current one (Td)."""
        self.line = _multiply([1.0, 0.0, 0.0, 1.0, tx, ty], self.line)
        self.tm = list(self.line)


def _multiply(m: list[float], n: list[float]) -> list[float]:
    """Return the product of two PDF matrices [a b c d e f] (m, then n)."""
    return [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]


def _unicode_map(cmap: Any) -> dict[int, str]:
    """Return code → text of a single-byte ToUnicode CMap (the bfchar and bfrange entries)."""
    text: dict[int, str] = {}
    source = cmap.get_object().get_data().decode("latin-1") if cmap is not None else ""

    def decoded(hex_text: str) -> str:
        return bytes.fromhex(hex_text).decode("utf-16-be", errors="replace")

    for block in _BFCHAR.findall(source):
        for code, target in _PAIR.findall(block):
            text[int(code, 16)] = decoded(target)
    for block in _BFRANGE.findall(source):
        for low, high, target in _RANGE.findall(block):
            first = decoded(target)
            for offset in range(int(high, 16) - int(low, 16) + 1):
                text[int(low, 16) + offset] = first[:-1] + chr(ord(first[-1]) + offset)
    return text


def _fonts(page: Any) -> dict[str, _Font]:
    """Return the page's simple fonts by resource name (composite fonts are left out)."""
    fonts: dict[str, _Font] = {}
    resources = page.get("/Resources")
    table = resources.get_object().get("/Font") if resources is not None else None
    for name, reference in (table.get_object() if table is not None else {}).items():
        font = reference.get_object()
        if font.get("/Subtype") == "/Type0" or "/Widths" not in font:
            continue
        first = int(font.get("/FirstChar", 0))
        widths = {first + i: float(w) for i, w in enumerate(font["/Widths"].get_object())}
        bold = "Bold" in str(font.get("/BaseFont", ""))
        fonts[str(name)] = _Font(str(name), bold, widths, _unicode_map(font.get("/ToUnicode")))
    return fonts


def _shows(content: ContentStream, fonts: dict[str, _Font]) -> list[_Show]:
    """Return the page's text-showing operations in drawing order, placed on the page."""
    shows: list[_Show] = []
    state, saved = _TextState(), []
    for index, (operands, operator) in enumerate(content.operations):
        if operator == b"q":
            saved.append(state.copy())
        elif operator == b"Q" and saved:
            state = saved.pop()
        elif operator == b"cm" and len(operands) == 6:
            state.ctm = _multiply([float(v) for v in operands], state.ctm)
        elif operator == b"BT":
            state.tm, state.line = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        elif operator == b"Tf" and len(operands) == 2:
            state.font, state.size = fonts.get(str(operands[0])), float(operands[1])
        elif operator == b"Tc" and operands:
            state.char_spacing = float(operands[0])
        elif operator == b"Tw" and operands:
            state.word_spacing = float(operands[0])
        elif operator == b"Tz" and operands:
            state.scaling = float(operands[0]) / 100
        elif operator == b"TL" and operands:
            state.leading = float(operands[0])
        elif operator in (b"Td", b"TD") and len(operands) == 2:
            if operator == b"TD":
                state.leading = -float(operands[1])
            state.move(float(operands[0]), float(operands[1]))
        elif operator == b"Tm" and len(operands) == 6:
            state.tm, state.line = [float(v) for v in operands], [float(v) for v in operands]
        elif operator == b"T*":
            state.move(0.0, -state.leading)
        elif operator in (b"Tj", b"TJ", b"'", b'"') and operands:
            if operator != b"Tj" and operator != b"TJ":
                if operator == b'"' and len(operands) == 3:
                    state.word_spacing, state.char_spacing = float(operands[0]), float(operands[1])
                state.move(0.0, -state.leading)
            shown = _show(index, operands[0] if operator == b"TJ" else operands[-1:], state)
            if shown is not None:
                shows.append(shown)
    return shows


def _show(index: int, pieces: list[Any], state: _TextState) -> _Show | None:
    """Place one text-showing operation and move the text matrix past it."""
    font, size = state.font, state.size
    codes, advance = b"", 0.0  # advance in unscaled text space
    for piece in pieces:
        if isinstance(piece, (str, bytes)):
            run = bytes(getattr(piece, "original_bytes", piece))
            codes += run
            for code in run:
                width = font.widths.get(code, 0.0) if font is not None else 0.0
                spacing = state.char_spacing + (state.word_spacing if code == 32 else 0.0)
                advance += (width / 1000 * size + spacing) * state.scaling
        else:
            advance -= float(piece) / 1000 * size * state.scaling
    place = _multiply(state.tm, state.ctm)
    state.tm = _multiply([1.0, 0.0, 0.0, 1.0, advance, 0.0], state.tm)
    if font is None or abs(place[1]) > 1e-6 or abs(place[2]) > 1e-6 or place[0] <= 0:
        return None  # a composite font, or turned text: not a contents entry
    text = "".join(font.text.get(code, "\ufffd") for code in codes)
    x, y = place[4], place[5]
    return _Show(index, text, font, codes, x, x + advance * place[0], y, size * place[3])


def _placeholders(index: int, shows: list[_Show], placeholder: str) -> list[Placeholder]:
    """Return the placeholders among a page's text, each with the leader before it."""
    found = []
    dots: dict[float, _Show] = {}  # baseline → the last dots drawn on it
    for show in shows:
        if show.text and set(show.text) == {"."}:
            dots[round(show.y, 1)] = show
        elif show.text == placeholder:
            # Without a width for it in the font, the placeholder is as wide as its digits.
            end = (
                show.end
                if show.end > show.x
                else show.x + DIGIT_WIDTH * show.size * len(placeholder)
            )
            found.append(
                Placeholder(
                    index,
                    show.x,
                    end,
                    show.y,
                    show.size,
                    show.font.bold,
                    _leader(dots.get(round(show.y, 1)), show.x),
                    show.operation,
                )
            )
    return sorted(found, key=lambda p: -p.y)


def _leader(dots: _Show | None, x: float) -> Leader | None:
    """Return the leader these dots make before a placeholder at x."""
    if dots is None or x <= dots.x:
        return None
    count = len(dots.codes)
    unit = dots.codes[:1]
    if count == 0 or unit * count != dots.codes:
        return None  # not one code per dot, the same for all
    pitch = dots.font.widths.get(unit[0], 0.0) / 1000 * dots.size
    return Leader(dots.end, pitch, dots.font.name, unit) if pitch > 0 else None


def _contents(
    reader: PdfReader, placeholder: str, wanted: int | None = None
) -> list[tuple[int, ContentStream, list[Placeholder]]]:
    """Return the contents pages: index, parsed drawing and placeholders, in reading order.

    Pages are read from the first until ``wanted`` placeholders are found or the
    contents end (a page without a placeholder after one with them).
    """
    pages: list[tuple[int, ContentStream, list[Placeholder]]] = []
    found = 0
    for index, page in enumerate(reader.pages):
        if (index >= PAGES_SCANNED and not pages) or (wanted is not None and found >= wanted):
            break
        content = page.get_contents()
        spots = (
            _placeholders(index, _shows(content, _fonts(page)), placeholder)
            if content is not None
            else []
        )
        if pages and not spots:
            break
        if spots:
            pages.append((index, content, spots))
            found += len(spots)
    return pages


def find_placeholders(reader: PdfReader, placeholder: str = PLACEHOLDER) -> list[Placeholder]:
    """Return the placeholders of the contents, in reading order."""
    return [spot for _, _, spots in _contents(reader, placeholder) for spot in spots]


def _stamp(spot: Placeholder, number: str) -> str:
    """Return the content-stream operators that draw one page number and the leader before it."""
    start = spot.end - DIGIT_WIDTH * spot.size * len(number)
    ops = []
    if (leader := spot.leader) is not None:
        # LibreOffice draws as many full stops as fit before the number; the stamp adds
        # those the number leaves room for, in the page's own font, so that pdftotext
        # reads one row of dots.
        dots = math.floor((start - leader.end) / leader.pitch + 1e-6)
        if dots > 0:
            ops.append(
                f"{leader.font} {spot.size:.3f} Tf 1 0 0 1 {leader.end:.3f} {spot.y:.3f} Tm "
                f"<{leader.code.hex() * dots}> Tj"
            )
    if number:
        ops.append(
            f"/{FONT_NAMES[spot.bold]} {spot.size:.3f} Tf "
            f"1 0 0 1 {start:.3f} {spot.y:.3f} Tm ({number}) Tj"
        )
    return "BT 0 g\n" + "\n".join(ops) + "\nET\n" if ops else ""


@dataclass(frozen=True)
class ContentsPrint:
    """A print read for stamping: its contents pages, parsed, with their placeholders."""

    reader: PdfReader
    pages: list[tuple[int, ContentStream, list[Placeholder]]]
    placeholder: str

    @property
    def placeholders(self) -> list[Placeholder]:
        """Return the placeholders found, in reading order."""
        return [spot for _, _, spots in self.pages for spot in spots]


def read_print(pdf: bytes, entries: int, *, placeholder: str = PLACEHOLDER) -> ContentsPrint:
    """Read a print's contents pages until the placeholders of so many entries are found.

    A print pypdf cannot read has none found, so that it is not stamped.
    """
    reader = PdfReader(io.BytesIO(pdf))
    try:
        pages = _contents(reader, placeholder, wanted=entries)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        pages = []
    return ContentsPrint(reader, pages, placeholder)


def stamp(printed: ContentsPrint, numbers: list[str]) -> bytes | None:
    """Return the print with each contents entry's page number drawn at its placeholder.

    ``numbers`` are the entries' pages in the order of the contents ("" leaves an
    entry without one). Returns None when the placeholders found are not one per
    entry, or a number is wider than its placeholder: the caller prints again.
    """
    if any(n and not n.isdigit() for n in numbers) or any(
        len(n) > len(printed.placeholder) for n in numbers
    ):
        return None
    if len(printed.placeholders) != len(numbers):
        return None
    writer = PdfWriter(printed.reader, incremental=True)
    given = iter(numbers)
    for index, content, spots in printed.pages:
        _stamp_page(writer, index, content, [(spot, next(given)) for spot in spots])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stamp_page_numbers(
    pdf: bytes, numbers: list[str], *, placeholder: str = PLACEHOLDER
) -> bytes | None:
    """Return the PDF with the contents' page numbers stamped on (see :func:`stamp`)."""
    return stamp(read_print(pdf, len(numbers), placeholder=placeholder), numbers)


def _stamp_page(
    writer: PdfWriter, index: int, content: ContentStream, stamps: list[tuple[Placeholder, str]]
) -> None:
    """Give a page a drawing without its placeholders and with the numbers stamped over it."""
    page = writer.pages[index]
    # The placeholders are blanks, but pdftotext would read them between the dots and
    # the number: they are taken out of the page's drawing.
    for spot, _ in stamps:
        content.operations[spot.operation] = ([ArrayObject()], b"TJ")
    # The page's own drawing is wrapped in q … Q so that whatever state it leaves
    # (a transformation, a colour) does not reach the stamps.
    operators = "".join(_stamp(spot, number) for spot, number in stamps)
    stream = DecodedStreamObject()
    stream.set_data(b"q\n" + content.get_data() + b"\nQ\n" + operators.encode("ascii"))
    page[NameObject("/Contents")] = writer._add_object(stream.flate_encode())
    # The page gets resources of its own (a copy): a dictionary shared with the
    # body's pages stays as LibreOffice wrote it.
    resources = DictionaryObject(page.get("/Resources", DictionaryObject()).get_object())
    fonts = DictionaryObject(resources.get("/Font", DictionaryObject()).get_object())
    for bold, name in FONT_NAMES.items():
        fonts[NameObject(f"/{name}")] = writer._add_object(
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Font"),
                    NameObject("/Subtype"): NameObject("/Type1"),
                    NameObject("/BaseFont"): NameObject(f"/{FONTS[bold]}"),
                    NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
                }
            )
        )
    resources[NameObject("/Font")] = fonts
    page[NameObject("/Resources")] = resources
