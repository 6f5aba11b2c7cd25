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
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from bench.synthetic import add_large_report
from workbench import demo, export, people, reports
from workbench.db import make_engine
from workbench.migrate import upgrade

TARGET = 1.5


def median_time(action, runs: int) -> float:
    """Return the median wall time of ``runs`` calls, after one warm-up call."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
            draft = export.gather(s, actor, report, docx=True)
            pages = sum(len(line.split()) for line in draft.body.splitlines()) / 500
            body = "---\nlang: en\n---\n\n" + draft.body
            target = folder / "pandoc-alone.docx"
            pandoc = median_time(
                lambda b=body, d=draft, t=target: export.pandoc_docx(b, d.records, t), args.runs
            )
            ours_docx = median_time(
                lambda r=report: export.export_report(session=s, actor=actor, report=r, fmt="docx"),
                args.runs,
            )
            ours_md = median_time(
                lambda r=report: export.export_report(session=s, actor=actor, report=r, fmt="md"),
                args.runs,
            )
            rows.append((report.slug, round(pages), ours_docx, ours_md, pandoc))
    missed = False
    print(f"Export benchmark: median of {args.runs} runs, seconds (pages ≈ words / 500)")
    header = ("report", "pages", "docx", "md", "pandoc", "docx/pandoc")
    print("{:<16} {:>5} {:>7} {:>7} {:>7} {:>12}  target".format(*header))
    for slug, pages, docx_s, md_s, pandoc_s in rows:
        ratio = docx_s / pandoc_s
        ok = ratio <= TARGET
        missed |= not ok
        print(
            f"{slug:<16} {pages:>5} {docx_s:>7.2f} {md_s:>7.2f} {pandoc_s:>7.2f} {ratio:>11.2f}×"
            f"  ≤ {TARGET}× {'met' if ok else 'MISSED'}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
