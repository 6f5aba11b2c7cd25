"""The glossary: shipped terms, the Secretariat's edits, CSV and TBX in and out, the commands."""

from __future__ import annotations

import pytest
from sqlmodel import select

from workbench import glossary
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.models import AuditEvent, GlossaryKind, GlossaryTerm

HEADER = "concept,kind,language,term,note,source\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- the shipped glossary


def test_shipped_glossary_has_the_calibrated_terms_in_five_languages() -> None:
    entries = glossary.shipped_entries()
    by_key = {(e.concept, e.language): e for e in entries}
    assert by_key[("likelihood.very_likely", "fr")].term == "très probable"
    assert by_key[("likelihood.very_likely", "fr")].english == "very likely"
    assert by_key[("confidence.high", "fr")].source


# --------------------------------------------------------------------------- reading and editing


def test_terms_overlay_the_secretariats_edit_on_the_shipped_term(session, world) -> None:
    assert glossary.term(session, "fr", "likelihood.likely") == "probable"
    glossary.set_term(
        session=session,
        actor=world.secretariat,
        language="fr",
        concept="likelihood.likely",
        term="probable (66–100 %)",
        note="Always with the range in tables.",
    )
    entry = glossary.terms(session, "fr")["likelihood.likely"]
    assert (entry.term, entry.english, entry.kind) == (
        "probable (66–100 %)",
        "likely",
        GlossaryKind.calibrated,
    )
    assert entry.note == "Always with the range in tables."
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "glossary.set_term")).one()
    assert event.detail["before"] == "probable"


def test_term_falls_back_to_english_and_refuses_an_unknown_concept(session) -> None:
    assert glossary.term(session, "de", "likelihood.likely") == "likely"
    with pytest.raises(NotFound, match="no concept 'likelihood.nope'"):
        glossary.term(session, "fr", "likelihood.nope")


def test_only_the_secretariat_edits_the_glossary(session, world) -> None:
    with pytest.raises(PermissionDenied):
        glossary.set_term(
            session=session, actor=world.cla, language="fr", concept="likelihood.likely", term="x"
        )
    assert glossary.term(session, "fr", "likelihood.likely") == "probable"


def test_set_term_refuses_an_empty_term_and_a_bad_language(session, world) -> None:
    with pytest.raises(ValidationError, match="The term is empty"):
        glossary.set_term(
            session=session,
            actor=world.secretariat,
            language="fr",
            concept="likelihood.likely",
            term="  ",
        )
    with pytest.raises(ValidationError, match="'french!' is not a language code"):
        glossary.set_term(
            session=session,
            actor=world.secretariat,
            language="french!",
            concept="likelihood.likely",
            term="probable",
        )
    with pytest.raises(ValidationError, match="choose its kind"):
        glossary.set_term(
            session=session,
            actor=world.secretariat,
            language="fr",
            concept="panel.brand_new",
            term="tout nouveau",
        )
    assert session.exec(select(GlossaryTerm)).all() == []


def test_languages_lists_english_first(session) -> None:
    codes = glossary.languages(session)
    assert codes[0] == "en"
    assert "fr" in codes
