"""Citations rendered for reading: author–date, a reference list, unknown keys marked."""

from __future__ import annotations

import pytest

from workbench.rendering import insert_citation, render_citations

RECORDS = [
    {
        "id": "smith2020",
        "type": "article-journal",
        "title": "Wages and need",
        "author": [{"family": "Smith", "given": "Ann"}],
        "issued": {"date-parts": [[2020]]},
        "container-title": "Journal of Work",
    },
    {"id": "uncited2019", "type": "book", "title": "Not cited here"},
]


def test_citations_read_as_the_export_prints_them():
    rendered = render_citations("Wages matter [@smith2020, p. 4]. As @smith2020 shows.", RECORDS)
    assert "[@" not in rendered.body and "@smith2020" not in rendered.body
    assert "(Smith 2020, 4)" in rendered.body
    assert "Smith (2020) shows" in rendered.body
    assert rendered.references == ("Smith, Ann. 2020. “Wages and Need.” *Journal of Work*.",)
    assert rendered.unknown == ()


def test_an_unknown_key_is_marked_and_listed():
    rendered = render_citations("A claim [@nobody2021].", RECORDS)
    assert "**nobody2021?**" in rendered.body
    assert rendered.unknown == ("nobody2021",)


def test_raw_html_is_text_and_no_html_comes_out():
    rendered = render_citations("<script>alert(1)</script> [@smith2020]", RECORDS)
    assert "<script>" not in rendered.body
    assert "\\<script\\>" in rendered.body


def test_a_text_without_citations_is_returned_as_it_is():
    assert render_citations("Plain *text*.", RECORDS).body == "Plain *text*."
    assert render_citations("   ", RECORDS).body == ""


@pytest.mark.parametrize(
    ("text", "start", "end", "expected", "caret_after"),
    [
        ("Wages fell.", 10, 10, "Wages fell [@smith2020].", "Wages fell [@smith2020]"),
        ("Wages fell.", 0, 0, "[@smith2020] Wages fell.", "[@smith2020]"),
        ("", 0, 0, "[@smith2020]", "[@smith2020]"),
        ("A vague claim here.", 2, 7, "A [@smith2020] claim here.", "A [@smith2020]"),
        ("Wages fell [@jones2019].", 23, 23, "Wages fell [@jones2019; @smith2020].", None),
        ("Wages fell.", 99, 99, "Wages fell. [@smith2020]", "Wages fell. [@smith2020]"),
    ],
)
def test_a_citation_goes_where_the_cursor_is(text, start, end, expected, caret_after):
    new, caret = insert_citation(text, start, end, "smith2020")
    assert new == expected
    assert new[:caret] == (caret_after or "Wages fell [@jones2019; @smith2020]")
