"""Who may do what: one matrix of actions × roles, and the checks services call.

Deny by default: an action is allowed only when the acting person holds one of
the roles the matrix lists for it, in the report concerned or workspace-wide.
Authors (CLA, Lead Author, Contributing Author) must also have signed the
current Code of Ethics before any action that changes the report's content.
Finer rules that depend on the record (a Lead Author writes only the sections
they lead or co-author) live in the service that owns the record.

Two rules apply to every check here, whoever asks:

- **Separation of duties.** One person never holds two sides of the same
  report's review: an author of a report (CLA, Lead Author, Contributing Author)
  may not comment on it as a reviewer, sign off responses as its Review Editor,
  or vote on it as a Council member (:data:`AUTHOR_EXCLUDED`). The team service
  refuses such a role when it is given; this check refuses the action again
  when it is taken, in case the roles were combined some other way.
- **Frozen content.** While the Council votes on a report's approval, and once
  the report is approved or published, nothing the Council approves may change
  (:data:`FROZEN_ACTIONS`, :func:`frozen_reason`). An open vote is withdrawn on
  the record first; an approved or published text changes only through a new
  edition (a corrigendum) that the Secretariat starts.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from sqlmodel import Session, select

from workbench.errors import PermissionDenied
from workbench.i18n import N_, Msg, gettext
from workbench.models import AUTHOR_ROLES, EthicsSignature, Membership, Person, Role

S, CM, CLA, LA, CA, RE, RV, TR = (
    Role.secretariat,
    Role.council_member,
    Role.cla,
    Role.lead_author,
    Role.contributing_author,
    Role.review_editor,
    Role.reviewer,
    Role.translator,
)


class Action(enum.StrEnum):
    manage_people = "manage_people"
    create_report = "create_report"
    edit_report = "edit_report"
    advance_stage = "advance_stage"
    publish_report = "publish_report"
    manage_team = "manage_team"
    read_report = "read_report"
    edit_outline = "edit_outline"
    set_section_status = "set_section_status"
    write_section = "write_section"
    edit_sources = "edit_sources"
    edit_content = "edit_content"
    review_initiative = "review_initiative"
    manage_review_round = "manage_review_round"
    comment = "comment"
    import_comments = "import_comments"
    respond_to_comment = "respond_to_comment"
    sign_off_response = "sign_off_response"
    open_decision = "open_decision"
    vote = "vote"
    edit_translation = "edit_translation"
    withdraw_decision = "withdraw_decision"
    start_new_edition = "start_new_edition"
    backup = "backup"
    discuss = "discuss"  # open, post in and resolve discussion threads (not review comments)
    edit_glossary = "edit_glossary"  # the glossary of calibrated, Panel and document terms


MATRIX: dict[Action, frozenset[Role]] = {
    Action.manage_people: frozenset({S}),
    Action.create_report: frozenset({S}),
    Action.edit_report: frozenset({S, CLA}),
    Action.advance_stage: frozenset({S, CLA}),
    Action.publish_report: frozenset({S}),
    Action.manage_team: frozenset({S, CLA}),
    Action.read_report: frozenset({S, CM, CLA, LA, CA, RE, RV, TR}),
    Action.edit_outline: frozenset({CLA}),
    Action.set_section_status: frozenset({CLA, LA}),
    Action.write_section: frozenset({CLA, LA, CA}),
    Action.edit_sources: frozenset({S, CLA, LA, CA}),
    Action.edit_content: frozenset({CLA, LA}),
    Action.review_initiative: frozenset({CLA, RE}),
    Action.manage_review_round: frozenset({S, CLA}),
    Action.comment: frozenset({RV}),
    Action.import_comments: frozenset({S, CLA}),
    Action.respond_to_comment: frozenset({CLA, LA}),
    Action.sign_off_response: frozenset({RE}),
    Action.open_decision: frozenset({S}),
    Action.vote: frozenset({CM}),
    # A Translator only in the language of their membership (translations.py checks it).
    Action.edit_translation: frozenset({S, CLA, TR}),
    Action.withdraw_decision: frozenset({S, CLA}),
    Action.start_new_edition: frozenset({S}),
    Action.backup: frozenset({S}),
    # The report's authors and its Review Editors talk things over; others read (read_report).
    Action.discuss: frozenset({CLA, LA, CA, RE}),
    Action.edit_glossary: frozenset({S}),
}

# Actions that change a report's content: authors need a signed Code of Ethics.
CONTENT_ACTIONS = frozenset(
    {
        Action.edit_outline,
        Action.set_section_status,
        Action.write_section,
        Action.edit_sources,
        Action.edit_content,
        Action.respond_to_comment,
    }
)


# Actions that change what the Council approves (or the review record beside it):
# refused while an approval vote is open and once the report is approved or published.
# (A report's title is content too: reports.update_report checks it, since the other
# report settings, such as its languages, may change after approval.)
FROZEN_ACTIONS = CONTENT_ACTIONS | frozenset(
    {
        Action.review_initiative,
        Action.manage_review_round,
        Action.comment,
        Action.import_comments,
        Action.sign_off_response,
    }
)

# Actions an author of the report may never take on it (separation of duties).
AUTHOR_EXCLUDED = frozenset({Action.comment, Action.sign_off_response, Action.vote})


class Frozen(PermissionDenied):
    """The report's content cannot change now (a vote is open, or it is approved or published)."""


def frozen_message(session: Session, report_id: int) -> Msg | None:
    """Return why the report's content cannot change now, as a message, or None when it can."""
    from workbench.models import CouncilDecision, DecisionKind, DecisionStatus, Report, Stage

    report = session.get(Report, report_id)
    if report is None:
        return None
    stage = Stage(report.stage)
    if stage is Stage.published:
        return Msg(
            "The report '{slug}' is published: its text is final. A correction is a "
            "new edition (a corrigendum), which the Secretariat starts on the Admin page.",
            slug=report.slug,
        )
    if stage is Stage.approved:
        return Msg(
            "The Council approved this text of '{slug}'; it no longer changes. A "
            "correction is a new edition (a corrigendum), which the Secretariat starts on the "
            "Admin page.",
            slug=report.slug,
        )
    voting = session.exec(
        select(CouncilDecision.title).where(
            CouncilDecision.report_id == report_id,
            CouncilDecision.kind == DecisionKind.report_approval,
            CouncilDecision.status == DecisionStatus.open,
        )
    ).first()
    if voting is not None:
        return Msg(
            "The Council is voting on this text of '{slug}' ('{decision}'); nothing in "
            "it can change while the vote is open. To edit, a CLA or the Secretariat first "
            "withdraws the decision on the Council page (it is recorded).",
            slug=report.slug,
            decision=voting,
        )
    return None


def frozen_reason(session: Session, report_id: int) -> str | None:
    """Return why the report's content cannot change now (in the current language), or None."""
    message = frozen_message(session, report_id)
    return message.render() if message is not None else None


def authored_roles(session: Session, person_id: int, report_id: int) -> set[Role]:
    """Return the author roles (CLA, Lead Author, Contributing Author) held in a report."""
    rows = session.exec(
        select(Membership.role).where(
            Membership.person_id == person_id, Membership.report_id == report_id
        )
    ).all()
    return {Role(r) for r in rows} & AUTHOR_ROLES


def roles_of(session: Session, person: Person, report_id: int | None = None) -> set[Role]:
    """Return the roles a person holds workspace-wide and, if given, in one report."""
    rows = session.exec(select(Membership).where(Membership.person_id == person.id)).all()
    return {
        m.role
        for m in rows
        if m.report_id is None or (report_id is not None and m.report_id == report_id)
    }


def has_signed_current_code(session: Session, person: Person) -> bool:
    """Return True when the person has signed the current Code of Ethics."""
    from workbench.governance import ETHICS_CODE_VERSION

    return (
        session.exec(
            select(EthicsSignature).where(
                EthicsSignature.person_id == person.id,
                EthicsSignature.code_version == ETHICS_CODE_VERSION,
            )
        ).first()
        is not None
    )


def can(
    session: Session, person: Person | None, action: Action, report_id: int | None = None
) -> bool:
    """Return True when ``person`` may do ``action`` (in ``report_id``, if it concerns one)."""
    try:
        require(session, person, action, report_id)
    except PermissionDenied:
        return False
    return True


def require(
    session: Session, person: Person | None, action: Action, report_id: int | None = None
) -> set[Role]:
    """Raise PermissionDenied unless ``person`` may do ``action``; return the granting roles."""
    if person is None or person.id is None or not person.active:
        raise PermissionDenied("Sign in first: this needs an active account.")
    allowed = MATRIX[action]
    granting = roles_of(session, person, report_id) & allowed
    if not granting:
        raise PermissionDenied(
            "{name} may not {action}: this needs the role of {roles}.",
            name=person.name,
            action=Msg(ACTION_WORDS[action]),
            roles=_Labels(r.label for r in allowed),
        )
    if (
        action in CONTENT_ACTIONS
        and granting <= AUTHOR_ROLES
        and not has_signed_current_code(session, person)
    ):
        raise PermissionDenied(
            "{name} must sign the Code of Ethics before changing anything in a report.",
            name=person.name,
        )
    if report_id is not None and action in AUTHOR_EXCLUDED:
        authored = authored_roles(session, person.id, report_id)
        if authored:
            raise PermissionDenied(
                "{name} is an author of this report ({roles}) and so may not "
                "{action} (separation of duties).",
                name=person.name,
                roles=_Labels(r.label for r in authored),
                action=Msg(_AUTHOR_EXCLUDED_WORDS[action]),
            )
    if report_id is not None and action in FROZEN_ACTIONS:
        reason = frozen_message(session, report_id)
        if reason is not None:
            raise Frozen(reason)
    return granting


class _Labels:
    """Role labels listed in the language current when the message is shown ('CLA, Lead Author')."""

    def __init__(self, labels: Iterable[str]) -> None:
        self.labels = list(labels)

    def __str__(self) -> str:
        return ", ".join(sorted(gettext(label) for label in self.labels))


#: What each action is called in "… may not {action}" (the action's name, in words).
ACTION_WORDS: dict[Action, str] = {
    Action.manage_people: N_("manage people"),
    Action.create_report: N_("create report"),
    Action.edit_report: N_("edit report"),
    Action.advance_stage: N_("advance stage"),
    Action.publish_report: N_("publish report"),
    Action.manage_team: N_("manage team"),
    Action.read_report: N_("read report"),
    Action.edit_outline: N_("edit outline"),
    Action.set_section_status: N_("set section status"),
    Action.write_section: N_("write section"),
    Action.edit_sources: N_("edit sources"),
    Action.edit_content: N_("edit content"),
    Action.review_initiative: N_("review initiative"),
    Action.manage_review_round: N_("manage review round"),
    Action.comment: N_("comment"),
    Action.import_comments: N_("import comments"),
    Action.respond_to_comment: N_("respond to comment"),
    Action.sign_off_response: N_("sign off response"),
    Action.open_decision: N_("open decision"),
    Action.vote: N_("vote"),
    Action.edit_translation: N_("edit translation"),
    Action.withdraw_decision: N_("withdraw decision"),
    Action.start_new_edition: N_("start new edition"),
    Action.backup: N_("backup"),
    Action.discuss: N_("discuss"),
    Action.edit_glossary: N_("edit glossary"),
}


_AUTHOR_EXCLUDED_WORDS = {
    Action.comment: N_("review it"),
    Action.sign_off_response: N_("sign off its review responses"),
    Action.vote: N_("vote on it in the Council"),
}
