"""Word-level differences between two texts, for revision histories and merges.

- A **change** is a run of text that is the same in both texts (``equal``),
  only in the newer one (``insert``) or only in the older one (``delete``).
  Joining the ``equal`` and ``delete`` runs gives back the old text; joining
  the ``equal`` and ``insert`` runs gives back the new one.
- Texts are compared **line by line** first, then **word by word** inside the
  lines that changed: sections keep one sentence per line, so a diff reads as
  edits to sentences and stays fast on long sections.
- :func:`diff_markdown` renders changes as Markdown that is safe to show with
  ``st.markdown``: every character of the texts is escaped, so their own
  Markdown or HTML appears as typed and is never rendered. Deletions are struck
  through on red, insertions bold on green, and each line of the text stays a
  line of the diff.

Pure functions, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Op = Literal["equal", "insert", "delete"]

# A word (letters and digits, with inner apostrophes or hyphens), a run of
# whitespace, or any other single character: together they cover every text.
_TOKEN = re.compile(r"\s+|\w+(?:['’\-]\w+)*|[^\w\s]")
_WORD = re.compile(r"\w+(?:['’\-]\w+)*")
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Beyond this many token pairs, a changed block is shown as replaced whole: the
# word-level match would cost more than it helps a reader.
_MAX_WORD_PAIRS = 4_000_000


@dataclass(frozen=True)
class Change:
    """A run of text that is kept, added or removed."""

    op: Op
    text: str


@dataclass(frozen=True)
class DiffStats:
    """How many words a change added and removed."""

    words_added: int
    words_deleted: int


def tokens(text: str) -> list[str]:
    """Return a text split into words, whitespace runs and single other characters."""
    return _TOKEN.findall(text)


def _append(changes: list[Change], op: Op, text: str) -> None:
    if not text:
        return
    if changes and changes[-1].op == op:
        changes[-1] = Change(op, changes[-1].text + text)
    else:
        changes.append(Change(op, text))


def _word_changes(old: str, new: str) -> list[Change]:
    a, b = tokens(old), tokens(new)
    if len(a) * len(b) > _MAX_WORD_PAIRS:
        return [Change("delete", old), Change("insert", new)]
    changes: list[Change] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(changes, "equal", "".join(a[i1:i2]))
        else:
            _append(changes, "delete", "".join(a[i1:i2]))
            _append(changes, "insert", "".join(b[j1:j2]))
    return changes


def _regroup(changes: list[Change]) -> list[Change]:
    """Absorb lone whitespace between edits, and put each edit's deletion before its insertion."""
    absorbed: list[Change] = []
    for i, change in enumerate(changes):
        between_edits = (
            change.op == "equal"
            and not change.text.strip()
            and 0 < i < len(changes) - 1
            and changes[i - 1].op != "equal"
            and changes[i + 1].op != "equal"
        )
        if between_edits:
            absorbed += [Change("delete", change.text), Change("insert", change.text)]
        else:
            absorbed.append(change)
    result: list[Change] = []
    deleted, inserted = "", ""
    for change in [*absorbed, Change("equal", "")]:
        if change.op == "delete":
            deleted += change.text
        elif change.op == "insert":
            inserted += change.text
        else:
            _append(result, "delete", deleted)
            _append(result, "insert", inserted)
            deleted, inserted = "", ""
            _append(result, "equal", change.text)
    return result


def word_diff(old: str, new: str) -> list[Change]:
    """Return the changes that turn ``old`` into ``new``, word by word."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    changes: list[Change] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(changes, "equal", "".join(a[i1:i2]))
        elif tag == "delete":
            _append(changes, "delete", "".join(a[i1:i2]))
        elif tag == "insert":
            _append(changes, "insert", "".join(b[j1:j2]))
        else:
            for change in _word_changes("".join(a[i1:i2]), "".join(b[j1:j2])):
                _append(changes, change.op, change.text)
    return _regroup(changes)


def old_text(changes: list[Change]) -> str:
    """Return the older text of a diff."""
    return "".join(c.text for c in changes if c.op != "insert")


def new_text(changes: list[Change]) -> str:
    """Return the newer text of a diff."""
    return "".join(c.text for c in changes if c.op != "delete")


def diff_stats(changes: list[Change]) -> DiffStats:
    """Return how many words the changes added and removed."""
    added = sum(len(_WORD.findall(c.text)) for c in changes if c.op == "insert")
    deleted = sum(len(_WORD.findall(c.text)) for c in changes if c.op == "delete")
    return DiffStats(words_added=added, words_deleted=deleted)


def escape_markdown(text: str) -> str:
    """Return text that Markdown shows exactly as typed: every ASCII punctuation mark escaped."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", text)


_MARKS: dict[Op, tuple[str, str]] = {
    "delete": (":red-background[~~", "~~]"),
    "insert": (":green-background[**", "**]"),
}


def _marked(op: Op, text: str) -> str:
    """Mark one changed run, line by line (a mark never spans a line break)."""
    opening, closing = _MARKS[op]
    pieces = []
    for piece in text.split("\n"):
        core = piece.strip()
        if not core:
            pieces.append(piece)
            continue
        lead = piece[: len(piece) - len(piece.lstrip())]
        trail = piece[len(piece.rstrip()) :]
        pieces.append(f"{lead}{opening}{escape_markdown(core)}{closing}{trail}")
    if not text.strip() and "\n\n" in text:
        # A paragraph break added or removed: show a pilcrow where it was.
        pieces[0] = f"{pieces[0]}{opening}¶{closing}"
    return "\n".join(pieces)


def _as_lines(markdown: str) -> str:
    """Keep every line of the text a line of the output, indentation shown, never code."""
    lines = []
    for line in markdown.split("\n"):
        if not line.strip():
            lines.append("")
            continue
        body = line.lstrip(" \t")
        indent = line[: len(line) - len(body)].replace("\t", "    ")
        lines.append("\u00a0" * len(indent) + body.rstrip() + "  ")
    return "\n".join(lines)


def diff_markdown(changes: list[Change]) -> str:
    """Return the changes as safe Markdown: deletions struck through, insertions in bold."""
    parts = [escape_markdown(c.text) if c.op == "equal" else _marked(c.op, c.text) for c in changes]
    return _as_lines("".join(parts))
