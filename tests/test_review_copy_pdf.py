"""The review copy as a reviewer receives it: the demo's PDF, read back with pdftotext.

The demo's living-wages report is under its SOD review. Its PDF is printed once
for this module (LibreOffice); the checks read what a reviewer sees on the
pages: the marking and page count on every page, page numbers in the contents,
line numbers in the left margin beside the findings, the registers'
rows and the recommendations, and, for each SOD comment, the line it cites
printed with that very number.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.test_export import needs_office
from workbench import export, parts, people, reports, reviews, sections
from workbench.db import make_engine
from workbench.models import ReviewComment, Section

pytestmark = needs_office

MARKING = "Do Not Cite, Quote or Distribute"
# The running header and the footer stand outside these heights (points from the top).
BODY_TOP, BODY_BOTTOM = 60.0, 780.0
PART_HEADINGS = {
    "Key findings": "KF",
    "Consensus and disagreement": "CR",
    "Register of false solutions": "FS",
    "Recommendations": "REC",
    "References": "",
    "Annex: initiatives": "IN",
    "Annex: review summary": "",
}


@dataclass(frozen=True)
class Word:
    page: int
    x_min: float
    y_min: float
    x_max: float
    y_max: float
    text: str


@dataclass
class Demo:
    pdf: Path
    frozen_parts: dict[str, parts.PartText]
    frozen_sections: dict[str, list[str]]  # section code → its frozen lines
    section_titles: dict[str, str]
    comments: list[tuple[str, str, int]]  # (section or item code, part or section, line)


@pytest.fixture(scope="module")
def demo_pdf(demo_template, tmp_path_factory) -> Demo:
    engine = make_engine(f"sqlite:///{demo_template}")
    with Session(engine, expire_on_commit=False) as s:
        report = reports.get_report(s, "living-wages")
        out = export.export_report(
            session=s,
            actor=people.get_by_email(s, "secretariat@demo.ipsp.example"),
            report=report,
            fmt="pdf",
        )
        sod = reviews.get_round(s, report_id=report.id, name="SOD")
        frozen_parts = {p.code: p for p in parts.frozen(s, sod.id)}
        ordered = sections.list_sections(s, report.id)
        texts = reviews.frozen_texts(s, round_id=sod.id)
        frozen_sections = {x.code: sections.lines_of(texts[x.id]) for x in ordered}
        titles = {x.code: x.title for x in ordered}
        targets = parts.targets(s, sod.id)
        comments = []
        rows = s.exec(
            select(ReviewComment, Section.code)
            .join(Section, Section.id == ReviewComment.section_id, isouter=True)
            .where(ReviewComment.round_id == sod.id)
        ).all()
        for comment, code in rows:
            if code:
                comments.append((code, code, comment.from_line))
            else:
                target = parts.resolve(targets, comment.part)
                comments.append((target.code, target.part, comment.from_line))
    engine.dispose()
    path = tmp_path_factory.mktemp("review-pdf") / "review.pdf"
    path.write_bytes(out.content)
    return Demo(path, frozen_parts, frozen_sections, titles, comments)


@pytest.fixture(scope="module")
def pages(demo_pdf) -> list[str]:
    """Return each page's text as pdftotext -layout prints it."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(demo_pdf.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def words(demo_pdf) -> list[Word]:
    """Return every word printed in the body of the pages, with its box, in reading order."""
    html = subprocess.run(
        ["pdftotext", "-bbox-layout", str(demo_pdf.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = []
    for page, chunk in enumerate(html.split("<page ")[1:], start=1):
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<',
            chunk,
        ):
            word = Word(page, float(x0), float(y0), float(x1), float(y1), _unescape(text))
            if BODY_TOP < word.y_min < BODY_BOTTOM:
                found.append(word)
    return found


def _unescape(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


@dataclass
class Printed:
    """A numbered line as printed: its number, where it stands, and the text beside it."""

    where: str  # the section's code or the part's
    number: int
    x_max: float  # the number's right edge
    text: str  # the words beside the number, on the same printed line, left to right


def body_left(words: list[Word]) -> float:
    """Return the text block's left edge: where most printed lines begin."""
    starts: dict[tuple[int, int], float] = {}
    for word in words:
        key = (word.page, round(word.y_max))
        starts[key] = min(starts.get(key, word.x_min), word.x_min)
    return Counter(round(x) for x in starts.values()).most_common(1)[0][0]


@pytest.fixture(scope="module")
def numbered(words, demo_pdf) -> dict[str, dict[int, Printed]]:
    """Return section or part code → line number → the printed line, as a reader finds them."""
    left = body_left(words) - 1
    # The body begins after the contents' last entry (a dotted leader, then its page).
    leaders = [w for w in words if "....." in w.text]
    end = max((w.page, w.y_max) for w in leaders)
    body = [w for w in words if (w.page, w.y_min) > end]
    by_page: dict[int, list[Word]] = {}
    for word in body:
        by_page.setdefault(word.page, []).append(word)
    headings = {
        **PART_HEADINGS,
        **{f"{code} {title}": code for code, title in demo_pdf.section_titles.items()},
    }
    found: dict[str, dict[int, Printed]] = {}
    where = ""
    for page in sorted(by_page):
        lines: dict[int, list[Word]] = {}
        for word in by_page[page]:
            lines.setdefault(round(word.y_max), []).append(word)
        for y in sorted(lines):
            text = " ".join(w.text for w in sorted(lines[y], key=lambda w: w.x_min))
            for title, code in headings.items():
                if text == title or (len(text) > 24 and title.startswith(text)):
                    where = code
            margin = [w for w in lines[y] if w.x_max < left and w.text.isdigit()]
            if not margin or not where:
                continue
            number = margin[0]
            # Beside it: the words of the text block on its line (a smaller figure, so its
            # baseline is within a few points of the text's, as in a table's first row).
            beside = sorted(
                (w for w in by_page[page] if w.x_min >= left and abs(w.y_max - number.y_max) <= 5),
                key=lambda w: w.x_min,
            )
            found.setdefault(where, {})[int(number.text)] = Printed(
                where, int(number.text), number.x_max, " ".join(w.text for w in beside)
            )
    return found


def tokens(text: str) -> list[str]:
    """Return a line's words as a reader reads them: no Markdown marks, bullets or bars."""
    text = re.sub(r"\[@[^\]]*\]", " ", text)
    return re.findall(r"[\w’']+", text.replace("’", "'").lower())


def test_every_page_has_the_marking_and_the_total_pages(pages):
    assert len(pages) > 20
    for number, page in enumerate(pages, start=1):
        assert MARKING in page, number
        assert f"Total pages: {len(pages)}" in page, number
        assert re.search(rf"Page {number}\b", page), number


def test_the_contents_lines_end_with_page_numbers(pages):
    entries = [
        (match.group(1), int(match.group(2)))
        for page in pages[:4]
        for match in re.finditer(r"^\s*(\S.*?)\s*\.{4,}\s*(\d+)\s*$", page, re.MULTILINE)
    ]
    titles = [title for title, _ in entries]
    for expected in ("1.1 Defining and measuring living wages", "Key findings", "Recommendations"):
        assert expected in titles
    assert "Annex: initiatives" in titles and "References" in titles
    numbers = [number for _, number in entries]
    assert numbers == sorted(numbers) and numbers[0] >= 2 and numbers[-1] <= len(pages)


def test_line_numbers_stand_left_of_the_text_in_every_section_and_part(numbered, words):
    left = body_left(words)
    for code in ("0.1", "1.1", "2.1", "4.4", "KF", "CR", "FS", "REC", "IN"):
        assert code in numbered, code
        assert all(line.x_max < left for line in numbered[code].values()), code
        assert 1 in numbered[code], code  # every section and part counts from 1


def test_findings_register_rows_and_recommendations_carry_their_frozen_numbers(numbered, demo_pdf):
    for code in ("KF", "CR", "FS", "REC"):
        part = demo_pdf.frozen_parts[code]
        assert part.items, code
        for item, where in part.items.items():
            first = where["lines"][0]
            printed = numbered[code].get(first)
            assert printed is not None, (code, item, first)
            # The row or the recommendation printed beside that number is the item's.
            start = printed.text.split()[0]
            assert start in (item, f"{item}."), (code, item, printed.text)


def test_the_number_a_comment_cites_is_the_number_printed_on_its_line(numbered, demo_pdf):
    assert {("F6", "KF", 10), ("CR8", "CR", 12), ("R4", "REC", 27)} <= set(demo_pdf.comments)
    checked = 0
    for code, where, line in demo_pdf.comments:
        printed = numbered[where].get(line)
        assert printed is not None, (code, where, line)
        if code != where:  # an item: its row or its recommendation
            assert printed.text.split()[0] in (code, f"{code}."), (code, printed.text)
        else:  # a section's line: its first words, as the frozen text has them
            frozen = demo_pdf.frozen_sections[where][line - 1]
            expected = tokens(frozen)[:3]
            assert tokens(printed.text)[:3] == expected, (where, line, frozen, printed.text)
        checked += 1
    assert checked == len(demo_pdf.comments) > 10
