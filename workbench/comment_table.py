"""The IPCC comment table: reading and writing review comments as CSV or XLSX.

Terms:

- The **comment table** is the spreadsheet reviewers, governments and the
  Secretariat exchange: one row per comment, with the columns in
  :data:`COLUMNS`. Row 1 is the header; a problem is reported with the row
  number a spreadsheet user sees.
- A **CommentRow** is one row as plain values: the section is its code
  (``"2.1"``), the kind and disposition are enum values (``"substantive"``,
  ``"taken_into_account"``) or ``""`` for no disposition.
- **Limits** (:mod:`workbench.limits`): a file of at most
  :data:`MAX_TABLE_BYTES`; an XLSX is a ZIP archive, checked by the bytes it
  really inflates to before openpyxl opens it; every row of the first sheet is
  read, whatever size the sheet declares, up to
  :data:`~workbench.limits.MAX_TABLE_ROWS` rows and the first
  :data:`~workbench.limits.MAX_TABLE_COLUMNS` columns. Every text cell must fit
  its column in the database and hold no control character other than tab and
  newline; a problem names the file, the row and the column.
- **Formula neutralising**: a cell whose text starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return would be run as a formula by a spreadsheet
  program. Such text is written with one leading apostrophe, which spreadsheet
  programs read as "this is text". Text that already starts with apostrophes
  followed by one of those characters gets one more, so reading strips exactly
  the one apostrophe that writing added and every text round-trips.

This module is pure: it knows files and rows, not the database. Checking that a
section exists or that lines exist in the frozen text is ``workbench.reviews``'s
job.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from workbench.errors import ImportFailed
from workbench.i18n import N_, Msg
from workbench.limits import (
    _CONTROL,
    MAX_TABLE_BYTES,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    check_zip,
    field_limit,
    text_problem,
)
from workbench.models import CommentKind, Disposition, ReviewComment
from workbench.phrasing import Count, Listed, Number

COLUMNS: list[str] = [
    "No",
    "Section",
    "From line",
    "To line",
    "Reviewer",
    "Affiliation/Government",
    "Kind",
    "Comment",
    "Suggested change",
    "Response",
    "Disposition",
]
REQUIRED_COLUMNS: list[str] = ["Section", "From line", "To line", "Reviewer", "Comment"]
# The database's own limits, named here for workbench.reviews's checks of a typed comment.
MAX_REVIEWER_CHARS = field_limit(ReviewComment, "reviewer_name")
MAX_AFFILIATION_CHARS = field_limit(ReviewComment, "affiliation")
# The largest number a database integer column holds everywhere.
MAX_NUMBER = 2**31 - 1
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Other spellings of a column heading that tables in the wild use.
_ALIASES: dict[str, str] = {
    "no.": "No",
    "number": "No",
    "comment no": "No",
    "comment no.": "No",
    "affiliation": "Affiliation/Government",
    "government": "Affiliation/Government",
    "from": "From line",
    "to": "To line",
    "type": "Kind",
}
_WIDTHS: dict[str, int] = {
    "No": 8,
    "Section": 10,
    "From line": 10,
    "To line": 10,
    "Reviewer": 24,
    "Affiliation/Government": 28,
    "Kind": 14,
    "Comment": 60,
    "Suggested change": 45,
    "Response": 60,
    "Disposition": 20,
}
_WRAPPED = frozenset({"Comment", "Suggested change", "Response"})
# XML 1.0 cannot hold these control characters, so an XLSX cannot either.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_WHOLE_NUMBER = re.compile(r"^\+?\d+(\.0*)?$")
# A column of whole numbers 1–999,999,999 without spaces, one per line (the fast path).
_ALL_WHOLE = re.compile(r"[1-9][0-9]{0,8}(?:\n[1-9][0-9]{0,8})*")


@dataclass
class CommentRow:
    """One row of the comment table; ``row`` is where it was read from (0 when built)."""

    number: int | None
    section: str
    from_line: int
    to_line: int
    reviewer: str
    affiliation: str = ""
    kind: str = CommentKind.substantive.value
    comment: str = ""
    suggested_change: str = ""
    response: str = ""
    disposition: str = ""
    row: int = field(default=0, compare=False)
    # When the reviewer wrote it, if the source says (a Word comment's date); else the import's.
    created_at: datetime | None = field(default=None, compare=False)


# --------------------------------------------------------------------------- neutralising


def neutralise(text: str) -> str:
    """Return text a spreadsheet program will show as text, never run as a formula."""
    if text.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + text
    return text


def restore(text: str) -> str:
    """Return the text :func:`neutralise` was given (strip the one apostrophe it added)."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


# --------------------------------------------------------------------------- labels


def _choices(enum_cls: type[CommentKind] | type[Disposition]) -> dict[str, str]:
    """Map every accepted spelling (value or label, any case) to the enum value."""
    lookup: dict[str, str] = {}
    for member in enum_cls:
        lookup[_key(member.value)] = member.value
        lookup[_key(member.label)] = member.value
    return lookup


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


_KINDS = _choices(CommentKind)
_DISPOSITIONS = _choices(Disposition)


def _label(enum_cls: type[CommentKind] | type[Disposition], value: str) -> str:
    return enum_cls(value).label if value else ""


# --------------------------------------------------------------------------- reading


def read_table(filename: str, content: bytes) -> list[CommentRow]:
    """Read a comment table from CSV or XLSX bytes, or raise ImportFailed listing every problem."""
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "the file"
    if len(content) > MAX_TABLE_BYTES:
        raise ImportFailed(
            "{file} is {size} MiB; a comment table may be at most {limit} MiB. "
            "Split it into several files.",
            file=name,
            size=Number(round(len(content) / 1024 / 1024, 1)),
            limit=MAX_TABLE_BYTES // 1024 // 1024,
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "csv":
        rows = _csv_rows(name, content)
    elif extension == "xlsx":
        rows = _xlsx_rows(name, content)
    else:
        raise ImportFailed(
            "{file} is not a comment table the workbench can read: use a .csv or .xlsx file.",
            file=name,
        )
    return _parse(name, rows)


def _csv_rows(name: str, content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            "{file} is not UTF-8 text (byte {byte} cannot be read). "
            "Save it as 'CSV UTF-8' and import it again.",
            file=name,
            byte=exc.start + 1,
        ) from None
    delimiter = _delimiter(text)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_TABLE_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _numbered_csv(name, reader)


def _numbered_csv(name: str, reader: Iterator[list[str]]) -> Iterator[tuple[int, list[Any]]]:
    number = 0
    while True:
        number += 1
        if number > MAX_TABLE_ROWS + 1:
            raise _too_many_rows(name)
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFailed(
                "Row {row} of {file} cannot be read as CSV: {problem}.",
                row=number,
                file=name,
                problem=str(exc),
            ) from None
        yield number, values


def _delimiter(text: str) -> str:
    """Guess the delimiter from the header line, where ',', ';' or tab separate the headings."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _xlsx_rows(name: str, content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise ImportFailed(
            "{file} is not an Excel workbook (.xlsx) — it may be damaged, or an older .xls "
            "or a CSV renamed. Open it in a spreadsheet program and save it as .xlsx.",
            file=name,
        )
    # What every part really inflates to, before openpyxl unpacks anything: the sizes an
    # XLSX declares for its parts can lie.
    check_zip(content, what=name)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise ImportFailed(
            "{file} cannot be opened as an Excel workbook ({problem}). "
            "Open it in a spreadsheet program and save it as .xlsx.",
            file=name,
            problem=f"{type(exc).__name__}: {exc}",
        ) from None
    return _numbered_xlsx(name, workbook)


def _numbered_xlsx(name: str, workbook: Any) -> Iterator[tuple[int, list[Any]]]:
    try:
        if not workbook.worksheets:
            raise ImportFailed("{file} has no worksheet.", file=name)
        sheet = workbook.worksheets[0]
        # The sheet's <dimension> is written by whatever made the file and can say A1:K2
        # over thousands of rows: forget it and read every row that is there.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(max_col=MAX_TABLE_COLUMNS, values_only=True)
        for number, values in enumerate(rows, start=1):
            if number > MAX_TABLE_ROWS + 1:
                raise _too_many_rows(name)
            if values.count(None) < len(values):  # empty rows are skipped anyway; quickly here
                yield number, list(values)
    except ImportFailed:
        raise
    except Exception as exc:
        raise ImportFailed(
            "{file} cannot be read as an Excel workbook ({problem}).",
            file=name,
            problem=f"{type(exc).__name__}: {exc}",
        ) from None
    finally:
        workbook.close()


def _too_many_rows(name: str) -> ImportFailed:
    return ImportFailed(
        "{file} has more than {limit} rows of comments (counting empty rows); "
        "split it into several files.",
        file=name,
        limit=Number(MAX_TABLE_ROWS),
    )


def _cell_text(value: Any) -> str:
    """Return a cell as text, the way the spreadsheet showed it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _header_index(name: str, number: int, values: list[Any]) -> dict[str, int]:
    index: dict[str, int] = {}
    canonical = {c.lower(): c for c in COLUMNS}
    for position, value in enumerate(values):
        heading = " ".join(_cell_text(value).split()).lower()
        column = canonical.get(heading) or _ALIASES.get(heading)
        if column and column not in index:
            index[column] = position
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        found = ", ".join(f"'{_cell_text(v).strip()}'" for v in values if _cell_text(v).strip())
        params = {
            "row": number,
            "file": name,
            "missing": Listed(f"'{m}'" for m in missing),
            "columns": ", ".join(COLUMNS),
        }
        if not found:
            message = Count(
                N_(
                    "Row {row} of {file} (the header) lacks the column {missing}. It has no "
                    "headings; the comment table's columns are {columns}."
                ),
                N_(
                    "Row {row} of {file} (the header) lacks the columns {missing}. It has no "
                    "headings; the comment table's columns are {columns}."
                ),
                len(missing),
                **params,
            )
            raise ImportFailed(message)
        message = Count(
            N_(
                "Row {row} of {file} (the header) lacks the column {missing}. It has "
                "{found}; the comment table's columns are {columns}."
            ),
            N_(
                "Row {row} of {file} (the header) lacks the columns {missing}. It has "
                "{found}; the comment table's columns are {columns}."
            ),
            len(missing),
            found=found,
            **params,
        )
        raise ImportFailed(message)
    return index


def _blank(values: list[Any]) -> bool:
    try:
        return not "".join(values).strip()  # a CSV row: all text
    except TypeError:
        return all(_cell_text(v).strip() == "" for v in values)


def _parse(name: str, rows: Iterable[tuple[int, list[Any]]]) -> list[CommentRow]:
    index: dict[str, int] | None = None
    body: list[tuple[int, list[Any]]] = []
    for number, values in rows:
        if _blank(values):
            continue
        if index is None:
            index = _header_index(name, number, values)
            continue
        body.append((number, values))
    if index is None:
        raise ImportFailed(
            "{file} is empty: a comment table needs a header row with the columns {columns}.",
            file=name,
            columns=", ".join(COLUMNS),
        )
    parsed, problems = _parse_body(name, body, index)
    if problems:
        message = Count(
            N_("{file} has {count} problem; nothing was imported."),
            N_("{file} has {count} problems; nothing was imported."),
            len(problems),
            file=name,
        )
        raise ImportFailed(message, problems)
    return parsed


def _parse_body(
    name: str, body: list[tuple[int, list[Any]]], index: dict[str, int]
) -> tuple[list[CommentRow], list[str | Msg]]:
    """Parse the data rows column by column; a row any check doubts goes to :func:`_parse_row`.

    Why two paths: checking 100,000 rows cell by cell through :func:`_parse_row`
    took most of an import's time. Here each column is taken whole and the
    checks run over it at once (one regular-expression search over a whole
    column for control characters, the longest text against the column's
    limit, the few distinct kinds and dispositions looked up once). The checks
    are conservative: a row they cannot pass for certain is parsed by
    :func:`_parse_row`, which finds its problems and words them, so every
    message is exactly the one a row-by-row parse gives, in the same order.
    """
    count = len(body)
    # The table turned into columns once (zip in C), each column converted once.
    width = max(index.values(), default=-1) + 1
    padded = [v if len(v) >= width else [*v, *[""] * (width - len(v))] for _n, v in body]
    matrix = list(zip(*padded, strict=False)) if padded else []
    converted: dict[int, list[str]] = {}

    def column(heading: str) -> list[str]:
        position = index.get(heading)
        if position is None:
            return [""] * count
        if position in converted:
            return converted[position]
        raw = matrix[position] if matrix else ()
        if set(map(type, raw)) <= {str}:
            out = list(raw)
        else:  # cells of a spreadsheet: numbers, dates…
            out = [v if type(v) is str else _cell_text(v) for v in raw]
        # A cell starting with an apostrophe may be a neutralised formula: one search
        # over the whole column finds whether any does.
        if "\n'" in "\n" + "\n".join(out):
            out = [restore(v) if v.startswith("'") else v for v in out]
        converted[position] = out
        return out

    ok = [True] * count

    def doubt(rows: Iterable[int]) -> None:
        for i in rows:
            ok[i] = False

    def whole(heading: str, *, required: bool) -> list[int | None]:
        values = column(heading)
        joined = "\n".join(values)
        # Every cell a plain whole number (the usual case): converted at once.
        if values and joined.count("\n") == count - 1 and _ALL_WHOLE.fullmatch(joined):
            return list(map(int, values))
        numbers: list[int | None] = []
        for i, raw in enumerate(values):
            raw = raw.strip()
            if raw.isascii() and raw.isdigit() and 0 < len(raw) < 10 and raw[0] != "0":
                numbers.append(int(raw))
            else:
                numbers.append(None)
                if raw or required:
                    ok[i] = False
        return numbers

    def choice(heading: str, lookup: dict[str, str], default: str) -> list[str | None]:
        known: dict[str, str | None] = {}
        out: list[str | None] = []
        for i, raw in enumerate(column(heading)):
            if raw not in known:
                stripped = raw.strip()
                known[raw] = lookup.get(_key(stripped)) if stripped else default
            value = known[raw]
            if value is None:
                ok[i] = False
            out.append(value)
        return out

    numbers = whole("No", required=False)
    from_lines = whole("From line", required=True)
    to_lines = whole("To line", required=True)
    doubt(
        i
        for i, (first, last) in enumerate(zip(from_lines, to_lines, strict=True))
        if first is not None and last is not None and last < first
    )
    sections = [code.strip() for code in column("Section")]
    doubt(i for i, code in enumerate(sections) if not code)
    kinds = choice("Kind", _KINDS, CommentKind.substantive.value)
    dispositions = choice("Disposition", _DISPOSITIONS, "")
    texts: dict[str, list[str]] = {}
    for heading, (model, field_name) in _TEXT_COLUMNS.items():
        values = texts[heading] = column(heading)
        if heading not in index:
            continue
        limit = field_limit(model, field_name)
        if _CONTROL.search("\n".join(values)) or max(map(len, values), default=0) > limit:
            doubt(i for i, v in enumerate(values) if _CONTROL.search(v) or len(v) > limit)
    for heading in ("Reviewer", "Comment"):
        doubt(i for i, v in enumerate(texts[heading]) if not v.strip())

    if all(ok):  # the usual case: every row passed, built without a loop in Python
        rows = list(
            map(
                CommentRow,
                numbers,
                sections,
                from_lines,
                to_lines,
                texts["Reviewer"],
                texts["Affiliation/Government"],
                kinds,
                texts["Comment"],
                texts["Suggested change"],
                texts["Response"],
                dispositions,
                [number for number, _values in body],
            )
        )
        return rows, []
    parsed: list[CommentRow] = []
    problems: list[str | Msg] = []
    for i, (number, values) in enumerate(body):
        if not ok[i]:
            row, row_problems = _parse_row(name, number, values, index)
            problems.extend(row_problems)
            if row is not None:
                parsed.append(row)
            continue
        parsed.append(
            CommentRow(
                number=numbers[i],
                section=sections[i],
                from_line=from_lines[i],  # type: ignore[arg-type]
                to_line=to_lines[i],  # type: ignore[arg-type]
                reviewer=texts["Reviewer"][i],
                affiliation=texts["Affiliation/Government"][i],
                kind=kinds[i],  # type: ignore[arg-type]
                comment=texts["Comment"][i],
                suggested_change=texts["Suggested change"][i],
                response=texts["Response"][i],
                disposition=dispositions[i] or "",
                row=number,
            )
        )
    return parsed, problems


def _parse_row(
    name: str, number: int, values: list[Any], index: dict[str, int]
) -> tuple[CommentRow | None, list[str]]:
    where = Msg("Row {row} of {file}", row=number, file=name)
    problems: list[str | Msg] = []

    def problem(template: str, **params: Any) -> None:
        problems.append(Msg("{where}: {problem}", where=where, problem=Msg(template, **params)))

    def text(column: str) -> str:
        position = index.get(column)
        if position is None or position >= len(values):
            return ""
        return restore(_cell_text(values[position]))

    def whole(column: str, *, required: bool) -> int | None:
        raw = text(column).strip()
        if not raw:
            if required:
                problem(N_("'{column}' is empty"), column=column)
            return None
        if not _WHOLE_NUMBER.match(raw):
            problem(N_("'{column}' is '{value}', not a whole number"), column=column, value=raw)
            return None
        value = int(float(raw)) if "." in raw else int(raw)
        if value < 1:
            problem(N_("'{column}' is {value}; numbering starts at 1"), column=column, value=value)
            return None
        if value > MAX_NUMBER:
            problem(
                N_("'{column}' is {value}, larger than any table needs"), column=column, value=value
            )
            return None
        return value

    number_value = whole("No", required=False)
    section = text("Section").strip()
    if not section:
        problem(N_("the section is empty"))
    from_line = whole("From line", required=True)
    to_line = whole("To line", required=True)
    if from_line is not None and to_line is not None and to_line < from_line:
        problem(
            N_("'To line' ({to_line}) is before 'From line' ({from_line})"),
            to_line=to_line,
            from_line=from_line,
        )
    reviewer = text("Reviewer")
    if not reviewer.strip():
        problem(N_("the reviewer is empty"))
    affiliation = text("Affiliation/Government")
    comment = text("Comment")
    if not comment.strip():
        problem(N_("the comment is empty"))
    kind_text = text("Kind").strip()
    kind = _KINDS.get(_key(kind_text)) if kind_text else CommentKind.substantive.value
    if kind is None:
        problem(
            N_("'Kind' is '{value}'; use one of {kinds}"),
            value=kind_text,
            # The file's own words: the comment table is read in English.
            kinds=", ".join(k.label for k in CommentKind),
        )
    disposition_text = text("Disposition").strip()
    disposition = _DISPOSITIONS.get(_key(disposition_text)) if disposition_text else ""
    if disposition is None:
        problem(
            N_("'Disposition' is '{value}'; use one of {dispositions} (or leave it empty)"),
            value=disposition_text,
            dispositions=", ".join(d.label for d in Disposition),
        )
    problems.extend(
        Msg("{where}: {problem}", where=where, problem=found)
        for found in text_problems(
            {column: text(column) for column in _TEXT_COLUMNS if column in index}
        )
    )
    if problems:
        return None, problems
    assert from_line is not None and to_line is not None and kind is not None
    return (
        CommentRow(
            number=number_value,
            section=section,
            from_line=from_line,
            to_line=to_line,
            reviewer=reviewer,
            affiliation=affiliation,
            kind=kind,
            comment=comment,
            suggested_change=text("Suggested change"),
            response=text("Response"),
            disposition=disposition or "",
            row=number,
        ),
        [],
    )


#: The text columns of the table and the database column each one is stored in.
_TEXT_COLUMNS: dict[str, tuple[type[Any], str]] = {
    "Reviewer": (ReviewComment, "reviewer_name"),
    "Affiliation/Government": (ReviewComment, "affiliation"),
    "Comment": (ReviewComment, "comment"),
    "Suggested change": (ReviewComment, "suggested_change"),
    "Response": (ReviewComment, "response"),
}


def text_problems(texts: dict[str, str]) -> list[Msg]:
    """Return why texts of a row (by column heading) cannot be stored: control characters, length.

    Each problem names the column ("'Comment' cannot be stored: it contains a
    control character…"); the caller puts the file and row in front. The texts
    are measured as they will be stored (without surrounding blanks).
    """
    problems = []
    for column, value in texts.items():
        model, field_name = _TEXT_COLUMNS[column]
        problem = text_problem(value.strip(), max_chars=field_limit(model, field_name))
        if problem:
            problems.append(
                Msg("'{column}' cannot be stored: {problem}", column=column, problem=problem)
            )
    return problems


# --------------------------------------------------------------------------- writing


def _cells(row: CommentRow) -> list[Any]:
    """Return a row's cells in column order: numbers as ints, text neutralised."""
    return [
        row.number if row.number is not None else "",
        neutralise(row.section),
        row.from_line,
        row.to_line,
        neutralise(row.reviewer),
        neutralise(row.affiliation),
        _label(CommentKind, row.kind),
        neutralise(row.comment),
        neutralise(row.suggested_change),
        neutralise(row.response),
        _label(Disposition, row.disposition),
    ]


def write_csv(rows: Iterable[CommentRow]) -> bytes:
    """Return the comment table as UTF-8 CSV (with a BOM, so Excel reads the accents right)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_cells(row))
    return buffer.getvalue().encode("utf-8-sig")


def write_rounds_csv(rounds: Iterable[tuple[str, Iterable[CommentRow]]]) -> bytes:
    """Return several rounds' comment tables as one CSV, a 'Round' column first.

    The rows are written exactly as :func:`write_csv` writes them; the round's
    name makes each 'No' unambiguous again.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["Round", *COLUMNS])
    for name, rows in rounds:
        for row in rows:
            writer.writerow([neutralise(name), *_cells(row)])
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(rows: Iterable[CommentRow]) -> bytes:
    """Return the comment table as an XLSX workbook with a bold, frozen header row.

    Control characters other than tab, newline and carriage return are dropped,
    and a cell holds at most 32,767 characters: an XLSX file cannot hold more.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, Cell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Comments")
    sheet.freeze_panes = "A2"
    for position, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = _WIDTHS[column]
    header: list[Any] = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    # Setting a style on each cell hashes the style objects every time; copying
    # one prepared style array is several times faster at 100,000 rows.
    template = WriteOnlyCell(sheet)
    template.alignment = Alignment(wrap_text=True, vertical="top")
    wrap_style = template._style
    wrapped = [column in _WRAPPED for column in COLUMNS]
    for row in rows:
        out: list[Any] = []
        for value, is_wrapped in zip(_cells(row), wrapped, strict=True):
            if isinstance(value, str):
                value = _XML_ILLEGAL.sub("", value) or None
                if is_wrapped or value in ERROR_CODES:
                    style = wrap_style if is_wrapped else None
                    cell = Cell(sheet, row=1, column=1, value=value, style_array=style)
                    if value is not None:
                        # Text such as '#N/A' is a comment, not a spreadsheet error value.
                        cell.data_type = "s"
                    value = cell
            out.append(value)
        sheet.append(out)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
