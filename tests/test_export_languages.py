"""The export in another language: the document's own words from the glossary, CSL locales, RTL.

A reader of the French export reads French wherever the workbench wrote the words
itself: the cover, the notes, the headings, the table heads, the calibrated terms.
What the authors wrote stays as written, so the strictest test first replaces every
authored text of a copy of the demo by French text (and translates every section),
then looks for any English term of the document left in pandoc's plain text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pypandoc
import pytest
from docx import Document as open_docx
from sqlmodel import Session, select

from workbench import export, glossary, people, reports, translations
from workbench.db import make_engine
from workbench.errors import ValidationError
from workbench.models import (
    Actor,
    ConsensusItem,
    Finding,
    Initiative,
    Recommendation,
    Section,
    Theme,
    TranslationStatus,
)

SECRETARIAT = "secretariat@demo.ipsp.example"
REQUIRE_OFFICE = os.environ.get("WORKBENCH_REQUIRE_OFFICE") == "1"
needs_office = pytest.mark.skipif(
    not REQUIRE_OFFICE and export.libreoffice() is None,
    reason="LibreOffice is not installed (WORKBENCH_REQUIRE_OFFICE=1 makes this a failure)",
)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Each language's "and" between two authors, as its CSL locale writes it.
AND = {"fr": " et ", "es": " y ", "ar": " و ", "zh": " 和 "}


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


def plain(content: bytes, tmp_path: Path, suffix: str = "docx") -> str:
    path = tmp_path / f"report.{suffix}"
    path.write_bytes(content)
    return pypandoc.convert_file(str(path), "plain", extra_args=["--wrap=none"])


def fragments(term: str) -> list[str]:
    """Return the fixed words of a term, without its {placeholders} ("Review copy of the")."""
    return [
        piece.strip(" ,.:;·—()")
        for piece in re.split(r"\{\w+\}", term)
        if len(piece.strip(" ,.:;·—()")) >= 2 and re.search(r"[A-Za-z]", piece)
    ]


def english_terms_left(text: str, language: str) -> list[str]:
    """Return the English terms of the document found in ``text`` (whole phrases, any case kept).

    A term that the language writes the same way ("Section", "Date", "Total") is allowed.
    """
    local = " ".join(e.term for e in glossary.shipped_entries() if e.language == language)
    left = []
    for concept, term in export.ENGLISH.items():
        for piece in fragments(term):
            pattern = re.compile(rf"(?<!\w){re.escape(piece)}(?!\w)")
            if pattern.search(local):
                continue  # the same word in both languages
            if pattern.search(text):
                left.append(f"{concept}: {piece!r}")
    return left


@pytest.fixture
def written_in_french(demo_template, tmp_path):
    """Return a copy of the demo whose every authored text is French and every section translated.

    The sections' titles, the findings, registers, recommendations, initiatives, actors'
    names and the theme hold French text; each section has a finished translation (in
    every language of the report) citing a source with two authors.
    """
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine, expire_on_commit=False) as s:
        report = reports.get_report(s, "living-wages")
        report.title = "Des salaires décents pour tous"
        theme = s.get(Theme, report.theme_id)
        theme.name = "Salaires décents"
        for n, section in enumerate(s.exec(select(Section)).all()):
            section.title = f"Titre de la section numéro {n}"
        for n, f in enumerate(s.exec(select(Finding)).all()):
            f.statement = f"Énoncé du constat numéro {n}."
            f.traceable_account = "Justification rédigée par les auteurs."
        for n, actor in enumerate(s.exec(select(Actor)).all()):
            actor.name = f"Acteur numéro {n}"
        for item in s.exec(select(ConsensusItem)).all():
            item.statement = "Énoncé rédigé par les auteurs."
            item.why_false = "Raison rédigée par les auteurs."
            item.note = ""
        for rec in s.exec(select(Recommendation)).all():
            rec.text = "Recommandation rédigée par les auteurs."
            rec.context_conditions = "Conditions rédigées par les auteurs."
            rec.normative_assumptions = "Hypothèses rédigées par les auteurs."
        for n, item in enumerate(s.exec(select(Initiative)).all()):
            item.name = f"Initiative numéro {n}"
            item.location = "Ville"
            item.region = "Région"
            for name in ("who", "what", "outcomes", "evidence", "replicability", "review_note"):
                setattr(item, name, "Texte rédigé par les auteurs.")
        s.commit()
        cla = next(m.person for m in _members(s, report) if m.person.email.startswith("amina"))
        for language in ("fr", "es", "ar", "zh"):
            for section in s.exec(select(Section).where(Section.report_id == report.id)).all():
                translations.set_translation(
                    session=s,
                    actor=cla,
                    section=section,
                    language=language,
                    status=TranslationStatus.translated,
                    text="Texte traduit de la section [@lindqvist2022monopsony].",
                )
        yield s, report, people.get_by_email(s, SECRETARIAT)
    engine.dispose()


def _members(session, report):
    from workbench import teams

    return teams.members(session, report.id)


# --------------------------------------------------------------------------- the words


def test_the_shipped_glossary_has_every_document_word_in_the_demo_languages(demo, living_wages):
    english = {e.concept: e.term for e in glossary.shipped_entries() if e.language == "en"}
    for concept, term in export.ENGLISH.items():
        if concept.startswith("doc."):
            assert english[concept] == term, concept  # the glossary's English is the export's
    assert export.document_languages(demo, living_wages) == ["en", "fr", "es", "ar", "zh"]
    french = export.document_words(demo, "fr")
    assert french("doc.review_copy", round="SOD") == "Version d'examen du projet SOD"
    assert french.label("doc.label.stage") == "Étape\u00a0:"  # French: a no-break space
    assert french["confidence.high"] == "confiance élevée"


def test_the_english_document_words_are_the_workbench_own(demo):
    words = export.document_words(demo, "en")
    assert words["doc.draft_stamp"] == export.DRAFT_STAMP
    assert words("doc.current_drafts", date="1 December 2026") == "Current drafts, 1 December 2026"


@pytest.mark.parametrize(
    ("language", "fmt"),
    [("fr", "docx"), ("es", "docx"), ("ar", "docx"), ("zh", "docx"), ("fr", "md")],
)
def test_no_english_word_of_the_workbench_is_left(written_in_french, tmp_path, language, fmt):
    """Every authored text is French: any English word left is one the export wrote."""
    session, report, secretariat = written_in_french
    out = export.export_report(
        session=session,
        actor=secretariat,
        report=report,
        fmt=fmt,
        language=language,
        text="current",
    )
    text = plain(out.content, tmp_path, fmt)
    words = export.document_words(session, language)
    # The references list the sources as their authors titled them: looked at apart.
    references = words["doc.references"]
    before, __, after = text.rpartition(f"\n{references}\n")
    listed, __, annexes = after.partition(f"\n{words['doc.part.initiatives']}\n")
    assert listed and annexes
    body = (before + annexes).replace("’", "'")  # pandoc typesets apostrophes
    assert english_terms_left(body, language) == []
    for concept in (
        *(["doc.synthesis_report"] if fmt == "docx" else []),
        "doc.author_team",
        "doc.contents",
        "doc.part.key_findings",
        "doc.part.consensus",
        "doc.part.false_solutions",
        "doc.part.recommendations",
        "doc.review_summary_title",
        "doc.table.traceable_account",
        "question.known",
        "question.action",
    ):
        assert words[concept] in body, concept
    assert any(words[f"confidence.{level}"] in body for level in ("high", "medium", "low"))
    assert words("doc.current_drafts_wip", date=words.date(date.today())) in body
    # The citation and the bibliography in the language's CSL locale ("Lindqvist et Barros").
    assert f"Lindqvist{AND[language]}Barros" in body
    assert AND[language] in listed
    if fmt == "md":
        return  # no footer
    marking = open_docx(_saved(out.content, tmp_path)).sections[0].footer.paragraphs[0].text
    assert words["doc.draft_marking"] in marking
    assert words["doc.footer_total_pages"].split("{")[0].strip() in marking


def _saved(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "saved.docx"
    path.write_bytes(content)
    return str(path)


def test_the_french_review_copy_of_the_demo_reads_as_french(
    demo, living_wages, secretariat, tmp_path
):
    out = export.export_report(
        session=demo, actor=secretariat, report=living_wages, fmt="docx", language="fr"
    )
    assert out.filename.endswith("-fr.docx")
    text = plain(out.content, tmp_path)
    nbsp = "\u00a0"
    for said in (
        "PROJET — NE PAS CITER, REPRODUIRE NI DIFFUSER",
        "Rapport de synthèse",
        "Version d’examen du projet SOD",
        f"Étape{nbsp}: Deuxième projet · SOD en cours d’examen",
        f"Langue{nbsp}: Français",
        "2 des 14 sections sont traduites dans cette langue",
        "L’équipe d’auteurs",
        f"Auteurs coordonnateurs principaux{nbsp}:",
        "Numéros de ligne.",
        "Table des matières",
        "1. Que sait-on ?".replace(" ?", f"{nbsp}?"),
        "Cette section n’est pas encore traduite",
        "Constats principaux",
        "Justification traçable",
        "confiance élevée",
        "éléments robustes, degré de cohérence moyen",
        "Registre des fausses solutions",
        "Fausse solution",
        f"Destinataires{nbsp}:",
        "Références",
        f"Annexe{nbsp}: synthèse de l’examen",
        "Pris en compte",
    ):
        assert said in text, said
    for english in (
        "Draft — do not cite",
        "Review copy of the",
        "The author team",
        "Coordinating Lead Authors",
        "Line numbers.",
        "Contents",
        "What is known?",
        "Key findings",
        "Traceable account",
        "Register of false solutions",
        "Addressed to",
        "References",
        "Annex: review summary",
        "Taken into account",
        "This section is not yet translated",
    ):
        assert english not in text, english
    # A section translated into French is printed in French, without the English notice.
    assert "n’est pas encore traduite" in text


def test_a_translation_in_progress_is_not_printed(written_in_french, tmp_path):
    session, report, secretariat = written_in_french
    section = session.exec(select(Section).where(Section.report_id == report.id)).first()
    translations.set_translation(
        session=session,
        actor=secretariat,
        section=section,
        language="es",
        status=TranslationStatus.in_progress,
        text="Un borrador a medio hacer.",
    )
    out = export.export_report(
        session=session, actor=secretariat, report=report, fmt="md", language="es", text="current"
    )
    text = out.content.decode()
    assert "Un borrador a medio hacer." not in text
    assert "Esta sección aún no está traducida" in text
    assert "13 de las 14 secciones están traducidas a este idioma" in text


# --------------------------------------------------------------------------- Arabic


def test_the_arabic_export_is_laid_out_right_to_left(demo, living_wages, secretariat, tmp_path):
    out = export.export_report(
        session=demo, actor=secretariat, report=living_wages, fmt="docx", language="ar"
    )
    document = open_docx(_saved(out.content, tmp_path))
    body = document.element.body
    arabic = [
        p
        for p in body.iter(f"{W}p")
        if re.search("[\u0600-\u06ff]", "".join(t.text or "" for t in p.iter(f"{W}t")))
        and p.getparent().tag == f"{W}body"
    ]
    assert len(arabic) > 20
    right_to_left = [p for p in arabic if p.find(f"{W}pPr/{W}bidi") is not None]
    # Every paragraph that starts in Arabic runs right to left (the cover, the contents…).
    starting_arabic = [
        p
        for p in arabic
        if re.match(r"\W*[\u0600-\u06ff]", "".join(t.text or "" for t in p.iter(f"{W}t")))
    ]
    assert set(starting_arabic) <= set(right_to_left)
    # The tables with Arabic heads read from the right.
    assert body.findall(f".//{W}tbl/{W}tblPr/{W}bidiVisual")
    # An English section still untranslated reads left to right.
    english = [
        p
        for p in body.iter(f"{W}p")
        if "Draft for the second-order" in "".join(t.text or "" for t in p.iter(f"{W}t"))
    ]
    assert english and english[0].find(f"{W}pPr/{W}bidi") is None
    # The footer and the header too.
    footer = document.sections[0].footer.paragraphs[0]._p
    assert footer.find(f"{W}pPr/{W}bidi") is not None
    text = plain(out.content, tmp_path)
    assert "المراجع" in text and "فريق المؤلفين" in text and "ثقة عالية" in text
    # The citations and the references in the Arabic CSL locale.
    assert "Lindqvist و Barros" in text


@needs_office
def test_the_arabic_pdf_has_its_contents_numbered_and_reads_right_to_left(
    demo, living_wages, secretariat, tmp_path
):
    out = export.export_report(
        session=demo, actor=secretariat, report=living_wages, fmt="pdf", language="ar"
    )
    # Every heading was found in LibreOffice's right-to-left print: the contents have pages.
    assert not [w for w in out.warnings if "contents give no page" in w]
    path = tmp_path / "report.pdf"
    path.write_bytes(out.content)
    first = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-f", "1", "-l", "2", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "تقرير تجميعي" in first and "المحتويات" in first
    assert "Contents" not in first and "Synthesis Report" not in first


def test_the_arabic_markdown_says_its_direction(demo, living_wages, secretariat):
    out = export.export_report(
        session=demo, actor=secretariat, report=living_wages, fmt="md", language="ar"
    )
    text = out.content.decode()
    assert "lang: ar\n" in text and "dir: rtl" in text
    assert '::: {dir="ltr"}' in text or 'dir="ltr"' in text  # the English sections


# --------------------------------------------------------------------------- CSL locales


@pytest.mark.parametrize(
    ("language", "et_al", "no_date"),
    [
        ("fr", "et al.", "s. d."),
        ("es", "et al.", "s. f."),
        ("ar", "وآخرون", "د.ت"),
        ("zh", "等", "不详"),
    ],
)
def test_the_citation_style_speaks_each_language(tmp_path, language, et_al, no_date):
    records = [
        {
            "id": "many",
            "type": "book",
            "title": "A book",
            "author": [{"family": name, "given": "A"} for name in ("Ba", "Co", "Di", "Ek")],
        }
    ]
    bibliography = tmp_path / "refs.json"
    bibliography.write_text(json.dumps(records), encoding="utf-8")
    locale = export.Words(language, {}).csl_locale
    text = pypandoc.convert_text(
        f"---\nlang: {locale}\n---\n\nA claim [@many].\n",
        "plain",
        format="markdown",
        extra_args=[
            "--citeproc",
            f"--bibliography={bibliography}",
            f"--csl={export.CITATION_STYLE}",
        ],
    )
    text = text.replace("\u00a0", " ")
    assert et_al in text and no_date in text


# --------------------------------------------------------------------------- refusals


def test_a_language_without_the_document_words_is_refused(demo, living_wages, secretariat):
    living_wages.languages = [*living_wages.languages, "hi"]
    try:
        with pytest.raises(ValidationError, match=r"glossary has no Hindi \(hi\) terms") as raised:
            export.export_report(
                session=demo, actor=secretariat, report=living_wages, fmt="md", language="hi"
            )
        assert "doc.draft_stamp" in raised.value.message
        assert "hi" not in export.document_languages(demo, living_wages)
    finally:
        living_wages.languages = [c for c in living_wages.languages if c != "hi"]
    with pytest.raises(ValidationError, match="not one of the report's languages"):
        export.export_report(
            session=demo, actor=secretariat, report=living_wages, fmt="md", language="de"
        )


def test_the_command_line_exports_in_french(demo_template, tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app

    copy = tmp_path / "demo.db"
    shutil.copy(demo_template, copy)
    env = {"WORKBENCH_DATABASE_URL": f"sqlite:///{copy}"}
    target = tmp_path / "rapport.md"
    result = CliRunner().invoke(
        app,
        [
            "export",
            "--report",
            "living-wages",
            "--language",
            "fr",
            "--format",
            "md",
            "-o",
            str(target),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "Version d’examen du projet SOD" in text
    assert "# Références" in text
    assert "References" not in text
    refused = CliRunner().invoke(
        app, ["export", "--report", "living-wages", "--language", "hi"], env=env
    )
    assert refused.exit_code != 0
    assert "not one of the report's languages" in refused.output
