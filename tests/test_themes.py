"""Tests for the theme file and the theme service."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from workbench import themes
from workbench.errors import NotFound, ValidationError
from workbench.models import AuditEvent, Theme, ThemeLink


@pytest.fixture
def theme_data() -> dict:
    """Return a fresh copy of the shipped theme file."""
    return copy.deepcopy(themes.load_theme_data())


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "themes.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_shipped_file_has_fourteen_themes_in_six_clusters(theme_data: dict) -> None:
    clusters = theme_data["clusters"]
    assert len(clusters) == 6
    codes = [t["code"] for c in clusters for t in c["themes"]]
    assert len(codes) == 14 == len(set(codes))
    assert "living-wages" in codes
    assert len(theme_data["links"]) >= 16
    assert all(t["description"].count(".") >= 2 for c in clusters for t in c["themes"])


def test_seed_writes_themes_links_and_an_audit_event(session: Session) -> None:
    changed = themes.seed_themes(session)
    listed = themes.list_themes(session)
    assert len(listed) == 14
    assert len({t.cluster for t in listed}) == 6
    assert listed[0].cluster == "Overarching themes"
    wages = themes.get_theme(session, "living-wages")
    assert wages.cluster == "Reforming the economic system: the way forward"
    links = themes.theme_links(session)
    assert changed == 14 + len(links)
    assert any({a.code, b.code} == {"living-wages", "global-solidarity"} for a, b, _ in links)
    assert all(note for _, _, note in links)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "seed_themes")).one()
    assert event.person_id is None
    assert event.detail["themes_created"] == 14


def test_seeding_twice_gives_the_same_rows(session: Session) -> None:
    themes.seed_themes(session)
    before = [(t.id, t.code, t.name, t.cluster, t.position) for t in themes.list_themes(session)]
    links_before = count(session, ThemeLink)
    assert themes.seed_themes(session) == 0
    after = [(t.id, t.code, t.name, t.cluster, t.position) for t in themes.list_themes(session)]
    assert after == before
    assert count(session, ThemeLink) == links_before
    assert count(session, AuditEvent) == 1


def test_reseeding_updates_a_changed_theme_and_link_note(
    session: Session, tmp_path: Path, theme_data: dict
) -> None:
    themes.seed_themes(session)
    theme_data["clusters"][1]["themes"][1]["name"] = "Living wages for all"
    link = theme_data["links"][0]
    link["a"], link["b"], link["note"] = link["b"], link["a"], "A reworded note."
    assert themes.seed_themes(session, path=write(tmp_path, theme_data)) == 2
    assert themes.get_theme(session, "living-wages").name == "Living wages for all"
    assert count(session, Theme) == 14
    assert count(session, ThemeLink) == len(theme_data["links"])
    assert any(note == "A reworded note." for _, _, note in themes.theme_links(session))


def test_get_theme_names_the_missing_code(session: Session) -> None:
    themes.seed_themes(session)
    with pytest.raises(NotFound, match="'no-such-theme'"):
        themes.get_theme(session, "no-such-theme")


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (
            lambda d: d["links"].append({"a": "living-wages", "b": "nowhere", "note": "x"}),
            "refers to the theme 'nowhere'",
        ),
        (
            lambda d: d["clusters"][0]["themes"][1].update(code="systemic-conditions"),
            "'systemic-conditions' is used by more than one theme",
        ),
        (lambda d: d["clusters"][5]["themes"].pop(), "lists 13 themes; the Panel has 14"),
        (lambda d: d["clusters"][1]["themes"][1].update(description=" "), "has no description"),
        (
            lambda d: d["clusters"][1]["themes"][1].update(code="Living Wages"),
            "lower-case letters, digits and hyphens",
        ),
        (
            lambda d: d["links"].append(
                dict(d["links"][0], a=d["links"][0]["b"], b=d["links"][0]["a"])
            ),
            "repeats the link",
        ),
        (
            lambda d: d["links"].append({"a": "living-wages", "b": "living-wages", "note": "x"}),
            "to itself",
        ),
        (lambda d: d["links"][0].update(note=""), "has no note"),
    ],
)
def test_a_broken_file_gives_a_clear_error_and_writes_nothing(
    session: Session, tmp_path: Path, theme_data: dict, breakage, message: str
) -> None:
    breakage(theme_data)
    path = write(tmp_path, theme_data)
    with pytest.raises(ValidationError, match=message):
        themes.load_theme_data(path)
    with pytest.raises(ValidationError):
        themes.seed_themes(session, path=path)
    assert count(session, Theme) == 0
    assert count(session, AuditEvent) == 0


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "themes.json"
    path.write_text('{\n  "clusters": [\n    {"name": "x",,}\n  ]\n}', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"not valid JSON: .* line 3"):
        themes.load_theme_data(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        themes.load_theme_data(tmp_path / "absent.json")


def test_every_problem_is_listed_at_once(tmp_path: Path, theme_data: dict) -> None:
    theme_data["clusters"][0]["themes"][0]["name"] = ""
    theme_data["links"][0]["b"] = "ghost"
    with pytest.raises(ValidationError) as info:
        themes.load_theme_data(write(tmp_path, theme_data))
    assert "2 problems" in info.value.message
    assert "'ghost'" in info.value.message
    assert "has no name" in info.value.message


def test_interlinkage_dot_draws_clusters_themes_and_links(session: Session) -> None:
    themes.seed_themes(session)
    dot = themes.interlinkage_dot(session, highlight="living-wages")
    assert dot.startswith("graph themes {") and dot.rstrip().endswith("}")
    assert dot.count("subgraph cluster_") == 6
    for theme in themes.list_themes(session):
        assert f'"{theme.code}" [label="' in dot
    assert dot.count(" -- ") == count(session, ThemeLink)
    assert 'fillcolor="#dbe9ff"' in dot.split('"living-wages" [label=')[1].split("\n")[0]
    assert dot.count("fillcolor") == 1
