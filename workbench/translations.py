"""Translations of a report's sections, and when they fall behind the text.

- A **translation** is one section in one **language** (a BCP-47 code such as
  ``fr`` or ``pt-BR``), with a **status**: not started, in progress, translated,
  reviewed.
- When a translation is marked translated or reviewed it records the section
  **revision** it translates. It is **stale** once the section's head revision
  has moved on: the original changed and the translation must catch up.
- A report is published in its own **languages**; the Panel's default set is
  the ten most spoken languages, :data:`DEFAULT_LANGUAGES`. One of them is the
  **source language** the report is written in, :data:`SOURCE_LANGUAGE` (the
  Panel's working language); the others are its **target languages**, the ones
  it is translated into.
- The **grid** gives every section × target language cell of a report its
  status and stale flag, for the translation dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from workbench import audit
from workbench.errors import NotFound, ValidationError
from workbench.models import (
    Person,
    Report,
    Section,
    SectionRevision,
    Translation,
    TranslationStatus,
    utcnow,
)
from workbench.permissions import Action, require
from workbench.words import blank

DEFAULT_LANGUAGES: list[str] = ["en", "zh", "hi", "es", "ar", "fr", "bn", "pt", "ru", "ur"]
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "zh": "Chinese",
    "hi": "Hindi",
    "es": "Spanish",
    "ar": "Arabic",
    "fr": "French",
    "bn": "Bengali",
    "pt": "Portuguese",
    "ru": "Russian",
    "ur": "Urdu",
}
# The Panel's working language: every report is written in it, and translated from it.
SOURCE_LANGUAGE = "en"
PINS_REVISION = frozenset({TranslationStatus.translated, TranslationStatus.reviewed})


@dataclass(frozen=True)
class TranslationCell:
    """One section × language cell of the translation grid."""

    section_id: int
    language: str
    status: TranslationStatus
    stale: bool
    translation_id: int | None = None
    revision_id: int | None = None
    updated_at: datetime | None = None


def language_name(code: str) -> str:
    """Return a language's display name ('French (fr)'), or the code when unknown."""
    name = LANGUAGE_NAMES.get(code.split("-", 1)[0].lower())
    return f"{name} ({code})" if name else code


def report_languages(report: Report) -> list[str]:
    """Return the languages a report is published in (the ten defaults when it names none)."""
    return list(dict.fromkeys(report.languages or DEFAULT_LANGUAGES))


def is_source_language(code: str) -> bool:
    """Return True for the language reports are written in (any spelling of 'en')."""
    return code.split("-", 1)[0].strip().lower() == SOURCE_LANGUAGE


def target_languages(report: Report) -> list[str]:
    """Return the languages a report is translated into: its languages but the source."""
    return [code for code in report_languages(report) if not is_source_language(code)]


def _canonical_language(report: Report, language: str) -> str:
    wanted = (language or "").strip()
    targets = ", ".join(target_languages(report)) or "none yet"
    if not wanted:
        raise ValidationError(f"Choose a language to translate into: the report's are {targets}.")
    if is_source_language(wanted):
        raise ValidationError(
            f"The report is written in {language_name(SOURCE_LANGUAGE)}: its sections are "
            f"translated from it, not into it. Choose one of {targets}."
        )
    for code in [*report_languages(report), *DEFAULT_LANGUAGES]:
        if code.lower() == wanted.lower():
            return code
    known = ", ".join(report_languages(report))
    raise ValidationError(
        f"'{wanted}' is not a language of the report '{report.slug}' ({known}) "
        f"nor one of the Panel's ten default languages ({', '.join(DEFAULT_LANGUAGES)})."
    )


def set_translation(
    *,
    session: Session,
    actor: Person,
    section: Section,
    language: str,
    status: TranslationStatus,
    text: str | None = None,
    translator_id: int | None = None,
) -> Translation:
    """Record the state of a section's translation into one language."""
    require(session, actor, Action.edit_translation, section.report_id)
    report = session.get(Report, section.report_id)
    if report is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound(f"The report of section {section.code} no longer exists.")
    language = _canonical_language(report, language)
    try:
        status = TranslationStatus(status)
    except ValueError:
        if blank(status):
            raise ValidationError("Choose a translation status.") from None
        raise ValidationError(f"'{status}' is not a translation status.") from None
    if translator_id is not None and session.get(Person, translator_id) is None:
        raise NotFound(f"No person with id {translator_id} to name as translator.")
    if status in PINS_REVISION and section.head_revision_id is None:
        raise ValidationError(
            f"Section {section.code} has no text yet, so it cannot be "
            f"{status.label.lower()} into {language_name(language)}."
        )
    translation = session.exec(
        select(Translation).where(
            Translation.section_id == section.id, Translation.language == language
        )
    ).first()
    try:
        if translation is None:
            translation = Translation(section_id=section.id, language=language)
        previous = translation.status
        translation.status = status
        if status in PINS_REVISION:
            translation.revision_id = section.head_revision_id
        if text is not None:
            translation.text = text
        if translator_id is not None:
            translation.translator_id = translator_id
        translation.updated_at = utcnow()
        session.add(translation)
        session.flush()
        audit.record(
            session,
            actor,
            "set_translation",
            "translation",
            translation.id,
            report_id=section.report_id,
            section=section.code,
            language=language,
            old=previous,
            new=status,
            revision_id=translation.revision_id,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return translation


def is_stale(session: Session, translation: Translation) -> bool:
    """Return True when the section has a newer head revision than the one translated."""
    if translation.revision_id is None:
        return False
    section = session.get(Section, translation.section_id)
    return section is not None and section.head_revision_id != translation.revision_id


def translation_grid(session: Session, *, report_id: int) -> dict[tuple[int, str], TranslationCell]:
    """Return every section × target language cell of a report, sections in outline order.

    Three queries, however many sections and languages. The languages are the
    report's own, then any other language a translation exists in; never the
    source language the report is written in (it is not translated into).
    """
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id}.")
    sections = session.exec(
        select(Section.id, Section.head_revision_id)
        .where(Section.report_id == report_id)
        .order_by(col(Section.position), col(Section.code))
    ).all()
    rows = session.exec(
        select(Translation)
        .join(Section, col(Section.id) == col(Translation.section_id))
        .where(Section.report_id == report_id)
    ).all()
    by_cell = {(t.section_id, t.language): t for t in rows}
    languages = [
        code
        for code in dict.fromkeys([*report_languages(report), *sorted({t.language for t in rows})])
        if not is_source_language(code)
    ]
    grid: dict[tuple[int, str], TranslationCell] = {}
    for section_id, head_id in sections:
        for language in languages:
            t = by_cell.get((section_id, language))
            grid[(section_id, language)] = (
                TranslationCell(
                    section_id=section_id,
                    language=language,
                    status=TranslationStatus(t.status),
                    stale=t.revision_id is not None and t.revision_id != head_id,
                    translation_id=t.id,
                    revision_id=t.revision_id,
                    updated_at=t.updated_at,
                )
                if t is not None
                else TranslationCell(
                    section_id=section_id,
                    language=language,
                    status=TranslationStatus.not_started,
                    stale=False,
                )
            )
    return grid


def stale_translations(session: Session, *, report_id: int) -> list[Translation]:
    """Return a report's translations whose section has moved on since they were made."""
    return list(
        session.exec(
            select(Translation)
            .join(Section, col(Section.id) == col(Translation.section_id))
            .where(
                Section.report_id == report_id,
                col(Translation.revision_id).is_not(None),
                col(Translation.revision_id) != col(Section.head_revision_id),
            )
            .order_by(col(Section.position), col(Section.code), col(Translation.language))
        ).all()
    )


@dataclass(frozen=True)
class StaleTranslation:
    """A translation that has fallen behind its section: which revision it translates, and now."""

    translation_id: int
    section_id: int
    section_code: str
    section_title: str
    language: str
    status: TranslationStatus
    translated_revision: int
    head_revision: int
    updated_at: datetime

    @property
    def revisions_behind(self) -> int:
        """Return how many revisions the section has had since the translated one."""
        return max(self.head_revision - self.translated_revision, 0)


def stale_translation_summaries(session: Session, *, report_id: int) -> list[StaleTranslation]:
    """Return a report's stale translations with the revision numbers translated and current.

    One query, in outline order, then by language.
    """
    translated = aliased(SectionRevision)
    head = aliased(SectionRevision)
    rows = session.exec(
        select(
            Translation.id,
            Section.id,
            Section.code,
            Section.title,
            Translation.language,
            Translation.status,
            translated.number,
            head.number,
            Translation.updated_at,
        )
        .join(Section, col(Section.id) == col(Translation.section_id))
        .join(translated, translated.id == col(Translation.revision_id))
        .join(head, head.id == col(Section.head_revision_id))
        .where(
            Section.report_id == report_id,
            col(Translation.revision_id) != col(Section.head_revision_id),
        )
        .order_by(col(Section.position), col(Section.code), col(Translation.language))
    ).all()
    return [
        StaleTranslation(
            translation_id=t_id,
            section_id=s_id,
            section_code=code,
            section_title=title,
            language=language,
            status=TranslationStatus(status),
            translated_revision=old,
            head_revision=new,
            updated_at=updated_at,
        )
        for t_id, s_id, code, title, language, status, old, new, updated_at in rows
    ]
