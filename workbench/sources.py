"""Sources: a report's evidence library, and bibliography import and export.

Terms used here:

- A **source** is one piece of evidence in a report's library: a citation key
  (unique within the report, citable as ``[@key]``), its CSL-JSON record
  (``csl``, whose ``id`` is always the key), a **kind** (peer-reviewed, book,
  report, dataset, policy document, testimony, initiative case), a language,
  a region, and a GRADE-style **certainty** with a note. ``title``,
  ``authors``, ``year`` and ``doi`` are copies of the record kept for search;
  ``doi`` is normalised (lower case, no ``https://doi.org/``).
- A **short label** is the form a legal or corporate source takes in in-text
  citations instead of its author, "EU" for a directive cited "(EU 2024)"
  (see :mod:`workbench.citation_forms`): at most 60 characters, without the
  year, which citations add. The record keeps it as ``citation-label``, so it
  travels with the record into the export, exports and imports (BibTeX's
  ``shorthand``), and the report's content.
- A **duplicate** is an entry of an imported file whose key is already in the
  library, or whose DOI is the DOI of a source already there under another key
  (or of an earlier entry of the same file).
- An **import** reads a whole file (BibTeX, RIS or CSL-JSON, see
  :mod:`workbench.bibliography`) and adds every entry or none.

Sources are cited from section texts; :mod:`workbench.sections` derives the
Citation rows. A cited source cannot be deleted or renamed until the texts stop
citing it, so no text ever points at a key that has gone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, or_
from sqlmodel import Session, col, select

from workbench import audit, citation_forms, i18n, search
from workbench.bibliography import (
    EXPORT_FORMATS,
    ParsedEntry,
    citation_key_ok,
    key_problem,
    language_code,
    normalise_space,
    read_file,
    record_summary,
    write_records,
)
from workbench.errors import ImportFailed, NotFound, ValidationError
from workbench.i18n import N_, Msg
from workbench.models import (
    Certainty,
    Citation,
    Finding,
    FindingSource,
    Person,
    Position,
    Report,
    Section,
    Source,
    SourceCreate,
    SourceKind,
    utcnow,
)
from workbench.permissions import Action, require
from workbench.words import blank, listing

#: How a CSL type maps to the kind of evidence a source is; any other type is a report.
KIND_BY_CSL_TYPE: dict[str, SourceKind] = {
    "article-journal": SourceKind.peer_reviewed,
    "book": SourceKind.book,
    "chapter": SourceKind.book,
    "report": SourceKind.report,
    "dataset": SourceKind.dataset,
    "legislation": SourceKind.policy_document,
    "bill": SourceKind.policy_document,
    "regulation": SourceKind.policy_document,
    "interview": SourceKind.testimony,
    "personal_communication": SourceKind.testimony,
}
#: The CSL type a source added by hand gets when its record names none.
CSL_TYPE_BY_KIND: dict[SourceKind, str] = {
    SourceKind.peer_reviewed: "article-journal",
    SourceKind.book: "book",
    SourceKind.report: "report",
    SourceKind.dataset: "dataset",
    SourceKind.policy_document: "legislation",
    SourceKind.testimony: "interview",
    SourceKind.initiative_case: "report",
}
EDITABLE_FIELDS = frozenset(
    {"key", "kind", "language", "region", "certainty", "certainty_note", "csl", "short_label"}
)
ON_DUPLICATE = ("error", "skip")
MAX_DOI_LENGTH = 300
MAX_SHORT_LABEL = 60  # the column's length


@dataclass
class ImportResult:
    """What an import did: how many sources it added, the keys it skipped, and warnings."""

    added: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[Msg] = field(default_factory=list)


def guess_kind(csl_type: str | None) -> SourceKind:
    """Return the kind of evidence a CSL type most likely is (a report when unsure)."""
    return KIND_BY_CSL_TYPE.get(csl_type or "", SourceKind.report)


# --------------------------------------------------------------------------- checks


#: What each checked choice is called in a message ("Choose a kind of source: …").
_CHOICE_NAMES: dict[type, str] = {
    SourceKind: N_("kind of source"),
    Certainty: N_("certainty rating"),
}


def _enum(enum_cls: type, value: Any) -> Any:
    if value is None or isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(str(value))
    except ValueError:
        choices = ", ".join(m.value for m in enum_cls)
        what = Msg(_CHOICE_NAMES[enum_cls])
        if blank(value):
            raise ValidationError(
                "Choose a {what}: one of {choices}.", what=what, choices=choices
            ) from None
        raise ValidationError(
            "'{value}' is not a {what}: choose one of {choices}.",
            value=value,
            what=what,
            choices=choices,
        ) from None


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not citation_key_ok(key):
        raise ValidationError("This source {problem}.", problem=key_problem(key))
    return key


def _check_language(language: str) -> str:
    language = normalise_space(language or "")
    if not language:
        raise ValidationError("Give the source's language, e.g. 'en', 'fr' or 'zh'.")
    if len(language) > 20:
        raise ValidationError(
            "'{value}' is not a language code: use a short tag such as 'en' or 'pt-BR'.",
            value=language[:40],
        )
    return language


def _check_region(region: str) -> str:
    region = normalise_space(region or "")
    if len(region) > 80:
        raise ValidationError("A region may be at most 80 characters long.")
    return region


def _check_record(csl: Any, key: str, kind: SourceKind) -> dict[str, Any]:
    if not isinstance(csl, dict):
        raise ValidationError("A source's record must be a CSL-JSON object.")
    record = dict(csl)
    if not normalise_space(str(record.get("title") or "")):
        raise ValidationError(
            "The source '{key}' needs a title (the 'title' of its record).", key=key
        )
    record["id"] = key
    if not record.get("type"):
        record["type"] = CSL_TYPE_BY_KIND[kind]
    doi = record_summary(record)[3]
    if doi and len(doi) > MAX_DOI_LENGTH:
        raise ValidationError(
            "The DOI of '{key}' is longer than {limit} characters.", key=key, limit=MAX_DOI_LENGTH
        )
    return record


def _label_problem(label: str) -> Msg | None:
    """Return why a short label cannot be stored, or None when it can."""
    if len(label) > MAX_SHORT_LABEL:
        return Msg(
            "the short label '{label}…' is {length} characters long; at most {limit} fit",
            label=label[:MAX_SHORT_LABEL],
            length=len(label),
            limit=MAX_SHORT_LABEL,
        )
    if any(ord(c) < 32 for c in label):
        return Msg("the short label '{label}' contains a control character", label=label)
    return None


def _without_year(label: str, year: int | None) -> str:
    """Return a short label without the source's year at its end ("EU 2024" → "EU")."""
    if year is None:
        return label
    return re.sub(rf"[\s,]*\(?{year}[a-z]?\)?$", "", label).strip()


def _check_short_label(label: Any, year: int | None) -> str:
    text = normalise_space(str(label or ""))
    if len(text) > MAX_SHORT_LABEL:
        raise ValidationError(
            "The short label '{label}…' is {length} characters long; at most {limit} fit.",
            label=text[:MAX_SHORT_LABEL],
            length=len(text),
            limit=MAX_SHORT_LABEL,
        )
    if any(ord(c) < 32 for c in text):
        raise ValidationError("The short label '{label}' contains a control character.", label=text)
    bare = _without_year(text, year)
    if bare != text:
        if not bare:
            raise ValidationError(
                "A short label names the author, as 'EU' or 'ILO': citations add the year."
            )
        raise ValidationError(
            "Give the short label without the year: citations add it, so '{bare}' is "
            "cited as '{bare} {year}'.",
            bare=bare,
            year=year,
        )
    return text


def _labelled(record: dict[str, Any], label: str) -> dict[str, Any]:
    """Return the record with its short label as ``citation-label`` (or none when "")."""
    record = {k: v for k, v in record.items() if k != "citation-label"}
    if label:
        record["citation-label"] = label
    return record


def _key_taken(session: Session, report_id: int, key: str, *, other_than: int | None) -> bool:
    query = select(Source.id).where(Source.report_id == report_id, Source.key == key)
    if other_than is not None:
        query = query.where(Source.id != other_than)
    return session.exec(query).first() is not None


def _doi_owner(
    session: Session, report_id: int, doi: str | None, *, other_than: int | None
) -> str | None:
    if not doi:
        return None
    query = select(Source.key).where(Source.report_id == report_id, Source.doi == doi)
    if other_than is not None:
        query = query.where(Source.id != other_than)
    return session.exec(query).first()


def _citing_sections(session: Session, source_id: int) -> list[str]:
    return list(
        session.exec(
            select(Section.code)
            .join(Citation, col(Citation.section_id) == col(Section.id))
            .where(Citation.source_id == source_id)
            .order_by(col(Section.code))
        ).all()
    )


class _Listing(Msg):
    """Codes listed as prose in the language the message is shown in ("2.1, 2.2 and 3.1")."""

    def __init__(self, items: Iterable[str]) -> None:
        super().__init__("{items}")
        self.params = {"items": list(items)}

    def render(self, code: str | None = None) -> str:
        """Return the items joined the way the language does."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        items = [str(item) for item in self.params["items"]]
        if i18n.current_language() == i18n.SOURCE:
            return listing(items)
        return i18n.format_list(items)


def _listing(items: list[str]) -> _Listing:
    return _Listing(items)


def _refresh_citations(session: Session, report_id: int) -> None:
    """Let texts that already cite a new key count as citing it (sections derives citations)."""
    from workbench.sections import refresh_citations  # sections imports this module

    refresh_citations(session=session, report_id=report_id)


# --------------------------------------------------------------------------- one source


def add_source(*, session: Session, actor: Person, report: Report, data: SourceCreate) -> Source:
    """Add one source to a report's library."""
    require(session, actor, Action.edit_sources, report.id)
    key = _check_key(data.key)
    kind = _enum(SourceKind, data.kind)
    certainty = _enum(Certainty, data.certainty)
    record = _check_record(data.csl, key, kind)
    title, authors, year, doi = record_summary(record)
    label = _check_short_label(data.short_label or citation_forms.short_label(record), year)
    record = _labelled(record, label)
    if _key_taken(session, report.id, key, other_than=None):
        raise ValidationError(
            "The key '{key}' is already in this report's library: choose another key.", key=key
        )
    owner = _doi_owner(session, report.id, doi, other_than=None)
    if owner:
        raise ValidationError(
            "The DOI {doi} is already in the library as '{owner}'.", doi=doi, owner=owner
        )
    source = Source(
        report_id=report.id,
        key=key,
        kind=kind,
        language=_check_language(data.language),
        region=_check_region(data.region),
        certainty=certainty,
        certainty_note=(data.certainty_note or "").strip(),
        short_label=label,
        csl=record,
        title=title,
        authors=authors,
        year=year,
        doi=doi,
    )
    try:
        session.add(source)
        session.flush()
        audit.record(
            session, actor, "add_source", "source", source.id, report_id=report.id, key=key
        )
        _refresh_citations(session, report.id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return source


def update_source(*, session: Session, actor: Person, source: Source, **changes: Any) -> Source:
    """Change a source's key, kind, language, region, certainty, note, short label or record.

    A new record that carries a ``citation-label`` brings its short label with
    it; one without keeps the source's label (clear it with ``short_label=""``).
    """
    require(session, actor, Action.edit_sources, source.report_id)
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            "A source's {fields} cannot be changed here; only its {editable}.",
            fields=", ".join(unknown),
            editable=", ".join(sorted(EDITABLE_FIELDS)),
        )
    key = _check_key(changes.get("key", source.key))
    kind = _enum(SourceKind, changes.get("kind", source.kind))
    certainty = _enum(Certainty, changes.get("certainty", source.certainty))
    language = _check_language(changes.get("language", source.language))
    region = _check_region(changes.get("region", source.region))
    note = str(changes.get("certainty_note", source.certainty_note) or "").strip()
    record = _check_record(changes.get("csl", source.csl), key, kind)
    title, authors, year, doi = record_summary(record)
    if "short_label" in changes:
        wanted = changes["short_label"]
    else:
        wanted = citation_forms.short_label(record) if "csl" in changes else ""
        wanted = wanted or source.short_label
    label = _check_short_label(wanted, year)
    record = _labelled(record, label)
    renamed = key != source.key
    if renamed:
        if _key_taken(session, source.report_id, key, other_than=source.id):
            raise ValidationError(
                "The key '{key}' is already in this report's library: choose another key.",
                key=key,
            )
        citing = _citing_sections(session, source.id)
        if citing:
            if len(citing) == 1:
                raise ValidationError(
                    "'{old}' is cited in section {sections}: change [@{old}] to [@{new}] in its "
                    "text first, then rename the source.",
                    old=source.key,
                    new=key,
                    sections=_listing(citing),
                )
            raise ValidationError(
                "'{old}' is cited in sections {sections}: change [@{old}] to [@{new}] in "
                "their text first, then rename the source.",
                old=source.key,
                new=key,
                sections=_listing(citing),
            )
    owner = _doi_owner(session, source.report_id, doi, other_than=source.id)
    if owner:
        raise ValidationError(
            "The DOI {doi} is already in the library as '{owner}'.", doi=doi, owner=owner
        )
    old_key = source.key
    source.key, source.kind, source.certainty = key, kind, certainty
    source.language, source.region, source.certainty_note = language, region, note
    source.short_label, source.csl = label, record
    source.title, source.authors, source.year, source.doi = title, authors, year, doi
    source.updated_at = utcnow()
    try:
        session.add(source)
        detail: dict[str, Any] = {"key": key, "fields": sorted(changes)}
        if renamed:
            detail["old_key"] = old_key
        audit.record(
            session,
            actor,
            "update_source",
            "source",
            source.id,
            report_id=source.report_id,
            **detail,
        )
        if renamed:
            _refresh_citations(session, source.report_id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return source


def delete_source(*, session: Session, actor: Person, source: Source) -> None:
    """Delete a source that no section, finding or actor position relies on."""
    require(session, actor, Action.edit_sources, source.report_id)
    citing = _citing_sections(session, source.id)
    if citing:
        if len(citing) == 1:
            raise ValidationError(
                "'{key}' is cited in section {sections}: remove [@{key}] from its text before "
                "deleting the source.",
                key=source.key,
                sections=_listing(citing),
            )
        raise ValidationError(
            "'{key}' is cited in sections {sections}: remove [@{key}] from their text "
            "before deleting the source.",
            key=source.key,
            sections=_listing(citing),
        )
    findings = list(
        session.exec(
            select(Finding.code)
            .join(FindingSource, col(FindingSource.finding_id) == col(Finding.id))
            .where(FindingSource.source_id == source.id)
            .order_by(col(Finding.code))
        ).all()
    )
    if findings:
        if len(findings) == 1:
            raise ValidationError(
                "'{key}' supports finding {findings}: unlink it from the finding before "
                "deleting the source.",
                key=source.key,
                findings=_listing(findings),
            )
        raise ValidationError(
            "'{key}' supports findings {findings}: unlink it from them before deleting the source.",
            key=source.key,
            findings=_listing(findings),
        )
    positions = session.exec(
        select(func.count()).select_from(Position).where(Position.source_id == source.id)
    ).one()
    if positions:
        if positions == 1:
            raise ValidationError(
                "'{key}' is the evidence for 1 actor position on a consensus item: change its "
                "source before deleting it.",
                key=source.key,
            )
        raise ValidationError(
            "'{key}' is the evidence for {count} actor positions on consensus items: "
            "change their source before deleting it.",
            key=source.key,
            count=i18n.format_number(positions),
        )
    try:
        audit.record(
            session,
            actor,
            "delete_source",
            "source",
            source.id,
            report_id=source.report_id,
            key=source.key,
        )
        session.delete(source)
        session.commit()
    except Exception:
        session.rollback()
        raise


# --------------------------------------------------------------------------- reading


def get_source(session: Session, source_id: int) -> Source:
    """Return a source by id, or raise NotFound."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("No source with id {id}.", id=source_id)
    return source


def get_source_by_key(session: Session, report_id: int, key: str) -> Source:
    """Return the source with this key in a report's library, or raise NotFound."""
    source = session.exec(
        select(Source).where(Source.report_id == report_id, Source.key == key)
    ).first()
    if source is None:
        raise NotFound("No source with the key '{key}' in this report's library.", key=key)
    return source


def sources_by_keys(session: Session, report_id: int, keys: Iterable[str]) -> dict[str, Source]:
    """Return the report's sources with these keys, by key (keys with no source are left out)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.exec(
        select(Source).where(Source.report_id == report_id, col(Source.key).in_(wanted))
    ).all()
    return {s.key: s for s in rows}


def keys_by_id(session: Session, source_ids: Iterable[int]) -> dict[int, str]:
    """Return the citation key of each of these sources, by id, in one query."""
    wanted = sorted({int(i) for i in source_ids if i is not None})
    if not wanted:
        return {}
    rows = session.exec(select(Source.id, Source.key).where(col(Source.id).in_(wanted))).all()
    return {source_id: key for source_id, key in rows}


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_sources(
    session: Session,
    *,
    report_id: int,
    text: str = "",
    kind: SourceKind | str | None = None,
    language: str | None = None,
    region: str | None = None,
    certainty: Certainty | str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Source], int]:
    """Return one page of a report's sources matching the filters, and how many match in all."""
    if limit < 1 or offset < 0:
        raise ValidationError("A page needs a limit of at least 1 and an offset of 0 or more.")
    conditions: list[Any] = [Source.report_id == report_id]
    words = normalise_space(text)
    if words:
        # Full-text search on key, title and authors (workbench/search.py), the last word
        # a prefix (smith20 finds smith2020a); and, as before, any part of a key.
        conditions.append(
            or_(
                search.source_matches(
                    session, search.parse(words, prefix_last=True), report_id=report_id
                ),
                func.lower(col(Source.key)).like(_like(search.plain(words)), escape="\\"),
            )
        )
    if kind:
        conditions.append(Source.kind == _enum(SourceKind, kind))
    if language:
        conditions.append(Source.language == language)
    if region:
        conditions.append(Source.region == region)
    if certainty:
        conditions.append(Source.certainty == _enum(Certainty, certainty))
    if year_from is not None:
        conditions.append(col(Source.year) >= year_from)
    if year_to is not None:
        conditions.append(col(Source.year) <= year_to)
    total = session.exec(select(func.count()).select_from(Source).where(*conditions)).one()
    page = session.exec(
        select(Source)
        .where(*conditions)
        .order_by(col(Source.key), col(Source.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(page), int(total)


@dataclass
class SourceFacets:
    """The values a report's library holds, for filter choices: languages, regions, years."""

    languages: list[str]
    regions: list[str]
    year_min: int | None
    year_max: int | None


def source_facets(session: Session, *, report_id: int) -> SourceFacets:
    """Return the distinct languages and regions of a report's library and its range of years."""
    languages = session.exec(
        select(Source.language)
        .where(Source.report_id == report_id, Source.language != "")
        .distinct()
        .order_by(col(Source.language))
    ).all()
    regions = session.exec(
        select(Source.region)
        .where(Source.report_id == report_id, Source.region != "")
        .distinct()
        .order_by(col(Source.region))
    ).all()
    year_min, year_max = session.exec(
        select(func.min(Source.year), func.max(Source.year)).where(Source.report_id == report_id)
    ).one()
    return SourceFacets(
        languages=list(languages), regions=list(regions), year_min=year_min, year_max=year_max
    )


@dataclass
class SourceUsage:
    """What relies on a source: the sections citing it, the findings it supports, positions."""

    sections: list[str]
    findings: list[str]
    positions: int


def source_usage(session: Session, source_id: int) -> SourceUsage:
    """Return the section codes citing a source, the finding codes it supports, its positions."""
    findings = session.exec(
        select(Finding.code)
        .join(FindingSource, col(FindingSource.finding_id) == col(Finding.id))
        .where(FindingSource.source_id == source_id)
        .order_by(col(Finding.code))
    ).all()
    positions = session.exec(
        select(func.count()).select_from(Position).where(Position.source_id == source_id)
    ).one()
    return SourceUsage(
        sections=_citing_sections(session, source_id),
        findings=list(findings),
        positions=int(positions),
    )


def csl_names(authors: str) -> list[dict[str, str]]:
    """Return CSL names for authors written 'Family, Given; Family, Given' or one per line.

    A name without a comma is an organisation (a CSL ``literal``).
    """
    names = []
    for part in authors.replace("\n", ";").split(";"):
        text = normalise_space(part)
        if not text:
            continue
        if "," in text:
            family, _, given = (normalise_space(p) for p in text.partition(","))
            name = {"family": family or given}
            if family and given:
                name["given"] = given
            names.append(name)
        else:
            names.append({"literal": text})
    return names


def record_from_fields(
    *,
    kind: SourceKind | str,
    title: str,
    authors: str = "",
    year: int | None = None,
    container: str = "",
    doi: str = "",
    url: str = "",
) -> dict[str, Any]:
    """Return a CSL-JSON record built from the fields of a form (the key is set on saving)."""
    kind = _enum(SourceKind, kind)
    record: dict[str, Any] = {
        "type": CSL_TYPE_BY_KIND[kind],
        "title": normalise_space(title or ""),
    }
    names = csl_names(authors or "")
    if names:
        record["author"] = names
    if year is not None:
        record["issued"] = {"date-parts": [[int(year)]]}
    if normalise_space(container or ""):
        record["container-title" if kind is SourceKind.peer_reviewed else "publisher"] = (
            normalise_space(container)
        )
    if (doi or "").strip():
        record["DOI"] = doi.strip()
    if (url or "").strip():
        record["URL"] = url.strip()
    return record


def csl_records(
    session: Session, report_id: int, *, keys: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Return the CSL-JSON records of a report's library (or of these keys), by key.

    Each record's id is its key.
    """
    query = select(Source.key, Source.csl).where(Source.report_id == report_id)
    if keys is not None:
        wanted = sorted(set(keys))
        if not wanted:
            return []
        query = query.where(col(Source.key).in_(wanted))
    rows = session.exec(query.order_by(col(Source.key))).all()
    return [{**(csl or {}), "id": key} for key, csl in rows]


# --------------------------------------------------------------------------- import and export


def export_sources(*, session: Session, actor: Person, report: Report, fmt: str) -> str:
    """Return a report's library as a csljson, bibtex or ris file."""
    require(session, actor, Action.read_report, report.id)
    if blank(fmt):
        raise ValidationError(
            "Choose an export format: {formats}.", formats=", ".join(EXPORT_FORMATS)
        )
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(
            "'{value}' is not an export format: choose one of {formats}.",
            value=fmt,
            formats=", ".join(EXPORT_FORMATS),
        )
    return write_records(csl_records(session, report.id), fmt)


def _entry_warnings(entry: ParsedEntry, doi: str | None, year: int | None) -> list[Msg]:
    warnings = []
    if doi and not doi.startswith("10."):
        warnings.append(
            Msg(
                "{entry}: '{doi}' does not look like a DOI (DOIs start with 10.)",
                entry=entry.label,
                doi=doi,
            )
        )
    if year is None:
        warnings.append(Msg("{entry}: no year of publication", entry=entry.label))
    language = entry.record.get("language")
    if language and not language_code(str(language)):
        warnings.append(
            Msg(
                "{entry}: the language '{language}' is not recognised; set to 'en'",
                entry=entry.label,
                language=language,
            )
        )
    return warnings


def import_sources(
    *,
    session: Session,
    actor: Person,
    report: Report,
    filename: str,
    content: bytes,
    on_duplicate: str = "error",
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a .bib, .ris or .json bibliography into a report's library: every entry, or none."""
    require(session, actor, Action.edit_sources, report.id)
    if on_duplicate not in ON_DUPLICATE:
        raise ValidationError(
            "'{value}' is not a way to handle duplicates: use 'error' or 'skip'.",
            value=on_duplicate,
        )
    entries = read_file(content, filename)
    existing = session.exec(
        select(Source.key, Source.doi).where(Source.report_id == report.id)
    ).all()
    keys_in_library = {key for key, _ in existing}
    doi_owner: dict[str, str] = {doi: key for key, doi in existing if doi}
    doi_in_file: dict[str, str] = {}

    result = ImportResult()
    duplicates: list[Msg] = []
    problems: list[Msg] = []
    rows: list[dict[str, Any]] = []
    now = utcnow()
    total = len(entries)
    for done, entry in enumerate(entries, start=1):
        record = dict(entry.record)
        key = entry.key
        title, authors, year, doi = record_summary(record)
        duplicate: Msg | None = None
        label_problem = _label_problem(citation_forms.short_label(record))
        if key in keys_in_library:
            duplicate = Msg("{entry}: the key is already in the library", entry=entry.label)
        elif doi and doi in doi_owner:
            duplicate = Msg(
                "{entry}: DOI {doi} is already in the library as '{owner}'",
                entry=entry.label,
                doi=doi,
                owner=doi_owner[doi],
            )
        elif doi and doi in doi_in_file:
            duplicate = Msg(
                "{entry}: DOI {doi} is also the DOI of '{other}' above",
                entry=entry.label,
                doi=doi,
                other=doi_in_file[doi],
            )
        if duplicate:
            duplicates.append(duplicate)
            result.skipped.append(key)
        elif doi and len(doi) > MAX_DOI_LENGTH:
            problems.append(
                Msg(
                    "{entry}: the DOI is longer than {limit} characters",
                    entry=entry.label,
                    limit=MAX_DOI_LENGTH,
                )
            )
        elif label_problem:
            problems.append(Msg("{entry}: {problem}", entry=entry.label, problem=label_problem))
        else:
            if doi:
                doi_in_file[doi] = key
            result.warnings.extend(_entry_warnings(entry, doi, year))
            label = citation_forms.short_label(record)
            if _without_year(label, year) != label:
                result.warnings.append(
                    Msg(
                        "{entry}: the short label '{label}' is kept as '{kept}': citations add "
                        "the year",
                        entry=entry.label,
                        label=label,
                        kept=_without_year(label, year),
                    )
                )
                label = _without_year(label, year)
            record = _labelled(record, label)
            record["id"] = key
            rows.append(
                {
                    "report_id": report.id,
                    "key": key,
                    "kind": guess_kind(record.get("type")),
                    "language": language_code(str(record.get("language") or "")) or "en",
                    "region": "",
                    "certainty": None,
                    "certainty_note": "",
                    "short_label": label,
                    "csl": record,
                    "title": title,
                    "authors": authors,
                    "year": year,
                    "doi": doi,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        if progress is not None:
            progress(done, total)
    if problems:
        raise ImportFailed(
            "{file} could not be imported; nothing was imported. "
            "Correct these entries and import it again.",
            problems,
            file=filename,
        )
    if duplicates and on_duplicate == "error":
        count = len(duplicates)
        if count == 1:
            raise ImportFailed(
                "Nothing was imported from {file}: 1 of its entries is already in the library. "
                "Remove it from the file, or import again skipping duplicates.",
                duplicates,
                file=filename,
            )
        raise ImportFailed(
            "Nothing was imported from {file}: {count} of its entries are already in the "
            "library. Remove them from the file, or import again skipping duplicates.",
            duplicates,
            file=filename,
            count=i18n.format_number(count),
        )
    result.warnings = [Msg("{problem} (skipped)", problem=d) for d in duplicates] + result.warnings
    try:
        if rows:
            session.execute(insert(Source), rows)
        result.added = len(rows)
        audit.record(
            session,
            actor,
            "import_sources",
            "report",
            report.id,
            report_id=report.id,
            filename=filename,
            added=result.added,
            skipped=result.skipped,
        )
        if rows:
            _refresh_citations(session, report.id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result
