"""Per-report change tokens kept by the database: has a report's content (or document) changed?

Why: the Council page and the Secretariat's Dashboard ask, on every run, whether
each open or approved decision still binds the report's current content — the
SHA-256 of the whole report (:mod:`workbench.content`). At ten times IPCC scale
hashing one report reads and serialises 10 MB: 3 s a run. The Council's reading
copy (the report as the export prints it) costs as much again to gather. Both
can be kept between runs if something cheap says, for sure, that nothing they
depend on has changed since. Audit events cannot say it (a change made outside
the services records none, and the workspace's newest event moves with every
sign-in); the database itself can.

Terms:

- ``counts_content`` holds one row per report with two **tokens**:
  ``content``, which changes whenever anything the content hash reads changes
  (the report's slug, title and edition; its sections' codes, parts, titles and
  current revisions, a revision's text; its sources; findings and the sources
  they rest on; consensus items, positions and any actor; recommendations and
  their links; initiatives), and ``document``, which changes whenever anything
  else the exported document prints changes (the report's other columns, its
  theme, team and people's names, review rounds and what they froze, the comment
  counts of the review summary, Council decisions, translations, the glossary).
- A token is a **random 64-bit number** drawn afresh at every change, never a
  counter: a restored backup or a test database rebuilt from scratch cannot
  bring back a token that a running server remembers for other content.
- The tokens change in the **same transaction** as the change, by triggers on
  every table involved, so every write path bumps them: the services, the
  imports, ``bench/generate.py``, a restore, hand-written SQL. A reader that sees
  the same token has the same content, or a token of its own uncommitted
  writes that no one else will ever see.

Kept by triggers on both databases (the model is :mod:`workbench.comment_counts`):

- **SQLite**: row triggers after INSERT, DELETE and UPDATE (of the columns that
  matter where a table mixes them), each an upsert of its report's row.
- **PostgreSQL**: statement triggers with transition tables: a statement that
  writes thousands of rows (a COPY, an import) upserts each report's row once,
  in report order (two writers lock rows in the same order: no deadlock). An
  update counts only when a watched column differs between the old and new row.
- A change to a table that belongs to no single report (an actor, a person's
  name, a theme, a glossary term) changes the tokens of every report.

Cost: writers in one report now also update that report's row; on PostgreSQL
two transactions changing the same report wait for each other on it until the
first commits (saves are short). Migration ``0012`` creates the table and
triggers and gives every report its tokens; :func:`workbench.db.create_all`
creates them for the tests. Names start with ``counts_`` (left alone by the
models-versus-schema comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

TABLE = "counts_content"
PREFIX = "counts_content_"

#: The table, for queries (its own metadata: no model, not in ``create_all``'s metadata).
counts_content = Table(
    TABLE,
    MetaData(),
    Column("report_id", Integer, primary_key=True),
    Column("content", BigInteger, nullable=False),
    Column("document", BigInteger, nullable=False),
)


@dataclass(frozen=True)
class Watched:
    """A table whose rows change a token: which token, whose, and on which columns."""

    table: str
    token: str  # "content" or "document"
    #: The report of a row as SQL over the row's alias ``{r}``; None: every report.
    report: str | None
    #: An update counts only when one of these columns changes (None: any update).
    columns: tuple[str, ...] | None = None
    #: The primary key, to pair old and new rows of an update on PostgreSQL.
    key: tuple[str, ...] = ("id",)


def _via(parent: str, column: str) -> str:
    return f"(SELECT up.report_id FROM {parent} up WHERE up.id = {{r}}.{column})"


WATCHED: tuple[Watched, ...] = (
    # What the content hash reads (workbench.content.canonical).
    Watched("report", "content", "{r}.id", ("slug", "title", "edition")),
    Watched(
        "section",
        "content",
        "{r}.report_id",
        ("report_id", "code", "question", "title", "head_revision_id"),
    ),
    Watched("sectionrevision", "content", _via("section", "section_id"), ("section_id", "text")),
    Watched("source", "content", "{r}.report_id"),
    Watched("finding", "content", "{r}.report_id"),
    Watched(
        "findingsource", "content", _via("finding", "finding_id"), key=("finding_id", "source_id")
    ),
    Watched("actor", "content", None),
    Watched("consensusitem", "content", "{r}.report_id"),
    Watched("position", "content", _via("consensusitem", "item_id")),
    Watched("recommendation", "content", "{r}.report_id"),
    Watched(
        "recommendationfinding",
        "content",
        _via("recommendation", "recommendation_id"),
        key=("recommendation_id", "finding_id"),
    ),
    Watched(
        "recommendationinitiative",
        "content",
        _via("recommendation", "recommendation_id"),
        key=("recommendation_id", "initiative_id"),
    ),
    Watched("initiative", "content", "{r}.report_id"),
    # What else the exported document prints (workbench.export.gather).
    Watched("report", "document", "{r}.id"),
    Watched("theme", "document", None),
    Watched("membership", "document", "{r}.report_id"),
    Watched("person", "document", None, ("name", "country")),
    Watched("reviewround", "document", "{r}.report_id"),
    Watched(
        "frozensection",
        "document",
        _via("reviewround", "round_id"),
        key=("round_id", "section_id"),
    ),
    Watched("frozenpart", "document", _via("reviewround", "round_id"), key=("round_id", "code")),
    Watched(
        "counts_comment",
        "document",
        _via("reviewround", "round_id"),
        key=("round_id", "section_id", "part"),
    ),
    Watched("councildecision", "document", "{r}.report_id"),
    Watched("translation", "document", _via("section", "section_id")),
    Watched(
        "translationrevision",
        "document",
        "(SELECT us.report_id FROM translation ut JOIN section us ON us.id = ut.section_id"
        " WHERE ut.id = {r}.translation_id)",
    ),
    Watched("glossaryterm", "document", None),
)

_TOKEN = {"sqlite": "random()", "postgresql": "floor(random() * 9.2e18)::bigint"}


def _create_table() -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (report_id INTEGER NOT NULL PRIMARY KEY, "
        "content BIGINT NOT NULL, document BIGINT NOT NULL)"
    )


def _backfill(dialect: str) -> str:
    token = _TOKEN[dialect]
    return (
        f"INSERT INTO {TABLE} (report_id, content, document) SELECT id, {token}, {token}"
        " FROM report WHERE true ON CONFLICT (report_id) DO NOTHING"
    )


def _name(w: Watched, event: str) -> str:
    return f"{PREFIX}{w.table}_{w.token[:3]}_{event}"


def _sqlite_bump(w: Watched, row: str) -> str:
    token = _TOKEN["sqlite"]
    if w.report is None:
        return f"UPDATE {TABLE} SET {w.token} = {token};"
    report = w.report.format(r=row)
    return (
        f"INSERT INTO {TABLE} (report_id, content, document)"
        f" SELECT r, {token}, {token} FROM (SELECT {report} AS r) WHERE r IS NOT NULL"
        f" ON CONFLICT (report_id) DO UPDATE SET {w.token} = excluded.{w.token};"
    )


def _sqlite_create() -> list[str]:
    statements = [_create_table()]
    for w in WATCHED:
        of = f" OF {', '.join(w.columns)}" if w.columns else ""
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {_name(w, 'ai')} AFTER INSERT ON {w.table}"
            f" BEGIN {_sqlite_bump(w, 'new')} END",
            f"CREATE TRIGGER IF NOT EXISTS {_name(w, 'ad')} AFTER DELETE ON {w.table}"
            f" BEGIN {_sqlite_bump(w, 'old')} END",
            f"CREATE TRIGGER IF NOT EXISTS {_name(w, 'au')} AFTER UPDATE{of} ON {w.table}"
            f" BEGIN {_sqlite_bump(w, 'old')} {_sqlite_bump(w, 'new')} END",
        ]
    statements.append(_backfill("sqlite"))
    return statements


def _postgres_reports(w: Watched, event: str) -> str:
    """Return a query of the reports (column ``r``) the statement's rows belong to."""
    assert w.report is not None
    if event == "inserted":
        return f"SELECT {w.report.format(r='t')} AS r FROM new_rows t"
    if event == "deleted":
        return f"SELECT {w.report.format(r='t')} AS r FROM old_rows t"
    if w.columns is None:
        changed = "true"
    else:
        changed = " OR ".join(f"n.{c}::text IS DISTINCT FROM o.{c}::text" for c in w.columns)
    pair = " AND ".join(f"o.{k} = n.{k}" for k in w.key)
    return (
        f"SELECT {w.report.format(r='n')} AS r FROM new_rows n"
        f" LEFT JOIN old_rows o ON {pair} WHERE o.{w.key[0]} IS NULL OR {changed}"
        f" UNION SELECT {w.report.format(r='o')} AS r FROM old_rows o"
        f" LEFT JOIN new_rows n ON {pair} WHERE n.{w.key[0]} IS NULL OR {changed}"
    )


def _postgres_function(w: Watched, event: str) -> str:
    token = _TOKEN["postgresql"]
    if w.report is None:
        if w.columns is None or event != "updated":
            changed = "true"
        else:
            pair = " AND ".join(f"o.{k} = n.{k}" for k in w.key)
            differs = " OR ".join(f"n.{c}::text IS DISTINCT FROM o.{c}::text" for c in w.columns)
            changed = f"EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON {pair} WHERE {differs})"
        body = f"""
    IF {changed} THEN
        PERFORM 1 FROM {TABLE} ORDER BY report_id FOR UPDATE;
        UPDATE {TABLE} SET {w.token} = {token};
    END IF;"""
    else:
        body = f"""
    INSERT INTO {TABLE} (report_id, content, document)
    SELECT r, {token}, {token} FROM (SELECT DISTINCT r FROM ({_postgres_reports(w, event)}) AS x
        WHERE r IS NOT NULL) AS reports
    ORDER BY r
    ON CONFLICT (report_id) DO UPDATE SET {w.token} = excluded.{w.token};"""
    return f"""
CREATE OR REPLACE FUNCTION {_name(w, event)}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{body}
    RETURN NULL;
END
$$
"""


_PG_EVENTS = (
    ("ai", "inserted", "INSERT", "NEW TABLE AS new_rows"),
    ("ad", "deleted", "DELETE", "OLD TABLE AS old_rows"),
    ("au", "updated", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
)


def _postgres_create() -> list[str]:
    statements = [_create_table()]
    for w in WATCHED:
        for short, event, verb, tables in _PG_EVENTS:
            statements += [
                _postgres_function(w, event),
                f"DROP TRIGGER IF EXISTS {_name(w, short)} ON {w.table}",
                f"CREATE TRIGGER {_name(w, short)} AFTER {verb} ON {w.table}"
                f" REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {_name(w, event)}()",
            ]
    statements.append(_backfill("postgresql"))
    return statements


def create_statements(dialect: str) -> list[str]:
    """Return the SQL that creates (idempotently) the tokens and their triggers, and fills them."""
    return _sqlite_create() if dialect == "sqlite" else _postgres_create()


def drop_statements(dialect: str) -> list[str]:
    """Return the SQL that removes the tokens and their triggers."""
    statements = []
    for w in WATCHED:
        for short, event, _verb, _tables in _PG_EVENTS:
            if dialect == "sqlite":
                statements.append(f"DROP TRIGGER IF EXISTS {_name(w, short)}")
            else:
                statements += [
                    f"DROP TRIGGER IF EXISTS {_name(w, short)} ON {w.table}",
                    f"DROP FUNCTION IF EXISTS {_name(w, event)}()",
                ]
    return [*statements, f"DROP TABLE IF EXISTS {TABLE}"]


def tokens(session: Session, report_id: int) -> tuple[int, int] | None:
    """Return the report's (content, document) tokens as this session sees them, or None."""
    row = session.connection().execute(
        text(f"SELECT content, document FROM {TABLE} WHERE report_id = :id"), {"id": report_id}
    )
    found = row.first()
    return None if found is None else (int(found[0]), int(found[1]))


def where(session: Session) -> str:
    """Return which database the session reads, for keys of caches kept across sessions."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    return engine.url.render_as_string(hide_password=True)


__all__ = ["TABLE", "WATCHED", "counts_content", "create_statements", "tokens", "where"]
