"""The draft history: every saved revision as a commit in a git mirror of the database.

Terms and the decisions behind them:

- The **mirror** is a git repository (branch ``main``) derived from the
  database. The database stays the source of truth: the mirror can always be
  recreated from it (:func:`rebuild`) and checked against it (:func:`verify`).
  It is configured with ``WORKBENCH_MIRROR_PATH`` (a folder); without it the
  mirror lives in ``data/mirror`` when, and only when, the database is the
  default SQLite file, so test and PostgreSQL databases never write there.
- **Layout**: ``reports/<slug>/`` holds one ``<NN>-<section-slug>.md`` per
  section with text (NN: the section's two-digit ordinal in reading order; the
  slug: its title in lower-case ASCII with hyphens), ``report.json`` (title,
  theme, stage, dates, languages, the outline), ``sources.json`` (the library
  as CSL-JSON) and ``comments.csv`` (every round's comment table, as the
  comment-table export writes it, with a Round column first).
- **One revision, one commit**, authored by the revision's author (name and
  email) with the revision's message, dated (author and committer) at the
  revision's creation, so a rebuild writes the same commits. The message ends
  with the trailer ``Workbench-Revision: <id>``: that is how the mirror knows
  which revisions it holds. Only the final line counts, so a message cannot
  forge one.
- **Snapshots**: every commit writes its report's whole current snapshot
  (outline, sources, comments, file names), so after an update the HEAD tree is
  what the database says now. Section files keep the text of the newest
  revision mirrored so far, which after a catch-up is the head. Changes made
  without a save (a status, a new source, a comment) reach the mirror at the
  next mirror update of that report, or with :func:`sync`; a *snapshot commit*
  (by the workbench itself) records them when the tree would differ.
- **One sentence per line** (:func:`one_sentence_per_line`): paragraph lines
  are split after ``.``, ``!`` or ``?`` (and closing quotes or brackets)
  followed by a space and a capital letter (or a letter of a script without
  case, such as Arabic or Chinese), an opening quote or a bracket, so
  that ``git diff`` and blame work per sentence. Anything whose meaning could
  change is left alone: headings, tables, code, HTML, math, definition lists,
  link and footnote definitions, and every position inside code spans,
  brackets, braces, HTML tags or between dollar signs. A split only turns a
  space inside a paragraph into a line break, which Markdown reads the same.
- **Tags** (lightweight, so a rebuild makes the same ones): a review round is
  ``<slug>/<round name, lower case>`` at the commit of the newest revision the
  round froze; a Council decision that ends approved is
  ``<slug>/approved-<decision id>`` at the commit of the report's newest
  revision at or before the decision was opened (the text it was bound to);
  publication is ``<slug>/published`` (``<slug>/published-edition-<n>`` for a
  later edition, a corrigendum). Tags are created when missing and never moved.
- **A save never fails because of the mirror**: the hooks
  (:func:`record_revision`, :func:`record_milestone`) run after the database
  commit, log and remember any problem (:func:`last_problem`) and return a
  note instead of raising. Every update first **catches up** every revision
  not mirrored yet, in id order, each as its own commit with its own author,
  and creates any missing tag, so a missed update heals at the next one.
- **Concurrency**: updates are serialised by ``fcntl.flock`` on
  ``.git/workbench-mirror.lock`` (threads and processes alike); whoever holds
  the lock catches up everything pending. Commits are built from git objects
  directly (never from the working tree, so a stray edit there cannot slip into
  a commit); the working tree is reset to HEAD afterwards, for people who
  browse the folder. The lock holder removes git lock files a crashed writer
  left behind.
- **Remote**: with ``WORKBENCH_MIRROR_REMOTE`` (a git URL or path) the branch
  and the tags are pushed after every update that made a tag, and by
  :func:`sync`; :func:`rebuild` force-pushes, since it replaces the history.
  Push failures are logged and remembered, never raised by a hook.
- ``.git/workbench-mirror.json`` caches what the mirror holds (revision ids and
  each section's mirrored text) for the current HEAD; when HEAD moved behind
  the workbench's back the cache is ignored and recomputed from git and the
  database.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import json
import logging
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from workbench.comment_table import write_rounds_csv
from workbench.db import DATA_DIR, DEFAULT_URL
from workbench.errors import ValidationError
from workbench.models import (
    CouncilDecision,
    DecisionStatus,
    FrozenSection,
    Person,
    Report,
    ReviewRound,
    Section,
    SectionRevision,
    Stage,
    Theme,
    utcnow,
)
from workbench.words import noun, plural

if TYPE_CHECKING:
    from git import Repo
    from git.objects.commit import Commit

log = logging.getLogger(__name__)

MIRROR_ENV = "WORKBENCH_MIRROR_PATH"
REMOTE_ENV = "WORKBENCH_MIRROR_REMOTE"
# Where the mirror of the default SQLite database lives (None: no default mirror).
DEFAULT_MIRROR_PATH: Path | None = DATA_DIR / "mirror"
BRANCH = "main"
TRAILER = "Workbench-Revision"
LOCK_FILE = "workbench-mirror.lock"
STATE_FILE = "workbench-mirror.json"
LOCK_TIMEOUT = 60.0  # seconds a mirror update waits for another one to finish
PUSH_TIMEOUT = 60.0  # seconds before a hanging push is given up
BEHIND_NOTE = "The history mirror is behind; it will catch up at the next save."
WORKBENCH_NAME = "Synthesis Report Workbench"
WORKBENCH_EMAIL = "workbench@localhost"

_FILE_MODE = 0o100644
_DIR_MODE = 0o40000
_TRAILER_LINE = re.compile(rf"^{TRAILER}: (\d+)$")
_CHUNK = 50


# =========================================================================== one sentence per line

_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")
_QUOTE_PREFIX = re.compile(r"^((?:[ \t]{0,3}>[ \t]?)+)")
_PLAIN_QUOTE = re.compile(r"^ {0,3}> ?(?![ \t]*>)")
_LIST_ITEM = re.compile(r"^([ ]*)([-*+]|\d{1,9}[.)])([ ]+)(?=\S)")
# Pandoc's other list markers: letters, roman numerals, '#', example lists '(@)'.
_OTHER_MARKER = re.compile(
    r"^[ \t]*(?:\(?(?:[A-Za-z]|[ivxlcdm]{1,6}|[IVXLCDM]{1,6}|\d{1,9}|#)[.)]|\(@[\w-]*\))(?:[ \t]|$)"
)
_DEFINITION = re.compile(r"^[ \t]*[:~](?:[ \t]|$)")
_LINK_DEFINITION = re.compile(r"^[ \t]*\[[^\]]*\]:")
_MARKERS = re.compile(r"^(?:(?:[-*+]|\(?[A-Za-z0-9#@]{1,9}[.)])[ \t]+)+")
_RULE_CHARS = frozenset("|+:=-_*~ \t")
_HTML_RAW = re.compile(r"<(script|pre|style|textarea)\b", re.IGNORECASE)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)*_]*( +)(?=\S)")
_ACRONYM = re.compile(r"^(?:\w\.)+\w$")
# What a new line must not start with: a link or footnote definition, or a list marker.
_NEXT_GUARD = re.compile(
    r"(?:\[[^\]]*\]:|\(@|(?:[A-Z]|[IVXLCDM]{1,6})[.)](?:\s|$)"
    r"|\((?:[A-Za-z]|[ivxlcdmIVXLCDM]{1,6}|\d{1,9}|#)\)(?:\s|$))"
)
_OPENERS = frozenset("\"'“‘«„([")
_ABBREVIATIONS = frozenset(
    {
        *("mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "al", "cf", "eg"),
        *("ie", "no", "nos", "fig", "figs", "vol", "vols", "pp", "p", "ed", "eds", "approx"),
        *("ca", "op", "inc", "ltd", "co", "corp", "dept", "est", "jan", "feb", "mar", "apr"),
        *("jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"),
    }
)


def one_sentence_per_line(text: str) -> str:
    """Return a Markdown text with one sentence per line, its meaning unchanged.

    Only paragraph lines (and the text of simple list items and block quotes)
    are split; see the module docstring for what is left alone.
    """
    lines = text.split("\n")
    verbatim = _verbatim_lines(lines)
    out: list[str] = []
    for start, end in _blocks(lines):
        if all(verbatim[start:end]):
            out.extend(lines[start:end])
            continue
        out.extend(_split_block(lines[start:end], verbatim[start:end]))
    return "\n".join(out)


def mirror_text(text: str) -> str:
    """Return a section text as the mirror stores it: one sentence per line, a final newline."""
    mirrored = one_sentence_per_line(text)
    if mirrored and not mirrored.endswith("\n"):
        mirrored += "\n"
    return mirrored


def _blocks(lines: list[str]) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of each run of non-blank lines, and of each blank line alone."""
    i, n = 0, len(lines)
    while i < n:
        if not lines[i].strip():
            yield i, i + 1
            i += 1
            continue
        j = i
        while j < n and lines[j].strip():
            j += 1
        yield i, j
        i = j


def _body(line: str) -> str:
    """Return a line without block-quote markers and leading whitespace."""
    return _QUOTE_PREFIX.sub("", line).strip()


def _indent(line: str) -> int:
    spaces = 0
    for ch in line:
        if ch == " ":
            spaces += 1
        elif ch == "\t":
            spaces += 4 - spaces % 4
        else:
            break
    return spaces


def _rule_like(body: str) -> bool:
    """Return True for setext underlines, thematic breaks and table borders."""
    return bool(body) and set(body) <= _RULE_CHARS


def _verbatim_lines(lines: list[str]) -> list[bool]:
    """Mark the lines that must be kept exactly as they are."""
    n = len(lines)
    verbatim = [False] * n
    i = 0
    while i < n:
        line = lines[i]
        fence = _FENCE.match(line)
        close: re.Pattern[str] | None = None
        if fence:
            mark = fence.group(1)
            close = re.compile(rf"^[ \t>]*{re.escape(mark[0])}{{{len(mark)},}}[ \t]*$")
        elif "<!--" in line and "-->" not in line[line.index("<!--") :]:
            close = re.compile(r"-->")
        elif (raw := _HTML_RAW.search(line)) and f"</{raw.group(1).lower()}" not in line.lower():
            close = re.compile(rf"</{raw.group(1)}", re.IGNORECASE)
        elif (
            line.strip() == "---"
            and (i == 0 or not lines[i - 1].strip())
            and i + 1 < n
            and lines[i + 1].strip()
        ):
            close = re.compile(r"^(---|\.\.\.)[ \t]*$")  # a YAML metadata block
        if close is None:
            i += 1
            continue
        verbatim[i] = True
        i += 1
        while i < n:
            verbatim[i] = True
            i += 1
            if close.search(lines[i - 1]):
                break
    blocks = [(s, e) for s, e in _blocks(lines) if lines[s].strip()]
    for index, (start, end) in enumerate(blocks):
        bodies = [_body(line) for line in lines[start:end]]
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        followed_by_definition = (
            after is not None and after[0] - end <= 1 and _DEFINITION.match(lines[after[0]])
        )
        if (
            _indent(lines[start]) >= 4
            or followed_by_definition
            or (start == 0 and lines[0].startswith("%"))
            or any(
                _rule_like(body)
                or body.startswith(("|", "<"))
                # pandoc lets a heading's code span run on into the next line
                or (body.startswith("#") and end - start > 1)
                or _DEFINITION.match(body)
                or _LINK_DEFINITION.match(_MARKERS.sub("", body))
                or "$$" in body
                or "\\begin{" in body
                or "\\end{" in body
                for body in bodies
            )
        ):
            for k in range(start, end):
                verbatim[k] = True
    return verbatim


def _line_parts(line: str, plain_quote: bool) -> tuple[str, str, str] | None:
    """Split a line into (first prefix, continuation prefix, content), or None to keep it whole.

    ``plain_quote`` says the line's block is one level of block quote on every
    line: only then is repeating the '>' read the same by pandoc (which needs a
    blank line before a quote) and by CommonMark.
    """
    if "\r" in line:
        return None
    quote = _QUOTE_PREFIX.match(line)
    prefix = quote.group(1) if quote else ""
    if quote and not plain_quote:
        return None
    rest = line[len(prefix) :]
    item = _LIST_ITEM.match(rest)
    if item:
        marker = item.group(0)
        if quote or len(item.group(3)) > 4:
            return None  # a list inside a quote, or an item starting with indented code
        first, cont, rest = marker, " " * len(marker), rest[len(marker) :]
    else:
        lead = rest[: len(rest) - len(rest.lstrip(" \t"))]
        first = cont = prefix + lead
        rest = rest[len(lead) :]
    if (
        rest.startswith(("#", ":::", "<", "|", ">"))
        or _FENCE.match(rest)
        or _LINK_DEFINITION.match(rest)
        or _OTHER_MARKER.match(rest)
        or _LIST_ITEM.match(rest)
        or _DEFINITION.match(rest)
    ):
        return None
    return first, cont, rest


def _split_block(lines: list[str], verbatim: list[bool]) -> list[str]:
    plain_quote = all(_PLAIN_QUOTE.match(line) for line in lines)
    joined = "\n".join(lines)
    masked = _Masks(joined)
    out: list[str] = []
    offset = 0
    for line, keep in zip(lines, verbatim, strict=True):
        line_start = offset
        offset += len(line) + 1
        eol = ""
        body = line
        if body.endswith("\r"):
            body, eol = body[:-1], "\r"
        parts = None if keep else _line_parts(body, plain_quote)
        if parts is None:
            out.append(line)
            continue
        first, cont, content = parts
        base = line_start + len(body) - len(content)
        pieces: list[str] = []
        last = 0
        for match in _BOUNDARY.finditer(content):
            space_start, space_end = match.span(1)
            if not _sentence_ends_here(content, match.start(), space_end):
                continue
            if masked.covers(base + space_start, base + space_end):
                continue
            pieces.append(content[last:space_start])
            last = space_end
        if not pieces:
            out.append(line)
            continue
        pieces.append(content[last:])
        separator = eol + "\n" + cont
        out.append(first + separator.join(pieces) + eol)
    return out


def _sentence_ends_here(content: str, end_start: int, next_start: int) -> bool:
    head = content[next_start]
    # A capital, or a letter of a script without case (Arabic, Chinese, Devanagari…).
    if not ((head.isalpha() and not head.islower()) or head in _OPENERS):
        return False
    if _NEXT_GUARD.match(content, next_start):
        return False
    if content[end_start] == ".":
        word_start = max(content.rfind(" ", 0, end_start), content.rfind("\t", 0, end_start)) + 1
        token = content[word_start:end_start].lstrip("\"'“‘«„([*_")
        if (
            token.lower().replace(".", "") in _ABBREVIATIONS
            or (len(token) == 1 and token.isalpha())
            or _ACRONYM.match(token)
        ):
            return False
    return True


class _Masks:
    """Spans of a block where a line break could change the Markdown: never split there.

    Each span is a superset of what any reader could take as one construct, so
    a split outside every span is safe whatever the reader's precedence rules:
    from the first to the last backtick (code spans) and dollar sign (math) of
    the block, each HTML tag or comment, each bracket with a link destination
    after it, and each brace (attributes), the last three read past quotes.
    """

    def __init__(self, text: str) -> None:
        spans: list[tuple[int, int]] = []
        for mark in ("`", "$"):
            first, last = text.find(mark), text.rfind(mark)
            if first != last:
                spans.append((first, last + 1))
        covered_until = 0  # openers inside a masked span need no span of their own
        for match in re.finditer(r"<|\[|\]\(|\{", text):
            start = match.start()
            if start < covered_until or (start and text[start - 1] == "\\"):
                continue
            token = match.group(0)
            if token == "<":
                if text.startswith("<!--", start):
                    close = text.find("-->", start)
                    end = len(text) if close < 0 else close + 3
                elif re.match(r"<[A-Za-z/!?]", text[start : start + 2]):
                    end = self._closing(text, start, "<", ">", quotes=True)
                else:
                    continue
            elif token == "[":
                end = self._closing(text, start, "[", "]", quotes=False)
                if text.startswith("(", end):
                    end = self._closing(text, end, "(", ")", quotes=True)
            elif token == "](":
                end = self._closing(text, start + 1, "(", ")", quotes=True)
            else:
                end = self._closing(text, start, "{", "}", quotes=True)
            covered_until = end
            spans.append((start, end))
        self._intervals = _Intervals(spans)

    @staticmethod
    def _closing(text: str, start: int, opening: str, closing: str, *, quotes: bool) -> int:
        """Return the index after what closes the opener at ``start`` (the block's end if none).

        With ``quotes``, a quoted string (an attribute value, a link title) is
        read as a whole, so a closer inside it does not count.
        """
        depth = 0
        i = start
        n = len(text)
        while i < n:
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if quotes and ch in "\"'" and i > start:
                close = text.find(ch, i + 1)
                if close < 0:
                    return n
                i = close + 1
                continue
            if ch == opening:
                depth += 1
            elif ch == closing:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return n

    def covers(self, start: int, end: int) -> bool:
        """Return True when any position in [start, end) is masked."""
        return self._intervals.covers(start, end)


class _Intervals:
    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def covers(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, end - 1) - 1
        return i >= 0 and self.ends[i] > start


# =========================================================================== names


def slugify(text: str, *, limit: int = 60) -> str:
    """Return lower-case ASCII words joined by hyphens ('' when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def section_filename(ordinal: int, section: Section) -> str:
    """Return the mirror's file name for a section at this ordinal in reading order."""
    slug = slugify(section.title) or f"section-{slugify(section.code) or section.id}"
    return f"{ordinal:02d}-{slug}.md"


def _ref_part(text: str, fallback: str) -> str:
    part = re.sub(r"[^a-z0-9._-]+", "-", text.strip().lower())
    part = re.sub(r"\.{2,}", ".", re.sub(r"-{2,}", "-", part)).strip("-.")
    if part.endswith(".lock"):
        part += "-"
    return part or fallback


def round_tag(slug: str, round_name: str, round_id: int | None = None) -> str:
    """Return the tag a review round gets, e.g. ``living-wages/fod``."""
    return f"{slug}/{_ref_part(round_name, f'round-{round_id}')}"


def approval_tag(slug: str, decision_id: int) -> str:
    """Return the tag a Council approval gets, e.g. ``living-wages/approved-3``."""
    return f"{slug}/approved-{decision_id}"


def published_tag(slug: str, edition: int = 1) -> str:
    """Return the tag a published report gets (a later edition, a corrigendum, its own)."""
    return f"{slug}/published" if edition <= 1 else f"{slug}/published-edition-{edition}"


# =========================================================================== configuration


def configured_path(session: Session) -> Path | None:
    """Return the mirror folder for this session's database, or None when there is no mirror."""
    configured = os.environ.get(MIRROR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().absolute()
    if DEFAULT_MIRROR_PATH is None:
        return None
    url = session.get_bind().url.render_as_string(hide_password=False)
    return DEFAULT_MIRROR_PATH if url == DEFAULT_URL else None


def configured_remote() -> str | None:
    """Return the remote the mirror is pushed to (``WORKBENCH_MIRROR_REMOTE``), if any."""
    remote = os.environ.get(REMOTE_ENV, "").strip()
    if not remote:
        return None
    if re.match(r"^[\w+.-]+://", remote) or re.match(r"^[^/\\]+:", remote):
        return remote
    # A local path: git runs inside the mirror, so make it absolute first.
    return str(Path(remote).expanduser().absolute())


_paused: ContextVar[bool] = ContextVar("workbench_history_paused", default=False)
_problem_lock = threading.Lock()
_problems: dict[str, str | None] = {"mirror": None, "push": None}
_init_lock = threading.Lock()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Skip the mirror hooks inside the block (bulk loads then call :func:`sync` once)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def last_problem() -> str | None:
    """Return the mirror's current problem in this process, or None when all is well.

    A mirror problem lasts until an update succeeds, a push problem until a
    push succeeds.
    """
    with _problem_lock:
        return _problems["mirror"] or _problems["push"]


def _remember(kind: str, problem: str | None) -> None:
    with _problem_lock:
        _problems[kind] = problem


@dataclass
class MirrorResult:
    """What a mirror update did."""

    path: Path
    commits: int = 0
    tags: list[str] = field(default_factory=list)
    head: str | None = None
    tree: str | None = None
    revisions: int = 0
    pushed: bool = False
    push_problem: str | None = None


# =========================================================================== hooks


def record_revision(session: Session, revision: SectionRevision) -> str | None:
    """Mirror a just-saved revision and anything pending; return a note when the mirror is behind.

    Call after the database commit. Never raises.
    """

    def report_id() -> int:
        return session.exec(
            select(Section.report_id).where(Section.id == revision.section_id)
        ).one()

    return _after_commit(session, report_id)


def record_milestone(session: Session, *, report_id: int) -> str | None:
    """Bring the mirror up to date after a round opened, an approval or a publication; tag it.

    Call after the database commit. Never raises; returns a note when the
    mirror is behind.
    """
    return _after_commit(session, lambda: report_id)


def _after_commit(session: Session, report_id: Callable[[], int]) -> str | None:
    if _paused.get():
        return None
    path = None
    try:
        path = configured_path(session)
        if path is None:
            return None
        result = _update(session, path, report_ids={report_id()})
    except Exception as exc:  # a save never fails because of its mirror
        return _failed(session, path, exc)
    _remember("mirror", None)
    remote = configured_remote()
    if remote and result.tags:
        _remember("push", _push(path, remote, force=False))
    return None


def _failed(session: Session, path: Path | None, exc: Exception) -> str:
    detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    problem = f"{exc.__class__.__name__}: {detail[:300]}" if detail else exc.__class__.__name__
    log.warning("History mirror at %s is behind: %s", path, problem, exc_info=exc)
    _remember("mirror", f"The history mirror at {path} is behind ({problem}).")
    if isinstance(exc, SQLAlchemyError):
        with contextlib.suppress(Exception):
            session.rollback()
    return BEHIND_NOTE


# =========================================================================== commands


def sync(session: Session, path: Path, *, push: bool = True) -> MirrorResult:
    """Bring the mirror up to date: pending revisions, every report's files, missing tags."""
    result = _git_errors(lambda: _update(session, path, report_ids=None))
    _remember("mirror", None)
    remote = configured_remote()
    if push and remote:
        result.push_problem = _push(path, remote, force=False)
        result.pushed = result.push_problem is None
        _remember("push", result.push_problem)
    return result


def rebuild(session: Session, path: Path, *, push: bool = True) -> MirrorResult:
    """Recreate the mirror from the database: every revision in id order, a snapshot, the tags."""
    result = _git_errors(lambda: _update(session, path, report_ids=None, rebuild=True))
    _remember("mirror", None)
    remote = configured_remote()
    if push and remote:
        result.push_problem = _push(path, remote, force=True)
        result.pushed = result.push_problem is None
        _remember("push", result.push_problem)
    return result


@dataclass
class Verification:
    """How a mirror compares with the database: ``drift`` is empty when they agree."""

    path: Path
    drift: list[str] = field(default_factory=list)
    revisions: int = 0
    tags: int = 0


def verify(session: Session, path: Path) -> Verification:
    """Compare the mirror with the database: missing revisions, differing files, missing tags."""
    return _git_errors(lambda: _verify(session, path))


def _git_errors(run: Any) -> Any:
    from git.exc import GitError

    try:
        return run()
    except GitError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        raise ValidationError(
            "git failed on the history mirror: {detail}", detail=" ".join(lines)[:300]
        ) from exc


# =========================================================================== the repository


def _open_repo(path: Path, *, create: bool) -> Repo | None:
    """Open the mirror at ``path`` (creating it in an empty or missing folder when asked).

    Creating is serialised across processes too (``flock`` on the folder itself): two app
    servers saving for the first time into one empty mirror must not both run ``git init``
    there, nor open the repository between the other's ``init`` and its marking it ours.
    """
    with _init_lock:
        if path.exists() and not path.is_dir():
            raise ValidationError(
                "The history mirror's path {path} is a file, not a folder.", path=path
            )
        if (path / ".git" / "config").is_file() and _marked(path):
            return _open_or_init(path, create=create)
        if not path.is_dir():
            if not create:
                return None
            path.mkdir(parents=True, exist_ok=True)
        with _folder_locked(path):
            return _open_or_init(path, create=create)


def _marked(path: Path) -> bool:
    """Return True when the folder's git config marks it as a mirror the workbench made."""
    import configparser

    config = configparser.ConfigParser(strict=False)
    try:
        config.read(path / ".git" / "config", encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return False
    return config.get("workbench", "mirror", fallback="").strip().lower() == "true"


@contextlib.contextmanager
def _folder_locked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder itself (its creation, across processes)."""
    import fcntl

    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open_or_init(path: Path, *, create: bool) -> Repo | None:
    """Open the mirror, or make it in an empty folder (the caller holds the locks)."""
    import git

    if (path / ".git").is_dir():
        repo = git.Repo(path)
        marked = repo.config_reader().get_value("workbench", "mirror", default="")
        if str(marked).lower() != "true":
            repo.close()
            raise ValidationError(
                "{path} is a git repository the workbench did not create; "
                "point the history mirror at an empty folder.",
                path=path,
            )
        return repo
    if path.exists() and any(path.iterdir()):
        raise ValidationError(
            "{path} is not empty and holds no history mirror; "
            "point the history mirror at an empty folder.",
            path=path,
        )
    if not create:
        return None
    path.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(path, initial_branch=BRANCH)
    with repo.config_writer() as config:
        config.set_value("core", "autocrlf", "false")
        config.set_value("core", "quotepath", "false")
        config.set_value("workbench", "mirror", "true")
    (path / ".git" / "description").write_text(
        "Synthesis Report Workbench: the draft history (derived from the database)\n",
        encoding="utf-8",
    )
    return repo


@contextlib.contextmanager
def _locked(repo: Repo, timeout: float | None = None) -> Iterator[None]:
    """Hold the mirror's lock (``fcntl.flock`` on a file inside .git) for the block."""
    import fcntl  # POSIX only; imported here so the workbench runs without a mirror elsewhere

    timeout = LOCK_TIMEOUT if timeout is None else timeout
    lock_path = Path(repo.git_dir) / LOCK_FILE
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"another update held the history mirror's lock for {timeout:g} s"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _clear_stale_git_locks(repo: Repo) -> None:
    """Remove lock files a crashed writer left (only ever called while holding our lock)."""
    git_dir = Path(repo.git_dir)
    for name in ("index.lock", "HEAD.lock", "config.lock", "packed-refs.lock"):
        with contextlib.suppress(FileNotFoundError):
            (git_dir / name).unlink()
    refs = git_dir / "refs"
    if refs.is_dir():
        for stale in refs.rglob("*.lock"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()


def _push(path: Path, remote: str, *, force: bool) -> str | None:
    """Push the branch and the tags to ``remote``; return the problem, or None."""
    try:
        import git

        plus = "+" if force else ""
        # Never wait for a password or a host-key question: report the failure instead.
        quiet = {"GIT_TERMINAL_PROMPT": "0"}
        if "GIT_SSH_COMMAND" not in os.environ:
            quiet["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=15"
        with git.Repo(path) as repo, repo.git.custom_environment(**quiet):
            repo.git.push(
                remote,
                f"{plus}refs/heads/{BRANCH}:refs/heads/{BRANCH}",
                f"{plus}refs/tags/*:refs/tags/*",
                kill_after_timeout=PUSH_TIMEOUT,
            )
    except Exception as exc:  # a push problem is reported, never raised
        detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        log.warning("History mirror at %s could not be pushed: %s", path, detail)
        return f"The history mirror could not be pushed to its remote: {detail[:300]}"
    return None


def _blob_sha(data: bytes) -> bytes:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).digest()  # git's own object id


def _git_date(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{int(moment.timestamp())} +0000"


def _safe(text: str) -> str:
    return re.sub(r"[<>\x00-\x1f]", " ", text).strip() or "unknown"


class _Dir:
    """A directory of the tree being built; ``sha`` is None while it has unwritten changes."""

    def __init__(self) -> None:
        self.entries: dict[str, _Dir | tuple[int, bytes]] = {}
        self.sha: bytes | None = None

    @classmethod
    def load(cls, tree: Any) -> _Dir:
        node = cls()
        for item in tree:
            if item.type == "tree":
                node.entries[item.name] = cls.load(item)
            else:
                node.entries[item.name] = (item.mode, item.binsha)
        node.sha = tree.binsha
        return node

    def child(self, name: str) -> _Dir:
        """Return the subdirectory ``name`` (created when missing), marked as about to change."""
        node = self.entries.get(name)
        if not isinstance(node, _Dir):
            node = _Dir()
            self.entries[name] = node
        self.sha = None
        node.sha = None
        return node

    def write(self, odb: Any | None) -> bytes:
        """Return the tree's id, storing new tree objects in ``odb`` (None: only compute it)."""
        if self.sha is not None:
            return self.sha
        items = []
        for name, entry in self.entries.items():
            if isinstance(entry, _Dir):
                if not entry.entries:
                    continue
                items.append((name.encode() + b"/", name, _DIR_MODE, entry.write(odb)))
            else:
                items.append((name.encode(), name, entry[0], entry[1]))
        items.sort()
        data = b"".join(b"%o %s\x00%s" % (mode, name.encode(), sha) for _, name, mode, sha in items)
        if odb is not None:
            from gitdb import IStream

            self.sha = odb.store(IStream("tree", len(data), io.BytesIO(data))).binsha
            return self.sha
        return hashlib.sha1(b"tree %d\x00" % len(data) + data).digest()

    def flat(self, prefix: str = "") -> dict[str, tuple[int, bytes]]:
        files: dict[str, tuple[int, bytes]] = {}
        for name, entry in self.entries.items():
            if isinstance(entry, _Dir):
                files.update(entry.flat(f"{prefix}{name}/"))
            else:
                files[f"{prefix}{name}"] = entry
        return files


# =========================================================================== what the database says


@dataclass
class _ReportView:
    """One report's current metadata, computed once per update."""

    id: int
    slug: str
    meta: dict[str, Any]
    sections: list[tuple[int, str, dict[str, Any], int | None]]  # id, file, outline entry, head
    sources: bytes
    comments: bytes


def _report_view(session: Session, report: Report) -> _ReportView:
    from workbench.reviews import comment_rows, rounds
    from workbench.sections import list_sections
    from workbench.sources import csl_records

    sections = list_sections(session, report.id)
    lead_ids = {s.lead_author_id for s in sections if s.lead_author_id}
    emails = (
        dict(
            session.exec(select(Person.id, Person.email).where(col(Person.id).in_(lead_ids))).all()
        )
        if lead_ids
        else {}
    )
    theme = session.get(Theme, report.theme_id) if report.theme_id else None
    meta = {
        "slug": report.slug,
        "title": report.title,
        "theme": theme.code if theme else None,
        "stage": Stage(report.stage).value,
        "start_date": report.start_date.isoformat(),
        "due_date": report.due_date.isoformat(),
        "languages": list(report.languages or []),
    }
    entries = []
    for ordinal, section in enumerate(sections, start=1):
        entries.append(
            (
                section.id,
                section_filename(ordinal, section),
                {
                    "code": section.code,
                    "title": section.title,
                    "question": section.question.value,
                    "status": section.status.value,
                    "lead_author": emails.get(section.lead_author_id),
                },
                section.head_revision_id,
            )
        )

    def sources_file() -> bytes:
        records = sorted(csl_records(session, report.id), key=lambda r: str(r["id"]))
        text = json.dumps(records, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        return text.encode("utf-8")

    def comments_file() -> bytes:
        return write_rounds_csv(
            (r.name, list(comment_rows(session, round_id=r.id)))
            for r in rounds(session, report_id=report.id)
        )

    return _ReportView(
        id=report.id,
        slug=report.slug,
        meta=meta,
        sections=entries,
        sources=_cached_file(session, report.id, "sources", sources_file),
        comments=_cached_file(session, report.id, "comments", comments_file),
    )


# Writing a report's library and comment table anew costs seconds at IPCC scale (tens of
# thousands of comments), so each file is kept per process with a fingerprint of what it
# is made of, read in one cheap aggregate query: any added, answered, signed-off or edited
# row changes the fingerprint and the file is written again.
_FILE_CACHE: dict[tuple[str, int, str], tuple[tuple[Any, ...], bytes]] = {}


def _fingerprint(session: Session, report_id: int, kind: str) -> tuple[Any, ...]:
    from workbench.models import ReviewComment, ReviewRound, Source

    if kind == "sources":
        query = select(
            func.count(col(Source.id)), func.max(col(Source.id)), func.max(Source.updated_at)
        ).where(Source.report_id == report_id)
    else:
        query = (
            select(
                func.count(col(ReviewComment.id)),
                func.max(col(ReviewComment.id)),
                func.max(ReviewComment.responded_at),
                func.max(ReviewComment.signed_off_at),
                func.count(col(ReviewComment.signed_off_at)),
                func.count(col(ReviewComment.disposition)),
                func.count(func.distinct(col(ReviewRound.id))),
                func.max(col(ReviewRound.id)),
            )
            .select_from(ReviewRound)
            .join(ReviewComment, col(ReviewComment.round_id) == col(ReviewRound.id), isouter=True)
            .where(ReviewRound.report_id == report_id)
        )
    values = tuple(str(value) for value in session.exec(query).one())
    if kind == "comments":
        names = session.exec(
            select(ReviewRound.name, ReviewRound.status)
            .where(ReviewRound.report_id == report_id)
            .order_by(col(ReviewRound.id))
        ).all()
        values += tuple(f"{name}:{status}" for name, status in names)
    return values


def _cached_file(session: Session, report_id: int, kind: str, make: Any) -> bytes:
    bind = session.get_bind()
    if bind.url.database in (None, "", ":memory:"):
        return make()  # a private in-memory database: nothing to share between calls
    key = (bind.url.render_as_string(hide_password=True), report_id, kind)
    fingerprint = _fingerprint(session, report_id, kind)
    cached = _FILE_CACHE.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    content = make()
    _FILE_CACHE[key] = (fingerprint, content)
    return content


@dataclass(frozen=True)
class _ExpectedTag:
    name: str
    report_id: int
    revision_id: int | None  # the revision whose commit it marks; None: HEAD when made


def _expected_tags(session: Session, report_ids: set[int] | None) -> list[_ExpectedTag]:
    query = select(Report)
    if report_ids is not None:
        query = query.where(col(Report.id).in_(report_ids))
    reports = {r.id: r for r in session.exec(query).all()}
    if not reports:
        return []
    tags: list[_ExpectedTag] = []
    round_rows = session.exec(
        select(ReviewRound.id, ReviewRound.report_id, ReviewRound.name)
        .where(col(ReviewRound.report_id).in_(list(reports)))
        .order_by(col(ReviewRound.id))
    ).all()
    newest_frozen = dict(
        session.exec(
            select(FrozenSection.round_id, func.max(FrozenSection.revision_id))
            .where(col(FrozenSection.round_id).in_([r[0] for r in round_rows] or [-1]))
            .group_by(FrozenSection.round_id)
        ).all()
    )
    seen: set[str] = set()
    for round_id, report_id, name in round_rows:
        tag = round_tag(reports[report_id].slug, name, round_id)
        if tag in seen:
            tag = f"{tag}-{round_id}"
        seen.add(tag)
        tags.append(_ExpectedTag(tag, report_id, newest_frozen.get(round_id)))
    decisions = session.exec(
        select(CouncilDecision)
        .where(
            col(CouncilDecision.report_id).in_(list(reports)),
            CouncilDecision.status == DecisionStatus.approved,
        )
        .order_by(col(CouncilDecision.id))
    ).all()
    for decision in decisions:
        newest = session.exec(
            select(func.max(SectionRevision.id))
            .join(Section, col(Section.id) == col(SectionRevision.section_id))
            .where(
                Section.report_id == decision.report_id,
                col(SectionRevision.created_at) <= decision.opened_at,
            )
        ).one()
        tags.append(
            _ExpectedTag(
                approval_tag(reports[decision.report_id].slug, decision.id),
                decision.report_id,
                newest,
            )
        )
    for report in reports.values():
        if Stage(report.stage) is Stage.published:
            tags.append(_ExpectedTag(published_tag(report.slug, report.edition), report.id, None))
    return tags


def _revision_index(session: Session) -> list[tuple[int, int, int]]:
    """Return (revision id, section id, report id) of every revision, by id."""
    return list(
        session.exec(
            select(SectionRevision.id, SectionRevision.section_id, Section.report_id)
            .join(Section, col(Section.id) == col(SectionRevision.section_id))
            .order_by(col(SectionRevision.id))
        ).all()
    )


def _revision_rows(session: Session, ids: list[int]) -> Iterator[tuple[Any, ...]]:
    """Yield (id, section id, text, message, created_at, author name, email) in id order."""
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        yield from session.exec(
            select(
                SectionRevision.id,
                SectionRevision.section_id,
                SectionRevision.text,
                SectionRevision.message,
                SectionRevision.created_at,
                Person.name,
                Person.email,
            )
            .join(Person, col(Person.id) == col(SectionRevision.author_id), isouter=True)
            .where(col(SectionRevision.id).in_(chunk))
            .order_by(col(SectionRevision.id))
        ).all()


def _texts(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    found: dict[int, str] = {}
    for i in range(0, len(wanted), _CHUNK):
        found.update(
            session.exec(
                select(SectionRevision.id, SectionRevision.text).where(
                    col(SectionRevision.id).in_(wanted[i : i + _CHUNK])
                )
            ).all()
        )
    return found


# =========================================================================== the mirror's record


def _log_revisions(repo: Repo) -> dict[int, list[tuple[str, str, int]]]:
    """Return revision id → (sha, author email, author time) of the commits carrying its trailer."""
    if not repo.head.is_valid():
        return {}
    found: dict[int, list[tuple[str, str, int]]] = {}
    output = repo.git.log(BRANCH, "--format=%H%x00%ae%x00%at%x00%B%x1e")
    for record in output.split("\x1e"):
        record = record.strip("\n")
        if not record:
            continue
        sha, email, at, body = record.split("\x00", 3)
        lines = [line for line in body.strip().splitlines() if line.strip()]
        match = _TRAILER_LINE.match(lines[-1].strip()) if lines else None
        if match:
            found.setdefault(int(match.group(1)), []).append((sha, email, int(at)))
    return found


def _ranges(ids: Iterable[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for rid in sorted(ids):
        if out and rid == out[-1][1] + 1:
            out[-1][1] = rid
        elif not out or rid > out[-1][1]:
            out.append([rid, rid])
    return out


def _from_ranges(ranges: list[list[int]]) -> set[int]:
    return {rid for start, end in ranges for rid in range(start, end + 1)}


class _Writer:
    """One update of the mirror, made while holding its lock."""

    def __init__(self, session: Session, repo: Repo, *, fresh: bool = False) -> None:
        self.session = session
        self.repo = repo
        self.odb = repo.odb
        self.state_path = Path(repo.git_dir) / STATE_FILE
        self.commits = 0
        self.views: dict[int, _ReportView] = {}
        self.new_commits: dict[int, str] = {}  # revision id → commit made in this update
        self.head: Commit | None = repo.head.commit if repo.head.is_valid() else None
        self.root = _Dir.load(self.head.tree) if self.head is not None else _Dir()
        if fresh:
            self.root = _Dir()
        self.mirrored: set[int] = set()
        # section id → (revision id, blob id) of the text the mirror holds for it
        self.held: dict[int, tuple[int, bytes]] = {}
        if not fresh:
            self._load_state()

    # ----------------------------------------------------------------- state

    def _load_state(self) -> None:
        head = self.head.hexsha if self.head is not None else None
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            if state["head"] == head:
                self.mirrored = _from_ranges(state["revisions"])
                self.held = {
                    int(sid): (int(rid), bytes.fromhex(blob))
                    for sid, (rid, blob) in state["sections"].items()
                }
                return
        # HEAD moved behind the workbench's back (or no state yet): ask git and the database.
        self.mirrored = set(_log_revisions(self.repo))
        newest: dict[int, int] = {}
        for rid, section_id, _report_id in _revision_index(self.session):
            if rid in self.mirrored:
                newest[section_id] = max(rid, newest.get(section_id, 0))
        texts = _texts(self.session, newest.values())
        self.held = {
            section_id: (rid, self._blob(mirror_text(texts[rid])))
            for section_id, rid in newest.items()
            if rid in texts
        }

    def save_state(self) -> None:
        if self.head is None:
            return
        state = {
            "head": self.head.hexsha,
            "revisions": _ranges(self.mirrored),
            "sections": {str(sid): [rid, blob.hex()] for sid, (rid, blob) in self.held.items()},
        }
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self.state_path)

    # ----------------------------------------------------------------- objects

    def _blob(self, text: str | bytes) -> bytes:
        from gitdb import IStream

        data = text.encode("utf-8") if isinstance(text, str) else text
        return self.odb.store(IStream("blob", len(data), io.BytesIO(data))).binsha

    def view(self, report_id: int) -> _ReportView | None:
        if report_id not in self.views:
            report = self.session.get(Report, report_id)
            if report is None:
                return None
            self.views[report_id] = _report_view(self.session, report)
        return self.views[report_id]

    def _report_dir(self, view: _ReportView) -> _Dir:
        node = _Dir()
        outline = []
        for section_id, filename, entry, _head in view.sections:
            held = self.held.get(section_id)
            if held is not None:
                node.entries[filename] = (_FILE_MODE, held[1])
            outline.append({**entry, "file": filename if held is not None else None})
        report_json = json.dumps({**view.meta, "outline": outline}, indent=2, ensure_ascii=False)
        node.entries["report.json"] = (_FILE_MODE, self._blob(report_json + "\n"))
        node.entries["sources.json"] = (_FILE_MODE, self._blob(view.sources))
        node.entries["comments.csv"] = (_FILE_MODE, self._blob(view.comments))
        return node

    def _place(self, view: _ReportView) -> None:
        self.root.child("reports").entries[view.slug] = self._report_dir(view)  # marks it changed

    def commit(self, message: str, who: tuple[str, str], when: datetime) -> str:
        import git
        from git.objects.commit import Commit
        from git.objects.tree import Tree

        tree = Tree(self.repo, self.root.write(self.odb))
        actor = git.Actor(_safe(who[0]), _safe(who[1]))
        date = _git_date(when)
        commit = Commit.create_from_tree(
            self.repo,
            tree,
            message,
            parent_commits=[self.head] if self.head is not None else [],
            head=True,
            author=actor,
            committer=actor,
            author_date=date,
            commit_date=date,
        )
        self.head = commit
        self.commits += 1
        return commit.hexsha

    # ----------------------------------------------------------------- steps

    def catch_up(self, index: list[tuple[int, int, int]]) -> set[int]:
        """Commit every revision the mirror lacks, in id order; return the reports touched."""
        pending = [rid for rid, _s, _r in index if rid not in self.mirrored]
        report_of = {section_id: report_id for _rid, section_id, report_id in index}
        touched: set[int] = set()
        for rid, section_id, text, message, created_at, name, email in _revision_rows(
            self.session, pending
        ):
            view = self.view(report_of[section_id])
            if view is None:
                continue
            self.held[section_id] = (rid, self._blob(mirror_text(text)))
            self._place(view)
            body = (message or "").replace("\x00", "").strip() or "Revision"
            sha = self.commit(
                f"{body}\n\n{TRAILER}: {rid}\n",
                (name or WORKBENCH_NAME, email or WORKBENCH_EMAIL),
                created_at,
            )
            self.mirrored.add(rid)
            self.new_commits[rid] = sha
            touched.add(view.id)
        return touched

    def snapshot(self, report_ids: set[int] | None) -> bool:
        """Write the reports' current files (every report when None); commit if the tree changed."""
        if report_ids is None:
            ids = set(self.session.exec(select(Report.id)).all())
            self.root = _Dir()
            self.root.child("reports")
        else:
            ids = report_ids
        views = [v for v in (self.view(rid) for rid in sorted(ids)) if v is not None]
        heads = {
            section_id: head
            for view in views
            for section_id, _f, _e, head in view.sections
            if head is not None
        }
        stale = {sid: head for sid, head in heads.items() if self.held.get(sid, (None,))[0] != head}
        texts = _texts(self.session, stale.values())
        for section_id, head in stale.items():
            if head in texts:
                self.held[section_id] = (head, self._blob(mirror_text(texts[head])))
        for view in views:
            self._place(view)
        if self.head is not None and self.root.write(self.odb) == self.head.tree.binsha:
            return False
        slugs = ", ".join(v.slug for v in views) if report_ids is not None else "every report"
        self.commit(
            f"Snapshot of {slugs or 'the workspace'}: outline, sources and comments "
            "as the database holds them",
            (WORKBENCH_NAME, WORKBENCH_EMAIL),
            utcnow(),
        )
        return True

    def commit_of(self, revision_id: int | None) -> str | None:
        if revision_id is None or revision_id not in self.mirrored:
            return None
        if revision_id in self.new_commits:
            return self.new_commits[revision_id]
        output = self.repo.git.log(
            BRANCH, f"--grep=^{TRAILER}: {revision_id}$", "--format=%H%x00%B%x1e"
        )
        for record in output.split("\x1e"):
            sha, _, body = record.strip("\n").partition("\x00")
            lines = [line for line in body.strip().splitlines() if line.strip()]
            if lines and lines[-1].strip() == f"{TRAILER}: {revision_id}":
                return sha
        return None

    def tag(self, report_ids: set[int] | None) -> list[str]:
        """Create the missing tags of these reports (every report when None)."""
        if self.head is None:
            return []
        existing = {t.name for t in self.repo.tags}
        made = []
        for expected in _expected_tags(self.session, report_ids):
            if expected.name in existing:
                continue
            target = self.commit_of(expected.revision_id) or self.head.hexsha
            self.repo.create_tag(expected.name, ref=target)
            made.append(expected.name)
        return made


def _update(
    session: Session, path: Path, *, report_ids: set[int] | None, rebuild: bool = False
) -> MirrorResult:
    """Catch up, snapshot and tag the mirror (for these reports; every report when None)."""
    repo = _open_repo(path, create=True)
    assert repo is not None
    with repo, _locked(repo):
        _clear_stale_git_locks(repo)
        repo.git.symbolic_ref("HEAD", f"refs/heads/{BRANCH}")
        if rebuild:
            if repo.tags:
                repo.delete_tag(*repo.tags)
            if repo.head.is_valid():
                repo.git.update_ref("-d", f"refs/heads/{BRANCH}")
            with contextlib.suppress(FileNotFoundError):
                (Path(repo.git_dir) / STATE_FILE).unlink()
        writer = _Writer(session, repo, fresh=rebuild)
        index = _revision_index(session)
        touched = writer.catch_up(index)
        scope = None if report_ids is None else report_ids | touched
        writer.snapshot(scope)
        tags = writer.tag(scope)
        writer.save_state()
        if writer.head is not None:
            repo.git.reset("--hard", "-q")
        return MirrorResult(
            path=path,
            commits=writer.commits,
            tags=tags,
            head=writer.head.hexsha if writer.head is not None else None,
            tree=writer.head.tree.hexsha if writer.head is not None else None,
            revisions=len(writer.mirrored),
        )


# =========================================================================== verify


def _verify(session: Session, path: Path) -> Verification:
    result = Verification(path=path)
    drift = result.drift
    try:
        repo = _open_repo(path, create=False)
    except ValidationError as exc:
        drift.append(exc.message)
        return result
    if repo is None:
        drift.append(f"There is no history mirror at {path}.")
        return result
    with repo, _locked(repo):
        if not repo.head.is_valid():
            drift.append("The mirror has no commit yet.")
            return result
        head = repo.head.commit
        logged = _log_revisions(repo)
        index = _revision_index(session)
        in_db = {rid for rid, _s, _r in index}
        result.revisions = len(set(logged) & in_db)
        missing = sorted(in_db - set(logged))
        if missing:
            drift.append(
                f"{plural(len(missing), 'revision')} {noun(len(missing), 'is')} not in the "
                f"mirror: {noun(len(missing), 'id')} {_id_list(missing)}."
            )
        unknown = sorted(set(logged) - in_db)
        if unknown:
            drift.append(
                f"The mirror holds {plural(len(unknown), 'revision')} the database does not: "
                f"{noun(len(unknown), 'id')} {_id_list(unknown)}."
            )
        twice = sorted(rid for rid, shas in logged.items() if len(shas) > 1)
        if twice:
            drift.append(
                f"{noun(len(twice), 'Revision')} {_id_list(twice)} {noun(len(twice), 'is')} in the "
                "mirror more than once."
            )
        authored = {
            rid: ((email or WORKBENCH_EMAIL), int(_git_date(created_at).split()[0]))
            for rid, created_at, email in session.exec(
                select(SectionRevision.id, SectionRevision.created_at, Person.email).join(
                    Person, col(Person.id) == col(SectionRevision.author_id), isouter=True
                )
            ).all()
        }
        other = sorted(
            rid
            for rid, commits in logged.items()
            if rid in authored and any((e, t) != authored[rid] for _sha, e, t in commits)
        )
        if other:
            drift.append(
                f"{plural(len(other), 'revision')} in the mirror {noun(len(other), 'has')} another "
                "author or time than in the database (was the mirror made from another "
                f"database?): {noun(len(other), 'id')} {_id_list(other)}."
            )

        expected = _expected_tree(session)
        actual = _Dir.load(head.tree).flat()
        for name in sorted(set(expected) | set(actual)):
            if name not in actual:
                drift.append(f"{name} is missing from the mirror.")
            elif name not in expected:
                drift.append(f"{name} is in the mirror but not in the database.")
            elif actual[name] != expected[name]:
                drift.append(f"{name} differs from the database.")
        if repo.is_dirty(untracked_files=True):
            drift.append("The mirror's folder has changes that are not committed.")

        tags = {t.name: t for t in repo.tags}
        for tag in _expected_tags(session, None):
            if tag.name not in tags:
                drift.append(f"The tag {tag.name} is missing.")
                continue
            result.tags += 1
            if tag.revision_id is None:
                continue
            lines = [
                line for line in tags[tag.name].commit.message.strip().splitlines() if line.strip()
            ]
            marked = _TRAILER_LINE.match(lines[-1].strip()) if lines else None
            if marked is None or int(marked.group(1)) != tag.revision_id:
                drift.append(
                    f"The tag {tag.name} should mark revision {tag.revision_id}, "
                    "but points at another commit."
                )
    return result


def _id_list(ids: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _expected_tree(session: Session) -> dict[str, tuple[int, bytes]]:
    """Return path → (mode, blob id) of the tree the database describes now."""
    files: dict[str, tuple[int, bytes]] = {}
    reports = session.exec(select(Report).order_by(col(Report.id))).all()
    for report in reports:
        view = _report_view(session, report)
        texts = _texts(session, [head for _s, _f, _e, head in view.sections if head is not None])
        outline = []
        prefix = f"reports/{view.slug}/"
        for _section_id, filename, entry, head in view.sections:
            has_text = head is not None and head in texts
            if has_text:
                data = mirror_text(texts[head]).encode("utf-8")
                files[prefix + filename] = (_FILE_MODE, _blob_sha(data))
            outline.append({**entry, "file": filename if has_text else None})
        report_json = json.dumps({**view.meta, "outline": outline}, indent=2, ensure_ascii=False)
        files[prefix + "report.json"] = (_FILE_MODE, _blob_sha((report_json + "\n").encode()))
        files[prefix + "sources.json"] = (_FILE_MODE, _blob_sha(view.sources))
        files[prefix + "comments.csv"] = (_FILE_MODE, _blob_sha(view.comments))
    return files
