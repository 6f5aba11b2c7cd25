"""Words for messages: counts with their noun in the right number, and lists in prose.

Every message a person reads says "1 section" and "3 sections", never
"section(s)"; lists read "2.1, 2.2 and 3.1". The nouns the workbench counts
with an irregular plural are known here (:data:`IRREGULAR`); any other takes
an "s".
"""

from __future__ import annotations

from collections.abc import Iterable

# Plurals that are not the noun plus "s".
IRREGULAR: dict[str, str] = {
    "person": "people",
    "entry": "entries",
    "family": "families",
    "is": "are",
    "was": "were",
    "has": "have",
    "does": "do",
}


def noun(count: int, word: str, many: str | None = None) -> str:
    """Return ``word`` in the number that goes with ``count`` ("section" or "sections")."""
    if count == 1:
        return word
    return many or IRREGULAR.get(word) or word + "s"


def plural(count: int, word: str, many: str | None = None) -> str:
    """Return a count with its noun: "1 section", "3 sections", "1,204 comments"."""
    return f"{count:,} {noun(count, word, many)}"


def listing(items: Iterable[object], *, conjunction: str = "and") -> str:
    """Return items as prose: "a", "a and b", "a, b and c"."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def blank(value: object) -> bool:
    """Return True when a value a person gave is missing or only spaces.

    Messages about a blank value ask for one ("Enter an email address.")
    instead of quoting it ("'' is not an email address.").
    """
    return value is None or not str(value).strip()
