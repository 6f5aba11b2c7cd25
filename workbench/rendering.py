"""Citations rendered for reading in the app, as the export renders them.

A section's text cites sources in pandoc's syntax (``[@key]``). People should
never have to read those keys: the Write preview and the Council's reading view
show the text with its citations rendered by pandoc's citeproc from the report's
CSL-JSON, in the same style as the exported document (author–date, or
``templates/citation-style.csl`` when it exists), with a reference list.

- The result is **Markdown** (GitHub-flavoured), not HTML, so the app shows it
  with ``st.markdown`` and no HTML is ever passed through: raw HTML and TeX in the
  author's text are read as plain text.
- A key that matches no source is rendered **bold with a question mark**
  (``**smith2020?**``), as citeproc marks it, and listed in ``unknown``.
- Results are cached by the SHA-256 of the text and of the cited records, so
  re-running a page costs nothing until the text or a cited source changes.
- Images stay Markdown images here; the pages turn them into links before
  showing them (``ui.no_images``), so reading never fetches from another host.
- :func:`insert_citation` writes a citation into a text where the author's cursor
  is, spaced as pandoc expects (``wages fell [@key].``), joining a citation that
  directly follows another into one group (``[@a; @b]``).
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import pypandoc

from workbench.sections import extract_citation_keys

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CITATION_STYLE = TEMPLATES / "citation-style.csl"
# Raw HTML and TeX are read as text; implicit figures would turn a lone image into HTML.
READER = "markdown-raw_html-raw_tex-implicit_figures"


T = TypeVar("T")


class RenderCache(Generic[T]):
    """A small least-recently-used cache of renderings, shared by the app's sessions.

    Every browser session runs in a thread of one server process, hence the lock.
    A rendering is made outside the lock: two sessions asking for the same new
    text at once may both render it, which is harmless.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        """Return what is stored under ``key`` (now the most recently used), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: T) -> None:
        """Store ``value`` under ``key``, forgetting the least recently used beyond the size."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """Return the rendering stored under ``key``, making and storing it when missing."""
        found = self.get(key)
        if found is not None:
            return found
        value = make()
        self.put(key, value)
        return value


def cache_key(text: str, records: Iterable[Mapping[str, Any]]) -> str:
    """Return the key of a rendering: the SHA-256 of the text and of the records it uses."""
    return hashlib.sha256(
        text.encode("utf-8") + b"\0" + json.dumps(list(records), sort_keys=True).encode("utf-8")
    ).hexdigest()


_cache: RenderCache[Rendered] = RenderCache(256)
_DIV = re.compile(r"^\s*</?div\b[^>]*>\s*$", re.MULTILINE)
# A citation group that ends the text before the cursor: ``[@a, p. 3]``.
_GROUP_BEFORE = re.compile(r"\[([^\[\]]*@[^\[\]]*)\]( ?)$")


@dataclass(frozen=True)
class Rendered:
    """A text with its citations rendered, and the references it cites."""

    body: str
    references: tuple[str, ...]
    unknown: tuple[str, ...]


def cited_records(text: str, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the CSL-JSON records of the sources ``text`` cites, by key."""
    keys = set(extract_citation_keys(text))
    return sorted((dict(r) for r in records if r.get("id") in keys), key=lambda r: r["id"])


def render_citations(text: str, records: Iterable[Mapping[str, Any]]) -> Rendered:
    """Return ``text`` with its citations rendered and its reference list (cached)."""
    if not text.strip():
        return Rendered(body="", references=(), unknown=())
    cited = cited_records(text, records)
    known = {r["id"] for r in cited}
    unknown = tuple(sorted(set(extract_citation_keys(text)) - known))
    if not extract_citation_keys(text):
        return Rendered(body=text, references=(), unknown=())
    return _cache.get_or_make(cache_key(text, cited), lambda: _run_pandoc(text, cited, unknown))


def insert_citation(text: str, start: int, end: int, key: str) -> tuple[str, int]:
    """Return ``text`` with a citation of ``key`` in place of ``text[start:end]``, and the
    position just after it (where the cursor goes next)."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    before, after = text[:start], text[end:]
    group = _GROUP_BEFORE.search(before)
    if group:
        # Right after another citation: one group, as pandoc and every style expect.
        before = before[: group.start()] + f"[{group.group(1)}; @{key}]"
        cited = ""
    else:
        cited = f"[@{key}]"
        if before and not before[-1].isspace() and before[-1] not in "([{":
            cited = " " + cited
    caret = len(before) + len(cited)
    if after and (after[0].isalnum() or after[0] in "[("):
        cited += " "
    return before + cited + after, caret


def _run_pandoc(text: str, cited: list[dict[str, Any]], unknown: tuple[str, ...]) -> Rendered:
    with tempfile.TemporaryDirectory(prefix="workbench-render-") as folder:
        bibliography = Path(folder) / "references.json"
        bibliography.write_text(json.dumps(cited, ensure_ascii=False), encoding="utf-8")
        args = ["--citeproc", f"--bibliography={bibliography}", "--wrap=none", "--quiet"]
        if CITATION_STYLE.exists():
            args.append(f"--csl={CITATION_STYLE}")
        output = pypandoc.convert_text(text, "gfm", format=READER, extra_args=args)
    body, _, refs = output.partition('<div id="refs"')
    references = tuple(
        part.strip()
        for part in _DIV.sub("\n", refs.split(">", 1)[1] if ">" in refs else "").split("\n\n")
        if part.strip()
    )
    return Rendered(body=body.rstrip() + "\n", references=references, unknown=unknown)
