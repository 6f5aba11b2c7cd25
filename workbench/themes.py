"""The Panel's transversal themes and the interlinkages between them.

Vocabulary:

- A **theme** is one of the 14 transversal themes the Panel writes Synthesis
  Reports on (seed 000); each has a stable **code** (``living-wages``), a name,
  a short description and belongs to one of six **clusters**.
- A **link** (interlinkage) says that two themes depend on each other, with a
  one-sentence note on why; links have no direction.
- The **theme file** is ``data/themes.json``: ``{"clusters": [{"name", "themes":
  [{"code", "name", "description"}]}], "links": [{"a", "b", "note"}]}``.

Themes are setup data: :func:`seed_themes` writes the file into the database
without an acting person, and can be run again safely (it updates by code).
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from workbench import audit
from workbench.db import DATA_DIR
from workbench.errors import NotFound, ValidationError
from workbench.models import Theme, ThemeLink
from workbench.words import plural

THEMES_FILE = DATA_DIR / "themes.json"
THEME_COUNT = 14
CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_CODE_LENGTH = 40
MAX_NAME_LENGTH = 200


def load_theme_data(path: str | Path | None = None) -> dict[str, Any]:
    """Read and validate the theme file, raising ValidationError that lists every problem."""
    path = Path(path) if path is not None else THEMES_FILE
    name = path.name
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("The theme file {path} does not exist.", path=str(path)) from None
    except UnicodeDecodeError:
        raise ValidationError("{name} is not a UTF-8 text file.", name=name) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            "{name} is not valid JSON: {problem} at line {line}, column {column}.",
            name=name,
            problem=exc.msg,
            line=exc.lineno,
            column=exc.colno,
        ) from None
    problems = _problems(data)
    if problems:
        listed = "\n".join(f"- {p}" for p in problems)
        raise ValidationError(
            "{name} has {problems}:\n{listed}",
            name=name,
            problems=plural(len(problems), "problem"),
            listed=listed,
        )
    return data


def _problems(data: Any) -> list[str]:
    """Return every problem found in parsed theme data (empty when it is valid)."""
    if not isinstance(data, dict):
        return ["The file must hold an object with 'clusters' and 'links'."]
    problems: list[str] = []
    clusters = data.get("clusters")
    if not isinstance(clusters, list) or not clusters:
        return ["'clusters' must be a non-empty list."]
    codes: set[str] = set()
    cluster_names: set[str] = set()
    count = 0
    for ci, cluster in enumerate(clusters, start=1):
        where = f"Cluster {ci}"
        if not isinstance(cluster, dict):
            problems.append(f"{where} must be an object with 'name' and 'themes'.")
            continue
        cname = cluster.get("name")
        if not isinstance(cname, str) or not cname.strip():
            problems.append(f"{where} has no name.")
        else:
            where = f"Cluster '{cname}'"
            if cname in cluster_names:
                problems.append(f"{where} appears twice.")
            cluster_names.add(cname)
            if len(cname) > MAX_NAME_LENGTH:
                problems.append(f"{where}: the name is longer than {MAX_NAME_LENGTH} characters.")
        themes = cluster.get("themes")
        if not isinstance(themes, list) or not themes:
            problems.append(f"{where} has no themes.")
            continue
        for ti, theme in enumerate(themes, start=1):
            count += 1
            problems.extend(_theme_problems(theme, f"{where}, theme {ti}", codes))
    if count != THEME_COUNT:
        problems.append(f"The file lists {count} themes; the Panel has {THEME_COUNT}.")
    problems.extend(_link_problems(data.get("links", []), codes))
    return problems


def _theme_problems(theme: Any, where: str, codes: set[str]) -> list[str]:
    if not isinstance(theme, dict):
        return [f"{where} must be an object with 'code', 'name' and 'description'."]
    problems: list[str] = []
    code = theme.get("code")
    if not isinstance(code, str) or not code:
        problems.append(f"{where} has no code.")
    else:
        where = f"{where} ('{code}')"
        if not CODE_PATTERN.match(code) or len(code) > MAX_CODE_LENGTH:
            problems.append(
                f"{where}: a code uses lower-case letters, digits and hyphens only, "
                f"at most {MAX_CODE_LENGTH} characters."
            )
        if code in codes:
            problems.append(f"{where}: the code '{code}' is used by more than one theme.")
        codes.add(code)
    name = theme.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where} has no name.")
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(f"{where}: the name is longer than {MAX_NAME_LENGTH} characters.")
    description = theme.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append(f"{where} has no description.")
    return problems


def _link_problems(links: Any, codes: set[str]) -> list[str]:
    if not isinstance(links, list):
        return ["'links' must be a list."]
    problems: list[str] = []
    seen: set[frozenset[str]] = set()
    for li, link in enumerate(links, start=1):
        where = f"Link {li}"
        if not isinstance(link, dict):
            problems.append(f"{where} must be an object with 'a', 'b' and 'note'.")
            continue
        a, b = link.get("a"), link.get("b")
        for end in (a, b):
            if end not in codes:
                problems.append(
                    f"{where} refers to the theme '{end}', which the file does not list."
                )
        if a == b:
            problems.append(f"{where} links the theme '{a}' to itself.")
        pair = frozenset({str(a), str(b)})
        if pair in seen:
            problems.append(f"{where} repeats the link between '{a}' and '{b}'.")
        seen.add(pair)
        note = link.get("note")
        if not isinstance(note, str) or not note.strip():
            problems.append(f"{where} ('{a}' – '{b}') has no note saying why the themes interlink.")
    return problems


def seed_themes(session: Session, *, path: str | Path | None = None) -> int:
    """Write the theme file into the database; return how many rows were created or changed.

    Themes are matched by code and links by their pair of themes (in either
    order), so running it again changes nothing and returns 0.
    """
    data = load_theme_data(path)
    try:
        created = updated = 0
        by_code = {t.code: t for t in session.exec(select(Theme)).all()}
        position = 0
        for cluster in data["clusters"]:
            for entry in cluster["themes"]:
                position += 1
                wanted = {
                    "name": entry["name"].strip(),
                    "cluster": cluster["name"].strip(),
                    "description": entry["description"].strip(),
                    "position": position,
                }
                theme = by_code.get(entry["code"])
                if theme is None:
                    theme = Theme(code=entry["code"], **wanted)
                    session.add(theme)
                    by_code[theme.code] = theme
                    created += 1
                elif any(getattr(theme, k) != v for k, v in wanted.items()):
                    for k, v in wanted.items():
                        setattr(theme, k, v)
                    session.add(theme)
                    updated += 1
        session.flush()
        existing = {
            frozenset({link.theme_a_id, link.theme_b_id}): link
            for link in session.exec(select(ThemeLink)).all()
        }
        links_created = links_updated = 0
        for entry in data.get("links", []):
            a, b = by_code[entry["a"]], by_code[entry["b"]]
            note = entry["note"].strip()
            link = existing.get(frozenset({a.id, b.id}))
            if link is None:
                link = ThemeLink(theme_a_id=a.id, theme_b_id=b.id, note=note)
                session.add(link)
                existing[frozenset({a.id, b.id})] = link
                links_created += 1
            elif link.note != note:
                link.note = note
                session.add(link)
                links_updated += 1
        changed = created + updated + links_created + links_updated
        if changed:
            audit.record(
                session,
                None,
                "seed_themes",
                "theme",
                None,
                themes_created=created,
                themes_updated=updated,
                links_created=links_created,
                links_updated=links_updated,
            )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return changed


def list_themes(session: Session) -> list[Theme]:
    """Return every theme in the order of the theme file (cluster by cluster)."""
    return list(session.exec(select(Theme).order_by(col(Theme.position), col(Theme.code))).all())


def get_theme(session: Session, code: str) -> Theme:
    """Return the theme with this code, or raise NotFound."""
    theme = session.exec(select(Theme).where(Theme.code == code)).first()
    if theme is None:
        raise NotFound("No theme with the code '{code}'.", code=code)
    return theme


def theme_links(session: Session) -> list[tuple[Theme, Theme, str]]:
    """Return every interlinkage as (theme, theme, note), in theme order."""
    themes = {t.id: t for t in session.exec(select(Theme)).all()}
    pairs = [
        (themes[link.theme_a_id], themes[link.theme_b_id], link.note)
        for link in session.exec(select(ThemeLink)).all()
    ]
    return sorted(pairs, key=lambda p: (p[0].position, p[1].position))


def _dot_text(value: str, *, wrap: int = 0) -> str:
    text = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return "\\n".join(textwrap.wrap(text, wrap)) if wrap else text


def interlinkage_dot(session: Session, *, highlight: str | None = None) -> str:
    """Return the themes, grouped by cluster, and their interlinkages as a Graphviz DOT graph.

    ``highlight`` names a theme code to draw filled (say, the theme of the report at hand).
    """
    themes = list_themes(session)
    lines = [
        "graph themes {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.25, ranksep=0.6];',
        '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=12];',
        '  edge [color="#7a869a"];',
    ]
    clusters: dict[str, list[Theme]] = {}
    for theme in themes:
        clusters.setdefault(theme.cluster, []).append(theme)
    for index, (cluster, members) in enumerate(clusters.items()):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f'    label="{_dot_text(cluster)}"; style="rounded,dashed"; color="#9aa5b1";')
        for theme in members:
            style = ""
            if theme.code == highlight:
                style = ', style="rounded,filled", fillcolor="#dbe9ff"'
            label = _dot_text(theme.name, wrap=26)
            lines.append(f'    "{theme.code}" [label="{label}"{style}];')
        lines.append("  }")
    for a, b, note in theme_links(session):
        lines.append(f'  "{a.code}" -- "{b.code}" [tooltip="{_dot_text(note)}"];')
    lines.append("}")
    return "\n".join(lines)
