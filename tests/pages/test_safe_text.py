"""Text one person wrote, shown to another: as typed, with no images fetched and no formulas.

- Names and titles go into Markdown escaped: a name written as a link is shown as text.
- Section texts are rendered, but an image in them becomes a link: reading a section
  never fetches anything from another host (no tracking of readers).
- Tables handed to ``st.dataframe`` (whose "Download as CSV" opens in spreadsheets)
  carry formula-like cells with a leading apostrophe.
- A text the database refuses (a NUL) is an error message in the form, not a traceback.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlmodel import Session, func, select
from streamlit.testing.v1 import AppTest

import ui
from tests.pages.conftest import CLA, COUNCIL, LA, REVIEWER, texts
from workbench import people, sections
from workbench.models import Report, ReviewComment, ReviewRound, Section, SectionRevision

LIVING_WAGES = "living-wages"
EVIL_NAME = "[x](https://evil.example)"
TRACKER = "https://tracker.example/p.png"


def section_3_1(db: Session) -> Section:
    report_id = db.exec(select(Report.id).where(Report.slug == LIVING_WAGES)).one()
    return sections.get_section_by_code(db, report_id, "3.1")


def put_text(db: Session, section: Section, text: str) -> None:
    """Make ``text`` the section's newest revision, as if an author had saved it."""
    head = db.get(SectionRevision, section.head_revision_id)
    revision = SectionRevision(
        section_id=section.id, number=head.number + 1, parent_id=head.id, text=text
    )
    db.add(revision)
    db.flush()
    section.head_revision_id = revision.id
    db.add(section)
    db.commit()


def sod(db: Session) -> ReviewRound:
    return db.exec(select(ReviewRound).where(ReviewRound.name == "SOD")).one()


def markdown_of(at: AppTest) -> list[str]:
    """Return the Markdown source of every Markdown element on the page."""
    return [str(m.value) for m in at.markdown]


def test_a_name_written_as_a_link_is_shown_as_text_on_the_outline(open_page, db):
    lead = people.get_by_email(db, LA)  # Zhang Wei leads sections of the demo report
    lead.name = EVIL_NAME
    db.add(lead)
    db.commit()
    at = open_page("views/outline.py", CLA, report=LIVING_WAGES)
    assert not at.exception
    shown = texts(at)
    assert EVIL_NAME not in shown, "the name must not reach Markdown as a link"
    assert "Lead: \\[x\\](https:\u2060//evil.example)" in shown


def test_an_image_in_a_section_is_only_a_link_in_the_write_preview(open_page, db):
    section = section_3_1(db)
    put_text(
        db,
        section,
        f"Wages fell.\n\n![t]({TRACKER})\n\n![chart][fig]\n\n[fig]: {TRACKER}\n\n"
        f'<img src="{TRACKER}" alt="tracking pixel">\n',
    )
    at = open_page("views/write.py", LA)
    at.selectbox(key="write_section").set_value(section.id).run()
    assert not at.exception
    previews = [m for m in markdown_of(at) if "Wages fell." in m]
    assert previews, "the preview shows the text"
    for preview in previews:
        assert "![" not in preview and "<img" not in preview
    assert f"[image: t]({TRACKER})" in previews[0]
    assert "[image: chart][fig]" in previews[0]
    assert r"\[image: tracking pixel\]" in previews[0]


def test_an_image_in_a_section_is_not_fetched_when_the_council_reads_it(open_page, db):
    from workbench.models import FrozenSection

    # The Council reads what the export prints: under the demo's open round, the text the
    # round froze; put the image there.
    section = section_3_1(db)
    frozen = db.exec(select(FrozenSection).where(FrozenSection.section_id == section.id)).all()
    for link in frozen:
        revision = db.get(SectionRevision, link.revision_id)
        revision.text = f"Wages fell.\n\n![t]({TRACKER})\n"
        db.add(revision)
    db.commit()
    put_text(db, section, f"Wages fell.\n\n![t]({TRACKER})\n")
    at = open_page("views/council.py", COUNCIL, report=LIVING_WAGES)
    # The report is read on its own tab, a chapter at a time: open the section's.
    at.session_state["tab"] = at.query_params["tab"] = "Read the report"
    at.query_params["chapter"] = f"q-{section.question.value}"
    at.run()
    assert not at.exception
    bodies = [m for m in markdown_of(at) if TRACKER in m]
    assert bodies and all("![" not in m for m in bodies)


def test_a_formula_in_a_comment_reaches_the_table_neutralised(open_page, db):
    comment = db.exec(
        select(ReviewComment).where(ReviewComment.round_id == sod(db).id, ReviewComment.number == 1)
    ).one()
    comment.comment = '=HYPERLINK("http://x","y")'
    comment.suggested_change = "+SUM(A1:A9)"
    comment.reviewer_name = "@evil"
    db.add(comment)
    db.commit()
    at = open_page("views/review.py", CLA, report=LIVING_WAGES)
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Comment" in d.value.columns)
    row = table[table["No"] == 1].iloc[0]
    assert row["Comment"] == '\'=HYPERLINK("http://x","y")'
    assert row["Suggested change"] == "'+SUM(A1:A9)"
    assert row["Reviewer"] == "'@evil"
    # Other cells are untouched.
    assert (table["Comment"].str.startswith("'")).sum() == 1


def test_a_nul_typed_into_a_form_is_refused_with_a_message(open_page, db):
    review_round = sod(db)
    review_round.opens_on = date.today() - timedelta(days=30)
    review_round.closes_on = date.today() + timedelta(days=3650)
    db.add(review_round)
    db.commit()
    before = db.exec(
        select(func.count()).select_from(ReviewComment).where(ReviewComment.round_id == sod(db).id)
    ).one()
    at = open_page("views/review.py", REVIEWER)
    at.text_area(key="review_new_comment").input("Name the year\x00 here.")
    at.button(key="review_new_add").click().run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "The comment of review comment" in errors
    assert "control character (code 0x00) at position 14; remove it." in errors
    db.expire_all()
    after = db.exec(
        select(func.count()).select_from(ReviewComment).where(ReviewComment.round_id == sod(db).id)
    ).one()
    assert after == before


@pytest.mark.parametrize(
    ("typed", "markdown"),
    [
        ("# Not a heading", r"\# Not a heading"),
        ("1. Not a list", r"1\. Not a list"),
        ("- Not a bullet", r"\- Not a bullet"),
        ("> Not a quote", r"\> Not a quote"),
        ("**not bold** _nor italic_ `nor code`", r"\*\*not bold\*\* \_nor italic\_ \`nor code\`"),
        (":red[not red] $x$ ~gone~", r":red\[not red\] \$x\$ \~gone\~"),
        ("<b>not html</b>", r"\<b>not html\</b>"),
        (
            "www.evil.example and https://evil.example",
            "www.\u2060evil.example and https:\u2060//evil.example",
        ),
        ("line one\nline two", "line one line two"),
        # Ordinary names and titles keep their look in the page's source.
        ("2.1 Wages: O'Brien-Smith (UN), 3.5%", "2.1 Wages: O'Brien-Smith (UN), 3.5%"),
    ],
)
def test_names_and_titles_reach_markdown_as_typed(typed, markdown):
    assert ui.md(typed) == markdown


def test_the_table_keeps_numbers_dates_and_ordinary_text():
    table = ui.safe_table(
        pd.DataFrame(
            {
                "When": [pd.Timestamp("2026-01-01", tz="UTC")] * 3,
                "Words": [-3, 0, 5],
                "Text": ["-1 is a formula in a spreadsheet", "plain", "@someone"],
            }
        )
    )
    assert "datetime64" in str(table["When"].dtype)
    assert list(table["Words"]) == [-3, 0, 5]
    assert list(table["Text"]) == ["'-1 is a formula in a spreadsheet", "plain", "'@someone"]


def test_a_refused_title_leaves_the_outline_working_and_unchanged(open_page, db):
    """The refused edit is rolled back: the page goes on drawing, the old title stays."""
    section = section_3_1(db)
    old_title = section.title
    at = open_page("views/outline.py", CLA, report=LIVING_WAGES)
    at.button(key=f"edit_toggle_{section.id}").click().run()
    at.text_input(key=f"title_{section.id}").input("Wages\x07 and power")
    next(
        b for b in at.button if b.label == "Save changes" and b.form_id == f"edit_{section.id}"
    ).click().run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "The title of the section '3.1': it contains a control character (code 0x07)" in errors
    assert f"**3.1 {ui.md(old_title)}**" in texts(at), "the outline shows the title still stored"
    editor = next(d.value for d in at.dataframe if "Lead author" in d.value.columns)
    assert list(editor.loc[editor["Code"] == "3.1", "Title"]) == [old_title]
    db.expire_all()
    assert sections.get_section(db, section.id).title == old_title
