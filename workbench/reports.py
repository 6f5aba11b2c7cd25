"""Reports: creation by the Secretariat, stages and their gates, progress figures."""

from __future__ import annotations

from sqlmodel import Session, select

from workbench.errors import NotFound
from workbench.models import Report


def get_report(session: Session, slug: str) -> Report:
    """Return the report with this slug, or raise NotFound."""
    report = session.exec(select(Report).where(Report.slug == slug)).first()
    if report is None:
        raise NotFound(f"No report with the slug '{slug}'.")
    return report
