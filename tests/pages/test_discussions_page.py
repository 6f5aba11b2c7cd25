"""The Discussions page: start, reply, mention, resolve, filter; readers read but cannot post."""

from __future__ import annotations

from sqlmodel import select

from tests.pages.conftest import CLA, CONTRIBUTOR, LA, REVIEWER, texts
from workbench import discussions, people, sections
from workbench.models import (
    DiscussionMessage,
    DiscussionTarget,
    DiscussionThread,
    Notification,
    NotificationKind,
)

PAGE = "views/discussions.py"


def _report(db, email: str):
    from workbench import reports

    person = people.get_by_email(db, email)
    return person, reports.reports_for(db, person)[0]


def _thread(db, email: str = LA, *, title: str = "Wage floor figures", **kw) -> DiscussionThread:
    person, report = _report(db, email)
    section = sections.list_sections(db, report.id)[0]
    return discussions.open_thread(
        session=db,
        actor=person,
        report=report,
        target=kw.pop("target", DiscussionTarget.section),
        target_id=kw.pop("target_id", section.id),
        title=title,
        body=kw.pop("body", "Are the **2024** figures right?"),
        **kw,
    )


def _open(at, thread_id: int):
    at.button(key=f"disc_toggle_{thread_id}").click().run()
    assert not at.exception
    return at


def test_start_a_discussion_with_a_mention(open_page, db):
    at = open_page(PAGE, LA)
    assert not at.exception
    contributor = people.get_by_email(db, CONTRIBUTOR)
    at.text_input(key="disc_new_title").input("Check the ILO series")
    at.text_area(key="disc_new_body").input(
        "Is the series *comparable*? ![x](http://evil.example/p.png)"
    )
    at.multiselect(key="disc_new_mentions").set_value([contributor.id])
    next(b for b in at.button if b.label == "Start the discussion").click().run()
    assert not at.exception
    assert "Started the discussion 'Check the ILO series'." in texts(at)
    thread = db.exec(
        select(DiscussionThread).where(DiscussionThread.title == "Check the ILO series")
    ).one()
    # The new thread is open on the page, its Markdown rendered but its image a link.
    shown = "\n".join(m.value for m in at.markdown)
    assert "Is the series *comparable*? [image: x](http://evil.example/p.png)" in shown
    assert at.query_params.get("thread") == str(thread.id)
    note = db.exec(
        select(Notification).where(
            Notification.person_id == contributor.id, Notification.kind == NotificationKind.mention
        )
    ).one()
    assert "Check the ILO series" in note.title


def test_reply_resolve_and_reopen(open_page, db):
    thread = _thread(db)
    at = _open(open_page(PAGE, CLA), thread.id)
    la = people.get_by_email(db, LA)
    at.text_area(key=f"disc_reply_{thread.id}").input("Yes — see @" + LA)
    next(b for b in at.button if b.label == "Post reply").click().run()
    assert not at.exception
    assert f"Posted your reply in '{thread.title}'." in texts(at)
    bodies = db.exec(
        select(DiscussionMessage.body).where(DiscussionMessage.thread_id == thread.id)
    ).all()
    assert len(bodies) == 2
    # The LA started the thread: the reply mentions them by @email, so they are told once.
    kinds = db.exec(select(Notification.kind).where(Notification.person_id == la.id)).all()
    assert NotificationKind.mention in kinds
    at.button(key=f"disc_resolve_{thread.id}").click().run()
    assert f"Resolved '{thread.title}'." in texts(at)
    db.expire_all()
    assert db.get(DiscussionThread, thread.id).resolved_at is not None
    # Resolved threads leave the default (open) list but stay readable.
    at.segmented_control(key="disc_status").set_value("resolved").run()
    assert thread.title in texts(at)
    at.button(key=f"disc_reopen_{thread.id}").click().run()
    db.expire_all()
    assert db.get(DiscussionThread, thread.id).resolved_at is None


def test_filters_by_part_and_person(open_page, db):
    mine = _thread(db, LA, title="On the section")
    other = _thread(db, CLA, title="Another one by the CLA")
    at = open_page(PAGE, LA)
    assert "On the section" in texts(at) and "Another one by the CLA" in texts(at)
    at.toggle(key="disc_mine").set_value(True).run()
    assert "On the section" in texts(at)
    assert "Another one by the CLA" not in texts(at)
    at.toggle(key="disc_mine").set_value(False).run()
    at.selectbox(key="disc_part").set_value(DiscussionTarget.finding.value).run()
    assert "On the section" not in texts(at)
    at.selectbox(key="disc_part").set_value(DiscussionTarget.section.value).run()
    assert "On the section" in texts(at)
    assert mine.id != other.id


def _at_address(open_page, email: str, thread_id: int):
    at = open_page(PAGE, email)
    at.query_params["thread"] = str(thread_id)
    return at.run()


def test_an_address_opens_a_thread(open_page, db):
    thread = _thread(db, body="Look at [this](https://example.org) <b>now</b>")
    at = _at_address(open_page, LA, thread.id)
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "Look at [this](https://example.org) <b>now</b>" in shown
    assert at.text_area(key=f"disc_reply_{thread.id}") is not None


def test_a_reviewer_reads_but_cannot_post(open_page, db):
    thread = _thread(db)
    at = _at_address(open_page, REVIEWER, thread.id)
    assert not at.exception
    assert thread.title in texts(at)
    assert "You can read this discussion." in texts(at)
    keys = {getattr(w, "key", None) for w in at.text_area}
    assert f"disc_reply_{thread.id}" not in keys
    assert "disc_new_title" not in {getattr(w, "key", None) for w in at.text_input}
    assert not [b for b in at.button if b.key == f"disc_resolve_{thread.id}"]


# --------------------------------------------------------------------------- beside the text


def _section_with_text(db, email: str = LA):
    person, report = _report(db, email)
    lead = next(
        sec
        for sec in sections.list_sections(db, report.id)
        if sec.lead_author_id == person.id
        and len(sections.lines_of(sections.head_text(db, sec))) > 4
    )
    return person, report, lead


def test_write_page_lists_threads_open_first_and_marks_their_lines(open_page, db):
    person, _, section = _section_with_text(db)
    resolved = _thread(db, title="Settled already", target_id=section.id)
    discussions.resolve(session=db, actor=person, thread=resolved)
    ranged = _thread(db, title="Lines three to four", target_id=section.id, from_line=3, to_line=4)
    at = open_page("views/write.py", LA)
    at.selectbox(key="write_section").set_value(section.id).run()
    assert not at.exception
    shown = [m.value for m in at.markdown]
    titles = [v for v in shown if "Lines three to four" in v or "Settled already" in v]
    assert "Lines three to four" in titles[0] and "Settled already" in titles[1]
    assert any(":orange-badge[lines 3–4]" in v for v in titles)
    # The lines are marked in the preview; the resolved thread's are not.
    assert any(":orange-background[" in v for v in shown)
    at.button(key=f"write_talk_{section.id}_toggle_{ranged.id}").click().run()
    assert any(":violet-background[" in v for v in (m.value for m in at.markdown))
    assert at.query_params.get("thread") == str(ranged.id)


def test_write_page_starts_a_thread_on_a_line_range(open_page, db):
    _, _, section = _section_with_text(db)
    at = open_page("views/write.py", LA)
    at.selectbox(key="write_section").set_value(section.id).run()
    key = f"write_talk_{section.id}"
    at.toggle(key=f"{key}_new_show").set_value(True).run()
    at.text_input(key=f"{key}_new_title").input("Is line 2 right?")
    at.text_area(key=f"{key}_new_body").input("The figure looks old.")
    at.number_input(key=f"{key}_new_from").set_value(2)
    at.number_input(key=f"{key}_new_to").set_value(2)
    next(b for b in at.button if b.label == "Start the discussion").click().run()
    assert not at.exception
    thread = db.exec(
        select(DiscussionThread).where(DiscussionThread.title == "Is line 2 right?")
    ).one()
    assert (thread.target, thread.target_id, thread.from_line, thread.to_line) == (
        DiscussionTarget.section,
        section.id,
        2,
        2,
    )
    assert "Started the discussion 'Is line 2 right?'." in texts(at)
