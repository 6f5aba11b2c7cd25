"""Discussions: who may talk and read, line ranges, mentions, notifications, listing, backups."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from tests.factories import World, count_queries, make_world, row_counts
from workbench import discussions, permissions, reviews
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.models import (
    Agreement,
    AuditEvent,
    Classification,
    Confidence,
    ConsensusItem,
    DiscussionTarget,
    DiscussionThread,
    Evidence,
    Finding,
    Horizon,
    Initiative,
    Mention,
    Notification,
    NotificationKind,
    Recommendation,
    Scale,
    Stage,
)

S = DiscussionTarget.section


@pytest.fixture
def w(session: Session) -> World:
    return make_world(session)


def start(session: Session, w: World, *, actor=None, target=S, target_id=None, **kw):
    """Open a thread on the first section unless told otherwise."""
    return discussions.open_thread(
        session=session,
        actor=actor or w.la,
        report=w.report,
        target=target,
        target_id=target_id if target_id is not None else w.sections[0].id,
        title=kw.pop("title", "Is 'decent' defined?"),
        body=kw.pop("body", "We use 'decent life' before defining it."),
        **kw,
    )


def notes(session: Session, person) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.person_id == person.id)).all())


# --------------------------------------------------------------------------- who may


def test_authors_and_review_editors_open_and_post(session, w):
    for who in (w.cla, w.la, w.contributor, w.review_editor):
        thread = start(session, w, actor=who, title=f"From {who.name}")
        message = discussions.post(session=session, actor=who, thread=thread, body="And more.")
        assert message.id and message.author_id == who.id
    views = discussions.messages(session, thread_id=thread.id)
    assert [m.author_name for m in views] == ["Review Editor", "Review Editor"]


@pytest.mark.parametrize("who", ["reviewer", "outsider", "secretariat"])
def test_others_may_not_open_or_post_and_nothing_is_saved(session, w, who):
    thread = start(session, w)
    before = row_counts(session)
    person = getattr(w, who)
    with pytest.raises(PermissionDenied, match=f"{person.name} may not discuss"):
        start(session, w, actor=person)
    with pytest.raises(PermissionDenied):
        discussions.post(session=session, actor=person, thread=thread, body="Hello")
    with pytest.raises(PermissionDenied):
        discussions.resolve(session=session, actor=person, thread=thread)
    assert row_counts(session) == before


def test_reading_follows_read_report(session, w):
    thread = start(session, w)
    for reader in (w.reviewer, w.secretariat, w.council[0], w.review_editor):
        assert discussions.messages(session, thread_id=thread.id, actor=reader)
        page, total = discussions.threads(session, report_id=w.report.id, actor=reader)
        assert total == 1 and page[0].thread.id == thread.id
    with pytest.raises(PermissionDenied):
        discussions.messages(session, thread_id=thread.id, actor=w.outsider)
    with pytest.raises(PermissionDenied):
        discussions.threads(session, report_id=w.report.id, actor=w.outsider)
    with pytest.raises(NotFound, match="no discussion with id 999"):
        discussions.get_thread(session, 999)


def test_an_open_review_round_does_not_freeze_discussions(session, w):
    w.report.stage = Stage.first_order_draft
    session.add(w.report)
    session.commit()
    reviews.open_round(
        session=session,
        actor=w.cla,
        report=w.report,
        name="FOD",
        opens_on=date.today() - timedelta(days=1),
        closes_on=date.today() + timedelta(days=30),
    )
    # Council votes freeze content actions; talk is never one of them.
    assert permissions.Action.discuss not in permissions.FROZEN_ACTIONS
    thread = start(session, w)
    discussions.post(session=session, actor=w.cla, thread=thread, body="Still talking.")
    discussions.resolve(session=session, actor=w.cla, thread=thread)
    assert thread.resolved_at is not None


# --------------------------------------------------------------------------- targets and lines


def test_a_thread_on_lines_keeps_the_revision_and_says_which_lines(session, w):
    section = w.sections[0]
    thread = start(session, w, from_line=3, to_line=5)
    assert (thread.from_line, thread.to_line) == (3, 5)
    assert thread.revision_id == section.head_revision_id
    assert discussions.lines_label(thread) == "lines 3–5"
    one = start(session, w, from_line=2)
    assert (one.from_line, one.to_line) == (2, 2)
    assert discussions.lines_label(one) == "line 2"
    assert discussions.lines_label(start(session, w)) == ""
    first = discussions.messages(session, thread_id=thread.id)
    assert [m.body for m in first] == ["We use 'decent life' before defining it."]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((0, 1), "Lines 0–1 are not in section 1.1: its text has lines 1 to 5"),
        ((4, 9), "Lines 4–9 are not in section 1.1: its text has lines 1 to 5"),
        ((4, 2), "The range 4–2 in section 1.1 ends before it starts"),
        ((None, 3), "Give the first line of the range in section 1.1"),
    ],
)
def test_a_line_range_outside_the_text_is_refused(session, w, lines, message):
    before = row_counts(session)
    with pytest.raises(ValidationError, match=message):
        start(session, w, from_line=lines[0], to_line=lines[1])
    assert row_counts(session) == before


def make_items(session: Session, w: World) -> dict[DiscussionTarget, int]:
    rid = w.report.id
    items = [
        Finding(
            report_id=rid,
            code="F3",
            statement="Living wages lift productivity.",
            evidence=Evidence.medium,
            agreement=Agreement.high,
            confidence=Confidence.high,
        ),
        ConsensusItem(
            report_id=rid,
            statement="A living wage covers food, housing and schooling for a family.",
            classification=Classification.consensus,
        ),
        Recommendation(
            report_id=rid,
            code="R3",
            text="Index minimum wages.",
            scale=Scale.national,
            horizon=Horizon.short_term,
        ),
        Initiative(report_id=rid, name="Fair Wear living wage pilot"),
    ]
    for item in items:
        session.add(item)
    session.commit()
    kinds = [
        DiscussionTarget.finding,
        DiscussionTarget.consensus_item,
        DiscussionTarget.recommendation,
        DiscussionTarget.initiative,
    ]
    return {kind: item.id for kind, item in zip(kinds, items, strict=True)}


def test_every_kind_of_target_is_labelled_and_linked(session, w):
    ids = make_items(session, w)
    section = w.sections[0]
    start(session, w, title="on section")
    for kind, item_id in ids.items():
        start(session, w, target=kind, target_id=item_id, title=f"on {kind.value}")
    page, total = discussions.threads(session, report_id=w.report.id)
    assert total == 5
    by_title = {s.thread.title: s for s in page}
    slug = w.report.slug
    on_section = by_title["on section"]
    assert on_section.target_label == f"Section 1.1 {section.title}"
    assert (
        on_section.link
        == f"/write?report={slug}&section={section.id}&thread={on_section.thread.id}"
    )
    assert by_title["on finding"].target_label == "Finding F3"
    assert by_title["on finding"].link.startswith(f"/evidence?report={slug}&finding=")
    assert by_title["on recommendation"].target_label == "Recommendation R3"
    assert by_title["on recommendation"].link.startswith(f"/recommendations?report={slug}&")
    assert by_title["on consensus_item"].target_label.startswith(
        "Consensus item: A living wage covers food"
    )
    assert by_title["on consensus_item"].link.startswith(f"/consensus?report={slug}&item=")
    assert by_title["on initiative"].target_label == "Initiative: Fair Wear living wage pilot"
    thread = by_title["on initiative"].thread
    assert discussions.link(thread) == by_title["on initiative"].link
    assert discussions.target_label(session, thread) == "Initiative: Fair Wear living wage pilot"


def test_lines_only_on_sections_and_targets_only_in_the_report(session, w):
    ids = make_items(session, w)
    with pytest.raises(ValidationError, match="only be given for a section; Finding F3"):
        start(
            session,
            w,
            target=DiscussionTarget.finding,
            target_id=ids[DiscussionTarget.finding],
            from_line=1,
        )
    with pytest.raises(NotFound, match="no section with id 9999 in the report"):
        start(session, w, target_id=9999)
    with pytest.raises(NotFound, match="no recommendation with id"):
        start(
            session,
            w,
            target=DiscussionTarget.recommendation,
            target_id=ids[DiscussionTarget.finding] + 100,
        )


def test_title_and_body_are_checked(session, w):
    before = row_counts(session)
    with pytest.raises(ValidationError, match="a title"):
        start(session, w, title="   ")
    with pytest.raises(ValidationError, match="at most 200 fit"):
        start(session, w, title="x" * 201)
    with pytest.raises(ValidationError, match="is empty"):
        start(session, w, body=" \n ")
    with pytest.raises(ValidationError, match="control character"):
        start(session, w, body="bad \x00 byte")
    assert row_counts(session) == before


# --------------------------------------------------------------------------- mentions


def test_mentions_by_picker_and_by_email_are_stored_and_notified(session, w):
    picked, written = w.lead_authors[1], w.review_editor
    thread = start(
        session,
        w,
        body=f"Could @{written.email} check this? And you, {picked.name}.",
        mentions=[picked.id],
    )
    (first,) = discussions.messages(session, thread_id=thread.id)
    assert sorted(first.mentioned) == sorted([picked.name, written.name])
    stored = session.exec(select(Mention.person_id).where(Mention.message_id == first.id)).all()
    assert sorted(stored) == sorted([picked.id, written.id])
    for person in (picked, written):
        (note,) = notes(session, person)
        assert note.kind == NotificationKind.mention
        assert note.title == f"{w.la.name} mentions you in “{thread.title}”"
        assert note.link == discussions.link(thread)
        assert note.report_id == w.report.id
        assert note.actor_id == w.la.id
    assert notes(session, w.la) == []  # never the author
    assert notes(session, w.cla) == []  # nor anyone not concerned


def test_mentioning_oneself_notifies_nobody(session, w):
    thread = start(session, w, mentions=[w.la.id])
    assert notes(session, w.la) == []
    assert discussions.messages(session, thread_id=thread.id)[0].mentioned == (w.la.name,)


def test_a_mention_of_someone_not_on_the_report_is_refused_and_nothing_saved(session, w):
    before = row_counts(session)
    with pytest.raises(ValidationError, match="not Outsider. Nothing was posted"):
        start(session, w, mentions=[w.outsider.id])
    with pytest.raises(ValidationError, match=rf"Outsider \(@{w.outsider.email}\)"):
        start(session, w, body=f"Ask @{w.outsider.email} about it.")
    with pytest.raises(ValidationError, match="@nobody@example.org \\(nobody has this address\\)"):
        start(session, w, body="Ask @nobody@example.org.")
    assert row_counts(session) == before
    thread = start(session, w)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="not Outsider"):
        discussions.post(
            session=session, actor=w.cla, thread=thread, body="x", mentions=[w.outsider.id]
        )
    assert row_counts(session) == before


def test_a_plain_email_address_is_not_a_mention(session, w):
    thread = start(session, w, body=f"Write to {w.outsider.email} for the data.")
    assert discussions.messages(session, thread_id=thread.id)[0].mentioned == ()


def test_a_reply_notifies_everyone_taking_part_but_the_author(session, w):
    la, cla, ca, re_ = w.la, w.cla, w.contributor, w.review_editor
    thread = start(session, w, mentions=[ca.id])  # started by la, mentions ca
    first = discussions.messages(session, thread_id=thread.id)[0]
    reply = discussions.post(
        session=session, actor=cla, thread=thread, body="Agreed.", reply_to_id=first.id
    )
    assert reply.reply_to_id == first.id
    assert [n.kind for n in notes(session, la)] == [NotificationKind.reply]
    assert notes(session, la)[0].title == f"{cla.name} replies in “{thread.title}”"
    assert sorted(n.kind for n in notes(session, ca)) == [
        NotificationKind.mention,
        NotificationKind.reply,
    ]
    assert notes(session, cla) == []
    # A reply that mentions a participant tells them once: of the mention.
    discussions.post(session=session, actor=re_, thread=thread, body=f"@{la.email} see above")
    la_kinds = [n.kind for n in notes(session, la)]
    assert la_kinds.count(NotificationKind.mention) == 1
    assert la_kinds.count(NotificationKind.reply) == 1
    assert len(notes(session, cla)) == 1 and len(notes(session, ca)) == 3


def test_a_reply_to_a_message_of_another_thread_is_refused(session, w):
    one, other = start(session, w), start(session, w, title="Other")
    foreign = discussions.messages(session, thread_id=other.id)[0]
    with pytest.raises(ValidationError, match=re.escape(f"is not in the discussion '{one.title}'")):
        discussions.post(session=session, actor=w.cla, thread=one, body="x", reply_to_id=foreign.id)


# --------------------------------------------------------------------------- resolving


def test_a_resolved_thread_takes_no_message_until_reopened(session, w):
    thread = start(session, w)
    discussions.resolve(session=session, actor=w.cla, thread=thread)
    assert thread.resolved_by_id == w.cla.id
    assert discussions.messages(session, thread_id=thread.id)  # still readable
    with pytest.raises(ValidationError, match="is resolved; reopen it"):
        discussions.post(session=session, actor=w.la, thread=thread, body="One more thing")
    with pytest.raises(ValidationError, match="already resolved"):
        discussions.resolve(session=session, actor=w.la, thread=thread)
    discussions.reopen(session=session, actor=w.la, thread=thread)
    assert thread.resolved_at is None and thread.resolved_by_id is None
    with pytest.raises(ValidationError, match="open already"):
        discussions.reopen(session=session, actor=w.la, thread=thread)
    discussions.post(session=session, actor=w.la, thread=thread, body="One more thing")
    assert len(discussions.messages(session, thread_id=thread.id)) == 2


def test_every_write_is_audited_with_the_report(session, w):
    from workbench import audit

    thread = start(session, w)
    discussions.post(session=session, actor=w.cla, thread=thread, body="Reply")
    discussions.resolve(session=session, actor=w.cla, thread=thread)
    discussions.reopen(session=session, actor=w.la, thread=thread)
    events = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "discussion_thread").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["open", "post", "resolve", "reopen"]
    assert {e.report_id for e in events} == {w.report.id}
    sentences = [e.what for e in audit.describe(session, list(events))]
    assert sentences[0] == f"{w.la.name} opened the discussion '{thread.title}'."
    assert sentences[2] == f"{w.cla.name} resolved the discussion '{thread.title}'."
    kinds = [audit.kind_label(("discussion_thread", e.action)) for e in events]
    assert kinds == [
        "Discussion opened",
        "Discussion message posted",
        "Discussion resolved",
        "Discussion reopened",
    ]


# --------------------------------------------------------------------------- listing


def test_listing_puts_open_first_then_by_last_activity(session, w):
    a = start(session, w, title="A")
    b = start(session, w, title="B")
    c = start(session, w, title="C")
    discussions.post(session=session, actor=w.cla, thread=a, body="bump")
    discussions.resolve(session=session, actor=w.cla, thread=b)
    page, total = discussions.threads(session, report_id=w.report.id)
    assert [s.thread.title for s in page] == ["A", "C", "B"]
    assert total == 3
    summary = page[0]
    assert summary.message_count == 2
    assert summary.participants == (w.la.name, w.cla.name)
    assert not summary.resolved and page[2].resolved
    assert [
        s.thread.title
        for s in discussions.threads(session, report_id=w.report.id, status="open")[0]
    ] == ["A", "C"]
    assert [
        s.thread.title
        for s in discussions.threads(session, report_id=w.report.id, status="resolved")[0]
    ] == ["B"]
    del c
    with pytest.raises(ValidationError, match="'closed' is not a status"):
        discussions.threads(session, report_id=w.report.id, status="closed")


def test_listing_by_person_and_by_target(session, w):
    ids = make_items(session, w)
    mine = start(session, w, actor=w.contributor, title="started")
    posted = start(session, w, title="posted in")
    discussions.post(session=session, actor=w.contributor, thread=posted, body="me too")
    start(session, w, title="mentioned", mentions=[w.contributor.id])
    start(
        session,
        w,
        title="not mine",
        target=DiscussionTarget.finding,
        target_id=ids[DiscussionTarget.finding],
    )
    page, total = discussions.threads(session, report_id=w.report.id, person_id=w.contributor.id)
    assert total == 3
    assert {s.thread.title for s in page} == {"started", "posted in", "mentioned"}
    page, total = discussions.threads(
        session, report_id=w.report.id, target=DiscussionTarget.finding
    )
    assert [s.thread.title for s in page] == ["not mine"] and total == 1
    page, total = discussions.threads(
        session, report_id=w.report.id, target=S, target_id=w.sections[0].id
    )
    assert total == 3
    assert discussions.threads(
        session, report_id=w.report.id, target=S, target_id=w.sections[1].id
    ) == ([], 0)
    assert mine.id in {s.thread.id for s in page}


def test_paging_in_a_few_queries_whatever_the_page_size(session, w):
    ids = make_items(session, w)
    for i in range(12):
        target, target_id = (
            (S, w.sections[i % 4].id)
            if i % 2
            else (
                DiscussionTarget.finding,
                ids[DiscussionTarget.finding],
            )
        )
        thread = start(session, w, title=f"T{i:02}", target=target, target_id=target_id)
        discussions.post(session=session, actor=w.lead_authors[i % 8], thread=thread, body="x")
    seen = []
    for offset in (0, 5, 10):
        page, total = discussions.threads(session, report_id=w.report.id, limit=5, offset=offset)
        assert total == 12
        seen += [s.thread.title for s in page]
    assert seen == [f"T{i:02}" for i in reversed(range(12))]
    session.expire_all()
    with count_queries(session) as small:
        discussions.threads(session, report_id=w.report.id, limit=2)
    session.expire_all()
    with count_queries(session) as large:
        discussions.threads(session, report_id=w.report.id, limit=50)
    assert len(large) == len(small) <= 8


def test_a_thread_says_when_the_text_has_moved_on_since_its_lines(session, w):
    from workbench import sections

    section = w.sections[0]
    thread = start(session, w, from_line=1, to_line=2)
    (summary,), _ = discussions.threads(session, report_id=w.report.id)
    assert summary.lines == "lines 1–2" and not summary.lines_outdated
    sections.save_revision(
        session=session,
        actor=w.la,
        section=section,
        text="A new first line.\n\n" + sections.head_text(session, section),
        base_revision_id=section.head_revision_id,
    )
    (summary,), _ = discussions.threads(session, report_id=w.report.id)
    assert summary.lines_outdated
    assert summary.thread.revision_id == thread.revision_id != section.head_revision_id


def test_the_picker_offers_the_active_team_and_counts_open_threads(session, w):
    w.lead_authors[7].active = False
    session.add(w.lead_authors[7])
    session.commit()
    offered = discussions.mentionable(session, w.report.id)
    assert w.la in offered and w.reviewer in offered
    assert w.outsider not in offered and w.lead_authors[7] not in offered
    with pytest.raises(ValidationError, match="LA 8 \\(the account is inactive\\)"):
        start(session, w, mentions=[w.lead_authors[7].id])
    first, second = w.sections[0], w.sections[1]
    start(session, w)
    start(session, w, target_id=second.id)
    discussions.resolve(session=session, actor=w.la, thread=start(session, w))
    assert discussions.open_counts(session, report_id=w.report.id, target=S) == {
        first.id: 1,
        second.id: 1,
    }
    with pytest.raises(ValidationError, match="Say what the id names"):
        discussions.threads(session, report_id=w.report.id, target_id=first.id)


def test_someone_who_left_the_report_hears_no_more_replies(session, w):
    from workbench.models import Membership

    leaver = w.lead_authors[3]
    thread = start(session, w, actor=leaver)
    for row in session.exec(select(Membership).where(Membership.person_id == leaver.id)):
        session.delete(row)
    session.commit()
    discussions.post(session=session, actor=w.cla, thread=thread, body="Anyone?")
    assert notes(session, leaver) == []


# --------------------------------------------------------------------------- backups


def test_a_backup_keeps_threads_messages_and_mentions(tmp_path, empty_engine):
    from tests.test_backup import snapshot
    from workbench import backup
    from workbench.db import make_engine
    from workbench.migrate import upgrade

    source = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    upgrade(source)
    with Session(source, expire_on_commit=False) as session:
        w = make_world(session)
        thread = start(session, w, from_line=2, to_line=3, mentions=[w.contributor.id])
        discussions.post(
            session=session, actor=w.contributor, thread=thread, body=f"@{w.la.email} — 中文 ✓"
        )
        discussions.resolve(session=session, actor=w.cla, thread=thread)
        path = tmp_path / "backup.zip"
        counts = backup.write_backup(session=session, actor=w.secretariat, path=path)
    assert counts["discussionthread"] == 1
    assert counts["discussionmessage"] == 2
    assert counts["mention"] == 2
    assert counts["notification"] == 2
    assert backup.restore(empty_engine, path) == counts
    assert snapshot(empty_engine) == snapshot(source)
    with Session(empty_engine) as session:
        restored = discussions.get_thread(session, thread.id)
        assert restored.resolved_at is not None and restored.revision_id == thread.revision_id
        views = discussions.messages(session, thread_id=thread.id)
        assert [v.mentioned for v in views] == [("Contributor",), ("LA 1",)]
    source.dispose()


def test_a_thread_resolved_meanwhile_refuses_a_message_drawn_before(session, w):
    from sqlalchemy.orm import make_transient

    thread = start(session, w)
    stale = DiscussionThread.model_validate(thread.model_dump())  # as a page drew it
    make_transient(stale)
    discussions.resolve(session=session, actor=w.cla, thread=thread)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="is resolved; reopen it"):
        discussions.post(session=session, actor=w.la, thread=stale, body="Late")
    assert row_counts(session) == before
