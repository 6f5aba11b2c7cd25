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
- A translation is **saved** like a section: each save is a numbered
  **translation revision** and names the **version** it started from (0 for a
  new one); a save based on an older version is a **conflict** that keeps both
  texts. A save records the section revision translated and puts the
  translation back **in progress**.
- The **status flow**: in progress → translated (pins the revision translated)
  → reviewed, by a **second person** (never the one who last saved it).
- A **paragraph** is a block of Markdown between blank lines (a fenced code
  block, a table or a list stays one paragraph); the Translate view aligns the
  source and the translation paragraph by paragraph, and a stale translation
  shows the **source changes** paragraph by paragraph as a word diff.
- The **checks** (:mod:`workbench.translation_checks`) compare a translation with
  its source (citations, finding codes, numbers, Markdown, glossary terms):
  an error blocks a save, a warning needs the translator's acknowledgement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from typing import Literal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from workbench import audit, diffing, glossary
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError
from workbench.i18n import N_, Msg, _
from workbench.limits import MAX_SECTION_CHARS
from workbench.models import (
    Membership,
    Person,
    Report,
    Role,
    Section,
    SectionRevision,
    Translation,
    TranslationRevision,
    TranslationStatus,
    utcnow,
)
from workbench.permissions import CLA, TR, Action, require, roles_of
from workbench.translation_checks import Issue, check_translation
from workbench.words import blank

DEFAULT_LANGUAGES: list[str] = ["en", "zh", "hi", "es", "ar", "fr", "bn", "pt", "ru", "ur"]
LANGUAGE_NAMES: dict[str, str] = {
    "en": N_("English"),
    "zh": N_("Chinese"),
    "hi": N_("Hindi"),
    "es": N_("Spanish"),
    "ar": N_("Arabic"),
    "fr": N_("French"),
    "bn": N_("Bengali"),
    "pt": N_("Portuguese"),
    "ru": N_("Russian"),
    "ur": N_("Urdu"),
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
    return _("{name} ({code})").format(name=_(name), code=code) if name else code


def language_label(code: str) -> str:
    """Return a language's bare display name ('French'), or the code when unknown."""
    name = LANGUAGE_NAMES.get(code.split("-", 1)[0].lower())
    return _(name) if name else code


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
    targets = ", ".join(target_languages(report)) or Msg("none yet")
    if not wanted:
        raise ValidationError(
            "Choose a language to translate into: the report's are {targets}.", targets=targets
        )
    if is_source_language(wanted):
        raise ValidationError(
            "The report is written in {source}: its sections are translated from it, "
            "not into it. Choose one of {targets}.",
            source=language_name(SOURCE_LANGUAGE),
            targets=targets,
        )
    for code in [*report_languages(report), *DEFAULT_LANGUAGES]:
        if code.lower() == wanted.lower():
            return code
    raise ValidationError(
        "'{language}' is not a language of the report '{report}' ({known}) "
        "nor one of the Panel's ten default languages ({defaults}).",
        language=wanted,
        report=report.slug,
        known=", ".join(report_languages(report)),
        defaults=", ".join(DEFAULT_LANGUAGES),
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
        raise NotFound("The report of section {code} no longer exists.", code=section.code)
    language = _canonical_language(report, language)
    _require_language(session, actor, report, language)
    status = _status(status)
    if translator_id is not None and session.get(Person, translator_id) is None:
        raise NotFound("No person with id {id} to name as translator.", id=translator_id)
    if status in PINS_REVISION and section.head_revision_id is None:
        raise _no_text(section, language)
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
        _record_status(session, actor, section, language, translation, previous)
    except Exception:
        session.rollback()
        raise
    return translation


def _record_status(
    session: Session,
    actor: Person,
    section: Section,
    language: str,
    translation: Translation,
    previous: TranslationStatus,
) -> None:
    """Write a translation whose status changed, audit the change and commit."""
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
        new=translation.status,
        revision_id=translation.revision_id,
    )
    session.commit()


def _status(status: TranslationStatus | str) -> TranslationStatus:
    try:
        return TranslationStatus(status)
    except ValueError:
        if blank(status):
            raise ValidationError("Choose a translation status.") from None
        raise ValidationError("'{status}' is not a translation status.", status=status) from None


def _no_text(section: Section, language: str) -> ValidationError:
    return ValidationError(
        "Section {code} has no text yet, so there is nothing to translate into {language}.",
        code=section.code,
        language=language_name(language),
    )


def translator_languages(session: Session, *, person_id: int, report_id: int) -> list[str]:
    """Return the languages a person translates a report into as its Translator."""
    return sorted(
        set(
            session.exec(
                select(Membership.language).where(
                    Membership.person_id == person_id,
                    Membership.report_id == report_id,
                    Membership.role == Role.translator,
                )
            ).all()
        )
    )


def editable_languages(session: Session, person: Person, report: Report) -> list[str]:
    """Return the target languages a person may translate the report into (none: may not)."""
    if person is None or person.id is None or not person.active:
        return []
    roles = roles_of(session, person, report.id)
    targets = target_languages(report)
    if roles & {Role.secretariat, CLA}:
        return targets
    if TR in roles:
        mine = {
            code.lower()
            for code in translator_languages(session, person_id=person.id, report_id=report.id)
        }
        return [code for code in targets if code.lower() in mine]
    return []


def _require_language(session: Session, actor: Person, report: Report, language: str) -> None:
    """Refuse a Translator who translates another language than their membership's."""
    granting = require(session, actor, Action.edit_translation, report.id)
    if granting & {Role.secretariat, CLA}:
        return
    mine = translator_languages(session, person_id=actor.id, report_id=report.id)
    if language.lower() not in {code.lower() for code in mine}:
        raise PermissionDenied(
            "{name} translates '{report}' into {languages}, not into {language}.",
            name=actor.name,
            report=report.slug,
            languages=", ".join(language_name(code) for code in mine),
            language=language_name(language),
        )


# --------------------------------------------------------------------------- paragraphs

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s")


def paragraphs(text: str) -> list[str]:
    """Split Markdown into paragraphs at blank lines (code fences, tables and lists stay whole)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    fence: str | None = None
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            current.append(line)
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            current.append(line)
            continue
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    merged: list[str] = []
    previous_is_list = False
    for block in blocks:
        first = block[0]
        is_list = bool(_LIST_ITEM.match(first))
        continues = previous_is_list and (is_list or first.startswith(("  ", "\t")))
        body = "\n".join(block).strip("\n")
        if continues and merged:
            merged[-1] = merged[-1] + "\n\n" + body
        else:
            merged.append(body)
        previous_is_list = is_list or continues
    return [p.strip() for p in merged if p.strip()]


def join_paragraphs(parts: list[str]) -> str:
    """Join paragraphs into one Markdown text, a blank line between them."""
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


# --------------------------------------------------------------------------- saving


@dataclass(frozen=True)
class TranslationSave:
    """One translation to save: a section, a language, the text and the version it started from."""

    section: Section
    language: str
    text: str
    base_version: int  # the Translation.version the translator started from (0: new)
    source_revision_id: int | None = None  # the section revision translated (None: the head)


def translation_for(session: Session, *, section_id: int, language: str) -> Translation | None:
    """Return a section's translation into a language, or None when there is none."""
    rows = session.exec(select(Translation).where(Translation.section_id == section_id)).all()
    for row in rows:
        if row.language.lower() == (language or "").strip().lower():
            return row
    return None


def _source_revision(
    session: Session, section: Section, language: str, revision_id: int | None
) -> SectionRevision:
    if revision_id is None:
        revision_id = section.head_revision_id
    if revision_id is None:
        raise _no_text(section, language)
    revision = session.get(SectionRevision, revision_id)
    if revision is None or revision.section_id != section.id:
        raise ValidationError(
            "The source revision {id} is not a revision of section {code}.",
            id=revision_id,
            code=section.code,
        )
    if blank(revision.text):
        raise _no_text(section, language)
    return revision


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(section: Section, language: str, text: str) -> str:
    text = (text or "").replace("\r\n", "\n")
    where = {"code": section.code, "language": language_name(language)}
    if blank(text):
        raise ValidationError(
            "The {language} translation of section {code} is empty: write it before saving.",
            **where,
        )
    if len(text) > MAX_SECTION_CHARS:
        raise ValidationError(
            "The {language} translation of section {code} has {count} characters; "
            "a translation holds at most {limit}.",
            count=f"{len(text):,}",
            limit=f"{MAX_SECTION_CHARS:,}",
            **where,
        )
    bad = _CONTROL.search(text)
    if bad:
        raise ValidationError(
            "The {language} translation of section {code} contains a control character "
            "(code {char}) at position {position}; remove it.",
            char=f"{ord(bad.group()):#04x}",
            position=bad.start() + 1,
            **where,
        )
    return text


def check(session: Session, *, section: Section, language: str, text: str) -> list[Issue]:
    """Return what the translation checks find in ``text`` against the section's head text."""
    if section.head_revision_id is None:
        return []
    revision = session.get(SectionRevision, section.head_revision_id)
    return _issues(session, revision.text if revision else "", text, language)


def check_against(session: Session, *, source: str, language: str, text: str) -> list[Issue]:
    """Return what the translation checks find in ``text`` against a given source text."""
    return _issues(session, source, text, language)


def _issues(session: Session, source: str, text: str, language: str) -> list[Issue]:
    return check_translation(
        source, text, language=language, glossary=glossary.terms(session, language)
    )


def _issue_line(issue: Issue) -> Msg:
    # The checks' messages name their paragraph already ("Paragraph 2: …").
    return issue.message if isinstance(issue.message, Msg) else Msg(str(issue.message))


def _refuse_issues(
    section: Section, language: str, issues: list[Issue], acknowledged: bool
) -> None:
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity != "error"]
    where = {"code": section.code, "language": language_name(language)}
    if errors:
        raise ValidationError(
            "The {language} translation of section {code} was not saved: {problems}",
            problems=_listing(errors),
            **where,
        )
    if warnings and not acknowledged:
        raise ValidationError(
            "The {language} translation of section {code} was not saved yet: look at these "
            "warnings, then save anyway if the translation is right. {problems}",
            problems=_listing(warnings),
            **where,
        )


class _Listing(Msg):
    """Several messages rendered one after another, in the current language."""

    def __init__(self, items: list[Msg]) -> None:
        super().__init__("{items}")
        self.items = items

    def render(self, code: str | None = None) -> str:
        return " ".join(item.render(code) for item in self.items)


def _listing(issues: list[Issue]) -> Msg:
    return _Listing([_issue_line(i) for i in issues])


def _conflict(
    session: Session, section: Section, language: str, mine: str, translation: Translation | None
) -> Conflict:
    who = ""
    if translation is not None and translation.translator_id is not None:
        person = session.get(Person, translation.translator_id)
        who = person.name if person else ""
    return Conflict(
        Msg(
            "The {language} translation of section {code} was saved by {who} since you "
            "started (now at version {version}). Your text has not been saved: merge it "
            "with theirs and save again.",
            language=language_name(language),
            code=section.code,
            who=who or Msg("someone else"),
            version=translation.version if translation else 0,
        ),
        mine=mine,
        head_text=translation.text if translation else "",
    )


def _stored_version(translation: Translation | None) -> int:
    """Return the version a save must start from (0 when there is no translation yet)."""
    return translation.version if translation is not None else 0


def save_translations(
    *,
    session: Session,
    actor: Person,
    items: list[TranslationSave],
    acknowledge_warnings: bool = False,
    origin: str = "editor",
) -> list[Translation]:
    """Save several translations in one transaction: all of them, or none."""
    if origin not in ("editor", "xliff"):
        raise ValidationError("'{origin}' is not a way to save a translation.", origin=origin)
    saved: list[Translation] = []
    current: TranslationSave | None = None
    try:
        for item in items:
            current = item
            saved.append(_save_one(session, actor, item, acknowledge_warnings, origin))
        session.commit()
    except IntegrityError:
        session.rollback()
        assert current is not None
        section = session.get(Section, current.section.id)
        translation = translation_for(
            session, section_id=current.section.id, language=current.language
        )
        if translation is not None:
            session.refresh(translation)
        raise _conflict(
            session, section or current.section, current.language, current.text, translation
        ) from None
    except Exception:
        session.rollback()
        raise
    for translation in saved:
        session.refresh(translation)
    return saved


def _save_one(
    session: Session, actor: Person, item: TranslationSave, acknowledged: bool, origin: str
) -> Translation:
    section = item.section
    session.refresh(section)
    report = session.get(Report, section.report_id)
    if report is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound("The report of section {code} no longer exists.", code=section.code)
    language = _canonical_language(report, item.language)
    _require_language(session, actor, report, language)
    text = _clean_text(section, language, item.text)
    source = _source_revision(session, section, language, item.source_revision_id)
    translation = translation_for(session, section_id=section.id, language=language)
    if translation is not None:
        session.refresh(translation)
        language = translation.language
    if _stored_version(translation) != item.base_version:
        raise _conflict(session, section, language, text, translation)
    _refuse_issues(section, language, _issues(session, source.text, text, language), acknowledged)
    now = utcnow()
    previous = (
        TranslationStatus(translation.status) if translation else TranslationStatus.not_started
    )
    if translation is None:
        translation = Translation(section_id=section.id, language=language)
        session.add(translation)
        session.flush()
    number = item.base_version + 1
    session.add(
        TranslationRevision(
            translation_id=translation.id,
            number=number,
            text=text,
            source_revision_id=source.id,
            author_id=actor.id,
            origin=origin,
            created_at=now,
        )
    )
    session.flush()
    # Compare-and-swap on the version: only one of two racing saves moves it.
    moved = session.exec(
        update(Translation)
        .where(col(Translation.id) == translation.id, col(Translation.version) == item.base_version)
        .values(
            text=text,
            version=number,
            revision_id=source.id,
            translator_id=actor.id,
            status=TranslationStatus.in_progress,
            reviewer_id=None,
            reviewed_at=None,
            updated_at=now,
        )
    )
    if moved.rowcount != 1:
        raise IntegrityError("version moved", None, Exception("version moved"))
    session.refresh(translation)
    audit.record(
        session,
        actor,
        "save_translation",
        "translation",
        translation.id,
        report_id=section.report_id,
        section=section.code,
        language=language,
        version=number,
        source_revision_id=source.id,
        origin=origin,
        old=previous,
        new=TranslationStatus.in_progress,
    )
    return translation


def save_translation(
    *,
    session: Session,
    actor: Person,
    section: Section,
    language: str,
    text: str,
    base_version: int,
    source_revision_id: int | None = None,
    acknowledge_warnings: bool = False,
    origin: str = "editor",
) -> Translation:
    """Save one section's translation into one language (see :func:`save_translations`)."""
    return save_translations(
        session=session,
        actor=actor,
        items=[
            TranslationSave(
                section=section,
                language=language,
                text=text,
                base_version=base_version,
                source_revision_id=source_revision_id,
            )
        ],
        acknowledge_warnings=acknowledge_warnings,
        origin=origin,
    )[0]


def revisions(session: Session, translation_id: int) -> list[TranslationRevision]:
    """Return a translation's saved texts, newest first."""
    return list(
        session.exec(
            select(TranslationRevision)
            .where(TranslationRevision.translation_id == translation_id)
            .order_by(col(TranslationRevision.number).desc())
        ).all()
    )


# --------------------------------------------------------------------------- status


def set_status(
    *,
    session: Session,
    actor: Person,
    section: Section,
    language: str,
    status: TranslationStatus | str,
) -> Translation:
    """Move a translation along its flow: in progress, translated, reviewed (by a second person).

    Marking it translated pins the section revision it translates; reviewing it
    needs a translated, up-to-date text and someone other than its translator.
    """
    session.refresh(section)
    report = session.get(Report, section.report_id)
    if report is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound("The report of section {code} no longer exists.", code=section.code)
    language = _canonical_language(report, language)
    _require_language(session, actor, report, language)
    status = _status(status)
    translation = translation_for(session, section_id=section.id, language=language)
    where = {"code": section.code, "language": language_name(language)}
    if translation is None or blank(translation.text):
        raise ValidationError(
            "The {language} translation of section {code} has no text yet: write and save "
            "it first.",
            **where,
        )
    session.refresh(translation)
    previous = TranslationStatus(translation.status)
    if status is TranslationStatus.not_started:
        raise ValidationError(
            "The {language} translation of section {code} has a text, so it is started; "
            "mark it in progress to work on it again.",
            **where,
        )
    if status is TranslationStatus.reviewed:
        if previous is TranslationStatus.reviewed:
            raise ValidationError(
                "The {language} translation of section {code} is already reviewed.", **where
            )
        if previous is not TranslationStatus.translated:
            raise ValidationError(
                "The {language} translation of section {code} is {status}: it is marked "
                "translated before it is reviewed.",
                status=Msg(previous.label),
                **where,
            )
        if translation.translator_id == actor.id:
            raise ValidationError(
                "{name} translated the {language} translation of section {code}: a second "
                "person reviews it.",
                name=actor.name,
                **where,
            )
        if is_stale(session, translation):
            raise ValidationError(
                "Section {code} changed since it was translated into {language}: update the "
                "translation before it is reviewed.",
                **where,
            )
    try:
        translation.status = status
        if status is TranslationStatus.translated:
            translation.revision_id = translation.revision_id or section.head_revision_id
        if status is TranslationStatus.reviewed:
            translation.reviewer_id = actor.id
            translation.reviewed_at = utcnow()
        else:
            translation.reviewer_id = None
            translation.reviewed_at = None
        _record_status(session, actor, section, language, translation, previous)
    except Exception:
        session.rollback()
        raise
    return translation


def can_review(session: Session, person: Person, translation: Translation) -> bool:
    """Return True when ``person`` may mark this translated text reviewed (a second person)."""
    section = session.get(Section, translation.section_id)
    report = session.get(Report, section.report_id) if section else None
    return (
        report is not None
        and TranslationStatus(translation.status) is TranslationStatus.translated
        and translation.translator_id != person.id
        and translation.language in editable_languages(session, person, report)
        and not is_stale(session, translation)
    )


# --------------------------------------------------------------------------- staleness

ChangeKind = Literal["unchanged", "changed", "added", "removed"]


@dataclass(frozen=True)
class ParagraphChange:
    """How one source paragraph changed since the revision translated.

    ``index`` is its place in today's source (None for a removed paragraph),
    ``old_index`` its place in the revision translated (None for an added one):
    the translation's paragraph ``old_index`` is the one to update. ``changes``
    is the word diff (only ``equal`` runs when unchanged).
    """

    index: int | None
    old_index: int | None
    kind: ChangeKind
    changes: list[diffing.Change] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Return True unless the paragraph is the same as when it was translated."""
        return self.kind != "unchanged"

    @property
    def text(self) -> str:
        """Return the paragraph as it is now (as it was, when removed)."""
        if self.kind == "removed":
            return diffing.old_text(self.changes)
        return diffing.new_text(self.changes)


def paragraph_changes(old: str, new: str) -> list[ParagraphChange]:
    """Return the word diff from ``old`` to ``new``, paragraph by paragraph, in today's order."""
    a, b = paragraphs(old), paragraphs(new)
    result: list[ParagraphChange] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result += [
                ParagraphChange(j1 + k, i1 + k, "unchanged", [diffing.Change("equal", b[j1 + k])])
                for k in range(i2 - i1)
            ]
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            result.append(
                ParagraphChange(j1 + k, i1 + k, "changed", diffing.word_diff(a[i1 + k], b[j1 + k]))
            )
        for k in range(i1 + paired, i2):
            result.append(ParagraphChange(None, k, "removed", [diffing.Change("delete", a[k])]))
        for k in range(j1 + paired, j2):
            result.append(ParagraphChange(k, None, "added", [diffing.Change("insert", b[k])]))
    return result


def source_changes(session: Session, translation: Translation) -> list[ParagraphChange]:
    """Return how the source changed since the revision translated, paragraph by paragraph.

    Empty when the translation is not stale (or translates no revision yet).
    """
    if not is_stale(session, translation):
        return []
    section = session.get(Section, translation.section_id)
    old = session.get(SectionRevision, translation.revision_id)
    head = session.get(SectionRevision, section.head_revision_id) if section else None
    if old is None or head is None:
        return []
    return paragraph_changes(old.text, head.text)


def aligned_translation(changes: list[ParagraphChange], translated: list[str]) -> list[str]:
    """Return the translation's paragraphs placed against today's source paragraphs.

    A paragraph translating a source paragraph that moved follows it; one for an
    added source paragraph is empty; those whose source paragraph was removed are
    dropped (the caller shows them apart, see :func:`orphaned_paragraphs`).
    """
    rows = [c for c in changes if c.index is not None]
    placed = ["" for _unused in rows]
    for position, change in enumerate(rows):
        if change.old_index is not None and change.old_index < len(translated):
            placed[position] = translated[change.old_index]
    return placed


def orphaned_paragraphs(changes: list[ParagraphChange], translated: list[str]) -> list[str]:
    """Return the translation's paragraphs whose source paragraph has been removed."""
    return [
        translated[c.old_index]
        for c in changes
        if c.kind == "removed" and c.old_index is not None and c.old_index < len(translated)
    ]


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
