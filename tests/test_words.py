"""Words in messages: plurals in words, lists in prose, blank values asked for, not quoted."""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError as FormRefused

from workbench import consensus, export, people, reports, sections, sources, translations
from workbench.errors import WorkbenchError
from workbench.models import (
    PersonCreate,
    Question,
    ReportCreate,
    SectionCreate,
    SourceCreate,
    TranslationStatus,
)
from workbench.words import blank, listing, noun, plural

ROOT = Path(__file__).resolve().parents[1]


def test_counts_take_their_noun_in_the_right_number():
    assert plural(1, "section") == "1 section"
    assert plural(3, "section") == "3 sections"
    assert plural(0, "comment") == "0 comments"
    assert plural(12_406, "comment") == "12,406 comments"
    assert plural(2, "person") == "2 people"
    assert plural(2, "unknown person", "unknown people") == "2 unknown people"
    assert noun(1, "has") == "has" and noun(4, "has") == "have"
    assert noun(2, "is") == "are"


def test_lists_read_as_prose():
    assert listing([]) == ""
    assert listing(["2.1"]) == "2.1"
    assert listing(["2.1", "2.2"]) == "2.1 and 2.2"
    assert listing([1, 2, 3]) == "1, 2 and 3"
    assert listing(["fr", "es"], conjunction="or") == "fr or es"


def test_blank_means_nothing_given():
    assert blank(None) and blank("") and blank("  \t")
    assert not blank("x") and not blank(0)


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    found = []
    for token in tokens:
        # f-strings arrive in pieces on Python 3.12; whole on 3.11. Either way, the text.
        if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            found.append((token.start[0], token.string))
    return found


def test_no_message_says_section_s_instead_of_a_plural():
    files = [*sorted((ROOT / "workbench").glob("*.py")), *sorted((ROOT / "views").glob("*.py"))]
    files += [ROOT / "app.py", ROOT / "ui.py"]
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()[:80]}"
        for path in files
        for line, text in _string_literals(path)
        if "(s)" in text and not text.lstrip("rbuf").startswith(('"""', "'''"))
    ]
    assert offenders == []


def _refusal(call: Callable[[], object]) -> str:
    try:
        call()
    except WorkbenchError as exc:
        return exc.message
    except FormRefused as exc:  # pragma: no cover - a form model refusing is a failure here
        raise AssertionError(f"the form model refused it first: {exc}") from exc
    raise AssertionError("the blank value was accepted")


BLANKS: dict[str, tuple[Callable, str]] = {
    "email": (
        lambda s, w: people.create_person(
            session=s,
            actor=w.secretariat,
            data=PersonCreate(email="  ", name="Ana", password="a long enough secret"),
        ),
        "Enter an email address.",
    ),
    "report slug": (
        lambda s, w: reports.create_report(
            session=s,
            actor=w.secretariat,
            data=ReportCreate(
                slug="", title="Care", start_date=date(2027, 1, 1), due_date=date(2027, 9, 1)
            ),
        ),
        "Enter a slug for the report",
    ),
    "section code": (
        lambda s, w: sections.add_section(
            session=s,
            actor=w.cla,
            report=w.report,
            data=SectionCreate(code=" ", question=Question.known, title="New"),
        ),
        "Enter a section code",
    ),
    "translation language": (
        lambda s, w: translations.set_translation(
            session=s,
            actor=w.cla,
            section=w.sections[0],
            language="",
            status=TranslationStatus.in_progress,
        ),
        "Choose a language to translate into",
    ),
    "source language": (
        lambda s, w: sources.add_source(
            session=s,
            actor=w.cla,
            report=w.report,
            data=SourceCreate(key="k2027", kind="report", language="", csl={"title": "T"}),
        ),
        "Give the source's language",
    ),
    "kind of actor": (
        lambda s, w: consensus.add_actor(
            session=s, actor=w.cla, report=w.report, name="ITUC", actor_type=""
        ),
        "Choose what kind of actor ITUC is.",
    ),
    "export format": (
        lambda s, w: export.export_report(session=s, actor=w.cla, report=w.report, fmt=""),
        "Choose an export format",
    ),
    "library format": (
        lambda s, w: sources.export_sources(session=s, actor=w.cla, report=w.report, fmt=" "),
        "Choose an export format: csljson, bibtex, ris.",
    ),
}


@pytest.mark.parametrize("what", list(BLANKS))
def test_a_blank_value_is_asked_for_never_quoted(session, world, what):
    call, expected = BLANKS[what]
    message = _refusal(lambda: call(session, world))
    assert message.startswith(expected), message
    assert "''" not in message
