"""The glossary: how each calibrated, Panel and document term is written in each language.

Terms:

- A **concept** is a stable id shared by every language ("confidence.high",
  "likelihood.very_likely", "question.known", "panel.false_solution"); the English
  term is the source and every other language renders it.
- A concept's **kind** is ``calibrated`` (the IPCC's confidence levels, likelihood
  scale, evidence and agreement qualifiers: translated exactly, always the same way),
  ``panel`` (the Panel's own vocabulary: the four questions, the stages, the roles,
  "false solution"…) or ``document`` (the words an export writes itself).
- An **entry** (:class:`GlossaryEntry`) is one concept in one language: its term,
  the English term, a note for translators and the **source** of the rendering
  (e.g. the IPCC's published French edition).
- The **shipped glossary** is every ``data/glossary/*.csv`` file in the code; the
  Secretariat's edits are rows of :class:`~workbench.models.GlossaryTerm` in the
  database and win over the shipped terms (:func:`terms`).

Files come and go as CSV (UTF-8, one row per concept × language, header
``concept,kind,language,term,note,source``) or as TBX (ISO 30042 terminology
exchange, read and written with translate-toolkit: one ``termEntry`` per concept,
one ``langSet`` per language). An import is checked whole and applied in one
transaction: one bad line refuses the file, naming every line at fault.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from lxml import etree
from sqlmodel import Session, select

from workbench import audit, limits
from workbench.comment_table import neutralise, restore
from workbench.errors import ImportFailed, NotFound, ValidationError
from workbench.i18n import Msg, current_language
from workbench.models import GlossaryKind, GlossaryTerm, Person, utcnow
from workbench.permissions import Action, require

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "glossary"
COLUMNS = ("concept", "kind", "language", "term", "note", "source")
REQUIRED_COLUMNS = ("concept", "kind", "language", "term")
SOURCE_LANGUAGE = "en"

#: A glossary file is text: the same limit as a bibliography file.
MAX_GLOSSARY_BYTES = limits.MAX_BIBLIOGRAPHY_BYTES
MAX_ROWS = 100_000
MAX_CONCEPT = 120  # the column's length
MAX_TERM = 500
MAX_NOTE = 2_000
MAX_SOURCE = 300  # the column's length
MAX_LANGUAGE = 20  # the column's length

_CONCEPT = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
# BCP 47-like: a 2–3 letter language, then optional subtags (script, region, variant).
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_TBX_NS = "urn:iso:std:iso:30042:ed-2"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class GlossaryEntry:
    """One concept in one language."""

    concept: str  # stable id shared by the languages, e.g. "confidence.high"
    kind: GlossaryKind
    language: str
    term: str  # how the concept is written in that language
    english: str  # the English term (the source)
    note: str = ""
    source: str = ""  # where the rendering comes from


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: terms added, changed and already as the file has them."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    languages: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Return how many rows the file had."""
        return self.added + self.updated + self.unchanged


@dataclass(frozen=True)
class _Row:
    line: int
    concept: str
    kind: GlossaryKind
    language: str
    term: str
    note: str
    source: str


# --------------------------------------------------------------------------- checks


def normalise_language(code: str) -> str:
    """Return a language code in its usual case ('PT-br' → 'pt-BR'), unchecked."""
    parts = code.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2:
            out.append(part.upper())
        elif len(part) == 4:
            out.append(part.capitalize())
        else:
            out.append(part.lower())
    return "-".join(out)


def valid_language(code: str) -> bool:
    """Return True when ``code`` looks like a BCP 47 language tag ('fr', 'zh-Hans', 'pt-BR')."""
    return bool(code) and len(code) <= MAX_LANGUAGE and bool(_LANGUAGE.match(code))


def _check_row(
    values: Mapping[str, Any], *, line: int, where: str
) -> tuple[_Row | None, list[Msg]]:
    """Return one row checked, or the problems with it (each naming the line)."""
    problems: list[Msg] = []
    cells = {name: values.get(name) for name in COLUMNS}
    for name, value in cells.items():
        if value is not None and not isinstance(value, str):
            cells[name] = str(value)
    for name in COLUMNS:
        if "\x00" in (cells[name] or ""):
            problems.append(
                Msg(
                    "{where}, line {line}: the {column} holds a NUL byte.",
                    where=where,
                    line=line,
                    column=name,
                )
            )
    if problems:
        return None, problems
    concept = (cells["concept"] or "").strip()
    kind_text = (cells["kind"] or "").strip().lower()
    language = normalise_language(cells["language"] or "")
    term = (cells["term"] or "").strip()
    note = (cells["note"] or "").strip()
    source = (cells["source"] or "").strip()
    if not concept:
        problems.append(Msg("{where}, line {line}: the concept is empty.", where=where, line=line))
    elif len(concept) > MAX_CONCEPT or not _CONCEPT.match(concept):
        problems.append(
            Msg(
                "{where}, line {line}: the concept '{concept}' is not an id of lower-case "
                "letters, digits, dots, hyphens and underscores (at most {limit} characters).",
                where=where,
                line=line,
                concept=concept[:60],
                limit=MAX_CONCEPT,
            )
        )
    kind: GlossaryKind | None = None
    try:
        kind = GlossaryKind(kind_text)
    except ValueError:
        problems.append(
            Msg(
                "{where}, line {line}: the kind '{kind}' is unknown; use calibrated, panel "
                "or document.",
                where=where,
                line=line,
                kind=kind_text[:40],
            )
        )
    if not valid_language(language):
        problems.append(
            Msg(
                "{where}, line {line}: the language '{language}' is not a language code "
                "such as en, fr, es, ar, zh or pt-BR.",
                where=where,
                line=line,
                language=(cells["language"] or "").strip()[:40],
            )
        )
    if not term:
        problems.append(Msg("{where}, line {line}: the term is empty.", where=where, line=line))
    for name, value, limit in (
        ("term", term, MAX_TERM),
        ("note", note, MAX_NOTE),
        ("source", source, MAX_SOURCE),
    ):
        if len(value) > limit:
            problems.append(
                Msg(
                    "{where}, line {line}: the {column} has {count} characters; at most "
                    "{limit} are allowed.",
                    where=where,
                    line=line,
                    column=name,
                    count=len(value),
                    limit=limit,
                )
            )
    if problems or kind is None:
        return None, problems
    return _Row(line, concept, kind, language, term, note, source), []


def _check_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]], *, where: str
) -> tuple[list[_Row], list[Msg]]:
    """Check every row, then duplicates (a concept twice in one language)."""
    checked: list[_Row] = []
    problems: list[Msg] = []
    seen: dict[tuple[str, str], int] = {}
    kinds: dict[str, tuple[GlossaryKind, int]] = {}
    for line, values in rows:
        row, found = _check_row(values, line=line, where=where)
        problems.extend(found)
        if row is None:
            continue
        key = (row.concept, row.language)
        if key in seen:
            problems.append(
                Msg(
                    "{where}, line {line}: '{concept}' in {language} is already on line {first}.",
                    where=where,
                    line=line,
                    concept=row.concept,
                    language=row.language,
                    first=seen[key],
                )
            )
            continue
        seen[key] = line
        if row.concept in kinds and kinds[row.concept][0] != row.kind:
            problems.append(
                Msg(
                    "{where}, line {line}: '{concept}' is of kind {kind} here but {other} "
                    "on line {first}.",
                    where=where,
                    line=line,
                    concept=row.concept,
                    kind=row.kind.value,
                    other=kinds[row.concept][0].value,
                    first=kinds[row.concept][1],
                )
            )
            continue
        kinds.setdefault(row.concept, (row.kind, line))
        checked.append(row)
    return checked, problems


# --------------------------------------------------------------------------- reading files


def _decode(data: bytes, *, where: str) -> str:
    if len(data) > MAX_GLOSSARY_BYTES:
        raise ImportFailed(
            "{where} is {size} MiB; a glossary file may be at most {limit} MiB.",
            where=where,
            size=round(len(data) / limits.MiB, 1),
            limit=MAX_GLOSSARY_BYTES // limits.MiB,
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFailed(
            "{where}, line {line}: the file is not UTF-8 text; save it as UTF-8 and try again.",
            where=where,
            line=1,
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportFailed(
            "{where}, line {line}: the file holds a NUL byte; it is not a text file.",
            where=where,
            line=line,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            "{where}, line {line}: the file is not UTF-8 text; save it as UTF-8 and try again.",
            where=where,
            line=line,
        ) from None


def _read_csv(text: str, *, where: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportFailed("{where}, line 1: {problem}.", where=where, problem=str(exc)) from None
    if header is None:
        raise ImportFailed("{where} is empty.", where=where)
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    unknown = [h for h in names if h not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        raise ImportFailed(
            "{where}: the header must name the columns {expected}; it has {found}.",
            where=where,
            expected=",".join(COLUMNS),
            found=",".join(header)[:200],
        )
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFailed(
                    "{where} has more than {limit} rows; split it into smaller files.",
                    where=where,
                    limit=MAX_ROWS,
                )
            if len(record) > len(names):
                raise ImportFailed(
                    "{where}, line {line}: {count} cells, but the header names {columns}.",
                    where=where,
                    line=line,
                    count=len(record),
                    columns=len(names),
                )
            rows.append((line, {n: restore(c) for n, c in zip(names, record, strict=False)}))
    except csv.Error as exc:
        raise ImportFailed(
            "{where}, line {line}: {problem}.",
            where=where,
            line=reader.line_num,
            problem=str(exc),
        ) from None
    return rows


def _tbx_text(node: Any) -> str:
    return "".join(node.itertext()) if node is not None else ""


def _read_tbx(data: bytes, *, where: str) -> list[tuple[int, dict[str, str]]]:
    from translate.storage import tbx

    if re.search(rb"<!ENTITY", data, re.IGNORECASE):
        raise ImportFailed(
            "{where} declares XML entities; a glossary file may not (they can expand "
            "without limit).",
            where=where,
        )
    try:
        store = tbx.tbxfile.parsestring(data)
    except (etree.XMLSyntaxError, ValueError, AssertionError, AttributeError) as exc:
        raise ImportFailed(
            "{where} is not a TBX file: {problem}", where=where, problem=str(exc)[:200]
        ) from None
    rows: list[tuple[int, dict[str, str]]] = []
    for unit in store.units:
        element = unit.xmlelement
        line = element.sourceline or 0
        concept = element.get("id") or ""
        kind = ""
        for descrip in element.iter("{*}descrip", "descrip"):
            if descrip.get("type") == "subjectField":
                kind = _tbx_text(descrip)
                break
        for lang_set in element.iter("{*}langSet", "langSet"):
            language = lang_set.get(_XML_LANG) or lang_set.get("lang") or ""
            term_node = next(iter(lang_set.iter("{*}term", "term")), None)
            note = " ".join(_tbx_text(n) for n in lang_set.iter("{*}note", "note"))
            source = ""
            for admin in lang_set.iter("{*}admin", "admin"):
                if admin.get("type") == "source":
                    source = _tbx_text(admin)
            if len(rows) >= MAX_ROWS:
                raise ImportFailed(
                    "{where} has more than {limit} terms; split it into smaller files.",
                    where=where,
                    limit=MAX_ROWS,
                )
            rows.append(
                (
                    lang_set.sourceline or line,
                    {
                        "concept": concept,
                        "kind": kind,
                        "language": language,
                        "term": _tbx_text(term_node),
                        "note": note,
                        "source": source,
                    },
                )
            )
    if not rows:
        raise ImportFailed("{where} holds no terms.", where=where)
    return rows


def read_file(data: bytes, filename: str) -> list[_Row]:
    """Return a CSV or TBX glossary file's rows, checked; raise ImportFailed naming each line."""
    where = Path(filename).name or "the file"
    text = _decode(data, where=where)
    looks_xml = text.lstrip().startswith("<")
    if filename.lower().endswith((".tbx", ".xml")) or looks_xml:
        raw = _read_tbx(text.encode("utf-8"), where=where)
    elif filename.lower().endswith((".csv", ".txt")) or not looks_xml:
        raw = _read_csv(text, where=where)
    rows, problems = _check_rows(raw, where=where)
    if problems:
        raise ImportFailed(
            "{where} was not imported: {count} problems. Nothing was changed.",
            problems=list(problems),
            where=where,
            count=len(problems),
        )
    return rows


# --------------------------------------------------------------------------- the shipped glossary


@lru_cache(maxsize=1)
def _shipped_rows() -> tuple[_Row, ...]:
    rows: list[_Row] = []
    seen: dict[tuple[str, str], str] = {}
    for path in sorted(DATA_DIR.glob("*.csv")):
        for row in read_file(path.read_bytes(), path.name):
            key = (row.concept, row.language)
            if key in seen:
                raise ValidationError(
                    "{file}, line {line}: '{concept}' in {language} is also in {other}.",
                    file=path.name,
                    line=row.line,
                    concept=row.concept,
                    language=row.language,
                    other=seen[key],
                )
            seen[key] = path.name
            rows.append(row)
    return tuple(rows)


@lru_cache(maxsize=1)
def _shipped() -> tuple[GlossaryEntry, ...]:
    rows = _shipped_rows()
    english = {r.concept: r.term for r in rows if r.language == SOURCE_LANGUAGE}
    return tuple(
        GlossaryEntry(
            concept=r.concept,
            kind=r.kind,
            language=r.language,
            term=r.term,
            english=english.get(r.concept, r.term),
            note=r.note,
            source=r.source,
        )
        for r in rows
    )


def shipped_entries() -> list[GlossaryEntry]:
    """Return every term of the shipped glossary (``data/glossary/*.csv``), checked."""
    return list(_shipped())


# --------------------------------------------------------------------------- reading


def _rows(session: Session, language: str | None = None) -> list[GlossaryTerm]:
    query = select(GlossaryTerm)
    if language is not None:
        query = query.where(GlossaryTerm.language == language)
    return list(session.exec(query).all())


def _english(session: Session) -> dict[str, str]:
    english = {e.concept: e.term for e in _shipped() if e.language == SOURCE_LANGUAGE}
    english.update({r.concept: r.term for r in _rows(session, SOURCE_LANGUAGE)})
    return english


def terms(session: Session, language: str) -> dict[str, GlossaryEntry]:
    """Return concept → entry in one language: the shipped terms, overlaid by the database's."""
    language = normalise_language(language)
    english = _english(session)
    found: dict[str, GlossaryEntry] = {}
    for e in _shipped():
        if e.language == language:
            found[e.concept] = GlossaryEntry(
                e.concept,
                e.kind,
                e.language,
                e.term,
                english.get(e.concept, e.term),
                e.note,
                e.source,
            )
    for r in _rows(session, language):
        found[r.concept] = GlossaryEntry(
            r.concept,
            r.kind,
            r.language,
            r.term,
            english.get(r.concept, r.term),
            r.note,
            r.source,
        )
    return dict(sorted(found.items()))


def term(session: Session, language: str, concept: str) -> str:
    """Return how ``concept`` is written in ``language``, else its English term."""
    entry = terms(session, language).get(concept)
    if entry is not None:
        return entry.term
    english = _english(session)
    if concept in english:
        return english[concept]
    raise NotFound("The glossary has no concept '{concept}'.", concept=concept)


def languages(session: Session) -> list[str]:
    """Return the languages the glossary has terms in, English first."""
    codes = {e.language for e in _shipped()}
    codes.update(session.exec(select(GlossaryTerm.language).distinct()).all())
    return sorted(codes, key=lambda c: (c != SOURCE_LANGUAGE, c))


def language_name(code: str, *, capital: bool = True) -> str:
    """Return a language's name in the interface language, with its code ('French (fr)').

    ``capital=False`` keeps the language's own case for use inside a sentence
    ('Terme en français (fr)'); English names are capitalised either way.
    """
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(current_language()) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    if capital:
        name = f"{name[:1].upper()}{name[1:]}"
    return f"{name} ({code})"


def all_entries(session: Session) -> list[GlossaryEntry]:
    """Return every entry of every language, by language then concept."""
    return [e for code in languages(session) for e in terms(session, code).values()]


# --------------------------------------------------------------------------- writing


def _kind_of(session: Session, concept: str) -> GlossaryKind | None:
    for r in session.exec(select(GlossaryTerm).where(GlossaryTerm.concept == concept)).all():
        return r.kind
    for e in _shipped():
        if e.concept == concept:
            return e.kind
    return None


def _existing(session: Session, language: str, concept: str) -> GlossaryTerm | None:
    return session.exec(
        select(GlossaryTerm).where(
            GlossaryTerm.language == language, GlossaryTerm.concept == concept
        )
    ).first()


def _upsert(
    session: Session,
    actor: Person,
    row: _Row,
    *,
    current: GlossaryEntry | None,
    existing: GlossaryTerm | None,
    always: bool = False,
) -> tuple[GlossaryTerm | None, str]:
    """Write one checked row; return it and 'added', 'updated' or 'unchanged'.

    ``current`` is the concept's entry in the row's language now (shipped or edited),
    ``existing`` its database row, if any. A row the glossary already has as it is
    writes nothing unless ``always``.
    """
    same = current is not None and (current.term, current.note, current.kind) == (
        row.term,
        row.note,
        row.kind,
    )
    if same and row.source and current is not None and row.source != current.source:
        same = False
    if same and (existing is not None or not always):
        return existing, "unchanged"
    outcome = "unchanged" if same else ("updated" if current is not None else "added")
    if existing is None:
        existing = GlossaryTerm(language=row.language, concept=row.concept)
    existing.kind = row.kind
    existing.term = row.term
    existing.note = row.note
    kept = current.source if current is not None and current.term == row.term else ""
    existing.source = row.source or kept
    existing.updated_at = utcnow()
    existing.updated_by = actor.id
    session.add(existing)
    return existing, outcome


def set_term(
    *,
    session: Session,
    actor: Person,
    language: str,
    concept: str,
    term: str,
    note: str = "",
    kind: GlossaryKind | str | None = None,
) -> GlossaryTerm:
    """Write how ``concept`` is written in ``language`` (the Secretariat's edit wins)."""
    require(session, actor, Action.edit_glossary)
    known = _kind_of(session, concept.strip())
    if kind is None and known is None:
        raise ValidationError(
            "'{concept}' is a new concept: choose its kind (calibrated, panel or document).",
            concept=concept.strip(),
        )
    kind_value = kind.value if isinstance(kind, GlossaryKind) else (kind or known.value)  # type: ignore[union-attr]
    row, problems = _check_row(
        {
            "concept": concept,
            "kind": kind_value,
            "language": language,
            "term": term,
            "note": note,
            "source": "",
        },
        line=1,
        where="the glossary",
    )
    if problems or row is None:
        first = problems[0]
        params = dict(first.params)
        template = first.template.replace("{where}, line {line}: ", "")
        params.pop("where", None)
        params.pop("line", None)
        raise ValidationError(Msg(template[:1].upper() + template[1:], **params))
    if known is not None and row.kind != known:
        raise ValidationError(
            "'{concept}' is of kind {kind} in the glossary; a term cannot change its kind.",
            concept=row.concept,
            kind=known.value,
        )
    try:
        current = terms(session, row.language).get(row.concept)
        written, outcome = _upsert(
            session,
            actor,
            row,
            current=current,
            existing=_existing(session, row.language, row.concept),
            always=True,
        )
        assert written is not None
        session.add(written)
        session.flush()
        audit.record(
            session,
            actor,
            "glossary.set_term",
            "glossary_term",
            written.id,
            concept=row.concept,
            language=row.language,
            term=row.term,
            before=current.term if current else None,
            outcome=outcome,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    session.refresh(written)
    return written


def import_glossary(
    *, session: Session, actor: Person, data: bytes, filename: str
) -> ImportSummary:
    """Import a CSV or TBX glossary file, all or nothing; return what changed."""
    require(session, actor, Action.edit_glossary)
    rows = read_file(data, filename)
    where = Path(filename).name
    kinds = {e.concept: e.kind for e in _shipped()}
    kinds.update({r.concept: r.kind for r in _rows(session)})
    conflicts = [
        Msg(
            "{where}, line {line}: '{concept}' is of kind {kind} in the glossary, not {other}.",
            where=where,
            line=row.line,
            concept=row.concept,
            kind=kinds[row.concept].value,
            other=row.kind.value,
        )
        for row in rows
        if row.concept in kinds and kinds[row.concept] != row.kind
    ]
    if conflicts:
        raise ImportFailed(
            "{where} was not imported: {count} problems. Nothing was changed.",
            problems=list(conflicts),
            where=where,
            count=len(conflicts),
        )
    codes = sorted({r.language for r in rows})
    current = {code: terms(session, code) for code in codes}
    existing = {(r.language, r.concept): r for r in _rows(session) if r.language in current}
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    try:
        for row in rows:
            __, outcome = _upsert(
                session,
                actor,
                row,
                current=current[row.language].get(row.concept),
                existing=existing.get((row.language, row.concept)),
            )
            counts[outcome] += 1
        session.flush()
        summary = ImportSummary(
            added=counts["added"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            languages=tuple(codes),
        )
        audit.record(
            session,
            actor,
            "glossary.import",
            "glossary_term",
            None,
            file=where,
            added=summary.added,
            updated=summary.updated,
            unchanged=summary.unchanged,
            languages=list(summary.languages),
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return summary


# --------------------------------------------------------------------------- exporting

EXPORT_FORMATS = ("csv", "tbx")


def export_glossary(session: Session, *, language: str | None = None, fmt: str = "csv") -> bytes:
    """Return the glossary (one language and English, or every language) as CSV or TBX."""
    fmt = fmt.lower().strip()
    if fmt not in EXPORT_FORMATS:
        raise ValidationError("Choose the format csv or tbx, not '{fmt}'.", fmt=fmt)
    if language is None:
        codes = languages(session)
    else:
        code = normalise_language(language)
        if not valid_language(code):
            raise ValidationError(
                "'{language}' is not a language code such as en, fr, es, ar or zh.",
                language=language,
            )
        codes = [code] if code == SOURCE_LANGUAGE else [SOURCE_LANGUAGE, code]
    entries = [e for code in codes for e in terms(session, code).values()]
    if fmt == "csv":
        return _export_csv(entries)
    return _export_tbx(entries)


def _export_csv(entries: list[GlossaryEntry]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow(
            [neutralise(v) for v in (e.concept, e.kind.value, e.language, e.term, e.note, e.source)]
        )
    return out.getvalue().encode("utf-8")


def _export_tbx(entries: list[GlossaryEntry]) -> bytes:
    from translate.storage import tbx

    store = tbx.tbxfile(sourcelanguage=SOURCE_LANGUAGE)
    by_concept: dict[str, list[GlossaryEntry]] = {}
    for e in entries:
        by_concept.setdefault(e.concept, []).append(e)
    for concept in sorted(by_concept):
        group = sorted(
            by_concept[concept], key=lambda e: (e.language != SOURCE_LANGUAGE, e.language)
        )
        unit = store.addsourceunit(group[0].english)
        unit.setid(concept)
        element = unit.xmlelement
        for child in list(element):
            element.remove(child)
        descrip = etree.SubElement(element, unit.namespaced("descrip"))
        descrip.set("type", "subjectField")
        descrip.text = group[0].kind.value
        for e in group:
            lang_set = etree.SubElement(element, unit.namespaced("langSet"))
            lang_set.set(_XML_LANG, e.language)
            tig = etree.SubElement(lang_set, unit.namespaced("tig"))
            etree.SubElement(tig, unit.namespaced("term")).text = e.term
            if e.note:
                etree.SubElement(tig, unit.namespaced("note")).text = e.note
            if e.source:
                admin = etree.SubElement(tig, unit.namespaced("admin"))
                admin.set("type", "source")
                admin.text = e.source
    return bytes(store)
