"""The demo workspace: two reports written through the same services users call.

The content lives in ``data/demo/`` (see its README): people, reports, and for
the ``living-wages`` report its sections with their revisions, sources,
findings, actors and consensus items, initiatives, recommendations, two
review rounds and the authors' discussions. Loading replays the report's life
in order — outline, first drafts, the first-order review (closed, every comment
answered), revisions, the second-order review (open), then the discussions of
the past days — so every Panel rule is exercised on the way, and the
discussions' mentions and replies land in the demo accounts' inboxes, unread
unless their reader has answered since.

Loading is idempotent: a report whose slug already exists is left untouched,
and people who already exist are reused. Every demo account gets the password
:data:`DEMO_PASSWORD`.

The replay takes seconds, but the history it tells took months: each revision is
dated back into the report's own calendar (:func:`_date_revisions`), first drafts
between the report's start and the first-order review, later revisions between
that review's close and the next round, so "Progress over time" draws a line.
The dates come from the demo data alone (never from the clock, unless they would
lie in the future), so loading the demo twice gives the same history.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from workbench import (
    consensus,
    council,
    discussions,
    findings,
    history,
    initiatives,
    notifications,
    people,
    recommendations,
    reports,
    reviews,
    sections,
    sources,
    teams,
    themes,
    translations,
)
from workbench.comment_table import CommentRow, write_csv
from workbench.db import DATA_DIR
from workbench.errors import NotFound, ValidationError, WorkbenchError
from workbench.governance import HIGH_CONFIDENCE, SECTION_TRANSITIONS
from workbench.i18n import Msg
from workbench.models import (
    ConsensusItem,
    ConsensusItemCreate,
    DecisionKind,
    DiscussionMessage,
    DiscussionTarget,
    DiscussionThread,
    Finding,
    FindingCreate,
    Initiative,
    InitiativeCreate,
    InitiativeStatus,
    Notification,
    Person,
    PersonCreate,
    Recommendation,
    RecommendationCreate,
    Report,
    ReportCreate,
    ReviewComment,
    Role,
    SectionCreate,
    SectionRevision,
    SectionStatus,
    SourceCreate,
    Stage,
    TranslationStatus,
    Vote,
)

DEMO_DIR = DATA_DIR / "demo"
DEMO_PASSWORD = "demo-workbench"
Progress = Callable[[str], None]


@dataclass
class DemoSummary:
    """What loading the demo did, and the accounts to sign in with."""

    loaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)

    def describe(self) -> str:
        """Return the summary as the text ``workbench demo`` prints."""
        lines = []
        if self.loaded:
            lines.append(f"Loaded the demo reports: {', '.join(self.loaded)}.")
        if self.skipped:
            lines.append(f"Already present, left as they were: {', '.join(self.skipped)}.")
        lines.append("")
        lines.append(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        width = max((len(r) for r, _, _ in self.accounts), default=10)
        for role, email, name in self.accounts:
            lines.append(f"  {role.ljust(width)}  {email}  ({name})")
        return "\n".join(lines)


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(
            "The demo file {path} cannot be read: {problem}", path=str(path), problem=str(exc)
        ) from exc


class _Loader:
    def __init__(self, session: Session, directory: Path, progress: Progress) -> None:
        self.session = session
        self.dir = directory
        self.say = progress
        self.by_email: dict[str, Person] = {}
        # The revisions saved so far, each with the stretch of the report's life it belongs
        # to ("drafting" before the first review, "revising" after it).
        self.saved: list[tuple[int, str]] = []

    # ----------------------------------------------------------------- people

    def person(self, email: str) -> Person:
        email = email.strip().lower()
        if email not in self.by_email:
            self.by_email[email] = people.get_by_email(self.session, email)
        return self.by_email[email]

    def load_people(self, entries: list[dict]) -> Person:
        session = self.session
        secretariat_entry = next(
            e for e in entries if any(r["role"] == "secretariat" for r in e["roles"])
        )
        try:
            admin = people.get_by_email(session, secretariat_entry["email"])
        except NotFound:
            data = _person_data(secretariat_entry)
            existing_admin = people.first_secretariat(session)
            if existing_admin is None:
                admin = people.bootstrap_secretariat(session=session, data=data)
            else:
                admin = people.create_person(
                    session=session, actor=existing_admin, data=data, roles=[Role.secretariat]
                )
        for entry in entries:
            try:
                self.person(entry["email"])
                continue
            except NotFound:
                pass
            workspace = [Role(r["role"]) for r in entry["roles"] if r.get("report") is None]
            self.by_email[entry["email"].lower()] = people.create_person(
                session=session, actor=admin, data=_person_data(entry), roles=workspace
            )
        return admin

    # ----------------------------------------------------------------- reports

    def create_report(self, admin: Person, entry: dict, people_entries: list[dict]) -> Report:
        session = self.session
        theme = themes.get_theme(session, entry["theme"])
        report, _ = reports.create_report(
            session=session,
            actor=admin,
            data=ReportCreate(
                slug=entry["slug"],
                title=entry["title"],
                theme_id=theme.id,
                start_date=date.fromisoformat(entry["start_date"]),
                due_date=date.fromisoformat(entry["due_date"]),
                languages=entry.get("languages", ["en"]),
                summary=entry.get("summary", ""),
            ),
        )
        for person_entry in people_entries:
            for role in person_entry["roles"]:
                if role.get("report") == report.slug:
                    teams.add_member(
                        session=session,
                        actor=admin,
                        report=report,
                        person=self.person(person_entry["email"]),
                        role=Role(role["role"]),
                        language=role.get("language") or None,
                    )
            if person_entry.get("signed") and any(
                r.get("report") == report.slug for r in person_entry["roles"]
            ):
                teams.sign_ethics(session=session, actor=self.person(person_entry["email"]))
        return report

    def cla(self, report: Report) -> Person:
        for member in teams.members(self.session, report.id):
            if Role.cla in member.roles and member.signed:
                return member.person
        raise ValidationError("The demo report '{slug}' has no signed CLA.", slug=report.slug)

    def translate(self, report: Report, by_code: dict[str, Any], item: dict) -> None:
        """Save a translation as its translator, then mark it translated and reviewed."""
        section = by_code[item["section"]]
        language = item["language"]
        if language not in report.languages or section.head_revision_id is None:
            return
        translator = self.person(item["translator"])
        existing = translations.translation_for(
            self.session, section_id=section.id, language=language
        )
        translations.save_translation(
            session=self.session,
            actor=translator,
            section=section,
            language=language,
            text=item["text"].strip() + "\n",
            base_version=existing.version if existing else 0,
            acknowledge_warnings=True,
        )
        steps = [(translator, TranslationStatus.translated)]
        if item.get("status") == "reviewed":
            steps.append((self.person(item["reviewer"]), TranslationStatus.reviewed))
        for actor, status in steps:
            translations.set_status(
                session=self.session, actor=actor, section=section, language=language, status=status
            )
        self.say(f"  translation of {section.code} into {language}: {item.get('status')}")

    def add_sections(self, report: Report, cla: Person, entries: list[dict]) -> dict[str, Any]:
        by_code = {}
        for entry in entries:
            section = sections.add_section(
                session=self.session,
                actor=cla,
                report=report,
                data=SectionCreate(
                    code=entry["code"],
                    question=entry["question"],
                    title=entry["title"],
                    brief=entry.get("brief", ""),
                    due_date=date.fromisoformat(entry["due_date"])
                    if entry.get("due_date")
                    else None,
                    word_target=entry.get("word_target"),
                ),
                lead_author_id=self.person(entry["lead"]).id if entry.get("lead") else None,
            )
            if entry.get("coauthors"):
                sections.assign(
                    session=self.session,
                    actor=cla,
                    section=section,
                    lead_author_id=section.lead_author_id,
                    coauthor_ids=[self.person(e).id for e in entry["coauthors"]],
                )
            by_code[entry["code"]] = section
        return by_code

    def save(self, section: Any, revision: dict, stretch: str = "drafting") -> None:
        result = sections.save_revision(
            session=self.session,
            actor=self.person(revision["author"]),
            section=section,
            text=revision["text"],
            base_revision_id=section.head_revision_id,
            message=revision.get("message", ""),
        )
        self.saved.append((result.revision.id, stretch))

    def move_status(self, cla: Person, section: Any, target: SectionStatus) -> None:
        path = _status_path(SectionStatus(section.status), target)
        for status in path:
            sections.set_status(session=self.session, actor=cla, section=section, status=status)

    # ----------------------------------------------------------------- review rounds

    def review_round(self, report: Report, cla: Person, entry: dict, by_code: dict) -> None:
        session = self.session
        review_round = reviews.open_round(
            session=session,
            actor=cla,
            report=report,
            name=entry["name"],
            opens_on=date.fromisoformat(entry["opens_on"]),
            closes_on=date.fromisoformat(entry["closes_on"]),
        )
        rows = []
        for number, comment in enumerate(entry["comments"], start=1):
            reviewer = self.person(comment["reviewer"])
            rows.append(
                CommentRow(
                    number=number,
                    section=comment["section"],
                    from_line=comment["from_line"],
                    to_line=comment["to_line"],
                    reviewer=reviewer.name,
                    affiliation=comment.get("affiliation") or reviewer.affiliation,
                    kind=comment.get("kind", "substantive"),
                    comment=comment["comment"],
                    suggested_change=comment.get("suggested_change", ""),
                    response=comment.get("response", ""),
                    disposition=comment.get("disposition", "") or "",
                )
            )
        reviews.import_comments(
            session=session,
            actor=cla,
            report=report,
            round=review_round,
            filename=f"{entry['name']}.csv",
            content=write_csv(rows),
        )
        signed = [n for n, c in enumerate(entry["comments"], start=1) if c.get("signed_off")]
        if signed:
            editor = next(
                m.person for m in teams.members(session, report.id) if Role.review_editor in m.roles
            )
            comments = session.exec(
                select(ReviewComment).where(
                    ReviewComment.round_id == review_round.id,
                    col(ReviewComment.number).in_(signed),
                )
            ).all()
            reviews.sign_off(session=session, actor=editor, comments=list(comments))
        if entry.get("status") == "closed":
            reviews.close_round(session=session, actor=cla, round=review_round)


def _person_data(entry: dict) -> PersonCreate:
    return PersonCreate(
        email=entry["email"],
        name=entry["name"],
        gender=entry.get("gender", ""),
        region=entry.get("region", ""),
        country=entry.get("country", ""),
        discipline=entry.get("discipline", ""),
        sector=entry.get("sector", ""),
        affiliation=entry.get("affiliation", ""),
        password=DEMO_PASSWORD,
    )


def _status_path(current: SectionStatus, target: SectionStatus) -> list[SectionStatus]:
    """Return the shortest list of legal moves from ``current`` to ``target``."""
    if current == target:
        return []
    queue: deque[tuple[SectionStatus, list[SectionStatus]]] = deque([(current, [])])
    seen = {current}
    while queue:
        status, path = queue.popleft()
        for nxt in sorted(SECTION_TRANSITIONS[status]):
            if nxt in seen:
                continue
            if nxt == target:
                return [*path, nxt]
            seen.add(nxt)
            queue.append((nxt, [*path, nxt]))
    raise ValidationError(
        "No legal path from '{current}' to '{target}'.",
        current=Msg(current.label),
        target=Msg(target.label),
    )


def load_demo(
    session: Session, *, directory: Path | None = None, progress: Progress | None = None
) -> DemoSummary:
    """Load the demo workspace (skipping reports that exist already); return what was done."""
    directory = directory or DEMO_DIR
    say = progress or (lambda _msg: None)
    summary = DemoSummary()
    themes.seed_themes(session)
    people_entries = _read(directory / "people.json") or []
    report_entries = _read(directory / "reports.json") or []
    loader = _Loader(session, directory, say)
    say(f"{len(people_entries)} people")
    admin = loader.load_people(people_entries)
    for entry in report_entries:
        slug = entry["slug"]
        try:
            reports.get_report(session, slug)
            summary.skipped.append(slug)
            continue
        except NotFound:
            pass
        say(f"report {slug}")
        try:
            # The revisions are dated back once saved (see _date_revisions): the mirror of
            # the history must not copy them before, so it is left to catch up afterwards
            # (at the next save, or at once with `workbench history sync`, as `workbench demo`
            # does).
            with history.paused():
                _load_report(loader, admin, entry, people_entries, directory / slug)
        except WorkbenchError as exc:
            raise ValidationError(
                "The demo report '{slug}' could not be loaded: {problem}",
                slug=slug,
                problem=exc.msg,
            ) from exc
        summary.loaded.append(slug)
    summary.accounts = _accounts(people_entries)
    return summary


def _translation_entries(folder: Path) -> list[dict]:
    """Return the report's demo translations (``translations.json``), none when it has none."""
    path = folder / "translations.json"
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")).get("translations", []))


def _accounts(entries: list[dict]) -> list[tuple[str, str, str]]:
    order = list(Role)
    rows = []
    for entry in entries:
        roles = sorted({Role(r["role"]) for r in entry["roles"]}, key=order.index)
        label = ", ".join(r.label for r in roles) or "—"
        rows.append((order.index(roles[0]) if roles else 99, label, entry["email"], entry["name"]))
    return [(label, email, name) for _, label, email, name in sorted(rows)]


def _load_report(
    loader: _Loader, admin: Person, entry: dict, people_entries: list[dict], folder: Path
) -> None:
    session = loader.session
    say = loader.say
    report = loader.create_report(admin, entry, people_entries)
    cla = loader.cla(report)
    loader.saved = []
    target_stage = Stage(entry.get("stage", "scoping"))

    source_entries = _read(folder / "sources.json") or []
    for record in source_entries:
        sources.add_source(
            session=session,
            actor=cla,
            report=report,
            data=SourceCreate(
                key=record["csl"]["id"],
                kind=record.get("kind", "report"),
                language=record.get("language", "en"),
                region=record.get("region", ""),
                certainty=record.get("certainty"),
                certainty_note=record.get("certainty_note", ""),
                short_label=record.get("short_label", ""),
                csl=record["csl"],
            ),
        )
    if source_entries:
        say(f"  {len(source_entries)} sources")

    section_entries = _read(folder / "sections.json") or []
    by_code = loader.add_sections(report, cla, section_entries)
    # First drafts: what the first-order review will freeze.
    for section_entry in section_entries:
        if section_entry.get("revisions"):
            loader.save(by_code[section_entry["code"]], section_entry["revisions"][0])
    say(f"  {len(section_entries)} sections")

    # Findings, registers, recommendations and initiatives before the first round, which
    # freezes them with the sections (reviewers comment on them too).
    _load_content(loader, report, cla, folder, by_code)
    review_data = _read(folder / "reviews.json") or {"rounds": []}
    rounds = {r["name"]: r for r in review_data.get("rounds", [])}
    stages_before_review = [Stage.zero_order_draft, Stage.first_order_draft]
    for stage in stages_before_review:
        if Stage(report.stage) != target_stage and list(Stage).index(target_stage) >= list(
            Stage
        ).index(stage):
            reports.advance_stage(session=session, actor=cla, report=report, to=stage)

    first = next((r for r in rounds.values() if r["stage"] == "first_order_draft"), None)
    if first is not None and report.stage == Stage.first_order_draft:
        loader.review_round(report, cla, first, by_code)
        say(f"  review round {first['name']}: {len(first['comments'])} comments")
        if first.get("status") == "closed" and list(Stage).index(target_stage) >= list(Stage).index(
            Stage.second_order_draft
        ):
            reports.advance_stage(
                session=session, actor=cla, report=report, to=Stage.second_order_draft
            )

    # Translations of first drafts: they go stale when the sections move on.
    translated = _translation_entries(folder)
    for item in translated:
        if item.get("revision") == 1:
            loader.translate(report, by_code, item)
    for code, language, status in (("1.1", "es", TranslationStatus.in_progress),):
        if code in by_code and language in report.languages and by_code[code].head_revision_id:
            translations.set_translation(
                session=session, actor=cla, section=by_code[code], language=language, status=status
            )

    # Later revisions, written in answer to the first-order review.
    for section_entry in section_entries:
        for revision in section_entry.get("revisions", [])[1:]:
            loader.save(by_code[section_entry["code"]], revision, "revising")

    # Translations of the current text: up to date.
    for item in translated:
        if item.get("revision") == "head":
            loader.translate(report, by_code, item)

    for code in ("2.1",):
        if code in by_code and "es" in report.languages and by_code[code].head_revision_id:
            translations.set_translation(
                session=session,
                actor=cla,
                section=by_code[code],
                language="es",
                status=TranslationStatus.translated,
            )

    second = next((r for r in rounds.values() if r["stage"] == "second_order_draft"), None)
    if second is not None and report.stage == Stage.second_order_draft:
        loader.review_round(report, cla, second, by_code)
        say(f"  review round {second['name']}: {len(second['comments'])} comments")

    for section_entry in section_entries:
        wanted = SectionStatus(section_entry.get("status", "drafting"))
        section = by_code[section_entry["code"]]
        if section.head_revision_id is None and wanted != SectionStatus.not_started:
            continue
        loader.move_status(cla, section, wanted)

    _date_revisions(session, report, loader.saved, list(rounds.values()))
    _load_discussions(loader, report, folder, by_code)


def _load_content(
    loader: _Loader, report: Report, cla: Person, folder: Path, by_code: dict
) -> None:
    session = loader.session
    say = loader.say
    keys = {
        s.key: s.id for s in sources.search_sources(session, report_id=report.id, limit=10_000)[0]
    }

    finding_ids: dict[str, int] = {}
    for entry in _read(folder / "findings.json") or []:
        finding = findings.add_finding(
            session=session,
            actor=cla,
            report=report,
            data=FindingCreate(
                code=entry["code"],
                statement=entry["statement"],
                evidence=entry["evidence"],
                agreement=entry["agreement"],
                likelihood=entry.get("likelihood"),
                traceable_account=entry.get("traceable_account", ""),
                section_id=by_code[entry["section"]].id if entry.get("section") else None,
                source_ids=[keys[k] for k in entry.get("sources", [])],
            ),
        )
        finding_ids[entry["code"]] = finding.id
    if finding_ids:
        say(f"  {len(finding_ids)} findings")

    actor_ids: dict[str, int] = {}
    for entry in _read(folder / "actors.json") or []:
        actor = consensus.get_or_create_actor(
            session=session,
            actor=cla,
            report=report,
            name=entry["name"],
            actor_type=entry["actor_type"],
            description=entry.get("description", ""),
        )
        actor_ids[entry["name"]] = actor.id
    items = _read(folder / "consensus.json") or []
    for entry in items:
        item = consensus.add_item(
            session=session,
            actor=cla,
            report=report,
            data=ConsensusItemCreate(
                statement=entry["statement"],
                classification=entry["classification"],
                why_false=entry.get("why_false", ""),
                note=entry.get("note", ""),
                section_id=by_code[entry["section"]].id if entry.get("section") else None,
            ),
        )
        for position in entry.get("positions", []):
            consensus.set_position(
                session=session,
                actor=cla,
                item=item,
                actor_id=actor_ids[position["actor"]],
                stance=position["stance"],
                rationale=position.get("rationale", ""),
                source_id=keys[position["source"]] if position.get("source") else None,
            )
    if items:
        say(f"  {len(items)} consensus items")

    initiative_ids: dict[str, int] = {}
    editor = next(
        (m.person for m in teams.members(session, report.id) if Role.review_editor in m.roles),
        cla,
    )
    for entry in _read(folder / "initiatives.json") or []:
        initiative = initiatives.add_initiative(
            session=session,
            actor=cla,
            report=report,
            data=InitiativeCreate(
                **{k: entry.get(k, "") for k in InitiativeCreate.model_fields if k in entry}
            ),
        )
        initiative_ids[entry["name"]] = initiative.id
        status = InitiativeStatus(entry.get("review_status", "proposed"))
        for step in _initiative_path(status):
            initiatives.set_review_status(
                session=session,
                actor=editor,
                initiative=initiative,
                status=step,
                note=entry.get("review_note", "") if step == status else "",
            )

    for entry in _read(folder / "recommendations.json") or []:
        recommendations.add_recommendation(
            session=session,
            actor=cla,
            report=report,
            data=RecommendationCreate(
                code=entry["code"],
                text=entry["text"],
                addressees=entry["addressees"],
                scale=entry["scale"],
                horizon=entry["horizon"],
                context_conditions=entry.get("context_conditions", ""),
                normative_assumptions=entry.get("normative_assumptions", ""),
                section_id=by_code[entry["section"]].id if entry.get("section") else None,
                finding_ids=[finding_ids[c] for c in entry.get("findings", [])],
                initiative_ids=[initiative_ids[n] for n in entry.get("initiatives", [])],
            ),
        )

    _load_council(loader, report, folder, finding_ids)


def _discussion_target(
    session: Session, report: Report, on: dict, by_code: dict
) -> tuple[DiscussionTarget, int]:
    """Return what a demo thread is about, from its ``on`` entry (codes, or a statement)."""
    if "section" in on:
        return DiscussionTarget.section, by_code[on["section"]].id
    if "finding" in on:
        model, column, value = Finding, Finding.code, on["finding"]
        target = DiscussionTarget.finding
    elif "recommendation" in on:
        model, column, value = Recommendation, Recommendation.code, on["recommendation"]
        target = DiscussionTarget.recommendation
    elif "consensus_item" in on:
        model, column, value = ConsensusItem, ConsensusItem.statement, on["consensus_item"]
        target = DiscussionTarget.consensus_item
    else:
        model, column, value = Initiative, Initiative.name, on["initiative"]
        target = DiscussionTarget.initiative
    item = session.exec(select(model).where(model.report_id == report.id, column == value)).first()
    if item is None:
        raise ValidationError(
            "A demo discussion is about '{value}', which the report lacks.", value=value
        )
    return target, item.id


def _load_discussions(loader: _Loader, report: Report, folder: Path, by_code: dict) -> None:
    """Open the threads of ``discussions.json``, post their replies, resolve some.

    Whoever answers in a thread has read what they were told of it before
    (their notifications of it are marked read first). The messages are then
    dated back by their ``hours_ago``, with their notifications, so the inbox
    reads as the past days' conversation.
    """
    session = loader.session
    entries = _read(folder / "discussions.json") or []
    now = datetime.now(UTC)
    dated: list[tuple[DiscussionThread, list[tuple[int, int, datetime]], datetime | None]] = []
    for entry in entries:
        target, target_id = _discussion_target(session, report, entry["on"], by_code)
        first, *replies = entry["messages"]
        mentioned = [loader.person(e).id for e in first.get("mentions", [])]
        thread = discussions.open_thread(
            session=session,
            actor=loader.person(first["author"]),
            report=report,
            target=target,
            target_id=target_id,
            title=entry["title"],
            body=first["body"],
            from_line=entry["on"].get("from_line"),
            to_line=entry["on"].get("to_line"),
            mentions=mentioned,
        )
        first_id = session.exec(
            select(DiscussionMessage.id).where(DiscussionMessage.thread_id == thread.id)
        ).one()
        posted = [first_id]
        authors = [thread.created_by_id]
        for reply in replies:
            author = loader.person(reply["author"])
            _read_thread(session, author, thread)
            message = discussions.post(
                session=session,
                actor=author,
                thread=thread,
                body=reply["body"],
                reply_to_id=posted[reply["reply_to"]] if "reply_to" in reply else None,
                mentions=[loader.person(e).id for e in reply.get("mentions", [])],
            )
            posted.append(message.id)
            authors.append(author.id)
        resolved_at = None
        if entry.get("resolved_by"):
            resolver = loader.person(entry["resolved_by"])
            _read_thread(session, resolver, thread)
            thread = discussions.resolve(session=session, actor=resolver, thread=thread)
            resolved_at = now - timedelta(hours=entry["resolved_hours_ago"])
        times = [now - timedelta(hours=m["hours_ago"]) for m in entry["messages"]]
        dated.append((thread, list(zip(posted, authors, times, strict=True)), resolved_at))
    if entries:
        loader.say(f"  {len(entries)} discussions")
    _date_discussions(session, dated)


def _read_thread(session: Session, person: Person, thread: DiscussionThread) -> None:
    """Mark read what told ``person`` of this thread (they answer, so they have read it)."""
    unread = session.exec(
        select(Notification.id).where(
            Notification.person_id == person.id,
            Notification.link == discussions.link(thread, session),
            col(Notification.read_at).is_(None),
        )
    ).all()
    notifications.mark_read(session, person=person, ids=list(unread))


def _date_discussions(
    session: Session,
    dated: list[tuple[DiscussionThread, list[tuple[int, int, datetime]], datetime | None]],
) -> None:
    """Date the demo's messages, threads and their notifications back to their ``hours_ago``."""
    for thread, messages, resolved_at in dated:
        thread = session.get(DiscussionThread, thread.id)
        for message_id, _, at in messages:
            message = session.get(DiscussionMessage, message_id)
            message.created_at = at
            session.add(message)
            for note in session.exec(
                select(Notification).where(
                    col(Notification.key).in_([f"mention:{message_id}", f"reply:{message_id}"])
                )
            ):
                note.created_at = at
                if note.read_at is not None:
                    # Read a little before its reader next answered, or resolved the thread.
                    answers = [t for _, a, t in messages if a == note.person_id and t > at]
                    answered = min(answers, default=resolved_at or at + timedelta(hours=1))
                    note.read_at = answered - timedelta(minutes=5)
                session.add(note)
        thread.created_at = messages[0][2]
        thread.last_message_at = messages[-1][2]
        if resolved_at is not None:
            thread.resolved_at = resolved_at
        session.add(thread)
    session.commit()


def _initiative_path(status: InitiativeStatus) -> list[InitiativeStatus]:
    if status == InitiativeStatus.proposed:
        return []
    if status == InitiativeStatus.under_review:
        return [InitiativeStatus.under_review]
    return [InitiativeStatus.under_review, status]


def _load_council(
    loader: _Loader, report: Report, folder: Path, finding_ids: dict[str, int]
) -> None:
    """Open the Council decisions of ``council.json`` and cast their votes."""
    session = loader.session
    data = _read(folder / "council.json") or {"decisions": []}
    admin = people.first_secretariat(session)
    for entry in data.get("decisions", []):
        kind = DecisionKind(entry["kind"])
        linked = [finding_ids[c] for c in entry.get("findings", [])]
        if kind is DecisionKind.reform_endorsement and not linked:
            strong = [
                fid
                for code, fid in finding_ids.items()
                if findings.get_finding(session, fid).confidence in HIGH_CONFIDENCE
            ]
            linked = strong[:2]
        decision = council.open_decision(
            session=session,
            actor=admin,
            report=report,
            kind=kind,
            title=entry["title"],
            reform=entry.get("reform", ""),
            finding_ids=linked,
        )
        for vote in entry.get("votes", []):
            council.cast_vote(
                session=session,
                actor=loader.person(vote["member"]),
                decision=decision,
                vote=Vote(vote["vote"]),
                reason=vote.get("reason", ""),
            )


def _working_day(day: date) -> date:
    """Return the day, or the nearest weekday when it falls on a weekend (authors rest)."""
    if day.weekday() == 5:  # Saturday: the Friday before
        return day - timedelta(days=1)
    if day.weekday() == 6:  # Sunday: the Monday after
        return day + timedelta(days=1)
    return day


def _spread(count: int, first: date, last: date) -> list[date]:
    """Return ``count`` working days spread evenly from ``first`` to ``last``, in order."""
    if count == 0:
        return []
    span = max((last - first).days, 0)
    days = [_working_day(first + timedelta(days=span * (i + 0.5) / count)) for i in range(count)]
    # A weekend moved one day back can pass the one before it: keep the order of saving.
    for i in range(1, count):
        days[i] = max(days[i], days[i - 1])
    return days


def _date_revisions(
    session: Session, report: Report, saved: list[tuple[int, str]], rounds: list[dict]
) -> None:
    """Date a demo report's revisions back over the months its history covers.

    First drafts fall between two weeks after the report's start and ten days
    before its first-order review opens; later revisions between a week after
    that review closes and five days before the next round opens (or today).
    Within each stretch the revisions keep the order they were saved in, on
    working days at working hours. Nothing is dated in the future.
    """
    now = datetime.now(UTC)
    today = now.date()
    by_stage = {r.get("stage"): r for r in rounds}
    first_round = by_stage.get("first_order_draft")
    second_round = by_stage.get("second_order_draft")
    start = report.start_date + timedelta(days=14)
    if first_round is not None:
        drafting_end = date.fromisoformat(first_round["opens_on"]) - timedelta(days=10)
        revising_start = date.fromisoformat(first_round["closes_on"]) + timedelta(days=7)
    else:
        drafting_end = start + timedelta(days=120)
        revising_start = drafting_end + timedelta(days=14)
    revising_end = (
        date.fromisoformat(second_round["opens_on"]) - timedelta(days=5)
        if second_round is not None
        else revising_start + timedelta(days=90)
    )
    stretches = {
        "drafting": (start, drafting_end),
        "revising": (revising_start, revising_end),
    }
    for stretch, (first, last) in stretches.items():
        ids = [rid for rid, where in saved if where == stretch]
        last = min(last, today - timedelta(days=1))
        first = min(first, last)
        for n, (rid, day) in enumerate(zip(ids, _spread(len(ids), first, last), strict=True)):
            revision = session.get(SectionRevision, rid)
            if revision is None:  # pragma: no cover - saved a moment ago
                continue
            # Between 09:00 and 17:00 UTC, a different minute for each save.
            at = datetime.combine(day, time(9), tzinfo=UTC) + timedelta(minutes=(n * 47) % 480)
            revision.created_at = min(at, now)
            session.add(revision)
    session.commit()
