"""The Council page: decisions, tally, votes and reasons, the text they bind, the Secretariat."""

from __future__ import annotations

import ast
import io
import re
import sys
import types
from pathlib import Path

import docx
import pytest
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from tests import factories
from tests.pages.conftest import CLA, COUNCIL, ROLES, SECRETARIAT, texts
from workbench import content, council, export, people, sections
from workbench.models import (
    CouncilDecision,
    CouncilVote,
    DecisionKind,
    DecisionStatus,
    Finding,
    Question,
    Report,
    Section,
    SectionRevision,
    Stage,
    Vote,
)

PAGE = "views/council.py"
ROOT = Path(__file__).resolve().parents[2]
LIVING_WAGES = "living-wages"
ALLOWED = ("cla", "council_member", "secretariat")


def reform(db: Session) -> CouncilDecision:
    """Return the demo's reform-endorsement decision, fresh from the database."""
    db.expire_all()
    return db.exec(
        select(CouncilDecision).where(CouncilDecision.kind == DecisionKind.reform_endorsement)
    ).one()


def ballot(db: Session, email: str) -> CouncilVote | None:
    """Return this person's vote on the demo reform, if any."""
    person = people.get_by_email(db, email)
    return db.exec(
        select(CouncilVote).where(
            CouncilVote.decision_id == reform(db).id, CouncilVote.person_id == person.id
        )
    ).first()


def table(at: AppTest, column: str):
    """Return the first table on the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def metrics(at: AppTest) -> dict[str, str]:
    """Return the page's metrics as label → value."""
    return {m.label: m.value for m in at.metric}


def living_wages(db: Session) -> Report:
    return db.exec(select(Report).where(Report.slug == LIVING_WAGES)).one()


def change_summary(db: Session, extra: str) -> None:
    """Append text to the head revision of the Summary for Policymakers (as a later edit would)."""
    section = db.exec(
        select(Section)
        .join(Report, col(Report.id) == col(Section.report_id))
        .where(Report.slug == LIVING_WAGES, Section.code == "0.1")
    ).one()
    head = db.get(SectionRevision, section.head_revision_id)
    head.text += extra
    db.add(head)
    db.commit()


# --------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role(open_page, open_file, role):
    if role in ALLOWED:
        at = open_page(PAGE, ROLES[role], report=LIVING_WAGES)
    else:
        at = open_file(PAGE, ROLES[role], report=LIVING_WAGES)
    assert not at.exception, at.exception
    shown = texts(at)
    if role not in ALLOWED:
        assert "Not permitted" in shown
        assert not at.dataframe and not at.button
        return
    assert "Not permitted" not in shown
    decisions = table(at, "Decision")
    assert decisions["Kind"].tolist() == ["Reform endorsement"]
    assert decisions["Rule"].tolist() == ["Unanimity of members"]
    assert decisions["Status"].tolist() == ["Open"]
    assert len(decisions["Version"][0]) == 12
    assert "Endorse living-wage clauses in public procurement" in shown
    assert "The reform put to the Council" in shown
    assert "findings it rests on are checked again when it closes" in shown
    findings = table(at, "Statement")
    assert findings["Finding"].tolist() == ["F2", "F4", "F10"]
    assert set(findings["Confidence"]) <= {"High", "Very high"}
    assert metrics(at) == {
        "Approve": "1",
        "Approve with changes": "1",
        "Abstain": "0",
        "Object": "0",
        "Not voted": "3",
    }
    assert "3 members have not voted yet" in shown
    votes = table(at, "Reason")
    assert sorted(votes["Vote"]) == ["Approve", "Approve with changes"]
    tabs = [t.label for t in at.tabs]
    assert tabs[:2] == ["Decisions", "Read the report"]
    buttons = {b.key for b in at.button}
    assert ("council_cast" in buttons) == (role == "council_member")
    assert ("council_close" in buttons) == (role == "secretariat")
    assert ("Open a decision" in tabs) == (role == "secretariat")


def open_approval(db: Session) -> CouncilDecision:
    """Bring living-wages to council review and open its approval; return the decision."""
    report = living_wages(db)
    report.stage = Stage.council_review
    db.add(report)
    db.commit()
    return council.open_decision(
        session=db,
        actor=people.get_by_email(db, SECRETARIAT),
        report=report,
        kind=DecisionKind.report_approval,
        title="Approve Living Wages for All",
    )


READ = "Read the report"


def read(at: AppTest, **query: str) -> AppTest:
    """Open the "Read the report" tab (as its address names it), with these query parameters."""
    at.query_params["tab"] = READ
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def switch_tab(at: AppTest, label: str) -> AppTest:
    """Open the tab with this label, as a click on it does (its state and the address)."""
    at.session_state["tab"] = at.query_params["tab"] = label
    return at.run()


def open_reading(open_page, email: str = COUNCIL, **query: str) -> AppTest:
    """Open the Council page on living-wages at the report's reading, as this person."""
    return read(open_page(PAGE, email, report=LIVING_WAGES), **query)


def headings(at: AppTest) -> list[str]:
    """Return the anchors of the headings the page shows, in order (the contents' first)."""
    return [e.proto.anchor for e in at.main if getattr(e, "type", "") in ("header", "subheader")]


def section_headings(at: AppTest) -> list[str]:
    """Return the section headings the page shows ("1.1 Defining …"), in order."""
    return [str(h.value) for h in at.subheader if h.proto.anchor.startswith("sec-")]


def reading_markdown(at: AppTest) -> list[str]:
    """Return the Markdown blocks of the page, as they are sent to the browser."""
    return [str(m.value) for m in at.markdown]


def part_after(at: AppTest, anchor: str) -> str:
    """Return the Markdown shown right after the heading with this anchor."""
    blocks = [e for e in at.main if getattr(e, "type", "") in ("header", "subheader", "markdown")]
    for index, element in enumerate(blocks):
        if element.type != "markdown" and element.proto.anchor == anchor:
            return str(blocks[index + 1].value)
    raise AssertionError(f"no heading with the anchor {anchor}")


def test_the_report_reads_like_the_export_with_contents_tables_and_no_citation_keys(open_page, db):
    at = open_reading(open_page)
    assert not at.exception
    # The contents: the chapters to choose from, in the export's order.
    chapters = at.radio(key="council_chapter")
    titles = [o.replace("\\", "") for o in chapters.options]  # as the browser shows them
    assert titles[0] == "0.1 Summary for policymakers"
    for title in (
        "1. What is known?",
        "Key findings",
        "Consensus and disagreement",
        "Recommendations",
        "References",
        "Annex: initiatives",
    ):
        assert title in titles
    assert "Open comments" not in titles
    assert "one chapter at a time" in texts(at)
    # Next, chapter after chapter: the sections in question order, each under its heading.
    seen: list[str] = []
    shown = ""
    for _ in chapters.options:
        seen += [a for a in headings(at) if a.startswith("sec-")]
        shown += texts(at)
        if not [b for b in at.button if b.key == "council_next"]:
            break
        at.button(key="council_next").click().run()
        assert not at.exception
    ordered = sections.list_sections(db, living_wages(db).id)
    assert seen == [f"sec-{s.id}" for s in ordered]
    assert at.radio(key="council_chapter").value == "review-summary"
    # Citations rendered as the export renders them; no key anywhere a person reads.
    assert "[@" not in shown
    assert "International Labour Organization 2024" in shown
    # A chapter's own parts are listed in the contents, each a link to its heading.
    at.radio(key="council_chapter").set_value("q-obstacles").run()
    contents = next(m for m in reading_markdown(at) if "](#sec-" in m)
    targets = re.findall(r"\]\(#([\w-]+)\)", contents)
    assert targets and set(targets) <= set(headings(at))
    assert [str(h.value).split(" ", 1)[0] for h in at.subheader[1:]] == ["3.1", "3.2", "3.3"]
    # Findings, consensus and false solutions are tables, each chapter chosen in the contents.
    at.radio(key="council_chapter").set_value("key-findings").run()
    assert at.query_params["chapter"] == "key-findings"
    findings = part_after(at, "key-findings")
    assert "| No. | Finding | Traceable account |" in findings
    assert re.search(
        r"^\| F2 \| Employers have substantial power .* \(\*very high confidence\*\)\. \{3\.1\} \|",
        findings,
        re.M,
    )
    at.radio(key="council_chapter").set_value("consensus").run()
    assert "| No. | Statement | Classification | Positions |" in part_after(at, "consensus")
    assert "| Proposal | Why it is a false solution |" in part_after(at, "false-solutions")
    at.radio(key="council_chapter").set_value("recommendations").run()
    assert "| Context conditions | Normative assumptions |" in part_after(at, "recommendations")
    at.radio(key="council_chapter").set_value("references").run()
    assert "International Labour Organization. 2024." in part_after(at, "references")
    # Line numbers are the reviewers' business: not in the reading copy.
    at.radio(key="council_chapter").set_value("q-known").run()
    assert not re.search(r"^1 \*Draft for the second-order review", part_after(at, "sec-2"))


def test_only_the_open_tab_reads_the_report(open_page, monkeypatch):
    calls: list[str] = []
    real = export.reading_copy

    def counted(**kwargs):
        calls.append(kwargs["report"].slug)
        return real(**kwargs)

    monkeypatch.setattr(export, "reading_copy", counted)
    at = open_page(PAGE, COUNCIL, report=LIVING_WAGES)
    assert not at.exception
    assert "Contents" not in [str(h.value) for h in at.subheader]
    assert calls == []
    read(at)
    assert calls == [LIVING_WAGES]
    assert "Contents" in [str(h.value) for h in at.subheader]
    assert not at.metric  # the Decisions tab's tally is not drawn meanwhile


def test_a_reason_half_typed_survives_a_look_at_the_report(open_page, db):
    at = open_page(PAGE, COUNCIL, report=LIVING_WAGES)
    decision = reform(db)
    at.text_area(key=f"council_reason_{decision.id}").input("Costs for small towns?").run()
    read(at)
    assert "Contents" in [str(h.value) for h in at.subheader]
    switch_tab(at, "Decisions")
    assert not at.exception
    assert at.text_area(key=f"council_reason_{decision.id}").value == "Costs for small towns?"


def make_long_question(db: Session, count: int = 60) -> list[Section]:
    """Add ``count`` short sections to living-wages's first question; return them in order."""
    report = living_wages(db)
    lead = people.get_by_email(db, CLA)
    for n in range(count):
        factories.make_section(
            db,
            report,
            f"1.{n + 10}",
            Question.known,
            lead=lead,
            text=f"Paragraph of long section {n + 1}.",
        )
    return [s for s in sections.list_sections(db, report.id) if s.question == Question.known]


def test_a_long_chapter_is_read_twenty_sections_a_page(open_page, db):
    known = make_long_question(db)
    total = len(known)  # the demo's three and the sixty added
    assert total == 63
    titles = [f"{s.code} {s.title}" for s in known]
    at = open_reading(open_page, chapter="q-known")
    assert not at.exception
    assert section_headings(at) == titles[:20]
    assert f"Chapter 2 of 12 · page 1 of 4 · sections 1–20 of {total}" in texts(at)
    assert at.button(key="council_next").label == f"Next page (sections 21–40 of {total}) →"
    at.button(key="council_next").click().run()
    assert not at.exception
    assert section_headings(at) == titles[20:40]
    assert f"page 2 of 4 · sections 21–40 of {total}" in texts(at)
    assert at.query_params["chapter"] == "q-known" and at.query_params["page"] == "2"
    # The contents links the sections on this page and offers the others to go to.
    contents = next(m for m in reading_markdown(at) if "](#sec-" in m)
    assert re.findall(r"\]\(#(sec-\d+)\)", contents) == [f"sec-{s.id}" for s in known[20:40]]
    picker = at.selectbox(key="council_section_q-known_2")
    assert len(picker.options) == total - 20
    picker.set_value(f"sec-{known[45].id}").run()
    assert not at.exception
    assert section_headings(at) == titles[40:60]
    assert at.query_params["page"] == "3"
    # The last page, then Previous back to the first of the chapter, and on to the next chapter.
    at.button(key="council_next").click().run()
    assert section_headings(at) == titles[60:]
    assert at.button(key="council_next").label == "Next chapter: 2\\. What is desirable? →"
    for _ in range(3):
        at.button(key="council_previous").click().run()
    assert section_headings(at) == titles[:20]
    assert "page" not in at.query_params
    assert at.button(key="council_previous").label.startswith("← Previous chapter: 0.1 Summary")


def page_definitions() -> types.ModuleType:
    """Return the Council page's functions and classes, without running the page."""
    tree = ast.parse((ROOT / PAGE).read_text(encoding="utf-8"))
    tree.body = [node for node in tree.body if not isinstance(node, ast.With)]
    module = types.ModuleType("council_page_definitions")
    sys.modules[module.__name__] = module
    exec(compile(tree, PAGE, "exec"), module.__dict__)
    return module


def test_a_long_part_is_split_between_its_paragraphs_and_table_rows():
    council_page = page_definitions()
    text = "\n\n".join(f"Paragraph {n} " + "word " * 200 for n in range(400))
    pieces = council_page.split_markdown(text, 20_000)
    assert len(pieces) > 10 and max(len(p) for p in pieces) <= 20_000
    assert "\n\n".join(pieces).split() == text.split()  # nothing lost, nothing moved
    table = "| No. | Finding |\n|---|---|\n" + "\n".join(
        f"| F{n} | A finding {'x' * 100} |" for n in range(1000)
    )
    parts = council_page.split_markdown(table, 20_000)
    assert len(parts) > 4
    assert all(p.startswith("| No. | Finding |\n|---|---|\n| F") for p in parts)
    rows = [row for p in parts for row in re.findall(r"^\| (F\d+) \|", p, re.M)]
    assert rows == [f"F{n}" for n in range(1000)]


@pytest.mark.parametrize(
    "query",
    [
        {"chapter": "../../etc/passwd"},
        {"chapter": "q-known", "page": "-1"},
        {"chapter": "q-known", "page": "99999"},
        {"chapter": "q-known", "page": "abc"},
        {"chapter": "q-known\x00", "page": "1\x00"},
        {"chapter": "<script>alert(1)</script>", "page": "²"},
        {"page": "0"},
    ],
)
def test_an_unknown_or_hostile_place_falls_back_to_the_first(open_page, query):
    at = open_reading(open_page, **query)
    assert not at.exception
    assert not at.error
    wanted = query.get("chapter")
    first = "sec-2" if wanted == "q-known" else "sec-1"
    assert next(a for a in headings(at) if a.startswith("sec-")) == first
    assert at.query_params["chapter"] == ("q-known" if wanted == "q-known" else "sec-1")
    assert "page" not in at.query_params


def test_the_version_shown_is_the_decisions_and_never_called_a_text_hash(open_page, db):
    decision = open_approval(db)
    at = open_page(PAGE, COUNCIL, report=LIVING_WAGES)
    assert not at.exception
    version = decision.text_hash[:12]
    assert table(at, "Decision")["Version"].tolist()[0] == version
    columns = " ".join(str(c) for d in at.dataframe for c in d.value.columns)
    read(at)
    shown = texts(at)
    assert f"**Version {version}**" in shown
    assert (
        f"This is the content 'Approve Living Wages for All' was opened on: version {version}."
        in shown
    )
    assert "hash" not in (shown + columns).lower()


def test_the_downloaded_word_file_carries_the_version_read(open_page, db):
    decision = open_approval(db)
    at = open_reading(open_page)
    assert at.radio(key="council_export_format").options == [
        "Word (.docx)",
        "PDF",
        "Markdown (.md)",
    ]
    at.button(key="council_export_go").click().run()
    assert not at.exception
    prepared = at.session_state["council_export_file"]
    assert prepared.filename == f"living-wages-{decision.text_hash[:12]}.docx"
    assert prepared.version == decision.text_hash[:12]
    document = docx.Document(io.BytesIO(prepared.content))
    assert f"Version: {decision.text_hash[:12]}" in [p.text for p in document.paragraphs[:20]]
    assert f"Ready: {prepared.filename} (version {prepared.version})." in texts(at)


def test_a_file_prepared_before_the_content_changed_is_not_offered(open_page, db):
    at = open_reading(open_page)
    at.button(key="council_export_go").click().run()
    before = at.session_state["council_export_file"].version
    change_summary(db, "\nOne more sentence.")
    at.run()
    assert not at.exception
    assert "council_export_file" not in at.session_state
    assert f"The report has changed since living-wages-{before}.docx was prepared" in texts(at)


def test_a_void_approval_is_said_plainly_above_the_text(open_page, db):
    decision = open_approval(db)
    change_summary(db, "\nA sentence written outside the services.")
    at = open_reading(open_page)
    assert not at.exception
    void = [
        e for e in at.error if "This is not the content the Council is asked to approve" in e.value
    ]
    assert len(void) == 1
    assert f"was opened on version {decision.text_hash[:12]}" in void[0].value
    now = content.content_hash(db, living_wages(db).id)[:12]
    assert f"What follows is the current content, version {now}." in void[0].value
    assert f"**Version {now}**" in texts(at)
    # Above the text: the notice comes before the contents and the sections.
    order = [
        "void" if e.type == "error" and e in void else e.proto.anchor
        for e in at.main
        if getattr(e, "type", "") in ("error", "subheader")
    ]
    assert order.index("void") < order.index("contents") < order.index("sec-1")


def test_raw_html_in_a_section_is_never_rendered_and_images_are_links(open_page, db):
    change_summary(
        db,
        "\n\n<script>alert('x')</script><b>bold</b>\n\n![A chart](https://example.org/chart.png)",
    )
    at = open_reading(open_page)
    assert not at.exception
    assert all(not m.allow_html for m in at.markdown)
    summary = part_after(at, "sec-1")
    assert "<script>" not in summary and "<b>" not in summary
    # Shown as the characters the author typed (escaped), not run or rendered.
    assert "\\<script\\>alert(" in summary and "\\<b\\>bold" in summary
    assert "![" not in "".join(reading_markdown(at))
    assert "[image: A chart](https://example.org/chart.png)" in summary


# --------------------------------------------------------------------------- voting


def test_a_council_member_votes_with_a_reason(open_page, db):
    assert ballot(db, COUNCIL).vote == Vote.approve
    at = open_page(PAGE, COUNCIL, report=LIVING_WAGES)
    decision = reform(db)
    assert "Voting again replaces that vote" in texts(at)
    at.radio(key=f"council_vote_{decision.id}").set_value(Vote.approve_with_changes)
    at.text_area(key=f"council_reason_{decision.id}").input(
        "Say who pays when contract prices rise."
    )
    at.button(key="council_cast").click().run()
    assert not at.exception
    assert "Your vote on 'Endorse living-wage clauses" in texts(at)
    saved = ballot(db, COUNCIL)
    assert saved.vote == Vote.approve_with_changes
    assert saved.reason == "Say who pays when contract prices rise."
    assert metrics(at)["Approve with changes"] == "2"


def test_an_objection_without_a_reason_is_refused(open_page, db):
    at = open_page(PAGE, COUNCIL, report=LIVING_WAGES)
    decision = reform(db)
    at.radio(key=f"council_vote_{decision.id}").set_value(Vote.object)
    at.text_area(key=f"council_reason_{decision.id}").input("   ")
    at.button(key="council_cast").click().run()
    assert not at.exception
    assert "Give a reason to object: the Council reads it." in texts(at)
    assert ballot(db, COUNCIL).vote == Vote.approve


def test_an_edit_does_not_void_a_reform_endorsement_whose_findings_are_checked_at_closing(
    open_page, db
):
    change_summary(db, "\nOne more sentence.")
    at = open_page(PAGE, COUNCIL, report=LIVING_WAGES)
    assert not at.exception
    shown = texts(at)
    assert "Void" not in shown
    assert table(at, "Decision")["Status"].tolist() == ["Open"]
    assert "checked again when it closes" in shown
    assert "council_cast" in {b.key for b in at.button}


def test_a_cla_withdraws_an_open_decision_with_a_reason(open_page, db):
    at = open_page(PAGE, CLA, report=LIVING_WAGES)
    assert "council_withdraw" in {b.key for b in at.button}
    at.button(key="council_withdraw").click().run()
    assert not at.exception
    assert "Say why the decision is withdrawn" in texts(at)
    assert reform(db).status == DecisionStatus.open
    decision = reform(db)
    at.text_area(key=f"council_withdraw_reason_{decision.id}").input(
        "Finding 2.3 must be re-graded first."
    )
    at.button(key="council_withdraw").click().run()
    assert not at.exception
    withdrawn = reform(db)
    assert withdrawn.status == DecisionStatus.withdrawn
    assert withdrawn.closing_note == "Finding 2.3 must be re-graded first."
    shown = texts(at)
    assert "Withdrawn" in shown and "Finding 2.3 must be re-graded first." in shown
    assert "council_cast" not in {b.key for b in at.button}


def test_a_council_member_cannot_withdraw(open_page, db):
    at = open_page(PAGE, COUNCIL, report=LIVING_WAGES)
    assert "council_withdraw" not in {b.key for b in at.button}


# --------------------------------------------------------------------------- the Secretariat


def test_closing_while_the_outcome_is_open_is_refused(open_page, db):
    at = open_page(PAGE, SECRETARIAT, report=LIVING_WAGES)
    at.button(key="council_close").click().run()
    assert not at.exception
    assert "is still open: 3 members have not voted yet" in texts(at)
    assert reform(db).status == DecisionStatus.open


def test_the_secretariat_closes_a_settled_decision(open_page, db):
    objection = ballot(db, "ahmed.benali@demo.ipsp.example")
    objection.vote = Vote.object
    objection.reason = "The cost would fall on workers through lower hours."
    db.add(objection)
    db.commit()
    at = open_page(PAGE, SECRETARIAT, report=LIVING_WAGES)
    at.button(key="council_close").click().run()
    assert not at.exception
    assert "is closed" in texts(at)
    assert reform(db).status == DecisionStatus.rejected


def test_an_approval_is_refused_before_council_review(open_page, db):
    at = switch_tab(open_page(PAGE, SECRETARIAT, report=LIVING_WAGES), "Open a decision")
    at.radio(key="council_new_kind").set_value(DecisionKind.report_approval).run()
    assert "opening an approval is refused until then" in texts(at)
    at.text_input(key="council_new_title").input("Approve the report")
    at.button(key="council_open").click().run()
    assert not at.exception
    assert "the Council decides on approval only at council review" in texts(at)
    assert len(db.exec(select(CouncilDecision)).all()) == 1


def test_the_secretariat_opens_an_approval_at_council_review(open_page, db):
    report = living_wages(db)
    report.stage = Stage.council_review
    db.add(report)
    db.commit()
    at = switch_tab(open_page(PAGE, SECRETARIAT, report=LIVING_WAGES), "Open a decision")
    at.radio(key="council_new_kind").set_value(DecisionKind.report_approval).run()
    at.text_input(key="council_new_title").input("Approve Living Wages for All")
    at.button(key="council_open").click().run()
    assert not at.exception
    assert "is open for the Council's votes" in texts(at)
    db.expire_all()
    opened = db.exec(
        select(CouncilDecision).where(CouncilDecision.kind == DecisionKind.report_approval)
    ).one()
    assert opened.title == "Approve Living Wages for All"
    switch_tab(at, "Decisions")
    assert table(at, "Decision")["Decision"].tolist()[0] == "Approve Living Wages for All"


def test_the_secretariat_opens_a_reform_endorsement_on_findings(open_page, db):
    at = switch_tab(open_page(PAGE, SECRETARIAT, report=LIVING_WAGES), "Open a decision")
    assert at.radio(key="council_new_kind").value == DecisionKind.reform_endorsement
    at.text_input(key="council_new_title").input("Endorse sector-wide bargaining")
    at.text_area(key="council_new_reform").input("Extend sector agreements to all firms.")
    picker = at.multiselect(key="council_new_findings")
    assert picker.options and all("(high)" in o or "(very high)" in o for o in picker.options)
    high = db.exec(
        select(Finding).where(Finding.report_id == living_wages(db).id, Finding.code == "F2")
    ).one()
    picker.set_value([high.id]).run()
    at.button(key="council_open").click().run()
    assert not at.exception
    db.expire_all()
    opened = db.exec(
        select(CouncilDecision).where(CouncilDecision.title == "Endorse sector-wide bargaining")
    ).one()
    assert opened.reform == "Extend sector agreements to all firms."


def test_a_reform_without_findings_is_refused(open_page, db):
    at = switch_tab(open_page(PAGE, SECRETARIAT, report=LIVING_WAGES), "Open a decision")
    assert at.radio(key="council_new_kind").value == DecisionKind.reform_endorsement
    at.text_input(key="council_new_title").input("Endorse something")
    at.text_area(key="council_new_reform").input("Do something.")
    at.button(key="council_open").click().run()
    assert "must rest on the Panel's own evidence" in texts(at)
    assert len(db.exec(select(CouncilDecision)).all()) == 1


def test_cla_follows_but_cannot_vote(open_page):
    at = open_page(PAGE, CLA, report=LIVING_WAGES)
    assert not at.exception
    assert not [r for r in at.radio if r.key and r.key.startswith("council_vote_")]
