"""Export a whole report as pandoc Markdown, a Word document or a PDF, and read it on screen.

One document per report. Its parts, in order: a cover (title, theme, stage, date,
version id, the author team by role, and "Draft — not for citation" until the
Council has approved this very text); a table of contents; the sections in
reading order (front matter, the four synthesis questions, cross-cutting); the
key findings with their calibrated confidence; the consensus & disagreement
table with the actors' positions; the false-solutions register; the
recommendations, each with its addressees, scale, horizon, context conditions and
normative assumptions; the references; then annexes: the initiatives, the open
review comments (Markdown; in Word they are real comments) and the review summary.

Decisions:

- **Which text.** While a review round is open the document is the draft under
  review: every section as that round froze it, so that the line numbers in the
  document are the lines reviewers cite. Sections added after the round opened
  carry their current text and a note. Otherwise each section's current text.
  ``text="current"`` (``workbench export --text current``) prints the current
  drafts even while a round is open, without line numbers or comments, for CLAs
  to circulate work in progress. The cover says which: "Review copy of the SOD
  draft" or "Current drafts, 30 November 2026 — work in progress"; the version id
  of the current drafts is the hash of the current content.
- **Version id.** The first 12 hex digits of the SHA-256 of the report's content
  as exported (:func:`workbench.content.content_hash`: sections, findings,
  consensus, recommendations, initiatives, cited references), the same hash a
  Council decision records, so the id on the cover is the id in the Council's
  records. Under an open round the frozen texts and parts are hashed, since they
  are what is printed: edits made during the round do not change the review
  copy's id.
- **Parts.** Besides the sections the document prints the report's parts
  (:mod:`workbench.parts`): key findings (``KF``), the consensus register
  (``CR``) and the register of false solutions (``FS``), the recommendations
  (``REC``) and, after the references, the initiatives (``IN``). Under an open
  round they are the parts the round froze, numbered as the sections are; a round
  opened before parts were frozen gets the current parts, unnumbered, with a note
  that they are not part of its review. Otherwise the current parts, unnumbered.
- **Line numbers** (draft under review only) mark each line of the frozen text
  of every section and part, counted from 1 in each (blank lines count but carry
  no number; nor do table rules and a table's header row). In Markdown a span
  ``[12]{.line-number}`` opens the line. In Word the number is a run in the
  character style "Line Number" standing in the left margin: each line is a
  paragraph of its own (list items become paragraphs with a literal bullet)
  with a hanging indent that puts the number in a gutter left of the text, then
  a tab; a table's numbers are in a narrow first column set into the margin.
  Lines are the sentences as the authors keep them, one per line; the review
  comment table cites them, by the section's or the part's code. The cover
  explains the scheme.
- **Anchors.** Each section heading has the identifier ``sec-<id>`` (a bookmark in
  Word), each part's heading its anchor (``key-findings``, ``consensus``,
  ``false-solutions``, ``recommendations``, ``initiatives``), which is how
  comments made in Word find their section or part on the way back
  (:mod:`workbench.docx_import`); a level-1 heading ends a section or a part.
- **Headings** inside a section's text move down two levels (a section is a
  level-2 heading under its question). Raw HTML and TeX in authors' text are not
  passed through, and ``$`` before a figure is an amount, not mathematics.
- **Citations** are rendered by pandoc's citeproc from the report's CSL-JSON as
  :func:`workbench.citation_forms.for_citeproc` prepares it (Chinese, Japanese and
  Korean names as written, a source's short label in the text: "(EU 2024)"), in
  the style ``templates/citation-forms.csl`` (pandoc's Chicago author-date with
  the short label). Keys without a source are reported.
- **Language.** With ``language=CODE`` a section's translation in that language is
  used where one exists (a stale one is marked); elsewhere the original, marked.
- **Word finish.** pandoc writes the body with ``templates/reference.docx``'s
  styles (made by ``scripts/make_reference_docx.py``); python-docx then adds the
  cover, a table of contents whose entries are filled in (Word refreshes its page
  numbers when the document is opened), headers and footers with the stage and
  version id and page numbers, and the review comments. Tables: rows that do not
  split, a repeating header row, numbers right-aligned, "Table 1.2.1 |" captions
  above the table (in the review copy too); each recommendation is kept on the
  page of its context table; each actor's position in the consensus register is
  a line of its own in its cell (:data:`workbench.parts.POSITION_BREAK`, "; " in
  Markdown and on screen).
- **Contents with page numbers.** Each entry of the contents ends with a dotted
  tab and a ``PAGEREF`` field to its heading's bookmark, whose shown result is the
  page. LibreOffice prints the document once with a placeholder in each field
  (three FIGURE SPACEs, as wide as three digits, so the layout is the numbered
  one's); pdftotext reads the print and each heading's page (the first line after
  the contents that begins with its title) is written into the fields, which Word
  can update. A PDF is that same print with the numbers stamped onto its contents
  pages (:mod:`workbench.pdfstamp`); if the placeholders are not found, the
  numbered document is printed again, with a warning. Without LibreOffice or
  pdftotext the Word contents list the titles only and Word fills in the pages
  when it updates the fields on opening.
- **Calibrated language** as the IPCC prints it: the confidence in italics in
  parentheses, "(*high confidence*)", a likelihood term in italics in the sentence,
  the traceable account opening with "*robust evidence, medium agreement*", and
  after each finding a traceability reference in braces, "{1.2, 3.1}": the
  finding's own section, then the other sections of the printed text (front
  matter aside) that cite a source the finding rests on.
- **PDF** is the Word document printed by LibreOffice (``soffice --headless
  --convert-to pdf``, with a profile of its own per run and a time limit), so it
  has the same pages, contents and version id. LibreOffice's start-up is most of
  a print, so an export that prints (a PDF, or Word with ``page_numbers``) starts
  one before running pandoc (:class:`workbench.office.EarlyOffice`, its own
  profile) and hands it the print; if it died or is not ready within a few
  seconds, and for the rare second print, a LibreOffice of its own prints as
  before. Its processes are killed and its profile removed when the export
  ends, however it ends. Without LibreOffice a PDF is refused with a message
  saying so; Word and Markdown still work.
- **The reading copy** (:func:`reading_copy`) is the same document for the screen:
  the body rendered once by pandoc (citeproc, then GitHub Markdown without raw
  HTML) and cut at the headings of the contents, each part keeping its anchor,
  cached by the SHA-256 of the body and its references. The cover's facts and
  version id come with it. Line numbers and the open review comments, the
  reviewers' apparatus, are left out.
"""

from __future__ import annotations

import bisect
import io
import json
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pypandoc
from babel import Locale
from babel import dates as babel_dates
from docx import Document as open_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree
from sqlmodel import Session, col, select

from workbench import (
    citation_forms,
    content,
    content_version,
    council,
    pdfstamp,
    rendering,
    reviews,
    sections,
    sources,
    teams,
    translations,
)
from workbench import parts as report_parts
from workbench.citation_forms import qn  # remembered: finishing asks it a million times
from workbench.errors import ValidationError
from workbench.i18n import N_
from workbench.models import (
    QUESTION_LABELS,
    SYNTHESIS_QUESTIONS,
    ActorType,
    Agreement,
    Classification,
    CommentKind,
    Confidence,
    Disposition,
    Evidence,
    Horizon,
    InitiativeStatus,
    Likelihood,
    Person,
    Question,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Scale,
    Section,
    Stage,
    Stance,
    Theme,
    Translation,
    TranslationStatus,
)
from workbench.office import EarlyOffice, convert_command, run_soffice
from workbench.parts import pipe_table
from workbench.permissions import Action, require
from workbench.words import blank

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
REFERENCE_DOCX = TEMPLATES / "reference.docx"
CITATION_STYLE = citation_forms.STYLE_FILE
FORMATS = ("md", "docx", "pdf")
TEXTS = ("review", "current")  # the frozen review copy (default) or the current drafts
MIME_TYPES = {
    "md": "text/markdown",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
PDF_TIMEOUT = 300.0  # seconds; LibreOffice prints the demo report (36 pages) in a few
NO_OFFICE = N_(
    "A PDF needs LibreOffice, which is not installed on this server (on Debian: apt-get "
    "install libreoffice-writer-nogui). The Word document has the same content and version."
)
VERSION_CHARS = 12
DRAFT_STAMP = "Draft — do not cite, quote or distribute"
DRAFT_MARKING = "Do Not Cite, Quote or Distribute"  # IPCC's words, on every page of a draft
LINE_STYLE_ID = "LineNumber"
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")  # Hebrew, Arabic…
# The order w:pPr's children must keep (the schema's sequence), as far as these steps touch it.
_PPR_ORDER = [
    qn(f"w:{name}")
    for name in (
        "pStyle",
        "keepNext",
        "keepLines",
        "pageBreakBefore",
        "framePr",
        "widowControl",
        "numPr",
        "suppressLineNumbers",
        "pBdr",
        "shd",
        "tabs",
        "suppressAutoHyphens",
        "kinsoku",
        "wordWrap",
        "overflowPunct",
        "topLinePunct",
        "autoSpaceDE",
        "autoSpaceDN",
        "bidi",
        "adjustRightInd",
        "snapToGrid",
        "spacing",
        "ind",
        "contextualSpacing",
        "mirrorIndents",
        "suppressOverlap",
        "jc",
        "textDirection",
        "textAlignment",
        "textboxTightWrap",
        "outlineLvl",
        "divId",
        "cnfStyle",
        "rPr",
        "sectPr",
        "pPrChange",
    )
]
# What follows w:bidi in a paragraph's properties (the schema's order, :data:`_PPR_ORDER`).
BIDI_FOLLOWERS = frozenset(_PPR_ORDER[_PPR_ORDER.index(qn("w:bidi")) + 1 :])
STRONG = re.compile(r"[^\W\d_]")  # a letter: what decides a paragraph's direction
NUMBER = re.compile(r"[-−+]?[\d.,\u00a0\u202f ]*\d[\d.,\u00a0\u202f ]*(%|‰)?")
CAPTION = re.compile(r"Table\s+(\d+(?:\.\d+)*)\.?\s")
STAMP_RED = RGBColor(0xC0, 0x00, 0x00)
HEADER_TITLE_CHARS = 60  # keeps the running header (title and chapter) on one line
LINE_STYLE = "Line Number"
# The Markdown authors write: pandoc's, without raw HTML or TeX and without $…$ maths.
READER = "markdown-raw_html-raw_tex-raw_attribute-tex_math_dollars"
WRITER_MD = "markdown-raw_html-raw_tex-raw_attribute-tex_math_dollars-smart"
TEAM_ROLES = (Role.cla, Role.lead_author, Role.contributing_author, Role.review_editor)
TEAM_TITLES = {
    Role.cla: "Coordinating Lead Authors",
    Role.lead_author: "Lead Authors",
    Role.contributing_author: "Contributing Authors",
    Role.review_editor: "Review Editors",
}
Progress = Callable[[float, str], None]


# --------------------------------------------------------------------------- the document's words

# Every word the document writes itself, by glossary concept (``data/glossary/document.csv``
# holds them in each language, kind ``document``; the calibrated terms and the questions are
# the glossary's own). These are the English ones, which the English document prints.
ENGLISH_WORDS: dict[str, str] = {
    # The cover, the footer and the document's properties.
    "doc.synthesis_report": "Synthesis Report",
    "doc.draft_stamp": DRAFT_STAMP,
    "doc.draft_marking": DRAFT_MARKING,
    "doc.approved": "Approved by the Coordination Council",
    "doc.approved_note": "Approved by the Coordination Council for this version of the text.",
    "doc.draft_note": (
        "This is a draft of the Panel. It is circulated for review and for the Coordination "
        "Council's decision, and may change. Do not cite or quote it."
    ),
    "doc.theme_line": "Theme: {theme}",
    "doc.review_copy": "Review copy of the {round} draft",
    "doc.current_drafts": "Current drafts, {date}",
    "doc.current_drafts_wip": "Current drafts, {date} — work in progress",
    "doc.stage_under_review": "{stage} · {round} under review",
    "doc.label.theme": "Theme",
    "doc.label.stage": "Stage",
    "doc.label.date": "Date",
    "doc.label.version": "Version",
    "doc.label.language": "Language",
    "doc.author_team": "The author team",
    "doc.team.cla": "Coordinating Lead Authors",
    "doc.team.lead_author": "Lead Authors",
    "doc.team.contributing_author": "Contributing Authors",
    "doc.team.review_editor": "Review Editors",
    "doc.contents": "Contents",
    "doc.comments_in_margin": (
        "The {round} round's open comments stand in the margin, each with its number and date."
    ),
    "doc.line_numbers_note": (
        "Line numbers. Each line of this {round} draft that a reviewer can comment on carries "
        "a number {where}. Lines are numbered from 1 in each section and in each "
        "part of the report; blank lines count but carry no number, nor does a table's "
        "header row. Cite the section's code, or the part's, with the line numbers (as the "
        "comment table's Section, From line and To line): “2.1, lines 12–14”, “KF, line 7”."
    ),
    "doc.line_numbers_where_margin": "in the left margin",
    "doc.line_numbers_where_start": "at its start",
    "doc.part_codes_note": (
        "The parts: KF key findings, CR consensus and disagreement, FS register of false "
        "solutions, REC recommendations, IN annex of initiatives. An item can be named by "
        "its own code, its lines counted in its part: a finding (F3), a row of the "
        "consensus register (CR2) or of the false solutions (FS1), a recommendation (R3), "
        "an initiative (IN1)."
    ),
    "doc.parts_not_frozen_note": (
        "The key findings, registers, recommendations and initiatives were not frozen "
        "when the {round} round opened: they are printed as they stand now, without line "
        "numbers, and are not part of this review."
    ),
    "doc.translated_sections_note": (
        "{translated} of the {total} sections are translated into this language; the "
        "others are printed in English, each under a note."
    ),
    "doc.footer_page": "Page {page}",
    "doc.footer_total_pages": "Total pages: {pages}",
    "doc.footer_version": "{stage} · version {version}",
    # The body.
    "doc.no_sections": (
        "This report has no sections yet: the CLAs create the outline on the Outline page."
    ),
    "doc.added_after_round": (
        "This section was added after the {round} round opened; it is not part of that "
        "review and carries no line numbers."
    ),
    "doc.not_translated": "This section is not yet translated: the English text follows.",
    "doc.stale_translation": (
        "This translation was made from an earlier revision of the section; it will be "
        "brought up to date."
    ),
    "doc.no_text": "No text yet.",
    "doc.part_not_frozen": (
        "This part was not frozen when the {round} round opened: it is printed as it "
        "stands now, is not part of that review and carries no line numbers."
    ),
    "doc.question.front": "Front matter",
    "doc.question.cross_cutting": "Cross-cutting",
    "doc.references": "References",
    # The annexes of the review.
    "doc.open_comments_title": "Annex: open review comments ({round})",
    "doc.open_comments_intro": (
        "Comments of the {round} round still awaiting a response. Lines are those "
        "of each section's or part's text in this draft; a comment on an item (F3, CR2, "
        "R3…) counts its lines in its part, named in brackets."
    ),
    "doc.table.number": "No.",
    "doc.table.section": "Section",
    "doc.table.lines": "Lines",
    "doc.table.reviewer": "Reviewer",
    "doc.table.kind": "Kind",
    "doc.table.comment": "Comment",
    "doc.table.suggested_change": "Suggested change",
    "doc.comment_kind.general": "General",
    "doc.comment_kind.substantive": "Substantive",
    "doc.comment_kind.editorial": "Editorial",
    "doc.review_summary_title": "Annex: review summary",
    "doc.review_summary_intro": (
        "How the review comments were answered, per section or part and round: accepted, "
        "taken into account, noted or rejected, and still open."
    ),
    "doc.round_open": "{round} (open)",
    "doc.round_closed": "{round} (closed)",
    "doc.no_comments_in_round": "No comments in this round.",
    "doc.table.section_or_part": "Section or part",
    "doc.table.open": "Open",
    "doc.table.total": "Total",
    "doc.table.all_sections": "All sections and parts",
    # The parts (workbench.parts writes them in English; the export says them in the language).
    "doc.part.key_findings": "Key findings",
    "doc.part.consensus": "Consensus and disagreement",
    "doc.part.false_solutions": "Register of false solutions",
    "doc.part.recommendations": "Recommendations",
    "doc.part.initiatives": "Annex: initiatives",
    "doc.part.key_findings_intro": (
        "Each finding carries the Panel's calibrated confidence, from the evidence behind it "
        "and the agreement among studies and experts; likelihood terms are in italics. The "
        "reference in braces after a finding names the section it comes from and the "
        "sections citing the sources it rests on."
    ),
    "doc.part.consensus_intro": (
        "Where the evidence and the actors agree, where they are divided, and on what "
        "grounds. Positions are those the actors have stated publicly."
    ),
    "doc.part.false_solutions_intro": (
        "Proposals often put forward that the evidence shows will not deliver what they "
        "promise, and why."
    ),
    "doc.part.recommendations_intro": (
        "Each recommendation names who should act, at what scale and on what horizon; beside "
        "it stand the conditions under which it holds and the value judgements it rests on."
    ),
    "doc.part.initiatives_intro": (
        "Initiatives already under way that show what can be done, with the Panel's review "
        "of their evidence."
    ),
    "doc.part.key_findings_empty": "No findings have been recorded yet.",
    "doc.part.consensus_empty": "No consensus items have been recorded yet.",
    "doc.part.false_solutions_empty": "No proposal has been classified as a false solution.",
    "doc.part.recommendations_empty": "No recommendations have been recorded yet.",
    "doc.part.initiatives_empty": "No initiatives have been documented yet.",
    "doc.table.finding": "Finding",
    "doc.table.traceable_account": "Traceable account",
    "doc.table.statement": "Statement",
    "doc.table.classification": "Classification",
    "doc.table.positions": "Positions",
    "doc.table.proposal": "Proposal",
    "doc.table.why_false": "Why it is a false solution",
    "doc.table.context_conditions": "Context conditions",
    "doc.table.normative_assumptions": "Normative assumptions",
    "doc.rec.addressed_to": "Addressed to",
    "doc.rec.scale": "Scale",
    "doc.rec.horizon": "Horizon",
    "doc.rec.rests_on": "Rests on findings",
    "doc.initiative.where": "Where",
    "doc.initiative.who": "Who",
    "doc.initiative.what": "What",
    "doc.initiative.outcomes": "Outcomes",
    "doc.initiative.evidence": "Evidence",
    "doc.initiative.replicability": "Replicability",
    "doc.initiative.panel_review": "Panel review",
    "doc.label_colon": "{label}:",
    "doc.table_caption": "Table",
    "doc.evidence_agreement": "{evidence}, {agreement}",
    "doc.position": "{actor}: {stance}",
}


# The calibrated language and the labels of the enums the document prints, by concept: the
# glossary's ids for the calibrated terms and the questions, ``doc.*`` for the others.
_ENUM_CONCEPTS: tuple[tuple[str, type[Any], Callable[[Any], str]], ...] = (
    ("confidence", Confidence, lambda x: f"{x.label.lower()} confidence"),
    ("likelihood", Likelihood, lambda x: x.label.lower()),
    ("evidence", Evidence, lambda x: f"{x.label.lower()} evidence"),
    ("agreement", Agreement, lambda x: f"{x.label.lower()} agreement"),
    ("stage", Stage, lambda x: x.label),
    ("panel", Classification, lambda x: x.label),
    ("disposition", Disposition, lambda x: x.label),
    ("doc.stance", Stance, lambda x: x.label.lower()),
    ("doc.actor", ActorType, lambda x: x.label),
    ("doc.scale", Scale, lambda x: x.label),
    ("doc.horizon", Horizon, lambda x: x.label),
    ("doc.initiative_status", InitiativeStatus, lambda x: x.label),
)
# The four synthesis questions without their number ("What is known?").
_QUESTION_NUMBER = re.compile(r"^(\d+)\.\s+")


def _english_words() -> dict[str, str]:
    words = dict(ENGLISH_WORDS)
    for prefix, kind, label in _ENUM_CONCEPTS:
        for member in kind:
            words[f"{prefix}.{member.value}"] = label(member)
    for question in SYNTHESIS_QUESTIONS:
        words[f"question.{question.value}"] = _QUESTION_NUMBER.sub("", QUESTION_LABELS[question])
    return words


ENGLISH = _english_words()
# CSL locales pandoc's citeproc has, for the languages the glossary knows ("et al.", "and",
# "n.d." in the language); another language falls back to its own code.
CSL_LOCALES = {"en": "en-US", "fr": "fr-FR", "es": "es-ES", "ar": "ar", "zh": "zh-CN"}
RIGHT_TO_LEFT_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Words(dict[str, str]):
    """The words a document writes itself, in one language, by glossary concept.

    ``words("doc.review_copy", round="SOD")`` fills a term's placeholders.
    """

    def __init__(self, language: str, words: dict[str, str]) -> None:
        super().__init__(words)
        self.language = language

    @property
    def base(self) -> str:
        """Return the language without its region ('fr' for 'fr-CA')."""
        return self.language.split("-", 1)[0].lower()

    @property
    def english(self) -> bool:
        return translations.is_source_language(self.language)

    @property
    def right_to_left(self) -> bool:
        return self.base in RIGHT_TO_LEFT_LANGUAGES

    @property
    def csl_locale(self) -> str:
        return CSL_LOCALES.get(self.base, self.language)

    def __call__(self, concept: str, /, **params: Any) -> str:
        text = self[concept]
        return text.format(**params) if params else text

    def date(self, day: date) -> str:
        """Return a date as the language writes it in full ("30 November 2026")."""
        if self.english:
            return day.strftime("%-d %B %Y")
        return babel_dates.format_date(day, format="long", locale=self.base)

    @property
    def gap(self) -> str:
        """Return what stands between a label and its value: a space, none after "："."""
        return "" if self("doc.label_colon", label="").endswith("：") else " "

    def capitalised(self, concept: str) -> str:
        """Return a term with a capital first letter, as a label or a heading starts."""
        term = self[concept]
        return term[:1].upper() + term[1:]

    def label(self, concept: str) -> str:
        """Return a label followed by the language's colon ("Stage:", "Étape :")."""
        return self("doc.label_colon", label=self[concept])

    def language_name(self) -> str:
        """Return the language's own name ("Français", "العربية")."""
        try:
            name = Locale.parse(self.language.replace("-", "_")).get_display_name(self.base)
        except (ValueError, LookupError):
            return self.language
        return (name[:1].upper() + name[1:]) if name else self.language


def _glossary_terms(session: Session, language: str) -> dict[str, str]:
    """Return concept → term of the glossary in one language."""
    from workbench import glossary

    return {concept: entry.term for concept, entry in glossary.terms(session, language).items()}


def document_words(session: Session, language: str = "en") -> Words:
    """Return the words the document writes itself in ``language``, from the glossary.

    English is the workbench's own words (:data:`ENGLISH`, the glossary's English rows).
    Another language needs every concept in the glossary, with the English term's
    placeholders: a language without them is refused, naming what is missing.
    """
    if not language or translations.is_source_language(language):
        return Words("en", ENGLISH)
    found = _glossary_terms(session, language)
    missing = [
        concept
        for concept, english in ENGLISH.items()
        if not (found.get(concept) or "").strip()
        or set(_PLACEHOLDER.findall(found[concept])) != set(_PLACEHOLDER.findall(english))
    ]
    if missing:
        shown = ", ".join(missing[:12]) + (" …" if len(missing) > 12 else "")
        raise ValidationError(
            "The glossary has no {language} terms for {count} of the words the export writes "
            "itself ({concepts}), so the report cannot be exported in that language yet. "
            "The Secretariat adds them with 'workbench glossary import'.",
            language=translations.language_name(language),
            count=len(missing),
            concepts=shown,
        )
    return Words(language, {concept: found[concept] for concept in ENGLISH})


def document_languages(session: Session, report: Report) -> list[str]:
    """Return the report's languages the document can be exported in (English first)."""
    usable = []
    for code in translations.report_languages(report):
        try:
            document_words(session, code)
        except ValidationError:
            continue
        usable.append(code)
    return sorted(usable, key=lambda code: not translations.is_source_language(code))


# --------------------------------------------------------------------------- the document


@dataclass
class OpenComment:
    """An unanswered review comment and where in the draft it belongs."""

    number: int
    round_name: str
    section_id: int | None  # None for a comment on a part (see section_code)
    section_code: str
    from_line: int
    to_line: int
    reviewer: str
    kind: str
    comment: str
    suggested_change: str
    created_at: datetime | None = None  # when the reviewer wrote it: the Word comment's date
    part: str = ""  # the part whose lines it cites (KF for a comment on F3), "" for a section

    @property
    def where(self) -> str:
        """Return what it is on, as a reviewer cites it: "2.1", "KF", "F3 (KF)"."""
        if self.part and self.part != self.section_code:
            return f"{self.section_code} ({self.part})"
        return self.section_code

    def lines(self) -> str:
        if self.from_line == self.to_line:
            return str(self.from_line)
        return f"{self.from_line}–{self.to_line}"


@dataclass
class TocEntry:
    """A heading of the table of contents."""

    level: int
    title: str
    anchor: str


@dataclass
class Draft:
    """Everything an export needs, gathered from the database in one go."""

    report: Report
    title: str
    theme: str
    stage: str
    date: date
    version: str
    text_hash: str
    approved: bool
    under_review: ReviewRound | None
    team: dict[Role, list[str]]
    language: str | None
    body: str  # pandoc Markdown without the metadata block and cover
    records: list[dict[str, Any]]
    comments: list[OpenComment]
    toc: list[TocEntry]
    warnings: list[str] = field(default_factory=list)
    countries: dict[str, str] = field(default_factory=dict)  # team member's name → country
    work_in_progress: bool = False  # the current drafts, asked for while a round is open
    parts_frozen: bool = False  # the parts printed are those the open round froze
    words: Words = field(default_factory=lambda: Words("en", ENGLISH))  # the document's words
    translated: tuple[int, int] = (0, 0)  # sections in the language's translation, of all

    @property
    def stamp(self) -> str:
        return "" if self.approved else self.words("doc.draft_stamp")

    @property
    def text_line(self) -> str:
        """Return which text the document holds, as the cover says it ("" once approved)."""
        if self.under_review is not None:
            return self.words("doc.review_copy", round=self.under_review.name)
        if self.approved:
            return ""
        concept = "doc.current_drafts_wip" if self.work_in_progress else "doc.current_drafts"
        return self.words(concept, date=self.words.date(self.date))

    @property
    def stage_line(self) -> str:
        if self.under_review is not None:
            return self.words(
                "doc.stage_under_review", stage=self.stage, round=self.under_review.name
            )
        return self.stage

    @property
    def translation_note(self) -> str:
        """Return the cover's note on the sections still in English ("" when none are)."""
        done, total = self.translated
        if self.language is None or done >= total:
            return ""
        return self.words("doc.translated_sections_note", translated=done, total=total)


@dataclass
class Exported:
    """A finished export: the file's bytes, its name, and what the author should know."""

    filename: str
    content: bytes
    warnings: list[str]
    version: str
    csl_json: bytes | None = None  # beside a Markdown export that keeps its citations
    text: str = "review"  # which text: the review copy or the current drafts (TEXTS)


def _open_round(session: Session, report_id: int) -> ReviewRound | None:
    return session.exec(
        select(ReviewRound)
        .where(ReviewRound.report_id == report_id, ReviewRound.status == RoundStatus.open)
        .order_by(col(ReviewRound.id).desc())
    ).first()


def round_under_review(session: Session, report_id: int) -> ReviewRound | None:
    """Return the report's open review round, whose frozen text the review copy prints."""
    return _open_round(session, report_id)


def _texts(
    session: Session, report: Report, ordered: list[Section], round: ReviewRound | None
) -> dict[int, tuple[str, bool]]:
    """Return section id → (text, frozen?) for the export: frozen text under review, else head."""
    frozen = reviews.frozen_texts(session, round_id=round.id) if round is not None else {}
    heads = sections.head_texts(session, report.id)
    return {
        s.id: (frozen[s.id], True) if s.id in frozen else (heads.get(s.id, ""), False)
        for s in ordered
    }


_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^(\s{0,3})(#{1,6})(\s)")
_PREFIX = re.compile(
    r"^(\s*(?:#{1,6}\s+|>\s?|[-*+]\s+(?:\[[ xX]\]\s+)?|\d{1,9}[.)]\s+|\[\^[^\]\s]+\]:\s*)*)"
)
_TABLE_RULE = re.compile(r"^\s*(\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*|\+[-=+:]+\+)$")
_PIPE_ROW = re.compile(r"^\s*\|(?!\s*:?-{3,})")
# pandoc records the temporary bibliography and the style's path in the metadata.
_BIBLIOGRAPHY_LINE = re.compile(r"^(?:bibliography|csl): .*\n", re.MULTILINE)
_AMOUNT = re.compile(r"(?<!\\)\$(?=\d)")


def prepare_text(text: str, *, numbered: bool, docx: bool, shift: int = 2) -> str:
    """Return a section's (or a part's) Markdown ready to sit in the report.

    Headings move down ``shift`` levels (a section's two, under its question and
    its own heading), ``$`` before a figure is escaped, and with ``numbered``
    each line of text starts with its line number; blank lines, table rules and
    a table's header row carry none. For Word (``docx``) each numbered line
    becomes a paragraph of its own, so that its number can stand in the margin:
    list items become plain paragraphs with a literal bullet (or their number),
    and table rows and fenced code stay together.
    """
    lines = sections.lines_of(text)
    out: list[str] = []
    fenced = grid = False
    for index, line in enumerate(lines):
        number = index + 1
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line)
            continue
        if fenced:
            out.append(line)
            continue
        # A grid table's cells are aligned by their widths: a number would break them.
        grid = bool(_GRID_RULE.match(line)) or (grid and line.lstrip()[:1] in ("|", "+"))
        if grid:
            out.append(line)
            continue
        line = _AMOUNT.sub(r"\\$", line)
        heading = _HEADING.match(line)
        if heading and shift:
            level = min(len(heading.group(2)) + shift, 6)
            line = heading.group(1) + "#" * level + line[heading.end(2) :]
        table = _is_table_line(line)
        if numbered and line.strip():
            marker = line_marker(number, docx=docx)
            if _PIPE_ROW.match(line):
                following = lines[index + 1] if index + 1 < len(lines) else ""
                if not _TABLE_RULE.match(following):  # the header row carries no number
                    # A table row: the number goes in its first cell.
                    cut = line.index("|") + 1
                    line = f"{line[:cut]} {marker}{line[cut:]}"
            elif not _TABLE_RULE.match(line):
                prefix = _PREFIX.match(line).group(1)
                rest = line[len(prefix) :]
                if rest.strip():
                    if docx:
                        lead, label = _literal_prefix(prefix)
                        line = f"{lead}{marker} {label}{rest}"
                    else:
                        line = f"{prefix}{marker} {rest}"
        out.append(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if (
            numbered
            and docx
            and line.strip()
            and following.strip()
            and not (table and _is_table_line(following))
            and not _FENCE.match(following)
        ):
            out.append("")  # the next line is a paragraph of its own
    return "\n".join(out).strip("\n")


_GRID_RULE = re.compile(r"^\s*\+[-=:+]+\+\s*$")
_PREFIX_PIECE = re.compile(
    r"(\s*)(#{1,6}\s+|>\s?|\[\^[^\]\s]+\]:\s*|(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?)"
)
_TASK = re.compile(r"\[([ xX])\]\s*$")


def _is_table_line(line: str) -> bool:
    return bool(_PIPE_ROW.match(line) or _TABLE_RULE.match(line))


def _literal_prefix(prefix: str) -> tuple[str, str]:
    """Split a line's Markdown prefix into what stays before its number and a literal label.

    Headings, block quotes and footnotes keep their marks before the number; a list
    item's mark becomes text after it ("• ", "◦ " nested, "3. ", "☐ "), as a numbered
    line is a paragraph of its own and no longer part of a list.
    """
    lead, label = "", ""
    for match in _PREFIX_PIECE.finditer(prefix):
        indent, piece = match.groups()
        mark = piece.split()[0]
        if mark.startswith(("#", ">", "[^")):
            lead += piece if mark != ">" else "> "
            continue
        task = _TASK.search(piece)
        if mark[0].isdigit():
            label += f"{mark} "
        else:
            label += "◦ " if len(indent.expandtabs(4)) >= 2 else "• "
        if task:
            label += "☒ " if task.group(1) in "xX" else "☐ "
    return lead, label


def line_marker(number: int, *, docx: bool) -> str:
    """Return the Markdown span that marks the start of a numbered line."""
    if docx:
        return f'[{number}]{{custom-style="{LINE_STYLE}"}}'
    return f"[{number}]{{.line-number}}"


def _names_by_role(session: Session, report_id: int) -> dict[Role, list[str]]:
    team: dict[Role, list[str]] = {role: [] for role in TEAM_ROLES}
    for member in teams.members(session, report_id):
        for role in member.roles:
            if role in team:
                team[role].append(member.person.name)
    return {role: sorted(names, key=_surname) for role, names in team.items() if names}


def _surname(name: str) -> str:
    return name.split()[-1].lower() if name.split() else ""


def _open_comments(session: Session, round: ReviewRound | None) -> list[OpenComment]:
    if round is None:
        return []
    rows = session.exec(
        select(ReviewComment, Section.code)
        .join(Section, col(Section.id) == col(ReviewComment.section_id), isouter=True)
        .where(ReviewComment.round_id == round.id, col(ReviewComment.disposition).is_(None))
        .order_by(col(ReviewComment.number))
    ).all()
    targets = report_parts.targets(session, round.id) if any(c.part for c, _ in rows) else {}

    def part_of(code: str) -> str:
        target = report_parts.resolve(targets, code)
        return target.part if target is not None else code.upper()

    return [
        OpenComment(
            number=c.number,
            round_name=round.name,
            section_id=c.section_id,
            section_code=code or c.part,
            part=part_of(c.part) if c.section_id is None and c.part else "",
            from_line=c.from_line,
            to_line=c.to_line,
            reviewer=c.reviewer_name,
            kind=c.kind.label,
            comment=c.comment,
            suggested_change=c.suggested_change,
            created_at=c.created_at,
        )
        for c, code in rows
    ]


def _translations(session: Session, report: Report, language: str) -> dict[int, Translation]:
    rows = session.exec(
        select(Translation)
        .join(Section, col(Section.id) == col(Translation.section_id))
        .where(Section.report_id == report.id, Translation.language == language)
    ).all()
    finished = (TranslationStatus.translated, TranslationStatus.reviewed)
    return {t.section_id: t for t in rows if t.text.strip() and t.status in finished}


def _check_text(text: str | None) -> str:
    """Return ``review`` or ``current``, the texts an export can hold."""
    which = (text or "review").strip().lower()
    if which not in TEXTS:
        raise ValidationError(
            "'{text}' is not a choice of text: choose review (the draft as the open review "
            "round froze it) or current (the current drafts, work in progress).",
            text=text,
        )
    return which


def _check_language(report: Report, language: str | None) -> str | None:
    """Return the report's own spelling of ``language`` (None for the original, English)."""
    if language is None or not language.strip() or translations.is_source_language(language):
        return None
    known = translations.report_languages(report)
    for code in known:
        if code.lower() == language.strip().lower():
            return code
    raise ValidationError(
        "'{language}' is not one of the report's languages ({languages}).",
        language=language,
        languages=", ".join(known),
    )


def gather(
    session: Session,
    actor: Person,
    report: Report,
    *,
    language: str | None = "en",
    docx: bool = False,
    today: date | None = None,
    line_numbers: bool = True,
    open_comments: bool = True,
    text: str = "review",
) -> Draft:
    """Read everything the export of ``report`` needs and write its Markdown body.

    ``line_numbers`` and ``open_comments`` (the draft under review's apparatus for
    reviewers) can be left out, as the reading copy does. ``text`` is ``review`` (the
    texts an open round froze, else the current ones) or ``current`` (the current
    drafts even while a round is open: work in progress, without the apparatus).
    ``language`` (one of the report's) prints each section's finished translation
    where there is one and every word the document writes itself from the glossary
    (:func:`document_words`).
    """
    require(session, actor, Action.read_report, report.id)
    language = _check_language(report, language)
    words = document_words(session, language or "en")
    which = _check_text(text)
    ordered = sections.list_sections(session, report.id)
    open_round = _open_round(session, report.id)
    round = open_round if which == "review" else None
    texts = _texts(session, report, ordered, round)
    printed, frozen_parts = _parts_to_print(
        session, report, round, {section_id: t for section_id, (t, _) in texts.items()}
    )
    # The current drafts' version is the hash of the current content, as the Council's is;
    # the review copy's, of the texts and parts the round froze, which are what it prints.
    # Without a round that is the current content's hash, which is kept while the report's
    # content token stays (the Council page has usually just asked for it).
    # A round's review copy hashes what the round froze: kept while both of the report's
    # tokens stay (every reviewer downloads the same copy).
    digest = (
        content.current_hash(session, report.id)
        if round is None and not frozen_parts
        else content.kept_hash(
            session,
            report.id,
            ("review", round.id if round is not None else None, frozen_parts),
            lambda: content.content_hash(
                session,
                report,
                texts={section_id: text for section_id, (text, _) in texts.items()}
                if round is not None
                else None,
                parts={p.code: p.markdown for p in printed} if frozen_parts else None,
            ),
            document_too=True,
        )
    )
    # Without an open round the digest is the current content's hash: no need to hash twice.
    approved = open_round is None and council.approval_of(session, report.id, digest) is not None
    theme = session.get(Theme, report.theme_id) if report.theme_id else None
    translated = _translations(session, report, language) if language else {}
    warnings: list[str] = []
    toc: list[TocEntry] = []
    parts: list[str] = []

    def heading(level: int, title: str, anchor: str) -> None:
        toc.append(TocEntry(level, title, anchor))
        parts.append(f"{'#' * level} {title} {{#{anchor}}}\n")

    if not ordered:
        parts.append(f"*{words('doc.no_sections')}*\n")
    current_question: Question | None = None
    for section in ordered:
        question = Question(section.question)
        if question != current_question and question != Question.front:
            current_question = question
            heading(1, question_title(question, words), f"q-{question.value}")
        if question == Question.front and current_question is None:
            # Front matter (a summary, a foreword) stands on its own: no "Front matter"
            # chapter above it; it stays a level-2 heading, as every section is (the
            # import finds sections there), but opens the contents at the first level.
            toc.append(TocEntry(1, f"{section.code} {section.title}", f"sec-{section.id}"))
            parts.append(f"## {section.code} {section.title} {{#sec-{section.id}}}\n")
        else:
            heading(2, f"{section.code} {section.title}", f"sec-{section.id}")
        text, frozen = texts[section.id]
        notes: list[str] = []
        if round is not None and not frozen:
            notes.append(words("doc.added_after_round", round=round.name))
        in_english = False
        if language:
            translation = translated.get(section.id)
            if translation is None:
                notes.append(words("doc.not_translated"))
                in_english = True
            else:
                text = translation.text
                if translations.is_stale(session, translation):
                    notes.append(words("doc.stale_translation"))
        for note in notes:
            parts.append(f'::: {{.note custom-style="Block Text"}}\n*{note}*\n:::\n')
        if text.strip():
            numbered = (
                line_numbers
                and frozen
                and round is not None
                and not (language and section.id in translated)
            )
            prepared = prepare_text(text, numbered=numbered, docx=docx)
            if in_english and words.right_to_left:
                prepared = f'::: {{dir="ltr"}}\n{prepared}\n:::'  # English reads left to right
            parts.append(prepared + "\n")
        else:
            parts.append(f"*{words('doc.no_text')}*\n")

    parts_numbered = line_numbers and frozen_parts
    note = (
        words("doc.part_not_frozen", round=round.name)
        if round is not None and not frozen_parts
        else ""
    )
    # The references stand between the recommendations and the annexes (the initiatives).
    annexed = [p for p in printed if p.spec is report_parts.INITIATIVES]
    for part in [p for p in printed if p not in annexed]:
        _print_part(
            part, parts, heading, toc, numbered=parts_numbered, docx=docx, note=note, words=words
        )
    heading(1, words("doc.references"), "references")
    parts.append("::: {#refs}\n:::\n")
    for part in annexed:
        _print_part(
            part, parts, heading, toc, numbered=parts_numbered, docx=docx, note=note, words=words
        )
    comments = _open_comments(session, round) if open_comments else []
    if comments and not docx:
        heading(1, words("doc.open_comments_title", round=round.name), "open-comments")
        parts.append(words("doc.open_comments_intro", round=round.name) + "\n")
        kinds = {kind.label: kind.value for kind in CommentKind}
        parts.append(
            pipe_table(
                [
                    words(f"doc.table.{name}")
                    for name in (
                        "number",
                        "section",
                        "lines",
                        "reviewer",
                        "kind",
                        "comment",
                        "suggested_change",
                    )
                ],
                [
                    [
                        str(c.number),
                        c.where,
                        c.lines(),
                        c.reviewer,
                        words.get(f"doc.comment_kind.{kinds.get(c.kind, '')}", c.kind),
                        c.comment,
                        c.suggested_change,
                    ]
                    for c in comments
                ],
                [5, 8, 7, 14, 10, 36, 20],
            )
        )
    _review_summary_part(session, report, parts, heading, words)

    # Prepared for citeproc: CJK names as written, short labels ("EU 2024") in text.
    records = citation_forms.for_citeproc(sources.csl_records(session, report.id))
    known = {r["id"] for r in records}
    cited = {key for s in ordered for key in sections.extract_citation_keys(texts[s.id][0])}
    missing = sorted(cited - known)
    if missing:
        warnings.append(
            "These citation keys match no source in the report's library and show as "
            f"'?' in the document: {', '.join(missing)}."
        )
    return Draft(
        report=report,
        title=report.title,
        theme=theme.name if theme else "",
        stage=words.capitalised(f"stage.{report.stage.value}"),
        date=today or date.today(),
        version=digest[:VERSION_CHARS],
        text_hash=digest,
        approved=approved,
        under_review=round,
        work_in_progress=open_round is not None and round is None,
        parts_frozen=frozen_parts,
        team=_names_by_role(session, report.id),
        countries={m.person.name: m.person.country for m in teams.members(session, report.id)},
        language=language,
        body="\n".join(parts),
        records=records,
        comments=comments,
        toc=toc,
        warnings=warnings,
        words=words,
        translated=(len(translated), len(ordered)),
    )


def question_title(question: Question, words: Words) -> str:
    """Return a question's heading in the document's language ("1. What is known?")."""
    if question not in SYNTHESIS_QUESTIONS:
        return words(f"doc.question.{question.value}")
    number = _QUESTION_NUMBER.match(QUESTION_LABELS[question])
    prefix = f"{number.group(1)}. " if number else ""
    return prefix + words(f"question.{question.value}")


Heading = Callable[[int, str, str], None]


def _parts_to_print(
    session: Session, report: Report, round: ReviewRound | None, texts: dict[int, str]
) -> tuple[list[report_parts.PartText], bool]:
    """Return the parts the document prints and whether they are the round's frozen ones.

    Under an open round, the parts it froze; a round opened before parts were frozen
    has none, and then (as without a round) the parts as they stand.
    """
    if round is not None:
        frozen = report_parts.frozen(session, round.id)
        if frozen:
            return frozen, True
    return report_parts.build(session, report, texts), False


def _print_part(
    part: report_parts.PartText,
    blocks: list[str],
    heading: Heading,
    toc: list[TocEntry],
    *,
    numbered: bool,
    docx: bool,
    note: str = "",
    words: Words | None = None,
) -> None:
    """Add a part under its heading: its Markdown, numbered or not, its subheadings in the toc.

    In another language than English the words the part writes itself are the glossary's
    (:func:`localise_part`); what the authors wrote stays as written.
    """
    spec = part.spec
    words = words if words is not None else Words("en", ENGLISH)
    markdown = part.markdown
    title = spec.title
    if not words.english:
        markdown = localise_part(markdown, spec, words)
        title = words(f"doc.part.{_PART_KEYS[spec.code]}")
    heading(spec.level, title, spec.anchor)
    if note:
        blocks.append(f'::: {{.note custom-style="Block Text"}}\n*{note}*\n:::\n')
    text = prepare_text(markdown, numbered=numbered, docx=docx, shift=0)
    # Word gives each actor's position a line of its own in the cell (finish_docx).
    text = text.replace(report_parts.POSITION_BREAK, report_parts.POSITION_BREAK if docx else "; ")
    blocks.append(text + "\n")
    toc.extend(TocEntry(2, title, anchor) for title, anchor in report_parts.subheadings(markdown))


_PART_KEYS = {
    report_parts.KEY_FINDINGS.code: "key_findings",
    report_parts.CONSENSUS.code: "consensus",
    report_parts.FALSE_SOLUTIONS.code: "false_solutions",
    report_parts.RECOMMENDATIONS.code: "recommendations",
    report_parts.INITIATIVES.code: "initiatives",
}
# The table heads :mod:`workbench.parts` writes, by the concepts of their columns.
_PART_HEADS = (
    ("number", "finding", "traceable_account"),
    ("number", "statement", "classification", "positions"),
    ("number", "proposal", "why_false"),
    ("context_conditions", "normative_assumptions"),
)
_INITIATIVE_FIELDS = (
    "where",
    "who",
    "what",
    "outcomes",
    "evidence",
    "replicability",
    "panel_review",
)


def _members(prefix: str) -> dict[str, str]:
    """Return English term → concept for one prefix of :data:`ENGLISH` ("doc.stance")."""
    return {term: concept for concept, term in ENGLISH.items() if concept.startswith(prefix + ".")}


def _alternation(terms: Any) -> str:
    return "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))


def localise_part(markdown: str, spec: report_parts.PartSpec, words: Words) -> str:
    """Return a part's Markdown with the words :mod:`workbench.parts` wrote in ``words``' language.

    The part (as it stands, or as a round froze it) is English Markdown in a fixed
    shape: its introduction, table heads, the calibrated terms beside each finding,
    the classification and stances of the consensus register, the addressees, scale
    and horizon of a recommendation, an initiative's field names and review status.
    Those are replaced line by line (the lines stay the lines); the statements,
    recommendations and everything else the authors wrote stay as written.
    """
    key = _PART_KEYS[spec.code]
    whole = {
        ENGLISH[f"doc.part.{key}_intro"]: words(f"doc.part.{key}_intro"),
        f"*{ENGLISH[f'doc.part.{key}_empty']}*": f"*{words(f'doc.part.{key}_empty')}*",
    }
    for columns in _PART_HEADS:
        concepts = [f"doc.table.{c}" for c in columns]
        whole[report_parts.row([ENGLISH[c] for c in concepts])] = report_parts.row(
            [words(c) for c in concepts]
        )
    confidence, likelihood = _members("confidence"), _members("likelihood")
    evidence, agreement = _members("evidence"), _members("agreement")
    calibrated = re.compile(rf"\*({_alternation(confidence)})\*")
    added_likelihood = re.compile(rf"\(\*({_alternation(likelihood)})\*; \*")
    account = re.compile(rf"\*({_alternation(evidence)}), ({_alternation(agreement)})\*")
    classes = {report_parts.cell(c.label): f"panel.{c.value}" for c in Classification}
    stances = _members("doc.stance")
    register_row = re.compile(
        rf"^(\| {re.escape(spec.code)}\d+ \| .*? \| )({_alternation(classes)})( \| )(.*)( \|)$"
    )
    position = re.compile(rf"^(.*): ({_alternation(stances)})$")
    detail = re.compile(
        r"^\*Addressed to:\* (?P<who>.*?) · \*Scale:\* (?P<scale>.*?) · "
        r"\*Horizon:\* (?P<horizon>.*?)(?: · \*Rests on findings:\* (?P<rests>.*))?$"
    )
    actors, scales, horizons = _members("doc.actor"), _members("doc.scale"), _members("doc.horizon")
    fields = {
        f"**{ENGLISH[f'doc.initiative.{name}']}:** ": (
            f"**{words.label(f'doc.initiative.{name}')}**{words.gap}"
        )
        for name in _INITIATIVE_FIELDS
    }
    statuses = _members("doc.initiative_status")
    panel_review = f"**{words.label('doc.initiative.panel_review')}**{words.gap}"

    def said(found: dict[str, str], english: str) -> str:
        return words(found[english]) if english in found else english

    out = []
    for line in sections.lines_of(markdown):
        if line in whole:
            out.append(whole[line])
            continue
        if spec is report_parts.KEY_FINDINGS:
            line = added_likelihood.sub(lambda m: f"(*{said(likelihood, m.group(1))}*; *", line)
            line = calibrated.sub(lambda m: f"*{said(confidence, m.group(1))}*", line)
            line = account.sub(
                lambda m: (
                    "*"
                    + words(
                        "doc.evidence_agreement",
                        evidence=said(evidence, m.group(1)),
                        agreement=said(agreement, m.group(2)),
                    )
                    + "*"
                ),
                line,
            )
        elif spec is report_parts.CONSENSUS and (match := register_row.match(line)):
            positions = [
                words("doc.position", actor=found.group(1), stance=said(stances, found.group(2)))
                if (found := position.match(piece))
                else piece
                for piece in match.group(4).split(report_parts.POSITION_BREAK)
            ]
            line = (
                match.group(1)
                + words.capitalised(classes[match.group(2)])
                + match.group(3)
                + report_parts.POSITION_BREAK.join(positions)
                + match.group(5)
            )
        elif spec is report_parts.RECOMMENDATIONS and (match := detail.match(line)):
            who = ", ".join(said(actors, a) for a in match.group("who").split(", "))
            gap = words.gap
            scale = said(scales, match.group("scale"))
            horizon = said(horizons, match.group("horizon"))
            line = (
                f"*{words.label('doc.rec.addressed_to')}*{gap}{who} · "
                f"*{words.label('doc.rec.scale')}*{gap}{scale} · "
                f"*{words.label('doc.rec.horizon')}*{gap}{horizon}"
            )
            if match.group("rests"):
                line += f" · *{words.label('doc.rec.rests_on')}*{words.gap}{match.group('rests')}"
        elif spec is report_parts.INITIATIVES:
            for english, local in fields.items():
                if line.startswith(english):
                    line = local + line[len(english) :]
                    break
            if line.startswith(panel_review):
                value = line[len(panel_review) :]
                for english, concept in statuses.items():
                    if value == english or value.startswith(english + ". "):
                        value = words(concept) + value[len(english) :]
                        break
                line = panel_review + value
        out.append(line)
    return "\n".join(out) + ("\n" if markdown.endswith("\n") else "")


def _review_summary_part(
    session: Session, report: Report, parts: list[str], heading: Heading, words: Words
) -> None:
    summaries = reviews.round_summaries(session, report_id=report.id)
    if not summaries:
        return
    heading(1, words("doc.review_summary_title"), "review-summary")
    parts.append(words("doc.review_summary_intro") + "\n")
    for summary in summaries:
        round = summary.round
        state = "doc.round_open" if round.status == RoundStatus.open else "doc.round_closed"
        heading(2, words(state, round=round.name), f"round-{round.id}")
        counts = reviews.disposition_counts(session, round_id=round.id)
        if not counts:
            parts.append(f"*{words('doc.no_comments_in_round')}*\n")
            continue
        rows = [
            [
                c["section"],
                str(c["accepted"]),
                str(c["taken_into_account"]),
                str(c["noted"]),
                str(c["rejected"]),
                str(c["open"]),
                str(c["total"]),
            ]
            for c in counts
        ]
        totals = [sum(int(r[i]) for r in rows) for i in range(1, 7)]
        rows.append([f"**{words('doc.table.all_sections')}**", *(f"**{t}**" for t in totals)])
        parts.append(
            pipe_table(
                [words(f"doc.table.{name}") for name in ("section_or_part",)]
                + [words.capitalised(f"disposition.{d.value}") for d in Disposition]
                + [words(f"doc.table.{name}") for name in ("open", "total")],
                rows,
                [16, 12, 16, 10, 12, 10, 10],
            )
        )


# --------------------------------------------------------------------------- Markdown


def _yaml(value: Any) -> str:
    """Return a YAML scalar or flow sequence (JSON is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def metadata_block(draft: Draft, *, bibliography: str | None = None) -> str:
    """Return the YAML metadata block that opens the Markdown export."""
    authors = [name for names in draft.team.values() for name in names]
    lines = [
        "---",
        f"title: {_yaml(draft.title)}",
        f"subtitle: {_yaml(draft.theme)}" if draft.theme else "",
        f"date: {_yaml(draft.date.isoformat())}",
        f"author: {_yaml(authors)}",
        f"lang: {_yaml(_lang(draft))}",
        'dir: "rtl"' if draft.words.right_to_left else "",
        f"stage: {_yaml(draft.stage_line)}",
        f"version: {_yaml(draft.version)}",
        f"status: {_yaml(draft.stamp or draft.words('doc.approved'))}",
    ]
    if bibliography:
        lines.append(f"bibliography: {_yaml(bibliography)}")
    lines.append("---")
    return "\n".join(line for line in lines if line) + "\n"


def _lang(draft: Draft) -> str:
    """Return the document's language as pandoc's citeproc takes it (its CSL locale)."""
    return "en" if draft.language is None else draft.words.csl_locale


def numbering_note(draft: Draft, *, where: str = "margin") -> list[str]:
    """Return the cover's explanation of the line numbers, for reviewers (review copy only).

    ``where`` the numbers stand: ``margin`` (Word: in the left margin) or ``start`` (at
    the start of the line, in Markdown).
    """
    if draft.under_review is None:
        return []
    words = draft.words
    name = draft.under_review.name
    place = words(f"doc.line_numbers_where_{'start' if where == 'start' else 'margin'}")
    note = [words("doc.line_numbers_note", round=name, where=place)]
    if draft.parts_frozen:
        note.append(words("doc.part_codes_note"))
    else:
        note.append(words("doc.parts_not_frozen_note", round=name))
    return note


def cover_markdown(draft: Draft) -> str:
    """Return the cover as Markdown (the Word cover is built from the same facts)."""
    words = draft.words
    out = []
    if draft.stamp:
        out.append(f"**{draft.stamp}**\n")
    if draft.text_line:
        out.append(f"*{draft.text_line}*\n")
    facts = [
        ("doc.label.theme", draft.theme or "—"),
        ("doc.label.stage", draft.stage_line),
        ("doc.label.date", draft.date.isoformat()),
        ("doc.label.version", f"`{draft.version}`"),
    ]
    if draft.language is not None:
        facts.append(("doc.label.language", words.language_name()))
    gap = words.gap
    said = [f"**{words.label(label)}**{gap}{value}" for label, value in facts]
    out.append("  \n".join(said) + "\n")
    if draft.translation_note:
        out.append(f"*{draft.translation_note}*\n")
    out.append(f"**{words('doc.author_team')}**\n")
    for role, names in draft.team.items():
        named = ", ".join(_with_country(name, draft.countries) for name in names)
        out.append(f"- *{words.label(f'doc.team.{role.value}')}*{words.gap}{named}")
    if draft.under_review is not None:
        out.append("")
        out.extend(f"{line}\n" for line in numbering_note(draft, where="start"))
    out.append(f"\n**{words('doc.contents')}**\n")
    for entry in draft.toc:
        indent = "  " * (min(entry.level, 2) - 1)
        out.append(f"{indent}- [{entry.title}](#{entry.anchor})")
    return "\n".join(out) + "\n"


def _pandoc_args(draft: Draft, bibliography: Path) -> list[str]:
    args = ["--citeproc", f"--bibliography={bibliography}", "--wrap=none"]
    if CITATION_STYLE.exists():
        args.append(f"--csl={CITATION_STYLE}")
    return args


def _write_bibliography(folder: Path, records: list[dict[str, Any]]) -> Path:
    path = folder / "references.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def to_markdown(draft: Draft, *, keep_citations: bool = False) -> tuple[str, str | None]:
    """Return the Markdown document and, when citations are kept, the CSL-JSON beside it."""
    slug = draft.report.slug
    if keep_citations:
        bib_name = f"{slug}-references.json"
        text = (
            metadata_block(draft, bibliography=bib_name)
            + "\n"
            + cover_markdown(draft)
            + "\n"
            + draft.body
        )
        return text, json.dumps(draft.records, ensure_ascii=False, indent=2) + "\n"
    source = metadata_block(draft) + "\n" + cover_markdown(draft) + "\n" + draft.body
    with tempfile.TemporaryDirectory() as folder:
        bibliography = _write_bibliography(Path(folder), draft.records)
        rendered = pypandoc.convert_text(
            source,
            WRITER_MD,
            format=READER,
            extra_args=[
                *_pandoc_args(draft, bibliography),
                "--standalone",
            ],
        )
    # pandoc records the temporary bibliography file in the metadata: it means nothing later.
    return _BIBLIOGRAPHY_LINE.sub("", rendered, count=2), None


# --------------------------------------------------------------------------- the reading copy

# GitHub Markdown without raw HTML (nothing an author typed is ever shown as HTML), with
# ``$`` escaped so that a screen that knows TeX does not take "$15 … $20" for mathematics.
READING_WRITER = "gfm-raw_html+tex_math_dollars"
# A lone image stays an image (made a link by the page), not a figure with its caption twice.
READING_READER = READER + "-implicit_figures"
_reading_cache: rendering.RenderCache[tuple[ReadingPart, ...]] = rendering.RenderCache(16)


@dataclass(frozen=True)
class ReadingPart:
    """A part of the reading copy: a heading of the contents and the text under it."""

    level: int  # 1 or 2 as in the contents; 0 for text before the first heading
    title: str
    anchor: str
    markdown: str  # GitHub Markdown, citations rendered, no raw HTML


@dataclass
class Reading:
    """The report as it is read on screen: the export's document, part by part."""

    draft: Draft
    parts: tuple[ReadingPart, ...]

    @property
    def toc(self) -> list[TocEntry]:
        """Return the contents: the headings of the parts shown."""
        return [TocEntry(p.level, p.title, p.anchor) for p in self.parts if p.level]


def reading_copy(
    session: Session,
    actor: Person,
    report: Report,
    *,
    language: str | None = "en",
    text: str = "current",
    today: date | None = None,
) -> Reading:
    """Return the report as the export prints it, rendered for reading on screen.

    The same document as :func:`export_report` (same texts, same version id),
    with its citations rendered and its parts split at the headings of the
    contents. Left out: the line numbers and the table of open review comments,
    which are the reviewers' apparatus (the exported draft keeps them). By
    default the current content, which is what a Council decision binds, even
    while a review round is open (``text="review"`` gives the frozen copy).

    Kept between page runs (in this process, for every reader) with the report's
    two change tokens (:mod:`workbench.content_version`) and the day: while the
    database says nothing the document prints has changed, the Council page does
    not gather a large report again. Gathered from rows read afresh, and kept only
    when the tokens read after gathering are those read before.
    """
    require(session, actor, Action.read_report, report.id)
    session.flush()
    today = today or date.today()
    before = content_version.tokens(session, report.id)
    key = (content_version.where(session), report.id, language, text, today)
    kept = _reading_copies.get(key)
    if before is not None and kept is not None and kept[0] == before:
        reading = kept[1]
    else:
        with content.fresh_view(session) as fresh:
            draft = gather(
                fresh,
                fresh.get(Person, actor.id),
                fresh.get(Report, report.id),
                language=language,
                today=today,
                line_numbers=False,
                open_comments=False,
                text=text,
            )
            # In another language citeproc reads the language (its CSL locale) from the metadata.
            body = draft.body if draft.language is None else _body_metadata(draft) + draft.body
            reading = Reading(draft=draft, parts=reading_parts(body, draft.records, draft.toc))
        if before is not None and content_version.tokens(session, report.id) == before:
            _reading_copies.put(key, (before, reading))
    # The copy's database objects are the caller's own (a kept copy's came from another session).
    round = reading.draft.under_review
    return Reading(
        draft=replace(
            reading.draft,
            report=report,
            under_review=session.get(ReviewRound, round.id) if round is not None else None,
        ),
        parts=reading.parts,
    )


#: Reading copies kept across page runs: (database, report, language, text, day) →
#: (the report's tokens when gathered, the copy). A copy of a very large report holds
#: tens of megabytes of text: a few are kept.
_reading_copies: rendering.RenderCache[tuple[tuple[int, int], Reading]] = rendering.RenderCache(4)


def reading_parts(
    body: str, records: list[dict[str, Any]], toc: list[TocEntry]
) -> tuple[ReadingPart, ...]:
    """Return the export body as parts of GitHub Markdown, citations rendered (cached)."""
    return _reading_cache.get_or_make(
        rendering.cache_key(body, records), lambda: _render_parts(body, records, toc)
    )


def _render_parts(
    body: str, records: list[dict[str, Any]], toc: list[TocEntry]
) -> tuple[ReadingPart, ...]:
    with tempfile.TemporaryDirectory(prefix="workbench-reading-") as folder:
        bibliography = _write_bibliography(Path(folder), records)
        args = ["--citeproc", f"--bibliography={bibliography}"]
        if CITATION_STYLE.exists():
            args.append(f"--csl={CITATION_STYLE}")
        tree = json.loads(
            pypandoc.convert_text(body, "json", format=READING_READER, extra_args=args)
        )
    # Each heading of the contents becomes a marker paragraph, so that one pass of the
    # writer gives the whole text and the parts are cut at the markers. The marker is
    # random, so no author's text can fake one.
    token = "WB" + secrets.token_hex(8)
    heads: list[tuple[int, str]] = []
    blocks = []
    for block in tree["blocks"]:
        if block.get("t") == "Header" and block["c"][0] <= 2:
            blocks.append({"t": "Para", "c": [{"t": "Str", "c": f"{token}{len(heads):05d}"}]})
            heads.append((block["c"][0], block["c"][1][0]))
        else:
            blocks.append(block)
    tree["blocks"] = blocks
    text = pypandoc.convert_text(
        json.dumps(tree), READING_WRITER, format="json", extra_args=["--wrap=none"]
    )
    titles = {entry.anchor: entry.title for entry in toc}
    pieces = re.split(rf"^{token}(\d{{5}})\s*$", text, flags=re.MULTILINE)
    parts: list[ReadingPart] = []
    if pieces[0].strip():
        parts.append(ReadingPart(0, "", "", pieces[0].strip() + "\n"))
    for index, markdown in zip(pieces[1::2], pieces[2::2], strict=True):
        level, anchor = heads[int(index)]
        parts.append(
            ReadingPart(level, titles.get(anchor, anchor), anchor, markdown.strip() + "\n")
        )
    return tuple(parts)


# --------------------------------------------------------------------------- Word


def pandoc_docx(markdown: str, records: list[dict[str, Any]], target: Path) -> None:
    """Convert Markdown to DOCX with citeproc and the reference styles (no finishing)."""
    with tempfile.TemporaryDirectory() as folder:
        bibliography = _write_bibliography(Path(folder), records)
        args = ["--citeproc", f"--bibliography={bibliography}", f"--reference-doc={REFERENCE_DOCX}"]
        if CITATION_STYLE.exists():
            args.append(f"--csl={CITATION_STYLE}")
        pypandoc.convert_text(
            markdown, "docx", format=READER, outputfile=str(target), extra_args=args
        )


def _body_metadata(draft: Draft) -> str:
    """Return the metadata block pandoc reads before the body: its language and direction."""
    direction = 'dir: "rtl"\n' if draft.words.right_to_left else ""
    return f"---\nlang: {_yaml(_lang(draft))}\n{direction}---\n\n"


def to_docx(
    draft: Draft,
    progress: Progress | None = None,
    *,
    page_numbers: bool = False,
    as_pdf: bool = False,
    comments: Callable[[], list[OpenComment]] | None = None,
) -> bytes:
    """Return the finished Word document, or with ``as_pdf`` LibreOffice's print of it.

    With ``page_numbers`` (and LibreOffice and pdftotext installed) the contents
    carry each part's page, found in a print of the document by LibreOffice. A PDF
    always has them: the numbers are stamped onto that same print (one print).
    ``comments`` reads the open review comments for the margin while pandoc runs
    (they are not in the body pandoc converts): ten thousand of them take half a
    second to read, which pandoc's time then hides.
    """
    step = progress or (lambda fraction, message: None)
    program = libreoffice()
    numbered = (
        bool(page_numbers or as_pdf) and program is not None and bool(shutil.which("pdftotext"))
    )
    # LibreOffice starts now, while pandoc and the finishing run: its start-up is most
    # of a print (see workbench.office).
    early = EarlyOffice(program) if program is not None and (numbered or as_pdf) else None
    try:
        step(0.1, "Rendering the text and citations with pandoc")
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "report.docx"
            with ThreadPoolExecutor(max_workers=1) as pandoc:
                converting = pandoc.submit(
                    pandoc_docx, _body_metadata(draft) + draft.body, draft.records, target
                )
                if comments is not None:
                    draft.comments = comments()
                converting.result()
            step(0.6, "Adding the cover, contents, headers and comments")
            doc = open_docx(str(target))
        finish_docx(doc, draft)
        if numbered:
            step(0.65, "Printing with LibreOffice to find the page of each part of the contents")
            printed = _number_contents(doc, draft, stamp=as_pdf, office=early)
            if printed is not None:
                step(1.0, "Done")
                return printed
        step(0.9, "Saving the document")
        out = io.BytesIO()
        doc.save(out)
        if as_pdf:
            step(0.92, "Printing the Word document to PDF with LibreOffice")
            # The early office prints once: a second print (pdfstamp's fallback) is cold.
            out = io.BytesIO(docx_to_pdf(out.getvalue(), office=early))
        step(1.0, "Done")
        return out.getvalue()
    finally:
        if early is not None:
            early.close()


# The print has this in place of every page number: three FIGURE SPACEs, blanks as wide
# as three digits, so that the contents take the room they take with the numbers (no part
# moves to another page) and the print shows no text there for the numbers to be stamped
# over (:mod:`workbench.pdfstamp`).
_PAGE_PLACEHOLDER = "\u2007" * 3


def _number_contents(
    doc: Any, draft: Draft, *, stamp: bool = False, office: EarlyOffice | None = None
) -> bytes | None:
    """Give each entry of the contents its page number, as a PAGEREF field Word can update.

    The document is printed once by LibreOffice with placeholders; each part's
    page is where its heading first stands after the contents (pdftotext reads
    the pages in order); then the placeholders are replaced by the numbers. With
    ``stamp``, return that print with the numbers stamped on its contents (None
    when they cannot be: the caller prints the numbered document instead). The
    print is handed to ``office`` when it is given and ready.
    """
    results = _contents_page_fields(doc)
    if not results:
        return None
    out = io.BytesIO()
    doc.save(out)
    printed = docx_to_pdf(out.getvalue(), office=office)
    # pdftotext reads the pages while the contents pages are parsed for stamping.
    with ThreadPoolExecutor(max_workers=1) as reader:
        reading = reader.submit(
            contents_pages, printed, draft.toc, right_to_left=draft.words.right_to_left
        )
        found = (
            pdfstamp.read_print(printed, len(results), placeholder=_PAGE_PLACEHOLDER)
            if stamp
            else None
        )
        pages = reading.result()
    missing = [entry.title for entry in draft.toc if entry.anchor not in pages]
    for anchor, text in results.items():
        text.text = str(pages[anchor]) if anchor in pages else ""
    if missing:
        draft.warnings.append(
            "The contents give no page for "
            + ", ".join(f"“{title}”" for title in missing[:5])
            + ": its heading was not found in LibreOffice's print. Word fills it in when "
            "the fields are updated."
        )
    if found is None:
        return None
    stamped = pdfstamp.stamp(
        found, [str(pages[anchor]) if anchor in pages else "" for anchor in results]
    )
    if stamped is None:
        draft.warnings.append(
            "The page numbers could not be written onto LibreOffice's print of the "
            "contents, so the document was printed a second time with them (slower)."
        )
    return stamped


def _contents_page_fields(doc: Any) -> dict[str, Any]:
    """Add a dotted right tab and a PAGEREF field to each contents entry; return its result text.

    Returns anchor → the ``w:t`` holding the field's shown result (a placeholder).
    """
    section = doc.sections[0]
    width = int((section.page_width - section.left_margin - section.right_margin) / 635)
    results: dict[str, Any] = {}
    hyperlink, end_char = qn("w:hyperlink"), qn("w:fldChar")
    for p in doc.element.body.iter(qn("w:p")):
        style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        if style is None or not (style.get(qn("w:val")) or "").replace(" ", "").startswith("TOC"):
            continue
        link = p.find(hyperlink)
        anchor = link.get(qn("w:anchor")) if link is not None else None
        if not anchor or anchor in results:
            continue
        props = p.get_or_add_pPr()
        tabs = OxmlElement("w:tabs")
        tab = OxmlElement("w:tab")
        tab.set(qn("w:val"), "right")
        tab.set(qn("w:leader"), "dot")
        tab.set(qn("w:pos"), str(width))
        tabs.append(tab)
        props.append(tabs)
        pieces = [OxmlElement("w:r")]
        pieces[0].append(OxmlElement("w:tab"))
        for kind in ("begin", "instr", "separate", "result", "end"):
            run = OxmlElement("w:r")
            if kind == "instr":
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = f" PAGEREF {anchor} \\h "
                run.append(instr)
            elif kind == "result":
                text = OxmlElement("w:t")
                text.text = _PAGE_PLACEHOLDER
                run.append(text)
                results[anchor] = text
            else:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                run.append(char)
            pieces.append(run)
        # The last entry ends the TOC field: the page goes before that end.
        closing = next(
            (
                r
                for r in p.findall(qn("w:r"))
                if (c := r.find(end_char)) is not None and c.get(qn("w:fldCharType")) == "end"
            ),
            None,
        )
        for piece in pieces:
            if closing is not None:
                closing.addprevious(piece)
            else:
                p.append(piece)
    return results


_MARGIN_NUMBER = re.compile(r"^\d+ ")
# pdftotext gives a right-to-left line in visual order, with embedding marks: a heading
# "1.1 Title" set right to left reads "Title 1.1", a contents entry starts with its leader.
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TRAILING_NUMBER = re.compile(r"\s*(\.?)(\d+(?:\.\d+)*)(\.?)$")
_LEADER = re.compile(r"^[.…\s\u2007\d]*(?=\D)")


_LAM_ALEF = re.compile("[\u0622\u0623\u0625\u0627\u0644\ufef5-\ufefc]")


def _word_key(text: str) -> str:
    """Return a line's words in sorted order: what a heading and its visual print share.

    Alef and lam are left out: pdftotext reads the lam-alef ligature as alef, lam.
    """
    words = re.findall(r"\w+", _LAM_ALEF.sub("", text.casefold()))
    return "\x00" + " ".join(sorted(words))


def _line_variants(raw: str, *, right_to_left: bool = False) -> set[str]:
    """Return the forms a printed line may match a heading in (either direction when RTL)."""
    squeezed = _squeezed(raw)
    variants = {squeezed, _MARGIN_NUMBER.sub("", squeezed)}
    if right_to_left:
        variants.add(_word_key(raw))
        plain = _squeezed(_BIDI_MARKS.sub("", raw))
        plain = _LEADER.sub("", plain) if plain[:1] in ".…\u2007" else plain
        variants.add(plain)
        moved = _TRAILING_NUMBER.search(plain)
        if moved and moved.start() > 0:
            dot = "." if moved.group(1) or moved.group(3) else ""
            variants.add(f"{moved.group(2)}{dot} {plain[: moved.start()].strip()}")
    return variants


_QUOTES = str.maketrans("‘’“”", "''\"\"")


def _squeezed(text: str) -> str:
    text = text.translate(_QUOTES)  # the print has typographic quotes, a title may not
    return re.sub(r"\s+", " ", text).strip().casefold()


def contents_pages(
    pdf: bytes, toc: list[TocEntry], *, right_to_left: bool = False
) -> dict[str, int]:
    """Return anchor → page of each contents entry's heading in a PDF of the document.

    The contents themselves list every title, so the search starts after the
    line holding the last entry of the contents, and goes on in reading order
    (each heading after the one before), as pdftotext reads the pages.
    """
    if not toc:
        return {}
    with tempfile.TemporaryDirectory(prefix="workbench-pages-") as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=PDF_TIMEOUT,
        ).stdout
    # Every line with its page, in reading order.
    lines = [
        (number, variant)
        for number, page in enumerate(text.split("\f"), start=1)
        for raw in page.splitlines()
        if raw.strip()
        # A line number in the margin may come first.
        for variant in _line_variants(raw, right_to_left=right_to_left)
    ]

    def heading_at(start: int, title: str) -> int | None:
        # A heading may wrap: its first line begins the title, or the title is all of it.
        head = _squeezed(title)
        key = _word_key(title) if right_to_left else head
        return next(
            (
                i
                for i in range(start, len(lines))
                if (line := lines[i][1]) == head
                or line == key
                or line.startswith(head)
                or (len(line) >= 12 and head.startswith(line))
            ),
            None,
        )

    at = heading_at(0, toc[-1].title)  # the last line of the contents
    if at is None:
        return {}
    found: dict[str, int] = {}
    for entry in toc:
        where = heading_at(at + 1, entry.title)
        if where is None:
            continue
        found[entry.anchor] = lines[where][0]
        at = where
    return found


def finish_docx(doc: Any, draft: Draft) -> None:
    """Add the cover, the contents, headers and footers and the comments to pandoc's DOCX."""
    words = draft.words

    def typeset(text: str) -> str:
        """Return text with its apostrophes as pandoc typesets the body's (another language)."""
        return text if words.english else _IN_WORD_APOSTROPHE.sub("’", text)

    props = doc.core_properties
    props.title = draft.title
    props.subject = draft.theme
    props.author = "; ".join(draft.team.get(Role.cla, []))
    props.comments = words("doc.footer_version", stage=draft.stage_line, version=draft.version)
    props.keywords = words("doc.synthesis_report")
    if draft.language is not None:
        props.language = draft.words.csl_locale
    body = doc.element.body
    if words.right_to_left:
        _directions_by_content(doc)
    first = body[0]
    cover: list[Any] = []

    def para(
        text: str = "",
        style: str | None = None,
        *,
        size: float | None = None,
        bold: bool = False,
        colour: RGBColor | None = None,
        align: Any = None,
    ) -> Paragraph:
        paragraph = doc.add_paragraph(style=style)
        text = typeset(text)
        if text:
            run = paragraph.add_run(text)
            run.bold = bold
            if size:
                run.font.size = Pt(size)
            if colour is not None:
                run.font.color.rgb = colour
        if align is not None:
            paragraph.alignment = align
        if words.right_to_left:
            _set_right_to_left(paragraph._p)
        cover.append(paragraph._p)
        return paragraph

    if draft.stamp:
        _cover_stamp(
            para(
                draft.stamp.upper(),
                size=16,  # the largest that keeps the stamp on one line of A4
                bold=True,
                colour=STAMP_RED,
                align=WD_ALIGN_PARAGRAPH.CENTER,
            )
        )
    para(words("doc.synthesis_report"), "Subtitle")
    para(draft.title, "Title")
    if draft.theme:
        para(words("doc.theme_line", theme=draft.theme), "Subtitle")
    if draft.text_line:
        para(draft.text_line, "Subtitle")
    para()
    facts = [
        ("doc.label.stage", draft.stage_line),
        ("doc.label.date", words.date(draft.date)),
        ("doc.label.version", draft.version),
    ]
    if draft.language:
        facts.append(("doc.label.language", words.language_name()))
    for label, value in facts:
        paragraph = para()
        paragraph.add_run(typeset(f"{words.label(label)}{words.gap}")).bold = True
        paragraph.add_run(typeset(value))
    if draft.translation_note:
        para(draft.translation_note, size=9, colour=RGBColor(0x59, 0x59, 0x59))
    para()
    para(words("doc.author_team"), "Heading 3")
    for role, names in draft.team.items():
        paragraph = para()
        title = words.label(f"doc.team.{role.value}")
        paragraph.add_run(typeset(f"{title}{words.gap}")).bold = True
        paragraph.add_run(", ".join(_with_country(name, draft.countries) for name in names))
    para()
    note = words("doc.draft_note") if draft.stamp else words("doc.approved_note")
    para(note, size=9, colour=RGBColor(0x59, 0x59, 0x59))
    for line in numbering_note(draft):
        para(line, size=9, colour=RGBColor(0x59, 0x59, 0x59))
    if draft.under_review is not None and draft.comments:
        para(
            words("doc.comments_in_margin", round=draft.under_review.name),
            size=9,
            colour=RGBColor(0x59, 0x59, 0x59),
        )
    breaker = para()
    breaker.add_run().add_break(WD_BREAK.PAGE)
    toc_title = para(words("doc.contents"), "Heading 3")
    toc_title.paragraph_format.page_break_before = False
    for element in _toc_elements(doc, draft.toc):
        if words.right_to_left:
            _set_right_to_left(element)
        cover.append(element)
    for element in cover:
        first.addprevious(element)
    _headers_and_footers(doc, draft)
    _finish_tables(doc, words)
    _position_breaks(doc)
    _margin_numbers(doc)
    _keep_recommendations_together(doc)
    _keep_tables_with_their_lead(doc)
    _right_to_left_references(doc)
    if words.right_to_left:
        _right_to_left_tables(doc)
    _add_comments(doc, draft)
    _update_fields_on_open(doc)


def _directions_by_content(doc: Any) -> None:
    """In a right-to-left document, set left to right what the authors wrote in English.

    pandoc sets every paragraph of a ``dir: rtl`` document right to left; a paragraph
    (a cell's too) whose first letter is not Arabic or Hebrew — a finding's statement,
    an actor's name, a heading of a section not yet translated — reads left to right,
    its full stop at its end, and its Latin runs are not marked right to left.
    """
    for paragraph in doc.element.body.iter(qn("w:p")):
        bidi = paragraph.find(f"{qn('w:pPr')}/{qn('w:bidi')}")
        if bidi is None:
            continue
        first = STRONG.search(_cell_text(paragraph))
        if first is None or RIGHT_TO_LEFT.match(first.group(0)):
            continue
        bidi.getparent().remove(bidi)
        for run in paragraph.iter(qn("w:r")):
            if RIGHT_TO_LEFT.search("".join(t.text or "" for t in run.iter(qn("w:t")))):
                continue
            for mark in run.findall(f"{qn('w:rPr')}/{qn('w:rtl')}"):
                mark.getparent().remove(mark)


def _set_right_to_left(paragraph: Any) -> None:
    """Lay a paragraph out right to left (``w:bidi``, in the schema's order), once."""
    props = paragraph.find(qn("w:pPr"))
    if props is None:
        props = OxmlElement("w:pPr")
        paragraph.insert(0, props)
    if props.find(qn("w:bidi")) is not None:
        return
    bidi = OxmlElement("w:bidi")
    following = [c for c in props if c.tag in BIDI_FOLLOWERS]
    if following:
        following[0].addprevious(bidi)
    else:
        props.append(bidi)


def _right_to_left_tables(doc: Any) -> None:
    """Give a right-to-left document's tables their columns from right to left.

    A table whose header row runs right to left (pandoc sets ``w:bidi`` under
    ``dir: rtl``) gets ``w:bidiVisual``: its first column stands on the right.
    Tables of a section still in English (left to right) keep their order.
    """
    for table in doc.element.body.iter(qn("w:tbl")):
        header = table.find(qn("w:tr"))
        if header is None or not header.xpath("./w:tc/w:p/w:pPr/w:bidi"):
            continue
        props = table.find(qn("w:tblPr"))
        if props is None or props.find(qn("w:bidiVisual")) is not None:
            continue
        visual = OxmlElement("w:bidiVisual")
        # The schema's order: tblStyle, tblpPr, tblOverlap, then bidiVisual.
        leading = [
            c for c in props if c.tag in (qn("w:tblStyle"), qn("w:tblpPr"), qn("w:tblOverlap"))
        ]
        if leading:
            leading[-1].addnext(visual)
        else:
            props.insert(0, visual)


def _cell_text(element: Any) -> str:
    """Return an element's text without its line-number runs."""
    texts = []
    for run in element.iter(qn("w:r")):
        style = run.find(f"{qn('w:rPr')}/{qn('w:rStyle')}")
        if style is not None and style.get(qn("w:val")) == LINE_STYLE_ID:
            continue
        texts.extend(t.text or "" for t in run.iter(qn("w:t")))
    return "".join(texts).strip()


def _right_to_left_references(doc: Any) -> None:
    """Set references written in Arabic or Hebrew right to left, as their readers read them.

    Their right-to-left runs take the complex-script font at the text's size. In
    the other paragraphs the Arabic or Hebrew words, such as the author of a
    citation "(صالح 2023)", are set right to left and in order
    (:func:`workbench.citation_forms.isolate_right_to_left`).
    """
    # Imported where it is used: only the Word finish needs it.
    styles = citation_forms.InheritedStyles(doc)
    for paragraph in doc.element.body.iter(qn("w:p")):
        style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        if style is None or style.get(qn("w:val")) != "Bibliography":
            continue
        first = STRONG.search(_cell_text(paragraph))
        if first is None or not RIGHT_TO_LEFT.match(first.group(0)):
            continue
        props = paragraph.find(qn("w:pPr"))
        bidi = OxmlElement("w:bidi")
        following = [c for c in props if c.tag in BIDI_FOLLOWERS]  # the schema's order
        if following:
            following[0].addprevious(bidi)
        else:
            props.append(bidi)
        for run in paragraph.iter(qn("w:r")):
            letters = STRONG.findall("".join(t.text or "" for t in run.iter(qn("w:t"))))
            if letters and all(RIGHT_TO_LEFT.match(c) for c in letters):
                citation_forms.mark_right_to_left(run, styles, "Bibliography")
    citation_forms.isolate_right_to_left(doc)


def _finish_tables(doc: Any, words: Words | None = None) -> None:
    """Keep rows whole across pages, repeat headers, right-align numbers, caption tables.

    In the review copy a table's line numbers move into a margin column.
    """
    section = doc.sections[0]
    width = int((section.page_width - section.left_margin - section.right_margin) / 635)
    for table in list(doc.element.body.iter(qn("w:tbl"))):
        rows = table.findall(qn("w:tr"))
        for index, row in enumerate(rows):
            props = row.find(qn("w:trPr"))
            if props is None:
                props = OxmlElement("w:trPr")
                row.insert(0, props)
            props.append(OxmlElement("w:cantSplit"))
            if index == 0:
                props.append(OxmlElement("w:tblHeader"))  # the header row repeats on each page
        cells = [row.findall(qn("w:tc")) for row in rows]
        for column in range(max((len(r) for r in cells), default=0)):
            body = [r[column] for r in cells[1:] if column < len(r)]
            texts = [_cell_text(cell) for cell in body]
            if not any(texts) or not all(NUMBER.fullmatch(t) for t in texts if t):
                continue
            for row in cells:
                if column < len(row):
                    for p in row[column].findall(qn("w:p")):
                        Paragraph(p, None).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _caption_above(table, words)
        _margin_column(table, width)


def _caption_above(table: Any, words: Words | None = None) -> None:
    """Turn "Table 1.2. Text" under a table into the caption "Table 1.2 | Text" above it.

    In another language the caption may begin with the language's word ("Tableau 1.2."),
    and the label is written in it.
    """
    caption = table.getnext()
    if caption is None or caption.tag != qn("w:p"):
        return
    word = words("doc.table_caption") if words is not None else "Table"
    pattern = CAPTION
    if word != "Table":
        pattern = re.compile(rf"(?:Table|{re.escape(word)})\s*(\d+(?:\.\d+)*)\.?\s")
    match = pattern.match(_cell_text(caption))
    if match is None:
        return
    for t in caption.iter(qn("w:t")):
        if t.text and t.text.lstrip().startswith(match.group(0).strip()):
            rest = t.text.lstrip()[len(match.group(0).strip()) :].lstrip()
            t.text = rest
            run = t.getparent()
            label = OxmlElement("w:r")
            bold = OxmlElement("w:rPr")
            bold.append(OxmlElement("w:b"))
            label.append(bold)
            text = OxmlElement("w:t")
            text.set(qn("xml:space"), "preserve")
            text.text = f"{word} {match.group(1)} | "
            label.append(text)
            run.addprevious(label)
            break
    for run in caption.iter(qn("w:r")):
        italic = run.find(f"{qn('w:rPr')}/{qn('w:i')}")
        if italic is not None:
            italic.getparent().remove(italic)
    props = caption.get_or_add_pPr()
    style = props.find(qn("w:pStyle"))
    if style is None:
        style = OxmlElement("w:pStyle")
        props.insert(0, style)
    style.set(qn("w:val"), "TableCaption")
    # Above its table even in the review copy, where its line number then stands before the
    # rows' (smaller) ones: each line keeps its own number, which is what a reviewer cites.
    table.addprevious(caption)


# The gutter left of the text where line numbers stand, in twentieths of a point (0.9 cm).
GUTTER = 510
# A line-number run, as an XPath step from its paragraph.
_MARKER_PATH = f'w:r[w:rPr/w:rStyle/@w:val="{LINE_STYLE_ID}"]'
# A table's cells start this far left of their text (Word's default cell margin), so a
# number in a table's margin column stands where a paragraph's does.
_CELL_MARGIN = 108


def _first_run(paragraph: Any) -> Any | None:
    """Return a paragraph's first run (bookmarks and properties aside), or None."""
    for child in paragraph:
        if child.tag == qn("w:r"):
            return child
        if child.tag not in (qn("w:pPr"), qn("w:bookmarkStart"), qn("w:bookmarkEnd")):
            return None
    return None


def _opens_with_marker(paragraph: Any) -> Any | None:
    """Return the line-number run a paragraph begins with, or None."""
    run = _first_run(paragraph)
    return run if run is not None and _marker_number(run) is not None else None


def _tab_after(marker: Any) -> None:
    """Put a tab after a line number in place of the space pandoc wrote there."""
    following = marker.getnext()
    if following is not None and following.tag == qn("w:r"):
        texts = following.findall(qn("w:t"))
        if texts and (texts[0].text or "").startswith(" "):
            texts[0].text = texts[0].text[1:]
            if not texts[0].text and len(following) == len(texts) + (
                following.find(qn("w:rPr")) is not None
            ):
                following.getparent().remove(following)
    tab = OxmlElement("w:r")
    tab.append(OxmlElement("w:tab"))
    marker.addnext(tab)


def _style_indents(doc: Any) -> Callable[[str], int]:
    """Return a function giving a paragraph style's left indent (twips), following basedOn."""
    styles = {s.get(qn("w:styleId")): s for s in doc.styles.element.iterchildren(qn("w:style"))}
    known: dict[str, int] = {}

    def indent(style_id: str, depth: int = 0) -> int:
        if style_id in known:
            return known[style_id]
        style = styles.get(style_id)
        value = 0
        if style is not None and depth < 10:
            ind = style.find(f"{qn('w:pPr')}/{qn('w:ind')}")
            left = None if ind is None else ind.get(qn("w:left")) or ind.get(qn("w:start"))
            if left is not None:
                value = int(left)
            else:
                based = style.find(qn("w:basedOn"))
                if based is not None:
                    value = indent(based.get(qn("w:val")), depth + 1)
        known[style_id] = value
        return value

    return indent


def _margin_numbers(doc: Any) -> None:
    """Set each numbered line's number in the left margin, the text where the style puts it.

    The paragraph gets a hanging indent: its first line starts a gutter left of the
    text block, where the number stands, then a tab to the style's own left indent.
    A line followed by the next line of the same paragraph of the source (numbers
    one apart: a blank line would take a number) keeps no space after it, so that
    the sentences of a paragraph read as one.
    """
    indent_of = _style_indents(doc)
    body = doc.element.body
    marked: list[tuple[Any, int]] = []
    # Only paragraphs of the body (not of a table) holding a line number are looked at.
    for paragraph in body.xpath(f"./w:p[{_MARKER_PATH}]"):
        marker = _opens_with_marker(paragraph)
        if marker is None:
            continue
        props = _paragraph_properties(paragraph)
        style = props.find(qn("w:pStyle"))
        style_id = style.get(qn("w:val")) if style is not None else "Normal"
        left = indent_of(style_id)
        ind = props.find(qn("w:ind"))
        if ind is None:
            ind = OxmlElement("w:ind")
            props.append(ind)
        elif ind.get(qn("w:left")) is not None:
            left = int(ind.get(qn("w:left")))
        for name in ("firstLine", "hanging", "start", "end"):
            ind.attrib.pop(qn(f"w:{name}"), None)
        ind.set(qn("w:left"), str(left))
        ind.set(qn("w:hanging"), str(left + GUTTER))
        tabs = props.find(qn("w:tabs"))
        if tabs is None:
            tabs = OxmlElement("w:tabs")
            props.append(tabs)
        stop = OxmlElement("w:tab")
        stop.set(qn("w:val"), "left")
        stop.set(qn("w:pos"), str(left))
        tabs.insert(0, stop)
        _order_paragraph_properties(props)
        _tab_after(marker)
        marked.append((paragraph, _marker_number(marker) or 0))
    for (paragraph, number), (following, next_number) in pairwise(marked):
        if paragraph.getnext() is following and next_number == number + 1:
            same = _style_of(paragraph) == _style_of(following) or {
                _style_of(paragraph),
                _style_of(following),
            } <= {"FirstParagraph", "BodyText"}
            if same:
                Paragraph(paragraph, None).paragraph_format.space_after = Pt(0)
                Paragraph(following, None).paragraph_format.space_before = Pt(0)


def _paragraph_properties(paragraph: Any) -> Any:
    """Return the paragraph's ``w:pPr``, added as its first child when missing.

    As python-docx's ``get_or_add_pPr``, without its search for where the element
    goes (it is always first): a long report's margin numbers asked it 11,000 times.
    """
    props = paragraph.find(qn("w:pPr"))
    if props is None:
        props = OxmlElement("w:pPr")
        paragraph.insert(0, props)
    return props


def _style_of(paragraph: Any) -> str:
    style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return style.get(qn("w:val")) if style is not None else ""


def _order_paragraph_properties(props: Any) -> None:
    rank = {tag: index for index, tag in enumerate(_PPR_ORDER)}
    children = sorted(props, key=lambda child: rank.get(child.tag, len(rank)))
    for child in children:
        props.append(child)


def _margin_column(table: Any, width: int) -> None:
    """Move a table's line numbers into a narrow first column set into the left margin.

    The numbers were written at the start of each row's first cell; the new column
    is a gutter wide and the table is indented by minus that, so the numbers stand
    where a paragraph's do and the table keeps the text's width.
    """
    if not table.xpath(f"./w:tr/w:tc[1]/w:p[1]/{_MARKER_PATH}"):
        return
    rows = table.findall(qn("w:tr"))
    markers = []
    for row in rows:
        cell = row.find(qn("w:tc"))
        paragraph = cell.find(qn("w:p")) if cell is not None else None
        markers.append(_opens_with_marker(paragraph) if paragraph is not None else None)
    props = table.find(qn("w:tblPr"))
    table_width = props.find(qn("w:tblW"))
    if table_width is None:
        table_width = OxmlElement("w:tblW")
        props.append(table_width)
    table_width.set(qn("w:type"), "dxa")
    table_width.set(qn("w:w"), str(width + GUTTER))
    indent = props.find(qn("w:tblInd"))
    if indent is None:
        indent = OxmlElement("w:tblInd")
        layout = props.find(qn("w:tblLayout"))
        (layout if layout is not None else table_width).addnext(indent)
    indent.set(qn("w:w"), str(-GUTTER))
    indent.set(qn("w:type"), "dxa")
    grid = table.find(qn("w:tblGrid"))
    columns = grid.findall(qn("w:gridCol"))
    total = sum(int(c.get(qn("w:w")) or 0) for c in columns) or 1
    for column in columns:
        column.set(qn("w:w"), str(int(int(column.get(qn("w:w")) or 0) * width / total)))
    gutter = OxmlElement("w:gridCol")
    gutter.set(qn("w:w"), str(GUTTER))
    grid.insert(0, gutter)
    for row, marker in zip(rows, markers, strict=True):
        cell = parse_xml(
            f"<w:tc {nsdecls('w')}><w:tcPr>"
            f'<w:tcW w:w="{GUTTER}" w:type="dxa"/>'
            "<w:tcBorders>"
            + "".join(
                f'<w:{side} w:val="nil"/>'
                for side in ("top", "left", "bottom", "right", "insideH", "insideV")
            )
            + "</w:tcBorders>"
            f'<w:tcMar><w:left w:w="{_CELL_MARGIN}" w:type="dxa"/>'
            '<w:right w:w="0" w:type="dxa"/></w:tcMar>'
            '</w:tcPr><w:p><w:pPr><w:pStyle w:val="Compact"/></w:pPr></w:p></w:tc>'
        )
        if marker is not None:
            following = marker.getnext()
            if following is not None and following.tag == qn("w:r"):
                texts = following.findall(qn("w:t"))
                if texts and (texts[0].text or "").startswith(" "):
                    texts[0].text = texts[0].text[1:]
            cell.find(qn("w:p")).append(marker)
        first = row.find(qn("w:tc"))
        first.addprevious(cell)


def _position_breaks(doc: Any) -> None:
    """Put each actor's position in the consensus register on a line of its own (a w:br)."""
    mark = report_parts.POSITION_BREAK
    for text in doc.element.body.xpath(f'.//w:t[contains(., "{mark}")]'):
        pieces = text.text.split(mark)
        text.text = pieces[0]
        text.set(qn("xml:space"), "preserve")
        at = text
        for piece in pieces[1:]:
            line_break = OxmlElement("w:br")
            at.addnext(line_break)
            following = OxmlElement("w:t")
            following.set(qn("xml:space"), "preserve")
            following.text = piece.lstrip()
            line_break.addnext(following)
            at = following


def _keep_recommendations_together(doc: Any) -> None:
    """Keep each recommendation on the page of its context table, and the table whole.

    In the recommendations (up to the next level-1 heading) every paragraph keeps
    with the next, in the tables too, except those of a table's last row: a page
    may break between two recommendations, not inside one.
    """
    body = doc.element.body
    anchor = report_parts.RECOMMENDATIONS.anchor
    inside = starting = False
    for element in body.iterchildren(qn("w:p"), qn("w:tbl"), qn("w:bookmarkStart")):
        if element.tag == qn("w:bookmarkStart"):
            # pandoc may put a heading's bookmark just before its paragraph.
            starting = starting or element.get(qn("w:name")) == anchor
        elif element.tag == qn("w:p"):
            if _style_of(element) == "Heading1":
                names = {b.get(qn("w:name")) for b in element.iter(qn("w:bookmarkStart"))}
                inside, starting = starting or anchor in names, False
                continue
            if inside and _cell_text(element):
                Paragraph(element, None).paragraph_format.keep_with_next = True
        elif inside:
            rows = element.findall(qn("w:tr"))
            for row in rows[:-1]:
                for paragraph in row.iter(qn("w:p")):
                    Paragraph(paragraph, None).paragraph_format.keep_with_next = True


def _keep_tables_with_their_lead(doc: Any) -> None:
    """Keep the paragraph before a table, and its header row, with the table's first row.

    A part's heading and its introduction would otherwise end a page with the
    table starting on the next (its rows do not split).
    """
    for table in doc.element.body.iterchildren(qn("w:tbl")):
        before = table.getprevious()
        if before is not None and before.tag == qn("w:p") and _cell_text(before):
            Paragraph(before, None).paragraph_format.keep_with_next = True
        header = table.find(qn("w:tr"))
        if header is not None and header.getnext() is not None:
            for paragraph in header.iter(qn("w:p")):
                Paragraph(paragraph, None).paragraph_format.keep_with_next = True


def _cover_stamp(paragraph: Paragraph) -> None:
    """Frame the cover's draft stamp in red, like a rubber stamp, so no reader misses it."""
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "18")  # eighths of a point
        edge.set(qn("w:space"), "6")
        edge.set(qn("w:color"), str(STAMP_RED))
        borders.append(edge)
    paragraph._p.get_or_add_pPr().append(borders)
    paragraph.paragraph_format.space_after = Pt(24)


def _with_country(name: str, countries: dict[str, str]) -> str:
    """Return "Name (Country)" when the workspace knows the person's country, else the name."""
    country = countries.get(name, "").strip()
    return f"{name} ({country})" if country else name


_IN_WORD_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")


def _toc_elements(doc: Any, entries: list[TocEntry]) -> list[Any]:
    """Return the paragraphs of a TOC field whose entries are already filled in."""
    elements = []
    for index, entry in enumerate(entries):
        paragraph = doc.add_paragraph(style=f"TOC {min(entry.level, 2)}")
        p = paragraph._p
        if index == 0:
            _field_char(p, "begin")
            _instr(p, 'TOC \\o "1-2" \\h \\z \\u')
            _field_char(p, "separate")
        link = OxmlElement("w:hyperlink")
        link.set(qn("w:anchor"), entry.anchor)
        link.set(qn("w:history"), "1")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        # The heading is typeset by pandoc (council’s): the contents say it the same way.
        text.text = _IN_WORD_APOSTROPHE.sub("’", entry.title)
        text.set(qn("xml:space"), "preserve")
        run.append(text)
        link.append(run)
        p.append(link)
        if index == len(entries) - 1:
            _field_char(p, "end")
        elements.append(p)
    return elements


def _field_char(p: Any, kind: str) -> None:
    run = OxmlElement("w:r")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        char.set(qn("w:dirty"), "true")
    run.append(char)
    p.append(run)


def _instr(p: Any, instruction: str) -> None:
    run = OxmlElement("w:r")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run.append(text)
    p.append(run)


def _simple_field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    field_el = OxmlElement("w:fldSimple")
    field_el.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = placeholder
    run.append(text)
    field_el.append(run)
    paragraph._p.append(field_el)


def _headers_and_footers(doc: Any, draft: Draft) -> None:
    """Write the running header (report and chapter) and the footer (marking and pages)."""
    title = (
        draft.title
        if len(draft.title) <= HEADER_TITLE_CHARS
        else (draft.title[: HEADER_TITLE_CHARS - 1].rstrip() + "…")
    )
    chapters = ["", *_chapter_sections(doc)]
    for index, (section, chapter) in enumerate(zip(doc.sections, chapters, strict=True)):
        header = section.header
        header.is_linked_to_previous = False
        line = header.paragraphs[0]
        line.text = ""
        line.style = doc.styles["Header"]
        line.add_run(title + ("\t\t" + chapter if chapter else ""))
        if draft.words.right_to_left:
            _set_right_to_left(line._p)
        if index == 0:
            # The cover has no running header, but a draft's marking is on every page, cover too.
            section.different_first_page_header_footer = True
            for footer in (section.footer, section.first_page_footer):
                footer.is_linked_to_previous = False
                _footer(doc, footer, draft)
        # Later sections keep the first section's footer (linked), so page numbers run on.


def _chapter_sections(doc: Any) -> list[str]:
    """Start a section at each chapter (Heading 1) and return the chapters' titles.

    A section of its own gives each chapter a running header that names it, in Word and in
    LibreOffice alike (LibreOffice 7 does not fill Word's STYLEREF field).
    """
    body = doc.element.body
    final = body.find(qn("w:sectPr"))
    titles = []
    for heading in list(body.iterchildren(qn("w:p"))):
        style = heading.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        if style is None or style.get(qn("w:val")) != "Heading1":
            continue
        titles.append(_cell_text(heading))
        # A section's properties close it: this paragraph ends the section before the chapter.
        closing = deepcopy(final)
        for child in list(closing):
            if child.tag in (qn("w:headerReference"), qn("w:footerReference"), qn("w:titlePg")):
                closing.remove(child)
        end = OxmlElement("w:p")
        props = OxmlElement("w:pPr")
        props.append(closing)
        end.append(props)
        heading.addprevious(end)
    return titles


def _footer(doc: Any, footer: Any, draft: Draft) -> None:
    """Write one footer: IPCC marking, page, total pages; then the stage and version."""
    line = footer.paragraphs[0]
    line.text = ""
    line.style = doc.styles["Footer"]
    words = draft.words
    marking = line.add_run(words("doc.draft_marking" if draft.stamp else "doc.approved"))
    marking.bold = bool(draft.stamp)
    for concept, name, field_code in (
        ("doc.footer_page", "page", "PAGE"),
        ("doc.footer_total_pages", "pages", "NUMPAGES"),
    ):
        before, __, after = words[concept].partition("{" + name + "}")
        line.add_run("\t" + before)
        _simple_field(line, field_code, "1")
        if after:
            line.add_run(after)
    facts = footer.add_paragraph(
        words("doc.footer_version", stage=draft.stage_line, version=draft.version)
    )
    facts.style = line.style
    facts.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if words.right_to_left:
        for paragraph in (line, facts):
            _set_right_to_left(paragraph._p)
    for run in facts.runs:
        run.font.size = Pt(7)


def _update_fields_on_open(doc: Any) -> None:
    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.append(update)


def _marker_number(run: Any) -> int | None:
    props = run.find(qn("w:rPr"))
    if props is None:
        return None
    style = props.find(qn("w:rStyle"))
    if style is None or style.get(qn("w:val")) not in ("LineNumber", LINE_STYLE):
        return None
    text = "".join(t.text or "" for t in run.iter(qn("w:t"))).strip()
    return int(text) if text.isdigit() else None


_PART_BY_ANCHOR = {spec.anchor: spec.code for spec in report_parts.SPECS}


def line_runs(doc: Any) -> dict[int | str, dict[int, tuple[Any, Any]]]:
    """Return where each line is in an exported DOCX: key → line → (marker run, last run).

    The key is a section's id or a part's code (``KF``…). pandoc puts a section's
    bookmark (``sec-<id>``) or a part's (its anchor, ``key-findings``…) in its
    heading; a level-1 heading (a question, an annex) ends a section or part. A
    line runs from its number to the last run of its paragraph or, in a table, of
    its row.
    """
    result: dict[int | str, dict[int, tuple[Any, Any]]] = {}
    current: dict[int, tuple[Any, Any]] | None = None
    line: int | None = None
    scope: Any = None  # the paragraph or table row the current line lives in
    # pandoc may put a heading's bookmark just before it (a section break can come between):
    # a bookmark seen since the last paragraph with text belongs to the next heading.
    fresh = False
    bookmark, paragraph, run_tag = qn("w:bookmarkStart"), qn("w:p"), qn("w:r")
    cell, row = qn("w:tc"), qn("w:tr")
    for element in doc.element.body.iter(bookmark, paragraph, run_tag):
        if element.tag == bookmark:
            name = element.get(qn("w:name")) or ""
            key: int | str | None = None
            if name.startswith("sec-") and name[4:].isdigit():
                key = int(name[4:])
            elif name in _PART_BY_ANCHOR:
                key = _PART_BY_ANCHOR[name]
            if key is not None:
                current = result.setdefault(key, {})
                line, fresh = None, True
        elif element.tag == paragraph:
            style = element.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            if style is not None and style.get(qn("w:val")) == "Heading1" and not fresh:
                current, line = None, None
            if fresh and any((t.text or "").strip() for t in element.iter(qn("w:t"))):
                fresh = False
            parent = element.getparent()
            container = parent.getparent() if parent.tag == cell else element
            if container is not None and container.tag != row:
                container = element
            if container is not scope:
                line, scope = None, container  # a paragraph or row without a number
        elif current is not None:
            number = _marker_number(element)
            if number is not None:
                line = number
                current[line] = (element, element)
            elif (
                line is not None and "".join(t.text or "" for t in element.iter(qn("w:t"))).strip()
            ):
                current[line] = (current[line][0], element)
    return result


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _comment_xml(
    comment_id: int, author: str, text: str, suggested: str, written: datetime | None = None
) -> str:
    """Return one ``w:comment`` as XML text (the first paragraph carries the annotation mark)."""

    def paragraph(body: str, mark: bool) -> str:
        annotation = (
            '<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr><w:annotationRef/></w:r>'
            if mark
            else ""
        )
        return (
            f'<w:p><w:pPr><w:pStyle w:val="CommentText"/></w:pPr>{annotation}'
            f'<w:r><w:t xml:space="preserve">{_xml_text(body)}</w:t></w:r></w:p>'
        )

    body = paragraph(text, True)
    if suggested.strip():
        body += paragraph(f"Suggested change: {suggested}", False)
    # Word shows the date beside the author in the margin; it reads w:date as UTC.
    dated = f' w:date="{_word_date(written)}"' if written is not None else ""
    return (
        f'<w:comment w:id="{comment_id}" w:author="{_xml_text(author, attribute=True)}"{dated} '
        f'w:initials="{_xml_text(_initials(author), attribute=True)}">{body}</w:comment>'
    )


def _word_date(moment: datetime) -> str:
    """Return a time as Word's comment dates write it, in UTC (a naive time is UTC already)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml_text(text: str, *, attribute: bool = False) -> str:
    return xml_escape(_XML_ILLEGAL.sub("", text), {'"': "&quot;"} if attribute else {})


def _add_comments(doc: Any, draft: Draft) -> None:
    """Anchor each open comment at its lines as a Word comment.

    python-docx's ``add_comment`` looks for the next free id among all comments
    each time, which is quadratic: a round with ten thousand open comments took
    minutes. Here the comments are written as one piece of XML and the range
    marks placed directly, with ids counted once.
    """
    if not draft.comments:
        return
    anchors = {key: (sorted(lines), lines) for key, lines in line_runs(doc).items()}
    store = doc.comments._comments_elm  # creates the comments part when missing
    next_id = 1 + max((int(i) for i in store.xpath("./w:comment/@w:id")), default=-1)
    w_id, r_tag, rpr_tag, rstyle_tag, val = (
        qn("w:id"),
        qn("w:r"),
        qn("w:rPr"),
        qn("w:rStyle"),
        qn("w:val"),
    )
    start_tag, end_tag, ref_tag = (
        qn("w:commentRangeStart"),
        qn("w:commentRangeEnd"),
        qn("w:commentReference"),
    )
    pieces: list[str] = []
    unplaced = []
    for c in draft.comments:
        key = c.section_id if c.section_id is not None else c.part
        numbers, lines = anchors.get(key, ([], {}))
        start, end = _nearest(numbers, lines, c.from_line), _nearest(numbers, lines, c.to_line)
        if start is None or end is None:
            unplaced.append(c)
            continue
        comment_id = str(next_id)
        # A comment on a part names what it is on: "No. 15 (Substantive, F6 in KF, lines 10)"
        # (no brackets inside: docx_import recognises the comments it wrote by this form).
        on = ""
        if c.section_id is None:
            inside = "" if c.part in ("", c.section_code) else f" in {c.part}"
            on = f"{c.section_code}{inside}, "
        text = f"No. {c.number} ({c.kind}, {on}lines {c.lines()}): {c.comment}"
        pieces.append(_comment_xml(next_id, c.reviewer, text, c.suggested_change, c.created_at))
        next_id += 1
        first, last = start[0], end[1]
        first.addprevious(first.makeelement(start_tag, {w_id: comment_id}))
        reference = last.makeelement(r_tag, {})
        props = etree.SubElement(reference, rpr_tag)
        etree.SubElement(props, rstyle_tag, {val: "CommentReference"})
        etree.SubElement(reference, ref_tag, {w_id: comment_id})
        last.addnext(reference)
        last.addnext(last.makeelement(end_tag, {w_id: comment_id}))
    if pieces:
        parsed = parse_xml(f"<w:comments {nsdecls('w')}>{''.join(pieces)}</w:comments>")
        store.extend(list(parsed))
    if unplaced:
        draft.warnings.append(
            f"{len(unplaced)} open comments could not be anchored in the text "
            f"(numbers {', '.join(str(c.number) for c in unplaced[:20])})."
        )


def _nearest(
    numbers: list[int], lines: dict[int, tuple[Any, Any]], line: int
) -> tuple[Any, Any] | None:
    """Return the marked line at or just before ``line`` (blank lines carry no mark)."""
    at = bisect.bisect_right(numbers, line)
    return lines[numbers[at - 1]] if at else None


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split() if part[:1].isalpha())[:3].upper()


# --------------------------------------------------------------------------- PDF


def libreoffice() -> str | None:
    """Return the path of LibreOffice's ``soffice``, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(
    content: bytes, *, timeout: float = PDF_TIMEOUT, office: EarlyOffice | None = None
) -> bytes:
    """Return the PDF LibreOffice makes of a Word document (headless, private profile).

    With ``office`` the print is handed to that early LibreOffice; when it cannot
    take it (it printed already, died or is not ready) a LibreOffice of its own
    prints the document, as without.
    """
    program = libreoffice()
    if program is None:
        raise ValidationError(NO_OFFICE)
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="workbench-pdf-") as folder:
        work = Path(folder)
        source = work / "report.docx"
        source.write_bytes(content)
        try:
            handed = office.print_pdf(source, work, timeout=timeout) if office is not None else None
            if handed is not None:
                return handed.read_bytes()
            # A profile of its own: two conversions at once would otherwise share (and lock) one.
            command = convert_command(program, work / "profile", source, work)
            code, said = run_soffice(
                command, home=work, timeout=max(deadline - time.monotonic(), 0.001)
            )
        except subprocess.TimeoutExpired:
            raise ValidationError(
                "LibreOffice did not finish the PDF within {seconds} seconds. Try again, or "
                "download the Word document (same content, same version).",
                seconds=f"{timeout:g}",
            ) from None
        target = work / "report.pdf"
        if code != 0 or not target.exists():
            lines = [line for line in said.splitlines() if "javaldx" not in line]
            if lines:
                raise ValidationError(
                    "LibreOffice could not make the PDF ({said}). Download the Word document "
                    "instead (same content, same version).",
                    said=lines[-1].strip(),
                )
            raise ValidationError(
                "LibreOffice could not make the PDF. Download the Word document instead (same "
                "content, same version)."
            )
        return target.read_bytes()


# --------------------------------------------------------------------------- the entry point


def export_report(
    *,
    session: Session,
    actor: Person,
    report: Report,
    fmt: str,
    language: str | None = "en",
    keep_citations: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
    text: str = "review",
    page_numbers: bool = False,
) -> Exported:
    """Export a report as ``md``, ``docx`` or ``pdf``; return the file, its name and any warnings.

    A PDF is the Word document as LibreOffice prints it, so the two carry the same
    version id and pages. ``text="current"`` exports the current drafts while a
    review round is open (see :func:`gather`). ``page_numbers`` puts the pages in
    the Word contents (one print by LibreOffice, when it is installed); a PDF
    always has them, stamped onto its one print. Off by default for Word: the
    print costs several times what pandoc does (a 300-page report takes half a
    minute more), and Word fills the numbers in itself when it opens the file (it
    updates the fields). ``language`` is English (the default) or another of the
    report's languages the glossary has the document's words in
    (:func:`document_languages`).
    """
    if blank(fmt):
        raise ValidationError("Choose an export format: md, docx or pdf.")
    if fmt not in FORMATS:
        raise ValidationError("'{fmt}' is not an export format: choose md, docx or pdf.", fmt=fmt)
    if keep_citations and fmt != "md":
        raise ValidationError("Citations can be kept as [@key] only in the Markdown export.")
    which = _check_text(text)
    step = progress or (lambda fraction, message: None)
    if fmt == "pdf" and libreoffice() is None:
        raise ValidationError(NO_OFFICE)  # before the work, not after it
    step(0.02, "Reading the report")
    # Word and PDF print the open comments in the margin, not in the body: they are read
    # while pandoc converts the body (see to_docx).
    in_margin = fmt != "md"
    draft = gather(
        session,
        actor,
        report,
        language=language,
        docx=in_margin,
        today=today,
        text=which,
        open_comments=not in_margin,
    )
    margin = (lambda: _open_comments(session, draft.under_review)) if in_margin else None
    suffix = f"-{draft.language}" if draft.language else ""
    name = f"{report.slug}-{draft.version}{suffix}.{fmt}"  # the version id, as on the cover
    if fmt == "md":
        step(0.3, "Rendering citations with pandoc")
        text, csl = to_markdown(draft, keep_citations=keep_citations)
        step(1.0, "Done")
        return Exported(
            filename=name,
            content=text.encode("utf-8"),
            warnings=draft.warnings,
            version=draft.version,
            csl_json=csl.encode("utf-8") if csl else None,
            text=which,
        )
    if fmt == "docx":
        content = to_docx(draft, progress=step, page_numbers=page_numbers, comments=margin)
    else:
        # One print: the contents' page numbers are stamped onto it (see to_docx).
        content = to_docx(draft, progress=step, as_pdf=True, comments=margin)
    return Exported(
        filename=name,
        content=content,
        warnings=draft.warnings,
        version=draft.version,
        text=which,
    )
