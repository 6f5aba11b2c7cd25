"""Sections: outline, assignment, statuses, saving with optimistic concurrency, citations."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from tests.factories import make_person, make_report
from workbench import content, sections
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError
from workbench.models import (
    Citation,
    Question,
    Role,
    SectionCreate,
    SectionRevision,
    SectionStatus,
    Source,
)


def add_source(session: Session, report, key: str) -> Source:
    source = Source(report_id=report.id, key=key, csl={"id": key, "type": "book", "title": key})
    session.add(source)
    session.commit()
    return source


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_create_outline_covers_the_four_questions(session, world):
    report = make_report(session, "second")
    cla = make_person(session, roles=[(Role.cla, report)], signed=True)
    created = sections.create_outline(session=session, actor=cla, report=report)
    assert {s.question for s in created} >= {
        Question.known,
        Question.desirable,
        Question.obstacles,
        Question.action,
    }
    gaps = sections.coverage_gaps(session, report.id)
    assert len(gaps) == 4 and all("has any text yet" in g for g in gaps)
    with pytest.raises(ValidationError, match="already has an outline"):
        sections.create_outline(session=session, actor=cla, report=report)


def test_only_clas_edit_the_outline(session, world):
    with pytest.raises(PermissionDenied):
        sections.add_section(
            session=session,
            actor=world.la,
            report=world.report,
            data=SectionCreate(code="5.1", question=Question.action, title="New"),
        )
    section = sections.add_section(
        session=session,
        actor=world.cla,
        report=world.report,
        data=SectionCreate(code="4.2", question=Question.action, title="By whom"),
    )
    assert [s.code for s in sections.list_sections(session, world.report.id)][-1] == "4.2"
    with pytest.raises(ValidationError, match="already has a section '4.2'"):
        sections.add_section(
            session=session,
            actor=world.cla,
            report=world.report,
            data=SectionCreate(code="4.2", question=Question.action, title="Again"),
        )
    assert section.status == SectionStatus.not_started


def test_assign_accepts_only_authors_of_the_report(session, world):
    section = world.sections[0]
    sections.assign(
        session=session,
        actor=world.cla,
        section=section,
        lead_author_id=world.lead_authors[5].id,
        coauthor_ids=[world.contributor.id],
    )
    assert section.lead_author_id == world.lead_authors[5].id
    assert sections.coauthor_ids(session, section.id) == [world.contributor.id]
    with pytest.raises(ValidationError, match="Outsider is not an author"):
        sections.assign(
            session=session, actor=world.cla, section=section, lead_author_id=world.outsider.id
        )
    assert section.lead_author_id == world.lead_authors[5].id


def test_status_follows_legal_transitions(session, world):
    section = world.sections[0]
    sections.set_status(
        session=session, actor=world.la, section=section, status=SectionStatus.ready_for_review
    )
    with pytest.raises(ValidationError, match="cannot go from 'Ready for review' to 'Accepted'"):
        sections.set_status(
            session=session, actor=world.cla, section=section, status=SectionStatus.accepted
        )
    with pytest.raises(PermissionDenied):
        sections.set_status(
            session=session,
            actor=world.lead_authors[3],
            section=section,
            status=SectionStatus.drafting,
        )
    assert section.status == SectionStatus.ready_for_review


def test_bulk_update_is_all_or_nothing(session, world):
    a, b = world.sections[0], world.sections[1]
    with pytest.raises(ValidationError, match="Section 2.1: a word target"):
        sections.bulk_update(
            session=session,
            actor=world.cla,
            report=world.report,
            changes={
                a.id: {"title": "Renamed", "due_date": date(2026, 9, 1)},
                b.id: {"word_target": -5},
            },
        )
    session.expire_all()
    assert sections.get_section(session, a.id).title == "Section 1.1"
    changed = sections.bulk_update(
        session=session,
        actor=world.cla,
        report=world.report,
        changes={a.id: {"title": "Renamed"}, b.id: {"word_target": 3000}},
    )
    assert changed == 2
    assert sections.get_section(session, a.id).title == "Renamed"


def test_save_revision_moves_the_head_and_records_citations(session, world):
    section = world.sections[0]
    add_source(session, world.report, "anker2017")
    add_source(session, world.report, "ilo2024")
    result = sections.save_revision(
        session=session,
        actor=world.la,
        section=section,
        text="Wages lag [@anker2017; @ilo2024, p. 4]. Also @missing2020 says so.",
        base_revision_id=section.head_revision_id,
        message="Add evidence",
    )
    assert result.revision.number == 2
    assert section.head_revision_id == result.revision.id
    assert result.cited_keys == ["anker2017", "ilo2024"]
    assert result.unknown_keys == ["missing2020"]
    assert count(session, Citation) == 2
    assert section.words == 7  # "Wages lag p 4 Also says so"


def test_stale_save_is_refused_with_both_texts(session, world):
    section = world.sections[0]
    base = section.head_revision_id
    sections.save_revision(
        session=session, actor=world.cla, section=section, text="CLA text", base_revision_id=base
    )
    with pytest.raises(Conflict) as info:
        sections.save_revision(
            session=session, actor=world.la, section=section, text="LA text", base_revision_id=base
        )
    assert info.value.mine == "LA text"
    assert info.value.head_text == "CLA text"
    assert "changed by CLA 1" in info.value.message
    assert count(session, SectionRevision) == 5  # four first drafts + the CLA's save


def test_two_sessions_racing_never_lose_an_update(engine, world):
    """Two authors load the same head in two sessions; exactly one save wins."""
    section_id = world.sections[0].id
    with (
        Session(engine, expire_on_commit=False) as one,
        Session(engine, expire_on_commit=False) as two,
    ):
        s1 = sections.get_section(one, section_id)
        s2 = sections.get_section(two, section_id)
        base = s1.head_revision_id
        la = one.get(type(world.la), world.la.id)
        cla = two.get(type(world.cla), world.cla.id)
        sections.save_revision(
            session=one, actor=la, section=s1, text="first", base_revision_id=base
        )
        with pytest.raises(Conflict) as info:
            sections.save_revision(
                session=two, actor=cla, section=s2, text="second", base_revision_id=base
            )
        assert info.value.head_text == "first"
    with Session(engine) as check:
        texts = [
            r.text
            for r in check.exec(
                select(SectionRevision).where(SectionRevision.section_id == section_id)
            )
        ]
        assert "first" in texts and "second" not in texts


def test_authors_write_only_their_sections(session, world):
    other = world.sections[1]
    with pytest.raises(PermissionDenied, match="not an author of section 2.1"):
        sections.save_revision(
            session=session,
            actor=world.la,
            section=other,
            text="x",
            base_revision_id=other.head_revision_id,
        )
    with pytest.raises(PermissionDenied):
        sections.save_revision(
            session=session,
            actor=world.reviewer,
            section=other,
            text="x",
            base_revision_id=other.head_revision_id,
        )


def test_unsigned_author_cannot_edit(session, world):
    unsigned = make_person(session, "Unsigned", roles=[(Role.lead_author, world.report)])
    section = world.sections[0]
    sections.assign(session=session, actor=world.cla, section=section, lead_author_id=unsigned.id)
    with pytest.raises(PermissionDenied, match="Code of Ethics"):
        sections.save_revision(
            session=session,
            actor=unsigned,
            section=section,
            text="x",
            base_revision_id=section.head_revision_id,
        )


def test_delete_only_empty_sections(session, world):
    with pytest.raises(ValidationError, match="has text"):
        sections.delete_section(session=session, actor=world.cla, section=world.sections[0])
    empty = sections.add_section(
        session=session,
        actor=world.cla,
        report=world.report,
        data=SectionCreate(code="9.9", question=Question.cross_cutting, title="Spare"),
    )
    sections.delete_section(session=session, actor=world.cla, section=empty)
    with pytest.raises(NotFound):
        sections.get_section_by_code(session, world.report.id, "9.9")


def test_coverage_counts_text_and_acceptance(session, world):
    cov = {c.question: c for c in sections.coverage(session, world.report.id)}
    assert all(c.covered for c in cov.values())
    assert cov[Question.known].sections == 1 and cov[Question.known].accepted == 0


def test_report_hash_changes_with_any_edit(session, world):
    before = content.content_hash(session, world.report.id)
    section = world.sections[2]
    sections.save_revision(
        session=session,
        actor=world.cla,
        section=section,
        text="changed",
        base_revision_id=section.head_revision_id,
    )
    assert content.content_hash(session, world.report.id) != before


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("[@smith2020]", ["smith2020"]),
        ("[@smith2020, p. 3; @doe:2019]", ["smith2020", "doe:2019"]),
        ("As @smith2020 shows.", ["smith2020"]),
        ("[-@ilo.2024]", ["ilo.2024"]),
        ("mail me at a@example.org", []),
        ("[@{odd key}]", ["odd key"]),
    ],
)
def test_extract_citation_keys(text, keys):
    assert sections.extract_citation_keys(text) == keys


@given(st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), min_size=1, max_size=5))
def test_every_bracketed_key_is_found(keys):
    text = "Claim " + " and ".join(f"[@{k}]" for k in keys) + "."
    assert sections.extract_citation_keys(text) == list(dict.fromkeys(keys))


def test_word_count_ignores_citation_keys():
    assert sections.word_count("Living wages matter [@anker2017].\n\n- a list item") == 6


def test_a_save_racing_past_the_head_check_is_still_refused(engine, world):
    """Another save lands between our head check and our write: the database refuses ours."""
    from sqlalchemy import event

    section_id = world.sections[0].id
    with (
        Session(engine, expire_on_commit=False) as mine,
        Session(engine, expire_on_commit=False) as theirs,
    ):
        section = sections.get_section(mine, section_id)
        base = section.head_revision_id
        me = mine.get(type(world.la), world.la.id)

        fired = []

        def competing_save(session, _context, _instances):
            if fired:
                return
            fired.append(True)
            other = sections.get_section(theirs, section_id)
            cla = theirs.get(type(world.cla), world.cla.id)
            sections.save_revision(
                session=theirs, actor=cla, section=other, text="theirs", base_revision_id=base
            )

        event.listen(mine, "before_flush", competing_save)
        with pytest.raises(Conflict) as info:
            sections.save_revision(
                session=mine, actor=me, section=section, text="mine", base_revision_id=base
            )
        assert info.value.mine == "mine"
        assert info.value.head_text == "theirs"
    with Session(engine) as check:
        texts = [
            r.text
            for r in check.exec(
                select(SectionRevision).where(SectionRevision.section_id == section_id)
            )
        ]
        assert texts.count("theirs") == 1 and "mine" not in texts
        assert sections.head_text(check, sections.get_section(check, section_id)) == "theirs"


def test_revision_history_pages_newest_first_without_texts(session, world):
    section = world.sections[0]
    for i in range(2, 5):
        sections.save_revision(
            session=session,
            actor=world.la,
            section=section,
            text=f"Draft {i} of the section.",
            base_revision_id=section.head_revision_id,
            message=f"Draft {i}",
        )
    page, total = sections.revision_history(session, section_id=section.id, limit=2)
    assert total == 4
    assert [r.number for r in page] == [4, 3]
    assert page[0].author_name == "LA 1" and page[0].message == "Draft 4"
    assert page[0].words == 5
    assert not hasattr(page[0], "text")
    rest, _ = sections.revision_history(session, section_id=section.id, limit=2, offset=2)
    assert [r.number for r in rest] == [2, 1]
    with pytest.raises(ValidationError):
        sections.revision_history(session, section_id=section.id, limit=0)


def test_a_revision_is_found_by_its_number(session, world):
    section = world.sections[0]
    first = sections.get_revision_by_number(session, section_id=section.id, number=1)
    assert first.id == section.head_revision_id
    with pytest.raises(NotFound, match="no revision 7"):
        sections.get_revision_by_number(session, section_id=section.id, number=7)


def test_authored_sections_are_those_led_or_co_authored(session, world):
    led, co_written = world.sections[0], world.sections[1]
    sections.assign(
        session=session,
        actor=world.cla,
        section=co_written,
        lead_author_id=world.lead_authors[1].id,
        coauthor_ids=[world.la.id],
    )
    mine = sections.authored_section_ids(session, person_id=world.la.id, report_id=world.report.id)
    assert mine == {led.id, co_written.id}
    assert (
        sections.authored_section_ids(
            session, person_id=world.reviewer.id, report_id=world.report.id
        )
        == set()
    )


def test_write_refusal_says_why(session, world):
    mine, other = world.sections[0], world.sections[1]
    assert sections.write_refusal(session, world.la, mine) is None
    assert "not an author of section 2.1" in sections.write_refusal(session, world.la, other)
    assert sections.write_refusal(session, world.cla, other) is None
    assert "may not write section" in sections.write_refusal(session, world.reviewer, other)


def test_head_texts_reads_every_current_text_at_once(session, world):
    texts = sections.head_texts(session, world.report.id)
    assert texts == {s.id: sections.head_text(session, s) for s in world.sections}
