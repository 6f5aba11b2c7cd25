"""A section's history as authors read it: words added and removed, restores, draft stages."""

from __future__ import annotations

import pytest

from tests.test_reviews import open_fod
from workbench import reviews, sections
from workbench.errors import Conflict, PermissionDenied, ValidationError
from workbench.models import SectionRevision


def save(session, world, section, text, actor=None):
    session.refresh(section)
    return sections.save_revision(
        session=session,
        actor=actor or world.cla,
        section=section,
        text=text,
        base_revision_id=section.head_revision_id,
        message="edit",
    ).revision


def test_words_added_and_removed_per_revision(session, world):
    section = world.sections[0]
    first = session.get(SectionRevision, section.head_revision_id)
    second = save(session, world, section, "One two three four [@anker2017].")
    third = save(session, world, section, "One two five [@anker2017].")
    stats = sections.revision_changes(session, [first.id, second.id, third.id])
    assert stats[first.id].words_added == sections.word_count(first.text)
    assert stats[first.id].words_deleted == 0
    assert stats[third.id].words_added == 1  # "five"; the citation key is not a word
    assert stats[third.id].words_deleted == 2  # "three", "four"
    assert sections.revision_changes(session, []) == {}


def test_restoring_saves_the_old_text_as_the_newest_revision(session, world):
    section = world.sections[0]
    first = session.get(SectionRevision, section.head_revision_id)
    save(session, world, section, "Something else entirely.")
    session.refresh(section)
    restored = sections.restore_revision(
        session=session,
        actor=world.cla,
        section=section,
        revision_id=first.id,
        base_revision_id=section.head_revision_id,
    ).revision
    assert restored.text == first.text and restored.number == 3
    assert restored.message == f"Restored revision {first.number}"
    assert len(sections.revisions(session, section.id)) == 3
    session.refresh(section)
    with pytest.raises(ValidationError, match="already the current text"):
        sections.restore_revision(
            session=session,
            actor=world.cla,
            section=section,
            revision_id=restored.id,
            base_revision_id=section.head_revision_id,
        )
    with pytest.raises(Conflict):
        sections.restore_revision(
            session=session,
            actor=world.cla,
            section=section,
            revision_id=first.id,
            base_revision_id=first.id,
        )
    with pytest.raises(PermissionDenied):
        sections.restore_revision(
            session=session,
            actor=world.reviewer,
            section=section,
            revision_id=first.id,
            base_revision_id=section.head_revision_id,
        )
    other = world.sections[1]
    with pytest.raises(ValidationError, match="another section"):
        sections.restore_revision(
            session=session,
            actor=world.cla,
            section=other,
            revision_id=first.id,
            base_revision_id=other.head_revision_id,
        )


def test_draft_stages_and_what_changed_since_the_last_round(session, world):
    section = world.sections[0]
    assert reviews.changes_since_last_round(session, section_id=section.id) is None
    fod = open_fod(session, world)
    assert [s.round_name for s in reviews.draft_stages(session, section_id=section.id)] == ["FOD"]
    # Under the open FOD there is no earlier round to compare with.
    assert reviews.changes_since_last_round(session, section_id=section.id) is None
    fod_text = reviews.frozen_text(session, round_id=fod.id, section_id=section.id)
    reviews.close_round(session=session, actor=world.cla, round=fod)  # no comments: closes
    save(session, world, section, fod_text + "\nA sentence added after the FOD.")
    change = reviews.changes_since_last_round(session, section_id=section.id)
    assert change is not None
    assert change.before_text == fod_text
    assert change.after_text.endswith("A sentence added after the FOD.")
    assert change.before_label.startswith("as frozen for FOD")
    assert change.after_label.startswith("the current text")
