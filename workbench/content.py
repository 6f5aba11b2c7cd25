"""A report's content as one canonical document: what the Council approves and the export prints.

- The **content** of a report is everything its exported document prints as the
  Panel's text: the title and edition; every section (code, part, title, text);
  the key findings (statement, evidence, agreement, confidence, likelihood, the
  traceable account, the section and the sources they rest on); the consensus
  items with their classification, the reason a false solution is false, and
  every actor's position (name, kind, stance, rationale, source); the
  recommendations (text, addressees, scale, horizon, context conditions,
  normative assumptions, the findings and initiatives they rest on); the
  initiatives of the annex with their review; and the references cited in the
  sections (their CSL-JSON records).
- Its **canonical serialisation** is one JSON document with sorted keys and a
  fixed order of records (sections and codes in natural code order, consensus
  items in the order they were added, initiatives by name), so the same content
  gives the same bytes on SQLite and PostgreSQL whatever their collation.
- The **content hash** is the SHA-256 of those bytes. A Council decision records
  it when it opens; the export prints its first 12 hex digits as the version id.
  Both call :func:`content_hash`, so "the version the Council approved" and "the
  version on the cover" are the same thing by construction.

Not part of the content: the stage, dates and team on the cover (they change as
the report moves on without changing its text), the review comments and their
summary annex, and translations (they are written against an approved text).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlmodel import Session

from workbench import (
    consensus,
    content_version,
    findings,
    initiatives,
    recommendations,
    rendering,
    sections,
    sources,
)
from workbench.models import ActorType, Report

FORMAT = "synthesis-report-content/1"


def _value(enum_or_none: Any) -> str | None:
    return None if enum_or_none is None else str(getattr(enum_or_none, "value", enum_or_none))


def canonical(
    session: Session,
    report: Report,
    *,
    texts: Mapping[int, str] | None = None,
    parts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the report's content as a plain document (see the module docstring).

    ``texts`` replaces sections' current texts (section id → text), and ``parts``
    the findings, registers, recommendations and initiatives (part code → its
    frozen Markdown, see :mod:`workbench.parts`), for an export that prints what
    a review round froze: its version id is then that of the text it prints.
    """
    ordered = sections.list_sections(session, report.id)
    heads = sections.head_texts(session, report.id)
    if texts:
        heads = {**heads, **texts}
    code_of = {s.id: s.code for s in ordered}
    section_docs = [
        {
            "code": s.code,
            "part": _value(s.question),
            "title": s.title,
            "text": heads.get(s.id, ""),
        }
        for s in sorted(ordered, key=lambda s: sections.code_order(s.code))
    ]

    found = findings.list_findings(session, report_id=report.id)
    finding_sources = findings.sources_by_finding(session, [f.id for f in found])
    finding_docs = [
        {
            "code": f.code,
            "statement": f.statement,
            "evidence": _value(f.evidence),
            "agreement": _value(f.agreement),
            "confidence": _value(f.confidence),
            "likelihood": _value(f.likelihood),
            "traceable_account": f.traceable_account,
            "section": code_of.get(f.section_id) if f.section_id else None,
            "sources": sorted(s.key for s in finding_sources.get(f.id, [])),
        }
        for f in sorted(found, key=lambda f: sections.code_order(f.code))
    ]

    actors, items, cells = consensus.positions_matrix(session, report_id=report.id)
    position_keys = sources.keys_by_id(
        session, {p.source_id for p in cells.values() if p.source_id is not None}
    )
    item_docs = [
        {
            "statement": item.statement,
            "classification": _value(item.classification),
            "why_false": item.why_false,
            "note": item.note,
            "section": code_of.get(item.section_id) if item.section_id else None,
            "positions": [
                {
                    "actor": a.name,
                    "actor_type": _value(a.actor_type),
                    "stance": _value(cells[(item.id, a.id)].stance),
                    "rationale": cells[(item.id, a.id)].rationale,
                    "source": position_keys.get(cells[(item.id, a.id)].source_id),
                }
                for a in actors
                if (item.id, a.id) in cells
            ],
        }
        for item in items
    ]

    recs = recommendations.list_recommendations(session, report_id=report.id)
    links = recommendations.links_by_recommendation(session, [r.id for r in recs])
    rec_docs = []
    for rec in sorted(recs, key=lambda r: sections.code_order(r.code)):
        linked = links.get(rec.id)
        rec_docs.append(
            {
                "code": rec.code,
                "text": rec.text,
                "addressees": [ActorType(a).value for a in rec.addressees],
                "scale": _value(rec.scale),
                "horizon": _value(rec.horizon),
                "context_conditions": rec.context_conditions,
                "normative_assumptions": rec.normative_assumptions,
                "section": code_of.get(rec.section_id) if rec.section_id else None,
                "findings": sorted(
                    (f.code for f in linked.findings) if linked else (), key=sections.code_order
                ),
                "initiatives": sorted(i.name for i in linked.initiatives) if linked else [],
            }
        )

    initiative_docs = [
        {
            "name": i.name,
            "location": i.location,
            "region": i.region,
            "who": i.who,
            "what": i.what,
            "outcomes": i.outcomes,
            "evidence": i.evidence,
            "replicability": i.replicability,
            "review_status": _value(i.review_status),
            "review_note": i.review_note,
        }
        for i in initiatives.list_initiatives(session, report_id=report.id)
    ]

    cited = {key for doc in section_docs for key in sections.extract_citation_keys(doc["text"])}
    # Sorted by key in Python too, so SQLite and PostgreSQL agree whatever their collation.
    references = sorted(sources.csl_records(session, report.id, keys=cited), key=lambda r: r["id"])

    document: dict[str, Any] = {
        "format": FORMAT,
        "report": {"slug": report.slug, "title": report.title, "edition": report.edition},
        "sections": section_docs,
        "findings": finding_docs,
        "consensus": item_docs,
        "recommendations": rec_docs,
        "initiatives": initiative_docs,
        "references": references,
    }
    if parts is not None:
        for key in ("findings", "consensus", "recommendations", "initiatives"):
            del document[key]
        document["frozen_parts"] = dict(parts)
    return document


def serialise(document: Mapping[str, Any]) -> bytes:
    """Return the canonical bytes of a content document (sorted keys, no spacing, UTF-8)."""
    return json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode("utf-8")


def content_hash(
    session: Session,
    report: Report | int,
    *,
    texts: Mapping[int, str] | None = None,
    parts: Mapping[str, str] | None = None,
) -> str:
    """Return the SHA-256 (hex) of the report's canonical content (see :func:`canonical`)."""
    if not isinstance(report, Report):
        found = session.get(Report, report)
        if found is None:
            raise ValueError(f"No report with id {report}.")
        report = found
    return hashlib.sha256(
        serialise(canonical(session, report, texts=texts, parts=parts))
    ).hexdigest()


@contextmanager
def fresh_view(session: Session) -> Iterator[Session]:
    """Yield a session on ``session``'s connection and transaction with nothing loaded yet.

    What it reads comes from the database as this transaction sees it (its own
    flushed changes included), not from objects ``session`` loaded before: with
    ``expire_on_commit=False`` those keep their values after another server's
    commit. For results kept across sessions, which must match the token read
    beside them. It never commits; closing it leaves ``session``'s transaction alone.
    """
    fresh = Session(bind=session.connection(), expire_on_commit=False, autoflush=False)
    try:
        yield fresh
    finally:
        fresh.close()


#: Hashes kept across sessions and page runs: (database, report, variant) → (tokens, hash).
_kept: rendering.RenderCache[tuple[Any, str]] = rendering.RenderCache(64)


def current_hash(session: Session, report_id: int) -> str:
    """Return :func:`content_hash` of the report's content now, hashed once per change.

    For the pages and checks that ask on every run whether each open decision is
    still on the current text: hashing reads and serialises the whole report. The
    hash is kept (in this process, for every session) with the report's content
    token (:mod:`workbench.content_version`), which the database changes in the
    same transaction as any change to what the hash reads, whoever makes it; while
    the token this session sees is the same, so is the content. The session's own
    uncommitted changes are flushed first, and draw a token of their own. On
    PostgreSQL each statement may see newer commits: a hash is kept only when the
    token read after hashing is still the one read before. The hash is made from
    rows read afresh (:func:`fresh_view`), never from objects this session loaded
    earlier and another server has changed since. Opening a decision records the
    hash afresh with :func:`content_hash`, never from here.
    """

    def fresh_hash() -> str:
        with fresh_view(session) as fresh:
            return content_hash(fresh, report_id)

    return kept_hash(session, report_id, "current", fresh_hash)


def kept_hash(
    session: Session,
    report_id: int,
    variant: Hashable,
    make: Callable[[], str],
    *,
    document_too: bool = False,
) -> str:
    """Return ``make()``, a hash of the report, kept while the report's tokens stay the same.

    ``variant`` names which hash (the current content's, a review round's frozen
    copy's); ``document_too`` keeps it only while the document token stays as well
    (a review copy's hash reads what the round froze, which that token watches).
    See :func:`current_hash` for why a kept hash is the one ``make()`` would give.
    """

    def stamp() -> Any:
        found = content_version.tokens(session, report_id)
        return found if found is None or document_too else found[0]

    session.flush()
    before = stamp()
    key = (content_version.where(session), report_id, variant)
    if before is not None:
        kept = _kept.get(key)
        if kept is not None and kept[0] == before:
            return kept[1]
    value = make()
    if before is not None and stamp() == before:
        _kept.put(key, (before, value))
    return value
