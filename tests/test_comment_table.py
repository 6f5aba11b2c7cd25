"""The comment table: reading CSV and XLSX, row problems, writing, formula neutralising."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, select

from tests.factories import World, row_counts
from tests.test_limits import run_capped, zip_bomb, zip_members
from workbench import i18n, reviews
from workbench.comment_table import (
    COLUMNS,
    FORMULA_STARTS,
    MAX_TABLE_BYTES,
    CommentRow,
    neutralise,
    read_table,
    restore,
    write_csv,
    write_xlsx,
)
from workbench.errors import ImportFailed
from workbench.models import ReviewComment, ReviewRound, Stage

HEADER = ",".join(COLUMNS)


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    text = "\r\n".join(lines) + "\r\n"
    return text.encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems_of(filename: str, content: bytes) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        read_table(filename, content)
    return [str(p) for p in caught.value.problems]


# --------------------------------------------------------------------------- reading CSV


def test_reads_a_csv_table_with_bom_and_labels() -> None:
    content = csv_bytes(
        HEADER,
        '7,1.1,2,3,Ana Silva,Brazil,Editorial,"Typo, line 2",Fix it,Done,Taken into account',
        ",2.1,1,1,Bo Chen,,substantive,Unclear claim,,,",
        bom=True,
    )
    rows = read_table("comments.csv", content)
    assert rows == [
        CommentRow(
            number=7,
            section="1.1",
            from_line=2,
            to_line=3,
            reviewer="Ana Silva",
            affiliation="Brazil",
            kind="editorial",
            comment="Typo, line 2",
            suggested_change="Fix it",
            response="Done",
            disposition="taken_into_account",
        ),
        CommentRow(
            number=None,
            section="2.1",
            from_line=1,
            to_line=1,
            reviewer="Bo Chen",
            kind="substantive",
            comment="Unclear claim",
        ),
    ]
    assert [r.row for r in rows] == [2, 3]


def test_reads_semicolon_csv_with_loose_headers_and_extra_columns() -> None:
    content = csv_bytes(
        " section ;FROM LINE;To Line ; reviewer;comment;Page;disposition",
        "1.1;1;2;Ana;Needs a source;12;TAKEN_INTO_ACCOUNT",
    )
    (row,) = read_table("c.csv", content)
    assert (row.section, row.from_line, row.to_line, row.reviewer, row.comment) == (
        "1.1",
        1,
        2,
        "Ana",
        "Needs a source",
    )
    assert row.disposition == "taken_into_account"
    assert row.kind == "substantive"


def test_missing_required_column_is_named() -> None:
    content = csv_bytes("No,Section,From line,Reviewer,Comment", "1,1.1,1,Ana,x")
    with pytest.raises(ImportFailed) as caught:
        read_table("comments.csv", content)
    assert "'To line'" in caught.value.message
    assert "Row 1 of comments.csv" in caught.value.message


def test_row_problems_name_the_spreadsheet_row() -> None:
    content = csv_bytes(
        HEADER,
        ",1.1,1,2,Ana,,,fine,,,",
        ",1.1,abc,2,Ana,,,bad from,,,",  # row 3
        ",1.1,7,3,Ana,,,backwards,,,",  # row 4
        ",1.1,1,1,Ana,,,   ,,,",  # row 5
        ",1.1,1,1,Ana,,major,unknown kind,,,",  # row 6
        ",1.1,1,1,Ana,,,unknown disposition,,,maybe",  # row 7
        ",,1,1,,,,no section no reviewer,,,",  # row 8
    )
    problems = problems_of("comments.csv", content)
    assert "Row 3 of comments.csv: 'From line' is 'abc', not a whole number" in problems
    assert "Row 4 of comments.csv: 'To line' (3) is before 'From line' (7)" in problems
    assert "Row 5 of comments.csv: the comment is empty" in problems
    assert any(p.startswith("Row 6 of comments.csv: 'Kind' is 'major'") for p in problems)
    assert any(
        p.startswith("Row 7 of comments.csv: 'Disposition' is 'maybe'") and "Noted" in p
        for p in problems
    )
    assert "Row 8 of comments.csv: the section is empty" in problems
    assert "Row 8 of comments.csv: the reviewer is empty" in problems
    assert not any(p.startswith("Row 2 ") for p in problems)


def test_rows_count_records_not_physical_lines_and_skip_blank_rows() -> None:
    content = csv_bytes(
        HEADER,
        ',1.1,1,2,Ana,,,"two\nlines",,,',
        ",,,,,,,,,,",
        ",1.1,x,2,Ana,,,bad,,,",  # row 4 as a spreadsheet shows it
        ",,,,,,,,,,",
        "",
    )
    assert problems_of("c.csv", content) == [
        "Row 4 of c.csv: 'From line' is 'x', not a whole number"
    ]


def test_a_line_number_cell_holding_two_numbers_on_two_lines_is_refused() -> None:
    # The import checks a column of numbers at once by joining its cells with line
    # breaks; a cell with a line break of its own must not pass as two good numbers.
    content = csv_bytes(HEADER, ",1.1,1,2,Ana,,,fine,,,", ',1.1,"3\n4",5,Ana,,,two lines,,,')
    assert problems_of("c.csv", content) == [
        "Row 3 of c.csv: 'From line' is '3\n4', not a whole number"
    ]


def test_a_neutralised_formula_is_restored_in_any_row() -> None:
    rows = read_table(
        "c.csv",
        csv_bytes(HEADER, ",1.1,1,2,Ana,,,plain,,,", ",1.1,1,2,Ana,,,'=SUM(A1),,,"),
    )
    assert [r.comment for r in rows] == ["plain", "=SUM(A1)"]


def test_zero_and_whole_float_line_numbers() -> None:
    content = csv_bytes(HEADER, "0,1.1,0,2.0,Ana,,,x,,,")
    problems = problems_of("c.csv", content)
    assert "Row 2 of c.csv: 'No' is 0; numbering starts at 1" in problems
    assert "Row 2 of c.csv: 'From line' is 0; numbering starts at 1" in problems
    problems = problems_of("c.csv", csv_bytes(HEADER, "99999999999,1.1,1,2,Ana,,,x,,,"))
    assert problems == ["Row 2 of c.csv: 'No' is 99999999999, larger than any table needs"]


def test_undecodable_csv_is_refused_clearly() -> None:
    content = HEADER.encode() + b"\r\n,1.1,1,1,Jos\xe9,,,x,,,\r\n"
    with pytest.raises(ImportFailed, match="not UTF-8"):
        read_table("comments.csv", content)


def test_empty_file_and_unknown_extension_are_refused() -> None:
    with pytest.raises(ImportFailed, match="empty"):
        read_table("c.csv", b"")
    with pytest.raises(ImportFailed, match=r"\.csv or \.xlsx"):
        read_table("comments.xls", b"whatever")
    with pytest.raises(ImportFailed, match=r"\.csv or \.xlsx"):
        read_table("comments", b"whatever")


def test_size_limit_is_stated() -> None:
    with pytest.raises(ImportFailed, match="at most 50 MiB"):
        read_table("big.csv", b"x" * (MAX_TABLE_BYTES + 1))


# --------------------------------------------------------------------------- reading XLSX


def test_reads_xlsx_first_sheet_with_numbers_and_blank_rows() -> None:
    content = xlsx_bytes(
        [
            ["Comment No", " SECTION ", "From Line", "to line", "Reviewer", "Comment", "Extra"],
            [3, 1.1, 4.0, 5, "Ana", "Cite the ILO data", "ignored"],
            [None, "2.1", 1, 1, "Bo", "Fine", None],
            [],
            [None, None, None, None, None, None, None],
        ]
    )
    rows = read_table("upload/comments.xlsx", content)
    assert [(r.number, r.section, r.from_line, r.to_line, r.comment) for r in rows] == [
        (3, "1.1", 4, 5, "Cite the ILO data"),
        (None, "2.1", 1, 1, "Fine"),
    ]


def test_xlsx_row_problem_names_file_and_row() -> None:
    content = xlsx_bytes(
        [COLUMNS] + [[None, "1.1", 1, 1, "Ana", "", "", "ok"]] * 12 + [[None, "1.1", "abc", 1, "A"]]
    )
    problems = problems_of("comments.xlsx", content)
    assert "Row 14 of comments.xlsx: 'From line' is 'abc', not a whole number" in problems
    assert "Row 14 of comments.xlsx: the comment is empty" in problems


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a zip file",
        b"PK\x03\x04 truncated",
        csv_bytes(HEADER, ",1.1,1,1,Ana,,,x,,,"),
    ],
    ids=["text", "truncated-zip", "csv-renamed"],
)
def test_malformed_xlsx_is_an_import_failure(content: bytes) -> None:
    with pytest.raises(ImportFailed, match=r"comments\.xlsx"):
        read_table("comments.xlsx", content)


def test_zip_that_is_not_a_workbook_is_an_import_failure() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(ImportFailed, match="cannot be opened as an Excel workbook"):
        read_table("comments.xlsx", buffer.getvalue())


# --------------------------------------------------------------------------- writing


def sample_rows() -> list[CommentRow]:
    return [
        CommentRow(
            number=1,
            section="1.1",
            from_line=1,
            to_line=2,
            reviewer="Ana",
            affiliation="Government of Chile",
            kind="general",
            comment='=HYPERLINK("http://evil")',
            suggested_change="+1 more",
            response="-",
            disposition="noted",
        ),
        CommentRow(number=2, section="2.1", from_line=3, to_line=3, reviewer="@bo", comment="ok"),
    ]


def test_csv_export_neutralises_formulas_and_reads_back() -> None:
    content = write_csv(sample_rows())
    assert content.startswith(b"\xef\xbb\xbf")
    cells = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert cells[0] == COLUMNS
    assert cells[1][7] == '\'=HYPERLINK("http://evil")'
    assert cells[1][8] == "'+1 more"
    assert cells[1][9] == "'-"
    assert cells[1][10] == "Noted"
    assert cells[2][4] == "'@bo"
    assert read_table("x.csv", content) == sample_rows()


def test_xlsx_export_is_formatted_and_neutralised() -> None:
    content = write_xlsx(sample_rows())
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [c.value for c in sheet[1]] == COLUMNS
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["H"].width >= 40
    assert sheet["H2"].alignment.wrap_text
    assert sheet["H2"].value == '\'=HYPERLINK("http://evil")'
    assert sheet["H2"].data_type == "s"
    assert sheet["A2"].value == 1
    assert read_table("x.xlsx", content) == sample_rows()


def test_error_code_text_stays_text_in_xlsx() -> None:
    row = CommentRow(number=1, section="1.1", from_line=1, to_line=1, reviewer="A", comment="#N/A")
    sheet = load_workbook(io.BytesIO(write_xlsx([row]))).worksheets[0]
    assert sheet["H2"].data_type == "s"
    assert read_table("x.xlsx", write_xlsx([row]))[0].comment == "#N/A"


# --------------------------------------------------------------------------- properties


@given(st.text())
def test_neutralise_round_trips_and_never_starts_with_a_formula(text: str) -> None:
    assert restore(neutralise(text)) == text
    assert not neutralise(text).startswith(FORMULA_STARTS)


# Control characters other than tab, newline and carriage return are refused on import
# (workbench.limits), and XLSX (XML 1.0) cannot hold most of them anyway; everything else
# is fair game.
ANY_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters=[c for c in map(chr, [*range(32), 127]) if c not in "\t\n\r"],
    ),
    max_size=60,
)
XML_TEXT = ANY_TEXT
# Starts that a spreadsheet would run as a formula, or that look like an added apostrophe.
TRICKY_STARTS = ["=", "+", "-", "@", "\t", "\r", "'=", "''+", "'", "' -"]


def rows_strategy(text: st.SearchStrategy[str]) -> st.SearchStrategy[list[CommentRow]]:
    tricky = st.sampled_from(TRICKY_STARTS).flatmap(lambda start: text.map(lambda r: start + r))
    mixed = st.one_of(text, tricky)

    def filled(s: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return s.filter(lambda v: v.strip() != "")

    line = st.integers(min_value=1, max_value=10_000)
    row = st.builds(
        lambda number, section, a, b, reviewer, affiliation, kind, comment, sugg, resp, disp: (
            CommentRow(
                number=number,
                section=section,
                from_line=min(a, b),
                to_line=max(a, b),
                reviewer=reviewer,
                affiliation=affiliation,
                kind=kind,
                comment=comment,
                suggested_change=sugg,
                response=resp,
                disposition=disp,
            )
        ),
        st.none() | st.integers(min_value=1, max_value=10**9),
        filled(mixed).map(str.strip).filter(bool),
        line,
        line,
        filled(mixed).filter(lambda v: len(v.strip()) <= 200),
        mixed,
        st.sampled_from(["general", "substantive", "editorial"]),
        filled(mixed),
        mixed,
        mixed,
        st.sampled_from(["", "accepted", "taken_into_account", "noted", "rejected"]),
    )
    return st.lists(row, min_size=1, max_size=5)


def exported_text_cells_csv(content: bytes) -> list[str]:
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    return [cell for row in table for cell in row]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy(ANY_TEXT))
def test_any_text_round_trips_through_csv(rows: list[CommentRow]) -> None:
    content = write_csv(rows)
    assert read_table("t.csv", content) == rows
    for cell in exported_text_cells_csv(content):
        assert not cell.startswith(FORMULA_STARTS), cell


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy(XML_TEXT))
def test_any_text_round_trips_through_xlsx(rows: list[CommentRow]) -> None:
    content = write_xlsx(rows)
    assert read_table("t.xlsx", content) == rows
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_STARTS), cell.value
                assert cell.data_type == "s"


# --------------------------------------------------------------------------- hostile tables


def with_dimension(content: bytes, ref: str) -> bytes:
    """Return an XLSX whose first sheet declares ``<dimension ref="…"/>`` whatever it holds."""
    members = zip_members(content)
    sheet = members["xl/worksheets/sheet1.xml"]
    assert b"<dimension " in sheet
    members["xl/worksheets/sheet1.xml"] = re.sub(
        rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), sheet
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def five_comments_declared_as_one() -> bytes:
    rows = [[None, "1.1", 1 + i, 1 + i, f"Reviewer {i}", "", "", f"Comment {i}."] for i in range(5)]
    content = with_dimension(xlsx_bytes([COLUMNS, *rows]), "A1:K2")
    assert load_workbook(io.BytesIO(content), read_only=True).worksheets[0].max_row == 2
    return content


def test_every_row_is_read_whatever_size_the_sheet_declares() -> None:
    rows = read_table("comments.xlsx", five_comments_declared_as_one())
    assert [r.comment for r in rows] == [f"Comment {i}." for i in range(5)]


def test_a_sheet_whose_rows_run_past_a_spreadsheet_is_refused() -> None:
    members = zip_members(xlsx_bytes([COLUMNS, [None, "1.1", 1, 1, "Ana", "", "", "x"]]))
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    # The last row claims to be row 999,999,999; every row before it would be an empty row.
    members["xl/worksheets/sheet1.xml"] = re.sub(
        r'<row r="2"(.*?)</row>',
        lambda m: m.group(0).replace('r="2"', 'r="999999999"').replace('2"', '999999999"'),
        sheet,
        flags=re.S,
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ImportFailed, match=r"^big.xlsx has more than 1,048,576 rows"):
        read_table("big.xlsx", with_dimension(buffer.getvalue(), "A1:K2"))


READ_TABLE = """
import sys
from pathlib import Path
from workbench.comment_table import read_table
from workbench.errors import ImportFailed
try:
    rows = read_table("comments.xlsx", Path(sys.argv[1]).read_bytes())
except ImportFailed as exc:
    print(exc.message)
else:
    print("imported", len(rows))
"""


def test_a_zip_bomb_table_is_refused_in_bounded_memory(tmp_path) -> None:
    """A 300 KB table whose picture part says 1,000 bytes and inflates to 288 MiB."""
    table = xlsx_bytes([COLUMNS, [None, "1.1", 1, 1, "Ana", "", "", "Fine"]])
    path = tmp_path / "comments.xlsx"
    path.write_bytes(zip_bomb(zip_members(table), pad="xl/media/image1.png"))
    result = run_capped(READ_TABLE, str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "comments.xlsx inflates to more than 256 MiB (reached while unpacking "
        "'xl/media/image1.png'); the file is refused."
    )


def test_control_characters_and_overlong_texts_are_refused_by_row_and_column() -> None:
    content = csv_bytes(
        HEADER,
        ",1.1,1,1,Ana,,,fine,,,",
        ',1.1,1,1,Ana,,,"a NUL\x00 here",,,',  # row 3
        ",1.1,1,1," + "N" * 201 + ",,,long name,,,",  # row 4
        ",1.1,1,1,Ana," + "A" * 301 + ",,long affiliation,,,",  # row 5
        ",1.1,1,1,Ana,,," + "c" * 100_001 + ",,,",  # row 6
        ",1.1,1,1,Ana,,,fine,\x1b[31mred,,",  # row 7
    )
    assert problems_of("comments.csv", content) == [
        "Row 3 of comments.csv: 'Comment' cannot be stored: it contains a control character "
        "(code 0x00) at position 6; remove it",
        "Row 4 of comments.csv: 'Reviewer' cannot be stored: it is 201 characters long; "
        "at most 200 fit",
        "Row 5 of comments.csv: 'Affiliation/Government' cannot be stored: it is 301 characters "
        "long; at most 300 fit",
        "Row 6 of comments.csv: 'Comment' cannot be stored: it is 100,001 characters long; "
        "at most 100,000 fit",
        "Row 7 of comments.csv: 'Suggested change' cannot be stored: it contains a control "
        "character (code 0x1b) at position 1; remove it",
    ]


# --------------------------------------------------------------------------- into the database


def open_round(session: Session, world: World) -> ReviewRound:
    world.report.stage = Stage.first_order_draft
    session.add(world.report)
    session.commit()
    return reviews.open_round(
        session=session,
        actor=world.cla,
        report=world.report,
        name="FOD",
        opens_on=date.today() - timedelta(days=1),
        closes_on=date.today() + timedelta(days=30),
    )


def import_table(
    session: Session, world: World, review_round: ReviewRound, name: str, content: bytes
) -> int:
    return reviews.import_comments(
        session=session,
        actor=world.cla,
        report=world.report,
        round=review_round,
        filename=name,
        content=content,
    )


def test_a_sheet_declaring_fewer_rows_imports_all_of_them(session: Session, world: World) -> None:
    review_round = open_round(session, world)
    content = five_comments_declared_as_one()
    assert import_table(session, world, review_round, "comments.xlsx", content) == 5
    stored = session.exec(select(ReviewComment.comment).order_by(ReviewComment.number)).all()
    assert stored == [f"Comment {i}." for i in range(5)]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            ',1.1,1,1,Ana,,,"NUL\x00",,,',
            "'Comment' cannot be stored: it contains a control character (code 0x00) at "
            "position 4; remove it",
        ),
        (
            ",1.1,1,1," + "N" * 1000 + ",,,A long name,,,",
            "'Reviewer' cannot be stored: it is 1,000 characters long; at most 200 fit",
        ),
    ],
    ids=["nul", "long-reviewer"],
)
def test_a_row_the_database_cannot_hold_refuses_the_table(
    session: Session, world: World, row: str, problem: str
) -> None:
    review_round = open_round(session, world)
    before = row_counts(session)
    content = csv_bytes(HEADER, ",2.1,1,1,Bo,,,Fine,,,", row)
    with pytest.raises(ImportFailed) as caught:
        import_table(session, world, review_round, "comments.csv", content)
    assert caught.value.problems == [f"Row 3 of comments.csv: {problem}"]
    assert row_counts(session) == before


def test_problems_read_in_the_readers_language_and_the_file_keeps_its_english_words() -> None:
    table = (
        b"Section,From line,To line,Reviewer,Comment,Kind\n2.1,3,2,Ana,Hello,weird\n2.1,4,4,,,\n"
    )
    with pytest.raises(ImportFailed) as caught:
        read_table("comments.csv", table)
    problems = caught.value.problems
    assert caught.value.message.startswith("comments.csv has 4 problems; nothing was imported.")
    assert str(problems[0]) == "Row 2 of comments.csv: 'To line' (2) is before 'From line' (3)"
    with i18n.language("fr"):
        assert (
            caught.value.summary == "comments.csv présente 4 problèmes\u00a0; rien n'a été importé."
        )
        assert str(problems[0]) == (
            "Ligne 2 de comments.csv\u00a0: la ligne de fin (2) précède la ligne de début (3)"
        )
        # The values a comment table may hold are the file's own, in English.
        assert str(problems[1]).endswith(
            "utilisez l'un de ceux-ci\u00a0: General, Substantive, Editorial"
        )
        assert str(problems[3]) == "Ligne 3 de comments.csv\u00a0: le commentaire est vide"
    with i18n.language("es"):
        assert str(problems[2]) == "Fila 3 de comments.csv: el revisor está vacío"
