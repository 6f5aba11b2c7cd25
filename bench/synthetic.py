"""Seeded synthetic content for the benchmarks: realistic-looking reports, fast to insert.

Rows are written straight to the tables (one bulk insert per kind), not through
the services: the benchmarks measure reading, exporting and paging, and a
generator that went through every permission check would take longer than the
measurements themselves. The text is assembled from a fixed vocabulary of the
Panel's field, one sentence per line, with pandoc citations of the report's own
sources.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, select

from workbench.models import (
    QUESTION_ORDER,
    Certainty,
    CommentKind,
    Disposition,
    Membership,
    Person,
    Question,
    Report,
    Role,
    Section,
    SectionRevision,
    SectionStatus,
    Source,
    SourceKind,
    Stage,
    Theme,
)
from workbench.sections import word_count

SUBJECTS = [
    "Minimum wage boards",
    "Sectoral agreements",
    "Household surveys",
    "Informal workers",
    "Public procurement rules",
    "Buyers in global supply chains",
    "Cooperatives",
    "Labour inspectorates",
    "Women in home-based work",
    "Platform workers",
    "Trade unions",
    "Employers' organisations",
    "Cash transfer programmes",
    "Local governments",
]
VERBS = [
    "raise",
    "lower",
    "stabilise",
    "make visible",
    "shift",
    "redistribute",
    "protect",
    "undermine",
    "document",
    "reshape",
]
OBJECTS = [
    "the living-wage gap",
    "the bargaining power of low-paid workers",
    "household incomes",
    "the share of wages in value added",
    "the cost of a decent standard of living",
    "compliance with labour law",
    "the price paid to suppliers",
    "gender pay gaps",
    "the coverage of collective agreements",
    "food and housing costs",
]
QUALIFIERS = [
    "in most regions for which data exist",
    "although the evidence is uneven",
    "especially where enforcement is weak",
    "over the past two decades",
    "when combined with income floors",
    "in both rural and urban labour markets",
    "with large differences between countries",
    "according to recent panel studies",
]
SURNAMES = [
    "Anker",
    "Mwale",
    "Ortega",
    "Singh",
    "Lindqvist",
    "Patel",
    "Nguyen",
    "Okafor",
    "Silva",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Mensah",
    "Rossi",
    "Dubois",
    "Chen",
    "Quispe",
    "Novak",
]
QUESTIONS = [Question.known, Question.desirable, Question.obstacles, Question.action]


def sentence(rng: random.Random, keys: list[str]) -> str:
    """Return one sentence, sometimes with a citation."""
    text = (
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(QUALIFIERS)}"
    )
    if keys and rng.random() < 0.35:
        cited = "; ".join(f"@{k}" for k in rng.sample(keys, k=min(len(keys), rng.randint(1, 2))))
        text += f" [{cited}]"
    return text + "."


def section_text(rng: random.Random, keys: list[str], words: int) -> str:
    """Return Markdown of about ``words`` words: paragraphs, a sub-heading, a list, a table."""
    lines: list[str] = []
    count = 0
    paragraph = 0
    while count < words:
        paragraph += 1
        if paragraph % 6 == 0:
            lines += [f"## Evidence strand {paragraph // 6}", ""]
        if paragraph % 9 == 0:
            items = [f"- {sentence(rng, keys)}" for _ in range(4)]
            lines += [*items, ""]
        if paragraph % 13 == 0:
            lines += [
                "| Region | Gap (%) | Year |",
                "|---|---|---|",
                *(
                    f"| {r} | {rng.randint(5, 60)} | {rng.randint(2015, 2025)} |"
                    for r in ("Africa", "Asia", "Europe", "Latin America")
                ),
                "",
            ]
        for _ in range(rng.randint(3, 6)):
            line = sentence(rng, keys)
            lines.append(line)
            count += len(line.split())
        lines.append("")
    return "\n".join(lines).strip() + "\n"


def source_record(rng: random.Random, key: str, n: int) -> dict:
    """Return a CSL-JSON record for a journal article."""
    authors = [
        {"family": rng.choice(SURNAMES), "given": rng.choice("ABCDEFGHJKLMNPRS") + "."}
        for _ in range(rng.randint(1, 3))
    ]
    return {
        "id": key,
        "type": "article-journal",
        "title": f"{rng.choice(SUBJECTS)} and {rng.choice(OBJECTS)}: study {n}",
        "author": authors,
        "issued": {"date-parts": [[rng.randint(1995, 2025)]]},
        "container-title": rng.choice(
            ["World Development", "Industrial Relations Journal", "Feminist Economics"]
        ),
        "volume": str(rng.randint(1, 80)),
        "page": f"{rng.randint(1, 300)}-{rng.randint(301, 600)}",
    }


def source_row(
    rng: random.Random, *, report_id: int, key: str, n: int, varied: bool = False
) -> dict[str, Any]:
    """Return a ``Source`` row (a dict for a bulk insert) around :func:`source_record`.

    ``varied`` spreads kinds, languages, regions, certainty ratings and DOIs the
    way a real library has them (the filters of the Evidence page need them);
    otherwise every source is an English peer-reviewed article without a DOI.
    """
    record = source_record(rng, key, n)
    row: dict[str, Any] = {
        "report_id": report_id,
        "key": key,
        "kind": SourceKind.peer_reviewed,
        "language": "en",
        "region": "",
        "certainty": None,
        "certainty_note": "",
        "csl": record,
        "title": record["title"],
        "authors": "; ".join(a["family"] for a in record["author"]),
        "year": record["issued"]["date-parts"][0][0],
        "doi": None,
    }
    if varied:
        kind = rng.choices(list(SourceKind), weights=SOURCE_KIND_WEIGHTS)[0]
        row["kind"] = kind
        row["language"] = rng.choices(["en", "fr", "es", "pt", "zh"], weights=[80, 7, 7, 3, 3])[0]
        row["region"] = rng.choice(["", *REGIONS])
        if rng.random() < 0.4:
            row["certainty"] = rng.choice(list(Certainty))
            row["certainty_note"] = sentence(rng, [])
        if kind is SourceKind.peer_reviewed and rng.random() < 0.7:
            row["doi"] = f"10.{rng.randint(1000, 9999)}/{key.lower()}"
            record["DOI"] = row["doi"]
    return row


SOURCE_KIND_WEIGHTS = [60, 10, 12, 5, 6, 4, 3]  # in SourceKind's order
REGIONS = ["Africa", "Asia", "Europe", "Latin America", "North America", "Oceania", "Middle East"]
GIVEN_NAMES = [
    "Amina",
    "Tomás",
    "Ingrid",
    "Leila",
    "Pedro",
    "Johanna",
    "Wei",
    "Fatima",
    "Lucía",
    "Kwame",
    "Sarah",
    "Rajesh",
    "Aroha",
    "Marcus",
    "Nadia",
    "Chidi",
    "Jan",
    "Lan",
    "Hiroshi",
    "Grace",
    "Elisabeth",
    "Mohammed",
    "Carmen",
    "Olivia",
    "Rafael",
    "Thandiwe",
    "Mei-Lin",
    "Gabriela",
    "Ahmed",
    "Jiwoo",
]
DISCIPLINES = ["economics", "sociology", "political science", "law", "philosophy", "geography"]
SECTORS = [
    "academia",
    "civil society",
    "government",
    "trade unions",
    "international organisation",
    "think tank",
    "business",
]
COUNTRIES = ["Kenya", "Brazil", "India", "France", "Japan", "Mexico", "Ghana", "Norway", "Chile"]
COMMENT_OPENERS = [
    "Please clarify whether",
    "The text asserts that",
    "It is not clear that",
    "Consider adding evidence that",
    "The draft overstates the claim that",
    "A reference is needed for the statement that",
    "The chapter should discuss why",
    "This paragraph ignores findings that",
]
RESPONSES = [
    "Thank you; the text has been revised accordingly.",
    "The paragraph now cites the evidence and qualifies the statement.",
    "Taken into account: the section was restructured to address this point.",
    "Noted: the point is covered in the cross-cutting chapter.",
    "Rejected: the assessed literature does not support this change, as the cited studies show.",
    "The suggested wording was adopted with minor edits.",
]


def person_name(rng: random.Random) -> str:
    """Return a plausible full name."""
    return f"{rng.choice(GIVEN_NAMES)} {rng.choice(SURNAMES)}"


def comment_text(rng: random.Random, keys: list[str]) -> str:
    """Return a review comment of one to four sentences (about 15–80 words)."""
    first = sentence(rng, keys)
    text = f"{rng.choice(COMMENT_OPENERS)} {first[0].lower()}{first[1:]}"
    extra = rng.choices([0, 1, 2, 3], weights=[35, 35, 20, 10])[0]
    return " ".join([text, *(sentence(rng, keys) for _ in range(extra))])


def response_text(rng: random.Random) -> str:
    """Return an author's response to a review comment."""
    return rng.choice(RESPONSES) + (f" {sentence(rng, [])}" if rng.random() < 0.4 else "")


def comment_fields(
    rng: random.Random, *, lines: int, keys: list[str], answered: bool
) -> dict[str, Any]:
    """Return the reviewer's and author's part of a comment on a text of ``lines`` lines.

    Lines are a real range of that text; an answered comment has a response and
    a disposition; about one open comment in twenty has a drafted response.
    """
    from_line = rng.randint(1, lines)
    answer = answered or rng.random() < 0.05
    return {
        "from_line": from_line,
        "to_line": min(lines, from_line + rng.choice([0, 0, 0, 1, 2, 5])),
        "kind": rng.choices(list(CommentKind), weights=COMMENT_KIND_WEIGHTS)[0],
        "comment": comment_text(rng, keys),
        "suggested_change": sentence(rng, []) if rng.random() < 0.4 else "",
        "response": response_text(rng) if answer else "",
        "disposition": (
            rng.choices(list(Disposition), weights=DISPOSITION_WEIGHTS)[0] if answered else None
        ),
    }


COMMENT_KIND_WEIGHTS = [10, 65, 25]  # general, substantive, editorial
DISPOSITION_WEIGHTS = [35, 30, 20, 15]  # accepted, taken into account, noted, rejected


class LinePicker:
    """Pick sections in proportion to their number of lines, as reviewers' attention goes."""

    def __init__(self, rng: random.Random, lines: dict[Any, int]) -> None:
        self.rng = rng
        self.items = list(lines)
        self.lines = lines
        self.cumulative = list(accumulate(lines[item] for item in self.items))

    def __call__(self) -> tuple[Any, int]:
        """Return a section and its number of lines."""
        point = self.rng.uniform(0, self.cumulative[-1])
        item = self.items[min(bisect_left(self.cumulative, point), len(self.items) - 1)]
        return item, self.lines[item]


def add_large_report(
    session: Session,
    *,
    slug: str,
    sections: int = 60,
    sources: int = 500,
    words_per_section: int = 1250,
    seed: int = 7,
    authors: list[Person] | None = None,
) -> Report:
    """Add a report at the first-order-draft stage with this many sections and sources."""
    rng = random.Random(seed)
    theme = session.exec(select(Theme)).first()
    report = Report(
        slug=slug,
        title=f"Synthetic report {slug}",
        theme_id=theme.id if theme else None,
        start_date=date(2026, 1, 1),
        due_date=date(2027, 3, 1),
        languages=["en", "fr", "es"],
        stage=Stage.first_order_draft,
    )
    session.add(report)
    session.flush()
    keys = [f"{slug}-src{n:05d}" for n in range(sources)]
    session.execute(
        insert(Source),
        [source_row(rng, report_id=report.id, key=key, n=n) for n, key in enumerate(keys)],
    )
    lead_ids = [p.id for p in authors or []]
    if lead_ids:
        session.execute(
            insert(Membership),
            [
                {"person_id": pid, "report_id": report.id, "role": Role.lead_author}
                for pid in lead_ids
            ],
        )
    rows = []
    for n in range(sections):
        question = QUESTIONS[n * len(QUESTIONS) // sections]
        rows.append(
            Section(
                report_id=report.id,
                code=f"{QUESTION_ORDER[question]}.{n + 1}",
                question=question,
                title=f"{rng.choice(SUBJECTS)} and {rng.choice(OBJECTS)}",
                position=n,
                status=SectionStatus.drafting,
                lead_author_id=lead_ids[n % len(lead_ids)] if lead_ids else None,
                due_date=date(2027, 1, 1) + timedelta(days=n),
                word_target=words_per_section,
            )
        )
    session.add_all(rows)
    session.flush()
    revisions = []
    for section in rows:
        text = section_text(rng, keys, words_per_section)
        revisions.append(
            SectionRevision(
                section_id=section.id,
                number=1,
                author_id=section.lead_author_id,
                text=text,
                message="Synthetic draft",
                words=word_count(text),
            )
        )
    session.add_all(revisions)
    session.flush()
    for section, revision in zip(rows, revisions, strict=True):
        section.head_revision_id = revision.id
        section.words = revision.words
    session.commit()
    return report
