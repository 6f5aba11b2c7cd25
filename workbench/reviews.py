"""Review rounds and review comments, the IPCC way.

Terms:

- A **review round** (``ReviewRound``, named e.g. ``FOD`` or ``SOD``) is the
  period during which reviewers comment on a report's draft. It can be opened
  only at the first-order or second-order draft stage, and it **freezes** the
  head revision of every section (``FrozenSection``): reviewers cite lines of
  that frozen text, whatever the authors write afterwards.
- A **line** is one line of the frozen text as :func:`workbench.sections.lines_of`
  splits it, numbered from 1.
- The round also freezes the report's other **parts** (key findings, the
  consensus and false-solutions registers, recommendations, initiatives; see
  :mod:`workbench.parts`), each numbered from 1, so that a comment can be on any
  line of the review copy.
- A **review comment** (``ReviewComment``) has a number unique in its round,
  what it is about (a section, a part or an item of a part, named by its code:
  ``2.1``, ``KF``, ``F3``, ``R3``…) and a line range in it, the reviewer, a
  kind, the comment and a suggested change. Authors answer it with a **response** and a
  **disposition** (accepted, taken into account, noted, rejected); a Review
  Editor then **signs off** the response as fair.
- An **open comment** lacks a response or a disposition. A round cannot close
  while any comment is open.
- The **comment table** is the spreadsheet form of a round's comments (see
  :mod:`workbench.comment_table`); comments can be imported from it and
  exported to it. Comments reviewers leave in Word come in through the same
  path (:func:`import_comment_rows`, used by :mod:`workbench.docx_import`).

Every write checks permission, validates everything first, records an audit
event and commits once, so a refused write leaves the database unchanged.
"""

from __future__ import annotations

import contextlib
import enum
import gc
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Enum as SAEnum
from sqlalchemy import String, case, insert, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from workbench import (
    audit,
    comment_counts,
    history,
    notifications,
    numbering,
    parts,
    search,
    textguard,
)
from workbench.comment_table import (
    MAX_AFFILIATION_CHARS,
    MAX_REVIEWER_CHARS,
    CommentRow,
    read_table,
    write_csv,
    write_xlsx,
)
from workbench.errors import Conflict, ImportFailed, NotFound, PermissionDenied, ValidationError
from workbench.i18n import N_, Msg
from workbench.limits import _CONTROL, column_limit, text_problem
from workbench.models import (
    QUESTION_ORDER,
    CommentKind,
    Disposition,
    FrozenSection,
    Person,
    Question,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Section,
    SectionAuthor,
    SectionRevision,
    SectionStatus,
    Stage,
    utcnow,
)
from workbench.parts import Target
from workbench.permissions import Action, can, require, roles_of
from workbench.phrasing import Count, Joined, Lowered, Sentence
from workbench.sections import code_order
from workbench.words import blank

REVIEW_STAGES: tuple[Stage, ...] = (Stage.first_order_draft, Stage.second_order_draft)
MAX_ROUND_NAME = 40
# Dispositions whose response must say why the comment did not change the text.
NEEDS_REASON = frozenset({Disposition.rejected, Disposition.noted})
_IMPORT_CHUNK = 5_000
_STAGING = "import_reviewcomment"  # SQLite: the import's temporary table (see _bulk_insert)

ProgressCallback = Callable[[int, int], None]


# --------------------------------------------------------------------------- reading


def rounds(session: Session, *, report_id: int) -> list[ReviewRound]:
    """Return a report's review rounds, oldest first."""
    return list(
        session.exec(
            select(ReviewRound)
            .where(ReviewRound.report_id == report_id)
            .order_by(col(ReviewRound.opened_at), col(ReviewRound.id))
        ).all()
    )


def get_round(session: Session, *, report_id: int, name: str) -> ReviewRound:
    """Return the report's review round with this name, or raise NotFound naming the rounds."""
    found = session.exec(
        select(ReviewRound).where(
            ReviewRound.report_id == report_id, ReviewRound.name == name.strip()
        )
    ).first()
    if found is None:
        names = [r.name for r in rounds(session, report_id=report_id)]
        if names:
            raise NotFound(
                "This report has no review round named '{name}'; its rounds are {rounds}.",
                name=name,
                rounds=", ".join(names),
            )
        raise NotFound(
            "This report has no review round named '{name}'; it has no review round yet.",
            name=name,
        )
    return found


def _latest_round(session: Session, report_id: int) -> ReviewRound | None:
    return session.exec(
        select(ReviewRound)
        .where(ReviewRound.report_id == report_id)
        .order_by(col(ReviewRound.opened_at).desc(), col(ReviewRound.id).desc())
    ).first()


def frozen_text(session: Session, *, round_id: int, section_id: int) -> str:
    """Return the text of a section as the review round froze it."""
    text = session.exec(
        select(SectionRevision.text)
        .join(FrozenSection, col(FrozenSection.revision_id) == col(SectionRevision.id))
        .where(FrozenSection.round_id == round_id, FrozenSection.section_id == section_id)
    ).first()
    if text is None:
        raise NotFound("That section was not part of this review round (it was added later).")
    return text


def frozen_texts(session: Session, *, round_id: int) -> dict[int, str]:
    """Return section id → text for every section a review round froze, in one query."""
    rows = session.exec(
        select(FrozenSection.section_id, SectionRevision.text)
        .join(SectionRevision, col(SectionRevision.id) == col(FrozenSection.revision_id))
        .where(FrozenSection.round_id == round_id)
    ).all()
    return dict(rows)


def _open_clause() -> Any:
    return or_(col(ReviewComment.disposition).is_(None), col(ReviewComment.response) == "")


#: How many comments matching a text :func:`list_comments` counts before saying "more".
TEXT_MATCHES_COUNTED = 2000


def list_comments(
    session: Session,
    *,
    round_id: int,
    section_id: int | None = None,
    section_ids: Collection[int] | None = None,
    part_codes: Collection[str] | None = None,
    reviewer: int | str | None = None,
    kind: CommentKind | None = None,
    disposition: Disposition | None = None,
    open_only: bool = False,
    signed_off: bool | None = None,
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ReviewComment], int]:
    """Return one page of a round's comments in number order, and how many match in all.

    ``section_ids`` keeps the comments on any of these sections (an empty
    collection keeps none); ``part_codes`` the comments on any of these parts or
    items (codes as stored, e.g. ``KF``, ``F3``); given both, a comment on either
    is kept. ``reviewer`` is a person id or part of a reviewer's
    name; ``text`` searches the comment, suggested change and response for
    words (every word, any case or accent, ``agreements`` finds ``agreement``),
    ``"a phrase"`` and ``-a word to leave out`` (:mod:`workbench.search`); text
    with no word in it matches nothing. With a text, the matches are counted up
    to :data:`TEXT_MATCHES_COUNTED` and one more: a total above it means "more
    than that" (a common word matches a quarter of a million comments at ten
    times IPCC scale, and counting them all took 0.15 s on PostgreSQL).
    """
    conditions: list[Any] = [ReviewComment.round_id == round_id]
    if section_id is not None:
        conditions.append(ReviewComment.section_id == section_id)
    on: list[Any] = []
    if section_ids is not None:
        on.append(col(ReviewComment.section_id).in_(list(section_ids)))
    if part_codes is not None:
        on.append(col(ReviewComment.part).in_(list(part_codes)))
    if on:
        conditions.append(or_(*on))
    if isinstance(reviewer, int):
        conditions.append(ReviewComment.reviewer_id == reviewer)
    elif reviewer:
        conditions.append(col(ReviewComment.reviewer_name).icontains(reviewer, autoescape=True))
    if kind is not None:
        conditions.append(ReviewComment.kind == CommentKind(kind))
    if disposition is not None:
        conditions.append(ReviewComment.disposition == Disposition(disposition))
    if open_only:
        conditions.append(_open_clause())
    if signed_off is True:
        conditions.append(col(ReviewComment.signed_off_at).is_not(None))
    elif signed_off is False:
        conditions.append(col(ReviewComment.signed_off_at).is_(None))
    if text and text.strip():
        # Full-text search (workbench/search.py): words, "a phrase", -word to leave out.
        conditions.append(search.comment_matches(session, search.parse(text), round_id=round_id))
    counted = select(ReviewComment.id).where(*conditions)
    if text and text.strip():
        counted = counted.limit(TEXT_MATCHES_COUNTED + 1)
    total = session.exec(select(func.count()).select_from(counted.subquery())).one()
    page = session.exec(
        select(ReviewComment)
        .where(*conditions)
        .order_by(col(ReviewComment.number))
        .limit(max(limit, 0))
        .offset(max(offset, 0))
    ).all()
    return list(page), int(total)


def disposition_counts(session: Session, *, round_id: int) -> list[dict[str, Any]]:
    """Return its comments by disposition, open and signed off: per section, then per part.

    Sections come in reading order, then the parts in print order (a comment on
    an item, such as finding F3, counts in its part, KF). Each entry has
    ``section`` (the section's or the part's code) and ``section_id`` (None for
    a part).
    """
    # Read from the counts the triggers keep (workbench.comment_counts), not counted here.
    counts = comment_counts.counts_comment.c
    rows = session.exec(
        select(  # type: ignore[call-overload]
            case((counts.section_id == 0, None), else_=counts.section_id).label("section_id"),
            counts.part,
            counts.total,
            *(counts[d.value].label(d.value) for d in Disposition),
            counts.open,
            counts.signed_off,
        ).where(counts.round_id == round_id, counts.total > 0)
    ).all()
    keys = ["total", *(d.value for d in Disposition), "open", "signed_off"]
    section_ids = {r.section_id for r in rows if r.section_id is not None}
    facts = {
        section.id: section
        for section in session.exec(select(Section).where(col(Section.id).in_(section_ids)))
    }
    found = parts.part_targets(session, round_id) if any(r.part for r in rows) else {}
    order = {spec.code: n for n, spec in enumerate(parts.SPECS)}
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        mapping = row._mapping
        if row.section_id is not None:
            section = facts[row.section_id]
            # Positions count within a synthesis question: reading order needs it first.
            sort = (
                0,
                QUESTION_ORDER[Question(section.question)],
                section.position,
                code_order(section.code),
            )
            entry_key: tuple[Any, ...] = (sort, section.code, section.id)
        else:
            target = parts.resolve(found, row.part)
            code = target.part if target is not None else row.part
            entry_key = ((1, order.get(code, len(order)), 0, code_order(code)), code, None)
        entry = merged.setdefault(
            entry_key,
            {"section_id": entry_key[2], "section": entry_key[1], **dict.fromkeys(keys, 0)},
        )
        for key in keys:
            entry[key] += int(mapping[key] or 0)
    return [merged[k] for k in sorted(merged, key=lambda k: k[0])]


def open_comment_counts(session: Session, *, report_id: int) -> dict[int, int]:
    """Return section id → number of comments without a disposition, across the report's rounds.

    Comments on the other parts of the report (findings, registers…) are not counted here.
    """
    counts = comment_counts.counts_comment.c
    rows = session.exec(
        select(counts.section_id, func.sum(counts.undecided))  # type: ignore[call-overload]
        .join(ReviewRound, col(ReviewRound.id) == counts.round_id)
        .where(ReviewRound.report_id == report_id, counts.section_id != 0)
        .group_by(counts.section_id)
        .having(func.sum(counts.undecided) > 0)
    ).all()
    return {section_id: int(count) for section_id, count in rows}


@dataclass(frozen=True)
class RoundSummary:
    """A review round with how many comments it has, how many are open and signed off."""

    round: ReviewRound
    comments: int
    open: int
    signed_off: int


def round_summaries(session: Session, *, report_id: int) -> list[RoundSummary]:
    """Return a report's review rounds, oldest first, with their comment counts."""
    tally = comment_counts.counts_comment.c
    counts = {
        round_id: (int(total), int(still_open or 0), int(signed or 0))
        for round_id, total, still_open, signed in session.exec(
            select(  # type: ignore[call-overload]
                tally.round_id,
                func.sum(tally.total),
                func.sum(tally.open),
                func.sum(tally.signed_off),
            )
            .join(ReviewRound, col(ReviewRound.id) == tally.round_id)
            .where(ReviewRound.report_id == report_id)
            .group_by(tally.round_id)
        ).all()
    }
    return [
        RoundSummary(r, *counts.get(r.id, (0, 0, 0))) for r in rounds(session, report_id=report_id)
    ]


def get_comment(session: Session, *, round_id: int, number: int) -> ReviewComment:
    """Return the comment with this number in a round, or raise NotFound."""
    found = session.exec(
        select(ReviewComment).where(
            ReviewComment.round_id == round_id, ReviewComment.number == number
        )
    ).first()
    if found is None:
        raise NotFound("This review round has no comment number {number}.", number=number)
    return found


def frozen_section_ids(session: Session, *, round_id: int) -> set[int]:
    """Return the ids of the sections a review round froze (the ones reviewers can cite)."""
    return set(
        session.exec(select(FrozenSection.section_id).where(FrozenSection.round_id == round_id))
    )


def answerable_section_ids(session: Session, *, person: Person, report_id: int) -> set[int]:
    """Return the ids of the report's sections whose comments this person may answer.

    A CLA answers on every section; a Lead Author on the sections they lead or
    co-author; anyone else (or an author who has not signed the Code of Ethics)
    on none.
    """
    if not can(session, person, Action.respond_to_comment, report_id):
        return set()
    query = select(Section.id).where(Section.report_id == report_id)
    if Role.cla not in roles_of(session, person, report_id):
        coauthored = select(SectionAuthor.section_id).where(SectionAuthor.person_id == person.id)
        query = query.where(
            or_(Section.lead_author_id == person.id, col(Section.id).in_(coauthored))
        )
    return set(session.exec(query))


def answerable_part_codes(
    session: Session, *, person: Person, report_id: int, round_id: int
) -> set[str]:
    """Return the codes of the parts and items of a round whose comments this person may answer.

    The codes are those comments store (``KF``, ``F3``, ``R3``…). A CLA answers
    on every part; a Lead Author on the items that belong to the sections they
    lead or co-author; anyone else on none (as :func:`may_answer` decides).
    """
    if not can(session, person, Action.respond_to_comment, report_id):
        return set()
    found = parts.part_targets(session, round_id).values()
    if Role.cla in roles_of(session, person, report_id):
        return {t.code for t in found if t.kind != "section"}
    mine = answerable_section_ids(session, person=person, report_id=report_id)
    return {t.code for t in found if t.kind == "item" and t.answer_section_id in mine}


# --------------------------------------------------------------------------- rounds


def open_round(
    *,
    session: Session,
    actor: Person,
    report: Report,
    name: str,
    opens_on: date,
    closes_on: date,
) -> ReviewRound:
    """Open a review round, freezing every section's current text and the other parts."""
    require(session, actor, Action.manage_review_round, report.id)
    stage = Stage(report.stage)
    if stage not in REVIEW_STAGES:
        raise ValidationError(
            "Review rounds can be opened only at the {first} or {second} stage; "
            "'{title}' is at the {stage} stage.",
            first=Lowered(Msg(REVIEW_STAGES[0].label)),
            second=Lowered(Msg(REVIEW_STAGES[1].label)),
            title=report.title,
            stage=Lowered(Msg(stage.label)),
        )
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the review round a name, such as FOD or SOD.")
    if len(name) > MAX_ROUND_NAME:
        raise ValidationError(
            "A review round's name has at most {limit} characters; '{start}…' has {count}.",
            limit=MAX_ROUND_NAME,
            start=name[:50],
            count=len(name),
        )
    if closes_on <= opens_on:
        raise ValidationError(
            "A review round must close after it opens: it opens on {opens} "
            "and would close on {closes}.",
            opens=opens_on.isoformat(),
            closes=closes_on.isoformat(),
        )
    existing = rounds(session, report_id=report.id)
    if any(r.name.lower() == name.lower() for r in existing):
        raise ValidationError(
            "This report already has a review round named '{name}'; choose another name.",
            name=name,
        )
    still_open = [r for r in existing if r.status == RoundStatus.open]
    if still_open:
        raise ValidationError(
            "The review round '{round}' is still open; close it before opening another.",
            round=still_open[0].name,
        )
    sections = session.exec(
        select(Section, SectionRevision.text)
        .join(
            SectionRevision,
            col(SectionRevision.id) == col(Section.head_revision_id),
            isouter=True,
        )
        .where(Section.report_id == report.id)
        .order_by(col(Section.position), col(Section.code))
    ).all()
    if not sections:
        raise ValidationError("This report has no sections yet; there is nothing to review.")
    empty = [section.code for section, text in sections if not (text or "").strip()]
    if empty:
        raise ValidationError(
            "A review round cannot freeze an empty section; these sections have no text yet: "
            "{codes}. Write them, or remove them from the outline, then open the round.",
            codes=", ".join(empty),
        )
    try:
        review_round = ReviewRound(
            report_id=report.id,
            name=name,
            stage=stage,
            status=RoundStatus.open,
            opens_on=opens_on,
            closes_on=closes_on,
        )
        session.add(review_round)
        session.flush()
        moved: list[str] = []
        for section, _text in sections:
            session.add(
                FrozenSection(
                    round_id=review_round.id,
                    section_id=section.id,
                    revision_id=section.head_revision_id,
                )
            )
            if section.status in (SectionStatus.ready_for_review, SectionStatus.drafting):
                section.status = SectionStatus.in_review
                section.updated_at = utcnow()
                session.add(section)
                moved.append(section.code)
        session.flush()
        parts.freeze(session, review_round, report)
        audit.record(
            session,
            actor,
            "open_review_round",
            "reviewround",
            review_round.id,
            report_id=report.id,
            name=name,
            stage=stage.value,
            opens_on=opens_on.isoformat(),
            closes_on=closes_on.isoformat(),
            sections_in_review=moved,
        )
        notifications.round_opened(session, round=review_round, actor_id=actor.id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    # Tag the mirror <slug>/<round>; a mirror problem is logged, never raised.
    history.record_milestone(session, report_id=report.id)
    return review_round


def close_round(*, session: Session, actor: Person, round: ReviewRound) -> ReviewRound:
    """Close a review round once every comment has a response and a disposition."""
    require(session, actor, Action.manage_review_round, round.report_id)
    if round.status == RoundStatus.closed:
        raise ValidationError("The review round '{round}' is already closed.", round=round.name)
    conditions = [ReviewComment.round_id == round.id, _open_clause()]
    open_count = session.exec(
        select(func.count()).select_from(ReviewComment).where(*conditions)
    ).one()
    if open_count:
        first = session.exec(
            select(ReviewComment.number)
            .where(*conditions)
            .order_by(col(ReviewComment.number))
            .limit(10)
        ).all()
        shown = ", ".join(str(n) for n in first) + (" …" if open_count > len(first) else "")
        message = Count(
            N_(
                "The review round '{round}' cannot close: {count} comment still needs a "
                "response and a disposition (number {numbers})."
            ),
            N_(
                "The review round '{round}' cannot close: {count} comments still need a "
                "response and a disposition (numbers {numbers})."
            ),
            open_count,
            round=round.name,
            numbers=shown,
        )
        raise ValidationError(message)
    try:
        in_review = session.exec(
            select(Section).where(
                Section.report_id == round.report_id,
                Section.status == SectionStatus.in_review,
            )
        ).all()
        for section in in_review:
            section.status = SectionStatus.revising
            section.updated_at = utcnow()
            session.add(section)
        round.status = RoundStatus.closed
        round.closed_at = utcnow()
        session.add(round)
        audit.record(
            session,
            actor,
            "close_review_round",
            "reviewround",
            round.id,
            report_id=round.report_id,
            name=round.name,
            sections_revising=[s.code for s in in_review],
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return round


# --------------------------------------------------------------------------- comments


def add_comment(
    *,
    session: Session,
    actor: Person,
    round: ReviewRound,
    from_line: int,
    to_line: int,
    comment: str,
    section_id: int | None = None,
    part: str = "",
    kind: CommentKind = CommentKind.substantive,
    suggested_change: str = "",
    affiliation: str | None = None,
) -> ReviewComment:
    """Add a reviewer's comment on lines of a section or a part as the round froze it.

    Give ``section_id`` for a section, or ``part`` for a part or an item of one
    (``KF``, ``F3``, ``R3``, ``CR2``…; see :mod:`workbench.parts`).
    """
    require(session, actor, Action.comment, round.report_id)
    if round.status != RoundStatus.open:
        raise ValidationError(
            "The review round '{round}' is closed; it no longer takes comments.", round=round.name
        )
    today = date.today()
    if not round.opens_on <= today <= round.closes_on:
        dates = {
            "round": round.name,
            "opens": round.opens_on.isoformat(),
            "closes": round.closes_on.isoformat(),
            "today": today.isoformat(),
        }
        if today < round.opens_on:
            raise ValidationError(
                "The review round '{round}' takes comments from {opens} to {closes}; "
                "it has not opened yet (today is {today}).",
                **dates,
            )
        raise ValidationError(
            "The review round '{round}' takes comments from {opens} to {closes}; "
            "it has ended (today is {today}).",
            **dates,
        )
    target = _target(session, round, section_id=section_id, part=part)
    code = target.code
    problem = target.line_problem(round.name, from_line, to_line)
    if problem:
        raise ValidationError(Sentence(problem))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError("The comment is empty: write what should change, and why.")
    try:
        kind = CommentKind(kind)
    except ValueError:
        if blank(kind):
            raise ValidationError("Choose the kind of comment.") from None
        raise ValidationError(
            "'{kind}' is not a kind of comment; use one of {kinds}.",
            kind=kind,
            kinds=Joined(Msg(k.label) for k in CommentKind),
        ) from None
    affiliation = (actor.affiliation if affiliation is None else affiliation).strip()
    if len(affiliation) > MAX_AFFILIATION_CHARS:
        raise ValidationError(
            "The affiliation has {count} characters; at most {limit} fit.",
            count=len(affiliation),
            limit=MAX_AFFILIATION_CHARS,
        )
    try:
        # Reviewers of one round take their turn for a number (see workbench.numbering).
        numbering.lock_scope(session, ReviewRound, round.id, what="Your comment")
        number = numbering.next_number(
            session, ReviewComment.number, ReviewComment.round_id == round.id
        )
        row = ReviewComment(
            round_id=round.id,
            number=number,
            section_id=target.section_id,
            part=target.stored_part,
            from_line=from_line,
            to_line=to_line,
            reviewer_id=actor.id,
            reviewer_name=actor.name,
            affiliation=affiliation,
            kind=kind,
            comment=comment,
            suggested_change=(suggested_change or "").strip(),
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "add_review_comment",
            "reviewcomment",
            row.id,
            report_id=round.report_id,
            round=round.name,
            number=number,
            section=code,
            lines=f"{from_line}-{to_line}",
        )
        notifications.review_comment_added(
            session, comment=row, round=round, target=target, actor_id=actor.id
        )
        session.commit()
    except IntegrityError:
        # Only a writer that skipped the round's lock can collide with a number.
        session.rollback()
        raise Conflict(
            "Your comment on {code} was not saved: another write to {round} "
            "took the number {number} at the same moment. Nothing was lost; submit it again.",
            code=code,
            round=round.name,
            number=number,
        ) from None
    except Exception:
        session.rollback()
        raise
    return row


def _target(session: Session, round: ReviewRound, *, section_id: int | None, part: str) -> Target:
    """Return what a new comment is on, or refuse with what can be commented on."""
    found = parts.targets(session, round.id)
    if section_id is not None and part:
        raise ValidationError("A comment is on a section or on a part of the report, not both.")
    if section_id is not None:
        target = next(
            (t for t in found.values() if t.kind == "section" and t.section_id == section_id),
            None,
        )
        if target is None:
            raise ValidationError(
                "That section was not frozen for {round}, so it cannot be commented on "
                "in this round.",
                round=round.name,
            )
        return target
    if blank(part):
        raise ValidationError("Choose the section or part of the report the comment is on.")
    target = parts.resolve(found, part)
    if target is None:
        raise ValidationError(
            "'{code}' is not a section or part of the report frozen for {round}; {known}.",
            code=part.strip(),
            round=round.name,
            known=_known_targets(found),
        )
    return target


def _known_targets(found: dict[str, Target]) -> Msg:
    """Return the codes a comment can name, said briefly for an error message."""
    sections_ = ", ".join(t.code for t in found.values() if t.kind == "section")
    parts_ = ", ".join(t.code for t in found.values() if t.kind == "part")
    if sections_ and parts_:
        return Msg(
            "its sections are {sections}; its parts are {parts} (or an item of one: a "
            "finding's or a recommendation's code, CR1, FS1, IN1…)",
            sections=sections_,
            parts=parts_,
        )
    if parts_:
        return Msg(
            "no section was frozen; its parts are {parts} (or an item of one: a finding's or a "
            "recommendation's code, CR1, FS1, IN1…)",
            parts=parts_,
        )
    if sections_:
        return Msg("its sections are {sections}", sections=sections_)
    return Msg("no section was frozen")


def _comment_context(session: Session, comment: ReviewComment) -> tuple[ReviewRound, Target]:
    review_round = session.get(ReviewRound, comment.round_id)
    if review_round is None:
        raise NotFound("Comment {number} no longer exists.", number=comment.number)
    found = parts.targets(session, review_round.id, section_lines=False)  # who answers, not lines
    if comment.section_id is not None:
        section = session.get(Section, comment.section_id)
        if section is None:
            raise NotFound("Comment {number} no longer exists.", number=comment.number)
        target = parts.resolve(found, section.code) or Target(
            code=section.code,
            kind="section",
            title=f"Section {section.code} {section.title}",
            line_count=0,
            section_id=section.id,
            answer_section_id=section.id,
        )
        return review_round, target
    target = parts.resolve(found, comment.part) or Target(
        code=comment.part, kind="part", title=comment.part, line_count=0, part=comment.part
    )
    return review_round, target


def _authors(session: Session, actor: Person, section_id: int | None) -> bool:
    """Return whether the person leads or co-authors this section (False for None)."""
    if section_id is None:
        return False
    section = session.get(Section, section_id)
    if section is None:
        return False
    if section.lead_author_id == actor.id:
        return True
    return session.get(SectionAuthor, {"section_id": section.id, "person_id": actor.id}) is not None


def may_answer(session: Session, actor: Person, comment: ReviewComment) -> bool:
    """Return whether this person may respond to this comment.

    CLAs answer every comment; lead authors and co-authors the comments on their
    sections and on the items of a part that belong to their sections (a finding,
    a register row, a recommendation); nobody else.
    """
    review_round, target = _comment_context(session, comment)
    if not can(session, actor, Action.respond_to_comment, review_round.report_id):
        return False
    if Role.cla in roles_of(session, actor, review_round.report_id):
        return True
    return _authors(session, actor, target.answer_section_id)


def respond(
    *,
    session: Session,
    actor: Person,
    comment: ReviewComment,
    response: str,
    disposition: Disposition,
) -> ReviewComment:
    """Record the authors' response and disposition for a comment."""
    review_round, target = _comment_context(session, comment)
    granting = require(session, actor, Action.respond_to_comment, review_round.report_id)
    if Role.cla not in granting and not _authors(session, actor, target.answer_section_id):
        if target.kind == "section":
            raise PermissionDenied(
                "{name} may respond only to comments on sections they lead or co-author; "
                "section {code} is not one of them. Ask its lead author or a CLA.",
                name=actor.name,
                code=target.code,
            )
        raise PermissionDenied(
            "{name} may not respond to comment {number} on {target}: "
            "the CLAs answer comments on the report's parts (and the authors of the section "
            "an item belongs to). Ask a CLA.",
            name=actor.name,
            number=comment.number,
            target=parts.item_title(target.title),
        )
    if review_round.status != RoundStatus.open:
        raise ValidationError(
            "The review round '{round}' is closed; its responses are final.",
            round=review_round.name,
        )
    try:
        disposition = Disposition(disposition)
    except ValueError:
        if blank(disposition):
            raise ValidationError(
                "Choose a disposition: {dispositions}.",
                dispositions=Joined(Msg(d.label) for d in Disposition),
            ) from None
        raise ValidationError(
            "'{disposition}' is not a disposition; use one of {dispositions}.",
            disposition=disposition,
            dispositions=Joined(Msg(d.label) for d in Disposition),
        ) from None
    response = (response or "").strip()
    if not response:
        if disposition in NEEDS_REASON:
            raise ValidationError(
                "Comment {number}: a comment marked '{disposition}' needs "
                "a response that gives the reason.",
                number=comment.number,
                disposition=Lowered(Msg(disposition.label)),
            )
        raise ValidationError(
            "Comment {number}: write a response before setting its disposition.",
            number=comment.number,
        )
    changed = response != comment.response or disposition != comment.disposition
    cleared = changed and comment.signed_off_at is not None
    try:
        comment.response = response
        comment.disposition = disposition
        comment.responded_by_id = actor.id
        comment.responded_at = utcnow()
        if cleared:
            comment.signed_off_by_id = None
            comment.signed_off_at = None
        session.add(comment)
        audit.record(
            session,
            actor,
            "respond_to_comment",
            "reviewcomment",
            comment.id,
            report_id=review_round.report_id,
            round=review_round.name,
            number=comment.number,
            disposition=disposition.value,
            sign_off_cleared=cleared,
        )
        notifications.comment_responded(
            session, comment=comment, round=review_round, target=target, actor_id=actor.id
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return comment


def _set_sign_off(
    session: Session, actor: Person, comments: Sequence[ReviewComment], *, sign: bool
) -> int:
    if not comments:
        return 0
    round_ids = {c.round_id for c in comments}
    report_of = dict(
        session.exec(
            select(ReviewRound.id, ReviewRound.report_id).where(col(ReviewRound.id).in_(round_ids))
        ).all()
    )
    for report_id in sorted(set(report_of.values())):
        require(session, actor, Action.sign_off_response, report_id)
    if sign:
        unanswered = sorted(
            c.number for c in comments if not c.response.strip() or c.disposition is None
        )
        if unanswered:
            message = Count(
                N_(
                    "Only answered comments can be signed off; comment {numbers} has no "
                    "response or disposition yet. Nothing was signed off."
                ),
                N_(
                    "Only answered comments can be signed off; comments {numbers} have no "
                    "response or disposition yet. Nothing was signed off."
                ),
                len(unanswered),
                numbers=_some_numbers(unanswered),
            )
            raise ValidationError(message)
        # Separation of duties: the sign-off says someone else found the response fair.
        own = sorted(c.number for c in comments if c.responded_by_id == actor.id)
        if own:
            message = Count(
                N_(
                    "{name} wrote the response to comment {numbers}; a Review Editor cannot "
                    "sign off a response they wrote. Ask another Review Editor of this "
                    "report. Nothing was signed off."
                ),
                N_(
                    "{name} wrote the response to comments {numbers}; a Review Editor cannot "
                    "sign off a response they wrote. Ask another Review Editor of this "
                    "report. Nothing was signed off."
                ),
                len(own),
                name=actor.name,
                numbers=_some_numbers(own),
            )
            raise PermissionDenied(message)
        changing = [c for c in comments if c.signed_off_at is None]
    else:
        changing = [c for c in comments if c.signed_off_at is not None]
    if not changing:
        return 0
    now = utcnow()
    try:
        for c in changing:
            c.signed_off_by_id = actor.id if sign else None
            c.signed_off_at = now if sign else None
            session.add(c)
        by_report: dict[int, list[int]] = defaultdict(list)
        for c in changing:
            by_report[report_of[c.round_id]].append(c.number)
        for report_id, numbers in by_report.items():
            audit.record(
                session,
                actor,
                "sign_off_responses" if sign else "withdraw_sign_off",
                "reviewcomment",
                None,
                report_id=report_id,
                numbers=sorted(numbers),
                ids=sorted(c.id for c in changing if report_of[c.round_id] == report_id),
            )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(changing)


def _some_numbers(numbers: Sequence[int]) -> str | Msg:
    """Return up to ten comment numbers, and how many more there are: '3, 4 and 12 more'."""
    shown = ", ".join(str(n) for n in numbers[:10])
    if len(numbers) > 10:
        return Msg("{numbers} and {count} more", numbers=shown, count=len(numbers) - 10)
    return shown


def sign_off(*, session: Session, actor: Person, comments: list[ReviewComment]) -> int:
    """Sign off the responses to these comments as fair; return how many were newly signed."""
    return _set_sign_off(session, actor, comments, sign=True)


def withdraw_sign_off(*, session: Session, actor: Person, comments: list[ReviewComment]) -> int:
    """Withdraw the Review Editor's sign-off from these comments; return how many changed."""
    return _set_sign_off(session, actor, comments, sign=False)


# --------------------------------------------------------------------------- the comment table


def require_comment_import(
    *, session: Session, actor: Person, report: Report, round: ReviewRound
) -> None:
    """Refuse unless this person may import comments into this round, and the round is open."""
    require(session, actor, Action.import_comments, report.id)
    if round.report_id != report.id:
        raise ValidationError(
            "The review round '{round}' belongs to another report.", round=round.name
        )
    if round.status != RoundStatus.open:
        raise ValidationError(
            "The review round '{round}' is closed; comments can be imported only into "
            "an open round.",
            round=round.name,
        )


def import_comments(
    *,
    session: Session,
    actor: Person,
    report: Report,
    round: ReviewRound,
    filename: str,
    content: bytes,
    progress: ProgressCallback | None = None,
) -> int:
    """Import a comment table into an open round, all or nothing; return how many were added.

    Rows keep their 'No' when given; rows without one get the next free numbers
    in file order. Responses and dispositions in the file are imported too.
    ``progress(done, total)`` is called as rows are written.
    """
    require_comment_import(session=session, actor=actor, report=report, round=round)
    with _collector_paused():
        rows = read_table(filename, content)
        name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        if not rows:
            raise ImportFailed(
                "{file} has a header but no comments; nothing was imported.", file=name
            )
        return import_comment_rows(
            session=session,
            actor=actor,
            report=report,
            round=round,
            source=name,
            rows=rows,
            progress=progress,
        )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a table is read and written.

    A 100,000-row table makes millions of small objects (cells, rows), none of
    them in a reference cycle; the collector would walk them all again and again
    as they are made (a third of the Python time of an import). Reference
    counting still frees everything; the collector resumes, as it was, after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_comment_rows(
    *,
    session: Session,
    actor: Person,
    report: Report,
    round: ReviewRound,
    source: str,
    rows: Sequence[CommentRow],
    progress: ProgressCallback | None = None,
    locate: Callable[[CommentRow], str | Msg] | None = None,
    check: Callable[[CommentRow, Target], str | Msg | None] | None = None,
    known_problems: Sequence[str | Msg] = (),
    skip: Callable[[CommentRow, Target], bool] | None = None,
) -> int:
    """Add comment rows read from ``source`` to an open round, all or nothing; return how many.

    This is the one path every import takes (comment tables, Word comments):
    permission, the open round, sections or parts and lines in the frozen text,
    numbering, the audit event and one transaction. A row's "Section" is a
    section's code or a part's or an item's (``KF``, ``F3``, ``R3``, ``CR2``…).
    ``locate(row)`` names a row in messages (default: "Row N of source");
    ``check(row, target)`` returns a further problem with a row whose lines
    exist (a phrase), or None; ``known_problems``
    the caller already found in the source are reported with the rows' own.
    ``skip(row, target)`` is asked once the round's numbering lock is held, in
    the import's transaction: a row it returns True for is left out (a Word
    comment imported before). Asked under the lock, two imports of one file at
    the same moment cannot both find a comment missing and both add it. When
    every row is left out nothing is written and 0 is returned.
    """
    require_comment_import(session=session, actor=actor, report=report, round=round)
    name = source

    def row_of(row: CommentRow) -> Msg:
        return Msg("Row {row} of {file}", row=row.row, file=name)

    where_of = locate or row_of
    if not rows and not known_problems:
        raise ImportFailed("{file} has no comments; nothing was imported.", file=name)

    codes = {
        code.lower()
        for code in session.exec(select(Section.code).where(Section.report_id == report.id))
    }
    found = parts.targets(session, round.id)
    # Most files leave 'No' empty: then no number of the round needs looking at.
    numbered = any(row.number is not None for row in rows)
    existing = _numbers_in(session, round.id) if numbered else set()

    problems: list[str | Msg] = list(known_problems)
    first_row_of: dict[int, int] = {}
    resolved: list[tuple[CommentRow, Target]] = []
    targets: dict[str, Target | None] = {}
    for row in rows:
        # Named only when the row has a problem: most rows of a large file have none.
        where: str | Msg | None = None
        target = targets.get(row.section, row)  # type: ignore[arg-type]
        if target is row:
            target = targets[row.section] = parts.resolve(found, row.section)
        if target is None:
            where = where_of(row)
            if row.section.strip().lower() in codes:
                problems.append(
                    Msg(
                        "{where}: the section '{code}' was added after {round} was "
                        "opened, so it has no frozen text to comment on",
                        where=where,
                        code=row.section,
                        round=round.name,
                    )
                )
            else:
                problems.append(
                    Msg(
                        "{where}: '{code}' is not a section or part of this report; {known}",
                        where=where,
                        code=row.section,
                        known=_known_targets(found),
                    )
                )
        else:
            problem = target.line_problem(round.name, row.from_line, row.to_line)
            if not problem and check is not None:
                problem = check(row, target)
            if problem:
                where = where_of(row)
                problems.append(Msg("{where}: {problem}", where=where, problem=problem))
            else:
                resolved.append((row, target))
        row_problems = _row_problems(row)
        if row_problems:
            where = where_of(row) if where is None else where
            problems.extend(Msg("{where}: {problem}", where=where, problem=p) for p in row_problems)
        if row.disposition and not row.response.strip():
            where = where_of(row) if where is None else where
            disposition = Disposition(row.disposition)
            problems.append(
                Msg(
                    N_(
                        "{where}: the disposition is '{disposition}' but the response is empty; "
                        "a disposition needs a response that gives the reason"
                    )
                    if disposition in NEEDS_REASON
                    else N_(
                        "{where}: the disposition is '{disposition}' but the response is empty; "
                        "a disposition needs a response"
                    ),
                    where=where,
                    disposition=Msg(disposition.label),
                )
            )
        if row.number is not None:
            if row.number in first_row_of:
                problems.append(
                    Msg(
                        "Rows {first} and {row} of {file} both have the number {number}",
                        first=first_row_of[row.number],
                        row=row.row,
                        file=name,
                        number=row.number,
                    )
                )
            else:
                first_row_of[row.number] = row.row
            if row.number in existing:
                problems.append(
                    Msg(
                        "{where}: the number {number} is already used in {round}; "
                        "leave 'No' empty to have the next free number given",
                        where=where_of(row) if where is None else where,
                        number=row.number,
                        round=round.name,
                    )
                )
    if problems:
        raise ImportFailed(nothing_imported(name, len(problems)), problems)

    # Reviewers may be commenting while the file goes in: take the round's turn for
    # numbers, then look again at the numbers used (see workbench.numbering).
    numbering.lock_scope(session, ReviewRound, round.id, what=f"The import of {name}")
    taken = _numbers_in(session, round.id) if numbered else set()
    if skip is not None:
        resolved = [(row, target) for row, target in resolved if not skip(row, target)]
        if not resolved:
            session.rollback()  # nothing to write: let the next writer of the round in
            return 0
    clashes: list[str | Msg] = [
        Msg(
            "{where}: the number {number} was given to a reviewer's comment in "
            "{round} while the file was being imported; leave 'No' empty to have the "
            "next free number given",
            where=where_of(row),
            number=row.number,
            round=round.name,
        )
        for row, _unused in resolved
        if row.number is not None and row.number in taken - existing
    ]
    if clashes:
        session.rollback()
        raise ImportFailed(nothing_imported(name, len(clashes)), clashes)
    highest = session.exec(
        select(func.max(col(ReviewComment.number))).where(ReviewComment.round_id == round.id)
    ).one()
    next_number = max(0, highest or 0, *first_row_of) + 1
    now = utcnow()
    # Column by column (see _bulk_insert): the rows' values in the order of _IMPORT_COLUMNS.
    numbers: list[int] = []
    for row, _target in resolved:
        if row.number is None:
            numbers.append(next_number)
            next_number += 1
        else:
            numbers.append(row.number)
    responses = [row.response.strip() for row, _target in resolved]
    count = len(resolved)
    columns: dict[str, list[Any]] = {
        "round_id": [round.id] * count,
        "number": numbers,
        "section_id": [target.section_id for _row, target in resolved],
        "part": [target.stored_part for _row, target in resolved],
        "from_line": [row.from_line for row, _target in resolved],
        "to_line": [row.to_line for row, _target in resolved],
        "reviewer_id": [None] * count,
        "reviewer_name": [row.reviewer.strip() for row, _target in resolved],
        "affiliation": [row.affiliation.strip() for row, _target in resolved],
        "kind": [CommentKind(row.kind) for row, _target in resolved],
        "comment": [row.comment.strip() for row, _target in resolved],
        "suggested_change": [row.suggested_change.strip() for row, _target in resolved],
        "response": responses,
        "disposition": [
            Disposition(row.disposition) if row.disposition else None for row, _target in resolved
        ],
        "responded_by_id": [None] * count,
        "responded_at": [now if response else None for response in responses],
        "signed_off_by_id": [None] * count,
        "signed_off_at": [None] * count,
        "created_at": [row.created_at or now for row, _target in resolved],
    }
    total = count
    try:
        _bulk_insert(session, columns, progress)
        audit.record(
            session,
            actor,
            "import_review_comments",
            "reviewround",
            round.id,
            report_id=report.id,
            round=round.name,
            file=name,
            comments=total,
        )
        notifications.review_comments_imported(
            session,
            round=round,
            targets=[target for _, target in resolved],
            source=name,
            at=now,
            actor_id=actor.id,
        )
        session.commit()
    except IntegrityError:
        # Only a writer that skipped the round's lock can collide with these numbers.
        session.rollback()
        raise ImportFailed(
            "{file} was not imported: someone added comments to {round} at the same "
            "time and their numbers collide. Import the file again.",
            file=name,
            round=round.name,
        ) from None
    except Exception:
        session.rollback()
        raise
    return total


def nothing_imported(name: str, count: int) -> Count:
    """Return the summary of a refused import: 'comments.csv has 3 problems; nothing …'."""
    return Count(
        N_("{file} has {count} problem; nothing was imported."),
        N_("{file} has {count} problems; nothing was imported."),
        count,
        file=name,
    )


def _numbers_in(session: Session, round_id: int) -> set[int]:
    """Return the comment numbers used in a round."""
    return set(
        session.exec(select(ReviewComment.number).where(ReviewComment.round_id == round_id)).all()
    )


def _row_problems(row: CommentRow) -> list[Msg]:
    """Return what is wrong with a row's reviewer, affiliation and comment, whatever its source."""
    problems = []
    reviewer = row.reviewer.strip()
    if not reviewer:
        problems.append(Msg("the reviewer is empty"))
    elif len(reviewer) > MAX_REVIEWER_CHARS:
        problems.append(
            Msg(
                "the reviewer's name has {count} characters; at most {limit} fit",
                count=len(reviewer),
                limit=MAX_REVIEWER_CHARS,
            )
        )
    if len(row.affiliation.strip()) > MAX_AFFILIATION_CHARS:
        problems.append(
            Msg(
                "the affiliation has {count} characters; at most {limit} fit",
                count=len(row.affiliation.strip()),
                limit=MAX_AFFILIATION_CHARS,
            )
        )
    if not row.comment.strip():
        problems.append(Msg("the comment is empty"))
    return problems


def _bulk_insert(
    session: Session, columns: dict[str, list[Any]], progress: ProgressCallback | None
) -> None:
    """Insert comment rows, given column by column, in the session's transaction.

    The rows go straight to the driver, past SQLAlchemy's per-row statement
    building (most of an import's time once the file is checked): on
    PostgreSQL with psycopg through COPY, elsewhere through the driver's
    ``executemany`` of plain tuples, the values converted by each column's own
    type (enums, dates) as SQLAlchemy would. Going past the ORM also goes past
    the text guard (:mod:`workbench.textguard`), so its check runs here first,
    over whole columns (:func:`_guard_texts`). ``progress(done, total)`` is
    called every :data:`_IMPORT_CHUNK` rows.
    """
    table = ReviewComment.__table__  # type: ignore[attr-defined]
    names = list(columns)
    total = len(columns[names[0]]) if names else 0
    if not total:
        return
    _guard_texts(session, table, columns)
    connection = session.connection()
    dialect = connection.dialect
    raw = connection.connection.dbapi_connection
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        import psycopg
        from psycopg import sql

        values = [
            [v.value if isinstance(v, enum.Enum) else v for v in column]
            if isinstance(table.c[name].type, SAEnum)
            else column
            for name, column in columns.items()
        ]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        try:
            # The search index (GIN) takes the new rows into its pending list and
            # merges them in one sorted pass at the end, in this transaction, instead of
            # one index insertion per word of every row; the pending list is empty again
            # when the import commits, so searches never scan it.
            with raw.cursor() as cursor:
                cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for done, row in enumerate(zip(*values, strict=True), start=1):
                    copy.write_row(row)
                    if progress is not None and (done % _IMPORT_CHUNK == 0 or done == total):
                        progress(done, total)
            with raw.cursor() as cursor:
                cursor.execute(f"SELECT gin_clean_pending_list('search_ix_{table.name}'::regclass)")
        except psycopg.IntegrityError as exc:
            raise IntegrityError(str(statement), None, exc) from exc
        return
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    if compiled.positiontup is None or list(compiled.positiontup) != names:
        # A driver taking named parameters: through SQLAlchemy, more slowly.
        for start in range(0, total, _IMPORT_CHUNK):
            chunk = range(start, min(start + _IMPORT_CHUNK, total))
            session.exec(insert(table), params=[{n: columns[n][i] for n in names} for i in chunk])
            if progress is not None:
                progress(chunk.stop, total)
        return
    statement = compiled.string
    values = []
    for name, column in columns.items():
        process = table.c[name].type._cached_bind_processor(dialect)
        if process is None:
            values.append(column)
            continue
        # Columns with a processor (enums, dates) hold few distinct values: each is
        # converted once.
        converted = {v: process(v) for v in set(column)}
        values.append(list(map(converted.__getitem__, column)))
    rows = list(zip(*values, strict=True))
    cursor = raw.cursor()

    def insert_rows() -> None:
        if dialect.name != "sqlite":
            for start in range(0, total, _IMPORT_CHUNK):
                try:
                    cursor.executemany(statement, rows[start : start + _IMPORT_CHUNK])
                except dialect.dbapi.IntegrityError as exc:
                    raise IntegrityError(statement, None, exc) from exc
                if progress is not None:
                    progress(min(start + _IMPORT_CHUNK, total), total)
            return
        # SQLite runs each row of an executemany as a statement of its own, and a
        # statement on a table with constraints and triggers (the search index, the
        # counts) opens a statement journal: most of an import's time. The rows go
        # into a temporary table without either, then into the comments in one
        # statement.
        listed = ", ".join(names)
        cursor.execute(f"DROP TABLE IF EXISTS temp.{_STAGING}")
        cursor.execute(f"CREATE TEMP TABLE {_STAGING} AS SELECT {listed} FROM {table.name} WHERE 0")
        staged = f"INSERT INTO temp.{_STAGING} ({listed}) VALUES ({', '.join('?' * len(names))})"
        for start in range(0, total, _IMPORT_CHUNK):
            cursor.executemany(staged, rows[start : start + _IMPORT_CHUNK])
            if progress is not None:
                progress(min(start + _IMPORT_CHUNK, total), total)
        moved = (
            f"INSERT INTO {table.name} ({listed})"
            f" SELECT {listed} FROM temp.{_STAGING} ORDER BY rowid"
        )
        try:
            cursor.execute(moved)
        except dialect.dbapi.IntegrityError as exc:
            raise IntegrityError(moved, None, exc) from exc
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{_STAGING}")

    try:
        if dialect.name == "sqlite":
            # The comment counts: one grouped upsert, not one per row (workbench.comment_counts).
            comment_counts.sqlite_bulk_insert(cursor, insert_rows)
        else:
            insert_rows()
    finally:
        cursor.close()


def _guard_texts(session: Session, table: Any, columns: dict[str, list[Any]]) -> None:
    """Refuse, as the text guard would, a text that cannot be stored; whole columns at once.

    A column passes at once when no text in it holds a control character and
    none is longer than the column holds; otherwise its doubtful rows go to
    :func:`workbench.textguard.check_rows`, which words the refusal.
    """
    doubtful: set[int] = set()
    for name, column in columns.items():
        kind = table.c[name].type
        if not isinstance(kind, String) or isinstance(kind, SAEnum):
            continue
        limit = column_limit(table.name, name, getattr(kind, "length", None))
        texts = [v for v in column if isinstance(v, str)]
        if _CONTROL.search("\n".join(texts)) or max(map(len, texts), default=0) > limit:
            doubtful.update(
                i
                for i, v in enumerate(column)
                if isinstance(v, str) and text_problem(v, max_chars=limit)
            )
    if doubtful:
        names = list(columns)
        textguard.check_rows(
            table,
            [{n: columns[n][i] for n in names} for i in sorted(doubtful)],
            session=session,
        )


def export_comments(
    session: Session,
    *,
    actor: Person,
    report: Report,
    round: ReviewRound | None = None,
    fmt: str = "csv",
) -> bytes:
    """Return one review round's comments as a comment table (``fmt`` is 'csv' or 'xlsx').

    Without ``round`` the most recent round is exported. A comment table holds
    one round: its 'No' column is a plain number unique only within a round, so
    mixing rounds in one file would make numbers ambiguous and the file could
    not be imported again. Export each round separately instead.
    """
    require(session, actor, Action.read_report, report.id)
    if fmt not in ("csv", "xlsx"):
        raise ValidationError("Comments can be exported as csv or xlsx, not '{fmt}'.", fmt=fmt)
    if round is None:
        round = _latest_round(session, report.id)
        if round is None:
            raise NotFound("This report has no review round yet, so there are no comments.")
    elif round.report_id != report.id:
        raise ValidationError(
            "The review round '{round}' belongs to another report.", round=round.name
        )
    rows = comment_rows(session, round_id=round.id)
    return write_xlsx(rows) if fmt == "xlsx" else write_csv(rows)


def comment_rows(session: Session, *, round_id: int) -> Iterator[CommentRow]:
    """Yield one review round's comments as comment-table rows, by number (no permission check)."""
    result = session.exec(
        select(
            ReviewComment.number,
            func.coalesce(Section.code, ReviewComment.part),
            ReviewComment.from_line,
            ReviewComment.to_line,
            ReviewComment.reviewer_name,
            ReviewComment.affiliation,
            ReviewComment.kind,
            ReviewComment.comment,
            ReviewComment.suggested_change,
            ReviewComment.response,
            ReviewComment.disposition,
        )
        .join(Section, col(Section.id) == col(ReviewComment.section_id), isouter=True)
        .where(ReviewComment.round_id == round_id)
        .order_by(col(ReviewComment.number))
    )
    return (
        CommentRow(
            number=number,
            section=code,
            from_line=from_line,
            to_line=to_line,
            reviewer=reviewer,
            affiliation=affiliation,
            kind=CommentKind(kind).value,
            comment=comment,
            suggested_change=suggested,
            response=response,
            disposition=Disposition(disposition).value if disposition else "",
        )
        for (
            number,
            code,
            from_line,
            to_line,
            reviewer,
            affiliation,
            kind,
            comment,
            suggested,
            response,
            disposition,
        ) in result
    )


# --------------------------------------------------------------------------- draft stages


@dataclass(frozen=True)
class DraftStage:
    """A section's text as one review round froze it."""

    round_name: str
    round_id: int
    revision_id: int
    revision_number: int


def draft_stages(session: Session, *, section_id: int) -> list[DraftStage]:
    """Return the texts of a section that review rounds froze, oldest round first."""
    rows = session.exec(
        select(ReviewRound.name, ReviewRound.id, SectionRevision.id, SectionRevision.number)
        .join(FrozenSection, col(FrozenSection.round_id) == col(ReviewRound.id))
        .join(SectionRevision, col(SectionRevision.id) == col(FrozenSection.revision_id))
        .where(FrozenSection.section_id == section_id)
        .order_by(col(ReviewRound.id))
    ).all()
    return [DraftStage(*row) for row in rows]


@dataclass(frozen=True)
class StageChange:
    """What changed in a section between the previous review round and the text now reviewed.

    ``before`` and ``after`` say which texts these are; their labels are read in the
    current language.
    """

    before: Msg
    before_text: str
    after: Msg
    after_text: str

    @property
    def before_label(self) -> str:
        """Return which text the earlier one is: 'as frozen for FOD (revision 3)'."""
        return self.before.render()

    @property
    def after_label(self) -> str:
        """Return which text the later one is: 'the current text (revision 5)'."""
        return self.after.render()


def changes_since_last_round(session: Session, *, section_id: int) -> StageChange | None:
    """Return the previous round's text of a section beside the one reviewers read now.

    The text read now is the one the open round froze, or else the current text; the
    previous text is the one the round before froze. None when there is nothing earlier.
    """
    stages = draft_stages(session, section_id=section_id)
    section = session.get(Section, section_id)
    if section is None:
        raise NotFound("No such section.")
    open_ids = set(
        session.exec(
            select(ReviewRound.id).where(
                ReviewRound.report_id == section.report_id,
                ReviewRound.status == RoundStatus.open,
            )
        ).all()
    )
    if stages and stages[-1].round_id in open_ids:
        now, earlier = stages[-1], stages[:-1]
        after = Msg(
            "as frozen for {round} (revision {number})",
            round=now.round_name,
            number=now.revision_number,
        )
        after_text = session.get(SectionRevision, now.revision_id).text
    else:
        earlier = stages
        head = (
            session.get(SectionRevision, section.head_revision_id)
            if section.head_revision_id
            else None
        )
        after = (
            Msg("the current text (revision {number})", number=head.number)
            if head
            else Msg("the current text")
        )
        after_text = head.text if head else ""
    if not earlier:
        return None
    before = earlier[-1]
    return StageChange(
        before=Msg(
            "as frozen for {round} (revision {number})",
            round=before.round_name,
            number=before.revision_number,
        ),
        before_text=session.get(SectionRevision, before.revision_id).text,
        after=after,
        after_text=after_text,
    )
