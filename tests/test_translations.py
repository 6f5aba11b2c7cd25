"""Translations: languages, status, the revision translated, staleness and the grid."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from tests.factories import count_queries, make_person, make_section, row_counts
from workbench import audit
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.models import (
    Question,
    Role,
    Section,
    SectionRevision,
    Translation,
    TranslationStatus,
)
from workbench.translations import (
    DEFAULT_LANGUAGES,
    LANGUAGE_NAMES,
    is_stale,
    language_name,
    report_languages,
    set_translation,
    stale_translation_summaries,
    stale_translations,
    target_languages,
    translation_grid,
)

T = TranslationStatus


def new_revision(session: Session, section: Section, text: str) -> SectionRevision:
    """Give a section a new head revision, as a save would."""
    head = session.get(SectionRevision, section.head_revision_id)
    revision = SectionRevision(
        section_id=section.id, number=head.number + 1, parent_id=head.id, text=text
    )
    session.add(revision)
    session.flush()
    section.head_revision_id = revision.id
    session.add(section)
    session.commit()
    return revision


def test_the_ten_default_languages():
    assert DEFAULT_LANGUAGES == ["en", "zh", "hi", "es", "ar", "fr", "bn", "pt", "ru", "ur"]
    assert set(LANGUAGE_NAMES) == set(DEFAULT_LANGUAGES)
    assert language_name("fr") == "French (fr)"
    assert language_name("pt-BR") == "Portuguese (pt-BR)"
    assert language_name("sw") == "sw"


def test_a_cla_marks_a_section_translated_against_its_head(session, world):
    section = world.sections[0]
    started = set_translation(
        session=session,
        actor=world.cla,
        section=section,
        language="fr",
        status=T.in_progress,
        translator_id=world.la.id,
    )
    assert started.revision_id is None
    assert not is_stale(session, started)
    done = set_translation(
        session=session,
        actor=world.secretariat,
        section=section,
        language="FR",
        status=T.translated,
        text="Des salaires inférieurs au coût d'une vie décente…",
    )
    assert done.id == started.id
    assert (done.language, done.status, done.revision_id) == (
        "fr",
        T.translated,
        section.head_revision_id,
    )
    assert done.translator_id == world.la.id
    assert done.text.startswith("Des salaires")
    assert session.exec(select(func.count()).select_from(Translation)).one() == 1
    actions = [e.action for e in audit.events(session, entity="translation", entity_id=done.id)]
    assert actions == ["set_translation", "set_translation"]


def test_a_translation_goes_stale_when_the_section_moves_on(session, world):
    section = world.sections[0]
    translation = set_translation(
        session=session, actor=world.cla, section=section, language="es", status=T.translated
    )
    assert not is_stale(session, translation)
    assert stale_translations(session, report_id=world.report.id) == []
    new_revision(session, section, "A revised text.")
    assert is_stale(session, translation)
    assert [t.id for t in stale_translations(session, report_id=world.report.id)] == [
        translation.id
    ]
    set_translation(
        session=session, actor=world.cla, section=section, language="es", status=T.reviewed
    )
    assert not is_stale(session, translation)
    assert stale_translations(session, report_id=world.report.id) == []


def test_languages_must_be_the_reports_or_the_defaults(session, world):
    assert report_languages(world.report) == ["en", "fr"]
    made = set_translation(
        session=session,
        actor=world.cla,
        section=world.sections[0],
        language="ur",
        status=T.in_progress,
    )
    assert made.language == "ur"
    before = row_counts(session)
    with pytest.raises(ValidationError, match="'sw' is not a language of the report 'test-report'"):
        set_translation(
            session=session,
            actor=world.cla,
            section=world.sections[0],
            language="sw",
            status=T.in_progress,
        )
    assert row_counts(session) == before


def test_refused_translations_change_nothing(session, world):
    unsigned = make_person(session, "Unsigned LA", roles=[(Role.lead_author, world.report)])
    empty = make_section(session, world.report, "5.1", Question.cross_cutting)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="has no text yet"):
        set_translation(
            session=session, actor=world.cla, section=empty, language="fr", status=T.translated
        )
    with pytest.raises(ValidationError, match="not a translation status"):
        set_translation(
            session=session,
            actor=world.cla,
            section=world.sections[0],
            language="fr",
            status="done",
        )
    with pytest.raises(NotFound, match="No person with id 9999"):
        set_translation(
            session=session,
            actor=world.cla,
            section=world.sections[0],
            language="fr",
            status=T.in_progress,
            translator_id=9999,
        )
    for person in (world.outsider, world.reviewer, unsigned, world.la, world.council[0]):
        with pytest.raises(PermissionDenied):
            set_translation(
                session=session,
                actor=person,
                section=world.sections[0],
                language="fr",
                status=T.in_progress,
            )
    assert row_counts(session) == before


def test_translation_grid_covers_every_cell_in_a_fixed_number_of_queries(session, world):
    first, second = world.sections[0], world.sections[1]
    set_translation(
        session=session, actor=world.cla, section=first, language="fr", status=T.translated
    )
    set_translation(
        session=session, actor=world.cla, section=second, language="ar", status=T.reviewed
    )
    new_revision(session, second, "Moved on.")
    with count_queries(session) as small:
        grid = translation_grid(session, report_id=world.report.id)
    # Every section × (the report's languages, then any other language translated into),
    # never English: the report is written in it, not translated into it.
    assert len(grid) == 4 * 2
    assert list(grid)[:2] == [(first.id, "fr"), (first.id, "ar")]
    assert grid[(first.id, "fr")].status is T.translated and not grid[(first.id, "fr")].stale
    assert grid[(second.id, "ar")].status is T.reviewed and grid[(second.id, "ar")].stale
    assert grid[(first.id, "ar")].status is T.not_started and not grid[(first.id, "ar")].stale
    assert (first.id, "en") not in grid

    for section in world.sections:
        for language in ("fr", "es", "ru"):
            set_translation(
                session=session,
                actor=world.cla,
                section=section,
                language=language,
                status=T.in_progress,
            )
    with count_queries(session) as large:
        grid = translation_grid(session, report_id=world.report.id)
    assert len(grid) == 4 * 4
    assert len(large) == len(small) <= 3


def test_stale_translations_say_which_revision_they_translate(session, world):
    first, second = world.sections[0], world.sections[1]
    set_translation(
        session=session, actor=world.cla, section=first, language="fr", status=T.translated
    )
    set_translation(
        session=session, actor=world.cla, section=second, language="fr", status=T.reviewed
    )
    set_translation(
        session=session, actor=world.cla, section=second, language="ar", status=T.in_progress
    )
    new_revision(session, first, "Moved on.")
    new_revision(session, first, "Moved on again.")
    with count_queries(session) as queries:
        stale = stale_translation_summaries(session, report_id=world.report.id)
    assert len(queries) == 1
    assert [(t.section_code, t.language) for t in stale] == [("1.1", "fr")]
    assert stale[0].status is T.translated
    assert (stale[0].translated_revision, stale[0].head_revision) == (1, 3)
    assert stale[0].revisions_behind == 2
    assert stale[0].section_title == "Section 1.1"


def test_the_source_language_is_not_a_translation_target(session, world):
    assert report_languages(world.report) == ["en", "fr"]
    assert target_languages(world.report) == ["fr"]
    before = row_counts(session)
    for spelling in ("en", "EN", "en-GB"):
        with pytest.raises(ValidationError, match="written in English"):
            set_translation(
                session=session,
                actor=world.cla,
                section=world.sections[0],
                language=spelling,
                status=T.in_progress,
            )
    assert row_counts(session) == before


def test_blank_choices_are_asked_for_not_quoted(session, world):
    with pytest.raises(ValidationError) as no_language:
        set_translation(
            session=session,
            actor=world.cla,
            section=world.sections[0],
            language="  ",
            status=T.in_progress,
        )
    assert no_language.value.message == (
        "Choose a language to translate into: the report's are fr."
    )
    with pytest.raises(ValidationError) as no_status:
        set_translation(
            session=session, actor=world.cla, section=world.sections[0], language="fr", status=""
        )
    assert no_status.value.message == "Choose a translation status."
    assert "''" not in no_language.value.message + no_status.value.message
