"""Pieces of messages that are rendered in the reader's language when the message is shown.

A domain error is raised in one language (none: it is a template and parameters)
and read in another (the reader's on a page, English on the command line), so a
parameter that depends on the language cannot be formatted when the error is
raised. These parameters are :class:`~workbench.i18n.Msg` objects that render
themselves when the message does:

- :class:`Count`: a counted phrase, singular or plural by the reader's language
  ("1 comment", "3 comments"; "0 commentaire" in French);
- :class:`Number`: a number with the reader's grouping ("1,204", "1 204");
- :class:`Listed`: items joined as the reader's language lists them ("a, b and c",
  "a, b et c");
- :class:`Joined`: items joined by commas alone ("accepted, noted, rejected");
- :class:`Lowered`: a label in lower case inside a sentence ("the first-order draft stage");
- :class:`Sentence`: a phrase made a sentence of its own (capital first letter,
  full stop);
- :class:`Verbatim`: text shown as it is (a name, a label no catalogue knows).

English renders exactly as :mod:`workbench.words` writes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from babel import Locale

from workbench import i18n
from workbench.i18n import Msg
from workbench.words import listing


class Count(Msg):
    """A phrase with a count: the singular or the plural message, chosen when rendered.

    Both forms are marked with ``N_`` where the phrase is made, so the catalogues
    translate each; ``{count}`` is the count, grouped as the reader's language does.
    """

    __slots__ = ("count", "plural")

    def __init__(self, singular: str, plural: str, count: int, /, **params: Any) -> None:
        super().__init__(singular, **params)
        self.plural = plural
        self.count = count

    def render(self, code: str | None = None) -> str:
        """Return the form that goes with the count, in ``code`` or the current language."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        one = Locale.parse(i18n.current_language()).plural_form(abs(self.count)) == "one"
        template = self.template if one else self.plural
        return Msg(template, count=Number(self.count), **self.params).render()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.render() == other
        return Msg.__eq__(self, other)

    def __hash__(self) -> int:
        return hash(self.template)


class Number(Msg):
    """A number, grouped as the reader's language groups digits."""

    __slots__ = ("value",)

    def __init__(self, value: int | float) -> None:
        super().__init__("{value}", value=value)
        self.value = value

    def render(self, code: str | None = None) -> str:
        """Return the number in ``code`` or the current language ("1,204", "1 204")."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        if i18n.current_language() == i18n.SOURCE:
            return f"{self.value:,}"
        return i18n.format_number(self.value)


class Listed(Msg):
    """Items joined the way the reader's language lists them."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = list(items)
        super().__init__("{items}", items=self.items)

    def render(self, code: str | None = None) -> str:
        """Return the list in ``code`` or the current language ("a, b and c")."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        shown = [i18n.render(item) for item in self.items]
        if i18n.current_language() == i18n.SOURCE:
            return listing(shown)
        return i18n.format_list(shown)


class Joined(Msg):
    """Items joined by commas alone ("a, b, c"), each rendered in the reader's language."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = list(items)
        super().__init__("{items}", items=self.items)

    def render(self, code: str | None = None) -> str:
        """Return the items joined by commas, in ``code`` or the current language."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        return ", ".join(i18n.render(item) for item in self.items)


class Lowered(Msg):
    """A message in lower case, to stand inside a sentence (a stage's or a disposition's label)."""

    __slots__ = ("inner",)

    def __init__(self, inner: Msg | str) -> None:
        self.inner = inner if isinstance(inner, Msg) else Msg(inner)
        super().__init__("{inner}", inner=self.inner)

    def render(self, code: str | None = None) -> str:
        """Return the message in lower case, in ``code`` or the current language."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        return self.inner.render().lower()


class Sentence(Msg):
    """A phrase (a :class:`Msg` starting in lower case) written as a sentence of its own."""

    __slots__ = ("phrase",)

    def __init__(self, phrase: Msg | str) -> None:
        self.phrase = phrase if isinstance(phrase, Msg) else Msg(phrase)
        super().__init__("{phrase}", phrase=self.phrase)

    def render(self, code: str | None = None) -> str:
        """Return the phrase with a capital first letter and a full stop."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        text = self.phrase.render().strip()
        if not text:
            return text
        return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


class Verbatim(Msg):
    """Text shown as it is in every language (a name, or a label the catalogues do not know)."""

    __slots__ = ()

    def __init__(self, text: str) -> None:
        super().__init__("{text}", text=text)

    def render(self, code: str | None = None) -> str:
        """Return the text unchanged."""
        return str(self.params["text"])


def listed(items: Iterable[Any]) -> str:
    """Return items as the current language lists them, now (for the pages)."""
    return Listed(items).render()
