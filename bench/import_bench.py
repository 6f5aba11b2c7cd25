"""The comment-table import against the honest floor: pandas ``read_csv`` + ``DataFrame.to_sql``.

    .venv/bin/python bench/import_bench.py [--url URL] [--pg-url URL] [--runs 3] [--rows 100000]
        [--formats csv,xlsx]

What is measured, per database: a comment table of ``--rows`` rows on real
lines of the open round of the largest report (written once as CSV and as XLSX)
imported by ``reviews.import_comments`` — permission, the open round, every
check of every cell, numbering, the audit event, one transaction — against the
**floor**: the same file read by pandas (``read_csv(dtype=str,
keep_default_na=False)``, ``read_excel`` for XLSX) and inserted by
``DataFrame.to_sql`` into a plain table with the file's columns (no index but
its primary key) in the same database, in one transaction. Nothing is checked
on the floor's side: it is what reading and writing the rows costs at least.
The two run in turns (:func:`bench.timing.paired_medians`) and the imported rows are
deleted after each run, outside the timing, so every run imports into the same
round. Target: the import within :data:`TARGET` × the floor, for CSV; XLSX is
reported (its reading is openpyxl's cost on our side and pandas's, also
openpyxl, on the floor's).

``import_rows(ws, runs, seed)`` is what ``bench/run.py`` calls: ``ws`` is its
``Workspace`` (only ``engine``, ``url``, ``report``, ``round`` and ``cla`` are
used); it returns rows with ``cells()`` and ``met`` for its table. Run alone,
this script measures the SQLite 1× workspace (``--url``, default: the
generated bench file) and, with ``--pg-url``, a PostgreSQL bench workspace
(generated there at a small scale when the database is empty).
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Column, Integer, MetaData, Table, Text, delete, func  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from bench.synthetic import LinePicker, comment_fields, person_name  # noqa: E402
from bench.timing import paired_medians, seconds  # noqa: E402
from workbench import comment_table, reviews  # noqa: E402
from workbench.models import (  # noqa: E402
    AuditEvent,
    FrozenSection,
    Person,
    Report,
    ReviewComment,
    ReviewRound,
    Section,
    SectionRevision,
)
from workbench.sections import lines_of  # noqa: E402

TARGET = 3.0
ROWS = 100_000
FLOOR_TABLE = "bench_import_floor"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class ImportRow:
    """One line of the results table (the shape of ``bench.run.Row``)."""

    measurement: str
    value: str
    baseline: str
    ratio: str
    target: str
    met: bool

    def cells(self) -> list[str]:
        return [
            self.measurement,
            self.value,
            self.baseline,
            self.ratio,
            self.target,
            "met" if self.met else "**MISSED**",
        ]


def table_rows(ws: Any, count: int, seed: int) -> list[comment_table.CommentRow]:
    """Return ``count`` comment-table rows on real lines of the open round's frozen texts."""
    with Session(ws.engine) as s:
        frozen = s.exec(
            select(Section.code, SectionRevision.text)
            .join(FrozenSection, col(FrozenSection.section_id) == col(Section.id))
            .join(SectionRevision, col(SectionRevision.id) == col(FrozenSection.revision_id))
            .where(FrozenSection.round_id == ws.round.id)
        ).all()
    rng = random.Random(seed)
    pick = LinePicker(rng, {code: len(lines_of(text)) for code, text in frozen})
    rows = []
    for _ in range(count):
        code, lines = pick()
        fields = comment_fields(rng, lines=lines, keys=[], answered=rng.random() < 0.3)
        rows.append(
            comment_table.CommentRow(
                number=None,
                section=code,
                reviewer=person_name(rng),
                affiliation=rng.choice(["Government of Chile", "University of Ghana", "ILO"]),
                **{
                    **fields,
                    "kind": fields["kind"].value,
                    "disposition": fields["disposition"].value if fields["disposition"] else "",
                },
            )
        )
    return rows


def floor(engine: Any, filename: str, content: bytes) -> int:
    """Read the file with pandas and ``to_sql`` it into a plain table, in one transaction."""
    import pandas as pd

    if filename.endswith(".csv"):
        frame = pd.read_csv(
            io.BytesIO(content), encoding="utf-8-sig", dtype=str, keep_default_na=False
        )
    else:
        frame = pd.read_excel(io.BytesIO(content), dtype=str, keep_default_na=False)
    with engine.begin() as conn:
        frame.to_sql(FLOOR_TABLE, conn, if_exists="append", index=False)
    return len(frame)


def _floor_table(engine: Any) -> Table:
    """Create the floor's table: the comment table's columns as text, an id primary key."""
    metadata = MetaData()
    table = Table(
        FLOOR_TABLE,
        metadata,
        Column("id", Integer, primary_key=True),
        *(Column(name, Text) for name in comment_table.COLUMNS),
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    return table


def import_rows(
    ws: Any, runs: int, seed: int, *, count: int = ROWS, formats: tuple[str, ...] = ("csv", "xlsx")
) -> list[ImportRow]:
    """Measure the import of a ``count``-row comment table against the floor; return table rows."""
    where = f"{ws.engine.dialect.name}"
    if ws.round is None:
        return [
            ImportRow(
                f"Comment import ({where})",
                "skipped: the largest report has no open round",
                "",
                "",
                "",
                False,
            )
        ]
    start = time.perf_counter()
    table = table_rows(ws, count, seed)
    writers = {"csv": comment_table.write_csv, "xlsx": comment_table.write_xlsx}
    files = {fmt: writers[fmt](table) for fmt in formats}
    say(
        f"  built the {count:,}-row table in {time.perf_counter() - start:.1f} s: "
        + ", ".join(f"{fmt.upper()} {len(data) / 2**20:.1f} MiB" for fmt, data in files.items())
    )
    floor_table = _floor_table(ws.engine)
    with Session(ws.engine) as s:
        comments_before = (
            s.exec(
                select(func.max(ReviewComment.number)).where(ReviewComment.round_id == ws.round.id)
            ).one()
            or 0
        )
        audit_before = s.exec(select(func.max(AuditEvent.id))).one() or 0

    def clean_up() -> None:
        with ws.engine.begin() as conn:
            conn.execute(
                delete(ReviewComment).where(
                    col(ReviewComment.round_id) == ws.round.id,
                    col(ReviewComment.number) > comments_before,
                )
            )
            conn.execute(delete(AuditEvent).where(col(AuditEvent.id) > audit_before))
            conn.execute(delete(floor_table))

    rows = []
    try:
        for fmt, content in files.items():
            filename = f"bench-comments.{fmt}"

            def ours(content: bytes = content, filename: str = filename) -> None:
                with Session(ws.engine, expire_on_commit=False) as s:
                    added = reviews.import_comments(
                        session=s,
                        actor=s.get(Person, ws.cla.id),
                        report=s.get(Report, ws.report.id),
                        round=s.get(ReviewRound, ws.round.id),
                        filename=filename,
                        content=content,
                    )
                assert added == count, added

            def baseline(content: bytes = content, filename: str = filename) -> None:
                assert floor(ws.engine, filename, content) == count

            label = (
                f"Import {count:,}-row comment table ({fmt.upper()}, "
                f"{len(content) / 2**20:.0f} MiB), {where}"
            )
            goal = f"≤ {TARGET:g}×" if fmt == "csv" else "reported"
            try:
                value, base = paired_medians(ours, baseline, runs, clean_up=clean_up)
            except Exception as exc:  # a refused import is a result, not a crash
                rows.append(ImportRow(label, f"failed: {str(exc)[:160]}", "", "", goal, False))
                continue
            ratio = value / base
            rows.append(
                ImportRow(
                    label,
                    seconds(value),
                    f"{seconds(base)} (pandas read + to_sql)",
                    f"{ratio:.1f}×",
                    goal,
                    ratio <= TARGET if fmt == "csv" else True,
                )
            )
            say(f"  import {fmt} on {where}: {seconds(value)} vs {seconds(base)} ({ratio:.1f}×)")
    finally:
        floor_table.metadata.drop_all(ws.engine)
    return rows


def main() -> int:
    from bench.generate import safe_url
    from bench.run import ensure, open_workspace, prepare_pg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the SQLite workspace (default: the generated 1× file)")
    parser.add_argument("--pg-url", help="a PostgreSQL bench workspace (or an empty scratch one)")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--rows", type=int, default=ROWS, help="rows in the comment table")
    parser.add_argument("--formats", default="csv,xlsx", help="csv, xlsx or both")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    formats = tuple(f for f in args.formats.split(",") if f)
    urls = [] if args.no_sqlite else [ensure(args.url, 1.0, args.seed)]
    if args.pg_url:
        why_not = prepare_pg(args.pg_url, args.seed)
        if why_not:
            raise SystemExit(why_not)
        urls.append(args.pg_url)
    rows: list[Any] = []
    for url in urls:
        say(f"Comment import on {safe_url(url)} …")
        ws = open_workspace(url)
        rows += import_rows(ws, args.runs, args.seed, count=args.rows, formats=formats)
        ws.engine.dispose()
    header = ["measurement", "value", "baseline", "ratio", "target", "met?"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
