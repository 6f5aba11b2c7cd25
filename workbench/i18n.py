"""The interface's languages: gettext catalogues, the current language, and locale formats.

Terms:

- The **interface languages** are English, French and Spanish
  (:data:`INTERFACE_LANGUAGES`); English is the language the code is written in,
  so an English message is its own translation.
- A **message** is an English string marked for translation: ``_("Save")`` where it
  is shown, ``N_("Save")`` where it is defined and translated later (a module-level
  table, an enum's label), ``ngettext(singular, plural, n)`` when it depends on a
  count. Parameters are named and filled after translation:
  ``_("Section {code} is saved.").format(code=section.code)`` — never an f-string,
  which the extractor cannot see.
- A **catalogue** is one ``.po`` file per source file and language, under
  ``locales/<language>/`` and under version control: ``views/write.py`` has
  ``locales/fr/views.write.po``. Keeping one file per source file lets several
  people translate different pages at once without touching the same file;
  at run time all of a language's files are merged into one table.
  ``scripts/i18n.py update`` adds new messages and drops stale ones;
  ``scripts/i18n.py check`` (and ``tests/test_i18n.py``) fails on any message
  without a translation, a fuzzy or stale entry, or a translation whose
  ``{placeholders}`` differ from the English.
- The **current language** belongs to one page run (a context variable, so two
  people on the same server never see each other's). Pages set it from the
  person's choice (``ui.py``); everything else — the command line, the services,
  the exports — runs in English unless told otherwise.
- A :class:`Msg` is a message with its parameters, kept apart until it is shown:
  domain errors carry one, so a page renders the error in the reader's language
  while the command line prints it in English.

Dates, numbers and lists are formatted for the current language with babel.
"""

from __future__ import annotations

import gettext as _gettext
import io
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel import dates as babel_dates
from babel import lists as babel_lists
from babel import numbers as babel_numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SOURCE = "en"
# Each language under its own name, as a picker shows it.
INTERFACE_LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "es": "Español"}

_current: ContextVar[str] = ContextVar("workbench_interface_language", default=SOURCE)
_misses: dict[str, set[str]] = {}
_misses_lock = threading.Lock()


def interface_language(code: str | None) -> str | None:
    """Return the interface language a code or browser locale names ('fr-CA' → 'fr'), or None."""
    if not code:
        return None
    base = str(code).strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in INTERFACE_LANGUAGES else None


def current_language() -> str:
    """Return the language of the current page run ('en' outside the pages)."""
    return _current.get()


def set_language(code: str | None) -> str:
    """Make ``code`` the current language (English when it is not an interface language)."""
    language = interface_language(code) or SOURCE
    _current.set(language)
    return language


@contextmanager
def language(code: str | None) -> Iterator[str]:
    """Run a block in one language, then go back to the one before."""
    token = _current.set(interface_language(code) or SOURCE)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def catalogue_files(code: str) -> list[Path]:
    """Return the ``.po`` files of one language, in a stable order."""
    folder = LOCALES_DIR / code
    return sorted(folder.glob("*.po")) if folder.is_dir() else []


@lru_cache(maxsize=8)
def _translations(code: str) -> _gettext.NullTranslations:
    """Return one language's catalogues merged and compiled (read once per process)."""
    files = catalogue_files(code)
    if not files:
        return _gettext.NullTranslations()
    merged = Catalog(locale=code)
    # A later file wins: the labels of workbench/models.py (statuses, roles, kinds) are
    # what a word read on its own means; a page's own forms stay in its own catalogue.
    files = sorted(files, key=lambda path: (path.stem == "workbench.models", path.name))
    for path in files:
        with path.open("rb") as handle:
            part = read_po(handle, locale=code)
        for message in part:
            if not message.id or message.fuzzy or not _translated(message.string):
                continue
            merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def _translated(string: Any) -> bool:
    if isinstance(string, (tuple, list)):
        return all(string)
    return bool(string)


def reload_catalogues() -> None:
    """Forget the compiled catalogues (after ``scripts/i18n.py`` changed them)."""
    _translations.cache_clear()
    _known.cache_clear()
    _file_tables.cache_clear()


def _note_miss(code: str, message: str) -> None:
    with _misses_lock:
        _misses.setdefault(code, set()).add(message)


def misses(code: str) -> set[str]:
    """Return the messages asked for in ``code`` that its catalogues do not translate."""
    with _misses_lock:
        return set(_misses.get(code, set()))


def clear_misses() -> None:
    """Forget the recorded misses (a test starts from none)."""
    with _misses_lock:
        _misses.clear()


@lru_cache(maxsize=8)
def _file_tables(code: str) -> dict[str, dict[str, str]]:
    """Return each catalogue's own translations of one language, by catalogue name."""
    tables: dict[str, dict[str, str]] = {}
    for path in catalogue_files(code):
        with path.open("rb") as handle:
            tables[path.stem] = {
                m.id: m.string
                for m in read_po(handle, locale=code)
                if isinstance(m.id, str) and m.id and not m.fuzzy and _translated(m.string)
            }
    return tables


@lru_cache(maxsize=512)
def _catalogue_name(filename: str) -> str | None:
    """Return the catalogue name of a source file ('views.write' for views/write.py)."""
    try:
        relative = Path(filename).resolve().relative_to(LOCALES_DIR.parent.resolve())
    except ValueError:
        return None
    return relative.with_suffix("").as_posix().replace("/", ".")


def gettext(message: str) -> str:
    """Return ``message`` in the current language (itself when untranslated).

    The catalogue of the file that asks comes first: the same English word may be
    translated differently on two pages (French and Spanish agree adjectives with
    their nouns); any other catalogue's translation serves otherwise.
    """
    code = _current.get()
    if code == SOURCE or not message:
        return message
    if not _has(code, message):
        _note_miss(code, message)
        return message
    caller = sys._getframe(1).f_globals.get("__file__")
    name = _catalogue_name(caller) if isinstance(caller, str) else None
    own = _file_tables(code).get(name) if name else None
    if own is not None and message in own:
        return own[message]
    return _translations(code).gettext(message)


@lru_cache(maxsize=8)
def _known(code: str) -> frozenset[Any]:
    known: set[Any] = set()
    for path in catalogue_files(code):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=code):
                if message.id and not message.fuzzy and _translated(message.string):
                    known.add(message.id if isinstance(message.id, str) else message.id[0])
    return frozenset(known)


def _has(code: str, message: str) -> bool:
    return message in _known(code)


def label(message: str) -> str:
    """Return an enum's label in the current language, as ``workbench/models.py`` translates it.

    A label read on its own ("Open", a status) may differ from the same English word
    on a page ("Open", a button): labels are looked up among the labels first.
    """
    code = _current.get()
    if code == SOURCE or not message:
        return message
    own = _file_tables(code).get("workbench.models", {})
    if message in own:
        return own[message]
    return gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Return the form of a counted message for ``n`` in the current language."""
    code = _current.get()
    if code == SOURCE:
        return singular if n == 1 else plural
    translated = _translations(code).ngettext(singular, plural, n)
    if not _has(code, singular):
        _note_miss(code, singular)
    return translated


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (it is translated when shown)."""
    return message


_ = gettext


class Msg:
    """A message and its named parameters, rendered in the language current when shown.

    ``str(msg)`` renders it in the current language; parameters that are themselves
    :class:`Msg` are rendered in the same language. A translation that names a
    parameter the message does not have falls back to the English message rather
    than failing.
    """

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = template
        self.params = params

    def render(self, code: str | None = None) -> str:
        """Return the message in ``code`` (default: the current language)."""
        if code is not None:
            with language(code):
                return self.render()
        values = {k: (v.render() if isinstance(v, Msg) else v) for k, v in self.params.items()}
        translated = gettext(self.template)
        try:
            return translated.format(**values) if values else translated
        except (KeyError, IndexError, ValueError):
            return self.template.format(**values) if values else self.template

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Msg({self.template!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Msg):
            return (self.template, self.params) == (other.template, other.params)
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.template)


def render(value: Any) -> str:
    """Return a message, a :class:`Msg` or anything else as text in the current language."""
    return value.render() if isinstance(value, Msg) else str(value)


def _locale() -> Locale:
    return Locale.parse(_current.get())


def format_date(value: date | datetime, *, format: str = "medium") -> str:
    """Return a date the way the current language writes it ('1 déc. 2026')."""
    if isinstance(value, datetime):
        value = value.date()
    return babel_dates.format_date(value, format=format, locale=_locale())


def format_datetime(value: datetime, *, format: str = "medium", tz: Any = None) -> str:
    """Return a moment the way the current language writes it."""
    return babel_dates.format_datetime(value, format=format, tzinfo=tz, locale=_locale())


def format_number(value: int | float) -> str:
    """Return a number with the current language's grouping ('12 345' in French)."""
    return babel_numbers.format_decimal(value, locale=_locale())


def format_percent(value: float) -> str:
    """Return a share (0.25) as the current language writes a percentage."""
    return babel_numbers.format_percent(value, locale=_locale())


def format_list(items: Iterable[str], *, style: str = "standard") -> str:
    """Join items the way the current language does ('a, b et c')."""
    listed = [str(item) for item in items]
    if not listed:
        return ""
    return babel_lists.format_list(listed, style=style, locale=_locale())


def language_names(codes: Iterable[str] | None = None) -> Mapping[str, str]:
    """Return each interface language under its own name (for the pickers)."""
    wanted = list(codes) if codes is not None else list(INTERFACE_LANGUAGES)
    return {code: INTERFACE_LANGUAGES[code] for code in wanted if code in INTERFACE_LANGUAGES}
