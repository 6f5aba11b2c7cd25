"""Translations: languages, status, the revision translated, staleness and the grid."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from tests.factories import (
    SAMPLE_TEXT,
    count_queries,
    make_person,
    make_report,
    make_section,
    make_translator,
    row_counts,
)
from workbench import audit, translations
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError
from workbench.limits import MAX_SECTION_CHARS
from workbench.models import (
    Person,
    Question,
    Role,
    Section,
    SectionRevision,
    Translation,
    TranslationRevision,
    TranslationStatus,
)
from workbench.translations import (
    DEFAULT_LANGUAGES,
    LANGUAGE_NAMES,
    TranslationSave,
    aligned_translation,
    can_review,
    check,
    editable_languages,
    is_stale,
    join_paragraphs,
    language_name,
    orphaned_paragraphs,
    paragraphs,
    report_languages,
    revisions,
    save_translation,
    save_translations,
    set_status,
    set_translation,
    source_changes,
    stale_translation_summaries,
    stale_translations,
    target_languages,
    translation_for,
    translation_grid,
)

T = TranslationStatus


def fr(opening: str) -> str:
    """Return a French translation of SAMPLE_TEXT that the checks accept, opening with a word."""
    return f"{opening}.\n\nDans bien des pays, rien ne suffit [@anker2017].\n\nL'informel."


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


# --------------------------------------------------------------------------- saving


def test_paragraphs_split_on_blank_lines_and_keep_blocks_whole():
    text = (
        "First paragraph\nstill first.\n\n\n"
        "```\ncode\n\nmore code\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "- one\n\n- two\n  continued\n\n"
        "Last.\n"
    )
    parts = paragraphs(text)
    assert parts == [
        "First paragraph\nstill first.",
        "```\ncode\n\nmore code\n```",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "- one\n\n- two\n  continued",
        "Last.",
    ]
    assert paragraphs(join_paragraphs(parts)) == parts
    assert paragraphs("") == [] and paragraphs("\n\n  \n") == []


def test_a_translator_saves_and_each_save_is_a_revision(session, world):
    section = world.sections[0]
    camille = make_translator(session, world.report, "fr", "Camille")
    first = save_translation(
        session=session,
        actor=camille,
        section=section,
        language="FR",
        text=fr("Des salaires trop bas").replace("\n", "\r\n"),
        base_version=0,
    )
    assert (first.language, first.version, first.status) == ("fr", 1, T.in_progress)
    assert first.text == fr("Des salaires trop bas")
    assert first.revision_id == section.head_revision_id
    assert first.translator_id == camille.id
    second = save_translation(
        session=session,
        actor=camille,
        section=section,
        language="fr",
        text=fr("V2"),
        base_version=1,
    )
    assert second.id == first.id and second.version == 2
    assert [r.number for r in revisions(session, first.id)] == [2, 1]
    assert revisions(session, first.id)[1].source_revision_id == section.head_revision_id
    assert translation_for(session, section_id=section.id, language="fr").text == fr("V2")
    actions = [e.action for e in audit.events(session, entity="translation", entity_id=first.id)]
    assert actions.count("save_translation") == 2


def test_a_conflict_keeps_both_texts_and_saves_nothing(session, world):
    section = world.sections[0]
    save_translation(
        session=session,
        actor=world.cla,
        section=section,
        language="fr",
        text=fr("Theirs"),
        base_version=0,
    )
    before = row_counts(session)
    with pytest.raises(Conflict) as info:
        save_translation(
            session=session,
            actor=world.secretariat,
            section=section,
            language="fr",
            text=fr("Mine"),
            base_version=0,
        )
    assert info.value.mine == fr("Mine") and info.value.head_text == fr("Theirs")
    assert "CLA 1" in info.value.message and "version 1" in info.value.message
    assert row_counts(session) == before


@pytest.mark.parametrize("existing", [False, True])
def test_two_sessions_racing_make_one_revision(engine, world, monkeypatch, existing):
    """Both read the same version; the unique revision number lets only one save win."""
    section_id = world.sections[0].id
    base = 0
    if existing:
        with Session(engine, expire_on_commit=False) as s:
            save_translation(
                session=s,
                actor=s.get(Person, world.cla.id),
                section=s.get(Section, section_id),
                language="fr",
                text=fr("start"),
                base_version=0,
            )
        base = 1
    with (
        Session(engine, expire_on_commit=False) as one,
        Session(engine, expire_on_commit=False) as two,
    ):
        save_translation(
            session=one,
            actor=one.get(Person, world.cla.id),
            section=one.get(Section, section_id),
            language="fr",
            text=fr("first"),
            base_version=base,
        )
        # The second save read the translation before the first one committed.
        monkeypatch.setattr(translations, "_stored_version", lambda t: base)
        if not existing:
            monkeypatch.setattr(translations, "translation_for", lambda *a, **k: None)
        with pytest.raises(Conflict) as info:
            save_translation(
                session=two,
                actor=two.get(Person, world.secretariat.id),
                section=two.get(Section, section_id),
                language="fr",
                text=fr("second"),
                base_version=base,
            )
        assert info.value.mine == fr("second")
    monkeypatch.undo()
    with Session(engine) as check:
        texts = [r.text for r in check.exec(select(TranslationRevision))]
        assert fr("first") in texts and fr("second") not in texts
        assert len(check.exec(select(Translation)).all()) == 1


def test_a_translator_translates_only_their_language_and_report(session, world):
    section = world.sections[0]
    world.report.languages = ["en", "fr", "es"]
    session.add(world.report)
    session.commit()
    camille = make_translator(session, world.report, "fr", "Camille")
    other = make_report(session, "other-report", languages=["en", "fr"])
    other_section = make_section(session, other, "1.1", Question.known, text="Text.")
    before = row_counts(session)
    with pytest.raises(PermissionDenied, match="Camille translates 'test-report' into French"):
        save_translation(
            session=session,
            actor=camille,
            section=section,
            language="es",
            text="Hola",
            base_version=0,
        )
    with pytest.raises(PermissionDenied):
        save_translation(
            session=session,
            actor=camille,
            section=other_section,
            language="fr",
            text="Salut",
            base_version=0,
        )
    for person in (world.la, world.reviewer, world.outsider):
        with pytest.raises(PermissionDenied):
            save_translation(
                session=session,
                actor=person,
                section=section,
                language="fr",
                text="x",
                base_version=0,
            )
    assert row_counts(session) == before
    assert editable_languages(session, camille, world.report) == ["fr"]
    assert editable_languages(session, world.cla, world.report) == ["fr", "es"]
    assert editable_languages(session, world.la, world.report) == []


def test_a_save_is_refused_without_source_text_or_with_a_bad_text(session, world):
    empty = make_section(session, world.report, "9.1", Question.known)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="Section 9.1 has no text yet"):
        save_translation(
            session=session,
            actor=world.cla,
            section=empty,
            language="fr",
            text="x",
            base_version=0,
        )
    section = world.sections[0]
    for bad, words in [
        ("", "is empty"),
        ("a\x00b", "control character"),
        ("x" * (MAX_SECTION_CHARS + 1), "at most 2,000,000"),
    ]:
        with pytest.raises(ValidationError, match=words):
            save_translation(
                session=session,
                actor=world.cla,
                section=section,
                language="fr",
                text=bad,
                base_version=0,
            )
    with pytest.raises(ValidationError, match="translated from it"):
        save_translation(
            session=session,
            actor=world.cla,
            section=section,
            language="en",
            text="x",
            base_version=0,
        )
    assert row_counts(session) == before


def test_a_save_of_several_items_is_all_or_nothing(session, world):
    a, b = world.sections[0], world.sections[1]
    save_translation(
        session=session, actor=world.cla, section=b, language="fr", text=fr("B1"), base_version=0
    )
    before = row_counts(session)
    with pytest.raises(Conflict):
        save_translations(
            session=session,
            actor=world.cla,
            items=[
                TranslationSave(section=a, language="fr", text=fr("A1"), base_version=0),
                TranslationSave(section=b, language="fr", text=fr("B2"), base_version=0),
            ],
        )
    assert row_counts(session) == before
    assert translation_for(session, section_id=a.id, language="fr") is None
    saved = save_translations(
        session=session,
        actor=world.cla,
        items=[
            TranslationSave(section=a, language="fr", text=fr("A1"), base_version=0),
            TranslationSave(section=b, language="fr", text=fr("B2"), base_version=1),
        ],
        origin="xliff",
    )
    assert [(t.text, t.version) for t in saved] == [(fr("A1"), 1), (fr("B2"), 2)]
    assert {r.origin for r in revisions(session, saved[1].id)} == {"editor", "xliff"}


# --------------------------------------------------------------------------- status flow


def test_translated_then_reviewed_by_a_second_person(session, world):
    section = world.sections[0]
    camille = make_translator(session, world.report, "fr", "Camille")
    claire = make_translator(session, world.report, "fr", "Claire")
    with pytest.raises(ValidationError, match="has no text yet"):
        set_status(
            session=session, actor=camille, section=section, language="fr", status=T.translated
        )
    save_translation(
        session=session,
        actor=camille,
        section=section,
        language="fr",
        text=fr("Texte"),
        base_version=0,
    )
    with pytest.raises(ValidationError, match="marked translated before it is reviewed"):
        set_status(session=session, actor=claire, section=section, language="fr", status=T.reviewed)
    done = set_status(
        session=session, actor=camille, section=section, language="fr", status=T.translated
    )
    assert (done.status, done.revision_id) == (T.translated, section.head_revision_id)
    assert not can_review(session, camille, done)
    assert can_review(session, claire, done) and can_review(session, world.cla, done)
    with pytest.raises(ValidationError, match="Camille translated .* a second person reviews it"):
        set_status(
            session=session, actor=camille, section=section, language="fr", status=T.reviewed
        )
    reviewed = set_status(
        session=session, actor=claire, section=section, language="fr", status=T.reviewed
    )
    assert (reviewed.status, reviewed.reviewer_id) == (T.reviewed, claire.id)
    assert reviewed.reviewed_at is not None
    # An edit after the review puts it back in progress: it is marked again.
    edited = save_translation(
        session=session,
        actor=world.cla,
        section=section,
        language="fr",
        text=fr("Texte revu"),
        base_version=1,
    )
    assert (edited.status, edited.reviewer_id, edited.reviewed_at) == (T.in_progress, None, None)
    events = audit.events(session, entity="translation", entity_id=edited.id)
    assert [e.action for e in events].count("set_translation") == 2


def test_a_stale_translation_cannot_be_reviewed(session, world):
    section = world.sections[0]
    save_translation(
        session=session,
        actor=world.cla,
        section=section,
        language="fr",
        text=fr("Texte"),
        base_version=0,
    )
    set_status(
        session=session, actor=world.cla, section=section, language="fr", status="translated"
    )
    new_revision(session, section, "A revised text.")
    with pytest.raises(ValidationError, match="changed since it was translated"):
        set_status(
            session=session,
            actor=world.secretariat,
            section=section,
            language="fr",
            status=T.reviewed,
        )


# --------------------------------------------------------------------------- staleness


def test_a_stale_translation_shows_the_source_diff_paragraph_by_paragraph(session, world):
    section = world.sections[0]
    old_paragraphs = paragraphs(SAMPLE_TEXT)
    translated = save_translation(
        session=session,
        actor=world.cla,
        section=section,
        language="fr",
        text="Premier.\n\nDeuxième [@anker2017].\n\nTroisième.",
        base_version=0,
    )
    assert source_changes(session, translated) == []
    new_revision(
        session,
        section,
        "New opening paragraph.\n\n"
        + old_paragraphs[0]
        + "\n\nIn most countries, a full-time worker cannot meet basic needs [@anker2017].\n\n"
        + old_paragraphs[2],
    )
    changes = source_changes(session, translated)
    assert [(c.index, c.old_index, c.kind) for c in changes] == [
        (0, None, "added"),
        (1, 0, "unchanged"),
        (2, 1, "changed"),
        (3, 2, "unchanged"),
    ]
    changed = changes[2]
    assert ("delete", "many") in [(c.op, c.text) for c in changed.changes]
    assert ("insert", "most") in [(c.op, c.text) for c in changed.changes]
    assert changed.text.startswith("In most countries")
    translated_parts = paragraphs(translated.text)
    assert aligned_translation(changes, translated_parts) == [
        "",
        "Premier.",
        "Deuxième [@anker2017].",
        "Troisième.",
    ]
    new_revision(session, section, old_paragraphs[0])
    changes = source_changes(session, translated)
    assert [c.kind for c in changes] == ["unchanged", "removed", "removed"]
    assert orphaned_paragraphs(changes, translated_parts) == [
        "Deuxième [@anker2017].",
        "Troisième.",
    ]


# --------------------------------------------------------------------------- checks


def test_checks_block_errors_and_warnings_need_acknowledging(session, world):
    section = world.sections[0]
    before = row_counts(session)
    dropped = "Des salaires trop bas.\n\nDans bien des pays, rien ne suffit.\n\nL'informel."
    issues = check(session, section=section, language="fr", text=dropped)
    assert [(i.severity, i.paragraph) for i in issues if i.severity == "error"] == [("error", 2)]
    with pytest.raises(ValidationError, match="was not saved: Paragraph 2: ") as info:
        save_translation(
            session=session,
            actor=world.cla,
            section=section,
            language="fr",
            text=dropped,
            base_version=0,
            acknowledge_warnings=True,
        )
    assert "anker2017" in info.value.message
    merged = "Des salaires trop bas.\n\nDans bien des pays, rien ne suffit [@anker2017]."
    assert [i.severity for i in check(session, section=section, language="fr", text=merged)] == [
        "warning"
    ]
    with pytest.raises(ValidationError, match="look at these warnings, then save anyway"):
        save_translation(
            session=session,
            actor=world.cla,
            section=section,
            language="fr",
            text=merged,
            base_version=0,
        )
    assert row_counts(session) == before
    saved = save_translation(
        session=session,
        actor=world.cla,
        section=section,
        language="fr",
        text=merged,
        base_version=0,
        acknowledge_warnings=True,
    )
    assert saved.version == 1
