"""Citation forms: Chinese names as their readers write them, and short labels in citations.

A reader of the exported report should see "(陈晓明、刘芳 2024)" and, in the
references, "陈晓明、刘芳. 2024." (family name then given name, no comma, no
English "and" between Chinese names), and a directive whose source carries the
short label "EU" cited "(EU 2024)" while the references keep its full entry.
The short label is set on the Evidence page or imported (BibTeX ``shorthand``,
CSL-JSON ``citation-label``), and travels with the record into exports and
backups.

The export gives citeproc the records :func:`workbench.citation_forms.for_citeproc`
prepares, with the Panel's style ``templates/citation-forms.csl``, once
``export.py`` calls the one and names the other; until then the fixture
``prepared_records`` does both for it (for_citeproc is idempotent, so the tests
stay right once the export does it itself).
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path

import docx
import pypandoc
import pytest
from sqlmodel import Session

from tests.pages.conftest import db, demo_url, open_page  # noqa: F401 (fixtures)
from tests.test_sources import add, import_file
from workbench import backup, citation_forms, export, reports, sections, sources
from workbench.db import make_engine
from workbench.errors import ImportFailed, ValidationError
from workbench.models import Source, SourceCreate, SourceKind

DEMO_SOURCES = Path(__file__).parents[1] / "data" / "demo" / "living-wages" / "sources.json"
REQUIRE_OFFICE = os.environ.get("WORKBENCH_REQUIRE_OFFICE") == "1"
needs_office = pytest.mark.skipif(
    not REQUIRE_OFFICE and export.libreoffice() is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)

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


@pytest.fixture
def prepared_records(monkeypatch):
    """Have the export give citeproc the prepared records and the Panel's citation style."""
    csl_records = sources.csl_records
    monkeypatch.setattr(
        export.sources,
        "csl_records",
        lambda *args, **kwargs: citation_forms.for_citeproc(csl_records(*args, **kwargs)),
    )
    monkeypatch.setattr(export, "CITATION_STYLE", citation_forms.STYLE_FILE)


def add_source(session, world, key: str, csl: dict, kind: SourceKind, **fields) -> Source:
    return sources.add_source(
        session=session,
        actor=world.la,
        report=world.report,
        data=SourceCreate(key=key, kind=kind, csl={**csl, "id": key}, **fields),
    )


def cite_in_a_section(session, world, text: str) -> None:
    section = world.sections[0]
    sections.save_revision(
        session=session,
        actor=world.cla,
        section=section,
        text=text,
        base_revision_id=section.head_revision_id,
        message="cite",
    )


@pytest.fixture
def cited(session, world):
    """A small report citing a labelled directive and report, a Chinese article and Anker."""
    add_source(session, world, "eu2024", DIRECTIVE, SourceKind.policy_document, short_label="EU")
    add_source(session, world, "iwpo2025", MONITOR, SourceKind.report, short_label="IWPO")
    add_source(session, world, "chen2024", MIGRANT, SourceKind.peer_reviewed, language="zh")
    add(session, world)  # anker2017: two English names, still joined with "and"
    cite_in_a_section(
        session,
        world,
        "Due diligence is now law [@eu2024]. As @eu2024 puts it, buyers share the duty.\n\n"
        "Housing drives migrants' costs [@chen2024]; @chen2024 measure it.\n\n"
        "The gap is wide [@iwpo2025; @anker2017].\n",
    )
    return world


def markdown_export(session, world) -> str:
    out = export.export_report(
        session=session, actor=world.secretariat, report=world.report, fmt="md"
    )
    return out.content.decode()


def references(markdown: str) -> str:
    return markdown[markdown.index("# References") :]


# --------------------------------------------------------------------------- what a reader sees


def test_chinese_names_read_family_then_given_without_and(session, cited, prepared_records):
    text = markdown_export(session, cited)
    assert "(陈晓明、刘芳 2024)" in text
    assert "陈晓明、刘芳 (2024) measure it" in text
    assert "陈晓明、刘芳. 2024. “中国城市农民工的体面生活工资.”" in references(text)
    assert not re.search(r"[陈刘][\w]*,? and ", text)
    # English names keep the English joining word.
    assert "(IWPO 2025; Anker and Anker 2017)" in text


def test_a_short_label_stands_for_the_author_in_citations_and_the_references(
    session, cited, prepared_records
):
    text = markdown_export(session, cited)
    assert "law (EU 2024)." in text
    assert "As EU (2024) puts it" in text  # a narrative citation names the label as an author
    assert "(IWPO 2025; Anker and Anker 2017)" in text
    # A reader of "(EU 2024)" finds the entry under E, opening with the label and year.
    refs = references(text)
    assert "EU. 2024. Directive (EU) 2024/1760 on Corporate Sustainability Due Diligence" in refs
    assert "IWPO. 2025. *Global Living Wage Gap Monitor" in refs
    firsts = re.findall(r"^::: \{#ref-[^\n]*\n(\S+)", refs, re.MULTILINE)
    assert firsts == ["Anker,", "EU.", "IWPO.", "陈晓明、刘芳."]  # sorted by the label


def test_the_word_document_cites_by_label_and_chinese_names(session, cited, prepared_records):
    out = export.export_report(
        session=session, actor=cited.secretariat, report=cited.report, fmt="docx"
    )
    paragraphs = [p.text for p in docx.Document(io.BytesIO(out.content)).paragraphs]
    assert any("Due diligence is now law (EU 2024)." in p for p in paragraphs)
    assert any("costs (陈晓明、刘芳 2024)" in p for p in paragraphs)
    assert any(p.startswith("陈晓明、刘芳. 2024.") for p in paragraphs)


@needs_office
def test_the_pdf_prints_the_chinese_reference_and_the_label(session, cited, prepared_records):
    out = export.export_report(
        session=session, actor=cited.secretariat, report=cited.report, fmt="pdf"
    )
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=out.content, capture_output=True, check=True
    ).stdout.decode()
    assert "(EU 2024)" in text and "(陈晓明、刘芳 2024)" in text
    assert re.search(r"^\s*陈晓明、刘芳\. 2024\.", text, re.MULTILINE)


def test_the_export_itself_prepares_the_records_for_citeproc(session, cited):
    text = markdown_export(session, cited)
    assert "(EU 2024)" in text and "(陈晓明、刘芳 2024)" in text
    # pandoc writes the style's path into the metadata: a path of the server, taken out.
    assert "csl:" not in text.split("---", 2)[1]


def test_sources_without_a_label_render_as_pandocs_chicago_style(tmp_path):
    """The Panel's style changes nothing but labelled citations: the demo renders as before."""
    records = [entry["csl"] for entry in json.loads(DEMO_SOURCES.read_text(encoding="utf-8"))]
    keys = [r["id"] for r in records]
    text = "".join(f"A [@{k}]; @{k} says; [-@{k}, 12].\n\n" for k in keys) + "# References\n"
    args = ["--citeproc", "--wrap=none"]

    path = tmp_path / "refs.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    def render(extra: list[str]) -> str:
        return pypandoc.convert_text(
            text, "plain", format="markdown", extra_args=[*args, f"--bibliography={path}", *extra]
        )

    with_style = render([f"--csl={citation_forms.STYLE_FILE}"])
    assert with_style == render([])
    assert "(Okafor and Lekota 2023)" in with_style


def test_the_style_file_is_pandocs_default_with_the_label_macro():
    """templates/citation-forms.csl is made by scripts/make_citation_style.py: run it again."""
    default = subprocess.run(
        [pypandoc.get_pandoc_path(), "--print-default-data-file", "default.csl"],
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    ).stdout
    made = citation_forms.citation_style(default)
    assert citation_forms.STYLE_FILE.read_text(encoding="utf-8") == made


# --------------------------------------------------------------------------- the records


def test_cjk_name_lists_become_one_literal_joined_as_their_readers_join_them():
    assert citation_forms.cjk_names([CHEN, LIU]) == [{"literal": "陈晓明、刘芳"}]
    assert citation_forms.cjk_names([CHEN]) == [{"literal": "陈晓明"}]
    many = [CHEN, LIU, {"family": "王", "given": "伟"}, {"family": "赵", "given": "磊"}]
    assert citation_forms.cjk_names(many) == [{"literal": "陈晓明、刘芳、王伟等"}]
    korean = [{"family": "김", "given": "철수"}, {"family": "이", "given": "영희"}]
    assert citation_forms.cjk_names(korean) == [{"literal": "김철수, 이영희"}]
    japanese = [{"family": "山田", "given": "太郎"}, {"family": "佐藤", "given": "花子"}]
    assert citation_forms.cjk_names(japanese) == [{"literal": "山田太郎、佐藤花子"}]
    # In a mixed list only the Chinese name changes; the English "and" is right there.
    smith = {"family": "Smith", "given": "Anna"}
    assert citation_forms.cjk_names([smith, CHEN]) == [smith, {"literal": "陈晓明"}]
    romanised = [{"family": "Chen", "given": "Xiaoming"}, {"family": "Liu", "given": "Fang"}]
    assert citation_forms.cjk_names(romanised) == romanised


def test_for_citeproc_leaves_the_stored_records_alone_and_is_idempotent():
    record = {**MIGRANT, "id": "chen2024", "editor": [LIU], "citation-label": "CL"}
    prepared = citation_forms.for_citeproc([record])
    assert prepared[0]["author"] == [{"literal": "陈晓明、刘芳"}]
    assert prepared[0]["editor"] == [{"literal": "刘芳"}]
    assert prepared[0]["short-label"] == "CL"
    assert record["author"] == [CHEN, LIU] and "short-label" not in record
    assert citation_forms.for_citeproc(prepared) == prepared


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
    assert any("'EU 2024' is kept as 'EU'" in str(w) for w in result.warnings)
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
    assert any("short label" in str(p) and "at most 60" in str(p) for p in failed.value.problems)


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
