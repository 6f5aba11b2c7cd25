"""Maintained counts of review comments, kept by triggers on SQLite and PostgreSQL.

Why: the Review and Dashboard pages show, for every round, how many comments
each section and part has, by disposition, how many are open and how many are
signed off. Counting them with ``GROUP BY`` over the comments took 0.6 s at ten
times IPCC scale (a million comments). The table ``counts_comment`` holds those
numbers instead, one row per **(round, section, part)**, and the counts are read
from it in a few milliseconds, whatever the number of comments.

Terms (the same as :mod:`workbench.reviews`):

- ``total``: the comments; ``accepted``, ``taken_into_account``, ``noted``,
  ``rejected``: those with that disposition; ``undecided``: those without a
  disposition (what the Dashboard calls open, by section); ``open``: those
  without a disposition or without a response (what a round cannot close
  with); ``signed_off``: those a Review Editor signed off.
- A comment on a section has ``section_id`` its section and ``part`` empty; a
  comment on a part has ``section_id`` **0** here (NULL in the comments): a
  NULL in a primary key would make every such comment a key of its own, as
  NULLs are distinct from each other in unique keys.

Kept by triggers, so that every write path keeps it right: the services, the
bulk comment import (COPY on PostgreSQL), ``bench/generate.py``'s direct
inserts, a restore, hand-written SQL.

- **SQLite**: row triggers after INSERT, after DELETE and after UPDATE OF the
  counted columns; each adds the row's counts (or takes them away) with one
  upsert. The bulk comment import pauses the insert trigger and adds its rows
  with one grouped upsert instead (:func:`sqlite_bulk_insert`).
- **PostgreSQL**: statement triggers with transition tables (``REFERENCING NEW
  TABLE``…): one statement that writes 100,000 comments (the import's COPY)
  adds them to the counts with one grouped upsert, not 100,000 row upserts.
  Two transactions adding comments to the same section of the same round wait
  for each other on its counts row until the first commits; comments in one
  round are numbered one writer at a time anyway (:mod:`workbench.numbering`).

A row whose counts fall to zero stays, with ``total`` 0; readers skip it.
``TRUNCATE`` of the comments (PostgreSQL; the tests do it) empties the counts.
Migration ``0009`` creates the table and triggers and fills the counts from the
comments; :func:`workbench.db.create_all` creates them for the tests. The names
start with ``counts_`` (:data:`PREFIX`), which the models-versus-schema
comparison leaves alone (:data:`workbench.migrate.UNMODELLED_PREFIXES`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table

PREFIX = "counts_"
TABLE = "counts_comment"
PAUSED = "counts_comment_paused"  # SQLite: a row here pauses the insert trigger (bulk import)
KEY = ("round_id", "section_id", "part")
DISPOSITIONS = ("accepted", "taken_into_account", "noted", "rejected")
COUNTS = ("total", *DISPOSITIONS, "undecided", "open", "signed_off")

#: The table, for queries (its own metadata: no model, not in ``create_all``'s metadata).
counts_comment = Table(
    TABLE,
    MetaData(),
    Column("round_id", Integer, primary_key=True),
    Column("section_id", Integer, primary_key=True),
    Column("part", String(20), primary_key=True),
    *(Column(name, Integer, nullable=False) for name in COUNTS),
)


def _counts(row: str) -> list[str]:
    """Return the SQL expressions of one comment's counts (``row`` is new, old or an alias)."""
    return [
        "1",
        *(f"CASE WHEN {row}.disposition = '{d}' THEN 1 ELSE 0 END" for d in DISPOSITIONS),
        f"CASE WHEN {row}.disposition IS NULL THEN 1 ELSE 0 END",
        f"CASE WHEN {row}.disposition IS NULL OR {row}.response = '' THEN 1 ELSE 0 END",
        f"CASE WHEN {row}.signed_off_at IS NOT NULL THEN 1 ELSE 0 END",
    ]


def _key(row: str) -> list[str]:
    return [f"{row}.round_id", f"coalesce({row}.section_id, 0)", f"{row}.part"]


_ADD = ", ".join(f"{c} = {TABLE}.{c} + excluded.{c}" for c in COUNTS)
_UPSERT = f" ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {_ADD}"
_COLUMNS = ", ".join((*KEY, *COUNTS))
# What the counts depend on: an update of other columns (a comment's text) changes nothing.
_WATCHED = "round_id, section_id, part, disposition, response, signed_off_at"


def _create_table(dialect: str) -> str:
    counts = ", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in COUNTS)
    return (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (round_id INTEGER NOT NULL, "
        f"section_id INTEGER NOT NULL, part VARCHAR(20) NOT NULL, {counts}, "
        f"PRIMARY KEY ({', '.join(KEY)}))"
    )


def _backfill() -> list[str]:
    sums = ", ".join(f"sum({e})" for e in _counts("c"))
    return [
        f"DELETE FROM {TABLE}",
        f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT {', '.join(_key('c'))}, {sums}"
        f" FROM reviewcomment c GROUP BY {', '.join(_key('c'))}",
    ]


def _sqlite_create() -> list[str]:
    def upsert(row: str, sign: str) -> str:
        values = ", ".join([*_key(row), *(f"{sign}({e})" for e in _counts(row))])
        # "WHERE true": SQLite needs it to read ON CONFLICT after a SELECT unambiguously.
        return f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT {values} WHERE true{_UPSERT};"

    return [
        _create_table("sqlite"),
        f"CREATE TABLE IF NOT EXISTS {PAUSED} (id INTEGER PRIMARY KEY)",
        f"CREATE TRIGGER IF NOT EXISTS {PREFIX}comment_ai AFTER INSERT ON reviewcomment"
        f" WHEN NOT EXISTS (SELECT 1 FROM {PAUSED}) BEGIN {upsert('new', '')} END",
        f"CREATE TRIGGER IF NOT EXISTS {PREFIX}comment_ad AFTER DELETE ON reviewcomment BEGIN "
        f"{upsert('old', '-')} END",
        f"CREATE TRIGGER IF NOT EXISTS {PREFIX}comment_au AFTER UPDATE OF {_WATCHED} "
        f"ON reviewcomment BEGIN {upsert('old', '-')} {upsert('new', '')} END",
        *_backfill(),
    ]


def sqlite_bulk_insert(cursor: Any, insert: Callable[[], None]) -> None:
    """Run ``insert()`` (rows into the comments, on ``cursor``'s SQLite connection), counting once.

    The row trigger's upsert per comment cost an import of 100,000 comments
    seconds; here the insert trigger is paused (a row in ``counts_comment_paused``,
    which its ``WHEN`` reads) and the new comments are added to the counts with
    one grouped upsert afterwards. All in the caller's transaction, which
    holds SQLite's write lock, so no other writer sees the pause or writes
    meanwhile; a rollback undoes the pause with the rest. A database migrated
    to 0009 before the pause existed has no such table: the trigger counts.
    """
    if (
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (PAUSED,)
        ).fetchone()
        is None
    ):
        insert()
        return
    (before,) = cursor.execute("SELECT coalesce(max(id), 0) FROM reviewcomment").fetchone()
    cursor.execute(f"INSERT INTO {PAUSED} (id) VALUES (1)")
    insert()
    sums = ", ".join(f"sum({e})" for e in _counts("c"))
    key = ", ".join(_key("c"))
    cursor.execute(
        f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT {key}, {sums} FROM reviewcomment c"
        f" WHERE c.id > ? GROUP BY {key}{_UPSERT}",
        (before,),
    )
    cursor.execute(f"DELETE FROM {PAUSED}")


def _postgres_function(name: str, rows: list[tuple[str, str]]) -> str:
    """Return a statement-trigger function adding (sign, transition table) rows to the counts."""
    parts = " UNION ALL ".join(
        f"SELECT {', '.join([*_key('t'), *(f'{sign}({e})' for e in _counts('t'))])} FROM {table} t"
        for sign, table in rows
    )
    columns = ", ".join(f"sum(x{n})" for n in range(len(COUNTS)))
    aliases = ", ".join([*KEY, *(f"x{n}" for n in range(len(COUNTS)))])
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {TABLE} ({_COLUMNS})
    SELECT {", ".join(KEY)}, {columns}
    FROM ({parts}) AS changes ({aliases})
    GROUP BY {", ".join(KEY)}
    ORDER BY {", ".join(KEY)}
    {_UPSERT};
    RETURN NULL;
END
$$
"""


def _postgres_create() -> list[str]:
    return [
        _create_table("postgresql"),
        _postgres_function(f"{PREFIX}comment_inserted", [("", "new_rows")]),
        _postgres_function(f"{PREFIX}comment_deleted", [("-", "old_rows")]),
        _postgres_function(f"{PREFIX}comment_updated", [("-", "old_rows"), ("", "new_rows")]),
        f"DROP TRIGGER IF EXISTS {PREFIX}comment_ai ON reviewcomment",
        f"CREATE TRIGGER {PREFIX}comment_ai AFTER INSERT ON reviewcomment"
        f" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
        f" EXECUTE FUNCTION {PREFIX}comment_inserted()",
        f"DROP TRIGGER IF EXISTS {PREFIX}comment_ad ON reviewcomment",
        f"CREATE TRIGGER {PREFIX}comment_ad AFTER DELETE ON reviewcomment"
        f" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
        f" EXECUTE FUNCTION {PREFIX}comment_deleted()",
        # Transition tables cannot go with a column list (UPDATE OF …): every update counts.
        f"DROP TRIGGER IF EXISTS {PREFIX}comment_au ON reviewcomment",
        f"CREATE TRIGGER {PREFIX}comment_au AFTER UPDATE ON reviewcomment"
        f" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
        f" EXECUTE FUNCTION {PREFIX}comment_updated()",
        f"CREATE OR REPLACE FUNCTION {PREFIX}comment_truncated() RETURNS trigger"
        f" LANGUAGE plpgsql AS $$ BEGIN DELETE FROM {TABLE}; RETURN NULL; END $$",
        f"DROP TRIGGER IF EXISTS {PREFIX}comment_at ON reviewcomment",
        f"CREATE TRIGGER {PREFIX}comment_at AFTER TRUNCATE ON reviewcomment"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}comment_truncated()",
        *_backfill(),
    ]


def create_statements(dialect: str) -> list[str]:
    """Return the SQL that creates (idempotently) the counts and their triggers, and fills them."""
    return _sqlite_create() if dialect == "sqlite" else _postgres_create()


def drop_statements(dialect: str) -> list[str]:
    """Return the SQL that removes the counts and their triggers."""
    triggers = [f"{PREFIX}comment_{t}" for t in ("ai", "ad", "au")]
    if dialect == "sqlite":
        return [
            *(f"DROP TRIGGER IF EXISTS {t}" for t in triggers),
            f"DROP TABLE IF EXISTS {TABLE}",
            f"DROP TABLE IF EXISTS {PAUSED}",
        ]
    triggers.append(f"{PREFIX}comment_at")
    return [
        *(f"DROP TRIGGER IF EXISTS {t} ON reviewcomment" for t in triggers),
        *(
            f"DROP FUNCTION IF EXISTS {PREFIX}comment_{f}()"
            for f in ("inserted", "deleted", "updated", "truncated")
        ),
        f"DROP TABLE IF EXISTS {TABLE}",
    ]


__all__ = [
    "COUNTS",
    "PREFIX",
    "TABLE",
    "counts_comment",
    "create_statements",
    "sqlite_bulk_insert",
]
