"""Make templates/reference.docx: the Word styles every exported report uses.

pandoc takes paragraph and character styles from a "reference document". This
script starts from pandoc's own reference document (so every style pandoc
writes exists) and sets the Panel's house style: A4, Arial text, headings in
the Panel's blue, readable tables, and the small grey "Line Number" style that
marks each line of a draft under review. Run it again after changing the
style; the result is committed so that exports need no network and no Word.

Fonts are named outright on every style, for each of Word's four script slots
(Latin, high ANSI, East Asian, complex script): pandoc's styles refer to the
theme's fonts (Aptos), and a theme reference wins over a named font, so Word
showed Aptos and LibreOffice its fallback instead of Arial. The theme itself
is set to the same fonts for styles Word adds later. East Asian text uses
Noto Sans CJK SC (Debian: fonts-noto-cjk), right-to-left scripts DejaVu Sans
(installed with LibreOffice); complex-script sizes follow the Latin ones, so
Arabic is no longer set larger than the text around it.

    .venv/bin/python scripts/make_reference_docx.py
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pypandoc
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "templates" / "reference.docx"
BLUE = RGBColor(0x1F, 0x4E, 0x79)
GREY = RGBColor(0x80, 0x80, 0x80)
FONT = "Arial"
EAST_ASIAN_FONT = "Noto Sans CJK SC"
COMPLEX_FONT = "DejaVu Sans"
TEXT_WIDTH = Cm(16.0)  # A4 less two margins of 2.5 cm


def pandoc_reference() -> bytes:
    """Return pandoc's default reference.docx."""
    return subprocess.run(
        [pypandoc.get_pandoc_path(), "--print-default-data-file", "reference.docx"],
        check=True,
        capture_output=True,
    ).stdout


def main() -> None:
    doc = Document(io.BytesIO(pandoc_reference()))
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin = section.bottom_margin = Cm(2.5)
    styles = doc.styles
    for name in ("Normal", "Body Text", "First Paragraph", "Compact", "Block Text"):
        if name in [s.name for s in styles]:
            style = styles[name]
            style.font.name = FONT
            style.font.size = Pt(10.5)
    body = styles["Body Text"]
    body.paragraph_format.space_after = Pt(6)
    body.paragraph_format.line_spacing = 1.15
    sizes = {1: 18, 2: 14, 3: 12, 4: 11, 5: 10.5, 6: 10.5}
    for level, size in sizes.items():
        style = styles[f"Heading {level}"]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = level <= 3
        style.font.color.rgb = BLUE
        style.paragraph_format.space_before = Pt(18 if level == 1 else 12)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True
    styles["Heading 1"].paragraph_format.page_break_before = True
    for name in ("Title", "Subtitle"):
        styles[name].font.name = FONT
        styles[name].font.color.rgb = BLUE
    styles["Title"].font.size = Pt(26)
    styles["Subtitle"].font.size = Pt(15)
    if "Line Number" not in [s.name for s in styles]:
        styles.add_style("Line Number", WD_STYLE_TYPE.CHARACTER)
    line = styles["Line Number"]
    line.font.name = FONT
    line.font.size = Pt(7.5)
    line.font.color.rgb = GREY
    line.font.bold = True
    for name in ("TOC 1", "TOC 2"):
        if name not in [s.name for s in styles]:
            styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style = styles[name]
        style.base_style = styles["Normal"]
        style.font.name = FONT
        style.font.size = Pt(11 if name == "TOC 1" else 10)
        style.font.bold = name == "TOC 1"
        style.paragraph_format.space_before = Pt(6 if name == "TOC 1" else 0)
        style.paragraph_format.left_indent = Cm(0 if name == "TOC 1" else 0.8)
    for name in ("Header", "Footer"):
        if name not in [s.name for s in styles]:
            styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style = styles[name]
        style.base_style = styles["Normal"]
        style.font.size = Pt(8)
        style.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
        style.paragraph_format.space_after = Pt(0)
        stops = style.paragraph_format.tab_stops
        stops.add_tab_stop(TEXT_WIDTH // 2, WD_TAB_ALIGNMENT.CENTER)
        stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    # References: hanging indent, as in IPCC reports, so each entry's first word stands out.
    bibliography = styles["Bibliography"]
    bibliography.font.size = Pt(9.5)
    bibliography.paragraph_format.left_indent = Cm(0.75)
    bibliography.paragraph_format.first_line_indent = Cm(-0.75)
    bibliography.paragraph_format.space_after = Pt(4)
    # Table captions go above their table ("Table 1.2 | …") and stay with it.
    caption = styles["Table Caption"]
    caption.font.italic = False
    caption.font.size = Pt(9.5)
    caption.paragraph_format.keep_with_next = True
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.space_after = Pt(4)
    name_fonts(doc)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    doc.save(TARGET)
    print(f"wrote {TARGET.relative_to(ROOT)}")


def name_fonts(doc: Document) -> None:
    """Name the fonts on every style and in the theme, and keep complex-script sizes in step."""
    fonts = {"ascii": FONT, "hAnsi": FONT, "eastAsia": EAST_ASIAN_FONT, "cs": COMPLEX_FONT}
    root = doc.styles.element
    for props in root.iter(qn("w:rPr")):
        r_fonts = props.find(qn("w:rFonts"))
        if r_fonts is None:
            continue
        for attribute in list(r_fonts.attrib):
            # asciiTheme and the like override w:ascii: drop them so the named font counts.
            if attribute.endswith("Theme") or attribute.endswith("theme"):
                del r_fonts.attrib[attribute]
        if r_fonts.get(qn("w:ascii")) == "Consolas":  # code keeps its monospace face
            continue
        for slot, font in fonts.items():
            r_fonts.set(qn(f"w:{slot}"), font)
    defaults = root.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    r_fonts = defaults.find(qn("w:rFonts"))
    for slot, font in fonts.items():
        r_fonts.set(qn(f"w:{slot}"), font)
    for style in doc.styles:
        props = style.element.find(qn("w:rPr"))
        if props is None:
            continue
        size = props.find(qn("w:sz"))
        size_cs = props.find(qn("w:szCs"))
        if size is not None:
            if size_cs is None:
                size_cs = OxmlElement("w:szCs")
                size.addnext(size_cs)
            size_cs.set(qn("w:val"), size.get(qn("w:val")))
        elif size_cs is not None:
            props.remove(size_cs)
    defaults.find(qn("w:szCs")).set(qn("w:val"), defaults.find(qn("w:sz")).get(qn("w:val")))
    for part in doc.part.package.iter_parts():
        if str(part.partname).startswith("/word/theme/"):
            xml = part.blob.decode()
            for slot, font in (("latin", FONT), ("ea", EAST_ASIAN_FONT), ("cs", COMPLEX_FONT)):
                # The panose number describes the old face; a wrong one misleads font matching.
                xml = re.sub(
                    rf'<a:{slot} typeface="[^"]*"( panose="\w+")?',
                    f'<a:{slot} typeface="{font}"',
                    xml,
                )
            part._blob = xml.encode()


if __name__ == "__main__":
    main()
