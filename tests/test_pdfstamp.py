"""The PDF export prints once: the contents' page numbers are stamped onto LibreOffice's print.

The demo's review copy is exported as a PDF with ``export.docx_to_pdf`` wrapped
to count LibreOffice's prints and keep the one it made; the stamped PDF is then
read back with pdftotext (the contents) and pypdf (the pages' drawings).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter
from sqlmodel import Session

from workbench import export, pdfstamp, people, reports
from workbench.db import make_engine

REQUIRE_OFFICE = os.environ.get("WORKBENCH_REQUIRE_OFFICE") == "1"
needs_office = pytest.mark.skipif(
    not REQUIRE_OFFICE and export.libreoffice() is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)
CONTENTS_LINE = re.compile(r"^\s*(\S.*?)\.{4,}\s*(\d+)\s*$", re.MULTILINE)


@dataclass
class PdfExport:
    """A PDF export of the demo, the prints LibreOffice made for it, and the contents."""

    exported: export.Exported
    prints: list[bytes]
    toc: list[export.TocEntry]


def pdftotext(pdf: bytes, tmp_path: Path, *options: str) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def squeezed(text: str) -> str:
    return " ".join(text.split()).replace("’", "'")


@pytest.fixture(scope="module")
def demo(demo_template):
    engine = make_engine(f"sqlite:///{demo_template}")
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


@pytest.fixture(scope="module")
def pdf_export(demo) -> PdfExport:
    actor = people.get_by_email(demo, "secretariat@demo.ipsp.example")
    report = reports.get_report(demo, "living-wages")
    prints: list[bytes] = []
    printer = export.docx_to_pdf

    def counted(content: bytes, **options) -> bytes:
        prints.append(printer(content, **options))
        return prints[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export, "docx_to_pdf", counted)
        out = export.export_report(session=demo, actor=actor, report=report, fmt="pdf")
    return PdfExport(out, prints, export.gather(demo, actor, report, docx=True).toc)


@needs_office
def test_a_pdf_export_prints_the_document_once(pdf_export):
    assert len(pdf_export.prints) == 1
    assert pdf_export.exported.content.startswith(b"%PDF-")
    assert not [w for w in pdf_export.exported.warnings if "printed a second time" in w]


@needs_office
def test_each_contents_line_ends_with_the_page_where_its_heading_stands(pdf_export, tmp_path):
    pages = pdftotext(pdf_export.exported.content, tmp_path, "-layout").split("\f")
    entries = [
        (squeezed(m.group(1)), int(m.group(2)))
        for page in pages[:4]
        for m in CONTENTS_LINE.finditer(page)
    ]
    # Every entry (the open comments are Word comments in this export, not an annex).
    expected = [
        squeezed(e.title) for e in pdf_export.toc if not e.title.startswith("Annex: open review")
    ]
    assert [title for title, _ in entries] == expected
    numbers = [number for _, number in entries]
    assert numbers == sorted(numbers) and numbers[0] >= 2 and numbers[-1] <= len(pages)
    for title, number in entries:
        # A line number may stand in the margin before the heading.
        lines = [re.sub(r"^\d+ ", "", squeezed(line)) for line in pages[number - 1].splitlines()]
        assert any(
            line.startswith(title) or (len(line) > 20 and title.startswith(line)) for line in lines
        ), (title, number)


@needs_office
def test_the_contents_read_as_a_print_of_the_numbered_document(pdf_export, demo, tmp_path):
    # The Word export with page numbers has the same numbers in its fields, and its
    # print reads the same as the stamped PDF, page for page.
    word = export.export_report(
        session=demo,
        actor=people.get_by_email(demo, "secretariat@demo.ipsp.example"),
        report=reports.get_report(demo, "living-wages"),
        fmt="docx",
        page_numbers=True,
    )
    fields = [
        p.text.rpartition("\t")[2]
        for p in docx.Document(io.BytesIO(word.content)).paragraphs
        if p.style.name.startswith("TOC")
    ]
    stamped = pdftotext(pdf_export.exported.content, tmp_path, "-layout")
    assert fields == [
        m.group(2) for page in stamped.split("\f")[:4] for m in CONTENTS_LINE.finditer(page)
    ]
    printed = pdftotext(export.docx_to_pdf(word.content), tmp_path, "-layout")
    assert stamped == printed


@needs_office
def test_the_body_pages_are_what_libreoffice_printed(pdf_export):
    printed, stamped = pdf_export.prints[0], pdf_export.exported.content
    # An incremental update: LibreOffice's file is kept, byte for byte, and added to.
    assert stamped.startswith(printed) and len(stamped) > len(printed)
    before, after = PdfReader(io.BytesIO(printed)), PdfReader(io.BytesIO(stamped))
    assert len(before.pages) == len(after.pages)
    changed = [
        i
        for i, (old, new) in enumerate(zip(before.pages, after.pages, strict=True))
        if old.get_contents().get_data() != new.get_contents().get_data()
    ]
    contents = {spot.page for spot in pdfstamp.find_placeholders(before)}
    assert changed == sorted(contents) and changed[0] >= 1
    for index in set(range(len(before.pages))) - contents:
        # The same page object, not only the same drawing.
        assert before.pages[index].indirect_reference.idnum == (
            after.pages[index].indirect_reference.idnum
        )
        assert after.pages[index]["/Contents"] == before.pages[index]["/Contents"]


@needs_office
def test_no_placeholder_is_left(pdf_export, tmp_path):
    stamped, printed = pdf_export.exported.content, pdf_export.prints[0]
    assert pdfstamp.find_placeholders(PdfReader(io.BytesIO(stamped))) == []
    # The print LibreOffice made had them, as blanks pdftotext does not show.
    spots = pdfstamp.find_placeholders(PdfReader(io.BytesIO(printed)))
    first, last = spots[0].page + 1, spots[-1].page + 1
    for pdf in (printed, stamped):
        contents = pdftotext(pdf, tmp_path, "-f", str(first), "-l", str(last))
        assert "\u2007" not in contents and "000" not in contents


@needs_office
def test_without_placeholders_to_stamp_the_pdf_is_printed_again_and_says_so(
    session, world, monkeypatch
):
    prints: list[bytes] = []
    printer = export.docx_to_pdf

    def counted(content: bytes, **options) -> bytes:
        prints.append(printer(content, **options))
        return prints[-1]

    monkeypatch.setattr(export, "docx_to_pdf", counted)
    monkeypatch.setattr(pdfstamp, "stamp", lambda *args, **kwargs: None)
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="pdf"
    )
    assert len(prints) == 2 and out.content == prints[1]
    assert any("printed a second time" in warning for warning in out.warnings)
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=out.content, capture_output=True, check=True
    ).stdout.decode()
    assert re.search(r"Key findings\.{4,}\d+", text)


def test_a_pdf_without_placeholders_or_with_too_wide_a_number_is_not_stamped():
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    blank = io.BytesIO()
    writer.write(blank)
    assert pdfstamp.stamp_page_numbers(blank.getvalue(), ["3"]) is None
    assert pdfstamp.stamp_page_numbers(blank.getvalue(), ["1000"]) is None
