"""Make templates/reference.docx: the Word styles every exported report uses.

pandoc takes paragraph and character styles from a "reference document". This
script starts from pandoc's own reference document (so every style pandoc
writes exists) and sets the Panel's house style: A4, Arial text, headings in
the Panel's blue, readable tables, and the small grey "Line Number" style that
marks each line of a draft under review. Run it again after changing the
style; the result is committed so that exports need no network and no Word.

    .venv/bin/python scripts/make_reference_docx.py
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pypandoc
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Cm, Pt, RGBColor

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "templates" / "reference.docx"
BLUE = RGBColor(0x1F, 0x4E, 0x79)
GREY = RGBColor(0x80, 0x80, 0x80)
FONT = "Arial"


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
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    doc.save(TARGET)
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
