"""Sections and their revisions: the outline, assignments, statuses, and saving text.

- The **outline** is a report's list of sections, each under one of the four
  synthesis questions (or the front matter, or a cross-cutting part), ordered by
  ``position`` within its question. A new report's outline comes from
  ``templates/outline.json``.
- A **revision** is an immutable text. Saving names the revision it was based
  on (``base_revision_id``); when the head has moved since, the save is refused
  with a :class:`~workbench.errors.Conflict` that carries the author's text and
  the current head's text, so nothing is lost. The unique (section, number)
  constraint makes this hold even for two saves racing on different servers.
- **Citations** are derived from the text on every save: every pandoc citation
  ``[@key]`` (or in-text ``@key``) that names a source of the report becomes a
  Citation row; keys that name no source are returned to the author as
  ``unknown_keys`` rather than silently dropped.
- **Coverage** tells, per synthesis question, whether the report answers it yet.
- **Lines** of a text are its physical lines (``text.splitlines()``), numbered
  from 1: reviewers cite them, and the demo and the mirror keep one sentence
  per line so that they are meaningful.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from workbench import audit, diffing, history, i18n, notifications
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError
from workbench.governance import can_transition
from workbench.i18n import N_, Msg
from workbench.models import (
    AUTHOR_ROLES,
    QUESTION_ORDER,
    SYNTHESIS_QUESTIONS,
    Citation,
    Membership,
    Person,
    Question,
    Report,
    Role,
    Section,
    SectionAuthor,
    SectionCreate,
    SectionRevision,
    SectionStatus,
    Source,
    utcnow,
)
from workbench.permissions import Action, require
from workbench.phrasing import Count, Joined, Listed, Number
from workbench.words import listing

OUTLINE_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "outline.json"
MAX_TEXT_CHARS = 2_000_000

# Pandoc: a key starts with a letter, digit or _, and may contain alphanumerics, _ and
# internal punctuation (:.#$%&-+?<>~/). Trailing punctuation is not part of the key.
_CITATION = re.compile(r"(?<![\w@.])-?@(?:\{([^}]+)\}|([\w][\w:.#$%&\-+?<>~/]*))")
_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,19}$")
_WORD = re.compile(r"[^\W_](?:[\w'’\-]*[^\W_])?")


# How a status name is quoted inside a sentence, by interface language (English: 'x').
_QUOTES = {"fr": ("« ", " »"), "es": ("«", "»")}


class _Choices(Msg):
    """Statuses offered as alternatives, each quoted, rendered in the reader's language
    ("'Drafting' or 'In review'"; "« En rédaction » ou « En examen »")."""

    __slots__ = ("items",)

    def __init__(self, items: list[Msg]) -> None:
        self.items = list(items)
        super().__init__("{items}", items=self.items)

    def render(self, code: str | None = None) -> str:
        """Return the alternatives in ``code`` or the current language."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        language = i18n.current_language()
        opening, closing = _QUOTES.get(language, ("'", "'"))
        quoted = [f"{opening}{item.render()}{closing}" for item in self.items]
        if language == i18n.SOURCE:
            return listing(quoted, conjunction="or")
        return i18n.format_list(quoted, style="or")


class _Continued(Msg):
    """A sentence continued after a colon: its first letter in lower case, unless it starts
    with a parameter (a name keeps its capital)."""

    __slots__ = ("inner",)

    def __init__(self, inner: Msg) -> None:
        self.inner = inner
        super().__init__("{inner}", inner=inner)

    def render(self, code: str | None = None) -> str:
        """Return the sentence in ``code`` or the current language, continued."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        text = self.inner.render()
        if self.inner.template.startswith("{") or not text:
            return text
        return text[0].lower() + text[1:]


def _refused(where_code: str | None, problem: Msg) -> ValidationError:
    """Return a refusal of an outline change, naming the section when several are saved."""
    if where_code is None:
        return ValidationError(problem)
    return ValidationError(
        "Section {code}: {problem}", code=where_code, problem=_Continued(problem)
    )


def lines_of(text: str) -> list[str]:
    """Return the numbered lines of a text as reviewers cite them (line 1 is index 0)."""
    return text.splitlines()


def extract_citation_keys(text: str) -> list[str]:
    """Return the distinct citation keys a Markdown text cites, in order of first use."""
    keys: list[str] = []
    seen: set[str] = set()
    for braced, plain in _CITATION.findall(text):
        key = braced or plain.rstrip(":.#$%&-+?<>~/")
        if key and key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


def code_order(code: str) -> tuple[tuple[int, int | str], ...]:
    """Sort codes as people read them: 1.2 before 1.10, F2 before F10."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", code) if part
    )


def word_count(text: str) -> int:
    """Return the number of words in a Markdown text, citation keys not counted."""
    return len(_WORD.findall(_CITATION.sub(" ", text)))


def head_text(session: Session, section: Section) -> str:
    """Return the text of a section's head revision ('' when it has none)."""
    if section.head_revision_id is None:
        return ""
    rev = session.get(SectionRevision, section.head_revision_id)
    return rev.text if rev else ""


def head_texts(session: Session, report_id: int) -> dict[int, str]:
    """Return section id → current text for every section of a report, in one query."""
    rows = session.exec(
        select(Section.id, SectionRevision.text)
        .join(
            SectionRevision,
            col(SectionRevision.id) == col(Section.head_revision_id),
            isouter=True,
        )
        .where(Section.report_id == report_id)
    ).all()
    return {section_id: text or "" for section_id, text in rows}


# --------------------------------------------------------------------------- reading


def get_section(session: Session, section_id: int) -> Section:
    """Return the section with this id, or raise NotFound."""
    section = session.get(Section, section_id)
    if section is None:
        raise NotFound("No section with id {id}.", id=section_id)
    return section


def get_section_by_code(session: Session, report_id: int, code: str) -> Section:
    """Return the section with this code in a report, or raise NotFound naming the codes."""
    section = session.exec(
        select(Section).where(Section.report_id == report_id, Section.code == code)
    ).first()
    if section is None:
        codes = [s.code for s in list_sections(session, report_id)]
        if not codes:
            raise NotFound("The report has no section '{code}'; it has no sections yet.", code=code)
        raise NotFound(
            "The report has no section '{code}'; its sections are {codes}.",
            code=code,
            codes=Joined(codes),
        )
    return section


def _sort_key(section: Section) -> tuple[int, int, str]:
    return (QUESTION_ORDER[Question(section.question)], section.position, section.code)


def list_sections(session: Session, report_id: int) -> list[Section]:
    """Return a report's sections in reading order (by synthesis question, then position)."""
    sections = session.exec(select(Section).where(Section.report_id == report_id)).all()
    return sorted(sections, key=_sort_key)


def coauthor_ids(session: Session, section_id: int) -> list[int]:
    """Return the ids of a section's co-authors."""
    return list(
        session.exec(
            select(SectionAuthor.person_id).where(SectionAuthor.section_id == section_id)
        ).all()
    )


def coauthors_by_section(session: Session, report_id: int) -> dict[int, list[int]]:
    """Return every section's co-author ids for a report, in one query."""
    rows = session.exec(
        select(SectionAuthor.section_id, SectionAuthor.person_id)
        .join(Section, col(Section.id) == col(SectionAuthor.section_id))
        .where(Section.report_id == report_id)
    ).all()
    result: dict[int, list[int]] = {}
    for section_id, person_id in rows:
        result.setdefault(section_id, []).append(person_id)
    return result


def revisions(session: Session, section_id: int) -> list[SectionRevision]:
    """Return a section's revisions, newest first."""
    return list(
        session.exec(
            select(SectionRevision)
            .where(SectionRevision.section_id == section_id)
            .order_by(col(SectionRevision.number).desc())
        ).all()
    )


def get_revision(session: Session, revision_id: int) -> SectionRevision:
    """Return a revision by id, or raise NotFound."""
    rev = session.get(SectionRevision, revision_id)
    if rev is None:
        raise NotFound("No revision with id {id}.", id=revision_id)
    return rev


def get_revision_by_number(session: Session, *, section_id: int, number: int) -> SectionRevision:
    """Return a section's revision by its number (1 is the first), or raise NotFound."""
    rev = session.exec(
        select(SectionRevision).where(
            SectionRevision.section_id == section_id, SectionRevision.number == number
        )
    ).first()
    if rev is None:
        raise NotFound("The section has no revision {number}.", number=number)
    return rev


@dataclass(frozen=True)
class RevisionSummary:
    """One line of a section's revision history: everything but the text."""

    id: int
    number: int
    author_id: int | None
    author_name: str
    created_at: datetime
    message: str
    words: int


def revision_history(
    session: Session, *, section_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[RevisionSummary], int]:
    """Return one page of a section's revisions (newest first, without texts) and the total."""
    if limit < 1 or offset < 0:
        raise ValidationError("A page needs a limit of at least 1 and an offset of 0 or more.")
    total = session.exec(
        select(func.count())
        .select_from(SectionRevision)
        .where(SectionRevision.section_id == section_id)
    ).one()
    rows = session.exec(
        select(
            SectionRevision.id,
            SectionRevision.number,
            SectionRevision.author_id,
            Person.name,
            SectionRevision.created_at,
            SectionRevision.message,
            SectionRevision.words,
        )
        .join(Person, col(Person.id) == col(SectionRevision.author_id), isouter=True)
        .where(SectionRevision.section_id == section_id)
        .order_by(col(SectionRevision.number).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    summaries = [
        RevisionSummary(
            id=rev_id,
            number=number,
            author_id=author_id,
            author_name=name or "unknown",
            created_at=created_at,
            message=message,
            words=words,
        )
        for rev_id, number, author_id, name, created_at, message, words in rows
    ]
    return summaries, int(total)


def cited_sources(session: Session, section_id: int) -> list[Source]:
    """Return the sources a section's head text cites."""
    return list(
        session.exec(
            select(Source)
            .join(Citation, col(Citation.source_id) == col(Source.id))
            .where(Citation.section_id == section_id)
            .order_by(col(Source.key))
        ).all()
    )


@dataclass
class QuestionCoverage:
    """How far a report answers one synthesis question."""

    question: Question
    sections: int = 0
    with_text: int = 0
    accepted: int = 0
    words: int = 0
    word_target: int = 0

    @property
    def covered(self) -> bool:
        """Return True when at least one section under the question has text."""
        return self.with_text > 0


def coverage(session: Session, report_id: int) -> list[QuestionCoverage]:
    """Return, for each of the four synthesis questions, its sections, text and acceptance."""
    rows = session.exec(
        select(
            Section.question,
            func.count(),
            func.sum(func.coalesce(Section.words, 0)),
            func.sum(func.coalesce(Section.word_target, 0)),
        )
        .where(Section.report_id == report_id)
        .group_by(Section.question)
    ).all()
    with_text = dict(
        session.exec(
            select(Section.question, func.count())
            .where(Section.report_id == report_id, col(Section.head_revision_id).is_not(None))
            .group_by(Section.question)
        ).all()
    )
    accepted = dict(
        session.exec(
            select(Section.question, func.count())
            .where(Section.report_id == report_id, Section.status == SectionStatus.accepted)
            .group_by(Section.question)
        ).all()
    )
    result = {q: QuestionCoverage(question=q) for q in SYNTHESIS_QUESTIONS}
    for question, count, words, target in rows:
        question = Question(question)
        if question in result:
            cov = result[question]
            cov.sections, cov.words, cov.word_target = count, int(words or 0), int(target or 0)
            cov.with_text = with_text.get(question, 0)
            cov.accepted = accepted.get(question, 0)
    return list(result.values())


# The two ways a synthesis question can be left unanswered (message ids of coverage_problems).
NO_SECTION = N_("No section answers '{question}'.")
NO_TEXT = N_("No section under '{question}' has any text yet.")


def coverage_problems(session: Session, report_id: int) -> list[Msg]:
    """Return a message for each synthesis question the report does not yet answer."""
    gaps = []
    for cov in coverage(session, report_id):
        if cov.sections == 0:
            gaps.append(Msg(NO_SECTION, question=Msg(cov.question.label)))
        elif not cov.covered:
            gaps.append(Msg(NO_TEXT, question=Msg(cov.question.label)))
    return gaps


def coverage_gaps(session: Session, report_id: int) -> list[str]:
    """Return a sentence for each synthesis question the report does not yet answer."""
    return [gap.render() for gap in coverage_problems(session, report_id)]


# --------------------------------------------------------------------------- permissions


def can_write(session: Session, person: Person, section: Section) -> bool:
    """Return True when a person may save text in this section."""
    try:
        _require_write(session, person, section)
    except PermissionDenied:
        return False
    return True


def write_refusal(session: Session, person: Person, section: Section) -> str | None:
    """Return why a person may not save text in this section, or None when they may."""
    try:
        _require_write(session, person, section)
    except PermissionDenied as exc:
        return exc.message
    return None


def authored_section_ids(session: Session, *, person_id: int, report_id: int) -> set[int]:
    """Return the ids of a report's sections that a person leads or co-authors."""
    led = select(Section.id).where(
        Section.report_id == report_id, Section.lead_author_id == person_id
    )
    co = (
        select(SectionAuthor.section_id)
        .join(Section, col(Section.id) == col(SectionAuthor.section_id))
        .where(Section.report_id == report_id, SectionAuthor.person_id == person_id)
    )
    return set(session.exec(led).all()) | set(session.exec(co).all())


def _require_write(session: Session, actor: Person, section: Section) -> None:
    roles = require(session, actor, Action.write_section, section.report_id)
    if Role.cla in roles:
        return
    if section.lead_author_id == actor.id or actor.id in coauthor_ids(session, section.id):
        return
    raise PermissionDenied(
        "{name} is not an author of section {code}; ask a CLA to add you as a co-author.",
        name=actor.name,
        code=section.code,
    )


# --------------------------------------------------------------------------- outline


def _validate_code(code: str) -> str:
    code = (code or "").strip()
    if not code:
        raise ValidationError(
            "Enter a section code: up to 20 letters, digits, dots or hyphens, like '2.3'."
        )
    if not _CODE_PATTERN.match(code):
        raise ValidationError(
            "'{code}' is not a section code: use up to 20 letters, digits, dots or hyphens, "
            "like '2.3'.",
            code=code,
        )
    return code


def _next_position(session: Session, report_id: int, question: Question) -> int:
    current = session.exec(
        select(func.max(Section.position)).where(
            Section.report_id == report_id, Section.question == question
        )
    ).one()
    return (current or 0) + 1


def load_outline_template(path: Path | None = None) -> list[dict[str, Any]]:
    """Return the sections of the outline template (``templates/outline.json``)."""
    path = path or OUTLINE_TEMPLATE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["sections"]
        for entry in entries:
            Question(entry["question"])
            _validate_code(entry["code"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(
            "The outline template {path} is not valid: {problem}", path=str(path), problem=str(exc)
        ) from exc
    return entries


def create_outline(
    *, session: Session, actor: Person, report: Report, template: Path | None = None
) -> list[Section]:
    """Create a report's outline from the template of the four synthesis questions."""
    require(session, actor, Action.edit_outline, report.id)
    if session.exec(select(Section).where(Section.report_id == report.id)).first():
        raise ValidationError(
            "The report '{slug}' already has an outline; add sections to it instead.",
            slug=report.slug,
        )
    created = []
    for position, entry in enumerate(load_outline_template(template), start=1):
        section = Section(
            report_id=report.id,
            code=entry["code"],
            question=Question(entry["question"]),
            title=entry["title"],
            brief=entry.get("brief", ""),
            word_target=entry.get("word_target"),
            position=position,
            due_date=report.due_date,
        )
        session.add(section)
        created.append(section)
    session.flush()
    audit.record(
        session,
        actor,
        "create_outline",
        "report",
        report.id,
        report_id=report.id,
        sections=[s.code for s in created],
    )
    session.commit()
    return created


def add_section(
    *,
    session: Session,
    actor: Person,
    report: Report,
    data: SectionCreate,
    lead_author_id: int | None = None,
) -> Section:
    """Add a section to a report's outline, last under its question."""
    require(session, actor, Action.edit_outline, report.id)
    code = _validate_code(data.code)
    if not data.title.strip():
        raise ValidationError("A section needs a title.")
    if session.exec(
        select(Section).where(Section.report_id == report.id, Section.code == code)
    ).first():
        raise ValidationError("The report already has a section '{code}'.", code=code)
    question = Question(data.question)
    if lead_author_id is not None:
        _check_authors(session, report.id, [lead_author_id])
    section = Section(
        **data.model_dump(exclude={"code", "question", "title"}),
        code=code,
        question=question,
        title=data.title.strip(),
        report_id=report.id,
        position=_next_position(session, report.id, question),
        lead_author_id=lead_author_id,
    )
    session.add(section)
    session.flush()
    audit.record(session, actor, "create", "section", section.id, report_id=report.id, code=code)
    notifications.section_changed(
        session,
        section=section,
        before_lead=None,
        before_coauthors=(),
        coauthors=(),
        changed=["lead_author_id"] if lead_author_id is not None else [],
        actor_id=actor.id,
    )
    session.commit()
    return section


_EDITABLE = {"code", "title", "brief", "question", "due_date", "word_target"}


def _apply_section_changes(
    session: Session, section: Section, changes: dict[str, Any], where_code: str | None = None
) -> list[str]:
    """Validate and apply outline changes to one section; return the fields changed.

    ``where_code`` names the section in a refusal (when several sections are saved at once).
    """
    unknown = set(changes) - _EDITABLE - {"lead_author_id", "coauthor_ids", "status"}
    if unknown:
        raise _refused(
            where_code,
            Msg("Cannot change {fields} of a section.", fields=Joined(sorted(unknown))),
        )
    changed = []
    if "code" in changes and changes["code"] != section.code:
        code = _validate_code(changes["code"])
        clash = session.exec(
            select(Section).where(
                Section.report_id == section.report_id,
                Section.code == code,
                Section.id != section.id,
            )
        ).first()
        if clash:
            raise _refused(where_code, Msg("The report already has a section '{code}'.", code=code))
        section.code = code
        changed.append("code")
    if "title" in changes and changes["title"] != section.title:
        title = (changes["title"] or "").strip()
        if not title:
            raise _refused(where_code, Msg("A section needs a title."))
        section.title = title
        changed.append("title")
    if "brief" in changes and changes["brief"] != section.brief:
        section.brief = changes["brief"] or ""
        changed.append("brief")
    if "question" in changes and Question(changes["question"]) != section.question:
        section.question = Question(changes["question"])
        section.position = _next_position(session, section.report_id, section.question)
        changed.append("question")
    if "due_date" in changes and changes["due_date"] != section.due_date:
        due = changes["due_date"]
        if due is not None and not isinstance(due, date):
            raise _refused(where_code, Msg("'{value}' is not a date.", value=str(due)))
        section.due_date = due
        changed.append("due_date")
    if "word_target" in changes and changes["word_target"] != section.word_target:
        target = changes["word_target"]
        if target is not None and (not isinstance(target, int) or target <= 0):
            raise _refused(where_code, Msg("A word target must be a positive whole number."))
        section.word_target = target
        changed.append("word_target")
    if "lead_author_id" in changes and changes["lead_author_id"] != section.lead_author_id:
        lead = changes["lead_author_id"]
        if lead is not None:
            _check_authors(session, section.report_id, [lead], where_code)
        section.lead_author_id = lead
        changed.append("lead_author_id")
    if "coauthor_ids" in changes:
        wanted = sorted(set(changes["coauthor_ids"] or []))
        if wanted != sorted(coauthor_ids(session, section.id)):
            _check_authors(session, section.report_id, wanted, where_code)
            session.exec(delete(SectionAuthor).where(col(SectionAuthor.section_id) == section.id))
            for person_id in wanted:
                session.add(SectionAuthor(section_id=section.id, person_id=person_id))
            changed.append("coauthor_ids")
    if "status" in changes and SectionStatus(changes["status"]) != section.status:
        new = SectionStatus(changes["status"])
        if not can_transition(section.status, new):
            nexts = [Msg(s.label) for s in SectionStatus if can_transition(section.status, s)]
            raise ValidationError(
                "Section {code} cannot go from '{old}' to '{new}'; from '{old}' it can go to "
                "{choices}.",
                code=section.code,
                old=Msg(section.status.label),
                new=Msg(new.label),
                choices=_Choices(nexts),
            )
        section.status = new
        changed.append("status")
    if changed:
        section.updated_at = utcnow()
        session.add(section)
    return changed


def _check_authors(
    session: Session, report_id: int, person_ids: list[int], where_code: str | None = None
) -> None:
    if not person_ids:
        return
    authors = set(
        session.exec(
            select(Membership.person_id).where(
                Membership.report_id == report_id, col(Membership.role).in_(list(AUTHOR_ROLES))
            )
        ).all()
    )
    missing = [pid for pid in person_ids if pid not in authors]
    if missing:
        names: list[str | Msg] = [
            p.name for p in session.exec(select(Person).where(col(Person.id).in_(missing)))
        ]
        unknown = len(missing) - len(names)
        if unknown:
            names.append(Count(N_("{count} unknown person"), N_("{count} unknown people"), unknown))
        raise _refused(
            where_code,
            Count(
                N_("{who} is not an author of this report; add them to the team first."),
                N_("{who} are not authors of this report; add them to the team first."),
                len(missing),
                who=Listed(names),
            ),
        )


def update_section(*, session: Session, actor: Person, section: Section, **changes: Any) -> Section:
    """Rename, re-brief, move, re-date or re-target a section, or reassign its authors."""
    require(session, actor, Action.edit_outline, section.report_id)
    before = _assignment(session, section, changes)
    changed = _apply_section_changes(session, section, changes)
    if changed:
        audit.record(
            session,
            actor,
            "update",
            "section",
            section.id,
            report_id=section.report_id,
            fields=changed,
        )
        _notify_changes(session, actor, section, before, changed)
        session.commit()
    return section


def _assignment(
    session: Session, section: Section, changes: dict[str, Any]
) -> tuple[int | None, list[int]]:
    """Return the lead author and co-authors before a change that may notify them."""
    if not {"lead_author_id", "coauthor_ids", "due_date"} & set(changes):
        return section.lead_author_id, []
    return section.lead_author_id, coauthor_ids(session, section.id)


def _notify_changes(
    session: Session,
    actor: Person,
    section: Section,
    before: tuple[int | None, list[int]],
    changed: list[str],
) -> None:
    """Tell new authors the section is theirs, and its authors that its due date moved."""
    if not {"lead_author_id", "coauthor_ids", "due_date"} & set(changed):
        return
    notifications.section_changed(
        session,
        section=section,
        before_lead=before[0],
        before_coauthors=before[1],
        coauthors=coauthor_ids(session, section.id) if "coauthor_ids" in changed else before[1],
        changed=changed,
        actor_id=actor.id,
    )


def assign(
    *,
    session: Session,
    actor: Person,
    section: Section,
    lead_author_id: int | None,
    coauthor_ids: list[int] | None = None,
) -> Section:
    """Assign a section's lead author and co-authors (authors of the report only)."""
    changes: dict[str, Any] = {"lead_author_id": lead_author_id}
    if coauthor_ids is not None:
        changes["coauthor_ids"] = coauthor_ids
    return update_section(session=session, actor=actor, section=section, **changes)


def bulk_update(
    *, session: Session, actor: Person, report: Report, changes: dict[int, dict[str, Any]]
) -> int:
    """Apply outline changes to several sections at once: all of them, or none.

    ``changes`` maps a section id to its changed fields (as ``update_section``
    takes them, plus ``status``). Returns the number of sections changed.
    """
    require(session, actor, Action.edit_outline, report.id)
    sections = {
        s.id: s
        for s in session.exec(
            select(Section).where(
                Section.report_id == report.id, col(Section.id).in_(list(changes))
            )
        ).all()
    }
    missing = [sid for sid in changes if sid not in sections]
    if missing:
        # Built before the raise: babel does not see N_ nested in an error's call.
        absent = Count(
            N_("The section with id {ids} is not in the report '{slug}'."),
            N_("The sections with ids {ids} are not in the report '{slug}'."),
            len(missing),
            ids=Listed(missing),
            slug=report.slug,
        )
        raise NotFound(absent)
    count = 0
    try:
        for section_id, fields in changes.items():
            section = sections[section_id]
            before = _assignment(session, section, fields)
            changed = _apply_section_changes(session, section, fields, section.code)
            if changed:
                _notify_changes(session, actor, section, before, changed)
                count += 1
                audit.record(
                    session,
                    actor,
                    "update",
                    "section",
                    section.id,
                    report_id=report.id,
                    fields=changed,
                )
        session.flush()
    except Exception:
        session.rollback()
        raise
    session.commit()
    return count


def reorder_sections(
    *, session: Session, actor: Person, report: Report, question: Question, ordered_ids: list[int]
) -> None:
    """Set the order of the sections under one question."""
    require(session, actor, Action.edit_outline, report.id)
    current = session.exec(
        select(Section).where(Section.report_id == report.id, Section.question == question)
    ).all()
    if sorted(s.id for s in current) != sorted(ordered_ids):
        raise ValidationError(
            "The new order must list every section under '{question}' once.",
            question=Msg(Question(question).label),
        )
    by_id = {s.id: s for s in current}
    for position, section_id in enumerate(ordered_ids, start=1):
        by_id[section_id].position = position
        session.add(by_id[section_id])
    audit.record(
        session,
        actor,
        "reorder",
        "report",
        report.id,
        report_id=report.id,
        question=Question(question).value,
        order=ordered_ids,
    )
    session.commit()


def delete_section(*, session: Session, actor: Person, section: Section) -> None:
    """Remove a section that has no text yet (sections with text are kept for the record)."""
    require(session, actor, Action.edit_outline, section.report_id)
    if section.head_revision_id is not None:
        raise ValidationError(
            "Section {code} has text; it cannot be deleted. Rename or reuse it instead.",
            code=section.code,
        )
    session.exec(delete(SectionAuthor).where(col(SectionAuthor.section_id) == section.id))
    audit.record(
        session,
        actor,
        "delete",
        "section",
        section.id,
        report_id=section.report_id,
        code=section.code,
    )
    session.delete(section)
    session.commit()


def set_status(
    *, session: Session, actor: Person, section: Section, status: SectionStatus
) -> Section:
    """Move a section to a new status, along the legal transitions only.

    CLAs move any section; a Lead Author moves the sections they lead.
    """
    roles = require(session, actor, Action.set_section_status, section.report_id)
    if Role.cla not in roles and section.lead_author_id != actor.id:
        raise PermissionDenied(
            "Only a CLA or the section's lead author may change the status of {code}.",
            code=section.code,
        )
    status = SectionStatus(status)
    if status == SectionStatus.accepted and Role.cla not in roles:
        raise PermissionDenied("Only a CLA may accept a section.")
    old = section.status
    _apply_section_changes(session, section, {"status": status})
    audit.record(
        session,
        actor,
        "set_status",
        "section",
        section.id,
        report_id=section.report_id,
        old=old.value,
        new=status.value,
    )
    session.commit()
    return section


# --------------------------------------------------------------------------- saving text


@dataclass
class SaveResult:
    """What a save did: the new revision, and the citation keys no source answers to."""

    revision: SectionRevision
    cited_keys: list[str] = field(default_factory=list)
    unknown_keys: list[str] = field(default_factory=list)
    # Set when the git mirror of the draft history could not follow this save
    # (the save itself succeeded; the mirror catches up at the next save).
    mirror_note: str | None = None


def _sync_citations(session: Session, section: Section, text: str) -> tuple[list[str], list[str]]:
    keys = extract_citation_keys(text)
    found = {}
    if keys:
        found = dict(
            session.exec(
                select(Source.key, Source.id).where(
                    Source.report_id == section.report_id, col(Source.key).in_(keys)
                )
            ).all()
        )
    session.exec(delete(Citation).where(col(Citation.section_id) == section.id))
    for source_id in sorted(set(found.values())):
        session.add(Citation(section_id=section.id, source_id=source_id))
    return [k for k in keys if k in found], [k for k in keys if k not in found]


def save_revision(
    *,
    session: Session,
    actor: Person,
    section: Section,
    text: str,
    base_revision_id: int | None,
    message: str = "",
) -> SaveResult:
    """Save a new revision of a section, based on ``base_revision_id``.

    Raises Conflict (carrying both texts) when the head is no longer the base:
    the author's text is never lost, and neither is the other author's.
    """
    _require_write(session, actor, section)
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(
            "The text has {n} characters; a section holds at most {most}.",
            n=Number(len(text)),
            most=Number(MAX_TEXT_CHARS),
        )
    text = text.replace("\r\n", "\n")
    message = (message or "").strip()[:500]
    session.refresh(section)
    if section.head_revision_id != base_revision_id:
        raise _conflict(session, section, text, base_revision_id)
    base_number = 0
    if base_revision_id is not None:
        base = get_revision(session, base_revision_id)
        if base.section_id != section.id:
            raise ValidationError("The base revision belongs to another section.")
        base_number = base.number
    words = word_count(text)
    revision = SectionRevision(
        section_id=section.id,
        number=base_number + 1,
        parent_id=base_revision_id,
        author_id=actor.id,
        text=text,
        message=message or f"Revision {base_number + 1}",
        words=words,
    )
    try:
        session.add(revision)
        session.flush()
        # Compare-and-swap on the head: only one of two racing saves can move it.
        head_matches = (
            col(Section.head_revision_id).is_(None)
            if base_revision_id is None
            else col(Section.head_revision_id) == base_revision_id
        )
        moved = session.exec(
            update(Section)
            .where(col(Section.id) == section.id, head_matches)
            .values(
                head_revision_id=revision.id,
                words=words,
                updated_at=utcnow(),
                status=(
                    SectionStatus.drafting
                    if section.status == SectionStatus.not_started
                    else section.status
                ),
            )
        )
        if moved.rowcount != 1:
            raise IntegrityError("head moved", None, Exception("head moved"))
    except IntegrityError:
        session.rollback()
        session.refresh(section)
        raise _conflict(session, section, text, base_revision_id) from None
    cited, unknown = _sync_citations(session, section, text)
    audit.record(
        session,
        actor,
        "save_revision",
        "section",
        section.id,
        report_id=section.report_id,
        revision=revision.number,
        words=words,
        unknown_keys=unknown,
    )
    session.commit()
    session.refresh(section)
    # After the commit: the mirror may fall behind, but it never fails the save.
    note = history.record_revision(session, revision)
    return SaveResult(revision=revision, cited_keys=cited, unknown_keys=unknown, mirror_note=note)


def _conflict(session: Session, section: Section, mine: str, base_id: int | None) -> Conflict:
    head = (
        session.get(SectionRevision, section.head_revision_id) if section.head_revision_id else None
    )
    author = None
    if head is not None and head.author_id is not None:
        author = session.get(Person, head.author_id)
    message = (
        Msg(
            "Section {code} was changed by {name} since you started editing (now at revision "
            "{number}). Your text has not been saved: merge it with the current text and save "
            "again.",
            code=section.code,
            name=author.name,
            number=head.number if head else 0,
        )
        if author is not None
        else Msg(
            "Section {code} was changed since you started editing (now at revision {number}). "
            "Your text has not been saved: merge it with the current text and save again.",
            code=section.code,
            number=head.number if head else 0,
        )
    )
    return Conflict(
        message,
        mine=mine,
        head_text=head.text if head else "",
        head_revision_id=head.id if head else None,
        base_revision_id=base_id,
    )


def refresh_citations(*, session: Session, report_id: int) -> dict[str, list[str]]:
    """Recompute every section's citations (after sources change); return unknown keys by code."""
    unknown_by_code: dict[str, list[str]] = {}
    for section in list_sections(session, report_id):
        text = head_text(session, section)
        _, unknown = _sync_citations(session, section, text)
        if unknown:
            unknown_by_code[section.code] = unknown
    session.commit()
    return unknown_by_code


# --------------------------------------------------------------------------- history


def revision_changes(session: Session, revision_ids: list[int]) -> dict[int, diffing.DiffStats]:
    """Return, for each of these revisions, the words it added and removed against its parent.

    Two queries, whatever the number of revisions (a first revision adds all its words).
    """
    if not revision_ids:
        return {}
    rows = session.exec(
        select(SectionRevision.id, SectionRevision.parent_id, SectionRevision.text).where(
            col(SectionRevision.id).in_(revision_ids)
        )
    ).all()
    parent_ids = {parent for _, parent, _ in rows if parent is not None}
    parents = (
        dict(
            session.exec(
                select(SectionRevision.id, SectionRevision.text).where(
                    col(SectionRevision.id).in_(parent_ids)
                )
            ).all()
        )
        if parent_ids
        else {}
    )

    def countable(text: str) -> str:
        return _CITATION.sub(" ", text)  # counted like word_count: citation keys are not words

    return {
        rev_id: diffing.diff_stats(
            diffing.word_diff(countable(parents.get(parent, "")), countable(text))
        )
        for rev_id, parent, text in rows
    }


def restore_revision(
    *,
    session: Session,
    actor: Person,
    section: Section,
    revision_id: int,
    base_revision_id: int | None,
) -> SaveResult:
    """Save an earlier revision's text as the section's newest revision (nothing is deleted)."""
    old = get_revision(session, revision_id)
    if old.section_id != section.id:
        raise ValidationError(
            "That revision belongs to another section than {code}.", code=section.code
        )
    if old.id == section.head_revision_id:
        raise ValidationError(
            "Revision {number} is already the current text of section {code}.",
            number=old.number,
            code=section.code,
        )
    return save_revision(
        session=session,
        actor=actor,
        section=section,
        text=old.text,
        base_revision_id=base_revision_id,
        message=f"Restored revision {old.number}",
    )
