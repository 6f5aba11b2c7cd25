"""Checks of a translation against its source: what must survive translating unchanged.

Terms:

- An **issue** is one thing a check found. An **error** refuses the save: a
  citation key, a finding or part code, a cross-reference or the Markdown
  structure differs from the source. A **warning** is saved only once the
  translator acknowledges it: a number of the source missing, a different
  paragraph count, a calibrated term rendered otherwise than the glossary has it,
  or a likelihood or confidence phrase of the source with no counterpart at all.
- A **paragraph** is a block of text between blank lines (a fenced code block is
  one paragraph, blank lines and all). Paragraphs are **aligned** when source and
  translation have as many: the checks then compare paragraph *n* with paragraph
  *n* and name it; otherwise they compare the whole texts.
- A **calibrated term** is a glossary entry of kind ``calibrated`` (IPCC confidence,
  likelihood, evidence and agreement terms). Terms are matched longest first
  ("very likely" before "likely"), case-insensitively, on word boundaries — or as
  plain substrings in languages written without spaces or with attached
  particles (Chinese, Japanese, Arabic) — and emphasis markers (``*likely*``)
  are ignored.

The functions are pure: they take texts and a glossary and return issues; the
services decide what to refuse.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workbench.glossary import GlossaryEntry, shipped_entries
from workbench.i18n import N_, Msg
from workbench.models import GlossaryKind

ERROR = "error"
WARNING = "warning"
#: Languages matched by substring (no spaces between words, or particles attached to words).
SUBSTRING_LANGUAGES = frozenset({"zh", "ja", "ar"})


@dataclass(frozen=True)
class Issue:
    """One thing a check found in a translation."""

    severity: str  # "error" | "warning"
    code: str  # "citation", "finding_code", "cross_reference", "number", "structure", …
    message: Msg
    paragraph: int | None  # 1-based paragraph of the translation (None: the whole text)


def errors(issues: Iterable[Issue]) -> list[Issue]:
    """Return the issues that refuse a save."""
    return [i for i in issues if i.severity == ERROR]


def warnings(issues: Iterable[Issue]) -> list[Issue]:
    """Return the issues a translator must acknowledge before saving."""
    return [i for i in issues if i.severity == WARNING]


# --------------------------------------------------------------------------- paragraphs

_FENCE = re.compile(r"^\s*(```|~~~)")


def paragraphs(text: str) -> list[str]:
    """Return the text's paragraphs (blocks between blank lines; a code block is one)."""
    found: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        marker = _FENCE.match(line)
        if fence is not None:
            current.append(line)
            if marker and marker.group(1) == fence:
                fence = None
            continue
        if marker:
            fence = marker.group(1)
            current.append(line)
            continue
        if line.strip():
            current.append(line)
        elif current:
            found.append("\n".join(current))
            current = []
    if current:
        found.append("\n".join(current))
    return found


def _pairs(source: str, translation: str) -> list[tuple[str, str, int | None]]:
    """Return the aligned paragraph pairs, or the whole texts when the counts differ."""
    src, tr = paragraphs(source), paragraphs(translation)
    if len(src) == len(tr):
        return [(s, t, n) for n, (s, t) in enumerate(zip(src, tr, strict=True), start=1)]
    return [(source, translation, None)]


def _where(paragraph: int | None, in_paragraph: str, in_text: str, **params: object) -> Msg:
    """Return the message naming the paragraph, or the one about the whole text."""
    if paragraph is None:
        return Msg(in_text, **params)
    return Msg(in_paragraph, n=paragraph, **params)


# --------------------------------------------------------------------------- citations

_CITATION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_][\w:.#$%&+?<>~/-]*)")


def citation_keys(text: str) -> list[str]:
    """Return the citation keys of a text, in order, repeats kept ('[@a; @b]' → a, b)."""
    return [m.group(1).rstrip(".:;,?!/") for m in _CITATION.finditer(text)]


def _differences(
    code: str,
    source: list[str],
    translation: list[str],
    paragraph: int | None,
    missing: tuple[str, str],
    added: tuple[str, str],
    name: str,
) -> list[Issue]:
    """Return an error for each token the translation lacks or adds, counting repeats.

    ``missing`` and ``added`` are each a message naming the paragraph and one about the
    whole text; the token goes into the parameter ``name``.
    """
    mine, theirs = Counter(source), Counter(translation)
    issues = [
        Issue(ERROR, code, _where(paragraph, *missing, **{name: token}), paragraph)
        for token in sorted(mine - theirs)
    ]
    issues += [
        Issue(ERROR, code, _where(paragraph, *added, **{name: token}), paragraph)
        for token in sorted(theirs - mine)
    ]
    return issues


def _check_citations(pairs: list[tuple[str, str, int | None]]) -> list[Issue]:
    issues: list[Issue] = []
    for src, tr, n in pairs:
        issues += _differences(
            "citation",
            citation_keys(src),
            citation_keys(tr),
            n,
            (
                N_("Paragraph {n}: the citation [@{key}] is missing."),
                N_("The citation [@{key}] is missing."),
            ),
            (
                N_("Paragraph {n}: the citation [@{key}] is not in the source."),
                N_("The citation [@{key}] is not in the source."),
            ),
            "key",
        )
    return issues


# --------------------------------------------------------------------------- codes and references

_CODE = re.compile(r"(?<![A-Za-z0-9@])(KF|REC|CR\d+|FS\d+|IN\d+|F\d+|R\d+)(?![A-Za-z0-9])")
_SECTION_REF = re.compile(
    r"(?i)(?<![A-Za-z])(?:sections?|§)\s*(\d+(?:\.\d+)*)(?:\s*(?:and|,|–|-)\s*(\d+(?:\.\d+)+))?"
)
_ANCHOR = re.compile(r"\{#([\w:.-]+)\}|\]\(#([\w:.-]+)\)|(?<![\w])@?(?:sec|fig|tbl)[:-][\w-]+")


def _without_citations(text: str) -> str:
    return _CITATION.sub(" ", text)


def finding_codes(text: str) -> list[str]:
    """Return the finding and part codes of a text (F3, CR2, FS1, R3, IN1, KF, REC)."""
    return _CODE.findall(_without_anchors(_without_citations(text)))


def _without_anchors(text: str) -> str:
    return _ANCHOR.sub(" ", text)


def anchors(text: str) -> list[str]:
    """Return the anchors a text defines or links to ('{#sec-3}', '](#sec-3)')."""
    return [m.group(0).strip() for m in _ANCHOR.finditer(text)]


def section_references(text: str) -> list[str]:
    """Return the section numbers a text refers to ('Section 3.1' → '3.1')."""
    found: list[str] = []
    for m in _SECTION_REF.finditer(_without_citations(text)):
        found.extend(g for g in m.groups() if g)
    return found


def _has_section_number(text: str, number: str) -> int:
    pattern = r"(?<![\d.,])" + re.escape(number) + r"(?![\d]|[.,]\d)"
    return len(re.findall(pattern, _without_citations(text)))


def _check_codes(pairs: list[tuple[str, str, int | None]]) -> list[Issue]:
    issues: list[Issue] = []
    for src, tr, n in pairs:
        issues += _differences(
            "finding_code",
            finding_codes(src),
            finding_codes(tr),
            n,
            (
                N_("Paragraph {n}: the code {code} is missing."),
                N_("The code {code} is missing."),
            ),
            (
                N_("Paragraph {n}: the code {code} is not in the source."),
                N_("The code {code} is not in the source."),
            ),
            "code",
        )
        issues += _differences(
            "cross_reference",
            anchors(src),
            anchors(tr),
            n,
            (
                N_("Paragraph {n}: the cross-reference {anchor} is missing."),
                N_("The cross-reference {anchor} is missing."),
            ),
            (
                N_("Paragraph {n}: the cross-reference {anchor} is not in the source."),
                N_("The cross-reference {anchor} is not in the source."),
            ),
            "anchor",
        )
        for number, count in sorted(Counter(section_references(src)).items()):
            if _has_section_number(tr, number) < count:
                issues.append(
                    Issue(
                        ERROR,
                        "cross_reference",
                        _where(
                            n,
                            N_(
                                "Paragraph {n}: the reference to Section {number} is missing or "
                                "altered."
                            ),
                            N_("The reference to Section {number} is missing or altered."),
                            number=number,
                        ),
                        n,
                    )
                )
    return issues


# --------------------------------------------------------------------------- Markdown structure

_HEADING = re.compile(r"^(#{1,6})\s+\S")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")


@dataclass(frozen=True)
class _Shape:
    headings: tuple[int, ...]
    list_items: int
    table_rows: int
    code_blocks: int


def _shape(text: str) -> _Shape:
    headings: list[int] = []
    items = rows = blocks = 0
    fence: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        marker = _FENCE.match(line)
        if fence is not None:
            if marker and marker.group(1) == fence:
                fence = None
            continue
        if marker:
            fence = marker.group(1)
            blocks += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            headings.append(len(heading.group(1)))
        elif _TABLE_ROW.match(line):
            rows += 1
        elif _LIST_ITEM.match(line):
            items += 1
    return _Shape(tuple(headings), items, rows, blocks)


def _levels(levels: tuple[int, ...]) -> str:
    return ", ".join(str(level) for level in levels) or "–"


def _check_structure(source: str, translation: str) -> list[Issue]:
    src, tr = _shape(source), _shape(translation)
    issues: list[Issue] = []
    if src.headings != tr.headings:
        issues.append(
            Issue(
                ERROR,
                "structure",
                Msg(
                    "The headings differ: the source has {source} (levels {source_levels}), "
                    "the translation {translation} (levels {translation_levels}).",
                    source=len(src.headings),
                    source_levels=_levels(src.headings),
                    translation=len(tr.headings),
                    translation_levels=_levels(tr.headings),
                ),
                None,
            )
        )
    for template, mine, theirs in (
        (
            N_("The source has {source} list items; the translation has {translation}."),
            src.list_items,
            tr.list_items,
        ),
        (
            N_("The source has {source} table rows; the translation has {translation}."),
            src.table_rows,
            tr.table_rows,
        ),
        (
            N_("The source has {source} code blocks; the translation has {translation}."),
            src.code_blocks,
            tr.code_blocks,
        ),
    ):
        if mine != theirs:
            issues.append(
                Issue(ERROR, "structure", Msg(template, source=mine, translation=theirs), None)
            )
    return issues


# --------------------------------------------------------------------------- numbers

_DIGITS = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Eastern Arabic-Indic digits
        **{chr(0xFF10 + i): str(i) for i in range(10)},  # full-width digits
        "\u066b": ".",  # Arabic decimal separator
        "\u066c": ",",  # Arabic thousands separator
        "\uff0c": ",",
        "\uff0e": ".",
    }
)
# Digits, groups of three after a separator ("12 345", "1,000", "1.000"), then decimals.
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[ ,.\u00a0\u202f']\d{3}(?!\d))*(?:[.,]\d+)?")
_LIST_MARKER = re.compile(r"(?m)^\s*\d+[.)]\s")
_HEADING_NUMBERS = re.compile(r"(?m)^#{1,6}\s+\d+(?:\.\d+)*")


def _readings(token: str) -> set[str]:
    """Return the values a written number may mean ('1,000' → 1000 or 1.000 → '1000', '1')."""
    groups = re.split(r"[ ,.\u00a0\u202f']", token)
    separators = re.findall(r"[ ,.\u00a0\u202f']", token)
    readings = {str(int("".join(groups)))}
    if separators and separators[-1] in ",.":
        whole = "".join(groups[:-1])
        decimals = groups[-1].rstrip("0")
        readings.add(f"{int(whole)}.{decimals}" if decimals else str(int(whole)))
    return readings


def _numbers(text: str) -> list[tuple[str, set[str]]]:
    """Return each number of a text as written and its possible values (codes, keys excluded)."""
    text = text.translate(_DIGITS)
    text = _without_anchors(_without_citations(text))
    text = _CODE.sub(" ", text)
    text = _SECTION_REF.sub(" ", text)
    text = _LIST_MARKER.sub(" ", text)
    text = _HEADING_NUMBERS.sub(" ", text)
    found: list[tuple[str, set[str]]] = []
    for m in _NUMBER.finditer(text):
        token = m.group(0).rstrip(" ,.\u00a0\u202f'")
        if token:
            found.append((token, _readings(token)))
    return found


def _check_numbers(pairs: list[tuple[str, str, int | None]]) -> list[Issue]:
    issues: list[Issue] = []
    for src, tr, n in pairs:
        available: list[set[str]] = [r for __, r in _numbers(tr)]
        for token, readings in _numbers(src):
            match = next((i for i, r in enumerate(available) if r & readings), None)
            if match is None:
                issues.append(
                    Issue(
                        WARNING,
                        "number",
                        _where(
                            n,
                            N_("Paragraph {n}: the number {number} of the source is missing."),
                            N_("The number {number} of the source is missing."),
                            number=token,
                        ),
                        n,
                    )
                )
            else:
                available.pop(match)
    return issues


# --------------------------------------------------------------------------- calibrated terms

_EMPHASIS = re.compile(r"[*_]+")


def _plain(text: str) -> str:
    """Return text without emphasis markers and with single spaces, lower-cased."""
    text = _without_anchors(_without_citations(text))
    text = _EMPHASIS.sub("", text)
    text = re.sub(r"[\s\u00a0\u202f]+", " ", text)
    return text.casefold()


def _term_pattern(term: str, language: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in term.casefold().split()]
    body = r"[\s\u00a0\u202f]+".join(words)
    if language.split("-")[0] in SUBSTRING_LANGUAGES:
        return re.compile(body)
    plural = r"(?:s|es)?" if language.split("-")[0] in {"fr", "es", "pt", "it", "ca"} else ""
    return re.compile(r"(?<!\w)" + body + plural + r"(?!\w)")


def _find_terms(text: str, terms: Mapping[str, str], language: str) -> Counter[str]:
    """Count each concept's term in a text, longest terms first; a match hides shorter ones."""
    plain = _plain(text)
    found: Counter[str] = Counter()
    for concept, term in sorted(terms.items(), key=lambda item: (-len(item[1]), item[0])):
        if not term.strip():
            continue
        pattern = _term_pattern(term, language)
        hits = list(pattern.finditer(plain))
        if not hits:
            continue
        found[concept] += len(hits)
        # Mask what matched so "probable" inside "très probable" is not counted again.
        chars = list(plain)
        for hit in hits:
            for i in range(hit.start(), hit.end()):
                chars[i] = "\x00"
        plain = "".join(chars)
    return found


def _family(concept: str) -> str:
    return concept.split(".", 1)[0]


def _check_terms(
    pairs: list[tuple[str, str, int | None]],
    *,
    language: str,
    glossary: Mapping[str, GlossaryEntry],
) -> list[Issue]:
    calibrated = {c: e for c, e in glossary.items() if e.kind == GlossaryKind.calibrated}
    english = {c: e.english for c, e in calibrated.items()}
    rendered = {c: e.term for c, e in calibrated.items()}
    issues: list[Issue] = []
    for src, tr, n in pairs:
        in_source = _find_terms(src, english, "en")
        in_translation = _find_terms(tr, rendered, language)
        extra = in_translation - in_source
        for concept in sorted(in_source):
            missing = in_source[concept] - in_translation[concept]
            if missing <= 0:
                continue
            entry = calibrated[concept]
            others = [c for c in extra if _family(c) == _family(concept)]
            if others:
                other = calibrated[sorted(others)[0]]
                issues.append(
                    Issue(
                        WARNING,
                        "glossary_term",
                        _where(
                            n,
                            N_(
                                "Paragraph {n}: the source says '{english}', which the glossary "
                                "renders '{term}'; the translation has '{found}' "
                                "('{found_english}') instead."
                            ),
                            N_(
                                "The source says '{english}', which the glossary renders '{term}'; "
                                "the translation has '{found}' ('{found_english}') instead."
                            ),
                            english=entry.english,
                            term=entry.term,
                            found=other.term,
                            found_english=other.english,
                        ),
                        n,
                    )
                )
                extra[other.concept] -= 1
                if extra[other.concept] <= 0:
                    del extra[other.concept]
            else:
                issues.append(
                    Issue(
                        WARNING,
                        "calibrated_missing",
                        _where(
                            n,
                            N_(
                                "Paragraph {n}: the source says '{english}', which the glossary "
                                "renders '{term}'; the translation has no such term."
                            ),
                            N_(
                                "The source says '{english}', which the glossary renders '{term}'; "
                                "the translation has no such term."
                            ),
                            english=entry.english,
                            term=entry.term,
                        ),
                        n,
                    )
                )
        for concept in sorted(extra):
            entry = calibrated[concept]
            issues.append(
                Issue(
                    WARNING,
                    "glossary_term",
                    _where(
                        n,
                        N_(
                            "Paragraph {n}: the translation says '{term}' ('{english}'), which the "
                            "source does not say."
                        ),
                        N_(
                            "The translation says '{term}' ('{english}'), which the source does "
                            "not say."
                        ),
                        term=entry.term,
                        english=entry.english,
                    ),
                    n,
                )
            )
    return issues


def _shipped_glossary(language: str) -> dict[str, GlossaryEntry]:
    return {e.concept: e for e in shipped_entries() if e.language == language}


# --------------------------------------------------------------------------- all together


def check_translation(
    source: str,
    translation: str,
    *,
    language: str,
    glossary: Mapping[str, GlossaryEntry] | None = None,
) -> list[Issue]:
    """Return every issue of ``translation`` (in ``language``) against ``source``, errors first.

    ``glossary`` maps concepts to the language's entries (``glossary.terms``); the
    shipped glossary is used when it is None.
    """
    if glossary is None:
        glossary = _shipped_glossary(language)
    pairs = _pairs(source, translation)
    issues: list[Issue] = []
    issues += _check_citations(pairs)
    issues += _check_codes(pairs)
    issues += _check_structure(source, translation)
    src_count, tr_count = len(paragraphs(source)), len(paragraphs(translation))
    if src_count != tr_count:
        issues.append(
            Issue(
                WARNING,
                "structure",
                Msg(
                    "The source has {source} paragraphs; the translation has {translation}.",
                    source=src_count,
                    translation=tr_count,
                ),
                None,
            )
        )
    issues += _check_numbers(pairs)
    issues += _check_terms(pairs, language=language, glossary=glossary)
    return sorted(issues, key=lambda i: (i.severity != ERROR, i.paragraph or 0))
