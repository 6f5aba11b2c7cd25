"""Sections and their revisions."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, col, select

from workbench.models import Section, SectionRevision


def lines_of(text: str) -> list[str]:
    """Return the numbered lines of a text as reviewers cite them (line 1 is index 0)."""
    return text.splitlines()


def head_text(session: Session, section: Section) -> str:
    """Return the text of a section's head revision ('' when it has none)."""
    if section.head_revision_id is None:
        return ""
    rev = session.get(SectionRevision, section.head_revision_id)
    return rev.text if rev else ""


def report_text_hash(session: Session, report_id: int) -> str:
    """Return the SHA-256 of a report's current text: every section's code, title and head text."""
    digest = hashlib.sha256()
    rows = session.exec(
        select(Section.code, Section.title, SectionRevision.text)
        .join(SectionRevision, col(SectionRevision.id) == col(Section.head_revision_id), isouter=True)
        .where(Section.report_id == report_id)
        .order_by(col(Section.code))
    ).all()
    for code, title, text in rows:
        for part in (code, title, text or ""):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
    return digest.hexdigest()
