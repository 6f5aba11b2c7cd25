"""Benchmarks at IPCC scale: pages, services, search, imports, export, concurrent saves.

    .venv/bin/python bench/run.py [--url SQLITE_1X] [--ten-x-url SQLITE_10X]
                                  [--pg-url PG_1X] [--pg-ten-x-url PG_10X]
                                  [--scratch-pg-url URL] [--runs N] [--only GROUP]…
                                  [--pages FILE…] [--seed N] [--small-comparison]

Measures every target on every workspace given — SQLite at 1× and 10× (the
generated bench files by default, generated on the way when missing), and
PostgreSQL at 1× and 10× when ``--pg-url`` and ``--pg-ten-x-url`` name databases
``bench/generate.py`` filled — each value beside a baseline measured in the same
run (the two take turns; medians of ``--runs`` runs after a warm-up). Every row
of the table names its database and scale. A page's or a call's SQL count on a
larger workspace must equal its count on the smallest workspace of the same
database (bounded work per page and per call: no query per row, no whole-table
load), or its row is missed.

- ``pages``: every page of ``views/`` opened from its address, as a link, a
  bookmark or the sidebar opens it: ``app.py`` runs once, on that page, with the
  person and report in the session (Streamlit's data caches cleared first; the
  whole opening is timed, the run's SQL counted), signed in as a CLA of the
  largest report (a Council member on the Council page, the Secretariat on
  Admin), against a page that only writes a line. Also the Dashboard as the
  Secretariat (who sees every Council decision checked against the report's
  content) and the Council page's "Read the report" tab. Target: 5×. (Until
  1 December 2026 the harness ran the Dashboard first and then the page, and
  counted both: every row carried the Dashboard's cost.)
- ``services``: the calls behind the Dashboard and the Review, Evidence, Inbox
  and Discussions pages (the comment counts, the comment filter's and the source
  library's text search among them), with the SQL statements each sends.
  Target: median under 100 ms, and as many statements at 10× as at 1× (no N+1).
- ``search``: the workspace search (``workbench.search.search``) as the sidebar
  box asks it, for the CLA, over the whole workspace and within one report: a
  common word, a phrase, a rare word and a source key prefix. Target: 100 ms
  (its SQL count, a few statements per kind of thing with hits, is shown, not held).
- ``inbox``: (the pages and calls below run here only when ``pages`` and
  ``services`` do not) the Inbox and Discussions pages as above, opened by the person
  with the most notifications (a CLA of the largest report: thousands of
  notifications among the workspace's 200,000, about half unread) against the
  empty page (target 5×); the inbox's and the discussions list's calls (target
  100 ms); and ``workbench notify --dry-run --json`` run as a command on the
  workspace (every person's pending notifications composed into messages, the
  day's reminders recorded first, as cron would run it), with ``mail.compose``
  alone beside it. Target: 30 s. The reminders the command records are removed
  again after each run.
- ``import`` (on the smallest workspace of each database): a 100,000-row comment
  table (CSV, XLSX) imported into the open
  round of the largest report by ``reviews.import_comments``, against pandas
  reading the same file plus one bulk insert of the rows. Target: 2×. The rows
  are removed again after each run.
- ``export`` (on the first workspace only: pandoc's work, not the database's): the
  largest report to DOCX by ``export.export_report`` against
  pandoc alone on the same Markdown (``bench/export_bench.py``). Target: 1.5×.
- ``concurrency``: 50 section saves at once on PostgreSQL (``--scratch-pg-url``, a
  scratch database, else the ``--pg-url`` workspace; a small bench workspace is
  generated in an empty one), each thread with its own session, some on the same section from the
  same base. Target: every provoked conflict detected, no lost update. The
  baseline is the same 50 saves one after another.

Progress goes to stderr; the Markdown table (and the command that produced it)
to stdout. Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, delete, desc, func, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bench import export_bench, import_bench
from bench.generate import bench_info, default_path, default_url, generate, safe_url
from bench.timing import StatementCounter, seconds, timed
from workbench import (
    discussions,
    mail,
    notifications,
    reports,
    reviews,
    sections,
    sources,
)
from workbench.db import make_engine
from workbench.errors import Conflict
from workbench.models import (
    CommentKind,
    Membership,
    Notification,
    Person,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Section,
    SectionRevision,
    Source,
    SourceKind,
    Stage,
)

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ("pages", "services", "search", "inbox", "import", "export", "concurrency")
PAGE_TARGET = 5.0
PAGE_RUNS = 2  # runs per page by default: 17 pages × 4 workspaces must fit in the run's time
SLOW_PAGE_S = 20.0  # a page whose first opening takes longer is timed once more, not ``runs``
SERVICE_TARGET_MS = 100.0
IMPORT_TARGET = 2.0
EXPORT_TARGET = export_bench.TARGET
NOTIFY_TARGET_S = 30.0
INBOX_PAGES = ("inbox.py", "discussions.py")
PAGE_ROWS = 50  # the Review page's page size
CONCURRENT_GROUPS = [1] * 31 + [2] * 5 + [3] * 3  # saves per section: 50 saves, 11 conflicts
PG_SCALE = 0.05
# Pages opened by someone other than a CLA of the largest report.
PAGE_ROLES = {"council.py": Role.council_member, "admin.py": Role.secretariat}
# Pages opened a second time, as someone else or on another tab: (file, role, session
# state set before the run, what the label adds). The Secretariat's Dashboard checks every
# Council decision against the report's content; the Council page's second tab reads it.
MORE_OPENINGS: tuple[tuple[str, Role, dict[str, str], str], ...] = (
    ("dashboard.py", Role.secretariat, {}, ""),
    ("council.py", Role.council_member, {"tab": "Read the report"}, ", Read the report"),
)
NOISY_LOGGERS = (
    "streamlit.runtime.caching.cache_data_api",
    "streamlit.runtime.scriptrunner_utils.script_run_context",
)
EMPTY_PAGE = 'import streamlit as st\n\nst.write("An empty page.")\n'


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Row:
    """One line of the results table."""

    measurement: str
    value: str
    baseline: str
    ratio: str
    target: str
    met: bool
    where: str = ""  # the database and scale, e.g. "PostgreSQL 10×"
    key: str = ""  # what is compared across scales (a page, a call)
    sql: int | None = None  # SQL statements sent, compared with the 1× workspace's
    database: str = ""
    scale: float | None = None
    elapsed: float | None = None  # seconds, for the growth from 1× to 10× (calls)
    # False where the count depends on what matches, not on the data's size (the workspace
    # search sends a few statements per kind of thing that has hits): shown, not held.
    held_to_sql: bool = True

    def cells(self) -> list[str]:
        return [
            self.where,
            self.measurement,
            self.value,
            self.baseline,
            self.ratio,
            self.target,
            "met" if self.met else "**MISSED**",
        ]


# --------------------------------------------------------------------------- the workspace


@dataclass
class Workspace:
    """Who and what the measurements use in one database."""

    url: str
    engine: Engine
    report: Report  # the largest report (most words)
    round: ReviewRound | None  # its open review round
    cla: Person
    council_member: Person | None
    council_report: Report | None  # a report in Council review, else None
    secretariat: Person
    scale: float | None

    @property
    def database(self) -> str:
        """Return the database's kind as people name it: SQLite or PostgreSQL."""
        return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(
            self.engine.dialect.name, self.engine.dialect.name
        )

    @property
    def label(self) -> str:
        size = f"{self.scale:g}×" if self.scale is not None else safe_url(self.url)
        return f"{self.database} {size}"


def person_with(s: Session, role: Role, report_id: int | None = None) -> Person | None:
    query = (
        select(Person)
        .join(Membership, col(Membership.person_id) == col(Person.id))
        .where(Membership.role == role, col(Person.active))
        .order_by(col(Person.id))
    )
    if report_id is not None:
        query = query.where(Membership.report_id == report_id)
    return s.exec(query).first()


def open_workspace(url: str) -> Workspace:
    """Find the largest report, its open round and the people who open each page."""
    engine = make_engine(url)
    info = bench_info(engine)
    with Session(engine, expire_on_commit=False) as s:
        largest = s.exec(
            select(Section.report_id)
            .group_by(Section.report_id)
            .order_by(desc(func.sum(Section.words)))
        ).first()
        if largest is None:
            raise SystemExit(f"{safe_url(url)} holds no report with sections.")
        report = s.get(Report, largest)
        open_round = s.exec(
            select(ReviewRound).where(
                ReviewRound.report_id == report.id, ReviewRound.status == RoundStatus.open
            )
        ).first()
        cla = person_with(s, Role.cla, report.id)
        secretariat = person_with(s, Role.secretariat)
        if cla is None or secretariat is None:
            raise SystemExit(f"{safe_url(url)} has no CLA for {report.slug} or no Secretariat.")
        council_report = s.exec(select(Report).where(Report.stage == Stage.council_review)).first()
        return Workspace(
            url=url,
            engine=engine,
            report=report,
            round=open_round,
            cla=cla,
            council_member=person_with(s, Role.council_member),
            council_report=council_report,
            secretariat=secretariat,
            scale=info.get("scale") if info else None,
        )


def ensure(url: str | None, scale: float, seed: int) -> str:
    """Return ``url``, or the default bench file for this scale, generating it when missing."""
    if url:
        return url
    url = default_url(scale, seed)
    if default_path(scale, seed).exists():
        engine = make_engine(url)
        info = bench_info(engine)
        engine.dispose()
        if info is not None:
            say(f"Reusing {url} (scale {scale:g}, generated in {info['seconds']} s).")
            return url
    say(f"Generating the scale-{scale:g} workspace into {url} …")
    generate(url, scale=scale, seed=seed, fresh=True, say=say)
    return url


# --------------------------------------------------------------------------- pages


def page_rows(ws: Workspace, runs: int, only: tuple[str, ...] = ()) -> list[Row]:
    """Time every page of ``views/`` (or those named in ``only``) against the empty page."""
    import streamlit as st
    from sqlalchemy.engine import Engine as EngineClass
    from streamlit.testing.v1 import AppTest

    # Clearing the data caches outside a server warns every time (and AppTest resets levels).
    for name in NOISY_LOGGERS:
        logging.getLogger(name).addFilter(lambda record: record.levelno >= logging.ERROR)

    os.environ["WORKBENCH_DATABASE_URL"] = ws.url
    folder = Path(tempfile.mkdtemp(prefix="workbench-bench-pages-"))
    empty = folder / "empty_page.py"
    empty.write_text(EMPTY_PAGE, encoding="utf-8")
    counter = StatementCounter(EngineClass)  # every engine, including the app's own
    rows = []
    openings = [
        (path.name, PAGE_ROLES.get(path.name, Role.cla), {}, "")
        for path in sorted((ROOT / "views").glob("*.py"))
    ]
    openings += [o for o in MORE_OPENINGS if (ROOT / "views" / o[0]).exists()]
    for name, role, state, also in openings:
        if only and name not in only:
            continue
        person = {
            Role.cla: ws.cla,
            Role.council_member: ws.council_member,
            Role.secretariat: ws.secretariat,
        }[role]
        report = ws.council_report if role is Role.council_member and ws.council_report else None
        report = report or ws.report
        page = f"views/{name}"
        label = f"Page {page} ({role.label}, {report.slug}{also}{inbox_size(ws, person, name)})"
        if person is None:
            rows.append(Row(label, "no such person in the workspace", "", "", "", False))
            continue
        problems: list[str] = []
        statements: list[int] = []
        page_runs: list[float] = []

        def open_page(
            person=person,
            report=report,
            page=page,
            state=state,
            problems=problems,
            statements=statements,
            page_runs=page_runs,
        ) -> float:
            st.cache_data.clear()
            start = time.perf_counter()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
            at.session_state["person_id"] = person.id
            at.session_state["report_slug"] = report.slug
            for key, value in state.items():
                at.session_state[key] = value
            at.switch_page(page)  # opened from its address: the app runs once, on that page
            with counter.counting() as sent:
                page_runs.append(timed(at.run))
            elapsed = time.perf_counter() - start
            statements.append(sent[0])
            problems.extend(str(e.value)[:200] for e in at.exception)
            problems.extend(str(e.value)[:200] for e in at.error)
            return elapsed

        def empty_page() -> float:
            start = time.perf_counter()
            AppTest.from_file(str(empty), default_timeout=60).run()
            return time.perf_counter() - start

        ours, theirs = [], []
        first = open_page()
        empty_page()
        if first > SLOW_PAGE_S:
            # Far past any target: one more run (the first warmed the renderings up) is
            # enough to say so, and keeps a whole run of the bench within its time.
            page_runs.clear()
            statements.clear()
            runs_here = 1
        else:
            page_runs.clear()
            statements.clear()
            runs_here = runs
        for _ in range(runs_here):
            theirs.append(empty_page())
            ours.append(open_page())
        value, baseline = statistics.median(ours), statistics.median(theirs)
        ratio = value / baseline
        ok = ratio <= PAGE_TARGET and not problems
        note = f" — {problems[0]}" if problems else ""
        if runs_here < runs:
            note += f" (one run: the first took {seconds(first)})"
        sent = max(statements)
        rows.append(
            Row(
                label,
                f"{seconds(value)} (page run {seconds(statistics.median(page_runs))}, "
                f"{sent} SQL){note}",
                f"{seconds(baseline)} (empty page)",
                f"{ratio:.1f}×",
                f"≤ {PAGE_TARGET:g}×",
                ok,
                where=ws.label,
                key=f"{page} {role.value}{also}",
                sql=sent,
                database=ws.database,
                scale=ws.scale,
            )
        )
        say(f"  {ws.label} {label}: {seconds(value)} vs {seconds(baseline)} ({ratio:.1f}×){note}")
    counter.close()
    shutil.rmtree(folder, ignore_errors=True)
    return rows


def inbox_size(ws: Workspace, person: Person | None, page: str) -> str:
    """Return ', N notifications (M unread)' for the Inbox page's reader, else ''."""
    if page != "inbox.py" or person is None:
        return ""
    with Session(ws.engine) as s:
        total = s.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.person_id == person.id)
        ).one()
        unread = notifications.unread_count(s, person.id)
    return f", {total:,} notifications ({unread:,} unread)"


# --------------------------------------------------------------------------- services


def service_calls(ws: Workspace) -> list[tuple[str, Callable[[Session], Any]]]:
    """Return the Dashboard's, Review page's and Evidence page's calls, as the pages make them."""
    report, review_round = ws.report, ws.round
    calls: list[tuple[str, Callable[[Session], Any]]] = [
        ("reports.list_reports", lambda s: reports.list_reports(s)),
        ("reports.report_progress", lambda s: reports.report_progress(s, report)),
        ("sections.coverage", lambda s: sections.coverage(s, report.id)),
        (
            "reviews.open_comment_counts",
            lambda s: reviews.open_comment_counts(s, report_id=report.id),
        ),
        ("reviews.round_summaries", lambda s: reviews.round_summaries(s, report_id=report.id)),
        ("reports.progress_over_time", lambda s: reports.progress_over_time(s, report.id)),
    ]
    if review_round is not None:
        with Session(ws.engine) as s:
            busiest = s.exec(
                select(ReviewComment.section_id)
                .where(ReviewComment.round_id == review_round.id)
                .group_by(ReviewComment.section_id)
                .order_by(desc(func.count()))
            ).first()
        rid = review_round.id
        calls += [
            (
                "reviews.disposition_counts",
                lambda s: reviews.disposition_counts(s, round_id=rid),
            ),
            (
                "reviews.list_comments, first page, no filter",
                lambda s: reviews.list_comments(s, round_id=rid, limit=PAGE_ROWS),
            ),
            (
                "reviews.list_comments, first page, open substantive on one section",
                lambda s: reviews.list_comments(
                    s,
                    round_id=rid,
                    section_id=busiest,
                    kind=CommentKind.substantive,
                    open_only=True,
                    limit=PAGE_ROWS,
                ),
            ),
            (
                "reviews.list_comments, first page, text 'collective agreements', not signed off",
                lambda s: reviews.list_comments(
                    s,
                    round_id=rid,
                    text="collective agreements",
                    signed_off=False,
                    limit=PAGE_ROWS,
                ),
            ),
        ]
    calls += inbox_calls(ws)
    calls += [
        (
            "sources.search_sources, first page, no filter",
            lambda s: sources.search_sources(s, report_id=report.id, limit=PAGE_ROWS),
        ),
        (
            "sources.search_sources, first page, text 'wage', peer-reviewed",
            lambda s: sources.search_sources(
                s, report_id=report.id, text="wage", kind=SourceKind.peer_reviewed, limit=PAGE_ROWS
            ),
        ),
    ]
    return calls


#: The workspace search's queries: a common word, a phrase, a rare word, a source key prefix.
SEARCH_QUERIES = (
    ("a common word", "wage"),
    ("a phrase", '"collective agreements"'),
    ("a rare word", "cooperatives"),
    ("a source key prefix", "SOURCE_KEY"),
)


def search_calls(ws: Workspace) -> list[tuple[str, Callable[[Session], Any]]]:
    """Return the workspace search's calls (``workbench.search``), as the sidebar box makes them.

    The reader is the workspace's CLA (permissions apply); the source key prefix is the
    first letters of a real key of the largest report.
    """
    try:
        from workbench import search
    except ImportError:
        return []
    with Session(ws.engine) as s:
        key = s.exec(
            select(Source.key).where(Source.report_id == ws.report.id).order_by(col(Source.id))
        ).first()
    person_id, slug = ws.cla.id, ws.report.slug
    calls = []
    for what, query in SEARCH_QUERIES:
        if query == "SOURCE_KEY":
            query = (key or "smith")[:5]
        calls += [
            (
                f"search.search {query!r} ({what}), whole workspace",
                lambda s, query=query: search.search(
                    s, person=s.get(Person, person_id), text=query, limit=PAGE_ROWS
                ),
            ),
            (
                f"search.search {query!r} ({what}), one report",
                lambda s, query=query: search.search(
                    s,
                    person=s.get(Person, person_id),
                    text=query,
                    report=slug,
                    limit=PAGE_ROWS,
                ),
            ),
        ]
    return calls


def inbox_calls(ws: Workspace) -> list[tuple[str, Callable[[Session], Any]]]:
    """Return the Inbox page's and the Discussions page's calls, for the workspace's CLA."""
    person_id, report_id = ws.cla.id, ws.report.id
    return [
        ("notifications.unread_count", lambda s: notifications.unread_count(s, person_id)),
        ("notifications.inbox, first page", lambda s: notifications.inbox(s, person_id)),
        (
            "notifications.inbox, first page, unread only",
            lambda s: notifications.inbox(s, person_id, unread_only=True),
        ),
        (
            "discussions.threads, first page, open",
            lambda s: discussions.threads(s, report_id=report_id, status="open"),
        ),
        (
            "discussions.threads, first page, the person's",
            lambda s: discussions.threads(s, report_id=report_id, person_id=person_id),
        ),
    ]


def measure_calls(
    ws: Workspace, runs: int, calls: list[tuple[str, Callable[[Session], Any]]] | None = None
) -> dict[str, tuple[float, int]]:
    """Return call name → (median seconds, SQL statements sent), each call in a fresh session."""
    counter = StatementCounter(ws.engine)
    result = {}
    for name, call in service_calls(ws) if calls is None else calls:

        def once(call=call) -> tuple[float, int]:
            with Session(ws.engine) as s, counter.counting() as sent:
                elapsed = timed(lambda: call(s))
            return elapsed, sent[0]

        once()
        samples = [once() for _ in range(max(runs, 5))]
        result[name] = (
            statistics.median(t for t, _ in samples),
            max(n for _, n in samples),
        )
        say(f"  {ws.label:>6} {name}: {seconds(result[name][0])}, {result[name][1]} SQL")
    counter.close()
    return result


def call_rows(
    ws: Workspace, runs: int, calls: list[tuple[str, Callable[[Session], Any]]]
) -> list[Row]:
    """Time each call on one workspace (target 100 ms); the SQL counts are compared later."""
    rows = []
    for name, (elapsed, statements) in measure_calls(ws, runs, calls).items():
        rows.append(
            Row(
                f"`{name}` ({ws.report.slug})",
                f"{elapsed * 1000:.1f} ms · {statements} SQL",
                "",
                "",
                f"< {SERVICE_TARGET_MS:g} ms",
                elapsed * 1000 < SERVICE_TARGET_MS,
                where=ws.label,
                key=name,
                sql=statements,
                database=ws.database,
                scale=ws.scale,
                elapsed=elapsed,
            )
        )
    return rows


def compare_sql(rows: list[Row]) -> None:
    """Hold every larger workspace's SQL counts against the smallest's of the same database.

    A page or a call that sends more statements on a larger workspace does work that
    grows with the data (a query per row, an unbounded loop): its row is missed. The
    counts are shown when they differ.
    """
    smallest: dict[tuple[str, str], Row] = {}
    for row in rows:
        if row.sql is None or row.scale is None:
            continue
        known = smallest.get((row.database, row.key))
        if known is None or row.scale < known.scale:
            smallest[(row.database, row.key)] = row
    for row in rows:
        base = smallest.get((row.database, row.key))
        if row.sql is None or base is None or base is row or base.scale == row.scale:
            continue
        # Fewer is bounded too: a branch with nothing to show at this scale (a section
        # without threads) sends nothing. More means work that grows with the data.
        same = row.sql <= base.sql
        if row.held_to_sql:
            row.target += f"; SQL ≤ {base.where}'s"
            row.met = row.met and same
        seen = f"{base.sql} SQL at {base.where}" + (
            "" if row.sql == base.sql else f", {row.sql} here"
        )
        if row.elapsed is not None and base.elapsed:
            row.baseline = f"at {base.where}: {base.elapsed * 1000:.1f} ms · {base.sql} SQL"
            row.ratio = (
                f"{row.elapsed / base.elapsed:.1f}× time for {row.scale / base.scale:g}× data"
            )
        else:
            row.ratio = f"{row.ratio}; {seen}" if row.ratio else seen


# --------------------------------------------------------------------------- inbox and mail


def inbox_rows(ws: Workspace, runs: int, *, pages: bool, calls: bool) -> list[Row]:
    """Time `workbench notify --dry-run`, and the Inbox and Discussions pages (``pages``) and
    their calls (``calls``) when the ``pages`` and ``services`` groups do not run."""
    rows = []
    if pages:
        rows += page_rows(ws, runs, only=INBOX_PAGES)
    if calls:
        rows += call_rows(ws, runs, inbox_calls(ws))
    return rows + notify_rows(ws, runs)


def notify_rows(ws: Workspace, runs: int) -> list[Row]:
    """Time `workbench notify --dry-run --json` as cron runs it, and `mail.compose` alone."""
    with Session(ws.engine) as s:
        everyone = s.exec(select(func.count()).select_from(Person).where(col(Person.active))).one()
        pending = s.exec(
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.emailed_at).is_(None), col(Notification.read_at).is_(None))
        ).one()
        last_id = s.exec(select(func.max(Notification.id))).one() or 0
    command = [str(ROOT / ".venv" / "bin" / "workbench"), "notify", "--dry-run", "--json"]
    env = {**os.environ, "WORKBENCH_DATABASE_URL": ws.url}

    def forget_reminders() -> None:
        # The command records the day's reminders (as it must); the workspace stays as generated.
        with ws.engine.begin() as conn:
            conn.execute(delete(Notification).where(col(Notification.id) > last_id))

    problems: list[str] = []
    counts: list[tuple[int, int, int]] = []

    def command_run() -> None:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            problems.append((done.stderr or done.stdout).strip()[-300:])
            return
        out = json.loads(done.stdout)
        messages = out["messages"]
        counts.append(
            (
                len(messages),
                sum(len(m.get("items", [])) for m in messages),
                out["reminders_recorded"],
            )
        )

    def compose_run() -> None:
        with Session(ws.engine) as s:
            composed.append(len(mail.compose(s, base=mail.DEFAULT_BASE_URL)))

    composed: list[int] = []
    cli_times, compose_times = [], []
    try:
        for _ in range(runs):
            cli_times.append(timed(command_run))
            forget_reminders()
            compose_times.append(timed(compose_run))
    finally:
        forget_reminders()
    value, alone = statistics.median(cli_times), statistics.median(compose_times)
    messages, items, reminders = counts[-1] if counts else (0, 0, 0)
    note = f" — {problems[0]}" if problems else ""
    say(
        f"  workbench notify --dry-run --json: {seconds(value)} for {everyone:,} people "
        f"({messages:,} messages, {items:,} items); compose alone {seconds(alone)}{note}"
    )
    return [
        Row(
            f"`workbench notify --dry-run --json` ({everyone:,} people, {pending:,} pending "
            "notifications; the day's reminders recorded first)",
            f"{seconds(value)}: {messages:,} messages holding {items:,} items, "
            f"{reminders:,} reminders recorded{note}",
            f"`mail.compose` alone: {seconds(alone)} ({max(composed, default=0):,} messages)",
            f"{value / NOTIFY_TARGET_S:.2f} of the target",
            f"≤ {NOTIFY_TARGET_S:g} s",
            value <= NOTIFY_TARGET_S and not problems,
            where=ws.label,
        )
    ]


# The comment import against the to_sql floor: bench/import_bench.py.


# --------------------------------------------------------------------------- export


def export_rows(ws: Workspace, runs: int) -> list[Row]:
    """Export the largest report, and the largest with no round open (no comments in margins)."""
    folder = Path(tempfile.mkdtemp(prefix="workbench-bench-export-"))
    rows = []
    with Session(ws.engine, expire_on_commit=False) as s:
        actor = s.get(Person, ws.secretariat.id)  # reads every report
        open_rounds = select(ReviewRound.report_id).where(ReviewRound.status == RoundStatus.open)
        quiet = s.exec(
            select(Section.report_id)
            .where(col(Section.report_id).not_in(open_rounds))
            .group_by(Section.report_id)
            .order_by(desc(func.sum(Section.words)))
        ).first()
        for report_id in dict.fromkeys([ws.report.id, quiet]):
            if report_id is None:
                continue
            report = s.get(Report, report_id)
            open_comments = s.exec(
                select(func.count())
                .select_from(ReviewComment)
                .join(ReviewRound, col(ReviewRound.id) == col(ReviewComment.round_id))
                .where(
                    ReviewRound.report_id == report.id,
                    ReviewRound.status == RoundStatus.open,
                    col(ReviewComment.disposition).is_(None),
                )
            ).one()
            times = export_bench.export_times(
                s, actor, report, runs=runs, folder=folder, markdown=False
            )
            margin = (
                f", {open_comments:,} open comments in the margin"
                if open_comments
                else ", no round open"
            )
            say(
                f"  export {report.slug}: {seconds(times.docx)} vs pandoc "
                f"{seconds(times.pandoc)} ({times.ratio:.2f}×)"
            )
            rows.append(
                Row(
                    f"Export {report.slug} to DOCX ({times.pages} pages{margin})",
                    seconds(times.docx),
                    f"{seconds(times.pandoc)} (pandoc alone, same Markdown)",
                    f"{times.ratio:.2f}×",
                    f"≤ {EXPORT_TARGET:g}×",
                    times.ratio <= EXPORT_TARGET,
                )
            )
    shutil.rmtree(folder, ignore_errors=True)
    return rows


# --------------------------------------------------------------------------- concurrency


@dataclass
class Save:
    section_id: int
    actor_id: int
    base: int | None
    text: str


def prepare_pg(url: str, seed: int) -> str | None:
    """Make sure the scratch PostgreSQL database holds a bench workspace; return why not."""
    engine = make_engine(url)
    try:
        if bench_info(engine) is not None:
            return None
        if inspect(engine).has_table("report"):
            with engine.connect() as conn:
                if conn.execute(select(func.count()).select_from(Report)).scalar():
                    return (
                        f"{safe_url(url)} holds reports that are not a bench workspace; "
                        "not touching it (give a scratch database)"
                    )
    finally:
        engine.dispose()
    say(f"  generating a scale-{PG_SCALE:g} workspace into {safe_url(url)} …")
    generate(url, scale=PG_SCALE, seed=seed, fresh=True, say=say)
    return None


def plan_saves(engine: Engine, tag: str) -> list[list[Save]]:
    """Return groups of saves: every save of a group on the same section from the same base."""
    with Session(engine) as s:
        candidates = s.exec(
            select(Section, SectionRevision.text, Membership.person_id)
            .join(Report, col(Report.id) == col(Section.report_id))
            .join(SectionRevision, col(SectionRevision.id) == col(Section.head_revision_id))
            .join(
                Membership,
                (col(Membership.report_id) == col(Section.report_id))
                & (col(Membership.role) == Role.cla),
            )
            .where(Report.stage != Stage.council_review)
            .order_by(col(Section.id), col(Membership.person_id))
        ).all()
    by_section: dict[int, tuple[Section, str, int]] = {}
    for section, text, cla in candidates:
        by_section.setdefault(section.id, (section, text, cla))
    chosen = list(by_section.values())[: len(CONCURRENT_GROUPS)]
    if len(chosen) < len(CONCURRENT_GROUPS):
        raise SystemExit(f"The PostgreSQL workspace needs {len(CONCURRENT_GROUPS)} sections.")
    groups = []
    for size, (section, text, cla) in zip(CONCURRENT_GROUPS, chosen, strict=True):
        groups.append(
            [
                Save(
                    section.id,
                    cla,
                    section.head_revision_id,
                    f"{text}\nA concurrent edit ({tag}, writer {k + 1} of {size}).\n",
                )
                for k in range(size)
            ]
        )
    return groups


def save_one(engine: Engine, job: Save, barrier: threading.Barrier | None) -> tuple[str, Any]:
    """Save one text in a session of its own; return ('saved', revision id) or ('conflict', …)."""
    with Session(engine, expire_on_commit=False) as s:
        actor = s.get(Person, job.actor_id)
        section = s.get(Section, job.section_id)
        if barrier is not None:
            barrier.wait()
        try:
            result = sections.save_revision(
                session=s,
                actor=actor,
                section=section,
                text=job.text,
                base_revision_id=job.base,
                message="Concurrent save (bench)",
            )
        except Conflict:
            return "conflict", None
        except Exception as exc:
            return "error", repr(exc)[:200]
        return "saved", result.revision.id


def check_saves(engine: Engine, groups: list[list[Save]], results: list[list[tuple]]) -> list[str]:
    """Return every inconsistency: a lost update, a conflict missed or a broken head chain."""
    problems = []
    with Session(engine) as s:
        for jobs, outcome in zip(groups, results, strict=True):
            section = s.get(Section, jobs[0].section_id)
            saved = [
                (job, rid)
                for job, (kind, rid) in zip(jobs, outcome, strict=True)
                if kind == "saved"
            ]
            errors = [rid for kind, rid in outcome if kind == "error"]
            if errors:
                problems.append(f"section {section.code}: {errors[0]}")
            if len(saved) != 1:
                problems.append(f"section {section.id}: {len(saved)} saves succeeded from one base")
                continue
            job, revision_id = saved[0]
            newer = s.exec(
                select(SectionRevision).where(
                    SectionRevision.section_id == section.id, SectionRevision.id > job.base
                )
            ).all()
            base = s.get(SectionRevision, job.base)
            head = s.get(SectionRevision, section.head_revision_id)
            if [r.id for r in newer] != [revision_id]:
                problems.append(f"section {section.id}: new revisions {[r.id for r in newer]}")
            elif (
                head.id != revision_id
                or head.parent_id != base.id
                or head.number != base.number + 1
                or head.text != job.text
                or section.words != head.words
            ):
                problems.append(f"section {section.id}: the head chain is broken")
    return problems


def concurrency_rows(pg_url: str | None, runs: int, seed: int) -> list[Row]:
    label = f"{sum(CONCURRENT_GROUPS)} concurrent section saves on PostgreSQL"
    if not pg_url:
        say("  concurrency: skipped, no --pg-url given")
        return [Row(label, "skipped: no --pg-url given", "", "", "", True)]
    reason = prepare_pg(pg_url, seed)
    if reason:
        say(f"  concurrency: skipped, {reason}")
        return [Row(label, f"skipped: {reason}", "", "", "", True)]
    saves = sum(CONCURRENT_GROUPS)
    provoked = sum(size - 1 for size in CONCURRENT_GROUPS)
    engine = create_engine(pg_url, pool_size=saves + 2, max_overflow=0, pool_pre_ping=True)
    concurrent, sequential, problems, detected_runs = [], [], [], []
    try:
        for run in range(runs + 1):  # the first run warms up
            groups = plan_saves(engine, f"sequential {run}")
            start = time.perf_counter()
            for jobs in groups:
                for job in jobs:
                    fresh = Save(job.section_id, job.actor_id, None, job.text)
                    with Session(engine) as s:
                        fresh.base = s.get(Section, job.section_id).head_revision_id
                    kind, detail = save_one(engine, fresh, None)
                    if kind != "saved":
                        problems.append(f"sequential save refused: {kind} {detail}")
            sequential_time = time.perf_counter() - start

            groups = plan_saves(engine, f"concurrent {run}")
            jobs = [job for group in groups for job in group]
            barrier = threading.Barrier(len(jobs) + 1)
            with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
                futures = [pool.submit(save_one, engine, job, barrier) for job in jobs]
                barrier.wait()
                start = time.perf_counter()
                outcomes = [f.result() for f in futures]
                concurrent_time = time.perf_counter() - start
            results, i = [], 0
            for group in groups:
                results.append(outcomes[i : i + len(group)])
                i += len(group)
            detected = sum(1 for kind, _ in outcomes if kind == "conflict")
            run_problems = check_saves(engine, groups, results)
            if detected != provoked:
                run_problems.append(f"{detected} conflicts detected, {provoked} provoked")
            problems += run_problems
            say(
                f"  concurrency run {run}: {saves / concurrent_time:.1f} saves/s at once, "
                f"{saves / sequential_time:.1f} one by one, {detected}/{provoked} conflicts"
                + (f"; {run_problems[0]}" if run_problems else "")
            )
            if run:
                concurrent.append(saves / concurrent_time)
                sequential.append(saves / sequential_time)
                detected_runs.append(detected)
    finally:
        engine.dispose()
    value, base = statistics.median(concurrent), statistics.median(sequential)
    ok = not problems
    low, high = min(detected_runs), max(detected_runs)
    detected_text = str(low) if low == high else f"{low}–{high}"
    verdict = f"{detected_text} of {provoked} provoked conflicts detected in each run; " + (
        "no lost update, head chains consistent" if ok else problems[0]
    )
    return [
        Row(
            f"{label} ({len(CONCURRENT_GROUPS)} sections, {provoked} provoked conflicts)",
            f"{value:.1f} saves/s; {verdict}",
            f"{base:.1f} saves/s (one after another)",
            f"{value / base:.1f}×",
            "conflicts detected = provoked; no lost update",
            ok,
        )
    ]


# --------------------------------------------------------------------------- main


def hide_password(arg: str) -> str:
    """Return a command-line argument with the password of any database URL in it hidden."""
    if "://" not in arg:
        return arg
    option, _, url = arg.partition("=") if arg.startswith("--") else ("", "", arg)
    return f"{option}={safe_url(url)}" if option else safe_url(url)


def table(rows: list[Row]) -> str:
    header = ["database", "measurement", "value", "baseline", "ratio", "target", "met?"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def workspaces(args: argparse.Namespace) -> list[Workspace]:
    """Open the workspaces asked for, smallest first per database: SQLite, then PostgreSQL."""
    opened = []
    url = ensure(args.url, 1.0, args.seed)
    if args.small_comparison and not args.ten_x_url:
        urls = [ensure(None, 0.1, args.seed), url]
    else:
        urls = [url, ensure(args.ten_x_url, 10.0, args.seed)]
    urls += [u for u in (args.pg_url, args.pg_ten_x_url) if u]
    for u in urls:
        ws = open_workspace(u)
        say(
            f"Workspace {ws.label}: largest report {ws.report.slug}"
            + (f", open round {ws.round.name}" if ws.round else "")
        )
        opened.append(ws)
    return opened


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the SQLite 1× workspace (default: generated bench file)")
    parser.add_argument(
        "--ten-x-url", help="the SQLite 10× workspace (default: generated bench file)"
    )
    parser.add_argument("--pg-url", help="the PostgreSQL 1× workspace (bench/generate.py --url)")
    parser.add_argument("--pg-ten-x-url", help="the PostgreSQL 10× workspace")
    parser.add_argument(
        "--scratch-pg-url",
        help="a scratch PostgreSQL database for the concurrent saves (default: --pg-url)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument(
        "--only",
        choices=GROUPS,
        action="append",
        help="run this group of measurements only (may be repeated)",
    )
    parser.add_argument(
        "--pages",
        nargs="+",
        metavar="FILE",
        help="open only these pages (file names in views/, e.g. review.py)",
    )
    parser.add_argument(
        "--page-runs",
        type=int,
        help=f"runs per page (default: --runs, at most {PAGE_RUNS}: every page is opened "
        "on every workspace, and opening a page at 10× takes seconds)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of generated workspaces")
    parser.add_argument(
        "--small-comparison",
        action="store_true",
        help="compare SQLite 0.1× with 1× instead of 1× with 10× (quicker)",
    )
    args = parser.parse_args()
    wanted = args.only or list(GROUPS)
    page_runs = args.page_runs or min(args.runs, PAGE_RUNS)
    started = time.perf_counter()
    opened = workspaces(args)
    first = opened[0]
    per_scale = {}  # the smallest workspace of each database: imports go there
    for ws in opened:
        per_scale.setdefault(ws.database, ws)
    rows: list[Row] = []

    def add(ws: Workspace, new: list[Any]) -> None:
        for row in new:
            if not isinstance(row, Row):  # a row of bench/import_bench.py
                cells = row.cells()
                row = Row(*cells[:5], met=row.met)
            row.where = row.where or ws.label
            rows.append(row)

    for ws in opened:
        group_started = time.perf_counter()
        if "pages" in wanted:
            say(f"Pages on {ws.label} …")
            add(ws, page_rows(ws, page_runs, only=tuple(args.pages or ())))
        if "services" in wanted:
            say(f"Service calls on {ws.label} …")
            add(ws, call_rows(ws, args.runs, service_calls(ws)))
        if "search" in wanted:
            say(f"Workspace search on {ws.label} …")
            calls = search_calls(ws)
            if calls:
                found = call_rows(ws, args.runs, calls)
                for row in found:
                    row.held_to_sql = False
                add(ws, found)
            else:
                add(ws, [Row("Workspace search", "workbench.search is missing", "", "", "", False)])
        if "inbox" in wanted:
            say(f"Inbox, discussions and mail on {ws.label} …")
            add(
                ws,
                inbox_rows(
                    ws,
                    args.runs,
                    pages="pages" not in wanted,
                    calls="services" not in wanted,
                ),
            )
        if "import" in wanted and per_scale[ws.database] is ws:
            say(f"Comment import on {ws.label} …")
            add(ws, import_bench.import_rows(ws, args.runs, args.seed))
        if "export" in wanted and ws is first:
            say(f"Export on {ws.label} …")
            add(ws, export_rows(ws, args.runs))
        say(f"  {ws.label}: {time.perf_counter() - group_started:.0f} s")
    if "concurrency" in wanted:
        say("Concurrent saves …")
        scratch = args.scratch_pg_url or args.pg_url
        for row in concurrency_rows(scratch, args.runs, args.seed):
            row.where = "PostgreSQL (scratch)" if args.scratch_pg_url else "PostgreSQL 1×"
            rows.append(row)
    compare_sql(rows)
    for ws in opened:
        ws.engine.dispose()
    shown = [hide_password(arg) for arg in sys.argv]
    command = shlex.join([sys.executable.replace(str(ROOT) + "/", ""), *shown])
    print(
        f"Benchmarks at IPCC scale on {', '.join(ws.label for ws in opened)}, median of "
        f"{args.runs} runs each (pages: {page_runs}), {os.cpu_count()} CPUs, "
        f"{time.perf_counter() - started:.0f} s in all ({time.strftime('%Y-%m-%d %H:%M %Z')})."
    )
    for ws in opened:
        print(f"- {ws.label}: {safe_url(ws.url)}")
    print()
    print(table(rows))
    print()
    print(f"Command: `{command}`")
    missed = [row for row in rows if not row.met]
    if missed:
        print(f"\n{len(missed)} target(s) missed:")
        for row in missed:
            print(f"- {row.where}: {row.measurement}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
