"""A report's team: members and their roles, the Code of Ethics, balance and rule warnings.

The **team** of a report is everyone with a role in it. Its **authors**, for the
Panel's 10–15 rule, are the CLAs and Lead Authors. **Balance** counts the team's
authors by gender, region, sector and discipline: shown, never enforced. The
**rule warnings** are the Panel rules that warn rather than block (three CLAs of
different sectors and regions, 10–15 authors, a 6–18 month horizon), plus any
author who has not yet signed the Code of Ethics.

A **Translator** holds the role in one report *and one language* (a target
language of the report); someone who translates several languages holds
several Translator memberships. Every other role has no language. A Translator
is not an author: they translate the report, they do not write it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, func, or_, select

from workbench import audit, i18n
from workbench.errors import NotFound, ValidationError
from workbench.governance import (
    ETHICS_CODE_VERSION,
    author_count_warnings,
    balance,
    cla_warnings,
    horizon_warnings,
)
from workbench.i18n import N_, Msg, ngettext
from workbench.models import (
    AUTHOR_ROLES,
    EthicsSignature,
    Membership,
    Person,
    Report,
    Role,
    Section,
    SectionAuthor,
)
from workbench.permissions import Action, require
from workbench.words import listing

ETHICS_CODE_PATH = Path(__file__).resolve().parent.parent / "templates" / "code_of_ethics.md"


def ethics_code() -> tuple[str, str]:
    """Return the current Code of Ethics as (version, Markdown text without front matter)."""
    text = ETHICS_CODE_PATH.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    version = ETHICS_CODE_VERSION
    if match:
        found = re.search(r'version:\s*"?([^"\n]+)"?', match.group(1))
        if found:
            version = found.group(1).strip()
        text = text[match.end() :]
    return version, text.strip()


@dataclass
class Member:
    """A person in a report's team with their roles there and their ethics signature."""

    person: Person
    roles: list[Role] = field(default_factory=list)
    signed: bool = False
    # The languages they translate the report into, when they are its Translator.
    languages: list[str] = field(default_factory=list)

    @property
    def is_author(self) -> bool:
        """Return True for CLAs, Lead Authors and Contributing Authors."""
        return any(r in AUTHOR_ROLES for r in self.roles)


def members(session: Session, report_id: int) -> list[Member]:
    """Return a report's team with roles and signatures, CLAs first."""
    rows = session.exec(
        select(Person, Membership.role, Membership.language)
        .join(Membership, col(Membership.person_id) == col(Person.id))
        .where(Membership.report_id == report_id)
    ).all()
    signed = set(
        session.exec(
            select(EthicsSignature.person_id).where(
                EthicsSignature.code_version == ETHICS_CODE_VERSION
            )
        ).all()
    )
    by_id: dict[int, Member] = {}
    for person, role, language in rows:
        member = by_id.setdefault(person.id, Member(person=person, signed=person.id in signed))
        if Role(role) not in member.roles:
            member.roles.append(Role(role))
        if language:
            member.languages.append(language)
    order = list(Role)
    for member in by_id.values():
        member.roles.sort(key=order.index)
        member.languages.sort()
    return sorted(by_id.values(), key=lambda m: (order.index(m.roles[0]), m.person.name))


REVIEW_ROLES = frozenset({Role.review_editor, Role.reviewer})


def duty_conflict(session: Session, *, person: Person, report: Report, role: Role) -> Msg | None:
    """Return why giving ``role`` in ``report`` would break the separation of duties, or None.

    An author (CLA, Lead Author, Contributing Author) of a report is never also its
    Review Editor or Reviewer, and a Review Editor is not also a Reviewer of it: nobody
    judges a review they take part in on the other side. A Council member may author a
    report, but is then left out of the voting body of its decisions, and cannot become
    an author while they sit on an open one.
    """
    from workbench.models import CouncilDecision, DecisionStatus, DecisionVoter

    held = {
        Role(r)
        for r in session.exec(
            select(Membership.role).where(
                Membership.person_id == person.id, Membership.report_id == report.id
            )
        ).all()
    }
    role = Role(role)
    sides = [
        (AUTHOR_ROLES, REVIEW_ROLES, N_("an author of the report cannot also review it")),
        ({Role.review_editor}, {Role.reviewer}, N_("a Review Editor cannot also be a Reviewer")),
    ]
    for one, other, why in sides:
        for mine, theirs in ((one, other), (other, one)):
            clash = held & theirs
            if role in mine and clash:
                return Msg(
                    "{name} is already {held} of '{report}' and so cannot be {role} of it: "
                    "{why} (separation of duties).",
                    name=person.name,
                    held=", ".join(sorted(r.label for r in clash)),
                    report=report.slug,
                    role=Msg(role.label),
                    why=Msg(why),
                )
    if role in AUTHOR_ROLES:
        sitting = session.exec(
            select(CouncilDecision.title)
            .join(DecisionVoter, col(DecisionVoter.decision_id) == col(CouncilDecision.id))
            .where(
                CouncilDecision.report_id == report.id,
                CouncilDecision.status == DecisionStatus.open,
                DecisionVoter.person_id == person.id,
            )
        ).first()
        if sitting is not None:
            return Msg(
                "{name} sits on the Council's open decision '{decision}' on '{report}' and so "
                "cannot become one of its authors while it is open (separation of duties).",
                name=person.name,
                decision=sitting,
                report=report.slug,
            )
    return None


def _translator_language(report: Report, role: Role, language: str | None) -> str:
    """Return the canonical language of a Translator membership ('' for every other role)."""
    from workbench import translations  # translations needs the roles, not the team

    wanted = (language or "").strip()
    if role is not Role.translator:
        if wanted:
            raise ValidationError(
                "Only a Translator holds a role in one language; {role} is held for the "
                "whole report, so choose no language.",
                role=Msg(role.label),
            )
        return ""
    targets = translations.target_languages(report)
    if not wanted:
        raise ValidationError(
            "Choose the language this Translator translates '{report}' into: one of {targets}.",
            report=report.slug,
            targets=", ".join(targets) or Msg("none yet"),
        )
    for code in targets:
        if code.lower() == wanted.lower():
            return code
    raise ValidationError(
        "'{language}' is not a language '{report}' is translated into; choose one of "
        "{targets} (the report's languages are set on the Admin page).",
        language=wanted,
        report=report.slug,
        targets=", ".join(targets) or Msg("none yet"),
    )


def add_member(
    *,
    session: Session,
    actor: Person,
    report: Report,
    person: Person,
    role: Role,
    language: str | None = None,
) -> Membership:
    """Give a person a role in a report (Secretariat or CLA); a Translator's names a language."""
    require(session, actor, Action.manage_team, report.id)
    role = Role(role)
    if role.workspace_wide:
        raise ValidationError(
            "{role} is a workspace role, not a role in one report; the Secretariat grants it.",
            role=Msg(role.label),
        )
    language = _translator_language(report, role, language)
    if session.exec(
        select(Membership).where(
            Membership.person_id == person.id,
            Membership.report_id == report.id,
            Membership.role == role,
            Membership.language == language,
        )
    ).first():
        if language:
            from workbench.translations import language_name

            raise ValidationError(
                "{name} already translates this report into {language}.",
                name=person.name,
                language=language_name(language),
            )
        raise ValidationError(
            "{name} is already {role} of this report.", name=person.name, role=Msg(role.label)
        )
    conflict = duty_conflict(session, person=person, report=report, role=role)
    if conflict:
        raise ValidationError(conflict)
    membership = Membership(person_id=person.id, report_id=report.id, role=role, language=language)
    try:
        session.add(membership)
        session.flush()
        details = {"language": language} if language else {}
        audit.record(
            session,
            actor,
            "add_member",
            "report",
            report.id,
            report_id=report.id,
            person=person.email,
            role=role.value,
            **details,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return membership


def remove_member(
    *,
    session: Session,
    actor: Person,
    report: Report,
    person: Person,
    role: Role,
    language: str | None = None,
) -> None:
    """Take a role in a report away from a person; refused while they still lead sections.

    For a Translator, ``language`` names the one language taken away (None: all of them).
    """
    require(session, actor, Action.manage_team, report.id)
    role = Role(role)
    query = select(Membership).where(
        Membership.person_id == person.id,
        Membership.report_id == report.id,
        Membership.role == role,
    )
    if language:
        query = query.where(func.lower(col(Membership.language)) == language.strip().lower())
    held = list(session.exec(query).all())
    if not held:
        raise NotFound(
            "{name} is not {role} of this report.", name=person.name, role=Msg(role.label)
        )
    remaining_author_roles = {
        m.role
        for m in session.exec(
            select(Membership).where(
                Membership.person_id == person.id, Membership.report_id == report.id
            )
        ).all()
        if m.role != role and m.role in AUTHOR_ROLES
    }
    if role in AUTHOR_ROLES and not remaining_author_roles:
        led = session.exec(
            select(Section.code).where(
                Section.report_id == report.id, Section.lead_author_id == person.id
            )
        ).all()
        if led:
            raise ValidationError(
                "{name} leads sections {codes}; assign them to someone else first.",
                name=person.name,
                codes=", ".join(sorted(led)),
            )
        for link in session.exec(
            select(SectionAuthor)
            .join(Section, col(Section.id) == col(SectionAuthor.section_id))
            .where(Section.report_id == report.id, SectionAuthor.person_id == person.id)
        ).all():
            session.delete(link)
    for each in held:
        session.delete(each)
    audit.record(
        session,
        actor,
        "remove_member",
        "report",
        report.id,
        report_id=report.id,
        person=person.email,
        role=role.value,
        **({"language": language.strip()} if language else {}),
    )
    session.commit()


def sign_ethics(*, session: Session, actor: Person) -> EthicsSignature:
    """Sign the current Code of Ethics as the acting person (signing twice is harmless)."""
    if actor is None or actor.id is None:
        raise ValidationError("Sign in first to sign the Code of Ethics.")
    version, _ = ethics_code()
    existing = session.exec(
        select(EthicsSignature).where(
            EthicsSignature.person_id == actor.id, EthicsSignature.code_version == version
        )
    ).first()
    if existing:
        return existing
    signature = EthicsSignature(person_id=actor.id, code_version=version)
    session.add(signature)
    session.flush()
    audit.record(session, actor, "sign_ethics", "person", actor.id, version=version)
    session.commit()
    return signature


def team_balance(session: Session, report_id: int) -> dict[str, dict[str, int]]:
    """Count a report's authors by gender, region, sector and discipline."""
    return balance(m.person for m in members(session, report_id) if m.is_author)


def team_warnings(session: Session, report: Report) -> list[str]:
    """Return the Panel-rule warnings for a report's team and horizon."""
    team = members(session, report.id)
    clas = [m.person for m in team if Role.cla in m.roles]
    authors = [m for m in team if Role.cla in m.roles or Role.lead_author in m.roles]
    warnings = cla_warnings(clas) + author_count_warnings(len(authors))
    warnings += horizon_warnings(report.start_date, report.due_date)
    unsigned = sorted(m.person.name for m in team if m.is_author and not m.signed)
    if unsigned:
        n = len(unsigned)
        names = listing(unsigned) if i18n.current_language() == i18n.SOURCE else None
        warnings.append(
            ngettext(
                "{count} author has not signed the Code of Ethics and cannot edit: {names}.",
                "{count} authors have not signed the Code of Ethics and cannot edit: {names}.",
                n,
            ).format(count=i18n.format_number(n), names=names or i18n.format_list(unsigned))
        )
    return warnings


def candidates(
    session: Session,
    report_id: int,
    *,
    text: str = "",
    limit: int = 20,
    role: Role | None = None,
) -> list[Person]:
    """Return active people with no role in a report yet, whose name, email or affiliation match.

    For the Translator ``role``, the report's Translators are candidates too (for
    another language).
    """
    in_report = select(Membership.person_id).where(Membership.report_id == report_id)
    if role is not None and Role(role) is Role.translator:
        in_report = in_report.where(Membership.role != Role.translator)
    query = select(Person).where(
        Person.active == True,  # noqa: E712
        col(Person.id).not_in(in_report),
    )
    text = (text or "").strip().lower()
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                func.lower(col(Person.name)).like(pattern, escape="\\"),
                func.lower(col(Person.email)).like(pattern, escape="\\"),
                func.lower(col(Person.affiliation)).like(pattern, escape="\\"),
            )
        )
    return list(session.exec(query.order_by(col(Person.name), col(Person.id)).limit(limit)).all())
