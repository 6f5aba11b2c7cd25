"""Word documents in: a section draft written in Word, and reviewers' Word comments.

Terms:

- A **Word draft** is a ``.docx`` file in which an author wrote one section.
  :func:`import_section_docx` converts it to the workbench's Markdown and saves
  it as a new revision through :func:`workbench.sections.save_revision`, so the
  permission check, the audit event and the conflict check (a save names the
  revision it was based on) are those of every other save.
- A **review copy** is the ``.docx`` the workbench exports of a draft under
  review. Its contract: each section's heading carries a bookmark named
  ``sec-<section id>``, each part's heading (:mod:`workbench.parts`: key
  findings, the registers, recommendations, initiatives) the bookmark named by
  its anchor (``key-findings``, ``consensus``…), and each numbered line of the
  frozen text begins with a run in the character style "Line Number" holding
  the line's number (lines as :func:`workbench.sections.lines_of` counts them,
  from 1 in each section and part), in a paragraph or in a table's cell.
- A **Word comment** is a comment a reviewer left in a review copy; its
  **anchor** is the stretch of text it is attached to.
  :func:`import_comments_docx` turns every Word comment into a review comment
  of the open round, on the section and lines its anchor covers, through
  :func:`workbench.reviews.import_comment_rows` (the comment-table import's own
  path: permission, open round, line checks, numbering, audit, one
  transaction).

Decisions for drafts:

- pandoc reads the document (``docx+styles``, tracked changes accepted as
  Word's "Accept All" would); this module cleans pandoc's document tree; pandoc
  writes it as Markdown with ATX headings and no line wrapping (one paragraph,
  one line). Tables become pipe tables when every cell is one line of text and
  grid tables otherwise (a pipe table cannot hold a list or two paragraphs).
- Kept: headings at the level Word gave them, emphasis, lists, tables,
  footnotes, links, block quotes, formulas. Citations typed in Word as
  ``[@key]`` or ``@key`` stay citations (pandoc alone would escape them into
  literal text).
- Dropped, because Markdown cannot or should not hold them: images and
  figures (a revision is text; each is named in a warning, by its alt text or
  file name), underline and highlight, custom styles, bookmarks, heading ids,
  column widths, and the line numbers of a review copy.
- The first heading (or a paragraph in Word's Title style) is dropped when it
  repeats the section's title, with or without its code: the section has its
  own title. A different first heading is kept.
- A document with ``sec-<id>`` bookmarks is the workbench's own export of the
  report (an author edited their section in it): only this section's part is
  taken, its headings moved back up the two levels the export moved them
  down; a document that does not hold the section is refused. Citations in an
  export are rendered text, so a warning says when the imported text no
  longer cites what the current text cites.
- Word comments in a draft are not text: they are left out, with a warning.
- Files: at most :data:`~workbench.limits.MAX_DOCX_BYTES` (pictures make Word
  files large; only the text is kept) and
  :data:`~workbench.limits.MAX_UNZIPPED_BYTES` once unzipped, counted by the
  bytes every part really inflates to (:func:`workbench.limits.check_zip`)
  before lxml or pandoc read anything: a document's table of contents can lie
  about its parts' sizes.

Decisions for comments:

- Section or part: the nearest ``sec-<id>`` or part bookmark before the
  anchor; a level-1 heading (a synthesis question, the references, an annex)
  ends a section or a part, except the heading of the part whose bookmark
  stands just before it. A comment on the title page, the contents, a
  question's heading, the references or the review annexes is refused, saying
  where it is. On a part, a comment within one item's lines (a finding's row,
  a register row, a recommendation's lines, an initiative) is on that item
  (``F6``, ``CR8``, ``R4``, ``IN1``), a wider one on the part (``KF``…).
  Lines: the line number in effect at the
  anchor's first character of text (Word puts the anchor's start before a
  line's number when a selection begins at a paragraph's start) and at its
  last one. A comment with no anchored text is on the line where it stands. A
  comment on a section's heading (before its first line) is about the section
  as a whole and lands on line 1.
- The review copy shows the round's open comments in the margin
  (``No. 12 (Substantive, lines 3–4): …``, by their reviewer). Those are
  recognised by number and reviewer and not imported again; a reply to one of
  them is imported as a comment of its own.
- Kind: a comment beginning with ``Editorial:``, ``[editorial]``, ``General:``
  or ``Substantive:`` (any case, any of ``: - –``) is of that kind and the
  label is removed; every other comment is substantive, the IPCC default.
- A paragraph of the comment beginning ``Suggested change:`` (or
  ``Suggestion:``) becomes the suggested change.
- The comment keeps the words it is anchored to, quoted in front
  (``On “decent life”: Define this.``): in Word the anchor is part of what
  the reviewer said, and line numbers alone lose it.
- Replies (Word's comment threads) are added to the comment they answer as
  ``Reply from NAME: …`` rather than imported as comments of their own.
- Reviewer: the comment's author as Word recorded it. Affiliation: that of the
  workspace's person the author is, matched by email address (Word's list of
  people, ``people.xml``, carries it when Word is signed in to an
  organisation's account) or else by name, ignoring case and spacing; empty
  when no one, or two people of different affiliations, match. Date: the
  comment's ``w:date`` (read as UTC when it names no zone), or the import's
  time when Word left it out or it lies in the future. Numbers: the round's
  next free ones, in document order.
- Importing the same file again adds nothing: a comment already in the round
  with the same reviewer, section or part, lines, text (anchor, replies and
  kind label as imported) and suggested change is skipped, and the result
  counts it. A reviewer's later edit of a comment makes it a new one. The
  check runs under the round's numbering lock
  (:func:`workbench.reviews.import_comment_rows`'s ``skip``), so two imports
  of one file at the same moment add its comments once.
- The author's name, the comment (with its anchor and replies) and the
  suggested change must fit their columns in the database and hold no control
  characters other than tab and newline, as in a comment table.
- The text must still be there: the section or part frozen in that round,
  the lines within its frozen text, and at least :data:`MIN_WORDS_FOUND` of the anchored
  words among the words of those lines. Words are compared in lower case with
  letters and digits apart, so a citation shown as "(Anker 2017)" in Word
  matches ``[@anker2017]``. Any problem refuses the whole document, naming the
  comment by its number, author and first words.
"""

from __future__ import annotations

import io
import json
import math
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree
from sqlmodel import Session, col, select

from workbench import parts
from workbench.comment_table import CommentRow
from workbench.errors import ImportFailed, PermissionDenied
from workbench.i18n import N_, Msg
from workbench.limits import (
    MAX_DOCX_BYTES,
    MAX_UNZIPPED_BYTES,
    check_zip,
    field_limit,
    read_member,
    text_problem,
)
from workbench.models import (
    CommentKind,
    Person,
    Report,
    ReviewComment,
    ReviewRound,
    Section,
    utcnow,
)
from workbench.parts import Target
from workbench.phrasing import Count, Joined, Number
from workbench.reviews import (
    ProgressCallback,
    frozen_text,
    import_comment_rows,
    require_comment_import,
)
from workbench.sections import (
    SaveResult,
    extract_citation_keys,
    head_text,
    lines_of,
    save_revision,
    write_refusal,
)

# How much of a comment's author and first words a message shows.
_LABEL_CHARS = 60
#: Share of a comment's anchored words that must appear in the lines it is on.
MIN_WORDS_FOUND = 0.6
LINE_NUMBER_STYLE = "Line Number"
SECTION_BOOKMARK = re.compile(r"sec-(\d+)")

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT = "/officeDocument"
_COMMENTS = "/comments"
_STYLES = "/styles"
_COMMENTS_EXTENDED = "/commentsExtended"
_PEOPLE = "/people"
_EMAIL = re.compile(r"[^\s:@<>]+@[^\s:@<>]+\.[^\s:@<>]+")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_WORDS = re.compile(r"[^\W\d_]+|\d+")
_KIND_PREFIX = re.compile(
    r"^\s*(?:\[\s*(general|substantive|editorial)\s*\]|(general|substantive|editorial)\s*[:\-–—])"
    r"\s*",
    re.IGNORECASE,
)
# How the review copy shows the round's own open comments: "No. 12 (Substantive, lines 3–4): …".
_EXPORTED = re.compile(r"^No\. (\d+) \([^)]*\blines?\b[^)]*\):")
_SUGGESTION = re.compile(r"^\s*(?:suggested change|suggestion)\s*:\s*", re.IGNORECASE)
# Pandoc citations as an author types them: [see @a, p. 4; -@b] and in-text @key.
_BRACKETED_CITATION = re.compile(r"\[(?:[^\[\]]*?[\s;])?-?@[^\s\[\];,]+[^\[\]]*\]")
_INTEXT_CITATION = re.compile(r"(?<![\w@.\\])@(?:\{[^}]+\}|\w(?:[\w:.#$%&\-+?<>~/]*\w)?)")


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


# --------------------------------------------------------------------------- the package


@dataclass
class _Docx:
    """The parts of a Word document this module reads."""

    name: str
    archive: zipfile.ZipFile
    document: Any
    document_path: str
    related: dict[str, str] = field(default_factory=dict)

    def part(self, kind: str) -> Any | None:
        """Return the parsed part the main document relates to by this type, or None."""
        path = self.related.get(kind)
        if path is None or path not in self.archive.namelist():
            return None
        return _parse(self.name, _read(self.name, self.archive, path), path)


def _read(name: str, archive: zipfile.ZipFile, path: str) -> bytes:
    try:
        return read_member(archive, path, cap=MAX_UNZIPPED_BYTES, what=name)
    except ImportFailed as exc:
        raise ImportFailed(
            "{message} Open it in Word and save it again as .docx.", message=exc.msg
        ) from None


def _display_name(filename: str) -> str:
    return filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "the file"


def _parse(name: str, data: bytes, path: str) -> Any:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ImportFailed(
            "{file} is a damaged Word document ({path} cannot be read: {problem}). "
            "Open it in Word and save it again as .docx.",
            file=name,
            path=path,
            problem=str(exc),
        ) from None


def _not_docx(name: str, content: bytes) -> ImportFailed:
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        what = Msg("an older Word 97–2003 document (.doc), or a password-protected one")
    elif content.startswith(b"{\\rtf"):
        what = Msg("a Rich Text (.rtf) file")
    elif content.startswith(b"%PDF"):
        what = Msg("a PDF file")
    else:
        what = Msg("damaged or of another kind")
    return ImportFailed(
        "{file} is not a Word document (.docx): it is {what}. "
        "Open it in Word and save it as 'Word Document (.docx)'.",
        file=name,
        what=what,
    )


def _other_office_file(archive: zipfile.ZipFile, main_part: str) -> Msg | None:
    """Return what another office format in a ZIP archive is, or None when it is not one."""
    if main_part.startswith("xl/"):
        return Msg("an Excel workbook")
    if main_part.startswith("ppt/"):
        return Msg("a PowerPoint presentation")
    if "mimetype" in archive.namelist():
        mimetype = _read("the file", archive, "mimetype").decode("ascii", "replace").strip()
        if mimetype == "application/vnd.oasis.opendocument.text":
            return Msg("an OpenDocument text (.odt)")
        if mimetype.startswith("application/vnd.oasis.opendocument"):
            return Msg("an OpenDocument file")
    return None


def _relations(archive: zipfile.ZipFile, rels_path: str, base: str) -> dict[str, str]:
    """Return relationship type suffix → part path for one .rels part."""
    if rels_path not in archive.namelist():
        return {}
    try:
        data = read_member(archive, rels_path, cap=MAX_UNZIPPED_BYTES, what="the file")
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ImportFailed):
        return {}
    found: dict[str, str] = {}
    for rel in root.iter(f"{{{_REL}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        kind = "/" + (rel.get("Type") or "").rsplit("/", 1)[-1]
        target = rel.get("Target") or ""
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        found.setdefault(kind, posixpath.normpath(path))
    return found


def _open_docx(filename: str, content: bytes) -> _Docx:
    """Open a Word document, or raise ImportFailed saying what it is instead."""
    name = _display_name(filename)
    if len(content) > MAX_DOCX_BYTES:
        raise ImportFailed(
            "{file} is {size} MiB; a Word document may be at most {limit} MiB. Make its "
            "pictures smaller (Word: Compress Pictures) or remove them: only the text is "
            "imported.",
            file=name,
            size=Number(round(len(content) / 1024 / 1024, 1)),
            limit=MAX_DOCX_BYTES // 1024 // 1024,
        )
    if not content.strip():
        raise ImportFailed("{file} is empty; nothing was imported.", file=name)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _not_docx(name, content) from None
    # Every part inflated once, in chunks, counting the bytes it really holds: the sizes
    # the archive declares can lie, and pandoc reads the whole archive.
    try:
        check_zip(content, what=name, max_total=MAX_UNZIPPED_BYTES)
    except ImportFailed as exc:
        raise ImportFailed(
            "{message} If it is a Word document of yours, make its pictures smaller "
            "(Word: Compress Pictures) and save it again.",
            message=exc.msg,
        ) from None
    package = _relations(archive, "_rels/.rels", "")
    document_path = package.get(_OFFICE_DOCUMENT, "word/document.xml")
    other = _other_office_file(archive, document_path)
    if other is not None:
        raise ImportFailed(
            "{file} is not a Word document (.docx): it is {what}. "
            "Open it in Word and save it as 'Word Document (.docx)'.",
            file=name,
            what=other,
        )
    if document_path not in archive.namelist():
        raise ImportFailed(
            "{file} is a ZIP archive but not a Word document (.docx): it has no document "
            "text. Open it in Word and save it as 'Word Document (.docx)'.",
            file=name,
        )
    document = _parse(name, _read(name, archive, document_path), document_path)
    if document.tag != _w("document"):
        raise ImportFailed(
            "{file} is not a Word document (.docx) the workbench can read: its text is not "
            "in Word's usual format (it may be a 'Strict Open XML' file). "
            "Open it in Word and save it as 'Word Document (.docx)'.",
            file=name,
        )
    base = posixpath.dirname(document_path)
    rels_path = posixpath.join(base, "_rels", posixpath.basename(document_path) + ".rels")
    return _Docx(
        name=name,
        archive=archive,
        document=document,
        document_path=document_path,
        related=_relations(archive, rels_path, base),
    )


def _comment_count(docx: _Docx) -> int:
    comments = docx.part(_COMMENTS)
    return 0 if comments is None else len(comments.findall(_w("comment")))


def _has_tracked_changes(docx: _Docx) -> bool:
    for tag in ("ins", "del", "moveFrom", "moveTo"):
        if docx.document.find(f".//{_w(tag)}") is not None:
            return True
    return False


# --------------------------------------------------------------------------- pandoc


def _pandoc(source: str, *, to: str, fmt: str, extra: list[str], is_file: bool = False) -> str:
    """Run pandoc on a file path or a text, or raise ImportFailed when pandoc cannot run."""
    import pypandoc

    try:
        if is_file:
            return pypandoc.convert_file(source, to, format=fmt, extra_args=extra)
        return pypandoc.convert_text(source, to, format=fmt, extra_args=extra)
    except OSError as exc:
        raise ImportFailed(
            "pandoc, which converts Word documents, cannot be run ({problem}). Reinstall the "
            "workbench (bash scripts/setup.sh).",
            problem=str(exc),
        ) from None


# Pipe tables where every cell is one line, grid tables otherwise; never raw HTML.
_MARKDOWN = "markdown-simple_tables-multiline_tables-raw_html"
_WRITER_ARGS = ["--wrap=none", "--markdown-headings=atx"]


def _read_tree(docx: _Docx, content: bytes) -> dict[str, Any]:
    """Return pandoc's document tree (JSON) of a Word document."""
    with tempfile.TemporaryDirectory(prefix="workbench-docx-") as folder:
        path = Path(folder) / "draft.docx"
        path.write_bytes(content)
        try:
            raw = _pandoc(
                str(path),
                to="json",
                fmt="docx+styles",
                extra=["--track-changes=accept", "--sandbox"],
                is_file=True,
            )
        except RuntimeError as exc:
            detail = " ".join(str(exc).split())[:300]
            raise ImportFailed(
                "{file} could not be read as a Word document ({problem}). "
                "Open it in Word and save it again as .docx.",
                file=docx.name,
                problem=detail,
            ) from None
    return json.loads(raw)


def _write_markdown(tree: dict[str, Any]) -> str:
    """Return pandoc's Markdown for a document tree."""
    text = _pandoc(json.dumps(tree), to=_MARKDOWN, fmt="json", extra=_WRITER_ARGS)
    return text.replace("\r\n", "\n").strip() + "\n"


# --------------------------------------------------------------------------- cleaning the tree

_BLANKS = frozenset({"Space", "SoftBreak", "LineBreak"})
_NO_ATTR: list[Any] = ["", [], []]


def _stringify(node: Any) -> str:
    """Return the plain text of a tree node or list of nodes."""
    if isinstance(node, list):
        return "".join(_stringify(item) for item in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("t")
    if kind == "Str":
        return node["c"]
    if kind in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if kind in ("Code", "Math"):
        return node["c"][-1]
    if kind in ("Note", "Image"):
        return ""
    if kind in ("Para", "Plain", "Header"):
        return _stringify(node["c"]) + " "
    return _stringify(node.get("c", []))


def _words(text: str) -> list[str]:
    """Return the lower-case words of a text, letters and digits apart ('anker2017' → 2)."""
    return _WORDS.findall(text.casefold())


def _custom_style(attr: list[Any]) -> str:
    return next((value for key, value in attr[2] if key == "custom-style"), "")


@dataclass
class _Cleaner:
    """Clean pandoc's tree of a Word draft, noting the images it removes."""

    images: list[str | Msg] = field(default_factory=list)
    line_numbers: int = 0

    def blocks(self, blocks: list[Any]) -> list[Any]:
        out: list[Any] = []
        for block in blocks:
            out.extend(self.block(block))
        return out

    def block(self, block: dict[str, Any]) -> list[Any]:
        kind, content = block["t"], block.get("c")
        if kind in ("Para", "Plain"):
            inlines = _trim(self.inlines(content))
            return [{"t": kind, "c": inlines}] if inlines else []
        if kind == "Header":
            inlines = _trim(self.inlines(content[2]))
            return [{"t": "Header", "c": [content[0], _NO_ATTR, inlines]}] if inlines else []
        if kind == "Div":
            return self.blocks(content[1])
        if kind == "Figure":
            caption = " ".join(_stringify(content[1][1]).split())
            before = len(self.images)
            self.blocks(content[2])
            if caption and len(self.images) > before:
                self.images[before] = f"“{caption}”"
            elif len(self.images) == before:
                self.images.append(f"“{caption}”" if caption else Msg("a figure"))
            return []
        if kind == "BlockQuote":
            inner = self.blocks(content)
            return [{"t": kind, "c": inner}] if inner else []
        if kind == "BulletList":
            items = [self.blocks(item) for item in content]
            items = [item for item in items if item]
            return [{"t": kind, "c": items}] if items else []
        if kind == "OrderedList":
            items = [self.blocks(item) for item in content[1]]
            items = [item for item in items if item]
            return [{"t": kind, "c": [content[0], items]}] if items else []
        if kind == "DefinitionList":
            entries = [
                [self.inlines(term), [self.blocks(d) for d in definitions]]
                for term, definitions in content
            ]
            return [{"t": kind, "c": entries}]
        if kind == "LineBlock":
            lines = [self.inlines(line) for line in content]
            return [{"t": kind, "c": lines}]
        if kind == "Table":
            return [self.table(content)]
        if kind == "RawBlock":
            return []
        return [block]

    def table(self, content: list[Any]) -> dict[str, Any]:
        _attr, caption, colspecs, head, bodies, foot = content
        # Word's column widths would make pandoc write grid tables; Markdown needs none.
        colspecs = [[align, {"t": "ColWidthDefault"}] for align, _width in colspecs]
        caption = [caption[0], self.blocks(caption[1])]
        head = [_NO_ATTR, [self.row(r) for r in head[1]]]
        bodies = [
            [_NO_ATTR, body[1], [self.row(r) for r in body[2]], [self.row(r) for r in body[3]]]
            for body in bodies
        ]
        foot = [_NO_ATTR, [self.row(r) for r in foot[1]]]
        return {"t": "Table", "c": [_NO_ATTR, caption, colspecs, head, bodies, foot]}

    def row(self, row: list[Any]) -> list[Any]:
        return [
            _NO_ATTR,
            [
                [_NO_ATTR, align, rows, cols, self.blocks(blocks)]
                for _a, align, rows, cols, blocks in row[1]
            ],
        ]

    def inlines(self, inlines: list[Any]) -> list[Any]:
        out: list[Any] = []
        for inline in inlines:
            out.extend(self.inline(inline))
        return _restore_citations(out)

    def inline(self, inline: dict[str, Any]) -> list[Any]:
        kind, content = inline["t"], inline.get("c")
        if kind == "Image":
            alt = " ".join(_stringify(content[1]).split())
            target = content[2][0].rsplit("/", 1)[-1]
            self.images.append(f"“{alt}”" if alt else target or Msg("an image"))
            return []
        if kind == "Span":
            if _custom_style(content[0]) == LINE_NUMBER_STYLE:
                self.line_numbers += 1
                return []
            return self.inlines(content[1])
        if kind == "Underline":
            return self.inlines(content)
        if kind in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
            inner = self.inlines(content)
            return [{"t": kind, "c": inner}] if _trim(list(inner)) else inner
        if kind == "Quoted":
            return [{"t": kind, "c": [content[0], self.inlines(content[1])]}]
        if kind == "Link":
            inner = self.inlines(content[1])
            return [{"t": kind, "c": [_NO_ATTR, inner, content[2]]}] if inner else []
        if kind == "Note":
            blocks = self.blocks(content)
            return [{"t": kind, "c": blocks}] if blocks else []
        if kind == "RawInline":
            return []
        return [inline]


def _trim(inlines: list[Any]) -> list[Any]:
    """Return inlines without blanks at either end."""
    start, end = 0, len(inlines)
    while start < end and inlines[start]["t"] in _BLANKS:
        start += 1
    while end > start and inlines[end - 1]["t"] in _BLANKS:
        end -= 1
    return inlines[start:end]


def _restore_citations(inlines: list[Any]) -> list[Any]:
    """Turn citations typed in Word back into Markdown citations pandoc will not escape."""
    out: list[Any] = []
    run: list[Any] = []

    def flush() -> None:
        if not run:
            return
        text = "".join(node["c"] if node["t"] == "Str" else " " for node in run)
        if "@" not in text:
            out.extend(run)
        else:
            out.extend(_split_citations(text))
        run.clear()

    for node in inlines:
        if node["t"] in ("Str", "Space"):
            run.append(node)
        else:
            flush()
            out.append(node)
    flush()
    return out


def _split_citations(text: str) -> list[Any]:
    spans = [m.span() for m in _BRACKETED_CITATION.finditer(text)]
    taken = [False] * len(text)
    for start, end in spans:
        for i in range(start, end):
            taken[i] = True
    for m in _INTEXT_CITATION.finditer(text):
        if not any(taken[m.start() : m.end()]):
            spans.append(m.span())
    spans.sort()
    nodes: list[Any] = []
    position = 0
    for start, end in spans:
        nodes.extend(_plain(text[position:start]))
        nodes.append({"t": "RawInline", "c": ["markdown", text[start:end]]})
        position = end
    nodes.extend(_plain(text[position:]))
    return nodes


def _plain(text: str) -> list[Any]:
    nodes: list[Any] = []
    for i, part in enumerate(text.split(" ")):
        if i:
            nodes.append({"t": "Space"})
        if part:
            nodes.append({"t": "Str", "c": part})
    return nodes


def _repeats_title(inlines: list[Any], section: Section) -> bool:
    """Return True when a heading's words are the section's title (with or without its code)."""
    heading = _words(_stringify(inlines))
    title = _words(section.title)
    return bool(heading) and heading in (title, _words(section.code) + title)


def _exported_part(name: str, blocks: list[Any], section: Section) -> list[Any]:
    """Return one section's part of the workbench's Word export, headings as the author wrote them.

    The export puts a section under a level-2 heading "code title" and moves the
    headings of its text down two levels; this undoes both.
    """
    start = next(
        (
            i
            for i, b in enumerate(blocks)
            if b["t"] == "Header" and b["c"][0] == 2 and _repeats_title(b["c"][2], section)
        ),
        None,
    )
    if start is None:
        raise ImportFailed(
            "{file} is a Word export of the report, but the heading of section "
            "{code} (“{code} {title}”) is missing or was changed, so "
            "its part cannot be found. Restore the heading, or copy the section's text into a "
            "new document.",
            file=name,
            code=section.code,
            title=section.title,
        )
    part: list[Any] = []
    for block in blocks[start + 1 :]:
        if block["t"] == "Header":
            if block["c"][0] <= 2:
                break
            block = {"t": "Header", "c": [block["c"][0] - 2, *block["c"][1:]]}
        part.append(block)
    return part


def _meta_blocks(meta: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """Return the blocks Word's Title, Subtitle and Abstract paragraphs stand for, and the rest."""
    blocks: list[Any] = []
    title = meta.get("title")
    if title and title.get("t") == "MetaInlines":
        blocks.append({"t": "Header", "c": [1, _NO_ATTR, title["c"]]})
    subtitle = meta.get("subtitle")
    if subtitle and subtitle.get("t") == "MetaInlines":
        blocks.append({"t": "Para", "c": subtitle["c"]})
    abstract = meta.get("abstract")
    if abstract and abstract.get("t") == "MetaBlocks":
        blocks.extend(abstract["c"])
    elif abstract and abstract.get("t") == "MetaInlines":
        blocks.append({"t": "Para", "c": abstract["c"]})
    left_out = [key for key in ("author", "date") if key in meta]
    return blocks, left_out


def _draft_markdown(
    docx: _Docx, content: bytes, section: Section
) -> tuple[str, list[str | Msg], list[Msg]]:
    """Return a Word draft as Markdown, the images it held and the other warnings."""
    markers = _walk(docx).section_ids
    if markers and section.id not in markers:
        raise ImportFailed(
            "{file} is a Word export of a report, and section {code} "
            "({title}) is not in it; nothing was imported.",
            file=docx.name,
            code=section.code,
            title=section.title,
        )
    tree = _read_tree(docx, content)
    warnings: list[Msg] = []
    cleaner = _Cleaner()
    if markers:
        blocks = _exported_part(docx.name, cleaner.blocks(tree.get("blocks", [])), section)
        left_out: list[str] = []
        warnings.append(
            Msg(
                "The document is a Word export of the report: only section {code}'s part "
                "was imported, its headings moved back up two levels.",
                code=section.code,
            )
        )
    else:
        meta_blocks, left_out = _meta_blocks(tree.get("meta", {}))
        front = cleaner.blocks(meta_blocks)
        if front and front[0]["t"] == "Header" and _repeats_title(front[0]["c"][2], section):
            del front[0]
        blocks = cleaner.blocks(tree.get("blocks", []))
        first_heading = next((i for i, b in enumerate(blocks) if b["t"] == "Header"), None)
        if first_heading is not None and _repeats_title(blocks[first_heading]["c"][2], section):
            del blocks[first_heading]
        blocks = front + blocks
    tree["meta"] = {}
    tree["blocks"] = blocks
    if left_out:
        warnings.append(
            Msg(
                N_(
                    "The document's author and date lines were left out: "
                    "a section's text holds no author or date lines."
                )
                if len(left_out) == 2
                else N_(
                    "The document's author lines were left out: "
                    "a section's text holds no author or date lines."
                )
                if left_out[0] == "author"
                else N_(
                    "The document's date lines were left out: "
                    "a section's text holds no author or date lines."
                )
            )
        )
    if cleaner.line_numbers:
        warnings.append(
            Msg(
                "The document is a review copy exported by the workbench: its line numbers were "
                "left out."
            )
        )
    if _has_tracked_changes(docx):
        warnings.append(
            Msg(
                "The document had tracked changes; they were accepted, as Word's "
                "'Accept All Changes' would, before the text was imported."
            )
        )
    comments = _comment_count(docx)
    if comments:
        warnings.append(
            Count(
                N_(
                    "The document's {count} Word comment was left out: a draft brings in its "
                    "text only. Review comments come in from a review copy "
                    "(`workbench comments import-docx`)."
                ),
                N_(
                    "The document's {count} Word comments were left out: a draft brings in its "
                    "text only. Review comments come in from a review copy "
                    "(`workbench comments import-docx`)."
                ),
                comments,
            )
        )
    text = _write_markdown(tree) if blocks else ""
    return text, cleaner.images, warnings


# --------------------------------------------------------------------------- drafts


def import_section_docx(
    *,
    session: Session,
    actor: Person,
    section: Section,
    filename: str,
    content: bytes,
    base_revision_id: int | None,
    message: str = "",
) -> tuple[SaveResult, list[str]]:
    """Save a section draft written in Word as the section's next revision; return it and warnings.

    The warnings are written in the current language (the page's, or English).
    The save is based on ``base_revision_id`` like any other: when the head has
    moved since, :class:`~workbench.errors.Conflict` carries the converted text.
    """
    refusal = write_refusal(session, actor, section)
    if refusal is not None:
        raise PermissionDenied(refusal)
    docx = _open_docx(filename, content)
    text, images, warnings = _draft_markdown(docx, content, section)
    if images:
        shown: Msg = Joined(images[:10])
        if len(images) > 10:
            shown = Msg("{images} and {count} more", images=shown, count=len(images) - 10)
        warnings.insert(
            0,
            Count(
                N_(
                    "The document holds {count} image ({shown}); it was not imported: a "
                    "section's text cannot hold images. Keep figures with the report's other "
                    "material and refer to them in the text."
                ),
                N_(
                    "The document holds {count} images ({shown}); they were not imported: a "
                    "section's text cannot hold images. Keep figures with the report's other "
                    "material and refer to them in the text."
                ),
                len(images),
                shown=shown,
            ),
        )
    cited_before = extract_citation_keys(head_text(session, section))
    if cited_before and not extract_citation_keys(text):
        shown = ", ".join(f"[@{key}]" for key in cited_before[:10])
        shown += " …" if len(cited_before) > 10 else ""
        warnings.append(
            Count(
                N_(
                    "The imported text cites no source, though the section's current text cites "
                    "{count} source ({shown}). Citations shown as rendered text in Word, like "
                    "“(Anker 2017)”, cannot come back as citations: put the [@key] citations "
                    "back in the editor."
                ),
                N_(
                    "The imported text cites no source, though the section's current text cites "
                    "{count} sources ({shown}). Citations shown as rendered text in Word, like "
                    "“(Anker 2017)”, cannot come back as citations: put the [@key] citations "
                    "back in the editor."
                ),
                len(cited_before),
                shown=shown,
            )
        )
    if not text.strip():
        if images:
            message = Count(
                N_(
                    "{file} holds only {count} image and no text; a section's text cannot "
                    "hold images, so nothing was imported."
                ),
                N_(
                    "{file} holds only {count} images and no text; a section's text cannot "
                    "hold images, so nothing was imported."
                ),
                len(images),
                file=docx.name,
            )
            raise ImportFailed(message)
        raise ImportFailed("{file} has no text; nothing was imported.", file=docx.name)
    result = save_revision(
        session=session,
        actor=actor,
        section=section,
        text=text,
        base_revision_id=base_revision_id,
        message=message.strip() or f"Imported from {docx.name}",
    )
    return result, [warning.render() for warning in warnings]


# --------------------------------------------------------------------------- comments


@dataclass(frozen=True)
class _Outside:
    """A stretch of a review copy open to no comment, named by the level-1 heading it is under.

    The title page and the contents have no heading ("").
    """

    heading: str = ""


#: Where a review copy's text stands: a section (its id), a part (its code) or outside both.
_Place = int | str | _Outside
#: A place and the line number in effect there (None before the place's first number).
_Where = tuple[_Place, int | None]
#: Part code by the bookmark its heading carries in a review copy.
PART_BOOKMARKS: dict[str, str] = {spec.anchor: spec.code for spec in parts.SPECS}


@dataclass
class _Anchor:
    """Where a Word comment's anchor starts and ends, and the text it covers."""

    start: _Where
    end: _Where | None = None
    first: _Where | None = None
    last: _Where | None = None
    parts: list[str] = field(default_factory=list)
    order: int = 0

    def add(self, text: str, where: _Where) -> None:
        self.parts.append(text)
        if text.strip():
            if self.first is None:
                self.first = where
            self.last = where

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


@dataclass
class _WordComment:
    """One comment as Word stored it."""

    id: str
    author: str
    paragraphs: list[str]
    para_ids: list[str]
    anchor: _Anchor | None = None
    replies: list[_WordComment] = field(default_factory=list)
    number: int = 0
    date: datetime | None = None

    @property
    def text(self) -> str:
        return "\n".join(p for p in self.paragraphs if p.strip()).strip()

    def label(self, name: str) -> Msg:
        words = " ".join(self.text.split()[:6])
        more = "…" if len(self.text.split()) > 6 else ""
        # A label stays short whatever a hostile document holds (one 100,000-letter word).
        if len(words) > _LABEL_CHARS:
            words, more = _quote(words, _LABEL_CHARS), ""
        who = _quote(self.author.strip(), _LABEL_CHARS) or Msg("no author")
        return Msg(
            "Comment {number} of {file} ({who}: “{words}”)",
            number=self.number,
            file=name,
            who=who,
            words=words + more,
        )


def _paragraph_text(paragraph: Any) -> str:
    parts: list[str] = []
    for node in paragraph.iter(_w("t"), _w("tab"), _w("br"), _w("cr")):
        parts.append(node.text or "" if node.tag == _w("t") else " ")
    return "".join(parts)


def _word_comments(docx: _Docx) -> list[_WordComment]:
    part = docx.part(_COMMENTS)
    if part is None:
        return []
    comments = []
    for element in part.findall(_w("comment")):
        paragraphs = element.findall(f".//{_w('p')}")
        comments.append(
            _WordComment(
                id=element.get(_w("id")) or "",
                author=element.get(_w("author")) or "",
                paragraphs=[_paragraph_text(p) for p in paragraphs],
                para_ids=[p.get(f"{{{_W14}}}paraId") or "" for p in paragraphs],
                date=_comment_date(element.get(_w("date")) or ""),
            )
        )
    return comments


def _comment_date(value: str) -> datetime | None:
    """Return when Word says a comment was written, in UTC, or None when it does not say.

    Word writes ``2024-03-05T10:20:00Z``; other editors leave out the zone (read
    as UTC) or write a date no clock could have (after the import: not kept).
    """
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment if moment <= utcnow() else None


def _author_emails(docx: _Docx) -> dict[str, str]:
    """Return comment author → email address, as Word's list of people records it.

    Word signed in to an organisation's account writes ``people.xml`` with a
    ``userId`` such as ``S::ada@panel.org::…``; an author named by an address
    is that address.
    """
    found: dict[str, str] = {}
    people = docx.part(_PEOPLE)
    if people is None:
        return found
    for person in people.iter(f"{{{_W15}}}person"):
        author = person.get(f"{{{_W15}}}author") or ""
        info = person.find(f"{{{_W15}}}presenceInfo")
        user = (info.get(f"{{{_W15}}}userId") or "") if info is not None else ""
        match = _EMAIL.search(user)
        if author and match:
            found[author] = match.group(0)
    return found


def _thread_replies(
    docx: _Docx, comments: list[_WordComment], exported: set[str]
) -> list[_WordComment]:
    """Attach Word's replies to the comments they answer; return the comments that start threads.

    A reply to a comment the workbench exported (``exported`` holds their ids)
    stands on its own: it is the only new thing in its thread.
    """
    extended = docx.part(_COMMENTS_EXTENDED)
    if extended is None:
        return comments
    by_para = {c.para_ids[-1]: c for c in comments if c.para_ids and c.para_ids[-1]}
    replies: set[str] = set()
    for entry in extended.iter(f"{{{_W15}}}commentEx"):
        child = by_para.get(entry.get(f"{{{_W15}}}paraId") or "")
        parent = by_para.get(entry.get(f"{{{_W15}}}paraIdParent") or "")
        if parent is not None and parent.id in exported:
            continue
        if child is not None and parent is not None and child is not parent:
            parent.replies.append(child)
            replies.add(child.id)
    return [c for c in comments if c.id not in replies]


def _style_ids(docx: _Docx, name: str, default: str) -> set[str]:
    """Return the ids of the styles with this name (Word writes its own in lower case)."""
    ids = {default}
    styles = docx.part(_STYLES)
    if styles is not None:
        for style in styles.findall(_w("style")):
            found = style.find(_w("name"))
            if found is not None and (found.get(_w("val")) or "").casefold() == name.casefold():
                ids.add(style.get(_w("styleId")) or "")
    return ids


@dataclass
class _Marks:
    """What a walk through a review copy found: anchors by comment id and the markers seen."""

    anchors: dict[str, _Anchor]
    section_ids: set[int]
    line_numbers: int
    part_codes: set[str] = field(default_factory=set)


def _walk(docx: _Docx) -> _Marks:
    """Follow the document in reading order, noting each comment anchor's section or part and lines.

    A bookmark ``sec-<id>`` starts a section, a part's bookmark (``key-findings``…)
    starts that part; the bookmark stands just before its heading. A level-1
    heading (a question, the references, an annex) ends a section or a part,
    unless it is the heading of the part whose bookmark came just before it.
    """
    line_styles = _style_ids(docx, LINE_NUMBER_STYLE, "LineNumber")
    top_headings = _style_ids(docx, "heading 1", "Heading1")
    place: _Place = _Outside()
    line: int | None = None
    # A part's bookmark was passed and its heading (maybe after an empty page-break
    # paragraph) is still to come: that level-1 heading opens the part, not ends it.
    heading_due = False
    section_ids: set[int] = set()
    part_codes: set[str] = set()
    line_numbers = 0
    opened: dict[str, _Anchor] = {}
    anchors: dict[str, _Anchor] = {}
    order = 0
    body = docx.document.find(_w("body"))
    if body is None:
        return _Marks(anchors, section_ids, line_numbers, part_codes)
    tags = {
        _w(t)
        for t in (
            "bookmarkStart",
            "p",
            "t",
            "tab",
            "br",
            "cr",
            "commentRangeStart",
            "commentRangeEnd",
            "commentReference",
        )
    }
    for element in body.iter():
        tag = element.tag
        if tag not in tags:
            continue
        where: _Where = (place, line)
        if tag == _w("bookmarkStart"):
            name = element.get(_w("name")) or ""
            match = SECTION_BOOKMARK.fullmatch(name)
            if match:
                place, line, heading_due = int(match.group(1)), None, False
                section_ids.add(place)
            elif name in PART_BOOKMARKS:
                place, line, heading_due = PART_BOOKMARKS[name], None, True
                part_codes.add(place)
        elif tag == _w("p"):
            style = element.find(f"{_w('pPr')}/{_w('pStyle')}")
            if style is not None and style.get(_w("val")) in top_headings:
                if not heading_due:
                    place, line = _Outside(" ".join(_paragraph_text(element).split())), None
                heading_due = False
            elif heading_due and _paragraph_text(element).strip():
                heading_due = False
            for anchor in opened.values():
                anchor.add(" ", where)
        elif tag == _w("t"):
            run = element.getparent()
            style = run.find(f"{_w('rPr')}/{_w('rStyle')}") if run is not None else None
            if style is not None and style.get(_w("val")) in line_styles:
                number = (element.text or "").strip()
                if number.isdigit():
                    line = int(number)
                    line_numbers += 1
                continue
            for anchor in opened.values():
                anchor.add(element.text or "", where)
        elif tag in (_w("tab"), _w("br"), _w("cr")):
            for anchor in opened.values():
                anchor.add(" ", where)
        else:
            comment_id = element.get(_w("id")) or ""
            if tag == _w("commentRangeStart"):
                order += 1
                opened[comment_id] = _Anchor(start=where, order=order)
            elif tag == _w("commentRangeEnd"):
                anchor = opened.pop(comment_id, None)
                if anchor is not None:
                    anchor.end = where
                    anchors[comment_id] = anchor
            elif comment_id not in anchors and comment_id not in opened:
                # A reference without a range: the comment stands at one point.
                order += 1
                anchors[comment_id] = _Anchor(start=where, end=where, order=order)
    for comment_id, anchor in opened.items():
        anchor.end = anchor.last or anchor.start
        anchors.setdefault(comment_id, anchor)
    return _Marks(anchors, section_ids, line_numbers, part_codes)


def _kind_and_text(text: str) -> tuple[str, str, str]:
    """Return a comment's kind, its text without the kind label, and its suggested change."""
    kind = CommentKind.substantive.value
    match = _KIND_PREFIX.match(text)
    if match:
        kind = (match.group(1) or match.group(2)).lower()
        text = text[match.end() :]
    kept: list[str] = []
    suggested: list[str] = []
    for paragraph in text.split("\n"):
        found = _SUGGESTION.match(paragraph)
        if found or suggested:
            suggested.append(paragraph[found.end() :] if found else paragraph)
        else:
            kept.append(paragraph)
    comment = "\n".join(kept).strip()
    if not comment:
        # A suggestion alone is the whole comment: keep it where authors read first.
        return kind, text.strip(), ""
    return kind, comment, "\n".join(suggested).strip()


def _exported_number(comment: _WordComment) -> tuple[int, str] | None:
    """Return (number, reviewer) when the workbench wrote this comment into the review copy."""
    match = _EXPORTED.match(comment.text)
    return (int(match.group(1)), comment.author) if match else None


def _quote(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class CommentImport:
    """What a Word comment import did: comments added, and those already in the round skipped."""

    source: str
    imported: int
    skipped: int = 0

    def summary(self, into: str) -> str:
        """Return the sentence that tells the user what went in (``into``: the round's name)."""
        params = {"file": self.source, "round": into, "skipped": self.skipped}
        if self.skipped:
            return Count(
                N_(
                    "Imported {count} comment from {file} into {round}; skipped {skipped} "
                    "already there (imported before)."
                ),
                N_(
                    "Imported {count} comments from {file} into {round}; skipped {skipped} "
                    "already there (imported before)."
                ),
                self.imported,
                **params,
            ).render()
        return Count(
            N_("Imported {count} comment from {file} into {round}."),
            N_("Imported {count} comments from {file} into {round}."),
            self.imported,
            **params,
        ).render()


@dataclass
class _Located:
    """A Word comment with the section or part and the lines it is on."""

    comment: _WordComment
    place: int | str  # a section's id or a part's code
    from_line: int
    to_line: int
    on_heading: bool


def import_comments_docx(
    *,
    session: Session,
    actor: Person,
    report: Report,
    round: ReviewRound,
    filename: str,
    content: bytes,
    progress: ProgressCallback | None = None,
) -> CommentImport:
    """Import a review copy's Word comments into an open round, all or nothing; say how many.

    Every comment must sit on text the round froze and that is still there; any
    problem refuses the whole document with a list naming each faulty comment.
    A comment already in the round (same reviewer, section, lines and text: the
    file was imported before) is skipped and counted.
    """
    require_comment_import(session=session, actor=actor, report=report, round=round)
    docx = _open_docx(filename, content)
    name = docx.name
    marks = _walk(docx)
    if not marks.section_ids or not marks.line_numbers:
        missing = (
            Msg("no section markers and no line numbers")
            if not marks.section_ids and not marks.line_numbers
            else Msg("no section markers")
            if not marks.section_ids
            else Msg("no line numbers")
        )
        raise ImportFailed(
            "{file} was not exported from the workbench for review: it has {missing}. "
            "Comments can come back only on a review copy: export the draft under review as "
            "Word from the workbench, comment on that file, and import it.",
            file=name,
            missing=missing,
        )
    codes = dict(
        session.exec(select(Section.id, Section.code).where(Section.report_id == report.id)).all()
    )
    if not marks.section_ids & set(codes):
        raise ImportFailed(
            "{file} was exported from another report: none of its sections belongs to '{title}'.",
            file=name,
            title=report.title,
        )
    every = _word_comments(docx)
    if not every:
        raise ImportFailed("{file} has no comments; nothing was imported.", file=name)
    existing = set(
        session.exec(
            select(ReviewComment.number, ReviewComment.reviewer_name).where(
                ReviewComment.round_id == round.id
            )
        ).all()
    )
    exported = {c.id for c in every if _exported_number(c) in existing}
    comments = [c for c in _thread_replies(docx, every, exported) if c.id not in exported]
    if not comments:
        message = Count(
            N_(
                "{file} holds only the {count} comment of {round} that the workbench "
                "exported with it; there is no new comment to import."
            ),
            N_(
                "{file} holds only the {count} comments of {round} that the workbench "
                "exported with it; there is no new comment to import."
            ),
            len(exported),
            file=name,
            round=round.name,
        )
        raise ImportFailed(message)
    anchored = [c for c in comments if c.id in marks.anchors]
    unanchored = [c for c in comments if c.id not in marks.anchors]
    anchored.sort(key=lambda c: marks.anchors[c.id].order)
    for number, comment in enumerate([*anchored, *unanchored], start=1):
        comment.number = number
        comment.anchor = marks.anchors.get(comment.id)

    problems: list[str | Msg] = []
    rows: list[CommentRow] = []
    located: dict[int, _Located] = {}
    frozen_parts = {part.code: part for part in parts.frozen(session, round.id)}
    affiliations = _affiliations(session, _author_emails(docx))
    for comment in [*anchored, *unanchored]:
        where = comment.label(name)
        spot = _locate(comment, codes)
        if isinstance(spot, Msg):
            problems.append(Msg("{where}: {problem}", where=where, problem=spot))
            continue
        code, problem = _target_code(spot, codes, frozen_parts, round)
        if problem is not None:
            problems.append(Msg("{where}: {problem}", where=where, problem=problem))
            continue
        located[comment.number] = spot
        kind, text, suggested = _kind_and_text(comment.text)
        for reply in comment.replies:
            text += f"\n\nReply from {reply.author.strip() or 'an unnamed reviewer'}: {reply.text}"
        anchor_text = comment.anchor.text if comment.anchor else ""
        if anchor_text and text:
            text = f"On “{_quote(anchor_text)}”: {text}"
        texts = {
            N_("the author's name"): ("reviewer_name", comment.author),
            N_("the comment"): ("comment", text),
            N_("the suggested change"): ("suggested_change", suggested),
        }
        bad = [
            Msg(
                "{where}: {what} cannot be stored: {problem}",
                where=where,
                what=Msg(what),
                problem=problem,
            )
            for what, (column, value) in texts.items()
            if (
                problem := text_problem(value.strip(), max_chars=field_limit(ReviewComment, column))
            )
        ]
        if bad:
            problems.extend(bad)
            continue
        rows.append(
            CommentRow(
                number=None,
                section=code,
                from_line=spot.from_line,
                to_line=spot.to_line,
                reviewer=comment.author,
                affiliation=affiliations(comment.author),
                kind=kind,
                comment=text,
                suggested_change=suggested,
                row=comment.number,
                created_at=comment.date,
            )
        )
    labels = {c.number: c.label(name) for c in comments}
    frozen: dict[int, list[str]] = {}

    def still_there(row: CommentRow, target: Target) -> Msg | None:
        spot = located[row.row]
        if spot.comment.anchor is None:
            return None
        marked = _words(spot.comment.anchor.text)
        if not marked:
            return None
        if target.kind == "section" and target.section_id is not None:
            if target.section_id not in frozen:
                frozen[target.section_id] = lines_of(
                    frozen_text(session, round_id=round.id, section_id=target.section_id)
                )
            lines = frozen[target.section_id]
            section = session.get(Section, target.section_id)
            heading = f"{section.code} {section.title}" if section is not None else ""
            what = Msg("section {code}", code=row.section)
        else:
            part = frozen_parts[target.part]
            lines = lines_of(part.markdown)
            heading = part.spec.title
            what = Msg("{part} ({code})", part=Msg(part.spec.title), code=part.code)
        known = set(_words(" ".join(lines[row.from_line - 1 : row.to_line])))
        if spot.on_heading:
            known |= set(_words(heading))
        found = sum(1 for word in marked if word in known)
        if found >= math.ceil(MIN_WORDS_FOUND * len(marked)):
            return None
        span = (
            Msg("line {line}", line=row.from_line)
            if row.from_line == row.to_line
            else Msg("lines {first}–{last}", first=row.from_line, last=row.to_line)
        )
        return Msg(
            "the text it marks (“{marked}”) is not in {span} of {what} as frozen for {round} "
            "({found} of {total} words found); the document may come from another round, or "
            "the text was edited in Word",
            marked=_quote(spot.comment.anchor.text, 60),
            span=span,
            what=what,
            round=round.name,
            found=found,
            total=len(marked),
        )

    skipped = 0
    already: set[tuple[Any, ...]] | None = None

    def imported_before(row: CommentRow, target: Target) -> bool:
        # Asked under the round's lock: the comments read here include those another
        # import of the same file committed a moment ago.
        nonlocal already, skipped
        if already is None:
            already = _imported_before(session, round, {c.author.strip() for c in comments})
        key = (
            row.reviewer.strip(),
            target.section_id,
            target.stored_part,
            row.from_line,
            row.to_line,
            row.comment.strip(),
            row.suggested_change.strip(),
        )
        if key in already:
            skipped += 1
            return True
        return False

    imported = import_comment_rows(
        session=session,
        actor=actor,
        report=report,
        round=round,
        source=name,
        rows=rows,
        progress=progress,
        locate=lambda row: labels[row.row],
        check=still_there,
        known_problems=problems,
        skip=imported_before,
    )
    return CommentImport(source=name, imported=imported, skipped=skipped)


def _imported_before(
    session: Session, round: ReviewRound, authors: set[str]
) -> set[tuple[Any, ...]]:
    """Return what identifies the round's comments by these reviewers: who, where, what.

    Where is the section's id and the part's (or item's) code, one of them empty.
    """
    if not authors:
        return set()
    rows = session.exec(
        select(
            ReviewComment.reviewer_name,
            ReviewComment.section_id,
            ReviewComment.part,
            ReviewComment.from_line,
            ReviewComment.to_line,
            ReviewComment.comment,
            ReviewComment.suggested_change,
        ).where(ReviewComment.round_id == round.id, col(ReviewComment.reviewer_name).in_(authors))
    ).all()
    return {(r, s, p or "", f, t, c.strip(), g.strip()) for r, s, p, f, t, c, g in rows}


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


def _affiliations(session: Session, emails: dict[str, str]) -> Callable[[str], str]:
    """Return a lookup of a Word author's affiliation among the workspace's people.

    An author matches a person by email address (Word's list of people, or an
    author named by an address) or else by name, ignoring case and spacing; a
    name two people share with different affiliations gives none.
    """
    people = session.exec(select(Person.name, Person.email, Person.affiliation)).all()
    by_email = {email.casefold(): affiliation for _, email, affiliation in people}
    by_name: dict[str, set[str]] = {}
    for person_name, _, affiliation in people:
        by_name.setdefault(_folded(person_name), set()).add(affiliation)

    def affiliation(author: str) -> str:
        email = emails.get(author) or author.strip()
        if email.casefold() in by_email:
            return by_email[email.casefold()]
        found = by_name.get(_folded(author), set())
        return next(iter(found)) if len(found) == 1 else ""

    return affiliation


def _place_name(place: _Place | None, codes: dict[int, str]) -> str | Msg:
    """Return a place of a review copy in words: 'section 2.1', 'Key findings (KF)'…"""
    if isinstance(place, _Outside):
        return f"“{place.heading}”" if place.heading else Msg("the title page or the contents")
    if isinstance(place, str):
        return Msg("{part} ({code})", part=Msg(parts.SPEC_BY_CODE[place].title), code=place)
    if place is None:
        return "?"
    return Msg("section {code}", code=codes.get(place, f"sec-{place}"))


def _locate(comment: _WordComment, codes: dict[int, str]) -> _Located | Msg:
    """Return the section or part and the lines a comment is on, or what is wrong with its place."""
    anchor = comment.anchor
    if anchor is None:
        return Msg("it is not attached to the document's text (it may sit in a footnote or header)")
    start = anchor.first or anchor.start
    end = anchor.last or anchor.end or start
    place, from_line = start
    end_place, to_line = end
    if isinstance(place, _Outside):
        return Msg(
            "it is on {place}, which is not open to comment: only the sections, the key "
            "findings, the consensus and false-solutions registers, the recommendations and the "
            "initiatives take comments",
            place=_place_name(place, codes),
        )
    if isinstance(place, int) and place not in codes:
        return Msg(
            "it is on a section (marker sec-{marker}) that is not in this report; "
            "the document may come from another report",
            marker=place,
        )
    if end_place != place:
        return Msg(
            "it starts in {start} and ends in {end}; a comment is about one section or part, "
            "so split it in two",
            start=_place_name(place, codes),
            end=_place_name(end_place, codes),
        )
    on_heading = from_line is None
    from_line = from_line or 1
    to_line = max(to_line or 1, from_line)
    return _Located(comment, place, from_line, to_line, on_heading)


def _target_code(
    spot: _Located,
    codes: dict[int, str],
    frozen_parts: dict[str, parts.PartText],
    round: ReviewRound,
) -> tuple[str, Msg | None]:
    """Return the code a located comment is on (a section's, an item's or a part's), or a problem.

    A comment within the lines of one item of a part (a finding's row, a
    recommendation's lines) is on that item; a wider one, or one on the part's
    heading, is on the part. Returns (code, None) or ('', what is wrong).
    """
    if isinstance(spot.place, int):
        return codes[spot.place], None
    part = frozen_parts.get(spot.place)
    if part is None:
        return "", Msg(
            "it is on {place}, which {round} did not freeze for review (the round opened "
            "before the report's parts took comments)",
            place=_place_name(spot.place, codes),
            round=round.name,
        )
    if not spot.on_heading:
        for code, item in part.items.items():
            first, last = item["lines"]
            if first <= spot.from_line and spot.to_line <= last:
                return code, None
    return part.code, None
