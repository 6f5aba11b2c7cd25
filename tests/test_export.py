"""Exports: the demo report as Markdown and Word, read back the way a reader's tools would.

The demo's living-wages report has an open second-order review round, so its
export is the draft under review: frozen text with line numbers and the open
comments as Word comments. Other tests build small reports to check the cover's
draft stamp, the version id, languages and refusals.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import docx
import pypandoc
import pytest
from docx.oxml.ns import qn
from sqlmodel import Session, select

from tests.factories import make_person
from tests.test_reviews import at_stage, open_fod
from workbench import (
    content,
    council,
    export,
    parts,
    people,
    reports,
    reviews,
    sections,
    translations,
)
from workbench.db import make_engine
from workbench.errors import PermissionDenied, ValidationError
from workbench.models import (
    DecisionKind,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Stage,
    TranslationStatus,
    Vote,
)

SECRETARIAT = "secretariat@demo.ipsp.example"
REQUIRE_OFFICE = os.environ.get("WORKBENCH_REQUIRE_OFFICE") == "1"


@pytest.fixture(scope="module")
def demo(demo_template) -> Session:
    engine = make_engine(f"sqlite:///{demo_template}")
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


@pytest.fixture(scope="module")
def living_wages(demo):
    return reports.get_report(demo, "living-wages")


@pytest.fixture(scope="module")
def secretariat(demo):
    return people.get_by_email(demo, SECRETARIAT)


@pytest.fixture(scope="module")
def docx_export(demo, living_wages, secretariat) -> export.Exported:
    steps: list[float] = []
    out = export.export_report(
        session=demo,
        actor=secretariat,
        report=living_wages,
        fmt="docx",
        progress=lambda fraction, message: steps.append(fraction),
        page_numbers=True,
    )
    assert steps == sorted(steps) and steps[-1] == 1.0
    return out


@pytest.fixture(scope="module")
def md_export(demo, living_wages, secretariat) -> export.Exported:
    return export.export_report(session=demo, actor=secretariat, report=living_wages, fmt="md")


def docx_as_markdown(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.docx"
    path.write_bytes(content)
    return pypandoc.convert_file(str(path), "markdown", extra_args=["--wrap=none"])


def test_pandoc_reads_back_every_section_the_references_and_the_tables(
    docx_export, demo, living_wages, tmp_path
):
    text = docx_as_markdown(docx_export.content, tmp_path)
    for section in sections.list_sections(demo, living_wages.id):
        assert f"{section.code} {section.title}" in text, section.code
    assert "[@" not in text
    assert "# References" in text
    # A rendered author-date citation and its entry in the reference list.
    assert "International Labour Organization 2024" in text
    assert re.search(r"International Labour Organization\. 2024\.", text)
    ast = json.loads(pypandoc.convert_file(str(tmp_path / "report.docx"), "json"))
    tables = [b for b in ast["blocks"] if b["t"] == "Table"]
    # Consensus, false solutions, a context/assumptions table per recommendation,
    # the review summary per round, and the tables inside sections.
    assert len(tables) >= 12
    for heading in ("Key findings", "Consensus and disagreement", "Register of false solutions"):
        assert heading in text
    assert "Annex: initiatives" in text and "Annex: review summary" in text


def test_the_cover_the_contents_and_the_headers(docx_export, living_wages):
    document = docx.Document(io.BytesIO(docx_export.content))
    first_texts = [p.text for p in document.paragraphs[:20]]
    assert "DRAFT — DO NOT CITE, QUOTE OR DISTRIBUTE" in first_texts
    assert living_wages.title in first_texts
    assert any(t.startswith("Version: ") and docx_export.version in t for t in first_texts)
    assert any(t.startswith("Coordinating Lead Authors: Amina Diallo") for t in first_texts)
    toc = [p.text.split("\t")[0] for p in document.paragraphs if p.style.name.startswith("TOC")]
    assert "1. What is known?" in toc and "Key findings" in toc
    section = document.sections[0]
    assert docx_export.version in section.footer.paragraphs[1].text
    assert "Do Not Cite, Quote or Distribute" in section.footer.paragraphs[0].text
    assert document.core_properties.title == living_wages.title


def _anchored_lines(document) -> dict[int, tuple[int, str]]:
    """Return comment id → (first line number inside its range, the range's text)."""
    body = document.element.body
    result: dict[int, tuple[int, str]] = {}
    open_ranges: dict[int, list[str]] = {}
    first_line: dict[int, int] = {}
    for element in body.iter(qn("w:commentRangeStart"), qn("w:commentRangeEnd"), qn("w:r")):
        if element.tag == qn("w:commentRangeStart"):
            open_ranges[int(element.get(qn("w:id")))] = []
        elif element.tag == qn("w:commentRangeEnd"):
            cid = int(element.get(qn("w:id")))
            result[cid] = (first_line.get(cid, 0), "".join(open_ranges.pop(cid)))
        else:
            text = "".join(t.text or "" for t in element.iter(qn("w:t")))
            style = element.find(f"{qn('w:rPr')}/{qn('w:rStyle')}")
            for cid, parts in open_ranges.items():
                if style is not None and style.get(qn("w:val")) == "LineNumber":
                    first_line.setdefault(cid, int(text))
                parts.append(text)
    return result


def _words(line: str) -> list[str]:
    """Return a Markdown line's first words as a reader sees them (no marks, no table bars)."""
    return re.sub(r"[*_`\[\]@|]", " ", line).replace("’", "'").split()[:3]


def test_open_comments_are_word_comments_at_their_lines(docx_export, demo, living_wages):
    document = docx.Document(io.BytesIO(docx_export.content))
    sod = reviews.get_round(demo, report_id=living_wages.id, name="SOD")
    still_open = demo.exec(
        select(ReviewComment).where(
            ReviewComment.round_id == sod.id, ReviewComment.disposition.is_(None)
        )
    ).all()
    # The demo's SOD round has open comments on sections and on parts (F6, R4).
    assert {"F6", "R4"} <= {c.part for c in still_open}
    comments = list(document.comments)
    assert len(comments) == len(still_open)
    anchored = _anchored_lines(document)
    by_number = {c.number: c for c in still_open}
    frozen_parts = {part.code: part for part in parts.frozen(demo, sod.id)}
    targets = parts.targets(demo, sod.id)
    for comment in comments:
        number = int(re.match(r"No\. (\d+)", comment.text).group(1))
        expected = by_number[number]
        assert comment.author == expected.reviewer_name
        line, quoted = anchored[comment.comment_id]
        if expected.section_id is not None:
            frozen = sections.lines_of(
                reviews.frozen_text(demo, round_id=sod.id, section_id=expected.section_id)
            )
        else:
            part = parts.resolve(targets, expected.part).part
            frozen = sections.lines_of(frozen_parts[part].markdown)
            # The comment says what it is on, and in which part its lines count.
            assert comment.text.startswith(
                f"No. {number} (Substantive, {expected.part} in {part}, lines "
            ), comment.text
        # The range starts at the comment's first line (or the nearest numbered line before it).
        assert line <= expected.from_line
        said = quoted.replace("’", "'")
        assert all(word in said for word in _words(frozen[line - 1])), (frozen[line - 1], said)
    assert not docx_export.warnings


def test_a_comment_on_a_finding_is_anchored_on_its_row(docx_export, demo, living_wages):
    document = docx.Document(io.BytesIO(docx_export.content))
    on_f6 = next(c for c in document.comments if " F6 in KF, " in c.text)
    line, quoted = _anchored_lines(document)[on_f6.comment_id]
    # KF line 10 is the row of F6: its number, code, statement and traceable account.
    assert line == 10
    assert quoted.startswith("10F6Living-wage estimates for the same place")
    assert "medium evidence, medium agreement" in quoted


def test_markdown_keeps_line_numbers_comments_and_goes_through_pandoc_unchanged(md_export, demo):
    text = md_export.content.decode()
    assert text.startswith("---\n") and "version: " + md_export.version in text
    assert "[1]{.line-number}" in text
    assert "# Annex: open review comments (SOD)" in text
    assert "[@" not in text and "# References" in text
    assert "/tmp" not in text.split("---", 2)[1]
    once = json.loads(pypandoc.convert_text(text, "json", format=export.READER))
    again_md = pypandoc.convert_text(
        text, export.WRITER_MD, format=export.READER, extra_args=["-s", "--wrap=none"]
    )
    twice = json.loads(pypandoc.convert_text(again_md, "json", format=export.READER))
    # Nothing is lost: the same blocks (pandoc recomputes table column widths, a matter of layout).
    assert _without_widths(once["blocks"]) == _without_widths(twice["blocks"])


def _without_widths(node):
    if isinstance(node, dict):
        if node.get("t") == "ColWidth":
            return "width"
        return {k: _without_widths(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_widths(v) for v in node]
    return node


def test_keep_citations_leaves_keys_and_writes_the_csl_json(demo, living_wages, secretariat):
    out = export.export_report(
        session=demo, actor=secretariat, report=living_wages, fmt="md", keep_citations=True
    )
    text = out.content.decode()
    assert "[@ilo2024experts]" in text
    assert "bibliography: " in text and f"{living_wages.slug}-references.json" in text
    records = json.loads(out.csl_json)
    assert "ilo2024experts" in {r["id"] for r in records}
    # pandoc renders it the same way from the two files.
    with pytest.raises(ValidationError, match="only in the Markdown"):
        export.export_report(
            session=demo, actor=secretariat, report=living_wages, fmt="docx", keep_citations=True
        )


needs_office = pytest.mark.skipif(
    not REQUIRE_OFFICE and export.libreoffice() is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)


def pdf_text(content: bytes, tmp_path: Path, first: int, last: int) -> str:
    """Return the text of these pages of a PDF, as pdftotext reads it."""
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-f", str(first), "-l", str(last), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def review_copy_version(session: Session, report) -> str:
    """Return the version id the review copy prints: the hash of what the open round froze."""
    review_round = export.round_under_review(session, report.id)
    texts = reviews.frozen_texts(session, round_id=review_round.id)
    printed = {p.code: p.markdown for p in parts.frozen(session, review_round.id)}
    return content.content_hash(session, report, texts=texts, parts=printed)[: export.VERSION_CHARS]


def pdf_pages(content: bytes, tmp_path: Path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))


@needs_office
def test_the_pdf_is_the_word_document_printed_with_its_version_on_every_page(
    demo, living_wages, secretariat, docx_export, tmp_path
):
    steps: list[float] = []
    out = export.export_report(
        session=demo,
        actor=secretariat,
        report=living_wages,
        fmt="pdf",
        progress=lambda fraction, message: steps.append(fraction),
    )
    assert steps == sorted(steps) and steps[-1] == 1.0
    assert out.content.startswith(b"%PDF-")
    assert out.filename == docx_export.filename.replace(".docx", ".pdf")
    assert out.version == docx_export.version
    assert out.version == review_copy_version(demo, living_wages)
    pages = pdf_pages(out.content, tmp_path)
    assert 20 <= pages <= 80
    first = pdf_text(out.content, tmp_path, 1, 1)
    assert "DRAFT — DO NOT CITE, QUOTE OR DISTRIBUTE" in first and "Living Wages for All" in first
    assert f"Version: {out.version}" in first
    later = pdf_text(out.content, tmp_path, 5, 5)
    assert "Page 5" in later and f"Total pages: {pages}" in later and out.version in later


@needs_office
def test_the_command_line_writes_the_pdf(demo_template, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from workbench.cli import app

    copy = tmp_path / "demo.db"
    shutil.copy(demo_template, copy)
    target = tmp_path / "council.pdf"
    result = CliRunner().invoke(
        app,
        ["export", "--report", "living-wages", "--format", "pdf", "-o", str(target)],
        env={"WORKBENCH_DATABASE_URL": f"sqlite:///{copy}"},
    )
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{copy}")
    with Session(engine) as s:
        version = review_copy_version(s, reports.get_report(s, "living-wages"))
    engine.dispose()
    assert f"Wrote {target} (version {version})." in result.output
    assert f"Version: {version}" in pdf_text(target.read_bytes(), tmp_path, 1, 1)


def fake_soffice(tmp_path: Path, body: str) -> str:
    """Write a stand-in for soffice (a shell script) and return its path."""
    script = tmp_path / "soffice"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


def test_a_pdf_without_libreoffice_is_refused_saying_what_to_install(
    demo, living_wages, secretariat, monkeypatch
):
    monkeypatch.setattr(export, "libreoffice", lambda: None)
    with pytest.raises(ValidationError, match="needs LibreOffice") as refused:
        export.export_report(session=demo, actor=secretariat, report=living_wages, fmt="pdf")
    assert "libreoffice-writer-nogui" in refused.value.message
    assert "The Word document has the same content and version." in refused.value.message


def test_libreoffice_failing_or_hanging_is_one_clear_message(tmp_path, monkeypatch, docx_export):
    failing = fake_soffice(tmp_path, 'echo "Error: source file could not be loaded" >&2; exit 1')
    monkeypatch.setattr(export, "libreoffice", lambda: failing)
    with pytest.raises(ValidationError, match=r"could not make the PDF \(Error: source file"):
        export.docx_to_pdf(docx_export.content)
    pid_file = tmp_path / "pid"
    # A hanging converter and the child it started are both ended at the time limit.
    hanging = fake_soffice(tmp_path, f"sleep 300 & echo $! > {pid_file}; wait")
    monkeypatch.setattr(export, "libreoffice", lambda: hanging)
    with pytest.raises(ValidationError, match="did not finish the PDF within 1 seconds"):
        export.docx_to_pdf(docx_export.content, timeout=1)
    child = int(pid_file.read_text())
    for _ in range(100):  # the kill is sent at once; the process table may lag a moment
        if not running(child):
            break
        subprocess.run(["sleep", "0.1"], check=True)
    assert not running(child)


def running(pid: int) -> bool:
    """Return True while a process exists and is not a zombie waiting to be reaped."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


# --------------------------------------------------------------------------- the reading copy


def test_the_reading_copy_is_the_exported_document_for_the_screen(
    demo, living_wages, secretariat, md_export
):
    # The Council reads the current content, which is what its decisions bind.
    reading = export.reading_copy(demo, secretariat, living_wages)
    assert reading.draft.version == content.content_hash(demo, living_wages.id)[:12]
    review = export.reading_copy(demo, secretariat, living_wages, text="review")
    assert review.draft.version == md_export.version
    body = "".join(p.markdown for p in reading.parts)
    assert "[@" not in body
    assert "International Labour Organization 2024" in body
    anchors = [entry.anchor for entry in reading.toc]
    ordered = sections.list_sections(demo, living_wages.id)
    assert [a for a in anchors if a.startswith("sec-")] == [f"sec-{s.id}" for s in ordered]
    assert (
        anchors.index("key-findings")
        < anchors.index("consensus")
        < anchors.index("recommendations")
        < anchors.index("references")
        < anchors.index("initiatives")
    )
    # The reviewers' apparatus stays in the exported draft only.
    assert "open-comments" not in anchors and "{.line-number}" not in body
    summary = next(p for p in reading.parts if p.anchor == f"sec-{ordered[0].id}").markdown
    assert summary.startswith("*Draft for the second-order review.")
    assert "<div" not in body and "<span" not in body
    # One actor's position after another in the consensus register, without line breaks.
    register = next(p for p in reading.parts if p.anchor == "consensus").markdown
    assert "Global Employers’ Forum: support; International Confederation" in register
    assert "\ue000" not in body


# --------------------------------------------------------------------------- small reports


def _write(session, world, section, text):
    return sections.save_revision(
        session=session,
        actor=world.cla,
        section=section,
        text=text,
        base_revision_id=section.head_revision_id,
        message="edit",
    )


def test_version_id_is_the_councils_hash_and_approval_lifts_the_stamp(session, world):
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="md"
    )
    text_hash = content.content_hash(session, world.report.id)
    assert out.version == text_hash[: export.VERSION_CHARS]
    assert "Draft — do not cite, quote or distribute" in out.content.decode()
    assert "{.line-number}" not in out.content.decode()  # no round open: no line numbers
    at_stage(session, world, Stage.council_review)
    decision = council.open_decision(
        session=session,
        actor=world.secretariat,
        report=world.report,
        kind=DecisionKind.report_approval,
        title="Approve the report",
    )
    for member in world.council:
        council.cast_vote(
            session=session, actor=member, decision=decision, vote=Vote.approve, reason="Sound."
        )
    council.close_decision(session=session, actor=world.secretariat, decision=decision)
    approved = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="docx"
    )
    first = [p.text for p in docx.Document(io.BytesIO(approved.content)).paragraphs[:12]]
    assert "DRAFT — DO NOT CITE, QUOTE OR DISTRIBUTE" not in first
    assert decision.text_hash.startswith(approved.version)
    session.refresh(world.sections[0])
    _write(session, world, world.sections[0], "Changed after the vote.")
    again = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="docx"
    )
    first = [p.text for p in docx.Document(io.BytesIO(again.content)).paragraphs[:12]]
    assert "DRAFT — DO NOT CITE, QUOTE OR DISTRIBUTE" in first


@needs_office
def test_the_pdf_of_an_approved_report_carries_the_approved_version(session, world, tmp_path):
    at_stage(session, world, Stage.council_review)
    decision = council.open_decision(
        session=session,
        actor=world.secretariat,
        report=world.report,
        kind=DecisionKind.report_approval,
        title="Approve the report",
    )
    for member in world.council:
        council.cast_vote(
            session=session, actor=member, decision=decision, vote=Vote.approve, reason="Sound."
        )
    council.close_decision(session=session, actor=world.secretariat, decision=decision)
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="pdf"
    )
    first = pdf_text(out.content, tmp_path, 1, 1)
    assert out.version == decision.text_hash[: export.VERSION_CHARS]
    assert f"Version: {decision.text_hash[:12]}" in first
    assert "DRAFT" not in first
    assert "Approved by the Coordination Council for this version of the text." in first


def test_a_language_uses_translations_and_marks_the_rest(session, world):
    section = world.sections[0]
    translations.set_translation(
        session=session,
        actor=world.cla,
        section=section,
        language="fr",
        status=TranslationStatus.translated,
        text="Le texte traduit de la section.",
    )
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="md", language="fr"
    )
    text = out.content.decode()
    assert "Le texte traduit de la section." in text
    assert "Cette section n’est pas encore traduite" in text
    assert 'lang: "fr-FR"' in text or "lang: fr-FR" in text
    with pytest.raises(ValidationError, match="not one of the report's languages"):
        export.export_report(
            session=session, actor=world.secretariat, report=world.report, fmt="md", language="xx"
        )


def test_unknown_citation_keys_are_reported(session, world):
    _write(session, world, world.sections[1], "A claim [@nobody2099].")
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="md"
    )
    assert any("nobody2099" in w for w in out.warnings)


def test_refusals(session, world):
    stranger = make_person(session, "Nobody Here")
    with pytest.raises(PermissionDenied):
        export.export_report(session=session, actor=stranger, report=world.report, fmt="docx")
    with pytest.raises(ValidationError, match="not an export format: choose md, docx or pdf"):
        export.export_report(
            session=session, actor=world.secretariat, report=world.report, fmt="odt"
        )


def test_under_review_the_frozen_text_is_exported_with_line_numbers(session, world):
    section = world.sections[0]
    _write(session, world, section, "First sentence.\nSecond sentence.\n\n- a listed point")
    session.refresh(section)
    open_fod(session, world)
    session.refresh(section)
    _write(session, world, section, "Rewritten after the round opened.")
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="md"
    )
    text = out.content.decode()
    assert "[1]{.line-number} First sentence. [2]{.line-number} Second sentence." in text
    assert "- [4]{.line-number} a listed point" in text
    assert "Rewritten after the round opened." not in text
    round = session.exec(select(ReviewRound).where(ReviewRound.status == RoundStatus.open)).one()
    assert f"{round.name} under review" in text
    assert Role.cla  # the team is listed on the cover
    assert "Coordinating Lead Authors" in text


# --------------------------------------------------------------------------- which text, slips


def test_during_an_open_round_the_current_drafts_can_be_exported_and_the_cover_says_so(
    session, world
):
    section = world.sections[0]
    _write(session, world, section, "First sentence.\nSecond sentence.")
    session.refresh(section)
    open_fod(session, world)
    session.refresh(section)
    _write(session, world, section, "Rewritten after the round opened.")
    review = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="md"
    )
    assert review.text == "review"
    assert "*Review copy of the FOD draft*" in review.content.decode()
    current = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="md", text="current"
    )
    text = current.content.decode()
    assert "Rewritten after the round opened." in text and "First sentence." not in text
    assert "{.line-number}" not in text and "Review copy" not in text
    assert re.search(r"\*Current drafts, \d{1,2} \w+ \d{4} — work in progress\*", text)
    # The version of the current drafts is the hash of the current content.
    assert current.version == content.content_hash(session, world.report)[:12]
    assert current.version != review.version and current.text == "current"
    word = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="docx", text="current"
    )
    cover = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs[:12]]
    assert any(t.startswith("Current drafts, ") and "work in progress" in t for t in cover)
    with pytest.raises(ValidationError, match="'latest' is not a choice of text"):
        export.export_report(
            session=session, actor=world.secretariat, report=world.report, fmt="md", text="latest"
        )


def test_the_command_line_exports_the_current_drafts(demo_template, tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.models import Person

    copy = tmp_path / "demo.db"
    shutil.copy(demo_template, copy)
    engine = make_engine(f"sqlite:///{copy}")
    with Session(engine, expire_on_commit=False) as s:
        report = reports.get_report(s, "living-wages")
        section = sections.list_sections(s, report.id)[1]
        text = sections.head_texts(s, report.id)[section.id]
        sections.save_revision(
            session=s,
            actor=s.get(Person, section.lead_author_id),
            section=section,
            text=text + "\n\nA sentence written while the SOD is under review.",
            base_revision_id=section.head_revision_id,
        )
        version = content.content_hash(s, report.id)[:12]
    engine.dispose()
    runner, env = CliRunner(), {"WORKBENCH_DATABASE_URL": f"sqlite:///{copy}"}
    target = tmp_path / "wip.md"
    args = ["export", "--report", "living-wages", "--format", "md", "-o", str(target)]
    result = runner.invoke(app, [*args, "--text", "current"], env=env)
    assert result.exit_code == 0, result.output
    assert f"(version {version})" in result.output
    written = target.read_text()
    assert "A sentence written while the SOD is under review." in written
    assert "— work in progress*" in written and "{.line-number}" not in written
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    review = target.read_text()
    assert "A sentence written while the SOD is under review." not in review
    assert "*Review copy of the SOD draft*" in review and "{.line-number}" in review
    refused = runner.invoke(app, [*args, "--text", "newest"], env=env)
    assert refused.exit_code != 0 and "'newest' is not a choice of text" in refused.output


@needs_office
def test_word_contents_get_their_page_numbers_on_request_only(demo_template, tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app

    copy = tmp_path / "demo.db"
    shutil.copy(demo_template, copy)
    runner, env = CliRunner(), {"WORKBENCH_DATABASE_URL": f"sqlite:///{copy}"}

    def contents(*extra: str) -> list[str]:
        target = tmp_path / "report.docx"
        args = ["export", "--report", "living-wages", "-o", str(target), *extra]
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
        document = docx.Document(str(target))
        return [p.text for p in document.paragraphs if p.style.name.startswith("TOC")]

    # By default Word fills the numbers in when it opens the file (fast to export).
    assert all("\t" not in line for line in contents())
    numbered = contents("--page-numbers")
    assert numbered and all(line.rpartition("\t")[2].isdigit() for line in numbered)


def test_the_slips_are_fixed(md_export):
    from workbench.models import ActorType

    text = md_export.content.decode()
    assert ActorType.employers_organisation.label == "Employers' organisation"
    assert "Employers’ organisation" in text and "Employers organisation" not in text
    # The initiatives annex says the review status once.
    assert "Review: Reviewed" not in text and "**Review:**" not in text
    assert "**Panel review:** Reviewed in August 2026: the strongest evidence" in text
    assert "**Panel review:** Under review" in text
    # Front matter opens the document without a chapter called "Front matter".
    assert "Front matter" not in text
    contents = text[text.index("**Contents**") :]
    assert contents.split("\n")[2] == "- [0.1 Summary for policymakers](#sec-1)"


def test_findings_in_the_ipcc_calibrated_language(md_export):
    text = re.sub(r"\[\d+\]\{\.line-number\} ", "", md_export.content.decode())
    f1 = next(line for line in text.splitlines() if line.strip().startswith("F1 "))
    # Likelihood and confidence in italics in parentheses, then the traceability braces:
    # the finding's section first, then the chapters citing its sources.
    assert "within a range of 35 to 45 per cent (*likely*; *high confidence*). {1.2, 1.1," in f1
    assert "{1.2, 0.1" not in f1  # the summary for policymakers is not a source of findings
    assert "*robust evidence, medium agreement*. Independent benchmark series" in f1
    f2 = next(line for line in text.splitlines() if line.strip().startswith("F2 "))
    assert "(*very high confidence*). {3.1}" in f2
    assert "High confidence" not in text and "Robust evidence" not in text


def test_a_likelihood_term_in_the_sentence_is_put_in_italics():
    from types import SimpleNamespace

    from workbench.models import Confidence, Likelihood

    finding = SimpleNamespace(
        statement="It is very likely that wages rose.",
        likelihood=Likelihood.very_likely,
        confidence=Confidence.high,
    )
    assert parts.calibrated_statement(finding) == (
        "It is *very likely* that wages rose (*high confidence*)."
    )


def test_exported_word_comments_carry_their_number_and_date(session, world):
    review_round = open_fod(session, world)
    dated = reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        section_id=world.sections[0].id,
        from_line=1,
        to_line=3,
        comment="Cite the ILO estimates here.",
    )
    later = reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        section_id=world.sections[1].id,
        from_line=3,
        to_line=3,
        comment="Which year?",
    )
    # A comment imported from a reviewer's Word file keeps the day the reviewer wrote it.
    dated.created_at = datetime(2026, 3, 5, 10, 20, 30, tzinfo=UTC)
    session.add(dated)
    session.commit()
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="docx"
    )
    document = docx.Document(io.BytesIO(out.content))
    comments = {c.text.split(" ", 2)[1]: c for c in document.comments}
    assert set(comments) == {str(dated.number), str(later.number)}
    first = comments[str(dated.number)]
    assert first.text.startswith(f"No. {dated.number} (Substantive, lines 1–3): Cite the ILO")
    assert first._comment_elm.get(qn("w:date")) == "2026-03-05T10:20:30Z"
    assert first.timestamp == datetime(2026, 3, 5, 10, 20, 30, tzinfo=UTC)
    written = later.created_at
    written = written.replace(tzinfo=UTC) if written.tzinfo is None else written
    assert comments[str(later.number)].timestamp == written.replace(microsecond=0)


# --------------------------------------------------------------------------- contents with pages


def contents_lines(pdf: bytes, tmp_path: Path) -> tuple[list[tuple[str, int]], list[str]]:
    """Return the contents' (title, page) pairs as pdftotext reads them, and each page's text."""
    path = tmp_path / "contents.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    entries = [
        (match.group(1).strip(), int(match.group(2)))
        for page in pages[:4]
        for match in re.finditer(r"^\s*(\S.*?)\s*\.{4,}\s*(\d+)\s*$", page, re.MULTILINE)
    ]
    return entries, pages


@needs_office
def test_the_pdf_contents_show_the_page_of_every_part(demo, living_wages, secretariat, tmp_path):
    out = export.export_report(session=demo, actor=secretariat, report=living_wages, fmt="pdf")
    entries, pages = contents_lines(out.content, tmp_path)
    titles = [title.replace("’", "'") for title, _ in entries]
    expected = [
        e.title.replace("’", "'") for e in export.gather(demo, secretariat, living_wages).toc
    ]
    # Every entry of the contents ends with its page number (the Word export has no annex
    # of open comments: they are Word comments there).
    assert titles == [t for t in expected if not t.startswith("Annex: open review comments")]
    numbers = [number for _, number in entries]
    assert numbers == sorted(numbers) and numbers[0] >= 2
    # Each number is the page where that heading stands.
    for title, number in entries:
        head = title.replace("’", "'")
        lines = [
            # An initiative's heading is a numbered line: its number stands in the margin.
            re.sub(r"^\d+ ", "", " ".join(line.split()).replace("’", "'"))
            for line in pages[number - 1].splitlines()
        ]
        # A long heading wraps: its first line begins the title.
        assert any(
            line.startswith(head) or (len(line) > 20 and head.startswith(line)) for line in lines
        ), (title, number)


@needs_office
def test_the_word_contents_carry_page_numbers_word_can_update(docx_export, tmp_path):
    document = docx.Document(io.BytesIO(docx_export.content))
    toc = [p for p in document.paragraphs if p.style.name.startswith("TOC")]
    assert len(toc) > 20
    for paragraph in toc:
        _, _, page = paragraph.text.partition("\t")
        assert page.isdigit() and int(page) >= 2, paragraph.text
    first = toc[1]._p  # "1. What is known?"
    assert "PAGEREF q-known" in "".join(t.text for t in first.iter(qn("w:instrText")))
    tab = first.find(f"{qn('w:pPr')}/{qn('w:tabs')}/{qn('w:tab')}")
    assert tab.get(qn("w:val")) == "right" and tab.get(qn("w:leader")) == "dot"


def test_without_libreoffice_the_word_contents_have_titles_only(session, world, monkeypatch):
    monkeypatch.setattr(export, "libreoffice", lambda: None)
    # Asked for page numbers, the Word export without LibreOffice still comes, titles only.
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="docx", page_numbers=True
    )
    toc = [
        p.text
        for p in docx.Document(io.BytesIO(out.content)).paragraphs
        if p.style.name.startswith("TOC")
    ]
    assert "Key findings" in toc and not any("\t" in t for t in toc)


def test_the_export_panel_offers_the_current_drafts_during_an_open_round(
    demo_template, tmp_path, monkeypatch
):
    from streamlit.testing.v1 import AppTest

    copy = tmp_path / "workbench.db"
    shutil.copy(demo_template, copy)
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{copy}")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    engine = make_engine(f"sqlite:///{copy}")
    with Session(engine) as s:
        at.session_state["person_id"] = people.get_by_email(s, "amina.diallo@demo.ipsp.example").id
        current = content.content_hash(s, reports.get_report(s, "living-wages").id)[:12]
    engine.dispose()
    at.session_state["report_slug"] = "living-wages"
    at.run()
    at.switch_page("views/dashboard.py")
    at.run()
    choice = at.radio(key="dash_export_text")
    assert choice.options[0].startswith("Review copy of the SOD draft")
    choice.set_value("current").run()
    at.radio(key="dash_export_format").set_value("md").run()
    at.button(key="dash_export_go").click().run()
    assert not at.exception
    assert any(f"living-wages-{current}" in m.value for m in at.success)
    download = at.get("download_button")[0]
    assert download.proto.label == f"Download living-wages-{current}.md"
    prepared = at.session_state["dash_export_file"]
    assert prepared.text == "current"
    text = prepared.content.decode()
    assert "— work in progress*" in text and "{.line-number}" not in text


# --------------------------------------------------------------------------- every line numbered


def region(text: str, heading: str) -> str:
    """Return the Markdown from a level-1 heading to the next one."""
    start = text.index(f"\n# {heading}")
    end = text.find("\n# ", start + 1)
    return text[start : end if end > 0 else None]


def test_the_parts_are_numbered_from_1_each_as_the_round_froze_them(md_export):
    text = md_export.content.decode()
    findings = region(text, "Key findings")
    # The demo's SOD comment on F6 cites KF line 10: the line of F6's row.
    assert re.search(r"\[10\]\{\.line-number\} F6 ", findings)
    assert findings.count("[1]{.line-number} Each finding carries") == 1
    header = next(line for line in findings.splitlines() if line.split()[:2] == ["No.", "Finding"])
    assert "line-number" not in header  # a table's header row carries no number
    register = region(text, "Consensus and disagreement")
    assert re.search(r"\[5\]\{\.line-number\} CR1 ", register)
    # The false solutions count from 1 again under their own heading.
    false = register[register.index("## Register of false solutions") :]
    assert "[1]{.line-number} Proposals often put forward" in false
    recommendations = region(text, "Recommendations")
    assert "[27]{.line-number} **R4.** Adopt credible living-wage commitments" in recommendations
    assert "[29]{.line-number} *Addressed to:* Business" in recommendations
    assert "[3]{.line-number} ## Accredited" not in text  # headings keep their marks first
    assert re.search(r"\n#+ \[3\]\{\.line-number\} Accredited living-wage employers", text)


def test_the_open_comments_annex_names_the_part_of_a_comment_on_an_item(md_export):
    annex = region(md_export.content.decode(), "Annex: open review comments (SOD)")
    rows = {line.split()[0]: line for line in annex.splitlines() if line.strip()[:1].isdigit()}
    assert rows["15"].split()[1:3] == ["F6", "(KF)"] and rows["15"].split()[3] == "10"
    assert rows["17"].split()[1:3] == ["R4", "(REC)"] and rows["17"].split()[3] == "27"


def _paragraph_marker(paragraph) -> int | None:
    runs = paragraph._p.findall(qn("w:r"))
    style = runs[0].find(f"{qn('w:rPr')}/{qn('w:rStyle')}") if runs else None
    if style is None or style.get(qn("w:val")) != "LineNumber":
        return None
    return int(runs[0].find(qn("w:t")).text)


def test_word_line_numbers_stand_in_the_left_margin(docx_export):
    document = docx.Document(io.BytesIO(docx_export.content))
    numbered = [p for p in document.paragraphs if _paragraph_marker(p) is not None]
    assert len(numbered) > 300
    for paragraph in numbered:
        ind = paragraph._p.find(f"{qn('w:pPr')}/{qn('w:ind')}")
        left, hanging = int(ind.get(qn("w:left"))), int(ind.get(qn("w:hanging")))
        # The first line starts a gutter left of the text, whatever the style's own indent.
        assert hanging - left == export.GUTTER, paragraph.text
        # The number, then a tab to the text: one line number per paragraph, at its start.
        second = paragraph._p.findall(qn("w:r"))[1]
        assert second.find(qn("w:tab")) is not None, paragraph.text
        assert paragraph.text.split("\t")[0].isdigit()
        markers = [
            s for s in paragraph._p.iter(qn("w:rStyle")) if s.get(qn("w:val")) == "LineNumber"
        ]
        assert len(markers) == 1, paragraph.text
    # A bulleted list of the review copy is a numbered paragraph per item, bullet in its text.
    assert any(re.match(r"\d+\t• the size and composition", p.text) for p in numbered)
    # Lines of one paragraph of the source read as one: no space between them.
    first = next(p for p in numbered if p.text.startswith("1\tA living wage is the pay"))
    second = next(p for p in numbered if p.text.startswith("2\tIn 2024 a tripartite meeting"))
    assert first.paragraph_format.space_after == 0 and second.paragraph_format.space_before == 0


def _table_after(document, anchor: str):
    """Return the first table after the bookmark ``anchor``."""
    body = document.element.body
    seen = False
    for element in body.iter(qn("w:bookmarkStart"), qn("w:tbl")):
        if element.tag == qn("w:bookmarkStart"):
            seen = seen or element.get(qn("w:name")) == anchor
        elif seen:
            return next(t for t in document.tables if t._tbl is element)
    raise AssertionError(f"no table after {anchor}")


def test_table_rows_carry_their_number_in_a_margin_column_and_headers_none(docx_export):
    document = docx.Document(io.BytesIO(docx_export.content))
    findings = _table_after(document, "key-findings")
    indent = findings._tbl.find(f"{qn('w:tblPr')}/{qn('w:tblInd')}")
    assert int(indent.get(qn("w:w"))) == -export.GUTTER
    first_column = [row.cells[0].text for row in findings.rows]
    assert first_column[0] == "" and findings.rows[0].cells[1].text == "No."
    assert first_column[1:] == [str(n) for n in range(5, 5 + len(first_column) - 1)]
    # The part's introduction and the table's header row stay with its first row.
    intro = docx.text.paragraph.Paragraph(findings._tbl.getprevious(), None)
    assert intro.text.startswith("1\tEach finding carries")
    assert intro.paragraph_format.keep_with_next
    assert findings.rows[0].cells[1].paragraphs[0].paragraph_format.keep_with_next
    f6 = next(row for row in findings.rows if row.cells[1].text == "F6")
    assert f6.cells[0].text == "10"
    assert f6.cells[2].text.startswith("Living-wage estimates for the same place")


def test_a_consensus_cell_has_one_actor_position_per_line(docx_export, demo, living_wages):
    from workbench import consensus

    document = docx.Document(io.BytesIO(docx_export.content))
    register = _table_after(document, "consensus")
    cr1 = next(row for row in register.rows if row.cells[1].text == "CR1")
    positions = cr1.cells[-1].paragraphs[0]
    actors, items, cells = consensus.positions_matrix(demo, report_id=living_wages.id)
    stated = [a for a in actors if (items[0].id, a.id) in cells]
    assert len(positions._p.findall(f"{qn('w:r')}/{qn('w:br')}")) == len(stated) - 1
    lines = positions.text.split("\n")
    assert lines[0] == "Global Employers’ Forum: support"
    assert len(lines) == len(stated) and "; " not in positions.text


def test_each_recommendation_keeps_with_its_context_table(docx_export):
    document = docx.Document(io.BytesIO(docx_export.content))
    r4 = next(p for p in document.paragraphs if p.text.startswith("27\tR4. Adopt credible"))
    addressed = next(p for p in document.paragraphs if p.text.startswith("29\tAddressed to:"))
    assert r4.paragraph_format.keep_with_next and addressed.paragraph_format.keep_with_next
    table = next(t for t in document.tables if t._tbl is addressed._p.getnext())
    header, row = table.rows
    assert header.cells[1].text == "Context conditions" and header.cells[0].text == ""
    assert all(p.paragraph_format.keep_with_next for c in header.cells for p in c.paragraphs)
    # The page may break after the table, before the next recommendation.
    assert not any(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs)
    assert row.cells[0].text == "33"
    for tr in (header._tr, row._tr):
        assert tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None


def test_the_cover_explains_the_line_numbers_and_the_part_codes(docx_export, md_export):
    document = docx.Document(io.BytesIO(docx_export.content))
    contents = next(i for i, p in enumerate(document.paragraphs) if p.text == "Contents")
    cover = " ".join(p.text for p in document.paragraphs[:contents])
    markdown = md_export.content.decode()
    assert "carries a number in the left margin" in cover
    assert "carries a number at its start" in markdown
    for text in (cover, markdown):
        assert "Lines are numbered from 1 in each section and in each part" in text
        assert "“2.1, lines 12–14”, “KF, line 7”" in text
        assert "KF key findings, CR consensus and disagreement, FS register of false" in text
        assert "a recommendation (R3)" in text


def test_a_round_that_froze_no_parts_prints_them_unnumbered_with_a_note(session, world):
    from workbench.models import FrozenPart

    review_round = open_fod(session, world)
    for frozen in session.exec(
        select(FrozenPart).where(FrozenPart.round_id == review_round.id)
    ).all():
        session.delete(frozen)
    session.commit()
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="md"
    )
    text = out.content.decode()
    note = "This part was not frozen when the FOD round opened"
    assert region(text, "Key findings").count(note) == 1
    assert "{.line-number}" not in region(text, "Recommendations")
    assert "were not frozen when the FOD round opened" in text  # the cover says so
    current = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="md", text="current"
    ).content.decode()
    assert note not in current and "Line numbers." not in current


def test_in_word_each_numbered_line_is_a_paragraph_of_its_own():
    text = "\n".join(
        [
            "First sentence.",
            "Second sentence.",
            "",
            "- a point",
            "  - a nested point",
            "1. an ordered one",
            "",
            "| Region | Share |",
            "|---|---|",
            "| Asia | 61 |",
            "",
            "```",
            "code stays",
            "```",
        ]
    )
    word = export.prepare_text(text, numbered=True, docx=True)
    marker = '{custom-style="Line Number"}'
    assert f"[1]{marker} First sentence.\n\n[2]{marker} Second sentence." in word
    assert f"[4]{marker} • a point" in word and f"[5]{marker} ◦ a nested point" in word
    assert f"[6]{marker} 1. an ordered one" in word
    # The table's rows stay together; its header row carries no number.
    assert f"| Region | Share |\n|---|---|\n| [10]{marker} Asia | 61 |" in word
    assert "```\ncode stays\n```" in word
    blocks = json.loads(pypandoc.convert_text(word, "json", format=export.READER))["blocks"]
    assert [b["t"] for b in blocks] == ["Para"] * 5 + ["Table", "CodeBlock"]
    # Markdown keeps its lists and its lines in one paragraph.
    plain = export.prepare_text(text, numbered=True, docx=False)
    assert "[1]{.line-number} First sentence.\n[2]{.line-number} Second sentence." in plain
    assert "- [4]{.line-number} a point" in plain
