"""Three-way merge of a section's text: two co-authors' edits against the text both started from.

- The **base** is the revision an author started from; **mine** is the text they tried to
  save; **theirs** is the section's current text (a co-author saved it meanwhile).
- A merge is **clean** when every change on either side is in a different place of the
  base, or both sides made the same change: the merged text holds both, and nobody needs
  to choose. An **overlap** is a place that both changed, each in their own way: only the
  author can say what it should read.
- Texts are compared **line by line** first (sections keep one sentence per line, and
  reviewers cite lines), then, inside a place where both changed the same lines,
  **sentence by sentence**: two edits to different sentences of one long paragraph (a
  text imported from Word keeps a paragraph per line) still merge by themselves, while
  two edits to the same sentence are an overlap.
- The merge itself is the ``merge3`` package (the three-way merge of Bazaar and Breezy)
  over those lines and sentences, with :class:`difflib.SequenceMatcher` matching without
  its "popular line" heuristic, so blank lines in long sections are matched like others.

Pure functions, no database.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import merge3

Choice = Literal["theirs", "mine", "both"]
CHOICES: tuple[Choice, ...] = ("theirs", "mine", "both")
# A sentence ends at ., ! or ? (with closing quotes or brackets) before whitespace; the
# whitespace starts the next piece, so joining the pieces gives back the text.
_SENTENCE_END = re.compile(r"(?<=[.!?…])(?=\s)|(?<=[.!?…][\"'”’)\]])(?=\s)")


@dataclass(frozen=True)
class Overlap:
    """A place both authors changed: the base's words there, and each side's."""

    base: str
    mine: str
    theirs: str

    def resolve(self, choice: Choice, *, own_line: bool = False) -> str:
        """Return the words to keep here: theirs, mine, or both (theirs first; on lines of
        their own when the place is a line of its own)."""
        if choice == "theirs":
            return self.theirs
        if choice == "mine":
            return self.mine
        if choice == "both":
            if own_line and self.theirs and self.mine and not self.theirs.endswith("\n"):
                return self.theirs + "\n" + self.mine
            return _join(self.theirs, self.mine)
        raise ValueError(f"unknown choice {choice!r}")


@dataclass(frozen=True)
class Merge:
    """The result of a three-way merge: merged text, with the overlaps left to choose."""

    parts: tuple[str | Overlap, ...]
    final_newline: bool

    @property
    def overlaps(self) -> list[Overlap]:
        """Return the places both sides changed, in text order."""
        return [p for p in self.parts if isinstance(p, Overlap)]

    @property
    def clean(self) -> bool:
        """Return True when nothing overlaps: the merged text needs no choice."""
        return not self.overlaps

    @property
    def text(self) -> str:
        """Return the merged text of a clean merge."""
        if not self.clean:
            raise ValueError("the merge has overlaps: resolve them first")
        return self.resolve([])

    def resolve(self, choices: Sequence[Choice]) -> str:
        """Return the merged text with each overlap settled by the choice at its position."""
        overlaps = self.overlaps
        if len(choices) != len(overlaps):
            raise ValueError(f"{len(overlaps)} overlaps need as many choices, not {len(choices)}")
        picks = iter(choices)
        pieces = []
        for i, part in enumerate(self.parts):
            if isinstance(part, Overlap):
                before = self.parts[i - 1] if i else "\n"
                after = self.parts[i + 1] if i + 1 < len(self.parts) else "\n"
                own_line = (
                    isinstance(before, str)
                    and before.endswith("\n")
                    and isinstance(after, str)
                    and after.startswith("\n")
                )
                pieces.append(part.resolve(next(picks), own_line=own_line))
            else:
                pieces.append(part)
        return _finish("".join(pieces), self.final_newline)

    def context_before(self, index: int, length: int = 90) -> str:
        """Return the end of the merged line before overlap ``index``, to say where it is."""
        position = [i for i, p in enumerate(self.parts) if isinstance(p, Overlap)][index]
        before = "".join(p for p in self.parts[:position] if isinstance(p, str))
        lines = [line for line in before.splitlines() if line.strip()]
        if not lines:
            return ""
        last = lines[-1].strip()
        return last if len(last) <= length else "…" + last[-length:].lstrip()


class _Matcher(difflib.SequenceMatcher):
    """difflib's matcher without autojunk: blank lines and common words still match."""

    def __init__(self, isjunk=None, a="", b="") -> None:  # type: ignore[no-untyped-def]
        super().__init__(isjunk, a, b, autojunk=False)


def _join(first: str, second: str) -> str:
    """Join two runs of text so that neither runs into the other."""
    if first and second and not first[-1].isspace() and not second[0].isspace():
        return first + " " + second
    return first + second


def _finish(text: str, final_newline: bool) -> str:
    if not final_newline and text.endswith("\n"):
        return text[:-1]
    return text


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text + "\n" if text and not text.endswith("\n") else text


def sentences(text: str) -> list[str]:
    """Return a text cut into sentences (each with the whitespace before it); joined, the text."""
    return [piece for piece in _SENTENCE_END.split(text) if piece]


def _merge_pieces(
    base: Sequence[str], mine: Sequence[str], theirs: Sequence[str]
) -> list[str | Overlap]:
    """Merge three sequences of pieces; return merged runs of text and the overlaps."""
    parts: list[str | Overlap] = []
    merger = merge3.Merge3(base, mine, theirs, sequence_matcher=_Matcher)
    for region in merger.merge_regions():
        kind = region[0]
        if kind == "unchanged":
            parts.append("".join(base[region[1] : region[2]]))
        elif kind in ("same", "a"):
            parts.append("".join(mine[region[1] : region[2]]))
        elif kind == "b":
            parts.append("".join(theirs[region[1] : region[2]]))
        else:
            _, z1, z2, a1, a2, b1, b2 = region
            parts.append(
                Overlap(
                    base="".join(base[z1:z2]),
                    mine="".join(mine[a1:a2]),
                    theirs="".join(theirs[b1:b2]),
                )
            )
    return parts


def _refine(overlap: Overlap) -> list[str | Overlap]:
    """Merge an overlap of whole lines again sentence by sentence; keep what still overlaps."""
    refined = _merge_pieces(
        sentences(overlap.base), sentences(overlap.mine), sentences(overlap.theirs)
    )
    # Only worth it when it settles something: a single overlap would just repeat this one.
    if len(refined) == 1 and isinstance(refined[0], Overlap):
        return [overlap]
    return refined


def merge(base: str, mine: str, theirs: str) -> Merge:
    """Merge my edits and theirs, both made on ``base``; say where they overlap."""
    b, m, t = _normalise(base), _normalise(mine), _normalise(theirs)
    parts: list[str | Overlap] = []
    for part in _merge_pieces(
        b.splitlines(keepends=True), m.splitlines(keepends=True), t.splitlines(keepends=True)
    ):
        pieces = _refine(part) if isinstance(part, Overlap) else [part]
        for piece in pieces:
            # Adjacent runs of merged text are one run; empty runs say nothing.
            if isinstance(piece, str):
                if not piece:
                    continue
                if parts and isinstance(parts[-1], str):
                    parts[-1] += piece
                    continue
            parts.append(piece)
    final_newline = mine.endswith("\n") or theirs.endswith("\n") or not (mine or theirs)
    return Merge(parts=tuple(parts), final_newline=final_newline)
