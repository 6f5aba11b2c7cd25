"""Word documents in: section drafts written in Word, and reviewers' Word comments."""

from __future__ import annotations

import io
import shutil
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pypandoc
import pytest
from docx import Document
from lxml import etree
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from tests.conftest import _postgres_engine, _truncate
from tests.factories import World, make_person, make_section, make_world, row_counts
from tests.test_limits import run_capped, zip_bomb, zip_members
from workbench import (
    audit,
    consensus,
    docx_import,
    export,
    findings,
    initiatives,
    numbering,
    parts,
    people,
    recommendations,
    reviews,
    sections,
)
from workbench.cli import app
from workbench.db import create_all, make_engine
from workbench.errors import Conflict, ImportFailed, PermissionDenied, ValidationError
from workbench.migrate import upgrade
from workbench.models import (
    ActorType,
    Agreement,
    Classification,
    CommentKind,
    ConsensusItemCreate,
    Evidence,
    FindingCreate,
    Horizon,
    InitiativeCreate,
    Question,
    RecommendationCreate,
    Report,
    ReviewComment,
    ReviewRound,
    Scale,
    Section,
    Stage,
)

TODAY = date.today()
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

DRAFT = """\
# Section 1.1

Wages below the cost of a decent life remain widespread [@anker2017; @ilo2020, p. 4].
As @anker2017 shows, the gap is *large* and **persistent**.[^1]

## Measuring the gap

- Informal work
- Household size

1. First step
2. Second step

| Country | Living wage | Minimum wage |
|---------|------------:|-------------:|
| Ghana   | 120 | 80 |
| Peru    | 300 | 250 |

![A map of wage gaps](map.png)

Text with [underlined]{.underline} words and a [highlight]{.mark}.

[^1]: A footnote with a citation [@ilo2020].
"""


# --------------------------------------------------------------------------- building files


def png() -> bytes:
    """Return a tiny valid PNG picture."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(3))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def docx_from_markdown(markdown: str, folder: Path) -> bytes:
    """Return the DOCX pandoc makes of a Markdown text (pictures are looked up in folder)."""
    (folder / "map.png").write_bytes(png())
    (folder / "chart.png").write_bytes(png())
    out = folder / "out.docx"
    pypandoc.convert_text(
        markdown,
        "docx",
        format="markdown",
        outputfile=str(out),
        extra_args=[f"--resource-path={folder}"],
    )
    return out.read_bytes()


def saved(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def review_copy_markdown(
    session: Session,
    world: World,
    review_round: ReviewRound,
    *,
    changes: dict[tuple[int, int], str] | None = None,
    extra: dict[int, list[str]] | None = None,
    extra_sections: list[Section] = (),
) -> str:
    """Return the Markdown of a review copy, as the export contract describes it.

    ``changes`` replaces (section index, line) texts and ``extra`` appends lines
    to a section, to make copies that no longer match the frozen text.
    """
    changes = changes or {}
    extra = extra or {}
    parts = [f"# {world.report.title}\n"]
    for index, section in enumerate([*world.sections, *extra_sections]):
        parts.append(f"## {section.code} {section.title} {{#sec-{section.id}}}\n")
        try:
            text = reviews.frozen_text(session, round_id=review_round.id, section_id=section.id)
        except Exception:
            text = sections.head_text(session, section)
        lines = sections.lines_of(text) + extra.get(index, [])
        for number, line in enumerate(lines, start=1):
            line = changes.get((index, number), line)
            if line.strip():
                # Word shows citations rendered, not as keys.
                line = line.replace("[@anker2017]", "(Anker and Anker 2017)")
                parts.append(f'[{number}]{{custom-style="Line Number"}} {line}\n')
    return "\n".join(parts)


def review_copy(session: Session, world: World, review_round: ReviewRound, folder: Path, **kw):
    """Return a review copy opened with python-docx, ready for comments."""
    content = docx_from_markdown(review_copy_markdown(session, world, review_round, **kw), folder)
    return Document(io.BytesIO(content))


def line_paragraph(document, code: str, line: int):
    """Return the paragraph of a review copy holding a section's line."""
    current = None
    for paragraph in document.paragraphs:
        if paragraph.style.name.startswith("Heading"):
            current = paragraph.text.split(" ", 1)[0]
            continue
        runs = paragraph.runs
        if (
            current == code
            and runs
            and runs[0].style.name == "Line Number"
            and runs[0].text == str(line)
        ):
            return paragraph
    raise AssertionError(f"no line {line} in section {code}")


def heading(document, code: str):
    return next(p for p in document.paragraphs if p.text.startswith(f"{code} "))


def comment(
    document,
    code: str,
    from_line: int,
    to_line: int | None = None,
    text: str = "Cite the ILO estimates here.",
    author: str = "Ada Reviewer",
    *,
    with_number: bool = False,
    last_code: str | None = None,
):
    """Anchor a Word comment on whole lines of a section (after the line numbers)."""
    first = line_paragraph(document, code, from_line)
    last = line_paragraph(document, last_code or code, to_line or from_line)
    start = first.runs[0] if with_number else first.runs[2]
    return document.add_comment([start, last.runs[-1]], text=text, author=author, initials="AR")


def at_stage(session: Session, world: World, stage: Stage = Stage.first_order_draft) -> None:
    world.report.stage = stage
    session.add(world.report)
    session.commit()


def open_fod(session: Session, world: World) -> ReviewRound:
    at_stage(session, world)
    return reviews.open_round(
        session=session,
        actor=world.cla,
        report=world.report,
        name="FOD",
        opens_on=TODAY - timedelta(days=1),
        closes_on=TODAY + timedelta(days=30),
    )


def import_comments(session: Session, world: World, review_round: ReviewRound, content: bytes):
    return docx_import.import_comments_docx(
        session=session,
        actor=world.cla,
        report=world.report,
        round=review_round,
        filename="review.docx",
        content=content,
    )


def import_draft(session: Session, world: World, content: bytes, *, actor=None, base=None):
    section = world.sections[0]
    return docx_import.import_section_docx(
        session=session,
        actor=actor or world.la,
        section=section,
        filename="draft.docx",
        content=content,
        base_revision_id=section.head_revision_id if base is None else base,
    )


def stored_comments(session: Session) -> list[ReviewComment]:
    return list(session.exec(select(ReviewComment).order_by(col(ReviewComment.number))).all())


# --------------------------------------------------------------------------- drafts


def test_a_word_draft_becomes_the_next_revision(session: Session, world: World, tmp_path) -> None:
    section = world.sections[0]
    first = section.head_revision_id
    result, warnings = import_draft(session, world, docx_from_markdown(DRAFT, tmp_path))
    text = result.revision.text
    assert result.revision.number == 2 and result.revision.parent_id == first
    assert result.revision.message == "Imported from draft.docx"
    assert session.get(Section, section.id).head_revision_id == result.revision.id
    # The first heading repeats the section's title and is dropped; the others stay.
    assert not text.startswith("#") and "Section 1.1" not in text
    assert "## Measuring the gap" in text
    assert "- Informal work\n- Household size" in text
    assert "1.  First step\n2.  Second step" in text
    assert "| Country | Living wage | Minimum wage |" in text
    assert "| Ghana   |         120 |           80 |" in text
    assert "**persistent**.[^1]" in text
    assert "[^1]: A footnote with a citation [@ilo2020]." in text
    # Citations typed in Word stay citations, not escaped text.
    assert "widespread [@anker2017; @ilo2020, p. 4]." in text
    assert "As @anker2017 shows" in text
    assert result.cited_keys == [] and result.unknown_keys == ["anker2017", "ilo2020"]
    # Word-only formatting is gone, and so is the picture, which the warning names.
    assert "Text with underlined words and a highlight." in text
    assert "{" not in text and "![" not in text and "media/" not in text
    assert warnings == [
        "The document holds 1 image (“A map of wage gaps”); it was not imported: a section's "
        "text cannot hold images. Keep figures with the report's other material and refer to "
        "them in the text."
    ]
    event = audit.events(session, report_id=world.report.id)[0]
    assert event.action == "save_revision" and event.entity_id == section.id


def test_several_images_are_named(session: Session, world: World, tmp_path) -> None:
    content = docx_from_markdown(
        "Some text.\n\n![](map.png)\n\nMore text ![Wage chart](chart.png) here.\n", tmp_path
    )
    result, warnings = import_draft(session, world, content)
    assert result.revision.text == "Some text.\n\nMore text here.\n"
    assert warnings[0].startswith("The document holds 2 images (")
    assert "“Wage chart”" in warnings[0] and ".png" in warnings[0]
    assert "they were not imported" in warnings[0]


def test_a_different_first_heading_is_kept(session: Session, world: World, tmp_path) -> None:
    content = docx_from_markdown("# Background\n\nText.\n\n# 1.1 Section 1.1\n\nMore.\n", tmp_path)
    result, _ = import_draft(session, world, content)
    assert result.revision.text == "# Background\n\nText.\n\n# 1.1 Section 1.1\n\nMore.\n"
    content = docx_from_markdown("## 1.1 Section 1.1\n\nText.\n", tmp_path)
    result, _ = import_draft(session, world, content)
    assert result.revision.text == "Text.\n"


def test_a_review_copy_gives_only_its_section_without_line_numbers(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    document = review_copy(session, world, review_round, tmp_path)
    comment(document, "1.1", 1)
    result, warnings = import_draft(session, world, saved(document))
    assert result.revision.text == (
        "Wages below the cost of a decent life remain widespread.\n\n"
        "In many countries, a full-time worker cannot meet basic needs (Anker and Anker 2017).\n\n"
        "Informal work makes the gap hard to measure.\n"
    )
    assert warnings == [
        "The document is a Word export of the report: only section 1.1's part was imported, "
        "its headings moved back up two levels.",
        "The document is a review copy exported by the workbench: its line numbers were left out.",
        "The document's 1 Word comment was left out: a draft brings in its text only. Review "
        "comments come in from a review copy (`workbench comments import-docx`).",
        "The imported text cites no source, though the section's current text cites 1 source "
        "([@anker2017]). Citations shown as rendered text in Word, like “(Anker 2017)”, cannot "
        "come back as citations: put the [@key] citations back in the editor.",
    ]


def test_a_word_export_without_the_section_is_refused(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    late = make_section(
        session, world.report, "5.1", Question.action, lead=world.la, text="A new section.\n"
    )
    content = docx_from_markdown(review_copy_markdown(session, world, review_round), tmp_path)
    before = row_counts(session)
    with pytest.raises(ImportFailed, match=r"section 5\.1 \(Section 5\.1\) is not in it"):
        docx_import.import_section_docx(
            session=session,
            actor=world.la,
            section=late,
            filename="draft.docx",
            content=content,
            base_revision_id=late.head_revision_id,
        )
    assert row_counts(session) == before


def test_a_section_edited_in_the_word_export_comes_back(session: Session, world: World) -> None:
    section = world.sections[0]
    original = (
        "Wages below the cost of a decent life remain widespread.\n\n"
        "## Measuring the gap\n\n"
        "- Informal work\n- Household size\n\n"
        "### In cities\n\n"
        "Rents weigh most.\n"
    )
    sections.save_revision(
        session=session,
        actor=world.la,
        section=section,
        text=original,
        base_revision_id=section.head_revision_id,
    )
    exported = export.export_report(
        session=session, actor=world.cla, report=world.report, fmt="docx"
    )
    result, warnings = import_draft(session, world, exported.content)
    assert result.revision.text == original
    assert result.revision.number == 3
    assert warnings[0].startswith("The document is a Word export of the report")


def test_a_stale_base_is_a_conflict(session: Session, world: World, tmp_path) -> None:
    section = world.sections[0]
    base = section.head_revision_id
    sections.save_revision(
        session=session,
        actor=world.lead_authors[0],
        section=section,
        text="A co-author's newer text.\n",
        base_revision_id=base,
    )
    before = row_counts(session)
    with pytest.raises(Conflict) as caught:
        import_draft(session, world, docx_from_markdown(DRAFT, tmp_path), base=base)
    assert "## Measuring the gap" in caught.value.mine
    assert caught.value.head_text == "A co-author's newer text.\n"
    assert row_counts(session) == before


def test_only_the_section_authors_import_a_draft(session: Session, world: World, tmp_path) -> None:
    content = docx_from_markdown(DRAFT, tmp_path)
    before = row_counts(session)
    with pytest.raises(PermissionDenied):
        import_draft(session, world, content, actor=world.reviewer)
    with pytest.raises(PermissionDenied, match="not an author of section 1.1"):
        import_draft(session, world, content, actor=world.lead_authors[1])
    assert row_counts(session) == before


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "draft.docx is empty"),
        (b"Just some text, typed in a plain editor.", "not a Word document (.docx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "older Word 97–2003 document"),
        (b"{\\rtf1\\ansi Hello}", "a Rich Text (.rtf) file"),
        (b"PK\x03\x04broken archive", "it is damaged or of another kind"),
        (_zip({"notes.txt": b"hello"}), "a ZIP archive but not a Word document"),
        (_zip({"word/document.xml": b"<w:document"}), "damaged Word document"),
        (
            _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b""}),
            "it is an OpenDocument text (.odt)",
        ),
        (xlsx(), "it is an Excel workbook"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(
    session: Session, world: World, content: bytes, message: str
) -> None:
    before = row_counts(session)
    with pytest.raises(ImportFailed) as caught:
        import_draft(session, world, content)
    assert message in caught.value.message
    assert caught.value.message.startswith("draft.docx")
    assert row_counts(session) == before


def test_empty_and_image_only_documents_are_refused(
    session: Session, world: World, tmp_path
) -> None:
    before = row_counts(session)
    with pytest.raises(ImportFailed, match="draft.docx has no text; nothing was imported"):
        import_draft(session, world, docx_from_markdown("", tmp_path))
    with pytest.raises(ImportFailed, match="holds only 1 image and no text"):
        import_draft(session, world, docx_from_markdown("![Map](map.png)\n", tmp_path))
    with pytest.raises(ImportFailed, match="has no text"):
        import_draft(session, world, docx_from_markdown("# Section 1.1\n", tmp_path))
    assert row_counts(session) == before


def test_oversize_files_are_refused_with_the_limit(
    session: Session, world: World, tmp_path, monkeypatch
) -> None:
    content = docx_from_markdown(DRAFT, tmp_path)
    monkeypatch.setattr(docx_import, "MAX_DOCX_BYTES", len(content) - 1)
    with pytest.raises(ImportFailed, match=r"a Word document may be at most 0 MiB"):
        import_draft(session, world, content)
    monkeypatch.undo()
    assert docx_import.MAX_DOCX_BYTES == 50 * 1024 * 1024
    monkeypatch.setattr(docx_import, "MAX_UNZIPPED_BYTES", 1000)
    with pytest.raises(ImportFailed, match="draft.docx inflates to more than"):
        import_draft(session, world, content)
    assert session.get(Section, world.sections[0].id).head_revision_id == (
        world.sections[0].head_revision_id
    )


# --------------------------------------------------------------------------- comments


def test_comments_land_on_their_sections_and_lines(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        section_id=world.sections[0].id,
        from_line=1,
        to_line=1,
        comment="Typed in the workbench.",
    )
    document = review_copy(session, world, review_round, tmp_path)
    comment(document, "2.1", 3, text="The estimate needs a source.", author="Bea Expert")
    comment(
        document,
        "1.1",
        1,
        3,
        text="Editorial: split this paragraph.",
        author="Government of Chile",
        with_number=True,
    )
    note = comment(document, "3.1", 5, text="[substantive] Say which countries.")
    note.add_paragraph("Suggested change: name the ten largest.")
    document.add_comment(
        heading(document, "4.1").runs[0], text="General: a whole section?", author="Dee"
    )
    assert import_comments(session, world, review_round, saved(document)).imported == 4

    stored = stored_comments(session)
    assert [c.number for c in stored] == [1, 2, 3, 4, 5]
    by_number = {c.number: c for c in stored}
    # Numbers follow the document's reading order: section 1.1 comes first.
    first = by_number[2]
    assert (first.section_id, first.from_line, first.to_line) == (world.sections[0].id, 1, 3)
    assert first.reviewer_name == "Government of Chile" and first.reviewer_id is None
    assert first.kind == CommentKind.editorial
    assert first.comment.startswith("On “Wages below the cost of a decent life remain widespread.")
    assert first.comment.endswith("”: split this paragraph.")
    second = by_number[3]
    assert (second.section_id, second.from_line, second.to_line) == (world.sections[1].id, 3, 3)
    assert second.kind == CommentKind.substantive
    assert second.comment == (
        "On “In many countries, a full-time worker cannot meet basic needs (Anker and Anker "
        "2017).”: The estimate needs a source."
    )
    third = by_number[4]
    assert (third.section_id, third.from_line, third.to_line) == (world.sections[2].id, 5, 5)
    assert third.comment.endswith(": Say which countries.")
    assert third.suggested_change == "name the ten largest."
    on_heading = by_number[5]
    assert (on_heading.section_id, on_heading.from_line, on_heading.to_line) == (
        world.sections[3].id,
        1,
        1,
    )
    assert on_heading.kind == CommentKind.general
    assert on_heading.comment == "On “4.1 Section 4.1”: a whole section?"
    assert on_heading.reviewer_name == "Dee"
    event = audit.events(session, report_id=world.report.id)[0]
    assert event.action == "import_review_comments"
    assert event.detail["file"] == "review.docx" and event.detail["comments"] == 4


def test_a_comment_on_part_of_a_line(session: Session, world: World, tmp_path) -> None:
    review_round = open_fod(session, world)
    document = review_copy(session, world, review_round, tmp_path)
    paragraph = line_paragraph(document, "1.1", 3)
    sentence = paragraph.runs[-1]
    assert sentence.text.endswith("needs (Anker and Anker 2017).")
    sentence.text = sentence.text.removesuffix("(Anker and Anker 2017).")
    citation = paragraph.add_run("(Anker and Anker 2017)")
    paragraph.add_run(".")
    document.add_comment(citation, text="Which edition?", author="Bea Expert")
    assert import_comments(session, world, review_round, saved(document)).imported == 1
    (stored,) = stored_comments(session)
    assert (stored.from_line, stored.to_line) == (3, 3)
    assert stored.comment == "On “(Anker and Anker 2017)”: Which edition?"


def test_replies_join_the_comment_they_answer(session: Session, world: World, tmp_path) -> None:
    review_round = open_fod(session, world)
    document = review_copy(session, world, review_round, tmp_path)
    comment(document, "1.1", 1, text="Too strong a claim.", author="Bea Expert")
    comment(document, "1.1", 1, text="Agreed, soften it.", author="Carl Expert")
    content = thread(saved(document), parent="0", reply="1")
    assert import_comments(session, world, review_round, content).imported == 1
    (stored,) = stored_comments(session)
    assert stored.comment.endswith(
        "Too strong a claim.\n\nReply from Carl Expert: Agreed, soften it."
    )


def thread(content: bytes, *, parent: str, reply: str) -> bytes:
    """Make one Word comment a reply to another, the way Word 2013 and later record it."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    w14 = "http://schemas.microsoft.com/office/word/2010/wordml"
    w15 = "http://schemas.microsoft.com/office/word/2012/wordml"
    source = zipfile.ZipFile(io.BytesIO(content))
    files = {name: source.read(name) for name in source.namelist()}
    comments = etree.fromstring(files["word/comments.xml"])
    for element in comments.iter(f"{{{w}}}comment"):
        last = element.findall(f".//{{{w}}}p")[-1]
        last.set(f"{{{w14}}}paraId", f"0000000{element.get(f'{{{w}}}id')}")
    files["word/comments.xml"] = etree.tostring(comments, xml_declaration=True, encoding="UTF-8")
    files["word/commentsExtended.xml"] = (
        f'<w15:commentsEx xmlns:w15="{w15}">'
        f'<w15:commentEx w15:paraId="0000000{parent}" w15:done="0"/>'
        f'<w15:commentEx w15:paraId="0000000{reply}" w15:paraIdParent="0000000{parent}" '
        'w15:done="0"/></w15:commentsEx>'
    ).encode()
    rels = files["word/_rels/document.xml.rels"].decode()
    files["word/_rels/document.xml.rels"] = rels.replace(
        "</Relationships>",
        '<Relationship Id="rId99" Type="http://schemas.microsoft.com/office/2011/relationships/'
        'commentsExtended" Target="commentsExtended.xml"/></Relationships>',
    ).encode()
    return _zip(files)


def test_comments_the_workbench_exported_are_not_imported_again(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        section_id=world.sections[0].id,
        from_line=1,
        to_line=3,
        comment="Cite the ILO estimates here.",
    )
    document = review_copy(session, world, review_round, tmp_path)
    # The review copy shows the open comment in the margin, by its reviewer.
    comment(document, "1.1", 1, 3, "No. 1 (Substantive, lines 1–3): Cite the ILO.", "Reviewer")
    before = row_counts(session)
    with pytest.raises(ImportFailed, match="holds only the 1 comment of FOD that the workbench"):
        import_comments(session, world, review_round, saved(document))
    assert row_counts(session) == before
    # A reply to it is new, and so is a comment of its own.
    comment(document, "1.1", 1, 3, "The ILO has no such estimate.", "Bea Expert")
    comment(document, "1.1", 5, text="Which countries?", author="Carl Expert")
    content = thread(saved(document), parent="0", reply="1")
    assert import_comments(session, world, review_round, content).imported == 2
    stored = stored_comments(session)
    assert [(c.number, c.reviewer_name, c.from_line) for c in stored] == [
        (1, "Reviewer", 1),
        (2, "Bea Expert", 1),
        (3, "Carl Expert", 5),
    ]
    assert stored[1].comment.endswith("”: The ILO has no such estimate.")


def test_word_comments_on_the_real_review_copy(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        section_id=world.sections[0].id,
        from_line=1,
        to_line=3,
        comment="Cite the ILO estimates here.",
    )
    exported = export.export_report(
        session=session, actor=world.cla, report=world.report, fmt="docx"
    )
    document = Document(io.BytesIO(exported.content))
    line = line_paragraph(document, "2.1", 3)
    document.add_comment(line.runs[1:], text="Needs data.", author="Bea Expert")
    assert import_comments(session, world, review_round, saved(document)).imported == 1
    new = stored_comments(session)[-1]
    assert (new.number, new.section_id, new.from_line, new.to_line) == (
        2,
        world.sections[1].id,
        3,
        3,
    )
    assert new.comment.startswith("On “In many countries, a full-time worker cannot meet")
    # The key findings are a part of their own: a comment on their heading is on the part.
    findings_heading = next(
        p for p in document.paragraphs if p.style.name == "Heading 1" and p.text == "Key findings"
    )
    document.add_comment(findings_heading.runs, text="Add findings.", author="Bea Expert")
    assert import_comments(session, world, review_round, saved(document)).imported == 1
    on_part = stored_comments(session)[-1]
    assert (on_part.section_id, on_part.part, on_part.from_line, on_part.to_line) == (
        None,
        "KF",
        1,
        1,
    )
    # The references end the parts before them and take no comment.
    references = next(
        p for p in document.paragraphs if p.style.name == "Heading 1" and p.text == "References"
    )
    document.add_comment(references.runs, text="Add the ILO.", author="Bea Expert")
    with pytest.raises(ImportFailed) as caught:
        import_comments(session, world, review_round, saved(document))
    assert caught.value.problems == [
        "Comment 3 of review.docx (Bea Expert: “Add the ILO.”): it is on “References”, which "
        "is not open to comment: only the sections, the key findings, the consensus and "
        "false-solutions registers, the recommendations and the initiatives take comments"
    ]


def test_the_same_file_imported_twice_adds_nothing_the_second_time(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    document = review_copy(session, world, review_round, tmp_path)
    comment(document, "1.1", 1, 3, text="Cite the ILO estimates here.", author="Bea Expert")
    note = comment(document, "2.1", 3, text="Editorial: say which year.", author="Carl Expert")
    note.add_paragraph("Suggested change: 2020.")
    first = import_comments(session, world, review_round, saved(document))
    assert (first.imported, first.skipped) == (2, 0)
    assert first.summary("FOD") == "Imported 2 comments from review.docx into FOD."
    before = row_counts(session)
    events = len(audit.events(session, report_id=world.report.id))

    again = import_comments(session, world, review_round, saved(document))
    assert (again.imported, again.skipped) == (0, 2)
    assert again.summary("FOD") == (
        "Imported 0 comments from review.docx into FOD; skipped 2 already there (imported before)."
    )
    assert row_counts(session) == before
    assert len(audit.events(session, report_id=world.report.id)) == events

    # The reviewer adds a comment, and another reviewer says the same thing at the same
    # place: both are new, the two imported before are not.
    comment(document, "3.1", 5, text="Which countries?", author="Bea Expert")
    comment(document, "1.1", 1, 3, text="Cite the ILO estimates here.", author="Dee Expert")
    third = import_comments(session, world, review_round, saved(document))
    assert (third.imported, third.skipped) == (2, 2)
    stored = [(c.number, c.reviewer_name, c.section_id) for c in stored_comments(session)]
    assert stored == [
        (1, "Bea Expert", world.sections[0].id),
        (2, "Carl Expert", world.sections[1].id),
        (3, "Dee Expert", world.sections[0].id),
        (4, "Bea Expert", world.sections[2].id),
    ]


def with_people(content: bytes, people: dict[str, str]) -> bytes:
    """Add Word's list of comment authors (author → userId), as Word signed in writes it."""
    w15 = "http://schemas.microsoft.com/office/word/2012/wordml"
    source = zipfile.ZipFile(io.BytesIO(content))
    files = {name: source.read(name) for name in source.namelist()}
    entries = "".join(
        f'<w15:person w15:author="{author}"><w15:presenceInfo w15:providerId="AD" '
        f'w15:userId="{user}"/></w15:person>'
        for author, user in people.items()
    )
    files["word/people.xml"] = f'<w15:people xmlns:w15="{w15}">{entries}</w15:people>'.encode()
    rels = files["word/_rels/document.xml.rels"].decode()
    files["word/_rels/document.xml.rels"] = rels.replace(
        "</Relationships>",
        '<Relationship Id="rId98" Type="http://schemas.microsoft.com/office/2011/relationships/'
        'people" Target="people.xml"/></Relationships>',
    ).encode()
    return _zip(files)


def utc(moment):
    """Return a stored time as aware UTC (SQLite gives it back without its zone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def test_word_authors_get_their_affiliation_and_comments_keep_their_date(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    make_person(session, "Bea Expert", affiliation="Universidad de Chile", email="bea@uchile.cl")
    make_person(session, "Sam Same", affiliation="Ghent University")
    make_person(session, "Sam Same", affiliation="University of Lagos")
    document = review_copy(session, world, review_round, tmp_path)
    by_name = comment(document, "1.1", 1, text="By name.", author="bea  EXPERT")
    by_name._comment_elm.set(f"{{{W}}}date", "2026-03-05T10:20:00Z")
    by_email = comment(document, "1.1", 3, text="By email.", author="B. Expert")
    by_email._comment_elm.attrib.pop(f"{{{W}}}date")
    comment(document, "2.1", 3, text="By reviewer.", author="Reviewer")
    comment(document, "2.1", 3, text="By address.", author="Bea@UChile.cl")
    comment(document, "3.1", 5, text="Two people.", author="Sam Same")
    later = comment(document, "3.1", 5, text="A government.", author="Government of Chile")
    later._comment_elm.set(f"{{{W}}}date", "2999-01-01T00:00:00Z")
    content = with_people(saved(document), {"B. Expert": "S::bea@uchile.cl::4f2a"})
    started = datetime.now(UTC).replace(microsecond=0)
    assert import_comments(session, world, review_round, content).imported == 6
    finished = datetime.now(UTC)

    stored = {c.comment.rsplit(": ", 1)[-1]: c for c in stored_comments(session)}
    assert {text: c.affiliation for text, c in stored.items()} == {
        "By name.": "Universidad de Chile",
        "By email.": "Universidad de Chile",
        "By reviewer.": "University of Ghana",
        "By address.": "Universidad de Chile",
        "Two people.": "",
        "A government.": "",
    }
    assert stored["By name."].reviewer_name == "bea  EXPERT"
    assert utc(stored["By name."].created_at) == datetime(2026, 3, 5, 10, 20, tzinfo=UTC)
    # No date in Word, or one no clock could have: the time of the import.
    for text in ("By email.", "A government."):
        assert started <= utc(stored[text].created_at) <= finished


def test_a_document_not_exported_for_review_is_refused(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    document = Document(io.BytesIO(docx_from_markdown("# Section 1.1\n\nSome text.\n", tmp_path)))
    document.add_comment(document.paragraphs[1].runs[0], text="Hmm.", author="Bea Expert")
    before = row_counts(session)
    with pytest.raises(ImportFailed) as caught:
        import_comments(session, world, review_round, saved(document))
    assert caught.value.message.startswith(
        "review.docx was not exported from the workbench for review: it has no section "
        "markers and no line numbers."
    )
    # Headings with section markers but no line numbers: a report export, not a review copy.
    content = docx_from_markdown(
        f"## 1.1 Section 1.1 {{#sec-{world.sections[0].id}}}\n\nSome text.\n", tmp_path
    )
    with pytest.raises(ImportFailed, match="it has no line numbers"):
        import_comments(session, world, review_round, content)
    assert row_counts(session) == before


def test_a_review_copy_without_comments_is_refused(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    document = review_copy(session, world, review_round, tmp_path)
    before = row_counts(session)
    with pytest.raises(ImportFailed, match=r"^review\.docx has no comments; nothing was imported"):
        import_comments(session, world, review_round, saved(document))
    with pytest.raises(ImportFailed, match="not a Word document"):
        import_comments(session, world, review_round, b"No, this is text.")
    assert row_counts(session) == before


def test_comments_on_text_that_is_not_there_refuse_the_whole_file(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    document = review_copy(
        session,
        world,
        review_round,
        tmp_path,
        changes={(1, 1): "Minimum wages were raised everywhere last year."},
        extra={0: ["", "A line written after the round froze the text."]},
    )
    comment(document, "1.1", 1, text="A good comment on real text.")
    comment(document, "1.1", 7, text="This line is new.", author="Bea Expert")
    comment(document, "2.1", 1, text="Nobody says that.", author="Carl Expert")
    comment(document, "1.1", 5, 1, text="Across sections.", last_code="2.1")
    document.add_comment(document.paragraphs[0].runs[0], text="On the title.", author="Dee")
    before = row_counts(session)
    events = audit.count_events(session, report_id=world.report.id)
    with pytest.raises(ImportFailed) as caught:
        import_comments(session, world, review_round, saved(document))
    assert caught.value.summary == "review.docx has 4 problems; nothing was imported."
    assert caught.value.problems == [
        f"Comment 1 of review.docx (Dee: “On the title.”): it is on “{world.report.title}”, "
        "which is not open to comment: only the sections, the key findings, the consensus and "
        "false-solutions registers, the recommendations and the initiatives take comments",
        "Comment 3 of review.docx (Ada Reviewer: “Across sections.”): it starts in section 1.1 "
        "and ends in section 2.1; a comment is about one section or part, so split it in two",
        "Comment 4 of review.docx (Bea Expert: “This line is new.”): Section 1.1 as frozen for "
        "FOD has 5 lines; line 7 does not exist",
        "Comment 5 of review.docx (Carl Expert: “Nobody says that.”): the text it marks "
        "(“Minimum wages were raised everywhere last year.”) is not in line 1 of section 2.1 "
        "as frozen for FOD (1 of 7 words found); the document may come from another round, or "
        "the text was edited in Word",
    ]
    assert row_counts(session) == before
    assert audit.count_events(session, report_id=world.report.id) == events


def test_comments_on_a_section_added_after_the_round_opened(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    late = make_section(
        session, world.report, "5.1", Question.action, lead=world.la, text="A new section.\n"
    )
    document = review_copy(session, world, review_round, tmp_path, extra_sections=[late])
    comment(document, "5.1", 1, text="New text.")
    with pytest.raises(ImportFailed) as caught:
        import_comments(session, world, review_round, saved(document))
    assert caught.value.problems == [
        "Comment 1 of review.docx (Ada Reviewer: “New text.”): the section '5.1' was added "
        "after FOD was opened, so it has no frozen text to comment on"
    ]
    assert stored_comments(session) == []


def test_a_review_copy_of_another_report_is_refused(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    content = docx_from_markdown(
        '## 9.9 Elsewhere {#sec-9999}\n\n[1]{custom-style="Line Number"} Text.\n', tmp_path
    )
    document = Document(io.BytesIO(content))
    document.add_comment(document.paragraphs[1].runs[-1], text="Hmm.", author="Bea Expert")
    with pytest.raises(ImportFailed, match="was exported from another report"):
        import_comments(session, world, review_round, saved(document))


def test_only_managers_import_word_comments_into_an_open_round(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    document = review_copy(session, world, review_round, tmp_path)
    comment(document, "1.1", 1)
    content = saved(document)
    for person in (world.reviewer, world.la):
        with pytest.raises(PermissionDenied):
            docx_import.import_comments_docx(
                session=session,
                actor=person,
                report=world.report,
                round=review_round,
                filename="review.docx",
                content=content,
            )
    reviews.close_round(session=session, actor=world.cla, round=review_round)
    with pytest.raises(ValidationError, match="only into an open round"):
        import_comments(session, world, review_round, content)
    assert stored_comments(session) == []


# --------------------------------------------------------------------------- command line

runner = CliRunner()


@pytest.fixture
def cli_world(tmp_path):
    """Return a database file with a world and an open FOD round, and two review copies.

    The second copy has lines the frozen text does not have.
    """
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        world = make_world(session)
        review_round = open_fod(session, world)
        document = review_copy(session, world, review_round, tmp_path)
        later = review_copy(
            session, world, review_round, tmp_path, extra={0: ["", "", "", "A ninth line."]}
        )
    engine.dispose()
    return url, world, document, later


def run(url: str, *args: str):
    return runner.invoke(app, list(args), env={"WORKBENCH_DATABASE_URL": url})


def test_cli_imports_a_word_draft(cli_world, tmp_path) -> None:
    url, world, _, _ = cli_world
    draft = tmp_path / "draft.docx"
    draft.write_bytes(docx_from_markdown(DRAFT, tmp_path))
    section = world.sections[0]
    args = ["sections", "import-docx", str(draft), "--report", world.report.slug]
    result = run(url, *args, "--section", str(section.id), "--as", world.la.email)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Saved revision 2 of section 1.1 (Section 1.1) from draft.docx:")
    assert lines[1].startswith("warning: The document holds 1 image (“A map of wage gaps”)")
    assert lines[2] == "warning: no source in the report has the keys anker2017, ilo2020."
    # A draft based on revision 1, when the section is now at revision 2: refused, one line.
    stale = run(
        url, *args, "--section", str(section.id), "--base-revision", "1", "--as", world.la.email
    )
    assert stale.exit_code == 1
    assert stale.stderr.strip() == (
        "error: Section 1.1 has moved on to revision 2 (by LA 1) since revision 1; nothing was "
        "saved. Merge your draft with the current text, then import it with --base-revision 2."
    )
    ok = run(
        url, *args, "--section", str(section.id), "--base-revision", "2", "--as", world.la.email
    )
    assert ok.exit_code == 0 and "Saved revision 3" in ok.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--section", "9999"], "error: Report 'test-report' has no section with the id 9999"),
        (["--base-revision", "7"], "error: The section has no revision 7."),
        (["--as", "nobody@example.org"], "error: No person with the email"),
    ],
)
def test_cli_draft_import_fails_cleanly(cli_world, tmp_path, extra, message) -> None:
    url, world, _, _ = cli_world
    draft = tmp_path / "draft.docx"
    draft.write_bytes(docx_from_markdown("Text.\n", tmp_path))
    args = ["sections", "import-docx", str(draft), "--report", world.report.slug]
    options = {"--section": str(world.sections[0].id), "--as": world.la.email}
    for key, value in zip(extra[::2], extra[1::2], strict=True):
        options[key] = value
    result = run(url, *args, *[part for pair in options.items() for part in pair])
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_refuses_a_corrupt_draft_in_one_line(cli_world, tmp_path) -> None:
    url, world, _, _ = cli_world
    draft = tmp_path / "draft.docx"
    draft.write_bytes(b"PK\x03\x04 not really")
    result = run(
        url,
        *["sections", "import-docx", str(draft), "--report", world.report.slug],
        *["--section", str(world.sections[0].id), "--as", world.la.email],
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: draft.docx is not a Word document (.docx)")
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_imports_word_comments(cli_world, tmp_path) -> None:
    url, world, document, _ = cli_world
    comment(document, "1.1", 1)
    comment(document, "2.1", 3, text="Editorial: typo.")
    copy = tmp_path / "review.docx"
    copy.write_bytes(saved(document))
    args = ["comments", "import-docx", str(copy), "--report", world.report.slug]
    result = run(url, *args, "--round", "FOD")
    assert result.exit_code == 0, result.output
    assert result.output == "Imported 2 comments from review.docx into test-report FOD.\n"
    missing = run(url, *args[:2], str(tmp_path / "missing.docx"), *args[3:], "--round", "FOD")
    assert missing.exit_code == 1 and missing.stderr.startswith("error: No file at")
    refused = run(url, *args, "--round", "FOD", "--as", world.reviewer.email)
    assert refused.exit_code == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.startswith("error: ")


def test_cli_says_how_many_comments_it_skipped_as_imported_before(cli_world, tmp_path) -> None:
    url, world, document, _ = cli_world
    comment(document, "1.1", 1)
    comment(document, "2.1", 3, text="Editorial: typo.")
    copy = tmp_path / "review.docx"
    copy.write_bytes(saved(document))
    args = ["comments", "import-docx", str(copy), "--report", world.report.slug, "--round", "FOD"]
    assert run(url, *args).exit_code == 0
    again = run(url, *args)
    assert again.exit_code == 0, again.output
    assert again.output == (
        "Imported 0 comments from review.docx into test-report FOD; skipped 2 already there "
        "(imported before).\n"
    )
    engine = make_engine(url)
    with Session(engine) as session:
        assert len(stored_comments(session)) == 2
    engine.dispose()


def test_cli_word_comments_fail_in_one_line(cli_world, tmp_path) -> None:
    url, world, _, document = cli_world
    comment(document, "1.1", 9, text="No such line.")
    copy = tmp_path / "review.docx"
    copy.write_bytes(saved(document))
    args = ["comments", "import-docx", str(copy), "--report", world.report.slug]
    result = run(url, *args, "--round", "FOD")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: review.docx has 1 problem; nothing was imported. - Comment 1 of review.docx"
    )
    assert len(result.stderr.strip().splitlines()) == 1
    unknown = run(url, *args, "--round", "SOD")
    assert unknown.exit_code == 1
    assert "no review round named 'SOD'" in unknown.stderr


# --------------------------------------------------------------------------- hostile documents


def docx_bomb(folder: Path) -> bytes:
    """Return a Word draft with a picture part that says 1,000 bytes and inflates to 288 MiB."""
    members = zip_members(docx_from_markdown("A short draft.\n", folder))
    return zip_bomb(members, pad="word/media/image9.png")


def test_a_zip_bomb_is_refused_and_changes_nothing(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    bomb = docx_bomb(tmp_path)
    assert len(bomb) < 2 * 1024 * 1024
    before = row_counts(session)
    with pytest.raises(ImportFailed) as draft:
        import_draft(session, world, bomb)
    with pytest.raises(ImportFailed) as comments:
        import_comments(session, world, review_round, bomb)
    for caught, name in ((draft, "draft.docx"), (comments, "review.docx")):
        assert caught.value.message == (
            f"{name} inflates to more than 256 MiB (reached while unpacking "
            "'word/media/image9.png'); the file is refused. If it is a Word document of yours, "
            "make its pictures smaller (Word: Compress Pictures) and save it again."
        )
    assert row_counts(session) == before


CLI = "from workbench.cli import app\napp()\n"


def test_a_zip_bomb_is_refused_in_bounded_memory(cli_world, tmp_path) -> None:
    """The command line, in a process capped at 1 GiB, refuses the bomb in one line."""
    url, world, _, _ = cli_world
    draft = tmp_path / "draft.docx"
    draft.write_bytes(docx_bomb(tmp_path))
    section = world.sections[0]
    result = run_capped(
        CLI,
        *["sections", "import-docx", str(draft), "--report", world.report.slug],
        *["--section", str(section.id), "--as", world.la.email],
        env={"WORKBENCH_DATABASE_URL": url},
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(
        "error: draft.docx inflates to more than 256 MiB (reached while unpacking "
        "'word/media/image9.png'); the file is refused."
    ), result.stderr
    engine = make_engine(url)
    with Session(engine) as s:
        assert s.get(Section, section.id).head_revision_id == section.head_revision_id
    engine.dispose()


def test_word_comments_the_database_cannot_hold_refuse_the_document(
    session: Session, world: World, tmp_path
) -> None:
    review_round = open_fod(session, world)
    document = review_copy(session, world, review_round, tmp_path)
    comment(document, "1.1", 1, text="A fine comment.")
    comment(document, "1.1", 3, text="Hidden\x7fcharacter.", author="Bea Expert")
    comment(document, "2.1", 1, text="Long author.", author="N" * 300)
    comment(document, "2.1", 3, text="x" * 100_001, author="Carl Expert")
    comment(document, "3.1", 1, text="Fine.\nSuggested change: \x7f", author="Dee")
    before = row_counts(session)
    with pytest.raises(ImportFailed) as caught:
        import_comments(session, world, review_round, saved(document))
    assert caught.value.problems == [
        "Comment 2 of review.docx (Bea Expert: “Hidden\x7fcharacter.”): the comment cannot be "
        "stored: it contains a control character (code 0x7f) at position 99; remove it",
        f"Comment 3 of review.docx ({'N' * 59}…: “Long author.”): the author's name cannot be "
        "stored: it is 300 characters long; at most 200 fit",
        f"Comment 4 of review.docx (Carl Expert: “{'x' * 59}…”): the comment cannot be stored: "
        "it is 100,093 characters long; at most 100,000 fit",
        "Comment 5 of review.docx (Dee: “Fine. Suggested change: \x7f”): the suggested change "
        "cannot be stored: it contains a control character (code 0x7f) at position 1; remove it",
    ]
    assert row_counts(session) == before


# --------------------------------------------------------------------------- comments on parts

DEMO_SECRETARIAT = "secretariat@demo.ipsp.example"


@pytest.fixture
def demo(demo_template, tmp_path) -> Iterator[Session]:
    """Yield a session on a copy of the demo workspace (its SOD round is open)."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_template, copy)
    engine = make_engine(f"sqlite:///{copy}")
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


def demo_review_copy(db: Session):
    """Return the demo's report, its open SOD round, the Secretariat and its review copy."""
    report = db.exec(select(Report).where(Report.slug == "living-wages")).one()
    review_round = db.exec(select(ReviewRound).where(ReviewRound.name == "SOD")).one()
    secretariat = people.get_by_email(db, DEMO_SECRETARIAT)
    exported = export.export_report(session=db, actor=secretariat, report=report, fmt="docx")
    return report, review_round, secretariat, Document(io.BytesIO(exported.content))


def table_row(document, code: str):
    """Return the table row of a review copy whose 'No.' cell holds this code (F6, CR8…)."""
    for table in document.tables:
        for row in table.rows:
            if any(cell.text.strip() == code for cell in row.cells[:2]):
                return row
    raise AssertionError(f"no table row {code}")


def text_runs(cell_or_paragraph) -> list:
    """Return the runs of text of a cell or a paragraph, without its line number."""
    paragraphs = getattr(cell_or_paragraph, "paragraphs", [cell_or_paragraph])
    return [
        run
        for paragraph in paragraphs
        for run in paragraph.runs
        if run.style.name != "Line Number" and run.text.strip()
    ]


def import_demo(db: Session, report, review_round, actor, document):
    return docx_import.import_comments_docx(
        session=db,
        actor=actor,
        report=report,
        round=review_round,
        filename="sod-reviewed.docx",
        content=saved(document),
    )


def new_comments(db: Session, review_round: ReviewRound, after: int) -> list[ReviewComment]:
    db.expire_all()
    return list(
        db.exec(
            select(ReviewComment)
            .where(ReviewComment.round_id == review_round.id, ReviewComment.number > after)
            .order_by(col(ReviewComment.number))
        ).all()
    )


def test_word_comments_on_a_finding_a_register_row_and_a_recommendation_come_back_on_them(
    demo: Session,
) -> None:
    report, review_round, secretariat, document = demo_review_copy(demo)
    found = parts.targets(demo, review_round.id)
    finding = table_row(document, "F6").cells
    # The statement cell of the finding's row, the register row's statement, the
    # recommendation's first line; then a stretch over two findings, and a part's heading.
    document.add_comment(text_runs(finding[-2]), text="Which methods?", author="Ana Reviewer")
    register = table_row(document, "CR8").cells
    document.add_comment(text_runs(register[-3]), text="Employers missing.", author="Ana Reviewer")
    recommendation = next(p for p in document.paragraphs if "R4. " in p.text)
    document.add_comment(text_runs(recommendation), text="Give a date.", author="Ana Reviewer")
    next_row = table_row(document, "F7").cells
    document.add_comment(
        [text_runs(finding[-2])[0], text_runs(next_row[-2])[-1]],
        text="Both overstate.",
        author="Bo Expert",
    )
    heading = next(
        p
        for p in document.paragraphs
        if p.style.name == "Heading 1" and p.text == "Recommendations"
    )
    document.add_comment(heading.runs, text="General: too many.", author="Bo Expert")

    result = import_demo(demo, report, review_round, secretariat, document)
    assert (result.imported, result.skipped) == (5, 0)
    added = new_comments(demo, review_round, 17)
    got = [(c.section_id, c.part, c.from_line, c.to_line, c.reviewer_name) for c in added]
    f6, cr8, r4 = (found[code.lower()].lines for code in ("F6", "CR8", "R4"))
    # The demo's own comments cite these lines: F6 line 10, CR8 line 12, R4 line 27.
    assert (f6[0], cr8[0], r4[0]) == (10, 12, 27)
    assert got == [
        (None, "F6", 10, 10, "Ana Reviewer"),
        (None, "KF", 10, 11, "Bo Expert"),
        (None, "CR8", 12, 12, "Ana Reviewer"),
        (None, "REC", 1, 1, "Bo Expert"),
        (None, "R4", 27, 27, "Ana Reviewer"),
    ]
    by_text = {c.comment.rsplit(": ", 1)[-1]: c for c in added}
    assert by_text["Which methods?"].comment.startswith(
        "On “Living-wage estimates for the same place can differ by up to a quarter"
    )
    assert by_text["Give a date."].comment.startswith("On “R4. Adopt credible living-wage")
    assert by_text["too many."].kind == CommentKind.general
    # The CLAs answer them, and they count in their parts.
    counts = {
        row["section"]: row["total"]
        for row in reviews.disposition_counts(demo, round_id=review_round.id)
    }
    assert (counts["KF"], counts["CR"], counts["REC"]) == (3, 2, 3)

    # The same file again adds nothing and says so.
    before = row_counts(demo)
    again = import_demo(demo, report, review_round, secretariat, document)
    assert (again.imported, again.skipped) == (0, 5)
    assert again.summary("SOD") == (
        "Imported 0 comments from sod-reviewed.docx into SOD; skipped 5 already there "
        "(imported before)."
    )
    assert row_counts(demo) == before


def test_word_comments_on_the_references_or_the_review_annex_are_refused_one_by_one(
    demo: Session,
) -> None:
    report, review_round, secretariat, document = demo_review_copy(demo)
    document.add_comment(
        text_runs(table_row(document, "F6").cells[-2]), text="Fine here.", author="Ana Reviewer"
    )
    for title in ("References", "Annex: review summary"):
        heading = next(
            p for p in document.paragraphs if p.style.name == "Heading 1" and p.text == title
        )
        document.add_comment(heading.runs, text=f"On {title}.", author="Bo Expert")
    before = row_counts(demo)
    with pytest.raises(ImportFailed) as caught:
        import_demo(demo, report, review_round, secretariat, document)
    # All or nothing, as for every import: the good comment waits for the file to be fixed.
    assert caught.value.summary == "sod-reviewed.docx has 2 problems; nothing was imported."
    assert caught.value.problems == [
        f"Comment {n} of sod-reviewed.docx (Bo Expert: “On {title}.”): it is on “{title}”, "
        "which is not open to comment: only the sections, the key findings, the consensus and "
        "false-solutions registers, the recommendations and the initiatives take comments"
        for n, title in ((2, "References"), (3, "Annex: review summary"))
    ]
    assert row_counts(demo) == before


def test_a_word_comment_on_a_changed_register_row_is_refused(demo: Session) -> None:
    report, review_round, secretariat, document = demo_review_copy(demo)
    statement = text_runs(table_row(document, "CR8").cells[-3])
    statement[0].text = "Nothing of what the register said."
    for run in statement[1:]:
        run.text = ""
    document.add_comment(statement[0], text="Really?", author="Ana Reviewer")
    with pytest.raises(ImportFailed) as caught:
        import_demo(demo, report, review_round, secretariat, document)
    (problem,) = map(str, caught.value.problems)
    assert "is not in line 12 of Consensus and disagreement (CR) as frozen for SOD" in problem


# --------------------------------------------------------------------------- two imports at once


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """Yield an engine on a database that two sessions can use at once (a file for SQLite)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'shared.db'}")
        create_all(engine)
        yield engine
        engine.dispose()
        return
    engine = _postgres_engine()
    _truncate(engine)
    yield engine


def test_two_imports_of_one_file_at_the_same_moment_add_its_comments_once(
    shared_engine: Engine, tmp_path, monkeypatch
) -> None:
    """The second import waits for the round's lock, then sees the first one's comments.

    The first import has written its comments and not yet committed when the second
    starts; the second reaches the lock and waits while the first commits. Checking
    for comments imported before ahead of the lock would find none and add them again.
    """
    with Session(shared_engine, expire_on_commit=False) as session:
        world = make_world(session)
        review_round = open_fod(session, world)
        document = review_copy(session, world, review_round, tmp_path)
        comment(document, "1.1", 1, 3, text="Cite the ILO estimates here.", author="Bea Expert")
        comment(document, "2.1", 3, text="Say which year.", author="Carl Expert")
        content = saved(document)
    written, waiting = threading.Event(), threading.Event()
    record, lock_scope = audit.record, numbering.lock_scope

    def record_then_hold(*args, **kwargs):
        # The first import has inserted its rows: hold its transaction open.
        record(*args, **kwargs)
        if threading.current_thread().name == "first":
            written.set()
            assert waiting.wait(30)

    def lock_after_the_first(*args, **kwargs):
        if threading.current_thread().name == "second":
            waiting.set()  # let the first commit while this one waits for the lock
        lock_scope(*args, **kwargs)

    monkeypatch.setattr(audit, "record", record_then_hold)
    monkeypatch.setattr(numbering, "lock_scope", lock_after_the_first)
    results: dict[str, object] = {}

    def run() -> None:
        try:
            with Session(shared_engine, expire_on_commit=False) as s:
                results[threading.current_thread().name] = import_comments(
                    s, world, s.get(ReviewRound, review_round.id), content
                )
        except Exception as exc:  # reported below, in the test's thread
            results[threading.current_thread().name] = exc

    first = threading.Thread(target=run, name="first")
    first.start()
    assert written.wait(30)
    second = threading.Thread(target=run, name="second")
    second.start()
    for thread in (first, second):
        thread.join(60)
    assert (results["first"].imported, results["first"].skipped) == (2, 0), results
    assert (results["second"].imported, results["second"].skipped) == (0, 2), results
    with Session(shared_engine) as session:
        stored = session.exec(select(ReviewComment.number, ReviewComment.reviewer_name)).all()
    assert sorted(stored) == [(1, "Bea Expert"), (2, "Carl Expert")]


# --------------------------------------------------------------------------- the contract alone


def add_parts(session: Session, world: World) -> None:
    """Give the world's report two findings, a register row, a recommendation, an initiative."""
    report = world.report
    for code, section in (("F1", world.sections[0]), ("F2", world.sections[1])):
        findings.add_finding(
            session=session,
            actor=world.cla,
            report=report,
            data=FindingCreate(
                code=code,
                statement=f"Finding {code} is about wages in the {code} countries.",
                evidence=Evidence.robust,
                agreement=Agreement.high,
                section_id=section.id,
            ),
        )
    consensus.add_item(
        session=session,
        actor=world.cla,
        report=report,
        data=ConsensusItemCreate(
            statement="Living wages reduce poverty.",
            classification=Classification.consensus,
            section_id=world.sections[2].id,
        ),
    )
    recommendations.add_recommendation(
        session=session,
        actor=world.cla,
        report=report,
        data=RecommendationCreate(
            code="R1",
            text="Index minimum wages to the cost of a decent life.",
            addressees=[ActorType.national_government],
            scale=Scale.national,
            horizon=Horizon.short_term,
            context_conditions="Where a wage board exists.",
            normative_assumptions="Work should pay enough to live on.",
        ),
    )
    initiatives.add_initiative(
        session=session,
        actor=world.cla,
        report=report,
        data=InitiativeCreate(name="Wage board of Ruritania", who="The wage board", what="Sets"),
    )


def marked(number: int) -> str:
    return f'[{number}]{{custom-style="Line Number"}}'


def part_markdown(part: parts.PartText) -> str:
    """Return a frozen part as the review copy's contract prints it: its heading with its
    bookmark, each numbered line opening with its number, a table's number in a first column."""
    spec = part.spec
    out = [f"{'#' * spec.level} {spec.title} {{#{spec.anchor}}}", ""]
    lines = sections.lines_of(part.markdown)
    for number, line in enumerate(lines, start=1):
        line = line.replace(parts.POSITION_BREAK, "; ")
        rule = export_rule(line)
        header = number < len(lines) and export_rule(lines[number])
        if not line.strip():
            out.append("")
        elif rule:
            out.append("|---" + line)
        elif header:
            out.append("| " + line)
        elif line.startswith("|"):
            out.append(f"| {marked(number)} " + line)
        elif line.startswith("## "):
            out.append(f"## {marked(number)} {line[3:]}")
        else:
            out.append(f"{marked(number)} {line}")
    return "\n".join(out) + "\n"


def export_rule(line: str) -> bool:
    return line.startswith("|") and set(line.strip()) <= set("|-: ")


def test_word_comments_on_parts_follow_the_review_copy_contract(
    session: Session, world: World, tmp_path
) -> None:
    """Built by hand from the contract, without the export: bookmarks, numbers, table columns."""
    add_parts(session, world)
    review_round = open_fod(session, world)
    frozen = {part.code: part for part in parts.frozen(session, review_round.id)}
    markdown = review_copy_markdown(session, world, review_round)
    for code in ("KF", "CR", "FS", "REC"):
        markdown += "\n" + part_markdown(frozen[code])
    markdown += "\n# References {#references}\n\nAnker, R. (2017). Living wages.\n"
    markdown += "\n" + part_markdown(frozen["IN"])
    document = Document(io.BytesIO(docx_from_markdown(markdown, tmp_path)))

    def row(code: str):
        return next(r for t in document.tables for r in t.rows if r.cells[1].text == code)

    def text_of(cell) -> list:
        return [r for p in cell.paragraphs for r in p.runs if r.text.strip()]

    def numbered_line(start: str):
        return next(p for p in document.paragraphs if p.text.split(" ", 1)[-1].startswith(start))

    f2 = text_of(row("F2").cells[2])
    document.add_comment(f2, text="Which countries?", author="Bea Expert")
    both = [text_of(row("F1").cells[2])[0], f2[-1]]
    document.add_comment(both, text="Both too strong.", author="Bea Expert")
    document.add_comment(text_of(row("CR1").cells[2]), text="Who disagrees?", author="Bea Expert")
    rec = numbered_line("R1.")
    document.add_comment(rec.runs[1:], text="Which index?", author="Bea Expert")
    board = numbered_line("Wage board of Ruritania")
    document.add_comment(board.runs[1:], text="Still running?", author="Bea Expert")
    result = import_comments(session, world, review_round, saved(document))
    assert (result.imported, result.skipped) == (5, 0)

    items = {code: part.items for code, part in frozen.items()}
    line = {code: tuple(item["lines"]) for part in items.values() for code, item in part.items()}
    got = [(c.section_id, c.part, c.from_line, c.to_line) for c in stored_comments(session)]
    # Numbered in reading order: the stretch over F1 and F2 starts first.
    assert got == [
        (None, "KF", line["F1"][0], line["F2"][1]),
        (None, "F2", *line["F2"]),
        (None, "CR1", *line["CR1"]),
        (None, "R1", line["R1"][0], line["R1"][0]),
        (None, "IN1", line["IN1"][0], line["IN1"][0]),
    ]
    assert stored_comments(session)[1].comment.startswith("On “Finding F2 is about wages")
    again = import_comments(session, world, review_round, saved(document))
    assert (again.imported, again.skipped) == (0, 5)
