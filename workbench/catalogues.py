"""Keep the interface's catalogues in step with the code: extract, update, check.

Every source file whose strings people read — ``app.py``, ``ui.py``, the pages
under ``views/`` and the domain modules under ``workbench/`` (their error
messages and labels) — has one catalogue per translated language,
``locales/<language>/<dotted path>.po`` (see :mod:`workbench.i18n`).

- :func:`extract` finds a file's messages with babel: ``_()``, ``N_()``,
  ``ngettext()``, ``Msg()`` and the first argument of every domain error.
- :func:`update` rewrites each catalogue from the code: a new message arrives
  untranslated, a message the code no longer has is dropped, every translation
  of a message that stays is kept.
- :func:`check` lists what is wrong: a message without a translation, a fuzzy
  one, a stale one (in the catalogue, gone from the code), a translation whose
  ``{placeholders}`` differ from the English, and an f-string given where a
  message id belongs (it cannot be translated).
"""

from __future__ import annotations

import ast
import io
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from workbench.i18n import INTERFACE_LANGUAGES, LOCALES_DIR, SOURCE

ROOT = LOCALES_DIR.parent
TRANSLATED = tuple(code for code in INTERFACE_LANGUAGES if code != SOURCE)
ERROR_CLASSES = (
    "WorkbenchError",
    "PermissionDenied",
    "NotFound",
    "ValidationError",
    "Conflict",
    "ImportFailed",
    "Frozen",
    "SessionEnded",
    "SignInThrottled",
)
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "gettext": None,
    "N_": None,
    "ngettext": (1, 2),
    "Msg": None,
    **{name: None for name in ERROR_CLASSES},
}
# Modules that never show text to people (or only English on the command line).
EXCLUDED = frozenset({"workbench/i18n.py", "workbench/catalogues.py", "workbench/cli.py"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a catalogue or a source file."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def source_files(root: Path = ROOT) -> list[Path]:
    """Return the files whose messages are translated, in a stable order."""
    found = [root / "app.py", root / "ui.py"]
    found += sorted((root / "views").glob("*.py"))
    found += sorted((root / "workbench").glob("*.py"))
    return [p for p in found if p.is_file() and _relative(p, root) not in EXCLUDED]


def _relative(path: Path, root: Path = ROOT) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def catalogue_path(source: Path, code: str, root: Path = ROOT) -> Path:
    """Return the catalogue of one source file in one language."""
    dotted = _relative(source, root).removesuffix(".py").replace("/", ".")
    return root / "locales" / code / f"{dotted}.po"


def extract(source: Path) -> dict[str | tuple[str, str], list[int]]:
    """Return a file's messages (a counted one as its two forms) and the lines they are on."""
    found: dict[str | tuple[str, str], list[int]] = {}
    for lineno, message, _comments, _context in extract_from_file(
        "python", source, keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            if not all(message[:2]):
                continue
            key: str | tuple[str, str] = (message[0], message[1])
        else:
            if not message:
                continue
            key = message
        found.setdefault(key, []).append(lineno)
    return found


def _read(path: Path, code: str) -> Catalog | None:
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def update(
    languages: Iterable[str] = TRANSLATED,
    *,
    root: Path = ROOT,
    only: Iterable[Path] | None = None,
) -> dict[str, tuple[int, int]]:
    """Rewrite the catalogues from the code; return (added, dropped) per catalogue changed.

    ``only`` limits the work to some source files (a translator working on one page
    never rewrites another's catalogue).
    """
    changed: dict[str, tuple[int, int]] = {}
    wanted = {p.resolve() for p in only} if only is not None else None
    for source in source_files(root):
        if wanted is not None and source.resolve() not in wanted:
            continue
        messages = extract(source)
        for code in languages:
            path = catalogue_path(source, code, root)
            old = _read(path, code)
            previous = {m.id: m for m in old} if old is not None else {}
            previous.pop("", None)
            if not messages:
                if path.exists():
                    path.unlink()
                    changed[_relative(path, root)] = (0, len(previous))
                continue
            catalogue = Catalog(
                locale=code,
                project="Synthesis Report Workbench",
                version="1",
                msgid_bugs_address="the Panel's Secretariat",
                last_translator="The Panel's translators",
                language_team=INTERFACE_LANGUAGES[code],
                # Stable dates: a catalogue changes only when its messages do.
                creation_date=old.creation_date if old is not None else None,
                header_comment=(
                    f"# {INTERFACE_LANGUAGES[code]} messages of {_relative(source, root)}."
                ),
                fuzzy=False,
            )
            added = 0
            for key in messages:
                kept = previous.get(key)
                if kept is not None:
                    catalogue.add(
                        key, kept.string, flags=kept.flags, auto_comments=kept.auto_comments
                    )
                else:
                    added += 1
                    catalogue.add(key, ("", "") if isinstance(key, tuple) else "")
            catalogue.revision_date = catalogue.creation_date
            dropped = len(set(previous) - set(messages))
            buffer = io.BytesIO()
            write_po(buffer, catalogue, width=100, omit_header=False, no_location=True)
            if not path.is_file() or path.read_bytes() != buffer.getvalue():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(buffer.getvalue())
                changed[_relative(path, root)] = (added, dropped)
    return changed


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<unbalanced braces>"}


def _fstring_problems(source: Path, root: Path) -> list[Problem]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    found: list[Problem] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if isinstance(node.func, ast.Attribute):
            name = node.func.attr if node.func.attr in ERROR_CLASSES else None
        if name in KEYWORDS and isinstance(node.args[0], ast.JoinedStr):
            found.append(
                Problem(
                    _relative(source, root),
                    f"line {node.lineno}: {name}() is given an f-string, which cannot be "
                    "translated; give the message with {named} parameters instead",
                )
            )
    return found


def check(
    languages: Iterable[str] = TRANSLATED,
    *,
    root: Path = ROOT,
    only: Iterable[Path] | None = None,
) -> list[Problem]:
    """Return every untranslated, fuzzy, stale or mismatched message, and every f-string id."""
    problems: list[Problem] = []
    languages = list(languages)
    wanted = {p.resolve() for p in only} if only is not None else None
    for source in source_files(root):
        if wanted is not None and source.resolve() not in wanted:
            continue
        problems += _fstring_problems(source, root)
        messages = extract(source)
        for code in languages:
            path = catalogue_path(source, code, root)
            where = _relative(path, root)
            catalogue = _read(path, code)
            if catalogue is None:
                if messages:
                    problems.append(
                        Problem(where, f"missing ({len(messages)} messages to translate)")
                    )
                continue
            present = {m.id: m for m in catalogue if m.id}
            for key in messages:
                entry = present.get(key)
                shown = key if isinstance(key, str) else key[0]
                if entry is None:
                    problems.append(Problem(where, f"not in the catalogue: {shown!r}"))
                    continue
                strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
                if not all(strings):
                    problems.append(Problem(where, f"untranslated: {shown!r}"))
                elif entry.fuzzy:
                    problems.append(Problem(where, f"fuzzy: {shown!r}"))
                else:
                    wanted = _fields(shown) | (_fields(key[1]) if isinstance(key, tuple) else set())
                    for text in strings:
                        if _fields(text) - wanted or (
                            isinstance(key, str) and _fields(text) != wanted
                        ):
                            problems.append(
                                Problem(
                                    where,
                                    f"placeholders differ: {shown!r} has {sorted(wanted)}, "
                                    f"the translation {text!r} has {sorted(_fields(text))}",
                                )
                            )
            for key in set(present) - set(messages):
                shown = key if isinstance(key, str) else key[0]
                problems.append(Problem(where, f"stale (no longer in the code): {shown!r}"))
    return problems
