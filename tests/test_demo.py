"""The demo workspace: it loads through the services, on both databases, and only once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, func, select

from tests.factories import row_counts
from workbench import (
    demo,
    discussions,
    notifications,
    people,
    reports,
    reviews,
    sections,
    teams,
    translations,
)
from workbench.db import make_engine
from workbench.governance import HIGH_CONFIDENCE
from workbench.models import (
    Classification,
    ConsensusItem,
    CouncilDecision,
    DiscussionMessage,
    DiscussionTarget,
    DiscussionThread,
    Finding,
    Initiative,
    Membership,
    NotificationKind,
    Person,
    Recommendation,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Section,
    SectionRevision,
    Source,
    Stage,
    Theme,
    TranslationStatus,
)


def count(session: Session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_demo_loads_a_complete_report_and_is_idempotent(session):
    summary = demo.load_demo(session)
    assert summary.loaded == ["living-wages", "cities-commons"]
    report = reports.get_report(session, "living-wages")
    assert report.stage == Stage.second_order_draft
    assert count(session, Theme) == 14

    team = teams.members(session, report.id)
    clas = [m for m in team if Role.cla in m.roles]
    las = [m for m in team if Role.lead_author in m.roles]
    assert len(clas) == 3 and len(las) >= 12
    assert all(m.signed for m in clas + las)
    assert len({m.person.sector for m in clas}) == 3
    assert len({m.person.region for m in clas}) == 3
    assert teams.team_warnings(session, report) == []

    outline = sections.list_sections(session, report.id)
    with_text = [s for s in outline if s.head_revision_id]
    assert len(with_text) >= 12
    assert not sections.coverage_gaps(session, report.id)
    unknown = sections.refresh_citations(session=session, report_id=report.id)
    assert unknown == {}, f"demo text cites keys that are not sources: {unknown}"

    assert count(session, Source, Source.report_id == report.id) >= 30
    assert len({s.kind for s in session.exec(select(Source))}) >= 4
    assert len({s.language for s in session.exec(select(Source))}) >= 4
    confidences = {f.confidence for f in session.exec(select(Finding))}
    assert len(confidences) == 5 and confidences & HIGH_CONFIDENCE
    items = session.exec(select(ConsensusItem)).all()
    assert len(items) >= 10
    assert sum(i.classification == Classification.false_solution for i in items) >= 2
    assert count(session, Recommendation) >= 8
    assert count(session, Initiative) >= 5

    fod = reviews.get_round(session, report_id=report.id, name="FOD")
    sod = reviews.get_round(session, report_id=report.id, name="SOD")
    assert fod.status == RoundStatus.closed and sod.status == RoundStatus.open
    fod_comments = session.exec(select(ReviewComment).where(ReviewComment.round_id == fod.id)).all()
    assert len(fod_comments) >= 40
    assert all(c.response and c.disposition for c in fod_comments)
    assert len({c.disposition for c in fod_comments}) == 4
    sod_open = count(
        session,
        ReviewComment,
        ReviewComment.round_id == sod.id,
        ReviewComment.disposition.is_(None),
    )
    assert sod_open > 0
    members = session.exec(select(Membership).where(Membership.role == Role.council_member)).all()
    assert len(members) >= 5
    assert count(session, CouncilDecision) >= 1

    # The authors' discussions: open and resolved, on a line range, a finding, a
    # recommendation and a consensus item, none of them in the review comment table.
    threads, total = discussions.threads(session, report_id=report.id)
    assert 4 <= total <= 6
    assert {t.thread.target for t in threads} >= {
        DiscussionTarget.section,
        DiscussionTarget.finding,
        DiscussionTarget.recommendation,
        DiscussionTarget.consensus_item,
    }
    assert any(t.lines and not t.lines_outdated for t in threads)
    assert any(t.resolved for t in threads) and any(not t.resolved for t in threads)
    assert all(t.message_count >= 2 and len(t.participants) >= 2 for t in threads)
    assert count(session, DiscussionMessage) >= 10
    written = json.loads((demo.DEMO_DIR / "living-wages" / "reviews.json").read_text())
    assert count(session, ReviewComment) == sum(len(r["comments"]) for r in written["rounds"])
    # Newest activity first, dated over the past days (not all at the moment of loading).
    last = [_utc(t.thread.last_message_at) for t in threads if not t.resolved]
    # (Spread over hours, not counted in calendar dates: those depend on the time of day.)
    assert last == sorted(last, reverse=True) and last[0] - last[-1] >= timedelta(hours=12)
    # The CLA signs in to unread mentions and replies, newest first; what she has
    # answered is read.
    amina = people.get_by_email(session, "amina.diallo@demo.ipsp.example")
    unread, _ = notifications.inbox(session, amina.id, unread_only=True, limit=500)
    talk = [n for n in unread if n.kind in (NotificationKind.mention, NotificationKind.reply)]
    assert len(talk) >= 3 and {n.kind for n in talk} == {NotificationKind.mention, "reply"}
    assert all("/" in n.link and "thread=" in n.link for n in talk)
    assert notifications.unread_count(session, amina.id) >= len(talk)
    answered = session.exec(
        select(DiscussionThread).where(DiscussionThread.resolved_at.is_not(None))
    ).one()
    assert not [n for n in unread if f"thread={answered.id}" in n.link]

    # Two Translators, one language each; French translations written by Camille and
    # reviewed by a CLA: X.1 up to date, 1.1 translated from its first draft and stale.
    translators = {m.person.email: m.languages for m in team if Role.translator in m.roles}
    assert translators == {
        "camille.laurent@demo.ipsp.example": ["fr"],
        "lucia.fernandez@demo.ipsp.example": ["es"],
    }
    camille = people.get_by_email(session, "camille.laurent@demo.ipsp.example")
    by_code = {s.code: s for s in outline}
    for code, stale in (("X.1", False), ("1.1", True)):
        french = translations.translation_for(session, section_id=by_code[code].id, language="fr")
        assert french.status == TranslationStatus.reviewed and french.version == 1
        assert (french.translator_id, french.reviewer_id) == (camille.id, amina.id)
        assert translations.is_stale(session, french) == stale
        assert "salaire vital" in french.text
        source = sections.head_text(session, by_code[code]) if not stale else None
        if source is not None:
            assert len(translations.paragraphs(french.text)) == len(translations.paragraphs(source))
    stale_changes = translations.source_changes(
        session, translations.translation_for(session, section_id=by_code["1.1"].id, language="fr")
    )
    assert any(c.changed for c in stale_changes) and any(not c.changed for c in stale_changes)

    second = reports.get_report(session, "cities-commons")
    assert second.stage in (Stage.scoping, Stage.zero_order_draft)

    before = row_counts(session)
    again = demo.load_demo(session)
    assert again.loaded == [] and again.skipped == ["living-wages", "cities-commons"]
    assert row_counts(session) == before
    assert count(session, ReviewRound) == 2
    assert count(session, Person) == before["person"]
    assert "demo-workbench" in again.describe()
    assert "secretariat@demo.ipsp.example" in again.describe()


def _revision_dates(session: Session) -> dict[tuple[str, str, int], datetime]:
    rows = session.exec(
        select(Report.slug, Section.code, SectionRevision.number, SectionRevision.created_at)
        .join(Section, Section.id == SectionRevision.section_id)
        .join(Report, Report.id == Section.report_id)
    ).all()
    return {(slug, code, number): _utc(at) for slug, code, number, at in rows}


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive times


def test_the_demo_history_spreads_over_the_past_months(session, demo_template):
    demo.load_demo(session)
    report = reports.get_report(session, "living-wages")
    days = reports.progress_over_time(session, report.id)
    # Enough days for "Progress over time" to draw a line, from spring to autumn.
    assert len(days) >= 20
    assert days[0].day >= report.start_date and days[0].day.month == 3
    assert (days[-1].day - days[0].day).days > 180
    assert days[-1].total_words == sum(s.words for s in sections.list_sections(session, report.id))
    dates = _revision_dates(session)
    assert max(dates.values()) < datetime.now(UTC)  # nothing from the future
    assert all(at.weekday() < 5 and 9 <= at.hour < 17 for at in dates.values())
    # First drafts before the first-order review opened, answers after it closed.
    fod = reviews.get_round(session, report_id=report.id, name="FOD")
    assert fod is not None
    for (slug, _code, number), at in dates.items():
        if slug == "living-wages":
            assert (at.date() < date(2026, 7, 1)) == (number == 1)
    for (slug, code, number), at in dates.items():
        if number > 1:
            assert at > dates[(slug, code, number - 1)]

    # Deterministic: the same dates as the demo loaded for the other tests, elsewhere.
    engine = make_engine(f"sqlite:///{demo_template}")
    with Session(engine) as other:
        assert _revision_dates(other) == dates
    engine.dispose()
