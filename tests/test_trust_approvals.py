"""Trust: a Council approval binds the whole report, the voting body is fixed, duties are separate.

Each test here failed on the workbench before the approval hash covered the
whole content, before content froze under a vote, and before decisions kept
their voting body.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from tests.factories import World, make_person, row_counts
from workbench import (
    audit,
    consensus,
    content,
    council,
    export,
    findings,
    initiatives,
    recommendations,
    reports,
    sections,
    sources,
    teams,
)
from workbench.errors import PermissionDenied, ValidationError
from workbench.models import (
    ActorType,
    Agreement,
    Classification,
    Confidence,
    ConsensusItemCreate,
    CouncilVote,
    DecisionKind,
    DecisionStatus,
    Evidence,
    FindingCreate,
    Horizon,
    InitiativeCreate,
    Likelihood,
    Membership,
    RecommendationCreate,
    Role,
    Scale,
    SectionStatus,
    SourceCreate,
    Stage,
    Stance,
    Vote,
)
from workbench.permissions import Frozen


class Content:
    """The structured content added to the test world, by name."""

    def __init__(self, session: Session, world: World) -> None:
        cla = world.cla
        report = world.report
        self.source = sources.add_source(
            session=session,
            actor=cla,
            report=report,
            data=SourceCreate(
                key="anker2017",
                csl={"type": "report", "title": "Living wages around the world", "issued": {}},
            ),
        )
        self.finding = findings.add_finding(
            session=session,
            actor=cla,
            report=report,
            data=FindingCreate(
                code="F1",
                statement="Living wages reduce in-work poverty.",
                evidence=Evidence.robust,
                agreement=Agreement.high,
                likelihood=Likelihood.likely,
                source_ids=[self.source.id],
            ),
        )
        self.actor = consensus.add_actor(
            session=session,
            actor=cla,
            report=report,
            name="National trade unions",
            actor_type=ActorType.trade_union,
        )
        self.item = consensus.add_item(
            session=session,
            actor=cla,
            report=report,
            data=ConsensusItemCreate(
                statement="Trickle-down growth lifts the lowest wages.",
                classification=Classification.false_solution,
                why_false="Wage floors, not growth alone, moved the lowest wages.",
            ),
        )
        self.position = consensus.set_position(
            session=session,
            actor=cla,
            item=self.item,
            actor_id=self.actor.id,
            stance=Stance.oppose,
            rationale="Growth has not reached the lowest paid.",
        )
        self.initiative = initiatives.add_initiative(
            session=session,
            actor=cla,
            report=report,
            data=InitiativeCreate(
                name="Living Wage Foundation", location="London", what="Accredits employers."
            ),
        )
        self.recommendation = recommendations.add_recommendation(
            session=session,
            actor=cla,
            report=report,
            data=RecommendationCreate(
                code="R1",
                text="Index statutory minimum wages to the cost of a decent life.",
                addressees=[ActorType.national_government],
                scale=Scale.national,
                horizon=Horizon.short_term,
                context_conditions="Where a statutory minimum wage exists.",
                normative_assumptions="Work should lift a household out of poverty.",
                finding_ids=[self.finding.id],
                initiative_ids=[self.initiative.id],
            ),
        )


@pytest.fixture
def rich(session: Session, world: World) -> Content:
    for section in world.sections:
        section.status = SectionStatus.accepted
        session.add(section)
    session.commit()
    return Content(session, world)


def at_council_review(session: Session, world: World) -> None:
    world.report.stage = Stage.council_review
    session.add(world.report)
    session.commit()


def open_approval(session: Session, world: World) -> council.CouncilDecision:
    at_council_review(session, world)
    return council.open_decision(
        session=session,
        actor=world.secretariat,
        report=world.report,
        kind=DecisionKind.report_approval,
        title="Approve the report",
    )


def approve(session: Session, world: World) -> council.CouncilDecision:
    decision = open_approval(session, world)
    for member in world.council:
        council.cast_vote(session=session, actor=member, decision=decision, vote=Vote.approve)
    council.close_decision(session=session, actor=world.secretariat, decision=decision)
    return decision


# ------------------------------------------------------------------ the hash covers everything

# Direct changes to each part of the content, as a write outside the services would make.
MUTATIONS: dict[str, Callable[[Session, World, Content], None]] = {
    "finding statement": lambda s, w, c: setattr(c.finding, "statement", "Changed."),
    "finding confidence": lambda s, w, c: setattr(c.finding, "confidence", Confidence.medium),
    "finding evidence": lambda s, w, c: setattr(c.finding, "evidence", Evidence.medium),
    "finding agreement": lambda s, w, c: setattr(c.finding, "agreement", Agreement.medium),
    "finding likelihood": lambda s, w, c: setattr(c.finding, "likelihood", None),
    "consensus statement": lambda s, w, c: setattr(c.item, "statement", "Changed."),
    "false solution reason": lambda s, w, c: setattr(c.item, "why_false", "Changed."),
    "classification": lambda s, w, c: setattr(c.item, "classification", Classification.consensus),
    "position stance": lambda s, w, c: setattr(c.position, "stance", Stance.support),
    "position rationale": lambda s, w, c: setattr(c.position, "rationale", "Changed."),
    "recommendation text": lambda s, w, c: setattr(c.recommendation, "text", "Changed."),
    "addressees": lambda s, w, c: setattr(c.recommendation, "addressees", ["business"]),
    "scale": lambda s, w, c: setattr(c.recommendation, "scale", Scale.global_),
    "horizon": lambda s, w, c: setattr(c.recommendation, "horizon", Horizon.long_term),
    "context": lambda s, w, c: setattr(c.recommendation, "context_conditions", "Changed."),
    "assumptions": lambda s, w, c: setattr(c.recommendation, "normative_assumptions", "X."),
    "initiative": lambda s, w, c: setattr(c.initiative, "outcomes", "Changed."),
    "cited reference": lambda s, w, c: setattr(
        c.source, "csl", {"type": "report", "title": "Another title"}
    ),
    "section title": lambda s, w, c: setattr(w.sections[0], "title", "Changed"),
    "report title": lambda s, w, c: setattr(w.report, "title", "Changed"),
}


@pytest.mark.parametrize("part", list(MUTATIONS))
def test_a_change_to_any_part_voids_the_approval_and_the_draft_stamp_returns(
    session, world, rich, part
):
    decision = approve(session, world)
    assert council.valid_approval(session, world.report.id).id == decision.id
    approved_export = export.gather(session, world.secretariat, world.report)
    assert approved_export.approved
    assert approved_export.text_hash == decision.text_hash

    changed = MUTATIONS[part]
    changed(session, world, rich)
    session.add_all([rich.finding, rich.item, rich.position, rich.recommendation])
    session.add_all([rich.initiative, rich.source, world.sections[0], world.report])
    session.commit()

    assert content.content_hash(session, world.report.id) != decision.text_hash
    assert council.decision_status(session, decision) is DecisionStatus.void
    assert council.valid_approval(session, world.report.id) is None
    with pytest.raises(ValidationError, match="no Council approval of the current text"):
        reports.advance_stage(
            session=session, actor=world.secretariat, report=world.report, to=Stage.approved
        )
    draft = export.gather(session, world.secretariat, world.report)
    assert not draft.approved
    assert draft.version != decision.text_hash[: export.VERSION_CHARS]


def test_the_hash_is_kept_while_the_content_token_stays_and_forgotten_at_any_change(
    session, world, rich, monkeypatch
):
    decision = approve(session, world)
    computed: list[int] = []
    real = content.content_hash

    def counting(s, report, **options):
        computed.append(1)
        return real(s, report, **options)

    monkeypatch.setattr(content, "content_hash", counting)
    world.sections[1].brief = "Not part of the content: the token stays."
    session.add(world.sections[1])
    session.commit()
    for _ in range(3):  # a page asking about every decision, run after run
        assert council.decision_status(session, decision) is DecisionStatus.approved
    with Session(session.get_bind()) as other:  # another page run, another session
        assert council.decision_status(other, other.get(type(decision), decision.id)) is (
            DecisionStatus.approved
        )
    assert computed == []  # hashed when the decision was approved, kept since
    # A change the session flushes (no audit event, no commit) is seen at once.
    world.sections[0].title = "Changed"
    session.add(world.sections[0])
    session.flush()
    assert council.decision_status(session, decision) is DecisionStatus.void
    assert council.decision_status(session, decision) is DecisionStatus.void
    assert len(computed) == 1
    # Rolled back, the change never happened: the approval stands again.
    session.rollback()
    assert council.decision_status(session, decision) is DecisionStatus.approved


def test_the_export_version_is_the_hash_the_council_records(session, world, rich):
    decision = open_approval(session, world)
    draft = export.gather(session, world.secretariat, world.report)
    assert draft.text_hash == decision.text_hash
    assert draft.version == decision.text_hash[:12]


def test_the_canonical_content_names_every_part_the_export_prints(session, world, rich):
    doc = content.canonical(session, world.report)
    finding = doc["findings"][0]
    assert (finding["statement"], finding["confidence"], finding["likelihood"]) == (
        "Living wages reduce in-work poverty.",
        "very_high",
        "likely",
    )
    assert doc["consensus"][0]["positions"][0]["actor"] == "National trade unions"
    assert doc["consensus"][0]["why_false"].startswith("Wage floors")
    rec = doc["recommendations"][0]
    assert rec["normative_assumptions"] == "Work should lift a household out of poverty."
    assert rec["findings"] == ["F1"] and rec["initiatives"] == ["Living Wage Foundation"]
    assert doc["initiatives"][0]["name"] == "Living Wage Foundation"
    assert [r["id"] for r in doc["references"]] == ["anker2017"]
    assert [s["code"] for s in doc["sections"]] == ["1.1", "2.1", "3.1", "4.1"]


# ------------------------------------------------------------------ frozen while the Council votes


def test_content_writes_are_refused_while_the_council_votes(session, world, rich):
    decision = open_approval(session, world)
    before = row_counts(session)
    section = world.sections[0]
    attempts = [
        lambda: sections.save_revision(
            session=session,
            actor=world.clas[0],
            section=section,
            text="Edited during the vote.",
            base_revision_id=section.head_revision_id,
        ),
        lambda: findings.update_finding(
            session=session, actor=world.cla, finding=rich.finding, statement="Changed."
        ),
        lambda: recommendations.update_recommendation(
            session=session, actor=world.cla, recommendation=rich.recommendation, text="Changed."
        ),
        lambda: consensus.set_position(
            session=session,
            actor=world.cla,
            item=rich.item,
            actor_id=rich.actor.id,
            stance=Stance.support,
            rationale="Changed.",
        ),
        lambda: sources.update_source(
            session=session, actor=world.cla, source=rich.source, region="Europe"
        ),
        lambda: sections.set_status(
            session=session, actor=world.cla, section=section, status=SectionStatus.revising
        ),
        lambda: reports.update_report(
            session=session, actor=world.cla, report=world.report, title="Another title"
        ),
        lambda: reports.advance_stage(
            session=session, actor=world.cla, report=world.report, to=Stage.final_draft
        ),
    ]
    for attempt in attempts:
        with pytest.raises((Frozen, ValidationError)) as refused:
            attempt()
        assert "Council is voting" in refused.value.message
        assert "withdraw" in refused.value.message
    session.expire_all()
    assert row_counts(session) == before
    assert council.decision_status(session, decision) is DecisionStatus.open


def test_a_cla_withdraws_the_decision_on_the_record_and_then_may_edit(session, world, rich):
    decision = open_approval(session, world)
    council.cast_vote(session=session, actor=world.council[0], decision=decision, vote="approve")
    with pytest.raises(PermissionDenied):
        council.withdraw_decision(
            session=session, actor=world.la, decision=decision, reason="A typo"
        )
    with pytest.raises(ValidationError, match="Say why"):
        council.withdraw_decision(session=session, actor=world.cla, decision=decision, reason="")
    council.withdraw_decision(
        session=session, actor=world.cla, decision=decision, reason="Finding F1 needs a fix."
    )
    assert decision.status is DecisionStatus.withdrawn
    assert decision.closing_note == "Finding F1 needs a fix."
    assert decision.closed_by_id == world.cla.id
    event = audit.events(session, entity="council_decision", entity_id=decision.id)[0]
    assert (event.action, event.detail["reason"]) == ("withdraw", "Finding F1 needs a fix.")
    with pytest.raises(ValidationError, match="was withdrawn"):
        council.cast_vote(
            session=session, actor=world.council[1], decision=decision, vote="approve"
        )
    findings.update_finding(
        session=session, actor=world.cla, finding=rich.finding, statement="Fixed."
    )
    assert council.decision_status(session, decision) is DecisionStatus.withdrawn


def test_approved_and_published_reports_are_final_until_a_new_edition(session, world, rich):
    decision = approve(session, world)
    reports.advance_stage(
        session=session, actor=world.secretariat, report=world.report, to=Stage.approved
    )
    with pytest.raises(Frozen, match="approved this text"):
        findings.update_finding(
            session=session, actor=world.cla, finding=rich.finding, statement="Changed."
        )
    with pytest.raises(ValidationError, match="new edition"):
        reports.advance_stage(
            session=session, actor=world.cla, report=world.report, to=Stage.council_review
        )
    reports.advance_stage(
        session=session, actor=world.secretariat, report=world.report, to=Stage.published
    )
    section = world.sections[1]
    for attempt in (
        lambda: sections.save_revision(
            session=session,
            actor=world.clas[0],
            section=section,
            text="After publication.",
            base_revision_id=section.head_revision_id,
        ),
        lambda: sections.set_status(
            session=session, actor=world.cla, section=section, status=SectionStatus.revising
        ),
        lambda: initiatives.update_initiative(
            session=session, actor=world.cla, initiative=rich.initiative, outcomes="More."
        ),
    ):
        with pytest.raises(Frozen, match="published"):
            attempt()

    with pytest.raises(PermissionDenied):
        reports.start_new_edition(
            session=session, actor=world.cla, report=world.report, reason="Typo in F1"
        )
    reports.start_new_edition(
        session=session, actor=world.secretariat, report=world.report, reason="Typo in F1"
    )
    assert (world.report.stage, world.report.edition) == (Stage.final_draft, 2)
    event = audit.events(session, entity="report", entity_id=world.report.id)[0]
    assert event.action == "new_edition"
    assert event.detail["previous_hash"] == decision.text_hash
    # The approval was of the first edition: the second needs its own.
    assert council.valid_approval(session, world.report.id) is None
    findings.update_finding(
        session=session, actor=world.cla, finding=rich.finding, statement="Corrected."
    )


# ------------------------------------------------------------------ reform endorsements


def open_reform(session: Session, world: World, rich: Content) -> council.CouncilDecision:
    return council.open_decision(
        session=session,
        actor=world.secretariat,
        report=world.report,
        kind=DecisionKind.reform_endorsement,
        title="Endorse living-wage indexation",
        reform="Index minimum wages to the cost of a decent life.",
        finding_ids=[rich.finding.id],
    )


def test_the_voting_body_is_fixed_when_the_decision_opens(session, world, rich):
    decision = open_reform(session, world, rich)
    assert [p.id for p in council.voting_body(session, decision)] == [p.id for p in world.council]
    for member in world.council[:4]:
        council.cast_vote(session=session, actor=member, decision=decision, vote=Vote.approve)
    # One member leaves, another joins: unanimity still means the five who were there.
    world.council[4].active = False
    session.add(world.council[4])
    newcomer = make_person(session, "New Member", roles=[(Role.council_member, None)])
    session.commit()
    with pytest.raises(ValidationError, match="not in the voting body"):
        council.cast_vote(session=session, actor=newcomer, decision=decision, vote=Vote.approve)
    tally = council.current_tally(session, decision)
    assert (tally.members, tally.in_favour, tally.not_voted) == (5, 4, 1)
    assert tally.outcome is DecisionStatus.open
    with pytest.raises(ValidationError, match="still open"):
        council.close_decision(session=session, actor=world.secretariat, decision=decision)


def test_a_reform_cannot_close_approved_once_its_finding_weakened(session, world, rich):
    decision = open_reform(session, world, rich)
    for member in world.council:
        council.cast_vote(session=session, actor=member, decision=decision, vote=Vote.approve)
    findings.update_finding(
        session=session,
        actor=world.cla,
        finding=rich.finding,
        evidence=Evidence.limited,
        agreement=Agreement.medium,
    )
    with pytest.raises(ValidationError, match="F1 now has low confidence"):
        council.close_decision(session=session, actor=world.secretariat, decision=decision)
    session.expire_all()
    assert council.get_decision(session, decision.id).status is DecisionStatus.open


def test_two_first_votes_at_the_same_moment_leave_one_ballot(session, world, rich):
    decision = open_approval(session, world)
    member = world.council[0]
    engine = session.get_bind()
    fired = []

    def other_tab_votes_first(sess, flush_context, instances) -> None:
        # The member's other tab inserts its ballot between our look-up and our insert.
        if fired or not any(isinstance(o, CouncilVote) for o in sess.new):
            return
        fired.append(True)
        with engine.begin() as conn:
            conn.execute(
                CouncilVote.__table__.insert().values(
                    decision_id=decision.id, person_id=member.id, vote="abstain", reason=""
                )
            )

    event.listen(session, "before_flush", other_tab_votes_first)
    try:
        ballot = council.cast_vote(
            session=session, actor=member, decision=decision, vote=Vote.approve
        )
    finally:
        event.remove(session, "before_flush", other_tab_votes_first)
    assert fired
    session.expire_all()
    ballots = session.exec(
        select(CouncilVote).where(
            CouncilVote.decision_id == decision.id, CouncilVote.person_id == member.id
        )
    ).all()
    assert len(ballots) == 1
    assert ballots[0].vote is Vote.approve == ballot.vote


# ------------------------------------------------------------------ separation of duties


def test_an_author_cannot_be_given_a_review_role_nor_a_reviewer_an_author_role(session, world):
    before = row_counts(session)
    refusals = [
        (world.la, Role.reviewer, "cannot also review it"),
        (world.review_editor, Role.lead_author, "separation of duties"),
        (world.reviewer, Role.review_editor, "Review Editor cannot also be a Reviewer"),
    ]
    for person, role, why in refusals:
        with pytest.raises(ValidationError, match=why):
            teams.add_member(
                session=session,
                actor=world.secretariat,
                report=world.report,
                person=person,
                role=role,
            )
    assert row_counts(session) == before


def test_combined_roles_are_refused_again_when_the_action_is_taken(session, world):
    from tests.test_reviews import open_fod
    from workbench import reviews

    review_round = open_fod(session, world)
    # Roles combined behind the team service's back (an old database, a direct write).
    session.add(Membership(person_id=world.la.id, report_id=world.report.id, role=Role.reviewer))
    session.commit()
    with pytest.raises(PermissionDenied, match="author of this report"):
        reviews.add_comment(
            session=session,
            actor=world.la,
            round=review_round,
            section_id=world.sections[0].id,
            from_line=1,
            to_line=1,
            comment="Excellent work, by me.",
        )


def test_a_council_member_who_wrote_the_report_neither_votes_nor_counts(session, world, rich):
    writer = world.council[0]
    session.add(Membership(person_id=writer.id, report_id=world.report.id, role=Role.lead_author))
    session.commit()
    decision = open_approval(session, world)
    assert writer.id not in {p.id for p in council.voting_body(session, decision)}
    with pytest.raises(PermissionDenied, match="may not vote on it"):
        council.cast_vote(session=session, actor=writer, decision=decision, vote=Vote.approve)
    for member in world.council[1:]:
        council.cast_vote(session=session, actor=member, decision=decision, vote=Vote.approve)
    tally = council.current_tally(session, decision)
    assert (tally.members, tally.in_favour, tally.outcome) == (4, 4, DecisionStatus.approved)
    # And a member of an open decision's body cannot become one of the report's authors.
    with pytest.raises(ValidationError, match="sits on the Council's open decision"):
        teams.add_member(
            session=session,
            actor=world.secretariat,
            report=world.report,
            person=world.council[1],
            role=Role.contributing_author,
        )


def test_the_demo_workspace_keeps_duties_separate(demo_template):
    from workbench.db import make_engine
    from workbench.models import AUTHOR_ROLES

    engine = make_engine(f"sqlite:///{demo_template}")
    with Session(engine) as s:
        rows = s.exec(select(Membership)).all()
    engine.dispose()
    held: dict[tuple[int, int | None], set[Role]] = {}
    for m in rows:
        held.setdefault((m.person_id, m.report_id), set()).add(Role(m.role))
    council_ids = {pid for (pid, rid), roles in held.items() if Role.council_member in roles}
    for (pid, rid), roles in held.items():
        if rid is None:
            continue
        assert not (roles & AUTHOR_ROLES and roles & {Role.review_editor, Role.reviewer})
        assert not {Role.review_editor, Role.reviewer} <= roles
        assert not (pid in council_ids and roles & AUTHOR_ROLES)


def test_votes_from_two_threads_at_once_never_raise(session, world, rich):
    """Two first votes of one member sent together: one ballot, no raw database error."""
    if session.get_bind().dialect.name == "sqlite":
        pytest.skip("the in-memory SQLite test database is one connection; PostgreSQL runs it")
    decision = open_approval(session, world)
    engine = session.get_bind()
    member_id, decision_id = world.council[2].id, decision.id
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def vote(choice: Vote) -> None:
        with Session(engine, expire_on_commit=False) as s:
            member = s.get(type(world.council[2]), member_id)
            d = council.get_decision(s, decision_id)
            barrier.wait()
            try:
                council.cast_vote(session=s, actor=member, decision=d, vote=choice)
            except ValidationError:
                pass  # a clean message is acceptable; a raw error is not
            except BaseException as exc:  # pragma: no cover - the failure being tested
                errors.append(exc)

    threads = [threading.Thread(target=vote, args=(v,)) for v in (Vote.approve, Vote.abstain)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session.expire_all()
    count = len(
        session.exec(
            select(CouncilVote).where(
                CouncilVote.decision_id == decision_id, CouncilVote.person_id == member_id
            )
        ).all()
    )
    assert count == 1


# ------------------------------------------------------------------ a new edition, from the CLI


def test_the_secretariat_starts_a_new_edition_from_the_command_line(demo_template, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.db import make_engine
    from workbench.models import AuditEvent, Report

    path = tmp_path / "ws.db"
    shutil.copy(demo_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with Session(engine) as s:
        report = s.exec(select(Report).where(Report.slug == "living-wages")).one()
        report.stage = Stage.published
        s.add(report)
        s.commit()
    runner = CliRunner()
    env = {"WORKBENCH_DATABASE_URL": url}
    args = ["reports", "new-edition", "--report", "living-wages", "--reason", "Typo in 2.1"]
    refused = runner.invoke(app, [*args, "--as", "amina.diallo@demo.ipsp.example"], env=env)
    assert refused.exit_code != 0
    assert "may not start new edition" in refused.output
    done = runner.invoke(app, args, env=env)
    assert done.exit_code == 0, done.output
    assert "living-wages is now edition 2" in done.output
    with Session(engine) as s:
        report = s.exec(select(Report).where(Report.slug == "living-wages")).one()
        assert (report.stage, report.edition) == (Stage.final_draft, 2)
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "new_edition")).one()
        assert event.detail["reason"] == "Typo in 2.1"
        assert event.detail.get("via") == "cli"
    engine.dispose()


def test_the_command_line_refuses_an_oversized_file_before_reading_it(tmp_path, monkeypatch):
    """A sparse 20 GB 'bibliography' is refused by its size; it is never read into memory."""
    from pathlib import Path

    from typer.testing import CliRunner

    from workbench.cli import app

    huge = tmp_path / "huge.bib"
    with huge.open("wb") as handle:
        handle.truncate(20 * 1024**3)
    read = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or original(self))
    result = CliRunner().invoke(
        app,
        ["sources", "import", str(huge), "--report", "living-wages"],
        env={"WORKBENCH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
    )
    assert result.exit_code != 0
    assert "huge.bib is 20480.0 MiB; at most 10 MiB is accepted here." in result.output
    assert read == []
