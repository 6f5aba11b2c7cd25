"""Typography of the Word and PDF exports: faces, running header, footer marking, cover.

The styles come from ``templates/reference.docx`` (made by
``scripts/make_reference_docx.py``); the header, footer, tables and cover are
written by ``workbench.export.finish_docx``. The PDF checks print the demo's
review copy with LibreOffice, as a reader would receive it.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from sqlmodel import Session

from workbench import export, people, reports
from workbench.db import make_engine

REQUIRE_OFFICE = os.environ.get("WORKBENCH_REQUIRE_OFFICE") == "1"
MARKING = "Do Not Cite, Quote or Distribute"
needs_office = pytest.mark.skipif(
    not REQUIRE_OFFICE and export.libreoffice() is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)


@pytest.fixture(scope="module")
def review_copy(demo_template) -> export.Exported:
    engine = make_engine(f"sqlite:///{demo_template}")
    with Session(engine, expire_on_commit=False) as s:
        out = export.export_report(
            session=s,
            actor=people.get_by_email(s, "secretariat@demo.ipsp.example"),
            report=reports.get_report(s, "living-wages"),
            fmt="docx",
        )
    engine.dispose()
    return out


@pytest.fixture(scope="module")
def review_pdf(review_copy, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "review.pdf"
    path.write_bytes(export.docx_to_pdf(review_copy.content))
    return path


def test_the_reference_styles_name_arial_and_fonts_for_east_asian_and_arabic_text():
    styles = docx.Document(str(export.REFERENCE_DOCX)).styles
    for name in ("Normal", "Body Text", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3"):
        fonts = styles[name].element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        assert fonts is not None, name
        # A theme font (asciiTheme…) would win over the named one: Word would show Aptos.
        assert not [a for a in fonts.attrib if a.lower().endswith("theme")], name
        assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:hAnsi")) == "Arial", name
        assert fonts.get(qn("w:eastAsia")) == "Noto Sans CJK SC", name
        assert fonts.get(qn("w:cs")) == "DejaVu Sans", name
        size = styles[name].element.find(f"{qn('w:rPr')}/{qn('w:sz')}")
        size_cs = styles[name].element.find(f"{qn('w:rPr')}/{qn('w:szCs')}")
        if size is not None:  # Arabic is set the size of the Latin text around it
            assert size_cs.get(qn("w:val")) == size.get(qn("w:val")), name
    references = styles["Bibliography"].paragraph_format
    assert (
        references.first_line_indent < 0 and references.left_indent == -references.first_line_indent
    )


def test_every_page_has_the_marking_page_and_total_pages_in_one_footer_size(review_copy):
    doc = docx.Document(io.BytesIO(review_copy.content))
    for section in doc.sections:
        for footer in (section.footer, section.first_page_footer):
            xml = footer._element.xml
            assert MARKING in xml and "NUMPAGES" in xml and "Total pages: " in xml
            assert footer.paragraphs[0].style.name == "Footer"
            # Page numbers are field runs without a size of their own: the footer's 8 pt.
            assert "<w:sz " not in footer.paragraphs[0]._p.xml
        assert doc.styles["Footer"].font.size == Pt(8)


def test_the_running_header_is_one_line_naming_the_report_and_the_chapter(review_copy):
    doc = docx.Document(io.BytesIO(review_copy.content))
    headers = [section.header.paragraphs for section in doc.sections]
    assert all(len(lines) == 1 for lines in headers)
    texts = [lines[0].text for lines in headers]
    assert all(t.startswith("Living Wages for All") for t in texts)
    chapters = [t.split("\t\t")[1] for t in texts[1:]]
    assert chapters[:2] == ["1. What is known?", "2. What is desirable?"]
    assert "Key findings" in chapters and "References" in chapters
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert chapters == headings


def test_the_cover_stamp_is_large_and_authors_carry_their_country(review_copy):
    doc = docx.Document(io.BytesIO(review_copy.content))
    stamp = next(p for p in doc.paragraphs if p.text == "DRAFT — DO NOT CITE, QUOTE OR DISTRIBUTE")
    assert stamp.runs[0].font.size >= Pt(16)  # the text is 10.5 pt
    assert stamp._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}") is not None
    team = next(p.text for p in doc.paragraphs if p.text.startswith("Coordinating Lead Authors"))
    assert "Amina Diallo (Senegal)" in team, team


def test_the_markdown_cover_names_authors_with_their_country(demo_template):
    engine = make_engine(f"sqlite:///{demo_template}")
    with Session(engine, expire_on_commit=False) as s:
        out = export.export_report(
            session=s,
            actor=people.get_by_email(s, "secretariat@demo.ipsp.example"),
            report=reports.get_report(s, "living-wages"),
            fmt="md",
        )
    engine.dispose()
    assert "*Coordinating Lead Authors:* Amina Diallo (Senegal)" in out.content.decode()


def test_tables_keep_rows_whole_and_caption_as_table_number_bar(review_copy):
    doc = docx.Document(io.BytesIO(review_copy.content))
    table = doc.tables[0]
    for row in table.rows:
        assert row._tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None
    # The first column is the margin's line numbers; the share column holds numbers:
    # right-aligned, header included.
    assert [row.cells[0].text for row in table.rows][:3] == ["", "9", "10"]
    assert all(row.cells[2].paragraphs[0].alignment == 2 for row in table.rows)
    # The caption stands above its table, in the review copy too (with its line number).
    caption = table._tbl.getprevious()
    assert caption.find(f"{qn('w:pPr')}/{qn('w:pStyle')}").get(qn("w:val")) == "TableCaption"
    text = "".join(t.text or "" for t in caption.iter(qn("w:t")))
    assert text.startswith("18Table 1.2.1 | Living-wage gaps"), text


def test_numbers_in_the_review_summary_are_right_aligned(review_copy):
    doc = docx.Document(io.BytesIO(review_copy.content))
    summary = next(t for t in doc.tables if t.rows[0].cells[0].text == "Section or part")
    for row in summary.rows:
        assert [c.paragraphs[0].alignment for c in row.cells[1:]] == [2] * 6, row.cells[0].text
        assert row.cells[0].paragraphs[0].alignment != 2


def pdf_page_texts(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


@needs_office
def test_the_pdf_shows_marking_and_total_pages_on_every_page_in_arial(review_pdf):
    pages = pdf_page_texts(review_pdf)
    assert len(pages) > 20
    for number, page in enumerate(pages, start=1):
        assert MARKING in page, number
        assert f"Total pages: {len(pages)}" in page, number
        assert re.search(rf"Page {number}\b", page), number
    # The running header names the chapter in the PDF too (a section per chapter, not STYLEREF).
    first_lines = [page.strip().splitlines()[0] for page in pages]
    assert any(line.endswith("1. What is known?") for line in first_lines)
    assert any(line.endswith("References") for line in first_lines)
    fonts = subprocess.run(
        ["pdffonts", str(review_pdf)], capture_output=True, text=True, check=True
    ).stdout
    # Arial itself, or Liberation Sans (its metric twin, which LibreOffice uses for Arial).
    assert re.search(r"\+(Arial|LiberationSans)-Bold\b", fonts)
    # Headings used to fall back to DejaVu Sans Bold (the theme's Aptos Display is not installed).
    assert "DejaVuSans-Bold" not in fonts


def test_arabic_references_read_right_to_left_and_others_left_to_right(review_copy):
    doc = docx.Document(io.BytesIO(review_copy.content))
    references = [p for p in doc.paragraphs if p.style.name == "Bibliography"]
    arabic = [p for p in references if re.match(r"[\u0600-\u06ff]", p.text)]
    assert len(arabic) == 2
    for paragraph in references:
        bidi = paragraph._p.find(f"{qn('w:pPr')}/{qn('w:bidi')}") is not None
        assert bidi == (paragraph in arabic), paragraph.text
    runs = arabic[0]._p.findall(qn("w:r"))
    assert runs[0].find(f"{qn('w:rPr')}/{qn('w:rtl')}") is not None  # المرصد العربي للأجور
    assert runs[-1].find(f"{qn('w:rPr')}/{qn('w:rtl')}") is None  # … (Arab Wage Observatory).


def _run_text(run) -> str:
    return "".join(t.text or "" for t in run.iter(qn("w:t")))


def test_an_arabic_citation_is_a_right_to_left_run_at_the_text_size(review_copy):
    doc = docx.Document(io.BytesIO(review_copy.content))
    citing = [p for p in doc.paragraphs if "(Singh and Qureshi 2022; صالح\u200e 2023)" in p.text]
    assert citing, "the demo cites Saleh (2023) after Singh and Qureshi"
    paragraph = citing[0]
    # The sentence stays left to right; only the name is set right to left.
    assert paragraph._p.find(f"{qn('w:pPr')}/{qn('w:bidi')}") is None
    runs = paragraph._p.findall(qn("w:r"))
    name = next(i for i, run in enumerate(runs) if _run_text(run) == "صالح")
    props = runs[name].find(qn("w:rPr"))
    assert props.find(qn("w:rtl")) is not None
    assert props.find(qn("w:rFonts")).get(qn("w:cs")) == "DejaVu Sans"
    body_size = paragraph.style.font.size  # Body Text or First Paragraph: 10.5 pt
    assert body_size == Pt(10.5)
    assert props.find(qn("w:szCs")).get(qn("w:val")) == str(int(body_size.pt * 2))
    # A left-to-right mark keeps the year with the English sentence, after the name.
    assert _run_text(runs[name + 1]) == "\u200e 2023)"
    assert runs[name - 1].find(f"{qn('w:rPr')}/{qn('w:rtl')}") is None
    assert runs[name + 1].find(f"{qn('w:rPr')}/{qn('w:rtl')}") is None


def _pdf_lines(path: Path) -> list[list[tuple[float, str]]]:
    """Return the words of each printed line as (left edge, text), in the order they print."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines: dict[tuple[int, float], list[tuple[float, str]]] = {}
    for page, chunk in enumerate(html.split("<page ")):
        for x, y, word in re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)<', chunk):
            lines.setdefault((page, round(float(y))), []).append((float(x), word))
    return [sorted(words) for words in lines.values()]


@needs_office
def test_the_pdf_prints_an_arabic_citation_name_then_year(review_pdf):
    arabic = re.compile("[\u0600-\u06ff]")
    for words in _pdf_lines(review_pdf):
        texts = [w for _, w in words]
        if "Qureshi" in texts and any(arabic.search(w) for w in texts):
            at = texts.index("Qureshi")
            # "(Singh and Qureshi 2022; صالح 2023)": the name, then the year, left to right.
            assert texts[at + 1] == "2022;"
            assert arabic.search(texts[at + 2]) and texts[at + 3] == "2023).", texts
            break
    else:
        raise AssertionError("the citation of Saleh (2023) is not in the PDF")
