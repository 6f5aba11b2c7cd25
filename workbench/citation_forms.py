"""How citations read in other scripts, and the short labels of legal and corporate sources.

Terms used here:

- A **CJK name** is a name written in Chinese, Japanese or Korean characters
  (Han, kana, hangul), such as ``{"family": "陈", "given": "晓明"}``. Its
  readers write it family name first, without a comma or a space: 陈晓明. A
  list of CJK names is joined by the ideographic comma, 陈晓明、刘芳 (Korean:
  ", "), with no English "and"; after three names comes 等 (Korean 외), "et
  al.", as the Chinese national standard GB/T 7714 has it.
- A **short label** is the form a legal or corporate source takes in in-text
  citations instead of its author or title: "EU" for a directive of the
  European Parliament and Council, so that it is cited "(EU 2024)" while the
  reference list keeps the full entry. It is the source's ``short_label``,
  kept in its CSL-JSON record as ``citation-label`` (CSL's variable for an
  item's in-text label; BibTeX's ``shorthand``). The year is never part of it:
  citations add the year (and a, b… when two works share a label and year).
- **Citeproc records** (:func:`for_citeproc`) are the report's CSL-JSON records
  as pandoc's citeproc is given them for rendering: CJK names as one literal
  name (what CSL can say about them: citeproc itself writes 陈晓明 in the
  reference list but "陈 and 刘" in text and "陈晓明, and 刘芳" in the list),
  and the short label in the variable ``short-label``, which the Panel's
  citation style (:data:`STYLE_FILE`, ``templates/citation-forms.csl``, made
  by :func:`citation_style`: Chicago author-date as pandoc ships it, one macro
  changed) prints in place of the author in citations. CSL's own
  ``citation-label`` cannot serve: citeproc gives every cited item one (a
  trigraph such as "OkLe23") when a style uses it.
- A **right-to-left segment** is a stretch of Arabic or Hebrew text (letters
  with the spaces between them) inside a left-to-right paragraph, such as the
  author of "(صالح 2023)". In Word it is a run of its own marked right to left
  (``w:rtl``) with the complex-script font and size of its paragraph; when a
  number follows it, as the year of a citation does, a left-to-right mark
  (U+200E) after it keeps the number with the left-to-right sentence, where
  the Unicode bidirectional algorithm would otherwise read "2023" as an
  Arabic number and print "(2023 صالح)".
"""

from __future__ import annotations

import functools
import itertools
import re
from copy import deepcopy
from pathlib import Path
from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn as _qn

#: ``docx.oxml.ns.qn`` remembered: finishing a long report asks it a million times.
qn = functools.cache(_qn)

#: The Panel's citation style; scripts/make_citation_style.py writes it.
STYLE_FILE = Path(__file__).resolve().parents[1] / "templates" / "citation-forms.csl"
SHORT_LABEL_VARIABLE = "short-label"
LEFT_TO_RIGHT_MARK = "\u200e"
RIGHT_TO_LEFT = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe"  # Hebrew, Arabic, Syriac, Thaana…
_RIGHT_TO_LEFT_CHAR = re.compile(f"[{RIGHT_TO_LEFT}]")
# Letters with the spaces (and joiners, hyphens) between them; digits end a segment.
_BETWEEN_WORDS = " \u00a0\u2009\u202f\u200c\u200d-"
_SEGMENT = re.compile(f"[{RIGHT_TO_LEFT}]+(?:[{_BETWEEN_WORDS}]+[{RIGHT_TO_LEFT}]+)*")
_DIGIT_NEXT = re.compile(r"(?:[^\w]|_)*\d")  # a number before any letter
_STRONG = re.compile(r"[^\W\d_]")  # a letter: what decides a paragraph's direction
_HAN_KANA = (
    "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3040-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
_HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"
_CJK = re.compile(f"[{_HAN_KANA}{_HANGUL}]")
_HANGUL_CHAR = re.compile(f"[{_HANGUL}]")
CJK_NAMES_SHOWN = 3  # GB/T 7714: three names, then 等

#: Every CSL name variable: any of them can hold a list of CJK names.
NAME_VARIABLES = (
    "author",
    "chair",
    "collection-editor",
    "compiler",
    "composer",
    "container-author",
    "contributor",
    "curator",
    "director",
    "editor",
    "editor-translator",
    "editorial-director",
    "executive-producer",
    "guest",
    "host",
    "illustrator",
    "interviewer",
    "narrator",
    "organizer",
    "original-author",
    "performer",
    "producer",
    "recipient",
    "reviewed-author",
    "script-writer",
    "series-creator",
    "translator",
)


# --------------------------------------------------------------------------- citeproc records


def _name_text(name: dict[str, Any]) -> str:
    literal = name.get("literal")
    if isinstance(literal, str) and literal.strip():
        return literal.strip()
    parts = (name.get(part) for part in ("family", "given"))
    return "".join(str(part).strip() for part in parts if isinstance(part, str))


def is_cjk_name(name: Any) -> bool:
    """Return whether a CSL name is written in Chinese, Japanese or Korean characters."""
    if not isinstance(name, dict):
        return False
    letters = _STRONG.findall(_name_text(name))
    return bool(letters) and all(_CJK.match(letter) for letter in letters)


def cjk_names(names: list[Any]) -> list[Any]:
    """Return a CSL name list with its CJK names written as their readers write them.

    A list of CJK names only becomes one literal name, 陈晓明、刘芳 (three names
    and 等 when there are more), so that no English "and" comes between them; in
    a mixed list each CJK name becomes a literal 陈晓明 and the others stay.
    """
    if not names or not any(is_cjk_name(n) for n in names):
        return names
    if all(is_cjk_name(n) for n in names):
        texts = [_name_text(n) for n in names]
        korean = any(_HANGUL_CHAR.search(text) for text in texts)
        joiner, others = (", ", " 외") if korean else ("、", "等")
        joined = joiner.join(texts[:CJK_NAMES_SHOWN])
        if len(texts) > CJK_NAMES_SHOWN:
            joined += others
        return [{"literal": joined}]
    return [{"literal": _name_text(n)} if is_cjk_name(n) else n for n in names]


def short_label(record: dict[str, Any]) -> str:
    """Return a record's short label (its ``citation-label``), or "" when it has none."""
    label = record.get("citation-label")
    return " ".join(str(label).split()) if isinstance(label, (str, int)) else ""


def for_citeproc(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return CSL-JSON records as citeproc should be given them (the records are not changed).

    CJK names are written family name first without a comma, a list of them
    without "and" (:func:`cjk_names`); a record's short label is put where the
    Panel's citation style prints it in citations (``short-label``).
    """
    prepared = []
    for record in records:
        ready = dict(record)
        for variable in NAME_VARIABLES:
            names = ready.get(variable)
            if isinstance(names, list):
                ready[variable] = cjk_names(names)
        label = short_label(ready)
        if label:
            ready[SHORT_LABEL_VARIABLE] = label
        prepared.append(ready)
    return prepared


# --------------------------------------------------------------------------- the citation style

_AUTHOR_INLINE = '<macro name="author-inline">'
# A names element on a variable no record has, so that the label is printed as a name:
# pandoc's "@key says" keeps it ("EU (2024) says") and "[-@key]" leaves it out.
_LABEL_FIRST = f"""{_AUTHOR_INLINE}
    <!-- Workbench: a source's short label stands for its author (or title) in citations -->
    <choose>
      <if variable="{SHORT_LABEL_VARIABLE}">
        <names variable="{SHORT_LABEL_VARIABLE}-name">
          <substitute>
            <text variable="{SHORT_LABEL_VARIABLE}"/>
          </substitute>
        </names>
      </if>
      <else>"""
STYLE_TITLE = "Chicago Manual of Style 18th edition (author-date), with short labels"
STYLE_ID = "urn:workbench:chicago-author-date-short-labels"


#: The macros that write a source's author: in citations, in the reference list, and
#: the key the list is sorted by. A labelled source is cited, listed and sorted by its
#: label, so that a reader of "(EU 2024)" finds "EU. 2024. Directive …" under E.
LABELLED_MACROS = ("author-inline", "author-bib", "author-sort")


def _label_first(style: str, macro: str) -> str:
    """Return the style with ``macro`` writing a source's short label before anything else."""
    opening = f'<macro name="{macro}">'
    start = style.index(opening)
    end = style.index("</macro>", start)
    # Pandoc's macro is kept as it is, not re-indented, so that a diff shows only the change.
    body = style[start + len(opening) : end].rstrip()
    return (
        style[:start]
        + _LABEL_FIRST.replace(_AUTHOR_INLINE, opening, 1)
        + body
        + "\n      </else>\n    </choose>\n  "
        + style[end:]
    )


_LEGAL_ENTRY = "<!-- Legal items have different orders and delimiters -->"
_LEGAL_LABEL = f"""
          <!-- Workbench: a labelled legal source opens with its label and year -->
          <choose>
            <if variable="{SHORT_LABEL_VARIABLE}">
              <group delimiter=". ">
                <text variable="{SHORT_LABEL_VARIABLE}"/>
                <text macro="date"/>
              </group>
            </if>
          </choose>"""


def citation_style(default_csl: str) -> str:
    """Return the Panel's citation style made from pandoc's default (Chicago author-date).

    The one change: a source with a short label gets the label instead of its
    author in the macros of :data:`LABELLED_MACROS` (citations, the reference
    list and its sort key), and a labelled legal item's entry opens with the
    label and year ("EU. 2024. Directive (EU) 2024/1760 …"). Title and id are
    the variant's own, as CSL asks of a changed style.
    """
    style = default_csl
    for macro in LABELLED_MACROS:
        style = _label_first(style, macro)
    # Legal items are listed by their title: a labelled one opens with its label and year.
    style = style.replace(_LEGAL_ENTRY, _LEGAL_ENTRY + _LEGAL_LABEL, 1)
    style = re.sub(r"<title>[^<]*</title>", f"<title>{STYLE_TITLE}</title>", style, count=1)
    return re.sub(r"<id>[^<]*</id>", f"<id>{STYLE_ID}</id>", style, count=1)


# --------------------------------------------------------------------------- Word: right to left

# The order of a run's properties in the WordprocessingML schema (CT_RPr).
_RPR_ORDER = [
    qn(f"w:{name}")
    for name in [
        *("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike"),
        *("dstrike", "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid"),
        *("vanish", "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs"),
        *("highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs"),
        *("em", "lang", "eastAsianLayout", "specVanish", "oMath"),
    ]
]


def _property(run_props: Any, tag: str) -> Any:
    """Return the run property ``tag``, added in the schema's order if it is missing."""
    found = run_props.find(qn(tag))
    if found is not None:
        return found
    element = OxmlElement(tag)
    rank = _RPR_ORDER.index(qn(tag))
    for child in run_props:
        if child.tag in _RPR_ORDER and _RPR_ORDER.index(child.tag) > rank:
            child.addprevious(element)
            return element
    run_props.append(element)
    return element


class InheritedStyles:
    """The document's paragraph styles, to find the size and fonts a run inherits."""

    def __init__(self, doc: Any) -> None:
        root = doc.styles.element
        self.by_id = {s.get(qn("w:styleId")): s for s in root.findall(qn("w:style"))}
        self.default_paragraph = next(
            (
                s.get(qn("w:styleId"))
                for s in root.findall(qn("w:style"))
                if s.get(qn("w:type")) == "paragraph" and s.get(qn("w:default")) in ("1", "true")
            ),
            None,
        )
        self.defaults = root.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")

    def inherited(self, style_id: str | None, tag: str, attribute: str) -> str | None:
        """Return a run property's value as the paragraph style (or the defaults) sets it."""
        seen: set[str] = set()
        current = style_id or self.default_paragraph
        while current and current not in seen:
            seen.add(current)
            style = self.by_id.get(current)
            if style is None:
                break
            found = style.find(f"{qn('w:rPr')}/{qn(tag)}")
            if found is not None and found.get(qn(attribute)):
                return found.get(qn(attribute))
            based = style.find(qn("w:basedOn"))
            current = based.get(qn("w:val")) if based is not None else None
        if self.defaults is not None:
            found = self.defaults.find(qn(tag))
            if found is not None and found.get(qn(attribute)):
                return found.get(qn(attribute))
        return None


def _paragraph_style(paragraph: Any) -> str | None:
    style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return style.get(qn("w:val")) if style is not None else None


def mark_right_to_left(run: Any, styles: InheritedStyles, style_id: str | None) -> None:
    """Mark a run right to left, in the complex-script font at the size of its text."""
    run_props = run.find(qn("w:rPr"))
    if run_props is None:
        run_props = OxmlElement("w:rPr")
        run.insert(0, run_props)
    fonts = _property(run_props, "w:rFonts")
    font = fonts.get(qn("w:cs")) or styles.inherited(style_id, "w:rFonts", "w:cs")
    if font:
        fonts.set(qn("w:cs"), font)
    fonts.set(qn("w:hint"), "cs")
    own_size = run_props.find(qn("w:sz"))
    size = (
        own_size.get(qn("w:val"))
        if own_size is not None
        else styles.inherited(style_id, "w:sz", "w:val")
    )
    if size:
        _property(run_props, "w:szCs").set(qn("w:val"), size)
    _property(run_props, "w:rtl")
    if run_props.find(qn("w:i")) is not None:
        _property(run_props, "w:iCs")
    if run_props.find(qn("w:b")) is not None:
        _property(run_props, "w:bCs")


def _simple(run: Any) -> bool:
    """Return whether a run holds one piece of text and nothing else (pandoc's runs)."""
    children = [c for c in run if c.tag != qn("w:rPr")]
    return len(children) == 1 and children[0].tag == qn("w:t")


def _run_text(run: Any) -> str:
    return "".join(t.text or "" for t in run.findall(qn("w:t")))


def _direction_is_right_to_left(paragraph: Any, text: str) -> bool:
    if paragraph.find(f"{qn('w:pPr')}/{qn('w:bidi')}") is not None:
        return True
    first = _STRONG.search(text)
    return first is not None and _RIGHT_TO_LEFT_CHAR.match(first.group(0)) is not None


def isolate_right_to_left(doc: Any) -> None:
    """Set the Arabic and Hebrew words of left-to-right paragraphs right to left, in order.

    Each right-to-left segment becomes a run of its own marked ``w:rtl``, in
    its paragraph's complex-script font and size; a left-to-right mark after it
    keeps a following number (a citation's year) in the left-to-right sentence,
    so "(صالح 2023)" reads name, then year. Right-to-left paragraphs are left
    as they are.
    """
    styles = InheritedStyles(doc)
    for paragraph in doc.element.body.iter(qn("w:p")):
        runs = list(paragraph.iter(qn("w:r")))
        texts = [_run_text(run) for run in runs]
        text = "".join(texts)
        if not _RIGHT_TO_LEFT_CHAR.search(text) or _direction_is_right_to_left(paragraph, text):
            continue
        segments = [m.span() for m in _SEGMENT.finditer(text)]
        marks = {end for _, end in segments if _DIGIT_NEXT.match(text, end)}
        style_id = _paragraph_style(paragraph)
        start = 0
        for run, run_text in zip(runs, texts, strict=True):
            end = start + len(run_text)
            if run_text and _simple(run):
                _split_run(run, start, end, text, segments, marks, styles, style_id)
            start = end


def _split_run(
    run: Any,
    start: int,
    end: int,
    text: str,
    segments: list[tuple[int, int]],
    marks: set[int],
    styles: InheritedStyles,
    style_id: str | None,
) -> None:
    """Cut a run at the ends of right-to-left segments; mark those, add the marks after them."""
    cuts = {start, end}
    for a, b in segments:
        cuts.update(c for c in (a, b) if start < c < end)
    bounds = sorted(cuts)
    pieces = []
    for a, b in itertools.pairwise(bounds):
        inside = any(sa <= a and b <= sb for sa, sb in segments)
        mark = a in marks and not inside
        if mark:
            marks.discard(a)
        pieces.append((text[a:b], inside, mark))
    if len(pieces) == 1 and not pieces[0][1] and not pieces[0][2]:
        return
    anchor = run
    for piece, inside, mark in pieces:
        new = deepcopy(run)
        t = new.find(qn("w:t"))
        t.text = (LEFT_TO_RIGHT_MARK if mark else "") + piece
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        if inside:
            mark_right_to_left(new, styles, style_id)
        anchor.addnext(new)
        anchor = new
    run.getparent().remove(run)
