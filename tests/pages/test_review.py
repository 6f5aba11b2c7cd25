"""The Review page: rounds, the comment table, answers, sign-off, new comments, import, export."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import docx
import pytest
from sqlmodel import Session, col, func, select
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import (
    CLA,
    COUNCIL,
    LA,
    REVIEW_EDITOR,
    REVIEWER,
    ROLES,
    SECRETARIAT,
    texts,
)
from workbench import export, i18n, people, reviews, sections
from workbench.comment_table import CommentRow, write_csv
from workbench.db import make_engine
from workbench.models import Disposition, Report, ReviewComment, ReviewRound, Section

PAGE = "views/review.py"
ROOT = Path(__file__).resolve().parents[2]
LIVING_WAGES = "living-wages"


def sod(db: Session) -> ReviewRound:
    """Return the demo's open second-order-draft round."""
    return db.exec(select(ReviewRound).where(ReviewRound.name == "SOD")).one()


def comment(db: Session, number: int) -> ReviewComment:
    """Return the SOD comment with this number, fresh from the database."""
    db.expire_all()
    return db.exec(
        select(ReviewComment).where(
            ReviewComment.round_id == sod(db).id, ReviewComment.number == number
        )
    ).one()


def table(at: AppTest, column: str):
    """Return the first table on the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def labels(at: AppTest) -> str:
    """Return the labels of the page's buttons, tabs and inputs."""
    parts = [b.label for b in at.button] + [t.label for t in at.tabs]
    parts += [w.label for w in at.selectbox] + [w.label for w in at.text_area]
    return "\n".join(parts)


# --------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize("role", [r for r in ROLES if r != "council_member"])
def test_every_review_role_sees_the_rounds_and_the_comment_table(open_page, role):
    at = open_page(PAGE, ROLES[role], report=LIVING_WAGES)
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Not permitted" not in shown
    rounds = table(at, "Round")
    assert list(rounds["Round"]) == ["FOD", "SOD"]
    assert list(rounds["Comments"]) == [64, 17]
    assert list(rounds["Awaiting a response"]) == [0, 9]
    picker = at.selectbox(key="review_round")
    assert picker.options == ["FOD (closed)", "SOD (open)"] and picker.index == 1
    comments = table(at, "Comment")
    assert len(comments) == 17
    # Three comments are on parts of the report: a finding, a register row, a recommendation.
    on = dict(zip(comments["No"], comments["Section"], strict=True))
    assert (on[15], on[16], on[17]) == ("F6", "CR8", "R4")
    assert {"No", "Section", "Lines", "Reviewer", "Affiliation", "Kind", "Suggested change"} <= set(
        comments.columns
    )
    assert {"Response", "Disposition", "Signed off"} <= set(comments.columns)
    expectations = {
        "cla": ("Answer a comment", "Close SOD", "Import & export"),
        "lead_author": ("Answer a comment",),
        "contributing_author": ("answer the comments",),
        "review_editor": ("Sign off responses",),
        "reviewer": ("Add a comment",),
        "secretariat": ("Import & export", "Close SOD"),
    }
    everything = shown + "\n" + labels(at)
    for expected in expectations[role]:
        assert expected in everything, (role, expected)
    if role not in ("cla", "lead_author"):
        assert "Answer a comment" not in everything
    if role != "review_editor":
        assert "Sign off responses" not in everything
    if role != "reviewer":
        assert "Add a comment" not in everything
    if role not in ("cla", "secretariat"):
        assert "Import & export" not in everything and "Close SOD" not in everything


def test_council_members_are_not_permitted(open_file):
    at = open_file(PAGE, COUNCIL, report=LIVING_WAGES)
    assert not at.exception
    assert "Not permitted" in texts(at)
    assert not at.dataframe


def test_a_report_without_rounds_says_what_to_do(open_page):
    at = open_page(PAGE, SECRETARIAT, report="cities-commons")
    assert not at.exception
    assert "no review round yet" in texts(at)
    at.text_input(key="review_open_name").input("FOD")
    form_submit = next(b for b in at.button if b.label == "Open the round")
    form_submit.click().run()
    assert not at.exception
    assert "Review rounds can be opened only at the" in texts(at)
    assert "scoping stage" in texts(at)


# --------------------------------------------------------------------------- the table


def test_a_common_word_says_more_than_the_counted_matches(open_page, monkeypatch):
    from workbench import reviews

    monkeypatch.setattr(reviews, "TEXT_MATCHES_COUNTED", 3)
    at = open_page(PAGE, CLA)
    at.text_input(key="review_filter_text").input("wage").run()
    assert not at.exception
    shown = texts(at)
    assert "More than 3 comments match; showing 1–" in shown
    assert "of the first 3 by number" in shown


def test_filters_and_search_run_in_the_database(open_page, db):
    at = open_page(PAGE, CLA)
    at.checkbox(key="review_filter_open").check().run()
    assert not at.exception
    assert len(table(at, "Comment")) == 9
    assert "9 comments match" in texts(at)
    at.checkbox(key="review_filter_open").uncheck().run()
    at.text_input(key="review_filter_text").input("zzz-nothing-like-this").run()
    assert "No comment matches these filters" in texts(at)
    at.text_input(key="review_filter_text").input("").run()
    spm = db.exec(
        select(Section.id)
        .join(Report, col(Report.id) == col(Section.report_id))
        .where(Report.slug == LIVING_WAGES, Section.code == "0.1")
    ).one()
    at.selectbox(key="review_filter_section").set_value(spm).run()
    assert set(table(at, "Comment")["Section"]) == {"0.1"}
    # A part keeps the comments on it and on its items.
    assert "KF Key findings" in at.selectbox(key="review_filter_section").options
    at.selectbox(key="review_filter_section").set_value("KF").run()
    assert list(table(at, "Comment")["Section"]) == ["F6"]


def test_by_section_counts_dispositions(open_page):
    at = open_page(PAGE, REVIEW_EDITOR)
    counts = table(at, "Taken into account")
    assert counts["Comments"].sum() == 17
    assert counts["Awaiting a response"].sum() == 9
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_by_section_lists_the_parts_after_the_sections(open_page):
    at = open_page(PAGE, CLA)
    counts = table(at, "Taken into account")
    sections_then_parts = list(counts["Section"])
    assert sections_then_parts[-3:] == ["KF", "CR", "REC"]
    assert sections_then_parts[0] == "0.1" and len(sections_then_parts) == 17
    by_part = counts.set_index("Section")
    assert by_part.loc["KF", "Awaiting a response"] == 1
    assert by_part.loc["CR", "Taken into account"] == 1
    assert by_part.loc["REC", "Comments"] == 1


# --------------------------------------------------------------------------- writes


def test_a_cla_answers_an_open_comment_beside_the_cited_lines(open_page, db):
    at = open_page(PAGE, CLA)
    pick = at.selectbox(key="review_respond_pick")
    assert pick.value == 3  # the first comment still awaiting a response
    target = comment(db, 3)
    assert target.disposition is None
    cited = "\n".join(str(c.value) for c in at.code)
    assert f"{target.from_line} │" in cited
    at.text_area(key=f"review_response_{target.id}").input(
        "We now name the fiscal constraints of middle-income countries in the SPM."
    )
    at.selectbox(key=f"review_disposition_{target.id}").set_value(Disposition.taken_into_account)
    at.button(key="review_respond_save").click().run()
    assert not at.exception
    assert "Response to comment 3 saved" in texts(at)
    saved = comment(db, 3)
    assert saved.disposition == Disposition.taken_into_account
    assert saved.response.startswith("We now name the fiscal constraints")


def test_a_rejection_without_a_reason_is_refused(open_page, db):
    at = open_page(PAGE, CLA)
    target = comment(db, 3)
    at.selectbox(key=f"review_disposition_{target.id}").set_value(Disposition.rejected)
    at.button(key="review_respond_save").click().run()
    assert "needs a response that gives the reason" in texts(at)
    assert comment(db, 3).disposition is None


def test_a_lead_author_answers_only_on_their_sections(open_page, db):
    at = open_page(PAGE, LA)
    pick = at.selectbox(key="review_respond_pick")
    la = people.get_by_email(db, LA)
    report = db.exec(select(Report).where(Report.slug == LIVING_WAGES)).one()
    mine = reviews.answerable_section_ids(db, person=la, report_id=report.id)
    led = db.exec(select(Section.id).where(Section.lead_author_id == la.id)).all()
    assert led and set(led) <= mine and len(mine) < 14
    numbers = [int(option.split()[1]) for option in pick.options]
    # Their sections' comments, and the comment on finding F6, which belongs to their 1.1.
    answered = {n: comment(db, n) for n in numbers}
    assert all(c.section_id in mine for c in answered.values() if c.part == "")
    assert [c.part for c in answered.values() if c.part] == ["F6"]
    target = comment(db, pick.value)
    at.text_area(key=f"review_response_{target.id}").input("Lowered to high confidence.")
    at.selectbox(key=f"review_disposition_{target.id}").set_value(Disposition.accepted)
    at.button(key="review_respond_save").click().run()
    assert not at.exception
    saved = comment(db, target.number)
    assert saved.response == "Lowered to high confidence."
    assert saved.disposition == Disposition.accepted
    assert saved.responded_by_id == la.id


def test_a_lead_author_answers_a_finding_of_their_section_but_not_a_recommendation(open_page, db):
    at = open_page(PAGE, LA)
    at.selectbox(key="review_filter_section").set_value("REC").run()
    assert not at.exception
    assert list(table(at, "Comment")["Section"]) == ["R4"]
    # R4 belongs to section 4.3, which they do not write: the CLAs answer it.
    assert "None of the comments shown is on a section you lead or co-author" in texts(at)
    assert not [b for b in at.button if b.key == "review_respond_save"]
    la = people.get_by_email(db, LA)
    assert not reviews.may_answer(db, la, comment(db, 17))

    at.selectbox(key="review_filter_section").set_value("KF").run()
    pick = at.selectbox(key="review_respond_pick")
    assert pick.options == ["No 15 · F6, line 10 · open"]
    finding = comment(db, 15)
    shown = "\n".join(str(c.value) for c in at.code)
    assert "10 │ F6 · Living-wage estimates for the same place" in shown
    at.text_area(key=f"review_response_{finding.id}").input("The traceable account names both.")
    at.selectbox(key=f"review_disposition_{finding.id}").set_value(Disposition.accepted)
    at.button(key="review_respond_save").click().run()
    assert not at.exception
    saved = comment(db, 15)
    assert (saved.disposition, saved.responded_by_id) == (Disposition.accepted, la.id)


def test_a_review_editor_signs_off_and_withdraws(open_page, db):
    at = open_page(PAGE, REVIEW_EDITOR)
    pick = at.multiselect(key="review_signoff_pick")
    number = int(pick.options[0].split()[1])
    assert comment(db, number).signed_off_at is None
    pick.set_value([number]).run()
    at.button(key="review_signoff").click().run()
    assert not at.exception
    assert f"Signed off comment {number}" in texts(at)
    editor = people.get_by_email(db, REVIEW_EDITOR)
    signed = comment(db, number)
    assert signed.signed_off_at is not None and signed.signed_off_by_id == editor.id
    at.multiselect(key="review_withdraw_pick").set_value([number]).run()
    at.button(key="review_withdraw").click().run()
    assert not at.exception
    assert comment(db, number).signed_off_at is None


def keep_sod_open(db: Session) -> None:
    """Make the demo's SOD take comments whatever today's date is."""
    round_ = sod(db)
    round_.opens_on = date.today() - timedelta(days=30)
    round_.closes_on = date.today() + timedelta(days=3650)
    db.add(round_)
    db.commit()


def test_a_reviewer_adds_a_comment_citing_frozen_lines(open_page, db):
    keep_sod_open(db)
    at = open_page(PAGE, REVIEWER)
    chosen = at.selectbox(key="review_new_target")
    code = chosen.value
    section_id = sections.get_section_by_code(db, sod(db).report_id, code).id
    assert at.code, "the frozen text is shown so reviewers can cite lines"
    at.number_input(key=f"review_new_from_{code}").set_value(2).run()
    at.number_input(key=f"review_new_to_{code}").set_value(3).run()
    assert any(str(c.value).startswith("2 │") for c in at.code)
    at.text_area(key="review_new_comment").input("Name the ILO meeting's year here.")
    at.text_area(key="review_new_suggestion").input("Add '(2024)'.")
    at.button(key="review_new_add").click().run()
    assert not at.exception
    assert "was added to SOD" in texts(at)
    db.expire_all()
    reviewer = people.get_by_email(db, REVIEWER)
    added = db.exec(
        select(ReviewComment)
        .where(ReviewComment.round_id == sod(db).id)
        .order_by(col(ReviewComment.number).desc())
    ).first()
    assert added.number == 18 and added.reviewer_id == reviewer.id
    assert (added.section_id, added.from_line, added.to_line) == (section_id, 2, 3)
    assert added.comment == "Name the ILO meeting's year here."
    assert added.suggested_change == "Add '(2024)'."
    assert at.text_area(key="review_new_comment").value == ""


def test_a_reviewer_comments_on_a_finding(open_page, db):
    keep_sod_open(db)
    at = open_page(PAGE, REVIEWER)
    chosen = at.selectbox(key="review_new_target")
    options = chosen.options
    # The sections first, then each part followed by its items.
    assert options[0].startswith("0.1 ") and options.index("KF — Key findings") > 13
    at_kf = options.index("KF — Key findings")
    assert options[at_kf + 1 : at_kf + 3] == ["F1 — Finding F1", "F2 — Finding F2"]
    for label in (
        "CR8 — Consensus register, row 8",
        "R4 — Recommendation R4",
        "REC — Recommendations",
    ):
        assert label in options
    chosen.set_value("F6").run()
    assert not at.exception
    # The finding's own line is chosen, and shown as the review copy numbers it.
    assert at.number_input(key="review_new_from_F6").value == 10
    assert at.number_input(key="review_new_to_F6").value == 10
    cited = [str(c.value) for c in at.code]
    assert any(c.startswith("10 │ F6 · Living-wage estimates for the same place") for c in cited)
    assert not any("*" in c or "|" in c for c in cited)
    at.text_area(key="review_new_comment").input("Say which two methods were compared.")
    at.button(key="review_new_add").click().run()
    assert not at.exception
    assert "Your comment on F6 — Finding F6 was added to SOD" in texts(at)
    added = comment(db, 18)
    assert (added.section_id, added.part, added.from_line, added.to_line) == (None, "F6", 10, 10)
    assert added.reviewer_id == people.get_by_email(db, REVIEWER).id
    listed = table(at, "Comment")
    assert listed.loc[listed["No"] == 18, "Section"].item() == "F6"


def test_a_comment_beyond_an_item_is_refused_before_it_is_sent(open_page, db):
    keep_sod_open(db)
    at = open_page(PAGE, REVIEWER)
    at.selectbox(key="review_new_target").set_value("R4").run()
    assert at.number_input(key="review_new_from_R4").value == 27
    assert at.number_input(key="review_new_to_R4").value == 33
    at.number_input(key="review_new_to_R4").set_value(40).run()
    assert "go beyond it (give REC to comment on the whole part)" in texts(at)


def test_an_empty_comment_is_refused(open_page, db):
    keep_sod_open(db)
    at = open_page(PAGE, REVIEWER)
    at.button(key="review_new_add").click().run()
    assert "The comment is empty" in texts(at)
    count = db.exec(
        select(func.count()).select_from(ReviewComment).where(ReviewComment.round_id == sod(db).id)
    ).one()
    assert count == 17


def test_closing_with_unanswered_comments_shows_the_gate(open_page, db):
    at = open_page(PAGE, CLA)
    assert at.button(key="review_close").disabled
    at.checkbox(key="review_close_confirm").check().run()
    at.button(key="review_close").click().run()
    assert not at.exception
    assert "cannot close: 9 comments still need a response and a disposition" in texts(at)
    db.expire_all()
    assert sod(db).status == "open"


# --------------------------------------------------------------------------- the comment table


def upload(at: AppTest, rows: list[CommentRow]) -> AppTest:
    uploader = at.file_uploader[0]
    uploader.set_value(("sod-extra.csv", write_csv(rows), "text/csv"))
    return at.run()


def test_a_bad_comment_table_lists_every_problem(open_page, db):
    at = open_page(PAGE, CLA)
    rows = [
        CommentRow(None, "9.9", 1, 2, "Ana Reviewer", comment="No such section."),
        CommentRow(None, "0.1", 1, 9999, "Ana Reviewer", comment="No such line."),
    ]
    upload(at, rows)
    at.button(key="review_import").click().run()
    assert not at.exception
    assert "2 problems; nothing was imported" in texts(at)
    problems = table(at, "Problem")["Problem"].tolist()
    assert any("'9.9' is not a section or part of this report" in p for p in problems)
    assert any("9999" in p for p in problems)


def test_a_good_comment_table_is_imported(open_page, db):
    at = open_page(PAGE, SECRETARIAT, report=LIVING_WAGES)
    rows = [
        CommentRow(None, "0.1", 1, 1, "Ana Reviewer", "Government of Chile", comment="First."),
        CommentRow(None, "1.1", 2, 3, "Ana Reviewer", "Government of Chile", comment="Second."),
    ]
    upload(at, rows)
    at.button(key="review_import").click().run()
    assert not at.exception
    assert "Imported sod-extra.csv into SOD" in texts(at)
    assert comment(db, 19).comment == "Second."
    assert list(table(at, "Round")["Comments"]) == [64, 19]


def test_comments_left_in_the_word_export_are_imported(open_page, db):
    report = db.exec(select(Report).where(Report.slug == LIVING_WAGES)).one()
    secretariat = people.get_by_email(db, SECRETARIAT)
    exported = export.export_report(session=db, actor=secretariat, report=report, fmt="docx")
    document = docx.Document(io.BytesIO(exported.content))
    line = next(
        p
        for p in document.paragraphs
        if p.runs and p.runs[0].style.name == "Line Number" and "basket methods" in p.text
    )
    document.add_comment(line.runs[1:], text="Name the five countries.", author="Ana Reviewer")
    out = io.BytesIO()
    document.save(out)
    at = open_page(PAGE, SECRETARIAT, report=LIVING_WAGES)
    at.file_uploader[0].set_value(("sod-reviewed.docx", out.getvalue(), "application/octet-stream"))
    at.run()
    at.button(key="review_import").click().run()
    assert not at.exception
    assert "Imported sod-reviewed.docx into SOD" in texts(at)
    db.expire_all()
    added = db.exec(
        select(ReviewComment)
        .where(ReviewComment.round_id == sod(db).id)
        .order_by(col(ReviewComment.number).desc())
    ).first()
    assert added.reviewer_name == "Ana Reviewer" and "Name the five countries." in added.comment
    section = db.get(Section, added.section_id)
    assert section.code == "1.1"
    frozen = reviews.frozen_text(db, round_id=sod(db).id, section_id=section.id)
    assert "basket methods" in sections.lines_of(frozen)[added.from_line - 1]


def test_the_comment_table_is_prepared_for_download(open_page):
    at = open_page(PAGE, CLA)
    at.button(key="review_export_prepare").click().run()
    assert not at.exception
    assert at.download_button(key="review_export_download")


def test_reviewers_see_what_changed_since_the_last_round(open_page, db):
    at = open_page(PAGE, REVIEWER, report=LIVING_WAGES)
    assert "What changed" in [t.label for t in at.tabs]
    section = db.exec(select(Section).where(Section.code == "1.1")).first()
    at.selectbox(key="review_changes_section").set_value(section.id).run()
    assert not at.exception
    shown = texts(at)
    assert "as frozen for FOD" in shown and "as frozen for SOD" in shown
    assert "words added" in shown


def test_the_comment_table_pages_with_one_query_per_page(open_page, db):
    fod = db.exec(select(ReviewRound).where(ReviewRound.name == "FOD")).one()
    at = open_page(PAGE, CLA, report=LIVING_WAGES)
    at.selectbox(key="review_round").set_value(fod.id).run()
    pager = next(n for n in at.number_input if n.key.startswith(f"review_pager_{fod.id}_"))
    pager.set_value(2).run()
    assert not at.exception
    shown = texts(at)
    assert "64 comments match; showing 51–64" in shown


# --------------------------------------------------------------------------- in French and Spanish


def open_in(demo_url: str, email: str, language: str) -> AppTest:
    """Return the Review page opened by this person in this interface language."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["interface_language"] = language
    engine = make_engine(demo_url)
    with Session(engine) as s:
        at.session_state["person_id"] = people.get_by_email(s, email).id
    engine.dispose()
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_french_review_editor_reads_and_signs_off_in_french(demo_url, db):
    at = open_in(demo_url, REVIEW_EDITOR, "fr")
    # AppTest formats the widgets' values in the test's own thread: in the page's language too.
    with i18n.language("fr"):
        assert at.title[0].value == "Examen"
        assert at.selectbox(key="review_round").options == ["FOD (clos)", "SOD (ouvert)"]
        assert "Suite donnée" in table(at, "Commentaire").columns
        pick = at.multiselect(key="review_signoff_pick")
        number = int(pick.options[0].split()[1])
        pick.set_value([number]).run()
        assert at.button(key="review_signoff").label == "Valider 1 réponse"
        at.button(key="review_signoff").click().run()
    assert not at.exception
    assert f"Commentaire {number} validé." in texts(at)
    assert comment(db, number).signed_off_at is not None


def test_a_spanish_cla_reads_the_problems_of_a_comment_table_in_spanish(demo_url, db):
    at = open_in(demo_url, CLA, "es")
    rows = [
        CommentRow(None, "9.9", 1, 2, "Ana Reviewer", comment="No such section."),
        CommentRow(None, "0.1", 1, 9999, "Ana Reviewer", comment="No such line."),
    ]
    with i18n.language("es"):
        upload(at, rows)
        at.button(key="review_import").click().run()
    assert not at.exception
    assert "sod-extra.csv tiene 2 problemas; no se importó nada." in texts(at)
    problems = table(at, "Problema")["Problema"].tolist()
    assert problems[0].startswith("Fila 2 de sod-extra.csv: «9.9» no es una sección ni una parte")
    assert problems[1].startswith(
        "Fila 3 de sod-extra.csv: Sección 0.1, en su versión fijada para SOD, tiene"
    )
    assert problems[1].endswith("las líneas 1–9999 no existen")
