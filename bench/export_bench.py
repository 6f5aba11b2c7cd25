"""Benchmark: exporting a report to DOCX and Markdown, beside pandoc alone on the same text.

    .venv/bin/python bench/export_bench.py [--runs 3]

Builds a throw-away SQLite workspace with the demo and a synthetic report of 60
sections (about 150 pages) citing 500 sources, then measures, for each report,
the median of several runs of: our Markdown export, our DOCX export, and pandoc
converting the same Markdown to DOCX on its own (same citeproc, bibliography and
reference document: the work we cannot avoid). Target: our DOCX export within
1.5 × pandoc alone. Prints one table; exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from bench.synthetic import add_large_report
from bench.timing import median_time, paired_medians
from workbench import demo, export, people, reports
from workbench.db import make_engine
from workbench.migrate import upgrade
from workbench.models import Person, Report

TARGET = 1.5


@dataclass
class ExportTimes:
    """Median seconds of one report's exports, beside pandoc alone on the same Markdown."""

    pages: int
    docx: float
    pandoc: float
    md: float | None = None

    @property
    def ratio(self) -> float:
        return self.docx / self.pandoc


def export_times(
    session: Session,
    actor: Person,
    report: Report,
    *,
    runs: int,
    folder: Path,
    markdown: bool = True,
) -> ExportTimes:
    """Measure our DOCX (and Markdown) export of a report against pandoc alone.

    Pandoc alone converts the very Markdown our export hands it (``export.gather``,
    with the same citeproc, bibliography and reference document): the work we
    cannot avoid. The DOCX export and pandoc take turns, so both see the same load.
    """
    draft = export.gather(session, actor, report, docx=True)
    pages = round(sum(len(line.split()) for line in draft.body.splitlines()) / 500)
    body = "---\nlang: en\n---\n\n" + draft.body
    target = folder / "pandoc-alone.docx"
    docx, pandoc = paired_medians(
        lambda: export.export_report(session=session, actor=actor, report=report, fmt="docx"),
        lambda: export.pandoc_docx(body, draft.records, target),
        runs,
    )
    md = None
    if markdown:
        md = median_time(
            lambda: export.export_report(session=session, actor=actor, report=report, fmt="md"),
            runs,
        )
    return ExportTimes(pages=pages, docx=docx, pandoc=pandoc, md=md)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="workbench-bench-"))
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    rows = []
    with Session(engine, expire_on_commit=False) as s:
        demo.load_demo(s)
        actor = people.get_by_email(s, "secretariat@demo.ipsp.example")
        large = add_large_report(s, slug="synthetic-60", sections=60, sources=500)
        for report in (reports.get_report(s, "living-wages"), large):
            rows.append(
                (report.slug, export_times(s, actor, report, runs=args.runs, folder=folder))
            )
    missed = False
    print(f"Export benchmark: median of {args.runs} runs, seconds (pages ≈ words / 500)")
    header = ("report", "pages", "docx", "md", "pandoc", "docx/pandoc")
    print("{:<16} {:>5} {:>7} {:>7} {:>7} {:>12}  target".format(*header))
    for slug, t in rows:
        ok = t.ratio <= TARGET
        missed |= not ok
        print(
            f"{slug:<16} {t.pages:>5} {t.docx:>7.2f} {t.md:>7.2f} {t.pandoc:>7.2f} "
            f"{t.ratio:>11.2f}×  ≤ {TARGET}× {'met' if ok else 'MISSED'}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
