"""XLIFF in and out of translators' tools: the round trip, stale-only, and files refused whole."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from translate.storage.xliff import xlifffile
from typer.testing import CliRunner

from tests.factories import SAMPLE_TEXT, make_translator, make_world, row_counts
from workbench import limits, translations, xliff
from workbench.cli import app
from workbench.db import make_engine
from workbench.errors import ImportFailed, NotFound, ValidationError
from workbench.models import (
    Section,
    SectionRevision,
    Translation,
    TranslationRevision,
    TranslationStatus,
)

FRENCH = {
    "Wages below the cost of a decent life remain widespread.": (
        "Les salaires inférieurs au coût d'une vie décente restent répandus."
    ),
    "In many countries, a full-time worker cannot meet basic needs [@anker2017].": (
        "Dans de nombreux pays, un travailleur à temps plein ne peut pas couvrir ses besoins "
        "essentiels [@anker2017]."
    ),
    "Informal work makes the gap hard to measure.": (
        "Le travail informel rend l'écart difficile à mesurer."
    ),
}


def new_revision(session: Session, section: Section, text: str) -> SectionRevision:
    """Give a section a new head revision, as a save would."""
    head = session.get(SectionRevision, section.head_revision_id)
    revision = SectionRevision(
        section_id=section.id, number=head.number + 1, parent_id=head.id, text=text
    )
    session.add(revision)
    session.flush()
    section.head_revision_id = revision.id
    session.add(section)
    session.commit()
    return revision


def translate_file(data: bytes, translate=FRENCH.get) -> bytes:
    """Fill every target as a CAT tool would, through translate-toolkit; return the file."""
    store = xlifffile.parsestring(data)
    for unit in store.unit_iter():
        text = translate(unit.source)
        if text is not None:
            unit.target = text
            unit.markfuzzy(False)
    return bytes(store)


def units(data: bytes) -> dict[str, object]:
    return {u.getid().split("\x04")[-1]: u for u in xlifffile.parsestring(data).unit_iter()}


def do_import(session, world, data: bytes, **kwargs):
    return xliff.import_xliff(
        session=session,
        actor=kwargs.pop("actor", world.secretariat),
        data=data,
        filename="living-wages-fr.xlf",
        report=world.report,
        **kwargs,
    )


def test_the_export_holds_one_unit_per_paragraph_with_its_source_revision(session, world):
    data = xliff.export_xliff(session, report=world.report, language="fr")
    store = xlifffile.parsestring(data)
    assert b'version="1.2"' in data and b"urn:oasis:names:tc:xliff:document:1.2" in data
    assert store.getfilenames() == [world.report.slug]
    assert store.getsourcelanguage() == "en" and store.gettargetlanguage() == "fr"
    found = units(data)
    assert list(found) == [f"{s.code}/p{n}" for s in world.sections for n in (1, 2, 3)]
    first = found["1.1/p2"]
    assert first.source == (
        "In many countries, a full-time worker cannot meet basic needs [@anker2017]."
    )
    assert not first.target
    # The note speaks the translator's language when the interface has it.
    assert first.getnotes() == (
        "Living wages for all workers, section 1.1 (Section 1.1)\u00a0: paragraphe 2 sur 3, "
        "révision 1."
    )
    (context,) = first.getcontextgroups(xliff.CONTEXT_GROUP)
    assert dict(context) == {
        "x-section": "1.1",
        "x-revision": "1",
        "x-source-sha256": xliff.source_hash(first.source),
        "x-translation-version": "0",
    }


def test_round_trip_saves_the_translation_against_the_exported_revision(session, world):
    section = world.sections[0]
    data = translate_file(xliff.export_xliff(session, report=world.report, language="fr"))

    summary = do_import(session, world, data)

    assert summary.updated == ["1.1", "2.1", "3.1", "4.1"]
    assert summary.skipped == [] and summary.unchanged == []
    saved = translations.translation_for(session, section_id=section.id, language="fr")
    assert saved.text == translations.join_paragraphs(list(FRENCH.values()))
    assert saved.revision_id == section.head_revision_id
    revision = session.exec(
        select(TranslationRevision).where(TranslationRevision.translation_id == saved.id)
    ).one()
    assert revision.origin == "xliff" and revision.source_revision_id == section.head_revision_id

    again = units(xliff.export_xliff(session, report=world.report, language="fr"))
    assert again["1.1/p3"].target == FRENCH["Informal work makes the gap hard to measure."]
    # Saved from a CAT tool the translation is in progress until someone marks it translated.
    assert again["1.1/p3"].xmlelement.find(again["1.1/p3"].namespaced("target")).get("state") == (
        "needs-review-translation"
    )
    assert (
        dict(again["1.1/p3"].getcontextgroups(xliff.CONTEXT_GROUP)[0])["x-translation-version"]
        == "1"
    )

    # Importing the same file again changes nothing: the translation is already that text.
    repeat = do_import(
        session, world, xliff.export_xliff(session, report=world.report, language="fr")
    )
    assert repeat.unchanged == ["1.1", "2.1", "3.1", "4.1"] and repeat.updated == []


def test_states_follow_the_status_and_a_changed_paragraph_needs_review(session, world):
    section = world.sections[0]
    do_import(
        session,
        world,
        translate_file(xliff.export_xliff(session, report=world.report, language="fr")),
    )
    translations.set_translation(
        session=session,
        actor=world.secretariat,
        section=section,
        language="fr",
        status=TranslationStatus.translated,
    )

    def state(unit):
        return unit.xmlelement.find(unit.namespaced("target")).get("state")

    found = units(xliff.export_xliff(session, report=world.report, language="fr"))
    assert state(found["1.1/p1"]) == "translated"

    new_revision(
        session,
        section,
        "Wages below the cost of a decent life remain widespread.\n\n"
        "In most countries, a full-time worker cannot meet basic needs [@anker2017].\n\n"
        "Informal work makes the gap hard to measure.",
    )
    found = units(xliff.export_xliff(session, report=world.report, language="fr"))
    assert state(found["1.1/p1"]) == "translated"
    assert state(found["1.1/p2"]) == "needs-review-translation"
    assert found["1.1/p2"].target.startswith("Dans de nombreux pays")
    assert dict(found["1.1/p2"].getcontextgroups(xliff.CONTEXT_GROUP)[0])["x-revision"] == "2"


def test_stale_only_holds_the_sections_not_translated_or_stale(session, world):
    first, second = world.sections[0], world.sections[1]
    do_import(
        session,
        world,
        translate_file(xliff.export_xliff(session, report=world.report, language="fr")),
    )
    for section in world.sections:
        translations.set_translation(
            session=session,
            actor=world.secretariat,
            section=section,
            language="fr",
            status=TranslationStatus.translated,
        )
    assert (
        xliff.build_export(session, report=world.report, language="fr", stale_only=True).units == 0
    )

    new_revision(session, first, "A new first paragraph.\n\nAnd a second one.")
    translations.set_translation(
        session=session,
        actor=world.secretariat,
        section=second,
        language="fr",
        status=TranslationStatus.in_progress,
    )
    export = xliff.build_export(session, report=world.report, language="fr", stale_only=True)
    assert (export.sections, export.units) == (2, 5)
    assert list(units(export.data)) == ["1.1/p1", "1.1/p2", "2.1/p1", "2.1/p2", "2.1/p3"]


def test_a_section_whose_source_changed_since_export_is_skipped_and_listed(session, world):
    first, second = world.sections[0], world.sections[1]
    data = translate_file(xliff.export_xliff(session, report=world.report, language="fr"))
    new_revision(
        session,
        first,
        "Wages below the cost of a decent life remain widespread in 2026.\n\n"
        "In many countries, a full-time worker cannot meet basic needs [@anker2017].\n\n"
        "Informal work makes the gap hard to measure.",
    )
    # A new revision with the same text is no change for the translator.
    same = session.get(SectionRevision, second.head_revision_id).text
    new_revision(session, second, same)

    summary = do_import(session, world, data)

    assert [s.code for s in summary.skipped] == ["1.1"]
    skipped = summary.skipped[0]
    assert (skipped.exported_revision, skipped.current_revision, skipped.units) == (
        1,
        2,
        ["1.1/p1"],
    )
    assert translations.translation_for(session, section_id=first.id, language="fr") is None
    assert summary.updated == ["2.1", "3.1", "4.1"]
    saved = translations.translation_for(session, section_id=second.id, language="fr")
    assert saved.revision_id == second.head_revision_id


def test_untranslated_sections_are_left_alone(session, world):
    data = translate_file(
        xliff.export_xliff(session, report=world.report, language="fr"),
        translate=lambda source: None,
    )
    store = xlifffile.parsestring(data)
    for unit in store.unit_iter():
        if unit.getid().split("\x04")[-1].startswith("3.1/"):
            unit.target = FRENCH[unit.source]
    summary = do_import(session, world, bytes(store))
    assert summary.updated == ["3.1"]
    assert summary.untranslated == ["1.1", "2.1", "4.1"]


def _refused(session, world, data: bytes, *expected: str) -> str:
    before = row_counts(session)
    with pytest.raises(ImportFailed) as caught:
        do_import(session, world, data)
    assert row_counts(session) == before
    for text in expected:
        assert text in caught.value.message
    return caught.value.message


def _translated(session, world) -> bytes:
    return translate_file(xliff.export_xliff(session, report=world.report, language="fr"))


def test_damaged_and_hostile_files_are_refused_with_nothing_changed(session, world):
    good = _translated(session, world)
    _refused(session, world, good[: len(good) // 2], "living-wages-fr.xlf", "not well-formed XML")
    _refused(session, world, b"", "it is empty")
    _refused(session, world, b"%PDF-1.7 not at all", "not well-formed XML")
    _refused(session, world, b"<html><body>hi</body></html>", "not an XLIFF 1.2 file")
    _refused(session, world, good.replace(b"Informal", b"Inf\x00ormal"), "NUL bytes")
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE xliff [\n<!ENTITY a "aaaaaaaaaa">\n'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
    ) + good.split(b"?>", 1)[1].replace(b"Informal work", b"&c;")
    _refused(session, world, bomb, "declares XML entities")
    _refused(
        session,
        world,
        good.replace(b'target-language="fr"', b'target-language="es"'),
        "target language 'es' is not one the report 'test-report' is translated into (fr)",
    )
    _refused(
        session,
        world,
        good.replace(b'original="test-report"', b'original="other-report"'),
        "it is for the report 'other-report', not 'test-report'",
    )
    _refused(
        session,
        world,
        good.replace(b'id="2.1/p1"', b'id="9.9/p1"'),
        "the unit 9.9/p1 names section 9.9, which the report 'test-report' does not have",
        "the units 2.1/p1 of section 2.1 are missing from the file",
    )
    _refused(
        session,
        world,
        good.replace(b'id="2.1/p3"', b'id="2.1/p7"'),
        "the units 2.1/p7 do not exist: section 2.1 had 3 paragraphs in revision 1",
    )
    _refused(session, world, good.replace(b'id="2.1/p3"', b'id="intro"'), "'intro' is not one")
    monkey_limit = len(good) - 1
    original = limits.MAX_XLIFF_BYTES
    limits.MAX_XLIFF_BYTES = monkey_limit
    try:
        _refused(session, world, good, "at most 0 MiB is accepted")
    finally:
        limits.MAX_XLIFF_BYTES = original
    assert session.exec(select(Translation)).all() == []


def test_a_partly_translated_section_refuses_the_file(session, world):
    data = translate_file(
        xliff.export_xliff(session, report=world.report, language="fr"),
        translate=lambda source: None if "Informal" in source else FRENCH[source],
    )
    _refused(session, world, data, "the units 1.1/p3 of section 1.1 have no translation")


def test_a_translation_failing_the_checks_refuses_the_whole_file(session, world):
    pytest.importorskip("workbench.translation_checks")
    data = translate_file(
        xliff.export_xliff(session, report=world.report, language="fr"),
        translate=lambda source: FRENCH[source].replace(" [@anker2017]", ""),
    )
    before = row_counts(session)
    with pytest.raises(ValidationError) as caught:
        do_import(session, world, data)
    assert "anker2017" in caught.value.message
    assert row_counts(session) == before


def test_a_language_not_among_the_reports_targets_cannot_be_exported(session, world):
    with pytest.raises(NotFound, match="'es' is not a language the report 'test-report'"):
        xliff.export_xliff(session, report=world.report, language="es")
    with pytest.raises(NotFound, match="translated into \\(fr\\)"):
        xliff.export_xliff(session, report=world.report, language="en")


def test_a_translator_of_another_language_cannot_import(session, world):
    world.report.languages = ["en", "fr", "es"]
    session.add(world.report)
    session.commit()
    spanish = make_translator(session, world.report, "es")
    data = _translated(session, world)
    before = row_counts(session)
    with pytest.raises(Exception) as caught:
        do_import(session, world, data, actor=spanish)
    assert "fr" in str(caught.value) or "French" in str(caught.value)
    assert row_counts(session) == before


# --------------------------------------------------------------------------- command line

runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> str:
    """Return the URL of a SQLite file holding the test world (report 'test-report')."""
    url = f"sqlite:///{tmp_path_factory.mktemp('xliff') / 'workbench.db'}"
    result = runner.invoke(app, ["init"], env={"WORKBENCH_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    with Session(engine) as session:
        world = make_world(session)
        stale = world.sections[3]
        translations.save_translation(
            session=session,
            actor=world.secretariat,
            section=stale,
            language="fr",
            text="\n\n".join(FRENCH.values()),
            base_version=0,
        )
        new_revision(session, stale, "A new first paragraph.\n\n" + SAMPLE_TEXT)
    engine.dispose()
    return url


def run(url: str, *args: str):
    return runner.invoke(app, list(args), env={"WORKBENCH_DATABASE_URL": url})


def test_the_commands_export_and_import_a_report(workspace, tmp_path):
    out = tmp_path / "test-report-fr.xlf"
    result = run(
        workspace, "translations", "export", "--report", "test-report", "--language", "fr",
        "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"Wrote {out}: 13 paragraphs from 4 sections of test-report, to translate into French (fr)."
    )
    store = xlifffile.parsestring(out.read_bytes())
    for unit in store.unit_iter():
        if unit.getid().split("\x04")[-1].split("/")[0] in ("1.1", "2.1"):
            unit.target = FRENCH[unit.source]
    out.write_bytes(bytes(store))
    engine = make_engine(workspace)
    with Session(engine) as session:
        second = session.exec(select(Section).where(Section.code == "2.1")).one()
        new_revision(session, second, SAMPLE_TEXT.replace("Informal work", "Informal employment"))
    engine.dispose()

    result = run(workspace, "translations", "import", str(out), "--report", "test-report")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "Imported test-report-fr.xlf into test-report (fr): 1 section updated, 1 unchanged, "
        "1 skipped because their source changed since the export."
    )
    assert "Not translated in the file (left as they are): 3.1." in lines
    assert lines[-1] == (
        "skipped: section 2.1 (Section 2.1) is at revision 2, the file was exported from "
        "revision 1; changed: 2.1/p3. Export it again and translate what changed."
    )

    result = run(
        workspace, "translations", "export", "--report", "test-report", "--language", "fr",
        "--stale-only", "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "from 4 sections" in result.output  # 1.1 is saved but still in progress

    out.write_bytes(out.read_bytes().replace(b'original="test-report"', b'original="other"'))
    result = run(workspace, "translations", "import", str(out), "--report", "test-report")
    assert result.exit_code == 1
    assert result.output == (
        "error: test-report-fr.xlf was not imported: it is for the report 'other', "
        "not 'test-report'.\n"
    )


def test_the_commands_refuse_a_missing_file_and_an_unknown_language(workspace, tmp_path):
    result = run(
        workspace, "translations", "import", str(tmp_path / "none.xlf"), "--report", "test-report"
    )
    assert result.exit_code == 1 and "No file at" in result.output
    result = run(
        workspace,
        "translations",
        "export",
        "--report",
        "test-report",
        "--language",
        "xx",
        "-o",
        str(tmp_path / "x.xlf"),
    )
    assert result.exit_code == 1 and "'xx' is not a language" in result.output
    for command in (["translations"], ["translations", "export"], ["translations", "import"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
    assert "--stale-only" in runner.invoke(app, ["translations", "export", "--help"]).output
