"""Benchmark: exporting a report to DOCX, PDF and Markdown, beside the tools alone.

    .venv/bin/python bench/export_bench.py [--runs 3] [--no-pdf]

Builds a throw-away SQLite workspace with the demo and a synthetic report of 60
sections (about 150 pages) citing 500 sources, then measures, for each report,
the median of several runs of: our Markdown export; our DOCX export beside
pandoc converting the same Markdown to DOCX on its own (same citeproc,
bibliography and reference document: the work we cannot avoid); and, when
LibreOffice is installed, our PDF export beside LibreOffice converting that
report's finished Word document (with its contents' page numbers) on its own:
the print we cannot avoid. Targets: DOCX within 1.5 × pandoc alone, PDF within
1.5 × LibreOffice alone. Since a PDF needs pandoc too, the table also gives the
PDF beside pandoc and LibreOffice together (information, not a target). Prints
one table; exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from bench.synthetic import add_large_report
from bench.timing import median_time, paired_medians, timed
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
    pdf: float | None = None
    office: float | None = None  # LibreOffice alone printing the finished Word document
    tools: float | None = None  # pandoc, then LibreOffice, timed in the PDF's turns

    @property
    def ratio(self) -> float:
        return self.docx / self.pandoc

    @property
    def pdf_ratio(self) -> float | None:
        return self.pdf / self.office if self.pdf and self.office else None

    @property
    def tools_ratio(self) -> float | None:
        return self.pdf / self.tools if self.pdf and self.tools else None


def export_times(
    session: Session,
    actor: Person,
    report: Report,
    *,
    runs: int,
    folder: Path,
    markdown: bool = True,
    pdf: bool = False,
) -> ExportTimes:
    """Measure our DOCX (Markdown, PDF) export of a report against pandoc (LibreOffice) alone.

    Pandoc alone converts the very Markdown our export hands it (``export.gather``,
    with the same citeproc, bibliography and reference document): the work we
    cannot avoid. LibreOffice alone prints the Word document our export makes
    with the contents' page numbers, the document the PDF is a print of; "tools"
    is pandoc then LibreOffice, the two a PDF cannot do without. Each export and
    its tools take turns, so all see the same load.
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
    pdf_time = office = tools = None
    if pdf and export.libreoffice() is not None:
        word = export.export_report(
            session=session, actor=actor, report=report, fmt="docx", page_numbers=True
        ).content
        pdf_time, office, tools = taking_turns(
            [
                lambda: export.export_report(
                    session=session, actor=actor, report=report, fmt="pdf"
                ),
                lambda: export.docx_to_pdf(word),
                lambda: (export.pandoc_docx(body, draft.records, target), export.docx_to_pdf(word)),
            ],
            runs,
        )
    return ExportTimes(
        pages=pages, docx=docx, pandoc=pandoc, md=md, pdf=pdf_time, office=office, tools=tools
    )


def taking_turns(actions: list[Callable[[], Any]], runs: int) -> list[float]:
    """Return the median wall time of each action, after a warm-up, run in turns.

    As in ``paired_medians``: taking turns exposes every action to the same moments
    of the machine's load, so their ratios are fair on a busy machine.
    """
    for action in actions:
        action()
    samples: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for times, action in zip(samples, actions, strict=True):
            times.append(timed(action))
    return [statistics.median(times) for times in samples]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--no-pdf", action="store_true", help="leave out the PDF export")
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
            times = export_times(
                s, actor, report, runs=args.runs, folder=folder, pdf=not args.no_pdf
            )
            rows.append((report.slug, times))
    missed = False
    print(f"Export benchmark: median of {args.runs} runs, seconds (pages ≈ words / 500)")
    header = ("report", "pages", "md", "docx", "pandoc", "docx/pandoc")
    header += ("pdf", "office", "pdf/office", "pdf/both")
    print("{:<14} {:>5} {:>5} {:>5} {:>6} {:>11} {:>5} {:>6} {:>10} {:>8}  target".format(*header))
    for slug, t in rows:
        ok = t.ratio <= TARGET and (t.pdf_ratio is None or t.pdf_ratio <= TARGET)
        missed |= not ok
        pdf = f"{'—':>5} {'—':>6} {'—':>10} {'—':>8}"
        if t.pdf and t.office and t.pdf_ratio and t.tools_ratio:
            pdf = f"{t.pdf:>5.2f} {t.office:>6.2f} {t.pdf_ratio:>9.2f}× {t.tools_ratio:>7.2f}×"
        print(
            f"{slug:<14} {t.pages:>5} {t.md:>5.2f} {t.docx:>5.2f} {t.pandoc:>6.2f} "
            f"{t.ratio:>10.2f}× {pdf}  each ≤ {TARGET}× {'met' if ok else 'MISSED'}"
        )
    print(
        "pandoc: pandoc alone, same Markdown; office: LibreOffice alone printing the finished "
        "Word document;\npdf/both: the PDF export beside pandoc then LibreOffice, alone, "
        "on the same text (the two tools it cannot do without)"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
