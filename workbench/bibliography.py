"""Bibliographies in and out: BibTeX, RIS and CSL-JSON, all read into CSL-JSON records.

Terms used here:

- A **record** is one CSL-JSON item, a plain dict: ``id`` (its citation key),
  ``type`` (a CSL type such as ``article-journal``), ``title``, ``author`` /
  ``editor`` / ``translator`` as lists of names (``{"family": …, "given": …}``
  for a person, ``{"literal": …}`` for an organisation), ``issued``
  (``{"date-parts": [[year, month, day]]}``), ``container-title``,
  ``publisher``, ``DOI``, ``URL``, ``language``, ``volume``, ``issue``,
  ``page``, ``citation-label`` (the source's short label for in-text
  citations, "EU"; BibTeX's ``shorthand``, which also holds the year,
  "EU 2024"), …
- A **citation key** is the name a text cites a record by, as in ``[@anker2017]``:
  letters, digits and ``_``, with the punctuation ``:.#$%&-+?<>~/`` allowed
  inside (pandoc's rule).
- A **parsed entry** (:class:`ParsedEntry`) is a record with the place in the
  file it came from (a line for BibTeX and RIS, a position for CSL-JSON), so
  that problems found later can point there.

Reading is all or nothing: every parser checks the whole file and raises
:class:`~workbench.errors.ImportFailed` listing each problem with its line or
position ("Line 12: entry 'smith2020' has no title").

Limits (:mod:`workbench.limits`), so that a hostile file cannot exhaust the
server: a file of at most :data:`~workbench.limits.MAX_BIBLIOGRAPHY_BYTES`;
every value at most :data:`~workbench.limits.MAX_TEXT_CHARS` characters (a
title or DOI at most what its column holds), with no control character other
than tab and newline; BibTeX ``@string`` abbreviations checked as they expand,
per value and at most :data:`~workbench.limits.MAX_MACRO_EXPANSION_CHARS` added
characters per file (abbreviations built from abbreviations grow
exponentially); a CSL-JSON record nested at most
:data:`~workbench.limits.MAX_CSL_DEPTH` levels deep. Text values come out as
plain Unicode with LaTeX decoded, protective braces dropped and runs of
whitespace collapsed to one space. A family name includes its particles
("van der Berg"). Writing is lossy only for fields the target format has no
place for.

No database here: ``workbench.sources`` stores what this module reads.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bibtexparser
import rispy
from bibtexparser.library import Library
from bibtexparser.middlewares import (
    LatexDecodingMiddleware,
    MonthIntMiddleware,
    SeparateCoAuthors,
    SplitNameParts,
)
from bibtexparser.middlewares.names import InvalidNameError, NameParts
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    MiddlewareErrorBlock,
    ParsingFailedBlock,
    String,
)
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from rispy.writer import RisWriter

from workbench.errors import ImportFailed, ValidationError
from workbench.i18n import Msg, format_number
from workbench.limits import (
    MAX_BIBLIOGRAPHY_BYTES,
    MAX_CSL_DEPTH,
    MAX_MACRO_EXPANSION_CHARS,
    MAX_TEXT_CHARS,
    column_limit,
    field_limit,
    text_problem,
)
from workbench.models import Source
from workbench.words import blank

# The splitter logs a warning for every broken block; read_bibtex reports them itself.
logging.getLogger("bibtexparser.splitter").setLevel(logging.ERROR)

#: The largest bibliography file read (the name pages and tests use).
MAX_IMPORT_BYTES = MAX_BIBLIOGRAPHY_BYTES

#: File extensions and the format each one means.
FORMATS_BY_EXTENSION: dict[str, str] = {
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".ris": "ris",
    ".json": "csljson",
}
EXPORT_FORMATS = ("csljson", "bibtex", "ris")

#: Every item type of CSL 1.0.2.
CSL_TYPES = frozenset(
    {
        "article",
        "article-journal",
        "article-magazine",
        "article-newspaper",
        "bill",
        "book",
        "broadcast",
        "chapter",
        "classic",
        "collection",
        "dataset",
        "document",
        "entry",
        "entry-dictionary",
        "entry-encyclopedia",
        "event",
        "figure",
        "graphic",
        "hearing",
        "interview",
        "legal_case",
        "legislation",
        "manuscript",
        "map",
        "motion_picture",
        "musical_score",
        "pamphlet",
        "paper-conference",
        "patent",
        "performance",
        "periodical",
        "personal_communication",
        "post",
        "post-weblog",
        "regulation",
        "report",
        "review",
        "review-book",
        "software",
        "song",
        "speech",
        "standard",
        "thesis",
        "treaty",
        "webpage",
    }
)

#: Type names other tools write in "CSL-JSON" (Crossref, older Zotero) and the CSL type meant.
_CSL_TYPE_ALIASES = {
    "journal-article": "article-journal",
    "book-chapter": "chapter",
    "book-section": "chapter",
    "proceedings-article": "paper-conference",
    "dissertation": "thesis",
    "posted-content": "article",
    "monograph": "book",
    "edited-book": "book",
    "reference-entry": "entry",
    "web-page": "webpage",
}

_NAME_FIELDS = ("author", "editor", "translator")

# --------------------------------------------------------------------------- small helpers

_KEY = re.compile(r"\w(?:[\w:.#$%&\-+?<>~/]*\w)?")
_KEY_CHARS = ": . # $ % & - + ? < > ~ /"
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi\.org/|doi:\s*)", re.IGNORECASE)

_LANGUAGE_NAMES = {
    "english": "en",
    "american": "en-US",
    "british": "en-GB",
    "french": "fr",
    "spanish": "es",
    "castilian": "es",
    "german": "de",
    "ngerman": "de",
    "portuguese": "pt",
    "portuges": "pt",
    "brazilian": "pt-BR",
    "brazil": "pt-BR",
    "italian": "it",
    "dutch": "nl",
    "chinese": "zh",
    "mandarin": "zh",
    "japanese": "ja",
    "korean": "ko",
    "arabic": "ar",
    "russian": "ru",
    "ukrainian": "uk",
    "polish": "pl",
    "turkish": "tr",
    "hindi": "hi",
    "bengali": "bn",
    "urdu": "ur",
    "persian": "fa",
    "farsi": "fa",
    "hebrew": "he",
    "greek": "el",
    "swedish": "sv",
    "norwegian": "no",
    "danish": "da",
    "finnish": "fi",
    "indonesian": "id",
    "vietnamese": "vi",
    "thai": "th",
    "swahili": "sw",
}
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def normalise_space(text: str) -> str:
    """Return text with every run of whitespace (newlines included) made one space."""
    return " ".join(text.split())


def normalise_doi(doi: str | None) -> str:
    """Return a DOI in the form used to compare DOIs: no resolver prefix, lower case."""
    if not doi:
        return ""
    return _DOI_PREFIX.sub("", doi.strip()).strip().lower()


def _clean_doi(doi: str) -> str:
    return _DOI_PREFIX.sub("", doi.strip()).strip()


def citation_key_ok(key: str) -> bool:
    """Return True when a key can be cited as ``[@key]`` (pandoc's rules; 200 chars at most)."""
    return isinstance(key, str) and 0 < len(key) <= 200 and _KEY.fullmatch(key) is not None


def key_problem(key: str) -> Msg:
    """Return why a citation key cannot be used, in words a person can act on.

    The message completes a sentence whose subject is the entry or source ("This source
    has no key").
    """
    if not key:
        return Msg("has no key")
    if len(key) > 200:
        return Msg("has a key of {count} characters (200 at most)", count=len(key))
    return Msg(
        "has the key '{key}', which cannot be cited in a text: a key is made of letters, "
        "digits and _, with {characters} allowed only inside it",
        key=key,
        characters=_KEY_CHARS,
    )


def language_code(value: str | None) -> str:
    """Return a language tag ('en', 'pt-BR') for a language name or tag; '' when unknown."""
    text = normalise_space(value or "")
    if not text:
        return ""
    if _LANGUAGE_TAG.fullmatch(text):
        primary, _, rest = text.partition("-")
        return (primary.lower() + ("-" + rest if rest else ""))[:20]
    return _LANGUAGE_NAMES.get(text.lower(), "")


def name_text(name: dict[str, Any]) -> str:
    """Return one CSL name as a person reads it in a list: 'Family, Given' or the literal."""
    if name.get("literal"):
        return str(name["literal"])
    family = " ".join(str(p) for p in (name.get("non-dropping-particle"), name.get("family")) if p)
    given = " ".join(str(p) for p in (name.get("given"), name.get("dropping-particle")) if p)
    if family and given:
        return f"{family}, {given}"
    return family or given


def record_year(record: dict[str, Any]) -> int | None:
    """Return the year a record was issued, or None."""
    issued = record.get("issued")
    if not isinstance(issued, dict):
        return None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        first = parts[0][0]
        if isinstance(first, str) and re.fullmatch(r"-?[0-9]{1,4}", first.strip()):
            first = int(first.strip())
        if isinstance(first, int) and not isinstance(first, bool) and -9999 <= first <= 9999:
            return first
        return None
    for field in ("raw", "literal"):
        match = re.search(r"\b(\d{4})\b", str(issued.get(field) or ""))
        if match:
            return int(match.group(1))
    return None


def record_summary(record: dict[str, Any]) -> tuple[str, str, int | None, str | None]:
    """Return (title, authors, year, normalised DOI or None) for a record's search columns."""
    title = normalise_space(str(record.get("title") or ""))
    names = record.get("author") or record.get("editor") or []
    authors = "; ".join(name_text(n) for n in names if isinstance(n, dict))
    doi = normalise_doi(str(record.get("DOI") or "")) or None
    return title, authors, record_year(record), doi


# --------------------------------------------------------------------------- parsed entries


@dataclass(frozen=True)
class ParsedEntry:
    """A record read from a file, with where it was: ``line`` (BibTeX, RIS) or ``position``."""

    record: dict[str, Any]
    position: int
    line: int | None = None

    @property
    def key(self) -> str:
        """Return the record's citation key."""
        return str(self.record.get("id", ""))

    @property
    def label(self) -> Msg:
        """Return how a message names this entry: "Entry 'smith2020' (line 12)"."""
        if self.line is not None:
            return Msg("Entry '{key}' (line {line})", key=self.key, line=self.line)
        return Msg("Entry '{key}' (item {position})", key=self.key, position=self.position)


def _failed(filename: str, problems: list[Msg]) -> ImportFailed:
    count = len(problems)
    if count == 1:
        return ImportFailed(
            "{file} could not be imported (1 problem); nothing was imported. "
            "Correct the file and import it again.",
            list(problems),
            file=filename,
        )
    return ImportFailed(
        "{file} could not be imported ({count} problems); nothing was imported. "
        "Correct the file and import it again.",
        list(problems),
        file=filename,
        count=count,
    )


def _no_entries(filename: str, what: Msg) -> ImportFailed:
    return ImportFailed(
        "{file} contains no {what}; nothing was imported.", file=filename, what=what
    )


# --------------------------------------------------------------------------- BibTeX: reading

#: BibTeX / biblatex entry types and the CSL type each one becomes.
BIBTEX_TO_CSL: dict[str, str] = {
    "article": "article-journal",
    "book": "book",
    "mvbook": "book",
    "booklet": "pamphlet",
    "collection": "book",
    "mvcollection": "book",
    "proceedings": "book",
    "mvproceedings": "book",
    "reference": "book",
    "periodical": "periodical",
    "inbook": "chapter",
    "bookinbook": "chapter",
    "suppbook": "chapter",
    "incollection": "chapter",
    "suppcollection": "chapter",
    "inreference": "entry-encyclopedia",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "manual": "report",
    "techreport": "report",
    "report": "report",
    "mastersthesis": "thesis",
    "phdthesis": "thesis",
    "thesis": "thesis",
    "misc": "document",
    "unpublished": "manuscript",
    "dataset": "dataset",
    "data": "dataset",
    "online": "webpage",
    "electronic": "webpage",
    "www": "webpage",
    "software": "software",
    "patent": "patent",
    "standard": "standard",
    "legislation": "legislation",
    "law": "legislation",
    "legal": "legislation",
    "jurisdiction": "legal_case",
    "interview": "interview",
    "letter": "personal_communication",
}

_ARTICLE_TYPES = frozenset({"article-journal", "article-magazine", "article-newspaper", "article"})
# Fields written and read without LaTeX: biblatex treats them as verbatim.
_VERBATIM_FIELDS = frozenset({"doi", "url", "eprint", "file", "pdf"})
_MONTH_MACROS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}
_MACRO_NAME = re.compile(r"[^\s\"#%'(),={}0-9][^\s\"#%'(),={}]*")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_VERBATIM_ESCAPE = re.compile(r"\\([_%&#$])")
_LATEX_ACTIVE = re.compile(r"[\\{}~%$]|--|''|``|[!?]`")
_LATEX_MACRO = re.compile(r"[\\~%$]|--|''|``|[!?]`")


class _BadValue(Exception):
    """A field value that cannot be resolved; the message says why."""


class _Expansion:
    """What ``@string`` abbreviations have added to a file's text, and the ones refused."""

    def __init__(self) -> None:
        self.added = 0
        self.refused: set[str] = set()


class _ExpansionExhausted(Exception):
    """The file's abbreviations have expanded past MAX_MACRO_EXPANSION_CHARS in all."""


def _split_concatenation(value: str) -> list[str]:
    """Split a raw BibTeX value on the ``#`` outside braces and quotes."""
    parts: list[str] = []
    depth = 0
    in_quotes = False
    start = 0
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise _BadValue(Msg("has a '}}' without its '{{'"))
        elif ch == '"' and depth == 0:
            in_quotes = not in_quotes
        elif ch == "#" and depth == 0 and not in_quotes:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    if depth != 0:
        raise _BadValue(Msg("has unbalanced braces"))
    if in_quotes:
        raise _BadValue(Msg("has an unclosed quote"))
    parts.append(value[start:])
    return parts


def _resolve_value(value: str, macros: dict[str, str], expansion: _Expansion) -> str:
    """Return the text of a raw BibTeX value: quotes, braces, macros and ``#`` resolved.

    The length is checked before each piece is added, so an abbreviation that
    would make the value longer than any column holds is refused before the
    text is built; what abbreviations add counts against the file's allowance.
    """
    pieces = []
    length = 0
    added = 0
    for raw_part in _split_concatenation(value):
        part = raw_part.strip()
        if not part:
            raise _BadValue(Msg("is empty or has a '#' with nothing on one side"))
        if (part[0] == "{" and part[-1] == "}") or (part[0] == '"' and part[-1] == '"'):
            if len(part) < 2:
                raise _BadValue(Msg("has an unclosed quote"))
            piece = part[1:-1]
        elif part.isdecimal() and part.isascii():
            piece = part
        elif _MACRO_NAME.fullmatch(part):
            name = part.lower()
            if name in macros:
                piece = macros[name]
                added += len(piece)
            elif name in expansion.refused:
                raise _BadValue(
                    Msg("uses the abbreviation '{name}', whose @string was refused", name=part)
                )
            elif name in _MONTH_MACROS:
                piece = _MONTH_MACROS[name]
            else:
                raise _BadValue(
                    Msg("uses the abbreviation '{name}', which no @string defines", name=part)
                )
        else:
            raise _BadValue(Msg("must be in braces or quotes (found: {found})", found=part[:40]))
        length += len(piece)
        if length > MAX_TEXT_CHARS and added:
            raise _BadValue(
                Msg(
                    "expands to more than {limit} characters through its "
                    "@string abbreviations, more than any value may hold",
                    limit=format_number(MAX_TEXT_CHARS),
                )
            )
        pieces.append(piece)
    if length > MAX_TEXT_CHARS:  # pieces written out in the file: no longer than the file
        raise _BadValue(
            Msg(
                "is {length} characters long; at most {limit} fit",
                length=format_number(length),
                limit=format_number(MAX_TEXT_CHARS),
            )
        )
    expansion.added += added
    if expansion.added > MAX_MACRO_EXPANSION_CHARS:
        raise _ExpansionExhausted
    return "".join(pieces)


def _fully_braced(token: str) -> bool:
    """Return True when a token is one brace group, as ``{International Labour Organization}``."""
    if len(token) < 2 or token[0] != "{" or token[-1] != "}":
        return False
    depth = 0
    i = 0
    while i < len(token):
        ch = token[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and i != len(token) - 1:
                return False
        i += 1
    return depth == 0


class _Decoder(LatexDecodingMiddleware):
    """LaTeX decoding that skips plain text and reads a stray ``%`` as a percent sign.

    A ``%`` in a bibliography value is never meant as a LaTeX comment, and
    decoding text with no LaTeX in it is the slow part of reading a large file.
    """

    def __init__(self) -> None:
        context = get_default_latex_context_db()
        context.add_context_category(
            "workbench-bibliography",
            prepend=True,
            macros=[
                MacroTextSpec("url", simplify_repl="%s"),
                MacroTextSpec("textasciicircum", simplify_repl="^"),
                MacroTextSpec("textasciitilde", simplify_repl="~"),
                MacroTextSpec("textbackslash", simplify_repl="\\"),
            ],
        )
        super().__init__(
            decoder=LatexNodes2Text(
                latex_context=context, keep_braced_groups=False, math_mode="verbatim"
            )
        )

    def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
        if not _LATEX_ACTIVE.search(python_string):
            return python_string, ""
        if not _LATEX_MACRO.search(python_string):
            # Only grouping braces ({UNICEF}, {B}razil): dropping them is all LaTeX would do.
            return python_string.replace("{", "").replace("}", ""), ""
        return super()._transform_python_value_string(_UNESCAPED_PERCENT.sub(r"\\%", python_string))


_SEPARATE_NAMES = SeparateCoAuthors(name_fields=_NAME_FIELDS)
_SPLIT_NAMES = SplitNameParts(name_fields=_NAME_FIELDS)
_DECODE = _Decoder()
_MONTHS = MonthIntMiddleware()


@dataclass
class _BibEntry:
    key: str
    entry_type: str
    line: int
    fields: dict[str, Any]


def _abort_problem(block: ParsingFailedBlock, text: str) -> Msg:
    line = (block.start_line or 0) + 1
    raw = block.raw or ""
    match = re.match(r"@\s*(\w+)\s*[{(]\s*([^,\s{}()=\"]*)", raw)
    kind = match.group(1).lower() if match else ""
    what = Msg("entry '{key}'", key=match.group(2)) if match and match.group(2) else Msg("an entry")
    if kind in ("string", "preamble", "comment"):
        what = Msg("an @{kind} block", kind=kind)
    error = block.error
    reason = getattr(error, "abort_reason", "") or str(error)
    end_index = getattr(error, "end_index", None)
    stop: Msg | str = (
        Msg(" (reading stopped at line {line})", line=text.count(chr(10), 0, end_index) + 1)
        if end_index
        else ""
    )
    if "end of file" in reason:
        return Msg(
            "Line {line}: unbalanced braces in {what}: it is never closed (a '}}' is missing)",
            line=line,
            what=what,
        )
    if "closing `}`" in reason or "closing bracket" in reason:
        return Msg(
            "Line {line}: unbalanced braces in {what}: a '}}' is missing{stop}",
            line=line,
            what=what,
            stop=stop,
        )
    if 'closing `"`' in reason:
        return Msg(
            "Line {line}: unclosed quote in {what}: a '\"' is missing{stop}",
            line=line,
            what=what,
            stop=stop,
        )
    if "Expected a `=`" in reason or "Expected equals" in reason:
        return Msg(
            "Line {line}: {what} has a field without '= value'{stop}",
            line=line,
            what=what,
            stop=stop,
        )
    if "comma after entry key" in reason:
        return Msg("Line {line}: {what}: the key must be followed by a comma", line=line, what=what)
    if "after a closed entry field value" in reason:
        return Msg(
            "Line {line}: {what}: a comma is missing between two fields{stop}",
            line=line,
            what=what,
            stop=stop,
        )
    return Msg(
        "Line {line}: {what} is not valid BibTeX ({reason})",
        line=line,
        what=what,
        reason=normalise_space(reason),
    )


def _middleware_problem(block: MiddlewareErrorBlock, key: str, line: int) -> Msg:
    error = block.error
    if isinstance(error, InvalidNameError):
        return Msg(
            "Line {line}: entry '{key}': the name '{name}' cannot be read ({reason})",
            line=line,
            key=key,
            name=error.name,
            reason=error.reason,
        )
    return Msg(
        "Line {line}: entry '{key}' could not be decoded ({reason})",
        line=line,
        key=key,
        reason=normalise_space(str(error))[:200],
    )


def _decode_entry(entry: Entry, library: Library) -> Entry:
    """Run the name, LaTeX and month middlewares on one entry; raise _BadValue on failure."""
    block: Any = _SEPARATE_NAMES.transform_block(entry, library)
    if isinstance(block, Entry):
        block = _SPLIT_NAMES.transform_block(block, library)
    if not isinstance(block, Entry):
        raise _BadValue(block)
    corporate: dict[str, set[int]] = {}
    for field in block.fields:
        if field.key in _NAME_FIELDS and isinstance(field.value, list):
            corporate[field.key] = {
                i
                for i, parts in enumerate(field.value)
                if isinstance(parts, NameParts)
                and not (parts.first or parts.von or parts.jr)
                and len(parts.last) == 1
                and _fully_braced(parts.last[0])
            }
    verbatim = [f for f in block.fields if f.key in _VERBATIM_FIELDS]
    block.fields = [f for f in block.fields if f.key not in _VERBATIM_FIELDS]
    block = _DECODE.transform_block(block, library)
    if not isinstance(block, Entry):
        raise _BadValue(block)
    block.fields = block.fields + verbatim
    block = _MONTHS.transform_block(block, library)
    if not isinstance(block, Entry):
        raise _BadValue(block)
    block.set_parser_metadata("workbench_corporate", corporate)
    return block


def _latex_text(words: list[str]) -> str:
    """Return name words as plain text (the decoding middleware skips lists of names)."""
    text, error = _DECODE._transform_python_value_string(" ".join(words))
    if error:
        raise _BadValue(
            Msg(
                "the name '{name}' cannot be decoded ({reason})", name=" ".join(words), reason=error
            )
        )
    return normalise_space(text)


def _csl_name_from_parts(parts: NameParts, corporate: bool) -> dict[str, str] | None:
    if corporate:
        literal = _latex_text(parts.last)
        return {"literal": literal} if literal else None
    family = _latex_text(parts.von + parts.last)
    given = _latex_text(parts.first)
    suffix = _latex_text(parts.jr)
    if not family:
        family, given = given, ""
    if not family:
        return None
    name = {"family": family}
    if given:
        name["given"] = given
    if suffix:
        name["suffix"] = suffix
    return name


def _plain_fields(entry: Entry) -> dict[str, Any]:
    corporate = entry.get_parser_metadata("workbench_corporate") or {}
    fields: dict[str, Any] = {}
    for field in entry.fields:
        value = field.value
        if field.key in _NAME_FIELDS and isinstance(value, list):
            names = [
                _csl_name_from_parts(parts, i in corporate.get(field.key, set()))
                for i, parts in enumerate(value)
                if isinstance(parts, NameParts)
            ]
            fields[field.key] = [n for n in names if n]
        elif field.key in _VERBATIM_FIELDS:
            fields[field.key] = normalise_space(_VERBATIM_ESCAPE.sub(r"\1", str(value)))
        elif isinstance(value, int):
            fields[field.key] = value
        else:
            fields[field.key] = normalise_space(str(value))
    return fields


def _date_parts(text: str) -> list[int] | None:
    match = re.match(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?", text.strip())
    if not match:
        return None
    parts = [int(match.group(1))]
    for group in (match.group(2), match.group(3)):
        if group is None or not 1 <= int(group) <= 31:
            break
        parts.append(int(group))
    if len(parts) > 1 and parts[1] > 12:
        parts = parts[:1]
    return parts


def _bibtex_issued(fields: dict[str, Any]) -> dict[str, Any] | None:
    date = str(fields.get("date") or "")
    if date:
        parts = _date_parts(date)
        return {"date-parts": [parts]} if parts else {"literal": date}
    year = str(fields.get("year") or "")
    if not year:
        return None
    match = re.match(r"^(\d{4})(?!\d)", year)  # "2019a" is 2019
    if not match:
        return {"literal": year}
    parts = [int(match.group(1))]
    month = fields.get("month")
    if isinstance(month, int) and 1 <= month <= 12:
        parts.append(month)
    return {"date-parts": [parts]}


def _page_range(pages: str) -> str:
    return re.sub(r"\s*[–—-]+\s*", "-", pages)


def _bibtex_record(entry: _BibEntry) -> dict[str, Any]:
    f = entry.fields
    csl_type = BIBTEX_TO_CSL.get(entry.entry_type, "document")
    record: dict[str, Any] = {"id": entry.key, "type": csl_type, "title": f.get("title", "")}
    for name_field in _NAME_FIELDS:
        if f.get(name_field):
            record[name_field] = f[name_field]
    issued = _bibtex_issued(f)
    if issued:
        record["issued"] = issued
    container = f.get("journal") or f.get("journaltitle") or f.get("booktitle")
    if container:
        record["container-title"] = container
    if f.get("series"):
        record["collection-title"] = f["series"]
    publisher = f.get("publisher") or f.get("institution") or f.get("school")
    publisher = publisher or f.get("organization")
    if publisher:
        record["publisher"] = publisher
    place = f.get("address") or f.get("location")
    if place:
        record["publisher-place"] = place
    if f.get("volume"):
        record["volume"] = str(f["volume"])
    number = f.get("number") or f.get("issue")
    if number:
        record["issue" if csl_type in _ARTICLE_TYPES else "number"] = str(number)
    if f.get("pages"):
        record["page"] = _page_range(str(f["pages"]))
    if f.get("edition"):
        record["edition"] = str(f["edition"])
    if f.get("doi"):
        record["DOI"] = _clean_doi(f["doi"])
    if f.get("url"):
        record["URL"] = f["url"]
    if f.get("isbn"):
        record["ISBN"] = f["isbn"]
    if f.get("issn"):
        record["ISSN"] = f["issn"]
    language = f.get("langid") or f.get("language")
    if language:
        record["language"] = language_code(language) or language
    if f.get("type"):
        record["genre"] = f["type"]
    if f.get("shorthand"):
        record["citation-label"] = f["shorthand"]  # workbench.sources takes the year off
    for source, target in (("abstract", "abstract"), ("keywords", "keyword"), ("note", "note")):
        if f.get(source):
            record[target] = f[source]
    how = str(f.get("howpublished") or "")
    if re.fullmatch(r"https?://\S+", how) and "URL" not in record:
        record["URL"] = how  # @misc entries often give their web address here
    elif how and "note" not in record:
        record["note"] = how
    if f.get("urldate"):
        parts = _date_parts(str(f["urldate"]))
        if parts:
            record["accessed"] = {"date-parts": [parts]}
    return record


def _inherit_crossref(child: _BibEntry, parent: _BibEntry) -> None:
    """Give a child entry the fields it lacks from the entry it crossrefs (BibTeX's rule).

    The parent's title becomes the child's book title, as for an
    ``@inproceedings`` inside ``@proceedings``.
    """
    for name, value in parent.fields.items():
        if name in ("crossref", "title", "ids", "key"):
            continue
        child.fields.setdefault(name, value)
    if parent.fields.get("title"):
        child.fields.setdefault("booktitle", parent.fields["title"])


def read_bibtex(text: str, filename: str = "references.bib") -> list[ParsedEntry]:
    """Read a BibTeX file into records with their lines; raise ImportFailed listing all problems."""
    try:
        library = bibtexparser.parse_string(text, parse_stack=[])
    except Exception as exc:  # the splitter's own bugs must reach the user as a message
        raise ImportFailed(
            "{file} could not be read as BibTeX ({reason}); nothing was imported.",
            file=filename,
            reason=normalise_space(str(exc))[:200],
        ) from exc
    problems: list[Msg] = []
    macros: dict[str, str] = {}
    expansion = _Expansion()

    def exhausted(where: Msg) -> ImportFailed:
        return _failed(
            filename,
            [
                Msg(
                    "{where}: the file's @string abbreviations expand to more than "
                    "{limit} characters in all; reading stopped here",
                    where=where,
                    limit=format_number(MAX_MACRO_EXPANSION_CHARS),
                )
            ],
        )

    raw_entries: list[tuple[Entry, int]] = []
    entry_lines: dict[str, int] = {}
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            original = block.ignore_error_block
            if isinstance(original, String):
                block = original  # a redefined @string: the later definition wins
            else:
                first = (block.previous_block.start_line or 0) + 1
                problems.append(
                    Msg(
                        "Line {line}: the key '{key}' is used twice in the file "
                        "(lines {first} and {line})",
                        line=line,
                        key=block.key,
                        first=first,
                    )
                )
                continue
        if isinstance(block, DuplicateFieldKeyBlock):
            key = getattr(block.ignore_error_block, "key", "")
            dup = ", ".join(sorted(block.duplicate_keys))
            problems.append(
                Msg(
                    "Line {line}: entry '{key}' has the field '{field}' twice",
                    line=line,
                    key=key,
                    field=dup,
                )
            )
            continue
        if isinstance(block, ParsingFailedBlock):
            problems.append(_abort_problem(block, text))
            continue
        if isinstance(block, String):
            name = block.key.strip().lower()
            try:
                macros[name] = _resolve_value(str(block.value), macros, expansion)
                expansion.refused.discard(name)
            except _BadValue as exc:
                macros.pop(name, None)
                expansion.refused.add(name)
                problems.append(
                    Msg(
                        "Line {line}: the @string '{name}' {problem}",
                        line=line,
                        name=block.key,
                        problem=exc.args[0],
                    )
                )
            except _ExpansionExhausted:
                raise exhausted(
                    Msg("Line {line}: the @string '{name}'", line=line, name=block.key)
                ) from None
            continue
        if isinstance(block, Entry):
            raw_entries.append((block, line))
            entry_lines[block.key] = line

    empty = Library()
    entries: list[_BibEntry] = []
    for block, line in raw_entries:
        key = block.key
        if not citation_key_ok(key):
            problems.append(
                Msg(
                    "Line {line}: an @{type} entry {problem}",
                    line=line,
                    type=block.entry_type,
                    problem=key_problem(key),
                )
            )
            continue
        entry_problems: list[Msg] = []
        seen_fields: set[str] = set()
        for field in block.fields:
            field.key = field.key.strip().lower()
            if field.key in seen_fields:
                entry_problems.append(
                    Msg(
                        "Line {line}: entry '{key}' has the field '{field}' twice",
                        line=line,
                        key=key,
                        field=field.key,
                    )
                )
                continue
            seen_fields.add(field.key)
            try:
                field.value = _resolve_value(str(field.value), macros, expansion).strip()
            except _BadValue as exc:
                entry_problems.append(
                    Msg(
                        "Line {line}: in entry '{key}', the field '{field}' {problem}",
                        line=(field.start_line or 0) + 1,
                        key=key,
                        field=field.key,
                        problem=exc.args[0],
                    )
                )
            except _ExpansionExhausted:
                line_here = (field.start_line or 0) + 1
                raise exhausted(
                    Msg(
                        "Line {line}: in entry '{key}', the field '{field}'",
                        line=line_here,
                        key=key,
                        field=field.key,
                    )
                ) from None
        if entry_problems:
            problems.extend(entry_problems)
            continue
        try:
            fields = _plain_fields(_decode_entry(block, empty))
        except _BadValue as exc:
            failed = exc.args[0]
            if isinstance(failed, MiddlewareErrorBlock):
                problems.append(_middleware_problem(failed, key, line))
            else:
                problems.append(
                    Msg("Line {line}: entry '{key}': {problem}", line=line, key=key, problem=failed)
                )
            continue
        except Exception as exc:  # a middleware failing on odd input names the entry
            problems.append(
                Msg(
                    "Line {line}: entry '{key}' could not be read ({reason})",
                    line=line,
                    key=key,
                    reason=normalise_space(str(exc))[:200] or type(exc).__name__,
                )
            )
            continue
        entries.append(_BibEntry(key, block.entry_type, line, fields))

    by_key = {e.key.lower(): e for e in entries}
    failed_keys = {k.lower() for k in entry_lines} - set(by_key)
    for entry in entries:
        target = str(entry.fields.get("crossref") or "")
        if not target:
            continue
        parent = by_key.get(target.lower())
        if parent is None:
            if target.lower() not in failed_keys:
                problems.append(
                    Msg(
                        "Line {line}: entry '{key}' refers (crossref) to '{target}', "
                        "which is not in the file",
                        line=entry.line,
                        key=entry.key,
                        target=target,
                    )
                )
            continue
        _inherit_crossref(entry, parent)

    parsed = []
    for position, entry in enumerate(entries, start=1):
        if not entry.fields.get("title"):
            problems.append(
                Msg("Line {line}: entry '{key}' has no title", line=entry.line, key=entry.key)
            )
            continue
        record = _bibtex_record(entry)
        stored = record_problems(record)
        if stored:
            problems.extend(
                Msg(
                    "Line {line}: entry '{key}': {problem}",
                    line=entry.line,
                    key=entry.key,
                    problem=p,
                )
                for p in stored
            )
            continue
        parsed.append(ParsedEntry(record, position, entry.line))
    problems.sort(key=_problem_line)
    if problems:
        raise _failed(filename, problems)
    if not parsed:
        raise _no_entries(filename, Msg("BibTeX entries (such as @article{{key, title = {{…}}}})"))
    return parsed


def _problem_line(problem: Msg) -> int:
    """Return the line a problem names (0 when it names none), to list problems in file order."""
    line = problem.params.get("line")
    if isinstance(line, int):
        return line
    where = problem.params.get("where")
    return _problem_line(where) if isinstance(where, Msg) else 0


def parse_bibtex(text: str, filename: str = "references.bib") -> list[dict[str, Any]]:
    """Return the CSL-JSON records of a BibTeX file; raise ImportFailed listing every problem."""
    return [e.record for e in read_bibtex(text, filename)]


# --------------------------------------------------------------------------- RIS: reading

RIS_TO_CSL: dict[str, str] = {
    "JOUR": "article-journal",
    "EJOUR": "article-journal",
    "JFULL": "periodical",
    "MGZN": "article-magazine",
    "NEWS": "article-newspaper",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "SER": "book",
    "CHAP": "chapter",
    "ECHAP": "chapter",
    "CONF": "paper-conference",
    "CPAPER": "paper-conference",
    "RPRT": "report",
    "GOVDOC": "report",
    "THES": "thesis",
    "DATA": "dataset",
    "DBASE": "dataset",
    "AGGR": "dataset",
    "ELEC": "webpage",
    "BLOG": "post-weblog",
    "ICOMM": "personal_communication",
    "PCOMM": "personal_communication",
    "BILL": "bill",
    "STAT": "legislation",
    "LEGAL": "regulation",
    "CASE": "legal_case",
    "HEAR": "hearing",
    "UNPB": "manuscript",
    "MANSCPT": "manuscript",
    "PAMP": "pamphlet",
    "PAT": "patent",
    "STAND": "standard",
    "COMP": "software",
    "ENCYC": "entry-encyclopedia",
    "DICT": "entry-dictionary",
    "MAP": "map",
    "GEN": "document",
}
CSL_TO_RIS: dict[str, str] = {
    "article-journal": "JOUR",
    "article": "JOUR",
    "review": "JOUR",
    "review-book": "JOUR",
    "article-magazine": "MGZN",
    "article-newspaper": "NEWS",
    "periodical": "JFULL",
    "book": "BOOK",
    "classic": "BOOK",
    "collection": "BOOK",
    "chapter": "CHAP",
    "entry": "CHAP",
    "entry-encyclopedia": "ENCYC",
    "entry-dictionary": "DICT",
    "paper-conference": "CPAPER",
    "report": "RPRT",
    "thesis": "THES",
    "dataset": "DATA",
    "webpage": "ELEC",
    "post": "ELEC",
    "post-weblog": "BLOG",
    "personal_communication": "PCOMM",
    "interview": "PCOMM",
    "bill": "BILL",
    "legislation": "STAT",
    "regulation": "LEGAL",
    "treaty": "LEGAL",
    "legal_case": "CASE",
    "hearing": "HEAR",
    "manuscript": "UNPB",
    "pamphlet": "PAMP",
    "patent": "PAT",
    "standard": "STAND",
    "software": "COMP",
    "map": "MAP",
}
_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]  -")


def _ris_name(text: str) -> dict[str, str] | None:
    """Return a CSL name for a RIS author: 'Family, Given[, Suffix]', or an organisation."""
    text = normalise_space(text)
    if not text:
        return None
    if "," not in text:
        return {"literal": text}
    family, _, rest = text.partition(",")
    given, _, suffix = rest.partition(",")
    family, given, suffix = (normalise_space(p) for p in (family, given, suffix))
    if not family:
        family, given = given, ""
    if not family:
        return None
    name = {"family": family}
    if given:
        name["given"] = given
    if suffix:
        name["suffix"] = suffix
    return name


def _ris_chunks(text: str) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """Split RIS text into references (first line, lines) and report broken structure."""
    chunks: list[tuple[int, list[str]]] = []
    problems: list[Msg] = []
    current: list[str] | None = None
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("TY  -"):
            if current is not None:
                problems.append(
                    Msg(
                        "Line {line}: the reference starting here has no end line ('ER  - ') "
                        "before the next one starts on line {next}",
                        line=start,
                        next=number,
                    )
                )
            current, start = [line], number
        elif current is not None:
            if not line.strip():
                continue  # blank lines inside a reference carry nothing
            current.append(line)
            if line.startswith("ER  -") or line.rstrip() == "ER  -":
                chunks.append((start, current))
                current = None
    if current is not None:
        problems.append(
            Msg("Line {line}: the reference starting here has no end line ('ER  - ')", line=start)
        )
    return chunks, problems


def _first(ref: dict[str, Any], *names: str) -> str:
    for name in names:
        value = ref.get(name)
        if isinstance(value, list):
            value = next((v for v in value if normalise_space(str(v))), "")
        if value and normalise_space(str(value)):
            return normalise_space(str(value))
    return ""


def _ris_record(ref: dict[str, Any], key: str) -> dict[str, Any]:
    ty = _first(ref, "type_of_reference").upper()
    record: dict[str, Any] = {
        "id": key,
        "type": RIS_TO_CSL.get(ty, "document"),
        "title": _first(ref, "title", "primary_title"),
    }
    authors = [
        n
        for n in (_ris_name(a) for a in (ref.get("first_authors", []) + ref.get("authors", [])))
        if n
    ]
    if authors:
        record["author"] = authors
    editors = [n for n in (_ris_name(a) for a in ref.get("secondary_authors", [])) if n]
    if editors:
        record["editor"] = editors
    year_text = _first(ref, "year", "publication_year")
    date_text = _first(ref, "date")
    parts = _date_parts(date_text) if date_text else None
    year_parts = _date_parts(year_text) if year_text else None
    if year_parts and (not parts or parts[0] != year_parts[0]):
        parts = year_parts
    if parts:
        record["issued"] = {"date-parts": [parts]}
    elif year_text or date_text:
        record["issued"] = {"literal": year_text or date_text}
    container = _first(
        ref, "secondary_title", "journal_name", "alternate_title3", "alternate_title2"
    )
    container = container or _first(ref, "alternate_title1")
    if container:
        record["container-title"] = container
    simple = (
        ("tertiary_title", "collection-title"),
        ("publisher", "publisher"),
        ("place_published", "publisher-place"),
        ("volume", "volume"),
        ("number", "issue"),
        ("edition", "edition"),
        ("abstract", "abstract"),
        ("notes_abstract", "abstract"),
    )
    for source, target in simple:
        value = _first(ref, source)
        if value and target not in record:
            record[target] = value
    if record["type"] not in _ARTICLE_TYPES and "issue" in record:
        record["number"] = record.pop("issue")
    start, end = _first(ref, "start_page"), _first(ref, "end_page")
    if start:
        record["page"] = f"{start}-{end}" if end and end != start else _page_range(start)
    doi = _first(ref, "doi")
    if doi:
        record["DOI"] = _clean_doi(doi)
    url = _first(ref, "urls")
    if url:
        record["URL"] = url
    language = _first(ref, "language")
    if language:
        record["language"] = language_code(language) or language
    issn = _first(ref, "issn")
    if issn:
        record["ISBN" if record["type"] in ("book", "chapter") else "ISSN"] = issn
    keywords = [normalise_space(k) for k in ref.get("keywords", []) if normalise_space(k)]
    if keywords:
        record["keyword"] = ", ".join(keywords)
    notes = [normalise_space(n) for n in ref.get("notes", []) if normalise_space(n)]
    if notes:
        record["note"] = " ".join(notes)
    return record


def read_ris(text: str, filename: str = "references.ris") -> list[ParsedEntry]:
    """Read a RIS file into records with their lines; raise ImportFailed listing every problem."""
    chunks, problems = _ris_chunks(text.lstrip("\ufeff"))
    refs: list[tuple[int, dict[str, Any]]] = []
    for line, lines in chunks:
        try:
            loaded = rispy.loads("\n".join(lines), skip_unknown_tags=True)
        except Exception as exc:  # rispy fails on some malformed lines; point at the reference
            problems.append(
                Msg(
                    "Line {line}: the reference starting here could not be read ({reason})",
                    line=line,
                    reason=normalise_space(str(exc))[:200] or type(exc).__name__,
                )
            )
            continue
        if len(loaded) != 1:
            problems.append(
                Msg("Line {line}: the reference starting here could not be read", line=line)
            )
            continue
        refs.append((line, loaded[0]))

    given_ids: dict[str, int] = {}
    for line, ref in refs:
        ref_id = _first(ref, "id")
        if not ref_id:
            continue
        if not citation_key_ok(ref_id):
            problems.append(
                Msg(
                    "Line {line}: the reference {problem} (ID  - )",
                    line=line,
                    problem=key_problem(ref_id),
                )
            )
        elif ref_id in given_ids:
            problems.append(
                Msg(
                    "Line {line}: the key '{key}' is used twice in the file "
                    "(lines {first} and {line})",
                    line=line,
                    key=ref_id,
                    first=given_ids[ref_id],
                )
            )
        else:
            given_ids[ref_id] = line

    parsed: list[ParsedEntry] = []
    taken = set(given_ids)
    for position, (line, ref) in enumerate(refs, start=1):
        ref_id = _first(ref, "id")
        key = ref_id or ""
        record = _ris_record(ref, key)
        who = Msg("reference '{key}'", key=ref_id) if ref_id else Msg("the reference starting here")
        if not record["title"]:
            problems.append(Msg("Line {line}: {who} has no title (TI  - )", line=line, who=who))
            continue
        stored = record_problems(record)
        if stored:
            problems.extend(
                Msg("Line {line}: {who}: {problem}", line=line, who=who, problem=p) for p in stored
            )
            continue
        if not ref_id:
            record["id"] = make_key(record, taken)
            taken.add(record["id"])
        parsed.append(ParsedEntry(record, position, line))
    problems.sort(key=_problem_line)
    if problems:
        raise _failed(filename, problems)
    if not parsed:
        raise _no_entries(
            filename, Msg("RIS references (each starts with 'TY  - ' and ends 'ER  - ')")
        )
    return parsed


def parse_ris(text: str, filename: str = "references.ris") -> list[dict[str, Any]]:
    """Return the CSL-JSON records of a RIS file; raise ImportFailed listing every problem."""
    return [e.record for e in read_ris(text, filename)]


_STOP_WORDS = frozenset({"a", "an", "the", "on", "of", "in", "and", "for", "to", "at", "la", "le"})


def _fold(text: str) -> str:
    """Return text reduced to key characters: accents dropped, only letters and digits kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def make_key(record: dict[str, Any], taken: Iterable[str] = ()) -> str:
    """Return a new citation key for a record (family name, year, title word), not in taken."""
    names = record.get("author") or record.get("editor") or []
    first = names[0] if names and isinstance(names[0], dict) else {}
    who = str(first.get("family") or first.get("literal") or "").split()
    name = _fold(who[-1] if first.get("family") and who else (who[0] if who else "")).lower()
    year = record_year(record)
    words = [_fold(w).lower() for w in str(record.get("title") or "").split()]
    word = next((w for w in words if w and w not in _STOP_WORDS), "")
    base = f"{name or 'ref'}{year or 'nd'}{word[:20]}"[:180]
    taken_set = set(taken)
    key, n = base, 0
    while key in taken_set:
        n += 1
        key = f"{base}{_suffix(n)}"
    return key


def _suffix(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("a") + rem) + letters
    return letters


# --------------------------------------------------------------------------- CSL-JSON: reading

_NAME_PARTS = ("family", "given", "literal", "suffix", "dropping-particle", "non-dropping-particle")
_CSL_NAME_FIELDS = (
    "author",
    "editor",
    "translator",
    "collection-editor",
    "container-author",
    "director",
    "interviewer",
    "recipient",
    "reviewed-author",
    "composer",
    "editorial-director",
    "illustrator",
    "original-author",
)
_CSL_DATE_FIELDS = ("issued", "accessed", "original-date", "event-date", "submitted")
_CSL_NUMBER_FIELDS = (
    "volume",
    "issue",
    "number",
    "page",
    "edition",
    "number-of-pages",
    "number-of-volumes",
    "chapter-number",
    "collection-number",
)


def _check_names(value: Any, field: str) -> tuple[list[dict[str, str]], Msg | None]:
    if not isinstance(value, list):
        return [], Msg("'{field}' must be a list of names", field=field)
    names = []
    for name in value:
        if not isinstance(name, dict) or not all(
            isinstance(name.get(p, ""), (str, int)) for p in _NAME_PARTS
        ):
            return [], Msg(
                "'{field}' has a name that is not {{family, given}} or {{literal}}", field=field
            )
        clean = {
            p: normalise_space(str(name[p]))
            for p in _NAME_PARTS
            if normalise_space(str(name.get(p, "")))
        }
        extra = {k: v for k, v in name.items() if k not in _NAME_PARTS}
        if not (clean.get("family") or clean.get("literal") or clean.get("given")):
            return [], Msg(
                "'{field}' has a name with neither a family name nor a literal", field=field
            )
        if not clean.get("family") and not clean.get("literal"):
            clean["family"] = clean.pop("given")
        names.append({**clean, **extra})
    return names, None


def _check_date(value: Any, field: str) -> tuple[dict[str, Any] | None, Msg | None]:
    if not isinstance(value, dict):
        return None, Msg(
            "'{field}' must be a date object such as {{\"date-parts\": [[2020, 5]]}}", field=field
        )
    date = dict(value)
    if "date-parts" in date:
        parts = date["date-parts"]
        if not isinstance(parts, list) or not parts or not all(isinstance(p, list) for p in parts):
            return None, Msg(
                "'{field}' has date-parts that are not a list of [year, month, day]", field=field
            )
        clean_parts = []
        for part in parts:
            ints = []
            for item in part[:3]:
                if isinstance(item, bool) or not isinstance(item, (int, str)):
                    return None, Msg("'{field}' has a date part that is not a number", field=field)
                text = str(item).strip()
                if not re.fullmatch(r"-?\d{1,4}", text):
                    return None, Msg(
                        "'{field}' has the date part '{part}', not a number",
                        field=field,
                        part=text[:20],
                    )
                ints.append(int(text))
            if ints:
                clean_parts.append(ints)
        if not clean_parts:
            return None, Msg("'{field}' has empty date-parts", field=field)
        date["date-parts"] = clean_parts
    elif not any(isinstance(date.get(k), (str, int)) for k in ("raw", "literal", "season")):
        return None, Msg("'{field}' has neither date-parts nor a raw or literal date", field=field)
    return date, None


def read_csljson(text: str, filename: str = "references.json") -> list[ParsedEntry]:
    """Read a CSL-JSON file (a list of records, or one) and raise ImportFailed for bad entries."""
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise _failed(
            filename,
            [
                Msg(
                    "Line {line}, column {column}: not valid JSON ({reason})",
                    line=exc.lineno,
                    column=exc.colno,
                    reason=exc.msg,
                )
            ],
        ) from exc
    except (RecursionError, ValueError) as exc:
        raise ImportFailed(
            "{file} is not JSON that can be read; nothing was imported.", file=filename
        ) from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ImportFailed(
            '{file} should hold a list of CSL-JSON records ([{{"id": …}}, …]); '
            "nothing was imported.",
            file=filename,
        )
    problems: list[Msg] = []
    parsed: list[ParsedEntry] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(
                Msg("Entry {position}: is not a record (a JSON object {{…}})", position=position)
            )
            continue
        raw_id = item.get("id")
        key = str(raw_id).strip() if isinstance(raw_id, (str, int)) and raw_id != "" else ""
        label = (
            Msg("Entry {position} ('{key}')", position=position, key=key[:200])
            if key
            else Msg("Entry {position} (no id)", position=position)
        )
        deep = _too_deep(item)
        if deep:
            problems.append(Msg("{entry}: {problem}", entry=label, problem=deep))
            continue
        entry_problems: list[Msg] = []
        if not key:
            entry_problems.append(Msg("{entry}: has no id (its citation key)", entry=label))
        elif not citation_key_ok(key):
            entry_problems.append(Msg("{entry}: {problem}", entry=label, problem=key_problem(key)))
        elif key in seen:
            entry_problems.append(
                Msg(
                    "{entry}: the id '{key}' is also the id of entry {other} in the file",
                    entry=label,
                    key=key,
                    other=seen[key],
                )
            )
        else:
            seen[key] = position
        record = dict(item)
        record["id"] = key
        csl_type = item.get("type")
        if not isinstance(csl_type, str) or not csl_type.strip():
            entry_problems.append(
                Msg("{entry}: has no type (such as article-journal or report)", entry=label)
            )
        else:
            csl_type = _CSL_TYPE_ALIASES.get(csl_type.strip(), csl_type.strip())
            if csl_type not in CSL_TYPES:
                entry_problems.append(
                    Msg(
                        "{entry}: the type '{type}' is not a CSL type "
                        "(such as article-journal, book, chapter, report, dataset)",
                        entry=label,
                        type=csl_type,
                    )
                )
            record["type"] = csl_type
        title = item.get("title")
        if not isinstance(title, (str, int)) or not normalise_space(str(title)):
            entry_problems.append(Msg("{entry}: has no title", entry=label))
        else:
            record["title"] = normalise_space(str(title))
        for field in _CSL_NAME_FIELDS:
            if field in item:
                names, problem = _check_names(item[field], field)
                if problem:
                    entry_problems.append(Msg("{entry}: {problem}", entry=label, problem=problem))
                record[field] = names
        for field in _CSL_DATE_FIELDS:
            if field in item:
                date, problem = _check_date(item[field], field)
                if problem:
                    entry_problems.append(Msg("{entry}: {problem}", entry=label, problem=problem))
                record[field] = date
        for field in _CSL_NUMBER_FIELDS:
            value = item.get(field)
            if isinstance(value, int) and not isinstance(value, bool):
                record[field] = str(value)
        for field in ("DOI", "URL", "language", "container-title", "publisher", "citation-label"):
            value = item.get(field)
            if value is not None and not isinstance(value, str):
                entry_problems.append(
                    Msg("{entry}: '{field}' must be text", entry=label, field=field)
                )
        if isinstance(record.get("DOI"), str):
            record["DOI"] = _clean_doi(record["DOI"])
        if not entry_problems:
            entry_problems.extend(
                Msg("{entry}: {problem}", entry=label, problem=p) for p in record_problems(record)
            )
        if entry_problems:
            problems.extend(entry_problems)
            continue
        parsed.append(ParsedEntry(record, position))
    if problems:
        raise _failed(filename, problems)
    if not parsed:
        raise _no_entries(filename, Msg("CSL-JSON records"))
    return parsed


def parse_csljson(text: str, filename: str = "references.json") -> list[dict[str, Any]]:
    """Return the records of a CSL-JSON file; raise ImportFailed listing every problem."""
    return [e.record for e in read_csljson(text, filename)]


# --------------------------------------------------------------------------- limits

# CSL variable names are short words; a longer "name" is not a variable.
_MAX_FIELD_NAME_CHARS = 100
# Problems reported per record at most: the first few say what is wrong with it.
_MAX_PROBLEMS_PER_RECORD = 5


def _too_deep(item: Any) -> Msg | None:
    """Return why a CSL-JSON item nests too deeply, or None (stops looking at the limit)."""
    stack: list[tuple[str, Any, int]] = [("", item, 1)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_CSL_DEPTH:
                return Msg(
                    "the field '{field}' nests more than {depth} levels deep; a CSL-JSON record "
                    "needs at most 4",
                    field=path.split(".")[0].split("[")[0],
                    depth=MAX_CSL_DEPTH,
                )
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for name, inner in items:
                inner_path = (
                    f"{path}[{name}]" if isinstance(value, list) else f"{path}.{name}".lstrip(".")
                )
                stack.append((inner_path, inner, depth + 1))
    return None


def _value_limit(path: str) -> int:
    """Return how many characters a record's value holds where the database keeps it."""
    # The DOI's own column (300) is checked by workbench.sources on the normalised DOI.
    if path == "title":
        return field_limit(Source, "title")
    return column_limit("source", "csl", None)


def record_problems(record: dict[str, Any]) -> list[Msg]:
    """Return why a record read from a file cannot be stored (control characters, lengths).

    Every text in the record is checked, field names included, at any depth;
    each problem names the field ("the field 'title' cannot be stored: …").
    """
    problems: list[Msg] = []
    stack: list[tuple[str, Any]] = [("", record)]
    while stack and len(problems) < _MAX_PROBLEMS_PER_RECORD:
        path, value = stack.pop()
        if isinstance(value, dict):
            inner = []
            for name, item in value.items():
                name_text = str(name)
                problem = text_problem(name_text, max_chars=_MAX_FIELD_NAME_CHARS)
                if problem:
                    problems.append(
                        Msg("a field name cannot be stored: {problem}", problem=problem)
                    )
                    continue
                inner.append((f"{path}.{name_text}" if path else name_text, item))
            stack.extend(reversed(inner))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}[{i}]", item) for i, item in enumerate(value)]))
        elif isinstance(value, str):
            problem = text_problem(value, max_chars=_value_limit(path))
            if problem:
                problems.append(
                    Msg(
                        "the field '{field}' cannot be stored: {problem}",
                        field=path,
                        problem=problem,
                    )
                )
    if not problems:
        authors = record_summary(record)[1]
        limit = field_limit(Source, "authors")
        if len(authors) > limit:
            problems.append(
                Msg(
                    "its names, listed together, are {length} characters long; at most {limit} fit",
                    length=format_number(len(authors)),
                    limit=format_number(limit),
                )
            )
    return problems


# --------------------------------------------------------------------------- files

_READERS: dict[str, Callable[[str, str], list[ParsedEntry]]] = {
    "bibtex": read_bibtex,
    "ris": read_ris,
    "csljson": read_csljson,
}


def format_of(filename: str) -> str:
    """Return the format a file name's extension means (bibtex, ris, csljson)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in FORMATS_BY_EXTENSION:
        known = ", ".join(sorted(FORMATS_BY_EXTENSION))
        if not suffix:
            raise ImportFailed(
                "{file}: files without an extension cannot be imported. "
                "Use a bibliography file ending in {known} (BibTeX, RIS or CSL-JSON).",
                file=filename,
                known=known,
            )
        raise ImportFailed(
            "{file}: files ending in '{suffix}' cannot be imported. "
            "Use a bibliography file ending in {known} (BibTeX, RIS or CSL-JSON).",
            file=filename,
            suffix=suffix,
            known=known,
        )
    return FORMATS_BY_EXTENSION[suffix]


def _too_big(filename: str, size: int) -> ImportFailed:
    return ImportFailed(
        "{file} is {size} MB; a bibliography file may be at most {limit} MB. "
        "Split it into smaller files and import each.",
        file=filename,
        size=f"{size / 1024 / 1024:.1f}",
        limit=MAX_IMPORT_BYTES // 1024 // 1024,
    )


def decode_text(content: bytes, filename: str) -> str:
    """Return the text of a UTF-8 file, without a byte-order mark; raise ImportFailed otherwise."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        raise ImportFailed(
            "{file} is not UTF-8 text (line {line} has the byte {byte}). "
            "Save it as UTF-8 in your reference manager or editor and import it again.",
            file=filename,
            line=line,
            byte=f"0x{content[exc.start]:02x}",
        ) from exc


def read_file(path_or_bytes: str | Path | bytes, filename: str | None = None) -> list[ParsedEntry]:
    """Read a bibliography file (path or bytes) in the format its extension names."""
    if isinstance(path_or_bytes, bytes):
        name = filename or "uploaded file"
        fmt = format_of(name)
        if len(path_or_bytes) > MAX_IMPORT_BYTES:
            raise _too_big(name, len(path_or_bytes))
        content = path_or_bytes
    else:
        path = Path(path_or_bytes)
        name = filename or path.name
        fmt = format_of(name)
        try:
            size = path.stat().st_size
            if size > MAX_IMPORT_BYTES:
                raise _too_big(name, size)
            content = path.read_bytes()
        except OSError as exc:
            raise ImportFailed(
                "{file} could not be opened ({reason}).", file=name, reason=exc.strerror
            ) from exc
    if not content.strip():
        raise ImportFailed("{file} is empty; nothing was imported.", file=name)
    return _READERS[fmt](decode_text(content, name), name)


def parse_file(path_or_bytes: str | Path | bytes, filename: str | None = None) -> list[dict]:
    """Return the CSL-JSON records of a .bib, .ris or .json file; refuse oversize or odd files."""
    return [e.record for e in read_file(path_or_bytes, filename)]


# --------------------------------------------------------------------------- writing

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# Pairs LaTeX would turn into one character (en dash, curly quotes, ¡, ¿): kept apart by {}.
_LIGATURES = frozenset({("-", "-"), ("'", "'"), ("`", "`"), ("!", "`"), ("?", "`")})


def latex_escape(text: str) -> str:
    """Return text as LaTeX that reads back as the same text."""
    text = normalise_space(text)
    out = []
    for i, ch in enumerate(text):
        out.append(_LATEX_SPECIAL.get(ch, ch))
        if (ch, text[i + 1 : i + 2]) in _LIGATURES:
            out.append("{}")
    return "".join(out)


def _protect_title(title: str) -> str:
    """Return a title escaped, its capitalised words in braces so styles keep their case."""
    words = normalise_space(title).split(" ")
    out = []
    for i, word in enumerate(words):
        escaped = latex_escape(word)
        capitals = [ch.isupper() for ch in word]
        needs = any(capitals[1:]) or (capitals[:1] == [True] and i > 0)
        out.append("{" + escaped + "}" if needs and escaped else escaped)
    return " ".join(out)


def _bibtex_name(name: dict[str, Any]) -> str:
    if name.get("literal"):
        return "{" + latex_escape(str(name["literal"])) + "}"
    family = normalise_space(
        " ".join(str(p) for p in (name.get("non-dropping-particle"), name.get("family")) if p)
    )
    given = normalise_space(
        " ".join(str(p) for p in (name.get("given"), name.get("dropping-particle")) if p)
    )
    suffix = normalise_space(str(name.get("suffix") or ""))
    if not family:
        family, given = given, ""

    def part(text: str) -> str:
        escaped = latex_escape(text)
        # Braces keep commas and "and" inside one name; bibtexparser's name
        # splitter also misreads a backslash escape at the start of a word.
        if "," in text or "\\" in escaped or re.search(r"(?i)(^|\s)and(\s|$)", text):
            return "{" + escaped + "}"
        return escaped

    if not given and not suffix:
        if " " not in family and part(family) == latex_escape(family):
            return part(family)
        return part(family) + ", {}"
    if suffix:
        return f"{part(family)}, {part(suffix)}, {part(given)}"
    return f"{part(family)}, {part(given)}"


def _csl_to_bibtex_type(csl_type: str) -> str:
    if csl_type in _ARTICLE_TYPES or csl_type in ("review", "review-book"):
        return "article"
    return {
        "book": "book",
        "classic": "book",
        "collection": "book",
        "periodical": "book",
        "chapter": "incollection",
        "entry": "incollection",
        "entry-dictionary": "incollection",
        "entry-encyclopedia": "inreference",
        "paper-conference": "inproceedings",
        "report": "techreport",
        "thesis": "phdthesis",
        "dataset": "dataset",
        "webpage": "online",
        "post": "online",
        "post-weblog": "online",
        "manuscript": "unpublished",
        "pamphlet": "booklet",
        "software": "software",
        "patent": "patent",
        "standard": "standard",
    }.get(csl_type, "misc")


def _date_text(date: Any) -> tuple[list[int], str]:
    if not isinstance(date, dict):
        return [], ""
    parts = date.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list):
        ints = []
        for item in parts[0][:3]:
            try:
                ints.append(int(item))
            except (TypeError, ValueError):
                break
        return ints, ""
    return [], normalise_space(str(date.get("literal") or date.get("raw") or ""))


def _bibtex_entry(record: dict[str, Any]) -> str:
    csl_type = str(record.get("type") or "document")
    entry_type = _csl_to_bibtex_type(csl_type)
    fields: list[tuple[str, str]] = []

    def add(name: str, value: Any, *, verbatim: bool = False) -> None:
        if value is None or value == "" or value == []:
            return
        text = normalise_space(str(value))
        # A verbatim field only needs balanced braces; the rest is LaTeX-escaped.
        text = text.replace("{", "%7B").replace("}", "%7D") if verbatim else latex_escape(text)
        if text:
            fields.append((name, text))

    for name_field in _NAME_FIELDS:
        names = [n for n in record.get(name_field) or [] if isinstance(n, dict)]
        if names:
            fields.append((name_field, " and ".join(_bibtex_name(n) for n in names)))
    title = normalise_space(str(record.get("title") or ""))
    if title:
        fields.append(("title", _protect_title(title)))
    container = record.get("container-title")
    add("journal" if entry_type == "article" else "booktitle", container)
    add("series", record.get("collection-title"))
    parts, literal = _date_text(record.get("issued"))
    if parts:
        add("year", parts[0])
        if len(parts) > 1:
            add("month", parts[1])
        if len(parts) > 2:
            add("date", "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)))
    elif literal:
        add("year", literal)
    add("volume", record.get("volume"))
    add("number", record.get("issue") or record.get("number"))
    page = record.get("page")
    if page:
        add("pages", re.sub(r"\s*[–—-]+\s*", "-", str(page)))
        fields[-1] = ("pages", fields[-1][1].replace("-{}", "-").replace("-", "--"))
    publisher_field = {"techreport": "institution", "phdthesis": "school"}.get(
        entry_type, "publisher"
    )
    add(publisher_field, record.get("publisher"))
    add("address", record.get("publisher-place"))
    add("edition", record.get("edition"))
    add("type", record.get("genre"))
    add("doi", record.get("DOI"), verbatim=True)
    add("url", record.get("URL"), verbatim=True)
    add("isbn", record.get("ISBN"))
    add("issn", record.get("ISSN"))
    add("language", record.get("language"))
    accessed, _ = _date_text(record.get("accessed"))
    if accessed:
        add("urldate", "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(accessed)))
    add("keywords", record.get("keyword"))
    add("abstract", record.get("abstract"))
    add("note", record.get("note"))
    label = normalise_space(str(record.get("citation-label") or ""))
    if label:
        # biblatex prints a shorthand in place of the whole label, year included.
        year = record_year(record)
        add("shorthand", f"{label} {year}" if year else label)
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
    return f"@{entry_type}{{{record.get('id', '')},\n{body}}}\n"


def to_bibtex(records: Iterable[dict[str, Any]]) -> str:
    """Return records as a BibTeX file (UTF-8 text, LaTeX specials escaped)."""
    return "\n".join(_bibtex_entry(r) for r in records)


class _RisWriter(RisWriter):
    """rispy's writer without the "1." line it puts before each reference."""

    def set_header(self, count: int) -> str:
        return ""


def _ris_name_text(name: dict[str, Any]) -> str:
    if name.get("literal"):
        return normalise_space(str(name["literal"]))
    family = normalise_space(
        " ".join(str(p) for p in (name.get("non-dropping-particle"), name.get("family")) if p)
    )
    given = normalise_space(
        " ".join(str(p) for p in (name.get("given"), name.get("dropping-particle")) if p)
    )
    suffix = normalise_space(str(name.get("suffix") or ""))
    if not family:
        family, given = given, ""
    return f"{family}, {given}" + (f", {suffix}" if suffix else "")


def _ris_reference(record: dict[str, Any]) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "type_of_reference": CSL_TO_RIS.get(str(record.get("type") or ""), "GEN"),
        "id": str(record.get("id", "")),
    }

    def put(name: str, value: Any) -> None:
        text = normalise_space(str(value)) if value is not None else ""
        if text:
            ref[name] = text

    put("title", record.get("title"))
    authors = [_ris_name_text(n) for n in record.get("author") or [] if isinstance(n, dict)]
    if authors:
        ref["authors"] = authors
    editors = [_ris_name_text(n) for n in record.get("editor") or [] if isinstance(n, dict)]
    if editors:
        ref["secondary_authors"] = editors
    parts, literal = _date_text(record.get("issued"))
    if parts:
        put("year", parts[0])
        if len(parts) > 1:
            put("date", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)) + "/")
    elif literal:
        put("year", literal)
    put("secondary_title", record.get("container-title"))
    put("tertiary_title", record.get("collection-title"))
    put("publisher", record.get("publisher"))
    put("place_published", record.get("publisher-place"))
    put("volume", record.get("volume"))
    put("number", record.get("issue") or record.get("number"))
    page = normalise_space(str(record.get("page") or ""))
    if page:
        match = re.fullmatch(r"(.+?)\s*[–—-]+\s*(.+)", page)
        if match:
            put("start_page", match.group(1))
            put("end_page", match.group(2))
        else:
            put("start_page", page)
    put("edition", record.get("edition"))
    put("doi", record.get("DOI"))
    if record.get("URL"):
        ref["urls"] = [normalise_space(str(record["URL"]))]
    put("language", record.get("language"))
    put("issn", record.get("ISSN") or record.get("ISBN"))
    keywords = [k.strip() for k in str(record.get("keyword") or "").split(",") if k.strip()]
    if keywords:
        ref["keywords"] = keywords
    put("abstract", record.get("abstract"))
    if record.get("note"):
        ref["notes"] = [normalise_space(str(record["note"]))]
    return ref


def to_ris(records: Iterable[dict[str, Any]]) -> str:
    """Return records as a RIS file."""
    return rispy.dumps([_ris_reference(r) for r in records], implementation=_RisWriter)


def to_csljson(records: Iterable[dict[str, Any]]) -> str:
    """Return records as pretty-printed CSL-JSON, non-ASCII text kept as it is."""
    return json.dumps(list(records), ensure_ascii=False, indent=2) + "\n"


def write_records(records: Iterable[dict[str, Any]], fmt: str) -> str:
    """Return records in a format: csljson, bibtex or ris."""
    writers = {"csljson": to_csljson, "bibtex": to_bibtex, "ris": to_ris}
    if blank(fmt):
        raise ValidationError(
            "Choose a bibliography format: {formats}.", formats=", ".join(EXPORT_FORMATS)
        )
    if fmt not in writers:
        raise ValidationError(
            "'{value}' is not a bibliography format: choose one of {formats}.",
            value=fmt,
            formats=", ".join(EXPORT_FORMATS),
        )
    return writers[fmt](records)
