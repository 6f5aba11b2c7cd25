"""Test factories: people, reports and a ready-made team, written straight to the database.

``make_world`` builds what most service tests need: a Secretariat account, a
report with three CLAs, Lead Authors, a Contributing Author, a Review Editor, a
Reviewer and five Council members, all authors having signed the Code of Ethics,
and an outline of four sections (one per synthesis question), each with a first
revision.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import event
from sqlmodel import Session, SQLModel, func, select

from workbench.governance import ETHICS_CODE_VERSION
from workbench.models import (
    EthicsSignature,
    Membership,
    Person,
    Question,
    Report,
    Role,
    Section,
    SectionRevision,
    SectionStatus,
    Theme,
)

_counter = itertools.count(1)


def make_person(
    session: Session,
    name: str | None = None,
    *,
    roles: list[tuple[Role, Report | None]] = (),
    signed: bool = False,
    **fields: str,
) -> Person:
    """Add a person with the given roles (role, report or None for workspace-wide)."""
    n = next(_counter)
    name = name or f"Person {n}"
    person = Person(
        email=fields.pop("email", f"person{n}@example.org"),
        name=name,
        **fields,
    )
    session.add(person)
    session.flush()
    for role, report in roles:
        session.add(
            Membership(person_id=person.id, report_id=report.id if report else None, role=role)
        )
    if signed:
        session.add(EthicsSignature(person_id=person.id, code_version=ETHICS_CODE_VERSION))
    session.commit()
    return person


def make_theme(session: Session, code: str = "living-wages") -> Theme:
    """Add a theme."""
    theme = Theme(code=code, name=code.replace("-", " ").title(), cluster="Economy")
    session.add(theme)
    session.commit()
    return theme


def make_report(session: Session, slug: str = "test-report", **fields) -> Report:
    """Add a report at the scoping stage with a 12-month horizon."""
    theme = fields.pop("theme", None) or make_theme(session, code=f"theme-{slug}")
    report = Report(
        slug=slug,
        title=fields.pop("title", "Living wages for all workers"),
        theme_id=theme.id,
        start_date=fields.pop("start_date", date(2026, 1, 1)),
        due_date=fields.pop("due_date", date(2027, 1, 1)),
        languages=fields.pop("languages", ["en", "fr"]),
        **fields,
    )
    session.add(report)
    session.commit()
    return report


def make_section(
    session: Session,
    report: Report,
    code: str,
    question: Question,
    *,
    lead: Person | None = None,
    text: str | None = None,
    author: Person | None = None,
    status: SectionStatus = SectionStatus.drafting,
) -> Section:
    """Add a section, with a first revision when ``text`` is given."""
    section = Section(
        report_id=report.id,
        code=code,
        question=question,
        title=f"Section {code}",
        position=next(_counter),
        lead_author_id=lead.id if lead else None,
        status=status,
    )
    session.add(section)
    session.flush()
    if text is not None:
        rev = SectionRevision(
            section_id=section.id,
            number=1,
            text=text,
            author_id=(author or lead).id if (author or lead) else None,
            message="First draft",
            words=len(text.split()),
        )
        session.add(rev)
        session.flush()
        section.head_revision_id = rev.id
        section.words = rev.words
    session.commit()
    return section


@dataclass
class World:
    """A report with its team, Council and outline, for service tests."""

    report: Report
    secretariat: Person
    clas: list[Person]
    lead_authors: list[Person]
    contributor: Person
    review_editor: Person
    reviewer: Person
    council: list[Person]
    outsider: Person
    sections: list[Section] = field(default_factory=list)

    @property
    def cla(self) -> Person:
        return self.clas[0]

    @property
    def la(self) -> Person:
        return self.lead_authors[0]


SAMPLE_TEXT = (
    "Wages below the cost of a decent life remain widespread.\n\n"
    "In many countries, a full-time worker cannot meet basic needs [@anker2017].\n\n"
    "Informal work makes the gap hard to measure.\n"
)


def make_world(session: Session) -> World:
    """Build a report with a signed team of 3 CLAs and 8 Lead Authors, and 4 sections."""
    report = make_report(session)
    sec = make_person(session, "Sam Secretariat", roles=[(Role.secretariat, None)])
    clas = [
        make_person(
            session,
            f"CLA {i}",
            roles=[(Role.cla, report)],
            signed=True,
            sector=sector,
            region=region,
            gender=gender,
            discipline=discipline,
        )
        for i, (sector, region, gender, discipline) in enumerate(
            [
                ("academia", "Europe", "woman", "economics"),
                ("trade unions", "Africa", "man", "sociology"),
                ("business", "Asia", "woman", "management"),
            ],
            start=1,
        )
    ]
    las = [
        make_person(
            session,
            f"LA {i}",
            roles=[(Role.lead_author, report)],
            signed=True,
            region=["Europe", "Africa", "Asia", "Latin America"][i % 4],
            gender=["woman", "man"][i % 2],
        )
        for i in range(1, 9)
    ]
    contributor = make_person(
        session, "Contributor", roles=[(Role.contributing_author, report)], signed=True
    )
    review_editor = make_person(session, "Review Editor", roles=[(Role.review_editor, report)])
    reviewer = make_person(
        session, "Reviewer", roles=[(Role.reviewer, report)], affiliation="University of Ghana"
    )
    council = [
        make_person(session, f"Council {i}", roles=[(Role.council_member, None)])
        for i in range(1, 6)
    ]
    outsider = make_person(session, "Outsider")
    world = World(
        report=report,
        secretariat=sec,
        clas=clas,
        lead_authors=las,
        contributor=contributor,
        review_editor=review_editor,
        reviewer=reviewer,
        council=council,
        outsider=outsider,
    )
    for i, question in enumerate(
        [Question.known, Question.desirable, Question.obstacles, Question.action], start=1
    ):
        world.sections.append(
            make_section(session, report, f"{i}.1", question, lead=las[i - 1], text=SAMPLE_TEXT)
        )
    return world


def row_counts(session: Session) -> dict[str, int]:
    """Return the number of rows in every table (to prove a refused write changed nothing)."""
    return {
        t.name: session.exec(select(func.count()).select_from(t)).one()
        for t in SQLModel.metadata.sorted_tables
    }


@contextmanager
def count_queries(session: Session) -> Iterator[list[str]]:
    """Collect the SQL statements sent while the block runs."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def make_translator(
    session: Session, report: Report, language: str, name: str | None = None, **fields: str
) -> Person:
    """Add a Translator of ``report`` into ``language`` (add more languages with add_membership)."""
    person = make_person(session, name or f"Translator {language}", **fields)
    session.add(
        Membership(
            person_id=person.id, report_id=report.id, role=Role.translator, language=language
        )
    )
    session.commit()
    return person
