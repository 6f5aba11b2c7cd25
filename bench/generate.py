"""Generate an IPCC-scale workspace for the benchmarks, seeded, straight into the tables.

    .venv/bin/python bench/generate.py [--scale 1] [--seed 1] [--url URL] [--fresh]

At scale 1 the workspace holds 14 reports (one per theme), 1,000 people, 20,000
sources, 840 sections of realistic length with their revision history, 100,000
review comments, 2,000 each of findings, consensus items (with actors and
positions) and recommendations, 2,000 discussion threads holding 20,000
messages, and 200,000 notifications; ``--scale`` multiplies every count except the
number of reports (0.1 for a quick run, 10 for the 10× run, where each report has
600 sections).

What is in it, per report: 3 CLAs, 10–12 Lead Authors, 2 Contributing Authors,
2 Review Editors and about 50 reviewers (× scale), plus 7 Council members and
the Secretariat across the workspace; sections under the four synthesis
questions (with front matter and a cross-cutting part), each with 1–7
revisions whose text grows over the months; review rounds by stage (a
first-order draft has its FOD open; a second-order draft has FOD closed and SOD
open; final drafts and the report in Council review have both closed) that froze
the revision current when they opened; comments on real lines of those frozen
texts, every one answered with a disposition in closed rounds, about half in
open rounds, most answers signed off by a Review Editor; findings, consensus
items with actors' positions, initiatives, recommendations with their links,
Council decisions on the report in Council review, translations of the most
advanced reports, the authors' discussion threads (on sections, some on a line
range of the head text, and on findings, consensus items, recommendations and
initiatives; open and resolved; replies and @mentions), every person's
notifications (mentions and replies in those threads, review comments,
responses, assignments, reminders, rounds and Council decisions, each linking
where it is handled; the authors of the reports get the most, a CLA of the
flagship the most of all; about half unread, the older ones mostly emailed
already) with their digest times, and the audit events the services would have
written. The
flagship report (the first, at the second-order draft stage) is the largest and
draws the most comments, as a Working Group report does at the IPCC.

Rows go in through SQLAlchemy core bulk inserts with ids chosen here (one
transaction per table batch), not through the services: the benchmarks measure
reading, paging, importing and exporting, and going through every permission
check would take longer than the measurements. Dates are anchored on the day of
generation, so the open rounds are open today and some sections are overdue.
Everyone's password is ``bench-workbench``; the Secretariat is
``secretariat@bench.ipsp.example``.

The database must be empty (``--fresh`` drops every table first, for scratch
databases only). The default URL is a SQLite file in the temporary folder named
after the scale and seed, which ``bench/run.py`` finds again; a finished
workspace carries an audit event ``generate_bench_workspace`` with its scale and
seed, so an interrupted one is never mistaken for a complete one.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from bench.synthetic import (
    COUNTRIES,
    DISCIPLINES,
    OBJECTS,
    REGIONS,
    SECTORS,
    SUBJECTS,
    LinePicker,
    comment_fields,
    person_name,
    section_text,
    sentence,
    source_row,
)
from workbench import people, themes
from workbench.content import content_hash
from workbench.db import make_engine
from workbench.governance import ETHICS_CODE_VERSION, HIGH_CONFIDENCE, confidence_for
from workbench.migrate import upgrade
from workbench.models import (
    QUESTION_ORDER,
    Actor,
    ActorType,
    Agreement,
    AuditEvent,
    Citation,
    Classification,
    ConsensusItem,
    CouncilDecision,
    CouncilVote,
    DecisionFinding,
    DecisionKind,
    DecisionRule,
    DecisionStatus,
    DecisionVoter,
    DiscussionMessage,
    DiscussionTarget,
    DiscussionThread,
    EthicsSignature,
    Evidence,
    Finding,
    FindingSource,
    FrozenSection,
    Horizon,
    Initiative,
    InitiativeStatus,
    Likelihood,
    MailState,
    Membership,
    Mention,
    Notification,
    NotificationKind,
    Person,
    Position,
    Question,
    Recommendation,
    RecommendationFinding,
    RecommendationInitiative,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Scale,
    Section,
    SectionAuthor,
    SectionRevision,
    SectionStatus,
    Source,
    Stage,
    Stance,
    Theme,
    Translation,
    TranslationStatus,
    Vote,
    utcnow,
)
from workbench.sections import extract_citation_keys, lines_of, word_count

BATCH = 20_000
#: Kinds whose notification carries an excerpt (a message, a comment).
_WITH_DETAIL = {
    NotificationKind.mention,
    NotificationKind.reply,
    NotificationKind.review_comment,
    NotificationKind.comment_response,
}
MARKER = "generate_bench_workspace"
EMAIL_DOMAIN = "bench.ipsp.example"
SECRETARIAT_EMAIL = f"secretariat@{EMAIL_DOMAIN}"
PASSWORD = "bench-workbench"
COUNCIL_MEMBERS = 7
FLAGSHIP_WEIGHT = 5  # the flagship report draws this many times the comments of another
# Stages of the reports, in order; the first is the flagship.
STAGES = [
    Stage.second_order_draft,
    Stage.first_order_draft,
    Stage.final_draft,
    Stage.second_order_draft,
    Stage.first_order_draft,
    Stage.zero_order_draft,
    Stage.council_review,
    Stage.first_order_draft,
    Stage.second_order_draft,
    Stage.final_draft,
    Stage.first_order_draft,
    Stage.zero_order_draft,
    Stage.second_order_draft,
    Stage.first_order_draft,
]
ROUND_WEIGHT = {"FOD": 1.0, "SOD": 1.4}
SYNTHESIS = [Question.known, Question.desirable, Question.obstacles, Question.action]

Say = Callable[[str], None]


def default_path(scale: float, seed: int) -> Path:
    """Return the SQLite file the generator writes by default for this scale and seed."""
    return Path(tempfile.gettempdir()) / "workbench-bench" / f"workspace-x{scale:g}-seed{seed}.db"


def default_url(scale: float, seed: int) -> str:
    """Return the default database URL for this scale and seed."""
    return f"sqlite:///{default_path(scale, seed)}"


def bench_info(engine: Engine) -> dict[str, Any] | None:
    """Return the scale, seed and counts of a finished bench workspace, or None."""
    if not inspect(engine).has_table("auditevent"):
        return None
    with engine.connect() as conn:
        detail = conn.execute(
            select(AuditEvent.detail).where(AuditEvent.action == MARKER).limit(1)
        ).scalar()
    return detail


# --------------------------------------------------------------------------- plan


@dataclass
class Plan:
    """How many of everything the workspace gets."""

    scale: float
    seed: int
    reports: int = 14

    def count(self, at_scale_one: int, minimum: int = 1) -> int:
        """Return ``at_scale_one`` × scale, rounded, at least ``minimum``."""
        return max(minimum, round(at_scale_one * self.scale))

    @property
    def people(self) -> int:
        return self.count(1_000, minimum=60)

    @property
    def sources(self) -> int:
        return self.count(20_000, minimum=self.reports * 20)

    @property
    def sections(self) -> int:
        return self.count(840, minimum=self.reports * 6)

    @property
    def comments(self) -> int:
        return self.count(100_000)

    @property
    def findings(self) -> int:
        return self.count(2_000, minimum=self.reports * 3)

    @property
    def consensus_items(self) -> int:
        return self.count(2_000, minimum=self.reports * 3)

    @property
    def recommendations(self) -> int:
        return self.count(2_000, minimum=self.reports * 3)

    @property
    def actors(self) -> int:
        return self.count(120, minimum=12)

    @property
    def initiatives(self) -> int:
        return self.count(280, minimum=self.reports * 2)

    @property
    def threads(self) -> int:
        return self.count(2_000, minimum=self.reports * 2)

    @property
    def discussion_messages(self) -> int:
        return max(self.threads, self.count(20_000))

    @property
    def notifications(self) -> int:
        return self.count(200_000, minimum=1_000)

    @property
    def reviewers_per_report(self) -> int:
        return self.count(50, minimum=4)

    def weights(self) -> list[float]:
        """Return each report's share of per-report content (the flagship gets twice as much)."""
        return [2.0 if r == 0 else 1.0 for r in range(self.reports)]


def split(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainders)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [math.floor(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: parts[i] - exact[i])[: total - sum(parts)]:
        parts[i] += 1
    return parts


# --------------------------------------------------------------------------- writing


class Writer:
    """Buffer rows per table and bulk-insert them, one transaction per table batch.

    Ids are handed out here (the database starts empty), so rows can refer to
    each other before they are written. A full buffer flushes every buffer in
    foreign-key order, so a row is never written before the rows it refers to.
    """

    def __init__(self, engine: Engine, say: Say) -> None:
        self.engine = engine
        self.say = say
        self.order = [t.name for t in SQLModel.metadata.sorted_tables]
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.models: dict[str, Any] = {}
        self.written: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.next_ids: dict[str, int] = {}

    def ids(self, model: Any, count: int) -> range:
        """Reserve ``count`` ids of ``model``'s table and return them."""
        name = model.__tablename__
        if name not in self.next_ids:
            with self.engine.connect() as conn:
                self.next_ids[name] = (conn.execute(select(func.max(model.id))).scalar() or 0) + 1
        start = self.next_ids[name]
        self.next_ids[name] = start + count
        return range(start, start + count)

    def new_id(self, model: Any) -> int:
        """Reserve one id of ``model``'s table."""
        return self.ids(model, 1)[0]

    def add(self, model: Any, rows: Iterable[dict[str, Any]]) -> None:
        """Queue rows for ``model``'s table; write everything queued once a buffer is full."""
        name = model.__tablename__
        self.models[name] = model
        buffer = self.buffers.setdefault(name, [])
        buffer.extend(rows)
        if len(buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write every queued row, parents first, one transaction per table batch."""
        for name in self.order:
            buffer = self.buffers.get(name)
            while buffer:
                chunk, self.buffers[name] = buffer[:BATCH], buffer[BATCH:]
                buffer = self.buffers[name]
                start = time.perf_counter()
                with self.engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        copy_rows(conn, self.models[name].__table__, chunk)
                    else:
                        conn.execute(insert(self.models[name]), chunk)
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
                self.written[name] = self.written.get(name, 0) + len(chunk)


def copy_rows(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Write rows into a PostgreSQL table with ``COPY … FROM STDIN`` (psycopg 3).

    COPY is several times faster than even multi-row inserts for a million rows.
    Values go through each column type's own conversion (enums to their values,
    JSON to text), as an insert would send them, and a column a row leaves out
    takes the column's default, as in an insert; COPY fires the tables' insert
    triggers (full-text search, comment counts) as inserts do.
    """
    names = list(dict.fromkeys(key for row in rows[:1] for key in row))
    for column in table.columns:
        if column.name not in names and column.default is not None:
            names.append(column.name)
    dialect = conn.dialect
    convert = []
    for name in names:
        column = table.c[name]
        process = column.type.bind_processor(dialect)
        default = column.default
        convert.append((name, process, default))
    columns = ", ".join(f'"{name}"' for name in names)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            values = []
            for name, process, default in convert:
                if name in row:
                    value = row[name]
                elif default.is_callable:
                    value = default.arg(None)
                else:
                    value = default.arg
                if process is not None and value is not None:
                    value = process(value)
                if isinstance(value, (dict, list)):
                    value = json.dumps(value)
                values.append(value)
            copy.write_row(values)


# --------------------------------------------------------------------------- the workspace


@dataclass
class RoundPlan:
    id: int
    name: str
    stage: Stage
    opened_at: datetime
    closes_on: date
    closed_at: datetime | None
    # section id → (frozen revision id, number of lines of the frozen text)
    frozen: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass
class ReportPlan:
    index: int
    id: int
    slug: str
    title: str
    stage: Stage
    start: date
    due: date
    languages: list[str]
    clas: list[int]
    las: list[int]
    cas: list[int]
    res: list[int]
    reviewers: list[int]
    rounds: list[RoundPlan] = field(default_factory=list)
    source_ids: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    section_ids: list[int] = field(default_factory=list)
    section_question: dict[int, Question] = field(default_factory=dict)
    section_lead: dict[int, int] = field(default_factory=dict)
    finding_ids: list[int] = field(default_factory=list)
    high_findings: list[int] = field(default_factory=list)
    initiative_ids: list[int] = field(default_factory=list)
    recommendation_ids: list[int] = field(default_factory=list)
    consensus_ids: list[int] = field(default_factory=list)
    # section id → (head revision id, number of lines of the head text)
    section_heads: dict[int, tuple[int, int]] = field(default_factory=dict)
    thread_links: list[str] = field(default_factory=list)
    words: int = 0
    digest: str = ""

    @property
    def authors(self) -> list[int]:
        return self.clas + self.las


class Generator:
    """Build the workspace table by table; see the module docstring for what goes in."""

    def __init__(self, engine: Engine, plan: Plan, say: Say) -> None:
        self.engine = engine
        self.plan = plan
        self.say = say
        self.rng = random.Random(plan.seed)
        self.out = Writer(engine, say)
        self.now = utcnow().replace(microsecond=0)
        self.today = self.now.date()
        self.names: dict[int, tuple[str, str]] = {}  # person id → (name, affiliation)
        self.emails: dict[int, str] = {}
        self.reports: list[ReportPlan] = []
        self.secretariat = 0
        self.council: list[int] = []
        self.actor_ids: list[int] = []
        self.teams: list[dict[str, list[int]]] = []
        self.pending_memberships: list[tuple[int, int | None, Role]] = []
        self.phase_times: list[tuple[str, float]] = []

    def when(self, start: datetime, end: datetime) -> datetime:
        """Return a random moment between two moments."""
        span = max((end - start).total_seconds(), 1.0)
        return start + timedelta(seconds=self.rng.uniform(0, span))

    def at(self, day: date, hours: float = 9.0) -> datetime:
        """Return a moment on a day, in UTC."""
        return datetime(day.year, day.month, day.day, tzinfo=self.now.tzinfo) + timedelta(
            hours=hours
        )

    def audit(
        self,
        at: datetime,
        person_id: int | None,
        action: str,
        entity: str,
        entity_id: int | None,
        report_id: int | None,
        **detail: Any,
    ) -> dict[str, Any]:
        return {
            "id": self.out.new_id(AuditEvent),
            "at": at,
            "person_id": person_id,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "report_id": report_id,
            "detail": detail,
        }

    def phase(self, name: str, action: Callable[[], str]) -> None:
        start = time.perf_counter()
        what = action()
        self.out.flush()
        seconds = time.perf_counter() - start
        self.phase_times.append((name, seconds))
        self.say(f"  {name:<22} {what:<58} {seconds:7.1f} s")

    # ----------------------------------------------------------------------- phases

    def run(self) -> dict[str, Any]:
        plan = self.plan
        start = time.perf_counter()
        self.say(
            f"Generating at scale {plan.scale:g} (seed {plan.seed}): {plan.reports} reports, "
            f"{plan.people:,} people, {plan.sources:,} sources, "
            f"{plan.sections:,} sections, {plan.comments:,} comments"
        )
        self.phase("themes", self.load_themes)
        self.phase("people & teams", self.add_people)
        self.phase("reports & rounds", self.add_reports)
        self.phase("sources", self.add_sources)
        self.phase("sections & revisions", self.add_sections)
        self.phase("review comments", self.add_comments)
        self.phase("findings", self.add_findings)
        self.phase("consensus & positions", self.add_consensus)
        self.phase("initiatives & recs", self.add_recommendations)
        self.phase("council & translations", self.add_council_and_translations)
        self.phase("discussions", self.add_discussions)
        self.phase("notifications", self.add_notifications)
        seconds = time.perf_counter() - start
        counts = {name: n for name, n in self.out.written.items()}
        info = {
            "scale": plan.scale,
            "seed": plan.seed,
            "reports": plan.reports,
            "seconds": round(seconds, 1),
            "generated_at": self.now.isoformat(),
            "rows": counts,
            "flagship": self.reports[0].slug,
        }
        with self.engine.begin() as conn:
            conn.execute(
                insert(AuditEvent),
                [self.audit(self.now, self.secretariat, MARKER, "workspace", None, None, **info)],
            )
        self.finish()
        self.say(f"Done in {seconds:.1f} s: {sum(counts.values()):,} rows.")
        for name in sorted(counts, key=lambda n: -self.out.seconds.get(n, 0)):
            self.say(
                f"    {name:<26} {counts[name]:>10,} rows  {self.out.seconds.get(name, 0):6.1f} s"
                " inserting"
            )
        return info

    def load_themes(self) -> str:
        with Session(self.engine) as s:
            themes.seed_themes(s)
        return "the 14 themes from data/themes.json"

    def add_people(self) -> str:
        plan, rng = self.plan, self.rng
        ids = self.out.ids(Person, plan.people)
        hashed = people.hash_password(PASSWORD)
        rows = []
        for n, pid in enumerate(ids):
            name = "Bench Secretariat" if n == 0 else person_name(rng)
            country = rng.choice(COUNTRIES)
            affiliation = rng.choice(
                [f"University of {country}", f"{country} Institute of Social Research", "ILO"]
            )
            email = (
                SECRETARIAT_EMAIL
                if n == 0
                else f"{name.lower().replace(' ', '.')}.{n:05d}@{EMAIL_DOMAIN}"
            )
            rows.append(
                {
                    "id": pid,
                    "email": email,
                    "name": name,
                    "gender": rng.choice(["female", "male", "female", "male", "non-binary", ""]),
                    "region": rng.choice(REGIONS),
                    "country": country,
                    "discipline": rng.choice(DISCIPLINES),
                    "sector": rng.choice(SECTORS),
                    "affiliation": affiliation,
                    "password_hash": hashed,
                    "active": True,
                    "created_at": self.now - timedelta(days=rng.randint(400, 600)),
                }
            )
            self.names[pid] = (name, affiliation)
            self.emails[pid] = email
        self.out.add(Person, rows)
        everyone = list(ids)
        self.secretariat = everyone[0]
        self.council = everyone[1 : 1 + COUNCIL_MEMBERS]
        rest = everyone[1 + COUNCIL_MEMBERS :]
        team_size = 19  # 3 CLAs, up to 12 LAs, 2 CAs, 2 REs
        author_pool_size = min(len(rest) - plan.reviewers_per_report, round(plan.reports * 17))
        author_pool, reviewer_pool = rest[:author_pool_size], rest[author_pool_size:]
        memberships = [(self.secretariat, None, Role.secretariat)] + [
            (pid, None, Role.council_member) for pid in self.council
        ]
        signed: set[int] = set()
        for _ in range(plan.reports):
            team = rng.sample(author_pool, min(team_size, len(author_pool)))
            las = rng.randint(10, 12)
            clas, rest_team = team[:3], team[3:]
            self.teams.append(
                {
                    "clas": clas,
                    "las": rest_team[:las],
                    "cas": rest_team[las : las + 2],
                    "res": rest_team[las + 2 : las + 4],
                    "reviewers": rng.sample(
                        reviewer_pool, min(plan.reviewers_per_report, len(reviewer_pool))
                    ),
                }
            )
            signed.update(clas)
            signed.update(p for p in rest_team[: las + 2] if rng.random() < 0.92)
        ethics = [
            {
                "id": sid,
                "person_id": pid,
                "code_version": ETHICS_CODE_VERSION,
                "signed_at": self.now - timedelta(days=rng.randint(200, 400)),
            }
            for sid, pid in zip(
                self.out.ids(EthicsSignature, len(signed)), sorted(signed), strict=True
            )
        ]
        self.out.add(EthicsSignature, ethics)
        self.pending_memberships = memberships
        return f"{plan.people:,} people, {COUNCIL_MEMBERS} Council members, {len(signed)} signed"

    def add_reports(self) -> str:
        plan, rng = self.plan, self.rng
        with self.engine.connect() as conn:
            theme_rows = conn.execute(
                select(Theme.id, Theme.code, Theme.name).order_by(Theme.position, Theme.id)
            ).all()
        report_ids = self.out.ids(Report, plan.reports)
        rows, rounds, events = [], [], []
        memberships = self.pending_memberships
        for r, rid in enumerate(report_ids):
            theme_id, code, name = theme_rows[r % len(theme_rows)]
            slug = code if r < len(theme_rows) else f"{code}-{r // len(theme_rows) + 1}"
            stage = STAGES[r % len(STAGES)]
            age = {
                Stage.zero_order_draft: 150,
                Stage.first_order_draft: 260,
                Stage.second_order_draft: 400,
                Stage.final_draft: 470,
                Stage.council_review: 500,
            }[stage] + rng.randint(0, 20)
            start = self.today - timedelta(days=age)
            due = start + timedelta(days=rng.randint(480, 540))
            languages = ["en", "fr", "es"] + (["ar", "zh"] if r % 3 == 0 else [])
            team = self.teams[r]
            report = ReportPlan(
                index=r,
                id=rid,
                slug=slug,
                title=f"{name}: a Synthesis Report",
                stage=stage,
                start=start,
                due=due,
                languages=languages,
                **team,
            )
            self.reports.append(report)
            rows.append(
                {
                    "id": rid,
                    "slug": slug,
                    "title": report.title,
                    "theme_id": theme_id,
                    "start_date": start,
                    "due_date": due,
                    "languages": languages,
                    "summary": " ".join(sentence(rng, []) for _ in range(3)),
                    "stage": stage,
                    "created_at": self.at(start),
                }
            )
            for role, ids in (
                (Role.cla, team["clas"]),
                (Role.lead_author, team["las"]),
                (Role.contributing_author, team["cas"]),
                (Role.review_editor, team["res"]),
                (Role.reviewer, team["reviewers"]),
            ):
                memberships += [(pid, rid, role) for pid in ids]
            # Review rounds: (name, days ago opened, days ago closed or None).
            schedule = {
                Stage.zero_order_draft: [],
                Stage.first_order_draft: [("FOD", rng.randint(8, 40), None)],
                Stage.second_order_draft: [("FOD", 300, 235), ("SOD", rng.randint(8, 40), None)],
                Stage.final_draft: [("FOD", 380, 315), ("SOD", 200, 135)],
                Stage.council_review: [("FOD", 420, 350), ("SOD", 240, 170)],
            }[stage]
            for name_, opened_days, closed_days in schedule:
                opened = self.at(self.today - timedelta(days=opened_days), 8 + rng.random())
                closed = (
                    self.at(self.today - timedelta(days=closed_days), 16)
                    if closed_days is not None
                    else None
                )
                round_plan = RoundPlan(
                    id=self.out.new_id(ReviewRound),
                    name=name_,
                    stage=Stage.first_order_draft if name_ == "FOD" else Stage.second_order_draft,
                    opened_at=opened,
                    closes_on=opened.date() + timedelta(days=60),
                    closed_at=closed,
                )
                report.rounds.append(round_plan)
                rounds.append(
                    {
                        "id": round_plan.id,
                        "report_id": rid,
                        "name": name_,
                        "stage": round_plan.stage,
                        "status": RoundStatus.closed if closed else RoundStatus.open,
                        "opens_on": opened.date(),
                        "closes_on": round_plan.closes_on,
                        "opened_at": opened,
                        "closed_at": closed,
                    }
                )
                clas = team["clas"]
                events.append(
                    self.audit(
                        opened,
                        clas[0],
                        "open_review_round",
                        "reviewround",
                        round_plan.id,
                        rid,
                        name=name_,
                    )
                )
                if closed:
                    events.append(
                        self.audit(
                            closed,
                            clas[1],
                            "close_review_round",
                            "reviewround",
                            round_plan.id,
                            rid,
                            name=name_,
                        )
                    )
        self.out.add(Report, rows)
        self.out.add(
            Membership,
            (
                {
                    "id": mid,
                    "person_id": pid,
                    "report_id": rid,
                    "role": role,
                    "created_at": self.now - timedelta(days=300),
                }
                for mid, (pid, rid, role) in zip(
                    self.out.ids(Membership, len(memberships)), memberships, strict=True
                )
            ),
        )
        self.out.add(ReviewRound, rounds)
        self.out.add(AuditEvent, events)
        return f"{len(rows)} reports, {len(memberships):,} memberships, {len(rounds)} rounds"

    def add_sources(self) -> str:
        rng = self.rng
        for report, count in zip(
            self.reports, split(self.plan.sources, self.plan.weights()), strict=True
        ):
            prefix = report.slug.split("-")[0]
            report.keys = [f"{prefix}{n:05d}" for n in range(count)]
            report.source_ids = list(self.out.ids(Source, count))
            created = self.at(report.start)
            self.out.add(
                Source,
                (
                    {
                        "id": sid,
                        **source_row(rng, report_id=report.id, key=key, n=n, varied=True),
                        "created_at": created,
                        "updated_at": created,
                    }
                    for n, (sid, key) in enumerate(zip(report.source_ids, report.keys, strict=True))
                ),
            )
        return f"{self.plan.sources:,} sources"

    def outline(self, report: ReportPlan, count: int) -> list[tuple[Question, str, str, int]]:
        """Return (question, code, title, position) for a report's sections."""
        rng = self.rng
        result = [(Question.front, "0.1", "Summary for policymakers", 0)]
        body = count - 2
        for qi, question in enumerate(SYNTHESIS):
            n = body // 4 + (1 if qi < body % 4 else 0)
            for k in range(n):
                title = f"{rng.choice(SUBJECTS)} and {rng.choice(OBJECTS)}"
                result.append((question, f"{QUESTION_ORDER[question]}.{k + 1}", title, k))
        result.append((Question.cross_cutting, "5.1", "Cross-cutting issues and synthesis", 0))
        return result

    def add_sections(self) -> str:
        rng, plan = self.rng, self.plan
        sections_total = revisions_total = 0
        weights = [1.2 if r.index == 0 else 1.0 for r in self.reports]
        for report, count in zip(self.reports, split(plan.sections, weights), strict=True):
            outline = self.outline(report, count)
            section_ids = list(self.out.ids(Section, len(outline)))
            report.section_ids = section_ids
            key_to_id = dict(zip(report.keys, report.source_ids, strict=True))
            round_starts = [rp.opened_at for rp in report.rounds]
            # Council decisions are opened five days ago: the text has not moved since.
            last_edit = self.now - timedelta(days=6 if report.stage is Stage.council_review else 0)
            sections, revisions, citations, coauthors, frozen, events = [], [], [], [], [], []
            for sid, (question, code, title, position) in zip(section_ids, outline, strict=True):
                lead = rng.choice(report.authors)
                report.section_question[sid] = question
                report.section_lead[sid] = lead
                target = rng.choice([1000, 1200, 1500, 2000])
                if report.index == 0:
                    target = round(target * 1.25)
                started = report.stage is not Stage.zero_order_draft or rng.random() < 0.85
                # Moments of the revisions: some before each round opened, some after the last.
                edges = [self.at(report.start + timedelta(days=20)), *round_starts, last_edit]
                moments: list[datetime] = []
                if started:
                    for i in range(len(edges) - 1):
                        n = rng.randint(1, 3) if i == 0 else rng.randint(1, 2)
                        if i == len(edges) - 2 and round_starts:
                            n = rng.randint(0, 2)
                        lo = edges[i] + timedelta(hours=1)
                        hi = edges[i + 1] - timedelta(hours=1)
                        moments += sorted(self.when(lo, hi) for _ in range(n))
                share = (
                    rng.uniform(0.2, 0.6)
                    if report.stage is Stage.zero_order_draft
                    else rng.uniform(0.7, 1.1)
                )
                texts = self.drafts(report, max(80, round(target * share)), len(moments))
                rev_ids = list(self.out.ids(SectionRevision, len(texts)))
                head_id = rev_ids[-1] if rev_ids else None
                parent = None
                words = 0
                for number, (rev_id, moment, body) in enumerate(
                    zip(rev_ids, moments, texts, strict=True), start=1
                ):
                    words = word_count(body)
                    author = lead if rng.random() < 0.7 else rng.choice(report.authors)
                    revisions.append(
                        {
                            "id": rev_id,
                            "section_id": sid,
                            "number": number,
                            "parent_id": parent,
                            "author_id": author,
                            "text": body,
                            "message": rng.choice(
                                ["Draft", "Revised after team meeting", "New evidence", ""]
                            )
                            or f"Revision {number}",
                            "words": words,
                            "created_at": moment,
                        }
                    )
                    events.append(
                        self.audit(
                            moment,
                            author,
                            "save_revision",
                            "section",
                            sid,
                            report.id,
                            revision=number,
                            words=words,
                            unknown_keys=[],
                        )
                    )
                    parent = rev_id
                for round_plan in report.rounds:
                    before = [i for i, m in enumerate(moments) if m < round_plan.opened_at]
                    frozen_index = before[-1]
                    round_plan.frozen[sid] = (
                        rev_ids[frozen_index],
                        len(lines_of(texts[frozen_index])),
                    )
                    frozen.append(
                        {
                            "round_id": round_plan.id,
                            "section_id": sid,
                            "revision_id": rev_ids[frozen_index],
                        }
                    )
                head = texts[-1] if texts else ""
                if head_id is not None:
                    report.section_heads[sid] = (head_id, len(lines_of(head)))
                cited = {key_to_id[k] for k in extract_citation_keys(head) if k in key_to_id}
                citations += [{"section_id": sid, "source_id": src} for src in sorted(cited)]
                others = [p for p in report.las + report.cas if p != lead]
                coauthors += [
                    {"section_id": sid, "person_id": p}
                    for p in rng.sample(others, rng.choice([0, 1, 1, 2]))
                ]
                report.words += words
                sections.append(
                    {
                        "id": sid,
                        "report_id": report.id,
                        "code": code,
                        "question": question,
                        "title": title,
                        "brief": sentence(rng, []),
                        "due_date": report.start + timedelta(days=rng.randint(150, 480)),
                        "word_target": target,
                        "position": position,
                        "lead_author_id": lead,
                        "status": self.status(report, started),
                        "head_revision_id": head_id,
                        "words": words,
                        "updated_at": moments[-1] if moments else self.at(report.start),
                    }
                )
            self.out.add(Section, sections)
            self.out.add(SectionAuthor, coauthors)
            self.out.add(SectionRevision, revisions)
            self.out.add(Citation, citations)
            self.out.add(FrozenSection, frozen)
            self.out.add(AuditEvent, events)
            sections_total += len(sections)
            revisions_total += len(revisions)
        return f"{sections_total:,} sections, {revisions_total:,} revisions"

    def status(self, report: ReportPlan, started: bool) -> SectionStatus:
        rng = self.rng
        if report.stage is Stage.zero_order_draft:
            if not started:
                return SectionStatus.not_started
            return rng.choice([SectionStatus.drafting] * 3 + [SectionStatus.ready_for_review])
        if report.stage is Stage.council_review:
            return SectionStatus.accepted
        if report.stage is Stage.final_draft:
            return rng.choice([SectionStatus.revising, SectionStatus.accepted])
        return rng.choice([SectionStatus.in_review] * 4 + [SectionStatus.revising])

    def drafts(self, report: ReportPlan, words: int, count: int) -> list[str]:
        """Return ``count`` successive texts of a section, growing to about ``words`` words.

        The last is the full text; each earlier one is a shorter beginning of it
        with a few sentences worded differently, so revisions differ line by line.
        """
        if count == 0:
            return []
        rng = self.rng
        keys = rng.sample(report.keys, min(len(report.keys), 60))
        full = section_text(rng, keys, words)
        paragraphs = full.rstrip("\n").split("\n\n")
        texts = []
        shares = sorted(rng.uniform(0.35, 0.95) for _ in range(count - 1))
        for share in shares:
            kept = paragraphs[: max(1, round(share * len(paragraphs)))]
            lines = "\n\n".join(kept).split("\n")
            for _ in range(3):
                i = rng.randrange(len(lines))
                if lines[i] and lines[i][0].isupper():
                    lines[i] = sentence(rng, keys)
            texts.append("\n".join(lines) + "\n")
        texts.append(full)
        return texts

    def add_comments(self) -> str:
        plan, rng = self.plan, self.rng
        weighted = [
            (report, round_plan, ROUND_WEIGHT[round_plan.name] * (FLAGSHIP_WEIGHT if r == 0 else 1))
            for r, report in enumerate(self.reports)
            for round_plan in report.rounds
        ]
        if not weighted:
            return "no review round"
        counts = split(plan.comments, [w for _, _, w in weighted])
        answered_total = 0
        governments = [f"Government of {c}" for c in COUNTRIES]
        for (report, round_plan, _), count in zip(weighted, counts, strict=True):
            closed = round_plan.closed_at is not None
            end = round_plan.closed_at or self.now
            pick = LinePicker(rng, {sid: lines for sid, (_, lines) in round_plan.frozen.items()})
            numbers = range(1, count + 1)
            for first in range(0, count, BATCH):
                chunk = numbers[first : first + BATCH]
                ids = self.out.ids(ReviewComment, len(chunk))
                rows, events = [], []
                for cid, number in zip(ids, chunk, strict=True):
                    sid, lines = pick()
                    if rng.random() < 0.7:
                        reviewer_id = rng.choice(report.reviewers)
                        reviewer, affiliation = self.names[reviewer_id]
                    else:
                        reviewer_id = None
                        if round_plan.name == "SOD" and rng.random() < 0.5:
                            reviewer = rng.choice(governments)
                            affiliation = "Government"
                        else:
                            reviewer, affiliation = person_name(rng), rng.choice(COUNTRIES)
                    created = self.when(round_plan.opened_at, min(end, self.now))
                    fields = comment_fields(
                        rng,
                        lines=lines,
                        keys=report.keys[:200],
                        answered=closed or rng.random() < 0.45,
                    )
                    disposition = fields["disposition"]
                    responder = responded_at = signer = signed_at = None
                    if fields["response"]:
                        responder = (
                            report.section_lead[sid]
                            if rng.random() < 0.7
                            else rng.choice(report.clas)
                        )
                        responded_at = self.when(created, end)
                    if disposition and report.res and rng.random() < (0.85 if closed else 0.3):
                        signer = rng.choice(report.res)
                        signed_at = self.when(responded_at, end)
                    rows.append(
                        {
                            "id": cid,
                            "round_id": round_plan.id,
                            "number": number,
                            "section_id": sid,
                            "reviewer_id": reviewer_id,
                            "reviewer_name": reviewer,
                            "affiliation": affiliation,
                            **fields,
                            "responded_by_id": responder,
                            "responded_at": responded_at,
                            "signed_off_by_id": signer,
                            "signed_off_at": signed_at,
                            "created_at": created,
                        }
                    )
                    if reviewer_id is not None:
                        events.append(
                            self.audit(
                                created,
                                reviewer_id,
                                "add_review_comment",
                                "reviewcomment",
                                cid,
                                report.id,
                                round=round_plan.name,
                                number=number,
                            )
                        )
                    if disposition is not None:
                        answered_total += 1
                        events.append(
                            self.audit(
                                responded_at,
                                responder,
                                "respond_to_comment",
                                "reviewcomment",
                                cid,
                                report.id,
                                round=round_plan.name,
                                number=number,
                                disposition=disposition.value,
                                sign_off_cleared=False,
                            )
                        )
                self.out.add(ReviewComment, rows)
                self.out.add(AuditEvent, events)
        return f"{plan.comments:,} comments in {len(weighted)} rounds, {answered_total:,} answered"

    def add_findings(self) -> str:
        rng = self.rng
        counts = split(self.plan.findings, self.plan.weights())
        for report, count in zip(self.reports, counts, strict=True):
            report.finding_ids = list(self.out.ids(Finding, count))
            rows, links = [], []
            candidates = [
                s
                for s in report.section_ids
                if report.section_question[s] in (Question.known, Question.obstacles)
            ]
            for n, fid in enumerate(report.finding_ids, start=1):
                evidence = rng.choice(list(Evidence))
                agreement = rng.choice(list(Agreement))
                confidence = confidence_for(evidence, agreement)
                if confidence in HIGH_CONFIDENCE:
                    report.high_findings.append(fid)
                rows.append(
                    {
                        "id": fid,
                        "report_id": report.id,
                        "code": f"F{n}",
                        "statement": sentence(rng, []),
                        "evidence": evidence,
                        "agreement": agreement,
                        "likelihood": rng.choice(list(Likelihood)) if rng.random() < 0.3 else None,
                        "traceable_account": " ".join(
                            sentence(rng, report.keys) for _ in range(rng.randint(1, 3))
                        ),
                        "section_id": rng.choice(candidates) if rng.random() < 0.8 else None,
                        "confidence": confidence,
                        "created_at": self.when(self.at(report.start), self.now),
                    }
                )
                links += [
                    {"finding_id": fid, "source_id": src}
                    for src in rng.sample(report.source_ids, rng.randint(1, 4))
                ]
            self.out.add(Finding, rows)
            self.out.add(FindingSource, links)
        return f"{self.plan.findings:,} findings with their sources"

    def add_consensus(self) -> str:
        rng = self.rng
        types = list(ActorType)
        names = set()
        actors = []
        for aid in self.out.ids(Actor, self.plan.actors):
            kind = rng.choice(types)
            name = f"{kind.label} — {rng.choice(COUNTRIES)} {len(names) + 1}"
            names.add(name)
            actors.append(
                {"id": aid, "name": name, "actor_type": kind, "description": sentence(rng, [])}
            )
            self.actor_ids.append(aid)
        self.out.add(Actor, actors)
        positions_total = 0
        classifications = list(Classification)
        for report, count in zip(
            self.reports, split(self.plan.consensus_items, self.plan.weights()), strict=True
        ):
            items, positions = [], []
            report.consensus_ids = list(self.out.ids(ConsensusItem, count))
            for iid in report.consensus_ids:
                classification = rng.choices(classifications, weights=[25, 25, 25, 10, 15])[0]
                items.append(
                    {
                        "id": iid,
                        "report_id": report.id,
                        "statement": sentence(rng, []),
                        "classification": classification,
                        "why_false": sentence(rng, report.keys)
                        if classification is Classification.false_solution
                        else "",
                        "note": sentence(rng, []) if rng.random() < 0.3 else "",
                        "section_id": rng.choice(report.section_ids)
                        if rng.random() < 0.6
                        else None,
                        "created_at": self.when(self.at(report.start), self.now),
                    }
                )
                chosen = rng.sample(self.actor_ids, min(len(self.actor_ids), rng.randint(2, 6)))
                for pid, actor_id in zip(self.out.ids(Position, len(chosen)), chosen, strict=True):
                    positions.append(
                        {
                            "id": pid,
                            "item_id": iid,
                            "actor_id": actor_id,
                            "stance": rng.choice(list(Stance)),
                            "rationale": sentence(rng, []),
                            "source_id": rng.choice(report.source_ids)
                            if rng.random() < 0.3
                            else None,
                        }
                    )
            self.out.add(ConsensusItem, items)
            self.out.add(Position, positions)
            positions_total += len(positions)
        return (
            f"{self.plan.actors} actors, {self.plan.consensus_items:,} items, "
            f"{positions_total:,} positions"
        )

    def add_recommendations(self) -> str:
        rng = self.rng
        weights = self.plan.weights()
        for report, count in zip(self.reports, split(self.plan.initiatives, weights), strict=True):
            report.initiative_ids = list(self.out.ids(Initiative, count))
            self.out.add(
                Initiative,
                (
                    {
                        "id": iid,
                        "report_id": report.id,
                        "name": f"{rng.choice(SUBJECTS)} initiative {n}",
                        "location": rng.choice(COUNTRIES),
                        "region": rng.choice(REGIONS),
                        "who": sentence(rng, []),
                        "what": sentence(rng, report.keys),
                        "outcomes": sentence(rng, []),
                        "evidence": sentence(rng, report.keys),
                        "replicability": sentence(rng, []),
                        "review_status": rng.choice(list(InitiativeStatus)),
                        "review_note": "",
                        "created_at": self.when(self.at(report.start), self.now),
                    }
                    for n, iid in enumerate(report.initiative_ids, start=1)
                ),
            )
        links_total = 0
        for report, count in zip(
            self.reports, split(self.plan.recommendations, weights), strict=True
        ):
            report.recommendation_ids = list(self.out.ids(Recommendation, count))
            action = [
                s for s in report.section_ids if report.section_question[s] is Question.action
            ]
            rows, to_findings, to_initiatives = [], [], []
            for n, rid in enumerate(report.recommendation_ids, start=1):
                rows.append(
                    {
                        "id": rid,
                        "report_id": report.id,
                        "code": f"R{n}",
                        "text": sentence(rng, []),
                        "addressees": [
                            a.value for a in rng.sample(list(ActorType), rng.randint(1, 3))
                        ],
                        "scale": rng.choice(list(Scale)),
                        "horizon": rng.choice(list(Horizon)),
                        "context_conditions": sentence(rng, []),
                        "normative_assumptions": sentence(rng, [])
                        if rng.random() < 0.85
                        else "None identified",
                        "section_id": rng.choice(action) if action else None,
                        "created_at": self.when(self.at(report.start), self.now),
                    }
                )
                to_findings += [
                    {"recommendation_id": rid, "finding_id": f}
                    for f in rng.sample(
                        report.finding_ids, min(len(report.finding_ids), rng.randint(0, 3))
                    )
                ]
                to_initiatives += [
                    {"recommendation_id": rid, "initiative_id": i}
                    for i in rng.sample(
                        report.initiative_ids, min(len(report.initiative_ids), rng.randint(0, 2))
                    )
                ]
            self.out.add(Recommendation, rows)
            self.out.add(RecommendationFinding, to_findings)
            self.out.add(RecommendationInitiative, to_initiatives)
            links_total += len(to_findings) + len(to_initiatives)
        return (
            f"{self.plan.initiatives} initiatives, {self.plan.recommendations:,} "
            f"recommendations, {links_total:,} links"
        )

    def add_council_and_translations(self) -> str:
        rng = self.rng
        decisions, votes, links, translations, events = [], [], [], [], []
        voters: list[dict[str, int]] = []
        opened = self.now - timedelta(days=5)
        # Decisions record the hash of the whole content, so everything written so far
        # must be in the database before it is hashed.
        self.out.flush()
        with Session(self.engine) as s:
            for report in self.reports:
                if report.stage is Stage.council_review:
                    report.digest = content_hash(s, report.id)
        for report in self.reports:
            if report.stage is not Stage.council_review:
                continue
            approval = self.out.new_id(CouncilDecision)
            decisions.append(
                {
                    "id": approval,
                    "report_id": report.id,
                    "kind": DecisionKind.report_approval,
                    "rule": DecisionRule.majority_no_objection,
                    "title": f"Approval of {report.title}",
                    "reform": "",
                    "recommendation_id": None,
                    "text_hash": report.digest,
                    "status": DecisionStatus.open,
                    "opened_by_id": self.secretariat,
                    "opened_at": opened,
                    "closed_at": None,
                }
            )
            events.append(
                self.audit(opened, self.secretariat, "open", "councildecision", approval, report.id)
            )
            voters += [{"decision_id": approval, "person_id": pid} for pid in self.council]
            for vid, pid in zip(self.out.ids(CouncilVote, 4), self.council[:4], strict=True):
                vote = rng.choice([Vote.approve, Vote.approve, Vote.approve_with_changes])
                votes.append(
                    {
                        "id": vid,
                        "decision_id": approval,
                        "person_id": pid,
                        "vote": vote,
                        "reason": sentence(rng, []) if vote is Vote.approve_with_changes else "",
                        "cast_at": self.when(opened, self.now),
                    }
                )
            if report.high_findings and report.recommendation_ids:
                reform = self.out.new_id(CouncilDecision)
                decisions.append(
                    {
                        "id": reform,
                        "report_id": report.id,
                        "kind": DecisionKind.reform_endorsement,
                        "rule": DecisionRule.unanimity,
                        "title": "Endorse a statutory living-wage floor",
                        "reform": sentence(rng, []),
                        "recommendation_id": report.recommendation_ids[0],
                        "text_hash": report.digest,
                        "status": DecisionStatus.open,
                        "opened_by_id": self.secretariat,
                        "opened_at": opened,
                        "closed_at": None,
                    }
                )
                links += [
                    {"decision_id": reform, "finding_id": f} for f in report.high_findings[:2]
                ]
                voters += [{"decision_id": reform, "person_id": pid} for pid in self.council]
                for vid, pid in zip(self.out.ids(CouncilVote, 2), self.council[:2], strict=True):
                    votes.append(
                        {
                            "id": vid,
                            "decision_id": reform,
                            "person_id": pid,
                            "vote": Vote.approve,
                            "reason": "",
                            "cast_at": self.when(opened, self.now),
                        }
                    )
        self.out.add(CouncilDecision, decisions)
        self.out.add(DecisionVoter, voters)
        self.out.add(DecisionFinding, links)
        self.out.add(CouncilVote, votes)
        # Translations of the most advanced reports, some of them stale.
        advanced = [r for r in self.reports if r.stage in (Stage.final_draft, Stage.council_review)]
        if advanced:
            with self.engine.connect() as conn:
                heads = dict(
                    conn.execute(
                        select(Section.id, SectionRevision.text)
                        .join(SectionRevision, SectionRevision.id == Section.head_revision_id)
                        .where(Section.report_id.in_([r.id for r in advanced]))
                    ).all()
                )
                heads_rev = dict(
                    conn.execute(
                        select(Section.id, Section.head_revision_id).where(
                            Section.report_id.in_([r.id for r in advanced])
                        )
                    ).all()
                )
                parents = dict(
                    conn.execute(
                        select(SectionRevision.id, SectionRevision.parent_id).where(
                            SectionRevision.id.in_(list(heads_rev.values()))
                        )
                    ).all()
                )
        for report in advanced:
            for sid in report.section_ids:
                for language in report.languages[1:]:
                    status = rng.choice(list(TranslationStatus))
                    revision = None
                    body = ""
                    if status in (TranslationStatus.translated, TranslationStatus.reviewed):
                        head = heads_rev[sid]
                        stale = rng.random() < 0.2 and parents.get(head) is not None
                        revision = parents[head] if stale else head
                        body = heads[sid]
                    elif status is TranslationStatus.in_progress:
                        body = heads[sid][: len(heads[sid]) // 2]
                    translations.append(
                        {
                            "id": self.out.new_id(Translation),
                            "section_id": sid,
                            "language": language,
                            "revision_id": revision,
                            "status": status,
                            "translator_id": rng.choice(report.authors),
                            "text": body,
                            "updated_at": self.when(self.at(report.start), self.now),
                        }
                    )
        self.out.add(Translation, translations)
        self.out.add(AuditEvent, events)
        return f"{len(decisions)} Council decisions, {len(translations):,} translations"

    def add_discussions(self) -> str:
        """Threads on every kind of target, with replies, mentions, resolutions and audit."""
        rng, plan = self.rng, self.plan
        thread_counts = split(plan.threads, plan.weights())
        # Threads differ in length: a few long debates, many short exchanges.
        lengths = split(
            plan.discussion_messages, [rng.paretovariate(1.5) for _ in range(plan.threads)]
        )
        lengths = [max(1, n) for n in lengths]
        kinds = list(DiscussionTarget)
        kind_weights = [
            50,
            15,
            10,
            15,
            10,
        ]  # section, finding, consensus, recommendation, initiative
        threads, messages, mentions, events = [], [], [], []
        message_ids = iter(self.out.ids(DiscussionMessage, sum(lengths)))
        thread_ids = iter(self.out.ids(DiscussionThread, plan.threads))
        resolved = mentioned_total = 0
        n = 0
        for report, count in zip(self.reports, thread_counts, strict=True):
            talkers = report.authors + report.cas + report.res
            team = talkers + report.reviewers[:5]
            targets = {
                DiscussionTarget.section: report.section_ids,
                DiscussionTarget.finding: report.finding_ids,
                DiscussionTarget.consensus_item: report.consensus_ids,
                DiscussionTarget.recommendation: report.recommendation_ids,
                DiscussionTarget.initiative: report.initiative_ids,
            }
            for _ in range(count):
                tid, length = next(thread_ids), lengths[n]
                n += 1
                kind = rng.choices(kinds, weights=kind_weights)[0]
                if not targets[kind]:
                    kind = DiscussionTarget.section
                target_id = rng.choice(targets[kind])
                from_line = to_line = revision_id = None
                head = (
                    report.section_heads.get(target_id)
                    if kind is DiscussionTarget.section
                    else None
                )
                if head is not None and head[1] > 0 and rng.random() < 0.4:
                    revision_id, lines = head
                    from_line = rng.randint(1, lines)
                    to_line = min(lines, from_line + rng.choice([0, 0, 1, 2, 4]))
                starter = rng.choice(talkers)
                started = self.when(self.now - timedelta(days=150), self.now - timedelta(hours=2))
                moments = sorted(self.when(started, self.now) for _ in range(length - 1))
                moments.insert(0, started)
                posted: list[int] = []
                for i, moment in enumerate(moments):
                    mid = next(message_ids)
                    author = starter if i == 0 else rng.choice(talkers)
                    body = sentence(rng, report.keys)
                    if rng.random() < 0.25:
                        named = rng.choice(team)
                        body = f"@{self.emails[named]} {body}"
                        mentions.append({"message_id": mid, "person_id": named})
                        mentioned_total += 1
                    messages.append(
                        {
                            "id": mid,
                            "thread_id": tid,
                            "author_id": author,
                            "reply_to_id": rng.choice(posted)
                            if posted and rng.random() < 0.5
                            else None,
                            "body": body,
                            "created_at": moment,
                        }
                    )
                    posted.append(mid)
                closed = rng.random() < 0.4
                resolved += closed
                page, key = {
                    DiscussionTarget.section: ("write", "section"),
                    DiscussionTarget.finding: ("evidence", "finding"),
                    DiscussionTarget.consensus_item: ("consensus", "item"),
                    DiscussionTarget.recommendation: ("recommendations", "recommendation"),
                    DiscussionTarget.initiative: ("recommendations", "initiative"),
                }[kind]
                report.thread_links.append(
                    f"/{page}?report={report.slug}&{key}={target_id}&thread={tid}"
                )
                threads.append(
                    {
                        "id": tid,
                        "report_id": report.id,
                        "target": kind,
                        "target_id": target_id,
                        "from_line": from_line,
                        "to_line": to_line,
                        "revision_id": revision_id,
                        "title": sentence(rng, [])[:120].rstrip(" .") + "?",
                        "created_by_id": starter,
                        "created_at": started,
                        "resolved_at": moments[-1] + timedelta(hours=2) if closed else None,
                        "resolved_by_id": rng.choice(talkers) if closed else None,
                        "last_message_at": moments[-1],
                    }
                )
                events.append(
                    self.audit(started, starter, "open", "discussion_thread", tid, report.id)
                )
        self.out.add(DiscussionThread, threads)
        self.out.add(DiscussionMessage, messages)
        self.out.add(Mention, mentions)
        self.out.add(AuditEvent, events)
        return (
            f"{plan.threads:,} threads ({resolved:,} resolved), "
            f"{len(messages):,} messages, {mentioned_total:,} mentions"
        )

    def add_notifications(self) -> str:
        """Every person's notifications, skewed towards authors, and their digest times."""
        rng, plan = self.rng, self.plan
        by_person: dict[int, list[ReportPlan]] = {}
        weight: dict[int, float] = {}
        for report in self.reports:
            for pid in report.clas + report.las + report.cas + report.res:
                by_person.setdefault(pid, []).append(report)
                weight[pid] = weight.get(pid, 0) + 8.0
            for pid in report.reviewers:
                by_person.setdefault(pid, []).append(report)
                weight[pid] = weight.get(pid, 0) + 1.0
        for pid in self.council:
            weight[pid] = weight.get(pid, 0) + 3.0
        heaviest = min(self.reports[0].clas)  # the flagship's first CLA, whom bench/run.py signs in
        weight[heaviest] = 0.0
        people_ids = sorted(p for p in weight if weight[p] > 0)
        heavy_count = max(1, round(plan.notifications * 0.025))
        chosen = [heaviest] * heavy_count + rng.choices(
            people_ids, weights=[weight[p] for p in people_ids], k=plan.notifications - heavy_count
        )
        author_kinds = [
            (NotificationKind.review_comment, 30),
            (NotificationKind.reply, 16),
            (NotificationKind.mention, 8),
            (NotificationKind.round_opened, 6),
            (NotificationKind.section_assigned, 4),
            (NotificationKind.due_date_changed, 3),
            (NotificationKind.due_soon, 5),
            (NotificationKind.overdue, 2),
            (NotificationKind.round_closing, 4),
            (NotificationKind.sign_off_awaited, 4),
            (NotificationKind.decision_closed, 1),
            (NotificationKind.approval_withdrawn, 0.5),
        ]
        reviewer_kinds = [
            (NotificationKind.comment_response, 60),
            (NotificationKind.round_opened, 25),
            (NotificationKind.round_closing, 15),
        ]
        council_kinds = [
            (NotificationKind.decision_opened, 80),
            (NotificationKind.approval_withdrawn, 20),
        ]
        authors = {p for r in self.reports for p in r.clas + r.las + r.cas + r.res}
        council_report = next(
            (r for r in self.reports if r.stage is Stage.council_review), self.reports[0]
        )
        rows = []
        unread = 0
        for nid, pid in zip(self.out.ids(Notification, len(chosen)), chosen, strict=True):
            if pid in authors:
                table = author_kinds
            elif pid in self.council:
                table = council_kinds
            else:
                table = reviewer_kinds
            kind = rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]
            report = rng.choice(by_person.get(pid) or [council_report])
            title, link = self.notification_text(kind, report)
            created = self.when(self.now - timedelta(days=120), self.now)
            age_days = (self.now - created).total_seconds() / 86_400
            # Older ones are mostly read and mostly emailed already; about half stay unread.
            read = rng.random() < 0.1 + age_days / 150
            unread += not read
            rows.append(
                {
                    "id": nid,
                    "person_id": pid,
                    "report_id": report.id,
                    "kind": kind,
                    "key": f"{kind.value}:bench:{nid}",
                    "title": title,
                    "detail": sentence(rng, []) if kind in _WITH_DETAIL else "",
                    "link": link,
                    "actor_id": rng.choice(report.authors),
                    "created_at": created,
                    "read_at": created + timedelta(hours=rng.uniform(0.2, 72)) if read else None,
                    "emailed_at": created + timedelta(hours=rng.uniform(0.1, 24))
                    if age_days > 2 and rng.random() < 0.8
                    else None,
                }
            )
        self.out.add(Notification, rows)
        states = [
            {
                "person_id": pid,
                "last_daily_at": self.now - timedelta(hours=rng.uniform(2, 40)),
                "last_weekly_at": self.now - timedelta(days=rng.uniform(0.5, 9)),
                "last_failure": "",
                "last_failure_at": None,
            }
            for pid in people_ids
            if rng.random() < 0.9
        ]
        self.out.add(MailState, states)
        return (
            f"{len(rows):,} notifications ({unread:,} unread, {heavy_count:,} for one CLA), "
            f"{len(states):,} digest times"
        )

    def notification_text(self, kind: NotificationKind, report: ReportPlan) -> tuple[str, str]:
        """Return a plausible title and link of a notification of this kind in this report."""
        rng, slug = self.rng, report.slug
        section = rng.choice(report.section_ids)
        round_name = report.rounds[-1].name if report.rounds else "FOD"
        who = person_name(rng)
        if kind in (NotificationKind.mention, NotificationKind.reply) and report.thread_links:
            verb = "mentions you in" if kind is NotificationKind.mention else "replies in"
            return f"{who} {verb} “{sentence(rng, [])[:80]}”", rng.choice(report.thread_links)
        if kind in (
            NotificationKind.review_comment,
            NotificationKind.comment_response,
            NotificationKind.sign_off_awaited,
            NotificationKind.round_opened,
            NotificationKind.round_closing,
        ):
            link = f"/review?report={slug}&round={round_name}&section={section}"
            return f"{kind.label}: {round_name} of {report.title[:80]}", link
        if kind in (
            NotificationKind.decision_opened,
            NotificationKind.decision_closed,
            NotificationKind.approval_withdrawn,
        ):
            return f"{kind.label}: {report.title[:80]}", f"/council?report={slug}"
        return f"{kind.label}: section {section}", f"/write?report={slug}&section={section}"

    def finish(self) -> None:
        """Bring PostgreSQL's id sequences past the ids chosen here, and refresh statistics."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as conn:
            for table in SQLModel.metadata.sorted_tables:
                if "id" in table.c and table.c.id.primary_key:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                            f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                        )
                    )
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


# --------------------------------------------------------------------------- entry points


def drop_everything(engine: Engine) -> None:
    """Drop every workbench table and Alembic's version table (scratch databases only).

    On PostgreSQL the whole current schema goes when this role owns it: the
    migrations also make objects the models do not know (the search columns'
    functions and triggers, the comment counts), and the next ``upgrade`` must
    find none of them.
    """
    import workbench.models  # noqa: F401  (registers the tables)

    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            schema, owner = conn.execute(
                text(
                    "SELECT nspname, pg_has_role(current_user, nspowner, 'USAGE') "
                    "FROM pg_namespace WHERE nspname = current_schema()"
                )
            ).one()
            if owner:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                return
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def generate(
    url: str, *, scale: float = 1.0, seed: int = 1, fresh: bool = False, say: Say = print
) -> dict[str, Any]:
    """Generate the workspace into the database at ``url``; return what the marker records."""
    if url.startswith("sqlite:///") and fresh:
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(url)
    try:
        if fresh and not url.startswith("sqlite"):
            drop_everything(engine)
        if inspect(engine).has_table("report"):
            with engine.connect() as conn:
                if conn.execute(select(func.count()).select_from(Report)).scalar():
                    raise SystemExit(
                        f"{safe_url(url)} already holds reports; the generator needs an empty "
                        "database (pass --fresh to drop every table first, on a scratch database)."
                    )
        start = time.perf_counter()
        upgrade(engine)
        say(f"Migrated {safe_url(url)} in {time.perf_counter() - start:.1f} s")
        return Generator(engine, Plan(scale=scale, seed=seed), say).run()
    finally:
        engine.dispose()


def safe_url(url: str) -> str:
    """Return the URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--url",
        help="database URL (default: a SQLite file in the temporary folder named after the "
        "scale and seed, e.g. " + default_url(1.0, 1) + ")",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="drop every table (or delete the SQLite file) first: scratch databases only",
    )
    args = parser.parse_args()
    url = args.url or default_url(args.scale, args.seed)
    if args.url is None and default_path(args.scale, args.seed).exists() and not args.fresh:
        engine = make_engine(url)
        info = bench_info(engine)
        engine.dispose()
        if info is not None:
            print(f"{url} already holds this workspace (generated in {info['seconds']} s).")
            return 0
        print(f"{url} holds an unfinished workspace: pass --fresh to start again.")
        return 1
    generate(url, scale=args.scale, seed=args.seed, fresh=args.fresh)
    print(f"Workspace: {safe_url(url)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
