"""The Coordination Council: decisions on reports and reforms, and the members' votes.

- The **Council** is every active person holding the workspace-wide Council
  member role.
- A **decision** is either a **report approval** (opened once the report is at
  council review) or a **reform endorsement** (the Panel backing one specific
  reform). It follows a **rule**: report approval defaults to a majority of
  members with no unresolved objection; a reform endorsement always needs
  unanimity and must rest on at least one finding of high or very high
  confidence from the same report.
- Its **voting body** is fixed when it opens: the active Council members who
  are not authors of the report (separation of duties). Who joins, leaves or is
  deactivated later does not change that decision's tally; a member of the body
  who can no longer vote leaves the decision without their vote, so a decision
  that needs every vote must then be withdrawn and opened again.
- Every decision records the **content hash** of the report when it opened
  (:func:`workbench.content.content_hash`: sections, findings, consensus,
  recommendations, initiatives, cited references). While a report approval is
  open, and once the report is approved or published, the report's content
  cannot change (:func:`workbench.permissions.frozen_reason`); a CLA or the
  Secretariat may **withdraw** an open decision, on the record, and only then
  can the authors edit. Should the content change anyway (a write outside the
  services), an open or approved report approval is **void**: it can no longer
  be voted on, closed, or used to publish.
- A reform endorsement does not freeze the report: its linked findings are
  checked again when it closes, and it cannot close as approved if one of them
  no longer has high or very high confidence.
- A **vote** is approve, approve with changes, abstain or object; objecting or
  asking for changes needs a reason. A member may vote again while the
  decision is open; the new vote replaces the old one (two first votes sent at
  the same moment leave one ballot).
- The **tally** (governance.tally) says what the votes of the voting body mean
  under the rule; closing a decision records its outcome once the tally is no
  longer open, and never approves while a vote the rule needs is missing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workbench import audit, governance, history, notifications
from workbench.content import content_hash, current_hash
from workbench.errors import NotFound, ValidationError
from workbench.governance import HIGH_CONFIDENCE, Tally
from workbench.i18n import N_, Msg
from workbench.models import (
    Confidence,
    CouncilDecision,
    CouncilVote,
    DecisionFinding,
    DecisionKind,
    DecisionRule,
    DecisionStatus,
    DecisionVoter,
    Finding,
    Membership,
    Person,
    Recommendation,
    Report,
    Role,
    Stage,
    Vote,
    utcnow,
)
from workbench.permissions import Action, authored_roles, require
from workbench.phrasing import Count, Joined, Lowered
from workbench.words import blank

TEXT_CHANGED = N_(
    "The text changed after the decision was opened; the decision is void. "
    "Open a new one on the current text."
)
REASON_NEEDED = frozenset({Vote.object, Vote.approve_with_changes})


class _Semicolons(Msg):
    """Messages joined by semicolons, each rendered in the reader's language."""

    def __init__(self, items: list[Msg]) -> None:
        super().__init__("{items}")
        self.items = items

    def render(self, code: str | None = None) -> str:
        """Return the messages joined by semicolons, in ``code`` or the current language."""
        return "; ".join(item.render(code) for item in self.items)


def council_members(session: Session) -> list[Person]:
    """Return the active Council members by name."""
    return list(
        session.exec(
            select(Person)
            .join(Membership, col(Membership.person_id) == col(Person.id))
            .where(Membership.role == Role.council_member, col(Membership.report_id).is_(None))
            .where(Person.active == True)  # noqa: E712
            .order_by(col(Person.name), col(Person.id))
        ).all()
    )


def _binds_text(decision: CouncilDecision) -> bool:
    """Return True for decisions that the report's content binds (report approvals)."""
    return DecisionKind(decision.kind) is DecisionKind.report_approval


def _text_changed(session: Session, decision: CouncilDecision) -> bool:
    return _binds_text(decision) and current_hash(session, decision.report_id) != decision.text_hash


def voting_body(session: Session, decision: CouncilDecision) -> list[Person]:
    """Return the members who may vote on a decision (fixed when it opened), by name."""
    return list(
        session.exec(
            select(Person)
            .join(DecisionVoter, col(DecisionVoter.person_id) == col(Person.id))
            .where(DecisionVoter.decision_id == decision.id)
            .order_by(col(Person.name), col(Person.id))
        ).all()
    )


def _body_ids(session: Session, decision: CouncilDecision) -> set[int]:
    return set(
        session.exec(
            select(DecisionVoter.person_id).where(DecisionVoter.decision_id == decision.id)
        ).all()
    )


def _void(session: Session, actor: Person | None, decision: CouncilDecision, why: str) -> None:
    """Mark a decision void and commit (the caller then refuses what was asked)."""
    decision.status = DecisionStatus.void
    decision.closed_at = utcnow()
    session.add(decision)
    audit.record(
        session,
        actor,
        "void",
        "council_decision",
        decision.id,
        report_id=decision.report_id,
        why=why,
    )
    notifications.decision_ended(
        session, decision=decision, why=TEXT_CHANGED, actor_id=actor.id if actor else None
    )
    session.commit()


def _check_reform_findings(
    session: Session, report: Report, finding_ids: Sequence[int]
) -> list[Finding]:
    wanted = list(dict.fromkeys(int(i) for i in finding_ids))
    findings = (
        list(
            session.exec(
                select(Finding).where(Finding.report_id == report.id, col(Finding.id).in_(wanted))
            ).all()
        )
        if wanted
        else []
    )
    missing = sorted(set(wanted) - {f.id for f in findings})
    if missing:
        raise ValidationError(
            "These findings are not in the report '{slug}': id {ids}.",
            slug=report.slug,
            ids=", ".join(str(i) for i in missing),
        )
    return sorted(findings, key=lambda f: f.code)


def open_decision(
    *,
    session: Session,
    actor: Person,
    report: Report,
    kind: DecisionKind,
    title: str,
    rule: DecisionRule | None = None,
    finding_ids: Sequence[int] = (),
    reform: str = "",
    recommendation_id: int | None = None,
) -> CouncilDecision:
    """Open a Council decision on the report's current text."""
    require(session, actor, Action.open_decision, report.id)
    kind = DecisionKind(kind)
    title = (title or "").strip()
    if not title:
        raise ValidationError("A Council decision needs a title.")
    rule = DecisionRule(rule) if rule is not None else governance.default_rule(kind)
    reform = (reform or "").strip()
    findings = _check_reform_findings(session, report, finding_ids)
    if recommendation_id is not None:
        recommendation = session.get(Recommendation, recommendation_id)
        if recommendation is None or recommendation.report_id != report.id:
            raise ValidationError(
                "The recommendation (id {id}) is not in the report '{slug}'.",
                id=recommendation_id,
                slug=report.slug,
            )
    current_hash = content_hash(session, report)
    body = [m for m in council_members(session) if not authored_roles(session, m.id, report.id)]
    if not body:
        raise ValidationError(
            "No Council member can vote on this decision: the Council has no active member "
            "who is not an author of '{slug}'.",
            slug=report.slug,
        )
    stale_open: list[CouncilDecision] = []
    if kind is DecisionKind.reform_endorsement:
        if rule is not DecisionRule.unanimity:
            raise ValidationError(
                "Endorsing a reform needs a unanimous Council vote (Panel rule); "
                "it cannot be decided by '{rule}'.",
                rule=Msg(rule.label),
            )
        if not reform:
            raise ValidationError("Say which reform the Council is asked to endorse.")
        if not any(f.confidence in HIGH_CONFIDENCE for f in findings):
            given = (
                Joined(
                    [
                        Msg(
                            "{code} ({confidence} confidence)",
                            code=f.code,
                            confidence=Lowered(f.confidence.label),
                        )
                        for f in findings
                    ]
                )
                if findings
                else Msg("no finding was given")
            )
            raise ValidationError(
                "Endorsing a reform must rest on the Panel's own evidence: link at least one "
                "finding of high or very high confidence from this report (given: {given}).",
                given=given,
            )
    else:
        if Stage(report.stage) is not Stage.council_review:
            raise ValidationError(
                "The report '{slug}' is at the stage '{stage}'; "
                "the Council decides on approval only at council review.",
                slug=report.slug,
                stage=Msg(Stage(report.stage).label),
            )
        open_approvals = session.exec(
            select(CouncilDecision).where(
                CouncilDecision.report_id == report.id,
                CouncilDecision.kind == DecisionKind.report_approval,
                CouncilDecision.status == DecisionStatus.open,
            )
        ).all()
        # An open approval on an older text is void already; it must not block a new one.
        stale_open = [d for d in open_approvals if d.text_hash != current_hash]
        live = [d for d in open_approvals if d.text_hash == current_hash]
        if live:
            raise ValidationError(
                "The report '{slug}' already has an open approval decision "
                "('{title}'); close it before opening another.",
                slug=report.slug,
                title=live[0].title,
            )
    try:
        for old in stale_open:
            old.status = DecisionStatus.void
            old.closed_at = utcnow()
            session.add(old)
            audit.record(
                session,
                actor,
                "void",
                "council_decision",
                old.id,
                report_id=report.id,
                why="text changed",
            )
            notifications.decision_ended(session, decision=old, why=TEXT_CHANGED, actor_id=actor.id)
        decision = CouncilDecision(
            report_id=report.id,
            kind=kind,
            rule=rule,
            title=title,
            reform=reform,
            recommendation_id=recommendation_id,
            text_hash=current_hash,
            opened_by_id=actor.id,
        )
        session.add(decision)
        session.flush()
        for finding in findings:
            session.add(DecisionFinding(decision_id=decision.id, finding_id=finding.id))
        for member in body:
            session.add(DecisionVoter(decision_id=decision.id, person_id=member.id))
        audit.record(
            session,
            actor,
            "open",
            "council_decision",
            decision.id,
            report_id=report.id,
            kind=kind,
            rule=rule,
            findings=[f.code for f in findings],
            text_hash=current_hash,
            voting_body=[m.email for m in body],
        )
        notifications.decision_opened(session, decision=decision, actor_id=actor.id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return decision


def _require_open(session: Session, actor: Person, decision: CouncilDecision, doing: Msg) -> None:
    status = DecisionStatus(decision.status)
    if status is DecisionStatus.void:
        raise ValidationError(
            "The decision '{title}' is void; open a new one on the current text.",
            title=decision.title,
        )
    if status is DecisionStatus.withdrawn:
        raise ValidationError(
            "The decision '{title}' was withdrawn; it cannot {doing}. "
            "Open a new one when the text is ready.",
            title=decision.title,
            doing=doing,
        )
    if status is not DecisionStatus.open:
        raise ValidationError(
            "The decision '{title}' is already closed ({status}); it cannot {doing}.",
            title=decision.title,
            status=Lowered(status.label),
            doing=doing,
        )
    if _text_changed(session, decision):
        _void(session, actor, decision, "text changed")
        raise ValidationError(TEXT_CHANGED)


def cast_vote(
    *, session: Session, actor: Person, decision: CouncilDecision, vote: Vote, reason: str = ""
) -> CouncilVote:
    """Record a Council member's vote on an open decision, replacing their earlier vote."""
    require(session, actor, Action.vote, decision.report_id)
    try:
        vote = Vote(vote)
    except ValueError:
        if blank(vote):
            raise ValidationError("Choose a vote.") from None
        raise ValidationError("'{vote}' is not a vote.", vote=vote) from None
    _require_open(session, actor, decision, Msg("take votes"))
    body = _body_ids(session, decision)
    if body and actor.id not in body:
        raise ValidationError(
            "{name} is not in the voting body of '{title}': it was fixed when "
            "the decision opened, among the Council members who are not authors of the report.",
            name=actor.name,
            title=decision.title,
        )
    reason = (reason or "").strip()
    if vote in REASON_NEEDED and not reason:
        raise ValidationError(
            "Give a reason to {vote}: the Council reads it.", vote=Lowered(vote.label)
        )
    for attempt in (1, 2):
        try:
            return _write_ballot(session, actor, decision, vote, reason)
        except IntegrityError:
            # The same member's first vote arrived twice at the same moment (two tabs, a
            # double click): the other one created the ballot; replace it instead.
            session.rollback()
            if attempt == 2:
                raise ValidationError(
                    "Your vote could not be recorded because another vote of yours was being "
                    "saved at the same moment; reload the page and check your ballot."
                ) from None
    raise AssertionError("unreachable")


def _write_ballot(
    session: Session, actor: Person, decision: CouncilDecision, vote: Vote, reason: str
) -> CouncilVote:
    ballot = session.exec(
        select(CouncilVote).where(
            CouncilVote.decision_id == decision.id, CouncilVote.person_id == actor.id
        )
    ).first()
    try:
        previous = ballot.vote if ballot is not None else None
        if ballot is None:
            ballot = CouncilVote(decision_id=decision.id, person_id=actor.id, vote=vote)
        ballot.vote = vote
        ballot.reason = reason
        ballot.cast_at = utcnow()
        session.add(ballot)
        session.flush()
        audit.record(
            session,
            actor,
            "vote",
            "council_decision",
            decision.id,
            report_id=decision.report_id,
            vote=vote,
            replaces=previous,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return ballot


def votes_of(session: Session, decision: CouncilDecision) -> list[CouncilVote]:
    """Return the votes cast on a decision, oldest first."""
    return list(
        session.exec(
            select(CouncilVote)
            .where(CouncilVote.decision_id == decision.id)
            .order_by(col(CouncilVote.cast_at), col(CouncilVote.id))
        ).all()
    )


def current_tally(session: Session, decision: CouncilDecision) -> Tally:
    """Return the tally of a decision's votes by its voting body.

    Decisions opened before voting bodies were recorded fall back to the current
    Council members.
    """
    body = _body_ids(session, decision) or {p.id for p in council_members(session)}
    votes = [v.vote for v in votes_of(session, decision) if v.person_id in body]
    return governance.tally(decision.rule, votes, len(body))


def _weakened_findings(session: Session, decision: CouncilDecision) -> list[Msg]:
    """Return the linked findings that no longer support a reform endorsement, as words."""
    linked = session.exec(
        select(DecisionFinding.finding_id).where(DecisionFinding.decision_id == decision.id)
    ).all()
    found = {f.id: f for f in decision_findings(session, decision)}
    problems: list[Msg] = [
        Msg(
            "{code} now has {confidence} confidence",
            code=found[i].code,
            confidence=Lowered(Confidence(found[i].confidence).label),
        )
        for i in linked
        if i in found and Confidence(found[i].confidence) not in HIGH_CONFIDENCE
    ]
    gone = len([i for i in linked if i not in found])
    if gone:
        problems.append(
            Count(
                N_("{count} linked finding no longer exists"),
                N_("{count} linked findings no longer exist"),
                gone,
            )
        )
    return problems


def close_decision(
    *, session: Session, actor: Person, decision: CouncilDecision
) -> CouncilDecision:
    """Record a decision's outcome once the votes settle it."""
    require(session, actor, Action.open_decision, decision.report_id)
    _require_open(session, actor, decision, Msg("be closed again"))
    result = current_tally(session, decision)
    if result.outcome is DecisionStatus.open:
        raise ValidationError(
            "The outcome of '{title}' is still open: {why}",
            title=decision.title,
            why=result.explanation,
        )
    if result.outcome is DecisionStatus.approved:
        if result.not_voted:
            waiting = Count(
                N_(
                    "'{title}' cannot close as approved: {count} member of its voting body "
                    "has not voted, and the rule needs every vote."
                ),
                N_(
                    "'{title}' cannot close as approved: {count} members of its voting body "
                    "have not voted, and the rule needs every vote."
                ),
                result.not_voted,
                title=decision.title,
            )
            raise ValidationError(waiting)
        if DecisionKind(decision.kind) is DecisionKind.reform_endorsement:
            weakened = _weakened_findings(session, decision)
            if weakened:
                raise ValidationError(
                    "'{title}' cannot close as approved: an endorsement must rest on findings "
                    "of high or very high confidence, and {problems}. Withdraw the decision, or "
                    "restore the findings' confidence.",
                    title=decision.title,
                    problems=_Semicolons(weakened),
                )
    try:
        decision.status = result.outcome
        decision.closed_at = utcnow()
        decision.closed_by_id = actor.id
        session.add(decision)
        audit.record(
            session,
            actor,
            "close",
            "council_decision",
            decision.id,
            report_id=decision.report_id,
            outcome=result.outcome,
            explanation=result.explanation.render("en"),
        )
        notifications.decision_closed(session, decision=decision, actor_id=actor.id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    if decision.status == DecisionStatus.approved:
        # Tag the mirror <slug>/approved-<id>; a mirror problem is logged, never raised.
        history.record_milestone(session, report_id=decision.report_id)
    return decision


def withdraw_decision(
    *, session: Session, actor: Person, decision: CouncilDecision, reason: str
) -> CouncilDecision:
    """Withdraw an open decision on the record (CLA or Secretariat) so the text can change."""
    require(session, actor, Action.withdraw_decision, decision.report_id)
    status = DecisionStatus(decision.status)
    if status is not DecisionStatus.open:
        raise ValidationError(
            "The decision '{title}' is {status}, not open; only an open decision can be withdrawn.",
            title=decision.title,
            status=Lowered(status.label),
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            "Say why the decision is withdrawn: the Council and the authors read it."
        )
    try:
        decision.status = DecisionStatus.withdrawn
        decision.closed_at = utcnow()
        decision.closed_by_id = actor.id
        decision.closing_note = reason
        session.add(decision)
        audit.record(
            session,
            actor,
            "withdraw",
            "council_decision",
            decision.id,
            report_id=decision.report_id,
            reason=reason,
            votes=len(votes_of(session, decision)),
        )
        notifications.decision_ended(session, decision=decision, why=reason, actor_id=actor.id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return decision


def decision_status(session: Session, decision: CouncilDecision) -> DecisionStatus:
    """Return a decision's status, ``void`` when the text it was opened on has changed.

    An approved or still-open decision whose report text no longer hashes to the
    recorded value is void; a rejected one stays rejected.
    """
    status = DecisionStatus(decision.status)
    if status in (DecisionStatus.open, DecisionStatus.approved) and _text_changed(
        session, decision
    ):
        return DecisionStatus.void
    return status


def decision_statuses(
    session: Session, decisions: list[CouncilDecision]
) -> dict[int, DecisionStatus]:
    """Return each decision's status (as :func:`decision_status`), hashing each report once."""
    hashes: dict[int, str] = {}
    result: dict[int, DecisionStatus] = {}
    for decision in decisions:
        status = DecisionStatus(decision.status)
        if status in (DecisionStatus.open, DecisionStatus.approved) and _binds_text(decision):
            if decision.report_id not in hashes:
                hashes[decision.report_id] = current_hash(session, decision.report_id)
            if hashes[decision.report_id] != decision.text_hash:
                status = DecisionStatus.void
        result[decision.id] = status
    return result


def is_void(session: Session, decision: CouncilDecision) -> bool:
    """Return True when a decision is void (marked so, or its text has changed)."""
    return decision_status(session, decision) is DecisionStatus.void


def get_decision(session: Session, decision_id: int) -> CouncilDecision:
    """Return the decision with this id, or raise NotFound."""
    decision = session.get(CouncilDecision, decision_id)
    if decision is None:
        raise NotFound("No Council decision with id {id}.", id=decision_id)
    return decision


def list_decisions(session: Session, *, report_id: int | None = None) -> list[CouncilDecision]:
    """Return Council decisions, newest first, optionally of one report."""
    query = select(CouncilDecision)
    if report_id is not None:
        query = query.where(CouncilDecision.report_id == report_id)
    return list(
        session.exec(
            query.order_by(col(CouncilDecision.opened_at).desc(), col(CouncilDecision.id).desc())
        ).all()
    )


def decision_findings(session: Session, decision: CouncilDecision) -> list[Finding]:
    """Return the findings a decision rests on, by code."""
    return list(
        session.exec(
            select(Finding)
            .join(DecisionFinding, col(DecisionFinding.finding_id) == col(Finding.id))
            .where(DecisionFinding.decision_id == decision.id)
            .order_by(col(Finding.code))
        ).all()
    )


def valid_approval(session: Session, report_id: int) -> CouncilDecision | None:
    """Return the Council's approval of the report's current text, or None."""
    return approval_of(session, report_id, content_hash(session, report_id))


def approval_of(session: Session, report_id: int, text_hash: str) -> CouncilDecision | None:
    """Return the Council's approval of the report's content with this hash, or None."""
    return session.exec(
        select(CouncilDecision)
        .where(
            CouncilDecision.report_id == report_id,
            CouncilDecision.kind == DecisionKind.report_approval,
            CouncilDecision.status == DecisionStatus.approved,
            CouncilDecision.text_hash == text_hash,
        )
        .order_by(col(CouncilDecision.id).desc())
    ).first()


def text_matches(session: Session, decision: CouncilDecision) -> bool:
    """Return True when the report's current text still hashes to the decision's text hash."""
    return not _text_changed(session, decision)


def endorsable_findings(session: Session, *, report_id: int) -> list[Finding]:
    """Return the report's findings a reform endorsement can rest on (high or very high)."""
    return list(
        session.exec(
            select(Finding)
            .where(Finding.report_id == report_id, col(Finding.confidence).in_(HIGH_CONFIDENCE))
            .order_by(col(Finding.code), col(Finding.id))
        ).all()
    )
