"""Reading and writing bibliographies: BibTeX, RIS and CSL-JSON as CSL-JSON records."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from tests.test_limits import run_capped
from workbench import i18n, sources
from workbench.bibliography import (
    MAX_IMPORT_BYTES,
    citation_key_ok,
    language_code,
    make_key,
    normalise_doi,
    normalise_space,
    parse_bibtex,
    parse_csljson,
    parse_file,
    parse_ris,
    read_bibtex,
    record_summary,
    to_bibtex,
    to_csljson,
    to_ris,
)
from workbench.errors import ImportFailed
from workbench.models import Source

DATA = Path(__file__).parent / "data" / "bib"


def by_id(records: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in records}


def strings_in(value: object):
    """Yield every string inside nested dicts and lists."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def line_of(path: Path, needle: str) -> int:
    """Return the 1-based line of the first line containing needle."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path.name}")


# --------------------------------------------------------------------------- the messy BibTeX file


@pytest.fixture(scope="module")
def messy() -> dict[str, dict]:
    return by_id(parse_file(DATA / "messy.bib"))


def test_messy_file_reads_every_entry_and_ignores_comments_and_preamble(messy):
    assert len(messy) == 16
    assert "card1994" in messy and "dube2019" in messy


def test_entry_types_map_to_csl_types(messy):
    expected = {
        "card1994": "article-journal",
        "ilo2018wages": "report",
        "piketty2014": "book",
        "ilera2019": "book",
        "nkosi2019bargaining": "paper-conference",
        "schneider2018": "chapter",
        "oyelaran2020": "thesis",
        "unicef2021": "document",
        "wid2022": "dataset",
        "oxfam2023": "webpage",
    }
    assert {k: messy[k]["type"] for k in expected} == expected


def test_string_macros_and_concatenation_are_resolved(messy):
    assert messy["ilo2018wages"]["publisher"] == "International Labour Office, Geneva"
    assert messy["garcia2021informal"]["container-title"] == "World Development"
    assert messy["dube2019"]["container-title"] == "Report for HM Treasury"
    assert messy["dube2019"]["page"] == "1-58"
    assert messy["ilera2019"]["publisher-place"] == "Geneva"


def test_latex_accents_and_escapes_are_decoded(messy):
    garcia = messy["garcia2021informal"]
    assert garcia["author"] == [
        {"family": "García-López", "given": "María"},
        {"family": "Müller", "given": "Jörg"},
        {"family": "Østergaard", "given": "Søren"},
    ]
    assert garcia["title"].endswith("Evidence from Brazil and México")
    assert garcia["note"] == "Replication files: https://example.org/repl_files – 50% sample"
    assert messy["strasse2016"]["author"][0] == {"family": "Straße", "given": "Katrin"}
    assert messy["unicef2021"]["title"] == (
        "UNICEF Data Brief: Child Labour & Household Income – 2021 Update"
    )
    assert messy["unicef2021"]["note"] == "Accessed 1 March 2022; figures in US$ at 2017 PPP"
    assert messy["wid2022"]["title"] == "World Inequality Database (WID): Top 10% Income Shares"


def test_protected_capitals_keep_their_text_without_braces(messy):
    assert messy["card1994"]["title"] == (
        "Minimum Wages and Employment: A Case Study of the Fast-Food Industry "
        "in New Jersey and Pennsylvania"
    )
    assert messy["ilera2019"]["title"] == "Proceedings of the 2019 ILERA World Congress"
    texts = list(strings_in(messy))
    assert texts and not [t for t in texts if "{" in t or "}" in t]


def test_corporate_authors_in_double_braces_become_literal_names(messy):
    assert messy["ilo2018wages"]["author"] == [{"literal": "International Labour Organization"}]
    assert messy["schneider2018"]["editor"] == [{"literal": "World Bank"}]
    assert messy["alhassan2020wages"]["author"][1] == {"literal": "منظمة العمل العربية"}


def test_particles_stay_with_the_family_name(messy):
    assert messy["ilera2019"]["editor"][0] == {"family": "van der Berg", "given": "Servaas"}
    assert messy["nkosi2019bargaining"]["author"][1] == {
        "family": "d'Almeida",
        "given": "Ana Luísa",
    }


def test_crossref_entry_inherits_booktitle_year_and_publisher(messy):
    paper = messy["nkosi2019bargaining"]
    assert paper["container-title"] == "Proceedings of the 2019 ILERA World Congress"
    assert paper["issued"] == {"date-parts": [[2019]]}
    assert paper["publisher"] == "International Labour and Employment Relations Association"
    assert paper["title"] == "Sectoral Bargaining and the Living Wage in South Africa"
    assert paper["page"] == "211-230"


def test_non_latin_scripts_are_kept_as_they_are(messy):
    wang = messy["wang2019minwage"]
    assert wang["title"] == "最低工资标准对农民工收入的影响"
    assert wang["author"] == [{"family": "王", "given": "小明"}, {"family": "李", "given": "娜"}]
    assert wang["language"] == "zh"
    assert messy["alhassan2020wages"]["title"] == "الأجور والعمل غير المنظم في مصر"
    assert messy["alhassan2020wages"]["language"] == "ar"
    assert messy["kapelyushnikov2017"]["author"] == [
        {"family": "Капелюшников", "given": "Ростислав"}
    ]
    assert messy["kapelyushnikov2017"]["publisher-place"] == "Москва"


def test_dates_months_pages_and_identifiers(messy):
    card = messy["card1994"]
    assert card["issued"] == {"date-parts": [[1994, 9]]}
    assert card["page"] == "772-793"
    assert card["volume"] == "84" and card["issue"] == "4"
    assert card["DOI"] == "10.3386/w4509"  # the resolver prefix is dropped
    assert messy["oyelaran2020"]["issued"] == {"date-parts": [[2020, 6]]}
    assert messy["oxfam2023"]["issued"] == {"date-parts": [[2023, 1, 16]]}
    assert messy["oxfam2023"]["accessed"] == {"date-parts": [[2023, 3, 1]]}
    # URLs are verbatim: their underscores, dashes and percent signs are not LaTeX
    assert messy["ilo2018wages"]["URL"].endswith("/2018/lang--en/index.htm")
    assert messy["ilo2018wages"]["language"] == "en"
    assert messy["piketty2014"]["translator"] == [{"family": "Goldhammer", "given": "Arthur"}]


def test_read_bibtex_reports_the_line_of_each_entry():
    entries = read_bibtex((DATA / "messy.bib").read_text(encoding="utf-8"), "messy.bib")
    lines = {e.key: e.line for e in entries}
    assert lines["card1994"] == line_of(DATA / "messy.bib", "@article{card1994")
    assert lines["dube2019"] == line_of(DATA / "messy.bib", "@article{dube2019")
    assert entries[0].label == f"Entry 'card1994' (line {lines['card1994']})"


# --------------------------------------------------------------------------- broken BibTeX


def problems_of(call, *args) -> list[str]:
    """Return the problems an import refuses with, as a person reads them (in English)."""
    with pytest.raises(ImportFailed) as info:
        call(*args)
    return [str(p) for p in info.value.problems]


def test_unbalanced_braces_name_the_entry_and_its_line():
    path = DATA / "malformed_braces.bib"
    problems = problems_of(parse_file, path)
    line = line_of(path, "@article{doe2019")
    assert len(problems) == 1
    assert problems[0].startswith(f"Line {line}: unbalanced braces in entry 'doe2019'")


def test_import_problems_are_shown_in_the_readers_language():
    """A problem names its entry and line; a French or Spanish reader reads it in their language."""
    path = DATA / "malformed_entries.bib"
    with pytest.raises(ImportFailed) as info:
        parse_file(path)
    line = line_of(path, "@article{smith2020")
    no_title = next(p for p in info.value.problems if "'smith2020' has no title" in str(p))
    assert (
        no_title.render("fr")
        == f"Ligne {line}\u00a0: l'entrée «\u00a0smith2020\u00a0» n'a pas de titre"
    )
    assert no_title.render("es") == f"Línea {line}: la entrada «smith2020» no tiene título"
    with i18n.language("fr"):
        assert info.value.message.startswith("malformed_entries.bib n'a pas pu être importé (")
    assert info.value.message.startswith("malformed_entries.bib could not be imported (")


def test_every_bad_entry_is_listed_with_its_line():
    path = DATA / "malformed_entries.bib"
    problems = problems_of(parse_file, path)
    assert f"Line {line_of(path, '@article{smith2020')}: entry 'smith2020' has no title" in problems
    assert any(
        p.startswith(f"Line {line_of(path, 'genva')}:") and "'genva'" in p and "@string" in p
        for p in problems
    )
    assert any("'lee2021'" in p and "'conf2021'" in p and "not in the file" in p for p in problems)
    first, second = line_of(path, "@article{okafor2018"), line_of(path, "@book{okafor2018")
    assert any(
        f"'okafor2018' is used twice in the file (lines {first} and {second})" in p
        for p in problems
    )
    assert any("'bad key!'" in p and "cannot be cited" in p for p in problems)
    assert len(problems) == 5


def test_error_message_names_the_file_and_says_nothing_was_imported():
    with pytest.raises(ImportFailed) as info:
        parse_file(DATA / "malformed_entries.bib")
    assert "malformed_entries.bib" in info.value.summary
    assert "nothing was imported" in info.value.summary
    assert "- Line" in str(info.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("@article{x,\n  title = {Open\n", "unbalanced braces in entry 'x'"),
        ('@article{x,\n  title = "Open,\n}\n@book{y, title={Y}}', "entry 'x'"),
        ("@article{x, title = {T}, author = {A, B, C, D}}", "the name 'A, B, C, D'"),
        ("@article{x, title = {T} # , year = 2020}", "'#' with nothing"),
        ("@article{x, title = a b}", "must be in braces or quotes"),
        ("@article{x, title = {T}, title = {U}}", "has the field 'title' twice"),
        ("@article{, title = {T}}", "has no key"),
        ("% only a comment\n@comment{nothing here}\n", "contains no BibTeX entries"),
    ],
)
def test_malformed_bibtex_gives_import_failed(text, expected):
    with pytest.raises(ImportFailed) as info:
        parse_bibtex(text, "broken.bib")
    assert expected in str(info.value)


def test_month_macro_and_undefined_abbreviation():
    records = parse_bibtex("@misc{m, title = {T}, year = 2020, month = may}")
    assert records[0]["issued"] == {"date-parts": [[2020, 5]]}
    with pytest.raises(ImportFailed, match="'unknownmacro', which no @string defines"):
        parse_bibtex("@misc{m, title = unknownmacro}")


def test_a_redefined_string_uses_the_later_value():
    text = '@string{pub = "Old"}\n@string{pub = "New"}\n@book{b, title = {T}, publisher = pub}'
    assert parse_bibtex(text)[0]["publisher"] == "New"


def test_unescaped_percent_in_a_title_is_text_not_a_comment():
    records = parse_bibtex("@misc{p, title = {The bottom 50% of earners, revisited}}")
    assert records[0]["title"] == "The bottom 50% of earners, revisited"


# --------------------------------------------------------------------------- RIS


def test_ris_file_reads_authors_dates_and_corporate_authors():
    records = by_id(parse_file(DATA / "references.ris"))
    anker = records["anker2017"]
    assert anker["type"] == "article-journal"
    assert anker["author"] == [
        {"family": "Anker", "given": "Richard"},
        {"family": "Anker", "given": "Martha"},
    ]
    assert anker["issued"] == {"date-parts": [[2017, 3]]}
    assert anker["container-title"] == "Journal of Human Development and Capabilities"
    assert anker["page"] == "201-219"
    assert anker["keyword"] == "living wage, measurement"
    oecd = records["oecd2015together"]
    assert oecd["author"] == [{"literal": "OECD"}]
    assert oecd["DOI"] == "10.1787/9789264235120-en"
    assert oecd["publisher-place"] == "Paris"
    assert records["zhang2020gini"]["author"] == [{"family": "张", "given": "伟"}]
    assert records["brazil2017reform"]["type"] == "legislation"


def test_ris_reference_without_id_gets_a_generated_citable_key():
    records = parse_file(DATA / "references.ris")
    chen = next(r for r in records if r["title"].startswith("The Informal Economy"))
    assert chen["id"] == "chen2012informal"
    assert citation_key_ok(chen["id"])
    assert chen["title"] == (
        "The Informal Economy: Definitions, Theories and Policies in Comparative Perspective"
    )
    assert chen["editor"] == [{"family": "Vanek", "given": "Joann"}]


def test_malformed_ris_lists_each_problem_with_its_line():
    path = DATA / "malformed.ris"
    problems = problems_of(parse_file, path)
    assert (
        f"Line {line_of(path, 'notitle2019') - 1}: reference 'notitle2019' has no title"
        in (problems[0])
    )
    assert any(
        "no end line" in p and f"Line {line_of(path, 'noend2018') - 1}" in p for p in problems
    )
    assert any("'ok2020' is used twice" in p for p in problems)


def test_ris_without_any_reference_is_refused():
    with pytest.raises(ImportFailed, match="contains no RIS references"):
        parse_ris("This is not RIS at all.\n", "notes.ris")


# --------------------------------------------------------------------------- CSL-JSON


def test_csljson_file_reads_records_and_fixes_common_variants():
    records = by_id(parse_file(DATA / "references.json"))
    assert records["atkinson2015"]["author"] == [{"family": "Atkinson", "given": "Anthony B."}]
    assert records["ilo2021homeworkers"]["issued"] == {"date-parts": [[2021, 1, 13]]}
    assert records["ilo2021homeworkers"]["DOI"] == "10.54394/ABCD1234"
    assert records["benali2022"]["type"] == "article-journal"  # Crossref's journal-article
    assert records["benali2022"]["volume"] == "12"


def test_csljson_single_object_is_one_record():
    text = json.dumps({"id": "one", "type": "report", "title": "Alone"})
    assert parse_csljson(text) == [{"id": "one", "type": "report", "title": "Alone"}]


def test_bad_json_names_line_and_column():
    problems = problems_of(parse_file, DATA / "malformed.json")
    assert problems == ["Line 3, column 65: not valid JSON (Expecting ',' delimiter)"]


def test_csljson_records_are_validated_one_by_one():
    problems = problems_of(parse_file, DATA / "malformed_records.json")
    assert problems == [
        "Entry 2 ('notitle2019'): has no title",
        "Entry 3 (no id): has no id (its citation key)",
        "Entry 4 ('badtype2018'): the type 'journal' is not a CSL type "
        "(such as article-journal, book, chapter, report, dataset)",
        "Entry 5 ('badname2017'): 'author' must be a list of names",
        "Entry 6 ('ok2020'): the id 'ok2020' is also the id of entry 1 in the file",
    ]


@pytest.mark.parametrize("text", ["42", '"a string"', "[1, 2]", "[]", "{}"])
def test_json_that_is_not_a_list_of_records_is_refused(text):
    with pytest.raises(ImportFailed):
        parse_csljson(text, "x.json")


# --------------------------------------------------------------------------- files


def test_unknown_extension_is_refused_with_the_known_ones():
    with pytest.raises(ImportFailed) as info:
        parse_file(b"TY  - JOUR\nER  - \n", "refs.txt")
    assert "'.txt'" in str(info.value) and ".bib" in str(info.value) and ".ris" in str(info.value)


def test_oversize_bytes_and_files_are_refused(tmp_path):
    big = b"%" * (MAX_IMPORT_BYTES + 1)
    with pytest.raises(ImportFailed, match="at most 10 MB"):
        parse_file(big, "huge.bib")
    path = tmp_path / "huge.bib"
    path.write_bytes(big)
    with pytest.raises(ImportFailed, match="at most 10 MB"):
        parse_file(path)


def test_empty_and_non_utf8_files_are_refused():
    with pytest.raises(ImportFailed, match="is empty"):
        parse_file(b"  \n", "empty.bib")
    with pytest.raises(ImportFailed, match="not UTF-8 text .line 2"):
        parse_file(b"@misc{a,\n title = {Caf\xe9}}", "latin1.bib")


def test_extension_decides_the_format_case_insensitively():
    text = (DATA / "references.ris").read_bytes()
    assert len(parse_file(text, "EXPORT.RIS")) == 5


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    "key, ok",
    [
        ("smith2020", True),
        ("Smith:2020a", True),
        ("doe_2019", True),
        ("_private", True),
        ("王2020", True),
        ("a.b-c+d?e<f>g~h/i#j$k%l&m", True),
        ("smith2020.", False),
        ("-smith", False),
        ("smith 2020", False),
        ("smith,2020", False),
        ("smith{2020}", False),
        ("", False),
        ("a" * 201, False),
    ],
)
def test_citation_key_ok_follows_pandoc(key, ok):
    assert citation_key_ok(key) is ok


@pytest.mark.parametrize(
    "doi",
    [
        "10.1016/J.WORLDDEV.2020.105254",
        "https://doi.org/10.1016/j.worlddev.2020.105254",
        "http://dx.doi.org/10.1016/j.worlddev.2020.105254",
        "doi:10.1016/j.worlddev.2020.105254",
        " DOI: 10.1016/j.worlddev.2020.105254 ",
    ],
)
def test_normalise_doi(doi):
    assert normalise_doi(doi) == "10.1016/j.worlddev.2020.105254"


def test_record_summary_gives_the_search_columns():
    record = {
        "id": "x",
        "type": "report",
        "title": "  Wages\nand  work ",
        "author": [{"family": "Card", "given": "David"}, {"literal": "ILO"}],
        "issued": {"date-parts": [["2019", 4]]},
        "DOI": "https://doi.org/10.1/ABC",
    }
    assert record_summary(record) == ("Wages and work", "Card, David; ILO", 2019, "10.1/abc")
    assert record_summary({"title": "T", "editor": [{"family": "E"}]}) == ("T", "E", None, None)
    assert record_summary({"title": "T", "issued": {"literal": "circa 1850"}})[2] == 1850


def test_language_code():
    assert language_code("english") == "en"
    assert language_code("Brazilian") == "pt-BR"
    assert language_code("EN") == "en"
    assert language_code("zh-Hans") == "zh-Hans"
    assert language_code("Old Church Slavonic dialect") == ""


def test_make_key_avoids_taken_keys():
    record = {"title": "The Price of Inequality", "author": [{"family": "Stiglitz"}]}
    record["issued"] = {"date-parts": [[2012]]}
    assert make_key(record) == "stiglitz2012price"
    assert make_key(record, {"stiglitz2012price"}) == "stiglitz2012pricea"
    assert citation_key_ok(make_key({"title": "???"}))


# --------------------------------------------------------------------------- writing


def test_bibtex_output_escapes_specials_and_protects_capitals():
    record = {
        "id": "x2020",
        "type": "report",
        "title": "R&D spending in the OECD: 50% of $ and #tags_with {braces}",
        "author": [
            {"literal": "International Labour Organization"},
            {"family": "Doe", "given": "J."},
        ],
        "issued": {"date-parts": [[2020]]},
        "publisher": "Ernst & Young",
    }
    out = to_bibtex([record])
    assert "@techreport{x2020," in out
    assert r"{R\&D} spending in the {OECD:} 50\% of \$ and \#tags\_with \{braces\}" in out
    assert "author = {{International Labour Organization} and Doe, J.}" in out
    assert r"institution = {Ernst \& Young}" in out
    assert parse_bibtex(out)[0]["title"] == record["title"]


def test_ris_and_csljson_output():
    record = {
        "id": "z",
        "type": "chapter",
        "title": "Обзор",
        "author": [{"family": "Иванова", "given": "Анна"}, {"literal": "ILO"}],
        "page": "3-9",
        "issued": {"date-parts": [[2001, 2]]},
    }
    ris = to_ris([record])
    assert ris.startswith("TY  - CHAP\n")
    assert "AU  - Иванова, Анна\nAU  - ILO\n" in ris
    assert "SP  - 3\nEP  - 9\n" in ris
    assert "ER  - " in ris
    text = to_csljson([record])
    assert "Обзор" in text and "\\u" not in text
    assert json.loads(text) == [record]


def test_messy_file_survives_a_round_trip_through_every_format(messy):
    records = list(messy.values())
    for write, read in (
        (to_bibtex, parse_bibtex),
        (to_ris, parse_ris),
        (to_csljson, parse_csljson),
    ):
        again = by_id(read(write(records)))
        assert set(again) == set(messy)
        for key, record in messy.items():
            assert record_summary(again[key]) == record_summary(record), (write.__name__, key)


# --------------------------------------------------------------------------- properties

_SPECIALS = [*"&%$#_{}~^\\-'`!?\"@=,;:()[]<>|*/.", "--", "''", "``", "!`", "?`", " and "]
_SCRIPTS = list("王小明李娜经济研究الحسنأحمدمصرРостиславНеравенствоçéüßøÅ")
_chars = st.one_of(
    st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")),
    st.sampled_from(_SPECIALS),
    st.sampled_from(_SCRIPTS),
)


def _text(*, no_comma: bool = False, max_size: int = 30) -> st.SearchStrategy[str]:
    pieces = st.lists(_chars, min_size=1, max_size=max_size).map("".join).map(normalise_space)
    if no_comma:
        pieces = pieces.map(lambda s: normalise_space(s.replace(",", " ")))
    return pieces.filter(bool)


_person = st.builds(
    lambda family, given: {"family": family, **({"given": given} if given else {})},
    _text(no_comma=True, max_size=15),
    st.one_of(st.just(""), _text(no_comma=True, max_size=15)),
)
_literal = st.builds(lambda name: {"literal": name}, _text(no_comma=True, max_size=25))
_doi = st.builds(
    lambda prefix, suffix: f"10.{prefix}/{suffix}",
    st.integers(1000, 99999),
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._;()/:<>",
        min_size=1,
        max_size=20,
    ).filter(lambda s: s.strip() == s),
)
_key = st.from_regex(r"\A[a-z][a-z0-9]{0,8}(?:[:._-][a-z0-9]{1,4})?\Z")
_record = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["article-journal", "book", "chapter", "report", "dataset"]),
        "title": _text(max_size=60),
        "author": st.lists(st.one_of(_person, _literal), min_size=1, max_size=3),
        "issued": st.integers(1500, 2100).map(lambda y: {"date-parts": [[y]]}),
        "DOI": _doi,
    }
)
_records = st.lists(st.tuples(_key, _record), min_size=1, max_size=4, unique_by=lambda t: t[0])


def _essentials(record: dict) -> tuple:
    title, _, year, doi = record_summary(record)
    return title, record.get("author"), year, doi


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records)
def test_title_authors_year_and_doi_survive_every_format(pairs):
    records = [{"id": key, **record} for key, record in pairs]
    for write, read in (
        (to_bibtex, parse_bibtex),
        (to_ris, parse_ris),
        (to_csljson, parse_csljson),
    ):
        text = write(records)
        again = by_id(read(text))
        for record in records:
            assert _essentials(again[record["id"]]) == _essentials(record), (write.__name__, text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(_literal, _person), min_size=1, max_size=3), _text(max_size=40))
def test_names_with_commas_and_and_survive_bibtex(names, title):
    names = [*names, {"literal": "Ministry of Labour, Brazil"}, {"family": "Rand and Co"}]
    record = {"id": "k", "type": "book", "title": title, "author": names}
    assert parse_bibtex(to_bibtex([record]))[0]["author"] == names


_FRAGMENTS = [
    "@article{",
    "@string{",
    "@comment{",
    "@preamble{",
    "@book(",
    "key,",
    "title = ",
    "author = ",
    "month = ",
    "crossref = ",
    "{",
    "}",
    '"',
    "#",
    "=",
    ",",
    "\n",
    "\\",
    "\\'e",
    " and ",
    "~",
    "%",
    "$",
    "²",
    "jan",
    "2020",
    "TY  - JOUR\n",
    "ER  - \n",
    "AU  - ",
    "TI  - ",
    "PY  - ",
    '{"id": ',
    "[",
    "]",
    '"type": "book"',
    "null",
]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=3), max_size=40).map("".join),
    )
)
def test_parsers_only_ever_raise_import_failed(text):
    for parse in (parse_bibtex, parse_ris, parse_csljson):
        try:
            records = parse(text, "fuzz")
        except ImportFailed:
            continue
        for record in records:
            assert citation_key_ok(record["id"])
            assert record["title"]


# --------------------------------------------------------------------------- hostile files


def abbreviations(levels: str, width: int = 5) -> str:
    """Return @strings each made of ``width`` copies of the one before: 10 × width**n characters."""
    lines = ['@string{a = "xxxxxxxxxx"}']
    for before, name in itertools.pairwise(levels):
        lines.append(f"@string{{{name} = {' # '.join([before] * width)}}}")
    return "\n".join(lines) + "\n"


PARSE_BIBTEX = """
import sys
from pathlib import Path
from workbench.bibliography import parse_bibtex
from workbench.errors import ImportFailed
try:
    parse_bibtex(Path(sys.argv[1]).read_text(), "bomb.bib")
except ImportFailed as exc:
    print("\\n".join(str(p) for p in exc.problems))
else:
    print("imported")
"""


def test_abbreviations_that_grow_exponentially_are_refused_in_bounded_memory(tmp_path):
    """15 @strings in 400 bytes would expand to 61 GB: refused at the first one too long."""
    text = abbreviations("abcdefghijklmno") + "@article{bomb, title = o, year = 2020}\n"
    assert len(text) < 500
    path = tmp_path / "bomb.bib"
    path.write_text(text)
    result = run_capped(PARSE_BIBTEX, str(path))
    assert result.returncode == 0, result.stderr
    problems = result.stdout.strip().splitlines()
    assert problems[0] == (
        "Line 7: the @string 'g' expands to more than 100,000 characters through its @string "
        "abbreviations, more than any value may hold"
    )
    assert (
        problems[1]
        == "Line 8: the @string 'h' uses the abbreviation 'g', whose @string was refused"
    )
    assert problems[-1] == (
        "Line 16: in entry 'bomb', the field 'title' uses the abbreviation 'o', whose @string "
        "was refused"
    )


def test_abbreviations_are_bounded_for_the_whole_file():
    """31,250 characters used 400 times from a 9 KB file: 12.5 million, past the 10 million."""
    entries = "".join(f"@misc{{k{i}, title = f}}\n" for i in range(400))
    assert problems_of(parse_bibtex, abbreviations("abcdef") + entries) == [
        "Line 325: in entry 'k318', the field 'title': the file's @string abbreviations expand "
        "to more than 10,000,000 characters in all; reading stopped here"
    ]


def test_a_value_longer_than_any_column_is_refused():
    text = "@article{long, title = {" + "a" * 100_001 + "}, year = 2020}\n"
    assert problems_of(parse_bibtex, text) == [
        "Line 1: in entry 'long', the field 'title' is 100,001 characters long; at most 100,000 fit"
    ]


@pytest.mark.parametrize(
    ("parse", "text", "problem"),
    [
        (
            parse_bibtex,
            "@article{ok, title = {Fine}}\n@article{nul, title = {Living\x00wages}, year = 2020}\n",
            "Line 2: entry 'nul': the field 'title' cannot be stored: it contains a control "
            "character (code 0x00) at position 7; remove it",
        ),
        (
            parse_ris,
            "TY  - JOUR\nID  - ok\nTI  - Fine\nER  - \nTY  - JOUR\nID  - esc\n"
            "TI  - Living wages\nAB  - \x1b[2J cleared\nER  - \n",
            "Line 5: reference 'esc': the field 'abstract' cannot be stored: it contains a "
            "control character (code 0x1b) at position 1; remove it",
        ),
        (
            parse_csljson,
            json.dumps(
                [
                    {"id": "ok", "type": "book", "title": "Fine"},
                    {"id": "nul", "type": "book", "title": "T", "author": [{"family": "A\x00"}]},
                ]
            ),
            "Entry 2 ('nul'): the field 'author[0].family' cannot be stored: it contains a "
            "control character (code 0x00) at position 2; remove it",
        ),
        (
            parse_csljson,
            json.dumps([{"id": "long", "type": "book", "title": "T", "abstract": "a" * 100_001}]),
            "Entry 1 ('long'): the field 'abstract' cannot be stored: it is 100,001 characters "
            "long; at most 100,000 fit",
        ),
        (
            parse_csljson,
            json.dumps(
                [
                    {
                        "id": "crowd",
                        "type": "report",
                        "title": "T",
                        "author": [{"family": f"Author{i:05d}"} for i in range(10_000)],
                    }
                ]
            ),
            "Entry 1 ('crowd'): its names, listed together, are 129,998 characters long; at most "
            "100,000 fit",
        ),
    ],
    ids=["bibtex-nul", "ris-escape", "csljson-nul", "csljson-long", "csljson-names"],
)
def test_entries_the_database_cannot_hold_are_refused_by_entry_and_field(parse, text, problem):
    assert problems_of(parse, text) == [problem]


def test_a_deeply_nested_csljson_record_is_refused():
    record: dict = {"id": "deep", "type": "book", "title": "T"}
    inner = record
    for _ in range(50):
        inner["note"] = {}
        inner = inner["note"]
    fine = {"id": "fine", "type": "book", "title": "T", "issued": {"date-parts": [[2020, 5, 1]]}}
    assert problems_of(parse_csljson, json.dumps([fine, record])) == [
        "Entry 2 ('deep'): the field 'note' nests more than 8 levels deep; a CSL-JSON record "
        "needs at most 4"
    ]
    # Nested past what the JSON reader itself can follow: refused as unreadable.
    with pytest.raises(ImportFailed, match="is not JSON that can be read"):
        parse_csljson("[" * 100_000 + "]" * 100_000, "deep.json")


# --------------------------------------------------------------------------- into the database


def test_a_nul_in_a_title_refuses_the_whole_import(session, world):
    """PostgreSQL cannot store NUL at all; SQLite would, and its backups would not restore."""
    text = (
        "@article{fine2020, title = {Fine}, year = 2020}\n"
        "@article{nul2021, title = {Living\x00wages}, year = 2021}\n"
    )
    with pytest.raises(ImportFailed) as caught:
        sources.import_sources(
            session=session,
            actor=world.la,
            report=world.report,
            filename="refs.bib",
            content=text.encode(),
        )
    assert caught.value.summary.startswith("refs.bib could not be imported (1 problem)")
    assert caught.value.problems == [
        "Line 2: entry 'nul2021': the field 'title' cannot be stored: it contains a control "
        "character (code 0x00) at position 7; remove it"
    ]
    assert session.exec(select(func.count()).select_from(Source)).one() == 0
