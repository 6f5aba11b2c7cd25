"""XLIFF 1.2: a report's sections out to translators' own tools (CAT tools) and back.

Professional translators work in Trados, memoQ, OmegaT or Weblate, which read and
write XLIFF. The file is built and read with translate-toolkit, never by hand.

Terms:

- An **XLIFF file** holds one report in one target language: one ``<file>`` whose
  ``original`` is the report's slug, ``source-language`` English and
  ``target-language`` the language translated into.
- A **unit** (``<trans-unit>``) is one paragraph of a section's current text, split
  as the translation editor splits it (:func:`workbench.translations.paragraphs`).
  Its id is the section code and the paragraph's number, ``3.1/p4``; sections come
  in outline order.
- Each unit records its **source revision** in a context group named
  :data:`CONTEXT_GROUP`: the section code, the revision number exported, the
  paragraph's SHA-256 and the translation's version at export. Its note names the
  report, the section and the revision, for the translator.
- The **target** is filled with the existing translation where its paragraph
  **aligns** (the translation has as many paragraphs as the source it was made
  from): ``final`` when reviewed, ``translated`` when translated,
  ``needs-review-translation`` when the paragraph's source has changed since it was
  translated (stale) or the translation is still in progress.
- A **stale-only** export holds the sections that still need work: those never
  translated, in progress, or whose translation is stale. Up-to-date translated or
  reviewed sections are left out.
- An **import** is all or nothing. A damaged or hostile file is refused whole, naming
  what is wrong. A section whose source changed since the export (the revision
  recorded differs from today's and a paragraph differs) is **skipped** and listed,
  never applied to a text the translator did not see. Every other translated
  section is saved through :func:`workbench.translations.save_translations` in one
  transaction, with the same checks as the editor.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlmodel import Session, col, select
from translate.storage.xliff import xlifffile, xliffunit

from workbench import i18n, limits, translations
from workbench.errors import ImportFailed, NotFound
from workbench.i18n import Msg
from workbench.models import (
    Person,
    Report,
    Section,
    SectionRevision,
    Translation,
    TranslationRevision,
    TranslationStatus,
)
from workbench.permissions import Action, require
from workbench.sections import list_sections

CONTEXT_GROUP = "x-workbench"
NAMESPACE = "urn:oasis:names:tc:xliff:document:1.2"
_UNIT_ID = re.compile(r"^(?P<code>[A-Za-z0-9.\-]{1,20})/p(?P<number>[1-9][0-9]{0,5})$")
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class _Unit(xliffunit):
    """A trans-unit in the XLIFF 1.2 namespace."""

    namespace = NAMESPACE


class _Xliff12(xlifffile):
    """An XLIFF 1.2 document (translate-toolkit starts from 1.1)."""

    UnitClass = _Unit
    namespace = NAMESPACE
    XMLskeleton = f"""<?xml version="1.0" ?>
<xliff version='1.2' xmlns='{NAMESPACE}'>
<file original='NoName' source-language='en' datatype='plaintext'>
<body>
</body>
</file>
</xliff>"""


@dataclass(frozen=True)
class XliffExport:
    """An exported file and what it holds."""

    data: bytes
    language: str
    sections: int
    units: int


@dataclass(frozen=True)
class SkippedSection:
    """A section left as it is because its source changed since the export."""

    code: str
    title: str
    exported_revision: int
    current_revision: int
    units: list[str]


@dataclass(frozen=True)
class XliffImportSummary:
    """What an import did, section by section (codes in outline order)."""

    language: str
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    skipped: list[SkippedSection] = field(default_factory=list)


@dataclass
class _FileUnit:
    unit_id: str
    number: int
    source: str
    target: str
    revision: int | None
    source_hash: str | None
    translation_version: int | None


def source_hash(paragraph: str) -> str:
    """Return the SHA-256 (hex) that records a source paragraph in a unit."""
    return hashlib.sha256(paragraph.encode("utf-8")).hexdigest()


def unit_id(code: str, number: int) -> str:
    """Return the id of a section's paragraph ('3.1/p4'; paragraphs count from 1)."""
    return f"{code}/p{number}"


def _target_language(report: Report, language: str) -> str:
    wanted = (language or "").strip()
    targets = translations.target_languages(report)
    for code in targets:
        if code.lower() == wanted.lower():
            return code
    listed = ", ".join(targets) or Msg("none yet")
    if not wanted:
        raise NotFound(
            "Name the language to translate into: the report '{slug}' is translated into "
            "{languages}.",
            slug=report.slug,
            languages=listed,
        )
    raise NotFound(
        "'{language}' is not a language the report '{slug}' is translated into ({languages}).",
        language=wanted,
        slug=report.slug,
        languages=listed,
    )


def _translated_source(session: Session, translation: Translation) -> SectionRevision | None:
    """Return the section revision a translation's text was made from, when it is known."""
    if translation.revision_id is not None:
        return session.get(SectionRevision, translation.revision_id)
    latest = session.exec(
        select(TranslationRevision.source_revision_id)
        .where(TranslationRevision.translation_id == translation.id)
        .order_by(col(TranslationRevision.number).desc())
        .limit(1)
    ).first()
    return session.get(SectionRevision, latest) if latest is not None else None


def _aligned_targets(
    session: Session, translation: Translation | None, head: SectionRevision, source: list[str]
) -> list[tuple[str, str] | None]:
    """Return each source paragraph's existing translation and XLIFF state, where it aligns."""
    empty: list[tuple[str, str] | None] = [None] * len(source)
    if translation is None or not translation.text.strip():
        return empty
    done = {
        TranslationStatus.reviewed: "final",
        TranslationStatus.translated: "translated",
    }.get(TranslationStatus(translation.status), "needs-review-translation")
    rendered = translations.paragraphs(translation.text)
    made_from = _translated_source(session, translation)
    if made_from is None or made_from.id == head.id:
        if len(rendered) != len(source):
            return empty
        return [(text, done) for text in rendered]
    old = translations.paragraphs(made_from.text)
    if len(rendered) != len(old):
        return empty
    by_source: dict[str, str] = {}
    for old_paragraph, text in zip(old, rendered, strict=True):
        by_source.setdefault(old_paragraph, text)
    aligned: list[tuple[str, str] | None] = []
    for i, paragraph in enumerate(source):
        if paragraph in by_source:
            aligned.append((by_source[paragraph], done))
        elif len(old) == len(source):
            # The same place in a source that changed: the translator revises it.
            aligned.append((rendered[i], "needs-review-translation"))
        else:
            aligned.append(None)
    return aligned


def _needs_work(translation: Translation | None, section: Section) -> bool:
    if translation is None or not translation.text.strip():
        return True
    status = TranslationStatus(translation.status)
    if status not in translations.PINS_REVISION:
        return True
    return translation.revision_id != section.head_revision_id


def build_export(
    session: Session, *, report: Report, language: str, stale_only: bool = False
) -> XliffExport:
    """Return a report's sections in one target language as an XLIFF 1.2 file, with counts."""
    language = _target_language(report, language)
    sections = [s for s in list_sections(session, report.id) if s.head_revision_id is not None]
    heads = {
        r.id: r
        for r in session.exec(
            select(SectionRevision).where(
                col(SectionRevision.id).in_([s.head_revision_id for s in sections] or [-1])
            )
        ).all()
    }
    existing = {
        t.section_id: t
        for t in session.exec(
            select(Translation).where(
                col(Translation.section_id).in_([s.id for s in sections] or [-1]),
                Translation.language == language,
            )
        ).all()
    }
    store = _Xliff12(sourcelanguage=translations.SOURCE_LANGUAGE, targetlanguage=language)
    store.switchfile(report.slug, createifmissing=True)
    section_count = unit_count = 0
    for section in sections:
        head = heads[section.head_revision_id]
        source = translations.paragraphs(head.text)
        translation = existing.get(section.id)
        if not source or (stale_only and not _needs_work(translation, section)):
            continue
        section_count += 1
        targets = _aligned_targets(session, translation, head, source)
        version = translation.version if translation is not None else 0
        for number, (paragraph, target) in enumerate(zip(source, targets, strict=True), 1):
            unit = store.addsourceunit(paragraph, filename=report.slug)
            unit.setid(unit_id(section.code, number))
            unit.addnote(
                Msg(
                    "{report}, section {code} ({title}): paragraph {number} of {count}, "
                    "revision {revision}.",
                    report=report.title,
                    code=section.code,
                    title=section.title,
                    number=number,
                    count=len(source),
                    revision=head.number,
                ).render(i18n.interface_language(language) or "en"),
                origin="workbench",
            )
            unit.createcontextgroup(
                CONTEXT_GROUP,
                [
                    ("x-section", section.code),
                    ("x-revision", str(head.number)),
                    ("x-source-sha256", source_hash(paragraph)),
                    ("x-translation-version", str(version)),
                ],
                purpose="information",
            )
            if target is not None:
                text, state = target
                unit.target = text
                unit.set_state_n(unit.statemap[state])
            unit_count += 1
    return XliffExport(
        data=bytes(store), language=language, sections=section_count, units=unit_count
    )


def export_xliff(
    session: Session, *, report: Report, language: str, stale_only: bool = False
) -> bytes:
    """Return a report's sections in one target language as an XLIFF 1.2 file."""
    return build_export(session, report=report, language=language, stale_only=stale_only).data


# --------------------------------------------------------------------------- import


def _refuse(filename: str, problem: Msg) -> ImportFailed:
    return ImportFailed(
        "{filename} was not imported: {problem}", filename=filename, problem=problem
    )


def _read_store(data: bytes, filename: str) -> xlifffile:
    """Parse the file's bytes, refusing what is too large, damaged or hostile."""
    if len(data) > limits.MAX_XLIFF_BYTES:
        raise _refuse(
            filename,
            Msg(
                "it is {size} MiB; at most {limit} MiB is accepted.",
                size=f"{len(data) / limits.MiB:.1f}",
                limit=limits.MAX_XLIFF_BYTES // limits.MiB,
            ),
        )
    if not data.strip():
        raise _refuse(filename, Msg("it is empty."))
    try:
        text = data.decode("utf-16") if data.startswith(_UTF16_BOMS) else data.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(
            filename, Msg("it is not UTF-8 text; save it from your translation tool as XLIFF.")
        ) from None
    if "\x00" in text:
        raise _refuse(
            filename, Msg("it contains NUL bytes, so it is damaged or not an XLIFF file.")
        )
    if _ENTITY_DECLARATION.search(text):
        # A translation tool never declares entities; a hostile file does (an "XML bomb").
        raise _refuse(filename, Msg("it declares XML entities, which an XLIFF file never needs."))
    try:
        store = xlifffile.parsestring(data)
    except etree.XMLSyntaxError as exc:
        raise _refuse(
            filename,
            Msg(
                "it is not well-formed XML ({detail}); it may be truncated or damaged.",
                detail=str(exc.msg or exc).split(" (")[0],
            ),
        ) from None
    except (AssertionError, StopIteration, ValueError, TypeError, AttributeError):
        raise _refuse(filename, Msg("it is not an XLIFF 1.2 file.")) from None
    if etree.QName(store.document.getroot()).localname != "xliff":
        raise _refuse(filename, Msg("it is not an XLIFF 1.2 file."))
    return store


def _file_nodes(store: xlifffile) -> list[Any]:
    return list(store.document.getroot().iterchildren(store.namespaced("file")))


def _check_header(store: xlifffile, *, report: Report, filename: str) -> str:
    """Return the file's target language, refusing another report or language."""
    nodes = _file_nodes(store)
    if not nodes:
        raise _refuse(filename, Msg("it holds no <file> element, so it is not an XLIFF file."))
    languages: set[str] = set()
    for node in nodes:
        original = (node.get("original") or "").strip()
        if original != report.slug:
            raise _refuse(
                filename,
                Msg(
                    "it is for the report '{other}', not '{slug}'.",
                    other=original or "?",
                    slug=report.slug,
                ),
            )
        source = (node.get("source-language") or "").strip()
        if source and not translations.is_source_language(source):
            raise _refuse(
                filename,
                Msg(
                    "its source language is '{language}'; reports are translated from "
                    "English (en).",
                    language=source,
                ),
            )
        languages.add((node.get("target-language") or "").strip())
    if len(languages) != 1 or "" in languages:
        raise _refuse(filename, Msg("it must name one target language for the whole file."))
    wanted = languages.pop()
    for code in translations.target_languages(report):
        if code.lower() == wanted.lower():
            return code
    raise _refuse(
        filename,
        Msg(
            "its target language '{language}' is not one the report '{slug}' is translated into "
            "({languages}).",
            language=wanted,
            slug=report.slug,
            languages=", ".join(translations.target_languages(report)) or Msg("none yet"),
        ),
    )


def _context(unit: xliffunit) -> dict[str, str]:
    found: dict[str, str] = {}
    for group in unit.getcontextgroups(CONTEXT_GROUP):
        for kind, value in group:
            found[kind] = (value or "").strip()
    return found


def _whole_number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _units(store: xlifffile, problems: list[str | Msg]) -> Iterator[tuple[str, _FileUnit]]:
    """Yield each unit with its section code; note the units the workbench did not write."""
    seen: set[str] = set()
    for unit in store.unit_iter():
        local = unit.getid().split("\x04")[-1]
        match = _UNIT_ID.match(local)
        if match is None:
            problems.append(
                Msg(
                    "the unit '{unit}' is not one the workbench wrote (ids look like 3.1/p4).",
                    unit=local[:60],
                )
            )
            continue
        if local in seen:
            problems.append(Msg("the unit {unit} appears twice.", unit=local))
            continue
        seen.add(local)
        context = _context(unit)
        yield (
            match["code"],
            _FileUnit(
                unit_id=local,
                number=int(match["number"]),
                source=unit.source or "",
                target=unit.target or "",
                revision=_whole_number(context.get("x-revision")),
                source_hash=context.get("x-source-sha256") or None,
                translation_version=_whole_number(context.get("x-translation-version")),
            ),
        )


def _listing(ids: list[str]) -> str:
    shown = ", ".join(ids[:10])
    return shown + (" …" if len(ids) > 10 else "")


def import_xliff(
    *,
    session: Session,
    actor: Person,
    data: bytes,
    filename: str,
    report: Report,
    acknowledge_warnings: bool = False,
) -> XliffImportSummary:
    """Save an XLIFF file's translations, all or nothing; skip sections changed since export."""
    require(session, actor, Action.edit_translation, report.id)
    store = _read_store(data, filename)
    language = _check_header(store, report=report, filename=filename)
    problems: list[str | Msg] = []
    by_code = {s.code: s for s in list_sections(session, report.id)}
    grouped: dict[str, list[_FileUnit]] = {}
    for code, unit in _units(store, problems):
        if code not in by_code:
            problems.append(
                Msg(
                    "the unit {unit} names section {code}, which the report '{slug}' does "
                    "not have.",
                    unit=unit.unit_id,
                    code=code,
                    slug=report.slug,
                )
            )
            continue
        grouped.setdefault(code, []).append(unit)
    if not grouped and not problems:
        raise _refuse(filename, Msg("it holds no units to import."))
    summary = XliffImportSummary(language=language)
    items: list[translations.TranslationSave] = []
    for code, section in by_code.items():
        units = grouped.get(code)
        if not units:
            continue
        item = _section_item(session, section, units, language, summary, problems)
        if item is not None:
            items.append(item)
    if problems:
        raise ImportFailed(
            "{filename} was not imported; nothing was saved. Fix these and import it again:",
            [*problems],
            filename=filename,
        )
    if items:
        translations.save_translations(
            session=session,
            actor=actor,
            items=items,
            acknowledge_warnings=acknowledge_warnings,
            origin="xliff",
        )
    return summary


def _section_item(
    session: Session,
    section: Section,
    units: list[_FileUnit],
    language: str,
    summary: XliffImportSummary,
    problems: list[str | Msg],
) -> translations.TranslationSave | None:
    """Check one section's units; return what to save, or None (noting why in the summary)."""
    head = session.get(SectionRevision, section.head_revision_id or -1)
    if head is None:
        problems.append(Msg("section {code} has no text to translate.", code=section.code))
        return None
    revisions = {u.revision for u in units}
    if len(revisions) != 1:
        problems.append(
            Msg(
                "the units of section {code} were exported from different revisions.",
                code=section.code,
            )
        )
        return None
    number = revisions.pop()
    exported = (
        head
        if number is None
        else session.exec(
            select(SectionRevision).where(
                SectionRevision.section_id == section.id, SectionRevision.number == number
            )
        ).first()
    )
    if exported is None:
        problems.append(
            Msg(
                "section {code} has no revision {number}; the file was not exported from "
                "this workspace.",
                code=section.code,
                number=number,
            )
        )
        return None
    source = translations.paragraphs(exported.text)
    units.sort(key=lambda u: u.number)
    beyond = [u.unit_id for u in units if u.number > len(source)]
    if beyond:
        problems.append(
            Msg(
                "the units {units} do not exist: section {code} had {count} paragraphs in "
                "revision {number}.",
                units=_listing(beyond),
                code=section.code,
                count=len(source),
                number=exported.number,
            )
        )
        return None
    present = {u.number for u in units}
    missing = [unit_id(section.code, n) for n in range(1, len(source) + 1) if n not in present]
    if missing:
        problems.append(
            Msg(
                "the units {units} of section {code} are missing from the file.",
                units=_listing(missing),
                code=section.code,
            )
        )
        return None
    altered = [
        u.unit_id
        for u in units
        if (u.source_hash or source_hash(u.source)) != source_hash(source[u.number - 1])
    ]
    if altered:
        problems.append(
            Msg(
                "the source text of {units} differs from revision {number} of section {code}; "
                "export the file again.",
                units=_listing(altered),
                number=exported.number,
                code=section.code,
            )
        )
        return None
    if exported.id != head.id:
        now = translations.paragraphs(head.text)
        changed = [u.unit_id for u in units if u.number > len(now) or now[u.number - 1] != u.source]
        if len(now) > len(source):
            changed += [unit_id(section.code, n) for n in range(len(source) + 1, len(now) + 1)]
        if changed:
            summary.skipped.append(
                SkippedSection(
                    code=section.code,
                    title=section.title,
                    exported_revision=exported.number,
                    current_revision=head.number,
                    units=changed,
                )
            )
            return None
    targets = [u.target.strip() for u in units]
    if not any(targets):
        summary.untranslated.append(section.code)
        return None
    current = translations.translation_for(session, section_id=section.id, language=language)
    empty = [u.unit_id for u, t in zip(units, targets, strict=True) if not t]
    if empty:
        # A stale translation is exported with the paragraphs that still align filled in;
        # a translator who left such a section alone has not half-translated it.
        given = _aligned_targets(session, current, exported, source)
        if all(t == (g[0].strip() if g else "") for t, g in zip(targets, given, strict=True)):
            summary.unchanged.append(section.code)
            return None
        problems.append(
            Msg(
                "the units {units} of section {code} have no translation; translate every "
                "paragraph of a section, or leave the whole section empty.",
                units=_listing(empty),
                code=section.code,
            )
        )
        return None
    text = translations.join_paragraphs(targets)
    if current is not None and current.text == text:
        summary.unchanged.append(section.code)
        return None
    versions = {u.translation_version for u in units}
    recorded = versions.pop() if len(versions) == 1 else None
    base_version = recorded if recorded is not None else (current.version if current else 0)
    summary.updated.append(section.code)
    return translations.TranslationSave(
        section=section,
        language=language,
        text=text,
        base_version=base_version,
        source_revision_id=head.id,
    )
