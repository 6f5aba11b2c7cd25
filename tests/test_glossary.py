"""The glossary: shipped terms, the Secretariat's edits, CSV and TBX in and out, the commands."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlmodel import select

from workbench import glossary
from workbench.errors import ImportFailed, NotFound, PermissionDenied, ValidationError
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


# --------------------------------------------------------------------------- import and export


def test_import_csv_adds_updates_and_skips_what_is_already_so(session, world) -> None:
    data = _csv(
        "likelihood.likely,calibrated,fr,probable,,",
        "likelihood.very_likely,calibrated,fr,fort probable,House style,Secretariat",
        "panel.living_wage,panel,fr,salaire décent,,Secretariat",
        "panel.living_wage,panel,en,living wage,,Panel",
    )
    summary = glossary.import_glossary(
        session=session, actor=world.secretariat, data=data, filename="fr.csv"
    )
    assert (summary.added, summary.updated, summary.unchanged) == (2, 1, 1)
    assert summary.languages == ("en", "fr")
    fr = glossary.terms(session, "fr")
    assert fr["likelihood.very_likely"].term == "fort probable"
    assert fr["panel.living_wage"].english == "living wage"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "glossary.import")).one()
    assert (event.detail["added"], event.detail["file"]) == (2, "fr.csv")


def test_csv_export_reimports_unchanged_and_neutralises_formulas(session, world) -> None:
    glossary.set_term(
        session=session,
        actor=world.secretariat,
        language="fr",
        concept="panel.initiative",
        term='=HYPERLINK("http://x")',
    )
    exported = glossary.export_glossary(session, language="fr", fmt="csv")
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8"))))
    assert {r["language"] for r in rows} == {"en", "fr"}
    initiative = next(
        r for r in rows if r["concept"] == "panel.initiative" and r["language"] == "fr"
    )
    assert initiative["term"] == '\'=HYPERLINK("http://x")'
    again = glossary.import_glossary(
        session=session, actor=world.secretariat, data=exported, filename="fr.csv"
    )
    assert (again.added, again.updated) == (0, 0)
    assert glossary.term(session, "fr", "panel.initiative") == '=HYPERLINK("http://x")'


def test_tbx_round_trip_keeps_terms_kinds_notes_and_sources(session, world) -> None:
    exported = glossary.export_glossary(session, language="zh", fmt="tbx")
    assert b"<martif" in exported and b'xml:lang="zh"' in exported
    assert "很可能".encode() in exported
    rows = glossary.read_file(exported, "zh.tbx")
    by_key = {(r.concept, r.language): r for r in rows}
    assert by_key[("likelihood.very_likely", "zh")].term == "很可能"
    assert by_key[("likelihood.very_likely", "en")].note == "90–100 % probability"
    assert by_key[("confidence.high", "zh")].kind == GlossaryKind.calibrated
    assert by_key[("confidence.high", "zh")].source.startswith("IPCC")
    edited = exported.replace("很可能".encode(), "非常可能".encode())
    summary = glossary.import_glossary(
        session=session, actor=world.secretariat, data=edited, filename="zh.tbx"
    )
    assert (summary.added, summary.updated) == (0, 1)
    assert glossary.term(session, "zh", "likelihood.very_likely") == "非常可能"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (["likelihood.likely,magic,fr,probable,,"], "line 3: the kind 'magic' is unknown"),
        (["likelihood.likely,calibrated,fr,   ,,"], "line 3: the term is empty"),
        (["likelihood.likely,calibrated,french!,probable,,"], "line 3: the language 'french!'"),
        (["Likely Term,calibrated,fr,probable,,"], "line 3: the concept 'Likely Term' is not"),
        (
            ["likelihood.likely,calibrated,fr,probable,,", "likelihood.likely,calibrated,fr,x,,"],
            "line 4: 'likelihood.likely' in fr is already on line 3",
        ),
        (["likelihood.likely,calibrated,fr," + "p" * 501 + ",,"], "the term has 501 characters"),
        (["likelihood.likely,panel,fr,probable,,"], "is of kind calibrated in the glossary"),
    ],
)
def test_a_bad_line_refuses_the_whole_file(session, world, rows, expected) -> None:
    data = _csv("panel.initiative,panel,fr,initiative nouvelle,,", *rows)
    with pytest.raises(ImportFailed) as caught:
        glossary.import_glossary(
            session=session, actor=world.secretariat, data=data, filename="bad.csv"
        )
    assert expected in caught.value.message
    assert "Nothing was changed" in caught.value.message
    assert session.exec(select(GlossaryTerm)).all() == []


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (
            b"concept,kind,language,term\nx,panel,fr,a\x00b\n",
            "nul.csv",
            "line 2: the file holds a NUL",
        ),
        (b"id,word\n1,x\n", "cols.csv", "the header must name the columns"),
        (b"", "empty.csv", "is empty"),
        ("concept,kind,language,term\n".encode("utf-16"), "u16.csv", "not UTF-8"),
        (b"<martif><text><body><termEntry", "broken.tbx", "is not a TBX file"),
        (b"<html><body>hello</body></html>", "page.tbx", "is not a TBX file"),
        (
            b'<?xml version="1.0"?><!DOCTYPE martif [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<martif type="TBX"><text><body><termEntry id="x.y"><langSet xml:lang="fr">'
            b"<tig><term>&b;</term></tig></langSet></termEntry></body></text></martif>",
            "bomb.tbx",
            "declares XML entities",
        ),
    ],
)
def test_hostile_files_are_refused(session, world, data, filename, expected) -> None:
    with pytest.raises(ImportFailed, match=expected):
        glossary.import_glossary(
            session=session, actor=world.secretariat, data=data, filename=filename
        )
    assert session.exec(select(GlossaryTerm)).all() == []


def test_a_huge_file_is_refused_before_it_is_read(session, world, monkeypatch) -> None:
    monkeypatch.setattr(glossary, "MAX_GLOSSARY_BYTES", 1024)
    data = _csv(*[f"panel.t{i},panel,fr,terme {i},," for i in range(100)])
    with pytest.raises(ImportFailed, match="a glossary file may be at most"):
        glossary.import_glossary(
            session=session, actor=world.secretariat, data=data, filename="huge.csv"
        )


def test_an_over_long_csv_cell_is_named(session, world) -> None:
    data = HEADER.encode() + b'panel.x,panel,fr,"' + b"a" * 200_000 + b'",,\n'
    with pytest.raises(ImportFailed, match=r"line \d+"):
        glossary.import_glossary(
            session=session, actor=world.secretariat, data=data, filename="long.csv"
        )


def test_only_the_secretariat_imports(session, world) -> None:
    with pytest.raises(PermissionDenied):
        glossary.import_glossary(
            session=session, actor=world.cla, data=_csv("panel.x,panel,fr,x,,"), filename="a.csv"
        )


def test_export_refuses_an_unknown_format(session) -> None:
    with pytest.raises(ValidationError, match="csv or tbx"):
        glossary.export_glossary(session, language="fr", fmt="xlsx")


# --------------------------------------------------------------------------- the commands


@pytest.fixture
def cli_db(tmp_path) -> str:
    from typer.testing import CliRunner

    from workbench.cli import app

    url = f"sqlite:///{tmp_path / 'glossary.db'}"
    runner = CliRunner()
    env = {"WORKBENCH_DATABASE_URL": url}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    added = runner.invoke(
        app,
        ["users", "add", "sec@example.org", "--name", "Sam Sec", "--role", "secretariat"],
        env=env,
    )
    assert added.exit_code == 0, added.output
    return url


def _run(url: str, *args: str):
    from typer.testing import CliRunner

    from workbench.cli import app

    return CliRunner().invoke(app, list(args), env={"WORKBENCH_DATABASE_URL": url})


def test_cli_list_shows_one_language_as_a_table_or_json(cli_db) -> None:
    table = _run(cli_db, "glossary", "list", "--language", "fr", "--kind", "calibrated")
    assert table.exit_code == 0, table.output
    assert "likelihood.very_likely" in table.output and "très probable" in table.output
    assert "panel.false_solution" not in table.output
    as_json = _run(cli_db, "glossary", "list", "--language", "es", "--json")
    rows = json.loads(as_json.output)
    likely = next(r for r in rows if r["concept"] == "likelihood.virtually_certain")
    assert (likely["english"], likely["term"]) == ("virtually certain", "prácticamente seguro")
    bad = _run(cli_db, "glossary", "list", "--language", "fr", "--kind", "magic")
    assert bad.exit_code == 1
    assert "error: The kind 'magic' is unknown" in bad.output


def test_cli_export_then_import_round_trip(cli_db, tmp_path) -> None:
    out = tmp_path / "fr.tbx"
    exported = _run(
        cli_db, "glossary", "export", "--language", "fr", "--format", "tbx", "-o", str(out)
    )
    assert exported.exit_code == 0, exported.output
    assert f"Wrote {out}" in exported.output
    out.write_bytes(out.read_bytes().replace("très probable".encode(), b"fort probable"))
    imported = _run(cli_db, "glossary", "import", str(out), "--as", "sec@example.org")
    assert imported.exit_code == 0, imported.output
    assert "0 terms added, 1 changed" in imported.output
    listed = _run(cli_db, "glossary", "list", "--language", "fr", "--json")
    assert {r["concept"]: r["term"] for r in json.loads(listed.output)}[
        "likelihood.very_likely"
    ] == "fort probable"


def test_cli_import_refuses_a_bad_file_in_one_line(cli_db, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv("likelihood.likely,magic,fr,probable,,"))
    result = _run(cli_db, "glossary", "import", str(bad))
    assert result.exit_code == 1
    assert result.output.startswith("error: bad.csv was not imported")
    assert "the kind 'magic' is unknown" in result.output


def test_a_broken_shipped_file_is_named(tmp_path, monkeypatch) -> None:
    (tmp_path / "terms.csv").write_bytes(_csv("likelihood.likely,calibrated,fr,probable,,"))
    (tmp_path / "document.csv").write_bytes(_csv("likelihood.likely,calibrated,fr,probable,,"))
    monkeypatch.setattr(glossary, "DATA_DIR", tmp_path)
    glossary._shipped_rows.cache_clear()
    glossary._shipped.cache_clear()
    try:
        with pytest.raises(ValidationError, match="'likelihood.likely' in fr is also in"):
            glossary.shipped_entries()
    finally:
        glossary._shipped_rows.cache_clear()
        glossary._shipped.cache_clear()


def test_the_whole_glossary_exports_and_imports_back_unchanged(session, world) -> None:
    exported = glossary.export_glossary(session, fmt="csv")
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8"))))
    assert {r["language"] for r in rows} >= {"en", "fr", "es", "ar", "zh"}
    summary = glossary.import_glossary(
        session=session, actor=world.secretariat, data=exported, filename="all.csv"
    )
    assert summary.total == len(rows) == summary.unchanged
