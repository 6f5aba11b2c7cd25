"""Full-text search over the workspace, on SQLite (FTS5) and PostgreSQL (tsvector).

The index itself (tables, columns, triggers) is described in
:mod:`workbench.search_schema`. This module turns what a person types into a
query both engines accept, gives the services conditions to filter on
(:func:`comment_matches`, :func:`source_matches`, :func:`section_matches`), and
answers the workspace search (:func:`search`): ranked hits of five kinds, each
with a snippet and the workbench address that opens it, and a total per kind.

**What is typed.** Words are found the way the index finds them (letters and
digits; everything else separates), so nothing a person types is ever read as
query syntax: quotes, ``*``, ``NEAR``, ``:``, parentheses and NUL bytes are
separators or plain words. ``"a quoted phrase"`` matches the words in that
order, ``-word`` leaves out what contains the word, and every other word must
appear (AND). A query with no word to look for is :attr:`Query.empty`: the
callers say "nothing to search for" instead of searching. Only the first
:data:`MAX_CHARS` characters and :data:`MAX_TERMS` terms count.

**Who finds what.** A person finds only what the pages show them (the rules of
:data:`KIND_ROLES`, taken from the pages' own gates): in the reports they may
read (``read_report``: their memberships, every report for workspace roles such
as the Secretariat), sources, findings, recommendations and sections; review
comments only with a role the Review page admits (authors, Review Editors,
reviewers, the Secretariat; not Council members nor Translators). Section text
is the current text, which the Dashboard's download offers every reader of the
report; the hit opens the Write page for authors and the Dashboard for others.
A person without an active account finds nothing.

**Ranking.** Each kind is ranked in the database (``bm25`` on SQLite with the
columns weighted, ``ts_rank`` over the stored ``tsvector`` on PostgreSQL) and
only the best ``offset + limit`` of each are fetched; the kinds are merged by
score. Snippets (``snippet()``, ``ts_headline``, which re-reads the text and is
slow) are made for the hits of the page only. Matched words are wrapped in
:data:`MARK_START` and :data:`MARK_END`, control characters no stored text may
contain (:mod:`workbench.textguard` refuses them), so a page escapes the
snippet and then turns the marks into bold without ever trusting the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Integer, bindparam
from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from workbench.models import (
    Finding,
    Membership,
    Person,
    Recommendation,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    Section,
    Source,
)
from workbench.permissions import MATRIX, Action

MAX_CHARS = 500
MAX_TERMS = 12
MAX_WORD = 60
MARK_START = "\x02"
MARK_END = "\x03"
ELLIPSIS = "…"

KINDS = ("sections", "sources", "comments", "findings", "recommendations")
AUTHORS = frozenset({Role.cla, Role.lead_author, Role.contributing_author})
READERS = MATRIX[Action.read_report]
#: The roles that see each kind in a report (besides read_report, which every kind needs).
KIND_ROLES: dict[str, frozenset[Role]] = {
    "sections": READERS,
    "sources": READERS,
    "findings": READERS,
    "recommendations": READERS,
    # The Review page's gate (views/review.py REVIEW_ROLES).
    "comments": frozenset(
        {
            Role.cla,
            Role.lead_author,
            Role.contributing_author,
            Role.review_editor,
            Role.reviewer,
            Role.secretariat,
        }
    ),
}

# Letters and digits: what both engines' tokenizers keep as a word.
_WORD = re.compile(r"[^\W_]+")
# A term: an optional minus, then a quoted phrase (closed or not) or a run of non-spaces.
_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Term:
    """Words that must appear together in this order (one word, or a quoted phrase)."""

    words: tuple[str, ...]
    negated: bool = False
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    """What a person typed, as terms both engines can search for."""

    terms: tuple[Term, ...] = ()

    @property
    def positive(self) -> list[Term]:
        return [t for t in self.terms if not t.negated]

    @property
    def empty(self) -> bool:
        """True when there is nothing to search for (no word, or only words to leave out)."""
        return not self.positive

    def fts5(self) -> str:
        """Return the FTS5 MATCH expression: every word quoted, so none is syntax."""

        def one(term: Term) -> str:
            quoted = '"' + " ".join(term.words) + '"'
            return quoted + "*" if term.prefix else quoted

        expression = " AND ".join(one(t) for t in self.positive)
        negated = [one(t) for t in self.terms if t.negated]
        if negated:
            expression = f"({expression})" + "".join(f" NOT {n}" for n in negated)
        return expression

    def tsquery(self) -> str:
        """Return the ``to_tsquery`` text: lexemes quoted, phrases joined by ``<->``."""

        def one(term: Term) -> str:
            lexemes = [f"'{w}'" for w in term.words]
            if term.prefix:
                lexemes[-1] += ":*"
            return "(" + " <-> ".join(lexemes) + ")"

        parts = [one(t) for t in self.positive] + [f"!{one(t)}" for t in self.terms if t.negated]
        return " & ".join(parts)


def plain(typed: str) -> str:
    """Return what was typed, its first MAX_CHARS characters, control characters as spaces."""
    # Control characters (NUL included) become spaces; accents are kept (the index folds them).
    typed = (typed or "")[:MAX_CHARS]
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in typed)


def parse(typed: str | None, *, prefix_last: bool = False) -> Query:
    """Return the terms of what a person typed (see the module docstring).

    ``prefix_last`` makes the last word a prefix (``smith20`` finds ``smith2020a``),
    for filters people type keys into; a word of fewer than three letters never is.
    """
    terms: list[Term] = []
    seen: set[tuple[tuple[str, ...], bool]] = set()
    for match in _TERM.finditer(plain(typed or "")):
        quoted = match.group(2) is not None
        minus = (match.group(1) if quoted else match.group(3)) == "-"
        chunk = match.group(2) if quoted else match.group(4)
        words = tuple(w.casefold()[:MAX_WORD] for w in _WORD.findall(chunk or ""))
        if not words or (words, minus) in seen:
            continue
        seen.add((words, minus))
        terms.append(Term(words=words, negated=minus))
        if len(terms) >= MAX_TERMS:
            break
    if prefix_last and terms:
        last = terms[-1]
        typed_end = plain(typed or "").rstrip()
        if (
            not last.negated
            and len(last.words) == 1
            and len(last.words[0]) >= 3
            and not typed_end.endswith('"')
        ):
            terms[-1] = Term(words=last.words, prefix=True)
    return Query(tuple(terms))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# ---------------------------------------------------------------------------
# Conditions for the services' own filters


def _fts_ids(table: str, query: Query, id_range: tuple[int, int] | None = None) -> Any:
    between = " AND rowid BETWEEN :low AND :high" if id_range is not None else ""
    statement = sql_text(f"SELECT rowid FROM {table} WHERE {table} MATCH :fts{between}")
    params = [bindparam("fts", query.fts5())]
    if id_range is not None:
        params += [bindparam("low", id_range[0]), bindparam("high", id_range[1])]
    return statement.bindparams(*params).columns(rowid=Integer)


def _ts_match(table: str, query: Query) -> ColumnElement[bool]:
    return sql_text(f"{table}.search_tsv @@ to_tsquery('english', :tsq)").bindparams(
        bindparam("tsq", query.tsquery())
    )  # type: ignore[return-value]


def _nothing() -> ColumnElement[bool]:
    return sql_text("1 = 0")  # type: ignore[return-value]


def comment_matches(
    session: Session, query: Query, *, round_id: int | None = None
) -> ColumnElement[bool]:
    """Return a condition on ReviewComment: its comment, suggested change or response match.

    With ``round_id`` (the Review page's filter), SQLite's index is read only in
    the range of that round's comment ids. An empty query matches nothing.
    """
    if query.empty:
        return _nothing()
    if _dialect(session) != "sqlite":
        return _ts_match("reviewcomment", query)
    id_range = None
    if round_id is not None:
        low, high = session.execute(
            sql_text(
                "SELECT (SELECT min(id) FROM reviewcomment WHERE round_id = :r),"
                " (SELECT max(id) FROM reviewcomment WHERE round_id = :r)"
            ),
            {"r": round_id},
        ).one()
        id_range = (int(low or 0), int(high or -1))
    return col(ReviewComment.id).in_(_fts_ids("search_comment", query, id_range))


def source_matches(
    session: Session, query: Query, *, report_id: int | None = None
) -> ColumnElement[bool]:
    """Return a condition on Source: its key, title or authors match (empty: nothing)."""
    if query.empty:
        return _nothing()
    if _dialect(session) != "sqlite":
        return _ts_match("source", query)
    id_range = None
    if report_id is not None:
        low, high = session.execute(
            sql_text(
                "SELECT (SELECT min(id) FROM source WHERE report_id = :r),"
                " (SELECT max(id) FROM source WHERE report_id = :r)"
            ),
            {"r": report_id},
        ).one()
        id_range = (int(low or 0), int(high or -1))
    return col(Source.id).in_(_fts_ids("search_source", query, id_range))


def section_matches(session: Session, query: Query) -> ColumnElement[bool]:
    """Return a condition on Section: its code, title or current text match (empty: nothing)."""
    if query.empty:
        return _nothing()
    if _dialect(session) == "sqlite":
        return col(Section.id).in_(_fts_ids("search_section", query))
    return _ts_match("section", query)


# ---------------------------------------------------------------------------
# Who may read what


def readable(session: Session, person: Person | None) -> dict[str, set[int]]:
    """Return, for each kind, the ids of the reports whose items of that kind ``person`` may read.

    The same rule as :func:`workbench.permissions.can` (``read_report``): an active
    account, roles held workspace-wide or in the report; then the kind's own roles.
    """
    found: dict[str, set[int]] = {kind: set() for kind in KINDS}
    if person is None or person.id is None or not person.active:
        return found
    memberships = session.exec(select(Membership).where(Membership.person_id == person.id)).all()
    everywhere = {m.role for m in memberships if m.report_id is None}
    per_report: dict[int, set[Role]] = {}
    for m in memberships:
        if m.report_id is not None:
            per_report.setdefault(m.report_id, set()).add(m.role)
    if everywhere:
        report_ids: Iterable[int] = session.exec(select(Report.id)).all()  # type: ignore[arg-type]
    else:
        report_ids = list(per_report)
    for report_id in report_ids:
        roles = everywhere | per_report.get(report_id, set())
        if not roles & READERS:
            continue
        for kind in KINDS:
            if roles & KIND_ROLES[kind]:
                found[kind].add(report_id)
    return found


def everything(session: Session) -> dict[str, set[int]]:
    """Return every report for every kind (the command line without ``--as``)."""
    ids = set(session.exec(select(Report.id)).all())  # type: ignore[arg-type]
    return {kind: set(ids) for kind in KINDS}


# ---------------------------------------------------------------------------
# The workspace search


@dataclass
class Hit:
    """One thing found: what it is, where, a snippet with the matched words marked, its address."""

    kind: str
    id: int
    report_slug: str
    report_title: str
    label: str
    snippet: str
    url: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        """Return the hit for JSON, the snippet's marks turned into ``**`` pairs."""
        return {
            "kind": self.kind,
            "id": self.id,
            "report": self.report_slug,
            "report_title": self.report_title,
            "label": self.label,
            "snippet": marked(self.snippet, "**", "**"),
            "url": self.url,
            "score": round(self.score, 6),
        }


@dataclass
class Results:
    """A page of ranked hits and how many match of each kind (in the readable reports)."""

    query: Query
    hits: list[Hit] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def marked(snippet: str, start: str, end: str, escape: Any = None) -> str:
    """Return ``snippet`` with its marks replaced by ``start``/``end`` (after ``escape``, if given).

    A page passes its escaping function, so the text is escaped first and only the
    marks become formatting.
    """
    if escape is not None:
        snippet = escape(snippet)
    return snippet.replace(MARK_START, start).replace(MARK_END, end)


# kind -> (model, FTS5 table, its column weights for bm25, the text shown for the snippet)
_SQLITE: dict[str, tuple[str, str, str]] = {
    "sections": ("section", "search_section", "bm25(search_section, 8.0, 6.0, 1.0)"),
    "sources": ("source", "search_source", "bm25(search_source, 8.0, 6.0, 3.0)"),
    "comments": ("reviewcomment", "search_comment", "bm25(search_comment, 2.0, 1.0, 0.5)"),
    "findings": ("finding", "search_finding", "bm25(search_finding, 8.0, 3.0, 1.0)"),
    "recommendations": (
        "recommendation",
        "search_recommendation",
        "bm25(search_recommendation, 8.0, 3.0, 1.0, 1.0)",
    ),
}
# snippet() picks, per hit, the column with the most matches (a title or the text); a
# source shows its title (its key is the hit's label).
_SNIPPET_COLUMN = {kind: -1 for kind in KINDS} | {"sources": 1}
_PG_TEXT = {
    "sections": (
        "coalesce((SELECT r.text FROM sectionrevision r WHERE r.id = t.head_revision_id), '')"
    ),
    "sources": "t.title || ' · ' || t.authors",
    "comments": "t.comment || ' ' || t.suggested_change || ' ' || t.response",
    "findings": "t.statement || ' ' || t.traceable_account",
    "recommendations": "t.text",
}


#: At most this many matches of a kind are counted and ranked (the newest ones).
CANDIDATES = 500


def _scope(kind: str, report_ids: list[int] | None, round_ids: list[int] | None) -> str:
    """The SQL condition keeping row ``t`` of a kind in the readable reports (None: all).

    Comments are kept by the ids of their reports' rounds, written out: with a
    subquery PostgreSQL searched the index once per round.
    """
    if report_ids is None:
        return "1 = 1"
    if kind == "comments":
        rounds = ", ".join(str(int(i)) for i in round_ids or []) or "NULL"
        return f"t.round_id IN ({rounds})"
    reports = ", ".join(str(int(i)) for i in report_ids) or "NULL"
    return f"t.report_id IN ({reports})"


def _id_range(session: Session, kind: str, report_ids: list[int] | None) -> tuple[int, int]:
    """Return the lowest and highest id of a kind's rows in the reports (an index lookup).

    Rows of a report (or of a round) are mostly written together, so their ids
    are close: FTS5 seeks straight to this range instead of reading every match.
    """
    # One min() or max() per subquery: SQLite answers each from an index (both in one
    # query would read the whole table).
    table = _SQLITE[kind][0]
    if report_ids is None:
        sql = f"SELECT (SELECT min(id) FROM {table}), (SELECT max(id) FROM {table})"
    else:
        reports = ", ".join(str(int(i)) for i in report_ids) or "NULL"
        owner, key = ("reviewround", "round_id") if kind == "comments" else ("report", "report_id")
        where = "report_id" if kind == "comments" else "id"
        sql = (
            f"SELECT min(lo), max(hi) FROM (SELECT (SELECT min(t.id) FROM {table} t"
            f" WHERE t.{key} = o.id) AS lo, (SELECT max(t.id) FROM {table} t"
            f" WHERE t.{key} = o.id) AS hi FROM {owner} o WHERE o.{where} IN ({reports}))"
        )
    low, high = session.execute(sql_text(sql)).one()
    return int(low or 0), int(high or -1)


def _candidates_sql(
    kind: str, dialect: str, report_ids: list[int] | None, round_ids: list[int] | None = None
) -> str:
    """SQL for the newest :data:`CANDIDATES` matches of a kind in the readable reports."""
    table = _SQLITE[kind][0]
    scope = _scope(kind, report_ids, round_ids)
    if dialect == "sqlite":
        fts, rank = _SQLITE[kind][1], _SQLITE[kind][2]
        join = "" if report_ids is None else f" JOIN {table} t ON t.id = {fts}.rowid"
        return (
            f"SELECT {fts}.rowid AS id, -{rank} AS score FROM {fts}{join}"
            f" WHERE {fts} MATCH :fts AND {fts}.rowid BETWEEN :low AND :high AND {scope}"
            f" ORDER BY {fts}.rowid DESC LIMIT {CANDIDATES}"
        )
    rank = "ts_rank(t.search_tsv, to_tsquery('english', :tsq))"
    walks = {
        "comments": ("round_id", "number", round_ids),
        "sources": ("report_id", "id", report_ids),
    }
    if kind in walks and walks[kind][2]:
        # Some reports only (a person reading some of them): the newest matches of each
        # round (comments) or report (sources), walked backwards along its index —
        # (round, number), (report, id) — then the newest of those, ranked. Asked in one
        # query with the ids, PostgreSQL walked the whole workspace's rows backwards from
        # the newest, or read every match of a common word from the index: 0.1–0.5 s at
        # 10×, against a few milliseconds this way.
        owner, order, ids = walks[kind]

        def start(i: int) -> str:
            # A walk along the primary key starts at the report's newest source: the
            # planner prefers that walk, and from the workspace's newest it read
            # every other report's sources first.
            if order != "id":
                return ""
            return f" AND c.id <= (SELECT max(m.id) FROM {table} m WHERE m.{owner} = {int(i)})"

        branches = " UNION ALL ".join(
            f"(SELECT c.id, c.{owner} AS owner, c.{order} AS place FROM {table} c"
            f" WHERE c.{owner} = {int(i)}{start(i)}"
            " AND c.search_tsv @@ to_tsquery('english', :tsq)"
            f" ORDER BY c.{order} DESC LIMIT {CANDIDATES})"
            for i in ids or []
        )
        return (
            f"SELECT t.id AS id, {rank} AS score FROM (SELECT id FROM ({branches}) b"
            f" ORDER BY b.owner DESC, b.place DESC LIMIT {CANDIDATES}) newest"
            f" JOIN {table} t ON t.id = newest.id"
        )
    return (
        f"SELECT t.id AS id, {rank} AS score"
        f" FROM {table} t WHERE t.search_tsv @@ to_tsquery('english', :tsq) AND {scope}"
        f" ORDER BY t.id DESC LIMIT {CANDIDATES}"
    )


def _snippets(session: Session, kind: str, query: Query, ids: list[int]) -> dict[int, str]:
    """Return the snippet of each hit of one kind (only the page's hits: ts_headline is slow)."""
    if not ids:
        return {}
    wanted = ", ".join(str(int(i)) for i in ids)
    dialect = _dialect(session)
    if dialect == "sqlite":
        # One row at a time: FTS5 seeks ``rowid = ?`` but reads every match for ``rowid IN``.
        fts = _SQLITE[kind][1]
        column = _SNIPPET_COLUMN[kind]
        statement = sql_text(
            f"SELECT snippet({fts}, {column}, :start, :end, :dots, 16) FROM {fts}"
            f" WHERE {fts} MATCH :fts AND rowid = :id"
        )
        found: dict[int, str] = {}
        for item in ids:
            params = {
                "start": MARK_START,
                "end": MARK_END,
                "dots": ELLIPSIS,
                "fts": query.fts5(),
                "id": int(item),
            }
            found[int(item)] = str(session.execute(statement, params).scalar() or "")
        return found
    else:
        table = _SQLITE[kind][0]
        sql = (
            f"SELECT t.id, ts_headline('english', {_PG_TEXT[kind]}, to_tsquery('english', :tsq),"
            f" :options) FROM {table} t WHERE t.id IN ({wanted})"
        )
        params = {
            "tsq": query.tsquery(),
            "options": "StartSel=\x02, StopSel=\x03, MaxWords=24, MinWords=8,"
            ' MaxFragments=2, FragmentDelimiter=" … "',
        }
    return {int(row[0]): str(row[1] or "") for row in session.execute(sql_text(sql), params)}


def _describe(session: Session, kind: str, ids: list[int]) -> dict[int, tuple[int, str, dict]]:
    """Return, per hit id: its report id, its label, and the address's parameters."""
    if not ids:
        return {}
    found: dict[int, tuple[int, str, dict]] = {}
    if kind == "sections":
        for s in session.exec(select(Section).where(col(Section.id).in_(ids))).all():
            found[s.id] = (s.report_id, f"{s.code} {s.title}", {"section": s.id})
    elif kind == "sources":
        for s in session.exec(select(Source).where(col(Source.id).in_(ids))).all():
            found[s.id] = (s.report_id, s.key, {})
    elif kind == "comments":
        rows = session.exec(
            select(ReviewComment, ReviewRound)
            .join(ReviewRound, col(ReviewRound.id) == ReviewComment.round_id)
            .where(col(ReviewComment.id).in_(ids))
        ).all()
        for c, r in rows:
            found[c.id] = (r.report_id, f"{r.name} #{c.number}", {"review_round": r.id})
    elif kind == "findings":
        for f in session.exec(select(Finding).where(col(Finding.id).in_(ids))).all():
            found[f.id] = (f.report_id, f.code, {})
    else:
        for r in session.exec(select(Recommendation).where(col(Recommendation.id).in_(ids))).all():
            found[r.id] = (r.report_id, r.code, {})
    return found


def _page(kind: str, may_write: bool) -> str:
    if kind == "sections":
        return "write" if may_write else "dashboard"
    if kind in ("sources", "findings"):
        return "evidence"
    if kind == "comments":
        return "review"
    return "recommendations"


def search(
    session: Session,
    *,
    person: Person | None,
    text: str | None,
    report: str | None = None,
    kinds: Collection[str] | None = None,
    limit: int = 20,
    offset: int = 0,
    scope: dict[str, set[int]] | None = None,
) -> Results:
    """Return one page of what ``person`` may read that matches ``text``, best first.

    ``report`` (a slug) keeps one report; ``kinds`` some of :data:`KINDS`.
    ``scope`` replaces the person's permissions by the given report ids per kind
    (the command line's "everything", :func:`everything`). ``totals`` counts the
    matches per kind in those reports, up to :data:`CANDIDATES` (a page says
    "500+"); ``hits`` holds hits ``offset`` to ``offset + limit`` of all
    kinds merged by score.

    Only the newest :data:`CANDIDATES` matches of each kind are ranked: a query
    that matches more (a word in every other comment) shows the best of the
    newest, and counting or ranking hundreds of thousands of matches would take
    seconds. ``bm25`` and ``ts_rank`` are therefore computed on at most that many
    rows per kind. An empty query finds nothing.
    """
    query = parse(text)
    chosen = [k for k in KINDS if kinds is None or k in kinds]
    results = Results(query=query, totals={k: 0 for k in chosen})
    if query.empty or limit < 1 or offset < 0:
        return results
    allowed = scope if scope is not None else readable(session, person)
    titles: dict[int, tuple[str, str]] = {
        r.id: (r.slug, r.title)
        for r in session.exec(select(Report)).all()  # type: ignore[misc]
    }
    if report is not None:
        keep = {rid for rid, (slug, _) in titles.items() if slug == report}
        allowed = {k: ids & keep for k, ids in allowed.items()}
    dialect = _dialect(session)
    every_report = set(titles)
    candidates: list[tuple[float, str, int]] = []
    for kind in chosen:
        readable_ids = allowed.get(kind, set())
        if not readable_ids:
            continue
        # Reading every report, the scope needs no condition (and no join).
        report_ids = None if readable_ids >= every_report else sorted(readable_ids)
        # Words whole, sources too: a prefix cannot be estimated by PostgreSQL, which then
        # read every source of the workspace (the library's own filter keeps prefixes).
        params: dict[str, Any] = {"fts": query.fts5(), "tsq": query.tsquery()}
        rounds = None
        if kind == "comments" and report_ids is not None:
            rounds = list(
                session.exec(
                    select(ReviewRound.id).where(col(ReviewRound.report_id).in_(report_ids))
                ).all()
            )
        if dialect == "sqlite":
            params["low"], params["high"] = _id_range(session, kind, report_ids)
        rows = session.execute(
            sql_text(
                f"SELECT id, score FROM ({_candidates_sql(kind, dialect, report_ids, rounds)}) x"
            ),
            params,
        ).all()
        results.totals[kind] = len(rows)
        candidates += [(float(score or 0.0), kind, int(item)) for item, score in rows]
    candidates.sort(key=lambda c: (-c[0], KINDS.index(c[1]), c[2]))
    page = candidates[offset : offset + limit]
    by_kind: dict[str, list[int]] = {}
    for _score, kind, item in page:
        by_kind.setdefault(kind, []).append(item)
    snippets = {kind: _snippets(session, kind, query, ids) for kind, ids in by_kind.items()}
    described = {kind: _describe(session, kind, ids) for kind, ids in by_kind.items()}
    writers = _author_reports(session, person)
    for score, kind, item in page:
        if item not in described[kind]:
            continue
        report_id, label, params = described[kind][item]
        slug, title = titles.get(report_id, ("", ""))
        address = {"report": slug, **params}
        if kind == "comments":
            address["review_filter_text"] = (text or "").strip()[:MAX_CHARS]
        url = f"/{_page(kind, report_id in writers)}?{urlencode(address)}"
        results.hits.append(
            Hit(
                kind=kind,
                id=item,
                report_slug=slug,
                report_title=title,
                label=label,
                snippet=snippets[kind].get(item, ""),
                url=url,
                score=score,
            )
        )
    return results


def _author_reports(session: Session, person: Person | None) -> set[int]:
    """Return the reports where ``person`` is an author (whose hits open the Write page)."""
    if person is None or person.id is None:
        return set()
    rows = session.exec(
        select(Membership.report_id).where(
            Membership.person_id == person.id, col(Membership.role).in_(list(AUTHORS))
        )
    ).all()
    return {r for r in rows if r is not None}


__all__ = [
    "KINDS",
    "KIND_ROLES",
    "MARK_END",
    "MARK_START",
    "Hit",
    "Query",
    "Results",
    "Term",
    "comment_matches",
    "everything",
    "marked",
    "parse",
    "plain",
    "readable",
    "search",
    "section_matches",
    "source_matches",
]
