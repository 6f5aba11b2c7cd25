"""Short labels of legal and corporate sources: set, checked, imported, exported, kept.

A source can carry a short label that citations use instead of its author
("EU" for a directive, cited "(EU 2024)"). It is set on the Evidence page or
imported (BibTeX ``shorthand``, CSL-JSON ``citation-label``), and travels with
the record into exports and backups.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.pages.conftest import db, demo_url, open_page  # noqa: F401 (fixtures)
from tests.test_sources import import_file
from workbench import backup, reports, sources
from workbench.db import make_engine
from workbench.errors import ImportFailed, ValidationError
from workbench.models import Source, SourceCreate, SourceKind

DEMO_SOURCES = Path(__file__).parents[1] / "data" / "demo" / "living-wages" / "sources.json"

CHEN = {"family": "陈", "given": "晓明"}
LIU = {"family": "刘", "given": "芳"}
DIRECTIVE = {
    "type": "legislation",
    "title": "Directive (EU) 2024/1760 on corporate sustainability due diligence",
    "author": [{"literal": "European Parliament and Council of the European Union"}],
    "issued": {"date-parts": [[2024]]},
    "container-title": "Official Journal of the European Union",
}
MONITOR = {
    "type": "report",
    "title": "Global Living Wage Gap Monitor 2025",
    "author": [{"literal": "International Wage Policy Observatory"}],
    "issued": {"date-parts": [[2025]]},
    "publisher": "International Wage Policy Observatory",
}
MIGRANT = {
    "type": "article-journal",
    "title": "中国城市农民工的体面生活工资",
    "author": [CHEN, LIU],
    "issued": {"date-parts": [[2024]]},
    "container-title": "劳动经济评论",
    "language": "zh",
}


def add_source(session, world, key: str, csl: dict, kind: SourceKind, **fields) -> Source:
    return sources.add_source(
        session=session,
        actor=world.la,
        report=world.report,
        data=SourceCreate(key=key, kind=kind, csl={**csl, "id": key}, **fields),
    )


# --------------------------------------------------------------------------- the services


def test_a_short_label_is_stored_and_kept_in_the_record(session, world):
    source = add_source(
        session, world, "eu2024", DIRECTIVE, SourceKind.policy_document, short_label="  EU "
    )
    assert source.short_label == "EU" and source.csl["citation-label"] == "EU"
    # A new record without a label keeps the label; one with a label brings it.
    sources.update_source(session=session, actor=world.la, source=source, csl=dict(DIRECTIVE))
    assert source.short_label == "EU" and source.csl["citation-label"] == "EU"
    sources.update_source(
        session=session, actor=world.la, source=source, csl={**DIRECTIVE, "citation-label": "EP"}
    )
    assert source.short_label == "EP"
    sources.update_source(session=session, actor=world.la, source=source, short_label="")
    assert source.short_label == "" and "citation-label" not in source.csl
    records = sources.csl_records(session, world.report.id)
    assert "citation-label" not in records[0]


def test_a_short_label_is_checked(session, world):
    def labelled(label: str) -> Source:
        return add_source(
            session, world, "eu", DIRECTIVE, SourceKind.policy_document, short_label=label
        )

    with pytest.raises(ValidationError, match="without the year: .*'EU' is cited as 'EU 2024'"):
        labelled("EU 2024")
    with pytest.raises(ValidationError, match="names the author"):
        labelled("2024")
    assert sources.search_sources(session, report_id=world.report.id)[1] == 0
    source = labelled("EU")
    with pytest.raises(ValidationError, match="at most 60"):
        sources.update_source(session=session, actor=world.la, source=source, short_label="E" * 61)
    with pytest.raises(ValidationError, match="at most 60"):
        sources.update_source(
            session=session,
            actor=world.la,
            source=source,
            csl={**DIRECTIVE, "citation-label": "E" * 61},
        )
    session.refresh(source)
    assert source.short_label == "EU"


def test_bibtex_shorthand_imports_and_exports_the_short_label(session, world):
    bib = (
        "@misc{eu2024,\n  author = {{European Parliament and Council of the European Union}},\n"
        "  title = {Directive (EU) 2024/1760},\n  year = {2024},\n  shorthand = {EU 2024},\n}\n"
        "@techreport{iwpo2025,\n  author = {{International Wage Policy Observatory}},\n"
        "  title = {Global Living Wage Gap Monitor},\n  year = {2025},\n  shorthand = {IWPO},\n}\n"
    )
    result = import_file(session, world, "refs.bib", content=bib.encode())
    assert result.added == 2
    assert any("'EU 2024' is kept as 'EU'" in w for w in result.warnings)
    eu = sources.get_source_by_key(session, world.report.id, "eu2024")
    iwpo = sources.get_source_by_key(session, world.report.id, "iwpo2025")
    assert (eu.short_label, iwpo.short_label) == ("EU", "IWPO")
    exported = sources.export_sources(
        session=session, actor=world.la, report=world.report, fmt="bibtex"
    )
    # biblatex prints a shorthand in place of the whole label, so it carries the year.
    assert "shorthand = {EU 2024}" in exported and "shorthand = {IWPO 2025}" in exported
    csl = json.loads(
        sources.export_sources(session=session, actor=world.la, report=world.report, fmt="csljson")
    )
    assert {r["id"]: r.get("citation-label") for r in csl} == {"eu2024": "EU", "iwpo2025": "IWPO"}


def test_csl_json_citation_label_imports_as_the_short_label(session, world):
    records = [
        {**MONITOR, "id": "iwpo2025", "citation-label": "IWPO"},
        {**MIGRANT, "id": "chen2024"},
    ]
    import_file(session, world, "refs.json", content=json.dumps(records).encode())
    assert sources.get_source_by_key(session, world.report.id, "iwpo2025").short_label == "IWPO"
    assert sources.get_source_by_key(session, world.report.id, "chen2024").short_label == ""
    too_long = [{**MONITOR, "id": "long", "citation-label": "I" * 61}]
    with pytest.raises(ImportFailed) as failed:
        import_file(session, world, "long.json", content=json.dumps(too_long).encode())
    assert any("short label" in p and "at most 60" in p for p in failed.value.problems)


def test_backup_keeps_the_short_label(session, world, engine, empty_engine, tmp_path):
    add_source(session, world, "eu2024", DIRECTIVE, SourceKind.policy_document, short_label="EU")
    path = tmp_path / "workspace.zip"
    backup.dump(engine, path)
    backup.restore(empty_engine, path)
    with Session(empty_engine) as restored:
        source = sources.get_source_by_key(restored, world.report.id, "eu2024")
        assert source.short_label == "EU" and source.csl["citation-label"] == "EU"


def test_the_demo_cites_the_eu_directives_by_label(demo_template):
    entries = json.loads(DEMO_SOURCES.read_text(encoding="utf-8"))
    labels = {e["csl"]["id"]: e.get("short_label", "") for e in entries}
    assert labels["eu2024csddd"] == labels["eu2022adequate"] == "EU"
    engine = make_engine(f"sqlite:///{demo_template}")
    with Session(engine) as s:
        report = reports.get_report(s, "living-wages")
        assert sources.get_source_by_key(s, report.id, "eu2024csddd").short_label == "EU"
        assert sources.get_source_by_key(s, report.id, "wageobs2025monitor").short_label == "IWPO"
    engine.dispose()


def test_the_evidence_page_sets_a_short_label_and_says_how_it_cites(open_page, db):  # noqa: F811
    at = open_page("views/evidence.py", "nadia.haddad@demo.ipsp.example", report="living-wages")
    report = reports.get_report(db, "living-wages")
    source = sources.get_source_by_key(db, report.id, "icescr1966")
    at.selectbox(key="ev_open").set_value(source.id).run()
    at.text_input(key=f"ev_edit_short_label_{source.id}").input("ICESCR 1966")
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert "Give the short label without the year" in "\n".join(e.value for e in at.error)
    at.text_input(key=f"ev_edit_short_label_{source.id}").input("ICESCR")
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert not at.exception and "Cited as** ICESCR 1966" in "\n".join(m.value for m in at.markdown)
    db.expire_all()
    assert sources.get_source_by_key(db, report.id, "icescr1966").short_label == "ICESCR"
