"""The evidence library: adding, editing, importing, exporting, searching and deleting sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from tests.factories import make_person, make_report
from workbench import audit, sources
from workbench.bibliography import MAX_IMPORT_BYTES, parse_bibtex
from workbench.errors import ImportFailed, NotFound, PermissionDenied, ValidationError
from workbench.models import (
    Certainty,
    Citation,
    Finding,
    FindingSource,
    Role,
    Source,
    SourceCreate,
    SourceKind,
)
from workbench.sources import ImportResult

DATA = Path(__file__).parent / "data" / "bib"


def count_sources(session: Session, report_id: int | None = None) -> int:
    query = select(func.count()).select_from(Source)
    if report_id is not None:
        query = query.where(Source.report_id == report_id)
    return session.exec(query).one()


def anker(**changes) -> SourceCreate:
    csl = {
        "id": "anker2017",
        "type": "book",
        "title": "Living Wages Around the World",
        "author": [{"family": "Anker", "given": "Richard"}, {"family": "Anker", "given": "Martha"}],
        "issued": {"date-parts": [[2017]]},
        "DOI": "https://doi.org/10.4337/9781786431462",
    }
    fields = {"key": "anker2017", "kind": SourceKind.book, "csl": csl, "region": "Global"}
    fields.update(changes)
    return SourceCreate(**fields)


def add(session, world, **changes) -> Source:
    return sources.add_source(
        session=session, actor=world.la, report=world.report, data=anker(**changes)
    )


def shown(messages) -> list[str]:
    """Return import problems or warnings as a person reads them (in English)."""
    return [str(m) for m in messages]


def import_file(session, world, name: str, **kwargs) -> ImportResult:
    return sources.import_sources(
        session=session,
        actor=kwargs.pop("actor", world.la),
        report=kwargs.pop("report", world.report),
        filename=kwargs.pop("filename", name),
        content=kwargs.pop("content", None) or (DATA / name).read_bytes(),
        **kwargs,
    )


# --------------------------------------------------------------------------- add


def test_add_source_stores_record_and_search_columns(session, world):
    source = add(session, world)
    assert source.id is not None
    assert source.csl["id"] == "anker2017"
    assert source.title == "Living Wages Around the World"
    assert source.authors == "Anker, Richard; Anker, Martha"
    assert source.year == 2017
    assert source.doi == "10.4337/9781786431462"
    assert source.kind is SourceKind.book and source.region == "Global"
    event = audit.events(session, entity="source", entity_id=source.id)[0]
    assert event.action == "add_source" and event.person_id == world.la.id


def test_adding_a_cited_key_links_the_sections_that_already_cite_it(session, world):
    # The sample texts already cite [@anker2017]; the citations appear once the source exists.
    source = add(session, world)
    cited = session.exec(select(Citation).where(Citation.source_id == source.id)).all()
    assert {c.section_id for c in cited} == {s.id for s in world.sections}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"key": "anker 2017"}, "cannot be cited"),
        ({"key": "anker2017."}, "cannot be cited"),
        ({"key": ""}, "has no key"),
        ({"csl": {"type": "book"}}, "needs a title"),
        ({"language": ""}, "language"),
    ],
)
def test_add_source_refuses_bad_input_and_changes_nothing(session, world, changes, message):
    with pytest.raises(ValidationError, match=message):
        add(session, world, **changes)
    assert count_sources(session) == 0


def test_add_source_refuses_a_taken_key_or_doi(session, world):
    add(session, world)
    with pytest.raises(ValidationError, match="'anker2017' is already in this report's library"):
        add(session, world, csl={"title": "Another book"})
    with pytest.raises(ValidationError, match="already in the library as 'anker2017'"):
        add(session, world, key="anker2017b", csl={"title": "Same", "DOI": "10.4337/9781786431462"})
    assert count_sources(session) == 1


def test_the_same_key_may_be_used_in_another_report(session, world):
    add(session, world)
    other = make_report(session, "other-report")
    secretariat = world.secretariat
    sources.add_source(session=session, actor=secretariat, report=other, data=anker())
    assert count_sources(session) == 2


def test_record_type_defaults_from_the_kind(session, world):
    source = add(session, world, kind="dataset", csl={"title": "Wage survey microdata"})
    assert source.csl["type"] == "dataset"


# --------------------------------------------------------------------------- permissions


def test_outsider_reviewer_and_review_editor_may_not_change_the_library(session, world):
    for person in (world.outsider, world.reviewer, world.review_editor, world.council[0]):
        with pytest.raises(PermissionDenied):
            sources.add_source(session=session, actor=person, report=world.report, data=anker())
        with pytest.raises(PermissionDenied):
            import_file(session, world, "references.json", actor=person)
    assert count_sources(session) == 0


def test_an_author_who_has_not_signed_the_ethics_code_is_refused(session, world):
    unsigned = make_person(session, "New LA", roles=[(Role.lead_author, world.report)])
    with pytest.raises(PermissionDenied, match="Code of Ethics"):
        sources.add_source(session=session, actor=unsigned, report=world.report, data=anker())
    with pytest.raises(PermissionDenied, match="Code of Ethics"):
        import_file(session, world, "references.json", actor=unsigned)
    assert count_sources(session) == 0


def test_authors_of_another_report_may_not_edit_this_library(session, world):
    other = make_report(session, "other-report")
    foreign = make_person(session, "Foreign LA", roles=[(Role.lead_author, other)], signed=True)
    with pytest.raises(PermissionDenied):
        sources.add_source(session=session, actor=foreign, report=world.report, data=anker())


def test_every_author_role_and_the_secretariat_may_add(session, world):
    for i, person in enumerate([world.cla, world.la, world.contributor, world.secretariat]):
        sources.add_source(
            session=session,
            actor=person,
            report=world.report,
            data=anker(key=f"k{i}", csl={"title": f"T{i}"}),
        )
    assert count_sources(session) == 4


def test_reviewers_may_export_but_outsiders_may_not(session, world):
    add(session, world)
    text = sources.export_sources(
        session=session, actor=world.reviewer, report=world.report, fmt="ris"
    )
    assert "ID  - anker2017" in text
    with pytest.raises(PermissionDenied):
        sources.export_sources(
            session=session, actor=world.outsider, report=world.report, fmt="ris"
        )


# --------------------------------------------------------------------------- update


def test_update_source_changes_fields_and_recomputes_search_columns(session, world):
    source = add(session, world)
    new_csl = dict(source.csl, title="Living Wages Around the World (2nd ed.)", DOI=None)
    new_csl["issued"] = {"date-parts": [[2019]]}
    updated = sources.update_source(
        session=session,
        actor=world.cla,
        source=source,
        kind="report",
        certainty=Certainty.high,
        certainty_note="Large, consistent body of country studies",
        language="fr",
        region="Africa",
        csl=new_csl,
    )
    again = session.get(Source, source.id)
    assert again.title == "Living Wages Around the World (2nd ed.)"
    assert again.year == 2019 and again.doi is None
    assert again.kind is SourceKind.report and again.certainty is Certainty.high
    assert again.language == "fr" and again.region == "Africa"
    assert updated.csl["id"] == "anker2017"
    event = audit.events(session, entity="source", entity_id=source.id)[0]
    assert event.action == "update_source"
    assert event.detail["fields"] == [
        "certainty",
        "certainty_note",
        "csl",
        "kind",
        "language",
        "region",
    ]


def test_update_source_renames_an_uncited_key(session, world):
    source = sources.add_source(
        session=session,
        actor=world.la,
        report=world.report,
        data=anker(key="uncited2020", csl={"title": "Not cited anywhere"}),
    )
    sources.update_source(session=session, actor=world.la, source=source, key="renamed2020")
    assert sources.get_source_by_key(session, world.report.id, "renamed2020").id == source.id
    assert source.csl["id"] == "renamed2020"


def test_update_source_refuses_colliding_or_invalid_keys_and_bad_values(session, world):
    first = add(session, world)
    second = add(session, world, key="dube2019", csl={"title": "Impacts of Minimum Wages"})
    cases = [
        ({"key": "anker2017"}, "already in this report's library"),
        ({"key": "dube 2019"}, "cannot be cited"),
        ({"kind": "rumour"}, "not a kind of source"),
        ({"certainty": "certain"}, "not a certainty rating"),
        ({"language": "English as spoken in Yorkshire"}, "not a language code"),
        ({"region": "x" * 81}, "at most 80 characters"),
        ({"csl": {"title": ""}}, "needs a title"),
        ({"csl": {"title": "X", "DOI": "10.4337/9781786431462"}}, "already in the library as"),
        ({"report_id": 99}, "cannot be changed"),
    ]
    for changes, message in cases:
        with pytest.raises(ValidationError, match=message):
            sources.update_source(session=session, actor=world.la, source=second, **changes)
    session.expire_all()
    again = session.get(Source, second.id)
    assert again.key == "dube2019" and again.title == "Impacts of Minimum Wages"
    assert session.get(Source, first.id).key == "anker2017"


def test_a_cited_source_cannot_be_renamed(session, world):
    source = add(session, world)
    with pytest.raises(ValidationError, match=r"cited in sections 1.1, 2.1, 3.1 and 4.1"):
        sources.update_source(session=session, actor=world.la, source=source, key="anker2017a")
    assert sources.get_source_by_key(session, world.report.id, "anker2017").id == source.id


def test_update_needs_edit_rights(session, world):
    source = add(session, world)
    with pytest.raises(PermissionDenied):
        sources.update_source(session=session, actor=world.reviewer, source=source, region="Asia")


# --------------------------------------------------------------------------- delete


def test_delete_an_uncited_source(session, world):
    source = add(session, world, key="spare2020", csl={"title": "Spare"})
    sources.delete_source(session=session, actor=world.la, source=source)
    assert count_sources(session) == 0
    assert audit.events(session, entity="source", entity_id=source.id)[0].action == "delete_source"


def test_a_cited_source_cannot_be_deleted_and_the_message_names_the_sections(session, world):
    source = add(session, world)
    with pytest.raises(ValidationError) as info:
        sources.delete_source(session=session, actor=world.la, source=source)
    assert "'anker2017' is cited in sections 1.1, 2.1, 3.1 and 4.1" in str(info.value)
    assert count_sources(session) == 1


def test_a_source_supporting_a_finding_cannot_be_deleted(session, world):
    source = add(session, world, key="spare2020", csl={"title": "Spare"})
    finding = Finding(
        report_id=world.report.id,
        code="F1",
        statement="Wages lag productivity.",
        evidence="robust",
        agreement="high",
        confidence="very_high",
    )
    session.add(finding)
    session.flush()
    session.add(FindingSource(finding_id=finding.id, source_id=source.id))
    session.commit()
    with pytest.raises(ValidationError, match="supports finding F1"):
        sources.delete_source(session=session, actor=world.la, source=source)
    assert count_sources(session) == 1


def test_delete_needs_edit_rights(session, world):
    source = add(session, world, key="spare2020", csl={"title": "Spare"})
    with pytest.raises(PermissionDenied):
        sources.delete_source(session=session, actor=world.outsider, source=source)
    assert count_sources(session) == 1


# --------------------------------------------------------------------------- import


def test_import_bibtex_adds_every_entry_with_kinds_and_languages(session, world):
    calls: list[tuple[int, int]] = []
    result = import_file(
        session, world, "messy.bib", progress=lambda done, total: calls.append((done, total))
    )
    assert result.added == 16 and result.skipped == []
    assert count_sources(session, world.report.id) == 16
    assert calls[0] == (1, 16) and calls[-1] == (16, 16) and len(calls) == 16
    get = lambda key: sources.get_source_by_key(session, world.report.id, key)  # noqa: E731
    assert get("card1994").kind is SourceKind.peer_reviewed
    assert get("card1994").doi == "10.3386/w4509"
    assert get("piketty2014").kind is SourceKind.book
    assert get("schneider2018").kind is SourceKind.book
    assert get("ilo2018wages").kind is SourceKind.report
    assert get("wid2022").kind is SourceKind.dataset
    assert get("unicef2021").kind is SourceKind.report
    assert get("wang2019minwage").language == "zh"
    assert get("alhassan2020wages").language == "ar"
    assert get("card1994").language == "en"
    assert get("ilo2018wages").authors == "International Labour Organization"
    event = audit.events(session, report_id=world.report.id)[0]
    assert event.action == "import_sources" and event.detail["added"] == 16


def test_import_ris_and_csljson_guess_policy_documents(session, world):
    assert import_file(session, world, "references.ris").added == 5
    assert import_file(session, world, "references.json").added == 4
    assert sources.get_source_by_key(session, world.report.id, "brazil2017reform").kind is (
        SourceKind.policy_document
    )
    assert sources.get_source_by_key(session, world.report.id, "benali2022").language == "ar"


def test_import_refuses_duplicate_keys_by_default_and_adds_nothing(session, world):
    add(session, world, key="card1994", csl={"title": "Already here"})
    with pytest.raises(ImportFailed) as info:
        import_file(session, world, "messy.bib")
    line = next(
        n
        for n, text in enumerate((DATA / "messy.bib").read_text().splitlines(), 1)
        if "@article{card1994" in text
    )
    assert shown(info.value.problems) == [
        f"Entry 'card1994' (line {line}): the key is already in the library"
    ]
    assert "Nothing was imported from messy.bib" in str(info.value)
    assert count_sources(session) == 1


def test_import_refuses_a_doi_already_in_the_library_under_another_key(session, world):
    add(session, world, key="cardkrueger", csl={"title": "Min wages", "DOI": "10.3386/W4509"})
    with pytest.raises(ImportFailed) as info:
        import_file(session, world, "messy.bib")
    assert len(shown(info.value.problems)) == 1
    assert "Entry 'card1994'" in shown(info.value.problems)[0]
    assert (
        "DOI 10.3386/w4509 is already in the library as 'cardkrueger'"
        in shown(info.value.problems)[0]
    )
    assert count_sources(session) == 1


def test_import_can_skip_duplicates_and_report_them(session, world):
    add(session, world, key="card1994", csl={"title": "Already here"})
    add(session, world, key="wid", csl={"title": "WID", "DOI": "10.5281/ZENODO.0000000"})
    result = import_file(session, world, "messy.bib", on_duplicate="skip")
    assert result.added == 14
    assert result.skipped == ["card1994", "wid2022"]
    assert any("'card1994'" in w and "skipped" in w for w in shown(result.warnings))
    assert any("as 'wid'" in w for w in shown(result.warnings))
    assert count_sources(session) == 16
    assert sources.get_source_by_key(session, world.report.id, "card1994").title == "Already here"


def test_reimporting_the_same_file_with_skip_adds_nothing(session, world):
    import_file(session, world, "references.ris")
    result = import_file(session, world, "references.ris", on_duplicate="skip")
    assert result.added == 0 and len(result.skipped) == 5
    assert count_sources(session) == 5


def test_a_file_with_one_bad_entry_adds_nothing(session, world):
    with pytest.raises(ImportFailed) as info:
        import_file(session, world, "malformed_braces.bib")
    assert "doe2019" in shown(info.value.problems)[0]
    assert count_sources(session) == 0
    assert [e for e in audit.events(session) if e.action == "import_sources"] == []


def test_an_entry_the_library_cannot_hold_stops_the_whole_import(session, world):
    text = (
        "@article{fine2020, title = {Fine}, year = 2020}\n"
        "@article{long2021, title = {Long DOI}, doi = {10.1/" + "x" * 300 + "}}\n"
    )
    with pytest.raises(ImportFailed) as info:
        import_file(session, world, "long.bib", content=text.encode())
    assert shown(info.value.problems) == [
        "Entry 'long2021' (line 2): the DOI is longer than 300 characters"
    ]
    assert count_sources(session) == 0


def test_a_failure_while_writing_rolls_the_import_back(session, world, monkeypatch):
    def broken(session, report_id):
        raise RuntimeError("database went away")

    monkeypatch.setattr(sources, "_refresh_citations", broken)
    with pytest.raises(RuntimeError):
        import_file(session, world, "references.ris")
    assert count_sources(session) == 0
    assert [e for e in audit.events(session) if e.action == "import_sources"] == []


def test_two_entries_with_the_same_doi_in_one_file_are_duplicates(session, world):
    text = (
        "@article{a, title = {First}, doi = {10.1/x}}\n"
        "@article{b, title = {Second}, doi = {https://doi.org/10.1/X}}\n"
    )
    with pytest.raises(ImportFailed, match="DOI 10.1/x is also the DOI of 'a' above"):
        import_file(session, world, "dups.bib", content=text.encode())
    result = import_file(session, world, "dups.bib", content=text.encode(), on_duplicate="skip")
    assert result.added == 1 and result.skipped == ["b"]


def test_oversize_unknown_extension_and_bad_choice_are_refused(session, world):
    with pytest.raises(ImportFailed, match="at most 10 MB"):
        import_file(session, world, "big.bib", content=b" " * (MAX_IMPORT_BYTES + 1))
    with pytest.raises(ImportFailed, match="'.docx' cannot be imported"):
        import_file(session, world, "refs.docx", content=b"@misc{a, title={T}}")
    with pytest.raises(ValidationError, match="'merge' is not a way to handle duplicates"):
        import_file(session, world, "references.ris", on_duplicate="merge")
    assert count_sources(session) == 0


def test_import_warns_about_odd_dois_missing_years_and_unknown_languages(session, world):
    text = (
        "@misc{nodate, title = {Undated pamphlet}}\n"
        "@misc{odd, title = {Odd DOI}, year = 2020, doi = {ISBN-123},\n"
        "  language = {Klingon Standard}}\n"
    )
    result = import_file(session, world, "odd.bib", content=text.encode())
    assert result.added == 2
    assert "Entry 'nodate' (line 1): no year of publication" in shown(result.warnings)
    assert any("'isbn-123' does not look like a DOI" in w for w in shown(result.warnings))
    assert any("'Klingon Standard' is not recognised" in w for w in shown(result.warnings))
    assert sources.get_source_by_key(session, world.report.id, "odd").language == "en"


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("fmt", ["csljson", "bibtex", "ris"])
def test_export_then_import_into_another_report_keeps_keys_and_titles(session, world, fmt):
    import_file(session, world, "messy.bib")
    import_file(session, world, "references.json")
    text = sources.export_sources(session=session, actor=world.la, report=world.report, fmt=fmt)
    other = make_report(session, "second-report")
    name = {"csljson": "library.json", "bibtex": "library.bib", "ris": "library.ris"}[fmt]
    result = sources.import_sources(
        session=session,
        actor=world.secretariat,
        report=other,
        filename=name,
        content=text.encode("utf-8"),
    )
    assert result.added == 20
    originals = {
        s.key: s.title
        for s in sources.search_sources(session, report_id=world.report.id, limit=100)[0]
    }
    copies = {
        s.key: s.title for s in sources.search_sources(session, report_id=other.id, limit=100)[0]
    }
    assert copies == originals


def test_export_refuses_an_unknown_format(session, world):
    with pytest.raises(ValidationError, match="'docx' is not an export format"):
        sources.export_sources(session=session, actor=world.la, report=world.report, fmt="docx")


def test_bibtex_export_is_readable_bibtex(session, world):
    import_file(session, world, "references.json")
    text = sources.export_sources(
        session=session, actor=world.la, report=world.report, fmt="bibtex"
    )
    assert "@book{atkinson2015," in text
    assert "author = {{International Labour Organization}}" in text
    assert {r["id"] for r in parse_bibtex(text)} == {
        "atkinson2015",
        "ilo2021homeworkers",
        "benali2022",
        "bhorat2016",
    }


# --------------------------------------------------------------------------- reading


def test_csl_records_use_the_key_as_id(session, world):
    source = add(session, world, key="uncited", csl={"id": "stale", "title": "T"})
    session.refresh(source)
    assert sources.csl_records(session, world.report.id) == [
        {"id": "uncited", "title": "T", "type": "book"}
    ]


def test_get_source_by_key_and_sources_by_keys(session, world):
    add(session, world)
    add(session, world, key="dube2019", csl={"title": "Impacts"})
    assert sources.get_source_by_key(session, world.report.id, "dube2019").title == "Impacts"
    with pytest.raises(NotFound, match="'nobody2000'"):
        sources.get_source_by_key(session, world.report.id, "nobody2000")
    found = sources.sources_by_keys(session, world.report.id, ["dube2019", "anker2017", "nobody"])
    assert sorted(found) == ["anker2017", "dube2019"]
    assert sources.sources_by_keys(session, world.report.id, []) == {}
    other = make_report(session, "other-report")
    assert sources.sources_by_keys(session, other.id, ["dube2019"]) == {}


def test_search_filters_and_pages_in_sql(session, world):
    import_file(session, world, "messy.bib")
    rid = world.report.id
    page, total = sources.search_sources(session, report_id=rid, limit=5)
    assert total == 16 and len(page) == 5
    assert [s.key for s in page] == sorted(s.key for s in page)
    rest, _ = sources.search_sources(session, report_id=rid, limit=50, offset=5)
    assert len(rest) == 11 and not {s.key for s in page} & {s.key for s in rest}

    def keys(**filters) -> set[str]:
        found, count = sources.search_sources(session, report_id=rid, limit=100, **filters)
        assert count == len(found)
        return {s.key for s in found}

    assert keys(text="MINIMUM WAGES") == {"card1994", "dube2019"}
    assert keys(text="krueger") == {"card1994"}
    assert keys(text="wang2019") == {"wang2019minwage"}
    assert keys(text="最低工资") == {"wang2019minwage"}
    # Words are found whole (the last one also as a beginning); % and _ are no wildcards.
    assert keys(text="10%") == {"wid2022"}
    assert keys(text="0%") == set()
    assert keys(text="_") == set()
    assert keys(text="income share") == {"wid2022"}  # "share" finds "Shares"
    assert keys(text="inequality datab") == {"wid2022"}  # the last word as a beginning
    assert keys(text="ider201") == {"schneider2018"}  # any part of a key, as before
    assert keys(kind="dataset") == {"wid2022"}
    assert keys(kind=SourceKind.book) >= {"piketty2014", "schneider2018"}
    assert keys(language="ru") == {"kapelyushnikov2017"}
    assert keys(year_from=2021, year_to=2022) == {"garcia2021informal", "unicef2021", "wid2022"}
    assert keys(text="wage", year_to=2000) == {"card1994"}
    card = sources.get_source_by_key(session, rid, "card1994")
    sources.update_source(
        session=session, actor=world.la, source=card, certainty="moderate", region="North America"
    )
    assert keys(certainty="moderate") == {"card1994"}
    assert keys(region="North America") == {"card1994"}
    with pytest.raises(ValidationError):
        sources.search_sources(session, report_id=rid, limit=0)


def test_search_only_sees_the_report(session, world):
    add(session, world)
    other = make_report(session, "other-report")
    assert sources.search_sources(session, report_id=other.id) == ([], 0)


# --------------------------------------------------------------------------- facets, usage, forms


def test_source_facets_give_the_filter_choices_of_one_library(session, world):
    add(session, world, language="fr", region="Africa")
    add(
        session,
        world,
        key="ilo2024",
        kind=SourceKind.report,
        language="en",
        region="",
        csl={"title": "Wage report", "issued": {"date-parts": [[2024]]}},
    )
    other = make_report(session, "other-report")
    session.add(Source(report_id=other.id, key="x", language="zh", region="Asia", year=1990))
    session.commit()

    facets = sources.source_facets(session, report_id=world.report.id)

    assert facets.languages == ["en", "fr"]
    assert facets.regions == ["Africa"]
    assert (facets.year_min, facets.year_max) == (2017, 2024)


def test_an_empty_library_has_no_facets(session, world):
    facets = sources.source_facets(session, report_id=world.report.id)
    assert facets == sources.SourceFacets(languages=[], regions=[], year_min=None, year_max=None)


def test_source_usage_names_the_sections_and_findings_relying_on_a_source(session, world):
    source = add(session, world)  # the sample text of every section cites [@anker2017]
    finding = Finding(
        report_id=world.report.id,
        code="F2",
        statement="Gaps are wide.",
        evidence="robust",
        agreement="high",
        confidence="very_high",
    )
    session.add(finding)
    session.flush()
    session.add(FindingSource(finding_id=finding.id, source_id=source.id))
    session.commit()

    usage = sources.source_usage(session, source.id)

    assert usage.sections == ["1.1", "2.1", "3.1", "4.1"]
    assert usage.findings == ["F2"]
    assert usage.positions == 0


def test_record_from_fields_builds_a_csl_record_a_source_can_be_added_with(session, world):
    record = sources.record_from_fields(
        kind="peer_reviewed",
        title="  Wages   and work ",
        authors="Okafor, Ngozi; International Labour Organization\nLekota,Thabo",
        year=2023,
        container="Journal of African Labour Studies",
        doi="https://doi.org/10.99999/X",
        url="",
    )
    assert record == {
        "type": "article-journal",
        "title": "Wages and work",
        "author": [
            {"family": "Okafor", "given": "Ngozi"},
            {"literal": "International Labour Organization"},
            {"family": "Lekota", "given": "Thabo"},
        ],
        "issued": {"date-parts": [[2023]]},
        "container-title": "Journal of African Labour Studies",
        "DOI": "https://doi.org/10.99999/X",
    }
    source = sources.add_source(
        session=session,
        actor=world.la,
        report=world.report,
        data=SourceCreate(key="okafor2023", kind=SourceKind.peer_reviewed, csl=record),
    )
    assert source.authors == "Okafor, Ngozi; International Labour Organization; Lekota, Thabo"
    assert source.year == 2023 and source.doi == "10.99999/x"


def test_record_from_fields_puts_a_book_publisher_and_leaves_out_empty_fields():
    record = sources.record_from_fields(kind=SourceKind.book, title="Living wages", container="ILO")
    assert record == {"type": "book", "title": "Living wages", "publisher": "ILO"}
    with pytest.raises(ValidationError, match="not a kind of source"):
        sources.record_from_fields(kind="novel", title="x")


def test_keys_by_id_names_sources_in_one_lookup(session, world):
    first = add(session, world)
    second = add(session, world, key="ilo2024", csl={"title": "Wage report"})
    assert sources.keys_by_id(session, [second.id, first.id, None]) == {
        first.id: "anker2017",
        second.id: "ilo2024",
    }
    assert sources.keys_by_id(session, []) == {}
